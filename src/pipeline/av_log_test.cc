// FFmpeg's messages go through spdlog, rate-limited: the limiter on its own
// (deterministic), and a damaged video decoded to the end with stderr captured.
#include "pipeline/av_log.h"

#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "pipeline/camera.h"
#include "pipeline/frame_queue.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(LogRateLimiter, AllowsNPerSecondAndReportsWhatItSuppressed) {
  LogRateLimiter l(3);
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  int64_t before = -1;
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += l.Allow(t0 + std::chrono::milliseconds(i * 10), &before);
  EXPECT_EQ(allowed, 3);
  EXPECT_EQ(l.suppressed_total(), 7);
  EXPECT_TRUE(l.Allow(t0 + 1500ms, &before));
  EXPECT_EQ(before, 7) << "the first line after a suppression says how many were lost";
  EXPECT_TRUE(l.Allow(t0 + 1600ms, &before));
  EXPECT_EQ(before, 0);
}

TEST(LibavLog, ADamagedVideoDoesNotFloodStderr) {
  LFR_REQUIRE_DATA(clip, "video/hamilton/short_hamilton_clip.mp4");
  // Copy the clip and overwrite a few bytes every 2 KiB of its frame data (after the first
  // 64 KiB, before the index at the end): thousands of decoder errors, as with a damaged
  // recording.
  const fs::path bad = lfr::testing::TempDir("avlog") / "damaged.mp4";
  {
    std::ifstream in(clip, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::mt19937 rng(7);
    const size_t index_at = bytes.rfind("moov");  // this clip keeps its index at the end
    ASSERT_NE(index_at, std::string::npos);
    for (size_t i = 64 * 1024; i + 16 < index_at - 64; i += 2048) {
      for (int k = 0; k < 16; ++k) bytes[i + k] = static_cast<char>(rng());
    }
    std::ofstream(bad, std::ios::binary) << bytes;
  }
  const LibavLogCounts c0 = LibavLogStats();
  ::testing::internal::CaptureStderr();
  const auto t0 = std::chrono::steady_clock::now();
  {
    FrameQueue q(/*lossless=*/true);
    CameraOptions o;
    o.realtime = false;
    CameraReader r("damaged", *ParseSource(bad.string()), o, &q);
    ASSERT_TRUE(r.Start().ok());
    Frame f;
    while (q.Take(&f, 1000ms) || !q.closed()) {
    }
    r.Join();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string err = ::testing::internal::GetCapturedStderr();
  const LibavLogCounts c1 = LibavLogStats();
  const int64_t logged = c1.logged - c0.logged, suppressed = c1.suppressed - c0.suppressed;
  const auto lines = std::count(err.begin(), err.end(), '\n');
  EXPECT_GT(logged + suppressed, 50) << "the damage should make FFmpeg complain a lot";
  EXPECT_GT(suppressed, 0);
  // At most N lines (plus a summary line) per started second went to the log, wherever the
  // log goes; FFmpeg wrote nothing straight to stderr.
  const int64_t bound = kLibavLogLinesPerSecond * (static_cast<int64_t>(seconds) + 2);
  EXPECT_LE(logged, bound);
  EXPECT_LE(lines, 2 * bound) << err.substr(0, 2000);
}

}  // namespace
}  // namespace lfr
