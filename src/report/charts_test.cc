// Charts: PNGs that decode at the requested size, bars and lines drawn to scale, stacking,
// empty data, determinism and argument checks.
#include "report/charts.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

namespace lfr::report {
namespace {

constexpr uint32_t kRed = 0xff0000, kBlue = 0x0000ff;
const cv::Vec3b kRedBgr(0, 0, 255), kBlueBgr(255, 0, 0);

cv::Mat Decode(const Result<std::vector<uint8_t>>& png) {
  EXPECT_TRUE(png.ok()) << png.status().ToString();
  if (!png.ok()) return {};
  return cv::imdecode(*png, cv::IMREAD_COLOR);
}

// Rows [top, bottom] holding colour in columns [x0, x1), or {-1, -1}.
std::pair<int, int> Extent(const cv::Mat& img, const cv::Vec3b& colour, int x0, int x1, int y0 = 0) {
  int top = -1, bottom = -1;
  for (int y = y0; y < img.rows; ++y) {
    for (int x = x0; x < x1; ++x) {
      if (img.at<cv::Vec3b>(y, x) == colour) {
        if (top < 0) top = y;
        bottom = y;
      }
    }
  }
  return {top, bottom};
}

int Count(const cv::Mat& img, const cv::Vec3b& colour) {
  int n = 0;
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) n += img.at<cv::Vec3b>(y, x) == colour;
  }
  return n;
}

TEST(ReportChartsTest, BarChartDecodesAtTheRequestedSizeWithBarsToScale) {
  ChartData data{{"gate-a", "gate-b"}, {{"Faces seen", {10, 5}, kRed}}};
  ChartOptions o{"Faces seen per camera", "Camera", "Faces seen", "none", 640, 300};
  const cv::Mat img = Decode(RenderBarChartPng(data, o));
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.cols, 640);
  EXPECT_EQ(img.rows, 300);
  EXPECT_EQ(img.channels(), 3);
  const auto [a_top, a_bottom] = Extent(img, kRedBgr, 0, 320);
  const auto [b_top, b_bottom] = Extent(img, kRedBgr, 320, 640);
  ASSERT_GT(a_top, 0);
  ASSERT_GT(b_top, 0);
  EXPECT_EQ(a_bottom, b_bottom);  // both stand on the axis
  const double a = a_bottom - a_top + 1, b = b_bottom - b_top + 1;
  EXPECT_NEAR(a / b, 2.0, 0.05);
}

TEST(ReportChartsTest, StackedSeriesSitOnTopOfEachOther) {
  ChartData data{{"x", "y"}, {{"first", {2, 0}, kRed}, {"second", {2, 4}, kBlue}}};
  const cv::Mat img = Decode(RenderBarChartPng(data, {"stacked", "", "", "none", 600, 300}));
  ASSERT_FALSE(img.empty());
  const int below_legend = 72;
  const auto [red_top, red_bottom] = Extent(img, kRedBgr, 0, 300, below_legend);
  const auto [blue_a_top, blue_a_bottom] = Extent(img, kBlueBgr, 0, 300, below_legend);
  const auto [blue_b_top, blue_b_bottom] = Extent(img, kBlueBgr, 300, 600, below_legend);
  EXPECT_LT(blue_a_bottom, red_top);           // second series above the first
  EXPECT_NEAR(blue_a_bottom + 1, red_top, 1);  // and touching it
  EXPECT_EQ(Extent(img, kRedBgr, 300, 600, below_legend).first, -1);  // zero draws nothing
  EXPECT_NEAR(blue_b_top, blue_a_top, 1);      // 2 + 2 and 4 reach the same height
  EXPECT_NEAR(blue_b_bottom - blue_b_top + 1, 2 * (blue_a_bottom - blue_a_top + 1), 2);
  EXPECT_EQ(red_bottom, blue_b_bottom);
  // The legend shows both swatches above the plot.
  EXPECT_GT(Extent(img, kRedBgr, 0, 600).first, 30);
  EXPECT_LT(Extent(img, kRedBgr, 0, 600).first, below_legend);
}

TEST(ReportChartsTest, LineChartRisesWithTheValues) {
  ChartData data{{"18:00", "18:10", "18:20"}, {{"Faces seen", {0, 5, 10}, kRed}}};
  const cv::Mat img = Decode(RenderLineChartPng(data, {"faces", "time", "faces", "none", 600, 300}));
  ASSERT_FALSE(img.empty());
  const int first = Extent(img, kRedBgr, 60, 240).first, last = Extent(img, kRedBgr, 420, 600).first;
  ASSERT_GT(first, 0);
  ASSERT_GT(last, 0);
  EXPECT_LT(last + 100, first);  // the 10 is far above the 0
}

TEST(ReportChartsTest, EmptyDataShowsTheMessageAndNoBars) {
  ChartOptions o{"Alerts per 10 minutes", "time", "Alerts", "no alerts", 500, 240};
  for (const ChartData& data : {ChartData{}, ChartData{{"a", "b"}, {{"Alerts", {0, 0}, kRed}}}}) {
    for (const bool bars : {true, false}) {
      const cv::Mat img = Decode(bars ? RenderBarChartPng(data, o) : RenderLineChartPng(data, o));
      ASSERT_FALSE(img.empty());
      EXPECT_EQ(img.cols, 500);
      EXPECT_EQ(img.rows, 240);
      if (bars) {
        EXPECT_EQ(Count(img, kRedBgr), 0);
      }
      // The message is drawn in the middle of the plot in grey.
      int text = 0;
      for (int y = 100; y < 150; ++y) {
        for (int x = 150; x < 400; ++x) {
          const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
          if (p[0] < 200 && p[0] == p[1] && p[1] == p[2]) ++text;
        }
      }
      EXPECT_GT(text, 30);
    }
  }
}

TEST(ReportChartsTest, OutputIsDeterministicAndCopesWithAwkwardLabels) {
  ChartData data;
  for (int i = 0; i < 200; ++i) data.categories.push_back("Caerdydd \xE2\x80\x93 camera " + std::to_string(i));
  data.series.push_back({"a", std::vector<double>(200, 1.5), std::nullopt});
  data.series.push_back({"b", std::vector<double>(200, 0.25), std::nullopt});
  const ChartOptions o{"<title> & \"quotes\"", "x", "y", "none", 800, 360};
  auto first = RenderBarChartPng(data, o), second = RenderBarChartPng(data, o);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_FALSE(Decode(first).empty());
  // Default palette colours for series without one.
  const cv::Mat img = Decode(first);
  EXPECT_GT(Count(img, cv::Vec3b(180, 119, 31)), 1000);
}

TEST(ReportChartsTest, RejectsBadArguments) {
  const ChartOptions o;
  EXPECT_EQ(RenderBarChartPng({{"a"}, {{"s", {1, 2}, std::nullopt}}}, o).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(RenderBarChartPng({{"a"}, {{"s", {-1}, std::nullopt}}}, o).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(RenderLineChartPng({{"a"}, {{"s", {std::nan("")}, std::nullopt}}}, o).status().code(),
            Status::Code::kInvalidArgument);
  ChartOptions tiny;
  tiny.width = 100;
  auto r = RenderBarChartPng({}, tiny);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("100x360"), std::string::npos);
}

}  // namespace
}  // namespace lfr::report
