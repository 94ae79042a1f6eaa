#include "cli/watch_common.h"

#include <sstream>

#include "privacy/harden.h"
#include "vision/analyzer.h"

namespace lfr::cli {

bool LocateModels(const ModelStore& store, const std::string& detector_id, const std::string& recogniser_id,
                  Context& ctx, InstalledModel* det, InstalledModel* rec) {
  auto d = detector_id.empty() ? store.DefaultFor(ModelRole::kDetector) : store.Locate(detector_id);
  auto r = recogniser_id.empty() ? store.DefaultFor(ModelRole::kRecogniser) : store.Locate(recogniser_id);
  for (const auto* m : {&d, &r}) {
    if (!m->ok()) {
      *ctx.err << "lfr: " << m->status().message() << "\n";
      ctx.exit_code = kExitMissingModel;
      return false;
    }
  }
  *det = *d;
  *rec = *r;
  return true;
}

void Harden(Context& ctx) {
  const HardenReport harden = HardenProcess();
  if (!harden.warnings.empty() && !ctx.quiet) {
    std::istringstream lines(harden.warnings);
    for (std::string line; std::getline(lines, line);) *ctx.err << "lfr: warning: " << line << "\n";
  }
}

std::optional<Watchlist> EnrolWatchlistFolder(const std::string& dir, const std::vector<SubjectImages>& listing,
                                              const ModelStore& store, const InstalledModel& det,
                                              const InstalledModel& rec, Context& ctx) {
  auto analyzer = FaceAnalyzer::FromStore(store, det.spec->id, rec.spec->id);
  if (!analyzer.ok()) {
    *ctx.err << "lfr: " << analyzer.status().message() << "\n";
    ctx.exit_code = kExitMissingModel;
    return std::nullopt;
  }
  Watchlist watchlist;
  EnrolOptions eopts;
  auto progress = [&ctx](int done, int total) {
    if (!ctx.quiet && total >= 100 && (done % 100 == 0 || done == total)) {
      *ctx.err << "lfr: watchlist: enrolling " << done << "/" << total << " images\n";
    }
  };
  auto report = EnrolImages(listing, **analyzer, eopts, &watchlist, progress);
  if (!report.ok()) {
    Fail(ctx, report.status());
    return std::nullopt;
  }
  analyzer->reset();
  for (const auto& r : report->rejected) {
    *ctx.err << "lfr: watchlist: " << r.image.string() << " (" << r.subject << ") rejected: " << r.reason << "\n";
  }
  *ctx.err << "lfr: watchlist: enrolled " << report->subjects_enrolled << " of " << listing.size()
           << " subjects (" << report->images_enrolled << " images, " << report->rejected.size()
           << " rejected)\n";
  if (watchlist.subjects() == 0) {
    Fail(ctx, Status::InvalidArgument("watchlist " + dir + ": no subject could be enrolled"));
    return std::nullopt;
  }
  return watchlist;
}

}  // namespace lfr::cli
