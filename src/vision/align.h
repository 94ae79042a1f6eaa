// Face alignment: a least-squares 5-point similarity transform (rotation, uniform scale,
// translation; Umeyama 1991) from the detected landmarks to a model's template, then a
// warp into the model's input size. Pure functions; thread-safe.
#ifndef LFR_VISION_ALIGN_H_
#define LFR_VISION_ALIGN_H_

#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "vision/face.h"

namespace lfr {

// The ArcFace 112x112 template (InsightFace), landmark order as in vision/face.h.
const std::vector<std::array<float, 2>>& ArcFaceTemplate112();

// 2x3 CV_64F matrix M minimising sum |M*[src;1] - dst|^2 over similarity transforms.
// src and dst must have the same number (>= 2) of points; degenerate input (all points
// equal) yields the identity.
cv::Mat EstimateSimilarity(const std::vector<cv::Point2f>& src,
                           const std::vector<cv::Point2f>& dst);

// Warps the face into *out (size out_size, 8-bit BGR) using the template. *out is
// reused if it already has the right size and type (no allocation in steady state).
void AlignFace(const cv::Mat& image, const Face& face,
               const std::vector<std::array<float, 2>>& tmpl, cv::Size out_size,
               cv::Mat* out);

}  // namespace lfr

#endif  // LFR_VISION_ALIGN_H_
