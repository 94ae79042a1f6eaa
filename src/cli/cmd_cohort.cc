// lfr cohort build: the background cohort of public faces for the recogniser in use
// (match/cohort.h), and lfr watchlist forecast: each entry's forecast false-alert rate
// against it at the deployment's threshold, with the "hub" entries flagged.
#include <iomanip>
#include <memory>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_common.h"
#include "eval/extract.h"
#include "eval/lfw.h"
#include "match/calibration.h"
#include "match/cohort.h"
#include "privacy/crypto.h"
#include "store/watchlist_forecast.h"
#include "util/paths.h"

namespace lfr::cli {
namespace {

using nlohmann::json;

struct CohortArgs {
  std::string data;          // "" = $LFR_DATA
  std::string recogniser;    // "" = the default
  std::string cache;         // "" = $LFR_HOME/cache/eval
  bool no_cache = false;
  int threads = 1;
  int max_images = 0;        // 0 = every image
  std::string deployment;
  std::string threshold;     // "" = the deployment's
  double cap = 1e-3;         // the false-alert rate a force's procedure allows
  bool json = false;
};

void RunBuild(const CohortArgs& a, Context& ctx) {
  std::filesystem::path data;
  if (!a.data.empty()) {
    data = a.data;
  } else if (auto d = DataDir()) {
    data = *d;
  } else {
    return Fail(ctx, Status::NotFound("no data folder: give --data or set LFR_DATA (it needs fairface-dev/)"));
  }
  auto faces = eval::LoadFairFace(data / "fairface-dev");
  if (!faces.ok()) return Fail(ctx, faces.status());
  std::vector<eval::FairFaceImage> chosen = *faces;
  if (a.max_images > 0 && static_cast<int>(chosen.size()) > a.max_images) {
    // An even spread over the file (so every group keeps its share), not the first rows.
    std::vector<eval::FairFaceImage> spread;
    for (int i = 0; i < a.max_images; ++i) {
      spread.push_back(chosen[static_cast<size_t>(i) * chosen.size() / static_cast<size_t>(a.max_images)]);
    }
    chosen = std::move(spread);
  }
  auto models = OpenStore();
  if (!models.ok()) return Fail(ctx, models.status());
  eval::ExtractOptions eo;
  eo.recogniser_id = a.recogniser;
  eo.threads = a.threads;
  if (!a.no_cache) eo.cache_dir = a.cache.empty() ? HomeDir() / "cache" / "eval" : std::filesystem::path(a.cache);
  eo.progress = ctx.err;
  auto ex = eval::FaceExtractor::Create(*models, eo);
  if (!ex.ok()) return Fail(ctx, ex.status());
  std::vector<std::filesystem::path> paths;
  for (const auto& f : chosen) paths.push_back(f.path);
  std::vector<eval::ImageResult> results;
  eval::ExtractStats st;
  if (Status s = (*ex)->Run(paths, "cohort: embedding", &results, &st); !s.ok()) return Fail(ctx, s);
  // Only faces the live pipeline would search: detected and through the quality gate.
  std::vector<float> rows;
  std::vector<std::string> groups;
  int64_t no_face = 0, low_quality = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (!r.found) {
      ++no_face;
      continue;
    }
    if (!r.quality_passed) {
      ++low_quality;
      continue;
    }
    rows.insert(rows.end(), r.plain.begin(), r.plain.end());
    groups.push_back(chosen[i].group());
  }
  const std::string id = (*ex)->recogniser_id();
  auto cohort = BackgroundCohort::FromRows(id, (*ex)->recogniser_sha256(), (*ex)->dim(), std::move(rows),
                                           std::move(groups));
  if (!cohort.ok()) return Fail(ctx, cohort.status());
  const auto path = DefaultCohortPath(HomeDir(), id);
  if (Status s = cohort->Save(path); !s.ok()) return Fail(ctx, s);
  json j = {{"path", path.string()},
            {"recogniser", id},
            {"images", chosen.size()},
            {"faces", cohort->size()},
            {"no_face", no_face},
            {"failed_quality", low_quality},
            {"reference_hubness_median", cohort->reference_median()},
            {"reference_hubness_mad", cohort->reference_mad()},
            {"source", "FairFace development crops (" + (data / "fairface-dev").string() + "), CC BY 4.0"}};
  if (a.json) {
    *ctx.out << j.dump() << "\n";
    return;
  }
  *ctx.out << "background cohort for " << id << ": " << cohort->size() << " faces of " << chosen.size()
           << " FairFace images (" << no_face << " without a face, " << low_quality
           << " below the quality gate)\n  written to " << path.string() << "\n  hubness of its own faces: median "
           << std::fixed << std::setprecision(3) << cohort->reference_median() << ", MAD "
           << cohort->reference_mad() << "\n";
}

void RunForecast(const CohortArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(a.deployment);
  if (!d.ok()) return Fail(ctx, d.status());
  auto entries = store->ListWatchlist(d->id, false);
  if (!entries.ok()) return Fail(ctx, entries.status());
  if (entries->empty() || d->recogniser_id.empty()) {
    return Fail(ctx, Status::FailedPrecondition("deployment " + std::to_string(d->id) +
                                                " has no watchlist entries to forecast"));
  }
  auto cohort = BackgroundCohort::Load(DefaultCohortPath(HomeDir(), d->recogniser_id), d->recogniser_id);
  if (!cohort.ok()) return Fail(ctx, cohort.status());
  auto df = ForecastDeployment(*store, *d, CliActor(), *cohort, a.threshold, a.cap);
  if (!df.ok()) return Fail(ctx, df.status());
  if (a.json) {
    *ctx.out << ForecastJson(*df).dump() << "\n";
    return;
  }
  const WatchlistForecast* f = &df->forecast;
  const bool over_cap = f->rate > a.cap;
  *ctx.out << "deployment " << d->id << " (" << d->spec.name << "): " << f->entries.size()
           << " entries, recogniser " << d->recogniser_id << ", threshold " << std::fixed
           << std::setprecision(3) << f->threshold << " (" << df->threshold_spec << ")\n"
           << "against " << f->cohort_size << " strangers of the background cohort:\n"
           << "ENTRY REFERENCE         HITS   RATE      TOP   HUB_Z\n";
  for (const auto& ef : f->entries) {
    const size_t i = static_cast<size_t>(ef.index);
    *ctx.out << std::left << std::setw(5) << df->entry_ids[i] << " " << std::setw(16) << df->references[i]
             << std::right << std::setw(6) << ef.cohort_hits << std::setw(8) << std::setprecision(2)
             << 100.0 * ef.rate << "%" << std::setw(8) << std::setprecision(3) << ef.top_score << std::setw(8)
             << std::setprecision(1) << ef.hub_z << (ef.hub ? "  HUB: " + ef.reason : "") << "\n";
  }
  *ctx.out << std::setprecision(2) << "whole watchlist: " << f->faces_alerting << " of " << f->cohort_size
           << " strangers would raise a false alert (" << 100.0 * f->rate << " %, at most "
           << 100.0 * f->rate_upper95 << " % at 95 % confidence); cap " << 100.0 * a.cap << " %"
           << (over_cap ? ": OVER THE CAP" : "") << "\n";
  if (!over_cap && f->rate_upper95 > a.cap) {
    *ctx.out << "(a cohort of " << f->cohort_size << " faces cannot show the rate is below the cap at 95 % confidence)\n";
  }
  if (f->hubs > 0) {
    *ctx.err << "lfr: warning: " << f->hubs
             << " entr" << (f->hubs == 1 ? "y looks" : "ies look")
             << " like a hub (close to many strangers at once): check the photo (a usable frontal face of "
                "this person?) and replace or remove it before the deployment starts\n";
  }
}

}  // namespace

void RegisterCohortCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<CohortArgs>();
  CLI::App* c = app.add_subcommand(
      "cohort",
      "The background cohort: embeddings of public faces of strangers of many groups (the FairFace "
      "development crops in $LFR_DATA/fairface-dev, CC BY 4.0), made with the recogniser in use and kept in "
      "$LFR_HOME/cohort. `lfr watchlist forecast` scores a deployment's watchlist against it.");
  c->require_subcommand(1);
  CLI::App* build = c->add_subcommand("build", "Build the cohort for a recogniser (quality-gated faces only)");
  build->add_option("--data", a->data, "Data folder with fairface-dev/ (default: $LFR_DATA)");
  build->add_option("--recogniser", a->recogniser, "Recogniser model id (default: the installed default)");
  build->add_option("--cache", a->cache, "Embedding cache folder (default: $LFR_HOME/cache/eval, shared with lfr eval)");
  build->add_flag("--no-cache", a->no_cache, "Do not read or write the embedding cache");
  build->add_option("--threads", a->threads, "Worker threads")->check(CLI::Range(1, 64))->capture_default_str();
  build->add_option("--max-images", a->max_images, "Use at most this many images, spread evenly over the groups (0 = all)")
      ->check(CLI::Range(0, 10'000'000));
  build->add_flag("--json", a->json, "JSON output");
  build->callback([a, &ctx] { RunBuild(*a, ctx); });
}

void RegisterWatchlistForecastCommand(CLI::App* watchlist, Context& ctx) {
  auto a = std::make_shared<CohortArgs>();
  CLI::App* f = watchlist->add_subcommand(
      "forecast",
      "Before the start: each entry's forecast false-alert rate against the background cohort (`lfr cohort "
      "build`) at the deployment's threshold, entries that would be hubs (close to many strangers at once: a "
      "sideways, collapsed or wrong crop) flagged, and the whole list's rate against the cap. Opens the "
      "embeddings (audited).");
  f->add_option("deployment", a->deployment, "Deployment id or name")->required();
  f->add_option("--threshold", a->threshold, "A score or fpir:RATE (default: the deployment's)");
  f->add_option("--cap", a->cap, "The false-alert rate the force allows per face seen")
      ->check(CLI::Range(1e-9, 1.0))->capture_default_str();
  f->add_flag("--json", a->json, "JSON output");
  f->callback([a, &ctx] { RunForecast(*a, ctx); });
}

}  // namespace lfr::cli
