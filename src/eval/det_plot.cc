#include "eval/det_plot.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "util/draw.h"
#include "util/escape.h"

namespace lfr::eval {
namespace {

struct Frame {
  double left = 90, right = 30, top = 50, bottom = 70;
  double w, h;
  double lx0, lx1, ly0, ly1;  // log10 axis limits
  double X(double v) const {
    const double lv = std::log10(std::max(v, std::pow(10.0, lx0)));
    return left + (lv - lx0) / (lx1 - lx0) * (w - left - right);
  }
  double Y(double v) const {
    const double lv = std::log10(std::max(v, std::pow(10.0, ly0)));
    return h - bottom - (lv - ly0) / (ly1 - ly0) * (h - top - bottom);
  }
};

Frame MakeFrame(const std::vector<DetSeries>& series, const DetPlotOptions& o) {
  Frame f;
  f.w = o.width;
  f.h = o.height;
  double xmin = o.x_min;
  for (const auto& s : series) {
    for (const auto& p : s.points) {
      if (p.fpir > 0) xmin = std::min(xmin, p.fpir);
    }
  }
  f.lx0 = std::floor(std::log10(xmin));
  f.lx1 = std::ceil(std::log10(o.x_max));
  f.ly0 = std::floor(std::log10(o.y_min));
  f.ly1 = std::ceil(std::log10(o.y_max));
  if (f.lx1 <= f.lx0) f.lx1 = f.lx0 + 1;
  if (f.ly1 <= f.ly0) f.ly1 = f.ly0 + 1;
  return f;
}

std::string Decade(int e) {
  if (e == 0) return "1";
  return "1e" + std::to_string(e);
}

std::string Hex(const cv::Scalar& bgr) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "#%02x%02x%02x", static_cast<int>(bgr[2]),
                static_cast<int>(bgr[1]), static_cast<int>(bgr[0]));
  return buf;
}

}  // namespace

cv::Mat RenderDetPng(const std::vector<DetSeries>& series, const DetPlotOptions& o) {
  const Frame f = MakeFrame(series, o);
  cv::Mat img(o.height, o.width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar grid(225, 225, 225), ink(40, 40, 40);
  // Grid: decades (solid) and 2..9 minor lines.
  for (int e = static_cast<int>(f.lx0); e < f.lx1; ++e) {
    for (int m = 1; m < 10; ++m) {
      const int x = static_cast<int>(std::lround(f.X(m * std::pow(10.0, e))));
      cv::line(img, {x, static_cast<int>(f.top)}, {x, static_cast<int>(f.h - f.bottom)},
               m == 1 ? cv::Scalar(190, 190, 190) : grid, 1);
    }
  }
  for (int e = static_cast<int>(f.ly0); e < f.ly1; ++e) {
    for (int m = 1; m < 10; ++m) {
      const int y = static_cast<int>(std::lround(f.Y(m * std::pow(10.0, e))));
      cv::line(img, {static_cast<int>(f.left), y}, {static_cast<int>(f.w - f.right), y},
               m == 1 ? cv::Scalar(190, 190, 190) : grid, 1);
    }
  }
  cv::rectangle(img, cv::Point(static_cast<int>(f.left), static_cast<int>(f.top)),
                cv::Point(static_cast<int>(f.w - f.right), static_cast<int>(f.h - f.bottom)), ink, 1);
  for (int e = static_cast<int>(f.lx0); e <= f.lx1; ++e) {
    const int x = static_cast<int>(std::lround(f.X(std::pow(10.0, e))));
    draw::Text(img, Decade(e), {x - 14, static_cast<int>(f.h - f.bottom + 22)}, 0.45, ink);
  }
  for (int e = static_cast<int>(f.ly0); e <= f.ly1; ++e) {
    const int y = static_cast<int>(std::lround(f.Y(std::pow(10.0, e))));
    draw::Text(img, Decade(e), {static_cast<int>(f.left) - 45, y + 5}, 0.45, ink);
  }
  draw::Text(img, o.title, {static_cast<int>(f.left), 30}, 0.6, ink);
  draw::Text(img, o.x_label, {static_cast<int>(f.left), static_cast<int>(f.h - 20)}, 0.5, ink);
  draw::VerticalText(img, o.y_label, {8, 60}, o.height - 120, 0.5, ink);
  for (size_t i = 0; i < series.size(); ++i) {
    const cv::Scalar c = draw::SeriesColour(i);
    std::vector<cv::Point> pts;
    for (const auto& p : series[i].points) {
      pts.emplace_back(static_cast<int>(std::lround(f.X(p.fpir))), static_cast<int>(std::lround(f.Y(p.fnir))));
    }
    if (pts.size() >= 2) cv::polylines(img, pts, false, c, 2, cv::LINE_AA);
    const int ly = static_cast<int>(f.top) + 20 + 22 * static_cast<int>(i);
    const int lx = static_cast<int>(f.w - f.right) - 170;
    cv::line(img, {lx, ly - 5}, {lx + 30, ly - 5}, c, 2, cv::LINE_AA);
    draw::Text(img, series[i].label, {lx + 38, ly}, 0.5, ink);
  }
  return img;
}

std::string RenderDetSvg(const std::vector<DetSeries>& series, const DetPlotOptions& o) {
  const Frame f = MakeFrame(series, o);
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << o.height
    << "\" viewBox=\"0 0 " << o.width << " " << o.height << "\" font-family=\"sans-serif\" font-size=\"13\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (int e = static_cast<int>(f.lx0); e < f.lx1; ++e) {
    for (int m = 1; m < 10; ++m) {
      const double x = f.X(m * std::pow(10.0, e));
      s << "<line x1=\"" << x << "\" y1=\"" << f.top << "\" x2=\"" << x << "\" y2=\"" << f.h - f.bottom
        << "\" stroke=\"" << (m == 1 ? "#bebebe" : "#e1e1e1") << "\"/>\n";
    }
  }
  for (int e = static_cast<int>(f.ly0); e < f.ly1; ++e) {
    for (int m = 1; m < 10; ++m) {
      const double y = f.Y(m * std::pow(10.0, e));
      s << "<line x1=\"" << f.left << "\" y1=\"" << y << "\" x2=\"" << f.w - f.right << "\" y2=\"" << y
        << "\" stroke=\"" << (m == 1 ? "#bebebe" : "#e1e1e1") << "\"/>\n";
    }
  }
  s << "<rect x=\"" << f.left << "\" y=\"" << f.top << "\" width=\"" << f.w - f.left - f.right
    << "\" height=\"" << f.h - f.top - f.bottom << "\" fill=\"none\" stroke=\"#282828\"/>\n";
  for (int e = static_cast<int>(f.lx0); e <= f.lx1; ++e) {
    s << "<text x=\"" << f.X(std::pow(10.0, e)) << "\" y=\"" << f.h - f.bottom + 20
      << "\" text-anchor=\"middle\">" << Decade(e) << "</text>\n";
  }
  for (int e = static_cast<int>(f.ly0); e <= f.ly1; ++e) {
    s << "<text x=\"" << f.left - 8 << "\" y=\"" << f.Y(std::pow(10.0, e)) + 4
      << "\" text-anchor=\"end\">" << Decade(e) << "</text>\n";
  }
  s << "<text x=\"" << f.left << "\" y=\"30\" font-size=\"16\">" << EscapeHtml(o.title) << "</text>\n";
  s << "<text x=\"" << (f.left + f.w - f.right) / 2 << "\" y=\"" << f.h - 20 << "\" text-anchor=\"middle\">"
    << EscapeHtml(o.x_label) << "</text>\n";
  s << "<text transform=\"translate(22," << (f.top + f.h - f.bottom) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << EscapeHtml(o.y_label) << "</text>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const std::string colour = Hex(draw::SeriesColour(i));
    s << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
    for (const auto& p : series[i].points) s << f.X(p.fpir) << "," << f.Y(p.fnir) << " ";
    s << "\"/>\n";
    const double ly = f.top + 20 + 22 * i, lx = f.w - f.right - 170;
    s << "<line x1=\"" << lx << "\" y1=\"" << ly - 5 << "\" x2=\"" << lx + 30 << "\" y2=\"" << ly - 5
      << "\" stroke=\"" << colour << "\" stroke-width=\"2\"/>\n";
    s << "<text x=\"" << lx + 38 << "\" y=\"" << ly << "\">" << EscapeHtml(series[i].label) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

Status WriteDetPlots(const std::filesystem::path& prefix, const std::vector<DetSeries>& series,
                     const DetPlotOptions& options) {
  const std::filesystem::path png = prefix.string() + ".png";
  const std::filesystem::path svg = prefix.string() + ".svg";
  try {
    if (!cv::imwrite(png.string(), RenderDetPng(series, options))) {
      return Status::IOError(png.string() + ": cannot write PNG");
    }
  } catch (const cv::Exception& e) {
    return Status::IOError(png.string() + ": cannot write PNG: " + e.what());
  }
  std::ofstream out(svg);
  out << RenderDetSvg(series, options);
  if (!out) return Status::IOError(svg.string() + ": cannot write SVG");
  return Status::Ok();
}

}  // namespace lfr::eval
