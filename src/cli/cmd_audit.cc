// `lfr audit verify|list`: the hash-chained audit log.
#include <memory>

#include "cli/cli.h"
#include "cli/store_common.h"

namespace lfr::cli {
namespace {
using nlohmann::json;

struct AuditArgs {
  bool json = false;
  int limit = 100;
  int64_t after = 0;
};

void RunVerify(const AuditArgs& a, Context& ctx) {
  // Verification reads only: it must not add purge rows to the log it is checking.
  auto store = OpenCliStore(ctx, /*enforce_retention=*/false);
  if (!store) return;
  auto v = store->VerifyAudit();
  if (!v.ok()) return Fail(ctx, v.status());
  auto last = store->ListAudit(v->rows > 0 ? v->rows - 1 : 0, 1);
  if (a.json) {
    json j = {{"ok", v->ok}, {"rows", v->rows}};
    if (!v->ok) {
      j["first_bad_row"] = *v->first_bad;
      j["reason"] = v->reason;
    }
    if (last.ok() && !last->empty()) j["head"] = {{"seq", last->back().seq}, {"hash", last->back().hash}};
    *ctx.out << j.dump() << "\n";
  } else if (v->ok) {
    *ctx.out << "audit log verified: " << v->rows << " rows";
    if (last.ok() && !last->empty()) *ctx.out << " (head " << last->back().seq << " " << last->back().hash << ")";
    *ctx.out << "\n";
  } else {
    *ctx.out << "audit log broken at " << v->reason << "\n";  // reason: "row K: why"
  }
  if (!v->ok) {
    *ctx.err << "lfr: the audit log of " << DatabasePath(ctx).string() << " failed verification\n";
    ctx.exit_code = kExitTampered;
  }
}

void RunList(const AuditArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx, false);
  if (!store) return;
  auto rows = store->ListAudit(a.after, a.limit);
  if (!rows.ok()) return Fail(ctx, rows.status());
  if (a.json) return PrintJsonList(ctx, "audit", *rows, AuditJson);
  for (const auto& e : *rows) {
    *ctx.out << e.seq << " " << FormatUtcMs(e.time_ms) << " " << e.actor << " " << e.action << " " << e.target
             << " " << e.details << "\n";
  }
}

}  // namespace

void RegisterAuditCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<AuditArgs>();
  CLI::App* audit = app.add_subcommand(
      "audit", "The append-only audit log: every create, view, decision, export, purge and login, with "
               "actor and time, each row hash-chained to the one before");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand(
      "verify", "Check the hash chain: prints \"audit log verified: N rows\" (exit 0) or names the first "
                "broken row (exit 6)");
  verify->add_flag("--json", a->json, "JSON output");
  verify->callback([a, &ctx] { RunVerify(*a, ctx); });
  CLI::App* list = audit->add_subcommand("list", "Print audit rows, oldest first");
  list->add_option("--after", a->after, "Only rows after this sequence number")->check(CLI::NonNegativeNumber);
  list->add_option("--limit", a->limit, "At most this many rows")->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  list->add_flag("--json", a->json, "JSON output");
  list->callback([a, &ctx] { RunList(*a, ctx); });
}

}  // namespace lfr::cli
