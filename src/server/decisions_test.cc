// Alert decisions over real HTTP: a decision is made once (409 naming the decision on
// record), contradictory state/outcome pairs are refused (400), and a change is a
// correction with a reason — by a supervisor, or by the deciding operator within 10
// minutes — that keeps the replaced decision on record and in the audit log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/auth.h"
#include "server/server.h"
#include "testing/api_fixture.h"

namespace lfr::server {
namespace {
using ::testing::HasSubstr;
using json = nlohmann::json;
using lfr::testing::ApiClient;
using lfr::testing::BodyJson;
using lfr::testing::ErrorOf;
using lfr::testing::kCli;

class DecisionsTest : public lfr::testing::ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    AddUser("otto", Role::kOperator);
    dep_ = ActiveDeployment("D");
    entry_ = store_->ListWatchlist(dep_, false)->at(0).id;
    alert_ = NewAlert();
  }
  int64_t NewAlert() {
    auto a = store_->RecordAlert(lfr::testing::AlertFor(dep_, entry_), lfr::testing::kSystem);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? a->id : 0;
  }
  std::string Decide(int64_t id) const { return "/api/alerts/" + std::to_string(id) + "/decision"; }
  std::string Correct(int64_t id) const { return "/api/alerts/" + std::to_string(id) + "/correction"; }
  int CountAudit(const std::string& action) {
    int n = 0;
    auto rows = store_->ListAudit(0, 100000);  // kept alive for the loop
    for (const auto& e : *rows) n += e.action == action;
    return n;
  }

  int64_t dep_ = 0, entry_ = 0, alert_ = 0;
};

TEST_F(DecisionsTest, DecidedAlertIsNotReDecided409WithTheDecisionOnRecord) {
  ApiClient olly = Login("olly"), otto = Login("otto");
  auto first = olly.PostJson(Decide(alert_), {{"state", "true"}, {"outcome", "engaged"}, {"note", "spoke to him"}});
  ASSERT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(BodyJson(first)["corrections"], json::array());
  for (const ApiClient* c : {&otto, &olly}) {
    auto again = c->PostJson(Decide(alert_), {{"state", "false"}});
    EXPECT_EQ(again->status, 409) << again->body;
    EXPECT_THAT(ErrorOf(again), HasSubstr("already decided (true, outcome engaged, by olly"));
    EXPECT_THAT(ErrorOf(again), HasSubstr("correction"));
  }
  auto a = store_->GetAlert(alert_);
  EXPECT_EQ(a->state, AlertState::kConfirmedTrue);
  EXPECT_EQ(a->note, "spoke to him");
  EXPECT_EQ(CountAudit("alert.decide"), 1);
}

TEST_F(DecisionsTest, ContradictoryPairsAreRefused400AndChangeNothing) {
  ApiClient olly = Login("olly");
  for (const char* state : {"false", "no_action"}) {
    for (const char* outcome : {"engaged", "arrested", "nfa"}) {
      auto r = olly.PostJson(Decide(alert_), {{"state", state}, {"outcome", outcome}});
      EXPECT_EQ(r->status, 400) << state << "+" << outcome << ": " << r->body;
      EXPECT_THAT(ErrorOf(r), HasSubstr(std::string("'") + outcome + "' contradicts state '" + state + "'"));
    }
  }
  EXPECT_EQ(store_->GetAlert(alert_)->state, AlertState::kPending);
  EXPECT_EQ(olly.PostJson(Decide(alert_), {{"state", "no_action"}, {"outcome", "none"}})->status, 200);
  const int64_t second = NewAlert();
  EXPECT_EQ(olly.PostJson(Decide(second), {{"state", "true"}, {"outcome", "nfa"}})->status, 200);
}

TEST_F(DecisionsTest, SupervisorCorrectsWithAReasonAndTheOriginalStaysOnRecord) {
  ApiClient olly = Login("olly"), sue = Login("sue");
  ASSERT_EQ(olly.PostJson(Decide(alert_), {{"state", "true"}, {"outcome", "arrested"}})->status, 200);
  clock_.Advance(20 * 60 * 1000);  // past any operator's 10-minute window
  auto no_reason = sue.PostJson(Correct(alert_), {{"state", "false"}});
  EXPECT_EQ(no_reason->status, 400);
  EXPECT_THAT(ErrorOf(no_reason), HasSubstr("'reason'"));
  auto contradiction = sue.PostJson(Correct(alert_), {{"state", "false"}, {"outcome", "arrested"}, {"reason", "r"}});
  EXPECT_EQ(contradiction->status, 400);
  auto ok = sue.PostJson(Correct(alert_), {{"state", "false"}, {"reason", "custody record: a different person"}});
  ASSERT_EQ(ok->status, 200) << ok->body;
  json a = BodyJson(ok);
  EXPECT_EQ(a["state"], "false");
  EXPECT_EQ(a["outcome"], "none");
  EXPECT_EQ(a["decided_by"], "sue");
  ASSERT_EQ(a["corrections"].size(), 1u);
  EXPECT_EQ(a["corrections"][0]["previous_state"], "true");
  EXPECT_EQ(a["corrections"][0]["previous_outcome"], "arrested");
  EXPECT_EQ(a["corrections"][0]["previous_decided_by"], "olly");
  EXPECT_EQ(a["corrections"][0]["by"], "sue");
  EXPECT_EQ(a["corrections"][0]["reason"], "custody record: a different person");
  // Everyone who reads the alert sees the correction, the auditor included.
  ApiClient aud = Login("aud");
  json seen = BodyJson(aud.Get("/api/alerts/" + std::to_string(alert_)));
  EXPECT_EQ(seen["corrections"][0]["previous_decided_by"], "olly");
  EXPECT_EQ(CountAudit("alert.correct"), 1);
  // Correcting to the same decision changes nothing and is refused.
  EXPECT_EQ(sue.PostJson(Correct(alert_), {{"state", "false"}, {"reason", "again"}})->status, 400);
}

TEST_F(DecisionsTest, OperatorCorrectsOnlyTheirOwnDecisionWithinTenMinutes) {
  ApiClient olly = Login("olly"), otto = Login("otto"), aud = Login("aud"), sue = Login("sue");
  ASSERT_EQ(olly.PostJson(Decide(alert_), {{"state", "false"}})->status, 200);
  const json fix = {{"state", "true"}, {"outcome", "engaged"}, {"reason", "pressed the wrong button"}};
  auto other = otto.PostJson(Correct(alert_), fix);
  EXPECT_EQ(other->status, 403);
  EXPECT_THAT(ErrorOf(other), HasSubstr("only a supervisor"));
  EXPECT_EQ(aud.PostJson(Correct(alert_), fix)->status, 403);
  clock_.Advance(9 * 60 * 1000);
  auto own = olly.PostJson(Correct(alert_), fix);
  ASSERT_EQ(own->status, 200) << own->body;
  EXPECT_EQ(BodyJson(own)["corrections"][0]["previous_state"], "false");
  clock_.Advance(11 * 60 * 1000);
  auto late = olly.PostJson(Correct(alert_), {{"state", "no_action"}, {"reason", "second thoughts"}});
  EXPECT_EQ(late->status, 403);
  EXPECT_THAT(ErrorOf(late), HasSubstr("ask a supervisor"));
  EXPECT_EQ(sue.PostJson(Correct(alert_), {{"state", "no_action"}, {"reason", "reviewed the footage"}})->status, 200);
  EXPECT_EQ(store_->GetAlert(alert_)->corrections.size(), 2u);
}

TEST_F(DecisionsTest, PendingAlertHasNothingToCorrect409) {
  ApiClient olly = Login("olly"), sue = Login("sue");
  for (const ApiClient* c : {&olly, &sue}) {
    auto r = c->PostJson(Correct(alert_), {{"state", "true"}, {"reason", "r"}});
    EXPECT_EQ(r->status, 409) << r->body;
    EXPECT_THAT(ErrorOf(r), HasSubstr("not been decided"));
  }
}

}  // namespace
}  // namespace lfr::server
