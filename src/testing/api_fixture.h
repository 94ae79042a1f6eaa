// Test helpers for API tests over real HTTP: a server on a free loopback port over a fresh
// SQLite store (StoreFixture: manual clock at kT0), the five role accounts (admin, sue the
// supervisor, olly the operator, aud the auditor, ivy the investigator; password kApiPassword), a fake camera
// runner, and a logged-in client that sends the session cookie and CSRF token.
// Also a raw request from another loopback source address (127.0.0.N), for tests that
// need two client addresses (login throttling).
#ifndef LFR_TESTING_API_FIXTURE_H_
#define LFR_TESTING_API_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/server.h"
#include "testing/store_fixture.h"

namespace lfr::testing {

inline constexpr const char* kApiPassword = "a long test password";

// Records which deployments the server asked to start and stop; no cameras.
class RecordingRunner : public server::LiveRunner {
 public:
  Status StartDeployment(int64_t id) override {
    started.push_back(id);
    return Status::Ok();
  }
  void StopDeployment(int64_t id) override { stopped.push_back(id); }
  std::vector<CameraLive> Cameras() override { return {}; }
  std::vector<int64_t> started, stopped;
};

// A logged-in client.
struct ApiClient {
  std::unique_ptr<httplib::Client> http;
  std::string cookie, csrf;
  httplib::Headers Headers(bool with_csrf = true) const;
  httplib::Result Get(const std::string& path) const;
  httplib::Result PostJson(const std::string& path, const nlohmann::json& body) const;
  httplib::Result PutJson(const std::string& path, const nlohmann::json& body) const;
  httplib::Result Delete(const std::string& path) const;
};

// The response body as JSON (discarded if not JSON), and its "error" (else the body).
nlohmann::json BodyJson(const httplib::Result& r);
std::string ErrorOf(const httplib::Result& r);

// A minimal HTTP/1.1 exchange from a chosen loopback source address (e.g. "127.0.0.2")
// to 127.0.0.1:port. Returns the status code (0 on a transport error); *body gets the
// response body.
int RawPostFrom(const std::string& source_ip, int port, const std::string& path, const std::string& json_body,
                std::string* body = nullptr);

class ApiFixture : public StoreFixture {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::unique_ptr<httplib::Client> Raw() const;
  ApiClient Login(const std::string& user);
  // Called by SetUp once the store is open, before the server is made (set the services
  // above here when they need the store).
  virtual void BeforeServer() {}
  // Another account with password kApiPassword.
  void AddUser(const std::string& name, Role role);

  RecordingRunner runner_;
  // The server's enrolment (photo uploads): none unless a test sets it before SetUp().
  server::EnrolmentService* enrolment_service_ = nullptr;
  // The server's ServerOptions::cohort_home (background cohorts): none unless set before SetUp().
  std::string cohort_home_;
  // The server's searches and gallery imports: none unless a test sets it before SetUp().
  server::RetrospectiveService* retrospective_service_ = nullptr;
  // The server's searches of recorded footage: none unless a test sets it in BeforeServer().
  VideoSearchJobs* video_searches_ = nullptr;
  fleet::NodeRegistry* nodes_ = nullptr;  // set in BeforeServer() to serve the fleet's node state
  // The server's models (footage export): none unless a test sets them before SetUp().
  const ModelStore* models_for_server_ = nullptr;
  std::unique_ptr<server::Server> server_;
};

}  // namespace lfr::testing

#endif  // LFR_TESTING_API_FIXTURE_H_
