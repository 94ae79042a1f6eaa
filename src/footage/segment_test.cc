// Sealed segment files: what is written is only ciphertext, reads back exactly, and is
// refused when truncated (the state a killed writer leaves), renamed to another camera or
// time, or opened with another key; an aborted segment leaves nothing.
#include "footage/segment.h"

#include <fcntl.h>

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "footage/footage_testing.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using namespace lfr::footage_testing;  // NOLINT

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(FootageSegmentTest, PathsCarryDeploymentCameraAndStart) {
  const SegmentId id{7, 12, 1795599688000};
  const fs::path p = SegmentPath("/x/footage", id);
  EXPECT_EQ(p, fs::path("/x/footage/7/12/1795599688000.lfrseg"));
  auto back = ParseSegmentPath(p);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->deployment_id, 7);
  EXPECT_EQ(back->camera_id, 12);
  EXPECT_EQ(back->start_ms, id.start_ms);
  EXPECT_FALSE(ParseSegmentPath("/x/footage/7/12/.1795599688000.lfrseg.part").has_value());
  EXPECT_FALSE(ParseSegmentPath("/x/footage/7/cam/1795599688000.lfrseg").has_value());
}

TEST(FootageSegmentTest, SealedBytesReadBackAndAnythingElseIsRefused) {
  const fs::path root = lfr::testing::TempDir("footage-seal");
  const SecretBytes key = RandomKey();
  const SegmentId id{1, 2, 1000};
  const fs::path path = SegmentPath(root, id);
  // Three and a half chunks of plaintext with a recognisable run in every chunk.
  std::vector<uint8_t> plain = RandomBytes(64 * 1024 * 3 + 30000, 1);
  const std::string marker = "PLAINTEXT-VIDEO-BYTES";
  for (size_t at = 100; at + marker.size() < plain.size(); at += 64 * 1024) {
    std::copy(marker.begin(), marker.end(), plain.begin() + static_cast<std::ptrdiff_t>(at));
  }
  auto f = SealedSegmentFile::Create(path, key, SegmentAad(id));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE((*f)->Write(plain.data(), 5000).ok());
  ASSERT_TRUE((*f)->Write(plain.data() + 5000, plain.size() - 5000).ok());
  // Before Finish only the hidden .part exists; its bytes are already sealed.
  EXPECT_FALSE(fs::exists(path));
  const fs::path part = path.parent_path() / ("." + path.filename().string() + ".part");
  ASSERT_TRUE(fs::exists(part));
  EXPECT_EQ(ReadAll(part).find(marker), std::string::npos);
  ASSERT_TRUE((*f)->Finish().ok());
  EXPECT_FALSE(fs::exists(part));
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::status(path).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);

  const std::string disk = ReadAll(path);
  EXPECT_EQ(disk.find(marker), std::string::npos);
  auto back = UnsealSegment(path, key);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), plain.size());
  EXPECT_TRUE(std::equal(plain.begin(), plain.end(), back->data()));

  // Another key.
  EXPECT_EQ(UnsealSegment(path, RandomKey()).status().code(), Status::Code::kCorrupt);
  // Passed off as another camera's segment, or another time's.
  const fs::path other = SegmentPath(root, {1, 3, 1000});
  fs::create_directories(other.parent_path());
  fs::copy_file(path, other);
  EXPECT_EQ(UnsealSegment(other, key).status().code(), Status::Code::kCorrupt);
  // Truncated after any whole chunk (as a killed writer leaves it) or mid-chunk.
  for (size_t keep : {disk.size() - 1, disk.size() - (64 * 1024 + 17 + 4) / 2, static_cast<size_t>(8 + 24 + 4 + 65536 + 17)}) {
    const fs::path cut = SegmentPath(root, {1, 2, 2000 + static_cast<int64_t>(keep)});
    std::ofstream(cut, std::ios::binary) << disk.substr(0, keep);
    auto r = UnsealSegment(cut, key, SegmentAad(id));
    EXPECT_EQ(r.status().code(), Status::Code::kCorrupt) << "kept " << keep << " bytes";
  }
  // Missing.
  EXPECT_EQ(UnsealSegment(SegmentPath(root, {1, 2, 5}), key).status().code(), Status::Code::kNotFound);
}

TEST(FootageSegmentTest, AnAbortedSegmentLeavesNothingAndSweepRemovesLeftovers) {
  const fs::path root = lfr::testing::TempDir("footage-abort");
  const SecretBytes key = RandomKey();
  const SegmentId id{1, 2, 3000};
  const std::vector<uint8_t> plain = RandomBytes(200000, 2);
  {
    auto f = SealedSegmentFile::Create(SegmentPath(root, id), key, SegmentAad(id));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Write(plain.data(), plain.size()).ok());
    (*f)->Abort();
  }
  EXPECT_TRUE(FilesUnder(root).empty());
  {
    auto f = SealedSegmentFile::Create(SegmentPath(root, id), key, SegmentAad(id));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Write(plain.data(), plain.size()).ok());
  }  // destroyed unfinished: aborted
  EXPECT_TRUE(FilesUnder(root).empty());

  const fs::path cam = CameraFootageDir(root, 1, 2);
  std::ofstream(cam / ".5000.lfrseg.part") << "left by a killed process";
  std::ofstream(cam / "6000.lfrseg") << "x";
  EXPECT_EQ(SweepIncompleteSegments(cam), 1);
  ASSERT_EQ(FilesUnder(root).size(), 1u);
  EXPECT_EQ(ListSegments(cam), std::vector<fs::path>{cam / "6000.lfrseg"});
}

TEST(FootageSegmentTest, AWriteErrorIsReportedWithTheSystemsReason) {
  const fs::path root = lfr::testing::TempDir("footage-full");
  const SegmentId id{1, 2, 4000};
  // /dev/full: every write fails with ENOSPC, as on a full disk.
  auto f = SealedSegmentFile::Create(SegmentPath(root, id), RandomKey(), SegmentAad(id),
                                     [](const fs::path&) { return ::open("/dev/full", O_WRONLY | O_CLOEXEC); });
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Status::Code::kIOError);
  EXPECT_NE(f.status().message().find("No space left on device"), std::string::npos) << f.status().message();
}

// A recorded clip is MPEG-TS that demuxes to the same packets and decodes to every frame.
TEST(FootageSegmentTest, PacketsCopiedIntoASegmentDemuxAndDecode) {
  LFR_REQUIRE_DATA(clip, "video/hamilton/short_hamilton_clip.mp4");
  const fs::path root = lfr::testing::TempDir("footage-mux");
  const SecretBytes key = RandomKey();
  const SegmentId id{1, 2, 5000};

  class Muxing : public PacketTap {
   public:
    Muxing(const fs::path& path, const SecretBytes& key, const SegmentId& id) : path_(path), key_(key), id_(id) {}
    void OnStreamStart(const AVCodecParameters& p, int n, int d) override {
      auto f = SealedSegmentFile::Create(path_, key_, SegmentAad(id_));
      ASSERT_TRUE(f.ok());
      auto w = SegmentWriter::Open(p, n, d, std::move(f).value());
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      writer = std::move(w).value();
    }
    void OnPacket(const AVPacket& p) override {
      sizes.push_back(p.size);
      ASSERT_TRUE(writer->Write(p).ok());
    }
    void OnStreamEnd() override { ASSERT_TRUE(writer->Finish().ok()); }
    std::unique_ptr<SegmentWriter> writer;
    std::vector<int> sizes;

   private:
    fs::path path_;
    const SecretBytes& key_;
    SegmentId id_;
  } mux(SegmentPath(root, id), key, id);
  NeedleTap needles(&mux);
  const int64_t fed = FeedFile(clip, &needles);
  ASSERT_GT(fed, 200);
  EXPECT_EQ(mux.writer->packets(), fed);

  auto ts = UnsealSegment(SegmentPath(root, id), key);
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  // The plaintext holds the source's bytes (so the scan below can fail), the file does not.
  const std::string plain(ts->view());
  EXPECT_GT(CountFound(plain, needles.needles), static_cast<int>(needles.needles.size()) / 2);
  EXPECT_EQ(CountFound(ReadAll(SegmentPath(root, id)), needles.needles), 0);

  auto demuxed = DemuxSegment(*ts);
  ASSERT_TRUE(demuxed.ok()) << demuxed.status().ToString();
  EXPECT_EQ(static_cast<int64_t>((*demuxed)->packets().size()), fed);
  EXPECT_EQ((*demuxed)->params().width, 640);
  int64_t frames = 0;
  auto decoded = DecodeSegment(*ts, [&](const cv::Mat& bgr, double) {
    EXPECT_EQ(bgr.size(), cv::Size(640, 360));
    ++frames;
    return true;
  });
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, fed);  // one frame per packet: every frame of the clip
  EXPECT_EQ(frames, fed);
}

}  // namespace
}  // namespace lfr
