// Camera ingest and the pipeline's plumbing on small generated videos (no faces): source
// parsing, the latest-frame-wins hand-off, pacing and drops, failures that stay local to
// one camera, and reconnect back-off.
#include "pipeline/pipeline.h"

#include <atomic>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "pipeline/camera.h"
#include "pipeline/frame_queue.h"
#include "pipeline/stats.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Writes `frames` frames of a moving grey square (MJPG in AVI, which every FFmpeg build can
// write) and returns the path.
fs::path MakeVideo(const std::string& tag, int frames, double fps = 25.0, cv::Size size = {160, 120}) {
  const fs::path p = lfr::testing::TempDir(tag) / "clip.avi";
  cv::VideoWriter w(p.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, size);
  EXPECT_TRUE(w.isOpened()) << "cannot write test video " << p;
  for (int i = 0; i < frames; ++i) {
    cv::Mat f(size, CV_8UC3, cv::Scalar(40, 40, 40));
    cv::rectangle(f, cv::Rect(5 + 3 * i % (size.width - 30), 20, 20, 20), cv::Scalar(200, 200, 200), -1);
    w.write(f);
  }
  return p;
}

TEST(ParseSource, ClassifiesUris) {
  EXPECT_EQ(ParseSource("clip.mp4")->kind, SourceKind::kFile);
  EXPECT_EQ(ParseSource("file:///tmp/a.mp4")->location, "/tmp/a.mp4");
  EXPECT_EQ(ParseSource("rtsp://cam/stream")->kind, SourceKind::kStream);
  EXPECT_EQ(ParseSource("https://x/y.m3u8")->kind, SourceKind::kStream);
  EXPECT_EQ(ParseSource("/dev/video0")->kind, SourceKind::kDevice);
  auto v = ParseSource("v4l2:2");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->kind, SourceKind::kDevice);
  EXPECT_EQ(v->device_index, 2);
  auto bad = ParseSource("v4l2:two");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  auto scheme = ParseSource("gopher://x");
  ASSERT_FALSE(scheme.ok());
  EXPECT_NE(scheme.status().message().find("unsupported scheme"), std::string::npos);
  EXPECT_FALSE(ParseSource("").ok());
}

TEST(FrameQueue, NewerFrameReplacesUnconsumedOneAndCountsTheDrop) {
  FrameQueue slot;
  for (int i = 0; i < 3; ++i) {
    Frame f;
    f.image = cv::Mat(2, 2, CV_8UC3, cv::Scalar(i));
    f.index = i;
    ASSERT_TRUE(slot.Put(&f));
  }
  EXPECT_EQ(slot.dropped(), 2);
  Frame got;
  ASSERT_TRUE(slot.Take(&got, 0ms));
  EXPECT_EQ(got.index, 2);
  EXPECT_FALSE(slot.Take(&got, 10ms));  // empty
  slot.Close();
  Frame f;
  EXPECT_FALSE(slot.Put(&f));
  EXPECT_TRUE(slot.closed());
}

TEST(FrameQueue, LosslessModeWaitsForTheConsumer) {
  FrameQueue slot(/*lossless=*/true);
  std::thread producer([&] {
    for (int i = 0; i < 20; ++i) {
      Frame f;
      f.index = i;
      ASSERT_TRUE(slot.Put(&f));
    }
    slot.Close();
  });
  std::vector<int64_t> seen;
  Frame f;
  while (true) {
    if (!slot.Take(&f, 1000ms)) {
      if (slot.closed() && !slot.Take(&f, 0ms)) break;
      if (!slot.closed()) continue;
    }
    seen.push_back(f.index);
    std::this_thread::sleep_for(1ms);
  }
  producer.join();
  ASSERT_EQ(seen.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[i], i);
  EXPECT_EQ(slot.dropped(), 0);
}

TEST(LatencyStats, Percentiles) {
  LatencyStats s;
  EXPECT_EQ(s.Percentile(50), 0.0);
  for (int i = 1; i <= 100; ++i) s.Add(i);
  EXPECT_EQ(s.count(), 100);
  EXPECT_DOUBLE_EQ(s.Percentile(50), 50);
  EXPECT_DOUBLE_EQ(s.Percentile(95), 95);
  EXPECT_DOUBLE_EQ(s.Percentile(100), 100);
  EXPECT_DOUBLE_EQ(s.mean(), 50.5);
  LatencyStats small(10);  // reservoir keeps memory bounded
  for (int i = 0; i < 1000; ++i) small.Add(i);
  EXPECT_EQ(small.count(), 1000);
  EXPECT_LE(small.Percentile(100), 999);
}

// Runs a reader into a slot with a consumer that sleeps `work` per frame.
struct ReadResult {
  std::vector<int64_t> indices;
  CameraStatus status;
};
ReadResult ReadAll(const std::string& uri, CameraOptions o, std::chrono::milliseconds work) {
  FrameQueue slot(!o.realtime);
  CameraReader reader("test", *ParseSource(uri), o, &slot);
  ReadResult r;
  if (reader.Start().ok()) {
    Frame f;
    while (true) {
      if (!slot.Take(&f, 200ms)) {
        if (slot.closed() && !slot.Take(&f, 0ms)) break;
        if (!slot.closed()) continue;
      }
      r.indices.push_back(f.index);
      std::this_thread::sleep_for(work);
    }
  }
  reader.Join();
  r.status = reader.status();
  return r;
}

TEST(CameraReader, FastModeDeliversEveryFrameInOrder) {
  const fs::path video = MakeVideo("fast", 30);
  CameraOptions o;
  o.realtime = false;
  ReadResult r = ReadAll(video.string(), o, 2ms);
  ASSERT_EQ(r.indices.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(r.indices[i], i);
  EXPECT_EQ(r.status.health, CameraHealth::kEnded);
  EXPECT_EQ(r.status.frames_read, 30);
  EXPECT_EQ(r.status.frames_dropped, 0);
  EXPECT_EQ(r.status.width, 160);
  EXPECT_NEAR(r.status.fps, 25.0, 0.01);
  EXPECT_FALSE(r.status.last_frame_time.empty());
}

TEST(CameraReader, RealtimeModeDropsOldFramesForASlowConsumer) {
  const fs::path video = MakeVideo("slow", 30, 25.0);
  CameraOptions o;
  o.realtime = true;
  const auto t0 = SteadyClock::now();
  ReadResult r = ReadAll(video.string(), o, 100ms);  // consumer at ~10 fps, source 25 fps
  const double s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  EXPECT_GE(s, 1.0);  // paced: 30 frames at 25 fps take at least ~1.2 s
  EXPECT_EQ(r.status.frames_read, 30);
  EXPECT_GT(r.status.frames_dropped, 5);
  EXPECT_EQ(static_cast<int64_t>(r.indices.size()) + r.status.frames_dropped, 30);
  for (size_t i = 1; i < r.indices.size(); ++i) EXPECT_GT(r.indices[i], r.indices[i - 1]);
}

TEST(CameraReader, DecodeEveryHandsOverOnlyEveryNthFrameWithoutCountingDrops) {
  const fs::path video = MakeVideo("every", 30);
  CameraOptions o;
  o.realtime = false;
  o.decode_every = 3;
  ReadResult r = ReadAll(video.string(), o, 0ms);
  ASSERT_EQ(r.indices.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(r.indices[i], 3 * i);
  EXPECT_EQ(r.status.frames_read, 30);
  EXPECT_EQ(r.status.frames_grab_only, 20);
  EXPECT_EQ(r.status.frames_dropped, 0);
}

TEST(CameraReader, LoopRestartsTheFile) {
  const fs::path video = MakeVideo("loop", 10);
  CameraOptions o;
  o.realtime = false;
  o.loop = true;
  o.max_frames = 25;
  ReadResult r = ReadAll(video.string(), o, 0ms);
  EXPECT_EQ(r.indices.size(), 25u);
  EXPECT_EQ(r.status.frames_read, 25);
}

TEST(CameraReader, MissingFileFailsAtOnceWithItsName) {
  FrameQueue slot;
  CameraReader reader("door", *ParseSource("/no/such/clip.mp4"), {}, &slot);
  Status s = reader.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_NE(s.message().find("/no/such/clip.mp4"), std::string::npos);
  EXPECT_EQ(reader.status().health, CameraHealth::kFailed);
  EXPECT_NE(reader.status().error.find("door"), std::string::npos);
  EXPECT_TRUE(slot.closed());
}

TEST(CameraReader, FileThatIsNotAVideoFails) {
  const fs::path p = lfr::testing::TempDir("notvideo") / "clip.mp4";
  std::ofstream(p) << "this is not a video";
  CameraOptions o;
  o.realtime = false;
  ReadResult r = ReadAll(p.string(), o, 0ms);
  EXPECT_TRUE(r.indices.empty());
  EXPECT_EQ(r.status.health, CameraHealth::kFailed);
  EXPECT_NE(r.status.error.find(p.string()), std::string::npos) << r.status.error;
}

TEST(CameraReader, UnreachableStreamRetriesWithBackoffThenFails) {
  CameraOptions o;
  o.backoff_initial_s = 0.02;
  o.backoff_max_s = 0.05;
  o.max_reconnects = 3;
  o.open_timeout_ms = 1000;
  ReadResult r = ReadAll("rtsp://127.0.0.1:1/none", o, 0ms);  // port 1: connection refused
  EXPECT_TRUE(r.indices.empty());
  EXPECT_EQ(r.status.health, CameraHealth::kFailed);
  EXPECT_EQ(r.status.reconnects, 3);
  EXPECT_NE(r.status.error.find("gave up after 4 attempts"), std::string::npos) << r.status.error;
}

TEST(CameraReader, StopEndsAReconnectingCamera) {
  FrameQueue slot;
  CameraOptions o;
  o.backoff_initial_s = 5;  // long sleep that Stop() must interrupt
  o.max_reconnects = -1;
  CameraReader reader("cam", *ParseSource("rtsp://127.0.0.1:1/none"), o, &slot);
  ASSERT_TRUE(reader.Start().ok());
  for (int i = 0; i < 100 && reader.status().health != CameraHealth::kReconnecting; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(reader.status().health, CameraHealth::kReconnecting);
  reader.Stop();
  reader.Join();
  EXPECT_FALSE(reader.running());
}

class CollectingSink : public AlertSink {
 public:
  Status Emit(const Alert& a, const cv::Mat& crop, const cv::Mat& frame) override {
    std::lock_guard<std::mutex> lock(mu);
    alerts.push_back(a);
    return Status::Ok();
  }
  std::mutex mu;
  std::vector<Alert> alerts;
};

TEST(Pipeline, ABrokenCameraDoesNotStopTheOthers) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  const fs::path video = MakeVideo("pipe", 40);
  Watchlist wl(128);
  std::vector<float> e(128, 0.0f);
  e[0] = 1;
  ASSERT_TRUE(wl.Add("someone", e.data()).ok());
  CollectingSink sink;
  PipelineOptions o;
  o.camera.realtime = false;
  auto p = Pipeline::Create({{"good", video.string()}, {"gone", "/no/such/video.mp4"}, {"", video.string()}},
                            det, rec, &wl, &sink, o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE((*p)->Run().ok());
  auto s = (*p)->Summaries();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].name, "good");
  EXPECT_EQ(s[0].status.health, CameraHealth::kEnded);
  EXPECT_EQ(s[0].status.frames_read, 40);
  EXPECT_EQ(s[0].frames_processed, 40);
  EXPECT_EQ(s[0].status.frames_dropped, 0);
  EXPECT_EQ(s[1].status.health, CameraHealth::kFailed);
  EXPECT_NE(s[1].status.error.find("/no/such/video.mp4"), std::string::npos);
  EXPECT_EQ(s[2].name, "cam3");
  EXPECT_EQ(s[2].frames_processed, 40);
  EXPECT_EQ(s[0].faces_detected, 0);  // grey squares are not faces
  EXPECT_TRUE(sink.alerts.empty());
  EXPECT_GT(s[0].total_ms.count(), 0);
}

TEST(Pipeline, LiveStatsCanBeReadWhileRunningAndMatchTheSummaryAtTheEnd) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  const fs::path video = MakeVideo("pipe-live", 30, 25.0);
  Watchlist wl(128);
  std::vector<float> e(128, 0.0f);
  e[0] = 1;
  ASSERT_TRUE(wl.Add("someone", e.data()).ok());
  CollectingSink sink;
  PipelineOptions o;
  o.camera.realtime = true;  // 1.2 s of paced frames: time to read stats mid-run
  auto p = Pipeline::Create({{"a", video.string()}, {"b", video.string()}}, det, rec, &wl, &sink, o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::atomic<bool> done{false};
  std::thread run([&] {
    EXPECT_TRUE((*p)->Run().ok());
    done = true;
  });
  int64_t seen_mid_run = 0;
  int reads = 0;
  while (!done) {
    for (const CameraLiveStats& l : (*p)->LiveStats()) {
      EXPECT_TRUE(l.name == "a" || l.name == "b") << l.name;
      EXPECT_LE(l.frames_processed, 30);
      if (l.status.health == CameraHealth::kUp) seen_mid_run = std::max(seen_mid_run, l.frames_processed);
    }
    ++reads;
    std::this_thread::sleep_for(5ms);
  }
  run.join();
  EXPECT_GT(reads, 10);
  EXPECT_GT(seen_mid_run, 0) << "a snapshot taken while the camera was up";
  auto live = (*p)->LiveStats();
  auto full = (*p)->Summaries();
  ASSERT_EQ(live.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(live[i].frames_processed, full[i].frames_processed);
    EXPECT_EQ(live[i].detector_runs, full[i].detector_runs);
    EXPECT_EQ(live[i].status.health, CameraHealth::kEnded);
    EXPECT_DOUBLE_EQ(live[i].decision_p95_ms, full[i].total_ms.Percentile(95));
  }
}

TEST(Pipeline, RejectsAMalformedSourceUpFront) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  Watchlist wl(128);
  CollectingSink sink;
  auto p = Pipeline::Create({{"x", "gopher://nowhere"}}, det, rec, &wl, &sink, {});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(Pipeline::Create({}, det, rec, &wl, &sink, {}).ok());
}

}  // namespace
}  // namespace lfr
