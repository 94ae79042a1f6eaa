// `lfr watchlist add|import` and the hub check: with no background cohort every entry is
// enrolled and the command says plainly that nothing was checked; with a cohort in which a
// photo's face is close to every stranger, adding that photo is refused (exit 5) with the
// reason and how to accept it, `--accept-hub REASON` enrols it (audited), and `lfr watchlist
// forecast` then marks it as the hub.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "match/cohort.h"
#include "match/watchlist.h"
#include "models/store.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"
#include "util/clock.h"
#include "util/paths.h"
#include "vision/analyzer.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;
using nlohmann::json;

// A deployment (in the store of the current LFR_HOME) planned around now; its id.
std::string CreateDeployment(const std::string& name) {
  const int64_t now = SystemClock()->NowMs();
  CliRun c = RunLfr({"deployment", "create", "--name", name, "--site", "Cardiff", "--location", "Gate A", "--start",
                     FormatUtcMs(now - kMsPerHour).substr(0, 16), "--end", FormatUtcMs(now + 8 * kMsPerHour).substr(0, 16),
                     "--purpose", "find wanted people", "--legal-basis", "common law", "--authorising-officer",
                     "Supt. Example", "--json"});
  EXPECT_EQ(c.code, kExitOk) << c.err;
  return c.code == kExitOk ? std::to_string(json::parse(c.out)["id"].get<int64_t>()) : "0";
}

TEST(CliWatchlistHub, RefusedUnlessAcceptedWithAReasonAndUncheckedSaidPlainly) {
  auto home = lfr::testing::HomeWithModels("cli-hub", {"yunet-2022mar", "mobilefacenet-arcface"});
  auto stills = lfr::testing::FindData("video/hamilton/watchlist_stills");
  if (!home || !stills) LFR_MISSING_SHARED_("models and video/hamilton/watchlist_stills");
  ScopedEnv h("LFR_HOME", home->string());
  ScopedEnv k("LFR_MASTER_KEY", std::nullopt);
  ScopedEnv db("LFR_DB", std::nullopt);
  const std::string id = CreateDeployment("F1");
  const std::string lin = (*stills / "lin-manuel-miranda.png").string();
  const std::string alex = (*stills / "alex-lacamoire.png").string();

  // No cohort: enrolled, with a plain warning that hubs were not checked.
  CliRun unchecked = RunLfr({"watchlist", "add", id, alex, "--reference", "AL-1", "--category", "wanted", "--reason",
                             "warrant", "--json"});
  ASSERT_EQ(unchecked.code, kExitOk) << unchecked.err;
  EXPECT_THAT(unchecked.err, HasSubstr("not checked for hubs"));
  EXPECT_THAT(unchecked.err, HasSubstr("lfr cohort build"));
  EXPECT_FALSE(json::parse(unchecked.out)["hub_check"]["checked"].get<bool>());

  // A cohort in which Lin-Manuel Miranda's face is close to every stranger: his embedding
  // as enrolment makes it, and 300 strangers leaning towards it.
  ModelStore models(&lfr::testing::TestCatalog(), *home / "models", ModelMirrorDir());
  auto analyzer = FaceAnalyzer::FromStore(models, "", "mobilefacenet-arcface");
  ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
  Watchlist wl;
  auto enrolled = EnrolImages({{"lin", {fs::path(lin)}}}, **analyzer, {}, &wl);
  ASSERT_TRUE(enrolled.ok() && wl.rows() == 1);
  const std::vector<float> centre(wl.row(0), wl.row(0) + wl.dim());
  auto cohort = BackgroundCohort::FromRows("mobilefacenet-arcface", "", wl.dim(),
                                           lfr::testing::StrangersAround(centre, 300, 9), {});
  ASSERT_TRUE(cohort.ok());
  ASSERT_TRUE(cohort->Save(DefaultCohortPath(*home, "mobilefacenet-arcface")).ok());

  CliRun refused = RunLfr({"watchlist", "add", id, lin, "--reference", "LMM-1", "--category", "wanted", "--reason",
                           "warrant"});
  EXPECT_EQ(refused.code, kExitRefused) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("would be a hub of the watchlist: close to many strangers at once"));
  EXPECT_THAT(refused.err, HasSubstr("--accept-hub REASON"));
  // In an import the hub is one of the rejections, with the same reason.
  const fs::path folder = lfr::testing::TempDir("cli-hub-import");
  fs::copy_file(lin, folder / "Lin.png");
  CliRun import = RunLfr({"watchlist", "import", id, folder.string(), "--category", "wanted", "--reason", "warrant"});
  EXPECT_NE(import.code, kExitOk);
  EXPECT_THAT(import.err, HasSubstr("rejected Lin.png"));
  EXPECT_THAT(import.err, HasSubstr("would be a hub"));
  EXPECT_THAT(import.err, Not(HasSubstr("not checked for hubs")));

  CliRun accepted = RunLfr({"watchlist", "add", id, lin, "--reference", "LMM-1", "--category", "wanted", "--reason",
                            "warrant", "--accept-hub", "only photo on file"});
  ASSERT_EQ(accepted.code, kExitOk) << accepted.err;
  EXPECT_THAT(accepted.err, HasSubstr("accepted although a forecast hub"));
  EXPECT_THAT(accepted.out, HasSubstr("(a hub, accepted)"));
  // An ordinary face with the cohort in place: checked and not a hub.
  const std::string id2 = CreateDeployment("F2");
  CliRun ordinary = RunLfr({"watchlist", "add", id2, alex, "--reference", "AL-2", "--category", "wanted", "--reason",
                            "warrant", "--json"});
  ASSERT_EQ(ordinary.code, kExitOk) << ordinary.err;
  const json oc = json::parse(ordinary.out)["hub_check"];
  EXPECT_TRUE(oc["checked"].get<bool>());
  EXPECT_FALSE(oc["hub"].get<bool>());
  EXPECT_THAT(ordinary.err, Not(HasSubstr("not checked")));

  CliRun forecast = RunLfr({"watchlist", "forecast", id});
  ASSERT_EQ(forecast.code, kExitOk) << forecast.err;
  EXPECT_THAT(forecast.out, HasSubstr("HUB: close to many strangers"));
  CliRun audit = RunLfr({"audit", "list", "--limit", "100000", "--json"});
  ASSERT_EQ(audit.code, kExitOk) << audit.err;
  int accepts = 0;
  const json audit_rows = json::parse(audit.out);  // bound first: a range over a temporary's member dangles
  for (const auto& row : audit_rows["audit"]) {
    if (row["action"] == "watchlist.accept_hub") {
      ++accepts;
      EXPECT_THAT(row["details"].dump(), HasSubstr("only photo on file"));
    }
  }
  EXPECT_EQ(accepts, 1);
}

// The refusal reason of the landmark-geometry gate reaches the user of `lfr watchlist add`.
TEST(CliWatchlistHub, ASidewaysPhotoWithCollapsedLandmarksIsRefusedWithTheReason) {
  auto home = lfr::testing::HomeWithModels("cli-sideways", {"yunet-2022mar", "mobilefacenet-arcface"});
  auto ff = lfr::testing::FindData("fairface-dev/images");
  if (!home || !ff) LFR_MISSING_SHARED_("models and fairface-dev/images");
  ScopedEnv h("LFR_HOME", home->string());
  ScopedEnv k("LFR_MASTER_KEY", std::nullopt);
  ScopedEnv db("LFR_DB", std::nullopt);
  const std::string id = CreateDeployment("S1");
  CliRun add = RunLfr({"watchlist", "add", id, (*ff / "13364.jpg").string(), "--reference", "SIDE-1", "--category",
                       "wanted", "--reason", "warrant"});
  EXPECT_EQ(add.code, kExitBadInput) << add.err;
  EXPECT_THAT(add.err, HasSubstr("not enrolled: face fails the quality gate: implausible landmarks: eyes "));
}

}  // namespace
}  // namespace lfr::cli
