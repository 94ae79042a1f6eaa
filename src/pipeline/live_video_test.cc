// Acceptance of the live pipeline on real video (issue 3), run in fast (lossless) mode so
// the result does not depend on the machine's speed:
//   hamilton            two watchlist stills -> alerts for those people only
//   opera-house-walkers 1,000 LFW people + the two stills -> zero alerts (non-mated)
//   vtest-tiny-faces    faces of 5-10 px -> nothing passes the quality gate, zero alerts
// Nothing is cached on disk: the LFW watchlist is enrolled in memory for the test.
#include <algorithm>
#include <iostream>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "match/watchlist.h"
#include "pipeline/pipeline.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;

class CollectingSink : public AlertSink {
 public:
  Status Emit(const Alert& a, const cv::Mat& crop, const cv::Mat& frame) override {
    std::lock_guard<std::mutex> lock(mu);
    alerts.push_back(a);
    crops_given += !crop.empty();
    frame_sizes.push_back(frame.size());
    return Status::Ok();
  }
  std::mutex mu;
  std::vector<Alert> alerts;
  int crops_given = 0;
  std::vector<cv::Size> frame_sizes;
};

// Sums the counts-only faces-seen events per camera.
class CountingObserver : public PipelineObserver {
 public:
  void OnFacesSeen(const std::string& camera, int64_t wall_ms, int n) override {
    std::lock_guard<std::mutex> lock(mu);
    per_camera[camera] += n;
    ok_times &= wall_ms > 1704067200000;  // a real UTC ms time
    ok_counts &= n >= 1;
  }
  std::mutex mu;
  std::map<std::string, int64_t> per_camera;
  bool ok_times = true, ok_counts = true;
};

class LiveVideoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    det_ = lfr::testing::FindModel("yunet-2022mar");
    rec_ = lfr::testing::FindModel("mobilefacenet-arcface");
    video_ = lfr::testing::FindData("video");
    if (!det_ || !rec_ || !video_) LFR_MISSING_SHARED_("models yunet-2022mar, mobilefacenet-arcface and data video/");
  }
  std::unique_ptr<FaceAnalyzer> Analyzer() {
    auto d = CreateDetector(*det_);
    auto e = Embedder::Create(*rec_);
    EXPECT_TRUE(d.ok() && e.ok());
    return std::make_unique<FaceAnalyzer>(std::move(d).value(), std::move(e).value());
  }
  void EnrolStills(FaceAnalyzer& a, Watchlist* wl) {
    auto list = ListWatchlistDir(*video_ / "hamilton" / "watchlist_stills");
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    auto r = EnrolImages(*list, a, {}, wl);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->subjects_enrolled, 2);
  }
  // One camera, every frame processed, default live options.
  CameraSummary RunOne(const fs::path& file, const Watchlist& wl, AlertSink* sink,
                       PipelineObserver* observer = nullptr) {
    PipelineOptions o;
    o.camera.realtime = false;
    o.observer = observer;
    auto p = Pipeline::Create({{"cam1", file.string()}}, *det_, *rec_, &wl, sink, o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return {};
    Status s = (*p)->Run();
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto sums = (*p)->Summaries();
    EXPECT_EQ(sums[0].status.health, CameraHealth::kEnded) << sums[0].status.error;
    EXPECT_EQ(sums[0].status.frames_dropped, 0);
    EXPECT_EQ(sums[0].frames_processed, sums[0].status.frames_read);
    return sums[0];
  }
  std::optional<InstalledModel> det_, rec_;
  std::optional<fs::path> video_;
};

TEST_F(LiveVideoTest, HamiltonAlertsForThePeopleInTheStillsOnly) {
  auto a = Analyzer();
  Watchlist wl;
  EnrolStills(*a, &wl);
  CollectingSink sink;
  CountingObserver observer;
  CameraSummary s = RunOne(*video_ / "hamilton" / "short_hamilton_clip.mp4", wl, &sink, &observer);
  EXPECT_EQ(s.status.frames_read, 275);
  // The observer saw every new track, as counts only.
  EXPECT_GT(s.tracks, 0);
  EXPECT_EQ(observer.per_camera["cam1"], s.tracks);
  EXPECT_EQ(observer.per_camera.size(), 1u);
  EXPECT_TRUE(observer.ok_times && observer.ok_counts);
  EXPECT_GT(s.faces_detected, 0);
  // Every alert is for one of the two subjects, once per subject on this camera (the clip
  // is shorter than the cooldown), and carries the probe crop for the sink.
  std::map<std::string, int> per_subject;
  for (const Alert& al : sink.alerts) {
    per_subject[al.subject]++;
    EXPECT_GE(al.fused_score, al.threshold);
    EXPECT_GE(al.frame_index, al.track_first_frame);
    std::cout << "[ alert    ] " << al.subject << " track " << al.track_id << " at frame "
              << al.frame_index << ", " << (al.frame_index - al.track_first_frame)
              << " frames after the track's first appearance (frame " << al.track_first_frame
              << "), fused score " << al.fused_score << "\n";
  }
  for (const auto& [who, n] : per_subject) {
    EXPECT_TRUE(who == "lin-manuel-miranda" || who == "alex-lacamoire") << who;
    EXPECT_EQ(n, 1) << who;
  }
  // Lin-Manuel Miranda is on stage, frontal, for most of the clip: he must be found.
  EXPECT_EQ(per_subject["lin-manuel-miranda"], 1);
  EXPECT_EQ(sink.crops_given, static_cast<int>(sink.alerts.size()));
  // Each alert came with its whole 640x360 frame (for the store's thumbnail).
  for (const cv::Size& fs : sink.frame_sizes) EXPECT_EQ(fs, cv::Size(640, 360));
  EXPECT_EQ(s.alerts, static_cast<int64_t>(sink.alerts.size()));
  // Alex Lacamoire is only in the first ~20 frames, at the piano, ~28 px wide (eyes ~10 px
  // apart): below the engine's quality gate (16 px), so he is tracked but never searched.
  // Report rather than assert, so a better gate or detector shows up here.
  std::cout << "[ info     ] alex-lacamoire alerts: " << per_subject["alex-lacamoire"]
            << "; faces " << s.faces_detected << ", passed quality " << s.faces_passed_quality
            << ", tracks " << s.tracks << ", embeddings " << s.embeddings << "\n";
}

TEST_F(LiveVideoTest, OperaHouseWalkersRaiseNoAlertAgainstAThousandPeople) {
  auto lfw = lfr::testing::FindData("lfw/images");
  if (!lfw) LFR_MISSING_SHARED_("data lfw/images");
  auto a = Analyzer();
  Watchlist wl;
  EnrolStills(*a, &wl);
  // The first image of each person in alphabetical order until 1,000 people are enrolled
  // (about one LFW image in six shows a second face or fails the quality gate and is
  // rejected, as a watchlist image should be).
  std::vector<fs::path> people;
  for (const auto& e : fs::directory_iterator(*lfw)) {
    if (e.is_directory()) people.push_back(e.path());
  }
  std::sort(people.begin(), people.end());
  EnrolOptions eo;
  eo.flip_average = false;  // filler subjects; halves enrolment time
  int enrolled = 0, rejected = 0;
  size_t next = 0;
  while (enrolled < 1000 && next < people.size()) {
    std::vector<SubjectImages> batch;
    const size_t want = static_cast<size_t>(std::max(10, (1000 - enrolled) * 6 / 5));
    while (batch.size() < want && next < people.size()) {
      const fs::path& p = people[next++];
      std::vector<fs::path> imgs;
      for (const auto& f : fs::directory_iterator(p)) imgs.push_back(f.path());
      if (imgs.empty()) continue;
      std::sort(imgs.begin(), imgs.end());
      batch.push_back({p.filename().string(), {imgs.front()}});
    }
    auto r = EnrolImages(batch, *a, eo, &wl);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    enrolled += r->subjects_enrolled;
    rejected += static_cast<int>(r->rejected.size());
  }
  std::cout << "[ info     ] LFW: enrolled " << enrolled << " people from the first " << next
            << " alphabetically (" << rejected << " images rejected); watchlist " << wl.subjects()
            << " subjects\n";
  ASSERT_GE(enrolled, 1000);
  CollectingSink sink;
  CameraSummary s = RunOne(*video_ / "opera-house-walkers" / "video.mp4", wl, &sink);
  EXPECT_EQ(s.status.frames_read, 105);
  // The test is only meaningful if the walkers were actually searched.
  EXPECT_GT(s.faces_passed_quality, 0);
  EXPECT_GT(s.embeddings, 0);
  std::cout << "[ info     ] opera: faces " << s.faces_detected << ", passed quality "
            << s.faces_passed_quality << ", tracks " << s.tracks << ", embeddings " << s.embeddings
            << ", alerts " << sink.alerts.size() << "\n";
  EXPECT_TRUE(sink.alerts.empty()) << sink.alerts.size() << " false alert(s), first: "
                                   << (sink.alerts.empty() ? "" : AlertToJsonLine(sink.alerts[0]));
}

TEST_F(LiveVideoTest, VtestTinyFacesPassNoQualityGateAndRaiseNoAlert) {
  auto a = Analyzer();
  Watchlist wl;
  EnrolStills(*a, &wl);
  CollectingSink sink;
  CameraSummary s = RunOne(*video_ / "vtest-tiny-faces" / "vtest.avi", wl, &sink);
  EXPECT_EQ(s.status.frames_read, 795);
  std::cout << "[ info     ] vtest: detector runs " << s.detector_runs << ", faces " << s.faces_detected
            << ", passed quality " << s.faces_passed_quality << "\n";
  EXPECT_EQ(s.faces_passed_quality, 0);
  EXPECT_EQ(s.embeddings, 0);
  EXPECT_TRUE(sink.alerts.empty());
}

}  // namespace
}  // namespace lfr
