#include "pipeline/av_log.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <string>

#ifdef LFR_HAVE_LIBAV
extern "C" {
#include <libavutil/log.h>
}
#endif

namespace lfr {

bool LogRateLimiter::Allow(std::chrono::steady_clock::time_point now, int64_t* suppressed_before) {
  *suppressed_before = 0;
  if (window_start_ == std::chrono::steady_clock::time_point{} ||
      now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= per_second_) {
    ++pending_suppressed_;
    ++suppressed_total_;
    return false;
  }
  ++in_window_;
  *suppressed_before = pending_suppressed_;
  pending_suppressed_ = 0;
  return true;
}

namespace {

std::mutex g_mu;
LogRateLimiter g_limiter(kLibavLogLinesPerSecond);
LibavLogCounts g_counts;

#ifdef LFR_HAVE_LIBAV
void Emit(int level, std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return;
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  int64_t before = 0;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (!g_limiter.Allow(std::chrono::steady_clock::now(), &before)) {
      ++g_counts.suppressed;
      return;
    }
    ++g_counts.logged;
  }
  if (before > 0) spdlog::warn("ffmpeg: {} message(s) suppressed (more than {} a second)", before, kLibavLogLinesPerSecond);
  if (level <= AV_LOG_FATAL) {
    spdlog::error("ffmpeg: {}", line);
  } else {
    spdlog::warn("ffmpeg: {}", line);
  }
}

void Callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > av_log_get_level()) return;
  // FFmpeg may build one line out of several calls: collect per thread up to the newline.
  thread_local std::string pending;
  thread_local int print_prefix = 1;
  char part[1024];
  va_list copy;
  va_copy(copy, vl);
  av_log_format_line2(avcl, level, fmt, copy, part, sizeof(part), &print_prefix);
  va_end(copy);
  pending += part;
  if (!pending.empty() && pending.back() != '\n' && pending.size() < 4096) return;
  std::string line;
  line.swap(pending);
  Emit(level, std::move(line));
}
#endif

}  // namespace

void RouteLibavLog() {
#ifdef LFR_HAVE_LIBAV
  static std::once_flag once;
  std::call_once(once, [] {
    if (av_log_get_level() > AV_LOG_ERROR) av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback(&Callback);
  });
#endif
}

LibavLogCounts LibavLogStats() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_counts;
}

}  // namespace lfr
