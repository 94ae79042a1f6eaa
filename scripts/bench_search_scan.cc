// Standalone latency harness for the gallery index (RerankFaceIndex, src/search/index.h) with
// its two fast-scan proposers' scans (OpenLFR's AVX2 kernel on 1 and 2 threads, FAISS's own),
// on real LFW EdgeFace embeddings read from an `lfr eval` cache file plus `lfr bench search`'s
// fill (mixtures of real faces, s = 3.0 as its calibration chose for EdgeFace). It exists
// because it builds from six sources in a minute where the whole project takes much longer
// on a shared machine; `lfr bench search --scan auto,faiss --scan-threads 1,2` measures the
// same with recall. Not part of the build. Build and run (docs/PERFORMANCE.md):
//   g++ -O2 -std=c++20 -DLFR_SOURCE_DIR=\"$PWD\" -Isrc -isystem /usr/include/opencv4 \
//     scripts/bench_search_scan.cc src/search/{index,pq4_scan,pq4_scan_avx2}.cc \
//     src/privacy/crypto.cc src/util/{status,secure,paths}.cc /usr/lib/x86_64-linux-gnu/libfaiss.a \
//     -lsodium -lopencv_core -lblas -llapack -lgomp -lpthread -o /tmp/bench_search_scan
//   OMP_NUM_THREADS=2 /tmp/bench_search_scan $LFR_HOME/cache/eval/<digest>.lfrcache 1000000
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>
#include "search/index.h"
using namespace lfr::search;
using Clock = std::chrono::steady_clock;
static void Norm(float* v, int d) { double s = 0; for (int j = 0; j < d; ++j) s += double(v[j]) * v[j]; float inv = 1.0 / std::sqrt(s); for (int j = 0; j < d; ++j) v[j] *= inv; }
int main(int argc, char** argv) {
  const int64_t N = atoll(argv[2]);
  const int nprobes = 300, dim = 512;
  std::ifstream f(argv[1], std::ios::binary);
  std::string d((std::istreambuf_iterator<char>(f)), {});
  size_t p = d.find("FECR");
  std::map<std::string, std::vector<float>> byPath;
  while (p + 8 < d.size() && d.compare(p, 4, "FECR") == 0) {
    uint32_t len; memcpy(&len, d.data() + p + 4, 4);
    const char* b = d.data() + p + 8;
    uint32_t pl; memcpy(&pl, b, 4);
    std::string path(b + 4, pl);
    size_t q = 4 + pl + 8 + 8;
    uint8_t found = b[q]; q += 1 + 4 + 4 + 4 + 1;
    uint32_t dm; memcpy(&dm, b + q, 4); q += 4;
    if (path.rfind("/work/shared/data/lfw/", 0) == 0) {
      if (found && dm == dim) { std::vector<float> v(dim); memcpy(v.data(), b + q, dim * 4); byPath[path] = v; } else byPath.erase(path);
    }
    p += 8 + len + 8;
  }
  std::map<std::string, std::vector<std::vector<float>>> person;
  for (auto& [path, v] : byPath) { auto s = path.substr(0, path.rfind('/')); person[s].push_back(v); }
  std::vector<std::string> multi; for (auto& [k, v] : person) if (v.size() >= 2) multi.push_back(k);
  std::mt19937_64 rng(42); std::shuffle(multi.begin(), multi.end(), rng); multi.resize(std::min<size_t>(multi.size(), nprobes));
  std::set<std::string> isProbe(multi.begin(), multi.end());
  std::vector<float> real, probes;
  for (auto& [k, vs] : person) for (size_t j = 0; j < vs.size(); ++j) {
    auto& dst = (isProbe.count(k) && j + 1 == vs.size()) ? probes : real;
    dst.insert(dst.end(), vs[j].begin(), vs[j].end()); Norm(dst.data() + dst.size() - dim, dim);
  }
  const int64_t R = real.size() / dim, P = probes.size() / dim;
  fprintf(stderr, "real %ld probes %ld\n", R, P);
  const float s = 3.0f;
  auto t0 = Clock::now();
  VectorSource source = [&](const VectorSink& sink) -> lfr::Status {
    std::vector<int64_t> ids; std::vector<float> rows;
    for (int64_t i = 0; i < N; i += 16384) {
      int64_t m = std::min<int64_t>(16384, N - i);
      ids.resize(m); rows.assign(m * dim, 0.f);
      std::mt19937_64 g(1000003 * 7 + i); std::uniform_int_distribution<int64_t> pick(0, R - 1); std::uniform_real_distribution<float> w(0.5f, 1.f);
      for (int64_t j = 0; j < m; ++j) {
        ids[j] = i + j; float* v = rows.data() + j * dim;
        if (i + j < R) { memcpy(v, real.data() + (i + j) * dim, dim * 4); continue; }
        for (int k = 0; k < 4; ++k) { float wk = w(g); const float* r = real.data() + pick(g) * dim; for (int t = 0; t < dim; ++t) v[t] += wk * r[t]; }
        const float* a = real.data() + pick(g) * dim; const float* b = real.data() + pick(g) * dim;
        for (int t = 0; t < dim; ++t) v[t] += s * (a[t] - b[t]);
        Norm(v, dim);
      }
      auto st = sink(ids, rows); if (!st.ok()) return st;
    }
    return lfr::Status::Ok();
  };
  FaceIndexOptions o; o.exact_below = 0; o.approx.float16_store = N >= 5000000;
  auto built = BuildFaceIndex(dim, source, o);
  if (!built.ok()) { fprintf(stderr, "%s\n", built.status().ToString().c_str()); return 1; }
  auto* r = dynamic_cast<RerankFaceIndex*>(built->get());
  fprintf(stderr, "built in %.1f s\n", std::chrono::duration<double>(Clock::now() - t0).count());
  struct Cfg { ScanKernel k; int t; const char* name; };
  std::vector<std::vector<std::vector<int64_t>>> results;
  for (Cfg c : {Cfg{ScanKernel::kAvx2, 1, "avx2 1 thread"}, Cfg{ScanKernel::kAvx2, 2, "avx2 2 threads"}, Cfg{ScanKernel::kFaiss, 0, "faiss"}}) {
    r->SetScan(c.k, c.t);
    std::vector<double> ms; std::vector<std::vector<int64_t>> res;
    for (int64_t q = 0; q < P; ++q) {
      auto t = Clock::now();
      auto h = r->Search({probes.data() + q * dim, (size_t)dim}, 20);
      ms.push_back(std::chrono::duration<double>(Clock::now() - t).count() * 1000);
      std::vector<int64_t> ids; for (auto& x : *h) ids.push_back(x.id); res.push_back(ids);
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double pc) { size_t k = (size_t)std::ceil(pc / 100 * ms.size()); return ms[std::max<size_t>(k, 1) - 1]; };
    printf("%ld  %-60s  p50 %.2f ms  p95 %.2f ms  max %.2f\n", N, r->Describe().c_str(), pct(50), pct(95), ms.back());
    fflush(stdout);
    results.push_back(res);
  }
  int64_t same = 0, tot = 0;
  for (int64_t q = 0; q < P; ++q) for (size_t i = 0; i < results[2][q].size(); ++i) { ++tot; same += std::count(results[0][q].begin(), results[0][q].end(), results[2][q][i]); }
  printf("top-20 ids of the AVX2 scan also in FAISS scan's top-20: %ld / %ld\n", same, tot);
  double l[3]; getloadavg(l, 3); printf("load %.2f %.2f %.2f\n", l[0], l[1], l[2]);
}
