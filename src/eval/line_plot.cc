#include "eval/line_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "util/draw.h"
#include "util/escape.h"

namespace lfr::eval {
namespace {

struct Tick {
  double v;           // in axis units
  std::string label;  // "" for minor lines
};

// One axis mapped onto [p0, p1] pixels (p1 < p0 for the y axis, which grows upwards).
struct Scale {
  bool log = false;
  double a0 = 0, a1 = 1;  // axis limits (log10 of them on a log axis)
  double p0 = 0, p1 = 1;
  std::vector<Tick> ticks;
  double operator()(double v) const {
    double t;
    if (log) {
      t = (std::log10(std::max(v, std::pow(10.0, a0))) - a0) / (a1 - a0);
    } else {
      t = (std::clamp(v, a0, a1) - a0) / (a1 - a0);
    }
    return p0 + t * (p1 - p0);
  }
};

std::string Decade(int e) {
  if (e == 0) return "1";
  return "1e" + std::to_string(e);
}

std::string Number(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << (std::abs(v) < 1e-12 ? 0.0 : v);
  return s.str();
}

Scale MakeScale(const PlotAxis& axis, double p0, double p1) {
  Scale sc;
  sc.log = axis.log;
  sc.p0 = p0;
  sc.p1 = p1;
  if (axis.log) {
    sc.a0 = std::floor(std::log10(std::max(axis.min, 1e-300)));
    sc.a1 = std::ceil(std::log10(std::max(axis.max, 1e-300)));
    if (sc.a1 <= sc.a0) sc.a1 = sc.a0 + 1;
    for (int e = static_cast<int>(sc.a0); e <= sc.a1; ++e) {
      sc.ticks.push_back({std::pow(10.0, e), Decade(e)});
      if (e == sc.a1) break;
      for (int m = 2; m < 10; ++m) sc.ticks.push_back({m * std::pow(10.0, e), ""});
    }
  } else {
    sc.a0 = axis.min;
    sc.a1 = axis.max > axis.min ? axis.max : axis.min + 1;
    const double step = axis.step > 0 ? axis.step : (sc.a1 - sc.a0) / 10;
    const int n = static_cast<int>(std::floor((sc.a1 - sc.a0) / step + 1e-9));
    for (int k = 0; k <= n; ++k) sc.ticks.push_back({sc.a0 + k * step, Number(sc.a0 + k * step)});
  }
  return sc;
}

struct Frame {
  double left = 90, right = 30, top = 50, bottom = 70;
  double w, h;
  Scale x, y;
};

Frame MakeFrame(const LinePlotOptions& o) {
  Frame f;
  f.w = o.width;
  f.h = o.height;
  f.x = MakeScale(o.x, f.left, f.w - f.right);
  f.y = MakeScale(o.y, f.h - f.bottom, f.top);
  return f;
}

std::string Hex(const cv::Scalar& bgr) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "#%02x%02x%02x", static_cast<int>(bgr[2]),
                static_cast<int>(bgr[1]), static_cast<int>(bgr[0]));
  return buf;
}

int Px(double v) { return static_cast<int>(std::lround(v)); }

// The left edge of the legend: wide enough for the longest label.
double LegendX(const Frame& f, const std::vector<PlotSeries>& series) {
  size_t longest = 0;
  for (const auto& s : series) longest = std::max(longest, s.label.size());
  return f.w - f.right - 50 - 9.0 * static_cast<double>(longest);
}

// The baseline of legend line i.
double LegendY(const Frame& f, const LinePlotOptions& o, size_t i) {
  if (o.legend_at_bottom) return f.h - f.bottom - 12 - 22.0 * i;
  return f.top + 20 + 22.0 * i;
}

}  // namespace

cv::Mat RenderLinePlotPng(const std::vector<PlotSeries>& series, const LinePlotOptions& o) {
  const Frame f = MakeFrame(o);
  cv::Mat img(o.height, o.width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar major(190, 190, 190), minor(225, 225, 225), ink(40, 40, 40);
  for (const Tick& t : f.x.ticks) {
    const int x = Px(f.x(t.v));
    cv::line(img, {x, Px(f.top)}, {x, Px(f.h - f.bottom)}, t.label.empty() ? minor : major, 1);
    if (!t.label.empty()) draw::Text(img, t.label, {x - 14, Px(f.h - f.bottom + 22)}, 0.45, ink);
  }
  for (const Tick& t : f.y.ticks) {
    const int y = Px(f.y(t.v));
    cv::line(img, {Px(f.left), y}, {Px(f.w - f.right), y}, t.label.empty() ? minor : major, 1);
    if (!t.label.empty()) draw::Text(img, t.label, {Px(f.left) - 45, y + 5}, 0.45, ink);
  }
  cv::rectangle(img, cv::Point(Px(f.left), Px(f.top)), cv::Point(Px(f.w - f.right), Px(f.h - f.bottom)), ink, 1);
  draw::Text(img, o.title, {Px(f.left), 30}, 0.6, ink);
  draw::Text(img, o.x.label, {Px(f.left), Px(f.h - 20)}, 0.5, ink);
  draw::VerticalText(img, o.y.label, {8, 60}, o.height - 120, 0.5, ink);
  for (size_t i = 0; i < series.size(); ++i) {
    const cv::Scalar c = draw::SeriesColour(i);
    std::vector<cv::Point> pts;
    for (const auto& p : series[i].points) pts.emplace_back(Px(f.x(p.x)), Px(f.y(p.y)));
    if (pts.size() >= 2) cv::polylines(img, pts, false, c, 2, cv::LINE_AA);
    if (pts.size() == 1) cv::circle(img, pts[0], 3, c, cv::FILLED, cv::LINE_AA);
    const int ly = Px(LegendY(f, o, i));
    const int lx = Px(LegendX(f, series));
    cv::line(img, {lx, ly - 5}, {lx + 30, ly - 5}, c, 2, cv::LINE_AA);
    draw::Text(img, series[i].label, {lx + 38, ly}, 0.5, ink);
  }
  return img;
}

std::string RenderLinePlotSvg(const std::vector<PlotSeries>& series, const LinePlotOptions& o) {
  const Frame f = MakeFrame(o);
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << o.height
    << "\" viewBox=\"0 0 " << o.width << " " << o.height << "\" font-family=\"sans-serif\" font-size=\"13\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (const Tick& t : f.x.ticks) {
    const double x = f.x(t.v);
    s << "<line x1=\"" << x << "\" y1=\"" << f.top << "\" x2=\"" << x << "\" y2=\"" << f.h - f.bottom
      << "\" stroke=\"" << (t.label.empty() ? "#e1e1e1" : "#bebebe") << "\"/>\n";
    if (!t.label.empty()) {
      s << "<text x=\"" << x << "\" y=\"" << f.h - f.bottom + 20 << "\" text-anchor=\"middle\">" << t.label
        << "</text>\n";
    }
  }
  for (const Tick& t : f.y.ticks) {
    const double y = f.y(t.v);
    s << "<line x1=\"" << f.left << "\" y1=\"" << y << "\" x2=\"" << f.w - f.right << "\" y2=\"" << y
      << "\" stroke=\"" << (t.label.empty() ? "#e1e1e1" : "#bebebe") << "\"/>\n";
    if (!t.label.empty()) {
      s << "<text x=\"" << f.left - 8 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">" << t.label
        << "</text>\n";
    }
  }
  s << "<rect x=\"" << f.left << "\" y=\"" << f.top << "\" width=\"" << f.w - f.left - f.right
    << "\" height=\"" << f.h - f.top - f.bottom << "\" fill=\"none\" stroke=\"#282828\"/>\n";
  s << "<text x=\"" << f.left << "\" y=\"30\" font-size=\"16\">" << EscapeHtml(o.title) << "</text>\n";
  s << "<text x=\"" << (f.left + f.w - f.right) / 2 << "\" y=\"" << f.h - 20 << "\" text-anchor=\"middle\">"
    << EscapeHtml(o.x.label) << "</text>\n";
  s << "<text transform=\"translate(22," << (f.top + f.h - f.bottom) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << EscapeHtml(o.y.label) << "</text>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const std::string colour = Hex(draw::SeriesColour(i));
    s << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
    for (const auto& p : series[i].points) s << f.x(p.x) << "," << f.y(p.y) << " ";
    s << "\"/>\n";
    const double ly = LegendY(f, o, i), lx = LegendX(f, series);
    s << "<line x1=\"" << lx << "\" y1=\"" << ly - 5 << "\" x2=\"" << lx + 30 << "\" y2=\"" << ly - 5
      << "\" stroke=\"" << colour << "\" stroke-width=\"2\"/>\n";
    s << "<text x=\"" << lx + 38 << "\" y=\"" << ly << "\">" << EscapeHtml(series[i].label) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

Status WriteLinePlots(const std::filesystem::path& prefix, const std::vector<PlotSeries>& series,
                      const LinePlotOptions& options) {
  const std::filesystem::path png = prefix.string() + ".png";
  const std::filesystem::path svg = prefix.string() + ".svg";
  try {
    if (!cv::imwrite(png.string(), RenderLinePlotPng(series, options))) {
      return Status::IOError(png.string() + ": cannot write PNG");
    }
  } catch (const cv::Exception& e) {
    return Status::IOError(png.string() + ": cannot write PNG: " + e.what());
  }
  std::ofstream out(svg);
  out << RenderLinePlotSvg(series, options);
  if (!out) return Status::IOError(svg.string() + ": cannot write SVG");
  return Status::Ok();
}

}  // namespace lfr::eval
