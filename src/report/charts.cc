#include "report/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "report/format.h"
#include "util/draw.h"

namespace lfr::report {
namespace {

enum class Kind { kStackedBars, kLines };

const cv::Scalar kInk(40, 40, 40), kGrid(225, 225, 225), kMuted(120, 120, 120);
constexpr double kTitleScale = 0.6, kLabelScale = 0.45, kTickScale = 0.4;
constexpr size_t kMaxLabelChars = 20;

Status Validate(const ChartData& data, const ChartOptions& o) {
  if (o.width < 240 || o.width > 4000 || o.height < 180 || o.height > 4000) {
    return Status::InvalidArgument("chart '" + o.title + "': size " + std::to_string(o.width) + "x" +
                                   std::to_string(o.height) + " is outside 240..4000 x 180..4000");
  }
  for (const auto& s : data.series) {
    if (s.values.size() != data.categories.size()) {
      return Status::InvalidArgument("chart '" + o.title + "': series '" + s.label + "' has " +
                                     std::to_string(s.values.size()) + " values for " +
                                     std::to_string(data.categories.size()) + " categories");
    }
    for (const double v : s.values) {
      if (!std::isfinite(v) || v < 0) {
        return Status::InvalidArgument("chart '" + o.title + "': series '" + s.label +
                                       "' has a negative or non-finite value");
      }
    }
  }
  return Status::Ok();
}

cv::Scalar SeriesBgr(const ChartSeries& s, size_t i) {
  if (!s.rgb) return draw::SeriesColour(i);
  return cv::Scalar((*s.rgb) & 0xff, (*s.rgb >> 8) & 0xff, (*s.rgb >> 16) & 0xff);
}

// The largest value the y axis must reach: stacked sums for bars, single values for lines.
double DataMax(const ChartData& data, Kind kind) {
  double top = 0;
  for (size_t c = 0; c < data.categories.size(); ++c) {
    double stacked = 0;
    for (const auto& s : data.series) {
      stacked += s.values[c];
      top = std::max(top, kind == Kind::kStackedBars ? stacked : s.values[c]);
    }
  }
  return top;
}

bool AllWhole(const ChartData& data) {
  for (const auto& s : data.series) {
    for (const double v : s.values) {
      if (v != std::floor(v)) return false;
    }
  }
  return true;
}

// A round tick step (1, 2 or 5 times a power of ten) giving at most five intervals up to
// max_value; at least 1 for whole-number data.
double TickStep(double max_value, bool whole) {
  const double raw = max_value / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (const double f : {1.0, 2.0, 5.0}) {
    if (f * magnitude >= raw) {
      step = f * magnitude;
      break;
    }
  }
  return whole ? std::max(step, 1.0) : step;
}

std::string TickLabel(double v, bool whole) {
  if (whole) return internal::Grouped(static_cast<int64_t>(std::llround(v)));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string Shorten(const std::string& label) {
  const std::string ascii = draw::AsciiOnly(label);
  if (ascii.size() <= kMaxLabelChars) return ascii;
  return ascii.substr(0, kMaxLabelChars - 2) + "..";
}

// The plot area and the value-to-pixel mapping.
struct Layout {
  int left, right, top, bottom;  // plot area edges in pixels
  double y_top = 1;              // value at the top edge
  double slot = 0;               // width of one category
  int Y(double v) const { return bottom - static_cast<int>(std::lround(v / y_top * (bottom - top))); }
  int SlotCentre(size_t i) const { return left + static_cast<int>(std::lround((i + 0.5) * slot)); }
};

void DrawLegend(cv::Mat& img, const ChartData& data, int y) {
  int x = 12;
  for (size_t i = 0; i < data.series.size(); ++i) {
    cv::rectangle(img, cv::Rect(x, y - 10, 12, 12), SeriesBgr(data.series[i], i), cv::FILLED);
    draw::Text(img, data.series[i].label, {x + 17, y}, kLabelScale, kInk);
    x += 17 + draw::TextSize(data.series[i].label, kLabelScale).width + 18;
  }
}

void DrawYAxis(cv::Mat& img, const Layout& l, double step, bool whole, bool empty) {
  const int ticks = empty ? 0 : static_cast<int>(std::lround(l.y_top / step));
  for (int k = 0; k <= ticks; ++k) {
    const double v = k * step;
    const int y = l.Y(v);
    if (k > 0) cv::line(img, {l.left, y}, {l.right, y}, kGrid, 1);
    const std::string text = TickLabel(v, whole);
    const cv::Size size = draw::TextSize(text, kTickScale);
    draw::Text(img, text, {l.left - 6 - size.width, y + size.height / 2}, kTickScale, kInk);
  }
  cv::line(img, {l.left, l.top}, {l.left, l.bottom}, kInk, 1);
  cv::line(img, {l.left, l.bottom}, {l.right, l.bottom}, kInk, 1);
}

void DrawCategoryLabels(cv::Mat& img, const Layout& l, const std::vector<std::string>& categories) {
  int widest = 0;
  std::vector<std::string> labels;
  for (const auto& c : categories) {
    labels.push_back(Shorten(c));
    widest = std::max(widest, draw::TextSize(labels.back(), kTickScale).width);
  }
  // Every k-th label, so that neighbours keep at least 8 px apart.
  const size_t every = std::max<size_t>(1, static_cast<size_t>(std::ceil((widest + 8) / std::max(l.slot, 1.0))));
  for (size_t i = 0; i < labels.size(); i += every) {
    const cv::Size size = draw::TextSize(labels[i], kTickScale);
    const int x = std::clamp(l.SlotCentre(i) - size.width / 2, 0, std::max(0, img.cols - size.width));
    cv::line(img, {l.SlotCentre(i), l.bottom}, {l.SlotCentre(i), l.bottom + 4}, kInk, 1);
    draw::Text(img, labels[i], {x, l.bottom + 8 + size.height}, kTickScale, kInk);
  }
}

void DrawBars(cv::Mat& img, const Layout& l, const ChartData& data) {
  const int bar = std::max(1, static_cast<int>(std::lround(l.slot * 0.7)));
  for (size_t c = 0; c < data.categories.size(); ++c) {
    const int x0 = l.SlotCentre(c) - bar / 2;
    double base = 0;
    for (size_t s = 0; s < data.series.size(); ++s) {
      const double v = data.series[s].values[c];
      if (v <= 0) continue;
      const int y_low = l.Y(base), y_high = l.Y(base + v);
      cv::rectangle(img, cv::Point(x0, y_high), cv::Point(x0 + bar - 1, std::max(y_high, y_low - 1)),
                    SeriesBgr(data.series[s], s), cv::FILLED);
      base += v;
    }
  }
}

void DrawLines(cv::Mat& img, const Layout& l, const ChartData& data) {
  const bool markers = data.categories.size() <= 60;
  for (size_t s = 0; s < data.series.size(); ++s) {
    const cv::Scalar colour = SeriesBgr(data.series[s], s);
    std::vector<cv::Point> points;
    for (size_t c = 0; c < data.categories.size(); ++c) {
      points.emplace_back(l.SlotCentre(c), l.Y(data.series[s].values[c]));
    }
    if (points.size() >= 2) cv::polylines(img, points, false, colour, 2, cv::LINE_AA);
    if (markers || points.size() == 1) {
      for (const auto& p : points) cv::circle(img, p, 3, colour, cv::FILLED, cv::LINE_AA);
    }
  }
}

Result<std::vector<uint8_t>> Render(const ChartData& data, const ChartOptions& o, Kind kind) {
  LFR_RETURN_IF_ERROR(Validate(data, o));
  cv::Mat img(o.height, o.width, CV_8UC3, cv::Scalar::all(255));
  const bool legend = data.series.size() >= 2;
  Layout l;
  l.left = o.y_label.empty() ? 60 : 86;
  l.right = o.width - 24;
  l.top = legend ? 70 : 48;
  l.bottom = o.height - (o.x_label.empty() ? 36 : 58);
  const double max_value = DataMax(data, kind);
  const bool empty = data.categories.empty() || max_value <= 0;
  const bool whole = AllWhole(data);
  const double step = empty ? 1.0 : TickStep(max_value, whole);
  l.y_top = empty ? 1.0 : std::ceil(max_value / step - 1e-9) * step;
  l.slot = data.categories.empty() ? 0.0 : static_cast<double>(l.right - l.left) / data.categories.size();

  draw::Text(img, o.title, {12, 28}, kTitleScale, kInk);
  if (legend) DrawLegend(img, data, 52);
  DrawYAxis(img, l, step, whole, empty);
  if (!o.y_label.empty()) {
    const int length = std::min(draw::TextSize(o.y_label, kLabelScale).width + 8, l.bottom - l.top);
    draw::VerticalText(img, o.y_label, {6, (l.top + l.bottom - length) / 2}, length, kLabelScale, kInk);
  }
  if (!o.x_label.empty()) {
    const cv::Size size = draw::TextSize(o.x_label, kLabelScale);
    draw::Text(img, o.x_label, {(l.left + l.right - size.width) / 2, o.height - 12}, kLabelScale, kInk);
  }
  DrawCategoryLabels(img, l, data.categories);
  if (empty) {
    const cv::Size size = draw::TextSize(o.empty_message, kTitleScale);
    draw::Text(img, o.empty_message, {(l.left + l.right - size.width) / 2, (l.top + l.bottom + size.height) / 2},
               kTitleScale, kMuted);
  } else if (kind == Kind::kStackedBars) {
    DrawBars(img, l, data);
  } else {
    DrawLines(img, l, data);
  }
  // Redraw the baseline over the bars' bottom edge.
  cv::line(img, {l.left, l.bottom}, {l.right, l.bottom}, kInk, 1);

  std::vector<uint8_t> png;
  try {
    if (!cv::imencode(".png", img, png, {cv::IMWRITE_PNG_COMPRESSION, 6})) {
      return Status::Internal("chart '" + o.title + "': PNG encoding failed");
    }
  } catch (const cv::Exception& e) {
    return Status::Internal("chart '" + o.title + "': PNG encoding failed: " + e.what());
  }
  return png;
}

}  // namespace

Result<std::vector<uint8_t>> RenderBarChartPng(const ChartData& data, const ChartOptions& options) {
  return Render(data, options, Kind::kStackedBars);
}

Result<std::vector<uint8_t>> RenderLineChartPng(const ChartData& data, const ChartOptions& options) {
  return Render(data, options, Kind::kLines);
}

}  // namespace lfr::report
