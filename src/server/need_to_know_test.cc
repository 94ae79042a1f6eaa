// Operators' need-to-know, over real HTTP: an operator sees what an active deployment needs
// (its details, cameras, watchlist names, reasons and photos, its alerts) and nothing of a
// planned or closed one. Walks the OpenAPI description: every GET that takes the id of a
// deployment, watchlist entry or alert and that operators may call is marked
// x-operator-scope "active deployments", and for a planned and a closed deployment each of
// them answers an operator 403 while a supervisor gets past authorisation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/auth.h"
#include "testing/api_fixture.h"

namespace lfr::server {
namespace {

using ::testing::HasSubstr;
using lfr::testing::ApiClient;
using lfr::testing::BodyJson;
using lfr::testing::ErrorOf;
using lfr::testing::kCli;
using json = nlohmann::json;

class NeedToKnowTest : public lfr::testing::ApiFixture {
 protected:
  struct Ids {
    int64_t deployment = 0, entry = 0, alert = 0, camera = 0;
  };
  Ids Planned() {
    Ids ids;
    ids.deployment = NewDeployment("planned");
    ids.camera = store_->AddCamera(lfr::testing::Cam(ids.deployment, "gate-a"), kCli)->id;
    ids.entry = store_->AddWatchlistEntry(lfr::testing::Entry(ids.deployment, "PNC-P", 3), kCli)->id;
    return ids;
  }
  Ids Active(const std::string& name) {
    Ids ids;
    ids.deployment = ActiveDeployment(name);
    ids.camera = (*store_->ListCameras(ids.deployment))[0].id;
    ids.entry = (*store_->ListWatchlist(ids.deployment, false))[0].id;
    ids.alert = store_->RecordAlert(lfr::testing::AlertFor(ids.deployment, ids.entry), lfr::testing::kSystem)->id;
    return ids;
  }
  // path with {id} replaced by the id its first segment names (0 if none applies).
  static std::string Fill(const std::string& path, const Ids& ids, int64_t* id) {
    *id = path.rfind("/api/alerts/", 0) == 0      ? ids.alert
          : path.rfind("/api/watchlist/", 0) == 0 ? ids.entry
          : path.rfind("/api/cameras/", 0) == 0   ? ids.camera
                                                  : ids.deployment;
    std::string url = path;
    url.replace(url.find("{id}"), 4, std::to_string(*id));
    return url;
  }
};

TEST_F(NeedToKnowTest, OperatorsSeeNothingOfPlannedOrClosedDeploymentsByTheOpenApiWalk) {
  const Ids planned = Planned();
  const Ids closed = Active("closed");
  ASSERT_TRUE(store_->CloseDeployment(closed.deployment, kCli).ok());
  const Ids active = Active("active");
  json spec = json::parse(Raw()->Get("/api/openapi.json")->body);
  ApiClient olly = Login("olly"), sue = Login("sue");
  int checked = 0;
  for (const auto& [path, ops] : spec["paths"].items()) {
    if (!ops.contains("get") || path.find("{id}") == std::string::npos) continue;
    const json& op = ops["get"];
    const std::string perm = op["x-permission"];
    const bool operator_may = perm == "read deployments" || perm == "view watchlists" ||
                              perm == "view face images" || perm == "read alerts";
    if (!operator_may || path.rfind("/public/", 0) == 0) continue;
    ASSERT_EQ(op.value("x-operator-scope", ""), "active deployments")
        << path << " serves operators a deployment's data: say whose (x-operator-scope)";
    int64_t id = 0;
    // The active deployment's: operators see it.
    std::string url = Fill(path, active, &id);
    auto r = olly.Get(url);
    EXPECT_EQ(r->status, 200) << "olly GET " << url << ": " << r->body;
    // A planned one's (no alerts there) and a closed one's: 403 for operators only.
    for (const Ids* ids : {&planned, &closed}) {
      url = Fill(path, *ids, &id);
      if (id == 0) continue;
      r = olly.Get(url);
      EXPECT_EQ(r->status, 403) << "olly GET " << url << ": " << r->body;
      EXPECT_THAT(ErrorOf(r), HasSubstr("active deployments")) << url;
      r = sue.Get(url);
      EXPECT_NE(r->status, 403) << "sue GET " << url << ": " << r->body;
      ++checked;
    }
  }
  EXPECT_GE(checked, 10);
  // Lists: only the active deployment and its alerts.
  auto list = BodyJson(olly.Get("/api/deployments"))["deployments"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], active.deployment);
  EXPECT_EQ(BodyJson(sue.Get("/api/deployments"))["deployments"].size(), 3u);
  auto alerts = BodyJson(olly.Get("/api/alerts"))["alerts"];
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["deployment_id"], active.deployment);
  // A 403 views nothing: no face image was opened for the planned deployment.
  AuditQuery q;
  q.action = "watchlist.view_image";
  q.actor = "olly";
  auto views = store_->ListAudit(q);  // held: a range-for over *temporary would dangle
  ASSERT_TRUE(views.ok());
  for (const AuditEvent& e : *views) {
    EXPECT_NE(e.target, "entry:" + std::to_string(planned.entry));
  }
}

TEST_F(NeedToKnowTest, AnOperatorLosesSightOfADeploymentWhenItCloses) {
  const Ids ids = Active("closing");
  ApiClient olly = Login("olly");
  const std::string watchlist = "/api/deployments/" + std::to_string(ids.deployment) + "/watchlist";
  auto before = olly.Get(watchlist);
  ASSERT_EQ(before->status, 200);
  EXPECT_EQ(BodyJson(before)["entries"][0]["name"], "Person PNC-1");
  ASSERT_TRUE(store_->CloseDeployment(ids.deployment, kCli).ok());
  EXPECT_EQ(olly.Get(watchlist)->status, 403);
}

}  // namespace
}  // namespace lfr::server
