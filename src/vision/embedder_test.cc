#include "vision/embedder.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "testing/shared.h"
#include "vision/align.h"

namespace lfr {
namespace {

// A face-sized test image: smooth random blobs plus texture, different per seed.
cv::Mat RandomFace(int seed, cv::Size size = {112, 112}) {
  cv::RNG rng(seed);
  cv::Mat img(size, CV_8UC3);
  rng.fill(img, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(256));
  cv::GaussianBlur(img, img, cv::Size(0, 0), 2.0);
  for (int i = 0; i < 6; ++i) {
    cv::circle(img, {rng.uniform(0, size.width), rng.uniform(0, size.height)},
               rng.uniform(5, 30),
               cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)),
               cv::FILLED);
  }
  return img;
}

double RowNorm(const cv::Mat& m, int r) { return cv::norm(m.row(r), cv::NORM_L2); }

// ---- CosineSimilarity (no model needed) ----

TEST(CosineSimilarityTest, BasicValues) {
  const float a[4] = {1, 0, 0, 0}, b[4] = {0, 1, 0, 0}, c[4] = {-1, 0, 0, 0};
  EXPECT_FLOAT_EQ(CosineSimilarity(a, a, 4), 1.0f);
  EXPECT_FLOAT_EQ(CosineSimilarity(a, b, 4), 0.0f);
  EXPECT_FLOAT_EQ(CosineSimilarity(a, c, 4), -1.0f);
  EXPECT_FLOAT_EQ(CosineSimilarity(a, c, 0), 0.0f);
}

TEST(CosineSimilarityTest, MatchesDoublePrecisionDotForAnyLength) {
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  for (int dim : {1, 7, 8, 13, 128, 512, 515}) {
    std::vector<float> a(dim), b(dim);
    double na = 0, nb = 0;
    for (int i = 0; i < dim; ++i) {
      a[i] = g(rng);
      b[i] = g(rng);
      na += double(a[i]) * a[i];
      nb += double(b[i]) * b[i];
    }
    for (int i = 0; i < dim; ++i) {
      a[i] = static_cast<float>(a[i] / std::sqrt(na));
      b[i] = static_cast<float>(b[i] / std::sqrt(nb));
    }
    double ref = 0;
    for (int i = 0; i < dim; ++i) ref += double(a[i]) * b[i];
    EXPECT_NEAR(CosineSimilarity(a.data(), b.data(), dim), ref, 1e-5) << "dim " << dim;
    EXPECT_NEAR(CosineSimilarity(a.data(), a.data(), dim), 1.0, 1e-5) << "dim " << dim;
  }
}

// ---- Create: argument checks that need no model file ----

TEST(EmbedderTest, RejectsANonRecogniserSpec) {
  ModelSpec spec;
  spec.id = "some-detector";
  spec.role = ModelRole::kDetector;
  spec.card.format = "yunet";
  InstalledModel m{&spec, {"/nonexistent/detector.onnx"}};
  auto e = Embedder::Create(m);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(e.status().message().find("some-detector"), std::string::npos)
      << e.status().message();
}

TEST(EmbedderTest, RejectsAnUnknownFormat) {
  ModelSpec spec;
  spec.id = "odd-recogniser";
  spec.role = ModelRole::kRecogniser;
  spec.card.format = "tflite";
  spec.card.input_width = spec.card.input_height = 112;
  spec.card.embedding_size = 128;
  InstalledModel m{&spec, {"/nonexistent/model.tflite"}};
  auto e = Embedder::Create(m);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(e.status().message().find("tflite"), std::string::npos);
}

TEST(EmbedderTest, UnreadableModelFileIsInternal) {
  ModelSpec spec;
  spec.id = "missing-onnx";
  spec.role = ModelRole::kRecogniser;
  spec.card.format = "onnx";
  spec.card.input_width = spec.card.input_height = 112;
  spec.card.embedding_size = 128;
  InstalledModel m{&spec, {"/nonexistent/model.onnx"}};
  auto e = Embedder::Create(m);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Status::Code::kInternal);
  EXPECT_NE(e.status().message().find("missing-onnx"), std::string::npos);
}

// ---- With the real MobileFaceNet ----

std::unique_ptr<Embedder> MakeEmbedder(const InstalledModel& m) {
  auto e = Embedder::Create(m);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(e).value() : nullptr;
}

TEST(EmbedderTest, MobileFaceNetGivesUnitNorm128d) {
  LFR_REQUIRE_MODEL(m, "mobilefacenet-arcface");
  auto e = MakeEmbedder(m);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->dim(), 128);
  EXPECT_EQ(e->input_size(), cv::Size(112, 112));
  EXPECT_EQ(e->spec().id, "mobilefacenet-arcface");
  ASSERT_EQ(e->alignment_template().size(), static_cast<size_t>(kNumLandmarks));

  cv::Mat out;
  ASSERT_TRUE(e->Embed({RandomFace(1)}, &out).ok());
  ASSERT_EQ(out.rows, 1);
  ASSERT_EQ(out.cols, 128);
  ASSERT_EQ(out.type(), CV_32F);
  EXPECT_NEAR(RowNorm(out, 0), 1.0, 1e-5);
  for (int i = 0; i < 128; ++i) ASSERT_TRUE(std::isfinite(out.at<float>(0, i)));

  // Different inputs give different embeddings (a broken conversion gives one for all).
  cv::Mat other;
  ASSERT_TRUE(e->Embed({RandomFace(2)}, &other).ok());
  EXPECT_LT(CosineSimilarity(out.ptr<float>(0), other.ptr<float>(0), 128), 0.99f);
}

TEST(EmbedderTest, MatchesAReferenceForwardPass) {
  // The same network run the plain OpenCV way (blobFromImage with the card's
  // preprocessing, forward to the card's output layer) must give the same embedding.
  LFR_REQUIRE_MODEL(m, "mobilefacenet-arcface");
  auto e = MakeEmbedder(m);
  ASSERT_NE(e, nullptr);
  const ModelCard& card = m.spec->card;
  cv::dnn::Net ref = cv::dnn::readNetFromCaffe(m.files[0].string(), m.files[1].string());
  for (int seed : {3, 4}) {
    const cv::Mat face = RandomFace(seed);
    cv::Mat blob = cv::dnn::blobFromImage(
        face, card.scale, cv::Size(card.input_width, card.input_height),
        cv::Scalar(card.mean[0], card.mean[1], card.mean[2]), card.swap_rb, false);
    ref.setInput(blob);
    cv::Mat want =
        (card.output_blob.empty() ? ref.forward() : ref.forward(card.output_blob))
            .reshape(1, 1)
            .clone();
    want /= cv::norm(want);
    cv::Mat got;
    ASSERT_TRUE(e->Embed({face}, &got).ok());
    EXPECT_LT(cv::norm(got, want, cv::NORM_INF), 1e-4) << "seed " << seed;
  }
}

TEST(EmbedderTest, BatchOfEightEqualsEightSingleCalls) {
  LFR_REQUIRE_MODEL(m, "mobilefacenet-arcface");
  auto e = MakeEmbedder(m);
  ASSERT_NE(e, nullptr);
  std::vector<cv::Mat> faces;
  for (int i = 0; i < 8; ++i) faces.push_back(RandomFace(100 + i));
  cv::Mat batch;
  ASSERT_TRUE(e->Embed(faces, &batch).ok());
  ASSERT_EQ(batch.rows, 8);
  for (int i = 0; i < 8; ++i) {
    cv::Mat single;
    ASSERT_TRUE(e->Embed({faces[i]}, &single).ok());
    EXPECT_LT(cv::norm(batch.row(i), single, cv::NORM_INF), 1e-4) << "face " << i;
    EXPECT_NEAR(RowNorm(batch, i), 1.0, 1e-5);
  }
  // Splitting into forward passes of at most 3 changes nothing.
  e->max_batch = 3;
  cv::Mat split;
  ASSERT_TRUE(e->Embed(faces, &split).ok());
  EXPECT_LT(cv::norm(batch, split, cv::NORM_INF), 1e-4);
}

TEST(EmbedderTest, FlipAverageIsMirrorInvariant) {
  LFR_REQUIRE_MODEL(m, "mobilefacenet-arcface");
  auto e = MakeEmbedder(m);
  ASSERT_NE(e, nullptr);
  std::vector<cv::Mat> faces, mirrors;
  for (int i = 0; i < 5; ++i) {
    faces.push_back(RandomFace(200 + i));
    cv::Mat f;
    cv::flip(faces.back(), f, 1);
    mirrors.push_back(f);
  }
  e->max_batch = 4;  // two faces (four images) per pass: exercises the chunking
  cv::Mat a, b, plain;
  ASSERT_TRUE(e->EmbedWithFlip(faces, &a).ok());
  ASSERT_TRUE(e->EmbedWithFlip(mirrors, &b).ok());
  ASSERT_TRUE(e->Embed(faces, &plain).ok());
  ASSERT_EQ(a.rows, 5);
  ASSERT_EQ(a.cols, 128);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(RowNorm(a, i), 1.0, 1e-5);
    EXPECT_LT(cv::norm(a.row(i), b.row(i), cv::NORM_INF), 1e-4) << "face " << i;
  }
  // Random images are not symmetric: the average differs from the plain embedding.
  EXPECT_GT(cv::norm(a, plain, cv::NORM_INF), 1e-3);

  // A left-right symmetric face is its own mirror: flip-averaging changes nothing.
  cv::Mat sym = RandomFace(300);
  cv::Mat left = sym(cv::Rect(0, 0, 56, 112)), right = sym(cv::Rect(56, 0, 56, 112));
  cv::flip(left, right, 1);
  cv::Mat s_flip, s_plain;
  ASSERT_TRUE(e->EmbedWithFlip({sym}, &s_flip).ok());
  ASSERT_TRUE(e->Embed({sym}, &s_plain).ok());
  EXPECT_LT(cv::norm(s_flip, s_plain, cv::NORM_INF), 1e-4);
}

TEST(EmbedderTest, WrongInputIsInvalidArgument) {
  LFR_REQUIRE_MODEL(m, "mobilefacenet-arcface");
  auto e = MakeEmbedder(m);
  ASSERT_NE(e, nullptr);
  cv::Mat out;
  Status s = e->Embed({RandomFace(1), RandomFace(2, {100, 112})}, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("face 1"), std::string::npos) << s.message();
  cv::Mat grey(112, 112, CV_8UC1, cv::Scalar(0));
  EXPECT_EQ(e->Embed({grey}, &out).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(e->EmbedWithFlip({grey}, &out).code(), Status::Code::kInvalidArgument);
  cv::Mat as_float(112, 112, CV_32FC3, cv::Scalar::all(0));
  EXPECT_EQ(e->Embed({as_float}, &out).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(e->Embed({cv::Mat()}, &out).code(), Status::Code::kInvalidArgument);
  // No faces is not an error: zero rows.
  ASSERT_TRUE(e->Embed({}, &out).ok());
  EXPECT_EQ(out.rows, 0);
}

TEST(EmbedderTest, NonContinuousCropsAreAccepted) {
  // ROIs of a larger frame (non-continuous rows) embed the same as their copies.
  LFR_REQUIRE_MODEL(m, "mobilefacenet-arcface");
  auto e = MakeEmbedder(m);
  ASSERT_NE(e, nullptr);
  cv::Mat frame = RandomFace(9, {300, 200});
  cv::Mat roi = frame(cv::Rect(50, 40, 112, 112));
  ASSERT_FALSE(roi.isContinuous());
  cv::Mat a, b;
  ASSERT_TRUE(e->Embed({roi}, &a).ok());
  ASSERT_TRUE(e->Embed({roi.clone()}, &b).ok());
  EXPECT_LT(cv::norm(a, b, cv::NORM_INF), 1e-6);
}

}  // namespace
}  // namespace lfr
