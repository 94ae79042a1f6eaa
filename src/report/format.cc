#include "report/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "util/clock.h"

namespace lfr::report::internal {
namespace {


const char* const kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::tm BrokenDownUtc(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(FloorDiv(ms, 1000));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

// 01:00 UTC on the last Sunday of the month (1-12) of year.
int64_t LastSundayOneAmUtcMs(int year, int month) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = 31;  // March and October both have 31 days
  tm.tm_hour = 1;
  const int64_t last_day = static_cast<int64_t>(timegm(&tm)) * 1000;
  return last_day - static_cast<int64_t>(BrokenDownUtc(last_day).tm_wday) * kMsPerDay;
}

std::tm UkBrokenDown(int64_t ms) { return BrokenDownUtc(ms + (IsUkSummerTime(ms) ? kMsPerHour : 0)); }

struct Unit {
  int64_t ms;
  const char* name;
};

// The largest unit ms is a whole number of (minutes only below an hour); nullptr if none.
const Unit* WholeUnit(int64_t ms) {
  static const Unit kUnits[] = {{kMsPerDay, "day"}, {kMsPerHour, "hour"}, {kMsPerMinute, "minute"}};
  if (ms <= 0) return nullptr;
  for (const Unit& u : kUnits) {
    if (ms % u.ms == 0 && (u.ms != kMsPerMinute || ms < kMsPerHour)) return &u;
  }
  return nullptr;
}

std::string Plural(int64_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

}  // namespace

std::string IsoUtc(int64_t ms) {
  const int64_t whole = ms - ((ms % 1000) + 1000) % 1000;  // floor to the second
  std::string s = FormatUtcMs(whole);                      // "...:07.000Z"
  const size_t dot = s.rfind('.');
  if (dot != std::string::npos) s.erase(dot, s.size() - 1 - dot);
  return s;
}

bool IsUkSummerTime(int64_t ms) {
  const int year = BrokenDownUtc(ms).tm_year + 1900;
  return ms >= LastSundayOneAmUtcMs(year, 3) && ms < LastSundayOneAmUtcMs(year, 10);
}

std::string UkZone(int64_t ms) { return IsUkSummerTime(ms) ? "BST" : "GMT"; }

std::string UkDateTime(int64_t ms) {
  const std::tm tm = UkBrokenDown(ms);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%s %d %s %d, %02d:%02d ", kWeekdays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
  return buf + UkZone(ms);
}

std::string UkClock(int64_t ms) {
  const std::tm tm = UkBrokenDown(ms);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02d:%02d", tm.tm_hour, tm.tm_min);
  return buf;
}

std::string UkDayMonth(int64_t ms) {
  const std::tm tm = UkBrokenDown(ms);
  return std::to_string(tm.tm_mday) + " " + kMonths[tm.tm_mon];
}

bool SameUkDay(int64_t a_ms, int64_t b_ms) {
  const std::tm a = UkBrokenDown(a_ms), b = UkBrokenDown(b_ms);
  return a.tm_year == b.tm_year && a.tm_yday == b.tm_yday;
}

std::string UkWhen(int64_t start_ms, int64_t end_ms) {
  if (SameUkDay(start_ms, end_ms) && UkZone(start_ms) == UkZone(end_ms)) {
    const std::string start = UkDateTime(start_ms);  // "Sat 5 Dec 2026, 18:00 GMT"
    return "on " + start.substr(0, start.size() - 4) + " to " + UkClock(end_ms) + " " + UkZone(end_ms);
  }
  return "from " + UkDateTime(start_ms) + " to " + UkDateTime(end_ms);
}

std::string DurationWords(int64_t ms) {
  if (const Unit* u = WholeUnit(ms)) return Plural(ms / u->ms, u->name);
  const int64_t minutes = FloorDiv(ms, kMsPerMinute);
  const int64_t h = minutes / 60, m = minutes % 60;
  if (h == 0) return std::to_string(m) + " min";
  return std::to_string(h) + " h " + std::to_string(m) + " min";
}

std::string PerDuration(int64_t ms) {
  const Unit* u = WholeUnit(ms);
  return (u && ms == u->ms) ? u->name : DurationWords(ms);
}

std::string PeriodAdjective(int64_t ms) {
  const Unit* u = WholeUnit(ms);
  return u ? std::to_string(ms / u->ms) + "-" + u->name : DurationWords(ms);
}

std::string Grouped(int64_t n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string RateText(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return "n/a";
  if (numerator <= 0) return "0% (none in " + Grouped(denominator) + ")";
  const double percent = 100.0 * static_cast<double>(numerator) / static_cast<double>(denominator);
  // Two significant figures, never scientific notation.
  const int decimals = std::clamp(1 - static_cast<int>(std::floor(std::log10(percent))), 0, 12);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f%%", decimals, percent);
  const auto one_in = static_cast<int64_t>(
      std::llround(static_cast<double>(denominator) / static_cast<double>(numerator)));
  return std::string(buf) + " (1 in " + Grouped(one_in) + ")";
}

std::string Probability(double p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", p);
  return buf;
}

std::string CsvText(std::string_view s) {
  std::string field;
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r')) {
    field += '\'';
  }
  field += s;
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (const char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string Base64(std::span<const uint8_t> bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (rest == 2 ? uint32_t{bytes[i + 1]} << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}


}  // namespace lfr::report::internal
