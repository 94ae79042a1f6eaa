// The server's transport under the load of a control room, over real sockets: open event
// streams and silent clients cost no worker, bodies are not read before authentication,
// stream caps, the worker queue bound, Origin: null, /metrics access, the anonymous rate
// limit, and routine polling kept out of the audit chain (but in the access log).
#include "server/transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/auth.h"
#include "server/server.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"

namespace lfr::server {
namespace {
using ::testing::HasSubstr;
using json = nlohmann::json;

const char* kPassword = "a long test password";

const std::string& PasswordHash() {
  static const std::string h = *HashPassword(kPassword);
  return h;
}

// A blocking TCP connection with a receive timeout: enough HTTP/1.1 for raw tests.
class RawConn {
 public:
  RawConn(int port, int timeout_s = 10) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_s, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConn() { Close(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;
  bool ok() const { return ok_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool Send(const std::string& s) { return send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()); }
  // Reads until `until` appears (or the timeout/EOF); returns what was read.
  std::string ReadUntil(const std::string& until) {
    char buf[4096];
    while (data_.find(until) == std::string::npos) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      data_.append(buf, static_cast<size_t>(n));
    }
    return data_;
  }
  // The status code of the response (after its header was read), 0 if none.
  int Status() {
    ReadUntil("\r\n\r\n");
    if (data_.rfind("HTTP/1.1 ", 0) != 0) return 0;
    return std::atoi(data_.c_str() + 9);
  }
  const std::string& data() const { return data_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string data_;
};

class TransportTest : public lfr::testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    for (const auto& [name, role] : {std::pair<const char*, Role>{"sue", Role::kSupervisor},
                                     {"olly", Role::kOperator},
                                     {"aud", Role::kAuditor}}) {
      ASSERT_TRUE(store_->CreateUser(name, role, PasswordHash(), lfr::testing::kCli).ok());
    }
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    StoreFixture::TearDown();
  }
  ServerOptions Options() {
    ServerOptions o;
    o.port = 0;
    o.recogniser_id = "mobilefacenet-arcface";
    return o;
  }
  void Start(const ServerOptions& o, EnrolmentService* enrolment = nullptr) {
    if (server_) server_->Stop();
    auto s = Server::Create({store_.get(), &clock_, nullptr, enrolment, nullptr}, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    ASSERT_TRUE(server_->Start().ok());
  }
  std::unique_ptr<httplib::Client> Http(int timeout_s = 20) const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_read_timeout(timeout_s, 0);
    c->set_write_timeout(timeout_s, 0);
    c->set_connection_timeout(timeout_s, 0);
    return c;
  }
  struct Login {
    std::string cookie, csrf;
    httplib::Headers Headers(bool csrf_too = false) const {
      httplib::Headers h{{"Cookie", cookie}};
      if (csrf_too) h.emplace("X-CSRF-Token", csrf);
      return h;
    }
  };
  Login LogIn(const std::string& user, int timeout_s = 20) {
    auto r = Http(timeout_s)->Post("/api/login", json({{"username", user}, {"password", kPassword}}).dump(),
                                   "application/json");
    EXPECT_TRUE(r) << "login of " << user << " got no response";
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    const std::string set = r->get_header_value("Set-Cookie");
    return {set.substr(0, set.find(';')), json::parse(r->body).value("csrf_token", "")};
  }
  // Opens an event stream; the connection stays open with the response header read.
  std::unique_ptr<RawConn> OpenStream(const Login& who, int* status) {
    auto c = std::make_unique<RawConn>(server_->port());
    c->Send("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + who.cookie + "\r\n\r\n");
    *status = c->Status();
    return c;
  }
  int64_t AuditRows() {
    auto rows = store_->ListAudit(0, 1000000);
    return rows.ok() ? static_cast<int64_t>(rows->size()) : -1;
  }

  std::unique_ptr<Server> server_;
};

// With the old thread-per-connection server, 16 open streams froze every request.
TEST_F(TransportTest, FortyOpenEventStreamsLeaveLoginsAndRequestsAnswered) {
  ServerOptions o = Options();
  o.max_streams_per_session = 100;
  Start(o);
  Login olly = LogIn("olly");
  std::vector<std::unique_ptr<RawConn>> streams;
  for (int i = 0; i < 40; ++i) {
    int status = 0;
    streams.push_back(OpenStream(olly, &status));
    ASSERT_EQ(status, 200) << "stream " << i << ": " << streams.back()->data();
  }
  EXPECT_EQ(server_->open_streams(), 40u);
  // Logins and GETs from other clients still get answers (each within the clients' 10 s).
  std::vector<std::future<int>> answers;
  for (int i = 0; i < 4; ++i) {
    answers.push_back(std::async(std::launch::async, [this] {
      Login sue = LogIn("sue", 10);
      int ok = 0;
      for (int k = 0; k < 5; ++k) {
        auto r = Http(10)->Get("/api/deployments", sue.Headers());
        if (r && r->status == 200) ++ok;
      }
      return ok;
    }));
  }
  for (auto& a : answers) EXPECT_EQ(a.get(), 5);
  // And every stream still gets the next event.
  server_->events().Publish("alert", R"({"id":41})");
  for (auto& s : streams) EXPECT_THAT(s->ReadUntil("{\"id\":41}"), HasSubstr("event: alert\ndata: {\"id\":41}"));
}

// The old server read a body before checking the session: 20 silent POSTs held 20 workers.
TEST_F(TransportTest, UnauthenticatedPostsAreRefusedBeforeTheirBodyIsRead) {
  Start(Options());
  Login sue = LogIn("sue");
  std::vector<std::unique_ptr<RawConn>> silent;
  for (int i = 0; i < 20; ++i) {
    silent.push_back(std::make_unique<RawConn>(server_->port(), 10));
    ASSERT_TRUE(silent.back()->Send(
        "POST /api/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 100000\r\n\r\n"));  // ... and the body never comes
  }
  auto r = Http(10)->Get("/api/deployments", sue.Headers());
  ASSERT_TRUE(r) << "a GET got no answer while unauthenticated POSTs waited for their bodies";
  EXPECT_EQ(r->status, 200);
  // Each silent POST was answered without its body.
  for (auto& c : silent) {
    EXPECT_EQ(c->Status(), 401) << c->data();
    EXPECT_THAT(c->data(), HasSubstr("not logged in"));
  }
  // A body larger than the limit is refused from its Content-Length, before it is sent.
  RawConn big(server_->port(), 10);
  big.Send("POST /api/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + sue.cookie +
           "\r\nX-CSRF-Token: " + sue.csrf + "\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(1LL << 40) + "\r\n\r\n");
  EXPECT_EQ(big.Status(), 413);
  EXPECT_THAT(big.ReadUntil("}"), HasSubstr("too large"));
}

TEST_F(TransportTest, EventStreamsAreCappedPerSessionAndInTotalWith503) {
  ServerOptions o = Options();
  o.max_streams_per_session = 2;
  o.max_streams = 3;
  Start(o);
  Login a = LogIn("olly"), b = LogIn("sue"), c = LogIn("aud");
  int status = 0;
  auto a1 = OpenStream(a, &status);
  ASSERT_EQ(status, 200);
  auto a2 = OpenStream(a, &status);
  ASSERT_EQ(status, 200);
  auto a3 = OpenStream(a, &status);
  EXPECT_EQ(status, 503);
  EXPECT_THAT(a3->ReadUntil("}"), HasSubstr("limit per session"));
  auto b1 = OpenStream(b, &status);
  ASSERT_EQ(status, 200);
  auto c1 = OpenStream(c, &status);
  EXPECT_EQ(status, 503);
  EXPECT_THAT(c1->ReadUntil("}"), HasSubstr("its limit"));
  // A closed stream frees its slot (once the server has seen the close).
  a1->Close();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server_->open_streams() > 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto c2 = OpenStream(c, &status);
  EXPECT_EQ(status, 200);
}

TEST_F(TransportTest, ReconnectingStreamGetsWhatItMissedFromLastEventId) {
  Start(Options());
  Login olly = LogIn("olly");
  const int64_t first = server_->events().Publish("alert", R"({"id":1})");
  server_->events().Publish("alert", R"({"id":2})");
  RawConn c(server_->port());
  c.Send("GET /api/events HTTP/1.1\r\nHost: x\r\nCookie: " + olly.cookie + "\r\nLast-Event-ID: " +
         std::to_string(first) + "\r\n\r\n");
  EXPECT_EQ(c.Status(), 200);
  const std::string got = c.ReadUntil("{\"id\":2}");
  EXPECT_THAT(got, HasSubstr("data: {\"id\":2}"));
  EXPECT_THAT(got, ::testing::Not(HasSubstr("data: {\"id\":1}")));
}

// Blocks every enrolment until released: keeps the worker pool busy.
class BlockingEnrolment : public EnrolmentService {
 public:
  Result<Outcome> Enrol(const WatchlistEntry&, const std::string&, const Actor&, bool,
                        const std::string&) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    return Outcome{std::nullopt, "blocked test enrolment", {}};
  }
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return entered_ >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool released_ = false;
};

TEST_F(TransportTest, ASaturatedWorkerPoolAnswers503WhileStreamsKeepFlowing) {
  BlockingEnrolment enrolment;
  ServerOptions o = Options();
  o.worker_threads = 1;
  o.max_queued_requests = 1;
  Start(o, &enrolment);
  const int64_t dep = NewDeployment("busy");
  Login sue = LogIn("sue");
  const std::string url = "/api/deployments/" + std::to_string(dep) + "/watchlist";
  const httplib::MultipartFormDataItems form = {{"image", "x", "p.jpg", "image/jpeg"},
                                                {"reference", "R1", "", ""},
                                                {"name", "N", "", ""},
                                                {"category", "c", "", ""},
                                                {"reason", "r", "", ""}};
  auto upload = [&] { return Http(20)->Post(url.c_str(), sue.Headers(true), form); };
  auto busy = std::async(std::launch::async, upload);  // holds the only worker
  enrolment.WaitEntered(1);
  // One request fits in the queue; the others are refused at once rather than left hanging.
  std::vector<std::future<httplib::Result>> gets;
  for (int i = 0; i < 3; ++i) {
    gets.push_back(std::async(std::launch::async, [&] { return Http(20)->Get("/api/deployments", sue.Headers()); }));
  }
  int refused = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (refused < 2 && std::chrono::steady_clock::now() < deadline) {
    refused = 0;
    for (auto& g : gets) {
      if (g.wait_for(std::chrono::milliseconds(10)) == std::future_status::ready) ++refused;
    }
  }
  ASSERT_EQ(refused, 2) << "two of three requests should have been refused while the worker was busy";
  // Event streams do not wait for a worker.
  int status = 0;
  auto stream = OpenStream(sue, &status);
  EXPECT_EQ(status, 200);
  server_->events().Publish("alert", R"({"id":9})");
  EXPECT_THAT(stream->ReadUntil("{\"id\":9}"), HasSubstr("data: {\"id\":9}"));
  enrolment.Release();
  EXPECT_EQ(busy.get()->status, 422);
  std::multiset<int> statuses;
  for (auto& g : gets) {
    auto r = g.get();
    ASSERT_TRUE(r);
    statuses.insert(r->status);
    if (r->status == 503) EXPECT_THAT(r->body, HasSubstr("busy"));
  }
  EXPECT_EQ(statuses, (std::multiset<int>{200, 503, 503}));
}

TEST_F(TransportTest, OriginNullIsRefusedEvenWithTheRightCsrfToken) {
  Start(Options());
  Login sue = LogIn("sue");
  httplib::Headers h = sue.Headers(true);
  h.emplace("Origin", "null");
  auto r = Http()->Post("/api/deployments", h, "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("Origin: null"));
  // Logging in from an opaque or foreign origin is refused too.
  auto login = Http()->Post("/api/login", {{"Origin", "null"}},
                            json({{"username", "sue"}, {"password", kPassword}}).dump(), "application/json");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 403);
  // The same origin is fine.
  httplib::Headers same = sue.Headers(true);
  same.emplace("Origin", "http://127.0.0.1:" + std::to_string(server_->port()));
  auto ok = Http()->Post("/api/deployments", same, "{}", "application/json");
  EXPECT_EQ(ok->status, 400) << ok->body;  // past the checks: the body is incomplete
}

TEST_F(TransportTest, MetricsNeedTheTokenOrAnAllowedAddress) {
  ServerOptions o = Options();
  o.metrics_token = "9f2c0d1e7a";
  Start(o);
  auto none = Http()->Get("/metrics");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_THAT(none->body, HasSubstr("Bearer"));
  EXPECT_EQ(Http()->Get("/metrics", {{"Authorization", "Bearer wrong"}})->status, 401);
  auto ok = Http()->Get("/metrics", {{"Authorization", "Bearer 9f2c0d1e7a"}});
  EXPECT_EQ(ok->status, 200);
  EXPECT_THAT(ok->body, HasSubstr("# TYPE lfr_frames_read_total counter"));

  o.metrics_token.clear();
  o.metrics_allow = {"10.0.0.0/8"};
  Start(o);
  auto far = Http()->Get("/metrics");
  ASSERT_TRUE(far);
  EXPECT_EQ(far->status, 403);
  EXPECT_THAT(far->body, HasSubstr("not open to 127.0.0.1"));
  o.metrics_allow = {"10.0.0.0/33"};
  EXPECT_EQ(Server::Create({store_.get(), &clock_, nullptr, nullptr, nullptr}, o).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(TransportTest, RoutinePollingGoesToTheAccessLogAndNotTheAuditChain) {
  ServerOptions o = Options();
  o.access_log = (lfr::testing::TempDir("access") / "logs" / "access.log").string();
  Start(o);
  const int64_t dep = ActiveDeployment("poll");
  Login olly = LogIn("olly");
  const int64_t before = AuditRows();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Http()->Get("/api/alerts", olly.Headers())->status, 200);
    EXPECT_EQ(Http()->Get("/api/live", olly.Headers())->status, 200);
    EXPECT_EQ(Http()->Get("/api/deployments", olly.Headers())->status, 200);
  }
  EXPECT_EQ(AuditRows(), before) << "polling added audit rows";
  // A view of personal data is audited.
  EXPECT_EQ(Http()->Get("/api/deployments/" + std::to_string(dep) + "/watchlist", olly.Headers())->status, 200);
  auto rows = store_->ListAudit(0, 1000000);
  ASSERT_GT(static_cast<int64_t>(rows->size()), before);
  EXPECT_EQ(rows->back().target, "/api/deployments/" + std::to_string(dep) + "/watchlist");
  EXPECT_TRUE(store_->VerifyAudit()->ok);
  // ... and everything is in the access log, with the user and status.
  std::ifstream in(o.access_log);
  std::stringstream log;
  log << in.rdbuf();
  EXPECT_THAT(log.str(), HasSubstr("127.0.0.1 olly \"GET /api/alerts\" 200"));
  EXPECT_THAT(log.str(), HasSubstr("\"GET /api/live\" 200"));
  EXPECT_THAT(log.str(), HasSubstr("- \"POST /api/login\" 200"));
}

TEST_F(TransportTest, AnonymousFloodIsRateLimitedWith429AndFillsNoAuditTrail) {
  ServerOptions o = Options();
  o.anonymous_rate = 2;
  o.anonymous_burst = 10;
  Start(o);
  Login sue = LogIn("sue");  // one anonymous request of the burst
  const int64_t before = AuditRows();
  int denied = 0, limited = 0;
  std::string retry_after;
  auto c = Http();
  for (int i = 0; i < 60; ++i) {
    auto r = c->Get("/api/deployments");
    ASSERT_TRUE(r);
    if (r->status == 401) ++denied;
    if (r->status == 429) {
      ++limited;
      retry_after = r->get_header_value("Retry-After");
    }
  }
  EXPECT_GT(limited, 30);
  EXPECT_FALSE(retry_after.empty());
  EXPECT_LE(AuditRows() - before, denied) << "only the requests let through are audited";
  EXPECT_LT(denied, 30);
  // A logged-in user is not limited by it.
  EXPECT_EQ(Http()->Get("/api/deployments", sue.Headers())->status, 200);
}

TEST_F(TransportTest, StopIsPromptWithOpenStreams) {
  ServerOptions o = Options();
  o.max_streams_per_session = 50;
  Start(o);
  Login olly = LogIn("olly");
  std::vector<std::unique_ptr<RawConn>> streams;
  int status = 0;
  for (int i = 0; i < 20; ++i) {
    streams.push_back(OpenStream(olly, &status));
    ASSERT_EQ(status, 200);
  }
  auto stopped = std::async(std::launch::async, [this] { server_->Stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  for (auto& s : streams) s->ReadUntil("never sent");  // EOF, not the 10 s timeout
}

TEST(MultipartTest, ParsesFieldsAndFilesAndRefusesMalformedBodies) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"reference\"\r\n\r\nPNC-1\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n\x01\x02\r\n\x03\r\n--XyZ--\r\n";
  httplib::MultipartFormDataMap files;
  ASSERT_TRUE(ParseMultipartFormData("multipart/form-data; boundary=XyZ", body, &files));
  EXPECT_EQ(files.find("reference")->second.content, "PNC-1");
  EXPECT_EQ(files.find("image")->second.filename, "a.jpg");
  EXPECT_EQ(files.find("image")->second.content_type, "image/jpeg");
  EXPECT_EQ(files.find("image")->second.content, std::string("\x01\x02\r\n\x03"));
  httplib::MultipartFormDataMap none;
  EXPECT_FALSE(ParseMultipartFormData("multipart/form-data", body, &none));
  EXPECT_FALSE(ParseMultipartFormData("multipart/form-data; boundary=XyZ", body.substr(0, 60), &none));
}

}  // namespace
}  // namespace lfr::server
