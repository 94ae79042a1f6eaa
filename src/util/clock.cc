#include "util/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace lfr {

namespace {

class RealClock : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Floor division, so times before the epoch format correctly too.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool ValidDate(int y, int mo, int d, int h, int mi, int s) {
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || s < 0 || s > 59) {
    return false;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[mo - 1] + (mo == 2 && leap ? 1 : 0);
}

}  // namespace

Clock* SystemClock() {
  static RealClock* clock = new RealClock();
  return clock;
}

std::string FormatUtcMs(int64_t ms) {
  const int64_t secs = FloorDiv(ms, 1000);
  const int millis = static_cast<int>(ms - secs * 1000);
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

bool ParseUtcMs(const std::string& text, int64_t* ms) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, frac = 0, n = 0;
  const char* p = text.c_str();
  const size_t len = text.size();
  bool ok = false;
  if (len == 10 && std::sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
    ok = true;
  } else if (len == 16 && std::sscanf(p, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) == 5 &&
             n == 16) {
    ok = true;
  } else if (len == 20 && std::sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s, &n) == 6 &&
             n == 20) {
    ok = true;
  } else if (len == 24 && std::sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &s,
                                      &frac, &n) == 7 && n == 24) {
    ok = true;
  }
  // sscanf accepts signs and spaces inside the fields; the fixed layout must be exact.
  if (ok) {
    for (size_t i = 0; i < len; ++i) {
      const char c = text[i];
      const bool digit = c >= '0' && c <= '9';
      const bool sep = (i == 4 || i == 7) ? c == '-'
                       : i == 10         ? c == 'T'
                       : (i == 13 || i == 16) ? c == ':'
                       : i == 19         ? (len == 20 ? c == 'Z' : c == '.')
                       : i == 23         ? c == 'Z'
                                         : digit;
      if (!sep) return false;
    }
  }
  if (!ok || !ValidDate(y, mo, d, h, mi, s)) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t t = timegm(&tm);
  *ms = static_cast<int64_t>(t) * 1000 + frac;
  return true;
}

}  // namespace lfr
