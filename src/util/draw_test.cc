#include "util/draw.h"

#include <gtest/gtest.h>

namespace lfr::draw {
namespace {

TEST(DrawTest, AsciiOnlyReplacesEachNonAsciiCharacterOnce) {
  EXPECT_EQ(AsciiOnly("gate-a"), "gate-a");
  // "Caf\u00e9 \u2013 1" : a 2-byte and a 3-byte sequence, each one '?'.
  EXPECT_EQ(AsciiOnly("Caf\xC3\xA9 \xE2\x80\x93 1"), "Caf? ? 1");
  EXPECT_EQ(AsciiOnly("a\nb\tc"), "a?b?c");
}

TEST(DrawTest, VerticalTextIsDrawnBottomToTopAndClipped) {
  cv::Mat img(200, 100, CV_8UC3, cv::Scalar::all(128));
  VerticalText(img, "Alerts", {10, 20}, 150, 0.5, cv::Scalar(0, 0, 0));
  // The strip (24 wide, 150 tall) is white with dark text near its bottom, nothing outside.
  EXPECT_EQ(img.at<cv::Vec3b>(19, 15), cv::Vec3b(128, 128, 128));
  EXPECT_EQ(img.at<cv::Vec3b>(25, 15), cv::Vec3b(255, 255, 255));
  int dark_low = 0, dark_high = 0;
  for (int y = 20; y < 170; ++y) {
    for (int x = 10; x < 34; ++x) {
      if (img.at<cv::Vec3b>(y, x)[0] < 100) (y > 95 ? dark_low : dark_high)++;
    }
  }
  EXPECT_GT(dark_low, 20);
  EXPECT_EQ(dark_high, 0);
  // A strip that overhangs the image is clipped rather than failing.
  VerticalText(img, "Alerts", {90, 150}, 150, 0.5, cv::Scalar(0, 0, 0));
  EXPECT_EQ(img.at<cv::Vec3b>(199, 99), cv::Vec3b(255, 255, 255));
}

}  // namespace
}  // namespace lfr::draw
