// The HTTP API as a client meets it, over real HTTP against a real SQLite store: login,
// sessions, CSRF, throttling, the role x endpoint matrix (walked from the OpenAPI
// description, so the description and the server cannot drift apart), bad input of every
// kind (malformed JSON, wrong types, oversize and non-image uploads) -> 4xx with a clear
// message and nothing stored, audit rows for every request, the public listing without
// personal data, metrics and the live event stream.
#include "server/server.h"

#include <fstream>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "server/api.h"
#include "server/auth.h"
#include "server/runner.h"
#include "store/gallery_store.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"
#include "util/paths.h"

namespace lfr::server {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using lfr::testing::kCli;
using json = nlohmann::json;

const char* kPassword = "a long test password";

// Argon2id hashing takes a while: hash the shared test password once.
const std::string& PasswordHash() {
  static const std::string h = *HashPassword(kPassword);
  return h;
}

// Records what the server asked of the cameras.
class FakeRunner : public LiveRunner {
 public:
  Status StartDeployment(int64_t id) override {
    started.push_back(id);
    return Status::Ok();
  }
  void StopDeployment(int64_t id) override { stopped.push_back(id); }
  std::vector<CameraLive> Cameras() override {
    CameraLive c;
    c.deployment_id = 1;
    c.camera = "gate \"a\"";
    c.health = "up";
    c.frames_read = 250;
    c.frames_dropped = 3;
    c.tracks = 7;
    c.alerts = 1;
    c.decision_p95_ms = 42.5;
    return {c};
  }
  std::vector<int64_t> started, stopped;
};

// A logged-in client.
struct Client {
  std::unique_ptr<httplib::Client> http;
  std::string cookie, csrf;
  httplib::Headers Headers(bool with_csrf = true) const {
    httplib::Headers h{{"Cookie", cookie}};
    if (with_csrf) h.emplace("X-CSRF-Token", csrf);
    return h;
  }
  httplib::Result Get(const std::string& path) const { return http->Get(path.c_str(), Headers(false)); }
  httplib::Result PostJson(const std::string& path, const json& body) const {
    return http->Post(path.c_str(), Headers(), body.dump(), "application/json");
  }
  httplib::Result PutJson(const std::string& path, const json& body) const {
    return http->Put(path.c_str(), Headers(), body.dump(), "application/json");
  }
  httplib::Result PatchJson(const std::string& path, const json& body) const {
    return http->Patch(path.c_str(), Headers(), body.dump(), "application/json");
  }
  httplib::Result Delete(const std::string& path) const { return http->Delete(path.c_str(), Headers()); }
};

json Body(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }
std::string Error(const httplib::Result& r) {
  json j = Body(r);
  return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : r->body;
}

class ServerTest : public lfr::testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    for (const auto& [name, role] : {std::pair<const char*, Role>{"admin", Role::kAdmin},
                                     {"sue", Role::kSupervisor},
                                     {"olly", Role::kOperator},
                                     {"aud", Role::kAuditor},
                                     {"ivy", Role::kInvestigator}}) {
      ASSERT_TRUE(store_->CreateUser(name, role, PasswordHash(), kCli).ok());
    }
    ServerOptions o;
    o.port = 0;
    o.max_upload_bytes = 256 * 1024;
    o.recogniser_id = "mobilefacenet-arcface";
    StartServer(o, nullptr);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    StoreFixture::TearDown();
  }
  void StartServer(const ServerOptions& o, EnrolmentService* enrolment) {
    if (server_) server_->Stop();
    auto s = Server::Create({store_.get(), &clock_, &runner_, enrolment, nullptr}, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    ASSERT_TRUE(server_->Start().ok());
  }
  std::unique_ptr<httplib::Client> Raw() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_read_timeout(20, 0);
    return c;
  }
  Client Login(const std::string& user) {
    Client c{Raw(), "", ""};
    auto r = c.http->Post("/api/login", json({{"username", user}, {"password", kPassword}}).dump(),
                          "application/json");
    EXPECT_TRUE(r) << "no response";
    if (!r) return c;
    EXPECT_EQ(r->status, 200) << r->body;
    const std::string set = r->get_header_value("Set-Cookie");
    c.cookie = set.substr(0, set.find(';'));
    c.csrf = Body(r).value("csrf_token", "");
    return c;
  }
  // A deployment with a camera, one entry with a (fake) photo, started, with one alert.
  struct Seed {
    int64_t deployment, camera, entry, alert;
  };
  Seed SeedActive(const std::string& name) {
    Seed s{};
    s.deployment = ActiveDeployment(name);
    auto cams = store_->ListCameras(s.deployment);
    s.camera = (*cams)[0].id;
    auto entries = store_->ListWatchlist(s.deployment, false);
    s.entry = (*entries)[0].id;
    AlertInput a = lfr::testing::AlertFor(s.deployment, s.entry);
    auto rec = store_->RecordAlert(a, lfr::testing::kSystem);
    EXPECT_TRUE(rec.ok()) << rec.status().ToString();
    s.alert = rec.ok() ? rec->id : 0;
    return s;
  }
  // A gallery with one record and a search of it by the investigator ivy.
  struct GallerySeed {
    int64_t gallery = 0, record = 0, search = 0;
  };
  GallerySeed SeedGallery() {
    GallerySeed out;
    GalleryStore* g = store_->galleries();
    GallerySpec spec;
    spec.name = "custody";
    spec.purpose = "identify suspects from stills";
    spec.legal_basis = "PACE s.64A";
    spec.owner = "DI Example";
    auto gallery = g->CreateGallery(spec, "mobilefacenet-arcface", kCli);
    EXPECT_TRUE(gallery.ok()) << gallery.status().ToString();
    out.gallery = gallery->id;
    auto import = g->BeginGalleryImport(out.gallery, kCli);
    GalleryRecordInput in;
    in.meta.reference = "CF-1";
    in.embedding = lfr::testing::UnitVector(1);
    in.image_jpeg = {0xff, 0xd8, 0xff, 0xe0, 'f', 'a', 'c', 'e'};
    auto rec = g->StageGalleryRecord(*import, in, kCli);
    EXPECT_TRUE(rec.ok()) << rec.status().ToString();
    out.record = rec->id;
    EXPECT_TRUE(g->CommitGalleryImport(*import, "{}", kCli).ok());
    SearchInput search;
    search.gallery_id = out.gallery;
    search.case_reference = "OP-1";
    search.reason = "robbery";
    search.probe_sha256 = std::string(64, 'a');
    search.faces_found = search.face_searched = 1;
    search.candidates.push_back({1, out.record, "CF-1", 0.9f, ""});
    auto s = g->RecordSearch(search, Actor{"ivy"});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    out.search = s->id;
    return out;
  }
  int64_t AuditRows() {
    auto rows = store_->ListAudit(0, 1000000);
    return rows.ok() ? static_cast<int64_t>(rows->size()) : -1;
  }

  FakeRunner runner_;
  std::unique_ptr<Server> server_;
};

json ValidDeployment(const std::string& name) {
  return {{"name", name},
          {"site", "Cardiff"},
          {"location", "Queen Street"},
          {"start", "2026-12-05T10:00:00Z"},
          {"end", "2026-12-05T18:00:00Z"},
          {"purpose", "Locate people wanted for serious offences"},
          {"legal_basis", "Common law"},
          {"authorising_officer", "Supt. A. Jones"},
          {"threshold", "0.6"},
          {"contact", "lfr@example.police.uk"}};
}

TEST_F(ServerTest, LoginSetsAnHttpOnlyStrictCookieAndReturnsTheCsrfToken) {
  auto c = Raw();
  auto r = c->Post("/api/login", json({{"username", "sue"}, {"password", kPassword}}).dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, HasSubstr("lfr_session="));
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  EXPECT_THAT(cookie, Not(HasSubstr("Secure")));  // plain HTTP here
  EXPECT_EQ(Body(r)["role"], "supervisor");
  EXPECT_EQ(Body(r)["csrf_token"].get<std::string>().size(), 64u);
  auto rows = store_->ListAudit(0, 1000);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->back().action, "login");
  EXPECT_EQ(rows->back().actor, "sue");
}

TEST_F(ServerTest, WrongPasswordUnknownUserAndDisabledUserAllGetTheSame401) {
  auto c = Raw();
  for (const auto& [user, pass] : {std::pair<std::string, std::string>{"sue", "not the password"},
                                   {"nobody", kPassword}}) {
    auto r = c->Post("/api/login", json({{"username", user}, {"password", pass}}).dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->get_header_value("Set-Cookie"), "");
    EXPECT_THAT(Error(r), HasSubstr("wrong user name or password"));
  }
  User u = *store_->GetUser("olly");
  u.disabled = true;
  ASSERT_TRUE(store_->UpdateUser(u, kCli).ok());
  auto r = c->Post("/api/login", json({{"username", "olly"}, {"password", kPassword}}).dump(), "application/json");
  EXPECT_EQ(r->status, 401);
  auto rows = store_->ListAudit(0, 1000);
  EXPECT_EQ(rows->back().action, "login.failed");
}

TEST_F(ServerTest, RepeatedFailedLoginsAreThrottledWith429AndRetryAfter) {
  auto c = Raw();
  for (int i = 0; i < 5; ++i) {
    auto r = c->Post("/api/login", json({{"username", "sue"}, {"password", "guess " + std::to_string(i)}}).dump(),
                     "application/json");
    EXPECT_EQ(r->status, 401);
  }
  auto r = c->Post("/api/login", json({{"username", "sue"}, {"password", kPassword}}).dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << "even the right password waits out the lockout";
  EXPECT_EQ(r->get_header_value("Retry-After"), "60");
  clock_.Advance(61 * 1000);
  r = c->Post("/api/login", json({{"username", "sue"}, {"password", kPassword}}).dump(), "application/json");
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, MalformedLoginRequestsAre400) {
  auto c = Raw();
  EXPECT_EQ(c->Post("/api/login", "{not json", "application/json")->status, 400);
  EXPECT_EQ(c->Post("/api/login", "username=sue", "application/x-www-form-urlencoded")->status, 400);
  auto r = c->Post("/api/login", json({{"username", 5}, {"password", kPassword}}).dump(), "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(Error(r), HasSubstr("field 'username': expected a string"));
  r = c->Post("/api/login", json({{"username", "sue"}}).dump(), "application/json");
  EXPECT_THAT(Error(r), HasSubstr("field 'password' is required"));
}

TEST_F(ServerTest, NoSessionIs401AndEveryDenialIsAudited) {
  auto c = Raw();
  const int64_t before = AuditRows();
  auto r = c->Get("/api/deployments");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_THAT(Error(r), HasSubstr("not logged in"));
  r = c->Get("/api/deployments", {{"Cookie", "lfr_session=" + std::string(64, 'a')}});
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(AuditRows(), before + 2);
  auto rows = store_->ListAudit(0, 100000);
  EXPECT_EQ(rows->back().action, "http.denied");
  EXPECT_EQ(rows->back().actor, "anonymous");
}

TEST_F(ServerTest, StateChangesNeedTheSessionsCsrfTokenAndTheSameOrigin) {
  Client sue = Login("sue");
  Client olly = Login("olly");
  const json body = ValidDeployment("csrf-test");
  auto r = sue.http->Post("/api/deployments", sue.Headers(false), body.dump(), "application/json");
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(Error(r), HasSubstr("X-CSRF-Token"));
  httplib::Headers other = sue.Headers(false);
  other.emplace("X-CSRF-Token", olly.csrf);  // another session's token
  EXPECT_EQ(sue.http->Post("/api/deployments", other, body.dump(), "application/json")->status, 403);
  httplib::Headers cross = sue.Headers();
  cross.emplace("Origin", "https://evil.example");
  r = sue.http->Post("/api/deployments", cross, body.dump(), "application/json");
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(Error(r), HasSubstr("cross-origin"));
  EXPECT_TRUE(store_->ListDeployments()->empty()) << "nothing was created";
  EXPECT_EQ(sue.PostJson("/api/deployments", body)->status, 201);
}

TEST_F(ServerTest, LogoutEndsTheSession) {
  Client sue = Login("sue");
  EXPECT_EQ(sue.Get("/api/me")->status, 200);
  auto r = sue.http->Post("/api/logout", sue.Headers(), "", "application/json");
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Set-Cookie"), HasSubstr("Max-Age=0"));
  EXPECT_EQ(sue.Get("/api/me")->status, 401);
}

// Walks every operation in the OpenAPI description with every role. An operation whose
// x-permission the role lacks must answer 403; one it has must get past authorisation
// (not 401/403, and not the 404 of an unknown route). Mutating operations are sent with
// ids that do not exist or bodies that are incomplete, so nothing changes.
TEST_F(ServerTest, RoleByEndpointMatrixFollowsTheOpenApiDescription) {
  Seed seed = SeedActive("matrix");
  const GallerySeed gallery = SeedGallery();
  auto spec_text = Raw()->Get("/api/openapi.json");
  ASSERT_EQ(spec_text->status, 200);
  json spec = json::parse(spec_text->body);
  const std::map<std::string, Role> roles = {{"admin", Role::kAdmin}, {"sue", Role::kSupervisor},
                                             {"olly", Role::kOperator}, {"aud", Role::kAuditor},
                                             {"ivy", Role::kInvestigator}};
  std::map<std::string, Client> clients;
  for (const auto& [user, role] : roles) clients.emplace(user, Login(user));
  const std::map<std::string, Permission> perms = {
      {"manage users", Permission::kManageUsers}, {"read deployments", Permission::kReadDeployments},
      {"manage deployments", Permission::kManageDeployments}, {"view watchlists", Permission::kViewWatchlist},
      {"view face images", Permission::kViewFaceImages}, {"read alerts", Permission::kReadAlerts},
      {"decide alerts", Permission::kDecideAlerts}, {"correct decisions", Permission::kCorrectDecisions},
      {"read reports", Permission::kReadReports},
      {"read the audit log", Permission::kReadAudit}, {"read galleries", Permission::kReadGalleries},
      {"manage galleries", Permission::kManageGalleries}, {"search galleries", Permission::kSearchGalleries},
      {"review candidates", Permission::kReviewCandidates}, {"read searches", Permission::kReadSearches},
      {"review and export recorded footage", Permission::kReviewFootage}};
  // What the console shows each role (its menu) is /api/me's list: exactly what it may do.
  for (const auto& [user, role] : roles) {
    std::set<std::string> listed, allowed;
    const json me = json::parse(clients.at(user).Get("/api/me")->body);
    for (const auto& p : me["permissions"]) listed.insert(p);
    for (const auto& [name, p] : perms) {
      if (Allows(role, p)) allowed.insert(name);
    }
    EXPECT_EQ(listed, allowed) << user;
  }
  int checked = 0;
  for (const auto& [path, ops] : spec["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      const std::string perm = op["x-permission"];
      if (perm == "public" || perm == "session") continue;
      ASSERT_TRUE(perms.count(perm)) << path << ": unknown x-permission " << perm;
      const bool mutating = method != "get";
      std::string url = path;
      auto put_id = [&](const std::string& var, int64_t id) {
        const size_t p = url.find(var);
        if (p != std::string::npos) url.replace(p, var.size(), std::to_string(id));
      };
      int64_t id = 999999;  // mutations target nothing
      if (!mutating) {
        if (path.find("/alerts/") != std::string::npos) id = seed.alert;
        else if (path.find("/watchlist/") != std::string::npos) id = seed.entry;
        else if (path.find("/cameras/") != std::string::npos) id = seed.camera;
        else if (path.find("/galleries/") != std::string::npos) id = gallery.gallery;
        else if (path.find("/searches/") != std::string::npos) id = gallery.search;
        else id = seed.deployment;
      }
      put_id("{id}", id);
      put_id("{rank}", 1);
      put_id("{name}", 0);
      put_id("{camera_id}", seed.camera);
      put_id("{search_id}", 999999);  // video searches: none exists (404 once authorised)
      if (path == "/api/events") continue;  // a stream: checked in its own test
      for (const auto& [user, role] : roles) {
        const Client& c = clients.at(user);
        auto send = [&]() -> httplib::Result {
          if (method == "get") return c.Get(url);
          if (method == "post" && path.find("/watchlist") != std::string::npos) {
            return c.http->Post(url.c_str(), c.Headers(),
                                httplib::MultipartFormDataItems{{"reference", "x", "", ""}});
          }
          if (method == "post") return c.PostJson(url, json::object());
          if (method == "put") return c.PutJson(url, json::object());
          if (method == "patch") return c.PatchJson(url, json::object());
          return c.Delete(url);
        };
        httplib::Result r = send();
        ASSERT_TRUE(r) << method << " " << url;
        const bool allowed = Allows(role, perms.at(perm));
        if (allowed) {
          EXPECT_NE(r->status, 403) << user << " " << method << " " << url << ": " << r->body;
          EXPECT_NE(r->status, 401) << user << " " << method << " " << url;
          EXPECT_THAT(Error(r), Not(HasSubstr("no such resource"))) << method << " " << url;
          // (Footage playback needs its range and finds no footage here: footage_api_test.cc.)
          if (!mutating && perm != "read alerts" && perm != "review and export recorded footage" &&
              path.find("{search_id}") == std::string::npos) {
            EXPECT_EQ(r->status, 200) << user << " " << method << " " << url << ": " << r->body;
          }
        } else {
          EXPECT_EQ(r->status, 403) << user << " " << method << " " << url << ": " << r->body;
          EXPECT_THAT(Error(r), HasSubstr("may not " + perm));
        }
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 5 * 35);
  // Nothing changed: the deployment is still active with its camera and entry.
  EXPECT_EQ(store_->GetDeployment(seed.deployment)->status, DeploymentStatus::kActive);
  EXPECT_EQ(store_->ListCameras(seed.deployment)->size(), 1u);
  EXPECT_EQ(store_->ListWatchlist(seed.deployment, false)->size(), 1u);
  EXPECT_TRUE(runner_.stopped.empty());
  EXPECT_EQ(store_->galleries()->FindGallery("custody")->records, 1);
  EXPECT_FALSE(store_->galleries()->FindGallery("custody")->deleted);
  EXPECT_EQ(store_->galleries()->ListSearches(std::nullopt, 10)->size(), 1u);
  EXPECT_TRUE(store_->galleries()->GetSearch(gallery.search)->reviews.empty());
}

TEST_F(ServerTest, EveryAuthenticatedRequestIsAuditedWithActorAndStatus) {
  Client aud = Login("aud");
  const int64_t before = AuditRows();
  // (Routine polling such as GET /api/deployments goes to the access log instead:
  // transport_test.cc.)
  EXPECT_EQ(aud.Get("/api/audit")->status, 200);
  EXPECT_EQ(aud.Get("/api/users")->status, 403);
  auto rows = store_->ListAudit(0, 100000);
  ASSERT_EQ(static_cast<int64_t>(rows->size()), before + 2);
  const AuditEvent& a = (*rows)[rows->size() - 2];
  const AuditEvent& b = rows->back();
  EXPECT_EQ(a.actor, "aud");
  EXPECT_EQ(a.action, "http.GET");
  EXPECT_EQ(a.target, "/api/audit");
  EXPECT_EQ(json::parse(a.details)["status"], 200);
  EXPECT_EQ(json::parse(b.details)["status"], 403);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(ServerTest, CreatingADeploymentRejectsBadInputWithAClearMessageAndStoresNothing) {
  Client sue = Login("sue");
  struct Case {
    std::string what, body, content_type, expect;
  };
  json wrong_type = ValidDeployment("x");
  wrong_type["name"] = 42;
  json missing = ValidDeployment("x");
  missing.erase("authorising_officer");
  json backwards = ValidDeployment("x");
  backwards["end"] = "2026-12-04T10:00:00Z";
  json bad_time = ValidDeployment("x");
  bad_time["start"] = "next Tuesday";
  json bad_cap = ValidDeployment("x");
  bad_cap["watchlist_cap"] = "many";
  json long_name = ValidDeployment(std::string(201, 'n'));
  const std::vector<Case> cases = {
      {"malformed JSON", "{\"name\": ", "application/json", "not valid JSON"},
      {"not an object", "[1,2]", "application/json", "must be a JSON object"},
      {"form encoded", "name=x", "application/x-www-form-urlencoded", "expected a JSON body"},
      {"wrong type", wrong_type.dump(), "application/json", "field 'name': expected a string"},
      {"missing field", missing.dump(), "application/json", "field 'authorising_officer' is required"},
      {"end before start", backwards.dump(), "application/json", "'end' must be after 'start'"},
      {"bad time", bad_time.dump(), "application/json", "'next Tuesday' is not a UTC time"},
      {"bad cap", bad_cap.dump(), "application/json", "field 'watchlist_cap': expected an integer"},
      {"too long", long_name.dump(), "application/json", "longer than 200"},
  };
  for (const Case& c : cases) {
    auto r = sue.http->Post("/api/deployments", sue.Headers(), c.body, c.content_type.c_str());
    ASSERT_TRUE(r) << c.what;
    EXPECT_EQ(r->status, 400) << c.what << ": " << r->body;
    EXPECT_THAT(Error(r), HasSubstr(c.expect)) << c.what;
  }
  EXPECT_TRUE(store_->ListDeployments()->empty());
  auto ok = sue.PostJson("/api/deployments", ValidDeployment("Cardiff 5 Dec"));
  ASSERT_EQ(ok->status, 201) << ok->body;
  EXPECT_EQ(Body(ok)["status"], "planned");
  EXPECT_EQ(Body(ok)["start"], "2026-12-05T10:00:00.000Z");
  auto dup = sue.PostJson("/api/deployments", ValidDeployment("Cardiff 5 Dec"));
  EXPECT_EQ(dup->status, 409) << dup->body;
}

TEST_F(ServerTest, DeploymentLifecycleOverTheApi) {
  Client sue = Login("sue");
  auto created = sue.PostJson("/api/deployments", ValidDeployment("lifecycle"));
  ASSERT_EQ(created->status, 201);
  const int64_t id = Body(created)["id"];
  const std::string base = "/api/deployments/" + std::to_string(id);
  // Re-planned to run now (the test clock), so it can start by the rules once noticed.
  json edit = {{"location", "Queen Street, north end"},
               {"start", FormatUtcMs(lfr::testing::kT0 - kMsPerHour)},
               {"end", FormatUtcMs(lfr::testing::kT0 + 8 * kMsPerHour)}};
  auto put = sue.PutJson(base, edit);
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(Body(put)["location"], "Queen Street, north end");
  EXPECT_EQ(Body(put)["purpose"], "Locate people wanted for serious offences") << "kept";
  // Cameras: a bad URI is refused, a good one added.
  auto bad_cam = sue.PostJson(base + "/cameras", {{"name", "gate"}, {"uri", "gopher://x"}});
  EXPECT_EQ(bad_cam->status, 400);
  EXPECT_EQ(Error(bad_cam), "camera source not allowed or not reachable");
  auto cam = sue.PostJson(base + "/cameras", {{"name", "gate"}, {"uri", "rtsp://10.0.0.5/stream"}, {"position", "north"}});
  ASSERT_EQ(cam->status, 201) << cam->body;
  // Start needs a watchlist entry.
  auto early = sue.PostJson(base + "/start", json::object());
  EXPECT_EQ(early->status, 409) << early->body;
  EXPECT_TRUE(runner_.started.empty());
  ASSERT_TRUE(store_->AddWatchlistEntry(lfr::testing::Entry(id, "PNC-9", 9), kCli).ok());
  // Notice: generated from the deployment.
  auto notice = sue.PostJson(base + "/notice", json::object());
  ASSERT_EQ(notice->status, 200) << notice->body;
  EXPECT_THAT(Body(notice)["notice_text"].get<std::string>(), HasSubstr("Queen Street, north end"));
  auto start = sue.PostJson(base + "/start", json::object());
  ASSERT_EQ(start->status, 200) << start->body;
  EXPECT_EQ(Body(start)["status"], "active");
  EXPECT_EQ(runner_.started, std::vector<int64_t>{id});
  // Editing an active deployment is refused.
  EXPECT_EQ(sue.PutJson(base, edit)->status, 409);
  // Close needs the name as confirmation.
  auto unconfirmed = sue.PostJson(base + "/close", {{"confirm", "yes"}});
  EXPECT_EQ(unconfirmed->status, 400);
  EXPECT_THAT(Error(unconfirmed), HasSubstr("shreds"));
  EXPECT_EQ(store_->GetDeployment(id)->status, DeploymentStatus::kActive);
  auto closed = sue.PostJson(base + "/close", {{"confirm", "lifecycle"}});
  ASSERT_EQ(closed->status, 200) << closed->body;
  EXPECT_EQ(Body(closed)["entries_shredded"], 1);
  EXPECT_EQ(runner_.stopped, std::vector<int64_t>{id});
  EXPECT_EQ(sue.PostJson(base + "/close", {{"confirm", "lifecycle"}})->status, 409);
}

TEST_F(ServerTest, AlertsDecisionsAndFaceImagesAreNeverCached) {
  Seed s = SeedActive("alerts");
  Client olly = Login("olly");
  auto list = olly.Get("/api/alerts?deployment=" + std::to_string(s.deployment));
  ASSERT_EQ(list->status, 200);
  json alerts = Body(list)["alerts"];
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["state"], "pending");
  EXPECT_EQ(alerts[0]["entry"]["name"], "Person PNC-1");
  EXPECT_EQ(list->get_header_value("Cache-Control"), "no-store");
  for (const std::string& img : {"/api/alerts/" + std::to_string(s.alert) + "/crop",
                                 "/api/alerts/" + std::to_string(s.alert) + "/thumbnail",
                                 "/api/watchlist/" + std::to_string(s.entry) + "/image"}) {
    auto r = olly.Get(img);
    ASSERT_EQ(r->status, 200) << img;
    EXPECT_EQ(r->get_header_value("Content-Type"), "image/jpeg");
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store") << img;
  }
  EXPECT_EQ(olly.Get("/api/alerts?state=maybe")->status, 400);
  EXPECT_EQ(olly.Get("/api/alerts?limit=0")->status, 400);
  EXPECT_EQ(olly.Get("/api/alerts/abc")->status, 404) << "not a route";
  EXPECT_EQ(olly.Get("/api/alerts/424242")->status, 404);
  const std::string decide = "/api/alerts/" + std::to_string(s.alert) + "/decision";
  auto bad = olly.PostJson(decide, {{"state", "pending"}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(Error(bad), HasSubstr("not one of true, false, no_action"));
  EXPECT_EQ(olly.PostJson(decide, {{"state", "true"}, {"outcome", "detained"}})->status, 400);
  EXPECT_EQ(olly.PostJson(decide, {{"state", true}})->status, 400);
  EXPECT_EQ(store_->GetAlert(s.alert)->state, AlertState::kPending) << "bad decisions change nothing";
  auto ok = olly.PostJson(decide, {{"state", "true"}, {"outcome", "arrested"}, {"note", "stopped at gate"}});
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Body(ok)["state"], "true");
  EXPECT_EQ(Body(ok)["decided_by"], "olly");
  EXPECT_EQ(store_->GetAlert(s.alert)->outcome, AlertOutcome::kArrested);
  // An auditor reads alert metadata but no names and no images.
  Client aud = Login("aud");
  auto a = aud.Get("/api/alerts/" + std::to_string(s.alert));
  ASSERT_EQ(a->status, 200);
  EXPECT_FALSE(Body(a)["entry"].contains("name"));
  EXPECT_EQ(aud.Get("/api/alerts/" + std::to_string(s.alert) + "/crop")->status, 403);
}

TEST_F(ServerTest, OperatorsSeeOnlyActiveDeploymentsAlerts) {
  Seed s = SeedActive("closing");
  ASSERT_TRUE(store_->CloseDeployment(s.deployment, kCli).ok());
  Client olly = Login("olly");
  EXPECT_EQ(Body(olly.Get("/api/alerts"))["alerts"].size(), 0u);
  EXPECT_EQ(olly.Get("/api/alerts/" + std::to_string(s.alert))->status, 403);
  Client sue = Login("sue");
  EXPECT_EQ(Body(sue.Get("/api/alerts"))["alerts"].size(), 1u);
}

TEST_F(ServerTest, UploadsRejectNonImagesOversizeAndMissingFieldsAndStoreNothing) {
  // Enrolment with the real models (faces are needed for the success case).
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  // Its own model store (installed from the mirror), not whatever LFR_HOME holds.
  auto home = lfr::testing::HomeWithModels("uploads", {"yunet-2022mar", "mobilefacenet-arcface"});
  if (!home) LFR_MISSING_SHARED_("models yunet-2022mar and mobilefacenet-arcface");
  ModelStore models(&lfr::testing::TestCatalog(), *home / "models", ModelMirrorDir());
  ASSERT_TRUE(models.Locate("mobilefacenet-arcface").ok());
  StoreEnrolmentService enrolment(store_.get(), &models);
  ServerOptions o;
  o.port = 0;
  o.max_upload_bytes = 300 * 1024;
  o.recogniser_id = "mobilefacenet-arcface";
  StartServer(o, &enrolment);
  LFR_REQUIRE_DATA(still, "video/hamilton/watchlist_stills");
  std::string photo_path;
  for (const auto& f : fs::directory_iterator(still)) photo_path = f.path().string();
  std::ifstream in(photo_path, std::ios::binary);
  const std::string photo((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(photo.size(), 1000u);

  const int64_t dep = NewDeployment("uploads");
  Client sue = Login("sue");
  const std::string url = "/api/deployments/" + std::to_string(dep) + "/watchlist";
  auto form = [](const std::string& image, const std::string& filename, bool with_reason) {
    httplib::MultipartFormDataItems items = {{"image", image, filename, "image/jpeg"},
                                             {"reference", "PNC-77", "", ""},
                                             {"name", "Test Person", "", ""},
                                             {"category", "wanted: theft", "", ""},
                                             {"image_source", "custody 2024", "", ""}};
    if (with_reason) items.push_back({"reason", "warrant", "", ""});
    return items;
  };
  struct Case {
    std::string what;
    httplib::MultipartFormDataItems items;
    int status;
    std::string expect;
  };
  cv::Mat wall(480, 640, CV_8UC3, cv::Scalar(120, 130, 140));
  std::vector<uchar> wall_jpeg;
  cv::imencode(".jpg", wall, wall_jpeg);
  const std::vector<Case> cases = {
      {"text file", form("this is not a picture", "notes.jpg", true), 400, "not an image"},
      {"truncated JPEG", form(photo.substr(0, 200), "cut.jpg", true), 400, "photo"},
      {"empty file", form("", "empty.jpg", true), 400, "field 'image'"},
      {"missing reason", form(photo, "p.jpg", false), 400, "field 'reason' is required"},
      {"oversize", form(std::string(400 * 1024, 'x'), "big.jpg", true), 413, "too large"},
      {"no face", form(std::string(wall_jpeg.begin(), wall_jpeg.end()), "wall.jpg", true), 422, "no face"},
  };
  for (const Case& c : cases) {
    auto r = sue.http->Post(url.c_str(), sue.Headers(), c.items);
    ASSERT_TRUE(r) << c.what;
    EXPECT_EQ(r->status, c.status) << c.what << ": " << r->body;
    EXPECT_THAT(Error(r), HasSubstr(c.expect)) << c.what;
  }
  auto json_body = sue.PostJson(url, {{"reference", "x"}});
  EXPECT_EQ(json_body->status, 400);
  EXPECT_THAT(Error(json_body), HasSubstr("multipart/form-data"));
  EXPECT_TRUE(store_->ListWatchlist(dep, true)->empty()) << "nothing stored by a failed upload";

  auto ok = sue.http->Post(url.c_str(), sue.Headers(), form(photo, "still.jpg", true));
  ASSERT_EQ(ok->status, 201) << ok->body;
  EXPECT_EQ(Body(ok)["reference"], "PNC-77");
  EXPECT_GT(Body(ok)["quality"].get<double>(), 0.0);
  // The same photo under another reference: 409 until confirmed, then stored and flagged.
  auto items = form(photo, "still.jpg", true);
  items[1].content = "PNC-78";
  auto refused = sue.http->Post(url.c_str(), sue.Headers(), items);
  ASSERT_EQ(refused->status, 409) << refused->body;
  EXPECT_THAT(Error(refused), HasSubstr("(PNC-77) is already on this watchlist"));
  EXPECT_THAT(Error(refused), HasSubstr("send confirm_duplicate=true"));
  EXPECT_EQ(Body(refused)["duplicate_of"], Body(ok)["id"]);
  EXPECT_EQ(store_->ListWatchlist(dep, true)->size(), 1u);
  items.push_back({"confirm_duplicate", "true", "", ""});
  auto dup = sue.http->Post(url.c_str(), sue.Headers(), items);
  ASSERT_EQ(dup->status, 201) << dup->body;
  EXPECT_THAT(Body(dup)["warnings"].dump(), HasSubstr("confirmed duplicate"));
  EXPECT_EQ(Body(dup)["duplicate_of"], Body(ok)["id"]);
  // The same reference again: refused.
  EXPECT_EQ(sue.http->Post(url.c_str(), sue.Headers(), form(photo, "still.jpg", true))->status, 422);
  EXPECT_EQ(store_->ListWatchlist(dep, true)->size(), 2u);
}

TEST_F(ServerTest, UsersCanBeManagedByAdminsOnly) {
  Client admin = Login("admin");
  auto weak = admin.PostJson("/api/users", {{"name", "newbie"}, {"role", "operator"}, {"password", "short"}});
  EXPECT_EQ(weak->status, 400);
  EXPECT_THAT(Error(weak), HasSubstr("at least 12"));
  auto bad_role = admin.PostJson("/api/users", {{"name", "newbie"}, {"role", "chief"}, {"password", kPassword}});
  EXPECT_THAT(Error(bad_role), HasSubstr("not one of admin, supervisor, operator, auditor"));
  auto spaced = admin.PostJson("/api/users", {{"name", "new bie"}, {"role", "operator"}, {"password", kPassword}});
  EXPECT_EQ(spaced->status, 400);
  auto ok = admin.PostJson("/api/users", {{"name", "newbie"}, {"role", "operator"}, {"password", kPassword}});
  ASSERT_EQ(ok->status, 201) << ok->body;
  EXPECT_FALSE(Body(ok).contains("password_hash"));
  EXPECT_EQ(admin.PostJson("/api/users", {{"name", "newbie"}, {"role", "operator"}, {"password", kPassword}})->status, 409);
  Client newbie = Login("newbie");
  EXPECT_EQ(newbie.Get("/api/me")->status, 200);
  auto demote = admin.PatchJson("/api/users/newbie", {{"role", "auditor"}});
  ASSERT_EQ(demote->status, 200) << demote->body;
  EXPECT_EQ(newbie.Get("/api/me")->status, 401) << "a role change ends the user's sessions";
  EXPECT_EQ(admin.PatchJson("/api/users/admin", {{"disabled", true}})->status, 409);
  EXPECT_EQ(admin.PatchJson("/api/users/ghost", {{"disabled", true}})->status, 404);
  auto users = admin.Get("/api/users");
  EXPECT_THAT(users->body, Not(HasSubstr("argon2")));
}

TEST_F(ServerTest, PublicListingAndNoticeNeedNoLoginAndCarryNoPersonalData) {
  Seed s = SeedActive("public");
  ASSERT_TRUE(store_->PublishNotice(s.deployment, "notice text", kCli).ok());
  auto c = Raw();
  auto r = c->Get("/public/deployments.json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(r->body, HasSubstr("public"));
  EXPECT_THAT(r->body, Not(HasSubstr("PNC-1")));
  EXPECT_THAT(r->body, Not(HasSubstr("Person PNC-1")));
  EXPECT_THAT(r->body, Not(HasSubstr("rtsp://")));
  auto n = c->Get(("/public/deployments/" + std::to_string(s.deployment) + "/notice").c_str());
  ASSERT_EQ(n->status, 200);
  EXPECT_THAT(n->get_header_value("Content-Type"), HasSubstr("text/html"));
  const int64_t unpublished = NewDeployment("quiet");
  EXPECT_EQ(c->Get(("/public/deployments/" + std::to_string(unpublished) + "/notice").c_str())->status, 404);
  EXPECT_EQ(c->Get("/public/deployments/99999/notice")->status, 404);
}

TEST_F(ServerTest, ReportsComeInThreeFormatsAndAreAuditedAsExports) {
  Seed s = SeedActive("reporting");
  Client aud = Login("aud");
  const std::string base = "/api/deployments/" + std::to_string(s.deployment) + "/report";
  auto j = aud.Get(base + "?format=json");
  ASSERT_EQ(j->status, 200) << j->body;
  EXPECT_EQ(Body(j)["alerts"]["total"], 1);
  EXPECT_THAT(aud.Get(base + "?format=html")->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(aud.Get(base + "?format=csv")->get_header_value("Content-Type"), HasSubstr("text/csv"));
  auto bad = aud.Get(base + "?format=pdf");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(aud.Get("/api/deployments/9999/report")->status, 404);
  int exports = 0;
  auto audit = store_->ListAudit(0, 100000);  // held: a range-for over *temporary would dangle
  ASSERT_TRUE(audit.ok());
  for (const AuditEvent& e : *audit) exports += e.action == "report.export";
  EXPECT_EQ(exports, 3);
  const auto rows = *store_->ListAudit(0, 100000);
  for (const AuditEvent& e : rows) {
    if (e.action == "http.GET" && e.target == "/api/deployments/" + std::to_string(s.deployment) + "/report") {
      EXPECT_GT(json::parse(e.details)["status"].get<int>(), 0) << e.details;
    }
  }
}

TEST_F(ServerTest, ConsoleAndOpenApiAreServedAndSecurityHeadersSet) {
  auto c = Raw();
  auto index = c->Get("/");
  ASSERT_EQ(index->status, 200);
  EXPECT_THAT(index->body, HasSubstr("/console/app.js"));
  EXPECT_THAT(index->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'self'"));
  EXPECT_EQ(index->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(c->Get("/console/app.js")->status, 200);
  EXPECT_EQ(c->Get("/console/../../etc/passwd")->status, 404);
  EXPECT_EQ(c->Get("/console/nope.js")->status, 404);
  auto spec = c->Get("/api/openapi.json");
  ASSERT_EQ(spec->status, 200);
  EXPECT_EQ(json::parse(spec->body)["openapi"], "3.0.3");
}

TEST_F(ServerTest, MetricsArePrometheusTextWithEscapedLabels) {
  auto r = Raw()->Get("/metrics");
  ASSERT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("# TYPE lfr_frames_dropped_total counter"));
  EXPECT_THAT(r->body, HasSubstr("lfr_frames_dropped_total{deployment=\"1\",camera=\"gate \\\"a\\\"\"} 3"));
  EXPECT_THAT(r->body, HasSubstr("lfr_camera_up{deployment=\"1\",camera=\"gate \\\"a\\\"\"} 1"));
  EXPECT_THAT(r->body, HasSubstr("lfr_decision_latency_p95_ms{deployment=\"1\",camera=\"gate \\\"a\\\"\"} 42.5"));
}

TEST_F(ServerTest, EventStreamDeliversPublishedEventsToLoggedInReaders) {
  Client olly = Login("olly");
  std::string received;
  std::thread reader([&] {
    auto c = Raw();
    c->Get("/api/events", olly.Headers(false), [&](const char* data, size_t n) {
      received.append(data, n);
      return received.find("event: alert") == std::string::npos;  // stop after the alert
    });
  });
  // Publish until the reader has connected and seen it (the stream starts at the newest id).
  for (int i = 0; i < 200 && received.find("event: alert") == std::string::npos; ++i) {
    server_->events().Publish("alert", R"({"id":7,"camera":"gate"})");
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  reader.join();
  EXPECT_THAT(received, HasSubstr("event: alert\ndata: {\"id\":7,\"camera\":\"gate\"}\n\n"));
  EXPECT_EQ(Raw()->Get("/api/events")->status, 401);
}

TEST_F(ServerTest, ServesHttpsWithSecureCookiesWhenGivenACertificate) {
  const fs::path dir = lfr::testing::TempDir("tls");
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
                          key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl (Debian package openssl) is needed: " << cmd;
  ServerOptions o;
  o.port = 0;
  o.tls_cert = cert;
  o.tls_key = key;
  StartServer(o, nullptr);
  EXPECT_TRUE(server_->tls());
  httplib::SSLClient c("127.0.0.1", server_->port());
  c.enable_server_certificate_verification(false);  // self-signed for the test
  auto r = c.Post("/api/login", json({{"username", "sue"}, {"password", kPassword}}).dump(), "application/json");
  ASSERT_TRUE(r) << "no HTTPS response";
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Set-Cookie"), HasSubstr("; Secure"));
  // Plain HTTP to the HTTPS port gets nothing useful.
  auto plain = Raw()->Get("/api/openapi.json");
  EXPECT_TRUE(!plain || plain->status != 200);
  // A half configuration and unreadable files are refused up front.
  ServerOptions half = o;
  half.tls_key.clear();
  EXPECT_EQ(Server::Create({store_.get(), &clock_, nullptr, nullptr, nullptr}, half).status().code(),
            Status::Code::kInvalidArgument);
  ServerOptions garbage = o;
  std::ofstream(dir / "bad.pem") << "not a certificate";
  garbage.tls_cert = (dir / "bad.pem").string();
  auto bad = Server::Create({store_.get(), &clock_, nullptr, nullptr, nullptr}, garbage);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("could not be loaded"));
}

}  // namespace
}  // namespace lfr::server
