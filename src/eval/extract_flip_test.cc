// FaceExtractor (lfr eval) computes the flip average from the face-only pass plus one
// mirror pass: it must equal what the live path (FaceAnalyzer, EmbedWithFlip) gives, for
// a batching recogniser (MobileFaceNet) and a batch-1 one (EdgeFace-XS-q, 512-d).
#include <cmath>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "eval/extract.h"
#include "testing/shared.h"
#include "vision/analyzer.h"

namespace lfr::eval {
namespace {

class ExtractFlipTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ExtractFlipTest, FlipAndPlainEqualTheLivePath) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, GetParam());
  LFR_REQUIRE_DATA(lfw, "lfw/images");
  const std::vector<std::filesystem::path> paths = {lfw / "George_W_Bush" / "George_W_Bush_0001.jpg",
                                                    lfw / "Colin_Powell" / "Colin_Powell_0001.jpg"};
  auto ex = FaceExtractor::Create(det, rec, ExtractOptions{});
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  std::vector<ImageResult> r;
  ExtractStats st;
  ASSERT_TRUE((*ex)->Run(paths, "flip", &r, &st).ok());

  auto d = CreateDetector(det);
  auto e = Embedder::Create(rec);
  ASSERT_TRUE(d.ok() && e.ok());
  FaceAnalyzer analyzer(std::move(d).value(), std::move(e).value());
  for (size_t i = 0; i < paths.size(); ++i) {
    ASSERT_TRUE(r[i].found) << paths[i];
    ASSERT_EQ(r[i].flip.size(), static_cast<size_t>(rec.spec->card.embedding_size));
    cv::Mat img = cv::imread(paths[i].string());
    for (bool flip : {true, false}) {
      std::vector<AnalyzedFace> faces;
      int central = -1;
      AnalyzeOptions o;
      o.flip_average = flip;
      ASSERT_TRUE(analyzer.Analyze(img, o, &faces, &central).ok());
      ASSERT_GE(central, 0);
      const std::vector<float>& got = flip ? r[i].flip : r[i].plain;
      const float* want = faces[central].embedding.ptr<float>();
      double max_diff = 0;
      for (size_t k = 0; k < got.size(); ++k) max_diff = std::max(max_diff, std::abs(double(got[k]) - want[k]));
      EXPECT_LT(max_diff, 1e-4) << paths[i] << (flip ? " flip" : " plain");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ExtractFlipTest, ::testing::Values("mobilefacenet-arcface", "edgeface-xs-q"),
                         [](const auto& info) {
                           return std::string(info.param) == "edgeface-xs-q" ? "EdgeFaceXS" : "MobileFaceNet";
                         });

}  // namespace
}  // namespace lfr::eval
