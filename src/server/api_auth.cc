// Login, logout, the current user, and user administration (admin role).
#include <spdlog/spdlog.h>

#include "server/api.h"

namespace lfr::server {
namespace {

std::string SessionCookie(const std::string& token, bool secure, bool clear) {
  std::string c = std::string(kSessionCookie) + "=" + (clear ? "" : token) +
                  "; Path=/; HttpOnly; SameSite=Strict";
  if (clear) c += "; Max-Age=0";
  if (secure) c += "; Secure";
  return c;
}

void AuditOrLog(Store* store, const Actor& who, const std::string& action, const std::string& target,
                const nlohmann::json& details) {
  Status s = store->Audit(who, action, target, details.dump());
  if (!s.ok()) spdlog::error("audit append failed: {}", s.ToString());
}

void Login(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  auto user = RequiredString(*body, "username", 100);
  if (!user.ok()) return SendStatus(res, user.status());
  auto password = RequiredString(*body, "password", 1024);
  if (!password.ok()) return SendStatus(res, password.status());
  const std::string& address = req.remote_addr;

  if (int64_t wait = api.throttle->RetryAfterMs(*user, address); wait > 0) {
    const int64_t seconds = (wait + 999) / 1000;
    res.set_header("Retry-After", std::to_string(seconds));
    AuditOrLog(api.store, Actor{*user}, "login.throttled", "user:" + *user, {{"address", address}});
    return SendError(res, 429, "too many failed logins: try again in " + std::to_string(seconds) + " s");
  }
  // The same work whether or not the name exists (or is disabled): one Argon2id
  // verification, against a dummy hash for an unknown name, so timing tells nothing.
  auto u = api.store->GetUser(*user);
  const bool password_ok = VerifyPassword(u.ok() ? u->password_hash : DummyPasswordHash(), *password);
  const bool ok = u.ok() && !u->disabled && password_ok;
  if (!ok) {
    api.throttle->RecordFailure(*user, address);
    AuditOrLog(api.store, Actor{*user}, "login.failed", "user:" + *user, {{"address", address}});
    return SendError(res, 401, "wrong user name or password (or the account is disabled)");
  }
  api.throttle->RecordSuccess(*user, address);
  Session s = api.sessions->Create(u->name, u->role);
  AuditOrLog(api.store, Actor{u->name}, "login", "user:" + u->name, {{"address", address}});
  res.set_header("Set-Cookie", SessionCookie(s.token, !api.options->tls_cert.empty(), false));
  SendJson(res, 200, {{"user", u->name}, {"role", RoleName(u->role)}, {"csrf_token", s.csrf}});
}

// The "role" field; nullopt when absent and not required.
Result<std::optional<Role>> RoleField(const nlohmann::json& body, bool required) {
  auto r = OptionalString(body, "role", 20);
  if (!r.ok()) return r.status();
  if (!r->has_value()) {
    if (required) return Status::InvalidArgument("field 'role' is required");
    return std::optional<Role>();
  }
  Role role;
  if (!ParseRole(**r, &role)) {
    return Status::InvalidArgument("field 'role': '" + **r +
                                   "' is not one of admin, supervisor, operator, auditor, investigator");
  }
  return std::optional<Role>(role);
}

}  // namespace

void RegisterAuthRoutes(Api& api) {
  DummyPasswordHash();  // made now, so the first unknown-user login is not slower
  api.http->Post("/api/login", [&api](const httplib::Request& req, httplib::Response& res) {
    Login(api, req, res);
  });
  api.http->Post("/api/logout", [&api](const httplib::Request& req, httplib::Response& res) {
    auto caller = api.Authenticate(req, res, /*state_changing=*/true);
    if (!caller) return;
    api.sessions->Revoke(caller->session.token);
    AuditOrLog(api.store, caller->actor, "logout", "user:" + caller->actor.name, nlohmann::json::object());
    res.set_header("Set-Cookie", SessionCookie("", !api.options->tls_cert.empty(), true));
    SendJson(res, 200, {{"logged_out", true}});
  });
  api.http->Get("/api/me", [&api](const httplib::Request& req, httplib::Response& res) {
    auto caller = api.Authenticate(req, res, false);
    if (!caller) return;
    nlohmann::json perms = nlohmann::json::array();
    for (Permission p : kAllPermissions) {
      if (caller->can(p)) perms.push_back(PermissionName(p));
    }
    SendJson(res, 200, {{"user", caller->actor.name},
                        {"role", RoleName(caller->session.role)},
                        {"csrf_token", caller->session.csrf},
                        {"permissions", perms}});
  });

  api.Route("GET", "/api/users", Permission::kManageUsers,
            [&api](const httplib::Request&, httplib::Response& res, const Caller&) {
              auto users = api.store->ListUsers();
              if (!users.ok()) return SendStatus(res, users.status());
              nlohmann::json out = nlohmann::json::array();
              for (const User& u : *users) out.push_back(UserJson(u));
              SendJson(res, 200, {{"users", out}});
            });
  api.Route("POST", "/api/users", Permission::kManageUsers,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              auto body = JsonBody(req);
              if (!body.ok()) return SendStatus(res, body.status());
              auto name = RequiredString(*body, "name", 100);
              if (!name.ok()) return SendStatus(res, name.status());
              if (name->find_first_of(" \t\r\n/:") != std::string::npos) {
                return SendError(res, 400, "field 'name': no spaces, slashes or colons");
              }
              auto role = RoleField(*body, true);
              if (!role.ok()) return SendStatus(res, role.status());
              auto password = RequiredString(*body, "password", 1024);
              if (!password.ok()) return SendStatus(res, password.status());
              if (Status p = CheckPasswordPolicy(*password); !p.ok()) return SendStatus(res, p);
              auto hash = HashPassword(*password);
              if (!hash.ok()) return SendStatus(res, hash.status());
              auto u = api.store->CreateUser(*name, **role, *hash, caller.actor);
              if (!u.ok()) return SendStatus(res, u.status());
              SendJson(res, 201, UserJson(*u));
            });
  api.Route("PATCH", R"(/api/users/([^/]+))", Permission::kManageUsers,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              auto body = JsonBody(req);
              if (!body.ok()) return SendStatus(res, body.status());
              auto u = api.store->GetUser(req.matches[1]);
              if (!u.ok()) return SendStatus(res, u.status());
              User user = *u;
              auto role = RoleField(*body, false);
              if (!role.ok()) return SendStatus(res, role.status());
              if (role->has_value()) user.role = **role;
              auto disabled = OptionalBool(*body, "disabled");
              if (!disabled.ok()) return SendStatus(res, disabled.status());
              if (disabled->has_value()) user.disabled = **disabled;
              auto password = OptionalString(*body, "password", 1024);
              if (!password.ok()) return SendStatus(res, password.status());
              if (password->has_value()) {
                if (Status p = CheckPasswordPolicy(**password); !p.ok()) return SendStatus(res, p);
                auto hash = HashPassword(**password);
                if (!hash.ok()) return SendStatus(res, hash.status());
                user.password_hash = *hash;
              }
              if (user.name == caller.actor.name && (user.disabled || user.role != Role::kAdmin)) {
                return SendError(res, 409, "you cannot disable yourself or give up your own admin role");
              }
              if (Status s = api.store->UpdateUser(user, caller.actor); !s.ok()) return SendStatus(res, s);
              api.sessions->RevokeUser(user.name);  // the change applies from the next login
              SendJson(res, 200, UserJson(user));
            });
}

}  // namespace lfr::server
