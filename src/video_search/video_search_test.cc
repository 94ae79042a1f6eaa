// Unit tests of forensic video search without models: merging appearances, the sealed
// resume state, probing files and listing a deployment's segments by time range.
#include <gtest/gtest.h>

#include <fstream>

#include "footage/footage_testing.h"
#include "footage/segment.h"
#include "testing/shared.h"
#include "util/clock.h"
#include "video_search/resume.h"
#include "video_search/video_search.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;

Appearance App(const std::string& source, const std::string& subject, int64_t start_ms, int64_t end_ms, float score,
               const std::string& unit = "u") {
  Appearance a;
  a.source = source;
  a.subject = subject;
  a.start_utc_ms = start_ms;
  a.end_utc_ms = end_ms;
  a.best_utc_ms = start_ms;
  a.best_score = score;
  a.matches = 1;
  a.unit_key = unit;
  return a;
}

TEST(MergeAppearances, JoinsASubjectsNearbyAppearancesOnOneSourceOnly) {
  std::vector<Appearance> in = {
      App("cam1", "A", 10'000, 12'000, 0.7f, "seg1"),
      App("cam1", "A", 13'000, 15'000, 0.8f, "seg2"),  // 1 s later, next segment: merged
      App("cam1", "A", 30'000, 31'000, 0.6f, "seg2"),  // 15 s later: apart
      App("cam2", "A", 12'500, 13'000, 0.9f, "seg3"),  // another camera: apart
      App("cam1", "B", 12'000, 13'000, 0.9f, "seg1"),  // another subject: apart
  };
  auto out = MergeAppearances(in, 2.0);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].source, "cam1");
  EXPECT_EQ(out[0].subject, "A");
  EXPECT_EQ(out[0].start_utc_ms, 10'000);
  EXPECT_EQ(out[0].end_utc_ms, 15'000);
  EXPECT_FLOAT_EQ(out[0].best_score, 0.8f);
  EXPECT_EQ(out[0].unit_key, "seg2");
  EXPECT_EQ(out[0].matches, 2);
  EXPECT_EQ(out[1].subject, "B");
  EXPECT_EQ(out[2].start_utc_ms, 30'000);
  EXPECT_EQ(out[3].source, "cam2");
}

TEST(MergeAppearances, FilesAreMergedWithinOneFileOnly) {
  Appearance a;
  a.source = "x.mp4";
  a.subject = "A";
  a.start_s = 1;
  a.end_s = 2;
  a.unit_key = "file:1";
  Appearance b = a;
  b.start_s = 2.5;
  b.end_s = 3;
  Appearance c = a;
  c.unit_key = "file:2";  // the same name, another file (e.g. replaced): not joined
  auto out = MergeAppearances({a, b, c}, 2.0);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_DOUBLE_EQ(out[0].end_s, 3);
}

TEST(SearchState, KeepsFinishedUnitsSealedAndResumesOnlyTheSameJob) {
  const fs::path dir = lfr::testing::TempDir("vs-state");
  const nlohmann::json job = {{"units", {"a", "b"}}};
  auto s = SearchState::Open(dir, job, RandomKey(), false, 1'000);
  ASSERT_TRUE(s.ok());
  SecretBytes key = RandomKey();
  SecretBytes key2(key.data(), key.size());
  s = SearchState::Open(dir, job, std::move(key), false, 1'000);
  ASSERT_TRUE(s.ok());
  UnitOutcome u;
  u.key = "a";
  u.media_s = 4.5;
  u.frames = 100;
  u.appearances.push_back(App("cam1", "Secret_Name", 1, 2, 0.7f));
  ASSERT_TRUE(s->Record(u).ok());
  // Sealed: the subject's name is not readable on disk.
  std::ifstream in(s->path(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("Secret_Name"), std::string::npos);
  EXPECT_EQ((fs::status(s->path()).permissions() & fs::perms::others_read), fs::perms::none);

  auto again = SearchState::Open(dir, job, std::move(key2), true, 2'000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->resumed());
  EXPECT_TRUE(again->Done("a"));
  EXPECT_FALSE(again->Done("b"));
  ASSERT_EQ(again->Appearances().size(), 1u);
  EXPECT_EQ(again->Appearances()[0].subject, "Secret_Name");
  EXPECT_EQ(again->frames(), 100);
  // Another master key: refused as Corrupt, not trusted or silently restarted.
  auto wrong = SearchState::Open(dir, job, RandomKey(), true, 2'000);
  EXPECT_EQ(wrong.status().code(), Status::Code::kCorrupt);
  // Another job (e.g. another range) does not see this state.
  auto other = SearchState::Open(dir, {{"units", {"a"}}}, RandomKey(), true, 2'000);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->resumed());
  // Abandoned for more than 24 h: deleted by the next search.
  auto later = SearchState::Open(dir, {{"units", {"z"}}}, RandomKey(), false,
                                 SystemClock()->NowMs() + kStateMaxAgeMs + 60'000);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(fs::exists(s->path()));
}

TEST(ProbeVideoFile, NamesAMissingOrUnreadableFile) {
  EXPECT_EQ(ProbeVideoFile("/no/such/file.mp4").status().code(), Status::Code::kNotFound);
  const fs::path junk = lfr::testing::TempDir("vs-probe") / "junk.mp4";
  std::ofstream(junk) << std::string(4096, 'j');
  auto r = ProbeVideoFile(junk);
  ASSERT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("is not a readable video"), std::string::npos);
  EXPECT_EQ(ProbeVideoFile(junk.parent_path()).status().code(), Status::Code::kInvalidArgument);
}

TEST(FootageUnits, PicksTheSegmentsOverlappingTheRangePerCameraInTimeOrder) {
  const fs::path root = lfr::testing::TempDir("vs-footage");
  for (int64_t cam : {7, 8}) {
    fs::create_directories(CameraFootageDir(root, 3, cam));
    for (int64_t start : {0, 60'000, 120'000}) {
      std::ofstream(SegmentPath(root, {3, cam, 1'000'000 + start})) << "x";
    }
    std::ofstream(CameraFootageDir(root, 3, cam) / ".1999999.lfrseg.part") << "x";  // unfinished: never
  }
  SecretBytes key = RandomKey();
  auto units = FootageUnits(root, 3, {{7, "gate-a"}, {8, "gate-b"}}, 1'070'000, 1'130'000, &key);
  ASSERT_EQ(units.size(), 4u);  // the segments from 1,060,000 and 1,120,000 of each camera
  EXPECT_EQ(units[0].source, "gate-a");
  EXPECT_EQ(units[0].start_utc_ms, 1'060'000);
  EXPECT_EQ(units[1].start_utc_ms, 1'120'000);
  EXPECT_EQ(units[2].source, "gate-b");
  EXPECT_EQ(units[0].footage_key, &key);
  EXPECT_DOUBLE_EQ(units[0].duration_s, 60.0);
  EXPECT_DOUBLE_EQ(units[1].duration_s, 60.0);  // the last one cannot be read: an estimate
  EXPECT_TRUE(FootageUnits(root, 3, {{7, "gate-a"}}, 2'000'000, 3'000'000, &key).empty());
}

// A short recording's one (last) segment counts its real length, read from its timestamps:
// the console's search progress once said "90 s of video" for this 10 s clip.
TEST(FootageUnits, TheLastSegmentCountsItsRealLength) {
  LFR_REQUIRE_DATA(clip, "video/hamilton/short_hamilton_clip.mp4");
  const fs::path root = lfr::testing::TempDir("vs-footage-len");
  SecretBytes key = RandomKey();
  ManualClock clock(5'000'000);
  const RecorderStatus rec = footage_testing::RecordFile(clip, root, 3, 7, "gate-a", key, &clock, 60'000);
  ASSERT_TRUE(rec.error.empty()) << rec.error;
  auto units = FootageUnits(root, 3, {{7, "gate-a"}}, 0, 10'000'000, &key);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_NEAR(units[0].duration_s, 275 / 29.97, 0.2);  // its 275 frames at 29.97 fps
}

}  // namespace
}  // namespace lfr
