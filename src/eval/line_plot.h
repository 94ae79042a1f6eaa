// Line plots of evaluation curves (DET, CMC) written as a PNG (OpenCV drawing) and as an SVG
// (plain text), the same picture in both. Each axis is logarithmic (decade grid, as NIST
// and the NPL study draw DET curves) or linear (a grid every `step`). Values outside an
// axis are drawn at its edge (a zero rate on a log axis sits on the floor).
// Thread-safe (no shared state).
#ifndef LFR_EVAL_LINE_PLOT_H_
#define LFR_EVAL_LINE_PLOT_H_

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "util/status.h"

namespace lfr::eval {

struct PlotAxis {
  std::string label;
  double min = 0.0, max = 1.0;  // log axes: rounded out to whole decades
  bool log = false;
  double step = 0.1;            // linear axes: grid and label spacing
};

struct PlotSeries {
  std::string label;                  // legend text, e.g. "N=1000"
  std::vector<cv::Point2d> points;    // in axis units, drawn in this order
};

struct LinePlotOptions {
  std::string title;
  PlotAxis x, y;
  int width = 900, height = 700;      // PNG pixels / SVG user units
  bool legend_at_bottom = false;      // legend in the bottom right corner instead of the top right
};

// Renders the plot into an 8-bit BGR image of options.width x height.
cv::Mat RenderLinePlotPng(const std::vector<PlotSeries>& series, const LinePlotOptions& options);
// The SVG document text.
std::string RenderLinePlotSvg(const std::vector<PlotSeries>& series, const LinePlotOptions& options);
// Writes <prefix>.png and <prefix>.svg; IOError naming the file that failed.
Status WriteLinePlots(const std::filesystem::path& prefix, const std::vector<PlotSeries>& series,
                      const LinePlotOptions& options);

}  // namespace lfr::eval

#endif  // LFR_EVAL_LINE_PLOT_H_
