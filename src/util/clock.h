// Clock: where OpenLFR reads the wall time for anything that has legal meaning — alert
// times, retention deadlines, audit rows, deployment start/close.
//
// Times are UTC milliseconds since the Unix epoch (int64, "_ms" in names). Production code
// uses SystemClock(); tests inject a ManualClock so retention can be tested across days in
// microseconds. Both are thread-safe.
#ifndef LFR_UTIL_CLOCK_H_
#define LFR_UTIL_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace lfr {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

// The real wall clock (std::chrono::system_clock). Lives for the process.
Clock* SystemClock();

// A clock that only moves when told to. Starts at start_ms.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t start_ms) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void Set(int64_t ms) { now_ms_.store(ms); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// "2026-11-25T09:41:28.123Z".
std::string FormatUtcMs(int64_t ms);
// Parses "2026-11-25T09:41:28Z", "2026-11-25T09:41:28.123Z", "2026-11-25T09:41" (UTC) or
// "2026-11-25" (midnight UTC). Returns false if text is none of these.
bool ParseUtcMs(const std::string& text, int64_t* ms);

}  // namespace lfr

#endif  // LFR_UTIL_CLOCK_H_
