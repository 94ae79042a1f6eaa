#include "pipeline/stats.h"

#include <algorithm>
#include <cmath>

namespace lfr {

void LatencyStats::Add(double ms) {
  ++count_;
  sum_ += ms;
  if (samples_.size() < capacity_) {
    samples_.push_back(ms);
  } else {
    std::uniform_int_distribution<int64_t> pick(0, count_ - 1);
    const int64_t j = pick(rng_);
    if (j < static_cast<int64_t>(capacity_)) samples_[j] = ms;
  }
}

double LatencyStats::Percentile(double p) const {
  if (samples_.empty()) return 0.0;
  std::vector<double> s = samples_;
  const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * s.size());
  const size_t idx = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  std::nth_element(s.begin(), s.begin() + idx, s.end());
  return s[idx];
}

void LatencyStats::Merge(const LatencyStats& other) {
  for (double v : other.samples_) {
    // Adding the kept samples keeps percentiles meaningful; count/sum are exact.
    if (samples_.size() < capacity_) samples_.push_back(v);
  }
  count_ += other.count_;
  sum_ += other.sum_;
}

}  // namespace lfr
