// Deployments keep their promises to the public, over real HTTP: start is refused without a
// published notice or outside the planned window unless the supervisor records an override
// (audited, in the report's JSON, CSV and HTML); a published notice is served as published,
// never re-rendered, and a change is a new dated revision the public can see.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/api_fixture.h"

namespace lfr::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using lfr::testing::ApiClient;
using lfr::testing::BodyJson;
using lfr::testing::ErrorOf;
using lfr::testing::kCli;
using lfr::testing::kT0;
using json = nlohmann::json;

class DeploymentRulesTest : public lfr::testing::ApiFixture {
 protected:
  // Planned for [kT0, kT0 + 1 day), with a camera and a watchlist entry, no notice.
  int64_t Ready(const std::string& name) {
    const int64_t id = NewDeployment(name);
    EXPECT_TRUE(store_->AddCamera(lfr::testing::Cam(id, "gate-a"), kCli).ok());
    EXPECT_TRUE(store_->AddWatchlistEntry(lfr::testing::Entry(id, "PNC-1", 1), kCli).ok());
    return id;
  }
  static std::string Url(int64_t id, const std::string& tail = "") {
    return "/api/deployments/" + std::to_string(id) + tail;
  }
};

TEST_F(DeploymentRulesTest, StartWithoutANoticeIs409NamingTheNoticeAndTheOverride) {
  const int64_t id = Ready("no-notice");
  ApiClient sue = Login("sue");
  for (const json& body : {json::object(), json({{"override_reason", ""}})}) {
    auto r = sue.PostJson(Url(id, "/start"), body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 409) << r->body;
    EXPECT_THAT(ErrorOf(r), HasSubstr("no advance notice has been published"));
    EXPECT_THAT(ErrorOf(r), HasSubstr("\"override_reason\""));
  }
  EXPECT_TRUE(runner_.started.empty());
  EXPECT_EQ(store_->GetDeployment(id)->status, DeploymentStatus::kPlanned);
  // With the notice published, inside the window, it starts by the rules.
  ASSERT_EQ(sue.PostJson(Url(id, "/notice"), json::object())->status, 200);
  auto ok = sue.PostJson(Url(id, "/start"), json::object());
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(BodyJson(ok)["start_overridden"], "");
  EXPECT_EQ(runner_.started, std::vector<int64_t>{id});
}

TEST_F(DeploymentRulesTest, StartOutsideTheWindowIs409AndAnOverrideIsRecordedAuditedAndReported) {
  const int64_t id = Ready("late");
  ASSERT_TRUE(store_->PublishNotice(id, "LFR at Westgate Street.", kCli).ok());
  clock_.Set(kT0 + kMsPerDay + kMsPerMinute);  // a minute after the planned end
  ApiClient sue = Login("sue");
  auto late = sue.PostJson(Url(id, "/start"), json::object());
  EXPECT_EQ(late->status, 409);
  EXPECT_THAT(ErrorOf(late), HasSubstr("after its planned window"));
  EXPECT_THAT(ErrorOf(late), HasSubstr("override"));
  // Bad overrides are 400 and change nothing.
  EXPECT_EQ(sue.PostJson(Url(id, "/start"), {{"override_reason", "  "}})->status, 400);
  EXPECT_EQ(sue.PostJson(Url(id, "/start"), {{"override_reason", 42}})->status, 400);
  EXPECT_EQ(sue.PostJson(Url(id, "/start"), {{"override_reason", std::string(2001, 'x')}})->status, 400);
  EXPECT_TRUE(runner_.started.empty());
  const std::string why = "Match delayed by two hours; the Supt. extended the operation by phone";
  auto ok = sue.PostJson(Url(id, "/start"), {{"override_reason", why}});
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(BodyJson(ok)["start_override_reason"], why);
  EXPECT_EQ(BodyJson(ok)["start_overridden"], "outside the planned window");
  EXPECT_EQ(runner_.started, std::vector<int64_t>{id});
  // Audited with the reason and the user.
  AuditQuery q;
  q.action = "deployment.start";
  auto rows = store_->ListAudit(q);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].actor, "sue");
  EXPECT_EQ(json::parse((*rows)[0].details)["override"]["reason"], why);
  // Shown in the results report: JSON, CSV and HTML.
  ApiClient aud = Login("aud");
  auto j = aud.Get(Url(id, "/report?format=json"));
  ASSERT_EQ(j->status, 200) << j->body;
  EXPECT_EQ(BodyJson(j)["deployment"]["start_override_reason"], why);
  EXPECT_EQ(BodyJson(j)["deployment"]["start_overridden"], "outside the planned window");
  auto csv = aud.Get(Url(id, "/report?format=csv"));
  EXPECT_THAT(csv->body, HasSubstr("deployment,,start_override_reason," + std::string(why)));
  EXPECT_THAT(csv->body, HasSubstr("deployment,,start_overridden,outside the planned window"));
  auto html = aud.Get(Url(id, "/report?format=html"));
  EXPECT_THAT(html->body, HasSubstr("Reason for starting anyway"));
  EXPECT_THAT(html->body, HasSubstr("Match delayed by two hours"));
}

TEST_F(DeploymentRulesTest, ADeploymentStartedByTheRulesSaysSoInItsReport) {
  const int64_t id = Ready("by-the-rules");
  ApiClient sue = Login("sue");
  ASSERT_EQ(sue.PostJson(Url(id, "/notice"), json::object())->status, 200);
  ASSERT_EQ(sue.PostJson(Url(id, "/start"), json::object())->status, 200);
  auto html = Login("aud").Get(Url(id, "/report?format=html"));
  EXPECT_THAT(html->body, HasSubstr("nothing: started by the rules"));
}

TEST_F(DeploymentRulesTest, ThePublicNoticeIsTheStoredTextAndEditsMakeDatedRevisions) {
  const int64_t id = Ready("notice-revisions");
  ApiClient sue = Login("sue");
  auto pub = sue.PostJson(Url(id, "/notice"), {{"text", "Our own notice: LFR at Westgate Street <gates>."}});
  ASSERT_EQ(pub->status, 200) << pub->body;
  EXPECT_EQ(BodyJson(pub)["notice_revision"], 1);
  auto raw = Raw();
  const std::string page = "/public/deployments/" + std::to_string(id) + "/notice";
  auto first = raw->Get(page.c_str());
  ASSERT_EQ(first->status, 200);
  EXPECT_THAT(first->body, HasSubstr("Our own notice: LFR at Westgate Street &lt;gates&gt;."))
      << "custom text is what the public sees, escaped";
  EXPECT_THAT(first->body, HasSubstr("revision 1"));
  // Editing the deployment after publishing changes neither the page nor the feed.
  clock_.Advance(10 * kMsPerMinute);
  ASSERT_EQ(sue.PutJson(Url(id), {{"location", "Queen Street"}})->status, 200);
  auto after_edit = raw->Get(page.c_str());
  EXPECT_EQ(after_edit->body, first->body);
  auto feed = BodyJson(raw->Get("/public/deployments.json"));
  ASSERT_EQ(feed["upcoming"].size(), 1u);
  EXPECT_EQ(feed["upcoming"][0]["notice"]["text"], "Our own notice: LFR at Westgate Street <gates>.");
  EXPECT_EQ(feed["upcoming"][0]["notice"]["revision"], 1);
  EXPECT_TRUE(feed["upcoming"][0]["notice"]["earlier_revisions"].empty());
  // Publishing again makes revision 2 (the standard text, now naming Queen Street).
  ASSERT_EQ(sue.PostJson(Url(id, "/notice"), json::object())->status, 200);
  auto second = raw->Get(page.c_str());
  ASSERT_EQ(second->status, 200);
  EXPECT_THAT(second->body, HasSubstr("Queen Street"));
  EXPECT_THAT(second->body, Not(HasSubstr("Our own notice")));
  EXPECT_THAT(second->body, HasSubstr("Revisions of this notice"));
  EXPECT_THAT(second->body, HasSubstr("?revision=1"));
  EXPECT_THAT(second->body, HasSubstr("(current)"));
  auto old = raw->Get((page + "?revision=1").c_str());
  ASSERT_EQ(old->status, 200);
  EXPECT_THAT(old->body, HasSubstr("Our own notice"));
  EXPECT_THAT(old->body, HasSubstr("earlier revision"));
  EXPECT_EQ(raw->Get((page + "?revision=3").c_str())->status, 404);
  EXPECT_EQ(raw->Get((page + "?revision=0").c_str())->status, 404);
  EXPECT_EQ(raw->Get((page + "?revision=x").c_str())->status, 404);
  feed = BodyJson(raw->Get("/public/deployments.json"));
  const json notice = feed["upcoming"][0]["notice"];
  EXPECT_EQ(notice["revision"], 2);
  EXPECT_THAT(notice["text"].get<std::string>(), HasSubstr("Queen Street"));
  EXPECT_EQ(notice["published_ms"], kT0 + 10 * kMsPerMinute);
  ASSERT_EQ(notice["earlier_revisions"].size(), 1u);
  EXPECT_EQ(notice["earlier_revisions"][0]["revision"], 1);
  EXPECT_EQ(notice["earlier_revisions"][0]["published_ms"], kT0);
  EXPECT_EQ(notice["earlier_revisions"][0]["published_utc"], "2026-11-25T09:41:28Z");
  EXPECT_EQ(notice["earlier_revisions"][0]["text"], "Our own notice: LFR at Westgate Street <gates>.");
}

}  // namespace
}  // namespace lfr::server
