#include "pipeline/cadence.h"

#include <algorithm>

namespace lfr {

DetectCadence::DetectCadence(const CadenceOptions& options) : o_(options) {
  o_.base_every = std::max(1, o_.base_every);
  o_.max_every = std::max(o_.base_every, o_.max_every);
  o_.cameras = std::max(1, o_.cameras);
  o_.queue_capacity = std::max(1, o_.queue_capacity);
  if (o_.hold_reports <= 0) o_.hold_reports = 2 * o_.cameras;
  if (o_.calm_reports <= 0) o_.calm_reports = 50 * o_.cameras;
  calm_needed_ = o_.calm_reports;
  every_ = o_.base_every;
  max_reached_ = o_.base_every;
  backlog_.assign(static_cast<size_t>(o_.cameras), 0.0);
}

int DetectCadence::Report(int camera, size_t backlog, int64_t lost, bool behind) {
  std::lock_guard<std::mutex> lock(mu_);
  if (camera < 0 || camera >= o_.cameras) return every_;
  double& b = backlog_[static_cast<size_t>(camera)];
  b = (1 - o_.alpha) * b + o_.alpha * static_cast<double>(backlog);
  ++since_change_;
  const double high = std::max(1.0, o_.queue_capacity / 2.0);
  const bool overloaded = lost > 0 || behind || b >= high;
  const bool all_calm = std::all_of(backlog_.begin(), backlog_.end(), [](double x) { return x < 0.25; });
  int e = every_;
  if (overloaded) {
    calm_ = 0;
    if (since_change_ >= o_.hold_reports && e < o_.max_every) {
      // Frames already lost: far short of CPU (a crowd, start-up): back off by half at
      // once. Only the early signs (a backlog, a reader behind): one step.
      const int step = lost > 0 ? std::max(1, e / 2) : 1;
      if (last_was_down_ && since_change_ < calm_needed_) {
        // The step down brought the overload back soon: wait longer before the next one.
        calm_needed_ = std::min(calm_needed_ * 2, kMaxCalmFactor * o_.calm_reports);
      }
      e = std::min(o_.max_every, e + step);
      ++raises_;
      since_change_ = 0;
      last_was_down_ = false;
      // The backlog built up under the old interval: judge the new one afresh.
      std::fill(backlog_.begin(), backlog_.end(), 0.0);
    }
  } else if (all_calm) {
    if (++calm_ >= calm_needed_ && e > o_.base_every) {
      // Two step downs in a row: the load has really fallen; trust calm sooner again.
      if (last_was_down_) calm_needed_ = std::max(o_.calm_reports, calm_needed_ / 2);
      --e;
      calm_ = 0;
      since_change_ = 0;
      last_was_down_ = true;
    }
  } else {
    calm_ = 0;
  }
  every_ = e;
  max_reached_ = std::max(max_reached_.load(), e);
  return e;
}

int DetectCadence::calm_needed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calm_needed_;
}

int64_t DetectCadence::raises() const {
  std::lock_guard<std::mutex> lock(mu_);
  return raises_;
}

}  // namespace lfr
