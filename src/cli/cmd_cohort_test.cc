// lfr cohort build and lfr watchlist forecast on real data: the cohort from the shared
// FairFace crops with the real recogniser, a deployment's real watchlist scored against it,
// the forecast audited, and the errors a user meets (no cohort yet, a cohort of another
// recogniser, an empty watchlist).
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "match/cohort.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "util/clock.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;
using nlohmann::json;

TEST(CliCohort, BuildsFromFairFaceAndForecastsARealWatchlistAudited) {
  auto home = lfr::testing::HomeWithModels("cli-cohort", {"yunet-2022mar", "mobilefacenet-arcface"});
  auto stills = lfr::testing::FindData("video/hamilton/watchlist_stills");
  auto fairface = lfr::testing::FindData("fairface-dev");
  if (!home || !stills || !fairface) LFR_MISSING_SHARED_("models, fairface-dev and video/hamilton/watchlist_stills");
  ScopedEnv h("LFR_HOME", home->string());
  ScopedEnv k("LFR_MASTER_KEY", std::nullopt);
  ScopedEnv db("LFR_DB", std::nullopt);
  const int64_t now = SystemClock()->NowMs();
  CliRun created = RunLfr({"deployment", "create", "--name", "F1", "--site", "Cardiff", "--location", "Gate A",
                           "--start", FormatUtcMs(now - kMsPerHour).substr(0, 16), "--end",
                           FormatUtcMs(now + 8 * kMsPerHour).substr(0, 16), "--purpose", "find wanted people",
                           "--legal-basis", "common law", "--authorising-officer", "Supt. Example", "--json"});
  ASSERT_EQ(created.code, kExitOk) << created.err;
  const std::string id = std::to_string(json::parse(created.out)["id"].get<int64_t>());

  // An empty watchlist has nothing to forecast.
  CliRun empty = RunLfr({"watchlist", "forecast", id});
  EXPECT_EQ(empty.code, kExitRefused) << empty.err;
  EXPECT_THAT(empty.err, HasSubstr("no watchlist entries"));
  for (const char* still : {"lin-manuel-miranda.png", "alex-lacamoire.png"}) {
    CliRun add = RunLfr({"watchlist", "add", id, (*stills / still).string(), "--reference", still, "--category",
                         "wanted", "--reason", "warrant"});
    ASSERT_EQ(add.code, kExitOk) << add.err;
  }
  // No cohort yet: the message says how to make one.
  CliRun none = RunLfr({"watchlist", "forecast", id});
  EXPECT_EQ(none.code, kExitBadInput) << none.err;
  EXPECT_THAT(none.err, HasSubstr("lfr cohort build"));

  // 140 of the 2,100 crops, spread evenly: every race x gender group is in it.
  CliRun built = RunLfr({"cohort", "build", "--max-images", "140", "--no-cache", "--threads", "2", "--json"});
  ASSERT_EQ(built.code, kExitOk) << built.err;
  const json b = json::parse(built.out);
  EXPECT_EQ(b["recogniser"], "mobilefacenet-arcface");
  EXPECT_EQ(b["images"], 140);
  // The cohort holds what the live pipeline would search: faces through the quality gate
  // (81 of these 140 small crops with MobileFaceNet's card on 2026-12-02).
  EXPECT_GE(b["faces"].get<int>(), 60);
  EXPECT_EQ(b["faces"].get<int>() + b["no_face"].get<int>() + b["failed_quality"].get<int>(), 140);
  const fs::path file = *home / "cohort" / "mobilefacenet-arcface.cohort";
  ASSERT_TRUE(fs::exists(file));
  auto loaded = BackgroundCohort::Load(file, "mobilefacenet-arcface");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->size(), b["faces"].get<int64_t>());
  EXPECT_GT(loaded->reference_median(), 0.0);

  // Two good frontal photos: scored against every stranger, neither a hub, and at the
  // deployment's threshold (0.6) hardly any stranger alerts.
  CliRun f = RunLfr({"watchlist", "forecast", id, "--json"});
  ASSERT_EQ(f.code, kExitOk) << f.err;
  const json j = json::parse(f.out);
  EXPECT_EQ(j["cohort_size"], b["faces"]);
  EXPECT_NEAR(j["threshold"].get<double>(), 0.6, 1e-6);
  ASSERT_EQ(j["entries"].size(), 2u);
  for (const auto& e : j["entries"]) {
    EXPECT_FALSE(e["hub"].get<bool>()) << e.dump();
    EXPECT_LT(e["top_score"].get<double>(), 0.6) << "a stranger scoring like a mate? " << e.dump();
    EXPECT_LT(e["hub_z"].get<double>(), 4.0);
  }
  EXPECT_EQ(j["faces_alerting"], 0);
  EXPECT_GT(j["rate_upper95"].get<double>(), 0.0) << "zero of ~80 bounds the rate only to a few per cent";
  EXPECT_FALSE(j["over_cap"].get<bool>());
  // A lower threshold is forecast too, and the text form names the entries.
  CliRun low = RunLfr({"watchlist", "forecast", id, "--threshold", "0.1"});
  ASSERT_EQ(low.code, kExitOk) << low.err;
  EXPECT_THAT(low.out, HasSubstr("lin-manuel-miranda.png"));
  EXPECT_THAT(low.out, HasSubstr("whole watchlist:"));
  EXPECT_THAT(low.out, HasSubstr("OVER THE CAP")) << "at 0.1 most strangers alert";
  // Every forecast is on the audit record.
  CliRun audit = RunLfr({"audit", "list", "--limit", "100000", "--json"});
  ASSERT_EQ(audit.code, kExitOk) << audit.err;
  int forecasts = 0;
  const json rows = json::parse(audit.out);
  for (const auto& row : rows["audit"]) forecasts += row["action"] == "watchlist.forecast";
  EXPECT_EQ(forecasts, 2);

  // A cohort file of another recogniser under this name is refused, not used.
  auto other = BackgroundCohort::FromRows("edgeface-xs-q", "", 4, std::vector<float>(4 * 30, 0.5f), {});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other->Save(file).ok());
  CliRun wrong = RunLfr({"watchlist", "forecast", id});
  EXPECT_EQ(wrong.code, kExitRefused) << wrong.err;
  EXPECT_THAT(wrong.err, HasSubstr("was built with edgeface-xs-q"));
}

}  // namespace
}  // namespace lfr::cli
