// `lfr watch` and `lfr bench` as a user meets them: argument errors, exit codes, the JSON
// alert lines and summary on real video, and a broken camera that does not stop the others.
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "util/paths.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

using lfr::testing::CliRun;

CliRun Lfr(std::vector<std::string> args) { return lfr::testing::RunLfr(std::move(args)); }

TEST(CliWatch, NeedsWatchlistAndSource) {
  EXPECT_EQ(Lfr({"watch", "--source", "x.mp4"}).code, kExitBadInput);
  EXPECT_EQ(Lfr({"watch", "--watchlist", "/tmp"}).code, kExitBadInput);
}

TEST(CliWatch, BadSourceSchemeIsBadInput) {
  CliRun r = Lfr({"watch", "--watchlist", "/tmp", "--source", "gopher://x"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("gopher://x"));
}

TEST(CliWatch, MissingWatchlistFolderIsBadInputNamingIt) {
  CliRun r = Lfr({"watch", "--watchlist", "/no/such/folder", "--source", "a.mp4"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("/no/such/folder"));
}

TEST(CliWatch, RealtimeAndFastConflict) {
  CliRun r = Lfr({"watch", "--watchlist", "/tmp", "--source", "a.mp4", "--realtime", "--fast"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("mutually exclusive"));
}

TEST(CliBench, UnknownSubcommandAndBadCameraList) {
  EXPECT_EQ(Lfr({"bench"}).code, kExitBadInput);
  CliRun r = Lfr({"bench", "pipeline", "--source", "/no/such.mp4", "--cameras", "0"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("--cameras"));
}

TEST(CliBench, MatchAgreesWithFaissOnASmallWatchlist) {
  CliRun r = Lfr({"bench", "match", "--sizes", "200", "--queries", "20", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 1u);
  EXPECT_EQ(j["results"][0]["watchlist"], 200);
  EXPECT_DOUBLE_EQ(j["results"][0]["top1_agree_pct"].get<double>(), 100.0);
}

// Sets LFR_HOME to a store with the two models installed from the mirror for one test.
class CliWatchModels : public ::testing::Test {
 protected:
  void SetUp() override {
    auto home = lfr::testing::HomeWithModels("watch-home", {"yunet-2022mar", "mobilefacenet-arcface"});
    video_ = lfr::testing::FindData("video/hamilton");
    if (!home || !video_) LFR_MISSING_SHARED_("models and video/hamilton");
    home_ = *home;
    if (const char* old = std::getenv("LFR_HOME")) old_home_ = old;
    setenv("LFR_HOME", home_.c_str(), 1);
  }
  void TearDown() override {
    if (old_home_) setenv("LFR_HOME", old_home_->c_str(), 1); else unsetenv("LFR_HOME");
  }
  fs::path home_;
  std::optional<fs::path> video_;
  std::optional<std::string> old_home_;
};

// The capacity benchmark on a real clip: the frame shares after the warm-up are reported
// apart from the whole run's, with the gaps between detector runs and the recogniser used.
TEST_F(CliWatchModels, BenchPipelineReportsTheSteadyStateApartFromTheStart) {
  CliRun r = Lfr({"bench", "pipeline", "--source", (*video_ / "short_hamilton_clip.mp4").string(),
                  "--cameras", "1", "--seconds", "4", "--warmup", "1.5", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out)["results"][0];
  EXPECT_EQ(j["warmup_s"], 1.5);
  EXPECT_GT(j["frames_read_after_warmup"].get<int64_t>(), 0);
  EXPECT_LT(j["frames_read_after_warmup"].get<int64_t>(), j["frames_read"].get<int64_t>());
  EXPECT_GE(j["dropped_pct_whole_run"].get<double>(), 0.0);
  // Detect every 3rd frame (or less often) of a 30 fps clip: gaps of 100 ms or more.
  EXPECT_GE(j["detect_gap_p99_ms"].get<double>(), 99.0);
  EXPECT_GE(j["detect_gap_max_ms"].get<double>(), j["detect_gap_p99_ms"].get<double>());
  EXPECT_GE(j["embeddings_deferred"].get<int64_t>(), 0);
  CliRun text = Lfr({"bench", "pipeline", "--source", (*video_ / "short_hamilton_clip.mp4").string(),
                     "--cameras", "1", "--seconds", "1", "--warmup", "0"});
  ASSERT_EQ(text.code, kExitOk) << text.err;
  EXPECT_THAT(text.out, HasSubstr("recogniser mobilefacenet-arcface"));
  EXPECT_THAT(text.out, HasSubstr("dropped%_whole_run"));
}

TEST_F(CliWatchModels, HamiltonJsonAlertsSummaryAndABrokenSecondCamera) {
  const fs::path alerts = lfr::testing::TempDir("watch-alerts") / "out";
  CliRun r = Lfr({"watch", "--watchlist", (*video_ / "watchlist_stills").string(), "--source",
                    (*video_ / "short_hamilton_clip.mp4").string(), "--source", "/no/such/cam.mp4",
                    "--fast", "--json", "--alerts-dir", alerts.string()});
  // The broken camera makes the run exit 2, but the good one ran to the end.
  EXPECT_EQ(r.code, kExitBadInput) << r.err;
  EXPECT_THAT(r.err, HasSubstr("/no/such/cam.mp4"));
  EXPECT_THAT(r.err, HasSubstr("enrolled 2 of 2 subjects"));
  std::istringstream lines(r.out);
  int alerts_seen = 0;
  nlohmann::json summary;
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("summary")) {
      summary = j["summary"];
      continue;
    }
    ++alerts_seen;
    for (const char* key : {"camera", "track_id", "time", "frame_index", "subject", "score", "fused_score"}) {
      EXPECT_TRUE(j.contains(key)) << key << " missing in " << line;
    }
    EXPECT_EQ(j["camera"], "cam1");
  }
  EXPECT_GE(alerts_seen, 1);
  ASSERT_TRUE(summary.is_object()) << r.out;
  ASSERT_EQ(summary["cameras"].size(), 2u);
  const auto& c1 = summary["cameras"][0];
  EXPECT_EQ(c1["health"], "ended");
  EXPECT_EQ(c1["frames_read"], 275);
  EXPECT_EQ(c1["frames_processed"], 275);
  EXPECT_EQ(c1["frames_dropped"], 0);
  EXPECT_EQ(c1["alerts"], alerts_seen);
  EXPECT_TRUE(c1["latency"]["detect"].contains("p95_ms"));
  EXPECT_EQ(summary["cameras"][1]["health"], "failed");
  // --alerts-dir holds exactly one crop and one JSON per alert, nothing else.
  int jpg = 0, json = 0, other = 0;
  for (const auto& e : fs::directory_iterator(alerts)) {
    if (e.path().extension() == ".jpg") ++jpg;
    else if (e.path().extension() == ".json") ++json;
    else ++other;
  }
  EXPECT_EQ(jpg, alerts_seen);
  EXPECT_EQ(json, alerts_seen);
  EXPECT_EQ(other, 0);
}

}  // namespace
}  // namespace lfr::cli
