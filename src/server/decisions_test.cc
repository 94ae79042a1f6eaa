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
#include "testing/store_fixture.h"

namespace lfr::server {
namespace {
using ::testing::HasSubstr;
using json = nlohmann::json;
using lfr::testing::kCli;

const char* kPassword = "a long test password";

struct Client {
  std::unique_ptr<httplib::Client> http;
  std::string cookie, csrf;
  httplib::Result Get(const std::string& path) const {
    return http->Get(path.c_str(), httplib::Headers{{"Cookie", cookie}});
  }
  httplib::Result PostJson(const std::string& path, const json& body) const {
    return http->Post(path.c_str(), httplib::Headers{{"Cookie", cookie}, {"X-CSRF-Token", csrf}}, body.dump(),
                      "application/json");
  }
};

json Body(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }
std::string Error(const httplib::Result& r) { return Body(r).value("error", r->body); }

class DecisionsTest : public lfr::testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    static const std::string hash = *HashPassword(kPassword);
    for (const auto& [name, role] : {std::pair<const char*, Role>{"sue", Role::kSupervisor},
                                     {"olly", Role::kOperator},
                                     {"otto", Role::kOperator},
                                     {"aud", Role::kAuditor}}) {
      ASSERT_TRUE(store_->CreateUser(name, role, hash, kCli).ok());
    }
    ServerOptions o;
    o.port = 0;
    o.recogniser_id = "mobilefacenet-arcface";
    auto s = Server::Create({store_.get(), &clock_, nullptr, nullptr, nullptr}, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    ASSERT_TRUE(server_->Start().ok());
    dep_ = ActiveDeployment("D");
    entry_ = store_->ListWatchlist(dep_, false)->at(0).id;
    alert_ = NewAlert();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    StoreFixture::TearDown();
  }
  int64_t NewAlert() {
    auto a = store_->RecordAlert(lfr::testing::AlertFor(dep_, entry_), lfr::testing::kSystem);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? a->id : 0;
  }
  Client Login(const std::string& user) {
    Client c{std::make_unique<httplib::Client>("127.0.0.1", server_->port()), "", ""};
    auto r = c.http->Post("/api/login", json({{"username", user}, {"password", kPassword}}).dump(),
                          "application/json");
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
    if (!r) return c;
    const std::string set = r->get_header_value("Set-Cookie");
    c.cookie = set.substr(0, set.find(';'));
    c.csrf = Body(r).value("csrf_token", "");
    return c;
  }
  std::string Decide(int64_t id) const { return "/api/alerts/" + std::to_string(id) + "/decision"; }
  std::string Correct(int64_t id) const { return "/api/alerts/" + std::to_string(id) + "/correction"; }
  int CountAudit(const std::string& action) {
    int n = 0;
    auto rows = store_->ListAudit(0, 100000);  // kept alive for the loop
    for (const auto& e : *rows) n += e.action == action;
    return n;
  }

  std::unique_ptr<Server> server_;
  int64_t dep_ = 0, entry_ = 0, alert_ = 0;
};

TEST_F(DecisionsTest, DecidedAlertIsNotReDecided409WithTheDecisionOnRecord) {
  Client olly = Login("olly"), otto = Login("otto");
  auto first = olly.PostJson(Decide(alert_), {{"state", "true"}, {"outcome", "engaged"}, {"note", "spoke to him"}});
  ASSERT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(Body(first)["corrections"], json::array());
  for (const Client* c : {&otto, &olly}) {
    auto again = c->PostJson(Decide(alert_), {{"state", "false"}});
    EXPECT_EQ(again->status, 409) << again->body;
    EXPECT_THAT(Error(again), HasSubstr("already decided (true, outcome engaged, by olly"));
    EXPECT_THAT(Error(again), HasSubstr("correction"));
  }
  auto a = store_->GetAlert(alert_);
  EXPECT_EQ(a->state, AlertState::kConfirmedTrue);
  EXPECT_EQ(a->note, "spoke to him");
  EXPECT_EQ(CountAudit("alert.decide"), 1);
}

TEST_F(DecisionsTest, ContradictoryPairsAreRefused400AndChangeNothing) {
  Client olly = Login("olly");
  for (const char* state : {"false", "no_action"}) {
    for (const char* outcome : {"engaged", "arrested", "nfa"}) {
      auto r = olly.PostJson(Decide(alert_), {{"state", state}, {"outcome", outcome}});
      EXPECT_EQ(r->status, 400) << state << "+" << outcome << ": " << r->body;
      EXPECT_THAT(Error(r), HasSubstr(std::string("'") + outcome + "' contradicts state '" + state + "'"));
    }
  }
  EXPECT_EQ(store_->GetAlert(alert_)->state, AlertState::kPending);
  EXPECT_EQ(olly.PostJson(Decide(alert_), {{"state", "no_action"}, {"outcome", "none"}})->status, 200);
  const int64_t second = NewAlert();
  EXPECT_EQ(olly.PostJson(Decide(second), {{"state", "true"}, {"outcome", "nfa"}})->status, 200);
}

TEST_F(DecisionsTest, SupervisorCorrectsWithAReasonAndTheOriginalStaysOnRecord) {
  Client olly = Login("olly"), sue = Login("sue");
  ASSERT_EQ(olly.PostJson(Decide(alert_), {{"state", "true"}, {"outcome", "arrested"}})->status, 200);
  clock_.Advance(20 * 60 * 1000);  // past any operator's 10-minute window
  auto no_reason = sue.PostJson(Correct(alert_), {{"state", "false"}});
  EXPECT_EQ(no_reason->status, 400);
  EXPECT_THAT(Error(no_reason), HasSubstr("'reason'"));
  auto contradiction = sue.PostJson(Correct(alert_), {{"state", "false"}, {"outcome", "arrested"}, {"reason", "r"}});
  EXPECT_EQ(contradiction->status, 400);
  auto ok = sue.PostJson(Correct(alert_), {{"state", "false"}, {"reason", "custody record: a different person"}});
  ASSERT_EQ(ok->status, 200) << ok->body;
  json a = Body(ok);
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
  Client aud = Login("aud");
  json seen = Body(aud.Get("/api/alerts/" + std::to_string(alert_)));
  EXPECT_EQ(seen["corrections"][0]["previous_decided_by"], "olly");
  EXPECT_EQ(CountAudit("alert.correct"), 1);
  // Correcting to the same decision changes nothing and is refused.
  EXPECT_EQ(sue.PostJson(Correct(alert_), {{"state", "false"}, {"reason", "again"}})->status, 400);
}

TEST_F(DecisionsTest, OperatorCorrectsOnlyTheirOwnDecisionWithinTenMinutes) {
  Client olly = Login("olly"), otto = Login("otto"), aud = Login("aud"), sue = Login("sue");
  ASSERT_EQ(olly.PostJson(Decide(alert_), {{"state", "false"}})->status, 200);
  const json fix = {{"state", "true"}, {"outcome", "engaged"}, {"reason", "pressed the wrong button"}};
  auto other = otto.PostJson(Correct(alert_), fix);
  EXPECT_EQ(other->status, 403);
  EXPECT_THAT(Error(other), HasSubstr("only a supervisor"));
  EXPECT_EQ(aud.PostJson(Correct(alert_), fix)->status, 403);
  clock_.Advance(9 * 60 * 1000);
  auto own = olly.PostJson(Correct(alert_), fix);
  ASSERT_EQ(own->status, 200) << own->body;
  EXPECT_EQ(Body(own)["corrections"][0]["previous_state"], "false");
  clock_.Advance(11 * 60 * 1000);
  auto late = olly.PostJson(Correct(alert_), {{"state", "no_action"}, {"reason", "second thoughts"}});
  EXPECT_EQ(late->status, 403);
  EXPECT_THAT(Error(late), HasSubstr("ask a supervisor"));
  EXPECT_EQ(sue.PostJson(Correct(alert_), {{"state", "no_action"}, {"reason", "reviewed the footage"}})->status, 200);
  EXPECT_EQ(store_->GetAlert(alert_)->corrections.size(), 2u);
}

TEST_F(DecisionsTest, PendingAlertHasNothingToCorrect409) {
  Client olly = Login("olly"), sue = Login("sue");
  for (const Client* c : {&olly, &sue}) {
    auto r = c->PostJson(Correct(alert_), {{"state", "true"}, {"reason", "r"}});
    EXPECT_EQ(r->status, 409) << r->body;
    EXPECT_THAT(Error(r), HasSubstr("not been decided"));
  }
}

}  // namespace
}  // namespace lfr::server
