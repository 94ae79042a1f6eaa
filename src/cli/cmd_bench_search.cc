// `lfr bench search`: retrospective search over a large gallery (search/index.h) — per-probe
// latency p50/p95, recall@1 and recall@20 of the approximate index against exact search,
// build time and memory, with FAISS IndexFlatIP as the exact baseline in the same run
// (docs/PERFORMANCE.md). A benchmark, not a test: figures depend on the machine and load.
//
// The gallery: real embeddings of the shared LFW images (through the live pipeline and the
// evaluation embedding cache, as `lfr eval` makes them) plus a synthetic fill up to each size.
// Probes are real: for LFW people with two or more faces, one face is held out as the probe
// and the others stay in the gallery (its mates).
//
// The fill: each synthetic face is normalise(w1 r1 + ... + w4 r4 + s (r5 - r6)), with r1..r6
// real gallery embeddings picked at random, w uniform in [0.5, 1] and s one scale for the whole
// fill, chosen from a grid so that the fill-to-real cosine distribution (mean, sd, 99.9th
// percentile) matches the real impostor distribution (different people). Made only of real
// embeddings, the fill lies where real faces lie (the recogniser's anisotropic cone, not the
// uniform sphere), so a probe meets as many near impostors per million as it would in a real
// gallery; the calibration is printed with the results so the claim can be checked.
// Synthetic faces are generated chunk by chunk from a seed (the same on every pass), so a
// 10M gallery is never held in memory more than once per index.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <faiss/IndexFlat.h>
#include <nlohmann/json.hpp>
#include <omp.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "eval/extract.h"
#include "eval/lfw.h"
#include "search/index.h"
#include "util/paths.h"

namespace lfr::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct SearchBenchArgs {
  std::string sizes = "100000,1000000,10000000";
  int probes = 500;
  int baseline_probes = 100;
  int k = 20;
  std::string index = "fast-scan";
  int pq_bytes = 0;
  std::string nprobe = "0";
  std::string shortlist = "0";
  std::string scan = "auto";
  std::string scan_threads = "0";
  int64_t flat_max_mib = 8192;
  int64_t float16_from = 5000000;
  int threads = 2;
  std::string data;
  uint64_t seed = 42;
  bool cached_only = false;
  bool json = false;
};

double Seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());  // nearest rank
  const double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
  return v[std::clamp<size_t>(static_cast<size_t>(std::max(rank, 1.0)) - 1, 0, v.size() - 1)];
}

double PeakRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

double RssMiB() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::string Machine() {
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

void Normalise(float* v, int dim) {
  double n2 = 0;
  for (int j = 0; j < dim; ++j) n2 += double(v[j]) * v[j];
  const float inv = static_cast<float>(1.0 / std::sqrt(std::max(n2, 1e-30)));
  for (int j = 0; j < dim; ++j) v[j] *= inv;
}

float Dot(const float* a, const float* b, int dim) {
  float d = 0;
  for (int j = 0; j < dim; ++j) d += a[j] * b[j];
  return d;
}

// The real part of the gallery and the probes.
struct RealSet {
  int dim = 0;
  std::vector<float> gallery;       // R rows
  std::vector<int> gallery_person;  // person index per row
  std::vector<float> probes;        // P rows
  std::vector<int> probe_person;
  int64_t rows() const { return static_cast<int64_t>(gallery_person.size()); }
};

struct FillStats {
  double mean = 0, sd = 0, p999 = 0;
};

FillStats Stats(std::vector<double> v) {
  FillStats s;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= v.size();
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(s.sd / v.size());
  s.p999 = Pct(std::move(v), 99.9);
  return s;
}

// The synthetic fill (see the file comment).
class Fill {
 public:
  Fill(const RealSet* real, float scale, uint64_t seed) : real_(real), scale_(scale), seed_(seed) {}
  static constexpr int64_t kChunk = 16384;
  // Rows [c * kChunk, c * kChunk + n) of the fill, the same on every call.
  void Chunk(int64_t c, int64_t n, std::vector<float>* out) const {
    const int dim = real_->dim;
    std::mt19937_64 rng(seed_ * 1000003 + c);
    std::uniform_int_distribution<int64_t> pick(0, real_->rows() - 1);
    // Weights in [0.5, 1]: no single real face dominates a synthetic one (a near copy of a
    // real face would flood the probes' top-20 with copies of their mates).
    std::uniform_real_distribution<float> w(0.5f, 1.0f);
    out->assign(static_cast<size_t>(n) * dim, 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      float* v = out->data() + i * dim;
      for (int m = 0; m < 4; ++m) {
        const float wm = w(rng);
        const float* r = real_->gallery.data() + pick(rng) * dim;
        for (int j = 0; j < dim; ++j) v[j] += wm * r[j];
      }
      const float* a = real_->gallery.data() + pick(rng) * dim;
      const float* b = real_->gallery.data() + pick(rng) * dim;
      for (int j = 0; j < dim; ++j) v[j] += scale_ * (a[j] - b[j]);
      Normalise(v, dim);
    }
  }

 private:
  const RealSet* real_;
  float scale_;
  uint64_t seed_;
};

// Cosines between random real faces of different people.
std::vector<double> RealImpostors(const RealSet& real, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, real.rows() - 1);
  std::vector<double> out;
  while (static_cast<int>(out.size()) < n) {
    const int64_t a = pick(rng), b = pick(rng);
    if (real.gallery_person[a] == real.gallery_person[b]) continue;
    out.push_back(Dot(real.gallery.data() + a * real.dim, real.gallery.data() + b * real.dim, real.dim));
  }
  return out;
}

std::vector<double> FillToReal(const RealSet& real, const Fill& fill, int n, uint64_t seed) {
  std::vector<float> rows;
  fill.Chunk(999999, n, &rows);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, real.rows() - 1);
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Dot(rows.data() + static_cast<size_t>(i) * real.dim,
                      real.gallery.data() + pick(rng) * real.dim, real.dim));
  }
  return out;
}

Status LoadReal(const SearchBenchArgs& a, Context& ctx, RealSet* real, std::string* recogniser) {
  std::optional<fs::path> root = a.data.empty() ? DataDir() : std::optional<fs::path>(a.data);
  if (!root) return Status::NotFound("no evaluation data: set LFR_DATA or pass --data DIR (with lfw/)");
  auto people = eval::ScanLfwPeople(*root / "lfw");
  if (!people.ok()) return people.status();
  std::vector<fs::path> paths;
  std::vector<int> person;
  for (size_t p = 0; p < people->size(); ++p) {
    for (int n : (*people)[p].images) {
      paths.push_back(eval::LfwImagePath(*root / "lfw", {(*people)[p].name, n}));
      person.push_back(static_cast<int>(p));
    }
  }
  auto store = OpenStore();
  if (!store.ok()) return store.status();
  eval::ExtractOptions eo;
  eo.detector = DetectFlags{}.ToOptions();  // as `lfr eval` by default: the same cache file
  eo.threads = a.threads;
  eo.cache_dir = HomeDir() / "cache" / "eval";
  eo.progress = ctx.quiet ? nullptr : ctx.err;
  auto ex = eval::FaceExtractor::Create(*store, eo);
  if (!ex.ok()) return ex.status();
  if (a.cached_only) {
    // Only the LFW images already in the embedding cache (e.g. from `lfr eval`): no
    // embedding work on a busy machine, fewer real faces.
    std::vector<fs::path> kept_paths;
    std::vector<int> kept_person;
    eval::ImageResult r;
    for (size_t i = 0; i < paths.size(); ++i) {
      if ((*ex)->cache() && (*ex)->cache()->Lookup(paths[i], &r)) {
        kept_paths.push_back(paths[i]);
        kept_person.push_back(person[i]);
      }
    }
    if (kept_paths.empty()) return Status::NotFound("--cached-only: no LFW image is in the embedding cache yet");
    paths = std::move(kept_paths);
    person = std::move(kept_person);
  }
  std::vector<eval::ImageResult> results;
  eval::ExtractStats st;
  LFR_RETURN_IF_ERROR((*ex)->Run(paths, "LFW embeddings", &results, &st));
  *recogniser = (*ex)->recogniser_id();
  real->dim = (*ex)->dim();
  // Per person, the found faces; the last one of a person with two or more is a probe.
  std::vector<std::vector<size_t>> by_person(people->size());
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].found && static_cast<int>(results[i].flip.size()) == real->dim) by_person[person[i]].push_back(i);
  }
  std::vector<int> probe_people;
  for (size_t p = 0; p < by_person.size(); ++p) {
    if (by_person[p].size() >= 2) probe_people.push_back(static_cast<int>(p));
  }
  std::mt19937_64 rng(a.seed);
  std::shuffle(probe_people.begin(), probe_people.end(), rng);
  probe_people.resize(std::min<size_t>(probe_people.size(), a.probes));
  std::set<int> is_probe(probe_people.begin(), probe_people.end());
  for (size_t p = 0; p < by_person.size(); ++p) {
    for (size_t j = 0; j < by_person[p].size(); ++j) {
      const auto& v = results[by_person[p][j]].flip;
      const bool probe = is_probe.count(static_cast<int>(p)) && j + 1 == by_person[p].size();
      auto& rows = probe ? real->probes : real->gallery;
      rows.insert(rows.end(), v.begin(), v.end());
      Normalise(rows.data() + rows.size() - real->dim, real->dim);
      (probe ? real->probe_person : real->gallery_person).push_back(static_cast<int>(p));
    }
  }
  if (real->probe_person.empty()) return Status::NotFound("no LFW person with two detected faces");
  return Status::Ok();
}

struct ProbeOutcome {
  std::vector<double> ms;
  double recall1 = 0, recall20 = 0, mate_top1 = 0;
};

void RunSearchBench(const SearchBenchArgs& a, Context& ctx) {
  std::vector<int64_t> sizes;
  std::vector<int> nprobes, shortlists, scan_threads;
  std::vector<search::ScanKernel> scans;
  try {
    std::stringstream ss(a.sizes);
    for (std::string s; std::getline(ss, s, ',');) {
      if (!s.empty()) sizes.push_back(std::stoll(s));
    }
    std::stringstream sn(a.nprobe);
    for (std::string s; std::getline(sn, s, ',');) {
      if (!s.empty()) nprobes.push_back(std::stoi(s));
    }
    std::stringstream sl(a.shortlist);
    for (std::string s; std::getline(sl, s, ',');) {
      if (!s.empty()) shortlists.push_back(std::stoi(s));
    }
    std::stringstream st(a.scan_threads);
    for (std::string s; std::getline(st, s, ',');) {
      if (!s.empty()) scan_threads.push_back(std::stoi(s));
    }
  } catch (const std::exception&) {
    return Fail(ctx, Status::InvalidArgument(
                         "--sizes/--nprobe/--shortlist/--scan-threads: expected N,N,... (e.g. 100000,1000000)"));
  }
  {
    std::stringstream sc(a.scan);
    for (std::string s; std::getline(sc, s, ',');) {
      if (s == "auto") scans.push_back(search::ScanKernel::kAuto);
      else if (s == "avx2") scans.push_back(search::ScanKernel::kAvx2);
      else if (s == "faiss") scans.push_back(search::ScanKernel::kFaiss);
      else if (!s.empty()) return Fail(ctx, Status::InvalidArgument("--scan: each must be auto, avx2 or faiss, not '" + s + "'"));
    }
  }
  for (int t : scan_threads) {
    if (t < 0 || t > 64) return Fail(ctx, Status::InvalidArgument("--scan-threads: each must be 0..64"));
  }
  if (scans.empty()) scans.push_back(search::ScanKernel::kAuto);
  if (scan_threads.empty()) scan_threads.push_back(0);
  for (int sl : shortlists) {
    if (sl < 0 || sl > 100000) return Fail(ctx, Status::InvalidArgument("--shortlist: each must be 0..100000"));
  }
  if (shortlists.empty()) shortlists.push_back(0);
  for (int64_t n : sizes) {
    if (n < 1000 || n > 100000000) return Fail(ctx, Status::InvalidArgument("--sizes: each size must be 1000..100000000"));
  }
  if (nprobes.empty()) nprobes.push_back(0);

  RealSet real;
  std::string recogniser;
  Status s = LoadReal(a, ctx, &real, &recogniser);
  if (!s.ok()) {
    if (s.code() == Status::Code::kNotFound) {
      *ctx.err << "lfr: " << s.message() << "\n";
      ctx.exit_code = kExitMissingModel;
      return;
    }
    return Fail(ctx, s);
  }
  const int dim = real.dim;
  const int64_t nq = static_cast<int64_t>(real.probe_person.size());

  // Calibrate the fill's scale against the real impostor distribution.
  const FillStats target = Stats(RealImpostors(real, 20000, a.seed + 1));
  float best_scale = 0;
  double best_err = 1e30;
  FillStats best_stats;
  for (float scale : {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f, 1.5f, 2.0f, 2.5f, 3.0f}) {
    Fill f(&real, scale, a.seed + 2);
    const FillStats st = Stats(FillToReal(real, f, 20000, a.seed + 3));
    const double err = std::fabs(st.mean - target.mean) + std::fabs(st.sd - target.sd) + std::fabs(st.p999 - target.p999);
    if (err < best_err) {
      best_err = err;
      best_scale = scale;
      best_stats = st;
    }
  }
  const Fill fill(&real, best_scale, a.seed);

  const std::string machine = Machine();
  std::ostringstream head;
  head << std::fixed << std::setprecision(3) << "machine: " << machine << "\nrecogniser " << recogniser << " (" << dim
       << "-d); real gallery faces " << real.rows() << " (LFW), real probes " << nq
       << " (one held-out face of LFW people with 2+ faces); top-" << a.k << "\nfill: s = " << best_scale
       << "; cosine to real faces mean/sd/p99.9 " << best_stats.mean << "/" << best_stats.sd << "/" << best_stats.p999
       << " vs real impostors " << target.mean << "/" << target.sd << "/" << target.p999
       << "\nground truth: exact top-" << a.k << " computed chunk by chunk (FAISS IndexFlatIP per chunk of "
       << Fill::kChunk << " faces, merged), so no gallery is held twice"
       << "\nlatency: one probe at a time; FAISS flat baseline (built when it needs <= " << a.flat_max_mib
       << " MiB) with " << omp_get_max_threads()
       << " OpenMP thread(s) (timed on " << std::min<int64_t>(a.baseline_probes, nq)
       << " probes), the approximate index on the caller's thread\n";
  if (!a.json) {
    *ctx.out << head.str()
             << "      size  index                                                    build_s   mem_MiB  p50_ms  p95_ms  recall@1  recall@20  mate@1\n";
  }
  nlohmann::json results = nlohmann::json::array();

  for (int64_t n : sizes) {
    const int64_t real_n = std::min<int64_t>(n, real.rows());
    // The gallery: real faces (ids 0..real_n-1), then the fill.
    search::VectorSource source = [&](const search::VectorSink& sink) -> Status {
      std::vector<int64_t> ids;
      for (int64_t i = 0; i < real_n; i += Fill::kChunk) {
        const int64_t m = std::min(Fill::kChunk, real_n - i);
        ids.resize(m);
        for (int64_t j = 0; j < m; ++j) ids[j] = i + j;
        LFR_RETURN_IF_ERROR(sink(ids, {real.gallery.data() + i * dim, static_cast<size_t>(m * dim)}));
      }
      std::vector<float> rows;
      const int64_t fill_n = n - real_n;
      for (int64_t c = 0; c * Fill::kChunk < fill_n; ++c) {
        const int64_t m = std::min(Fill::kChunk, fill_n - c * Fill::kChunk);
        fill.Chunk(c, m, &rows);
        ids.resize(m);
        for (int64_t j = 0; j < m; ++j) ids[j] = real_n + c * Fill::kChunk + j;
        LFR_RETURN_IF_ERROR(sink(ids, rows));
      }
      return Status::Ok();
    };
    auto mate_top1 = [&](int64_t q, int64_t id) {
      return id >= 0 && id < real_n && real.gallery_person[id] == real.probe_person[q];
    };

    // Ground truth, chunk by chunk: each chunk's exact top-k per probe (a FAISS IndexFlatIP
    // over the chunk, all probes in one batched call), merged into the running top-k.
    std::vector<faiss::Index::idx_t> truth(static_cast<size_t>(nq) * a.k, -1);
    {
      std::vector<float> best(static_cast<size_t>(nq) * a.k, -2.0f);
      std::vector<float> d(static_cast<size_t>(nq) * a.k);
      std::vector<faiss::Index::idx_t> l(static_cast<size_t>(nq) * a.k);
      std::vector<std::pair<float, faiss::Index::idx_t>> merged;
      s = source([&](std::span<const int64_t> ids, std::span<const float> v) {
        faiss::IndexFlatIP chunk(dim);
        chunk.add(static_cast<faiss::Index::idx_t>(ids.size()), v.data());
        const int64_t kk = std::min<int64_t>(a.k, static_cast<int64_t>(ids.size()));
        chunk.search(nq, real.probes.data(), kk, d.data(), l.data());
        for (int64_t q = 0; q < nq; ++q) {
          merged.clear();
          for (int i = 0; i < a.k; ++i) {
            if (truth[q * a.k + i] >= 0) merged.emplace_back(best[q * a.k + i], truth[q * a.k + i]);
          }
          for (int64_t i = 0; i < kk; ++i) {
            if (l[q * kk + i] >= 0) merged.emplace_back(d[q * kk + i], ids[l[q * kk + i]]);
          }
          std::sort(merged.begin(), merged.end(), [](const auto& x, const auto& y) {
            return x.first != y.first ? x.first > y.first : x.second < y.second;
          });
          for (int i = 0; i < a.k; ++i) {
            const bool have = i < static_cast<int>(merged.size());
            best[q * a.k + i] = have ? merged[i].first : -2.0f;
            truth[q * a.k + i] = have ? merged[i].second : -1;
          }
        }
        return Status::Ok();
      });
      if (!s.ok()) return Fail(ctx, s);
    }
    // Exact baseline: FAISS IndexFlatIP over the whole gallery, timed one probe at a time,
    // when it fits beside the rest (ids are row numbers, as the source gives them).
    const double flat_mib = static_cast<double>(n) * dim * 4 / (1 << 20);
    int64_t mates = 0;
    for (int64_t q = 0; q < nq; ++q) mates += mate_top1(q, truth[q * a.k]);
    if (flat_mib <= static_cast<double>(a.flat_max_mib)) {
      const double rss0 = RssMiB();
      auto t0 = Clock::now();
      faiss::IndexFlatIP flat(dim);
      s = source([&](std::span<const int64_t>, std::span<const float> v) {
        flat.add(static_cast<faiss::Index::idx_t>(v.size() / dim), v.data());
        return Status::Ok();
      });
      if (!s.ok()) return Fail(ctx, s);
      const double build = Seconds(t0);
      ProbeOutcome o;
      std::vector<float> d1(a.k);
      std::vector<faiss::Index::idx_t> l1(a.k);
      const int64_t timed = std::min<int64_t>(a.baseline_probes, nq);
      for (int64_t q = 0; q < timed; ++q) {
        auto t = Clock::now();
        flat.search(1, real.probes.data() + q * dim, a.k, d1.data(), l1.data());
        o.ms.push_back(Seconds(t) * 1000);
      }
      nlohmann::json j = {{"size", n}, {"index", "FAISS IndexFlatIP (exact baseline)"}, {"build_s", build},
                          {"memory_mib", flat_mib}, {"rss_growth_mib", RssMiB() - rss0},
                          {"p50_ms", Pct(o.ms, 50)}, {"p95_ms", Pct(o.ms, 95)}, {"recall_at_1", 1.0},
                          {"recall_at_20", 1.0}, {"mate_top1", double(mates) / nq}, {"probes_timed", timed}};
      results.push_back(j);
      if (!a.json) {
        *ctx.out << std::fixed << std::setprecision(2) << std::setw(10) << n << "  " << std::left << std::setw(55)
                 << "FAISS IndexFlatIP (exact baseline)" << std::right << std::setw(9) << std::setprecision(1) << build
                 << std::setw(10) << std::setprecision(0) << flat_mib << std::setprecision(2) << std::setw(8)
                 << Pct(o.ms, 50) << std::setw(8) << Pct(o.ms, 95) << std::setw(10) << 1.0 << std::setw(11) << 1.0
                 << std::setw(8) << double(mates) / nq << std::endl;
      }
    } else {
      results.push_back({{"size", n}, {"index", "FAISS IndexFlatIP (exact baseline)"}, {"skipped", true},
                         {"memory_mib", flat_mib}, {"mate_top1", double(mates) / nq}});
      if (!a.json) {
        *ctx.out << std::fixed << std::setw(10) << n << "  FAISS IndexFlatIP (exact baseline): not built, it needs "
                 << std::setprecision(0) << flat_mib << " MiB (> --flat-max-mib); ground truth computed by chunks; mate@1 "
                 << std::setprecision(2) << double(mates) / nq << std::endl;
      }
    }

    // The approximate index (forced: exact_below 0), as BuildFaceIndex makes it.
    search::FaceIndexOptions opts;
    opts.exact_below = 0;
    opts.approx.proposer = a.index == "ivf-pq" ? search::Proposer::kIvfPq : search::Proposer::kPqFastScan;
    opts.approx.pq_bytes = a.pq_bytes;
    opts.approx.float16_store = n >= a.float16_from;
    const double rss0 = RssMiB();
    auto t0 = Clock::now();
    auto built = search::BuildFaceIndex(dim, source, opts);
    if (!built.ok()) return Fail(ctx, built.status());
    const double build = Seconds(t0);
    const double rss_growth = RssMiB() - rss0;
    auto* approx = dynamic_cast<search::RerankFaceIndex*>(built->get());
    // The FAISS scan has no threads of its own: one row for it whatever --scan-threads says.
    struct ScanRow {
      search::ScanKernel kernel;
      int threads;
    };
    std::vector<ScanRow> scan_rows;
    std::set<std::pair<search::ScanKernel, int>> seen;
    for (search::ScanKernel sk : scans) {
      for (int t : scan_threads) {
        const search::ScanKernel used = search::ResolveScanKernel(sk);
        const int threads = used == search::ScanKernel::kFaiss ? 0 : t;
        if (seen.insert({used, threads}).second) scan_rows.push_back({sk, threads});
      }
    }
    if (!approx || approx->proposer() != search::Proposer::kPqFastScan) scan_rows.resize(1);
    for (int np : nprobes) for (int sl : shortlists) for (const ScanRow& sr : scan_rows) {
      if (approx) approx->SetSearchParameters(np, sl);
      if (approx) approx->SetScan(sr.kernel, sr.threads);
      ProbeOutcome o;
      int64_t hit1 = 0, hit20 = 0, mates = 0;
      for (int64_t q = 0; q < nq; ++q) {
        auto t = Clock::now();
        auto hits = (*built)->Search({real.probes.data() + q * dim, static_cast<size_t>(dim)}, a.k);
        o.ms.push_back(Seconds(t) * 1000);
        if (!hits.ok()) return Fail(ctx, hits.status());
        std::set<int64_t> got;
        for (const auto& h : *hits) got.insert(h.id);
        if (!hits->empty() && (*hits)[0].id == truth[q * a.k]) ++hit1;
        for (int i = 0; i < a.k; ++i) hit20 += truth[q * a.k + i] >= 0 && got.count(truth[q * a.k + i]);
        mates += !hits->empty() && mate_top1(q, (*hits)[0].id);
      }
      const std::string name = (*built)->Describe();
      const double mem = static_cast<double>((*built)->MemoryBytes()) / (1 << 20);
      const double r1 = double(hit1) / nq, r20 = double(hit20) / (nq * a.k);
      results.push_back({{"size", n}, {"index", name}, {"build_s", build}, {"memory_mib", mem},
                         {"rss_growth_mib", rss_growth}, {"p50_ms", Pct(o.ms, 50)}, {"p95_ms", Pct(o.ms, 95)},
                         {"recall_at_1", r1}, {"recall_at_20", r20}, {"mate_top1", double(mates) / nq},
                         {"probes_timed", nq}});
      if (!a.json) {
        *ctx.out << std::fixed << std::setw(10) << n << "  " << std::left << std::setw(55) << name << std::right
                 << std::setw(9) << std::setprecision(1) << build << std::setw(10) << std::setprecision(0) << mem
                 << std::setprecision(2) << std::setw(8) << Pct(o.ms, 50) << std::setw(8) << Pct(o.ms, 95)
                 << std::setprecision(4) << std::setw(10) << r1 << std::setw(11) << r20 << std::setprecision(2)
                 << std::setw(8) << double(mates) / nq << std::endl;
      }
    }
  }
  if (a.json) {
    *ctx.out << nlohmann::json{{"machine", machine}, {"setup", head.str()}, {"peak_rss_mib", PeakRssMiB()},
                               {"results", results}}
                    .dump(2)
             << "\n";
  } else {
    *ctx.out << "peak RSS " << std::setprecision(0) << PeakRssMiB() << " MiB\n";
  }
}

}  // namespace

void RegisterSearchBench(CLI::App* bench, Context& ctx) {
  auto a = std::make_shared<SearchBenchArgs>();
  CLI::App* c = bench->add_subcommand(
      "search",
      "Gallery search (lfr search's index): per-probe latency p50/p95, recall@1/@20 of the approximate "
      "index against exact search, build time and memory, with FAISS IndexFlatIP as the exact baseline; "
      "real LFW embeddings (LFR_DATA) plus a synthetic fill made of mixtures of them");
  c->add_option("--sizes", a->sizes, "Gallery sizes (faces)")->capture_default_str();
  c->add_option("--probes", a->probes, "Real probes (held-out LFW faces) at most")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  c->add_option("--baseline-probes", a->baseline_probes, "Probes timed one by one on the flat baseline")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  c->add_option("--k", a->k, "Candidates per search (recall@k)")->check(CLI::Range(1, 1000))->capture_default_str();
  c->add_option("--index", a->index,
                "Approximate index: fast-scan (exhaustive 4-bit PQ fast-scan + exact re-rank, the default "
                "of lfr search) or ivf-pq (IVF cells + 8-bit PQ + exact re-rank)")
      ->check(CLI::IsMember({"fast-scan", "ivf-pq"}))->capture_default_str();
  c->add_option("--pq-bytes", a->pq_bytes, "Bytes per face code (0 = the index's default)")
      ->check(CLI::Range(0, 4096))->capture_default_str();
  c->add_option("--nprobe", a->nprobe, "IVF cells visited per probe (ivf-pq), one row each (0 = the index's default)")
      ->capture_default_str();
  c->add_option("--shortlist", a->shortlist,
                "Candidates re-ranked exactly, one row each (0 = the index's default)")
      ->capture_default_str();
  c->add_option("--scan", a->scan,
                "Fast-scan only: the scan proposing the shortlist, one row each: auto (OpenLFR's AVX2 kernel "
                "where the CPU has AVX2, unless LFR_PQ4_SCAN=faiss), avx2, faiss (FAISS's own search), e.g. "
                "auto,faiss")
      ->capture_default_str();
  c->add_option("--scan-threads", a->scan_threads,
                "Fast-scan AVX2 scan: threads per probe, one row each (0 = by gallery size)")
      ->capture_default_str();
  c->add_option("--flat-max-mib", a->flat_max_mib,
                "Build the whole-gallery FAISS IndexFlatIP baseline (for its latency) only up to this size; "
                "the ground truth is always computed chunk by chunk")
      ->capture_default_str();
  c->add_option("--float16-from", a->float16_from, "Keep re-rank vectors as float16 from this size on")
      ->capture_default_str();
  c->add_option("--threads", a->threads, "Threads for embedding LFW images not yet in the cache")
      ->check(CLI::Range(1, 64))->capture_default_str();
  c->add_option("--data", a->data, "Data folder with lfw/ (default: LFR_DATA)");
  c->add_option("--seed", a->seed, "Seed of the probe choice and the fill")->capture_default_str();
  c->add_flag("--cached-only", a->cached_only,
              "Use only the LFW images already in the embedding cache ($LFR_HOME/cache/eval, filled by "
              "`lfr eval`); the rest of each gallery is fill");
  c->add_flag("--json", a->json, "JSON output");
  c->callback([a, &ctx] { RunSearchBench(*a, ctx); });
}

}  // namespace lfr::cli
