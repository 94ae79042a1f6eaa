// The galleries of retrospective search in the store: sealed face data, staged imports that
// leave nothing half-imported, removal and deletion that destroy face data, review dates,
// search records without images, the two-reviewer policy and search-record retention.
#include <algorithm>
#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/gallery_store.h"
#include "testing/store_fixture.h"

namespace lfr {
namespace {
using ::testing::HasSubstr;
using lfr::testing::kCli;
using lfr::testing::kT0;

constexpr int64_t kDay = 24LL * 3600 * 1000;

GallerySpec GSpec(const std::string& name, int reviewers = 1) {
  GallerySpec s;
  s.name = name;
  s.purpose = "identify suspects from stills";
  s.legal_basis = "PACE s.64A";
  s.owner = "DI Example";
  s.review_days = 100;
  s.reviewers_required = reviewers;
  s.search_retention_days = 30;
  return s;
}

GalleryRecordInput Rec(const std::string& reference, int seed, const std::string& capture = "") {
  GalleryRecordInput in;
  in.meta.reference = reference;
  in.meta.capture_date = capture;
  in.meta.source = "custody suite CF1";
  in.embedding = lfr::testing::UnitVector(seed);
  const std::string img = "gallery-jpeg-of-" + reference;
  in.image_jpeg.assign(img.begin(), img.end());
  return in;
}

bool Contains(const std::vector<uint8_t>& hay, const std::string& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

class GalleryStoreTest : public lfr::testing::BackendStoreFixture {
 protected:
  GalleryStore* G() { return store_->galleries(); }
  int64_t NewGallery(const std::string& name, int reviewers = 1) {
    auto g = G()->CreateGallery(GSpec(name, reviewers), "mobilefacenet-arcface", kCli);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.ok() ? g->id : 0;
  }
  // Imports records ref-1..ref-n (seeds 1..n), committed.
  std::vector<GalleryRecord> Import(int64_t gallery, int n) {
    auto imp = G()->BeginGalleryImport(gallery, kCli);
    EXPECT_TRUE(imp.ok()) << imp.status().ToString();
    std::vector<GalleryRecord> out;
    for (int i = 1; i <= n; ++i) {
      auto r = G()->StageGalleryRecord(*imp, Rec("ref-" + std::to_string(i), i), kCli);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) out.push_back(*r);
    }
    auto n_live = G()->CommitGalleryImport(*imp, "{}", kCli);
    EXPECT_TRUE(n_live.ok()) << n_live.status().ToString();
    return out;
  }
  std::vector<std::string> AuditActions() {
    auto rows = store_->ListAudit(0, 10000);
    std::vector<std::string> out;
    for (const auto& e : *rows) out.push_back(e.action);
    return out;
  }
};

TEST_P(GalleryStoreTest, CreateValidatesAndRefusesTakenNames) {
  ASSERT_NE(G(), nullptr);
  NewGallery("custody");
  auto again = G()->CreateGallery(GSpec("custody"), "mobilefacenet-arcface", kCli);
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
  GallerySpec no_owner = GSpec("x");
  no_owner.owner = " ";
  EXPECT_THAT(G()->CreateGallery(no_owner, "m", kCli).status().message(), HasSubstr("needs an owner"));
  GallerySpec three = GSpec("y", 3);
  EXPECT_EQ(G()->CreateGallery(three, "m", kCli).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(G()->CreateGallery(GSpec("123"), "m", kCli).status().code(), Status::Code::kInvalidArgument);
  auto found = G()->FindGallery("custody");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(G()->FindGallery(std::to_string(found->id))->spec.name, "custody");
  EXPECT_EQ(G()->FindGallery("nope").status().code(), Status::Code::kNotFound);
}

TEST_P(GalleryStoreTest, StagedRecordsAreInvisibleUntilCommitAndAbortDeletesThem) {
  const int64_t g = NewGallery("custody");
  auto imp = G()->BeginGalleryImport(g, kCli);
  ASSERT_TRUE(imp.ok());
  ASSERT_TRUE(G()->StageGalleryRecord(*imp, Rec("A", 1), kCli).ok());
  ASSERT_TRUE(G()->StageGalleryRecord(*imp, Rec("B", 2), kCli).ok());
  // Same reference twice in one import: refused.
  EXPECT_EQ(G()->StageGalleryRecord(*imp, Rec("A", 3), kCli).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(G()->FindGallery("custody")->records, 0);
  EXPECT_TRUE(G()->LoadGalleryEmbeddings(g, kCli)->empty());
  EXPECT_TRUE(G()->ListGalleryRecords(g, true, kCli)->empty());
  // A killed import: the next one abandons it and its face data is deleted.
  auto next = G()->BeginGalleryImport(g, kCli);
  ASSERT_TRUE(next.ok());
  {
    auto raw = Raw();
    EXPECT_EQ(raw->Scalar("SELECT count(*) FROM gallery_faces"), "0");
    EXPECT_EQ(raw->Scalar("SELECT count(*) FROM gallery_records"), "0");
  }
  EXPECT_EQ(G()->CommitGalleryImport(*imp, "{}", kCli).status().code(), Status::Code::kFailedPrecondition);
  ASSERT_TRUE(G()->StageGalleryRecord(*next, Rec("A", 1), kCli).ok());
  auto n = G()->CommitGalleryImport(*next, R"({"source":"folder"})", kCli);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(G()->FindGallery("custody")->records, 1);
  EXPECT_EQ(G()->LoadGalleryEmbeddings(g, kCli)->size(), 1u);
  // An explicit abort deletes the staged records too.
  auto third = G()->BeginGalleryImport(g, kCli);
  ASSERT_TRUE(G()->StageGalleryRecord(*third, Rec("C", 3), kCli).ok());
  ASSERT_TRUE(G()->AbortGalleryImport(*third, kCli).ok());
  auto raw = Raw();
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM gallery_faces"), "1");
  auto actions = AuditActions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "gallery.import"), 1);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "gallery.import_abort"), 2);
}

TEST_P(GalleryStoreTest, FaceDataIsSealedAndRemovalDeletesIt) {
  const int64_t g = NewGallery("custody");
  auto recs = Import(g, 2);
  ASSERT_EQ(recs.size(), 2u);
  {
    auto raw = Raw();
    for (const auto& blob : raw->Blobs("SELECT image FROM gallery_faces")) {
      EXPECT_FALSE(Contains(blob, "gallery-jpeg-of-")) << "image stored in the clear";
    }
  }
  auto img = G()->GetGalleryRecordImage(recs[0].id, kCli);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(std::string(img->view()), "gallery-jpeg-of-ref-1");
  EXPECT_EQ(G()->RemoveGalleryRecord(recs[0].id, " ", kCli).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(G()->RemoveGalleryRecord(recs[0].id, "NFA: not retained", kCli).ok());
  EXPECT_EQ(G()->GetGalleryRecordImage(recs[0].id, kCli).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(G()->RemoveGalleryRecord(recs[0].id, "again", kCli).code(), Status::Code::kFailedPrecondition);
  auto kept = G()->GetGalleryRecord(recs[0].id);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->removed);
  EXPECT_EQ(kept->removal_reason, "NFA: not retained");
  EXPECT_EQ(G()->LoadGalleryEmbeddings(g, kCli)->size(), 1u);
  auto raw = Raw();
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM gallery_faces WHERE record_id = " + std::to_string(recs[0].id)), "0");
  // The reference can be imported again once removed.
  Import(g, 1);
  auto actions = AuditActions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "gallery.view_image"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "gallery.remove_record"), actions.end());
}

TEST_P(GalleryStoreTest, DeletingAGalleryShredsItsKeyAndFaceData) {
  const int64_t g = NewGallery("custody");
  auto recs = Import(g, 3);
  ASSERT_TRUE(G()->DeleteGallery(g, kCli).ok());
  EXPECT_EQ(G()->DeleteGallery(g, kCli).code(), Status::Code::kFailedPrecondition);
  auto raw = Raw();
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM gallery_faces"), "0");
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM galleries WHERE wrapped_dek IS NULL"), "1");
  EXPECT_EQ(G()->LoadGalleryEmbeddings(g, kCli).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(G()->BeginGalleryImport(g, kCli).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE(G()->FindGallery("custody")->deleted);
  EXPECT_EQ(G()->GetGalleryRecordImage(recs[0].id, kCli).status().code(), Status::Code::kNotFound);
}

TEST_P(GalleryStoreTest, ReviewDateFromCaptureDateAndDueList) {
  const int64_t g = NewGallery("custody");
  auto imp = G()->BeginGalleryImport(g, kCli);
  EXPECT_EQ(G()->StageGalleryRecord(*imp, Rec("bad", 1, "2026-02-30"), kCli).status().code(),
            Status::Code::kInvalidArgument);
  auto old = G()->StageGalleryRecord(*imp, Rec("old", 1, "2020-01-01"), kCli);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  auto fresh = G()->StageGalleryRecord(*imp, Rec("fresh", 2), kCli);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->review_due_ms, kT0 + 100 * kDay);
  EXPECT_EQ(old->review_due_ms, 1577836800000LL + 100 * kDay);  // 2020-01-01 + 100 days
  // Staged records are not due: they are not in the gallery yet.
  EXPECT_TRUE(G()->ListDueGalleryRecords(std::nullopt, kT0)->empty());
  ASSERT_TRUE(G()->CommitGalleryImport(*imp, "", kCli).ok());
  auto due = G()->ListDueGalleryRecords(g, kT0);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].reference, "old");
  EXPECT_EQ(G()->ListDueGalleryRecords(std::nullopt, kT0 + 101 * kDay)->size(), 2u);
}

TEST_P(GalleryStoreTest, SearchRecordHoldsHashNotImageAndTwoReviewersDecide) {
  const int64_t g = NewGallery("custody", /*reviewers=*/2);
  auto recs = Import(g, 2);
  SearchInput in;
  in.gallery_id = g;
  in.case_reference = "OP-7";
  in.reason = "burglary, doorbell still";
  in.probe_sha256 = std::string(64, 'a');
  in.faces_found = 1;
  in.face_searched = 1;
  in.probe_quality = 0.8f;
  in.candidates = {{1, recs[1].id, "ref-2", 0.71f, ""}, {2, recs[0].id, "ref-1", 0.2f, ""}};
  SearchInput no_case = in;
  no_case.case_reference = "";
  EXPECT_THAT(G()->RecordSearch(no_case, kCli).status().message(), HasSubstr("case reference"));
  SearchInput bad_hash = in;
  bad_hash.probe_sha256 = "abc";
  EXPECT_EQ(G()->RecordSearch(bad_hash, kCli).status().code(), Status::Code::kInvalidArgument);
  auto s = G()->RecordSearch(in, kCli);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->outcome, kOutcomePending);
  auto rows = store_->ListAudit(0, 1000);
  const AuditEvent& run = rows->back();
  EXPECT_EQ(run.action, "search.run");
  EXPECT_THAT(run.details, HasSubstr(std::string(64, 'a')));
  EXPECT_THAT(run.details, HasSubstr("OP-7"));
  EXPECT_THAT(run.details, HasSubstr("ref-2"));

  const Actor alice{"alice"}, bob{"bob"}, carol{"carol"};
  EXPECT_EQ(G()->ReviewSearchCandidate(s->id, 9, ReviewDecision::kPossible, "", alice).status().code(),
            Status::Code::kInvalidArgument);
  auto r1 = G()->ReviewSearchCandidate(s->id, 1, ReviewDecision::kPossible, "same scar", alice);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->candidates[0].status, "pending");  // one of two reviews
  EXPECT_EQ(r1->outcome, kOutcomePending);
  auto same = G()->ReviewSearchCandidate(s->id, 1, ReviewDecision::kPossible, "", alice);
  EXPECT_EQ(same.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(same.status().message(), HasSubstr("independent"));
  auto r2 = G()->ReviewSearchCandidate(s->id, 1, ReviewDecision::kPossible, "", bob);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->candidates[0].status, "possible");
  EXPECT_EQ(r2->outcome, kOutcomePossible);
  EXPECT_EQ(G()->ReviewSearchCandidate(s->id, 1, ReviewDecision::kExcluded, "", carol).status().code(),
            Status::Code::kFailedPrecondition);
  // Disagreement excludes a candidate.
  ASSERT_TRUE(G()->ReviewSearchCandidate(s->id, 2, ReviewDecision::kPossible, "", alice).ok());
  auto r4 = G()->ReviewSearchCandidate(s->id, 2, ReviewDecision::kExcluded, "different ears", bob);
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ(r4->candidates[1].status, "excluded");
  EXPECT_EQ(r4->reviews.size(), 4u);
  // Reopened, the decisions are still there.
  Reopen();
  EXPECT_EQ(G()->GetSearch(s->id)->outcome, kOutcomePossible);
}

TEST_P(GalleryStoreTest, AllExcludedOrNoCandidatesIsNoCandidate) {
  const int64_t g = NewGallery("custody");
  auto recs = Import(g, 1);
  SearchInput in;
  in.gallery_id = g;
  in.case_reference = "OP-8";
  in.reason = "robbery";
  in.probe_sha256 = std::string(64, 'b');
  auto empty = G()->RecordSearch(in, kCli);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->outcome, kOutcomeNone);
  in.candidates = {{1, recs[0].id, "ref-1", 0.3f, ""}};
  auto s = G()->RecordSearch(in, kCli);
  auto r = G()->ReviewSearchCandidate(s->id, 1, ReviewDecision::kExcluded, "", kCli);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, kOutcomeNone);
}

TEST_P(GalleryStoreTest, SearchRecordsFollowTheGallerysRetention) {
  const int64_t g = NewGallery("custody");  // 30 days
  auto recs = Import(g, 1);
  SearchInput in;
  in.gallery_id = g;
  in.case_reference = "OP-9";
  in.reason = "assault";
  in.probe_sha256 = std::string(64, 'c');
  in.candidates = {{1, recs[0].id, "ref-1", 0.5f, ""}};
  auto s = G()->RecordSearch(in, kCli);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(G()->ReviewSearchCandidate(s->id, 1, ReviewDecision::kExcluded, "", kCli).ok());
  EXPECT_EQ(*G()->PurgeSearchRecords(kT0 + 29 * kDay, lfr::testing::kSystem), 0);
  EXPECT_TRUE(G()->GetSearch(s->id).ok());
  EXPECT_EQ(*G()->PurgeSearchRecords(kT0 + 31 * kDay, lfr::testing::kSystem), 1);
  EXPECT_EQ(G()->GetSearch(s->id).status().code(), Status::Code::kNotFound);
  auto raw = Raw();
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM search_candidates"), "0");
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM search_reviews"), "0");
  // The audit row of the search stays.
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM audit WHERE action = 'search.run'"), "1");
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM audit WHERE action = 'search.purge'"), "1");
}


LFR_STORE_BACKENDS(GalleryStoreTest);

}  // namespace
}  // namespace lfr
