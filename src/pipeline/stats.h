// LatencyStats: per-stage timing samples (milliseconds) with percentiles for the live
// pipeline's summary and benchmark. Keeps up to `capacity` samples (a uniform reservoir
// beyond that, deterministic seed) so memory stays bounded on a long-running camera.
// NOT thread-safe: one writer (the camera's worker or reader); read after it stops, or
// copy under the owner's lock.
#ifndef LFR_PIPELINE_STATS_H_
#define LFR_PIPELINE_STATS_H_

#include <cstdint>
#include <random>
#include <vector>

namespace lfr {

class LatencyStats {
 public:
  LatencyStats() : LatencyStats(20000) {}
  explicit LatencyStats(size_t capacity) : capacity_(capacity) {}
  void Add(double ms);
  int64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / count_ : 0.0; }
  // p in [0, 100]; 0 if empty. Nearest-rank percentile of the kept samples.
  double Percentile(double p) const;
  void Merge(const LatencyStats& other);

 private:
  size_t capacity_;
  std::vector<double> samples_;
  int64_t count_ = 0;
  double sum_ = 0;
  std::mt19937_64 rng_{12345};
};

}  // namespace lfr

#endif  // LFR_PIPELINE_STATS_H_
