// The store, on both backends (SQLite and PostgreSQL): every method's happy path and its
// refusals (unknown ids, closed deployments, duplicates, the cap), atomicity, the audit
// rows it writes, and opening (wrong master key, a newer schema); and what is SQLite's
// alone (private files, a file that is not a database).
#include "store/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <random>
#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/store_fixture.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace lfr::testing;  // NOLINT: fixtures and builders

class StoreTest : public BackendStoreFixture {
 protected:
  // The name the store gives its database in messages.
  std::string DatabaseName() const { return backend() == Backend::kPostgres ? pg_uri_ : db_path_.string(); }
};
class SqliteStoreTest : public StoreFixture {};

TEST_P(StoreTest, DeploymentLifecycleFromPlannedToClosed) {
  auto d = store_->CreateDeployment(Spec("Cardiff-2026-12-05"), "mobilefacenet-arcface", kCli);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_GT(d->id, 0);
  EXPECT_EQ(d->status, DeploymentStatus::kPlanned);
  EXPECT_EQ(d->recogniser_id, "mobilefacenet-arcface");
  EXPECT_EQ(d->created_by, "cli:test");
  EXPECT_EQ(d->created_ms, kT0);
  EXPECT_EQ(d->spec.watchlist_cap, 2000);
  EXPECT_EQ(store_->FindDeployment("Cardiff-2026-12-05")->id, d->id);
  EXPECT_EQ(store_->FindDeployment(std::to_string(d->id))->spec.name, "Cardiff-2026-12-05");
  ASSERT_EQ(store_->ListDeployments()->size(), 1u);

  // Start needs a camera and a watchlist entry.
  auto no_cam = store_->StartDeployment(d->id, kCli);
  ASSERT_FALSE(no_cam.ok());
  EXPECT_EQ(no_cam.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(no_cam.status().message(), HasSubstr("no camera"));
  ASSERT_TRUE(store_->AddCamera(Cam(d->id, "gate-a"), kCli).ok());
  auto no_entry = store_->StartDeployment(d->id, kCli);
  ASSERT_FALSE(no_entry.ok());
  EXPECT_THAT(no_entry.status().message(), HasSubstr("watchlist is empty"));
  ASSERT_TRUE(store_->AddWatchlistEntry(Entry(d->id, "PNC-1", 1), kCli).ok());

  // Planned deployments can be edited and carry a notice.
  DeploymentSpec edited = Spec("Cardiff-2026-12-05");
  edited.purpose = "Locate wanted offenders at the match";
  ASSERT_TRUE(store_->UpdateDeployment(d->id, edited, kCli).ok());
  ASSERT_TRUE(store_->PublishNotice(d->id, "LFR will be used at the stadium gates.", kCli).ok());
  clock_.Advance(kMsPerHour);
  auto started = store_->StartDeployment(d->id, kCli);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->status, DeploymentStatus::kActive);
  EXPECT_EQ(started->started_ms, kT0 + kMsPerHour);
  EXPECT_EQ(started->spec.purpose, "Locate wanted offenders at the match");
  EXPECT_EQ(started->notice_text, "LFR will be used at the stadium gates.");
  EXPECT_EQ(started->notice_published_ms, kT0);
  EXPECT_EQ(store_->UpdateDeployment(d->id, edited, kCli).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(store_->StartDeployment(d->id, kCli).status().code(), Status::Code::kFailedPrecondition);

  auto closed = store_->CloseDeployment(d->id, kCli);
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_EQ(closed->entries_shredded, 1);
  auto after = store_->GetDeployment(d->id);
  EXPECT_EQ(after->status, DeploymentStatus::kClosed);
  EXPECT_EQ(after->closed_by, "cli:test");
  EXPECT_EQ(store_->CloseDeployment(d->id, kCli).status().code(), Status::Code::kFailedPrecondition);

  std::vector<std::string> actions;
  auto audit = store_->ListAudit(0, 100);
  for (const auto& e : *audit) actions.push_back(e.action);
  EXPECT_THAT(actions, ::testing::ElementsAre("store.create", "deployment.create", "camera.add",
                                              "watchlist.add", "deployment.update", "deployment.notice",
                                              "deployment.start", "deployment.close"));
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_P(StoreTest, CreateRejectsIncompleteOrDuplicateDeployments) {
  const std::pair<const char*, void (*)(DeploymentSpec&)> bad[] = {
      {"name", [](DeploymentSpec& s) { s.name = " "; }},
      {"site", [](DeploymentSpec& s) { s.site = ""; }},
      {"location", [](DeploymentSpec& s) { s.location = ""; }},
      {"purpose", [](DeploymentSpec& s) { s.purpose = ""; }},
      {"legal basis", [](DeploymentSpec& s) { s.legal_basis = ""; }},
      {"authorising officer", [](DeploymentSpec& s) { s.authorising_officer = ""; }},
      {"planned end", [](DeploymentSpec& s) { s.planned_end_ms = s.planned_start_ms; }},
      {"cap", [](DeploymentSpec& s) { s.watchlist_cap = 0; }},
      {"threshold", [](DeploymentSpec& s) { s.threshold = "high"; }},
      {"threshold", [](DeploymentSpec& s) { s.threshold = "1.5"; }},
      {"threshold", [](DeploymentSpec& s) { s.threshold = "fpir:often"; }},
  };
  for (const auto& [what, edit] : bad) {
    DeploymentSpec s = Spec("D");
    edit(s);
    auto r = store_->CreateDeployment(s, "mobilefacenet-arcface", kCli);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << what;
    EXPECT_THAT(r.status().message(), HasSubstr(what));
  }
  EXPECT_EQ(store_->CreateDeployment(Spec("D"), "", kCli).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->CreateDeployment(Spec("D"), "m", Actor{""}).status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(store_->CreateDeployment(Spec("D"), "mobilefacenet-arcface", kCli).ok());
  auto dup = store_->CreateDeployment(Spec("D"), "mobilefacenet-arcface", kCli);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), Status::Code::kFailedPrecondition);
  // Nothing of the refused attempts reached the database or the audit log.
  EXPECT_EQ(store_->ListDeployments()->size(), 1u);
  EXPECT_EQ(store_->ListAudit(0, 100)->size(), 2u);
}

TEST_P(StoreTest, UnknownIdsAreNotFound) {
  const auto nf = Status::Code::kNotFound;
  EXPECT_EQ(store_->GetDeployment(42).status().code(), nf);
  EXPECT_EQ(store_->FindDeployment("nope").status().code(), nf);
  EXPECT_EQ(store_->FindDeployment("42").status().code(), nf);
  EXPECT_EQ(store_->StartDeployment(42, kCli).status().code(), nf);
  EXPECT_EQ(store_->CloseDeployment(42, kCli).status().code(), nf);
  EXPECT_EQ(store_->ListCameras(42).status().code(), nf);
  EXPECT_EQ(store_->AddCamera(Cam(42, "a"), kCli).status().code(), nf);
  EXPECT_EQ(store_->RemoveCamera(42, kCli).code(), nf);
  EXPECT_EQ(store_->AddWatchlistEntry(Entry(42, "R", 1), kCli).status().code(), nf);
  EXPECT_EQ(store_->ListWatchlist(42, true).status().code(), nf);
  EXPECT_EQ(store_->GetWatchlistEntry(42).status().code(), nf);
  EXPECT_EQ(store_->GetEntryImage(42, kCli).status().code(), nf);
  EXPECT_EQ(store_->LoadEmbeddings(42, kCli).status().code(), nf);
  EXPECT_EQ(store_->RemoveWatchlistEntry(42, kCli).code(), nf);
  EXPECT_EQ(store_->WatchlistComposition(42).status().code(), nf);
  EXPECT_EQ(store_->GetAlert(42).status().code(), nf);
  EXPECT_EQ(store_->GetAlertMedia(42, AlertMedia::kCrop, kCli).status().code(), nf);
  EXPECT_EQ(store_->DecideAlert(42, Decision(AlertState::kConfirmedTrue), kCli).status().code(), nf);
  EXPECT_EQ(store_->AddFacesSeen(42, "a", 0, 1).code(), nf);
  EXPECT_EQ(store_->FacesSeen(42).status().code(), nf);
  EXPECT_EQ(store_->GetUser("nobody").status().code(), nf);
  EXPECT_EQ(store_->ListAudit(0, 100)->size(), 1u);  // only store.create
}

TEST_P(StoreTest, CamerasAreUniquePerDeploymentAndRemovable) {
  const int64_t dep = NewDeployment("D");
  auto a = store_->AddCamera(Cam(dep, "gate-a"), kCli);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(store_->AddCamera(Cam(dep, "gate-a"), kCli).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->AddCamera(Cam(dep, "has space"), kCli).status().code(), Status::Code::kInvalidArgument);
  Camera no_uri = Cam(dep, "b");
  no_uri.uri = "";
  EXPECT_EQ(store_->AddCamera(no_uri, kCli).status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(store_->AddCamera(Cam(dep, "gate-b"), kCli).ok());
  ASSERT_EQ(store_->ListCameras(dep)->size(), 2u);
  ASSERT_TRUE(store_->RemoveCamera(a->id, kCli).ok());
  auto cams = store_->ListCameras(dep);
  ASSERT_EQ(cams->size(), 1u);
  EXPECT_EQ((*cams)[0].name, "gate-b");
  EXPECT_EQ((*cams)[0].uri, "rtsp://cam/gate-b");
}

TEST_P(StoreTest, WatchlistEntriesSealTheirFaceDataAndOpenItForTheirDeployment) {
  const int64_t dep = NewDeployment("D");
  WatchlistEntryInput in = Entry(dep, "PNC-17", 7);
  in.meta.display_name = "Jane Doe";
  in.meta.quality = 0.8f;
  in.meta.quality_notes = "slightly soft";
  auto e = store_->AddWatchlistEntry(in, kCli);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->reference, "PNC-17");
  EXPECT_EQ(e->display_name, "Jane Doe");
  EXPECT_EQ(e->added_by, "cli:test");
  EXPECT_FLOAT_EQ(e->quality, 0.8f);

  auto listed = store_->ListWatchlist(dep, false);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].display_name, "Jane Doe");
  EXPECT_EQ((*listed)[0].category, "wanted: violence");
  EXPECT_EQ((*listed)[0].quality_notes, "slightly soft");
  EXPECT_EQ(store_->GetWatchlistEntry(e->id)->display_name, "Jane Doe");

  auto image = store_->GetEntryImage(e->id, Actor{"alice"});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(std::string(image->view()), std::string(in.image_jpeg.begin(), in.image_jpeg.end()));
  auto embs = store_->LoadEmbeddings(dep, kCli);
  ASSERT_TRUE(embs.ok());
  ASSERT_EQ(embs->size(), 1u);
  EXPECT_EQ((*embs)[0].entry_id, e->id);
  EXPECT_EQ((*embs)[0].reference, "PNC-17");
  ASSERT_EQ((*embs)[0].embedding.size(), 128 * sizeof(float));
  EXPECT_EQ(std::memcmp((*embs)[0].embedding.data(), in.embedding.data(), 128 * sizeof(float)), 0);

  auto audit = store_->ListAudit(0, 100);
  EXPECT_EQ(audit->at(audit->size() - 2).action, "watchlist.view_image");
  EXPECT_EQ(audit->at(audit->size() - 2).actor, "alice");
  EXPECT_EQ(audit->back().action, "watchlist.load");
  EXPECT_EQ(audit->back().details, R"({"entries":1})");
}

TEST_P(StoreTest, WatchlistRefusesBadEntriesAndKeepsToItsCap) {
  DeploymentSpec spec = Spec("Small");
  spec.watchlist_cap = 2;
  auto d = store_->CreateDeployment(spec, "mobilefacenet-arcface", kCli);
  ASSERT_TRUE(d.ok());
  const int64_t dep = d->id;
  ASSERT_TRUE(store_->AddWatchlistEntry(Entry(dep, "A", 1), kCli).ok());
  auto dup_ref = store_->AddWatchlistEntry(Entry(dep, "A", 2), kCli);
  EXPECT_EQ(dup_ref.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(dup_ref.status().message(), HasSubstr("already on the watchlist"));
  const std::pair<const char*, void (*)(WatchlistEntryInput&)> bad[] = {
      {"reference", [](WatchlistEntryInput& in) { in.meta.reference = ""; }},
      {"category", [](WatchlistEntryInput& in) { in.meta.category = ""; }},
      {"reason", [](WatchlistEntryInput& in) { in.meta.reason = " "; }},
      {"image", [](WatchlistEntryInput& in) { in.image_jpeg.clear(); }},
      {"unit-norm", [](WatchlistEntryInput& in) { in.embedding[0] += 1.0f; }},
      {"unit-norm", [](WatchlistEntryInput& in) { in.embedding.clear(); }},
      {"512-d", [](WatchlistEntryInput& in) { in.embedding = UnitVector(3, 512); }},
      {"duplicate_of", [](WatchlistEntryInput& in) { in.meta.duplicate_of = 999; }},
  };
  for (const auto& [what, edit] : bad) {
    WatchlistEntryInput in = Entry(dep, "B", 3);
    edit(in);
    auto r = store_->AddWatchlistEntry(in, kCli);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << what;
    EXPECT_THAT(r.status().message(), HasSubstr(what));
  }
  WatchlistEntryInput second = Entry(dep, "B", 3);
  second.meta.duplicate_of = store_->ListWatchlist(dep, false)->at(0).id;
  second.meta.duplicate_score = 0.71f;
  auto b = store_->AddWatchlistEntry(second, kCli);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->duplicate_of, second.meta.duplicate_of);
  EXPECT_FLOAT_EQ(b->duplicate_score, 0.71f);
  auto full = store_->AddWatchlistEntry(Entry(dep, "C", 4), kCli);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(full.status().message(), HasSubstr("cap is 2"));
  EXPECT_EQ(store_->ListWatchlist(dep, true)->size(), 2u);
}

TEST_P(StoreTest, RemovedEntriesLoseTheirFaceDataButStayOnRecord) {
  const int64_t dep = NewDeployment("D");
  auto a = store_->AddWatchlistEntry(Entry(dep, "A", 1), kCli);
  ASSERT_TRUE(store_->AddWatchlistEntry(Entry(dep, "B", 2), kCli).ok());
  ASSERT_TRUE(store_->RemoveWatchlistEntry(a->id, kCli).ok());
  EXPECT_EQ(store_->RemoveWatchlistEntry(a->id, kCli).code(), Status::Code::kFailedPrecondition);
  auto img = store_->GetEntryImage(a->id, kCli);
  EXPECT_EQ(img.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(img.status().message(), HasSubstr("removed"));
  EXPECT_EQ(store_->LoadEmbeddings(dep, kCli)->size(), 1u);
  EXPECT_EQ(store_->ListWatchlist(dep, false)->size(), 1u);
  auto all = store_->ListWatchlist(dep, true);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_TRUE((*all)[0].removed);
  EXPECT_EQ((*all)[0].display_name, "");
  EXPECT_EQ((*all)[0].reference, "A");
  // The reference can be enrolled again (e.g. with a better image).
  EXPECT_TRUE(store_->AddWatchlistEntry(Entry(dep, "A", 5), kCli).ok());
  auto comp = store_->WatchlistComposition(dep);
  ASSERT_EQ(comp->size(), 1u);
  EXPECT_EQ((*comp)[0].entries, 2);
}

TEST_P(StoreTest, ClosedDeploymentsRefuseChangeAndKeepOnlyTheComposition) {
  const int64_t dep = ActiveDeployment("D");
  WatchlistEntryInput extra = Entry(dep, "PNC-2", 2);
  extra.meta.category = "missing person";
  auto entry2 = store_->AddWatchlistEntry(extra, kCli);
  ASSERT_TRUE(entry2.ok());
  auto alert = store_->RecordAlert(AlertFor(dep, entry2->id), kSystem);
  ASSERT_TRUE(alert.ok()) << alert.status().ToString();
  auto report = store_->CloseDeployment(dep, kCli);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->entries_shredded, 2);
  EXPECT_EQ(report->alerts_purged, 1);

  const auto fp = Status::Code::kFailedPrecondition;
  EXPECT_EQ(store_->AddWatchlistEntry(Entry(dep, "X", 9), kCli).status().code(), fp);
  EXPECT_EQ(store_->AddCamera(Cam(dep, "late"), kCli).status().code(), fp);
  EXPECT_EQ(store_->RecordAlert(AlertFor(dep, entry2->id), kSystem).status().code(), fp);
  EXPECT_EQ(store_->DecideAlert(alert->id, Decision(AlertState::kConfirmedTrue), kCli).status().code(), fp);
  EXPECT_EQ(store_->LoadEmbeddings(dep, kCli).status().code(), fp);
  EXPECT_EQ(store_->RemoveWatchlistEntry(entry2->id, kCli).code(), fp);
  EXPECT_EQ(store_->PublishNotice(dep, "late", kCli).code(), fp);
  EXPECT_EQ(store_->AddFacesSeen(dep, "gate-a", kT0, 1).code(), fp);
  EXPECT_EQ(store_->GetEntryImage(entry2->id, kCli).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->GetAlertMedia(alert->id, AlertMedia::kCrop, kCli).status().code(), Status::Code::kNotFound);

  // Who was sought, and why, stays on record.
  auto entries = store_->ListWatchlist(dep, true);
  ASSERT_EQ(entries->size(), 2u);
  for (const auto& e : *entries) {
    EXPECT_TRUE(e.shredded);
    EXPECT_EQ(e.display_name, "");
    EXPECT_FALSE(e.reference.empty());
    EXPECT_FALSE(e.reason.empty());
  }
  auto comp = store_->WatchlistComposition(dep);
  ASSERT_EQ(comp->size(), 2u);
  EXPECT_EQ((*comp)[0].category, "missing person");
  EXPECT_EQ((*comp)[1].category, "wanted: violence");
  auto a = store_->GetAlert(alert->id);
  EXPECT_TRUE(a->media_purged);
  EXPECT_EQ(a->subject_reference, "");
  EXPECT_EQ(a->camera, "gate-a");
}

TEST_P(StoreTest, AlertsAreRecordedListedViewedAndDecided) {
  const int64_t dep = ActiveDeployment("D");
  const int64_t entry = store_->ListWatchlist(dep, false)->at(0).id;
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(1000);
    auto a = store_->RecordAlert(AlertFor(dep, entry), kSystem);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(a->state, AlertState::kPending);
    EXPECT_EQ(a->subject_reference, "PNC-1");
    EXPECT_EQ(a->time_ms, clock_.NowMs());
    ids.push_back(a->id);
  }
  AlertInput bad_cam = AlertFor(dep, entry);
  bad_cam.camera = "nowhere";
  EXPECT_EQ(store_->RecordAlert(bad_cam, kSystem).status().code(), Status::Code::kInvalidArgument);
  AlertInput no_crop = AlertFor(dep, entry);
  no_crop.crop_jpeg.clear();
  EXPECT_EQ(store_->RecordAlert(no_crop, kSystem).status().code(), Status::Code::kInvalidArgument);
  const int64_t other = NewDeployment("Other");
  auto other_entry = store_->AddWatchlistEntry(Entry(other, "Z", 9), kCli);
  EXPECT_EQ(store_->RecordAlert(AlertFor(dep, other_entry->id), kSystem).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->RecordAlert(AlertFor(other, other_entry->id), kSystem).status().code(),
            Status::Code::kFailedPrecondition);  // planned, not active

  auto listed = store_->ListAlerts({});
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].id, ids[2]);  // newest first
  AlertQuery q;
  q.after_id = ids[0];
  q.limit = 1;
  EXPECT_EQ(store_->ListAlerts(q)->at(0).id, ids[2]);

  auto crop = store_->GetAlertMedia(ids[0], AlertMedia::kCrop, Actor{"op1"});
  ASSERT_TRUE(crop.ok()) << crop.status().ToString();
  EXPECT_EQ(std::string(crop->view()), "crop-jpeg");
  auto thumb = store_->GetAlertMedia(ids[0], AlertMedia::kThumbnail, Actor{"op1"});
  ASSERT_TRUE(thumb.ok());
  EXPECT_EQ(std::string(thumb->view()), "thumb-jpeg");

  EXPECT_EQ(store_->DecideAlert(ids[0], Decision(AlertState::kPending), kCli).status().code(),
            Status::Code::kInvalidArgument);
  clock_.Advance(5000);
  auto decided = store_->DecideAlert(ids[0], Decision(AlertState::kConfirmedTrue, AlertOutcome::kArrested, "arrested at gate"),
                                     Actor{"op1"});
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_EQ(decided->state, AlertState::kConfirmedTrue);
  EXPECT_EQ(decided->outcome, AlertOutcome::kArrested);
  EXPECT_EQ(decided->note, "arrested at gate");
  EXPECT_EQ(decided->decided_by, "op1");
  EXPECT_EQ(decided->decided_ms, clock_.NowMs());
  // A decision is made once: deciding again is refused (a change is a correction,
  // store/alert_decision_test.cc).
  EXPECT_EQ(store_->DecideAlert(ids[0], Decision(AlertState::kConfirmedFalse), Actor{"sup1"}).status().code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(store_->GetAlert(ids[0])->state, AlertState::kConfirmedTrue);
  AlertQuery pending;
  pending.state = AlertState::kPending;
  EXPECT_EQ(store_->ListAlerts(pending)->size(), 2u);
  AlertQuery by_dep;
  by_dep.deployment_id = other;
  EXPECT_TRUE(store_->ListAlerts(by_dep)->empty());

  auto audit = store_->ListAudit(0, 1000);
  int creates = 0, views = 0, decides = 0;
  for (const auto& e : *audit) {
    creates += e.action == "alert.create";
    views += e.action == "alert.view_media";
    decides += e.action == "alert.decide";
  }
  EXPECT_EQ(creates, 3);  // the refused ones left no row
  EXPECT_EQ(views, 2);
  EXPECT_EQ(decides, 1);
}

TEST_P(StoreTest, PurgeDeletesMediaAndLinksButKeepsTheOutcomeRecord) {
  const int64_t dep = ActiveDeployment("D");
  const int64_t entry = store_->ListWatchlist(dep, false)->at(0).id;
  auto old_alert = store_->RecordAlert(AlertFor(dep, entry), kSystem);
  ASSERT_TRUE(store_->DecideAlert(old_alert->id, Decision(AlertState::kConfirmedTrue, AlertOutcome::kEngaged, "spoke to him"),
                                  kCli).ok());
  auto pending = store_->RecordAlert(AlertFor(dep, entry), kSystem);
  clock_.Advance(2 * kMsPerHour);
  auto fresh = store_->RecordAlert(AlertFor(dep, entry), kSystem);

  auto counts = store_->PurgeAlertData(kT0 + kMsPerHour, kSystem);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->alerts_purged, 2);
  auto a = store_->GetAlert(old_alert->id);
  EXPECT_TRUE(a->media_purged);
  EXPECT_EQ(a->state, AlertState::kConfirmedTrue);
  EXPECT_EQ(a->outcome, AlertOutcome::kEngaged);
  EXPECT_EQ(a->note, "");
  EXPECT_EQ(a->subject_reference, "");
  EXPECT_FALSE(a->entry_id.has_value());
  EXPECT_GT(a->fused_score, 0.0f);
  EXPECT_EQ(store_->GetAlertMedia(old_alert->id, AlertMedia::kCrop, kCli).status().code(), Status::Code::kNotFound);
  // A purged pending alert stays pending and can no longer be decided.
  EXPECT_EQ(store_->GetAlert(pending->id)->state, AlertState::kPending);
  auto late = store_->DecideAlert(pending->id, Decision(AlertState::kConfirmedTrue), kCli);
  EXPECT_EQ(late.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(late.status().message(), HasSubstr("retention"));
  EXPECT_TRUE(store_->GetAlertMedia(fresh->id, AlertMedia::kCrop, kCli).ok());

  auto audit = store_->ListAudit(0, 1000);
  const AuditEvent* purge = nullptr;
  for (const auto& e : *audit) {
    if (e.action == "retention.purge") purge = &e;
  }
  ASSERT_NE(purge, nullptr);
  EXPECT_EQ(purge->actor, "system");
  EXPECT_THAT(purge->details, HasSubstr("\"alerts_purged\":2"));
  // Idempotent, and a run with nothing to do writes no audit row.
  const size_t rows = audit->size();
  EXPECT_EQ(store_->PurgeAlertData(kT0 + kMsPerHour, kSystem)->alerts_purged, 0);
  EXPECT_EQ(store_->ListAudit(0, 1000)->size(), rows);
}

TEST_P(StoreTest, FacesSeenAreCountedPerCameraPerMinute) {
  const int64_t dep = ActiveDeployment("D");
  const int64_t minute = kT0 - kT0 % kMsPerMinute;
  ASSERT_TRUE(store_->AddFacesSeen(dep, "gate-a", minute + 5000, 2).ok());
  ASSERT_TRUE(store_->AddFacesSeen(dep, "gate-a", minute + 59999, 3).ok());
  ASSERT_TRUE(store_->AddFacesSeen(dep, "gate-a", minute + kMsPerMinute, 1).ok());
  ASSERT_TRUE(store_->AddFacesSeen(dep, "gate-b", minute, 4).ok());
  EXPECT_EQ(store_->AddFacesSeen(dep, "gate-a", minute, -1).code(), Status::Code::kInvalidArgument);
  auto rows = store_->FacesSeen(dep);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].camera, "gate-a");
  EXPECT_EQ((*rows)[0].minute_ms, minute);
  EXPECT_EQ((*rows)[0].faces, 5);
  EXPECT_EQ((*rows)[1].camera, "gate-b");
  EXPECT_EQ((*rows)[1].faces, 4);
  EXPECT_EQ((*rows)[2].minute_ms, minute + kMsPerMinute);
}

TEST_P(StoreTest, ConcurrentCallersAreSerialised) {
  const int64_t dep = ActiveDeployment("D");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(store_->AddFacesSeen(dep, "cam" + std::to_string(t % 2), kT0, 1).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  int64_t total = 0;
  auto rows = store_->FacesSeen(dep);
  for (const auto& r : *rows) total += r.faces;
  EXPECT_EQ(total, 100);
}

TEST_P(StoreTest, VerifyingWhileOthersAppendNeverReportsTampering) {
  // Rows and head are read from one snapshot: appends in between are not a broken chain.
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) EXPECT_TRUE(store_->Audit(kCli, "login", "user:x", "{}").ok());
    done = true;
  });
  // A second connection (another process, as `lfr audit verify` beside `lfr watch`).
  auto other = OpenAnother(master_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  int verified = 0;
  while (!done) {
    for (Store* s : {store_.get(), other->get()}) {
      auto v = s->VerifyAudit();
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      EXPECT_TRUE(v->ok) << v->reason;
      ++verified;
    }
  }
  writer.join();
  EXPECT_GT(verified, 0);
  EXPECT_EQ((*other)->VerifyAudit()->rows, 301);
}

TEST_P(StoreTest, UsersAreCreatedUpdatedAndAudited) {
  auto u = store_->CreateUser("alice", Role::kOperator, "$argon2id$x", kCli);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(store_->CreateUser("alice", Role::kAdmin, "h", kCli).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(store_->CreateUser("bad name", Role::kAdmin, "h", kCli).status().code(), Status::Code::kInvalidArgument);
  User changed = *u;
  changed.role = Role::kSupervisor;
  changed.disabled = true;
  ASSERT_TRUE(store_->UpdateUser(changed, kCli).ok());
  auto got = store_->GetUser("alice");
  EXPECT_EQ(got->role, Role::kSupervisor);
  EXPECT_TRUE(got->disabled);
  EXPECT_EQ(got->password_hash, "$argon2id$x");
  EXPECT_EQ(store_->ListUsers()->size(), 1u);
  User ghost;
  ghost.name = "ghost";
  ghost.password_hash = "h";
  EXPECT_EQ(store_->UpdateUser(ghost, kCli).code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->ListAudit(0, 100)->back().details, R"({"disabled":true,"role":"supervisor"})");
}

TEST_P(StoreTest, FleetNodesAreRegisteredOnceRevokedAndAudited) {
  const std::string key(32, '\x07');
  auto van = store_->RegisterNode("van-1", key, kCli);
  ASSERT_TRUE(van.ok()) << van.status().ToString();
  EXPECT_GT(van->id, 0);
  EXPECT_EQ(van->registered_by, kCli.name);
  EXPECT_EQ(van->registered_ms, kT0);
  EXPECT_EQ(store_->RegisterNode("van-1", key, kCli).status().code(), Status::Code::kFailedPrecondition);
  for (const char* bad : {"", "a.b", "van 1", ">", "*"}) {
    EXPECT_EQ(store_->RegisterNode(bad, key, kCli).status().code(), Status::Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(store_->RegisterNode("site-2", std::string(31, 'k'), kCli).status().code(),
            Status::Code::kInvalidArgument);
  ASSERT_TRUE(store_->RegisterNode("site-2", std::string(32, '\0'), kCli).ok());
  auto nodes = store_->ListNodes();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[1].name, "van-1");
  EXPECT_EQ((*nodes)[1].public_key, key);
  EXPECT_EQ((*nodes)[0].public_key, std::string(32, '\0'));  // binary-safe
  ASSERT_TRUE(store_->RevokeNode("van-1", kCli).ok());
  ASSERT_TRUE(store_->RevokeNode("van-1", kCli).ok());  // again: nothing more
  EXPECT_EQ(store_->RevokeNode("ghost", kCli).code(), Status::Code::kNotFound);
  EXPECT_EQ((*store_->ListNodes())[1].revoked_ms, kT0);
  EXPECT_EQ(store_->RegisterNode("van-1", key, kCli).status().code(), Status::Code::kFailedPrecondition);
  AuditQuery q;
  q.action = "node.register";
  auto reg = store_->ListAudit(q);
  ASSERT_EQ(reg->size(), 2u);
  EXPECT_EQ((*reg)[0].details, R"({"public_key":")" + std::string("0707070707070707070707070707070707070707070707070707070707070707") + R"("})");
  q.action = "node.revoke";
  EXPECT_EQ(store_->ListAudit(q)->size(), 1u);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_P(StoreTest, AuditAppendsListsAndRefusesEditsInTheDatabase) {
  ASSERT_TRUE(store_->Audit(Actor{"alice"}, "login", "user:alice", R"({"ip":"10.0.0.1"})").ok());
  ASSERT_TRUE(store_->Audit(Actor{"alice"}, "export", "report:1", "").ok());
  EXPECT_EQ(store_->Audit(Actor{"alice"}, "x", "y", "[1]").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Audit(Actor{""}, "x", "y", "{}").code(), Status::Code::kInvalidArgument);
  auto rows = store_->ListAudit(1, 10);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].seq, 2);
  EXPECT_EQ((*rows)[0].action, "login");
  EXPECT_EQ((*rows)[0].time_ms, kT0);
  EXPECT_EQ((*rows)[1].details, "{}");
  EXPECT_EQ(store_->ListAudit(0, 1)->size(), 1u);
  auto v = store_->VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
  EXPECT_EQ(v->rows, 3);
  // The database itself refuses to change or delete audit rows.
  auto raw = Raw();
  EXPECT_THAT(raw->Exec("UPDATE audit SET actor = 'mallory' WHERE seq = 2"), HasSubstr("append-only"));
  EXPECT_THAT(raw->Exec("DELETE FROM audit WHERE seq = 2"), HasSubstr("append-only"));
  if (backend() == Backend::kPostgres) {
    EXPECT_THAT(raw->Exec("TRUNCATE audit"), HasSubstr("append-only"));
  }
}

TEST_P(StoreTest, TamperingWithTheAuditTableIsFoundAtTheRightRow) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->Audit(kCli, "login", "user:" + std::to_string(i), "{}").ok());
  store_.reset();
  {
    auto raw = Raw();
    ASSERT_EQ(raw->Exec(backend() == Backend::kPostgres
                            ? "ALTER TABLE audit DISABLE TRIGGER USER"
                            : "DROP TRIGGER audit_append_only_update; DROP TRIGGER audit_append_only_delete;"),
              "");
    ASSERT_EQ(raw->Exec("UPDATE audit SET target = 'user:mallory' WHERE seq = 3"), "");
  }
  Reopen();
  auto v = store_->VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad, 3);
  store_.reset();
  {
    auto raw = Raw();
    ASSERT_EQ(raw->Exec("UPDATE audit SET target = 'user:1' WHERE seq = 3"), "");  // restored
    ASSERT_EQ(raw->Exec("DELETE FROM audit WHERE seq = 6"), "");                  // the last row
  }
  Reopen();
  v = store_->VerifyAudit();
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad, 6);
  EXPECT_THAT(v->reason, HasSubstr("deleted from the end"));
}

TEST_P(StoreTest, ReopeningKeepsEverythingAndTheFilesArePrivate) {
  const int64_t dep = ActiveDeployment("D");
  store_.reset();
  Reopen();
  auto d = store_->GetDeployment(dep);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->status, DeploymentStatus::kActive);
  EXPECT_EQ(store_->LoadEmbeddings(dep, kCli)->size(), 1u);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
  if (backend() != Backend::kSqlite) return;  // PostgreSQL's files are the server's
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat((db_path_.string() + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
  }
}

TEST_F(SqliteStoreTest, ANewDatabaseAndItsWalAreCreatedPrivate) {
  for (const char* suffix : {"", "-wal", "-shm"}) {  // the fixture's fresh store is open
    struct stat st {};
    ASSERT_EQ(::stat((db_path_.string() + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
  }
}

TEST_P(StoreTest, AWrongMasterKeyIsCorruptAndNamesTheProblem) {
  ActiveDeployment("D");
  store_.reset();
  std::vector<uint8_t> other(32, 0x55);
  auto r = OpenAnother(MasterKey::FromBytes(other.data()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorrupt);
  EXPECT_THAT(r.status().message(), HasSubstr("wrong master key"));
  EXPECT_THAT(r.status().message(), HasSubstr(DatabaseName()));
  Reopen();  // the right key still works: the failed open changed nothing
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(SqliteStoreTest, AFileThatIsNotAnOpenLfrDatabaseIsCorrupt) {
  const fs::path junk = dir_ / "junk.db";
  std::ofstream(junk) << std::string(8192, 'x');
  auto r = OpenSqliteStore(junk, master_, {&clock_});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorrupt);
  EXPECT_THAT(r.status().message(), HasSubstr(junk.string()));
  // Another program's SQLite database is left alone.
  const fs::path foreign = dir_ / "foreign.db";
  { RawDb raw(foreign); ASSERT_EQ(raw.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1);"), ""); }
  auto f = OpenSqliteStore(foreign, master_, {&clock_});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Status::Code::kCorrupt);
  EXPECT_THAT(f.status().message(), HasSubstr("not an OpenLFR database"));
  RawDb raw(foreign);
  EXPECT_EQ(raw.Exec("SELECT x FROM t"), "");
  EXPECT_EQ(OpenSqliteStore(dir_, master_, {&clock_}).status().code(), Status::Code::kCorrupt);
}

TEST_P(StoreTest, ADatabaseFromANewerLfrIsRefused) {
  store_.reset();
  ASSERT_EQ(Raw()->Exec(backend() == Backend::kPostgres ? "UPDATE lfr_schema SET version = 99"
                                                         : "PRAGMA user_version = 99"),
            "");
  auto r = OpenAnother(master_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("schema version 99"));
}

LFR_STORE_BACKENDS(StoreTest);

}  // namespace
}  // namespace lfr
