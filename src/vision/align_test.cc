#include "vision/align.h"

#include <cmath>
#include <numbers>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace lfr {
namespace {

std::vector<cv::Point2f> TemplatePoints() {
  std::vector<cv::Point2f> pts;
  for (const auto& p : ArcFaceTemplate112()) pts.emplace_back(p[0], p[1]);
  return pts;
}

// [s cos a, -s sin a, tx; s sin a, s cos a, ty]
cv::Matx23d MakeSimilarity(double scale, double angle_deg, double tx, double ty) {
  const double a = angle_deg * std::numbers::pi / 180.0;
  const double c = scale * std::cos(a), s = scale * std::sin(a);
  return cv::Matx23d(c, -s, tx, s, c, ty);
}

std::vector<cv::Point2f> Apply(const cv::Matx23d& m, const std::vector<cv::Point2f>& pts) {
  std::vector<cv::Point2f> out;
  for (const auto& p : pts) {
    out.emplace_back(static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)),
                     static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)));
  }
  return out;
}

double Residual(const cv::Matx23d& m, const std::vector<cv::Point2f>& src,
                const std::vector<cv::Point2f>& dst) {
  double sum = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    const double x = m(0, 0) * src[i].x + m(0, 1) * src[i].y + m(0, 2) - dst[i].x;
    const double y = m(1, 0) * src[i].x + m(1, 1) * src[i].y + m(1, 2) - dst[i].y;
    sum += x * x + y * y;
  }
  return sum;
}

cv::Matx23d ToMatx(const cv::Mat& m) {
  EXPECT_EQ(m.type(), CV_64F);
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.cols, 3);
  return cv::Matx23d(m);
}

TEST(AlignTest, TemplateHasFivePointsInLandmarkOrder) {
  const auto& t = ArcFaceTemplate112();
  ASSERT_EQ(t.size(), static_cast<size_t>(kNumLandmarks));
  EXPECT_LT(t[kRightEye][0], t[kLeftEye][0]);      // image-left eye first
  EXPECT_LT(t[kRightMouth][0], t[kLeftMouth][0]);
  EXPECT_GT(t[kNose][1], t[kRightEye][1]);          // nose below eyes, mouth below nose
  EXPECT_GT(t[kRightMouth][1], t[kNose][1]);
}

TEST(AlignTest, RecoversKnownSimilarityExactly) {
  const auto src = TemplatePoints();
  const struct { double s, a, tx, ty; } cases[] = {
      {1.0, 0.0, 0.0, 0.0}, {2.3, 27.0, 140.0, -35.0}, {0.41, -150.0, 3.5, 900.25},
      {5.0, 90.0, -20.0, 12.0}, {1.7, 179.0, 640.0, 360.0}};
  for (const auto& c : cases) {
    const cv::Matx23d truth = MakeSimilarity(c.s, c.a, c.tx, c.ty);
    const cv::Matx23d est = ToMatx(EstimateSimilarity(src, Apply(truth, src)));
    for (int r = 0; r < 2; ++r) {
      for (int k = 0; k < 3; ++k) {
        // Points are float: allow float rounding of coordinates up to ~1000.
        EXPECT_NEAR(est(r, k), truth(r, k), k == 2 ? 2e-3 : 2e-5)
            << "scale " << c.s << " angle " << c.a << " at (" << r << "," << k << ")";
      }
    }
  }
}

TEST(AlignTest, NoisyInputGivesTheLeastSquaresSolution) {
  std::mt19937 rng(12345);
  std::normal_distribution<float> noise(0.0f, 1.5f);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const auto tmpl = TemplatePoints();
  for (int trial = 0; trial < 20; ++trial) {
    // Detected landmarks in a frame (noisy), mapped onto the template as AlignFace does.
    const cv::Matx23d to_image =
        MakeSimilarity(1.5 + unit(rng), 40.0 * unit(rng), 300 + 50 * unit(rng), 200);
    auto src = Apply(to_image, tmpl);
    for (auto& p : src) p += cv::Point2f(noise(rng), noise(rng));
    const cv::Matx23d est = ToMatx(EstimateSimilarity(src, tmpl));
    const double best = Residual(est, src, tmpl);
    EXPECT_GT(best, 0.0);  // the noise makes an exact fit impossible

    // Every similarity nearby (a = s cos, b = s sin, tx, ty perturbed) fits worse.
    for (int k = 0; k < 200; ++k) {
      const double step = k < 100 ? 1e-3 : 1e-1;
      const double da = step * unit(rng) * 0.01, db = step * unit(rng) * 0.01;
      const double dtx = step * unit(rng), dty = step * unit(rng);
      const cv::Matx23d p(est(0, 0) + da, est(0, 1) - db, est(0, 2) + dtx,
                          est(1, 0) + db, est(1, 1) + da, est(1, 2) + dty);
      EXPECT_GE(Residual(p, src, tmpl), best * (1 - 1e-9)) << "trial " << trial;
    }
  }
}

TEST(AlignTest, NeverReturnsAReflection) {
  // A mirrored point set: the best similarity is still a proper rotation (det > 0).
  const auto src = TemplatePoints();
  std::vector<cv::Point2f> mirrored;
  for (const auto& p : src) mirrored.emplace_back(112.0f - p.x, p.y);
  const cv::Matx23d est = ToMatx(EstimateSimilarity(src, mirrored));
  const double det = est(0, 0) * est(1, 1) - est(0, 1) * est(1, 0);
  EXPECT_GT(det, 0.0);
  EXPECT_NEAR(est(0, 0), est(1, 1), 1e-9);   // similarity structure [a -b; b a]
  EXPECT_NEAR(est(0, 1), -est(1, 0), 1e-9);
}

TEST(AlignTest, DegenerateInputGivesIdentity) {
  const cv::Matx23d identity(1, 0, 0, 0, 1, 0);
  const std::vector<cv::Point2f> same(5, cv::Point2f(10.0f, 20.0f));
  const auto tmpl = TemplatePoints();
  const cv::Matx23d est = ToMatx(EstimateSimilarity(same, tmpl));
  for (int r = 0; r < 2; ++r) {
    for (int k = 0; k < 3; ++k) EXPECT_EQ(est(r, k), identity(r, k));
  }
  const std::vector<cv::Point2f> one = {cv::Point2f(1, 2)};
  EXPECT_EQ(cv::norm(EstimateSimilarity(one, one), cv::Mat(identity), cv::NORM_INF), 0.0);
}

// Renders a Gaussian dot (sigma in pixels) centred at p (pixel centres at integers).
void DrawDot(cv::Mat* img, cv::Point2f p, float sigma) {
  for (int y = 0; y < img->rows; ++y) {
    for (int x = 0; x < img->cols; ++x) {
      const float d2 = (x - p.x) * (x - p.x) + (y - p.y) * (y - p.y);
      const float v = 255.0f * std::exp(-d2 / (2 * sigma * sigma));
      if (v >= 1.0f) img->at<cv::Vec3b>(y, x) = cv::Vec3b::all(cv::saturate_cast<uchar>(v));
    }
  }
}

cv::Point2d Centroid(const cv::Mat& bgr) {
  double sx = 0, sy = 0, sw = 0;
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      const double w = bgr.at<cv::Vec3b>(y, x)[1];
      sx += w * x;
      sy += w * y;
      sw += w;
    }
  }
  return sw > 0 ? cv::Point2d(sx / sw, sy / sw) : cv::Point2d(-1, -1);
}

TEST(AlignTest, AlignFaceMapsLandmarksOntoTheTemplate) {
  const auto& tmpl = ArcFaceTemplate112();
  // A face 2.2x the template size, rotated 18 degrees, somewhere in a 480x400 frame.
  const cv::Matx23d to_image = MakeSimilarity(2.2, 18.0, 180.0, 60.0);
  const auto landmarks = Apply(to_image, TemplatePoints());
  Face face;
  for (int i = 0; i < kNumLandmarks; ++i) face.landmarks[i] = landmarks[i];
  face.score = 0.9f;

  cv::Mat aligned;
  for (int i = 0; i < kNumLandmarks; ++i) {
    cv::Mat frame(400, 480, CV_8UC3, cv::Scalar::all(0));
    DrawDot(&frame, landmarks[i], 3.0f);
    AlignFace(frame, face, tmpl, cv::Size(112, 112), &aligned);
    ASSERT_EQ(aligned.size(), cv::Size(112, 112));
    ASSERT_EQ(aligned.type(), CV_8UC3);
    const cv::Point2d c = Centroid(aligned);
    EXPECT_NEAR(c.x, tmpl[i][0], 1.0) << "landmark " << i;
    EXPECT_NEAR(c.y, tmpl[i][1], 1.0) << "landmark " << i;
  }
}

TEST(AlignTest, AlignFaceReusesTheOutputBuffer) {
  cv::Mat frame(200, 200, CV_8UC3, cv::Scalar(10, 20, 30));
  Face face;
  const auto pts = Apply(MakeSimilarity(1.2, 0, 30, 20), TemplatePoints());
  for (int i = 0; i < kNumLandmarks; ++i) face.landmarks[i] = pts[i];
  cv::Mat out(112, 112, CV_8UC3, cv::Scalar::all(255));
  const uchar* before = out.data;
  AlignFace(frame, face, ArcFaceTemplate112(), cv::Size(112, 112), &out);
  EXPECT_EQ(out.data, before);
  // The crop lies inside the frame: every pixel is the frame's colour.
  EXPECT_EQ(out.at<cv::Vec3b>(56, 56), cv::Vec3b(10, 20, 30));

  // Outside the image the border is black.
  Face off = face;
  for (auto& p : off.landmarks) p += cv::Point2f(-150.0f, 0.0f);
  AlignFace(frame, off, ArcFaceTemplate112(), cv::Size(112, 112), &out);
  EXPECT_EQ(out.at<cv::Vec3b>(56, 5), cv::Vec3b(0, 0, 0));
}

}  // namespace
}  // namespace lfr
