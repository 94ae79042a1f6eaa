// Alert decisions in the store: a decision is made once, contradictory decisions are
// refused, and a change is a correction with a reason that keeps the original decision on
// record (alert_corrections and the audit log).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "privacy/crypto.h"
#include "store/sqlite_schema.h"
#include "testing/store_fixture.h"

namespace lfr {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;
using namespace lfr::testing;  // NOLINT: fixtures and builders

class AlertDecisionTest : public BackendStoreFixture {
 protected:
  void SetUp() override {
    BackendStoreFixture::SetUp();
    dep_ = ActiveDeployment("D");
    entry_ = store_->ListWatchlist(dep_, false)->at(0).id;
  }
  int64_t NewAlert() {
    auto a = store_->RecordAlert(AlertFor(dep_, entry_), kSystem);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? a->id : 0;
  }
  std::vector<AuditEvent> AuditRows(const std::string& action) {
    std::vector<AuditEvent> out;
    auto rows = store_->ListAudit(0, 5000);  // kept alive for the loop
    for (const auto& e : *rows) {
      if (e.action == action) out.push_back(e);
    }
    return out;
  }
  int64_t dep_ = 0, entry_ = 0;
};
// Migrations of SQLite databases written by older versions.
class AlertDecisionSqliteTest : public AlertDecisionTest {
 protected:
  Backend backend() const override { return Backend::kSqlite; }
};

TEST(ValidateAlertDecision, OutcomesApplyToTrueAlertsOnly) {
  using S = AlertState;
  using O = AlertOutcome;
  for (O o : {O::kNone, O::kEngaged, O::kArrested, O::kNoFurtherAction}) {
    EXPECT_TRUE(ValidateAlertDecision(Decision(S::kConfirmedTrue, o)).ok()) << AlertOutcomeName(o);
    for (S s : {S::kConfirmedFalse, S::kNoAction}) {
      const Status st = ValidateAlertDecision(Decision(s, o));
      EXPECT_EQ(st.ok(), o == O::kNone) << AlertStateName(s) << " + " << AlertOutcomeName(o);
      if (!st.ok()) {
        EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
        EXPECT_THAT(st.message(), HasSubstr("contradicts"));
      }
    }
    EXPECT_EQ(ValidateAlertDecision(Decision(S::kPending, o)).code(), Status::Code::kInvalidArgument);
  }
}

TEST_P(AlertDecisionTest, ContradictoryDecisionIsRefusedAndChangesNothing) {
  const int64_t id = NewAlert();
  auto r = store_->DecideAlert(id, Decision(AlertState::kConfirmedFalse, AlertOutcome::kArrested), kCli);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("'arrested' contradicts state 'false'"));
  EXPECT_EQ(store_->GetAlert(id)->state, AlertState::kPending);
  EXPECT_TRUE(AuditRows("alert.decide").empty());
}

TEST_P(AlertDecisionTest, DecidedAlertCannotBeDecidedAgain) {
  const int64_t id = NewAlert();
  ASSERT_TRUE(store_->DecideAlert(id, Decision(AlertState::kConfirmedTrue, AlertOutcome::kEngaged), Actor{"op1"}).ok());
  auto again = store_->DecideAlert(id, Decision(AlertState::kConfirmedFalse), Actor{"op2"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), HasSubstr("already decided (true, outcome engaged, by op1"));
  EXPECT_THAT(again.status().message(), HasSubstr("correction"));
  auto a = store_->GetAlert(id);
  EXPECT_EQ(a->state, AlertState::kConfirmedTrue);
  EXPECT_EQ(a->decided_by, "op1");
  EXPECT_TRUE(a->corrections.empty());
  EXPECT_EQ(AuditRows("alert.decide").size(), 1u);
}

TEST_P(AlertDecisionTest, CorrectionKeepsTheOriginalDecisionOnRecord) {
  const int64_t id = NewAlert();
  clock_.Advance(1000);
  const int64_t decided_at = clock_.NowMs();
  ASSERT_TRUE(store_->DecideAlert(id, Decision(AlertState::kConfirmedTrue, AlertOutcome::kArrested, "n1"),
                                  Actor{"op1"}).ok());
  clock_.Advance(60000);
  auto c = store_->CorrectAlertDecision(id, Decision(AlertState::kConfirmedFalse), "custody record shows a different person",
                                        Actor{"sup1"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state, AlertState::kConfirmedFalse);
  EXPECT_EQ(c->outcome, AlertOutcome::kNone);
  EXPECT_EQ(c->decided_by, "sup1");
  EXPECT_EQ(c->decided_ms, clock_.NowMs());
  ASSERT_EQ(c->corrections.size(), 1u);
  const AlertCorrection& k = c->corrections[0];
  EXPECT_EQ(k.by, "sup1");
  EXPECT_EQ(k.reason, "custody record shows a different person");
  EXPECT_EQ(k.time_ms, clock_.NowMs());
  EXPECT_EQ(k.previous_state, AlertState::kConfirmedTrue);
  EXPECT_EQ(k.previous_outcome, AlertOutcome::kArrested);
  EXPECT_EQ(k.previous_decided_by, "op1");
  EXPECT_EQ(k.previous_decided_ms, decided_at);
  EXPECT_EQ(k.state, AlertState::kConfirmedFalse);

  // A second correction keeps the first; listing returns them too, oldest first.
  clock_.Advance(1000);
  ASSERT_TRUE(store_->CorrectAlertDecision(id, Decision(AlertState::kConfirmedTrue, AlertOutcome::kEngaged), "second look",
                                           Actor{"sup2"}).ok());
  AlertQuery q;
  q.deployment_id = dep_;
  auto listed = store_->ListAlerts(q);
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_EQ(listed->at(0).corrections.size(), 2u);
  EXPECT_EQ(listed->at(0).corrections[0].previous_decided_by, "op1");  // the original decision
  EXPECT_EQ(listed->at(0).corrections[1].previous_state, AlertState::kConfirmedFalse);
  EXPECT_EQ(listed->at(0).outcome, AlertOutcome::kEngaged);

  auto audit = AuditRows("alert.correct");
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_THAT(audit[0].details, HasSubstr("\"previous_state\":\"true\""));
  EXPECT_THAT(audit[0].details, HasSubstr("\"previous_outcome\":\"arrested\""));
  // The audit row proves a reason was given without keeping its text (purged with the alert).
  EXPECT_THAT(audit[0].details, HasSubstr("\"reason_sha256\":\"" + Sha256Hex("custody record shows a different person") + "\""));
  EXPECT_THAT(audit[0].details, Not(HasSubstr("custody record")));
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_P(AlertDecisionTest, CorrectionRefusals) {
  const int64_t id = NewAlert();
  auto pending = store_->CorrectAlertDecision(id, Decision(AlertState::kConfirmedTrue), "why", Actor{"sup1"});
  EXPECT_EQ(pending.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(pending.status().message(), HasSubstr("not been decided"));
  ASSERT_TRUE(store_->DecideAlert(id, Decision(AlertState::kConfirmedTrue), Actor{"op1"}).ok());
  EXPECT_EQ(store_->CorrectAlertDecision(id, Decision(AlertState::kNoAction), "  ", Actor{"sup1"}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->CorrectAlertDecision(id, Decision(AlertState::kNoAction, AlertOutcome::kEngaged), "r",
                                         Actor{"sup1"}).status().code(),
            Status::Code::kInvalidArgument);
  auto same = store_->CorrectAlertDecision(id, Decision(AlertState::kConfirmedTrue), "r", Actor{"sup1"});
  EXPECT_EQ(same.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(same.status().message(), HasSubstr("changes nothing"));
  EXPECT_TRUE(store_->GetAlert(id)->corrections.empty());
  EXPECT_TRUE(AuditRows("alert.correct").empty());
  // A closed deployment's record is final.
  ASSERT_TRUE(store_->CloseDeployment(dep_, kCli).ok());
  EXPECT_EQ(store_->CorrectAlertDecision(id, Decision(AlertState::kNoAction), "r", Actor{"sup1"}).status().code(),
            Status::Code::kFailedPrecondition);
}

TEST_P(AlertDecisionTest, CorrectionsCannotBeRewrittenInTheDatabase) {
  const int64_t id = NewAlert();
  ASSERT_TRUE(store_->DecideAlert(id, Decision(AlertState::kConfirmedTrue), Actor{"op1"}).ok());
  ASSERT_TRUE(store_->CorrectAlertDecision(id, Decision(AlertState::kNoAction), "r", Actor{"sup1"}).ok());
  auto raw = Raw();
  EXPECT_THAT(raw->Exec("UPDATE alert_corrections SET previous_state = 'false'"), HasSubstr("append-only"));
  EXPECT_THAT(raw->Exec("DELETE FROM alert_corrections"), HasSubstr("append-only"));
}

// A correction's reason is free text about an encounter: it goes with the alert's other
// personal data at the 24-hour purge, while who corrected what, when and from which decision
// stays on record; nothing else about a correction can be rewritten.
TEST_P(AlertDecisionTest, CorrectionReasonIsErasedWithTheAlertData) {
  const int64_t id = NewAlert();
  ASSERT_TRUE(store_->DecideAlert(id, Decision(AlertState::kConfirmedTrue, AlertOutcome::kEngaged, "n"), Actor{"op1"}).ok());
  ASSERT_TRUE(store_->CorrectAlertDecision(id, Decision(AlertState::kConfirmedTrue, AlertOutcome::kArrested),
                                           "custody record: J. Smith arrested at the gate", Actor{"sup1"}).ok());
  auto raw = Raw();
  EXPECT_THAT(raw->Exec("UPDATE alert_corrections SET reason = 'x'"), HasSubstr("append-only"));
  EXPECT_THAT(raw->Exec("UPDATE alert_corrections SET reason = '', corrected_by = 'x'"), HasSubstr("append-only"));
  clock_.Advance(25LL * 3600 * 1000);
  auto purged = store_->PurgeAlertData(clock_.NowMs() - 24LL * 3600 * 1000, kCli);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  auto a = store_->GetAlert(id);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->corrections.size(), 1u);
  EXPECT_EQ(a->corrections[0].reason, "");
  EXPECT_EQ(a->corrections[0].by, "sup1");
  EXPECT_EQ(a->corrections[0].previous_outcome, AlertOutcome::kEngaged);
  EXPECT_EQ(a->outcome, AlertOutcome::kArrested);
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM alert_corrections WHERE reason != ''"), "0");
  if (backend() != Backend::kSqlite) return;  // the files' bytes: SQLite's secure_delete (crypto_shred_test.cc)
  store_.reset();
  std::string bytes;
  for (const auto& f : std::filesystem::directory_iterator(db_path_.parent_path())) {
    std::ifstream in(f.path(), std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(bytes.find("J. Smith"), std::string::npos) << "the reason survives in a store file";
}

TEST_F(AlertDecisionSqliteTest, AVersion2DatabaseGainsCorrectionsOnOpen) {
  {
    RawDb raw(db_path_);
    ASSERT_EQ(raw.Exec("DROP TABLE nodes; "  // schema 8 (fleet nodes)
                       "DROP TABLE footage_keys; "  // schema 6 (footage keys)
                       "DROP TABLE search_reviews; DROP TABLE search_candidates; DROP TABLE searches; "
                       "DROP TABLE gallery_faces; DROP TABLE gallery_records; DROP TABLE gallery_imports; "
                       "DROP TABLE galleries; "  // schema 5 (retrospective search)
                       "DROP TRIGGER alert_corrections_append_only_update; "
                       "DROP TRIGGER alert_corrections_append_only_delete; DROP TABLE alert_corrections; "
                       "PRAGMA user_version = 2"), "");
  }
  Reopen();
  const int64_t id = NewAlert();
  ASSERT_TRUE(store_->DecideAlert(id, Decision(AlertState::kConfirmedTrue), Actor{"op1"}).ok());
  auto c = store_->CorrectAlertDecision(id, Decision(AlertState::kNoAction), "r", Actor{"sup1"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->corrections.size(), 1u);
  auto migrated = AuditRows("store.migrate");
  // One row per migration step: 2 -> 3, and on to the latest schema.
  ASSERT_EQ(migrated.size(), static_cast<size_t>(sqlite::LatestSchemaVersion() - 2));
  EXPECT_THAT(migrated.back().details, HasSubstr("\"to\":" + std::to_string(sqlite::LatestSchemaVersion())));
  EXPECT_TRUE(AuditRows("store.create").size() == 1u);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}


LFR_STORE_BACKENDS(AlertDecisionTest);

}  // namespace
}  // namespace lfr
