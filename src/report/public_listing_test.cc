// The public deployments listing: who is listed where, with what, and nothing personal.
#include "report/public_listing.h"

#include <gtest/gtest.h>

#include "report/test_samples.h"

namespace lfr::report {
namespace {

using testing::SampleInput;
using testing::Utc;

// Deployment id with a status, a notice (or none) and times around 5 December 2026.
Deployment Make(int64_t id, DeploymentStatus status, bool notice) {
  Deployment d = SampleInput().deployment;
  d.id = id;
  d.spec.name = "deployment-" + std::to_string(id);
  d.status = status;
  d.spec.planned_start_ms = Utc(2026, 12, 1 + static_cast<int>(id), 18, 0);
  d.spec.planned_end_ms = d.spec.planned_start_ms + 5 * 3600 * 1000;
  d.started_ms = status == DeploymentStatus::kPlanned ? 0 : d.spec.planned_start_ms;
  d.closed_ms = status == DeploymentStatus::kClosed ? d.spec.planned_end_ms : 0;
  d.notice_text = notice ? "Notice for deployment " + std::to_string(id) : "";
  d.notice_published_ms = notice ? d.spec.planned_start_ms - 7 * 24 * 3600 * 1000LL : 0;
  return d;
}

std::vector<int64_t> Ids(const nlohmann::json& list) {
  std::vector<int64_t> ids;
  for (const auto& e : list) ids.push_back(e["id"].get<int64_t>());
  return ids;
}

TEST(ReportPublicListingTest, SortsDeploymentsIntoUpcomingActiveAndPast) {
  std::vector<PublicDeployment> in;
  in.push_back({Make(1, DeploymentStatus::kPlanned, false), std::nullopt, {}});  // not public yet
  in.push_back({Make(5, DeploymentStatus::kPlanned, true), std::nullopt, {}});
  in.push_back({Make(4, DeploymentStatus::kPlanned, true), std::nullopt, {}});
  in.push_back({Make(3, DeploymentStatus::kActive, true), std::nullopt, {}});
  Deployment ran = SampleInput().deployment;  // id 7, closed, with its report
  in.push_back({ran, BuildReport(SampleInput())});
  in.push_back({Make(2, DeploymentStatus::kClosed, true), std::nullopt, {}});  // ran, no report given
  Deployment cancelled = Make(6, DeploymentStatus::kClosed, true);
  cancelled.started_ms = 0;
  in.push_back({cancelled, std::nullopt, {}});
  Deployment quietly_cancelled = Make(8, DeploymentStatus::kClosed, false);
  quietly_cancelled.started_ms = 0;
  in.push_back({quietly_cancelled, std::nullopt, {}});

  const int64_t now = Utc(2026, 12, 5, 10, 0);
  const nlohmann::json j = PublicDeploymentsJson(in, now);
  EXPECT_EQ(j["format"], "openlfr.public-deployments/1");
  EXPECT_EQ(j["generated_utc"], "2026-12-05T10:00:00Z");
  EXPECT_EQ(Ids(j["upcoming"]), (std::vector<int64_t>{4, 5}));  // by planned start; 1 has no notice
  EXPECT_EQ(Ids(j["active"]), (std::vector<int64_t>{3}));
  EXPECT_EQ(Ids(j["past"]), (std::vector<int64_t>{6, 7, 2}));  // most recent end first; 8 never public

  const auto& upcoming = j["upcoming"][0];
  EXPECT_EQ(upcoming["notice"]["text"], "Notice for deployment 4");
  EXPECT_EQ(upcoming["window_passed"], false);
  EXPECT_EQ(upcoming["status"], "planned");
  EXPECT_EQ(upcoming["authorising_officer"], "Superintendent A. Morgan");
  EXPECT_TRUE(upcoming["started_ms"].is_null());

  const auto& cancelled_json = j["past"][0];
  EXPECT_EQ(cancelled_json["outcome"], "cancelled");
  EXPECT_TRUE(cancelled_json["results"].is_null());

  const auto& completed = j["past"][1];
  EXPECT_EQ(completed["outcome"], "completed");
  EXPECT_EQ(completed["ended_utc"], "2026-12-05T22:50:00Z");
  const auto& results = completed["results"];
  EXPECT_EQ(results["faces_seen"], 3600);
  EXPECT_EQ(results["alerts"]["total"], 6);
  EXPECT_EQ(results["alerts"]["confirmed_true"], 2);
  EXPECT_EQ(results["alerts"]["confirmed_false"], 2);
  EXPECT_EQ(results["alerts"]["arrests"], 1);
  EXPECT_DOUBLE_EQ(results["false_alert_rate"].get<double>(), 2.0 / 3600);
  EXPECT_EQ(results["watchlist"]["size"], 10);
  EXPECT_EQ(results["threshold"]["configured"], "0.3");
  EXPECT_TRUE(j["past"][2]["results"].is_null());  // ran, report not supplied
}

TEST(ReportPublicListingTest, UpcomingWhosePlannedWindowHasPassedIsFlagged) {
  const Deployment d = Make(4, DeploymentStatus::kPlanned, true);
  const nlohmann::json j = PublicDeploymentsJson({{d, std::nullopt, {}}}, d.spec.planned_end_ms);
  ASSERT_EQ(j["upcoming"].size(), 1u);
  EXPECT_EQ(j["upcoming"][0]["window_passed"], true);
}

TEST(ReportPublicListingTest, ResultsOfAnotherDeploymentAreNotPublished) {
  Deployment ran = SampleInput().deployment;
  ran.id = 9;
  const nlohmann::json j = PublicDeploymentsJson({{ran, BuildReport(SampleInput())}}, 0);
  ASSERT_EQ(j["past"].size(), 1u);
  EXPECT_TRUE(j["past"][0]["results"].is_null());
}

TEST(ReportPublicListingTest, NeverContainsReferencesNamesOrUris) {
  ReportInput input = SampleInput();
  std::vector<PublicDeployment> in = {{input.deployment, BuildReport(input)},
                                      {Make(3, DeploymentStatus::kActive, true), std::nullopt, {}},
                                      {Make(4, DeploymentStatus::kPlanned, true), std::nullopt, {}}};
  const std::string text = PublicDeploymentsJson(in, Utc(2026, 12, 6)).dump();
  testing::ExpectNoSecrets(text);
  EXPECT_EQ(text.find("created_by"), std::string::npos);
  EXPECT_EQ(text.find("closed_by"), std::string::npos);
  EXPECT_EQ(text.find("subject"), std::string::npos);
  EXPECT_EQ(text.find("reference"), std::string::npos);
}

}  // namespace
}  // namespace lfr::report
