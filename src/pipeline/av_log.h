// FFmpeg's own messages (av_log) routed through spdlog, rate-limited, instead of FFmpeg's
// default of writing every line to stderr (a damaged file gave 3,600 lines in 8 s).
//
// RouteLibavLog() installs the callback once per process (the libav camera decoder calls
// it; idempotent). Lines at FFmpeg's AV_LOG_ERROR level or more severe are kept (as
// before); they are logged as "ffmpeg: <component>: <text>" at spdlog warn (error for
// FFmpeg's fatal/panic), control characters replaced. At most kLibavLogLinesPerSecond lines
// per second are logged for the whole process; the rest are counted, and the first line
// logged after a suppression says how many were suppressed. FFmpeg's messages carry stream
// metadata and codec errors, never pixels.
//
// Thread-safety: everything here is thread-safe (FFmpeg logs from any decoder thread).
#ifndef LFR_PIPELINE_AV_LOG_H_
#define LFR_PIPELINE_AV_LOG_H_

#include <chrono>
#include <cstdint>
#include <mutex>

namespace lfr {

inline constexpr int kLibavLogLinesPerSecond = 10;

// At most `per_second` events per one-second window. Deterministic (time is passed in).
// Not thread-safe: callers lock.
class LogRateLimiter {
 public:
  explicit LogRateLimiter(int per_second) : per_second_(per_second) {}
  // Whether an event at `now` may be logged. When it may and events were suppressed since
  // the last one logged, *suppressed_before is set to how many (else 0).
  bool Allow(std::chrono::steady_clock::time_point now, int64_t* suppressed_before);
  int64_t suppressed_total() const { return suppressed_total_; }

 private:
  int per_second_;
  std::chrono::steady_clock::time_point window_start_{};
  int in_window_ = 0;
  int64_t pending_suppressed_ = 0;
  int64_t suppressed_total_ = 0;
};

struct LibavLogCounts {
  int64_t logged = 0;      // lines passed to spdlog
  int64_t suppressed = 0;  // lines dropped by the rate limit
};

// Installs the callback (no-op without libav or when already installed).
void RouteLibavLog();
LibavLogCounts LibavLogStats();

}  // namespace lfr

#endif  // LFR_PIPELINE_AV_LOG_H_
