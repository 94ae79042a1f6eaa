// Reading still images with errors a user can act on.
//
// OpenCV's imread returns an empty Mat for every failure. ReadImage tells them apart:
// a missing file (NotFound), an empty file, a file that is not an image, and a truncated
// or corrupt image (InvalidArgument), each message naming the file. Thread-safe.
#ifndef LFR_VISION_IMAGE_IO_H_
#define LFR_VISION_IMAGE_IO_H_

#include <filesystem>
#include <string>

#include <opencv2/core.hpp>

#include "util/status.h"

namespace lfr {

// Decodes a JPEG/PNG/BMP/WebP/... file into an 8-bit 3-channel BGR image.
// Grey and 4-channel images are converted. Truncated JPEGs are rejected, not padded grey.
Result<cv::Mat> ReadImage(const std::filesystem::path& path);
// The same for an encoded image in memory (uploads); `what` names it in messages.
Result<cv::Mat> DecodeImage(const std::string& bytes, const std::string& what);

}  // namespace lfr

#endif  // LFR_VISION_IMAGE_IO_H_
