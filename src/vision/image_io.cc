#include "vision/image_io.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>
#include <system_error>

#include <opencv2/imgcodecs.hpp>
#include <stb_image.h>
#include <webp/decode.h>

namespace lfr {
namespace fs = std::filesystem;

namespace {

// Whether an encoded image's byte stream reaches its format's end marker.
enum class Completeness { kComplete, kTruncated, kUnchecked };

uint8_t Byte(std::string_view d, size_t i) { return static_cast<uint8_t>(d[i]); }

uint32_t BigEndian16(std::string_view d, size_t i) {
  return (uint32_t{Byte(d, i)} << 8) | Byte(d, i + 1);
}

uint32_t BigEndian32(std::string_view d, size_t i) {
  return (BigEndian16(d, i) << 16) | BigEndian16(d, i + 2);
}

bool IsJpeg(std::string_view d) {
  return d.size() >= 3 && Byte(d, 0) == 0xFF && Byte(d, 1) == 0xD8 && Byte(d, 2) == 0xFF;
}

constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);

bool IsPng(std::string_view d) { return d.substr(0, kPngSignature.size()) == kPngSignature; }

// Walks the JPEG marker structure from SOI to EOI (FF D9): length-prefixed segments are
// skipped whole (so an EXIF thumbnail's own EOI inside APP1 is not mistaken for the end),
// entropy-coded data after each SOS is scanned for the next real marker. Data after EOI
// (padding, a "motion photo" trailer) is ignored. libjpeg itself fills a truncated scan
// with grey and only warns, so this is how a cut-off upload is caught.
Completeness CheckJpeg(std::string_view d) {
  const size_t n = d.size();
  size_t pos = 2;  // after SOI
  while (pos < n) {
    // Find the next marker prefix; libjpeg tolerates stray bytes here, so do we.
    if (Byte(d, pos) != 0xFF) {
      ++pos;
      continue;
    }
    while (pos < n && Byte(d, pos) == 0xFF) ++pos;  // fill bytes
    if (pos >= n) break;
    const uint8_t marker = Byte(d, pos++);
    if (marker == 0xD9) return Completeness::kComplete;                       // EOI
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;       // no length
    if (marker == 0x00) continue;  // stuffed byte outside a scan: stray, skip
    if (pos + 2 > n) break;
    const uint32_t length = BigEndian16(d, pos);
    if (length < 2 || pos + length > n) break;
    pos += length;
    if (marker != 0xDA) continue;  // not SOS
    // Entropy-coded data: FF 00 is a stuffed byte and FF D0..D7 a restart marker; any
    // other FF xx ends the scan (the next segment of a progressive JPEG, or EOI).
    for (;;) {
      const void* ff = std::memchr(d.data() + pos, 0xFF, n - pos);
      if (ff == nullptr) return Completeness::kTruncated;
      pos = static_cast<size_t>(static_cast<const char*>(ff) - d.data());
      if (pos + 1 >= n) return Completeness::kTruncated;
      const uint8_t next = Byte(d, pos + 1);
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        pos += 2;
      } else if (next == 0xFF) {
        pos += 1;  // fill byte before a marker
      } else {
        break;  // a marker: handled by the outer loop
      }
    }
  }
  return Completeness::kTruncated;
}

// Walks the PNG chunk list (length, type, data, CRC) until IEND.
Completeness CheckPng(std::string_view d) {
  const size_t n = d.size();
  size_t pos = kPngSignature.size();
  while (pos + 12 <= n) {
    const uint64_t length = BigEndian32(d, pos);
    const std::string_view type = d.substr(pos + 4, 4);
    if (pos + 12 + length > n) break;
    if (type == "IEND") return Completeness::kComplete;
    pos += 12 + length;
  }
  return Completeness::kTruncated;
}

Completeness CheckComplete(std::string_view d) {
  if (IsJpeg(d)) return CheckJpeg(d);
  if (IsPng(d)) return CheckPng(d);
  return Completeness::kUnchecked;  // other formats: trust the decoder
}

// The formats whose header is read before decoding, by their signature. Anything else is
// refused: an unchecked format could declare any size.
const char* Format(std::string_view d) {
  if (IsJpeg(d)) return "JPEG";
  if (IsPng(d)) return "PNG";
  if (d.size() >= 2 && d.substr(0, 2) == "BM") return "BMP";
  if (d.size() >= 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6')) return "PNM";
  if (d.size() >= 12 && d.substr(0, 4) == "RIFF" && d.substr(8, 4) == "WEBP") return "WebP";
  return nullptr;
}

constexpr const char* kNotAnImage =
    ": not an image (unrecognised format; expected JPEG, PNG, BMP, WebP, or binary PGM/PPM)";

std::atomic<int64_t> g_max_pixels{0};  // 0: not yet read from the environment
std::atomic<uint64_t> g_decodes{0};

std::string Megapixels(int64_t pixels) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(pixels) / 1e6);
  return buf;
}

}  // namespace

int64_t MaxImagePixels() {
  int64_t v = g_max_pixels.load(std::memory_order_relaxed);
  if (v > 0) return v;
  v = kDefaultMaxImagePixels;
  if (const char* env = std::getenv("LFR_MAX_IMAGE_PIXELS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long long parsed = std::strtoll(env, &end, 10);
    if (end != nullptr && *end == '\0' && parsed > 0) v = parsed;
  }
  int64_t expected = 0;
  g_max_pixels.compare_exchange_strong(expected, v);
  return g_max_pixels.load(std::memory_order_relaxed);
}

void SetMaxImagePixels(int64_t pixels) {
  if (pixels > 0) g_max_pixels.store(pixels, std::memory_order_relaxed);
}

uint64_t ImageDecodeCount() { return g_decodes.load(std::memory_order_relaxed); }

Result<ImageHeader> ReadImageHeader(std::string_view bytes, const std::string& what) {
  if (bytes.empty()) return Status::InvalidArgument(what + ": empty file");
  const char* format = Format(bytes);
  if (format == nullptr) return Status::InvalidArgument(what + kNotAnImage);
  ImageHeader h;
  h.format = format;
  bool read = false;
  if (h.format == "PNG") {
    // The PNG signature is followed by the IHDR chunk (length 13) with width and height as
    // 32-bit big-endian numbers. Read directly: stb refuses to describe a PNG whose pixel
    // buffer would exceed 1 GiB, which is exactly the kind of file to name here.
    if (bytes.size() >= 24 && bytes.substr(12, 4) == "IHDR") {
      const uint32_t w = BigEndian32(bytes, 16), hgt = BigEndian32(bytes, 20);
      if (w > static_cast<uint32_t>(INT_MAX) || hgt > static_cast<uint32_t>(INT_MAX)) {
        return Status::InvalidArgument(what + ": image of " + std::to_string(w) + "x" +
                                       std::to_string(hgt) + " pixels is above the limit of " +
                                       Megapixels(MaxImagePixels()) + " megapixels");
      }
      h.width = static_cast<int>(w);
      h.height = static_cast<int>(hgt);
      read = true;
    }
  } else if (h.format == "WebP") {
    read = WebPGetInfo(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &h.width,
                       &h.height) != 0;
  } else {
    // Headers sit at the start; stb takes an int length.
    const int len = static_cast<int>(std::min<size_t>(bytes.size(), INT_MAX));
    int channels = 0;
    read = stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), len, &h.width,
                                 &h.height, &channels) != 0;
  }
  if (!read || h.width <= 0 || h.height <= 0) {
    return Status::InvalidArgument(what + ": truncated or corrupt image (unreadable " + h.format +
                                   " header)");
  }
  return h;
}

namespace {
Status WithinLimit(const ImageHeader& h, const std::string& what) {
  const int64_t limit = MaxImagePixels();
  if (h.pixels() <= limit) return Status::Ok();
  return Status::InvalidArgument(what + ": image of " + std::to_string(h.width) + "x" +
                                 std::to_string(h.height) + " pixels (" + Megapixels(h.pixels()) +
                                 " megapixels) is above the limit of " + Megapixels(limit) +
                                 " megapixels; scale it down (a face photo needs far less)");
}
}  // namespace

Status CheckImagePixels(std::string_view bytes, const std::string& what) {
  auto h = ReadImageHeader(bytes, what);
  return h.ok() ? WithinLimit(*h, what) : Status::Ok();
}

Result<cv::Mat> DecodeImage(const std::string& bytes, const std::string& what) {
  if (bytes.empty()) return Status::InvalidArgument(what + ": empty file");
  const Completeness completeness = CheckComplete(bytes);
  if (completeness == Completeness::kTruncated) {
    return Status::InvalidArgument(what + ": truncated or corrupt image");
  }
  // Size before decoding: the decoder would allocate what the header declares.
  auto header = ReadImageHeader(bytes, what);
  if (!header.ok()) return header.status();
  if (Status s = WithinLimit(*header, what); !s.ok()) return s;
  cv::Mat image;
  g_decodes.fetch_add(1, std::memory_order_relaxed);
  try {
    // IMREAD_COLOR yields 8-bit BGR: grey is replicated, alpha dropped, 16-bit scaled, and
    // the JPEG EXIF orientation applied.
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1,
                         const_cast<char*>(bytes.data()));
    image = cv::imdecode(buffer, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return Status::InvalidArgument(what + ": truncated or corrupt image (" + e.msg + ")");
  }
  if (image.empty()) {
    // A known signature whose decoder gave up is a damaged file; anything else is not an
    // image OpenCV can read at all.
    if (completeness == Completeness::kComplete) {
      return Status::InvalidArgument(what + ": truncated or corrupt image");
    }
    return Status::InvalidArgument(what + ": truncated or corrupt image (the " + header->format +
                                   " decoder gave up)");
  }
  return image;
}

Result<cv::Mat> ReadImage(const fs::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) return Status::NotFound(name + ": no such file");
  if (ec) return Status::IOError(name + ": cannot access (" + ec.message() + ")");
  if (fs::is_directory(st)) {
    return Status::InvalidArgument(name + ": is a directory, not an image file");
  }
  if (!fs::is_regular_file(st)) {
    return Status::InvalidArgument(name + ": not a regular file");
  }
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return Status::IOError(name + ": cannot access (" + ec.message() + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(name + ": cannot open (" + std::strerror(errno) + ")");
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return Status::IOError(name + ": read failed after " + std::to_string(in.gcount()) +
                           " of " + std::to_string(size) + " bytes");
  }
  return DecodeImage(bytes, name);
}

}  // namespace lfr
