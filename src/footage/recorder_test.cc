// Recording a camera: a shared clip, fed as the libav reader feeds packets and served live
// by a local ffmpeg, ends up in sealed segments cut at key frames (no plaintext video byte on
// disk; every frame decodes after unsealing); a full disk mid-segment stops recording with
// one alarm and leaves nothing half-written; a codec MPEG-TS cannot carry raises the alarm
// at once; kill -9 while recording leaves only what is complete and valid.
#include "footage/recorder.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "footage/footage_testing.h"
#include "pipeline/camera.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using namespace lfr::footage_testing;  // NOLINT
using namespace std::chrono_literals;

constexpr int64_t kT0 = 1795599688000;

struct Alarm {
  int calls = 0;
  std::string message;
};

RecorderOptions Options(const fs::path& root, ManualClock* clock, Alarm* alarm, int64_t segment_ms = 2000) {
  RecorderOptions o;
  o.footage_root = root;
  o.deployment_id = 3;
  o.camera_id = 4;
  o.camera_name = "gate";
  o.segment_ms = segment_ms;
  o.clock = clock;
  o.on_stopped = [alarm](const Status& why) {
    alarm->calls++;
    alarm->message = why.message();
  };
  return o;
}

// Unseals and decodes every segment in dir: the frames, and whether any file on disk holds
// a needle (and, as the control, how many the plaintexts hold).
struct Scan {
  int64_t frames = 0;
  int segments = 0, bad = 0, found_on_disk = 0, found_in_plaintext = 0;
};
Scan ScanFootage(const fs::path& root, const SecretBytes& key, const std::vector<std::string>& needles) {
  Scan s;
  std::string all_plain;
  for (const fs::path& p : FilesUnder(root)) {
    s.found_on_disk += CountFound(ReadAll(p), needles);
    auto ts = UnsealSegment(p, key);
    if (!ts.ok()) {
      ++s.bad;
      continue;
    }
    ++s.segments;
    all_plain += std::string(ts->view());
    auto n = DecodeSegment(*ts, [](const cv::Mat& bgr, double) { return !bgr.empty(); });
    if (n.ok()) s.frames += *n;
  }
  s.found_in_plaintext = CountFound(all_plain, needles);
  return s;
}

TEST(FootageRecorderTest, AClipIsRecordedInSealedSegmentsCutAtKeyFrames) {
  LFR_REQUIRE_DATA(clip, "video/hamilton/short_hamilton_clip.mp4");
  const fs::path root = lfr::testing::TempDir("rec-clip");
  const SecretBytes key = RandomKey();
  ManualClock clock(kT0);
  Alarm alarm;
  FootageRecorder rec(Options(root, &clock, &alarm), key);
  NeedleTap tap(&rec);
  const int64_t fed = FeedFile(clip, &tap, [&](int64_t) {
    clock.Advance(33);
    return true;
  });
  ASSERT_GT(fed, 200);
  const RecorderStatus st = rec.status();
  EXPECT_EQ(alarm.calls, 0) << alarm.message;
  EXPECT_EQ(st.state, RecordingState::kWaiting);  // the stream ended; the last segment is sealed
  // Key frames every 2 s in a 9.2 s clip: 2-second segments, cut at each.
  EXPECT_GE(st.segments, 4);
  EXPECT_EQ(st.packets, fed);
  const auto segments = ListSegments(CameraFootageDir(root, 3, 4));
  ASSERT_EQ(static_cast<int64_t>(segments.size()), st.segments);
  EXPECT_EQ(ParseSegmentPath(segments[0])->start_ms, kT0);  // the UTC time of its first packet

  const Scan scan = ScanFootage(root, key, tap.needles);
  EXPECT_EQ(scan.bad, 0);
  EXPECT_EQ(scan.segments, st.segments);
  EXPECT_EQ(scan.frames, fed);  // every frame, across segment boundaries
  EXPECT_GT(scan.found_in_plaintext, static_cast<int>(tap.needles.size()) / 2);
  EXPECT_EQ(scan.found_on_disk, 0);
}

// Serves the clip live with ffmpeg and reads it with a CameraReader whose packet tap is
// `tap`, until the stream ends and the recorder has sealed its last segment. The frames
// the reader read.
int64_t ReadLive(const fs::path& clip, const std::shared_ptr<PacketTap>& tap, FootageRecorder* rec) {
  const int port = FreeLoopbackPort();
  EXPECT_GT(port, 0);
  const pid_t server = ServeClipLive(clip, port, "4");
  EXPECT_GT(server, 0);
  CameraOptions o;
  o.backoff_initial_s = 0.05;  // until ffmpeg listens
  o.backoff_max_s = 0.2;
  o.read_timeout_ms = 5000;
  o.packet_tap = tap;
  FrameQueue queue(false, 1);  // live: frames nobody takes are dropped
  CameraReader reader("gate", *ParseSource("http://127.0.0.1:" + std::to_string(port) + "/live.ts"), o, &queue);
  EXPECT_TRUE(reader.Start().ok());
  int status = 0;
  EXPECT_EQ(waitpid(server, &status, 0), server);  // ffmpeg served the whole clip
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "ffmpeg status " << status;
  // The end of the stream closes the reader's session: the segment in progress is sealed.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (rec->status().state == RecordingState::kRecording && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  reader.Stop();
  reader.Join();
  return reader.status().frames_read;
}

TEST(FootageRecorderTest, ALiveStreamServedByFfmpegIsRecordedSealedAndPlayable) {
  LFR_REQUIRE_DATA(clip, "video/hamilton/short_hamilton_clip.mp4");
  ASSERT_TRUE(HaveLibav());
  const fs::path root = lfr::testing::TempDir("rec-live");
  const SecretBytes key = RandomKey();
  Alarm alarm;
  auto rec = std::make_shared<FootageRecorder>(Options(root, nullptr, &alarm), key);
  auto tap = std::make_shared<NeedleTap>(rec.get());
  EXPECT_GT(ReadLive(clip, tap, rec.get()), 200);  // the reader decoded the stream meanwhile

  const RecorderStatus st = rec->status();
  EXPECT_EQ(alarm.calls, 0) << alarm.message;
  EXPECT_GE(st.segments, 3);
  EXPECT_GT(st.packets, 200);
  EXPECT_EQ(st.packets, tap->packets);  // every packet of the stream (it starts on a key frame)
  const Scan scan = ScanFootage(root, key, tap->needles);
  EXPECT_EQ(scan.bad, 0);
  EXPECT_EQ(scan.segments, st.segments);
  EXPECT_EQ(scan.frames, st.packets);
  EXPECT_GT(scan.found_in_plaintext, static_cast<int>(tap->needles.size()) / 2);
  EXPECT_EQ(scan.found_on_disk, 0);
}

TEST(FootageRecorderTest, ALiveCameraWhoseDiskIsFullRaisesTheAlarmAndKeepsBeingRead) {
  LFR_REQUIRE_DATA(clip, "video/hamilton/short_hamilton_clip.mp4");
  const fs::path root = lfr::testing::TempDir("rec-live-full");
  Alarm alarm;
  RecorderOptions o = Options(root, nullptr, &alarm);
  o.opener = [](const fs::path&) { return ::open("/dev/full", O_WRONLY | O_CLOEXEC); };  // ENOSPC
  auto rec = std::make_shared<FootageRecorder>(o, RandomKey());
  EXPECT_GT(ReadLive(clip, rec, rec.get()), 200);  // live frames go on
  EXPECT_EQ(rec->status().state, RecordingState::kFailed);
  EXPECT_EQ(alarm.calls, 1);
  EXPECT_NE(alarm.message.find("No space left on device"), std::string::npos) << alarm.message;
  EXPECT_TRUE(FilesUnder(root).empty());
}

TEST(FootageRecorderTest, ADiskFullMidSegmentStopsRecordingWithOneAlarmAndLeavesNothingHalfWritten) {
  LFR_REQUIRE_DATA(clip, "video/hamilton/short_hamilton_clip.mp4");
  const fs::path root = lfr::testing::TempDir("rec-full");
  const SecretBytes key = RandomKey();
  ManualClock clock(kT0);
  Alarm alarm;
  int last_fd = -1;
  fs::path last_part;
  RecorderOptions o = Options(root, &clock, &alarm);
  o.opener = [&](const fs::path& p) {
    last_part = p;
    last_fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    return last_fd;
  };
  FootageRecorder rec(o, key);
  bool filled = false;
  int64_t part_bytes = 0;
  const int64_t fed = FeedFile(clip, &rec, [&](int64_t) {
    clock.Advance(33);
    // The second segment has sealed chunks on disk: now the disk is full.
    std::error_code ec;
    if (!filled && rec.status().segments == 1 && fs::exists(last_part) && fs::file_size(last_part, ec) > 0) {
      part_bytes = static_cast<int64_t>(fs::file_size(last_part, ec));
      const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
      EXPECT_GE(full, 0);
      EXPECT_EQ(dup2(full, last_fd), last_fd);  // the segment's file now gets ENOSPC
      close(full);
      filled = true;
    }
    return true;
  });
  ASSERT_TRUE(filled) << "the second segment never reached the disk";
  EXPECT_GT(part_bytes, 0);
  EXPECT_GT(fed, 200);
  const RecorderStatus st = rec.status();
  EXPECT_EQ(st.state, RecordingState::kFailed);
  EXPECT_NE(st.error.find("No space left on device"), std::string::npos) << st.error;
  EXPECT_EQ(alarm.calls, 1);  // once, although packets kept coming
  EXPECT_NE(alarm.message.find("No space left on device"), std::string::npos) << alarm.message;
  // Nothing half-written: the .part is gone; the first segment is complete and valid.
  EXPECT_FALSE(fs::exists(last_part));
  const auto files = FilesUnder(root);
  ASSERT_EQ(files.size(), 1u);
  auto ts = UnsealSegment(files[0], key);
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  EXPECT_GT(*DecodeSegment(*ts, [](const cv::Mat&, double) { return true; }), 0);
  EXPECT_EQ(st.segments, 1);
  EXPECT_TRUE(rec.Close().ok());
  EXPECT_EQ(alarm.calls, 1);
}

TEST(FootageRecorderTest, ACodecThatCannotBeRecordedRaisesTheAlarmAtOnce) {
  LFR_REQUIRE_DATA(clip, "video/vtest-tiny-faces/vtest.avi");  // MS-MPEG4 v3: not in MPEG-TS
  const fs::path root = lfr::testing::TempDir("rec-codec");
  ManualClock clock(kT0);
  Alarm alarm;
  FootageRecorder rec(Options(root, &clock, &alarm), RandomKey());
  FeedFile(clip, &rec, [](int64_t n) { return n < 50; });
  EXPECT_EQ(rec.status().state, RecordingState::kFailed);
  EXPECT_EQ(alarm.calls, 1);
  EXPECT_NE(alarm.message.find("cannot be recorded"), std::string::npos) << alarm.message;
  EXPECT_TRUE(FilesUnder(root).empty());
}

TEST(FootageRecorderTest, KillNineWhileRecordingLeavesOnlyCompleteSegmentsAndTheSweepRemovesTheRest) {
  LFR_REQUIRE_DATA(clip, "video/hamilton/short_hamilton_clip.mp4");
  const fs::path root = lfr::testing::TempDir("rec-kill");
  const SecretBytes key = RandomKey();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The recording process: records until its second segment has bytes on disk, says
    // so, and waits to be killed.
    close(ready[0]);
    ManualClock clock(kT0);
    Alarm alarm;
    FootageRecorder rec(Options(root, &clock, &alarm), key);
    const fs::path cam = CameraFootageDir(root, 3, 4);
    FeedFile(clip, &rec, [&](int64_t) {
      clock.Advance(33);
      if (rec.status().segments < 1) return true;
      for (const auto& p : FilesUnder(cam)) {
        std::error_code ec;
        if (p.extension() == ".part" && fs::file_size(p, ec) > 100) {
          (void)!write(ready[1], "k", 1);
          pause();  // killed here, mid-segment
        }
      }
      return true;
    });
    _exit(3);  // never reached a half-written segment
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1) << "the recording process ended before its second segment";
  close(ready[0]);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  // What is on disk: a complete, valid first segment and an unfinished .part no reader opens.
  const fs::path cam = CameraFootageDir(root, 3, 4);
  const auto segments = ListSegments(cam);
  ASSERT_EQ(segments.size(), 1u);
  auto first = UnsealSegment(segments[0], key);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GT(*DecodeSegment(*first, [](const cv::Mat&, double) { return true; }), 0);
  std::vector<fs::path> parts;
  for (const auto& p : FilesUnder(cam)) {
    if (p.extension() == ".part") parts.push_back(p);
  }
  ASSERT_EQ(parts.size(), 1u);
  const std::string name = parts[0].filename().string();  // ".<start>.lfrseg.part"
  const SegmentId half{3, 4, std::stoll(name.substr(1, name.find('.', 1) - 1))};
  EXPECT_EQ(UnsealSegment(parts[0], key, SegmentAad(half)).status().code(), Status::Code::kCorrupt);

  // The next start of recording on this camera sweeps it away.
  Alarm alarm;
  ManualClock clock(kT0 + 60000);
  FootageRecorder again(Options(root, &clock, &alarm), key);
  EXPECT_EQ(again.status().incomplete_swept, 1);
  EXPECT_EQ(FilesUnder(cam), segments);
}

}  // namespace
}  // namespace lfr
