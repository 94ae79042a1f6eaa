#include "server/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "server/api.h"
#include "server/console_assets.h"

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

}  // namespace

struct Server::Impl {
  Api api;
};

Server::Server(const ServerDeps& deps, ServerOptions options)
    : store_(deps.store),
      clock_(deps.clock),
      runner_(deps.runner),
      enrolment_(deps.enrolment),
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
    auto ssl = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!ssl->is_valid()) {
      return Status::InvalidArgument("TLS certificate " + options.tls_cert + " or key " +
                                     options.tls_key + " could not be loaded (PEM expected)");
    }
    s->http_ = std::move(ssl);
  } else {
    s->http_ = std::make_unique<httplib::Server>();
  }
  // cpp-httplib's default sets SO_REUSEPORT, which would let a second server bind the same
  // port and silently share its connections: allow only SO_REUSEADDR (quick restarts).
  s->http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  const int workers = std::max(4, options.worker_threads);
  s->http_->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  s->http_->set_payload_max_length(options.max_upload_bytes);
  s->http_->set_read_timeout(30, 0);
  s->http_->set_write_timeout(30, 0);
  s->impl_ = std::make_unique<Impl>();
  s->impl_->api = Api{s->store_, s->clock_, s->runner_, s->enrolment_, s->events_, &s->sessions_,
                      &s->throttle_, &s->options_, s->http_.get()};
  s->RegisterRoutes();
  return s;
}

void Server::RegisterRoutes() {
  httplib::Server& http = *http_;
  http.set_default_headers({
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Content-Security-Policy",
       "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
  });
  // Nothing the API returns may be kept in a browser cache (face images above all).
  http.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/api/", 0) == 0 || req.path == "/metrics") {
      res.set_header("Cache-Control", "no-store");
    }
  });
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                                std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("HTTP {} {}: {}", req.method, req.path, what);
    SendError(res, 500, "internal error while handling " + req.method + " " + req.path);
  });
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler already explained itself
    if (res.status == 413) {
      SendError(res, 413, "request too large");
    } else if (res.status == 404) {
      SendError(res, 404, "no such resource: " + req.method + " " + req.path);
    } else {
      SendError(res, res.status, "request failed (" + std::to_string(res.status) + ")");
    }
  });

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
}

Status Server::Start() {
  const int port = options_.port == 0 ? http_->bind_to_any_port(options_.host)
                                      : (http_->bind_to_port(options_.host, options_.port)
                                             ? options_.port
                                             : -1);
  if (port < 0) {
    return Status::IOError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                           " (in use, or not an address of this machine)");
  }
  port_ = port;
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // stop() is a no-op until the listener runs: wait for it, so Stop() right after Start()
  // cannot leave a listener behind.
  for (int i = 0; i < 5000 && !http_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!http_->is_running()) return Status::Internal("the HTTP listener did not start");
  return Status::Ok();
}

void Server::Stop() {
  events_->Shutdown();
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

void Api::Route(const std::string& method, const std::string& pattern, Permission permission,
                ApiHandler handler) {
  auto wrapped = [this, method, permission, handler](const httplib::Request& req,
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
    // rows for what changed or was viewed).
    // A handler that only set content leaves the status to cpp-httplib (-1 here: 200).
    nlohmann::json details = {{"status", res.status == -1 ? 200 : res.status}};
    Status a = store->Audit(caller->actor, "http." + method, req.path, details.dump());
    if (!a.ok()) spdlog::error("audit append failed: {}", a.ToString());
  };
  if (method == "GET") {
    http->Get(pattern, wrapped);
  } else if (method == "POST") {
    http->Post(pattern, wrapped);
  } else if (method == "PUT") {
    http->Put(pattern, wrapped);
  } else if (method == "PATCH") {
    http->Patch(pattern, wrapped);
  } else if (method == "DELETE") {
    http->Delete(pattern, wrapped);
  }
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
    if (!origin.empty() && origin != "null" && OriginHost(origin) != req.get_header_value("Host")) {
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
