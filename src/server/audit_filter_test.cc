// The audit log's filters, over real HTTP (GET /api/audit?actor=&action=&deployment=&from=
// &to=&limit=&order=) and in the store: each filter narrows to exactly the matching rows,
// and a bad value is 400 naming the parameter.
#include <algorithm>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/api_fixture.h"
#include "util/clock.h"

namespace lfr::server {
namespace {

using ::testing::HasSubstr;
using lfr::testing::ApiClient;
using lfr::testing::BodyJson;
using lfr::testing::ErrorOf;
using lfr::testing::kCli;
using lfr::testing::kT0;
using json = nlohmann::json;

class AuditFilterTest : public lfr::testing::ApiFixture {
 protected:
  std::vector<json> Events(const ApiClient& c, const std::string& query) {
    auto r = c.Get("/api/audit?" + query);
    EXPECT_EQ(r->status, 200) << query << ": " << r->body;
    const json body = BodyJson(r);
    std::vector<json> out;
    for (const json& e : body["events"]) out.push_back(e);
    return out;
  }
};

TEST_F(AuditFilterTest, FiltersByActorActionDeploymentAndTime) {
  const int64_t one = ActiveDeployment("one");  // at kT0, by cli:test
  clock_.Advance(kMsPerHour);
  const int64_t two = NewDeployment("two");
  ASSERT_TRUE(store_->AddCamera(lfr::testing::Cam(two, "gate-b"), {"sue"}).ok());
  ASSERT_TRUE(store_->Audit({"sue"}, "report.export", "deployment:" + std::to_string(one), "{}").ok());
  ApiClient aud = Login("aud");

  auto by_sue = Events(aud, "actor=sue&limit=5000");
  ASSERT_EQ(by_sue.size(), 2u);
  for (const json& e : by_sue) EXPECT_EQ(e["actor"], "sue");

  auto starts = Events(aud, "action=deployment.start");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0]["target"], "deployment:" + std::to_string(one));
  auto deployment_rows = Events(aud, "action=deployment.*&limit=5000");
  EXPECT_EQ(deployment_rows.size(), 4u) << "create, notice and start of one; create of two";
  for (const json& e : deployment_rows) EXPECT_EQ(e["action"].get<std::string>().rfind("deployment.", 0), 0u);

  // Deployment two: its creation and its camera (camera:N), nothing of deployment one.
  auto of_two = Events(aud, "deployment=" + std::to_string(two) + "&limit=5000");
  std::vector<std::string> actions;
  for (const json& e : of_two) actions.push_back(e["action"]);
  EXPECT_THAT(actions, ::testing::ElementsAre("deployment.create", "camera.add"));
  // Deployment one: also its watchlist entry and the export.
  actions.clear();
  for (const json& e : Events(aud, "deployment=" + std::to_string(one) + "&limit=5000")) actions.push_back(e["action"]);
  EXPECT_THAT(actions, ::testing::Contains("watchlist.add"));
  EXPECT_THAT(actions, ::testing::Contains("report.export"));
  EXPECT_THAT(actions, ::testing::Contains("camera.add"));
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "deployment.create"), 1) << "not two's";

  // Time: from (inclusive) and to (exclusive).
  const std::string later = FormatUtcMs(kT0 + kMsPerHour);
  for (const json& e : Events(aud, "from=" + later + "&limit=5000")) {
    EXPECT_GE(e["time"].get<std::string>(), later);
  }
  auto early = Events(aud, "to=" + later + "&limit=5000&actor=cli:test");
  ASSERT_FALSE(early.empty());
  for (const json& e : early) EXPECT_LT(e["time"].get<std::string>(), later);
  // Combined, newest first, limited.
  auto newest = Events(aud, "actor=sue&order=desc&limit=1");
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0]["action"], "report.export");
  EXPECT_TRUE(Events(aud, "actor=nobody").empty());
  std::set<std::string> actors;  // empty filter boxes filter nothing
  for (const json& e : Events(aud, "actor=&action=&deployment=&from=&to=&limit=5000")) actors.insert(e["actor"]);
  EXPECT_TRUE(actors.count("sue") && actors.count("cli:test") && actors.count("system"));
}

TEST_F(AuditFilterTest, BadFilterValuesAre400NamingTheParameter) {
  ApiClient aud = Login("aud");
  const std::pair<std::string, std::string> cases[] = {
      {"deployment=abc", "'deployment'"},
      {"deployment=-3", "'deployment'"},
      {"from=yesterday", "'from'"},
      {"to=soon", "'to'"},
      {"from=2026-12-05T10:00:00Z&to=2026-12-05T09:00:00Z", "'to' must be after 'from'"},
      {"limit=0", "'limit'"},
      {"limit=5001", "'limit'"},
      {"after=x", "'after'"},
      {"order=sideways", "'order'"},
      {"action=login%00", "'action'"},
      {"action=de*ployment", "'*' may only end a prefix"},
      {"actor=" + std::string(101, 'a'), "'actor' is longer than 100"},
      {"actor=%3Cscript%3E", "'actor'"},
  };
  for (const auto& [query, expect] : cases) {
    auto r = aud.Get("/api/audit?" + query);
    ASSERT_TRUE(r) << query;
    EXPECT_EQ(r->status, 400) << query << ": " << r->body;
    EXPECT_THAT(ErrorOf(r), HasSubstr(expect)) << query;
  }
  EXPECT_EQ(Login("sue").Get("/api/audit?actor=sue")->status, 403) << "auditors only";
}

}  // namespace
}  // namespace lfr::server
