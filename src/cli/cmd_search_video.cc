// `lfr search-video SOURCE... --watchlist DIR | --deployment D | --gallery G [--from T --to T]
// [--threads N] [--json] [--resume]`: forensic search of recorded video for the people on
// a list (video_search/video_search.h). Thin: parses, opens the list and the units, runs
// the search with a progress bar, keeps the sealed resume state, prints appearances.
#include <atomic>
#include <cmath>
#include <csignal>
#include <iomanip>
#include <memory>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/gallery_common.h"
#include "cli/store_common.h"
#include "cli/watch_common.h"
#include "eval/progress.h"
#include "match/calibration.h"
#include "store/retention.h"
#include "store/alert_sink.h"
#include "util/clock.h"
#include "util/paths.h"
#include "util/secure.h"
#include "video_search/deployment_search.h"
#include "video_search/resume.h"
#include "video_search/video_search.h"

namespace lfr::cli {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void OnSearchSignal(int) { g_interrupted = true; }

struct SearchVideoArgs {
  std::vector<std::string> sources;
  std::string watchlist, deployment, gallery;
  std::string from, to;
  std::string threshold = "0.6";
  bool threshold_given = false;
  int threads = 1;
  bool json = false;
  bool resume = false;
  std::string crops_dir;
  int stop_after = 0;
  double bench_seconds = 0;
  std::string detector_id, recogniser_id;
  int working_size = VideoSearchPipelineDefaults().detector.working_long_side;
  int detect_every = VideoSearchPipelineDefaults().detect_every;
  int embed_every = VideoSearchPipelineDefaults().tracker.embed_every;
  bool whole_files = false;
};

// The list searched for, whatever it comes from.
struct ListToSearch {
  Watchlist* watchlist = nullptr;
  float threshold = 0;
  std::string recogniser_id;
  nlohmann::json identity;  // what names the list in the job (no face data)
  std::string audit_target;  // "" = nothing to audit (a folder: no store)
};

std::string SafeName(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return s.substr(0, 60);
}

void PrintText(std::ostream& o, const std::vector<Appearance>& apps) {
  if (apps.empty()) {
    o << "no appearance of anyone on the list\n";
    return;
  }
  o << apps.size() << " appearance(s) of listed people (possible matches for review, not identifications):\n";
  for (const auto& a : apps) {
    o << "  " << a.source << "  ";
    if (a.start_utc_ms >= 0) {
      o << FormatUtcMs(a.start_utc_ms) << " - " << FormatUtcMs(a.end_utc_ms);
    } else {
      o << std::fixed << std::setprecision(2) << a.start_s << "s - " << a.end_s << "s";
    }
    o << "  " << a.subject << std::fixed << std::setprecision(3) << "  score " << a.best_score << " (fused "
      << a.best_fused << ", quality " << std::setprecision(2) << a.best_quality << ", at ";
    if (a.best_utc_ms >= 0) {
      o << FormatUtcMs(a.best_utc_ms);
    } else {
      o << a.best_time_s << "s";
    }
    o << ")\n";
    o.unsetf(std::ios::floatfield);
  }
}

// Fail, with exit 6 for sealed data that does not open (a tampered segment or state).
void FailSearch(Context& ctx, const Status& s) {
  Fail(ctx, s);
  if (s.code() == Status::Code::kCorrupt) ctx.exit_code = kExitTampered;
}

void RunSearchVideo(SearchVideoArgs args, Context& ctx) {
  const int lists = !args.watchlist.empty() + !args.deployment.empty() + !args.gallery.empty();
  if (lists != 1) {
    return Fail(ctx, Status::InvalidArgument(
                         "give exactly one list: --watchlist DIR, --deployment ID or --gallery ID"));
  }
  const bool footage = !args.deployment.empty() && args.sources.empty();
  if (args.sources.empty() && !footage) {
    return Fail(ctx, Status::InvalidArgument("give the video files to search (or --deployment D alone for its "
                                             "recorded footage)"));
  }
  if ((!args.from.empty() || !args.to.empty()) && !footage) {
    return Fail(ctx, Status::InvalidArgument("--from/--to select a deployment's recorded footage: use them with "
                                             "--deployment D and no SOURCE"));
  }
  if (footage && (args.from.empty() || args.to.empty())) {
    return Fail(ctx, Status::InvalidArgument("give the time range to search with --from and --to (UTC, e.g. "
                                             "2026-12-01T14:00Z)"));
  }
  if (!args.deployment.empty() && args.threshold_given) {
    return Fail(ctx, Status::InvalidArgument("--threshold cannot be used with --deployment: its own threshold is used"));
  }
  int64_t from_ms = 0, to_ms = 0;
  if (footage) {
    if (!ParseUtcMs(args.from, &from_ms)) return Fail(ctx, Status::InvalidArgument("--from: not a UTC time: " + args.from));
    if (!ParseUtcMs(args.to, &to_ms)) return Fail(ctx, Status::InvalidArgument("--to: not a UTC time: " + args.to));
    if (from_ms >= to_ms) {
      return Fail(ctx, Status::InvalidArgument("the time range is empty: --from " + args.from +
                                               " is not before --to " + args.to));
    }
  }
  if (!args.crops_dir.empty() && !args.deployment.empty()) {
    return Fail(ctx, Status::InvalidArgument("--crops cannot be used with --deployment: face images of a deployment "
                                             "stay in the encrypted store"));
  }

  // Every video file is checked before anything is loaded or written.
  std::vector<VideoUnit> units;
  for (const auto& s : args.sources) {
    auto u = ProbeVideoFile(s);
    if (!u.ok()) return Fail(ctx, u.status());
    if (args.bench_seconds > 0 && u->fps > 0) u->loop_frames = std::llround(args.bench_seconds * u->fps);
    if (u->loop_frames > 0) u->duration_s = static_cast<double>(u->loop_frames) / u->fps;
    units.push_back(std::move(u).value());
  }
  // Fewer files than threads: long files are cut at key frames so that every thread works.
  if (!args.whole_files && args.bench_seconds <= 0) units = SplitFiles(std::move(units), args.threads);

  auto models = OpenStore();
  if (!models.ok()) return Fail(ctx, models.status());

  // The list.
  std::unique_ptr<Store> store;
  ListToSearch list;
  Watchlist folder_list;
  std::unique_ptr<Watchlist> gallery_list;
  std::unique_ptr<DeploymentSearch> dep_search;
  InstalledModel det_model, rec_model;
  if (!args.watchlist.empty()) {
    auto listing = ListWatchlistDir(args.watchlist);
    if (!listing.ok()) return Fail(ctx, listing.status());
    if (!LocateModels(*models, args.detector_id, args.recogniser_id, ctx, &det_model, &rec_model)) return;
    Harden(ctx);
    auto enrolled = EnrolWatchlistFolder(args.watchlist, *listing, *models, det_model, rec_model, ctx);
    if (!enrolled) return;
    folder_list = std::move(*enrolled);
    auto t = ResolveThreshold(args.threshold, rec_model.spec->id, folder_list.subjects());
    if (!t.ok()) return Fail(ctx, t.status());
    list = {&folder_list, *t, rec_model.spec->id,
            {{"watchlist", std::filesystem::weakly_canonical(args.watchlist).string()}}, ""};
  } else {
    store = OpenCliStore(ctx);
    if (!store) return;
    if (!args.deployment.empty()) {
      Harden(ctx);
      if (footage) {
        auto prepared = PrepareDeploymentSearch(*store, args.deployment, from_ms, to_ms, DefaultFootageDir(),
                                                CliActor());
        if (!prepared.ok()) return Fail(ctx, prepared.status());
        dep_search = std::move(prepared).value();
        units = dep_search->units;
      } else {
        // Files against the deployment's watchlist and threshold: no footage needed.
        auto dep = store->FindDeployment(args.deployment);
        if (!dep.ok()) return Fail(ctx, dep.status());
        auto loaded = LoadDeploymentWatchlist(*store, dep->id, CliActor());
        if (!loaded.ok()) return Fail(ctx, loaded.status());
        auto t = ResolveThreshold(dep->spec.threshold, dep->recogniser_id, std::max(1, loaded->watchlist.subjects()));
        if (!t.ok()) return Fail(ctx, t.status());
        dep_search = std::make_unique<DeploymentSearch>();
        dep_search->deployment = *dep;
        dep_search->threshold = *t;
        dep_search->watchlist = std::make_unique<Watchlist>(std::move(loaded->watchlist));
      }
      const Deployment& d = dep_search->deployment;
      list = {dep_search->watchlist.get(), dep_search->threshold, d.recogniser_id,
              {{"deployment", d.id}}, "deployment:" + std::to_string(d.id)};
    } else {
      GalleryStore* galleries = Galleries(store.get(), ctx);
      if (!galleries) return;
      auto g = FindGalleryOrFail(galleries, args.gallery, ctx);
      if (!g) return;
      Harden(ctx);
      auto embs = galleries->LoadGalleryEmbeddings(g->id, CliActor());
      if (!embs.ok()) return Fail(ctx, embs.status());
      if (embs->empty()) return Fail(ctx, Status::FailedPrecondition("gallery " + args.gallery + " has no records"));
      gallery_list = std::make_unique<Watchlist>(static_cast<int>((*embs)[0].embedding.size() / sizeof(float)));
      for (const auto& e : *embs) {
        auto added = gallery_list->Add(e.reference, reinterpret_cast<const float*>(e.embedding.data()));
        if (!added.ok()) return Fail(ctx, added.status());
      }
      auto t = ResolveThreshold(args.threshold, g->recogniser_id, gallery_list->subjects());
      if (!t.ok()) return Fail(ctx, t.status());
      list = {gallery_list.get(), *t, g->recogniser_id, {{"gallery", g->id}}, "gallery:" + std::to_string(g->id)};
    }
    if (!LocateModels(*models, args.detector_id, list.recogniser_id, ctx, &det_model, &rec_model)) return;
  }

  // The resume state: sealed under a subkey of the master key.
  auto master = MasterKey::Load(DefaultMasterKeyPath());
  if (!master.ok()) {
    master = MasterKey::Create(DefaultMasterKeyPath());
    if (!master.ok()) return Fail(ctx, master.status());
  }
  nlohmann::json job = {{"list", list.identity},
                        {"threshold", std::round(list.threshold * 1e4) / 1e4},
                        {"recogniser", list.recogniser_id},
                        {"units", nlohmann::json::array()},
                        {"detect_every", args.detect_every},
                        {"working_size", args.working_size},
                        {"embed_every", args.embed_every}};
  for (const auto& u : units) job["units"].push_back(u.key);
  if (footage) job["range"] = {from_ms, to_ms};
  auto state = SearchState::Open(HomeDir() / "video-search", job, master->Derive(1, "lfrvsrch"), args.resume,
                                 SystemClock()->NowMs());
  if (!state.ok()) return FailSearch(ctx, state.status());
  if (!ctx.quiet) {
    *ctx.err << "lfr: searching " << units.size() << " video unit(s) for " << list.watchlist->subjects()
             << " listed subject(s) at threshold " << list.threshold;
    if (state->resumed()) *ctx.err << "; resuming: " << state->units_done() << " unit(s) already done";
    *ctx.err << "\n";
  }

  VideoSearchOptions vopts;
  vopts.threads = args.threads;
  vopts.keep_crops = !args.crops_dir.empty();
  vopts.pipeline.threshold = list.threshold;
  vopts.pipeline.detector.working_long_side = args.working_size;
  vopts.pipeline.detect_every = args.detect_every;
  vopts.pipeline.tracker.embed_every = args.embed_every;
  if (footage) {
    vopts.from_utc_ms = from_ms;
    vopts.to_utc_ms = to_ms;
  }
  if (!args.crops_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.crops_dir, ec);
    if (ec) return Fail(ctx, Status::IOError("cannot create " + args.crops_dir + ": " + ec.message()));
  }
  VideoSearch search(det_model, rec_model, list.watchlist, vopts);

  int units_this_run = 0;
  bool stopped_early = false;
  auto on_unit = [&](const UnitOutcome& u) -> Status {
    if (!args.crops_dir.empty()) {
      for (const auto& a : u.appearances) {
        if (a.best_crop.empty()) continue;
        const auto p = std::filesystem::path(args.crops_dir) /
                       (SafeName(a.source) + "_" + std::to_string(std::llround(a.start_s * 1000)) + "_" +
                        SafeName(a.subject) + ".jpg");
        if (!cv::imwrite(p.string(), a.best_crop)) return Status::IOError("cannot write " + p.string());
      }
    }
    Status s = state->Record(u);
    if (!s.ok()) return s;
    if (args.stop_after > 0 && ++units_this_run >= args.stop_after) {
      stopped_early = true;
      search.RequestStop();
    }
    return Status::Ok();
  };
  VideoSearchProgress last;
  double total = 0;
  for (const auto& u : units) total += u.duration_s;
  eval::ProgressBar progress(ctx.quiet ? nullptr : ctx.err, "search-video (seconds of video)",
                             std::max<int64_t>(1, std::llround(total)));
  auto on_progress = [&](const VideoSearchProgress& p) {
    last = p;
    progress.Set(std::llround(p.media_done_s));
  };

  g_interrupted = false;
  auto old_int = std::signal(SIGINT, OnSearchSignal);
  auto old_term = std::signal(SIGTERM, OnSearchSignal);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      if (g_interrupted) {
        search.RequestStop();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  Status run = search.Run(units, [&](const std::string& key) { return state->Done(key); }, on_unit, on_progress);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  done = true;
  watcher.join();
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  progress.Finish();

  const bool interrupted = search.stopped() && !stopped_early;
  const bool complete = run.ok() && state->units_done() == static_cast<int>(units.size());
  auto appearances = MergeAppearances(state->Appearances(), vopts.merge_gap_s);
  const std::string outcome = !run.ok() ? "failed" : complete ? "completed" : "interrupted";
  if (store && !list.audit_target.empty()) {
    nlohmann::json details = {{"outcome", outcome},
                              {"units", units.size()},
                              {"units_done", state->units_done()},
                              {"seconds_searched", std::round(state->media_s() * 10) / 10},
                              {"appearances", appearances.size()},
                              {"threshold", std::round(list.threshold * 1e4) / 1e4}};
    if (footage) {
      details["from"] = FormatUtcMs(from_ms);
      details["to"] = FormatUtcMs(to_ms);
    }
    Status a = store->Audit(CliActor(), "video_search.run", list.audit_target, details.dump());
    if (!a.ok()) Fail(ctx, a);
  }
  if (!run.ok()) return FailSearch(ctx, run);
  if (!complete) {
    *ctx.err << "lfr: search-video " << (interrupted ? "interrupted" : "stopped") << " after "
             << state->units_done() << " of " << units.size()
             << " unit(s); continue with the same command and --resume\n";
    ctx.exit_code = kExitNothingFound;  // incomplete
    return;
  }
  if (Status r = state->Remove(); !r.ok()) Fail(ctx, r);

  const double xrt = elapsed > 0 ? state->media_s() / elapsed : 0;
  if (args.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& a : appearances) arr.push_back(AppearanceToJson(a));
    nlohmann::json j = {{"appearances", arr},
                        {"summary",
                         {{"units", units.size()},
                          {"seconds_searched", std::round(state->media_s() * 100) / 100},
                          {"frames", state->frames()},
                          {"elapsed_s", std::round(elapsed * 100) / 100},
                          {"x_realtime", std::round(xrt * 10) / 10},
                          {"threads", args.threads},
                          {"threshold", std::round(list.threshold * 1e4) / 1e4},
                          {"subjects", list.watchlist->subjects()}}}};
    *ctx.out << j.dump() << "\n";
  } else {
    PrintText(*ctx.out, appearances);
    *ctx.out << std::fixed << std::setprecision(1) << "searched " << state->media_s() << " s of video ("
             << state->frames() << " frames) in " << elapsed << " s: " << xrt << "x real time, " << args.threads
             << " thread(s)\n";
    ctx.out->unsetf(std::ios::floatfield);
  }
}

}  // namespace

void RegisterSearchVideoCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<SearchVideoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "search-video",
      "Forensic search of recorded video: when do the people on a list appear in it? Decodes and "
      "processes the video as fast as the CPU allows (the live pipeline's detection, tracking, quality "
      "gate and matching), and reports appearances of listed people only: source, start and end time, "
      "best face's score and quality, subject. Faces that match nobody are never kept. SOURCE: video "
      "files; with --deployment D and no SOURCE, the deployment's recorded footage between --from and "
      "--to (UTC). Progress on stderr; an interrupted search continues with the same command and "
      "--resume. Exit 1 if the search is incomplete (interrupted, --stop-after), 2 for a bad input, 6 for a tampered segment.");
  cmd->add_option("SOURCE", args->sources, "Video files to search");
  cmd->add_option("--watchlist", args->watchlist,
                  "Folder of Name.jpg images or of one folder per person (enrolled in memory, nothing stored)");
  cmd->add_option("--deployment", args->deployment,
                  "A deployment (id or name): its watchlist and threshold; without SOURCE its recorded "
                  "footage in [--from, --to) is searched (audited)");
  cmd->add_option("--gallery", args->gallery, "A retrospective-search gallery (id or name; audited)");
  cmd->add_option("--from", args->from, "Start of the footage range (UTC, e.g. 2026-12-01T14:00Z)");
  cmd->add_option("--to", args->to, "End of the footage range (UTC, exclusive)");
  auto* threshold_opt = cmd->add_option("--threshold", args->threshold,
                                        "With --watchlist/--gallery: a fused cosine score or \"fpir:1/6000\" "
                                        "(calibrated for the list size)")
                            ->capture_default_str();
  cmd->add_option("--threads", args->threads,
                  "Video units (files, segments) searched at once; with fewer files than threads, files "
                  "longer than 20 s are cut at key frames into parts searched at once (resume with the same "
                  "--threads)")
      ->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_flag("--whole-files", args->whole_files, "Never cut a file into parts (one thread per file)");
  cmd->add_flag("--json", args->json, "The appearances and a summary as one JSON object on stdout");
  cmd->add_flag("--resume", args->resume,
                "Continue an interrupted run of the same search (its sealed state under "
                "$LFR_HOME/video-search, kept at most 24 h)");
  cmd->add_option("--crops", args->crops_dir,
                  "With --watchlist/--gallery: save the best face of each appearance here (JPEG; appearances "
                  "only, never other faces)");
  cmd->add_option("--stop-after", args->stop_after,
                  "Search at most this many units now (continue later with --resume); exit 1 if some remain")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--bench-seconds", args->bench_seconds,
                  "Benchmark: read each file again and again until this many seconds of video are searched, "
                  "then report x real time")
      ->check(CLI::Range(0.0, 100000.0));
  cmd->add_option("--detector", args->detector_id, "Detector model id (default: highest priority installed)");
  cmd->add_option("--recogniser", args->recogniser_id,
                  "With --watchlist: recogniser model id (default: highest priority installed)");
  cmd->add_option("--working-size", args->working_size, "Long side frames are scaled to for detection")
      ->check(CLI::Range(0, 8192))->capture_default_str();
  cmd->add_option("--detect-every", args->detect_every, "Run the detector on every n-th frame (tracking between)")
      ->check(CLI::Range(1, 100))->capture_default_str();
  cmd->add_option("--embed-every", args->embed_every, "Re-embed a track at least every K frames")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  cmd->callback([args, threshold_opt, &ctx] {
    args->threshold_given = threshold_opt->count() > 0;
    RunSearchVideo(*args, ctx);
  });
}

}  // namespace lfr::cli
