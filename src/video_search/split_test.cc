// Cutting one video file into parts at key frames so that several threads search it at
// once (video_search.h SplitFiles): the decoder starting at a key frame gives the frames a
// full decode gives there, a reader part hands over exactly its frames with the file's own
// indices, the plan is deterministic and leaves what cannot be cut alone, and a search over
// the parts finds the same appearances as over the whole file (merged across the cut).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <set>

#include "match/watchlist.h"
#include "pipeline/av_source.h"
#include "pipeline/camera.h"
#include "testing/shared.h"
#include "vision/analyzer.h"
#include "video_search/video_search.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

#define LFR_REQUIRE_LIBAV() \
  if (!HaveLibav()) GTEST_SKIP() << "this build has no libav backend"

fs::path Hamilton(const fs::path& video) { return video / "hamilton" / "short_hamilton_clip.mp4"; }

TEST(SplitFiles, KeyFrameTimesListsTheClipsKeyFrames) {
  LFR_REQUIRE_LIBAV();
  LFR_REQUIRE_DATA(video, "video");
  // hamilton: 275 frames at 29.97 fps, a key frame about every 2 s (ffprobe: 5 of them).
  auto keys = KeyFrameTimes(Hamilton(video));
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_GE(keys->size(), 4u);
  EXPECT_NEAR((*keys)[0], 0.0, 1e-6);
  for (size_t i = 1; i < keys->size(); ++i) EXPECT_GT((*keys)[i], (*keys)[i - 1] + 1.0);
  // opera-house-walkers: one key frame only.
  auto opera = KeyFrameTimes(video / "opera-house-walkers" / "video.mp4");
  ASSERT_TRUE(opera.ok());
  EXPECT_EQ(opera->size(), 1u);
  EXPECT_FALSE(KeyFrameTimes(video / "no-such.mp4").ok());
}

TEST(SplitFiles, DecodingFromAKeyFrameGivesTheFramesOfAFullDecode) {
  LFR_REQUIRE_LIBAV();
  LFR_REQUIRE_DATA(video, "video");
  const fs::path file = Hamilton(video);
  auto keys = KeyFrameTimes(file);
  ASSERT_TRUE(keys.ok() && keys->size() >= 3u);
  const double at = (*keys)[2];
  CameraOptions o;
  SourceInfo info;
  std::string error;
  auto full = MakeLibavFrameSource(*ParseSource(file.string()), o, nullptr);
  ASSERT_TRUE(full->Open(&info, &error)) << error;
  const int64_t key_index = std::llround(at * info.fps);
  std::vector<cv::Mat> from_full;
  cv::Mat m;
  for (int64_t k = 0; full->Next(&m, nullptr); ++k) {
    if (k >= key_index) from_full.push_back(m.clone());
  }
  auto part = MakeLibavFrameSource(*ParseSource(file.string()), o, nullptr);
  ASSERT_TRUE(part->Open(&info, &error)) << error;
  int64_t index = -1;
  // Asked for a time just after the key frame: it starts at the key frame.
  ASSERT_TRUE(part->SeekToKeyFrame(at + 0.5, &index));
  EXPECT_EQ(index, key_index);
  size_t n = 0;
  while (part->Next(&m, nullptr)) {
    ASSERT_LT(n, from_full.size());
    EXPECT_EQ(cv::norm(m, from_full[n], cv::NORM_INF), 0) << "frame " << key_index + static_cast<int64_t>(n);
    ++n;
  }
  EXPECT_EQ(n, from_full.size());
}

TEST(SplitFiles, AReaderPartHandsOverItsFramesWithTheFilesIndices) {
  LFR_REQUIRE_LIBAV();
  LFR_REQUIRE_DATA(video, "video");
  const fs::path file = Hamilton(video);
  auto keys = KeyFrameTimes(file);
  ASSERT_TRUE(keys.ok() && keys->size() >= 3u);
  CameraOptions o;
  o.realtime = false;
  o.decode_every = 3;
  o.start_s = (*keys)[1];
  o.end_s = (*keys)[2];
  FrameQueue slot(true, 4);
  CameraReader reader("part", *ParseSource(file.string()), o, &slot);
  ASSERT_TRUE(reader.Start().ok());
  std::vector<int64_t> indices;
  std::vector<double> times;
  Frame f;
  while (slot.Take(&f, 200ms) || !slot.closed() || slot.Take(&f, 0ms)) {
    if (f.index < 0) continue;
    indices.push_back(f.index);
    times.push_back(f.media_time_s);
    f.index = -1;
  }
  reader.Join();
  const double fps = reader.status().fps;
  const int64_t first = std::llround((*keys)[1] * fps), end = std::llround((*keys)[2] * fps);
  ASSERT_FALSE(indices.empty());
  // Every 3rd frame of the file (its own phase), from the first key frame to the second.
  std::vector<int64_t> want;
  for (int64_t k = first; k < end; ++k) {
    if (k % 3 == 0) want.push_back(k);
  }
  EXPECT_EQ(indices, want);
  for (size_t i = 0; i < indices.size(); ++i) EXPECT_NEAR(times[i], indices[i] / fps, 1e-6);
  EXPECT_EQ(reader.status().frames_read, end - first);
  EXPECT_EQ(reader.status().health, CameraHealth::kEnded);
}

TEST(SplitFiles, CutsLongFilesAtKeyFramesOnlyWhenThreadsWouldIdle) {
  LFR_REQUIRE_LIBAV();
  LFR_REQUIRE_DATA(video, "video");
  auto unit = ProbeVideoFile(Hamilton(video));
  ASSERT_TRUE(unit.ok());
  auto keys = KeyFrameTimes(unit->path);
  ASSERT_TRUE(keys.ok());
  // One thread, or as many files as threads: nothing is cut.
  EXPECT_EQ(SplitFiles({*unit}, 1, 3.0).size(), 1u);
  EXPECT_EQ(SplitFiles({*unit, *unit}, 2, 3.0).size(), 2u);
  // Parts must be at least 10 s by default: the 9.2 s clip stays whole.
  EXPECT_EQ(SplitFiles({*unit}, 2).size(), 1u);
  // A unit that loops (benchmarks) or a footage segment is never cut.
  VideoUnit looped = *unit;
  looped.loop_frames = 1000;
  EXPECT_EQ(SplitFiles({looped}, 2, 3.0).size(), 1u);

  const auto parts = SplitFiles({*unit}, 2, 3.0, 1.0);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].part_start_s, 0.0);
  EXPECT_EQ(parts[0].part_end_s, parts[1].part_start_s);
  EXPECT_EQ(parts[0].part_overlap_s, 1.0);
  EXPECT_EQ(parts[1].part_overlap_s, 0.0);
  EXPECT_NEAR(parts[1].part_end_s, unit->duration_s, 1e-9);
  // The cut is a key frame near the middle.
  EXPECT_TRUE(std::find(keys->begin(), keys->end(), parts[1].part_start_s) != keys->end());
  EXPECT_NEAR(parts[1].part_start_s, unit->duration_s / 2, 2.5);
  EXPECT_NE(parts[0].key, parts[1].key);
  for (const auto& p : parts) {
    EXPECT_EQ(FileKeyOf(p.key), unit->key);
    EXPECT_EQ(p.source, unit->source);
  }
  // Deterministic (resuming relies on the same keys).
  const auto again = SplitFiles({*unit}, 2, 3.0, 1.0);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[1].key, parts[1].key);
  // Three threads on one file: three parts, each at least min_part_s long (the clip's key
  // frames are ~2 s apart, so 2 s parts can be cut where 2.5 s ones cannot).
  const auto three = SplitFiles({*unit}, 3, 2.0, 1.0);
  ASSERT_EQ(three.size(), 3u);
  for (const auto& p : three) EXPECT_GE(p.part_end_s - p.part_start_s, 2.0);
  EXPECT_EQ(SplitFiles({*unit}, 3, 2.5, 1.0).size(), 2u) << "no second cut leaves two 2.5 s parts";
}

// The same search over the whole file and over two parts searched at once.
TEST(SplitFiles, PartsFindTheAppearancesOfTheWholeFile) {
  LFR_REQUIRE_LIBAV();
  auto det = lfr::testing::FindModel("yunet-2022mar");
  auto rec = lfr::testing::FindModel("mobilefacenet-arcface");
  auto video = lfr::testing::FindData("video");
  if (!det || !rec || !video) LFR_MISSING_SHARED_("models yunet-2022mar, mobilefacenet-arcface and data video/");
  Watchlist wl;
  {
    auto d = CreateDetector(*det);
    auto e = Embedder::Create(*rec);
    ASSERT_TRUE(d.ok() && e.ok());
    FaceAnalyzer analyzer(std::move(d).value(), std::move(e).value());
    auto list = ListWatchlistDir(*video / "hamilton" / "watchlist_stills");
    ASSERT_TRUE(list.ok());
    auto r = EnrolImages(*list, analyzer, {}, &wl);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  auto unit = ProbeVideoFile(Hamilton(*video));
  ASSERT_TRUE(unit.ok());
  auto search = [&](const std::vector<VideoUnit>& units, int threads) {
    VideoSearchOptions o;
    o.threads = threads;
    VideoSearch s(*det, *rec, &wl, o);
    std::vector<Appearance> found;
    double media = 0;
    Status st = s.Run(units, {}, [&](const UnitOutcome& u) {
      for (const auto& a : u.appearances) found.push_back(a);
      media += u.media_s;
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_NEAR(media, unit->duration_s, 0.1);  // overlaps counted once
    return MergeAppearances(found, o.merge_gap_s);
  };
  const auto whole = search({*unit}, 1);
  const auto parts = SplitFiles({*unit}, 2, 3.0, 1.0);
  ASSERT_EQ(parts.size(), 2u);
  const auto split = search(parts, 2);
  auto describe = [](const std::vector<Appearance>& v) {
    std::string s;
    for (const auto& a : v) {
      s += a.subject + " " + std::to_string(a.start_s) + "-" + std::to_string(a.end_s) + " best " +
           std::to_string(a.best_score) + "; ";
    }
    return s;
  };
  std::cout << "[ info     ] whole: " << describe(whole) << "\n[ info     ] parts: " << describe(split) << "\n";
  ASSERT_EQ(whole.size(), split.size()) << describe(whole) << " vs " << describe(split);
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(whole[i].subject, split[i].subject);
    EXPECT_EQ(whole[i].source, split[i].source);
    EXPECT_EQ(FileKeyOf(split[i].unit_key), unit->key);
    // The same span up to the overlap (1 s): a track cut at the key frame goes on in the
    // first part's overlap, and the second part's tracker starts afresh at the cut, so its
    // track may hold on a little longer or shorter than the whole file's (measured: 0.7 s).
    // A track that begins before the cut but first matches after the overlap is reported
    // from the cut: the first part ended before the evidence for it did. With the 60-degree
    // yaw gate Miranda's track starts at 1.5 s, turned, and has not matched by the end of the
    // first part's overlap, so the parts report him from the cut at 4.0 s. The start is
    // never earlier than the whole file's and never later than the cut.
    const double cut = parts[1].part_start_s;
    EXPECT_GE(split[i].start_s, whole[i].start_s - 0.5);
    EXPECT_LE(split[i].start_s, std::max(whole[i].start_s, cut) + 0.5) << "cut at " << cut;
    EXPECT_NEAR(whole[i].end_s, split[i].end_s, 1.0);
    EXPECT_NEAR(whole[i].best_score, split[i].best_score, 0.05);
  }
  bool miranda = false;
  for (const auto& a : split) miranda |= a.subject == "lin-manuel-miranda";
  EXPECT_TRUE(miranda);
}

}  // namespace
}  // namespace lfr
