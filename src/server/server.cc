#include "server/server.h"

#include <httplib.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>

#include "server/api.h"
#include "server/console_assets.h"
#include "server/router.h"
#include "server/transport.h"

namespace lfr::server {
namespace {

const char* ContentTypeFor(const std::string& name) {
  auto ends = [&](const char* ext) {
    const std::string e(ext);
    return name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

const ConsoleAsset* FindAsset(const std::string& name) {
  for (const ConsoleAsset* a = kConsoleAssets; a->name != nullptr; ++a) {
    if (name == a->name) return a;
  }
  return nullptr;
}

bool StateChanging(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// The host part of an Origin header value ("https://host:port" -> "host:port").
std::string OriginHost(const std::string& origin) {
  const size_t p = origin.find("://");
  return p == std::string::npos ? origin : origin.substr(p + 3);
}

// Routine reads a console polls (lists, live status): recorded in the access log only, so
// the hash-chained audit trail keeps what an auditor needs — every change, every view of
// personal data (watchlists, images, an alert's details, reports, the audit log), every
// login and every refusal.
bool RoutineRead(const std::string& method, const std::string& pattern) {
  static const std::set<std::string> kRoutine = {
      "/api/alerts", "/api/live", "/api/deployments", R"(/api/deployments/(\d+))",
      R"(/api/deployments/(\d+)/cameras)", "/api/audit/verify"};
  return method == "GET" && kRoutine.count(pattern) > 0;
}

}  // namespace

struct Server::Impl {
  Api api;
  AddressList metrics_allow;
};

Server::Server(const ServerDeps& deps, ServerOptions options)
    : store_(deps.store),
      clock_(deps.clock),
      runner_(deps.runner),
      enrolment_(deps.enrolment),
      retrospective_(deps.retrospective),
      video_searches_(deps.video_searches),
      nodes_(deps.nodes),
      models_(deps.models),
      options_(std::move(options)),
      events_(deps.events != nullptr ? deps.events : &own_events_),
      sessions_(deps.clock),
      throttle_(deps.clock) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Create(const ServerDeps& deps, const ServerOptions& options) {
  if (deps.store == nullptr || deps.clock == nullptr) {
    return Status::InvalidArgument("server needs a store and a clock");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return Status::InvalidArgument("TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
  }
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidArgument("port " + std::to_string(options.port) + " is out of range");
  }
  std::unique_ptr<Server> s(new Server(deps, options));
  if (!options.tls_cert.empty()) {
    for (const auto& f : {options.tls_cert, options.tls_key}) {
      if (!std::filesystem::exists(f)) return Status::InvalidArgument("TLS file " + f + " does not exist");
    }
  }
  s->impl_ = std::make_unique<Impl>();
  std::vector<std::string> allow = options.metrics_allow;
  if (allow.empty() && options.metrics_token.empty()) allow = {"127.0.0.0/8", "::1"};
  if (allow.empty()) allow = {"0.0.0.0/0", "::/0"};
  auto networks = AddressList::Parse(allow);
  if (!networks.ok()) return Status::InvalidArgument("metrics allow-list: " + networks.status().message());
  s->impl_->metrics_allow = *networks;
  s->router_ = std::make_unique<Router>();
  s->impl_->api = Api{s->store_, s->clock_, s->runner_, s->enrolment_, s->events_, &s->sessions_,
                      &s->throttle_, &s->options_, s->router_.get(), s->retrospective_,
                      s->video_searches_, s->models_, s->nodes_};
  s->RegisterRoutes();
  Server* self = s.get();
  HttpTransport::Hooks hooks;
  hooks.session_user = [self](const httplib::Request& req) {
    auto session = self->sessions_.Lookup(CookieValue(req, kSessionCookie));
    return session ? session->user : std::string();
  };
  hooks.finalize = [](const httplib::Request& req, httplib::Response& res) {
    if (res.status == -1) res.status = 200;
    if (res.status >= 400 && res.body.empty()) {
      if (res.status == 404) {
        SendError(res, 404, "no such resource: " + req.method + " " + req.path);
      } else {
        SendError(res, res.status, "request failed (" + std::to_string(res.status) + ")");
      }
    }
    static const std::pair<const char*, const char*> kSecurityHeaders[] = {
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Content-Security-Policy",
         "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; "
         "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
    };
    for (const auto& [k, v] : kSecurityHeaders) {
      if (!res.has_header(k)) res.set_header(k, v);
    }
    // Nothing the API returns may be kept in a browser cache (face images above all).
    if ((req.path.rfind("/api/", 0) == 0 || req.path == "/metrics") && !res.has_header("Cache-Control")) {
      res.set_header("Cache-Control", "no-store");
    }
  };
  auto transport = HttpTransport::Create(s->options_, s->router_.get(), s->events_, std::move(hooks));
  if (!transport.ok()) return transport.status();
  s->transport_ = std::move(transport).value();
  return s;
}

void Server::RegisterRoutes() {
  Router& http = *router_;
  // The console.
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    const ConsoleAsset* a = FindAsset("index.html");
    res.set_content(a ? a->content : "console missing from this build", ContentTypeFor("index.html"));
  });
  http.Get(R"(/console/([A-Za-z0-9_.-]+))", [](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const ConsoleAsset* a = FindAsset(name);
    if (a == nullptr || name == "openapi.json") {
      SendError(res, 404, "no such console file: " + name);
      return;
    }
    res.set_content(a->content, ContentTypeFor(name));
  });
  http.Get("/api/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    const ConsoleAsset* a = FindAsset("openapi.json");
    res.set_content(a ? a->content : "{}", "application/json");
  });

  Api& api = impl_->api;
  RegisterAuthRoutes(api);
  RegisterDeploymentRoutes(api);
  RegisterAlertRoutes(api);
  RegisterPublicRoutes(api);
  RegisterSystemRoutes(api);
  RegisterRetrospectiveRoutes(api);
  RegisterVideoSearchRoutes(api);
  RegisterFootageRoutes(api);
  RegisterNodeRoutes(api);
  RegisterTransportRoutes();
}

void Server::RegisterTransportRoutes() {
  Api& api = impl_->api;
  // The live event stream, served by the transport's I/O thread (no worker per stream).
  router_->Stream(
      "/api/events",
      [&api](const httplib::Request& req, httplib::Response& res, std::string* session) {
        auto caller = api.Authenticate(req, res, /*state_changing=*/false);
        if (!caller) return false;
        if (!caller->can(Permission::kReadAlerts)) {
          SendError(res, 403, std::string("your role (") + RoleName(caller->session.role) + ") may not " +
                                  PermissionName(Permission::kReadAlerts));
          return false;
        }
        *session = caller->session.token;
        return true;
      },
      [&api](const httplib::Request& req, const httplib::Response& res) {
        auto session = api.sessions->Lookup(CookieValue(req, kSessionCookie));
        nlohmann::json details = {{"status", res.status}, {"address", req.remote_addr}};
        Status a = api.store->Audit(Actor{session ? session->user : "anonymous"}, "http.denied",
                                    req.method + " " + req.path, details.dump());
        if (!a.ok()) spdlog::error("audit append failed: {}", a.ToString());
      });
  // /metrics: counts and latencies only, but still not for anyone on the network.
  router_->Guard("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!impl_->metrics_allow.Contains(req.remote_addr)) {
      SendError(res, 403, "/metrics is not open to " + req.remote_addr +
                              " (lfr serve --metrics-allow lists who may read it)");
      return Router::Gate::kAnswerNow;
    }
    const std::string& token = options_.metrics_token;
    if (!token.empty()) {
      const std::string presented = req.get_header_value("Authorization");
      const std::string expected = "Bearer " + token;
      if (presented.size() != expected.size() ||
          sodium_memcmp(presented.data(), expected.data(), expected.size()) != 0) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"metrics\"");
        SendError(res, 401, "/metrics needs the header 'Authorization: Bearer <metrics token>'");
        return Router::Gate::kAnswerNow;
      }
    }
    return Router::Gate::kPass;
  });
}

Status Server::Start() {
  if (Status st = transport_->Start(); !st.ok()) return st;
  port_ = transport_->port();
  return Status::Ok();
}

void Server::Stop() {
  events_->Shutdown();
  if (transport_) transport_->Stop();
}

size_t Server::open_streams() const { return transport_ ? transport_->open_streams() : 0; }

void Api::Route(const std::string& method, const std::string& pattern, Permission permission,
                ApiHandler handler) {
  const bool routine = RoutineRead(method, pattern);
  auto wrapped = [this, method, permission, handler, routine](const httplib::Request& req,
                                                     httplib::Response& res) {
    auto caller = Authenticate(req, res, StateChanging(method));
    if (!caller) {
      nlohmann::json details = {{"status", res.status}, {"address", req.remote_addr}};
      Status a = store->Audit(Actor{"anonymous"}, "http.denied", method + " " + req.path, details.dump());
      if (!a.ok()) spdlog::error("audit append failed: {}", a.ToString());
      return;
    }
    if (!caller->can(permission)) {
      SendError(res, 403, std::string("your role (") + RoleName(caller->session.role) +
                              ") may not " + PermissionName(permission));
    } else {
      handler(req, res, *caller);
    }
    // Every authenticated request is audited with its outcome (the store adds the semantic
    // rows for what changed or was viewed) — except routine polling that succeeded, which
    // the access log records.
    // A handler that only set content leaves the status unset (-1 here: 200).
    const int status = res.status == -1 ? 200 : res.status;
    if (routine && status != 401 && status != 403) return;
    nlohmann::json details = {{"status", status}};
    Status a = store->Audit(caller->actor, "http." + method, req.path, details.dump());
    if (!a.ok()) spdlog::error("audit append failed: {}", a.ToString());
  };
  // The session, CSRF token and Origin are checked from the header before the body is read;
  // a refused request runs the wrapper without its body, which answers and audits the refusal.
  const bool state_changing = StateChanging(method);
  http->Add(method, pattern, wrapped, [this, state_changing](const httplib::Request& req, httplib::Response&) {
    httplib::Response scratch;
    return Authenticate(req, scratch, state_changing) ? Router::Gate::kPass
                                                      : Router::Gate::kHandleWithoutBody;
  });
}

std::optional<Caller> Api::Authenticate(const httplib::Request& req, httplib::Response& res,
                                        bool state_changing) {
  auto session = sessions->Lookup(CookieValue(req, kSessionCookie));
  if (!session) {
    SendError(res, 401, "not logged in (or the session expired): log in again");
    return std::nullopt;
  }
  if (state_changing) {
    if (!CsrfMatches(*session, req.get_header_value("X-CSRF-Token"))) {
      SendError(res, 403, "missing or wrong X-CSRF-Token header (reload the console)");
      return std::nullopt;
    }
    const std::string origin = req.get_header_value("Origin");
    if (origin == "null") {
      // An opaque origin (sandboxed frame, file:, data: or a redirect chain): never ours.
      SendError(res, 403, "request from an opaque origin (Origin: null) refused");
      return std::nullopt;
    }
    if (!origin.empty() && OriginHost(origin) != req.get_header_value("Host")) {
      SendError(res, 403, "cross-origin request refused (Origin " + origin + ")");
      return std::nullopt;
    }
  }
  return Caller{*session, Actor{session->user}};
}

void SendFaceImage(httplib::Response& res, const std::string& bytes) {
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_content(bytes, "image/jpeg");
}

}  // namespace lfr::server
