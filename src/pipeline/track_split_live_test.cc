// Tracks do not carry two people: a clip cuts from one LFW person's photo to another's at
// the same place (the boxes overlap almost entirely, so box and landmarks alone keep one
// track across the cut). Through the live pipeline with the stronger recogniser, the first
// re-embedding after the cut splits the track (track/tracker.h split_similarity): two
// tracks, each person's alerts on their own track. With splitting turned off the same clip
// gives one track, so the embedding check is what splits it.
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <opencv2/videoio.hpp>

#include "match/watchlist.h"
#include "pipeline/pipeline.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "vision/image_io.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;

class RecordingSink : public AlertSink {
 public:
  Status Emit(const Alert& a, const cv::Mat&, const cv::Mat&) override {
    tracks_of[a.subject].insert(a.track_id);
    return Status::Ok();
  }
  std::map<std::string, std::set<int64_t>> tracks_of;
};

TEST(TrackSplitLive, ACutToAnotherPersonAtTheSamePlaceStartsANewTrack) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "edgeface-xs-q");
  LFR_REQUIRE_DATA(lfw, "lfw/images");
  const fs::path dir = lfr::testing::TempDir("track-split-live");
  // The clip: 25 frames of Colin Powell, then 25 of George W Bush (LFW photos, 250x250, faces
  // centred by LFW's own alignment; both pass the quality gate).
  auto a = ReadImage(lfw / "Colin_Powell" / "Colin_Powell_0001.jpg");
  auto b = ReadImage(lfw / "George_W_Bush" / "George_W_Bush_0001.jpg");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  const fs::path clip = dir / "cut.avi";
  {
    cv::VideoWriter w(clip.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25.0, a->size());
    ASSERT_TRUE(w.isOpened()) << "cannot write test video " << clip;
    for (int i = 0; i < 25; ++i) w.write(*a);
    for (int i = 0; i < 25; ++i) w.write(*b);
  }
  // The watchlist: another photo of each.
  const fs::path stills = dir / "watchlist";
  fs::create_directories(stills);
  fs::copy_file(lfw / "Colin_Powell" / "Colin_Powell_0002.jpg", stills / "Colin_Powell.jpg");
  fs::copy_file(lfw / "George_W_Bush" / "George_W_Bush_0002.jpg", stills / "George_W_Bush.jpg");
  auto d = CreateDetector(det);
  auto e = Embedder::Create(rec);
  ASSERT_TRUE(d.ok() && e.ok());
  FaceAnalyzer analyzer(std::move(d).value(), std::move(e).value());
  auto list = ListWatchlistDir(stills);
  ASSERT_TRUE(list.ok());
  Watchlist wl;
  ASSERT_TRUE(EnrolImages(*list, analyzer, {}, &wl).ok());
  ASSERT_EQ(wl.subjects(), 2);

  auto run = [&](float split_similarity, RecordingSink* sink) {
    PipelineOptions o;
    o.camera.realtime = false;
    o.detect_every = 1;
    o.skip_quiet = false;
    o.adaptive_detect = false;
    o.tracker.embed_every = 5;
    o.tracker.split_similarity = split_similarity;
    o.threshold = 0.35f;
    auto p = Pipeline::Create({{"cam1", clip.string()}}, det, rec, &wl, sink, o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return CameraSummary{};
    EXPECT_TRUE((*p)->Run().ok());
    return (*p)->Summaries()[0];
  };
  RecordingSink split_sink;
  const CameraSummary split = run(TrackerOptions{}.split_similarity, &split_sink);
  EXPECT_EQ(split.tracks_split, 1);
  EXPECT_EQ(split.tracks, 2);
  ASSERT_EQ(split_sink.tracks_of.size(), 2u) << "each person alerts";
  const auto& powell = split_sink.tracks_of["Colin_Powell"];
  const auto& bush = split_sink.tracks_of["George_W_Bush"];
  ASSERT_EQ(powell.size(), 1u);
  ASSERT_EQ(bush.size(), 1u);
  EXPECT_NE(*powell.begin(), *bush.begin()) << "each on their own track";

  RecordingSink one_sink;
  const CameraSummary one = run(-1.0f, &one_sink);
  EXPECT_EQ(one.tracks_split, 0);
  EXPECT_EQ(one.tracks, 1) << "without the embedding check the box keeps one track across the cut";
}

// `lfr watch` on such a clip, 250 pixels wide: the reader's colour conversion once wrote past
// the end of each frame (sws_scale's SIMD blocks overrun widths that are not a multiple of 16)
// and the process aborted in malloc, every time with this recogniser. Now it runs to the end.
TEST(TrackSplitLive, LfrWatchRunsAClipWhoseWidthIsNotAMultipleOf16) {
  LFR_REQUIRE_DATA(lfw, "lfw/images");
  auto home = lfr::testing::HomeWithModels("narrow-clip", {"yunet-2022mar", "edgeface-xs-q"});
  if (!home) LFR_MISSING_SHARED_("models yunet-2022mar and edgeface-xs-q");
  const fs::path dir = lfr::testing::TempDir("narrow-clip");
  auto a = ReadImage(lfw / "Colin_Powell" / "Colin_Powell_0001.jpg");
  auto b = ReadImage(lfw / "George_W_Bush" / "George_W_Bush_0001.jpg");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->cols % 16, 10);
  const fs::path clip = dir / "cut.avi";
  {
    cv::VideoWriter w(clip.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25.0, a->size());
    ASSERT_TRUE(w.isOpened());
    for (int i = 0; i < 25; ++i) w.write(*a);
    for (int i = 0; i < 25; ++i) w.write(*b);
  }
  const fs::path stills = dir / "watchlist";
  fs::create_directories(stills);
  fs::copy_file(lfw / "Colin_Powell" / "Colin_Powell_0002.jpg", stills / "Colin_Powell.jpg");
  fs::copy_file(lfw / "George_W_Bush" / "George_W_Bush_0002.jpg", stills / "George_W_Bush.jpg");
  lfr::testing::ScopedEnv h("LFR_HOME", home->string());
  for (int run = 0; run < 3; ++run) {
    const lfr::testing::CliRun r =
        lfr::testing::RunLfr({"watch", "--watchlist", stills.string(), "--source", clip.string(), "--recogniser",
                              "edgeface-xs-q", "--threshold", "0.35", "--detect-every", "1", "--embed-every", "5"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("frames read 50, processed 50"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace lfr
