#include "search/pq4_scan.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include <faiss/impl/pq4_fast_scan.h>

#include "search/pq4_scan_internal.h"

namespace lfr::search {
namespace {

constexpr int64_t kBlock = 32;

bool Better(const Pq4Hit& a, const Pq4Hit& b) { return a.score != b.score ? a.score > b.score : a.row < b.row; }

}  // namespace

std::string_view ScanKernelName(ScanKernel k) {
  switch (k) {
    case ScanKernel::kAuto: return "auto";
    case ScanKernel::kAvx2: return "avx2";
    case ScanKernel::kFaiss: return "faiss";
  }
  return "?";
}

bool CpuSupportsAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

ScanKernel ResolveScanKernel(ScanKernel requested, const char* env, bool cpu_has_avx2) {
  if (requested == ScanKernel::kFaiss || !cpu_has_avx2) return ScanKernel::kFaiss;
  if (requested == ScanKernel::kAuto && env != nullptr && std::strcmp(env, "faiss") == 0) return ScanKernel::kFaiss;
  return ScanKernel::kAvx2;
}

ScanKernel ResolveScanKernel(ScanKernel requested) {
  return ResolveScanKernel(requested, std::getenv("LFR_PQ4_SCAN"), CpuSupportsAvx2());
}

bool Pq4ScanSupports(int nsq) { return nsq >= 2 && nsq <= 256 && nsq % 2 == 0; }

void Pq4ScoresReference(const Pq4Packed& codes, const uint8_t* lut, uint16_t* out) {
  for (int64_t i = 0; i < codes.n; ++i) {
    uint32_t s = 0;
    for (int m = 0; m < codes.nsq; ++m) {
      s += lut[m * 16 + faiss::pq4_get_packed_element(codes.codes, kBlock, codes.nsq, i, m)];
    }
    out[i] = static_cast<uint16_t>(s);
  }
}

namespace internal {

Pq4Reservoir::Pq4Reservoir(int64_t k) : k_(std::max<int64_t>(k, 1)), capacity_(2 * k_ + 64) {
  items_.reserve(capacity_);
}

void Pq4Reservoir::Shrink() {
  std::nth_element(items_.begin(), items_.begin() + (k_ - 1), items_.end(), Better);
  const uint16_t kth = items_[k_ - 1].score;
  items_.resize(k_);
  // Scores are at most 256 * 255 (Pq4ScanSupports), so kth + 1 fits.
  min_accept_ = static_cast<uint16_t>(kth + 1);
}

std::vector<Pq4Hit> Pq4Reservoir::Take() {
  std::sort(items_.begin(), items_.end(), Better);
  if (static_cast<int64_t>(items_.size()) > k_) items_.resize(k_);
  return std::move(items_);
}

}  // namespace internal

std::vector<Pq4Hit> Pq4TopKAvx2(const Pq4Packed& codes, const uint8_t* lut, int64_t k, int threads) {
  const int64_t blocks = (codes.n + kBlock - 1) / kBlock;
  threads = static_cast<int>(std::clamp<int64_t>(threads, 1, std::max<int64_t>(blocks, 1)));
  if (threads == 1) {
    internal::Pq4Reservoir res(k);
    internal::Pq4ScanBlocksAvx2(codes, lut, 0, blocks, &res);
    return res.Take();
  }
  // Contiguous block ranges, one reservoir each; the k best of their k bests are the k best.
  std::vector<internal::Pq4Reservoir> res;
  res.reserve(threads);
  for (int t = 0; t < threads; ++t) res.emplace_back(k);
  std::vector<std::thread> pool;
  auto range = [&](int t) {
    internal::Pq4ScanBlocksAvx2(codes, lut, blocks * t / threads, blocks * (t + 1) / threads, &res[t]);
  };
  for (int t = 1; t < threads; ++t) pool.emplace_back(range, t);
  range(0);
  for (auto& th : pool) th.join();
  std::vector<Pq4Hit> all;
  for (auto& r : res) {
    std::vector<Pq4Hit> part = r.Take();
    all.insert(all.end(), part.begin(), part.end());
  }
  const int64_t keep = std::min<int64_t>(k, static_cast<int64_t>(all.size()));
  std::partial_sort(all.begin(), all.begin() + keep, all.end(), Better);
  all.resize(keep);
  return all;
}

}  // namespace lfr::search
