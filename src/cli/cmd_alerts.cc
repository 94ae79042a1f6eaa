// `lfr alerts list|decide`: the alerts of deployments and the operator's adjudication.
#include <iomanip>
#include <memory>

#include "cli/cli.h"
#include "cli/store_common.h"

namespace lfr::cli {
namespace {
using nlohmann::json;

struct AlertsArgs {
  std::string deployment;
  std::string state;
  int limit = 100;
  bool json = false;
  std::string alert_id;
  std::string outcome = "none";
  std::string note;
  bool correct = false;
  std::string reason;
};

void RunList(const AlertsArgs& a, Context& ctx) {
  AlertQuery q;
  q.limit = a.limit;
  if (!a.state.empty()) {
    AlertState st;
    if (!ParseAlertState(a.state, &st)) {
      return Fail(ctx, Status::InvalidArgument("--state must be pending, true, false or no_action, got " + a.state));
    }
    q.state = st;
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  if (!a.deployment.empty()) {
    auto d = store->FindDeployment(a.deployment);
    if (!d.ok()) return Fail(ctx, d.status());
    q.deployment_id = d->id;
  }
  auto alerts = store->ListAlerts(q);
  if (!alerts.ok()) return Fail(ctx, alerts.status());
  if (a.json) return PrintJsonList(ctx, "alerts", *alerts, AlertJson);
  if (alerts->empty()) *ctx.out << "no alerts\n";
  for (const auto& al : *alerts) {
    *ctx.out << std::left << std::setw(6) << al.id << " " << FormatUtcMs(al.time_ms) << " deployment "
             << al.deployment_id << " camera " << al.camera << " "
             << (al.media_purged ? "(data deleted)" : al.subject_reference) << std::fixed << std::setprecision(3)
             << " fused " << al.fused_score << " [" << AlertStateName(al.state);
    if (al.outcome != AlertOutcome::kNone) *ctx.out << ", " << AlertOutcomeName(al.outcome);
    if (!al.decided_by.empty()) *ctx.out << " by " << al.decided_by;
    *ctx.out << "]\n";
  }
}

void RunDecide(const AlertsArgs& a, Context& ctx) {
  auto id = ParseId(a.alert_id, "alert id");
  if (!id.ok()) return Fail(ctx, id.status());
  AlertDecision decision;
  if (!ParseAlertState(a.state, &decision.state) || decision.state == AlertState::kPending) {
    return Fail(ctx, Status::InvalidArgument("--state must be true, false or no_action, got " + a.state));
  }
  if (!ParseAlertOutcome(a.outcome, &decision.outcome)) {
    return Fail(ctx, Status::InvalidArgument("--outcome must be engaged, arrested, nfa or none, got " + a.outcome));
  }
  decision.note = a.note;
  if (Status v = ValidateAlertDecision(decision); !v.ok()) return Fail(ctx, v);
  if (a.correct && a.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Fail(ctx, Status::InvalidArgument("--correct needs --reason: why the decision on record is wrong"));
  }
  if (!a.correct && !a.reason.empty()) {
    return Fail(ctx, Status::InvalidArgument("--reason is for corrections: add --correct"));
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto decided = a.correct ? store->CorrectAlertDecision(*id, decision, a.reason, CliActor())
                           : store->DecideAlert(*id, decision, CliActor());
  if (!decided.ok()) return Fail(ctx, decided.status());
  if (a.json) {
    *ctx.out << AlertJson(*decided).dump() << "\n";
  } else {
    *ctx.out << "alert " << decided->id << ": " << AlertStateName(decided->state) << ", outcome "
             << AlertOutcomeName(decided->outcome) << " (by " << decided->decided_by << ")\n";
  }
}

}  // namespace

void RegisterAlertsCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<AlertsArgs>();
  CLI::App* alerts = app.add_subcommand(
      "alerts", "Alerts raised by `lfr watch --deployment` and their adjudication. Alert images are deleted "
                "24 h after the alert (LFR_ALERT_RETENTION); the outcome record stays.");
  alerts->require_subcommand(1);
  CLI::App* list = alerts->add_subcommand("list", "List alerts, newest first");
  list->add_option("--deployment", a->deployment, "Only this deployment (id or name)");
  list->add_option("--state", a->state, "Only alerts in this state: pending, true, false, no_action");
  list->add_option("--limit", a->limit, "At most this many")->check(CLI::Range(1, 1000000))->capture_default_str();
  list->add_flag("--json", a->json, "JSON output");
  list->callback([a, &ctx] { RunList(*a, ctx); });

  CLI::App* decide = alerts->add_subcommand(
      "decide",
      "Record an operator's decision on a pending alert (while its deployment is active and its data kept). "
      "A decision is made once; --correct --reason changes one on record. Outcomes apply to true alerts "
      "only: a false or no_action alert has outcome none");
  decide->add_option("alert", a->alert_id, "Alert id")->required();
  decide->add_option("--state", a->state, "true (it was the person), false (it was not) or no_action")->required();
  decide->add_option("--outcome", a->outcome, "engaged, arrested, nfa (no further action) or none")
      ->capture_default_str();
  decide->add_option("--note", a->note, "Free text (deleted with the alert's data)");
  decide->add_flag("--correct", a->correct,
                   "Correct a decision already on record (needs --reason); the replaced decision stays on record");
  decide->add_option("--reason", a->reason, "Why the decision is corrected (with --correct; kept on record)");
  decide->add_flag("--json", a->json, "Print the alert as JSON");
  decide->callback([a, &ctx] { RunDecide(*a, ctx); });
}

}  // namespace lfr::cli
