// A one-line progress bar for long evaluation runs: "[label] 1234/13233 ####....  9.3%
// 41.2/s ETA 4m51s", redrawn in place with '\r' on a stream (stderr), at most every
// `min_interval` seconds, so it costs nothing measurable per item.
//
// Thread-safety: Add() and Set() may be called from several threads; drawing is serialised.
#ifndef LFR_EVAL_PROGRESS_H_
#define LFR_EVAL_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>

namespace lfr::eval {

class ProgressBar {
 public:
  // out == nullptr: silent (counts are still kept). The bar does not own out.
  ProgressBar(std::ostream* out, std::string label, int64_t total, double min_interval = 0.5);
  ~ProgressBar();  // calls Finish()

  void Add(int64_t n = 1);
  void Set(int64_t done);
  // Draws the final state and ends the line (once).
  void Finish();

  int64_t done() const;
  // The text of the bar for a state; exposed for tests. elapsed in seconds.
  static std::string Format(const std::string& label, int64_t done, int64_t total,
                            double elapsed, int width = 24);

 private:
  void MaybeDraw(bool force);
  std::ostream* out_;
  std::string label_;
  int64_t total_;
  double min_interval_;
  mutable std::mutex mu_;
  int64_t done_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "4m51s", "1h02m", "12s".
std::string FormatDuration(double seconds);

}  // namespace lfr::eval

#endif  // LFR_EVAL_PROGRESS_H_
