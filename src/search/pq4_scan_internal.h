// Internal to pq4_scan.cc and pq4_scan_avx2.cc: the top-k collector the kernel feeds.
#ifndef LFR_SEARCH_PQ4_SCAN_INTERNAL_H_
#define LFR_SEARCH_PQ4_SCAN_INTERNAL_H_

#include <cstdint>
#include <vector>

#include "search/pq4_scan.h"

namespace lfr::search::internal {

// Keeps the k best (score desc, row asc) of the rows it is given, rows in increasing order.
// Rows scoring below min_accept cannot enter the top k and need not be offered. When full
// (2k items) it keeps the k best and raises min_accept above the k-th score: a later row with
// an equal score has a larger row, so it ranks below all k kept.
class Pq4Reservoir {
 public:
  explicit Pq4Reservoir(int64_t k);
  void Add(int64_t row, uint16_t score) {
    if (score < min_accept_) return;
    items_.push_back({row, score});
    if (static_cast<int64_t>(items_.size()) == capacity_) Shrink();
  }
  uint16_t min_accept() const { return min_accept_; }
  // The k best, sorted; the reservoir is left empty.
  std::vector<Pq4Hit> Take();

 private:
  void Shrink();
  int64_t k_;
  int64_t capacity_;
  uint16_t min_accept_ = 0;
  std::vector<Pq4Hit> items_;
};

// Scans blocks [b0, b1) of the codes into the reservoir (AVX2; pq4_scan_avx2.cc).
void Pq4ScanBlocksAvx2(const Pq4Packed& codes, const uint8_t* lut, int64_t b0, int64_t b1, Pq4Reservoir* out);

}  // namespace lfr::search::internal

#endif  // LFR_SEARCH_PQ4_SCAN_INTERNAL_H_
