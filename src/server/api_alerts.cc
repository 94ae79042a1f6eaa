// Alerts (operators adjudicate, supervisors and auditors read), the live event stream and
// the audit log (auditors).
#include <spdlog/spdlog.h>

#include "server/api.h"

namespace lfr::server {
namespace {

// Operators work on active deployments only; other roles may read every deployment's alerts.
bool MaySeeDeployment(Api& api, const Caller& caller, int64_t deployment_id) {
  if (caller.session.role != Role::kOperator) return true;
  auto d = api.store->GetDeployment(deployment_id);
  return d.ok() && d->status == DeploymentStatus::kActive;
}

nlohmann::json AlertDetail(Api& api, const AlertRecord& a, const Caller& caller) {
  nlohmann::json j = AlertJson(a);
  if (a.entry_id) {
    if (auto e = api.store->GetWatchlistEntry(*a.entry_id); e.ok()) {
      j["entry"] = EntryJson(*e, caller.can(Permission::kViewFaceImages));
    }
  }
  return j;
}

std::optional<AlertRecord> LoadAlert(Api& api, const httplib::Request& req, httplib::Response& res,
                                     const Caller& caller) {
  auto id = ParseId(req.matches[1], "alert id");
  if (!id.ok()) {
    SendStatus(res, id.status());
    return std::nullopt;
  }
  auto a = api.store->GetAlert(*id);
  if (!a.ok()) {
    SendStatus(res, a.status());
    return std::nullopt;
  }
  if (!MaySeeDeployment(api, caller, a->deployment_id)) {
    SendError(res, 403, "operators may only see alerts of active deployments");
    return std::nullopt;
  }
  return *a;
}

void ListAlerts(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  AlertQuery q;
  if (req.has_param("deployment")) {
    auto id = ParseId(req.get_param_value("deployment"), "query parameter 'deployment'");
    if (!id.ok()) return SendStatus(res, id.status());
    q.deployment_id = *id;
  }
  if (req.has_param("state")) {
    AlertState s;
    if (!ParseAlertState(req.get_param_value("state"), &s)) {
      return SendError(res, 400, "query parameter 'state': '" + req.get_param_value("state") +
                                     "' is not one of pending, true, false, no_action");
    }
    q.state = s;
  }
  if (req.has_param("after")) {
    auto after = ParseId(req.get_param_value("after"), "query parameter 'after'");
    if (!after.ok()) return SendStatus(res, after.status());
    q.after_id = *after;
  }
  if (req.has_param("limit")) {
    auto limit = ParseId(req.get_param_value("limit"), "query parameter 'limit'");
    if (!limit.ok() || *limit < 1 || *limit > 1000) {
      return SendError(res, 400, "query parameter 'limit' must be a number from 1 to 1000");
    }
    q.limit = static_cast<int>(*limit);
  }
  auto alerts = api.store->ListAlerts(q);
  if (!alerts.ok()) return SendStatus(res, alerts.status());
  nlohmann::json out = nlohmann::json::array();
  for (const AlertRecord& a : *alerts) {
    if (MaySeeDeployment(api, caller, a.deployment_id)) out.push_back(AlertDetail(api, a, caller));
  }
  SendJson(res, 200, {{"alerts", out}});
}

// The decision in a request body: state, outcome (default none) and note. Contradictory
// pairs are refused here with the store's reason (ValidateAlertDecision).
Result<AlertDecision> ParseDecision(const nlohmann::json& body) {
  auto state_text = RequiredString(body, "state", 20);
  if (!state_text.ok()) return state_text.status();
  AlertDecision d;
  if (!ParseAlertState(*state_text, &d.state) || d.state == AlertState::kPending) {
    return Status::InvalidArgument("field 'state': '" + *state_text + "' is not one of true, false, no_action");
  }
  auto outcome = OptionalString(body, "outcome", 20);
  if (!outcome.ok()) return outcome.status();
  if (outcome->has_value() && !ParseAlertOutcome(**outcome, &d.outcome)) {
    return Status::InvalidArgument("field 'outcome': '" + **outcome + "' is not one of none, engaged, arrested, nfa");
  }
  auto note = OptionalString(body, "note", text_limits::kNote, TextKind::kMultiLine);
  if (!note.ok()) return note.status();
  d.note = note->value_or("");
  LFR_RETURN_IF_ERROR(ValidateAlertDecision(d));
  return d;
}

void PublishDecided(Api& api, const AlertRecord& a, const Caller& caller, bool correction) {
  api.events->Publish("alert.decided", nlohmann::json({{"id", a.id},
                                                       {"deployment_id", a.deployment_id},
                                                       {"state", AlertStateName(a.state)},
                                                       {"outcome", AlertOutcomeName(a.outcome)},
                                                       {"correction", correction},
                                                       {"by", caller.actor.name}})
                                           .dump());
}

void Decide(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto a = LoadAlert(api, req, res, caller);
  if (!a) return;
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  auto d = ParseDecision(*body);
  if (!d.ok()) return SendStatus(res, d.status());
  // A decided alert answers 409 (FailedPrecondition) naming the decision on record.
  auto decided = api.store->DecideAlert(a->id, *d, caller.actor);
  if (!decided.ok()) return SendStatus(res, decided.status());
  PublishDecided(api, *decided, caller, false);
  SendJson(res, 200, AlertDetail(api, *decided, caller));
}

// Who may correct a decision: a supervisor, any decision of a deployment that is still
// active; an operator, only a decision they made themselves, within this window (a slip of
// the finger, noticed at once). Everything later is for a supervisor, with a reason.
constexpr int64_t kOwnCorrectionWindowMs = 10 * 60 * 1000;

void Correct(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto a = LoadAlert(api, req, res, caller);
  if (!a) return;
  if (caller.session.role != Role::kSupervisor) {
    if (a->state == AlertState::kPending) {
      return SendError(res, 409, "alert " + std::to_string(a->id) + " has not been decided yet: decide it");
    }
    if (a->decided_by != caller.actor.name) {
      return SendError(res, 403, "only a supervisor may correct a decision made by someone else (" +
                                     a->decided_by + ")");
    }
    if (api.clock->NowMs() - a->decided_ms > kOwnCorrectionWindowMs) {
      return SendError(res, 403, "an operator may correct their own decision within 10 minutes; "
                                 "this one is older: ask a supervisor");
    }
  }
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  auto d = ParseDecision(*body);
  if (!d.ok()) return SendStatus(res, d.status());
  auto reason = RequiredString(*body, "reason", text_limits::kNote, TextKind::kMultiLine);
  if (!reason.ok()) return SendStatus(res, reason.status());
  auto corrected = api.store->CorrectAlertDecision(a->id, *d, *reason, caller.actor);
  if (!corrected.ok()) return SendStatus(res, corrected.status());
  PublishDecided(api, *corrected, caller, true);
  SendJson(res, 200, AlertDetail(api, *corrected, caller));
}

}  // namespace

void RegisterAlertRoutes(Api& api) {
  api.Route("GET", "/api/alerts", Permission::kReadAlerts,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              ListAlerts(api, req, res, c);
            });
  api.Route("GET", R"(/api/alerts/(\d+))", Permission::kReadAlerts,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              if (auto a = LoadAlert(api, req, res, c)) SendJson(res, 200, AlertDetail(api, *a, c));
            });
  for (const auto& [suffix, which] : {std::pair<const char*, AlertMedia>{"crop", AlertMedia::kCrop},
                                      {"thumbnail", AlertMedia::kThumbnail}}) {
    api.Route("GET", std::string(R"(/api/alerts/(\d+)/)") + suffix, Permission::kViewFaceImages,
              [&api, which = which](const httplib::Request& req, httplib::Response& res, const Caller& c) {
                auto a = LoadAlert(api, req, res, c);
                if (!a) return;
                auto img = api.store->GetAlertMedia(a->id, which, c.actor);
                if (!img.ok()) return SendStatus(res, img.status());
                SendFaceImage(res, std::string(img->view()));
              });
  }
  api.Route("POST", R"(/api/alerts/(\d+)/decision)", Permission::kDecideAlerts,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              Decide(api, req, res, c);
            });
  api.Route("POST", R"(/api/alerts/(\d+)/correction)", Permission::kCorrectDecisions,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              Correct(api, req, res, c);
            });
  // GET /api/events is served by the transport itself (server.cc, server/transport.h).

  api.Route("GET", "/api/audit", Permission::kReadAudit,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller&) {
              auto query = ParseAuditQuery(req);  // api_audit.cc
              if (!query.ok()) return SendStatus(res, query.status());
              auto rows = api.store->ListAudit(*query);
              if (!rows.ok()) return SendStatus(res, rows.status());
              nlohmann::json out = nlohmann::json::array();
              for (const AuditEvent& e : *rows) out.push_back(AuditJson(e));
              SendJson(res, 200, {{"events", out}});
            });
  api.Route("GET", "/api/audit/verify", Permission::kReadAudit,
            [&api](const httplib::Request&, httplib::Response& res, const Caller&) {
              auto v = api.store->VerifyAudit();
              if (!v.ok()) return SendStatus(res, v.status());
              nlohmann::json j = {{"ok", v->ok}, {"rows", v->rows}, {"reason", v->reason}};
              j["first_bad"] = v->first_bad ? nlohmann::json(*v->first_bad) : nlohmann::json(nullptr);
              SendJson(res, 200, j);
            });
}

}  // namespace lfr::server
