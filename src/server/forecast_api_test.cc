// The watchlist false-alert forecast and the hub check over real HTTP: GET
// /api/deployments/ID/forecast (no cohort installed said plainly, an empty list, each entry
// and the whole list against the cap, a hub flagged, bad parameters, a cohort of another
// dimension, operators refused, audited), and photo uploads refused as hubs unless a
// supervisor accepts them with a reason (409 with the forecast, then 201 and audited), and a
// photo whose landmarks cannot be one face refused with that reason (422).
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "match/cohort.h"
#include "models/store.h"
#include "server/runner.h"
#include "testing/api_fixture.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"
#include "util/paths.h"

namespace lfr::server {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::ApiClient;
using lfr::testing::BodyJson;
using lfr::testing::ErrorOf;
using lfr::testing::kCli;
using nlohmann::json;

constexpr const char* kRec = "mobilefacenet-arcface";

class ForecastApiTest : public lfr::testing::ApiFixture {
 protected:
  void SetUp() override {
    cohort_home_ = lfr::testing::TempDir("forecast-api-home").string();
    ApiFixture::SetUp();
  }
  // A cohort of n strangers leaning towards centre, where HubPolicyFor and the API look.
  void InstallCohort(const std::vector<float>& centre, int n = 300) {
    auto c = BackgroundCohort::FromRows(kRec, "", static_cast<int>(centre.size()),
                                        lfr::testing::StrangersAround(centre, n, 5), {});
    ASSERT_TRUE(c.ok()) << c.status().message();
    ASSERT_TRUE(c->Save(DefaultCohortPath(cohort_home_, kRec)).ok());
  }
  int64_t AuditCount(const std::string& action) {
    AuditQuery q;
    q.action = action;
    auto rows = store_->ListAudit(q);
    return rows.ok() ? static_cast<int64_t>(rows->size()) : -1;
  }
};

TEST_F(ForecastApiTest, ForecastSaysPlainlyWhenNothingCanBeCheckedAndFlagsAHubAgainstTheCap) {
  const int64_t dep = NewDeployment("Westgate");
  ApiClient sue = Login("sue");
  const std::string url = "/api/deployments/" + std::to_string(dep) + "/forecast";
  // An empty watchlist: nothing to forecast, said so.
  auto empty = sue.Get(url);
  ASSERT_EQ(empty->status, 200) << empty->body;
  EXPECT_EQ(BodyJson(empty)["status"], "empty");
  for (auto [ref, seed] : {std::pair<const char*, int>{"PNC-1", 1}, {"PNC-2", 2}, {"HUB-7", 7}}) {
    ASSERT_TRUE(store_->AddWatchlistEntry(lfr::testing::Entry(dep, ref, seed), kCli).ok());
  }
  // No cohort installed: 200 with status no_cohort and the reason, never a silent pass.
  auto none = sue.Get(url);
  ASSERT_EQ(none->status, 200) << none->body;
  EXPECT_EQ(BodyJson(none)["status"], "no_cohort");
  EXPECT_THAT(BodyJson(none)["message"].get<std::string>(), HasSubstr("not checked"));
  EXPECT_THAT(BodyJson(none)["message"].get<std::string>(), HasSubstr("lfr cohort build"));
  EXPECT_FALSE(BodyJson(none).contains("entries"));

  // A cohort in which HUB-7's embedding is close to every stranger.
  InstallCohort(lfr::testing::UnitVector(7));
  const int64_t audited = AuditCount("watchlist.forecast");
  auto ok = sue.Get(url);
  ASSERT_EQ(ok->status, 200) << ok->body;
  const json f = BodyJson(ok);
  EXPECT_EQ(f["status"], "ok");
  EXPECT_EQ(f["cohort_size"], 300);
  EXPECT_NEAR(f["threshold"].get<double>(), 0.6, 1e-6);
  EXPECT_EQ(f["threshold_spec"], "0.6");
  EXPECT_DOUBLE_EQ(f["cap"].get<double>(), 1e-3);
  EXPECT_EQ(f["hubs"], 1);
  ASSERT_EQ(f["entries"].size(), 3u);
  for (const auto& e : f["entries"]) {
    EXPECT_EQ(e["hub"].get<bool>(), e["reference"] == "HUB-7") << e.dump();
    if (e["hub"].get<bool>()) {
      EXPECT_THAT(e["reason"].get<std::string>(), HasSubstr("close to many strangers"));
    }
  }
  EXPECT_EQ(AuditCount("watchlist.forecast"), audited + 1);
  // At 0.6 a stranger or two of the cohort leaning towards the hub alert (their cosine with it
  // is ~0.41 +- 0.08): the whole list's rate is counted, whoever causes it.
  EXPECT_LE(f["faces_alerting"].get<int>(), 10);
  EXPECT_EQ(f["within_cap"].get<bool>(), f["faces_alerting"].get<int>() == 0);
  // At 0.8 nobody alerts, but 0 of 300 cannot show a rate below 1 in 1,000.
  auto high = sue.Get(url + "?threshold=0.8");
  ASSERT_EQ(high->status, 200) << high->body;
  const json fh = BodyJson(high);
  EXPECT_EQ(fh["faces_alerting"], 0);
  EXPECT_TRUE(fh["within_cap"].get<bool>());
  EXPECT_FALSE(fh["shown_within_cap"].get<bool>());
  EXPECT_GT(fh["rate_upper95"].get<double>(), 0.01);
  // At a lower threshold the hub makes every stranger alert: over the cap.
  auto low = sue.Get(url + "?threshold=0.3&cap=0.01");
  ASSERT_EQ(low->status, 200) << low->body;
  EXPECT_GT(BodyJson(low)["faces_alerting"].get<int>(), 200);
  EXPECT_TRUE(BodyJson(low)["over_cap"].get<bool>());
  EXPECT_DOUBLE_EQ(BodyJson(low)["cap"].get<double>(), 0.01);
  EXPECT_EQ(BodyJson(low)["threshold_spec"], "0.3");

  // Bad parameters, another deployment, another role.
  for (const char* bad : {"?cap=0", "?cap=2", "?cap=abc", "?cap="}) {
    auto r = sue.Get(url + bad);
    EXPECT_EQ(r->status, 400) << bad << ": " << r->body;
    EXPECT_THAT(ErrorOf(r), HasSubstr("'cap'")) << bad;
  }
  EXPECT_EQ(sue.Get(url + "?threshold=fpir:banana")->status, 400);
  EXPECT_EQ(sue.Get("/api/deployments/999/forecast")->status, 404);
  auto olly = Login("olly").Get(url);
  EXPECT_EQ(olly->status, 403);
  EXPECT_THAT(ErrorOf(olly), HasSubstr("may not manage deployments"));

  // A cohort of another dimension (e.g. built before the recogniser changed): 409, not a crash.
  auto other = BackgroundCohort::FromRows(kRec, "", 64, lfr::testing::StrangersAround(lfr::testing::UnitVector(1, 64), 50, 1), {});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other->Save(DefaultCohortPath(cohort_home_, kRec)).ok());
  auto wrong = sue.Get(url);
  EXPECT_EQ(wrong->status, 409) << wrong->body;
  EXPECT_THAT(ErrorOf(wrong), HasSubstr("not 64-d like the cohort's"));
  // A damaged file is no cohort either, with the reason.
  std::ofstream(DefaultCohortPath(cohort_home_, kRec), std::ios::trunc) << "garbage";
  auto damaged = sue.Get(url);
  ASSERT_EQ(damaged->status, 200);
  EXPECT_EQ(BodyJson(damaged)["status"], "no_cohort");
  EXPECT_THAT(BodyJson(damaged)["message"].get<std::string>(), HasSubstr("damaged"));
}

// Uploads through the real enrolment service: hubs refused unless accepted with a reason.
class HubUploadApiTest : public ForecastApiTest {
 protected:
  void SetUp() override {
    home_ = lfr::testing::HomeWithModels("hub-upload", {"yunet-2022mar", kRec});
    stills_ = lfr::testing::FindData("video/hamilton/watchlist_stills");
    if (!home_ || !stills_) LFR_MISSING_SHARED_("models and video/hamilton/watchlist_stills");
    models_ = std::make_unique<ModelStore>(&lfr::testing::TestCatalog(), *home_ / "models", ModelMirrorDir());
    ForecastApiTest::SetUp();
  }
  void BeforeServer() override {
    enrolment_ = std::make_unique<StoreEnrolmentService>(store_.get(), models_.get(), "", cohort_home_);
    enrolment_service_ = enrolment_.get();
  }
  void TearDown() override {
    server_.reset();
    ApiFixture::TearDown();
  }
  httplib::Result Upload(const ApiClient& c, int64_t dep, const char* still, const std::string& reference,
                         const std::string& accept = "") {
    std::ifstream in(*stills_ / still, std::ios::binary);
    const std::string photo((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    httplib::MultipartFormDataItems items = {{"image", photo, still, "image/png"},
                                             {"reference", reference, "", ""},
                                             {"name", "Person " + reference, "", ""},
                                             {"category", "wanted: theft", "", ""},
                                             {"reason", "warrant", "", ""}};
    if (!accept.empty()) items.push_back({"accept_hub_reason", accept, "", ""});
    const std::string url = "/api/deployments/" + std::to_string(dep) + "/watchlist";
    return c.http->Post(url.c_str(), c.Headers(), items);
  }
  std::optional<fs::path> home_, stills_;
  std::unique_ptr<ModelStore> models_;
  std::unique_ptr<StoreEnrolmentService> enrolment_;
};

TEST_F(HubUploadApiTest, AHubPhotoIsRefusedWithItsForecastUntilAcceptedWithAReasonAudited) {
  ApiClient sue = Login("sue");
  // No cohort installed yet: enrolled, and the response says it was not checked.
  const int64_t scratch = NewDeployment("scratch");
  auto unchecked = Upload(sue, scratch, "lin-manuel-miranda.png", "LMM-0");
  ASSERT_EQ(unchecked->status, 201) << unchecked->body;
  EXPECT_FALSE(BodyJson(unchecked)["hub_check"]["checked"].get<bool>());
  EXPECT_THAT(BodyJson(unchecked)["hub_check"]["not_checked"].get<std::string>(), HasSubstr("no background cohort"));
  // A cohort in which that photo's face is close to every stranger.
  auto emb = store_->LoadEmbeddings(scratch, kCli);
  ASSERT_TRUE(emb.ok() && emb->size() == 1u);
  const auto* v = reinterpret_cast<const float*>((*emb)[0].embedding.data());
  InstallCohort(std::vector<float>(v, v + (*emb)[0].embedding.size() / sizeof(float)));

  const int64_t dep = NewDeployment("Theatre");
  auto alex = Upload(sue, dep, "alex-lacamoire.png", "AL-1");
  ASSERT_EQ(alex->status, 201) << alex->body;
  const json ac = BodyJson(alex)["hub_check"];
  EXPECT_TRUE(ac["checked"].get<bool>());
  EXPECT_FALSE(ac["hub"].get<bool>());
  EXPECT_EQ(ac["cohort_size"], 300);

  auto refused = Upload(sue, dep, "lin-manuel-miranda.png", "LMM-1");
  ASSERT_EQ(refused->status, 409) << refused->body;
  EXPECT_THAT(ErrorOf(refused), HasSubstr("would be a hub of the watchlist"));
  EXPECT_THAT(ErrorOf(refused), HasSubstr("send accept_hub_reason"));
  const json hub = BodyJson(refused)["hub"];
  EXPECT_TRUE(hub["refused"].get<bool>());
  EXPECT_TRUE(hub["hub"].get<bool>());
  EXPECT_GT(hub["hub_z"].get<double>(), 4.0);
  EXPECT_FALSE(BodyJson(refused).contains("duplicate_of"));
  EXPECT_EQ(store_->ListWatchlist(dep, true)->size(), 1u);

  const int64_t before = AuditCount("watchlist.accept_hub");
  auto accepted = Upload(sue, dep, "lin-manuel-miranda.png", "LMM-1", "only photo on file; replacement requested");
  ASSERT_EQ(accepted->status, 201) << accepted->body;
  const json a = BodyJson(accepted);
  EXPECT_EQ(a["hub_check"]["accepted_reason"], "only photo on file; replacement requested");
  EXPECT_THAT(a["quality_notes"].get<std::string>(), HasSubstr("forecast hub accepted by sue"));
  EXPECT_THAT(a["warnings"].dump(), HasSubstr("accepted although a forecast hub"));
  EXPECT_EQ(AuditCount("watchlist.accept_hub"), before + 1);

  // The forecast before the start shows the accepted hub to the supervisor.
  auto f = sue.Get("/api/deployments/" + std::to_string(dep) + "/forecast");
  ASSERT_EQ(f->status, 200) << f->body;
  EXPECT_EQ(BodyJson(f)["hubs"], 1);
}

TEST_F(HubUploadApiTest, ASidewaysPhotoWithCollapsedLandmarksIsRefusedWithTheReason) {
  LFR_REQUIRE_DATA(ff, "fairface-dev/images");
  ApiClient sue = Login("sue");
  const int64_t dep = NewDeployment("Sideways");
  std::ifstream in(ff / "13364.jpg", std::ios::binary);
  const std::string photo((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  httplib::MultipartFormDataItems items = {{"image", photo, "13364.jpg", "image/jpeg"},
                                           {"reference", "SIDE-1", "", ""},
                                           {"name", "Person lying down", "", ""},
                                           {"category", "wanted: theft", "", ""},
                                           {"reason", "warrant", "", ""}};
  auto r = sue.http->Post(("/api/deployments/" + std::to_string(dep) + "/watchlist").c_str(), sue.Headers(), items);
  ASSERT_EQ(r->status, 422) << r->body;
  EXPECT_THAT(BodyJson(r)["rejection"].get<std::string>(), HasSubstr("face fails the quality gate: implausible landmarks: eyes "));
  EXPECT_TRUE(store_->ListWatchlist(dep, true)->empty());
}

}  // namespace
}  // namespace lfr::server
