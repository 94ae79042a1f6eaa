#include "testing/images.h"

#include <cstdint>
#include <stdexcept>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace lfr::testing {
namespace {

std::string Encode(const std::string& ext) {
  cv::Mat img(16, 16, CV_8UC3, cv::Scalar(40, 90, 160));
  std::vector<uchar> buf;
  if (!cv::imencode(ext, img, buf)) throw std::runtime_error("cannot encode " + ext);
  return std::string(buf.begin(), buf.end());
}

void PutBig32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
}

void PutBig16(std::string& s, size_t at, uint32_t v) {
  s[at] = static_cast<char>((v >> 8) & 0xFF);
  s[at + 1] = static_cast<char>(v & 0xFF);
}

void PutLittle32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// The PNG chunk CRC (ISO 3309 / ITU-T V.42, as zlib's crc32).
uint32_t Crc32(const char* data, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint8_t>(data[i]);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

}  // namespace

std::string PngDeclaring(int width, int height) {
  std::string png = Encode(".png");
  // Signature (8), then IHDR: length (4) at 8, type at 12, width at 16, height at 20,
  // 5 more bytes, CRC over type+data at 29.
  if (png.substr(12, 4) != "IHDR") throw std::runtime_error("PNG without leading IHDR");
  PutBig32(png, 16, static_cast<uint32_t>(width));
  PutBig32(png, 20, static_cast<uint32_t>(height));
  PutBig32(png, 29, Crc32(png.data() + 12, 17));
  return png;
}

std::string JpegDeclaring(int width, int height) {
  std::string jpeg = Encode(".jpg");
  // Walk the segments after SOI to SOF0: FF C0, length (2), precision (1), height, width.
  size_t pos = 2;
  while (pos + 4 < jpeg.size()) {
    if (static_cast<uint8_t>(jpeg[pos]) != 0xFF) throw std::runtime_error("bad JPEG segment");
    const uint8_t marker = static_cast<uint8_t>(jpeg[pos + 1]);
    const size_t length = (static_cast<uint8_t>(jpeg[pos + 2]) << 8) | static_cast<uint8_t>(jpeg[pos + 3]);
    if (marker == 0xC0) {
      PutBig16(jpeg, pos + 5, static_cast<uint32_t>(height));
      PutBig16(jpeg, pos + 7, static_cast<uint32_t>(width));
      return jpeg;
    }
    pos += 2 + length;
  }
  throw std::runtime_error("JPEG without SOF0");
}

std::string BmpDeclaring(int width, int height) {
  std::string bmp = Encode(".bmp");
  // BITMAPFILEHEADER (14), then BITMAPINFOHEADER: size (4), width (4) at 18, height at 22.
  PutLittle32(bmp, 18, static_cast<uint32_t>(width));
  PutLittle32(bmp, 22, static_cast<uint32_t>(height));
  return bmp;
}

std::string TwoFacesPng(const std::filesystem::path& larger, const std::filesystem::path& smaller) {
  cv::Mat a = cv::imread(larger.string());
  cv::Mat b = cv::imread(smaller.string());
  cv::Mat small_b;
  cv::resize(b, small_b, cv::Size(), 0.6, 0.6, cv::INTER_AREA);
  cv::Mat canvas(a.rows, a.cols + small_b.cols + 20, CV_8UC3, cv::Scalar(90, 90, 90));
  a.copyTo(canvas(cv::Rect(0, 0, a.cols, a.rows)));
  small_b.copyTo(canvas(cv::Rect(a.cols + 10, 20, small_b.cols, small_b.rows)));
  std::vector<uchar> png;
  cv::imencode(".png", canvas, png);
  return std::string(png.begin(), png.end());
}

}  // namespace lfr::testing
