// The libav decoder backend (pipeline/av_source.h) on the shared clips and on broken
// files: the same frames as cv::VideoCapture, undecoded non-reference frames that change
// neither the count nor the frames handed over, the detector's downscaled copy, and the
// reader's pacing, end of file and failures with this backend.
#include "pipeline/av_source.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "pipeline/camera.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

#define LFR_REQUIRE_LIBAV() \
  if (!HaveLibav()) GTEST_SKIP() << "this build has no libav backend"

const char* const kClips[] = {"opera-house-walkers/video.mp4",
                              "hamilton/short_hamilton_clip.mp4",
                              "vtest-tiny-faces/vtest.avi"};

std::unique_ptr<FrameSource> OpenLibav(const fs::path& file, const CameraOptions& o,
                                       SourceInfo* info) {
  auto src = MakeLibavFrameSource(*ParseSource(file.string()), o, nullptr);
  std::string error;
  EXPECT_TRUE(src->Open(info, &error)) << file << ": " << error;
  return src;
}

double MeanAbsDiff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  return cv::norm(a, b, cv::NORM_L1) / static_cast<double>(a.total() * a.channels());
}

TEST(LibavSource, DecodesTheSharedClipsLikeOpenCv) {
  LFR_REQUIRE_LIBAV();
  LFR_REQUIRE_DATA(video, "video");
  for (const char* clip : kClips) {
    SCOPED_TRACE(clip);
    const fs::path file = video / clip;
    cv::VideoCapture cap(file.string(), cv::CAP_FFMPEG);
    ASSERT_TRUE(cap.isOpened());
    SourceInfo info;
    auto src = OpenLibav(file, {}, &info);
    EXPECT_EQ(info.width, static_cast<int>(cap.get(cv::CAP_PROP_FRAME_WIDTH)));
    EXPECT_EQ(info.height, static_cast<int>(cap.get(cv::CAP_PROP_FRAME_HEIGHT)));
    EXPECT_NEAR(info.fps, cap.get(cv::CAP_PROP_FPS), 0.01);
    cv::Mat ours, theirs;
    int frames = 0;
    double worst = 0;
    while (src->Next(&ours, nullptr)) {
      ASSERT_TRUE(cap.read(theirs)) << "OpenCV ended first, at frame " << frames;
      ASSERT_EQ(ours.size(), cv::Size(info.width, info.height));
      if (frames % 10 == 0) worst = std::max(worst, MeanAbsDiff(ours, theirs));
      ++frames;
    }
    EXPECT_EQ(src->error(), "");
    EXPECT_FALSE(cap.read(theirs)) << "OpenCV has more frames than " << frames;
    EXPECT_GT(frames, 50);
    // Same FFmpeg decoder and colour conversion: the pixels agree.
    EXPECT_LT(worst, 0.5);
  }
}

// Unwanted non-reference frames are not decoded, yet every frame is still one step and the
// wanted frames are bit-identical to a full decode (nothing references a skipped frame).
TEST(LibavSource, SkippingNonReferenceFramesKeepsCountAndWantedFrames) {
  LFR_REQUIRE_LIBAV();
  LFR_REQUIRE_DATA(video, "video");
  const fs::path file = video / "opera-house-walkers/video.mp4";  // H.264 with B-frames
  SourceInfo info;
  std::vector<cv::Mat> full;
  {
    auto src = OpenLibav(file, {}, &info);
    cv::Mat m;
    while (src->Next(&m, nullptr)) full.push_back(m.clone());
  }
  for (int64_t phase : {0, 1}) {
    SCOPED_TRACE(phase);
    CameraOptions o;
    auto src = OpenLibav(file, o, &info);
    src->SetWanted(3, phase);
    cv::Mat m;
    size_t k = 0;
    for (;; ++k) {
      const bool wanted = (phase + static_cast<int64_t>(k)) % 3 == 0;
      if (!src->Next(wanted ? &m : nullptr, nullptr)) break;
      ASSERT_LT(k, full.size());
      if (wanted) {
        EXPECT_EQ(MeanAbsDiff(m, full[k]), 0.0) << "frame " << k;
      }
    }
    EXPECT_EQ(k, full.size());
  }
}

TEST(LibavSource, MakesTheDetectorsDownscaledCopy) {
  LFR_REQUIRE_LIBAV();
  LFR_REQUIRE_DATA(video, "video");
  CameraOptions o;
  o.working_long_side = 480;
  SourceInfo info;
  auto src = OpenLibav(video / "opera-house-walkers/video.mp4", o, &info);
  cv::Mat image, working, reference;
  ASSERT_TRUE(src->Next(&image, &working));
  EXPECT_EQ(working.size(), cv::Size(480, 270));
  EXPECT_EQ(WorkingSize(image.size(), 480), cv::Size(480, 270));
  cv::resize(image, reference, working.size(), 0, 0, cv::INTER_AREA);
  EXPECT_LT(MeanAbsDiff(working, reference), 2.0);
  // No copy when the frame is already small enough.
  o.working_long_side = 640;
  auto small = OpenLibav(video / "hamilton/short_hamilton_clip.mp4", o, &info);
  ASSERT_TRUE(small->Next(&image, &working));
  EXPECT_TRUE(working.empty());
  EXPECT_EQ(WorkingSize({640, 360}, 480), cv::Size(480, 270));
  EXPECT_EQ(WorkingSize({640, 360}, 640), cv::Size(0, 0));
}

// The reader with the libav backend: every frame in order, paced, ended, with its counts.
struct ReaderRun {
  std::vector<int64_t> indices;
  std::vector<cv::Size> working;
  CameraStatus status;
  double seconds = 0;
};
ReaderRun ReadWith(const std::string& uri, CameraOptions o, DecoderBackend backend) {
  o.backend = backend;
  FrameQueue slot(!o.realtime);
  CameraReader reader("cam", *ParseSource(uri), o, &slot);
  ReaderRun r;
  const auto t0 = SteadyClock::now();
  if (reader.Start().ok()) {
    Frame f;
    while (slot.Take(&f, 200ms) || !slot.closed() || slot.Take(&f, 0ms)) {
      if (f.index < 0) continue;
      r.indices.push_back(f.index);
      r.working.push_back(f.working.size());
      f.index = -1;
    }
  }
  reader.Join();
  r.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  r.status = reader.status();
  return r;
}
ReaderRun ReadWithLibav(const std::string& uri, CameraOptions o) {
  return ReadWith(uri, o, DecoderBackend::kLibav);
}

// Both backends hand over the same frames with the same counts; only libav makes the
// detector's copy.
TEST(LibavSource, ReaderDeliversEveryNthFrameOfARealClipThenEndsWithEitherBackend) {
  LFR_REQUIRE_LIBAV();
  LFR_REQUIRE_DATA(video, "video");
  CameraOptions o;
  o.realtime = false;
  o.decode_every = 3;
  o.working_long_side = 480;
  for (DecoderBackend b : {DecoderBackend::kLibav, DecoderBackend::kOpenCv}) {
    SCOPED_TRACE(BackendName(b));
    ReaderRun r = ReadWith((video / "opera-house-walkers/video.mp4").string(), o, b);
    EXPECT_EQ(r.status.backend, b);
    EXPECT_EQ(r.status.health, CameraHealth::kEnded) << r.status.error;
    EXPECT_EQ(r.status.frames_read, 105);
    EXPECT_EQ(r.status.frames_grab_only, 70);
    EXPECT_EQ(r.status.frames_dropped, 0);
    ASSERT_EQ(r.indices.size(), 35u);
    for (size_t i = 0; i < r.indices.size(); ++i) {
      EXPECT_EQ(r.indices[i], static_cast<int64_t>(3 * i));
      EXPECT_EQ(r.working[i], b == DecoderBackend::kLibav ? cv::Size(480, 270) : cv::Size());
    }
  }
}

TEST(LibavSource, ReaderPacesAFileAtItsFrameRate) {
  LFR_REQUIRE_LIBAV();
  LFR_REQUIRE_DATA(video, "video");
  CameraOptions o;
  o.realtime = true;
  o.max_frames = 26;
  ReaderRun r = ReadWithLibav((video / "hamilton/short_hamilton_clip.mp4").string(), o);
  EXPECT_EQ(r.status.frames_read, 26);
  ASSERT_GT(r.status.fps, 0);
  // Frame 25 is not due before 25 frame periods: a lower bound only, so load cannot break it.
  EXPECT_GE(r.seconds, 25 / r.status.fps - 0.01);
  for (size_t i = 1; i < r.indices.size(); ++i) EXPECT_GT(r.indices[i], r.indices[i - 1]);
}

TEST(LibavSource, MissingFileFailsAtOnce) {
  LFR_REQUIRE_LIBAV();
  ReaderRun r = ReadWithLibav("/no/such/clip.mp4", {});
  EXPECT_TRUE(r.indices.empty());
  EXPECT_EQ(r.status.health, CameraHealth::kFailed);
  EXPECT_NE(r.status.error.find("/no/such/clip.mp4"), std::string::npos) << r.status.error;
}

TEST(LibavSource, GarbageFileFailsWithTheReason) {
  LFR_REQUIRE_LIBAV();
  const fs::path p = lfr::testing::TempDir("avgarbage") / "clip.mp4";
  std::ofstream(p) << std::string(4096, 'x');
  SourceInfo info;
  auto src = MakeLibavFrameSource(*ParseSource(p.string()), {}, nullptr);
  std::string error;
  EXPECT_FALSE(src->Open(&info, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(src->IsOpen());
  cv::Mat m;
  EXPECT_FALSE(src->Next(&m, nullptr));
  CameraOptions o;
  o.realtime = false;
  ReaderRun r = ReadWithLibav(p.string(), o);
  EXPECT_EQ(r.status.health, CameraHealth::kFailed);
  EXPECT_NE(r.status.error.find(p.string()), std::string::npos) << r.status.error;
  EXPECT_NE(r.status.error.find(error), std::string::npos) << r.status.error;
}

TEST(LibavSource, TruncatedFileDeliversWhatItHasThenEnds) {
  LFR_REQUIRE_LIBAV();
  const fs::path dir = lfr::testing::TempDir("avtrunc");
  const fs::path whole = dir / "whole.avi", cut = dir / "cut.avi";
  {
    cv::VideoWriter w(whole.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25, {160, 120});
    ASSERT_TRUE(w.isOpened());
    for (int i = 0; i < 40; ++i) {
      cv::Mat f(120, 160, CV_8UC3, cv::Scalar(30, 60, 90));
      cv::circle(f, {10 + 3 * i, 60}, 8, cv::Scalar(250, 250, 250), -1);
      w.write(f);
    }
  }
  fs::copy_file(whole, cut);
  fs::resize_file(cut, fs::file_size(whole) / 2);
  CameraOptions o;
  o.realtime = false;
  ReaderRun r = ReadWithLibav(cut.string(), o);
  EXPECT_EQ(r.status.health, CameraHealth::kEnded) << r.status.error;
  EXPECT_GT(r.status.frames_read, 5);
  EXPECT_LT(r.status.frames_read, 40);
  EXPECT_EQ(static_cast<int64_t>(r.indices.size()), r.status.frames_read);
}

TEST(LibavSource, DevicesStayOnOpenCv) {
  auto src = MakeFrameSource(*ParseSource("v4l2:0"), {}, nullptr);
  EXPECT_EQ(src->backend(), DecoderBackend::kOpenCv);
  CameraOptions o;
  o.backend = DecoderBackend::kOpenCv;
  EXPECT_EQ(MakeFrameSource(*ParseSource("clip.mp4"), o, nullptr)->backend(),
            DecoderBackend::kOpenCv);
  if (HaveLibav()) {
    EXPECT_EQ(MakeFrameSource(*ParseSource("clip.mp4"), {}, nullptr)->backend(),
              DecoderBackend::kLibav);
    EXPECT_EQ(MakeFrameSource(*ParseSource("rtsp://cam/x"), {}, nullptr)->backend(),
              DecoderBackend::kLibav);
  }
}

}  // namespace
}  // namespace lfr
