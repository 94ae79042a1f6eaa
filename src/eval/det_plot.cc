#include "eval/det_plot.h"

#include <algorithm>

namespace lfr::eval {

LinePlotOptions DetLinePlot(const std::vector<DetSeries>& series, const DetPlotOptions& o,
                            std::vector<PlotSeries>* lines) {
  double xmin = o.x_min;
  lines->clear();
  for (const auto& s : series) {
    PlotSeries line{s.label, {}};
    for (const auto& p : s.points) {
      if (p.fpir > 0) xmin = std::min(xmin, p.fpir);
      line.points.emplace_back(p.fpir, p.fnir);
    }
    lines->push_back(std::move(line));
  }
  LinePlotOptions lo;
  lo.title = o.title;
  lo.x = {o.x_label, xmin, o.x_max, true};
  lo.y = {o.y_label, o.y_min, o.y_max, true};
  lo.width = o.width;
  lo.height = o.height;
  return lo;
}

cv::Mat RenderDetPng(const std::vector<DetSeries>& series, const DetPlotOptions& options) {
  std::vector<PlotSeries> lines;
  const LinePlotOptions lo = DetLinePlot(series, options, &lines);
  return RenderLinePlotPng(lines, lo);
}

std::string RenderDetSvg(const std::vector<DetSeries>& series, const DetPlotOptions& options) {
  std::vector<PlotSeries> lines;
  const LinePlotOptions lo = DetLinePlot(series, options, &lines);
  return RenderLinePlotSvg(lines, lo);
}

Status WriteDetPlots(const std::filesystem::path& prefix, const std::vector<DetSeries>& series,
                     const DetPlotOptions& options) {
  std::vector<PlotSeries> lines;
  const LinePlotOptions lo = DetLinePlot(series, options, &lines);
  return WriteLinePlots(prefix, lines, lo);
}

}  // namespace lfr::eval
