// Landmark-geometry part of the quality gate: five points that cannot belong to one face
// (collapsed or folded eyes/nose/mouth, eyes far closer than the box implies) are refused
// with a reason, on synthetic landmark sets and on real shared images.
#include <algorithm>
#include <iostream>
#include <cmath>
#include <optional>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "testing/shared.h"
#include "vision/align.h"
#include "vision/detector.h"
#include "vision/image_io.h"
#include "vision/quality.h"

namespace lfr {
namespace {

// The ArcFace template scaled by `scale` around (cx, cy), with a square box of 112*scale.
Face Template(float scale, float cx = 320, float cy = 240) {
  Face f;
  const auto& t = ArcFaceTemplate112();
  for (int i = 0; i < kNumLandmarks; ++i) {
    f.landmarks[i] = cv::Point2f(cx + (t[i][0] - 56.0f) * scale, cy + (t[i][1] - 56.0f) * scale);
  }
  f.box = cv::Rect2f(cx - 56 * scale, cy - 56 * scale, 112 * scale, 112 * scale);
  f.score = 0.95f;
  return f;
}

std::string Reasons(const QualityReport& r) {
  std::string all;
  for (const auto& s : r.reasons) all += "[" + s + "] ";
  return all;
}

bool HasReason(const QualityReport& r, const std::string& fragment) {
  return std::any_of(r.reasons.begin(), r.reasons.end(),
                     [&](const std::string& s) { return s.find(fragment) != std::string::npos; });
}

TEST(QualityGeometryTest, FrontalTemplateIsPlausible) {
  for (float scale : {0.5f, 1.0f, 2.0f, 4.0f}) {
    const QualityReport r = AssessQuality(Template(scale), cv::Mat());
    EXPECT_TRUE(r.plausible_landmarks) << scale << ": " << Reasons(r);
    EXPECT_FALSE(HasReason(r, "implausible")) << Reasons(r);
  }
}

TEST(QualityGeometryTest, EyesCollapsedInABigBoxAreRefusedWithTheNumbers) {
  // The photo: eyes 22 px apart in a 142 px box, the rest of the face looking
  // frontal, so the yaw gate let it through.
  Face f = Template(142.0f / 112.0f);
  const cv::Point2f mid = (f.landmarks[kRightEye] + f.landmarks[kLeftEye]) * 0.5f;
  f.landmarks[kRightEye] = mid - cv::Point2f(11, 0);
  f.landmarks[kLeftEye] = mid + cv::Point2f(11, 0);
  const cv::Point2f mmid = (f.landmarks[kRightMouth] + f.landmarks[kLeftMouth]) * 0.5f;
  f.landmarks[kRightMouth] = mmid - cv::Point2f(9, 0);
  f.landmarks[kLeftMouth] = mmid + cv::Point2f(9, 0);
  const QualityReport r = AssessQuality(f, cv::Mat());
  EXPECT_LT(std::abs(r.yaw_deg), 45.0f);  // the yaw gate alone would pass it
  EXPECT_FALSE(r.passed);
  EXPECT_FALSE(r.plausible_landmarks);
  EXPECT_TRUE(HasReason(r, "implausible landmarks: eyes 22 px apart in a 142 px box")) << Reasons(r);
  // With the geometry check off only the old gates remain, and they pass it.
  QualityOptions off;
  off.min_eye_to_box = 0;
  EXPECT_TRUE(AssessQuality(f, cv::Mat(), off).passed);
}

TEST(QualityGeometryTest, ATurnedHeadMayHaveCloseEyesButNotAFrontalOne) {
  // Same box and eye distance (eyes at 0.16 of the box): implausible when the nose says
  // the face is frontal, plausible when the nose says it is turned ~60 degrees.
  Face frontal = Template(2.0f);
  Face turned = frontal;
  const float shrink = 0.45f;
  for (Face* f : {&frontal, &turned}) {
    const cv::Point2f c = (f->landmarks[kRightEye] + f->landmarks[kLeftEye]) * 0.5f;
    for (int i : {kRightEye, kLeftEye, kRightMouth, kLeftMouth}) {
      f->landmarks[i].x = c.x + (f->landmarks[i].x - c.x) * shrink;
    }
    f->landmarks[kNose].x = c.x;
  }
  // Nose well off the midline: tan(yaw) ~ offset / (0.6 * half eye distance).
  turned.landmarks[kNose].x += 0.5f * (turned.landmarks[kLeftEye].x - turned.landmarks[kRightEye].x) * 0.6f * 1.9f;
  const QualityReport rf = AssessQuality(frontal, cv::Mat());
  const QualityReport rt = AssessQuality(turned, cv::Mat());
  EXPECT_FALSE(rf.plausible_landmarks) << Reasons(rf);
  EXPECT_GT(std::abs(rt.yaw_deg), 55.0f);
  EXPECT_TRUE(rt.plausible_landmarks) << Reasons(rt);
  EXPECT_FALSE(HasReason(rt, "implausible")) << Reasons(rt);  // refused for yaw, if at all
}

TEST(QualityGeometryTest, FoldedConfigurationsAreRefusedAndSaySo) {
  {  // mouth above the eye line
    Face f = Template(2.0f);
    std::swap(f.landmarks[kRightEye], f.landmarks[kRightMouth]);
    std::swap(f.landmarks[kLeftEye], f.landmarks[kLeftMouth]);
    const QualityReport r = AssessQuality(f, cv::Mat(), QualityOptions{.max_abs_roll_deg = 360});
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(HasReason(r, "implausible landmarks: mouth above the eye line")) << Reasons(r);
  }
  {  // mouth corners swapped relative to the eyes
    Face f = Template(2.0f);
    std::swap(f.landmarks[kRightMouth], f.landmarks[kLeftMouth]);
    const QualityReport r = AssessQuality(f, cv::Mat());
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(HasReason(r, "mouth corners in the opposite order to the eyes")) << Reasons(r);
  }
  {  // nose below the mouth
    Face f = Template(2.0f);
    f.landmarks[kNose].y = f.landmarks[kRightMouth].y + 30;
    const QualityReport r = AssessQuality(f, cv::Mat());
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(HasReason(r, "nose outside the band between eyes and mouth")) << Reasons(r);
  }
  {  // mouth collapsed to a point
    Face f = Template(2.0f);
    f.landmarks[kRightMouth].x = f.landmarks[kLeftMouth].x - 2;
    const QualityReport r = AssessQuality(f, cv::Mat());
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(HasReason(r, "implausible landmarks: mouth 2 px wide")) << Reasons(r);
  }
  {  // every landmark squeezed into a corner of a big box (a mouth or background crop)
    Face f = Template(0.5f, 100, 100);
    f.box = cv::Rect2f(60, 60, 300, 300);
    const QualityReport r = AssessQuality(f, cv::Mat());
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(HasReason(r, "implausible landmarks: eyes to mouth")) << Reasons(r);
  }
  {  // a landmark far outside the box
    Face f = Template(2.0f);
    f.landmarks[kLeftMouth] += cv::Point2f(400, 0);
    const QualityReport r = AssessQuality(f, cv::Mat());
    EXPECT_TRUE(HasReason(r, "a landmark lies outside the face box")) << Reasons(r);
  }
  {  // both eyes on one point
    Face f = Template(2.0f);
    f.landmarks[kLeftEye] = f.landmarks[kRightEye];
    const QualityReport r = AssessQuality(f, cv::Mat());
    EXPECT_FALSE(r.passed);
    EXPECT_TRUE(HasReason(r, "both eyes at one point")) << Reasons(r);
  }
}

// Central face (nearest the image centre) found by YuNet in a shared image.
std::optional<Face> CentralFace(Detector& det, const cv::Mat& img) {
  std::vector<Face> faces;
  if (!det.Detect(img, &faces).ok() || faces.empty()) return std::nullopt;
  const cv::Point2f c(img.cols / 2.0f, img.rows / 2.0f);
  auto dist = [&](const Face& f) {
    const cv::Point2f d = (f.box.tl() + f.box.br()) * 0.5f - c;
    return d.dot(d);
  };
  return *std::min_element(faces.begin(), faces.end(),
                           [&](const Face& a, const Face& b) { return dist(a) < dist(b); });
}

std::optional<Face> CentralFace(Detector& det, const std::filesystem::path& path) {
  auto img = ReadImage(path);
  if (!img.ok()) return std::nullopt;
  return CentralFace(det, *img);
}

TEST(QualityGeometryTest, RealSidewaysFacesWithCollapsedLandmarksAreRefused) {
  LFR_REQUIRE_MODEL(yunet, "yunet-2022mar");
  LFR_REQUIRE_DATA(ff, "fairface-dev/images");
  auto det = CreateDetector(yunet);
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  // FairFace photos of people lying or leaning sideways: YuNet puts the eyes ~20 px apart
  // in a ~190 px box (measured when the gate was designed; see docs/ACCURACY.md).
  for (const char* name : {"13364.jpg", "33474.jpg", "23839.jpg"}) {
    auto f = CentralFace(**det, ff / name);
    ASSERT_TRUE(f.has_value()) << name;
    const QualityReport r = AssessQuality(*f, cv::Mat());
    EXPECT_FALSE(r.plausible_landmarks) << name << ": " << Reasons(r);
    EXPECT_TRUE(HasReason(r, "implausible landmarks: eyes ")) << name << ": " << Reasons(r);
  }
}

TEST(QualityGeometryTest, RealUprightFacesAreNotRefusedForGeometry) {
  LFR_REQUIRE_MODEL(yunet, "yunet-2022mar");
  LFR_REQUIRE_DATA(lfw, "lfw/images");
  auto det = CreateDetector(yunet);
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  // The first 120 LFW people in name order (their first image): every upright face the
  // pose gates accept must also pass the geometry check.
  std::vector<std::filesystem::path> people;
  for (const auto& e : std::filesystem::directory_iterator(lfw)) people.push_back(e.path());
  std::sort(people.begin(), people.end());
  people.resize(std::min<size_t>(people.size(), 120));
  int checked = 0;
  for (const auto& dir : people) {
    const auto img = dir / (dir.filename().string() + "_0001.jpg");
    auto f = CentralFace(**det, img);
    if (!f) continue;
    const QualityReport r = AssessQuality(*f, cv::Mat());
    if (std::abs(r.yaw_deg) > 45 || std::abs(r.roll_deg) > 35) continue;
    ++checked;
    EXPECT_TRUE(r.plausible_landmarks) << img << ": " << Reasons(r);
  }
  EXPECT_GE(checked, 100);
}

// The photo is a face lying sideways. The shared data has few such photos, so
// LFW faces are turned 90 degrees here. YuNet finds most of them; the pose gates refuse
// most of those, the landmark-geometry check refuses those whose landmarks collapse while
// the pose looks frontal, and the box-shape rule those whose landmarks YuNet placed as if
// the face were upright (a box wider than tall). What still passes is a few per cent of
// what is detected (measured when written: 12 of 375), and the hub check at enrolment is
// the next line of defence for those.
TEST(QualityGeometryTest, LfwFacesTurnedSidewaysAreRefused) {
  LFR_REQUIRE_MODEL(yunet, "yunet-2022mar");
  LFR_REQUIRE_DATA(lfw, "lfw/images");
  auto det = CreateDetector(yunet);
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  std::vector<std::filesystem::path> people;
  for (const auto& e : std::filesystem::directory_iterator(lfw)) people.push_back(e.path());
  std::sort(people.begin(), people.end());
  people.resize(std::min<size_t>(people.size(), 200));
  int detected = 0, passed = 0, geometry = 0, geometry_only = 0, box_only = 0;
  for (const auto& person : people) {
    const auto src = person / (person.filename().string() + "_0001.jpg");
    auto img = ReadImage(src);
    ASSERT_TRUE(img.ok()) << src;
    for (int rot : {cv::ROTATE_90_CLOCKWISE, cv::ROTATE_90_COUNTERCLOCKWISE}) {
      cv::Mat turned;
      cv::rotate(*img, turned, rot);
      auto f = CentralFace(**det, turned);
      if (!f) continue;
      ++detected;
      const QualityReport r = AssessQuality(*f, cv::Mat());
      passed += r.passed;
      if (!r.plausible_landmarks) {
        ++geometry;
        // Refused by the geometry check alone: the pose gates would have let it through.
        QualityOptions off;
        off.min_eye_to_box = 0;
        geometry_only += AssessQuality(*f, cv::Mat(), off).passed;
        // ... and by the box-shape rule alone: every other check would have.
        QualityOptions no_box;
        no_box.min_box_h_to_w = 0;
        box_only += AssessQuality(*f, cv::Mat(), no_box).passed;
      }
    }
  }
  std::cout << "[ sideways ] " << people.size() * 2 << " turned LFW faces: " << detected << " detected, " << passed
            << " passed, " << geometry << " refused for geometry, " << geometry_only
            << " of them by the geometry check alone, " << box_only << " by the box shape alone\n";
  EXPECT_GT(detected, 300);
  EXPECT_LE(passed * 20, detected) << "at most 5 % of the sideways faces found pass the gate";
  EXPECT_GT(geometry_only, 0) << "the issue's case: a sideways face whose pose looks frontal";
  EXPECT_GE(box_only, 20) << "landmarks placed as if upright: the box shape is what refuses them";
}

}  // namespace
}  // namespace lfr
