// GET /api/audit: the audit log for auditors, filtered by actor, action, deployment and time.
#include <cctype>
#include <cstring>

#include "server/api.h"
#include "util/clock.h"

namespace lfr::server {
namespace {

// A query parameter that must be short printable text without control characters.
Result<std::optional<std::string>> TextParam(const httplib::Request& req, const char* name, size_t max,
                                             const char* allowed_extra) {
  if (!req.has_param(name)) return std::optional<std::string>();
  const std::string v = req.get_param_value(name);
  if (v.empty()) return std::optional<std::string>();  // an empty filter box: no filter
  if (v.size() > max) {
    return Status::InvalidArgument(std::string("query parameter '") + name + "' is longer than " +
                                   std::to_string(max) + " characters");
  }
  for (unsigned char c : v) {
    const bool ok = std::isalnum(c) || c >= 0x80 || std::strchr(allowed_extra, c) != nullptr;
    if (!ok || c == '\0') {
      return Status::InvalidArgument(std::string("query parameter '") + name +
                                     "' may hold letters, digits and " + allowed_extra);
    }
  }
  return std::optional<std::string>(v);
}

Result<std::optional<int64_t>> TimeParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return std::optional<int64_t>();
  const std::string v = req.get_param_value(name);
  int64_t ms = 0;
  if (v.size() > 40 || !ParseUtcMs(v, &ms)) {
    return Status::InvalidArgument(std::string("query parameter '") + name + "': '" + v.substr(0, 40) +
                                   "' is not a UTC time like 2026-12-05T10:00:00Z");
  }
  return std::optional<int64_t>(ms);
}

}  // namespace

Result<AuditQuery> ParseAuditQuery(const httplib::Request& req) {
  AuditQuery q;
  q.limit = 200;
  if (req.has_param("after")) {
    auto a = ParseId(req.get_param_value("after"), "query parameter 'after'");
    if (!a.ok() || *a < 0) return Status::InvalidArgument("query parameter 'after' must be a sequence number >= 0");
    q.after_seq = *a;
  }
  if (req.has_param("limit")) {
    auto l = ParseId(req.get_param_value("limit"), "query parameter 'limit'");
    if (!l.ok() || *l < 1 || *l > 5000) {
      return Status::InvalidArgument("query parameter 'limit' must be a number from 1 to 5000");
    }
    q.limit = static_cast<int>(*l);
  }
  auto actor = TextParam(req, "actor", 100, " ._:@-");
  if (!actor.ok()) return actor.status();
  q.actor = *actor;
  auto action = TextParam(req, "action", 100, "._-*");
  if (!action.ok()) return action.status();
  if (*action && (*action)->find('*') != std::string::npos && (*action)->find('*') != (*action)->size() - 1) {
    return Status::InvalidArgument("query parameter 'action': '*' may only end a prefix, as in 'deployment.*'");
  }
  q.action = *action;
  if (req.has_param("deployment") && !req.get_param_value("deployment").empty()) {
    auto d = ParseId(req.get_param_value("deployment"), "query parameter 'deployment'");
    if (!d.ok() || *d < 1) return Status::InvalidArgument("query parameter 'deployment' must be a deployment id");
    q.deployment_id = *d;
  }
  auto from = TimeParam(req, "from");
  if (!from.ok()) return from.status();
  q.from_ms = *from;
  auto to = TimeParam(req, "to");
  if (!to.ok()) return to.status();
  q.to_ms = *to;
  if (q.from_ms && q.to_ms && *q.to_ms <= *q.from_ms) {
    return Status::InvalidArgument("query parameter 'to' must be after 'from'");
  }
  if (req.has_param("order")) {
    const std::string o = req.get_param_value("order");
    if (o != "asc" && o != "desc") {
      return Status::InvalidArgument("query parameter 'order' must be asc (oldest first) or desc (newest first)");
    }
    q.newest_first = o == "desc";
  }
  return q;
}

}  // namespace lfr::server
