// DET curves (FNIR against FPIR, both on log axes, as NIST and the NPL study draw them):
// one line per series, written as a PNG and an SVG through eval/line_plot.h. Points with a
// zero rate are drawn at the axis floor. Thread-safe (no shared state).
#ifndef LFR_EVAL_DET_PLOT_H_
#define LFR_EVAL_DET_PLOT_H_

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "eval/line_plot.h"
#include "eval/metrics.h"
#include "util/status.h"

namespace lfr::eval {

struct DetSeries {
  std::string label;              // e.g. "N=1000"
  std::vector<DetPoint> points;
};

struct DetPlotOptions {
  std::string title = "DET";
  std::string x_label = "FPIR (false positive identification rate)";
  std::string y_label = "FNIR (false negative identification rate)";
  double x_min = 1e-4, x_max = 1.0;  // decades shown; x_min lowered to fit the data
  double y_min = 1e-3, y_max = 1.0;
  int width = 900, height = 700;     // PNG pixels / SVG user units
};

// The DET picture as a line plot (log-log axes, x_min lowered to the smallest FPIR > 0).
LinePlotOptions DetLinePlot(const std::vector<DetSeries>& series, const DetPlotOptions& options,
                            std::vector<PlotSeries>* lines);
// Renders the plot into an 8-bit BGR image of options.width x height.
cv::Mat RenderDetPng(const std::vector<DetSeries>& series, const DetPlotOptions& options);
// The SVG document text.
std::string RenderDetSvg(const std::vector<DetSeries>& series, const DetPlotOptions& options);
// Writes <prefix>.png and <prefix>.svg; IOError naming the file that failed.
Status WriteDetPlots(const std::filesystem::path& prefix, const std::vector<DetSeries>& series,
                     const DetPlotOptions& options);

}  // namespace lfr::eval

#endif  // LFR_EVAL_DET_PLOT_H_
