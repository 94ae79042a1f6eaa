#include "vision/image_io.h"

#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "testing/images.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A 200x150 picture with gradients and shapes, so codecs produce a realistic stream.
cv::Mat TestPicture() {
  cv::Mat img(150, 200, CV_8UC3);
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x), static_cast<uchar>(y),
                                          static_cast<uchar>((x + y) / 2));
    }
  }
  cv::circle(img, {100, 75}, 40, {20, 200, 60}, cv::FILLED);
  cv::rectangle(img, {10, 10}, {60, 50}, {250, 250, 250}, cv::FILLED);
  return img;
}

std::string Encode(const cv::Mat& img, const std::string& ext) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(ext, img, buf));
  return std::string(buf.begin(), buf.end());
}

fs::path WriteFile(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::path p = dir / name;
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p;
}

double MeanAbsDiff(const cv::Mat& a, const cv::Mat& b) {
  return cv::norm(a, b, cv::NORM_L1) / static_cast<double>(a.total() * a.channels());
}

class ImageIoTest : public ::testing::Test {
 protected:
  fs::path dir_ = lfr::testing::TempDir("image-io");
};

TEST_F(ImageIoTest, ReadsJpegAsBgr) {
  const cv::Mat picture = TestPicture();
  const fs::path p = WriteFile(dir_, "ok.jpg", Encode(picture, ".jpg"));
  auto img = ReadImage(p);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->type(), CV_8UC3);
  EXPECT_EQ(img->size(), picture.size());
  EXPECT_LT(MeanAbsDiff(*img, picture), 8.0);  // lossy, but the same picture
}

TEST_F(ImageIoTest, ReadsPngLosslessly) {
  const cv::Mat picture = TestPicture();
  auto img = ReadImage(WriteFile(dir_, "ok.png", Encode(picture, ".png")));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(cv::norm(*img, picture, cv::NORM_INF), 0.0);
}

TEST_F(ImageIoTest, MissingFileIsNotFound) {
  const fs::path p = dir_ / "nope.jpg";
  auto img = ReadImage(p);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(img.status().message(), p.string() + ": no such file");
}

TEST_F(ImageIoTest, DirectoryIsInvalidArgument) {
  auto img = ReadImage(dir_);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(img.status().message(), HasSubstr(dir_.string() + ": is a directory"));
}

TEST_F(ImageIoTest, EmptyFileIsInvalidArgument) {
  const fs::path p = WriteFile(dir_, "empty.jpg", "");
  auto img = ReadImage(p);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(img.status().message(), p.string() + ": empty file");
}

TEST_F(ImageIoTest, TextFileIsNotAnImage) {
  const fs::path p = WriteFile(dir_, "notes.jpg", "These are my notes, not a photo.\n");
  auto img = ReadImage(p);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(img.status().message(), HasSubstr(p.string() + ": not an image ("));
}

TEST_F(ImageIoTest, TruncatedJpegIsRejectedNotPaddedGrey) {
  const std::string full = Encode(TestPicture(), ".jpg");
  const std::string half = full.substr(0, full.size() / 2);
  // The point of the check: OpenCV alone "succeeds" on this, filling the rest with grey.
  const cv::Mat opencv_alone = cv::imdecode(std::vector<uchar>(half.begin(), half.end()),
                                            cv::IMREAD_COLOR);
  EXPECT_FALSE(opencv_alone.empty()) << "OpenCV now rejects truncated JPEGs itself";

  const fs::path p = WriteFile(dir_, "half.jpg", half);
  auto img = ReadImage(p);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(img.status().message(), p.string() + ": truncated or corrupt image");
}

TEST_F(ImageIoTest, JpegCutAtEveryRegionIsRejected) {
  const std::string full = Encode(TestPicture(), ".jpg");
  // In the headers, in the scan, and one byte short of the end marker.
  for (size_t cut : {size_t{3}, size_t{20}, size_t{200}, full.size() / 3, full.size() - 1}) {
    auto img = DecodeImage(full.substr(0, cut), "upload");
    ASSERT_FALSE(img.ok()) << "cut at " << cut << " of " << full.size();
    EXPECT_EQ(img.status().message(), "upload: truncated or corrupt image") << "cut at " << cut;
  }
}

TEST_F(ImageIoTest, JpegWithTrailingPaddingOrTrailerIsAccepted) {
  const cv::Mat picture = TestPicture();
  const std::string full = Encode(picture, ".jpg");
  for (const std::string& tail :
       {std::string(16, '\0'), std::string("\r\n  \n"), std::string("trailer data \xFF\xD8")}) {
    auto img = DecodeImage(full + tail, "padded");
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_LT(MeanAbsDiff(*img, picture), 8.0);
  }
}

TEST_F(ImageIoTest, ProgressiveJpegIsCheckedAcrossItsScans) {
  const cv::Mat picture = TestPicture();
  std::vector<uchar> buf;
  ASSERT_TRUE(cv::imencode(".jpg", picture, buf, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  const std::string full(buf.begin(), buf.end());
  auto img = DecodeImage(full, "progressive.jpg");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_LT(MeanAbsDiff(*img, picture), 8.0);
  // Cut after the first scans: the later segments (DHT/SOS) are missing.
  auto cut = DecodeImage(full.substr(0, full.size() * 2 / 3), "progressive.jpg");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().message(), "progressive.jpg: truncated or corrupt image");
}

// An embedded thumbnail (APP1/EXIF) carries its own end marker; it must not count.
TEST_F(ImageIoTest, EndMarkerInsideAMetadataSegmentDoesNotCount) {
  const cv::Mat picture = TestPicture();
  const std::string full = Encode(picture, ".jpg");
  const std::string payload = std::string("Exif\0\0", 6) + "\xFF\xD8 thumb \xFF\xD9";
  const size_t length = payload.size() + 2;
  const std::string app1 = std::string("\xFF\xE1", 2) + static_cast<char>(length >> 8) +
                           static_cast<char>(length & 0xFF) + payload;
  const std::string with_app1 = full.substr(0, 2) + app1 + full.substr(2);
  auto img = DecodeImage(with_app1, "exif.jpg");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_LT(MeanAbsDiff(*img, picture), 8.0);
  auto cut = DecodeImage(with_app1.substr(0, with_app1.size() / 2), "exif.jpg");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().message(), "exif.jpg: truncated or corrupt image");
}

TEST_F(ImageIoTest, TruncatedPngIsRejected) {
  const std::string full = Encode(TestPicture(), ".png");
  for (size_t cut : {size_t{10}, size_t{40}, full.size() / 2, full.size() - 4}) {
    const fs::path p = WriteFile(dir_, "cut" + std::to_string(cut) + ".png", full.substr(0, cut));
    auto img = ReadImage(p);
    ASSERT_FALSE(img.ok()) << "cut at " << cut << " of " << full.size();
    EXPECT_EQ(img.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(img.status().message(), p.string() + ": truncated or corrupt image");
  }
}

TEST_F(ImageIoTest, CorruptPngWithEndChunkIsRejected) {
  std::string png = Encode(TestPicture(), ".png");
  // Damage the compressed image data in the middle; the chunk structure stays intact.
  for (size_t i = png.size() / 2; i < png.size() / 2 + 64; ++i) png[i] = static_cast<char>(~png[i]);
  auto img = DecodeImage(png, "damaged.png");
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(img.status().message(), HasSubstr("damaged.png: truncated or corrupt image"));
}

TEST_F(ImageIoTest, GreyPngBecomesThreeChannels) {
  cv::Mat grey;
  cv::cvtColor(TestPicture(), grey, cv::COLOR_BGR2GRAY);
  auto img = ReadImage(WriteFile(dir_, "grey.png", Encode(grey, ".png")));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_EQ(img->type(), CV_8UC3);
  std::vector<cv::Mat> planes;
  cv::split(*img, planes);
  for (const cv::Mat& plane : planes) EXPECT_EQ(cv::norm(plane, grey, cv::NORM_INF), 0.0);
}

TEST_F(ImageIoTest, BgraPngBecomesBgr) {
  const cv::Mat picture = TestPicture();
  cv::Mat bgra;
  cv::cvtColor(picture, bgra, cv::COLOR_BGR2BGRA);
  bgra.forEach<cv::Vec4b>([](cv::Vec4b& px, const int*) { px[3] = 128; });
  auto img = DecodeImage(Encode(bgra, ".png"), "alpha.png");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_EQ(img->type(), CV_8UC3);
  EXPECT_EQ(cv::norm(*img, picture, cv::NORM_INF), 0.0);
}

TEST_F(ImageIoTest, OtherFormatsDecode) {
  const cv::Mat picture = TestPicture();
  auto bmp = DecodeImage(Encode(picture, ".bmp"), "x.bmp");
  ASSERT_TRUE(bmp.ok()) << bmp.status().ToString();
  EXPECT_EQ(cv::norm(*bmp, picture, cv::NORM_INF), 0.0);
}

TEST_F(ImageIoTest, DecodeNamesTheUpload) {
  auto img = DecodeImage("GIF? no", "upload 'photo.gif'");
  ASSERT_FALSE(img.ok());
  EXPECT_THAT(img.status().message(), HasSubstr("upload 'photo.gif': not an image"));
  auto empty = DecodeImage("", "upload 'x'");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "upload 'x': empty file");
}

// A small file declaring 20000x20000 pixels (400 megapixels) is refused from its header:
// the decoder is never handed it (OpenCV would allocate 1.2 GB and take seconds).
TEST_F(ImageIoTest, GiantDeclaredImagesAreRefusedBeforeDecoding) {
  ASSERT_EQ(MaxImagePixels(), kDefaultMaxImagePixels);
  const std::string expect =
      ": image of 20000x20000 pixels (400.0 megapixels) is above the limit of 40.0 megapixels";
  for (const auto& [name, bytes] :
       {std::pair<std::string, std::string>{"giant.png", lfr::testing::PngDeclaring(20000, 20000)},
        {"giant.jpg", lfr::testing::JpegDeclaring(20000, 20000)},
        {"giant.bmp", lfr::testing::BmpDeclaring(20000, 20000)}}) {
    ASSERT_LT(bytes.size(), 4096u) << name;
    auto header = ReadImageHeader(bytes, name);
    ASSERT_TRUE(header.ok()) << header.status().ToString();
    EXPECT_EQ(header->width, 20000);
    EXPECT_EQ(header->height, 20000);
    EXPECT_THAT(CheckImagePixels(bytes, name).message(), HasSubstr(name + expect));

    const uint64_t decodes = ImageDecodeCount();
    auto img = DecodeImage(bytes, name);
    ASSERT_FALSE(img.ok()) << name;
    EXPECT_EQ(img.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(img.status().message(), HasSubstr(name + expect));
    const fs::path p = WriteFile(dir_, name, bytes);
    auto read = ReadImage(p);
    ASSERT_FALSE(read.ok()) << name;
    EXPECT_THAT(read.status().message(), HasSubstr(p.string() + expect));
    EXPECT_EQ(ImageDecodeCount(), decodes) << name << " reached the decoder";
  }
}

TEST_F(ImageIoTest, HeadersGiveFormatAndSizeOfRealImages) {
  const cv::Mat picture = TestPicture();
  for (const auto& [ext, format] : {std::pair<std::string, std::string>{".jpg", "JPEG"},
                                    {".png", "PNG"},
                                    {".bmp", "BMP"},
                                    {".webp", "WebP"},
                                    {".ppm", "PNM"}}) {
    const std::string bytes = Encode(picture, ext);
    auto h = ReadImageHeader(bytes, "x" + ext);
    ASSERT_TRUE(h.ok()) << ext << ": " << h.status().ToString();
    EXPECT_EQ(h->format, format);
    EXPECT_EQ(h->width, 200);
    EXPECT_EQ(h->height, 150);
    const uint64_t decodes = ImageDecodeCount();
    auto img = DecodeImage(bytes, "x" + ext);
    ASSERT_TRUE(img.ok()) << ext << ": " << img.status().ToString();
    EXPECT_EQ(img->size(), picture.size());
    EXPECT_EQ(ImageDecodeCount(), decodes + 1);
  }
}

// The limit is configurable; an image exactly at it passes, one pixel more does not.
TEST_F(ImageIoTest, PixelLimitIsConfigurable) {
  const std::string png = Encode(TestPicture(), ".png");  // 200x150 = 30000 pixels
  SetMaxImagePixels(30000);
  EXPECT_TRUE(DecodeImage(png, "at.png").ok());
  SetMaxImagePixels(29999);
  auto img = DecodeImage(png, "over.png");
  SetMaxImagePixels(kDefaultMaxImagePixels);
  ASSERT_FALSE(img.ok());
  EXPECT_THAT(img.status().message(),
              HasSubstr("over.png: image of 200x150 pixels (0.0 megapixels) is above the limit"));
}

// Formats whose size cannot be read from the header are not decoded unchecked.
TEST_F(ImageIoTest, FormatsWithoutAHeaderCheckAreRefused) {
  const std::string tiff = Encode(TestPicture(), ".tiff");
  const uint64_t decodes = ImageDecodeCount();
  auto img = DecodeImage(tiff, "scan.tiff");
  ASSERT_FALSE(img.ok());
  EXPECT_THAT(img.status().message(), HasSubstr("scan.tiff: not an image (unrecognised format"));
  EXPECT_EQ(ImageDecodeCount(), decodes);
  EXPECT_TRUE(CheckImagePixels(tiff, "scan.tiff").ok()) << "unreadable headers are DecodeImage's to report";
}

TEST(ImageIoRealData, ReadsLfwJpeg) {
  LFR_REQUIRE_DATA(lfw, "lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg");
  auto img = ReadImage(lfw);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->size(), cv::Size(250, 250));
  EXPECT_EQ(img->type(), CV_8UC3);
}

}  // namespace
}  // namespace lfr
