#include "store/media.h"

#include <algorithm>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "util/secure.h"

namespace lfr {

Result<std::vector<uint8_t>> EncodeJpeg(const cv::Mat& image, int max_long_side, int quality) {
  if (image.empty()) return Status::InvalidArgument("cannot encode an empty image");
  cv::Mat scaled;
  const int long_side = std::max(image.cols, image.rows);
  if (max_long_side > 0 && long_side > max_long_side) {
    const double f = static_cast<double>(max_long_side) / long_side;
    cv::resize(image, scaled, cv::Size(), f, f, cv::INTER_AREA);
  }
  std::vector<uint8_t> out;
  bool ok = false;
  try {
    ok = cv::imencode(".jpg", scaled.empty() ? image : scaled, out, {cv::IMWRITE_JPEG_QUALITY, quality});
  } catch (const cv::Exception& e) {
    ok = false;
  }
  WipeMat(&scaled);
  if (!ok) {
    WipeBytes(out.data(), out.size());
    return Status::Internal("JPEG encoding failed");
  }
  return out;
}

}  // namespace lfr
