// Clock: UTC formatting/parsing round trips and the manual clock used by retention tests.
#include "util/clock.h"

#include <gtest/gtest.h>

namespace lfr {
namespace {

TEST(Clock, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatUtcMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtcMs(1795599688123), "2026-11-25T09:41:28.123Z");
  EXPECT_EQ(FormatUtcMs(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Clock, ParsesEveryDocumentedForm) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseUtcMs("2026-11-25T09:41:28.123Z", &ms));
  EXPECT_EQ(ms, 1795599688123);
  ASSERT_TRUE(ParseUtcMs("2026-11-25T09:41:28Z", &ms));
  EXPECT_EQ(ms, 1795599688000);
  ASSERT_TRUE(ParseUtcMs("2026-11-25T09:41", &ms));
  EXPECT_EQ(ms, 1795599660000);
  ASSERT_TRUE(ParseUtcMs("2026-11-25", &ms));
  EXPECT_EQ(ms, 1795564800000);
  ASSERT_TRUE(ParseUtcMs("2028-02-29", &ms));  // leap day
  EXPECT_EQ(FormatUtcMs(ms), "2028-02-29T00:00:00.000Z");
}

TEST(Clock, RejectsMalformedAndImpossibleTimes) {
  int64_t ms = 42;
  for (const char* bad : {"", "2026", "2026-13-01", "2026-02-30", "2027-02-29", "2026-11-25T24:00",
                          "2026-11-25 09:41", "2026-11-25T09:41:28", "2026-1-25", "+026-11-25",
                          "2026-11-25T09:41:28.12Z", "yesterday", "2026-11-25T09:41:60Z"}) {
    EXPECT_FALSE(ParseUtcMs(bad, &ms)) << bad;
  }
  EXPECT_EQ(ms, 42);
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock c(1000);
  EXPECT_EQ(c.NowMs(), 1000);
  c.Advance(kMsPerDay);
  EXPECT_EQ(c.NowMs(), 1000 + 86400000);
  c.Set(5);
  EXPECT_EQ(c.NowMs(), 5);
}

TEST(Clock, SystemClockIsNearTheRealTime) {
  // 2024-01-01 .. 2100-01-01: catches a clock in seconds or microseconds.
  const int64_t now = SystemClock()->NowMs();
  EXPECT_GT(now, 1704067200000);
  EXPECT_LT(now, 4102444800000);
}

}  // namespace
}  // namespace lfr
