#include "vision/align.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace lfr {
namespace {

// Least-squares similarity (Umeyama 1991, "Least-squares estimation of transformation
// parameters between two point patterns", with its reflection correction) of n points.
// Returns the identity for n < 2 or when the source points coincide.
cv::Matx23d Similarity(const cv::Point2f* src, const cv::Point2f* dst, int n) {
  const cv::Matx23d identity(1, 0, 0, 0, 1, 0);
  if (n < 2) return identity;

  cv::Vec2d mu_src(0, 0), mu_dst(0, 0);
  for (int i = 0; i < n; ++i) {
    mu_src += cv::Vec2d(src[i].x, src[i].y);
    mu_dst += cv::Vec2d(dst[i].x, dst[i].y);
  }
  mu_src *= 1.0 / n;
  mu_dst *= 1.0 / n;

  // Variance of the source and the dst/src cross-covariance, both about the means.
  double var_src = 0;
  cv::Matx22d cov = cv::Matx22d::zeros();
  for (int i = 0; i < n; ++i) {
    const cv::Vec2d s = cv::Vec2d(src[i].x, src[i].y) - mu_src;
    const cv::Vec2d d = cv::Vec2d(dst[i].x, dst[i].y) - mu_dst;
    var_src += s.dot(s);
    cov += d * s.t();
  }
  var_src /= n;
  cov *= 1.0 / n;

  // Relative test: coordinates may be large (pixels of a 4K frame) or small.
  double extent = 0;
  for (int i = 0; i < n; ++i) {
    extent = std::max({extent, std::abs(double(src[i].x)), std::abs(double(src[i].y))});
  }
  if (!(var_src > 1e-12 * std::max(1.0, extent * extent))) return identity;

  // cov = U diag(D) Vt. S = diag(1, +-1) keeps R = U S Vt a proper rotation: the smaller
  // singular direction is flipped when U Vt would be a reflection, which happens when
  // det(cov) < 0, or, for rank-deficient cov (collinear points), when det(U) det(Vt) < 0
  // (Umeyama eq. 39-43). Since det(cov) = det(U) d0 d1 det(Vt), one test covers both.
  cv::Matx21d d;
  cv::Matx22d u, vt;
  cv::SVD::compute(cov, d, u, vt);
  const double s2 = cv::determinant(u) * cv::determinant(vt) < 0 ? -1.0 : 1.0;
  const cv::Matx22d s_mat(1, 0, 0, s2);
  const cv::Matx22d r = u * s_mat * vt;
  const double scale = (d(0) + s2 * d(1)) / var_src;  // trace(D S) / var_src
  const cv::Vec2d t = mu_dst - scale * (r * mu_src);

  return cv::Matx23d(scale * r(0, 0), scale * r(0, 1), t[0],
                     scale * r(1, 0), scale * r(1, 1), t[1]);
}

}  // namespace

const std::vector<std::array<float, 2>>& ArcFaceTemplate112() {
  // InsightFace's reference landmarks for 112x112 ArcFace crops.
  static const std::vector<std::array<float, 2>> kTemplate = {
      {38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f},
      {41.5493f, 92.3655f}, {70.7299f, 92.2041f}};
  return kTemplate;
}

cv::Mat EstimateSimilarity(const std::vector<cv::Point2f>& src,
                           const std::vector<cv::Point2f>& dst) {
  const int n = src.size() == dst.size() ? static_cast<int>(src.size()) : 0;
  return cv::Mat(Similarity(src.data(), dst.data(), n), /*copyData=*/true);
}

void AlignFace(const cv::Mat& image, const Face& face,
               const std::vector<std::array<float, 2>>& tmpl, cv::Size out_size,
               cv::Mat* out) {
  const int n = std::min<int>(kNumLandmarks, static_cast<int>(tmpl.size()));
  std::array<cv::Point2f, kNumLandmarks> dst;
  for (int i = 0; i < n; ++i) dst[i] = cv::Point2f(tmpl[i][0], tmpl[i][1]);
  const cv::Matx23d m = Similarity(face.landmarks.data(), dst.data(), n);
  // warpAffine reuses *out when its size and type already match.
  cv::warpAffine(image, *out, m, out_size, cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar::all(0));
}

}  // namespace lfr
