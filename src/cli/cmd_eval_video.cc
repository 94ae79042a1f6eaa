// `lfr eval video --annotations FILE...`: live-video accuracy over annotated clips
// (eval/video_eval.h): each clip runs through the live pipeline's code unpaced (the forensic
// search's configuration, video_search/video_search.h) against its own watchlist folder,
// enrolled in memory; every track's match of a listed person is an alert, scored against
// the clip's passes. Prints per clip and in total the true-positive identification rate
// over passes, time to alert and false alerts per hour and per 1,000 faces seen.
#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <optional>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/watch_common.h"
#include "eval/video_eval.h"
#include "match/calibration.h"
#include "match/watchlist.h"
#include "video_search/video_search.h"

namespace lfr::cli {
using eval::AnnotatedPass;
using eval::LoadVideoAnnotations;
using eval::PassOutcome;
using eval::ScoredAlert;
using eval::VideoAnnotations;
using eval::VideoScore;
using eval::VideoTotals;
namespace {

struct EvalVideoArgs {
  std::vector<std::string> annotations;
  std::string data;
  std::string detector, recogniser;
  std::string threshold = "fpir:1/6000";  // the NPL study's operating point, per recogniser
  double tolerance_s = 0.5;
  bool json = false;
};

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

// Searches one annotated clip; the scored alerts, or an error (exit set).
std::optional<VideoScore> EvaluateClip(const VideoAnnotations& an, const EvalVideoArgs& args, const ModelStore& store,
                                       const InstalledModel& det, const InstalledModel& rec, Context& ctx) {
  auto listing = ListWatchlistDir(an.watchlist);
  if (!listing.ok()) {
    Fail(ctx, Status::InvalidArgument(an.file.string() + ": watchlist: " + listing.status().message()));
    return std::nullopt;
  }
  for (const AnnotatedPass& p : an.passes) {
    const bool listed = std::any_of(listing->begin(), listing->end(),
                                    [&](const SubjectImages& s) { return s.first == p.subject; });
    if (!listed) {
      Fail(ctx, Status::InvalidArgument(an.file.string() + ": pass of \"" + p.subject + "\", who is not in " +
                                        an.watchlist.string()));
      return std::nullopt;
    }
  }
  auto unit = ProbeVideoFile(an.video);
  if (!unit.ok()) {
    Fail(ctx, unit.status());
    return std::nullopt;
  }
  auto list = EnrolWatchlistFolder(an.watchlist.string(), *listing, store, det, rec, ctx);
  if (!list) return std::nullopt;
  auto threshold = ResolveThreshold(args.threshold, rec.spec->id, list->subjects());
  if (!threshold.ok()) {
    Fail(ctx, threshold.status());
    return std::nullopt;
  }
  VideoSearchOptions o;
  o.threads = 1;
  o.pipeline.threshold = *threshold;
  VideoSearch search(det, rec, &*list, o);
  std::vector<ScoredAlert> alerts;
  double media = 0;
  int64_t tracks = 0;
  Status s = search.Run({*unit}, {}, [&](const UnitOutcome& u) {
    media += u.media_s;
    tracks += u.stats.tracks;
    for (const Appearance& a : u.appearances) alerts.push_back({a.subject, a.first_match_s, a.best_fused});
    return Status::Ok();
  });
  if (!s.ok()) {
    Fail(ctx, s);
    return std::nullopt;
  }
  VideoScore score = eval::ScoreVideo(an, alerts, media, tracks, args.tolerance_s);
  score.threshold = *threshold;
  return score;
}

void RunEvalVideo(const EvalVideoArgs& args, Context& ctx) {
  std::vector<VideoAnnotations> clips;
  for (const std::string& f : args.annotations) {
    auto a = LoadVideoAnnotations(f, args.data);
    if (!a.ok()) return Fail(ctx, a.status());
    if (auto t = ParseThreshold(args.threshold); !t.ok()) return Fail(ctx, t.status());
    clips.push_back(std::move(a).value());
  }
  auto store = OpenStore();
  if (!store.ok()) return Fail(ctx, store.status());
  InstalledModel det, rec;
  if (!LocateModels(*store, args.detector, args.recogniser, ctx, &det, &rec)) return;
  std::vector<VideoScore> scores;
  for (const VideoAnnotations& an : clips) {
    auto s = EvaluateClip(an, args, *store, det, rec, ctx);
    if (!s) return;
    scores.push_back(std::move(*s));
  }
  const VideoTotals t = eval::TotalVideoScores(scores);
  if (args.json) {
    nlohmann::json j = {{"threshold", args.threshold},  {"tolerance_s", args.tolerance_s},
                        {"detector", det.spec->id},     {"recogniser", rec.spec->id},
                        {"clips", nlohmann::json::array()}, {"total", eval::VideoTotalsToJson(t)}};
    for (const VideoScore& s : scores) j["clips"].push_back(eval::VideoScoreToJson(s));
    *ctx.out << j.dump(2) << "\n";
    return;
  }
  *ctx.out << "threshold " << args.threshold << ", detector " << det.spec->id << ", recogniser "
           << rec.spec->id << ", tolerance " << Fixed(args.tolerance_s, 2) << " s\n";
  for (const VideoScore& s : scores) {
    *ctx.out << "\n" << s.clip << ": " << Fixed(s.video_s, 1) << " s, " << s.faces_seen << " faces seen, threshold "
             << Fixed(s.threshold, 3) << "\n";
    for (const PassOutcome& p : s.passes) {
      *ctx.out << "  pass " << p.pass.subject << " " << Fixed(p.pass.start_s, 2) << "-" << Fixed(p.pass.end_s, 2)
               << " s: " << (p.identified ? "identified after " + Fixed(p.time_to_alert_s, 2) + " s" : "missed")
               << (p.pass.note.empty() ? "" : "  (" + p.pass.note + ")") << "\n";
    }
    for (const ScoredAlert& a : s.false_alerts) {
      *ctx.out << "  false alert: " << a.subject << " at " << Fixed(a.time_s, 2) << " s (fused "
               << Fixed(a.score, 3) << ")\n";
    }
  }
  *ctx.out << "\ntotal: " << Fixed(t.video_s, 1) << " s of video, " << t.faces_seen << " faces seen, " << t.passes
           << " passes of listed people\n";
  *ctx.out << "  true-positive identification rate " << t.identified << "/" << t.passes << " = "
           << Fixed(100 * t.tpir(), 1) << " % [95 % CI " << Fixed(100 * t.tpir_ci.lo, 1) << ", "
           << Fixed(100 * t.tpir_ci.hi, 1) << "]\n";
  if (t.identified > 0) {
    *ctx.out << "  time to alert: median " << Fixed(t.median_time_to_alert_s, 2) << " s, max "
             << Fixed(t.max_time_to_alert_s, 2) << " s\n";
  }
  *ctx.out << "  false alerts " << t.false_alerts << ": " << Fixed(t.false_alerts_per_hour(), 1)
           << " per hour of video, " << Fixed(t.false_alerts_per_1000_faces(), 2) << " per 1,000 faces seen\n";
}

}  // namespace

void RegisterEvalVideoCommand(CLI::App* eval, Context& ctx) {
  auto a = std::make_shared<EvalVideoArgs>();
  CLI::App* c = eval->add_subcommand(
      "video",
      "Live-video accuracy over clips annotated with who appears when (format lfr-video-annotations-1, "
      "src/eval/video_eval.h; the shared clips' files are in src/eval/annotations/): each clip runs through the "
      "live pipeline unpaced against its watchlist folder, and every track's match is an alert. Prints the "
      "true-positive identification rate over passes (95 % interval), time to alert, and false alerts per hour "
      "of video and per 1,000 faces seen.");
  c->add_option("--annotations", a->annotations, "Annotation files (one per clip)")->required();
  c->add_option("--data", a->data,
                "Folder the annotations' relative paths start from (default: $LFR_DATA, else each file's folder)");
  c->add_option("--threshold", a->threshold,
                "Fused cosine score of an alert, or a target false-alert rate \"fpir:1/6000\" (resolved from the "
                "recogniser's calibration for each clip's list size)")
      ->capture_default_str();
  c->add_option("--tolerance", a->tolerance_s, "Seconds an alert may fall outside its pass (annotation precision)")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  c->add_option("--detector", a->detector, "Detector model id (default: highest priority installed)");
  c->add_option("--recogniser", a->recogniser, "Recogniser model id (default: highest priority installed)");
  c->add_flag("--json", a->json, "JSON output");
  c->callback([a, &ctx] {
    if (a->data.empty()) {
      if (const char* d = std::getenv("LFR_DATA"); d != nullptr) a->data = d;
    }
    RunEvalVideo(*a, ctx);
  });
}

}  // namespace lfr::cli
