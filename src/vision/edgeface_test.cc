// EdgeFace-XS-q / XXS-q (derived ONNX, 512-d, batch fixed at 1) through the generic
// Embedder and the FaceAnalyzer: the card's dimension and batch limit are honoured, and
// the embeddings separate people on real LFW photos.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "testing/shared.h"
#include "vision/analyzer.h"
#include "vision/embedder.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;

cv::Mat RandomFace(int seed) {
  cv::RNG rng(seed);
  cv::Mat img(112, 112, CV_8UC3);
  rng.fill(img, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(256));
  cv::GaussianBlur(img, img, cv::Size(0, 0), 2.0);
  return img;
}

class EdgeFaceTest : public ::testing::TestWithParam<const char*> {};

TEST_P(EdgeFaceTest, Gives512dUnitEmbeddingsOneFacePerPass) {
  LFR_REQUIRE_MODEL(m, GetParam());
  auto e = Embedder::Create(m);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Embedder& emb = **e;
  EXPECT_EQ(emb.dim(), 512);
  EXPECT_EQ(emb.input_size(), cv::Size(112, 112));
  EXPECT_EQ(m.spec->card.max_batch, 1);

  // Several faces in one call: the card's batch limit of 1 splits them into single passes
  // (a batch of 2 fails inside OpenCV for this export), and each equals its own call.
  std::vector<cv::Mat> faces;
  for (int i = 0; i < 3; ++i) faces.push_back(RandomFace(10 + i));
  emb.max_batch = 16;
  cv::Mat batch;
  ASSERT_TRUE(emb.Embed(faces, &batch).ok());
  ASSERT_EQ(batch.rows, 3);
  ASSERT_EQ(batch.cols, 512);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(cv::norm(batch.row(i)), 1.0, 1e-5);
    cv::Mat single;
    ASSERT_TRUE(emb.Embed({faces[i]}, &single).ok());
    EXPECT_LT(cv::norm(batch.row(i), single, cv::NORM_INF), 1e-5) << i;
  }

  // Same as a plain OpenCV forward pass with the card's preprocessing.
  const ModelCard& card = m.spec->card;
  cv::dnn::Net ref = cv::dnn::readNetFromONNX(m.files[0].string());
  cv::Mat blob = cv::dnn::blobFromImage(faces[0], card.scale, cv::Size(112, 112),
                                        cv::Scalar(card.mean[0], card.mean[1], card.mean[2]),
                                        card.swap_rb, false);
  ref.setInput(blob);
  cv::Mat want = ref.forward().reshape(1, 1).clone();
  want /= cv::norm(want);
  EXPECT_LT(cv::norm(batch.row(0), want, cv::NORM_INF), 1e-4);

  // Flip averaging with one face per pass: face and mirror give the same result, and it
  // equals the normalised sum of the two single embeddings.
  cv::Mat mirror;
  cv::flip(faces[1], mirror, 1);
  cv::Mat a, b, plain, flipped;
  ASSERT_TRUE(emb.EmbedWithFlip(faces, &a).ok());
  ASSERT_TRUE(emb.EmbedWithFlip({mirror}, &b).ok());
  ASSERT_TRUE(emb.Embed({faces[1]}, &plain).ok());
  ASSERT_TRUE(emb.Embed({mirror}, &flipped).ok());
  ASSERT_EQ(a.cols, 512);
  EXPECT_LT(cv::norm(a.row(1), b, cv::NORM_INF), 1e-5);
  cv::Mat sum = plain + flipped;
  sum /= cv::norm(sum);
  EXPECT_LT(cv::norm(a.row(1), sum, cv::NORM_INF), 1e-5);
}

TEST_P(EdgeFaceTest, SeparatesPeopleOnRealPhotos) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, GetParam());
  LFR_REQUIRE_DATA(lfw, "lfw/images");
  auto d = CreateDetector(det);
  auto e = Embedder::Create(rec);
  ASSERT_TRUE(d.ok() && e.ok());
  FaceAnalyzer analyzer(std::move(d).value(), std::move(e).value());
  auto embed = [&](const std::string& person, int n) {
    char name[16];
    std::snprintf(name, sizeof name, "_%04d.jpg", n);
    cv::Mat img = cv::imread((lfw / person / (person + name)).string());
    EXPECT_FALSE(img.empty()) << person << n;
    std::vector<AnalyzedFace> faces;
    int central = -1;
    EXPECT_TRUE(analyzer.Analyze(img, {}, &faces, &central).ok());
    EXPECT_GE(central, 0) << person << n;
    return central >= 0 ? faces[central].embedding.clone() : cv::Mat();
  };
  const cv::Mat bush1 = embed("George_W_Bush", 1), bush2 = embed("George_W_Bush", 2);
  const cv::Mat powell = embed("Colin_Powell", 1), blair = embed("Tony_Blair", 1);
  ASSERT_EQ(bush1.cols, 512);
  const float same = CosineSimilarity(bush1.ptr<float>(), bush2.ptr<float>(), 512);
  const float diff1 = CosineSimilarity(bush1.ptr<float>(), powell.ptr<float>(), 512);
  const float diff2 = CosineSimilarity(bush1.ptr<float>(), blair.ptr<float>(), 512);
  const float thr = rec.spec->card.verify_threshold;
  EXPECT_GT(same, thr) << "same person";
  EXPECT_LT(diff1, thr) << "Bush vs Powell";
  EXPECT_LT(diff2, thr) << "Bush vs Blair";
}

INSTANTIATE_TEST_SUITE_P(Models, EdgeFaceTest, ::testing::Values("edgeface-xs-q", "edgeface-xxs-q"),
                         [](const auto& info) {
                           return std::string(info.param) == "edgeface-xs-q" ? "XS" : "XXS";
                         });

}  // namespace
}  // namespace lfr
