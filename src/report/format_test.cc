// report/'s private formatting: UTC and UK civil time across the summer-time changes,
// rates, CSV fields, Base64.
#include "report/format.h"

#include <gtest/gtest.h>

#include "report/test_samples.h"

namespace lfr::report::internal {
namespace {

using testing::Utc;

TEST(ReportFormatTest, IsoUtc) {
  EXPECT_EQ(IsoUtc(Utc(2026, 12, 5, 18, 0, 7) + 999), "2026-12-05T18:00:07Z");
  EXPECT_EQ(IsoUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(IsoUtc(-1), "1969-12-31T23:59:59Z");
}

TEST(ReportFormatTest, UkCivilTimeChangesAtOneAmUtcOnTheLastSundays) {
  // 2026: BST from Sun 29 March 01:00 UTC to Sun 25 October 01:00 UTC.
  EXPECT_EQ(UkDateTime(Utc(2026, 3, 29, 0, 59)), "Sun 29 Mar 2026, 00:59 GMT");
  EXPECT_EQ(UkDateTime(Utc(2026, 3, 29, 1, 0)), "Sun 29 Mar 2026, 02:00 BST");
  EXPECT_EQ(UkDateTime(Utc(2026, 10, 25, 0, 59)), "Sun 25 Oct 2026, 01:59 BST");
  EXPECT_EQ(UkDateTime(Utc(2026, 10, 25, 1, 0)), "Sun 25 Oct 2026, 01:00 GMT");
  // 2027: 28 March and 31 October.
  EXPECT_TRUE(IsUkSummerTime(Utc(2027, 3, 28, 1, 0)));
  EXPECT_FALSE(IsUkSummerTime(Utc(2027, 3, 28, 0, 59)));
  EXPECT_TRUE(IsUkSummerTime(Utc(2027, 10, 31, 0, 59)));
  EXPECT_FALSE(IsUkSummerTime(Utc(2027, 10, 31, 1, 0)));
  // Summer evening: the UK date is already the next day at 23:30 UTC.
  EXPECT_EQ(UkDayMonth(Utc(2026, 7, 4, 23, 30)), "5 Jul");
  EXPECT_EQ(UkClock(Utc(2026, 7, 4, 23, 30)), "00:30");
  EXPECT_FALSE(SameUkDay(Utc(2026, 7, 4, 22, 0), Utc(2026, 7, 4, 23, 30)));
  EXPECT_TRUE(SameUkDay(Utc(2026, 12, 5, 0, 0), Utc(2026, 12, 5, 23, 59)));
}

TEST(ReportFormatTest, UkWhenSaysOneDayOnceAndNamesTheZone) {
  EXPECT_EQ(UkWhen(Utc(2026, 12, 5, 18, 0), Utc(2026, 12, 5, 23, 0)), "on Sat 5 Dec 2026, 18:00 to 23:00 GMT");
  EXPECT_EQ(UkWhen(Utc(2026, 7, 4, 17, 0), Utc(2026, 7, 4, 21, 0)), "on Sat 4 Jul 2026, 18:00 to 22:00 BST");
  EXPECT_EQ(UkWhen(Utc(2026, 12, 5, 22, 0), Utc(2026, 12, 6, 2, 0)),
            "from Sat 5 Dec 2026, 22:00 GMT to Sun 6 Dec 2026, 02:00 GMT");
}

TEST(ReportFormatTest, Durations) {
  const int64_t m = 60 * 1000, h = 60 * m, d = 24 * h;
  EXPECT_EQ(DurationWords(m), "1 minute");
  EXPECT_EQ(DurationWords(10 * m), "10 minutes");
  EXPECT_EQ(DurationWords(2 * h), "2 hours");
  EXPECT_EQ(DurationWords(7 * d), "7 days");
  EXPECT_EQ(DurationWords(150 * m), "2 h 30 min");
  EXPECT_EQ(PerDuration(h), "hour");
  EXPECT_EQ(PerDuration(15 * m), "15 minutes");
  EXPECT_EQ(PeriodAdjective(10 * m), "10-minute");
  EXPECT_EQ(PeriodAdjective(d), "1-day");
}

TEST(ReportFormatTest, NumbersAndRates) {
  EXPECT_EQ(Grouped(0), "0");
  EXPECT_EQ(Grouped(999), "999");
  EXPECT_EQ(Grouped(1000), "1,000");
  EXPECT_EQ(Grouped(1234567), "1,234,567");
  EXPECT_EQ(Grouped(-45000), "-45,000");
  EXPECT_EQ(RateText(3, 120000), "0.0025% (1 in 40,000)");
  EXPECT_EQ(RateText(1, 3), "33% (1 in 3)");
  EXPECT_EQ(RateText(0, 12345), "0% (none in 12,345)");
  EXPECT_EQ(RateText(2, 0), "n/a");
  EXPECT_EQ(Probability(1.0 / 6000), "0.000167");
}

TEST(ReportFormatTest, CsvTextQuotesAndDefusesFormulas) {
  EXPECT_EQ(CsvText("plain"), "plain");
  EXPECT_EQ(CsvText(""), "");
  EXPECT_EQ(CsvText("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvText("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvText("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvText("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(CsvText("=SUM(A1:A9)"), "'=SUM(A1:A9)");
  EXPECT_EQ(CsvText("+44 29"), "'+44 29");
  EXPECT_EQ(CsvText("@cmd,x"), "\"'@cmd,x\"");
}

TEST(ReportFormatTest, Base64MatchesRfc4648Vectors) {
  auto b64 = [](std::string_view s) {
    return Base64({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  const uint8_t high[] = {0xff, 0xfe, 0x00};
  EXPECT_EQ(Base64(high), "//4A");
}

}  // namespace
}  // namespace lfr::report::internal
