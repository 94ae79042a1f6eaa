// `lfr watch --watchlist DIR --source URI [--source URI ...]`: the live pipeline. Enrols the
// watchlist, runs every camera, prints alerts (JSON lines with --json) and a summary.
// `lfr watch --deployment ID`: the same for a deployment in the store, which supplies the
// cameras, the watchlist and the threshold and receives the alerts and faces-seen counts.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <iomanip>
#include <memory>
#include <sstream>
#include <thread>

#include "alert/alert.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_common.h"
#include "cli/watch_common.h"
#include "footage/deployment_footage.h"
#include "match/calibration.h"
#include "match/watchlist.h"
#include "pipeline/pipeline.h"
#include "pipeline/source_policy.h"
#include "privacy/harden.h"
#include "store/retention.h"
#include "store/alert_sink.h"

namespace lfr::cli {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void OnSignal(int) { g_interrupted = true; }

struct WatchArgs {
  std::string watchlist;
  std::string deployment;
  bool threshold_given = false;
  std::vector<std::string> sources;
  std::string threshold = "0.6";
  bool json = false;
  std::string alerts_dir;
  bool realtime = false;
  bool fast = false;
  bool loop = false;
  double max_seconds = 0;
  std::string recogniser_id;
  std::string detector_id;
  int working_size = kDefaultWorkingSize;
  float min_face = 0.0f;
  int detect_every = kDefaultDetectEvery;
  int embed_every = kDefaultEmbedEvery;
  double cooldown = 60.0;
  int fusion_k = 2;
  int min_observations = 2;
  bool flip = false;
  int threads = 0;
  std::vector<std::string> camera_dirs;
};

nlohmann::json StatsJson(const LatencyStats& s) {
  auto r = [](double v) { return std::round(v * 100) / 100; };
  return {{"count", s.count()}, {"p50_ms", r(s.Percentile(50))}, {"p95_ms", r(s.Percentile(95))}};
}

nlohmann::json SummaryJson(const CameraSummary& c) {
  return {{"camera", c.name},
          {"source", c.uri},
          {"health", HealthName(c.status.health)},
          {"error", c.status.error},
          {"last_frame_time", c.status.last_frame_time},
          {"reconnects", c.status.reconnects},
          {"frames_read", c.status.frames_read},
          {"frames_processed", c.frames_processed},
          {"frames_dropped", c.status.frames_dropped},
          {"detector_runs", c.detector_runs},
          {"faces_detected", c.faces_detected},
          {"faces_passed_quality", c.faces_passed_quality},
          {"tracks", c.tracks},
          {"tracks_split", c.tracks_split},
          {"embeddings", c.embeddings},
          {"alerts", c.alerts},
          {"latency", {{"decode", StatsJson(c.decode_ms)},
                       {"detect", StatsJson(c.detect_ms)},
                       {"align_quality_track", StatsJson(c.analyse_ms)},
                       {"embed", StatsJson(c.embed_ms)},
                       {"match", StatsJson(c.match_ms)},
                       {"frame_to_decision", StatsJson(c.total_ms)}}}};
}

void PrintSummaryText(std::ostream& o, const std::vector<CameraSummary>& cams) {
  o << "summary:\n";
  for (const auto& c : cams) {
    o << "  camera " << c.name << " (" << c.uri << "): " << HealthName(c.status.health);
    if (!c.status.error.empty() && c.status.health != CameraHealth::kUp &&
        c.status.health != CameraHealth::kEnded) {
      o << " - " << c.status.error;
    }
    o << "\n    frames read " << c.status.frames_read << ", processed " << c.frames_processed
      << ", dropped " << c.status.frames_dropped << "; detector runs " << c.detector_runs
      << ", faces detected " << c.faces_detected << " (" << c.faces_passed_quality
      << " passed quality), tracks " << c.tracks << " (" << c.tracks_split
      << " split on a change of face), embeddings " << c.embeddings
      << ", alerts " << c.alerts << "\n";
    if (!c.status.last_frame_time.empty()) o << "    last frame " << c.status.last_frame_time << "\n";
    o << std::fixed << std::setprecision(1) << "    latency p50/p95 ms:";
    const std::pair<const char*, const LatencyStats*> stages[] = {
        {"decode", &c.decode_ms}, {"detect", &c.detect_ms}, {"align+quality+track", &c.analyse_ms},
        {"embed", &c.embed_ms},   {"match", &c.match_ms},   {"frame-to-decision", &c.total_ms}};
    for (const auto& [n, s] : stages) {
      o << " " << n << " " << s->Percentile(50) << "/" << s->Percentile(95) << ";";
    }
    o << "\n";
    o.unsetf(std::ios::floatfield);
  }
}

PipelineOptions OptionsFrom(const WatchArgs& args, float threshold) {
  PipelineOptions opts;
  opts.camera.realtime = !args.fast;
  opts.camera.loop = args.loop;
  opts.camera.max_seconds = args.max_seconds;
  opts.detector.working_long_side = args.working_size;
  opts.detector.min_face_px = args.min_face;
  opts.tracker.embed_every = args.embed_every;
  opts.fusion.top_k = args.fusion_k;
  opts.fusion.min_observations = args.min_observations;
  opts.alert.cooldown_s = args.cooldown;
  opts.threshold = threshold;
  opts.detect_every = args.detect_every;
  opts.flip_average = args.flip;
  opts.cv_threads = args.threads;
  return opts;
}

// Runs the pipeline until the sources end or Ctrl-C, printing alerts through the primary
// sink (after the `extra` sinks) and the summary. Returns the summaries (empty if it could
// not start).
std::vector<CameraSummary> RunPipeline(const WatchArgs& args, Context& ctx, const std::vector<CameraSpec>& cams,
                                       const InstalledModel& det, const InstalledModel& rec,
                                       const Watchlist& watchlist, const PipelineOptions& opts,
                                       const std::vector<AlertSink*>& extra, const nlohmann::json& summary_extra) {
  std::unique_ptr<AlertSink> primary;
  if (args.json) {
    primary = std::make_unique<JsonLinesSink>(ctx.out);
  } else {
    primary = std::make_unique<TextSink>(ctx.out);
  }
  MultiSink sinks;
  for (AlertSink* s : extra) sinks.Add(s);
  sinks.Add(primary.get());

  auto pipeline = Pipeline::Create(cams, det, rec, &watchlist, &sinks, opts);
  if (!pipeline.ok()) {
    Fail(ctx, pipeline.status());
    return {};
  }

  g_interrupted = false;
  auto old_int = std::signal(SIGINT, OnSignal);
  auto old_term = std::signal(SIGTERM, OnSignal);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      if (g_interrupted) {
        (*pipeline)->RequestStop();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  Status run = (*pipeline)->Run();
  done = true;
  watcher.join();
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);

  auto summaries = (*pipeline)->Summaries();
  if (args.json) {
    nlohmann::json j = {{"summary",
                         {{"watchlist_subjects", watchlist.subjects()},
                          {"threshold", opts.threshold},
                          {"alerts_suppressed_by_cooldown", (*pipeline)->alerts_suppressed()},
                          {"cameras", nlohmann::json::array()}}}};
    for (const auto& [k, v] : summary_extra.items()) j["summary"][k] = v;
    for (const auto& c : summaries) j["summary"]["cameras"].push_back(SummaryJson(c));
    *ctx.out << j.dump() << "\n";
  } else {
    PrintSummaryText(*ctx.out, summaries);
  }
  for (const auto& c : summaries) {
    if (c.status.health == CameraHealth::kFailed) {
      Fail(ctx, Status::InvalidArgument(c.status.error));
    }
  }
  if (!run.ok()) Fail(ctx, run);
  return summaries;
}

// `lfr watch --watchlist DIR --source URI...`: enrols a folder in memory, stores nothing.
void RunWatchFolder(const WatchArgs& args, Context& ctx) {
  std::vector<CameraSpec> cams;
  for (size_t i = 0; i < args.sources.size(); ++i) {
    auto src = ParseSource(args.sources[i]);
    if (!src.ok()) return Fail(ctx, src.status());
    cams.push_back({"cam" + std::to_string(i + 1), args.sources[i]});
  }
  auto listing = ListWatchlistDir(args.watchlist);
  if (!listing.ok()) return Fail(ctx, listing.status());

  auto store = OpenStore();
  if (!store.ok()) return Fail(ctx, store.status());
  InstalledModel det_model, rec_model;
  if (!LocateModels(*store, args.detector_id, args.recogniser_id, ctx, &det_model, &rec_model)) return;

  Harden(ctx);
  auto enrolled = EnrolWatchlistFolder(args.watchlist, *listing, *store, det_model, rec_model, ctx);
  if (!enrolled) return;
  const Watchlist& watchlist = *enrolled;

  auto threshold = ResolveThreshold(args.threshold, rec_model.spec->id, watchlist.subjects());
  if (!threshold.ok()) return Fail(ctx, threshold.status());
  if (!ctx.quiet) {
    *ctx.err << "lfr: threshold " << *threshold << " (" << args.threshold << ", "
             << rec_model.spec->id << ", " << watchlist.subjects() << " subjects)\n";
  }

  std::vector<AlertSink*> extra;
  std::unique_ptr<AlertsDirSink> dir_sink;
  if (!args.alerts_dir.empty()) {
    auto d = AlertsDirSink::Create(args.alerts_dir);
    if (!d.ok()) return Fail(ctx, d.status());
    dir_sink = std::move(d).value();
    extra.push_back(dir_sink.get());
  }
  RunPipeline(args, ctx, cams, det_model, rec_model, watchlist, OptionsFrom(args, *threshold), extra,
              nlohmann::json::object());
}

// `lfr watch --deployment ID`: the deployment's cameras and watchlist from the store
// (opened into memory only), its threshold; alerts and faces-seen counts go to the store.
void RunWatchDeployment(const WatchArgs& args, Context& ctx) {
  if (!args.alerts_dir.empty()) {
    return Fail(ctx, Status::InvalidArgument(
                         "--alerts-dir cannot be used with --deployment: alert images stay in the encrypted "
                         "store, under its retention"));
  }
  if (args.threshold_given) {
    return Fail(ctx, Status::InvalidArgument("--threshold cannot be used with --deployment: its own threshold is used"));
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto dep = store->FindDeployment(args.deployment);
  if (!dep.ok()) return Fail(ctx, dep.status());
  if (dep->status != DeploymentStatus::kActive) {
    return Fail(ctx, Status::FailedPrecondition(
                         "deployment " + std::to_string(dep->id) + " (" + dep->spec.name + ") is " +
                         DeploymentStatusName(dep->status) +
                         (dep->status == DeploymentStatus::kPlanned
                              ? ": start it first with `lfr deployment start " + std::to_string(dep->id) + "`"
                              : ": it cannot be watched any more")));
  }
  if (!args.recogniser_id.empty() && args.recogniser_id != dep->recogniser_id) {
    return Fail(ctx, Status::InvalidArgument("deployment " + std::to_string(dep->id) + " was enrolled with " +
                                             dep->recogniser_id + ", not " + args.recogniser_id));
  }
  auto cameras = store->ListCameras(dep->id);
  if (!cameras.ok()) return Fail(ctx, cameras.status());
  // Every camera of the deployment, or those --source names (by camera name or URI).
  std::vector<CameraSpec> cams;
  std::string known;
  for (const auto& c : *cameras) {
    known += (known.empty() ? "" : ", ") + c.name;
    const bool wanted = args.sources.empty() ||
                        std::find_if(args.sources.begin(), args.sources.end(), [&c](const std::string& s) {
                          return s == c.name || s == c.uri;
                        }) != args.sources.end();
    if (wanted) cams.push_back({c.name, c.uri});
  }
  for (const auto& s : args.sources) {
    if (std::none_of(cameras->begin(), cameras->end(), [&s](const Camera& c) { return s == c.name || s == c.uri; })) {
      return Fail(ctx, Status::InvalidArgument("deployment " + std::to_string(dep->id) + " has no camera \"" + s +
                                               "\" (its cameras: " + known + ")"));
    }
  }

  auto models = OpenStore();
  if (!models.ok()) return Fail(ctx, models.status());
  InstalledModel det_model, rec_model;
  if (!LocateModels(*models, args.detector_id, dep->recogniser_id, ctx, &det_model, &rec_model)) return;

  Harden(ctx);
  const Actor system{"system"};
  auto loaded = LoadDeploymentWatchlist(*store, dep->id, system);
  if (!loaded.ok()) return Fail(ctx, loaded.status());
  const Watchlist& watchlist = loaded->watchlist;
  auto threshold = ResolveThreshold(dep->spec.threshold, dep->recogniser_id, std::max(1, watchlist.subjects()));
  if (!threshold.ok()) return Fail(ctx, threshold.status());
  if (!ctx.quiet) {
    *ctx.err << "lfr: deployment " << dep->id << " (" << dep->spec.name << "): " << cams.size() << " camera(s), "
             << watchlist.subjects() << " watchlist entries, threshold " << *threshold << " ("
             << dep->spec.threshold << ")\n";
  }

  // Cameras that record footage get a recorder each (footage/deployment_footage.h).
  std::vector<Camera> wanted_cameras;
  for (const Camera& c : *cameras) {
    if (std::any_of(cams.begin(), cams.end(), [&c](const CameraSpec& s) { return s.name == c.name; })) {
      wanted_cameras.push_back(c);
    }
  }
  auto recorders = MakeDeploymentRecorders(store.get(), dep->id, wanted_cameras, DefaultFootageDir(),
                                           [&ctx](const std::string& camera, const Status& why) {
                                             if (!ctx.quiet) {
                                               *ctx.err << "lfr: camera " << camera
                                                        << ": footage recording stopped: " << why.message()
                                                        << " (live matching goes on)\n";
                                             }
                                           });
  if (!recorders.ok()) return Fail(ctx, recorders.status());
  for (CameraSpec& s : cams) {
    if (auto it = recorders->find(s.name); it != recorders->end()) s.packet_tap = it->second;
  }
  if (!recorders->empty() && !ctx.quiet) {
    *ctx.err << "lfr: recording footage of " << recorders->size() << " camera(s) under "
             << DefaultFootageDir().string() << " (sealed; deleted after 31 days)\n";
  }

  StoreAlertSink store_sink(store.get(), dep->id, loaded->entry_ids, system);
  PipelineOptions opts = OptionsFrom(args, *threshold);
  // The deployment's stored cameras are opened under the same rules as under `lfr serve`.
  opts.camera.source_policy = std::make_shared<const SourcePolicy>(SourcePolicyFromEnv({args.camera_dirs}));
  opts.observer = &store_sink;

  auto policy = RetentionPolicyFromEnv();
  if (!policy.ok()) return Fail(ctx, policy.status());
  RetentionEnforcer retention(store.get(), SystemClock(), *policy, DefaultFootageDir());
  Status started = retention.Start();
  if (!started.ok()) return Fail(ctx, started);
  const std::string target = "deployment:" + std::to_string(dep->id);
  Status audit = store->Audit(CliActor(), "watch.start", target,
                              nlohmann::json{{"cameras", cams.size()},
                                             {"entries", watchlist.subjects()},
                                             {"threshold", std::round(*threshold * 1e4) / 1e4}}
                                  .dump());
  if (!audit.ok()) return Fail(ctx, audit);

  auto summaries = RunPipeline(args, ctx, cams, det_model, rec_model, watchlist, opts, {&store_sink},
                               nlohmann::json{{"deployment", dep->id}});
  retention.Stop();
  int64_t frames = 0;
  for (const auto& c : summaries) frames += c.frames_processed;
  Status stop = store->Audit(CliActor(), "watch.stop", target,
                             nlohmann::json{{"alerts", store_sink.alerts_recorded()},
                                            {"faces_seen", store_sink.faces_seen()},
                                            {"frames", frames}}
                                 .dump());
  if (!stop.ok()) Fail(ctx, stop);
  if (!store_sink.counter_error().ok()) {
    Fail(ctx, Status::IOError("faces-seen counts could not all be stored: " + store_sink.counter_error().message()));
  }
}

void RunWatch(const WatchArgs& args, Context& ctx) {
  if (args.realtime && args.fast) {
    return Fail(ctx, Status::InvalidArgument("--realtime and --fast are mutually exclusive"));
  }
  if (args.watchlist.empty() == args.deployment.empty()) {
    return Fail(ctx, Status::InvalidArgument(
                         "give exactly one of --watchlist DIR (a folder, nothing stored) or --deployment ID "
                         "(the deployment's watchlist and cameras, alerts stored)"));
  }
  if (!args.deployment.empty()) return RunWatchDeployment(args, ctx);
  if (args.sources.empty()) {
    return Fail(ctx, Status::InvalidArgument("--source is required with --watchlist"));
  }
  RunWatchFolder(args, ctx);
}

}  // namespace

void RegisterWatchCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<WatchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "watch",
      "Live facial recognition: watch camera feeds for the people on a watchlist (--watchlist DIR with "
      "--source URI..., or --deployment ID). Alerts go to stdout (JSON lines with --json), then a "
      "per-camera summary; with --deployment also to the store. Faces that match nobody are never "
      "written anywhere. Exit 2 if a source or the watchlist is bad (other cameras still run), 5 if "
      "the deployment is not active.");
  cmd->add_option("--watchlist", args->watchlist,
                  "Folder of Name.jpg images (one person each) or of one folder of images per person; "
                  "enrolled in memory, nothing stored");
  cmd->add_option("--deployment", args->deployment,
                  "An active deployment (id or name): its cameras, watchlist and threshold from the store; "
                  "alerts and faces-seen counts are stored; retention runs every minute");
  cmd->add_option("--source", args->sources,
                  "Camera: video file, rtsp://..., http(s)://..., /dev/videoN or v4l2:N (repeat for more "
                  "cameras). With --deployment: only run these of its cameras (by name or URI)");
  auto* threshold_opt = cmd->add_option("--threshold", args->threshold,
                  "Alert threshold: a fused cosine score (e.g. 0.6) or a false-alert rate "
                  "\"fpir:1/6000\" resolved with the recogniser's calibration for the watchlist size")
      ->capture_default_str();
  cmd->add_option("--camera-dir", args->camera_dirs,
                  "With --deployment: a folder its video-file cameras may be read from (repeat; also "
                  "LFR_CAMERA_DIRS); its cameras are opened under the same rules as by `lfr serve`");
  cmd->add_flag("--json", args->json, "Alerts and the summary as JSON lines on stdout");
  cmd->add_option("--alerts-dir", args->alerts_dir,
                  "Save each alert's probe crop and JSON here (alerts only, never other faces)");
  cmd->add_flag("--realtime", args->realtime, "Files: play at the file's frame rate like a live camera (default)");
  cmd->add_flag("--fast", args->fast, "Files: process every frame as fast as possible (no drops)");
  cmd->add_flag("--loop", args->loop, "Files: start again at the end (stop with Ctrl-C or --max-seconds)");
  cmd->add_option("--max-seconds", args->max_seconds, "Stop each camera after this many seconds")
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--detector", args->detector_id, "Detector model id (default: highest priority installed)");
  cmd->add_option("--recogniser", args->recogniser_id, "Recogniser model id (default: highest priority installed)");
  cmd->add_option("--working-size", args->working_size,
                  "Long side in pixels frames are scaled to for detection (0 = full size)")
      ->check(CLI::Range(0, 8192))->capture_default_str();
  cmd->add_option("--min-face", args->min_face, "Ignore faces narrower than this (frame pixels)")
      ->check(CLI::Range(0.0f, 10000.0f))->capture_default_str();
  cmd->add_option("--detect-every", args->detect_every, "Run the detector on every n-th frame")
      ->check(CLI::Range(1, 100))->capture_default_str();
  cmd->add_option("--embed-every", args->embed_every,
                  "Re-embed a track at least every K frames (also when its quality improves)")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  cmd->add_option("--cooldown", args->cooldown, "Seconds before the same subject alerts again on the same camera")
      ->check(CLI::Range(0.0, 1e9))->capture_default_str();
  cmd->add_option("--fusion-k", args->fusion_k, "Fused score = mean of a track's best k scores")
      ->check(CLI::Range(1, 100))->capture_default_str();
  cmd->add_option("--min-observations", args->min_observations,
                  "Embeddings of a track needed before it can alert")
      ->check(CLI::Range(1, 100))->capture_default_str();
  cmd->add_flag("--flip", args->flip, "Embed each face and its mirror (more accurate, 2x embedding cost)");
  cmd->add_option("--threads", args->threads, "OpenCV threads (0 = cores / cameras)")
      ->check(CLI::Range(0, 256))->capture_default_str();
  cmd->callback([args, threshold_opt, &ctx] {
    args->threshold_given = threshold_opt->count() > 0;
    RunWatch(*args, ctx);
  });
}

}  // namespace lfr::cli
