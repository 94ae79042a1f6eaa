// `lfr purge [--now]`: what retention deletes, shown or done now. Retention also runs by
// itself whenever the store is opened and every minute while `lfr watch` runs.
#include <memory>

#include "cli/cli.h"
#include "cli/store_common.h"
#include "store/retention.h"

namespace lfr::cli {
namespace {
using nlohmann::json;

struct PurgeArgs {
  bool now = false;
  bool json = false;
};

void RunPurge(const PurgeArgs& a, Context& ctx) {
  auto policy = RetentionPolicyFromEnv();
  if (!policy.ok()) return Fail(ctx, policy.status());
  auto store = OpenCliStore(ctx, /*enforce_retention=*/false);
  if (!store) return;
  RetentionEnforcer enforcer(store.get(), SystemClock(), *policy, DefaultFootageDir());
  auto run = a.now ? enforcer.RunOnce() : enforcer.Preview();
  if (!run.ok()) return Fail(ctx, run.status());
  const double hours = static_cast<double>(policy->alert_data_ms) / kMsPerHour;
  if (a.json) {
    *ctx.out << json{{"purged", a.now},
                     {"alerts", run->alerts_purged},
                     {"footage_files", run->footage_files_deleted},
                     {"footage_bytes", run->footage_bytes_deleted},
                     {"footage_segments", run->footage_segments_deleted},
                     {"footage_retention_days", static_cast<double>(policy->footage_ms) / kMsPerDay},
                     {"alert_retention_hours", hours}}
                    .dump()
             << "\n";
    return;
  }
  *ctx.out << (a.now ? "purged: " : "due for purging (run with --now to purge): ") << run->alerts_purged
           << " alert(s) older than " << hours << " h (images, note, subject link), "
           << run->footage_files_deleted << " footage file(s) older than "
           << static_cast<double>(policy->footage_ms) / kMsPerDay << " days (" << run->footage_bytes_deleted
           << " bytes)\n";
}

}  // namespace

void RegisterPurgeCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<PurgeArgs>();
  CLI::App* purge = app.add_subcommand(
      "purge", "Retention: show what is due for deletion (alert data older than LFR_ALERT_RETENTION, default "
               "24 h, never above 31 days; footage segments older than LFR_FOOTAGE_RETENTION, default and at most "
               "31 days), or delete it with --now. It also runs "
               "by itself at every start and every minute of `lfr watch`.");
  purge->add_flag("--now", a->now, "Delete now (audited with counts)");
  purge->add_flag("--json", a->json, "JSON output");
  purge->callback([a, &ctx] { RunPurge(*a, ctx); });
}

}  // namespace lfr::cli
