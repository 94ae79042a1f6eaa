// Charts for published reports: stacked bar charts and line charts of non-negative values
// over named categories (time buckets, cameras), drawn with OpenCV and encoded as PNG.
//
// Each chart has a title, a y axis with round-number ticks starting at zero, category labels
// under the x axis (thinned so they never overlap), optional axis titles and, with two or
// more series, a legend under the title. Data that is all zero, or has no categories, gives
// the frame, the axes and options.empty_message in the middle ("no alerts") instead of bars.
// Text is drawn in OpenCV's Hershey font, which is ASCII only: other characters show as
// '?' (util/draw.h); the report's tables carry the exact text.
//
// Output is deterministic: the same data and options give the same bytes.
// Thread-safe (no shared state). Sizes are pixels.
#ifndef LFR_REPORT_CHARTS_H_
#define LFR_REPORT_CHARTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace lfr::report {

struct ChartSeries {
  std::string label;                 // legend text
  std::vector<double> values;        // one per category; finite and >= 0
  std::optional<uint32_t> rgb;       // 0xRRGGBB; default: the palette colour for its index
};

struct ChartData {
  std::vector<std::string> categories;  // x-axis labels, left to right
  std::vector<ChartSeries> series;      // bars: stacked bottom-up in this order
};

struct ChartOptions {
  std::string title;
  std::string x_label;                  // under the category labels; "" for none
  std::string y_label;                  // vertical, left of the axis; "" for none
  std::string empty_message = "no data";
  int width = 800;                      // 240..4000
  int height = 360;                     // 180..4000
};

// InvalidArgument when the size is out of range, a series' value count differs from the
// number of categories, or a value is negative or not finite; Internal if PNG encoding fails.
Result<std::vector<uint8_t>> RenderBarChartPng(const ChartData& data, const ChartOptions& options);
Result<std::vector<uint8_t>> RenderLineChartPng(const ChartData& data, const ChartOptions& options);

}  // namespace lfr::report

#endif  // LFR_REPORT_CHARTS_H_
