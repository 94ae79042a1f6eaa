// Internal to report/: formatting shared by the report, the notice and the public listing.
// Not part of the module's public API (other folders must not include it).
//
// Times: machine formats (JSON, CSV) are ISO 8601 UTC; what people read (HTML, the notice,
// chart labels) is UK civil time, GMT or BST, always with the zone named. UK summer time
// runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
//
// Thread-safe (pure functions; gmtime_r/timegm only).
#ifndef LFR_REPORT_FORMAT_H_
#define LFR_REPORT_FORMAT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/store.h"

namespace lfr::report::internal {

// "2026-12-05T18:00:00Z": util/clock.h's FormatUtcMs to whole seconds (rounded down), as
// published reports give times.
std::string IsoUtc(int64_t ms);

bool IsUkSummerTime(int64_t ms);
std::string UkZone(int64_t ms);      // "GMT" or "BST"
std::string UkDateTime(int64_t ms);  // "Sat 5 Dec 2026, 18:00 GMT"
std::string UkClock(int64_t ms);     // "18:00" (UK civil time, no zone)
std::string UkDayMonth(int64_t ms);  // "5 Dec" (UK civil date)
// True if a and b fall on the same UK civil date.
bool SameUkDay(int64_t a_ms, int64_t b_ms);

// When something happens, for sentences: "on Sat 5 Dec 2026, 18:00 to 23:00 GMT" within
// one UK day and zone, else "from Sat 5 Dec 2026, 18:00 GMT to Sun 6 Dec 2026, 02:00 GMT".
std::string UkWhen(int64_t start_ms, int64_t end_ms);

// A duration in words for labels: "1 minute", "10 minutes", "1 hour", "6 hours", "1 day",
// "7 days", "2 h 30 min" (for a span that is not a whole unit).
std::string DurationWords(int64_t ms);
// "minute", "10 minutes", "hour", "day": for "Alerts per ...".
std::string PerDuration(int64_t ms);
// "10-minute", "1-hour", "7-day": for "each ... period" ("2 h 30 min" stays as it is).
std::string PeriodAdjective(int64_t ms);

// "12,345" (thousands separated by commas).
std::string Grouped(int64_t n);
// A rate for people: "0.0025% (1 in 40,000)"; "0% (none in 12,345)" for zero false alerts;
// "n/a" when there is no denominator.
std::string RateText(int64_t numerator, int64_t denominator);
// A probability with 3 significant figures in plain or scientific notation ("0.000167",
// "1.67e-07").
std::string Probability(double p);

// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled.
// Text that a spreadsheet would run as a formula (starting with = + - @ TAB or CR) is
// prefixed with a single quote (') first. For text fields only; numbers go out as they are.
std::string CsvText(std::string_view s);

// Standard Base64 (RFC 4648, with padding).
std::string Base64(std::span<const uint8_t> bytes);

}  // namespace lfr::report::internal

#endif  // LFR_REPORT_FORMAT_H_
