// Small OpenCV drawing helpers shared by the evaluation plots (eval/det_plot) and the
// report charts (report/charts): the series palette and text, including vertical axis
// titles. OpenCV's Hershey fonts draw ASCII only, so Text() and VerticalText() draw each
// non-ASCII UTF-8 character as one '?' (documents beside the images carry the exact text).
//
// Thread-safe (no shared mutable state); each call draws into the caller's image.
#ifndef LFR_UTIL_DRAW_H_
#define LFR_UTIL_DRAW_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace lfr::draw {

// The font every plot uses (cv::FONT_HERSHEY_SIMPLEX).
int Font();
// The i-th series colour (BGR), cycling through six colours distinguishable in print.
const cv::Scalar& SeriesColour(size_t i);
// s with each non-ASCII UTF-8 sequence (and each control character) replaced by '?'.
std::string AsciiOnly(std::string_view s);
// Width and height in pixels of text drawn at scale (thickness 1).
cv::Size TextSize(std::string_view text, double scale);
// Draws text with its baseline starting at origin, anti-aliased, thickness 1.
void Text(cv::Mat& img, std::string_view text, cv::Point origin, double scale, const cv::Scalar& ink);
// Draws text turned 90 degrees counter-clockwise (read bottom to top) on a white strip
// 24 px wide and `length` px tall whose top-left corner is top_left; the strip is clipped
// to the image. The text starts at the bottom of the strip.
void VerticalText(cv::Mat& img, std::string_view text, cv::Point top_left, int length, double scale,
                  const cv::Scalar& ink);

}  // namespace lfr::draw

#endif  // LFR_UTIL_DRAW_H_
