#include "testing/api_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "server/auth.h"

namespace lfr::testing {
namespace {

using nlohmann::json;

// Argon2id hashing takes a while: hash the shared test password once.
const std::string& PasswordHash() {
  static const std::string h = *server::HashPassword(kApiPassword);
  return h;
}

}  // namespace

httplib::Headers ApiClient::Headers(bool with_csrf) const {
  httplib::Headers h{{"Cookie", cookie}};
  if (with_csrf) h.emplace("X-CSRF-Token", csrf);
  return h;
}
httplib::Result ApiClient::Get(const std::string& path) const { return http->Get(path.c_str(), Headers(false)); }
httplib::Result ApiClient::PostJson(const std::string& path, const json& body) const {
  return http->Post(path.c_str(), Headers(), body.dump(), "application/json");
}
httplib::Result ApiClient::PutJson(const std::string& path, const json& body) const {
  return http->Put(path.c_str(), Headers(), body.dump(), "application/json");
}

httplib::Result ApiClient::Delete(const std::string& path) const { return http->Delete(path.c_str(), Headers()); }

json BodyJson(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

std::string ErrorOf(const httplib::Result& r) {
  json j = BodyJson(r);
  return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : r->body;
}

int RawPostFrom(const std::string& source_ip, int port, const std::string& path, const std::string& json_body,
                std::string* body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, source_ip.c_str(), &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    ::close(fd);
    return 0;
  }
  const std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
                          "Content-Length: " + std::to_string(json_body.size()) + "\r\nConnection: close\r\n\r\n" +
                          json_body;
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return 0;
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  // "HTTP/1.1 200 OK\r\n..."
  if (resp.size() < 12 || resp.compare(0, 5, "HTTP/") != 0) return 0;
  if (body != nullptr) {
    const size_t at = resp.find("\r\n\r\n");
    *body = at == std::string::npos ? "" : resp.substr(at + 4);
  }
  return std::atoi(resp.c_str() + 9);
}

void ApiFixture::SetUp() {
  StoreFixture::SetUp();
  for (const auto& [name, role] : {std::pair<const char*, Role>{"admin", Role::kAdmin},
                                   {"sue", Role::kSupervisor},
                                   {"olly", Role::kOperator},
                                   {"aud", Role::kAuditor},
                                   {"ivy", Role::kInvestigator}}) {
    AddUser(name, role);
  }
  BeforeServer();
  server::ServerOptions o;
  o.port = 0;
  o.recogniser_id = "mobilefacenet-arcface";
  o.cohort_home = cohort_home_;
  auto s = server::Server::Create({store_.get(), &clock_, &runner_, enrolment_service_, nullptr, retrospective_service_,
                                   video_searches_, models_for_server_, nodes_}, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  server_ = std::move(s).value();
  ASSERT_TRUE(server_->Start().ok());
}

void ApiFixture::TearDown() {
  if (server_) server_->Stop();
  server_.reset();
  StoreFixture::TearDown();
}

std::unique_ptr<httplib::Client> ApiFixture::Raw() const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  c->set_read_timeout(20, 0);
  return c;
}

void ApiFixture::AddUser(const std::string& name, Role role) {
  ASSERT_TRUE(store_->CreateUser(name, role, PasswordHash(), kCli).ok()) << name;
}

ApiClient ApiFixture::Login(const std::string& user) {
  ApiClient c{Raw(), "", ""};
  auto r = c.http->Post("/api/login", json({{"username", user}, {"password", kApiPassword}}).dump(),
                        "application/json");
  EXPECT_TRUE(r) << "no response";
  if (!r) return c;
  EXPECT_EQ(r->status, 200) << r->body;
  const std::string set = r->get_header_value("Set-Cookie");
  c.cookie = set.substr(0, set.find(';'));
  c.csrf = BodyJson(r).value("csrf_token", "");
  return c;
}

}  // namespace lfr::testing
