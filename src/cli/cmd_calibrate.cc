// `lfr calibrate --target-fpir 1/6000 --watchlist-size 10000 [--recogniser ID] [--json]`:
// the similarity threshold that gives a target false-positive identification rate at a
// watchlist size, from the recogniser's stored calibration table (match/calibration.h).
#include <iomanip>
#include <memory>

#include "cli/cli.h"
#include "cli/common.h"
#include "match/calibration.h"

namespace lfr::cli {
namespace {

struct CalibrateArgs {
  std::string target;
  int watchlist_size = 0;
  std::string recogniser_id;
  bool json = false;
};

void RunCalibrate(const CalibrateArgs& a, Context& ctx) {
  if (a.watchlist_size < 1) {
    return Fail(ctx, Status::InvalidArgument("--watchlist-size must be a whole number >= 1, got " +
                                             std::to_string(a.watchlist_size)));
  }
  // Validate the rate before touching any model: "1/6000", "1.6e-4", "fpir:1/6000".
  const std::string spec = a.target.rfind("fpir:", 0) == 0 ? a.target : "fpir:" + a.target;
  {
    auto check = ResolveThreshold(spec, "", 1);  // parse errors come before the table lookup
    if (!check.ok() && check.status().code() == Status::Code::kInvalidArgument) {
      return Fail(ctx, Status::InvalidArgument("--target-fpir '" + a.target +
                                               "': expected a rate between 0 and 1 such as 1/6000 or 1.6e-4"));
    }
  }
  std::string model_id = a.recogniser_id;
  if (model_id.empty()) {
    auto store = OpenStore();
    if (!store.ok()) return Fail(ctx, store.status());
    auto m = store->DefaultFor(ModelRole::kRecogniser);
    if (!m.ok()) {
      *ctx.err << "lfr: " << m.status().message() << " (or name one with --recogniser)\n";
      ctx.exit_code = kExitMissingModel;
      return;
    }
    model_id = m->spec->id;
  }
  auto table = CalibrationTable::ForModel(model_id);
  if (!table.ok()) {
    *ctx.err << "lfr: " << table.status().message() << "\n";
    ctx.exit_code = kExitMissingModel;
    return;
  }
  auto threshold = ResolveThreshold(spec, model_id, a.watchlist_size);
  if (!threshold.ok()) return Fail(ctx, threshold.status());
  const double fpir = table->FpirAt(*threshold, a.watchlist_size);
  if (a.json) {
    nlohmann::json j = {{"recogniser", model_id},
                        {"target_fpir", a.target},
                        {"watchlist_size", a.watchlist_size},
                        {"threshold", *threshold},
                        {"estimated_fpir", fpir},
                        {"threshold_spec", spec},
                        {"provenance", table->provenance()}};
    *ctx.out << j.dump(2) << "\n";
    return;
  }
  *ctx.out << std::fixed << std::setprecision(3) << "threshold " << *threshold << " for FPIR <= " << a.target
           << " with a " << a.watchlist_size << "-person watchlist (" << model_id << "; estimated FPIR "
           << std::scientific << std::setprecision(2) << fpir << ")\n";
  if (!ctx.quiet) *ctx.err << "calibration: " << table->provenance() << "\n";
}

}  // namespace

void RegisterCalibrateCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<CalibrateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "The similarity threshold for a target false-alert rate (FPIR) at a watchlist size, from the "
      "recogniser's calibration table (built by `lfr eval identify --write-calibration`). "
      "The live pipeline accepts the same as `threshold = fpir:1/6000`.");
  cmd->add_option("--target-fpir", args->target, "Target FPIR, e.g. 1/6000 or 1.6e-4")->required();
  cmd->add_option("--watchlist-size", args->watchlist_size, "Number of people on the watchlist")->required();
  cmd->add_option("--recogniser", args->recogniser_id,
                  "Recogniser model id (default: the installed recogniser with the highest priority)");
  cmd->add_flag("--json", args->json, "Print JSON (threshold, estimated_fpir, provenance, ...)");
  cmd->callback([args, &ctx] { RunCalibrate(*args, ctx); });
}

}  // namespace lfr::cli
