// Test images whose header declares another size than their content: a small, complete
// file that a decoder would take at its word (e.g. allocate 20000x20000 pixels). For
// tests that prove an image is refused from its header, before decoding.
#ifndef LFR_TESTING_IMAGES_H_
#define LFR_TESTING_IMAGES_H_

#include <filesystem>
#include <string>

namespace lfr::testing {

// A valid 16x16 PNG whose IHDR (with a correct CRC) declares width x height.
std::string PngDeclaring(int width, int height);
// A valid 16x16 baseline JPEG whose SOF0 segment declares width x height (each <= 65535).
std::string JpegDeclaring(int width, int height);
// A valid 16x16 24-bit BMP whose info header declares width x height.
std::string BmpDeclaring(int width, int height);
// Two people in one picture (a probe with several faces): the image at `larger` with the one
// at `smaller`, scaled to 60 %, beside it on a grey canvas; PNG bytes.
std::string TwoFacesPng(const std::filesystem::path& larger, const std::filesystem::path& smaller);

}  // namespace lfr::testing

#endif  // LFR_TESTING_IMAGES_H_
