// Detector::DetectWithWorking: a downscaled copy made elsewhere (the video decoder) is used
// only when it has exactly the detector's working size; faces stay in the frame's pixels.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "testing/shared.h"
#include "vision/detector.h"

namespace lfr {
namespace {

TEST(DetectWithWorking, YuNetUsesAMatchingCopyAndIgnoresAnyOther) {
  LFR_REQUIRE_MODEL(model, "yunet-2022mar");
  LFR_REQUIRE_DATA(clip, "video/opera-house-walkers/video.mp4");
  cv::VideoCapture cap(clip.string(), cv::CAP_FFMPEG);
  cv::Mat frame;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(cap.read(frame));
  DetectorOptions o;
  o.working_long_side = 480;
  auto det = CreateDetector(model, o);
  ASSERT_TRUE(det.ok());
  EXPECT_TRUE((*det)->UsesWorkingCopy());
  std::vector<Face> plain, given, wrong;
  ASSERT_TRUE((*det)->Detect(frame, &plain).ok());
  ASSERT_FALSE(plain.empty());
  // The same pixels the detector would make itself: the same faces.
  cv::Mat working;
  cv::resize(frame, working, {480, 270}, 0, 0, cv::INTER_AREA);
  ASSERT_TRUE((*det)->DetectWithWorking(frame, working, &given).ok());
  ASSERT_EQ(given.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(given[i].box, plain[i].box);
    EXPECT_EQ(given[i].score, plain[i].score);
  }
  // A copy of the wrong size (or a blank one) is ignored, not trusted.
  cv::Mat other(300, 400, CV_8UC3, cv::Scalar(0, 0, 0));
  ASSERT_TRUE((*det)->DetectWithWorking(frame, other, &wrong).ok());
  EXPECT_EQ(wrong.size(), plain.size());
  // The copy is really used: a copy of a later frame (the walkers have moved) gives
  // other boxes.
  cv::Mat later, later_working;
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(cap.read(later));
  cv::resize(later, later_working, {480, 270}, 0, 0, cv::INTER_AREA);
  ASSERT_TRUE((*det)->DetectWithWorking(frame, later_working, &wrong).ok());
  ASSERT_FALSE(wrong.empty());
  EXPECT_NE(wrong[0].box, plain[0].box);
}

}  // namespace
}  // namespace lfr
