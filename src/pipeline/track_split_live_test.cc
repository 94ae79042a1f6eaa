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
  // The clip: 25 frames of Colin Powell, then 25 of Tony Blair (LFW photos, 250x250, faces
  // centred by LFW's own alignment).
  auto a = ReadImage(lfw / "Colin_Powell" / "Colin_Powell_0001.jpg");
  auto b = ReadImage(lfw / "Tony_Blair" / "Tony_Blair_0001.jpg");
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
  fs::copy_file(lfw / "Tony_Blair" / "Tony_Blair_0002.jpg", stills / "Tony_Blair.jpg");
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
  const auto& blair = split_sink.tracks_of["Tony_Blair"];
  ASSERT_EQ(powell.size(), 1u);
  ASSERT_EQ(blair.size(), 1u);
  EXPECT_NE(*powell.begin(), *blair.begin()) << "each on their own track";

  RecordingSink one_sink;
  const CameraSummary one = run(-1.0f, &one_sink);
  EXPECT_EQ(one.tracks_split, 0);
  EXPECT_EQ(one.tracks, 1) << "without the embedding check the box keeps one track across the cut";
}

}  // namespace
}  // namespace lfr
