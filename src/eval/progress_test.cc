#include "eval/progress.h"

#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace lfr::eval {
namespace {

TEST(ProgressTest, FormatShowsCountRateAndEta) {
  const std::string s = ProgressBar::Format("embed", 50, 200, 10.0, 20);
  EXPECT_NE(s.find("50/200"), std::string::npos) << s;
  EXPECT_NE(s.find("#####..............."), std::string::npos) << s;  // 25 % of 20
  EXPECT_NE(s.find("5.0/s"), std::string::npos) << s;
  EXPECT_NE(s.find("ETA 30s"), std::string::npos) << s;  // 150 left at 5/s
  const std::string done = ProgressBar::Format("embed", 200, 200, 125.0, 20);
  EXPECT_NE(done.find("in 2m05s"), std::string::npos) << done;
}

TEST(ProgressTest, Durations) {
  EXPECT_EQ(FormatDuration(12), "12s");
  EXPECT_EQ(FormatDuration(291), "4m51s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
  EXPECT_EQ(FormatDuration(-1), "?");
}

TEST(ProgressTest, CountsFromThreadsAndEndsTheLine) {
  std::ostringstream out;
  {
    ProgressBar bar(&out, "x", 400, 0.0);
    std::thread t([&] { for (int i = 0; i < 200; ++i) bar.Add(); });
    for (int i = 0; i < 200; ++i) bar.Add();
    t.join();
    EXPECT_EQ(bar.done(), 400);
  }
  const std::string s = out.str();
  EXPECT_NE(s.find("400/400"), std::string::npos);
  EXPECT_EQ(s.back(), '\n');
  ProgressBar silent(nullptr, "y", 3);
  silent.Add(3);
  EXPECT_EQ(silent.done(), 3);
}

}  // namespace
}  // namespace lfr::eval
