// Live probes whose landmarks cannot belong to one face are not searched: a clip of a
// person lying sideways (a FairFace photo on which YuNet collapses the landmarks, eyes ~20 px
// apart in a ~190 px box) runs through the live pipeline; its face is detected but counted
// as gated (detected, not passed) and never embedded or searched. With the geometry check
// alone turned off (every other gate as lenient in both runs) the same face is embedded and
// searched, so the check is what keeps it out.
#include <gtest/gtest.h>
#include <opencv2/videoio.hpp>

#include "match/watchlist.h"
#include "pipeline/pipeline.h"
#include "testing/shared.h"
#include "vision/image_io.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;

class NullSink : public AlertSink {
 public:
  Status Emit(const Alert&, const cv::Mat&, const cv::Mat&) override {
    ++alerts;
    return Status::Ok();
  }
  int alerts = 0;
};

// `frames` copies of the image as an MJPG clip.
fs::path StillClip(const cv::Mat& image, int frames) {
  const fs::path p = lfr::testing::TempDir("landmark-gate-live") / "still.avi";
  cv::VideoWriter w(p.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25.0, image.size());
  EXPECT_TRUE(w.isOpened()) << "cannot write test video " << p;
  for (int i = 0; i < frames; ++i) w.write(image);
  return p;
}

TEST(LandmarkGateLive, ASidewaysFaceWithCollapsedLandmarksIsGatedNotSearched) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  LFR_REQUIRE_DATA(ff, "fairface-dev/images");
  LFR_REQUIRE_DATA(stills, "video/hamilton/watchlist_stills");
  auto image = ReadImage(ff / "13364.jpg");
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  const fs::path clip = StillClip(*image, 12);
  // A real watchlist, so that anything passing the gate is embedded and searched.
  auto d = CreateDetector(det);
  auto e = Embedder::Create(rec);
  ASSERT_TRUE(d.ok() && e.ok());
  FaceAnalyzer analyzer(std::move(d).value(), std::move(e).value());
  auto list = ListWatchlistDir(stills);
  ASSERT_TRUE(list.ok());
  Watchlist wl;
  ASSERT_TRUE(EnrolImages(*list, analyzer, {}, &wl).ok());
  ASSERT_EQ(wl.subjects(), 2);

  auto run = [&](float min_eye_to_box) {
    PipelineOptions o;
    o.camera.realtime = false;
    o.detect_every = 1;
    o.skip_quiet = false;
    o.adaptive_detect = false;
    // Every other gate lenient, so the two runs differ in the geometry check only.
    o.quality.max_abs_roll_deg = 180;
    o.quality.max_abs_yaw_deg = 90;
    o.quality.min_sharpness = 0;
    o.quality.min_eye_to_box = min_eye_to_box;
    NullSink sink;
    auto p = Pipeline::Create({{"cam1", clip.string()}}, det, rec, &wl, &sink, o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return CameraSummary{};
    EXPECT_TRUE((*p)->Run().ok());
    return (*p)->Summaries()[0];
  };
  const CameraSummary gated = run(QualityOptions{}.min_eye_to_box);
  EXPECT_GT(gated.faces_detected, 0);
  EXPECT_EQ(gated.faces_passed_quality, 0) << "counted as gated: detected, not passed";
  EXPECT_EQ(gated.embeddings, 0) << "never embedded, so never searched";
  EXPECT_EQ(gated.alerts, 0);
  const CameraSummary open = run(0.0f);
  EXPECT_EQ(open.faces_detected, gated.faces_detected);
  EXPECT_GT(open.faces_passed_quality, 0);
  EXPECT_GT(open.embeddings, 0) << "without the geometry check the collapsed face is searched";
}

}  // namespace
}  // namespace lfr
