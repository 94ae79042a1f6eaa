#include "vision/quality.h"

#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "vision/align.h"

namespace lfr {
namespace {

// Landmarks of the ArcFace template scaled by `scale`, rotated by roll_deg about the
// face centre and placed at (cx, cy).
Face TemplateFace(float scale, float roll_deg = 0.0f, float cx = 320, float cy = 240,
                  float score = 0.95f) {
  Face f;
  const double a = roll_deg * std::numbers::pi / 180.0;
  const double c = std::cos(a), s = std::sin(a);
  const auto& t = ArcFaceTemplate112();
  for (int i = 0; i < kNumLandmarks; ++i) {
    const double x = (t[i][0] - 56.0) * scale, y = (t[i][1] - 56.0) * scale;
    f.landmarks[i] = cv::Point2f(static_cast<float>(cx + c * x - s * y),
                                 static_cast<float>(cy + s * x + c * y));
  }
  f.box = cv::Rect2f(cx - 56 * scale, cy - 56 * scale, 112 * scale, 112 * scale);
  f.score = score;
  return f;
}

// Landmarks from a 3D face (x right, y down, z towards the camera) turned by yaw_deg
// (positive: the subject turns to their left, nose moving image-right), projected
// orthographically. The geometry differs from the one the estimator assumes (deeper
// nose, mouth corners set back), so this checks the approximation, not an identity.
Face YawedFace(double yaw_deg, float half_eye = 30.0f) {
  const double a = yaw_deg * std::numbers::pi / 180.0;
  struct P { double x, y, z; };
  const P pts[kNumLandmarks] = {{-1.0, 0.0, 0.0},    {1.0, 0.0, 0.0},    {0.0, 0.65, 0.7},
                                {-0.8, 1.25, -0.15}, {0.8, 1.25, -0.15}};
  Face f;
  for (int i = 0; i < kNumLandmarks; ++i) {
    const double x = pts[i].x * std::cos(a) + pts[i].z * std::sin(a);
    f.landmarks[i] = cv::Point2f(static_cast<float>(320 + half_eye * x),
                                 static_cast<float>(240 + half_eye * pts[i].y));
  }
  f.score = 0.9f;
  return f;
}

// A sharp synthetic "face" crop: shapes with hard edges plus fine texture.
cv::Mat SharpCrop() {
  cv::Mat img(112, 112, CV_8UC3, cv::Scalar(90, 110, 150));
  cv::ellipse(img, {56, 60}, {40, 52}, 0, 0, 360, cv::Scalar(120, 150, 200), cv::FILLED);
  cv::circle(img, {38, 52}, 6, cv::Scalar(30, 30, 30), cv::FILLED);
  cv::circle(img, {74, 52}, 6, cv::Scalar(30, 30, 30), cv::FILLED);
  cv::line(img, {56, 55}, {52, 75}, cv::Scalar(80, 100, 140), 2);
  cv::line(img, {42, 92}, {70, 92}, cv::Scalar(60, 60, 160), 3);
  cv::Mat noise(img.size(), CV_8UC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(8));
  cv::Mat out;
  cv::add(img, noise, out, cv::noArray(), CV_8UC3);
  return out;
}

bool HasReasonStartingWith(const QualityReport& r, const std::string& prefix) {
  for (const auto& s : r.reasons) {
    if (s.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::string Reasons(const QualityReport& r) {
  std::string all;
  for (const auto& s : r.reasons) all += "[" + s + "] ";
  return all;
}

TEST(QualityTest, FrontalSharpFacePasses) {
  const Face f = TemplateFace(2.0f);
  const QualityReport r = AssessQuality(f, SharpCrop());
  EXPECT_TRUE(r.passed) << Reasons(r);
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_NEAR(r.inter_eye_px, 2.0f * (73.5318f - 38.2946f), 0.1f);
  EXPECT_NEAR(r.roll_deg, 0.0f, 1.0f);
  EXPECT_NEAR(r.yaw_deg, 0.0f, 3.0f);
  EXPECT_NEAR(r.pitch_ratio, 0.5f, 0.05f);  // nose halfway from eye line to mouth
  EXPECT_GT(r.sharpness, 20.0f);
  EXPECT_FLOAT_EQ(r.detector_score, 0.95f);
  EXPECT_GT(r.score, 0.8f);
  EXPECT_LE(r.score, 1.0f);
}

TEST(QualityTest, SmallFaceIsRejectedForEyeDistanceOnly) {
  const Face f = TemplateFace(0.25f);  // eyes ~8.8 px apart
  const QualityReport r = AssessQuality(f, cv::Mat());
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.reasons.size(), 1u) << Reasons(r);
  EXPECT_EQ(r.reasons[0], "eyes 8.8 px apart (< 16)");
  EXPECT_EQ(r.sharpness, 0.0f);  // no crop: not assessed, not a reason
  EXPECT_LT(r.score, AssessQuality(TemplateFace(2.0f), cv::Mat()).score);
}

TEST(QualityTest, LowDetectorScoreIsRejectedForScoreOnly) {
  const Face f = TemplateFace(2.0f, 0.0f, 320, 240, 0.41f);
  const QualityReport r = AssessQuality(f, SharpCrop());
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.reasons.size(), 1u) << Reasons(r);
  EXPECT_EQ(r.reasons[0], "low detector score 0.41 (< 0.60)");
}

TEST(QualityTest, RolledFaceIsRejectedForRollOnly) {
  const QualityReport r = AssessQuality(TemplateFace(2.0f, 40.0f), SharpCrop());
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.reasons.size(), 1u) << Reasons(r);
  EXPECT_EQ(r.reasons[0], "tilted: roll 40\u00b0 (> 35\u00b0)");
  EXPECT_NEAR(r.roll_deg, 40.0f, 0.5f);
  EXPECT_NEAR(r.yaw_deg, 0.0f, 3.0f);  // roll is removed before judging yaw
  EXPECT_NEAR(r.pitch_ratio, 0.5f, 0.05f);
  // The other direction is measured with the opposite sign and also rejected.
  const QualityReport l = AssessQuality(TemplateFace(2.0f, -40.0f), SharpCrop());
  EXPECT_NEAR(l.roll_deg, -40.0f, 0.5f);
  EXPECT_TRUE(HasReasonStartingWith(l, "tilted: roll 40"));
  // 20 degrees of roll is fine: alignment removes it.
  EXPECT_TRUE(AssessQuality(TemplateFace(2.0f, 20.0f), SharpCrop()).passed);
}

TEST(QualityTest, YawIsEstimatedWithSignAndGatesTurnedFaces) {
  for (double truth : {-60.0, -30.0, -10.0, 0.0, 10.0, 30.0, 60.0}) {
    const QualityReport r = AssessQuality(YawedFace(truth), cv::Mat());
    EXPECT_NEAR(r.yaw_deg, truth, 10.0) << "true yaw " << truth;
  }
  const QualityReport turned = AssessQuality(YawedFace(72.0), SharpCrop());
  EXPECT_FALSE(turned.passed);
  ASSERT_EQ(turned.reasons.size(), 1u) << Reasons(turned);
  EXPECT_TRUE(HasReasonStartingWith(turned, "turned: yaw ")) << Reasons(turned);
  EXPECT_NE(turned.reasons[0].find("(> 60\u00b0)"), std::string::npos);
  EXPECT_GT(turned.yaw_deg, 0.0f);  // nose image-right: turned to the subject's left

  const QualityReport other = AssessQuality(YawedFace(-72.0), SharpCrop());
  EXPECT_LT(other.yaw_deg, 0.0f);
  EXPECT_TRUE(HasReasonStartingWith(other, "turned: yaw ")) << Reasons(other);

  // A three-quarter view (50 degrees) passes: such faces are recognised as well as frontal
  // ones (docs/ACCURACY.md, "Quality bands"); the gate of 45 degrees refused them.
  EXPECT_TRUE(AssessQuality(YawedFace(50.0), SharpCrop()).passed) << Reasons(AssessQuality(YawedFace(50.0), SharpCrop()));
  QualityOptions old;
  old.max_abs_yaw_deg = 45.0f;
  EXPECT_FALSE(AssessQuality(YawedFace(50.0), SharpCrop(), old).passed);

  EXPECT_TRUE(AssessQuality(YawedFace(20.0), SharpCrop()).passed);
  EXPECT_GT(AssessQuality(YawedFace(20.0), SharpCrop()).score,
            AssessQuality(YawedFace(60.0), SharpCrop()).score);
}

TEST(QualityTest, BlurredCropIsRejectedForSharpnessOnly) {
  const Face f = TemplateFace(2.0f);
  const cv::Mat sharp = SharpCrop();
  cv::Mat blurred;
  cv::GaussianBlur(sharp, blurred, cv::Size(0, 0), 3.0);

  const QualityReport s = AssessQuality(f, sharp);
  const QualityReport b = AssessQuality(f, blurred);
  EXPECT_TRUE(s.passed) << Reasons(s);
  EXPECT_FALSE(b.passed);
  ASSERT_EQ(b.reasons.size(), 1u) << Reasons(b);
  EXPECT_TRUE(HasReasonStartingWith(b, "blurred: sharpness ")) << Reasons(b);
  EXPECT_NE(b.reasons[0].find("(< 20)"), std::string::npos) << b.reasons[0];
  EXPECT_LT(b.sharpness, 20.0f);
  EXPECT_GT(s.sharpness, 5 * b.sharpness);
  EXPECT_LT(b.score, s.score);
  // A flat grey crop has no detail at all.
  EXPECT_NEAR(AssessQuality(f, cv::Mat(112, 112, CV_8UC3, cv::Scalar::all(128))).sharpness,
              0.0f, 1e-3f);
}

TEST(QualityTest, MinScoreOptionAddsItsOwnReason) {
  QualityOptions opt;
  opt.min_score = 0.99f;
  const QualityReport r = AssessQuality(TemplateFace(2.0f, 0, 320, 240, 0.8f), SharpCrop(), opt);
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.reasons.size(), 1u) << Reasons(r);
  EXPECT_TRUE(HasReasonStartingWith(r, "low quality score")) << Reasons(r);
}

TEST(QualityTest, SeveralProblemsAreAllReported) {
  const Face f = TemplateFace(0.3f, 50.0f, 100, 100, 0.3f);
  const QualityReport r = AssessQuality(f, cv::Mat());
  EXPECT_FALSE(r.passed);
  EXPECT_TRUE(HasReasonStartingWith(r, "eyes "));
  EXPECT_TRUE(HasReasonStartingWith(r, "tilted: "));
  EXPECT_TRUE(HasReasonStartingWith(r, "low detector score"));
  EXPECT_FALSE(HasReasonStartingWith(r, "turned: "));
  EXPECT_FALSE(HasReasonStartingWith(r, "blurred: "));
  EXPECT_GE(r.score, 0.0f);
}

}  // namespace
}  // namespace lfr

namespace lfr {
namespace {

TEST(MarginalNotes, NameEachMeasureNearItsLimitAndNothingForAComfortableOrFailedFace) {
  QualityReport q;
  q.passed = true;
  q.inter_eye_px = 60;
  q.sharpness = 200;
  q.yaw_deg = 10;
  q.roll_deg = 3;
  q.detector_score = 0.95f;
  EXPECT_TRUE(MarginalNotes(q).empty());

  QualityReport m = q;
  m.inter_eye_px = 20;   // passes 16, under 32
  m.yaw_deg = -52;       // passes 60, beyond 45
  m.detector_score = 0.7f;
  const std::vector<std::string> notes = MarginalNotes(m);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_NE(notes[0].find("eyes 20.0 px apart"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("yaw 52"), std::string::npos) << notes[1];
  EXPECT_NE(notes[1].find("limit 60"), std::string::npos) << notes[1];
  EXPECT_NE(notes[2].find("0.70"), std::string::npos) << notes[2];

  QualityReport t = q;
  t.roll_deg = 25;
  t.sharpness = 30;  // passes 20, under 40
  EXPECT_EQ(MarginalNotes(t).size(), 2u);

  QualityReport failed = m;
  failed.passed = false;
  EXPECT_TRUE(MarginalNotes(failed).empty());
}

}  // namespace
}  // namespace lfr
