// Published advance notices are immutable: each publication is a dated revision kept as
// published, a change is a new revision, and a database from before revisions were kept
// (schema 1) keeps its published notice as revision 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite_schema.h"
#include "testing/store_fixture.h"

namespace lfr {
namespace {

using ::testing::HasSubstr;
using lfr::testing::kCli;
using lfr::testing::kT0;
using lfr::testing::RawDb;

class NoticeRevisionTest : public lfr::testing::BackendStoreFixture {};
// Migrations of SQLite databases written by older versions.
class NoticeRevisionSqliteTest : public NoticeRevisionTest {
 protected:
  lfr::testing::Backend backend() const override { return lfr::testing::Backend::kSqlite; }
};

TEST_P(NoticeRevisionTest, EachPublicationIsANewDatedRevisionAndEarlierOnesStay) {
  const int64_t id = NewDeployment("Revisions");
  EXPECT_TRUE(store_->ListNoticeRevisions(id)->empty());
  EXPECT_EQ(store_->GetDeployment(id)->notice_revision, 0);
  ASSERT_TRUE(store_->PublishNotice(id, "First notice: Westgate Street, 5 Dec.", kCli).ok());
  clock_.Advance(kMsPerHour);
  // The deployment changes after publishing: the published notice does not.
  DeploymentSpec moved = lfr::testing::Spec("Revisions");
  moved.location = "Queen Street";
  ASSERT_TRUE(store_->UpdateDeployment(id, moved, kCli).ok());
  auto revs = store_->ListNoticeRevisions(id);
  ASSERT_TRUE(revs.ok()) << revs.status().ToString();
  ASSERT_EQ(revs->size(), 1u);
  EXPECT_EQ((*revs)[0].text, "First notice: Westgate Street, 5 Dec.");
  EXPECT_EQ(store_->GetDeployment(id)->notice_text, "First notice: Westgate Street, 5 Dec.");
  // Publishing again is a new revision, dated; the first stays as it was.
  ASSERT_TRUE(store_->PublishNotice(id, "Second notice: Queen Street, 5 Dec.", {"sue"}).ok());
  revs = store_->ListNoticeRevisions(id);
  ASSERT_EQ(revs->size(), 2u);
  EXPECT_EQ((*revs)[0].revision, 1);
  EXPECT_EQ((*revs)[0].published_ms, kT0);
  EXPECT_EQ((*revs)[0].published_by, "cli:test");
  EXPECT_EQ((*revs)[1].revision, 2);
  EXPECT_EQ((*revs)[1].text, "Second notice: Queen Street, 5 Dec.");
  EXPECT_EQ((*revs)[1].published_ms, kT0 + kMsPerHour);
  EXPECT_EQ((*revs)[1].published_by, "sue");
  const Deployment d = *store_->GetDeployment(id);
  EXPECT_EQ(d.notice_revision, 2);
  EXPECT_EQ(d.notice_text, "Second notice: Queen Street, 5 Dec.");
  EXPECT_EQ(d.notice_published_ms, kT0 + kMsPerHour);
  // Both publications are audited with their revision.
  AuditQuery q;
  q.action = "deployment.notice";
  q.limit = -1;
  auto rows = store_->ListAudit(q);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_THAT((*rows)[1].details, HasSubstr("\"revision\":2"));
  EXPECT_EQ(store_->ListNoticeRevisions(999).status().code(), Status::Code::kNotFound);
}

TEST_P(NoticeRevisionTest, TheDatabaseRefusesToChangeOrDeleteAPublishedRevision) {
  const int64_t id = NewDeployment("Immutable");
  ASSERT_TRUE(store_->PublishNotice(id, "As published.", kCli).ok());
  store_.reset();
  {
    auto raw = Raw();
    EXPECT_THAT(raw->Exec("UPDATE notice_revisions SET text = 'rewritten'"), HasSubstr("immutable"));
    EXPECT_THAT(raw->Exec("DELETE FROM notice_revisions"), HasSubstr("immutable"));
  }
  Reopen();
  EXPECT_EQ((*store_->ListNoticeRevisions(id))[0].text, "As published.");
}

TEST_F(NoticeRevisionSqliteTest, ASchema1DatabaseKeepsItsPublishedNoticeAsRevision1) {
  const int64_t id = NewDeployment("Old");
  const int64_t quiet = NewDeployment("Quiet");
  store_.reset();
  {
    // Take the database back to schema 1 as an older OpenLFR left it: the notice only in
    // the deployments row.
    RawDb raw(db_path_);
    ASSERT_EQ(raw.Exec("DROP TABLE nodes; "  // schema 8 (fleet nodes)
                       "DROP TABLE footage_keys; "  // schema 6 (footage keys)
                       "DROP TABLE search_reviews; DROP TABLE search_candidates; DROP TABLE searches; "
                       "DROP TABLE gallery_faces; DROP TABLE gallery_records; DROP TABLE gallery_imports; "
                       "DROP TABLE galleries; "  // schema 5 (retrospective search)
                       "DROP TRIGGER alert_corrections_append_only_update; "
                       "DROP TRIGGER alert_corrections_append_only_delete; DROP TABLE alert_corrections; "
                       "DROP TABLE notice_revisions; "
                       "ALTER TABLE deployments DROP COLUMN start_override_reason; "
                       "ALTER TABLE deployments DROP COLUMN start_overridden; "
                       "ALTER TABLE deployments DROP COLUMN public_details_changed_ms; "
                       "UPDATE deployments SET notice_text = 'Old notice.', notice_published_ms = 1234 "
                       "WHERE id = " + std::to_string(id) + "; PRAGMA user_version = 1;"),
              "");
  }
  Reopen();
  auto revs = store_->ListNoticeRevisions(id);
  ASSERT_TRUE(revs.ok()) << revs.status().ToString();
  ASSERT_EQ(revs->size(), 1u);
  EXPECT_EQ((*revs)[0].revision, 1);
  EXPECT_EQ((*revs)[0].text, "Old notice.");
  EXPECT_EQ((*revs)[0].published_ms, 1234);
  EXPECT_TRUE(store_->ListNoticeRevisions(quiet)->empty());
  EXPECT_EQ(store_->GetDeployment(id)->start_override_reason, "");
  RawDb raw(db_path_);
  EXPECT_EQ(raw.Scalar("PRAGMA user_version"), std::to_string(sqlite::LatestSchemaVersion()));
  AuditQuery q;
  q.action = "store.migrate";
  EXPECT_EQ(store_->ListAudit(q)->size(), static_cast<size_t>(sqlite::LatestSchemaVersion() - 1))
      << "one row per step from version 1";
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}


LFR_STORE_BACKENDS(NoticeRevisionTest);

}  // namespace
}  // namespace lfr
