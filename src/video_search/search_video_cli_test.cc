// `lfr search-video` end to end on the shared clips: the expected appearances and none for
// anyone else, over files and over a deployment's recorded sealed segments, resuming after
// an interruption, and bad inputs (clear message, non-zero exit, nothing written).
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "footage/footage_testing.h"
#include "footage/recorder.h"
#include "footage/segment.h"
#include "store/sqlite_store.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "util/clock.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using lfr::testing::CliRun;
using lfr::testing::ScopedEnv;

class SearchVideoCli : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = lfr::testing::HomeWithModels("search-video-home", {"yunet-2022mar", "mobilefacenet-arcface"});
    video_ = lfr::testing::FindData("video");
    if (!home_ || !video_) LFR_MISSING_SHARED_("models and data video/");
    env_home_.emplace("LFR_HOME", home_->string());
    env_key_.emplace("LFR_MASTER_KEY", std::nullopt);
    env_db_.emplace("LFR_DB", std::nullopt);
  }
  fs::path Hamilton() const { return *video_ / "hamilton" / "short_hamilton_clip.mp4"; }
  fs::path Stills() const { return *video_ / "hamilton" / "watchlist_stills"; }
  fs::path StateDir() const { return *home_ / "video-search"; }
  // The subjects of a --json run's appearances.
  static std::multiset<std::string> Subjects(const CliRun& r) {
    std::multiset<std::string> out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    if (j.is_discarded()) return out;
    for (const auto& a : j["appearances"]) out.insert(a["subject"].get<std::string>());
    return out;
  }
  static bool Empty(const fs::path& dir) {
    return !fs::exists(dir) || lfr::footage_testing::FilesUnder(dir).empty();
  }
  std::optional<fs::path> home_, video_;
  std::optional<ScopedEnv> env_home_, env_key_, env_db_;
};

TEST_F(SearchVideoCli, HamiltonFindsMirandaAndNobodyOffTheList) {
  CliRun r = lfr::testing::RunLfr({"search-video", Hamilton().string(), "--watchlist", Stills().string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::set<std::string> who;
  for (const auto& a : j["appearances"]) {
    who.insert(a["subject"].get<std::string>());
    EXPECT_EQ(a["source"], Hamilton().string());
    EXPECT_LE(a["start_s"].get<double>(), a["end_s"].get<double>());
    EXPECT_LE(a["start_s"].get<double>(), a["best"]["time_s"].get<double>());
    EXPECT_GE(a["best"]["fused_score"].get<double>(), a["threshold"].get<double>());
    EXPECT_GT(a["best"]["quality"].get<double>(), 0.0);
    EXPECT_FALSE(a.contains("crop"));
  }
  // Nobody but the two listed people; Miranda, on stage and frontal, must be found. Alex
  // Lacamoire (at the piano, eyes ~10 px apart) is below the live quality gate and is not
  // searched, as in live use (pipeline/live_video_test.cc): reported, not asserted.
  for (const auto& w : who) EXPECT_TRUE(w == "lin-manuel-miranda" || w == "alex-lacamoire") << w;
  EXPECT_TRUE(who.count("lin-manuel-miranda")) << r.out;
  std::cout << "[ info     ] alex-lacamoire found: " << who.count("alex-lacamoire") << "\n";
  // Miranda is on stage for most of the 9.2 s clip: one appearance, seconds long.
  for (const auto& a : j["appearances"]) {
    if (a["subject"] == "lin-manuel-miranda") {
      EXPECT_GT(a["end_s"].get<double>() - a["start_s"].get<double>(), 3.0);
    }
  }
  EXPECT_EQ(j["summary"]["frames"], 275);
  EXPECT_GT(j["summary"]["x_realtime"].get<double>(), 0.0);
  EXPECT_TRUE(Empty(StateDir()));  // a completed search leaves no state behind
}

TEST_F(SearchVideoCli, OperaHouseAndTinyFacesGiveNoAppearance) {
  // Every one of their faces matches nobody on the list: nothing is reported or kept.
  const fs::path crops = lfr::testing::TempDir("search-video-crops");
  CliRun r = lfr::testing::RunLfr({"search-video", (*video_ / "opera-house-walkers/video.mp4").string(),
                                   (*video_ / "vtest-tiny-faces/vtest.avi").string(), "--watchlist",
                                   Stills().string(), "--threads", "2", "--json", "--crops", crops.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Subjects(r).empty()) << r.out;
  EXPECT_TRUE(Empty(crops));
  EXPECT_TRUE(Empty(StateDir()));
  auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["summary"]["seconds_searched"].get<double>(), 80.0);  // 4.2 s + 79.5 s
}

TEST_F(SearchVideoCli, ResumesAnInterruptedSearchWithoutRedoingWhatWasDone) {
  const std::vector<std::string> base = {"search-video", Hamilton().string(),
                                         (*video_ / "opera-house-walkers/video.mp4").string(), "--watchlist",
                                         Stills().string(), "--json"};
  auto args = base;
  args.insert(args.end(), {"--stop-after", "1"});
  CliRun first = lfr::testing::RunLfr(args);
  EXPECT_EQ(first.code, 1) << first.err;  // incomplete
  EXPECT_NE(first.err.find("--resume"), std::string::npos) << first.err;
  // The state holds the finished unit, sealed: no appearance readable on disk.
  auto states = lfr::footage_testing::FilesUnder(StateDir());
  ASSERT_EQ(states.size(), 1u);
  const std::string sealed = lfr::footage_testing::ReadAll(states[0]);
  EXPECT_EQ(sealed.find("miranda"), std::string::npos);
  EXPECT_EQ(sealed.find("opera"), std::string::npos);

  args = base;
  args.push_back("--resume");
  CliRun second = lfr::testing::RunLfr(args);
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.err.find("1 unit(s) already done"), std::string::npos) << second.err;
  // The hamilton appearances come from the state; the second run searched only the rest.
  auto who = Subjects(second);
  EXPECT_EQ(who.count("lin-manuel-miranda"), 1u) << second.out;
  for (const auto& w : who) EXPECT_TRUE(w == "lin-manuel-miranda" || w == "alex-lacamoire") << w;
  EXPECT_TRUE(Empty(StateDir()));

  // A state that was tampered with is refused, not trusted.
  args = base;
  args.insert(args.end(), {"--stop-after", "1"});
  ASSERT_EQ(lfr::testing::RunLfr(args).code, 1);
  states = lfr::footage_testing::FilesUnder(StateDir());
  ASSERT_EQ(states.size(), 1u);
  {
    std::fstream f(states[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x5a');
  }
  args = base;
  args.push_back("--resume");
  CliRun tampered = lfr::testing::RunLfr(args);
  EXPECT_EQ(tampered.code, 6) << tampered.err;
  EXPECT_NE(tampered.err.find("does not open"), std::string::npos) << tampered.err;
  EXPECT_TRUE(tampered.out.empty());
}

// A retrospective-search gallery as the list: its records' references are the subjects,
// and the search is audited against the gallery.
TEST_F(SearchVideoCli, SearchesAgainstAGalleryAndAuditsIt) {
  auto ok = [](std::vector<std::string> args) {
    CliRun r = lfr::testing::RunLfr(std::move(args));
    EXPECT_EQ(r.code, 0) << r.err;
    return r;
  };
  ok({"gallery", "create", "stills", "--purpose", "identify suspects from stills", "--legal-basis", "PACE s.64A",
      "--owner", "DI Example"});
  const fs::path dir = lfr::testing::TempDir("search-video-gallery");
  fs::copy_file(Stills() / "lin-manuel-miranda.png", dir / "REF-LMM.png");
  ok({"gallery", "import", "stills", dir.string()});
  CliRun r = ok({"search-video", Hamilton().string(), "--gallery", "stills", "--json"});
  EXPECT_EQ(Subjects(r), (std::multiset<std::string>{"REF-LMM"})) << r.out;
  CliRun audit = ok({"audit", "list", "--json"});
  EXPECT_NE(audit.out.find("video_search.run"), std::string::npos);
  EXPECT_TRUE(Empty(StateDir()));
}

TEST_F(SearchVideoCli, BadInputsFailClearlyAndWriteNothing) {
  const fs::path junk = lfr::testing::TempDir("search-video-junk") / "junk.mp4";
  std::ofstream(junk) << std::string(5000, 'x');
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"search-video", "/no/such/clip.mp4", "--watchlist", Stills().string()}, 2, "does not exist"},
      {{"search-video", junk.string(), "--watchlist", Stills().string()}, 2, "is not a readable video"},
      {{"search-video", Hamilton().string()}, 2, "give exactly one list"},
      {{"search-video", Hamilton().string(), "--watchlist", "/no/such/folder"}, 2, "/no/such/folder"},
      {{"search-video", Hamilton().string(), "--gallery", "nope"}, 2, "nope"},
      {{"search-video", "--deployment", "42", "--from", "2026-12-01", "--to", "2026-12-02"}, 2, "42"},
      {{"search-video", "--deployment", "42", "--from", "2026-12-02", "--to", "2026-12-01"}, 2, "empty"},
      {{"search-video", "--deployment", "42"}, 2, "--from and --to"},
  };
  for (const Case& c : cases) {
    CliRun r = lfr::testing::RunLfr(c.args);
    EXPECT_EQ(r.code, c.code) << c.args[1] << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_TRUE(Empty(StateDir()));
  }
}

// A deployment's own recorded footage: the Hamilton clip recorded as sealed segments
// (fed to a FootageRecorder as the live reader would), then searched by time range.
TEST_F(SearchVideoCli, SearchesADeploymentsRecordedSegmentsByTimeRange) {
  ScopedEnv dirs("LFR_CAMERA_DIRS", video_->string());
  auto lfr = [](std::vector<std::string> args) {
    auto r = lfr::testing::RunLfr(std::move(args));
    EXPECT_EQ(r.code, 0) << r.err;
    return r;
  };
  lfr({"deployment", "create", "--name", "Rec", "--site", "s", "--location", "l", "--start", "2026-12-05",
       "--end", "2026-12-06", "--purpose", "p", "--legal-basis", "b", "--authorising-officer", "o"});
  lfr({"deployment", "camera", "add", "1", "stage", Hamilton().string(), "--record-footage"});
  lfr({"watchlist", "add", "1", (Stills() / "lin-manuel-miranda.png").string(), "--reference", "LMM-1",
       "--category", "test", "--reason", "r"});
  lfr({"deployment", "start", "1", "--override-reason", "test: no notice, window not now"});
  const int64_t t0 = 1'796'000'000'000;  // 2026-11-29T...Z
  {
    auto key = MasterKey::Load(*home_ / "master.key");
    ASSERT_TRUE(key.ok());
    auto store = OpenSqliteStore(*home_ / "lfr.db", *key);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto fk = (*store)->FootageKey(1, Actor{"test"});
    ASSERT_TRUE(fk.ok()) << fk.status().ToString();
    auto cams = (*store)->ListCameras(1);
    ASSERT_TRUE(cams.ok() && cams->size() == 1u);
    ManualClock clock(t0);
    RecorderOptions o;
    o.footage_root = *home_ / "footage";
    o.deployment_id = 1;
    o.camera_id = (*cams)[0].id;
    o.camera_name = "stage";
    o.segment_ms = 4000;  // several segments from the 9 s clip
    o.clock = &clock;
    FootageRecorder rec(o, *fk);
    lfr::footage_testing::FeedFile(Hamilton(), &rec, [&](int64_t n) {
      clock.Set(t0 + n * 1000 / 30);  // the stream's pace
      return true;
    });
    ASSERT_TRUE(rec.Close().ok());
    ASSERT_GE(rec.status().segments, 2);
  }
  const std::string from = FormatUtcMs(t0 - 60'000), to = FormatUtcMs(t0 + 60'000);
  CliRun r = lfr({"search-video", "--deployment", "1", "--from", from, "--to", to, "--json"});
  auto j = nlohmann::json::parse(r.out);
  ASSERT_GE(j["appearances"].size(), 1u) << r.out << r.err;
  for (const auto& a : j["appearances"]) {
    EXPECT_EQ(a["subject"], "LMM-1");  // the entry reference
    EXPECT_EQ(a["source"], "stage");   // the camera
    EXPECT_GE(a["start_utc_ms"].get<int64_t>(), t0);
    EXPECT_LE(a["end_utc_ms"].get<int64_t>(), t0 + 10'000);
  }
  // Segment boundaries do not split his appearance.
  EXPECT_EQ(j["appearances"].size(), 1u) << r.out;
  // Audited with who, the range and the counts; nothing but counts.
  CliRun audit = lfr({"audit", "list", "--json"});
  EXPECT_NE(audit.out.find("video_search.run"), std::string::npos);
  EXPECT_NE(audit.out.find(from), std::string::npos);

  // A video file against the deployment's watchlist and threshold (no range).
  CliRun file = lfr({"search-video", Hamilton().string(), "--deployment", "1", "--json"});
  EXPECT_EQ(Subjects(file), (std::multiset<std::string>{"LMM-1"})) << file.out << file.err;

  // A range with no footage, and a tampered segment.
  CliRun empty = lfr::testing::RunLfr({"search-video", "--deployment", "1", "--from", "2020-01-01", "--to",
                                       "2020-01-02"});
  EXPECT_EQ(empty.code, 2) << empty.err;
  EXPECT_NE(empty.err.find("no recorded footage"), std::string::npos) << empty.err;
  auto segs = lfr::footage_testing::FilesUnder(*home_ / "footage");
  ASSERT_FALSE(segs.empty());
  {
    std::fstream f(segs[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x00');
    f.seekp(201);
    f.put('\x01');
  }
  CliRun bad = lfr::testing::RunLfr({"search-video", "--deployment", "1", "--from", from, "--to", to, "--json"});
  EXPECT_EQ(bad.code, 6) << bad.err;
  EXPECT_NE(bad.err.find("segment"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty());
  EXPECT_TRUE(Empty(StateDir()));
}

}  // namespace
}  // namespace lfr
