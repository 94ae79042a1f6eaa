// Polling for tests that watch another process or thread come round (a server restarted,
// a heartbeat arriving): true as soon as cond() holds, false if it still does not after
// timeout_ms (checked every 50 ms, and once more at the end).
#ifndef LFR_TESTING_WAIT_H_
#define LFR_TESTING_WAIT_H_

#include <chrono>
#include <functional>
#include <thread>

namespace lfr::testing {

inline bool WaitFor(const std::function<bool()>& cond, int timeout_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

}  // namespace lfr::testing

#endif  // LFR_TESTING_WAIT_H_
