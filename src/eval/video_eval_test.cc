// Live-video accuracy scoring (eval/video_eval.h) on hand-made alerts with known answers,
// the annotation format's checks, and `lfr eval video` over the shared clips' annotations.
#include "eval/video_eval.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "build_info.h"  // LFR_SOURCE_DIR
#include "testing/cli_run.h"
#include "testing/shared.h"

namespace lfr::eval {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

VideoAnnotations TwoPasses() {
  VideoAnnotations a;
  a.video = "/clips/stage.mp4";
  a.passes = {{"ann", 0.0, 2.0, ""}, {"bob", 5.0, 9.0, ""}, {"ann", 20.0, 25.0, "second shot"}};
  return a;
}

TEST(ScoreVideo, CountsPassesTimesAndFalseAlerts) {
  // ann's first pass alerted twice (only the first counts for time), bob late but within
  // the tolerance after his pass, ann's second pass never; a "bob" alert during ann's pass
  // and one for carl (no pass at all) are false.
  const std::vector<ScoredAlert> alerts = {{"ann", 1.5, 0.7f}, {"ann", 0.8, 0.65f}, {"bob", 9.4, 0.62f},
                                           {"bob", 1.0, 0.61f}, {"carl", 30.0, 0.9f}};
  const VideoScore s = ScoreVideo(TwoPasses(), alerts, 3600.0, 4000, 0.5);
  ASSERT_EQ(s.passes.size(), 3u);
  EXPECT_TRUE(s.passes[0].identified);
  EXPECT_DOUBLE_EQ(s.passes[0].time_to_alert_s, 0.8);
  EXPECT_TRUE(s.passes[1].identified);
  EXPECT_DOUBLE_EQ(s.passes[1].time_to_alert_s, 4.4);
  EXPECT_FALSE(s.passes[2].identified);
  EXPECT_EQ(s.passes[2].time_to_alert_s, -1);
  EXPECT_EQ(s.identified(), 2);
  EXPECT_EQ(s.true_alerts.size(), 3u);
  ASSERT_EQ(s.false_alerts.size(), 2u);
  EXPECT_EQ(s.false_alerts[0].subject, "bob");
  EXPECT_EQ(s.false_alerts[1].subject, "carl");

  const VideoTotals t = TotalVideoScores({s});
  EXPECT_EQ(t.passes, 3);
  EXPECT_EQ(t.identified, 2);
  EXPECT_NEAR(t.tpir(), 2.0 / 3.0, 1e-12);
  EXPECT_LT(t.tpir_ci.lo, t.tpir());
  EXPECT_GT(t.tpir_ci.hi, t.tpir());
  EXPECT_DOUBLE_EQ(t.median_time_to_alert_s, (0.8 + 4.4) / 2);
  EXPECT_DOUBLE_EQ(t.max_time_to_alert_s, 4.4);
  EXPECT_DOUBLE_EQ(t.false_alerts_per_hour(), 2.0);
  EXPECT_DOUBLE_EQ(t.false_alerts_per_1000_faces(), 0.5);
}

TEST(ScoreVideo, AnAlertJustBeforeAPassWithinTheToleranceCountsFromItsStart) {
  const VideoScore s = ScoreVideo(TwoPasses(), {{"bob", 4.7, 0.7f}}, 60, 10, 0.5);
  EXPECT_TRUE(s.passes[1].identified);
  EXPECT_DOUBLE_EQ(s.passes[1].time_to_alert_s, 0.0);
  const VideoScore strict = ScoreVideo(TwoPasses(), {{"bob", 4.7, 0.7f}}, 60, 10, 0.0);
  EXPECT_FALSE(strict.passes[1].identified);
  EXPECT_EQ(strict.false_alerts.size(), 1u);
}

TEST(ScoreVideo, NoPassesMakesEveryAlertFalseAndNothingToIdentify) {
  VideoAnnotations none;
  const VideoScore s = ScoreVideo(none, {{"ann", 1.0, 0.7f}}, 7200, 0, 0.5);
  const VideoTotals t = TotalVideoScores({s});
  EXPECT_EQ(t.passes, 0);
  EXPECT_EQ(t.tpir(), 0.0);
  EXPECT_EQ(t.median_time_to_alert_s, -1);
  EXPECT_DOUBLE_EQ(t.false_alerts_per_hour(), 0.5);
  EXPECT_EQ(t.false_alerts_per_1000_faces(), 0.0);  // no faces counted: no rate
  const nlohmann::json j = VideoTotalsToJson(t);
  EXPECT_EQ(j["false_alerts"], 1);
}

fs::path Write(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

TEST(LoadVideoAnnotations, ResolvesPathsAndReadsPasses) {
  const fs::path dir = lfr::testing::TempDir("annotations");
  const fs::path f = Write(dir, "a.json", R"({"format": "lfr-video-annotations-1", "video": "v/clip.mp4",
      "watchlist": "/abs/stills", "passes": [{"subject": "ann", "start_s": 1, "end_s": 2.5, "note": "n"}]})");
  auto a = LoadVideoAnnotations(f);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->video, dir / "v/clip.mp4");
  EXPECT_EQ(a->watchlist, fs::path("/abs/stills"));
  ASSERT_EQ(a->passes.size(), 1u);
  EXPECT_EQ(a->passes[0].subject, "ann");
  EXPECT_DOUBLE_EQ(a->passes[0].end_s, 2.5);
  EXPECT_EQ(a->passes[0].note, "n");
  auto rooted = LoadVideoAnnotations(f, "/data");
  ASSERT_TRUE(rooted.ok());
  EXPECT_EQ(rooted->video, fs::path("/data/v/clip.mp4"));
}

TEST(LoadVideoAnnotations, MalformedFilesSayWhatIsWrong) {
  const fs::path dir = lfr::testing::TempDir("annotations-bad");
  const std::string head = R"("format": "lfr-video-annotations-1", "video": "c.mp4", "watchlist": "w")";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json {", "not a JSON object"},
      {"[1, 2]", "not a JSON object"},
      {R"({"format": "other", "video": "c", "watchlist": "w", "passes": []})", "\"format\" must be"},
      {R"({"format": "lfr-video-annotations-1", "watchlist": "w", "passes": []})", "\"video\" must name a path"},
      {"{" + head + "}", "\"passes\" must be a list"},
      {"{" + head + R"(, "passes": [{"start_s": 0, "end_s": 1}]})", "passes[0].subject"},
      {"{" + head + R"(, "passes": [{"subject": "a", "start_s": -1, "end_s": 1}]})", "passes[0].start_s"},
      {"{" + head + R"(, "passes": [{"subject": "a", "start_s": 0, "end_s": "x"}]})", "passes[0].end_s"},
      {"{" + head + R"(, "passes": [{"subject": "a", "start_s": 0, "end_s": 1}, {"subject": "b", "start_s": 3, "end_s": 2}]})",
       "passes[1] ends before it starts"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const fs::path f = Write(dir, "bad" + std::to_string(i) + ".json", cases[i].first);
    auto a = LoadVideoAnnotations(f);
    ASSERT_FALSE(a.ok()) << cases[i].first;
    EXPECT_EQ(a.status().code(), Status::Code::kInvalidArgument) << cases[i].first;
    EXPECT_THAT(a.status().message(), HasSubstr(cases[i].second)) << cases[i].first;
    EXPECT_THAT(a.status().message(), HasSubstr(f.string()));
  }
  auto missing = LoadVideoAnnotations(dir / "nope.json");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
}

fs::path Annotations(const std::string& name) {
  return fs::path(LFR_SOURCE_DIR) / "src" / "eval" / "annotations" / name;
}

// The shared clips' annotations all load, and name files that exist in the shared data.
TEST(SharedClipAnnotations, NameTheSharedClips) {
  auto root = lfr::testing::DataRoot();
  if (!root) LFR_MISSING_SHARED_("data");
  for (const char* name : {"hamilton.json", "opera-house-walkers.json", "vtest-tiny-faces.json"}) {
    auto a = LoadVideoAnnotations(Annotations(name), *root);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_TRUE(fs::exists(a->video)) << a->video;
    EXPECT_TRUE(fs::is_directory(a->watchlist)) << a->watchlist;
  }
}

// The whole command on the three shared clips through EdgeFace at the default operating
// point (fpir:1/6000, 0.33 for a two-person list): Miranda's frontal pass is identified
// within a second of its start, nobody else is alerted on (the opera house and tiny-faces
// clips have nobody listed), and bad inputs get exit 2 and a reason.
TEST(EvalVideoCli, ScoresTheSharedClips) {
  auto home = lfr::testing::HomeWithModels("eval-video-home", {"yunet-2022mar", "edgeface-xs-q"});
  auto root = lfr::testing::DataRoot();
  if (!home || !root) LFR_MISSING_SHARED_("models and data");
  lfr::testing::ScopedEnv env_home("LFR_HOME", home->string());
  lfr::testing::ScopedEnv env_data("LFR_DATA", root->string());
  auto r = lfr::testing::RunLfr({"eval", "video", "--json", "--annotations", Annotations("hamilton.json").string(),
                                 Annotations("opera-house-walkers.json").string(),
                                 Annotations("vtest-tiny-faces.json").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["recogniser"], "edgeface-xs-q");
  EXPECT_EQ(j["threshold"], "fpir:1/6000");
  ASSERT_EQ(j["clips"].size(), 3u);
  const auto& ham = j["clips"][0];
  bool frontal = false;
  for (const auto& p : ham["passes"]) {
    if (p["subject"] == "lin-manuel-miranda" && p["start_s"].get<double>() > 2.0) {
      frontal = p["identified"].get<bool>();
      if (frontal) {
        EXPECT_GE(p["time_to_alert_s"].get<double>(), 0.0);
        EXPECT_LE(p["time_to_alert_s"].get<double>(), 1.0);
      }
    }
  }
  EXPECT_TRUE(frontal) << ham.dump(2);
  EXPECT_EQ(j["total"]["passes"], 4);
  EXPECT_EQ(j["total"]["false_alerts"], 0) << j.dump(2);
  EXPECT_GT(j["total"]["faces_seen"].get<int64_t>(), 0);
  EXPECT_NEAR(j["total"]["video_s"].get<double>(), 9.2 + 4.2 + 79.5, 1.0);

  // A pass naming someone who is not on the clip's list, and a broken file: exit 2, nothing
  // on stdout.
  const fs::path dir = lfr::testing::TempDir("eval-video-bad");
  std::ofstream(dir / "stranger.json") << R"({"format": "lfr-video-annotations-1",
      "video": "video/hamilton/short_hamilton_clip.mp4", "watchlist": "video/hamilton/watchlist_stills",
      "passes": [{"subject": "nobody-listed", "start_s": 0, "end_s": 1}]})";
  std::ofstream(dir / "broken.json") << "{";
  for (const auto& [file, says] : std::vector<std::pair<std::string, std::string>>{
           {"stranger.json", "who is not in"}, {"broken.json", "not a JSON object"}}) {
    auto bad = lfr::testing::RunLfr({"eval", "video", "--annotations", (dir / file).string()});
    EXPECT_EQ(bad.code, 2) << file << ": " << bad.err;
    EXPECT_THAT(bad.err, HasSubstr(says));
    EXPECT_TRUE(bad.out.empty()) << bad.out;
  }
  {
    auto bad = lfr::testing::RunLfr({"eval", "video", "--threshold", "fpir:often", "--annotations",
                                     Annotations("hamilton.json").string()});
    EXPECT_EQ(bad.code, 2) << bad.err;
    EXPECT_THAT(bad.err, HasSubstr("fpir"));
    EXPECT_TRUE(bad.out.empty()) << bad.out;
  }
}

}  // namespace
}  // namespace lfr::eval
