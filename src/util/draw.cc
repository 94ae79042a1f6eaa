#include "util/draw.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace lfr::draw {

int Font() { return cv::FONT_HERSHEY_SIMPLEX; }

const cv::Scalar& SeriesColour(size_t i) {
  static const cv::Scalar kColours[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44},
                                        {40, 39, 214},  {189, 103, 148}, {75, 86, 140}};
  return kColours[i % (sizeof(kColours) / sizeof(kColours[0]))];
}

std::string AsciiOnly(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
      continue;
    }
    out += '?';
    // Skip the continuation bytes of this sequence (10xxxxxx).
    while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
  }
  return out;
}

cv::Size TextSize(std::string_view text, double scale) {
  int baseline = 0;
  return cv::getTextSize(AsciiOnly(text), Font(), scale, 1, &baseline);
}

void Text(cv::Mat& img, std::string_view text, cv::Point origin, double scale, const cv::Scalar& ink) {
  cv::putText(img, AsciiOnly(text), origin, Font(), scale, ink, 1, cv::LINE_AA);
}

void VerticalText(cv::Mat& img, std::string_view text, cv::Point top_left, int length, double scale,
                  const cv::Scalar& ink) {
  if (length <= 0) return;
  cv::Mat strip(24, length, img.type(), cv::Scalar::all(255));
  Text(strip, text, {4, 17}, scale, ink);
  cv::Mat rotated;
  cv::rotate(strip, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  const cv::Rect target = cv::Rect(top_left, rotated.size()) & cv::Rect(0, 0, img.cols, img.rows);
  if (target.empty()) return;
  rotated(cv::Rect(target.tl() - top_left, target.size())).copyTo(img(target));
}

}  // namespace lfr::draw
