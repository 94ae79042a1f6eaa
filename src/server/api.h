// Internal to server/: the pieces the route files share — who is calling, how a route is
// declared with its permission, and JSON forms of the store's records.
#ifndef LFR_SERVER_API_H_
#define LFR_SERVER_API_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/auth.h"
#include "server/events.h"
#include "server/http.h"
#include "server/router.h"
#include "server/server.h"
#include "store/record_json.h"
#include "models/store.h"
#include "store/store.h"

namespace lfr::server {

inline constexpr const char* kSessionCookie = "lfr_session";

struct Caller {
  Session session;
  Actor actor;
  bool can(Permission p) const { return Allows(session.role, p); }
};

using ApiHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const Caller&)>;

// Everything a route handler may use. Pointers are owned by the Server (or outlive it).
struct Api {
  Store* store;
  Clock* clock;
  LiveRunner* runner;            // may be null
  EnrolmentService* enrolment;   // may be null
  EventBus* events;
  SessionManager* sessions;
  LoginThrottle* throttle;
  const ServerOptions* options;
  Router* http;                  // where routes are declared (cpp-httplib-shaped)
  RetrospectiveService* retrospective = nullptr;  // may be null (503)
  VideoSearchJobs* video_searches = nullptr;      // may be null (503)
  const ModelStore* models = nullptr;              // may be null (footage export: 503)
  fleet::NodeRegistry* nodes = nullptr;            // may be null (no bus: nodes without state)

  // Declares an authenticated route: the session cookie must be valid (else 401), the role
  // must have `permission` (else 403), state-changing methods must carry the session's CSRF
  // token (else 403) — checked from the header, before the body is read — and the request
  // is audited after the handler ran, except routine polling (server.cc's list), which
  // only the access log records.
  void Route(const std::string& method, const std::string& pattern, Permission permission,
             ApiHandler handler);
  // The caller of a request, or nullopt (and the error response written).
  std::optional<Caller> Authenticate(const httplib::Request& req, httplib::Response& res,
                                     bool state_changing);
};

void RegisterAuthRoutes(Api& api);
void RegisterDeploymentRoutes(Api& api);
void RegisterAlertRoutes(Api& api);
void RegisterPublicRoutes(Api& api);
void RegisterSystemRoutes(Api& api);  // GET /api/system (api_system.cc)
void RegisterRetrospectiveRoutes(Api& api);  // galleries and searches (api_retrospective.cc)
void RegisterVideoSearchRoutes(Api& api);    // searches of recorded footage (api_video_search.cc)
void RegisterFootageRoutes(Api& api);
void RegisterNodeRoutes(Api& api);     // the fleet's edge nodes (api_nodes.cc)  // recorded footage: timeline, playback, export (api_footage.cc)

// Whether a model catalogue licence ("research-only", "CC-BY-NC-4.0", …) forbids
// operational (commercial) use.
bool ResearchOnlyLicence(const std::string& licence);

// Prometheus text exposition of the cameras' counters and latencies.
std::string PrometheusText(const std::vector<LiveRunner::CameraLive>& cameras);

// JSON forms of store records: store/record_json.h. Live camera figures:
nlohmann::json CameraLiveJson(const LiveRunner::CameraLive& c);

// Parses the JSON form of a DeploymentSpec (name, site, location, start, end as ISO 8601
// UTC, purpose, legal_basis, authorising_officer, threshold, watchlist_cap, contact).
// base supplies values for absent optional fields.
Result<DeploymentSpec> ParseDeploymentSpec(const nlohmann::json& body, const DeploymentSpec& base);

// The filters of GET /api/audit (after, limit 1..5000, actor, action with an optional
// trailing '*', deployment, from/to as ISO 8601 UTC, order asc|desc); InvalidArgument naming
// the bad parameter. Empty parameters are no filter.
Result<AuditQuery> ParseAuditQuery(const httplib::Request& req);

// Sends bytes of a face image: image/jpeg, never cached by the browser.
void SendFaceImage(httplib::Response& res, const std::string& bytes);

}  // namespace lfr::server

#endif  // LFR_SERVER_API_H_
