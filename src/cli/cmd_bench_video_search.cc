// `lfr bench search-video`: speed of forensic video search (video_search/video_search.h) —
// x real time per clip and per --threads value, CPU time, where the time goes per stage, and
// the appearances found (so that a faster configuration can be checked against a slower
// one). A benchmark, not a test: the figures depend on the machine and its load, which are
// printed with them (docs/PERFORMANCE.md).
//
// Each clip is searched for --seconds of video: the shared clips are 4-80 s long, so a clip
// is read again and again (as if it were a long recording; a loop starts on a key frame).
// With --threads T the seconds are cut into T units of seconds/T, searched at once, one per
// thread — what `lfr search-video --threads T` does with T one-minute footage segments, or
// with one long file cut at key frames. Wall time includes everything a search does per
// unit (opening, loading or reusing the networks), not the watchlist enrolment.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/watch_common.h"
#include "match/watchlist.h"
#include "video_search/video_search.h"

namespace lfr::cli {
namespace {

struct VideoSearchBenchArgs {
  std::vector<std::string> clips;
  std::string watchlist;
  std::string threads = "1,2";
  double seconds = 60;
  float threshold = 0.6f;
  int working_size = VideoSearchPipelineDefaults().detector.working_long_side;
  int detect_every = VideoSearchPipelineDefaults().detect_every;
  int embed_every = VideoSearchPipelineDefaults().tracker.embed_every;
  float quality_gain = VideoSearchPipelineDefaults().tracker.quality_gain;
  int decoder_threads = 0;  // 0: the search's default
  float min_eye_px = QualityOptions{}.min_inter_eye_px;
  bool deblock = false;
  bool json = false;
};

double CpuSecondsNow() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

double LoadAverage() {
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  return load[0];
}

std::vector<int> ParseInts(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(std::stoi(item));
  }
  return out;
}

void RunVideoSearchBench(const VideoSearchBenchArgs& args, Context& ctx) {
  const std::vector<int> thread_counts = ParseInts(args.threads);
  if (thread_counts.empty()) return Fail(ctx, Status::InvalidArgument("--threads: give e.g. 1,2"));
  std::vector<VideoUnit> clips;
  for (const auto& c : args.clips) {
    auto u = ProbeVideoFile(c);
    if (!u.ok()) return Fail(ctx, u.status());
    if (u->fps <= 0) return Fail(ctx, Status::InvalidArgument(c + ": unknown frame rate"));
    clips.push_back(std::move(u).value());
  }
  auto listing = ListWatchlistDir(args.watchlist);
  if (!listing.ok()) return Fail(ctx, listing.status());
  auto models = OpenStore();
  if (!models.ok()) return Fail(ctx, models.status());
  InstalledModel det, rec;
  if (!LocateModels(*models, "", "", ctx, &det, &rec)) return;
  auto list = EnrolWatchlistFolder(args.watchlist, *listing, *models, det, rec, ctx);
  if (!list) return;

  std::ostringstream machine;
  {
    std::string cpu = "unknown CPU";
    std::ifstream f("/proc/cpuinfo");
    for (std::string line; std::getline(f, line);) {
      if (line.rfind("model name", 0) == 0) {
        cpu = line.substr(line.find(':') + 2);
        break;
      }
    }
    machine << cpu << ", " << std::thread::hardware_concurrency() << " logical CPUs";
  }
  nlohmann::json rows = nlohmann::json::array();
  if (!args.json) {
    *ctx.out << machine.str() << "; working size " << args.working_size << ", detect every " << args.detect_every
             << ", embed every " << args.embed_every << ", quality gain " << args.quality_gain << ", eyes >= " << args.min_eye_px << " px, " << args.seconds << " s of video per run\n";
    *ctx.out << "clip                       thr  video_s  wall_s   x_rt  cpu_s  vid_s/cpu_s  load | ms/frame: "
                "reader_cpu decode det align embed search | open_s  det_runs faces embeds | found\n";
  }
  for (const VideoUnit& clip : clips) {
    for (int t : thread_counts) {
      if (t < 1) return Fail(ctx, Status::InvalidArgument("--threads: values must be >= 1"));
      const int64_t frames_total = std::llround(args.seconds * clip.fps);
      std::vector<VideoUnit> units;
      for (int i = 0; i < t; ++i) {
        VideoUnit u = clip;
        u.key = clip.key + "#" + std::to_string(i);
        u.loop_frames = frames_total / t + (i < frames_total % t ? 1 : 0);
        u.duration_s = static_cast<double>(u.loop_frames) / clip.fps;
        units.push_back(std::move(u));
      }
      VideoSearchOptions o;
      o.threads = t;
      o.pipeline.threshold = args.threshold;
      o.pipeline.detector.working_long_side = args.working_size;
      o.pipeline.detect_every = args.detect_every;
      o.pipeline.tracker.embed_every = args.embed_every;
      o.pipeline.tracker.quality_gain = args.quality_gain;
      if (args.decoder_threads > 0) o.decoder_threads = args.decoder_threads;
      if (args.deblock) o.pipeline.camera.skip_loop_filter = false;
      o.pipeline.quality.min_inter_eye_px = args.min_eye_px;
      VideoSearch search(det, rec, &*list, o);
      std::vector<UnitOutcome> outcomes;
      std::vector<Appearance> found;
      const double load = LoadAverage();
      const double cpu0 = CpuSecondsNow();
      const auto t0 = std::chrono::steady_clock::now();
      Status s = search.Run(units, {}, [&](const UnitOutcome& u) {
        outcomes.push_back(u);
        for (const auto& a : u.appearances) found.push_back(a);
        return Status::Ok();
      });
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = CpuSecondsNow() - cpu0;
      if (!s.ok()) return Fail(ctx, s);
      UnitStats st;
      double media = 0;
      int64_t frames = 0;
      for (const auto& u : outcomes) {
        media += u.media_s;
        frames += u.frames;
        st.open_ms += u.stats.open_ms;
        st.decode_ms += u.stats.decode_ms;
        st.detect_ms += u.stats.detect_ms;
        st.analyse_ms += u.stats.analyse_ms;
        st.embed_ms += u.stats.embed_ms;
        st.match_ms += u.stats.match_ms;
        st.reader_cpu_ms += u.stats.reader_cpu_ms;
        st.detector_runs += u.stats.detector_runs;
        st.faces += u.stats.faces;
        st.embeddings += u.stats.embeddings;
        st.faces_passed_quality += u.stats.faces_passed_quality;
        st.tracks += u.stats.tracks;
      }
      // Appearances per unit (a unit loops its clip, so one person appears once per pass).
      std::map<std::string, int> per_subject;
      std::map<std::string, float> best;
      for (const auto& a : MergeAppearances(found, o.merge_gap_s)) {
        per_subject[a.subject]++;
        best[a.subject] = std::max(best.count(a.subject) ? best[a.subject] : -1.0f, a.best_fused);
      }
      std::ostringstream who;
      for (const auto& [subject, n] : per_subject) {
        who << (who.tellp() > 0 ? " " : "") << subject << " x" << n << " (best fused " << std::fixed
            << std::setprecision(3) << best[subject] << ")";
      }
      const double per_frame = frames > 0 ? 1.0 / static_cast<double>(frames) : 0;
      nlohmann::json row = {{"clip", clip.source},
                            {"threads", t},
                            {"video_s", media},
                            {"frames", frames},
                            {"wall_s", wall},
                            {"x_realtime", wall > 0 ? media / wall : 0},
                            {"cpu_s", cpu},
                            {"video_s_per_cpu_s", cpu > 0 ? media / cpu : 0},
                            {"load_1min_at_start", load},
                            {"ms_per_frame",
                             {{"reader_cpu", st.reader_cpu_ms * per_frame},
                              {"decode_handed_over", st.decode_ms * per_frame},
                              {"detect", st.detect_ms * per_frame},
                              {"align_quality_track", st.analyse_ms * per_frame},
                              {"embed", st.embed_ms * per_frame},
                              {"search", st.match_ms * per_frame}}},
                            {"open_s", st.open_ms / 1000},
                            {"detector_runs", st.detector_runs},
                            {"faces", st.faces},
                            {"embeddings", st.embeddings},
                            {"faces_passed_quality", st.faces_passed_quality},
                            {"tracks", st.tracks},
                            {"appearances", per_subject},
                            {"best_fused", best}};
      rows.push_back(row);
      if (!args.json) {
        std::string name = clip.path.filename().string();
        if (name.size() > 26) name = name.substr(0, 26);
        *ctx.out << std::fixed << std::left << std::setw(27) << name << std::right << std::setw(3) << t
                 << std::setprecision(1) << std::setw(9) << media << std::setw(8) << wall << std::setw(7)
                 << (wall > 0 ? media / wall : 0) << std::setw(7) << cpu << std::setw(13)
                 << (cpu > 0 ? media / cpu : 0) << std::setprecision(2) << std::setw(6) << load << " |"
                 << std::setw(11) << st.reader_cpu_ms * per_frame << std::setw(7) << st.decode_ms * per_frame
                 << std::setw(5) << st.detect_ms * per_frame << std::setw(6) << st.analyse_ms * per_frame
                 << std::setw(6) << st.embed_ms * per_frame << std::setw(7) << st.match_ms * per_frame << " |"
                 << std::setw(7) << st.open_ms / 1000 << std::setw(10) << st.detector_runs << std::setw(6)
                 << st.faces << std::setw(7) << st.embeddings << " | " << (per_subject.empty() ? "-" : who.str())
                 << std::endl;
        ctx.out->unsetf(std::ios::floatfield);
      }
    }
  }
  if (args.json) {
    *ctx.out << nlohmann::json{{"machine", machine.str()},
                               {"working_size", args.working_size},
                               {"detect_every", args.detect_every},
                               {"embed_every", args.embed_every},
                               {"seconds", args.seconds},
                               {"results", rows}}
                    .dump(2)
             << "\n";
  }
}

}  // namespace

void RegisterVideoSearchBench(CLI::App* bench, Context& ctx) {
  auto a = std::make_shared<VideoSearchBenchArgs>();
  CLI::App* c = bench->add_subcommand(
      "search-video",
      "Speed of forensic video search (lfr search-video): per clip and --threads value, seconds of "
      "video searched per second (x real time), CPU time, milliseconds per frame per stage, and the "
      "appearances found. Each clip is read again and again until --seconds of video; with --threads T "
      "that is cut into T units searched at once");
  c->add_option("CLIP", a->clips, "Video files")->required();
  c->add_option("--watchlist", a->watchlist, "Folder of Name.jpg images or of one folder per person")->required();
  c->add_option("--threads", a->threads, "Thread counts to try, e.g. 1,2")->capture_default_str();
  c->add_option("--seconds", a->seconds, "Seconds of video per run")
      ->check(CLI::Range(1.0, 36000.0))->capture_default_str();
  c->add_option("--threshold", a->threshold, "Fused cosine score of an appearance")->capture_default_str();
  c->add_option("--working-size", a->working_size, "Detection working long side")
      ->check(CLI::Range(0, 8192))->capture_default_str();
  c->add_option("--detect-every", a->detect_every, "Run the detector on every n-th frame")
      ->check(CLI::Range(1, 100))->capture_default_str();
  c->add_option("--embed-every", a->embed_every, "Re-embed a track at least every K frames")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  c->add_option("--quality-gain", a->quality_gain,
                "Re-embed a track when its face quality beats the best embedded one by this much")
      ->check(CLI::Range(0.0f, 1.0f))->capture_default_str();
  c->add_option("--decoder-threads", a->decoder_threads,
                "Threads per video decoder (0 = the search's default: cores / threads)")
      ->check(CLI::Range(0, 64))->capture_default_str();
  c->add_option("--min-eye-px", a->min_eye_px,
                "Quality gate: least distance between the eyes (full-resolution pixels) of a face that is "
                "searched (an experiment: the search and live use keep the default)")
      ->check(CLI::Range(0.0f, 1000.0f))->capture_default_str();
  c->add_flag("--deblock", a->deblock, "Keep H.264's deblocking filter (the search skips it by default)");
  c->add_flag("--json", a->json, "JSON output");
  c->callback([a, &ctx] { RunVideoSearchBench(*a, ctx); });
}

}  // namespace lfr::cli
