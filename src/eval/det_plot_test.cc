#include "eval/det_plot.h"

#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "testing/shared.h"

namespace lfr::eval {
namespace {

std::vector<DetSeries> Series() {
  DetSeries a{"N=100", {{0.9f, 1e-3, 0.5}, {0.5f, 1e-2, 0.2}, {0.2f, 1.0, 0.0}}};
  DetSeries b{"N=1000", {{0.9f, 1e-3, 0.6}, {0.5f, 1e-1, 0.1}}};
  return {a, b};
}

TEST(DetPlotTest, PngHasOneColouredLinePerSeries) {
  DetPlotOptions o;
  cv::Mat img = RenderDetPng(Series(), o);
  ASSERT_EQ(img.cols, o.width);
  ASSERT_EQ(img.rows, o.height);
  // Both series colours appear (blue-ish first, orange second).
  int first = 0, second = 0;
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
      if (p == cv::Vec3b(180, 119, 31)) ++first;
      if (p == cv::Vec3b(14, 127, 255)) ++second;
    }
  }
  EXPECT_GT(first, 100);
  EXPECT_GT(second, 100);
}

TEST(DetPlotTest, SvgHasLogAxesAndLegend) {
  DetPlotOptions o;
  const std::string svg = RenderDetSvg(Series(), o);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find(">1e-3<"), std::string::npos);  // decade labels
  EXPECT_NE(svg.find(">1e-4<"), std::string::npos);
  EXPECT_NE(svg.find("N=1000"), std::string::npos);
  size_t lines = 0;
  for (size_t p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) ++lines;
  EXPECT_EQ(lines, 2u);
}

TEST(DetPlotTest, WritesBothFiles) {
  const auto dir = lfr::testing::TempDir("det");
  ASSERT_TRUE(WriteDetPlots(dir / "det", Series(), {}).ok());
  EXPECT_FALSE(cv::imread((dir / "det.png").string()).empty());
  EXPECT_TRUE(std::filesystem::file_size(dir / "det.svg") > 1000);
  EXPECT_EQ(WriteDetPlots(dir / "missing-folder" / "det", Series(), {}).code(), Status::Code::kIOError);
}

TEST(LinePlotTest, LinearAxesAreLabelledEveryStep) {
  LinePlotOptions o;
  o.title = "CMC";
  o.x = {"rank", 1, 20, false, 1};
  o.y = {"identification rate", 0.9, 1.0, false, 0.01};
  const std::vector<PlotSeries> s = {{"LFW", {{1, 0.95}, {2, 0.97}, {20, 0.99}}}};
  const std::string svg = RenderLinePlotSvg(s, o);
  EXPECT_NE(svg.find(">20<"), std::string::npos);
  EXPECT_NE(svg.find(">0.95<"), std::string::npos);
  EXPECT_NE(svg.find(">1<"), std::string::npos);
  EXPECT_EQ(svg.find(">1e-"), std::string::npos);  // no decade labels on linear axes
  // The point (1, 0.95) is at the left edge, half way up the plot area.
  const cv::Mat img = RenderLinePlotPng(s, o);
  const int y_mid = (50 + (o.height - 70)) / 2;
  bool coloured = false;
  for (int dy = -3; dy <= 3; ++dy) {
    const cv::Vec3b p = img.at<cv::Vec3b>(y_mid + dy, 91);
    coloured = coloured || p == cv::Vec3b(180, 119, 31);
  }
  EXPECT_TRUE(coloured);
}

}  // namespace
}  // namespace lfr::eval
