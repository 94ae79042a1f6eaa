// Reading still images with errors a user can act on.
//
// OpenCV's imread returns an empty Mat for every failure. ReadImage tells them apart:
// a missing file (NotFound), an empty file, a file that is not an image, and a truncated
// or corrupt image (InvalidArgument), each message naming the file. Thread-safe.
//
// Size limit: before anything is decoded, the format and the dimensions are read from the
// image's header (stb_image for JPEG/PNG/BMP/binary PGM and PPM, libwebp for WebP) and an
// image declaring more than MaxImagePixels() pixels is refused (InvalidArgument naming its
// size and the limit), so a small file declaring 20000x20000 pixels costs no memory and no
// time. Formats whose header cannot be read this way (TIFF, JPEG 2000, ...) are refused as
// unrecognised rather than decoded unchecked. OpenCV's own limit, the environment variable
// OPENCV_IO_MAX_IMAGE_PIXELS, is read once when OpenCV is loaded (it cannot be changed from
// inside the process); operators may set it for the service as a second line of defence.
#ifndef LFR_VISION_IMAGE_IO_H_
#define LFR_VISION_IMAGE_IO_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "util/status.h"

namespace lfr {

// The largest image accepted, in pixels (width x height). Default kDefaultMaxImagePixels,
// or LFR_MAX_IMAGE_PIXELS from the environment when set to a positive integer (read at
// first use). Thread-safe.
constexpr int64_t kDefaultMaxImagePixels = 40'000'000;  // 40 megapixels
int64_t MaxImagePixels();
// Changes the limit for the whole process (pixels > 0). Thread-safe.
void SetMaxImagePixels(int64_t pixels);

struct ImageHeader {
  std::string format;  // "JPEG", "PNG", "BMP", "PNM" or "WebP"
  int width = 0;
  int height = 0;
  int64_t pixels() const { return int64_t{width} * height; }
};

// The format and dimensions from an encoded image's header, without decoding it.
// InvalidArgument naming `what` for an empty input, an unrecognised format or a header
// that cannot be read.
Result<ImageHeader> ReadImageHeader(std::string_view bytes, const std::string& what);

// OK unless `bytes` is an image whose header declares more than MaxImagePixels() pixels;
// then InvalidArgument "<what>: image of 20000x20000 pixels (400.0 megapixels) is above
// the limit of 40.0 megapixels ...". Input whose header cannot be read is not judged here
// (DecodeImage reports it). The HTTP API answers this refusal with 422.
Status CheckImagePixels(std::string_view bytes, const std::string& what);

// How many images this process has handed to the full decoder (for tests that prove a
// refusal came before decoding). Thread-safe.
uint64_t ImageDecodeCount();

// Decodes a JPEG/PNG/BMP/WebP/PGM/PPM file into an 8-bit 3-channel BGR image.
// Grey and 4-channel images are converted. Truncated JPEGs are rejected, not padded grey.
// Images above the pixel limit are refused before decoding (see above).
Result<cv::Mat> ReadImage(const std::filesystem::path& path);
// The same for an encoded image in memory (uploads); `what` names it in messages.
Result<cv::Mat> DecodeImage(const std::string& bytes, const std::string& what);

}  // namespace lfr

#endif  // LFR_VISION_IMAGE_IO_H_
