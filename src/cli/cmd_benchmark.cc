// `lfr bench pipeline|match|serve|search|search-video`: throughput benchmarks of the live pipeline and of watchlist
// search (docs/PERFORMANCE.md). (Named cmd_benchmark.cc: CMake treats *_bench.cc as Google
// Benchmark sources.) Benchmarks, not tests: numbers depend on the machine and its load, so
// they print the machine and load next to the results.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <faiss/IndexFlat.h>
#include <omp.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "footage/recorder.h"
#include "match/matcher.h"
#include "match/watchlist.h"
#include "pipeline/pipeline.h"
#include "util/secure.h"

namespace lfr::cli {
namespace {

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

std::string MachineLine() {
  std::string cpu = "unknown CPU";
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << cpu << ", " << std::thread::hardware_concurrency()
    << " logical CPUs, load average " << load[0] << " " << load[1] << " " << load[2];
  return s.str();
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(std::stoi(item));
  }
  return out;
}

// Random unit vectors: the synthetic watchlist of the benchmarks (no face data).
void RandomUnitRows(int n, int dim, uint64_t seed, std::vector<float>* out) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  out->resize(static_cast<size_t>(n) * dim);
  for (int i = 0; i < n; ++i) {
    float* r = out->data() + static_cast<size_t>(i) * dim;
    double n2 = 0;
    for (int j = 0; j < dim; ++j) {
      r[j] = g(rng);
      n2 += double(r[j]) * r[j];
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(n2));
    for (int j = 0; j < dim; ++j) r[j] *= inv;
  }
}

struct PipelineBenchArgs {
  std::string source;
  std::string cameras = "1,2,4";
  double seconds = 20;
  int watchlist_size = 1000;
  int working_size = kDefaultWorkingSize;
  int detect_every = kDefaultDetectEvery;
  int embed_every = kDefaultEmbedEvery;
  bool json = false;
  int threads = 0;
  std::string backend = "auto";
  int decoder_threads = 1;
  bool skip_loop_filter = false;
  bool no_skip_nonref = false;
  bool lossless = false;
  int64_t frames = 0;
  bool no_decoder_downscale = false;
  int reader_nice = CameraOptions{}.reader_nice;
  double max_behind_s = CameraOptions{}.max_behind_s;
  int queue_frames = PipelineOptions{}.queue_frames;
  bool fixed_detect = false;
  bool record_footage = false;
  int busy_embed_budget = PipelineOptions{}.busy_embed_budget;
  double warmup_s = 5;
};

// Frame counts summed over the cameras of a run (a live snapshot or the final summary).
struct FrameCounts {
  int64_t read = 0, processed = 0, dropped = 0, late = 0, shed = 0;
  template <typename CameraT>
  void Add(const CameraT& c) {
    read += c.status.frames_read;
    processed += c.frames_processed;
    dropped += c.status.frames_dropped;
    late += c.status.frames_late;
    shed += c.status.frames_shed;
  }
};

void RunPipelineBench(const PipelineBenchArgs& args, Context& ctx) {
  std::vector<int> ns;
  try {
    ns = ParseList(args.cameras);
  } catch (const std::exception&) {
    return Fail(ctx, Status::InvalidArgument("--cameras: expected N or N,N,... (e.g. 1,2,4)"));
  }
  for (int n : ns) {
    if (n < 1 || n > 64) return Fail(ctx, Status::InvalidArgument("--cameras: each N must be 1..64"));
  }
  DecoderBackend backend = DecoderBackend::kAuto;
  if (args.backend == "opencv") {
    backend = DecoderBackend::kOpenCv;
  } else if (args.backend == "libav") {
    if (!HaveLibav()) return Fail(ctx, Status::InvalidArgument("--backend libav: this build has no libav"));
    backend = DecoderBackend::kLibav;
  } else if (args.backend != "auto") {
    return Fail(ctx, Status::InvalidArgument("--backend: expected auto, opencv or libav"));
  }
  if (!std::filesystem::exists(args.source)) {
    return Fail(ctx, Status::NotFound("video file " + args.source + " does not exist"));
  }
  auto store = OpenStore();
  if (!store.ok()) return Fail(ctx, store.status());
  auto det = store->DefaultFor(ModelRole::kDetector);
  auto rec = store->DefaultFor(ModelRole::kRecogniser);
  for (const auto* m : {&det, &rec}) {
    if (!m->ok()) {
      *ctx.err << "lfr: " << m->status().message() << "\n";
      ctx.exit_code = kExitMissingModel;
      return;
    }
  }
  auto emb = Embedder::Create(*rec);
  if (!emb.ok()) return Fail(ctx, emb.status());
  const int dim = (*emb)->dim();
  Watchlist watchlist(dim);
  std::vector<float> rows;
  RandomUnitRows(args.watchlist_size, dim, 42, &rows);
  for (int i = 0; i < args.watchlist_size; ++i) {
    auto r = watchlist.Add("synthetic_" + std::to_string(i), rows.data() + static_cast<size_t>(i) * dim);
    if (!r.ok()) return Fail(ctx, r.status());
  }

  nlohmann::json results = nlohmann::json::array();
  const std::string machine = MachineLine();
  if (!args.json) {
    *ctx.out << "machine: " << machine << "\nsource: " << args.source << ", " << args.seconds
             << " s per run (file looped, paced at its frame rate; frame percentages after a "
             << args.warmup_s << " s warm-up), synthetic watchlist of "
             << args.watchlist_size << ", working size " << args.working_size << ", detect every "
             << args.detect_every << ", embed every " << args.embed_every << ", decoder "
             << args.backend << " (libav: " << args.decoder_threads << " thread(s), skip non-ref "
             << (args.no_skip_nonref ? "off" : "on") << ", skip loop filter "
             << (args.skip_loop_filter ? "on" : "off") << ", detector copy from YUV "
             << (args.no_decoder_downscale ? "off" : "on") << "), reader nice " << args.reader_nice
             << ", readers catch up to " << args.max_behind_s << " s behind, queue " << args.queue_frames << " frames, detect interval "
             << (args.fixed_detect ? "fixed" : "adaptive") << ", busy embed budget "
             << args.busy_embed_budget << ", recogniser " << rec->spec->id << "\n"
             << (args.lossless ? "LOSSLESS: not paced, every frame taken (measures CPU per frame, not capacity)\n" : "")
             << (args.record_footage ? "every camera records footage (sealed segments, temporary folder)\n" : "")
             << "cameras  frames_read  processed%  dropped%  late%  shed%  every_max  cpu_cores  cpu%  cpu_ms/frame  decision_p50_ms  decision_p95_ms  detect_p50_ms  decode_p50_ms  embeddings  faces  gap_p99_ms  gap_max_ms  dropped%_whole_run\n";
  }
  for (int n : ns) {
    std::vector<CameraSpec> cams;
    for (int i = 0; i < n; ++i) cams.push_back({"cam" + std::to_string(i + 1), args.source});
    // --record-footage: every camera also records, as a deployment's would (footage/recorder.h),
    // into a temporary folder removed after the run, under a throwaway key.
    const std::filesystem::path footage_dir =
        std::filesystem::temp_directory_path() / ("lfr-bench-footage-" + std::to_string(getpid()));
    std::vector<std::shared_ptr<FootageRecorder>> recorders;
    if (args.record_footage) {
      const SecretBytes key = RandomKey();
      for (int i = 0; i < n; ++i) {
        RecorderOptions ro;
        ro.footage_root = footage_dir;
        ro.deployment_id = 1;
        ro.camera_id = i + 1;
        ro.camera_name = cams[static_cast<size_t>(i)].name;
        recorders.push_back(std::make_shared<FootageRecorder>(ro, key));
        cams[static_cast<size_t>(i)].packet_tap = recorders.back();
      }
    }
    PipelineOptions opts;
    opts.camera.realtime = !args.lossless;
    opts.camera.loop = true;
    opts.camera.max_seconds = args.seconds;
    opts.camera.max_frames = args.frames;
    opts.detector.working_long_side = args.working_size;
    opts.detect_every = args.detect_every;
    opts.tracker.embed_every = args.embed_every;
    opts.threshold = 0.99f;  // random vectors never reach it; alerts are not the point
    opts.cv_threads = args.threads;
    opts.camera.backend = backend;
    opts.camera.decoder_threads = args.decoder_threads;
    opts.camera.skip_loop_filter = args.skip_loop_filter;
    opts.camera.skip_nonref = !args.no_skip_nonref;
    if (args.no_decoder_downscale) opts.camera.working_long_side = -1;
    opts.camera.reader_nice = args.reader_nice;
    opts.camera.max_behind_s = args.max_behind_s;
    opts.queue_frames = args.queue_frames;
    opts.adaptive_detect = !args.fixed_detect;
    opts.busy_embed_budget = args.busy_embed_budget;
    std::ostringstream sink_out;
    JsonLinesSink sink(&sink_out);
    auto p = Pipeline::Create(cams, *det, *rec, &watchlist, &sink, opts);
    if (!p.ok()) return Fail(ctx, p.status());
    const double cpu0 = CpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    // The counts at the end of the warm-up (start-up: every face new, the cadence still
    // finding its level) are taken from the live snapshot, so that the steady state can be
    // reported apart from the start.
    FrameCounts at_warmup;
    std::mutex warm_mu;
    std::condition_variable warm_cv;
    bool run_done = false;
    std::thread warm([&] {
      std::unique_lock<std::mutex> lock(warm_mu);
      const auto until = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(args.warmup_s));
      if (args.warmup_s <= 0 || warm_cv.wait_until(lock, until, [&] { return run_done; })) return;
      for (const auto& c : (*p)->LiveStats()) at_warmup.Add(c);
    });
    Status s = (*p)->Run();
    {
      std::lock_guard<std::mutex> lock(warm_mu);
      run_done = true;
    }
    warm_cv.notify_all();
    warm.join();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = CpuSeconds() - cpu0;
    if (!s.ok()) return Fail(ctx, s);
    for (auto& r : recorders) {
      r->Close();
      if (r->status().state == RecordingState::kFailed) {
        return Fail(ctx, Status::IOError("footage recording failed: " + r->status().error));
      }
    }
    recorders.clear();
    std::error_code rm_ec;
    std::filesystem::remove_all(footage_dir, rm_ec);
    FrameCounts all;
    int64_t embeddings = 0, faces = 0, deferred = 0;
    LatencyStats total, detect, decode, gap;
    for (const auto& c : (*p)->Summaries()) {
      if (c.status.health == CameraHealth::kFailed) return Fail(ctx, Status::InvalidArgument(c.status.error));
      all.Add(c);
      embeddings += c.embeddings;
      deferred += c.embeddings_deferred;
      faces += c.faces_detected;
      gap.Merge(c.detect_gap_ms);
      total.Merge(c.total_ms);
      detect.Merge(c.detect_ms);
      decode.Merge(c.decode_ms);
    }
    const double cores = cpu / wall;
    // After the warm-up (the whole run if it ended first or --warmup 0).
    const int64_t read = all.read - at_warmup.read;
    const double pct_processed = read ? 100.0 * (all.processed - at_warmup.processed) / read : 0;
    const double pct_dropped = read ? 100.0 * (all.dropped - at_warmup.dropped) / read : 0;
    const double pct_late = read ? 100.0 * (all.late - at_warmup.late) / read : 0;
    const double pct_shed = read ? 100.0 * (all.shed - at_warmup.shed) / read : 0;
    const double pct_dropped_all = all.read ? 100.0 * all.dropped / all.read : 0;
    const int64_t processed = all.processed;
    const int every_max = (*p)->max_detect_every_reached();
    const double machine_pct = 100.0 * cores / std::max(1u, std::thread::hardware_concurrency());
    // CPU time (all threads: decode, detect, embed, ...) per processed frame: the cost that
    // bounds how many cameras an idle machine could carry, less sensitive to other load.
    const double cpu_ms_per_frame = processed ? 1000.0 * cpu / processed : 0;
    nlohmann::json j = {{"cameras", n},
                        {"frames_read", all.read},
                        {"frames_read_after_warmup", read},
                        {"warmup_s", args.warmup_s},
                        {"dropped_pct_whole_run", pct_dropped_all},
                        {"frames_dropped_in_warmup", at_warmup.dropped},
                        {"processed_pct", pct_processed},
                        {"dropped_pct", pct_dropped},
                        {"late_pct", pct_late},
                        {"shed_pct", pct_shed},
                        {"detect_every_max", every_max},
                        {"cpu_cores", cores},
                        {"cpu_pct_of_machine", machine_pct},
                        {"cpu_ms_per_processed_frame", cpu_ms_per_frame},
                        {"decision_p50_ms", total.Percentile(50)},
                        {"decision_p95_ms", total.Percentile(95)},
                        {"detect_p50_ms", detect.Percentile(50)},
                        {"decode_p50_ms", decode.Percentile(50)},
                        {"embeddings", embeddings},
                        {"embeddings_deferred", deferred},
                        {"detect_gap_p99_ms", gap.Percentile(99)},
                        {"detect_gap_max_ms", gap.Percentile(100)},
                        {"faces_detected", faces},
                        {"seconds", wall},
                        {"backend", args.backend}};
    results.push_back(j);
    if (!args.json) {
      *ctx.out << std::fixed << std::setprecision(1) << std::setw(7) << n << std::setw(13) << all.read
               << std::setw(12) << pct_processed << std::setw(10) << std::setprecision(2)
               << pct_dropped << std::setw(7) << pct_late << std::setw(7) << pct_shed << std::setw(11)
               << every_max << std::setw(11) << cores << std::setw(6) << std::setprecision(0)
               << machine_pct << std::setprecision(1) << std::setw(14) << cpu_ms_per_frame
               << std::setw(17) << total.Percentile(50)
               << std::setw(17) << total.Percentile(95) << std::setw(15) << detect.Percentile(50)
               << std::setw(15) << decode.Percentile(50) << std::setw(12) << embeddings
               << std::setw(7) << faces << std::setw(12) << gap.Percentile(99) << std::setw(12)
               << gap.Percentile(100) << std::setw(20) << pct_dropped_all << std::endl;
    }
  }
  if (args.json) {
    *ctx.out << nlohmann::json{{"machine", machine}, {"source", args.source}, {"results", results}}.dump(2) << "\n";
  }
}

struct MatchBenchArgs {
  std::string sizes = "1000,10000,100000";
  int dim = 0;  // 0 = the default recogniser's embedding size (its card)
  int queries = 1000;
  int k = 5;
  bool json = false;
};

// The embedding size of the recogniser the product would use: the installed default, else
// the catalogue's highest-priority recogniser (benchmarks must not assume 128-d).
Result<int> DefaultEmbeddingDim() {
  auto store = OpenStore();
  if (store.ok()) {
    if (auto rec = store->DefaultFor(ModelRole::kRecogniser); rec.ok()) return rec->spec->card.embedding_size;
  }
  auto catalog = Catalog::Load();
  if (!catalog.ok()) return catalog.status();
  const ModelSpec* best = nullptr;
  for (const auto& m : catalog->models()) {
    if (m.role == ModelRole::kRecogniser && (best == nullptr || m.priority > best->priority)) best = &m;
  }
  if (best == nullptr) return Status::NotFound("the model catalogue has no recogniser; give --dim");
  return best->card.embedding_size;
}

void RunMatchBench(const MatchBenchArgs& given, Context& ctx) {
  MatchBenchArgs args = given;
  if (args.dim == 0) {
    auto dim = DefaultEmbeddingDim();
    if (!dim.ok()) return Fail(ctx, dim.status());
    args.dim = *dim;
  }
  std::vector<int> sizes;
  try {
    sizes = ParseList(args.sizes);
  } catch (const std::exception&) {
    return Fail(ctx, Status::InvalidArgument("--sizes: expected N,N,... (e.g. 1000,10000)"));
  }
  const std::string machine = MachineLine();
  nlohmann::json results = nlohmann::json::array();
  if (!args.json) {
    *ctx.out << "machine: " << machine << "\nup to " << args.queries << " probes per size (fewer for big watchlists), " << args.dim
             << "-d random unit vectors, top-" << args.k
             << "; probes are noisy copies of watchlist rows; best of 3 rounds; FAISS with "
             << omp_get_max_threads() << " OpenMP thread(s)\n"
             << "watchlist  ours_us/probe  faiss_flatip_us/probe  faiss_batch_us/probe  top1_agree\n";
  }
  for (int n : sizes) {
    if (n < 1) return Fail(ctx, Status::InvalidArgument("--sizes: each size must be >= 1"));
    // Fewer probes for big watchlists so a size takes seconds, not minutes.
    const int nq = static_cast<int>(std::min<int64_t>(
        args.queries, std::max<int64_t>(50, int64_t{2000000000} / (int64_t{n} * args.dim * 10))));
    std::vector<float> rows, noise;
    RandomUnitRows(n, args.dim, 7 + n, &rows);
    RandomUnitRows(nq, args.dim, 99 + n, &noise);
    // Probes: row (i * 7919) % n plus noise, re-normalised (a known nearest neighbour).
    std::vector<float> probes(static_cast<size_t>(nq) * args.dim);
    for (int q = 0; q < nq; ++q) {
      const float* r = rows.data() + static_cast<size_t>((q * 7919LL) % n) * args.dim;
      float* p = probes.data() + static_cast<size_t>(q) * args.dim;
      double n2 = 0;
      for (int j = 0; j < args.dim; ++j) {
        p[j] = r[j] + 0.8f * noise[static_cast<size_t>(q) * args.dim + j];
        n2 += double(p[j]) * p[j];
      }
      for (int j = 0; j < args.dim; ++j) p[j] = static_cast<float>(p[j] / std::sqrt(n2));
    }
    Watchlist wl(args.dim);
    for (int i = 0; i < n; ++i) {
      auto r = wl.Add(std::to_string(i), rows.data() + static_cast<size_t>(i) * args.dim);
      if (!r.ok()) return Fail(ctx, r.status());
    }
    Matcher matcher(&wl);
    faiss::IndexFlatIP index(args.dim);
    index.add(n, rows.data());

    std::vector<MatchHit> hits;
    std::vector<float> scratch;
    std::vector<int> ours_top1(nq);
    // Warm-up, then time each method over all probes, best of 3 rounds.
    auto time_it = [&](auto&& fn) {
      double best = 1e30;
      fn();
      for (int round = 0; round < 3; ++round) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        best = std::min(best, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
      return best / nq;
    };
    const double ours = time_it([&] {
      for (int q = 0; q < nq; ++q) {
        matcher.Search(probes.data() + static_cast<size_t>(q) * args.dim, args.k, &hits, &scratch);
        ours_top1[q] = hits.empty() ? -1 : hits[0].row;
      }
    });
    std::vector<float> D(static_cast<size_t>(nq) * args.k);
    std::vector<faiss::Index::idx_t> I(static_cast<size_t>(nq) * args.k);
    const double faiss_single = time_it([&] {
      for (int q = 0; q < nq; ++q) {
        index.search(1, probes.data() + static_cast<size_t>(q) * args.dim, args.k,
                     D.data() + static_cast<size_t>(q) * args.k, I.data() + static_cast<size_t>(q) * args.k);
      }
    });
    const double faiss_batch = time_it([&] { index.search(nq, probes.data(), args.k, D.data(), I.data()); });
    int agree = 0;
    for (int q = 0; q < nq; ++q) agree += ours_top1[q] == I[static_cast<size_t>(q) * args.k];
    const double agree_pct = 100.0 * agree / nq;
    results.push_back({{"watchlist", n}, {"ours_us_per_probe", ours}, {"faiss_flatip_us_per_probe", faiss_single},
                       {"faiss_batch_us_per_probe", faiss_batch}, {"top1_agree_pct", agree_pct}, {"probes", nq}});
    if (!args.json) {
      *ctx.out << std::fixed << std::setprecision(1) << std::setw(9) << n << std::setw(15) << ours
               << std::setw(23) << faiss_single << std::setw(22) << faiss_batch << std::setw(11)
               << agree_pct << "%" << std::endl;
    }
  }
  if (args.json) {
    *ctx.out << nlohmann::json{{"machine", machine}, {"dim", args.dim}, {"results", results}}.dump(2) << "\n";
  }
}

}  // namespace

// `lfr bench serve` (cmd_bench_serve.cc).
void RegisterServeBench(CLI::App* bench, Context& ctx);
// `lfr bench search` (cmd_bench_search.cc).
void RegisterSearchBench(CLI::App* bench, Context& ctx);
// `lfr bench search-video` (cmd_bench_video_search.cc).
void RegisterVideoSearchBench(CLI::App* bench, Context& ctx);

void RegisterBenchCommand(CLI::App& app, Context& ctx) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks (results depend on the machine and its load)");
  bench->require_subcommand(1);

  auto pa = std::make_shared<PipelineBenchArgs>();
  CLI::App* p = bench->add_subcommand(
      "pipeline",
      "Replay a video file as N live cameras at its frame rate; report per N the share of frames "
      "processed, dropped and shed (left out by the adaptive detect interval), CPU use and "
      "frame-to-decision latency p50/p95");
  p->add_option("--source", pa->source, "Video file")->required();
  p->add_option("--cameras", pa->cameras, "Numbers of cameras to try, e.g. 1,2,4")->capture_default_str();
  p->add_option("--seconds", pa->seconds, "Seconds per run (the file loops)")
      ->check(CLI::Range(1.0, 3600.0))->capture_default_str();
  p->add_option("--watchlist-size", pa->watchlist_size, "Synthetic watchlist subjects")
      ->check(CLI::Range(1, 10000000))->capture_default_str();
  p->add_option("--working-size", pa->working_size, "Detection working long side")
      ->check(CLI::Range(0, 8192))->capture_default_str();
  p->add_option("--detect-every", pa->detect_every, "Run the detector on every n-th frame")
      ->check(CLI::Range(1, 100))->capture_default_str();
  p->add_option("--embed-every", pa->embed_every, "Re-embed a track at least every K frames")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  p->add_option("--threads", pa->threads, "OpenCV threads (0 = cores / cameras)")
      ->check(CLI::Range(0, 256))->capture_default_str();
  p->add_option("--backend", pa->backend, "Decoder: auto (libav for files), opencv or libav")
      ->capture_default_str();
  p->add_option("--decoder-threads", pa->decoder_threads, "libav: threads per decoder (0 = FFmpeg's choice)")
      ->check(CLI::Range(0, 64))->capture_default_str();
  p->add_flag("--skip-loop-filter", pa->skip_loop_filter, "libav: skip H.264 deblocking (faster, blockier)");
  p->add_flag("--no-skip-nonref", pa->no_skip_nonref,
              "libav: decode every frame, even non-reference frames that are not handed over");
  p->add_flag("--no-decoder-downscale", pa->no_decoder_downscale,
              "libav: do not make the detector's downscaled copy from YUV (the detector "
              "downscales the BGR frame itself)");
  p->add_option("--reader-nice", pa->reader_nice,
                "Nice value of the reader threads relative to the process (negative needs CAP_SYS_NICE)")
      ->check(CLI::Range(-20, 19))->capture_default_str();
  p->add_option("--max-behind", pa->max_behind_s,
                "Seconds a paced reader may fall behind and still hand over every frame it owes "
                "(catching up); beyond it skips ahead, counted as late drops (0 = skip when more "
                "than a frame late)")
      ->check(CLI::Range(0.0, 60.0))->capture_default_str();
  p->add_flag("--lossless", pa->lossless,
              "Do not pace: every frame is taken as fast as the worker goes (for CPU per frame and "
              "profiles; drops are then always 0)");
  p->add_option("--frames", pa->frames, "Stop each camera after this many frames (0 = no limit)")
      ->check(CLI::Range(int64_t{0}, int64_t{100000000}))->capture_default_str();
  p->add_option("--queue-frames", pa->queue_frames,
                "Frames a camera's worker may fall behind before the oldest is dropped")
      ->check(CLI::Range(1, 100))->capture_default_str();
  p->add_flag("--fixed-detect-every", pa->fixed_detect,
              "Keep --detect-every fixed under load (default: raised on every camera when the CPU "
              "falls behind; the frames left out are reported as shed%)");
  p->add_option("--busy-embed-budget", pa->busy_embed_budget,
                "Faces embedded per detection frame while frames wait in a camera's queue (new "
                "tracks first; the rest on later frames; 0 = no limit)")
      ->check(CLI::Range(0, 1000))->capture_default_str();
  p->add_option("--warmup", pa->warmup_s,
                "Seconds of start-up left out of the frame percentages (reported apart as "
                "dropped%_whole_run); latency and gap columns cover the whole run")
      ->check(CLI::Range(0.0, 3600.0))->capture_default_str();
  p->add_flag("--record-footage", pa->record_footage,
              "Every camera also records its stream into sealed footage segments (a temporary folder, "
              "removed after each run), to measure what recording costs");
  p->add_flag("--json", pa->json, "JSON output");
  p->callback([pa, &ctx] { RunPipelineBench(*pa, ctx); });

  auto ma = std::make_shared<MatchBenchArgs>();
  CLI::App* m = bench->add_subcommand(
      "match", "Watchlist search time per probe: our exact matcher vs FAISS IndexFlatIP on the same data");
  m->add_option("--sizes", ma->sizes, "Watchlist sizes")->capture_default_str();
  m->add_option("--dim", ma->dim, "Embedding dimension (default: the default recogniser's, from its catalogue card)")
      ->check(CLI::Range(1, 4096));
  m->add_option("--queries", ma->queries, "Probes per size")->check(CLI::Range(1, 1000000))->capture_default_str();
  m->add_option("--k", ma->k, "Top-k")->check(CLI::Range(1, 100))->capture_default_str();
  m->add_flag("--json", ma->json, "JSON output");
  m->callback([ma, &ctx] { RunMatchBench(*ma, ctx); });

  RegisterServeBench(bench, ctx);
  RegisterSearchBench(bench, ctx);
  RegisterVideoSearchBench(bench, ctx);
}

}  // namespace lfr::cli
