#include "search/pq4_scan.h"

#include <algorithm>
#include <cstring>
#include <thread>

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

namespace {
// Byte of (row, sq) in the packed codes and whether the code is its high nibble: block
// row / 32, then the pair sq / 2 (32 bytes), then sq's half (16 bytes); within it, rows v and
// v + 16 share byte 2v (v < 8) or 2(v - 8) + 1 (v >= 8), v low and v + 16 high.
int64_t CodeByte(int nsq, int64_t row, int sq, bool* high) {
  const int64_t r = row % kBlock;
  const int64_t v = r % 16;
  *high = r >= 16;
  return row / kBlock * 16 * nsq + (sq / 2) * 32 + (sq % 2) * 16 + (v < 8 ? 2 * v : 2 * (v - 8) + 1);
}
}  // namespace

uint8_t Pq4GetCode(const Pq4Packed& codes, int64_t row, int sq) {
  bool high = false;
  const uint8_t b = codes.codes[CodeByte(codes.nsq, row, sq, &high)];
  return high ? b >> 4 : b & 15;
}

void Pq4SetCode(uint8_t* codes, int nsq, int64_t row, int sq, uint8_t code) {
  bool high = false;
  uint8_t& b = codes[CodeByte(nsq, row, sq, &high)];
  b = high ? static_cast<uint8_t>((b & 0x0f) | (code << 4)) : static_cast<uint8_t>((b & 0xf0) | (code & 15));
}

int64_t Pq4SwapRemove(uint8_t* codes, int64_t n, int nsq, std::span<const int64_t> rows, std::vector<int64_t>* ids) {
  const Pq4Packed view{codes, n, nsq};
  for (size_t i = rows.size(); i-- > 0;) {
    const int64_t r = rows[i], last = n - 1;  // rows above r are gone already: last survives
    if (r != last) {
      for (int m = 0; m < nsq; ++m) Pq4SetCode(codes, nsq, r, m, Pq4GetCode(view, last, m));
      (*ids)[r] = (*ids)[last];
    }
    for (int m = 0; m < nsq; ++m) Pq4SetCode(codes, nsq, last, m, 0);
    --n;
  }
  ids->resize(n);
  return n;
}

void Pq4ScoresReference(const Pq4Packed& codes, const uint8_t* lut, uint16_t* out) {
  for (int64_t i = 0; i < codes.n; ++i) {
    uint32_t s = 0;
    for (int m = 0; m < codes.nsq; ++m) s += lut[m * 16 + Pq4GetCode(codes, i, m)];
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
