// A paced file reader that falls behind (descheduled, a slow decode) behaves like the client
// of a live camera whose stream buffered the frames: it hands over every frame it owes, and
// skips (counted as late drops) only when it is more than max_behind_s behind, and then only
// frames it would have handed over. Deterministic: a fake pace clock stalls the reader; no
// sleeps, no timing assertions.
#include <algorithm>
#include <memory>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "pipeline/camera.h"
#include "pipeline/frame_queue.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path MakeClip(const std::string& tag, int frames) {
  const fs::path p = lfr::testing::TempDir(tag) / "clip.avi";
  cv::VideoWriter w(p.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25.0, cv::Size(160, 120));
  EXPECT_TRUE(w.isOpened()) << "cannot write test video " << p;
  for (int i = 0; i < frames; ++i) {
    cv::Mat f(120, 160, CV_8UC3, cv::Scalar(40, 40, 40));
    cv::rectangle(f, cv::Rect(5 + 3 * i % 130, 20, 20, 20), cv::Scalar(200, 200, 200), -1);
    w.write(f);
  }
  return p;
}

// Time stands still except when the reader sleeps until a frame is due (then it is that
// time at once) and once, at the stall_at-th sleep, when it jumps by `stall` as if the
// reader thread had been descheduled. Decoding takes no time on this clock, so a reader
// that is behind catches up as fast as it can.
class StallingClock final : public PaceClock {
 public:
  StallingClock(int stall_at, std::chrono::milliseconds stall) : stall_at_(stall_at), stall_(stall) {}
  SteadyClock::time_point Now() override { return now_; }
  void SleepUntil(SteadyClock::time_point t) override {
    now_ = std::max(now_, t);
    if (++sleeps_ == stall_at_) now_ += stall_;
  }

 private:
  SteadyClock::time_point now_ = SteadyClock::time_point{} + 1000s;
  int sleeps_ = 0;
  const int stall_at_;
  const std::chrono::milliseconds stall_;
};

struct StalledRun {
  std::vector<int64_t> indices;
  double behind_after_stall_s = -1;  // the reader's lag when the first frame after the stall arrived
  CameraStatus status;
};

// Reads a 25 fps clip, paced by a clock that stalls the reader for `stall` at frame 10.
// The queue waits for the consumer (lossless), so every drop seen is the reader's own.
StalledRun ReadStalled(const fs::path& clip, std::chrono::milliseconds stall, double max_behind_s,
                int decode_every) {
  CameraOptions o;
  o.realtime = true;
  o.max_behind_s = max_behind_s;
  o.decode_every = decode_every;
  o.reader_nice = 0;
  o.pace_clock = std::make_shared<StallingClock>(10, stall);
  FrameQueue queue(/*lossless=*/true, 2);
  CameraReader reader("stalled", *ParseSource(clip.string()), o, &queue);
  StalledRun r;
  EXPECT_TRUE(reader.Start().ok());
  Frame f;
  while (true) {
    if (!queue.Take(&f, 200ms)) {
      if (queue.closed() && !queue.Take(&f, 0ms)) break;
      if (!queue.closed()) continue;
    }
    r.indices.push_back(f.index);
    // The reader is at most the queue's two frames ahead of this one.
    if (f.index == 11 && r.behind_after_stall_s < 0) r.behind_after_stall_s = reader.behind_s();
  }
  reader.Join();
  r.status = reader.status();
  return r;
}

TEST(ReaderPacing, AReaderStalledForTenFramesHandsOverEveryFrameItOwes) {
  const fs::path clip = MakeClip("stall10", 40);
  // Stalled for 10 frame intervals (0.4 s) at frame 10: frames 11..19 are late.
  StalledRun r = ReadStalled(clip, 400ms, /*max_behind_s=*/2.0, /*decode_every=*/1);
  ASSERT_EQ(r.indices.size(), 40u) << "frames decoded late but handed over are not drops";
  for (int i = 0; i < 40; ++i) EXPECT_EQ(r.indices[i], i);
  EXPECT_EQ(r.status.frames_read, 40);
  EXPECT_EQ(r.status.frames_dropped, 0);
  EXPECT_EQ(r.status.frames_late, 0);
  EXPECT_GT(r.behind_after_stall_s, 0.15) << "the reader knew it was behind while it caught up";
  EXPECT_EQ(r.status.health, CameraHealth::kEnded);
}

TEST(ReaderPacing, BeyondTheLimitTheReaderSkipsAheadToThePresentAndCountsTheDrops) {
  const fs::path clip = MakeClip("stall50", 100);
  // Stalled for 2 s (50 frames) at frame 10 with a 1 s limit: the frames due before the
  // present are skipped, then the reader is on time again and hands over every frame.
  StalledRun r = ReadStalled(clip, 2000ms, /*max_behind_s=*/1.0, /*decode_every=*/1);
  EXPECT_EQ(r.status.frames_read, 100);
  EXPECT_EQ(static_cast<int64_t>(r.indices.size()) + r.status.frames_late, 100);
  EXPECT_EQ(r.status.frames_dropped, r.status.frames_late);
  EXPECT_GE(r.status.frames_late, 45);
  EXPECT_LE(r.status.frames_late, 50);
  for (int i = 0; i <= 10; ++i) EXPECT_EQ(r.indices[i], i);
  // One jump, to the present; everything after it is handed over in order.
  ASSERT_GE(r.indices.size(), 12u);
  EXPECT_GE(r.indices[11], 56);
  for (size_t i = 12; i < r.indices.size(); ++i) EXPECT_EQ(r.indices[i], r.indices[i - 1] + 1);
  EXPECT_EQ(r.indices.back(), 99);
  EXPECT_EQ(r.status.behind_s, 0) << "on time again at the end";
}

TEST(ReaderPacing, FramesLeftOutOnPurposeAreNeverCountedAsLateDrops) {
  const fs::path clip = MakeClip("stall_every", 100);
  // Every 3rd frame is wanted (decode_every 3); the same 2 s stall beyond a 1 s limit.
  StalledRun r = ReadStalled(clip, 2000ms, /*max_behind_s=*/1.0, /*decode_every=*/3);
  EXPECT_EQ(r.status.frames_read, 100);
  EXPECT_EQ(r.status.frames_grab_only, 66) << "frames not wanted anyway, late or not";
  for (int64_t i : r.indices) EXPECT_EQ(i % 3, 0);
  // Only wanted frames (a third of the skipped stretch) are late drops.
  EXPECT_EQ(static_cast<int64_t>(r.indices.size()) + r.status.frames_late, 34);
  EXPECT_GE(r.status.frames_late, 15);
  EXPECT_LE(r.status.frames_late, 17);
}

TEST(ReaderPacing, FramesDueButNeverReachedWhenStoppedAreCountedAsLost) {
  const fs::path clip = MakeClip("stall_stop", 100);
  // Stalled for 2 s at frame 10 (limit 5 s: it would catch up), then stopped while it is
  // still behind: the ~50 frames that were due but never reached are counted as late drops.
  CameraOptions o;
  o.realtime = true;
  o.max_behind_s = 5.0;
  o.reader_nice = 0;
  o.pace_clock = std::make_shared<StallingClock>(10, 2000ms);
  FrameQueue queue(/*lossless=*/true, 2);
  CameraReader reader("stopped", *ParseSource(clip.string()), o, &queue);
  ASSERT_TRUE(reader.Start().ok());
  Frame f;
  int64_t taken = 0;
  while (queue.Take(&f, 5000ms)) {
    ++taken;
    if (f.index == 11) reader.Stop();
  }
  reader.Join();
  const CameraStatus st = reader.status();
  EXPECT_GE(st.frames_read, 60) << "every frame due by the time it stopped (0..60)";
  EXPECT_LE(st.frames_read, 61);
  EXPECT_GE(st.frames_late, 44);
  EXPECT_EQ(st.frames_dropped, st.frames_late);
  EXPECT_LE(taken, 15);
}

TEST(ReaderPacing, ALoopedFileKeepsItsPaceAcrossTheReopenSoALagIsCaughtUpNotForgiven) {
  const fs::path clip = MakeClip("stall_loop", 20);
  // A 20-frame clip looped to 60 frames, stalled 1.2 s (30 frames) at frame 10: the reader
  // is still behind when the clip ends at frame 20. The reopen must not restart the pace
  // (which would silently forgive the lag): frame 59 is due 59/25 s after the start, and
  // the reader, having caught up, sleeps until exactly then.
  CameraOptions o;
  o.realtime = true;
  o.loop = true;
  o.max_frames = 60;
  o.max_behind_s = 5.0;
  o.reader_nice = 0;
  auto clock = std::make_shared<StallingClock>(10, 1200ms);
  const auto start = clock->Now();
  o.pace_clock = clock;
  FrameQueue queue(/*lossless=*/true, 2);
  CameraReader reader("looped", *ParseSource(clip.string()), o, &queue);
  ASSERT_TRUE(reader.Start().ok());
  Frame f;
  int64_t taken = 0;
  while (queue.Take(&f, 5000ms)) ++taken;
  reader.Join();
  EXPECT_EQ(taken, 60);
  EXPECT_EQ(reader.status().frames_late, 0);
  const double ended = std::chrono::duration<double>(clock->Now() - start).count();
  EXPECT_NEAR(ended, 59 / 25.0, 0.002);
}

}  // namespace
}  // namespace lfr
