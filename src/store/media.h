// JPEG encoding of the face images the store keeps (enrolment images, alert crops and
// frame thumbnails), with the downscaling each needs. The encoded buffer holds a face:
// the caller wipes it (util/secure.h) once the store has sealed it. Thread-safe.
#ifndef LFR_STORE_MEDIA_H_
#define LFR_STORE_MEDIA_H_

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "util/status.h"

namespace lfr {

constexpr int kEnrolmentImageLongSide = 1024;  // px; enough for an operator to compare
constexpr int kThumbnailLongSide = 320;        // px; alert frame thumbnails

// Encodes an 8-bit BGR (or grey) image as JPEG, first scaled down (INTER_AREA) so that its
// long side is at most max_long_side (0 = keep the size). Re-encoding drops any metadata
// of the source file. InvalidArgument for an empty image; Internal if OpenCV fails.
Result<std::vector<uint8_t>> EncodeJpeg(const cv::Mat& image, int max_long_side, int quality = 90);

}  // namespace lfr

#endif  // LFR_STORE_MEDIA_H_
