#include "store/sql_store.h"

#include "bus/protocol.h"

#include <sodium.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "match/calibration.h"
#include "store/gallery_store.h"
#include "store/text_fields.h"
#include "util/paths.h"

namespace lfr {
namespace fs = std::filesystem;
using nlohmann::json;
using sql::Stmt;
using sql::Txn;

namespace {

// The audit row under a statement that selects seq, time_ms, actor, action, target,
// details, prev_hash, hash (in that order).
AuditEvent AuditEventAt(const Stmt& st) {
  AuditEvent e;
  e.seq = st.Int(0);
  e.time_ms = st.Int(1);
  e.actor = st.Text(2);
  e.action = st.Text(3);
  e.target = st.Text(4);
  e.details = st.Text(5);
  e.prev_hash = st.Text(6);
  e.hash = st.Text(7);
  return e;
}

constexpr const char* kDeploymentColumns =
    "id, name, site, location, planned_start_ms, planned_end_ms, purpose, legal_basis, "
    "authorising_officer, threshold, watchlist_cap, contact, status, recogniser_id, created_ms, "
    "created_by, started_ms, closed_ms, closed_by, notice_text, notice_published_ms, "
    "start_override_reason, start_overridden, "
    "(SELECT count(*) FROM notice_revisions r WHERE r.deployment_id = deployments.id)";

constexpr const char* kEntryColumns =
    "id, deployment_id, reference, display_name, category, reason, image_source, added_by, "
    "added_ms, quality, quality_notes, duplicate_of, duplicate_score, removed, shredded";

constexpr const char* kAlertColumns =
    "id, deployment_id, camera, time_ms, entry_id, subject_reference, track_id, score, "
    "fused_score, threshold, state, outcome, note, decided_by, decided_ms, media_purged";

constexpr int kMaxCap = 1000000;

std::string DekLabel(int64_t deployment_id) { return "deployment:" + std::to_string(deployment_id); }
std::string EntryAad(int64_t id, const char* column) {
  return "entry:" + std::to_string(id) + ":" + column;
}
std::string AlertAad(int64_t id, const char* column) {
  return "alert:" + std::to_string(id) + ":" + column;
}

std::span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Status ValidateSpec(const DeploymentSpec& spec, const std::string& recogniser_id) {
  LFR_RETURN_IF_ERROR(CheckDeploymentText(spec));
  const std::pair<const char*, const std::string*> required[] = {
      {"name", &spec.name},
      {"site", &spec.site},
      {"location", &spec.location},
      {"purpose", &spec.purpose},
      {"legal basis", &spec.legal_basis},
      {"authorising officer", &spec.authorising_officer},
  };
  for (const auto& [what, value] : required) {
    if (value->find_first_not_of(" \t\r\n") == std::string::npos) {
      return Status::InvalidArgument(std::string("a deployment needs a ") + what);
    }
  }
  if (spec.planned_start_ms <= 0 || spec.planned_end_ms <= spec.planned_start_ms) {
    return Status::InvalidArgument("a deployment's planned end must be after its planned start");
  }
  if (spec.watchlist_cap < 1 || spec.watchlist_cap > kMaxCap) {
    return Status::InvalidArgument("watchlist cap must be between 1 and " + std::to_string(kMaxCap) +
                                   ", got " + std::to_string(spec.watchlist_cap));
  }
  if (spec.threshold.rfind("fpir:", 0) == 0) {
    auto t = ResolveThreshold(spec.threshold, recogniser_id, 1);
    if (!t.ok() && t.status().code() != Status::Code::kFailedPrecondition) {
      return Status::InvalidArgument("threshold " + spec.threshold + ": " + t.status().message());
    }
  } else {
    char* end = nullptr;
    const double v = std::strtod(spec.threshold.c_str(), &end);
    if (spec.threshold.empty() || end == nullptr || *end != '\0' || !(v > 0.0 && v <= 1.0)) {
      return Status::InvalidArgument("threshold must be a score in (0, 1] or \"fpir:1/6000\", got \"" +
                                     spec.threshold + "\"");
    }
  }
  if (recogniser_id.empty()) return Status::InvalidArgument("a deployment needs a recogniser id");
  return Status::Ok();
}

// A LIMIT that means "no limit" in both engines (SQLite takes -1, PostgreSQL NULL/ALL).
int64_t SqlLimit(int limit) { return limit < 0 ? std::numeric_limits<int64_t>::max() : limit; }

// The store's logic, written once over the SQL connection (store/sql_db.h).
class SqlStore : public Store, public GalleryStore {
 public:
  SqlStore(std::unique_ptr<sql::Database> db, MasterKey master, Clock* clock)
      : db_(std::move(db)),
        path_(db_->name()),
        master_(std::move(master)),
        audit_key_(AuditChainKey(master_)),
        clock_(clock) {}

  Status Init();

  // ---- Store ----
  Result<Deployment> CreateDeployment(const DeploymentSpec& spec, const std::string& recogniser_id,
                                      const Actor& by) override;
  Result<Deployment> UpdateDeployment(int64_t id, const DeploymentSpec& spec, const Actor& by) override;
  Result<Deployment> GetDeployment(int64_t id) override;
  Result<Deployment> FindDeployment(const std::string& id_or_name) override;
  Result<std::vector<Deployment>> ListDeployments() override;
  Status PublishNotice(int64_t id, const std::string& text, const Actor& by) override;
  Result<std::vector<NoticeRevision>> ListNoticeRevisions(int64_t deployment_id) override;
  using Store::StartDeployment;
  Result<Deployment> StartDeployment(int64_t id, const Actor& by, const std::string& override_reason) override;
  Result<CloseReport> CloseDeployment(int64_t id, const Actor& by) override;

  Result<Camera> AddCamera(const Camera& camera, const Actor& by) override;
  Result<std::vector<Camera>> ListCameras(int64_t deployment_id) override;
  Status RemoveCamera(int64_t camera_id, const Actor& by) override;

  Result<WatchlistEntry> AddWatchlistEntry(const WatchlistEntryInput& input, const Actor& by) override;
  Result<std::vector<WatchlistEntry>> ListWatchlist(int64_t deployment_id, bool include_removed) override;
  Result<WatchlistEntry> GetWatchlistEntry(int64_t entry_id) override;
  Result<SecretBytes> GetEntryImage(int64_t entry_id, const Actor& by) override;
  Result<std::vector<EntryEmbedding>> LoadEmbeddings(int64_t deployment_id, const Actor& by) override;
  Status RemoveWatchlistEntry(int64_t entry_id, const Actor& by) override;
  Result<std::vector<CategoryCount>> WatchlistComposition(int64_t deployment_id) override;

  Result<AlertRecord> RecordAlert(const AlertInput& input, const Actor& by) override;
  Result<std::vector<AlertRecord>> ListAlerts(const AlertQuery& query) override;
  Result<AlertRecord> GetAlert(int64_t alert_id) override;
  Result<SecretBytes> GetAlertMedia(int64_t alert_id, AlertMedia which, const Actor& by) override;
  Result<AlertRecord> DecideAlert(int64_t alert_id, const AlertDecision& decision, const Actor& by) override;
  Result<AlertRecord> CorrectAlertDecision(int64_t alert_id, const AlertDecision& decision,
                                           const std::string& reason, const Actor& by) override;

  Status AddFacesSeen(int64_t deployment_id, const std::string& camera, int64_t minute_ms,
                      int64_t n) override;
  Result<std::vector<FacesSeenRow>> FacesSeen(int64_t deployment_id) override;

  Result<PurgeCounts> PurgeAlertData(int64_t cutoff_ms, const Actor& by) override;
  Result<SecretBytes> FootageKey(int64_t deployment_id, const Actor& by) override;
  Result<int64_t> PurgeFootageKeys(int64_t cutoff_ms, const Actor& by) override;

  Status Audit(const Actor& by, const std::string& action, const std::string& target,
               const std::string& details_json) override;
  Result<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int limit) override;
  Result<std::vector<AuditEvent>> ListAudit(const AuditQuery& query) override;
  Result<AuditVerification> VerifyAudit() override;

  Result<User> CreateUser(const std::string& name, Role role, const std::string& password_hash,
                          const Actor& by) override;
  Result<User> GetUser(const std::string& name) override;
  Result<std::vector<User>> ListUsers() override;
  Status UpdateUser(const User& user, const Actor& by) override;

  Result<FleetNode> RegisterNode(const std::string& name, const std::string& public_key, const Actor& by) override;
  Result<std::vector<FleetNode>> ListNodes() override;
  Status RevokeNode(const std::string& name, const Actor& by) override;

  // ---- GalleryStore (store/gallery_store.h) ----
  GalleryStore* galleries() override { return this; }
  Result<Gallery> CreateGallery(const GallerySpec& spec, const std::string& recogniser_id,
                                const Actor& by) override;
  Result<Gallery> FindGallery(const std::string& id_or_name) override;
  Result<std::vector<Gallery>> ListGalleries() override;
  Status DeleteGallery(int64_t gallery_id, const Actor& by) override;
  Result<int64_t> BeginGalleryImport(int64_t gallery_id, const Actor& by) override;
  Result<GalleryRecord> StageGalleryRecord(int64_t import_id, const GalleryRecordInput& input,
                                           const Actor& by) override;
  Result<int64_t> CommitGalleryImport(int64_t import_id, const std::string& extra_json, const Actor& by) override;
  Status AbortGalleryImport(int64_t import_id, const Actor& by) override;
  Result<std::vector<GalleryRecord>> ListGalleryRecords(int64_t gallery_id, bool include_removed,
                                                        const Actor& by) override;
  Result<GalleryRecord> GetGalleryRecord(int64_t record_id) override;
  Result<SecretBytes> GetGalleryRecordImage(int64_t record_id, const Actor& by) override;
  Result<std::vector<GalleryEmbedding>> LoadGalleryEmbeddings(int64_t gallery_id, const Actor& by) override;
  Result<std::vector<int64_t>> ListGalleryRecordIds(int64_t gallery_id) override;
  Result<SecretBytes> GalleryIndexKey(int64_t gallery_id) override;
  Status RemoveGalleryRecord(int64_t record_id, const std::string& reason, const Actor& by) override;
  Result<std::vector<GalleryRecord>> ListDueGalleryRecords(std::optional<int64_t> gallery_id,
                                                           int64_t now_ms) override;
  Result<SearchRecord> RecordSearch(const SearchInput& input, const Actor& by) override;
  Result<SearchRecord> GetSearch(int64_t search_id) override;
  Result<std::vector<SearchRecord>> ListSearches(std::optional<int64_t> gallery_id, int limit) override;
  Result<SearchRecord> ReviewSearchCandidate(int64_t search_id, int rank, ReviewDecision decision,
                                             const std::string& note, const Actor& by) override;
  Result<int64_t> PurgeSearchRecords(int64_t now_ms, const Actor& by) override;

 private:
  // Gallery helpers; all expect mu_ held.
  Result<Gallery> LoadGallery(int64_t id);
  Result<Gallery> LiveGallery(int64_t id, const std::string& action);  // not deleted
  Result<SecretBytes> GalleryKey(int64_t gallery_id);
  Result<GalleryRecord> LoadGalleryRecord(int64_t record_id);
  Status AbortImportLocked(int64_t import_id, int64_t gallery_id, const Actor& by, const std::string& why);
  Result<SearchRecord> LoadSearch(int64_t search_id);

  Stmt Sql(const std::string& sql) { return Stmt(*db_, sql); }
  Status Exec(const std::string& sql) { return db_->Exec(sql); }

  // All of the following expect mu_ held.
  Status ApplyMigrations(int from_version, bool fresh);
  Status CheckMasterKey();
  Status AppendAudit(const Actor& by, const std::string& action, const std::string& target,
                     const json& details);
  Result<AuditHead> ReadHead();
  Result<std::vector<AuditEvent>> ReadAudit(int64_t after_seq, int limit);
  Result<Deployment> LoadDeployment(int64_t id);
  Deployment DeploymentFromRow(const Stmt& st);
  // The deployment, which must be in one of the allowed states (FailedPrecondition naming
  // the action otherwise).
  Result<Deployment> DeploymentIn(int64_t id, std::initializer_list<DeploymentStatus> allowed,
                                  const std::string& action);
  Result<SecretBytes> DataKey(int64_t deployment_id);
  Result<WatchlistEntry> EntryFromRow(const Stmt& st, const SecretBytes* dek);
  Result<WatchlistEntry> LoadEntry(int64_t entry_id, bool with_name);
  AlertRecord AlertFromRow(const Stmt& st);
  Result<AlertRecord> LoadAlert(int64_t alert_id);
  // Fills a->corrections from alert_corrections.
  Status LoadCorrections(AlertRecord* a);
  // The alert, if it may still be decided or corrected (active deployment, data kept).
  Result<AlertRecord> DecidableAlert(int64_t alert_id, const std::string& action);
  Result<int64_t> CountLiveEntries(int64_t deployment_id);
  Result<int64_t> ScalarInt(const char* sql, int64_t arg);
  Result<std::optional<int64_t>> CameraId(int64_t deployment_id, const std::string& name);
  // Deletes media, note, correction reasons and subject link of the alerts matched by `where` (an SQL condition
  // on alerts with one int64 parameter); returns how many.
  Result<int64_t> PurgeAlertsWhere(const std::string& where, int64_t arg);
  // After a committed deletion of face data or keys (sql::Database::AfterShred).
  void CheckpointTruncateNow() {
    std::lock_guard<std::mutex> lock(mu_);
    db_->AfterShred();
  }
  // Runs fn (returning Status or Result<T>) in one write transaction under the lock and
  // commits if it succeeds; on any error nothing is changed. Write() first checks the actor.
  template <typename Fn>
  auto WriteTxn(Fn&& fn) -> decltype(fn()) {
    std::lock_guard<std::mutex> lock(mu_);
    Txn txn(*db_);
    LFR_RETURN_IF_ERROR(txn.Begin());
    auto r = fn();
    if (!r.ok()) return r;
    LFR_RETURN_IF_ERROR(txn.Commit());
    return r;
  }
  // Under the lock: NotFound for an unknown deployment, else make(st) for every row of sql
  // (whose one parameter is the deployment id).
  template <typename T, typename Fn>
  Result<std::vector<T>> DeploymentRows(int64_t deployment_id, const char* sql, Fn&& make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto d = LoadDeployment(deployment_id);
    if (!d.ok()) return d.status();
    Stmt st = Sql(sql);
    st.Bind(deployment_id);
    std::vector<T> out;
    LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
      out.push_back(make(st));
      return Status::Ok();
    }));
    return out;
  }
  template <typename Fn>
  auto Write(const Actor& by, Fn&& fn) -> decltype(fn()) {
    LFR_RETURN_IF_ERROR(ValidateActor(by));
    return WriteTxn(std::forward<Fn>(fn));
  }
  Status ValidateActor(const Actor& by) {
    if (by.name.empty()) return Status::InvalidArgument("every store action needs an actor");
    return Status::Ok();
  }

  std::mutex mu_;
  std::unique_ptr<sql::Database> db_;
  const std::string path_;  // the database's name, for messages
  MasterKey master_;
  SecretBytes audit_key_;
  Clock* clock_;
};

// ---- Opening -----------------------------------------------------------------------------

Status SqlStore::Init() {
  std::lock_guard<std::mutex> lock(mu_);
  auto version = db_->Open();
  if (!version.ok()) return version.status();
  const int latest = db_->Migrations().back().version;
  if (*version > latest) {
    return Status::FailedPrecondition(path_ + " has schema version " + std::to_string(*version) +
                                      ", newer than this lfr understands (" + std::to_string(latest) +
                                      "); use the newer lfr that wrote it");
  }
  if (*version == 0) return ApplyMigrations(0, true);
  LFR_RETURN_IF_ERROR(CheckMasterKey());
  if (*version < latest) LFR_RETURN_IF_ERROR(ApplyMigrations(*version, false));
  return Status::Ok();
}

Status SqlStore::ApplyMigrations(int from_version, bool fresh) {
  const int latest = db_->Migrations().back().version;
  bool first = true;
  for (const sql::Migration& m : db_->Migrations()) {
    if (m.version <= from_version) continue;
    const bool create = fresh && first;  // the migration that creates the schema
    first = false;
    Txn txn(*db_);
    LFR_RETURN_IF_ERROR(txn.Begin());
    if (create) {
      // Another process may have created the schema between our check and BEGIN.
      auto tables = db_->HasTables();
      if (!tables.ok()) return tables.status();
      if (*tables) {
        LFR_RETURN_IF_ERROR(txn.Commit());
        return CheckMasterKey();
      }
    }
    LFR_RETURN_IF_ERROR(Exec(m.sql));
    LFR_RETURN_IF_ERROR(db_->SetSchemaVersion(m.version));
    if (create) {
      // The key check: a random value wrapped by the master key. Unwrapping it at open
      // tells a wrong master key apart from a damaged blob elsewhere.
      auto check = master_.Wrap(RandomKey(), "key-check");
      if (!check.ok()) return check.status();
      LFR_RETURN_IF_ERROR(Sql("INSERT INTO meta(key, value) VALUES ('key_check', ?)").BindBlob(*check).Run());
      LFR_RETURN_IF_ERROR(AppendAudit(Actor{"system"}, "store.create", "store",
                                      json{{"schema", latest}}));
    } else if (!fresh) {  // a new database is created at the latest schema: one row says so
      LFR_RETURN_IF_ERROR(AppendAudit(Actor{"system"}, "store.migrate", "store",
                                      json{{"from", m.version - 1}, {"to", m.version}}));
    }
    LFR_RETURN_IF_ERROR(txn.Commit());
  }
  return Status::Ok();
}

Status SqlStore::CheckMasterKey() {
  Stmt st = Sql("SELECT value FROM meta WHERE key = 'key_check'");
  auto row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Corrupt(path_ + " has no key check: not a complete OpenLFR database");
  auto opened = master_.Unwrap(st.Blob(0), "key-check");
  if (!opened.ok()) {
    return Status::Corrupt("wrong master key for " + path_ +
                           ": it is not the key this database was created with (check "
                           "LFR_MASTER_KEY or " + DefaultMasterKeyPath().string() + ")");
  }
  return Status::Ok();
}

// ---- Audit -------------------------------------------------------------------------------

Result<AuditHead> SqlStore::ReadHead() {
  AuditHead head;
  Stmt st = Sql("SELECT key, value FROM meta WHERE key IN ('audit_head_seq', 'audit_head_hash')");
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    if (st.Text(0) == "audit_head_seq") head.seq = std::atoll(st.Text(1).c_str());
    else head.hash = st.Text(1);
    return Status::Ok();
  }));
  return head;
}

Status SqlStore::AppendAudit(const Actor& by, const std::string& action,
                                const std::string& target, const json& details) {
  auto head = ReadHead();
  if (!head.ok()) return head.status();
  AuditEvent prev;
  prev.seq = head->seq;
  prev.hash = head->hash;
  AuditEvent e;
  e.seq = head->seq + 1;
  e.time_ms = clock_->NowMs();
  e.actor = by.name;
  e.action = action;
  e.target = target;
  e.details = details.is_null() ? "{}" : details.dump();
  ChainAuditEvent(audit_key_, head->seq > 0 ? &prev : nullptr, &e);
  LFR_RETURN_IF_ERROR(Sql("INSERT INTO audit(seq, time_ms, actor, action, target, details, prev_hash, hash) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                          .Bind(e.seq).Bind(e.time_ms).Bind(e.actor).Bind(e.action).Bind(e.target)
                          .Bind(e.details).Bind(e.prev_hash).Bind(e.hash).Run());
  LFR_RETURN_IF_ERROR(Sql("INSERT INTO meta(key, value) VALUES ('audit_head_seq', ?), ('audit_head_hash', ?) "
                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                          .BindBlob(AsBytes(std::to_string(e.seq))).BindBlob(AsBytes(e.hash)).Run());
  return Status::Ok();
}

Status SqlStore::Audit(const Actor& by, const std::string& action, const std::string& target,
                          const std::string& details_json) {
  if (action.empty()) return Status::InvalidArgument("an audit row needs an action");
  json details = json::object();
  if (!details_json.empty()) {
    details = json::parse(details_json, nullptr, false);
    if (details.is_discarded() || !details.is_object()) {
      return Status::InvalidArgument("audit details must be a JSON object, got: " + details_json);
    }
  }
  return Write(by, [&]() -> Status {
    LFR_RETURN_IF_ERROR(AppendAudit(by, action, target, details));
    return Status::Ok();
  });
}

Result<std::vector<AuditEvent>> SqlStore::ListAudit(int64_t after_seq, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadAudit(after_seq, limit);
}

Result<std::vector<AuditEvent>> SqlStore::ListAudit(const AuditQuery& q) {
  std::string sql = "SELECT seq, time_ms, actor, action, target, details, prev_hash, hash FROM audit WHERE seq > ?";
  if (q.actor) sql += " AND actor = ?";
  const bool prefix = q.action && !q.action->empty() && q.action->back() == '*';
  if (q.action) sql += prefix ? " AND substr(action, 1, ?) = ?" : " AND action = ?";
  if (q.deployment_id) {
    sql += " AND (target = 'deployment:' || ?1d OR target = '/api/deployments/' || ?1d"
           " OR target LIKE '/api/deployments/' || ?1d || '/%'"
           " OR target IN (SELECT 'camera:' || id FROM cameras WHERE deployment_id = ?1d)"
           " OR target IN (SELECT 'entry:' || id FROM watchlist_entries WHERE deployment_id = ?1d)"
           " OR target IN (SELECT 'alert:' || id FROM alerts WHERE deployment_id = ?1d))";
  }
  if (q.from_ms) sql += " AND time_ms >= ?";
  if (q.to_ms) sql += " AND time_ms < ?";
  sql += q.newest_first ? " ORDER BY seq DESC LIMIT ?" : " ORDER BY seq LIMIT ?";
  std::lock_guard<std::mutex> lock(mu_);
  // The deployment id is used several times: bind it by number once per use, in order.
  std::string numbered;
  {
    const std::string tag = "?1d";
    size_t pos = 0, at;
    while ((at = sql.find(tag, pos)) != std::string::npos) {
      numbered += sql.substr(pos, at - pos) + "?";
      pos = at + tag.size();
    }
    numbered += sql.substr(pos);
  }
  Stmt st = Sql(numbered.c_str());
  st.Bind(q.after_seq);
  if (q.actor) st.Bind(*q.actor);
  if (q.action) {
    if (prefix) {
      const std::string p = q.action->substr(0, q.action->size() - 1);
      st.Bind(static_cast<int64_t>(p.size())).Bind(p);
    } else {
      st.Bind(*q.action);
    }
  }
  if (q.deployment_id) {
    const std::string id = std::to_string(*q.deployment_id);
    for (int i = 0; i < 6; ++i) st.Bind(id);
  }
  if (q.from_ms) st.Bind(*q.from_ms);
  if (q.to_ms) st.Bind(*q.to_ms);
  st.Bind(SqlLimit(q.limit));
  std::vector<AuditEvent> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    out.push_back(AuditEventAt(st));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<AuditEvent>> SqlStore::ReadAudit(int64_t after_seq, int limit) {
  Stmt st = Sql("SELECT seq, time_ms, actor, action, target, details, prev_hash, hash FROM audit "
                "WHERE seq > ? ORDER BY seq LIMIT ?");
  st.Bind(after_seq).Bind(SqlLimit(limit));
  std::vector<AuditEvent> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    out.push_back(AuditEventAt(st));
    return Status::Ok();
  }));
  return out;
}

Result<AuditVerification> SqlStore::VerifyAudit() {
  std::lock_guard<std::mutex> lock(mu_);
  // Rows and head from one snapshot: another process appending meanwhile is not tampering.
  Txn snapshot(*db_);
  LFR_RETURN_IF_ERROR(snapshot.BeginRead());
  auto rows = ReadAudit(0, -1);
  if (!rows.ok()) return rows.status();
  auto head = ReadHead();
  if (!head.ok()) return head.status();
  LFR_RETURN_IF_ERROR(snapshot.Commit());
  return VerifyAuditChain(audit_key_, *rows, *head);
}

// ---- Deployments -------------------------------------------------------------------------

Deployment SqlStore::DeploymentFromRow(const Stmt& st) {
  Deployment d;
  d.id = st.Int(0);
  d.spec.name = st.Text(1);
  d.spec.site = st.Text(2);
  d.spec.location = st.Text(3);
  d.spec.planned_start_ms = st.Int(4);
  d.spec.planned_end_ms = st.Int(5);
  d.spec.purpose = st.Text(6);
  d.spec.legal_basis = st.Text(7);
  d.spec.authorising_officer = st.Text(8);
  d.spec.threshold = st.Text(9);
  d.spec.watchlist_cap = static_cast<int>(st.Int(10));
  d.spec.contact = st.Text(11);
  ParseDeploymentStatus(st.Text(12), &d.status);
  d.recogniser_id = st.Text(13);
  d.created_ms = st.Int(14);
  d.created_by = st.Text(15);
  d.started_ms = st.Int(16);
  d.closed_ms = st.Int(17);
  d.closed_by = st.Text(18);
  d.notice_text = st.Text(19);
  d.notice_published_ms = st.Int(20);
  d.start_override_reason = st.Text(21);
  d.start_overridden = st.Text(22);
  d.notice_revision = static_cast<int>(st.Int(23));
  return d;
}

Result<Deployment> SqlStore::LoadDeployment(int64_t id) {
  const std::string sql = std::string("SELECT ") + kDeploymentColumns + " FROM deployments WHERE id = ?";
  Stmt st = Sql(sql.c_str());
  return st.Bind(id).One("no deployment " + std::to_string(id), [&] { return DeploymentFromRow(st); });
}

Result<Deployment> SqlStore::DeploymentIn(int64_t id, std::initializer_list<DeploymentStatus> allowed,
                                             const std::string& action) {
  auto d = LoadDeployment(id);
  if (!d.ok()) return d.status();
  for (DeploymentStatus s : allowed) {
    if (d->status == s) return d;
  }
  return Status::FailedPrecondition("cannot " + action + ": deployment " + std::to_string(id) + " (" +
                                    d->spec.name + ") is " + DeploymentStatusName(d->status));
}

Result<SecretBytes> SqlStore::DataKey(int64_t deployment_id) {
  Stmt st = Sql("SELECT wrapped_dek FROM deployments WHERE id = ?");
  st.Bind(deployment_id);
  auto row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no deployment " + std::to_string(deployment_id));
  if (st.IsNull(0)) {
    return Status::FailedPrecondition("deployment " + std::to_string(deployment_id) +
                                      " is closed: its key and face data were destroyed");
  }
  return master_.Unwrap(st.Blob(0), DekLabel(deployment_id));
}

Result<int64_t> SqlStore::ScalarInt(const char* sql, int64_t arg) {
  auto v = Sql(sql).Bind(arg).FirstInt();
  if (!v.ok()) return v.status();
  return v->value_or(0);
}

Result<std::optional<int64_t>> SqlStore::CameraId(int64_t deployment_id, const std::string& name) {
  return Sql("SELECT id FROM cameras WHERE deployment_id = ? AND name = ?").Bind(deployment_id).Bind(name).FirstInt();
}

Result<Deployment> SqlStore::CreateDeployment(const DeploymentSpec& spec,
                                                 const std::string& recogniser_id, const Actor& by) {
  LFR_RETURN_IF_ERROR(ValidateSpec(spec, recogniser_id));
  return Write(by, [&]() -> Result<Deployment> {
    auto taken = Sql("SELECT id FROM deployments WHERE name = ?").Bind(spec.name).FirstInt();
    if (!taken.ok()) return taken.status();
    if (*taken) {
      return Status::FailedPrecondition("a deployment named \"" + spec.name + "\" already exists (id " +
                                        std::to_string(**taken) + ")");
    }
    const int64_t now = clock_->NowMs();
    auto inserted = Sql("INSERT INTO deployments(name, site, location, planned_start_ms, planned_end_ms, purpose, "
            "legal_basis, authorising_officer, threshold, watchlist_cap, contact, status, recogniser_id, "
            "created_ms, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?) RETURNING id")
            .Bind(spec.name).Bind(spec.site).Bind(spec.location).Bind(spec.planned_start_ms)
            .Bind(spec.planned_end_ms).Bind(spec.purpose).Bind(spec.legal_basis)
            .Bind(spec.authorising_officer).Bind(spec.threshold).Bind(spec.watchlist_cap)
            .Bind(spec.contact).Bind(recogniser_id).Bind(now).Bind(by.name).Insert();
    if (!inserted.ok()) return inserted.status();
    const int64_t id = *inserted;
    // The deployment's own data key, stored only wrapped by the master key.
    auto wrapped = master_.Wrap(RandomKey(), DekLabel(id));
    if (!wrapped.ok()) return wrapped.status();
    LFR_RETURN_IF_ERROR(Sql("UPDATE deployments SET wrapped_dek = ? WHERE id = ?").BindBlob(*wrapped).Bind(id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "deployment.create", "deployment:" + std::to_string(id),
                                    json{{"name", spec.name}, {"recogniser", recogniser_id}}));
    auto d = LoadDeployment(id);
    if (!d.ok()) return d.status();
    return d;
  });
}

Result<Deployment> SqlStore::UpdateDeployment(int64_t id, const DeploymentSpec& spec, const Actor& by) {
  return Write(by, [&]() -> Result<Deployment> {
    auto d = DeploymentIn(id, {DeploymentStatus::kPlanned}, "update the deployment");
    if (!d.ok()) return d.status();
    LFR_RETURN_IF_ERROR(ValidateSpec(spec, d->recogniser_id));
    {
      auto live = CountLiveEntries(id);
      if (!live.ok()) return live.status();
      if (*live > spec.watchlist_cap) {
        return Status::InvalidArgument("watchlist cap " + std::to_string(spec.watchlist_cap) +
                                       " is below the " + std::to_string(*live) + " entries it holds");
      }
      auto taken = Sql("SELECT id FROM deployments WHERE name = ? AND id != ?").Bind(spec.name).Bind(id).FirstInt();
      if (!taken.ok()) return taken.status();
      if (*taken) return Status::FailedPrecondition("a deployment named \"" + spec.name + "\" already exists");
    }
    // A change to what the notice states makes the published notice out of date.
    const DeploymentSpec& o = d->spec;
    if (o.name != spec.name || o.site != spec.site || o.location != spec.location ||
        o.planned_start_ms != spec.planned_start_ms || o.planned_end_ms != spec.planned_end_ms ||
        o.purpose != spec.purpose || o.legal_basis != spec.legal_basis ||
        o.authorising_officer != spec.authorising_officer || o.contact != spec.contact) {
      LFR_RETURN_IF_ERROR(Sql("UPDATE deployments SET public_details_changed_ms = ? WHERE id = ?")
                              .Bind(clock_->NowMs()).Bind(id).Run());
    }
    LFR_RETURN_IF_ERROR(
        Sql("UPDATE deployments SET name = ?, site = ?, location = ?, planned_start_ms = ?, "
            "planned_end_ms = ?, purpose = ?, legal_basis = ?, authorising_officer = ?, threshold = ?, "
            "watchlist_cap = ?, contact = ? WHERE id = ?")
            .Bind(spec.name).Bind(spec.site).Bind(spec.location).Bind(spec.planned_start_ms)
            .Bind(spec.planned_end_ms).Bind(spec.purpose).Bind(spec.legal_basis)
            .Bind(spec.authorising_officer).Bind(spec.threshold).Bind(spec.watchlist_cap)
            .Bind(spec.contact).Bind(id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "deployment.update", "deployment:" + std::to_string(id),
                                    json{{"name", spec.name}}));
    auto out = LoadDeployment(id);
    if (!out.ok()) return out.status();
    return out;
  });
}

Result<Deployment> SqlStore::GetDeployment(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadDeployment(id);
}

Result<Deployment> SqlStore::FindDeployment(const std::string& id_or_name) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string sql = std::string("SELECT ") + kDeploymentColumns + " FROM deployments WHERE name = ?";
  Stmt st = Sql(sql.c_str());
  st.Bind(id_or_name);
  auto row = st.Step();
  if (!row.ok()) return row.status();
  if (*row) return DeploymentFromRow(st);
  char* end = nullptr;
  const long long id = std::strtoll(id_or_name.c_str(), &end, 10);
  if (!id_or_name.empty() && end != nullptr && *end == '\0' && id > 0) {
    auto d = LoadDeployment(id);
    if (d.ok() || d.status().code() != Status::Code::kNotFound) return d;
  }
  return Status::NotFound("no deployment \"" + id_or_name + "\" (by id or name; see `lfr deployment list`)");
}

Result<std::vector<Deployment>> SqlStore::ListDeployments() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string sql = std::string("SELECT ") + kDeploymentColumns + " FROM deployments ORDER BY id";
  Stmt st = Sql(sql.c_str());
  std::vector<Deployment> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    out.push_back(DeploymentFromRow(st));
    return Status::Ok();
  }));
  return out;
}

Status SqlStore::PublishNotice(int64_t id, const std::string& text, const Actor& by) {
  LFR_RETURN_IF_ERROR(CheckNoticeText(text));
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("the advance notice text is empty");
  }
  return Write(by, [&]() -> Status {
    auto d = DeploymentIn(id, {DeploymentStatus::kPlanned, DeploymentStatus::kActive}, "publish a notice");
    if (!d.ok()) return d.status();
    const int64_t now = clock_->NowMs();
    const int64_t revision = d->notice_revision + 1;
    LFR_RETURN_IF_ERROR(Sql("INSERT INTO notice_revisions(deployment_id, revision, text, published_ms, "
                            "published_by) VALUES (?, ?, ?, ?, ?)")
                            .Bind(id).Bind(revision).Bind(text).Bind(now).Bind(by.name).Run());
    LFR_RETURN_IF_ERROR(Sql("UPDATE deployments SET notice_text = ?, notice_published_ms = ? WHERE id = ?")
                            .Bind(text).Bind(now).Bind(id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "deployment.notice", "deployment:" + std::to_string(id),
                                    json{{"revision", revision}, {"chars", text.size()}}));
    return Status::Ok();
  });
}

Result<std::vector<NoticeRevision>> SqlStore::ListNoticeRevisions(int64_t deployment_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = LoadDeployment(deployment_id);
  if (!d.ok()) return d.status();
  Stmt st = Sql("SELECT revision, text, published_ms, published_by FROM notice_revisions "
                "WHERE deployment_id = ? ORDER BY revision");
  st.Bind(deployment_id);
  std::vector<NoticeRevision> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    NoticeRevision r;
    r.deployment_id = deployment_id;
    r.revision = static_cast<int>(st.Int(0));
    r.text = st.Text(1);
    r.published_ms = st.Int(2);
    r.published_by = st.Text(3);
    out.push_back(std::move(r));
    return Status::Ok();
  }));
  return out;
}

Result<int64_t> SqlStore::CountLiveEntries(int64_t deployment_id) {
  return ScalarInt("SELECT count(*) FROM watchlist_entries WHERE deployment_id = ? AND removed = 0",
                   deployment_id);
}

Result<Deployment> SqlStore::StartDeployment(int64_t id, const Actor& by,
                                                const std::string& override_reason) {
  const bool has_reason = override_reason.find_first_not_of(" \t\r\n") != std::string::npos;
  if (!override_reason.empty() && !has_reason) {
    return Status::InvalidArgument("the override reason is blank: say why the deployment must start anyway");
  }
  if (override_reason.size() > kMaxOverrideReason) {
    return Status::InvalidArgument("the override reason is longer than " + std::to_string(kMaxOverrideReason) +
                                   " bytes");
  }
  return Write(by, [&]() -> Result<Deployment> {
    auto d = DeploymentIn(id, {DeploymentStatus::kPlanned}, "start the deployment");
    if (!d.ok()) return d.status();
    auto cams = ScalarInt("SELECT count(*) FROM cameras WHERE deployment_id = ?", id);
    if (!cams.ok()) return cams.status();
    auto entries = CountLiveEntries(id);
    if (!entries.ok()) return entries.status();
    if (*cams == 0) {
      return Status::FailedPrecondition("cannot start deployment " + std::to_string(id) +
                                        ": it has no camera (add one with `lfr deployment camera add`)");
    }
    if (*entries == 0) {
      return Status::FailedPrecondition("cannot start deployment " + std::to_string(id) +
                                        ": its watchlist is empty (add people with `lfr watchlist add`)");
    }
    // The promises made to the public: the advance notice, and the planned window.
    const int64_t now = clock_->NowMs();
    std::vector<std::string> broken;  // what is missing, for the error message
    std::vector<std::string> set_aside;  // the same, short, for the record
    if (d->notice_published_ms == 0) {
      broken.push_back("no advance notice has been published (publish one with `lfr deployment notice " +
                       std::to_string(id) + "` or the console's Publish notice)");
      set_aside.push_back("no advance notice published");
    } else {
      auto changed = ScalarInt("SELECT public_details_changed_ms FROM deployments WHERE id = ?", id);
      if (!changed.ok()) return changed.status();
      if (*changed > d->notice_published_ms) {
        broken.push_back("its details were changed (" + FormatUtcMs(*changed) +
                         ") after its advance notice was published (" + FormatUtcMs(d->notice_published_ms) +
                         "): publish the notice again so the public sees what will happen");
        set_aside.push_back("notice out of date");
      }
    }
    if (now < d->spec.planned_start_ms || now > d->spec.planned_end_ms) {
      broken.push_back(std::string("it is ") + (now < d->spec.planned_start_ms ? "before" : "after") +
                       " its planned window " + FormatUtcMs(d->spec.planned_start_ms) + " to " +
                       FormatUtcMs(d->spec.planned_end_ms) + " (now " + FormatUtcMs(now) + ")");
      set_aside.push_back("outside the planned window");
    }
    if (!broken.empty() && !has_reason) {
      std::string msg = "cannot start deployment " + std::to_string(id) + " (" + d->spec.name + "): ";
      for (size_t i = 0; i < broken.size(); ++i) msg += (i ? "; and " : "") + broken[i];
      msg += ". To start anyway, record why as an override: `lfr deployment start " + std::to_string(id) +
             " --override-reason \"...\"` (API: {\"override_reason\": \"...\"}); the reason is audited "
             "and shown in the results report";
      return Status::FailedPrecondition(msg);
    }
    std::string overridden;
    for (const std::string& s : set_aside) overridden += (overridden.empty() ? "" : "; ") + s;
    const std::string reason = broken.empty() ? "" : override_reason;
    LFR_RETURN_IF_ERROR(Sql("UPDATE deployments SET status = 'active', started_ms = ?, "
                            "start_override_reason = ?, start_overridden = ? WHERE id = ?")
                            .Bind(now).Bind(reason).Bind(overridden).Bind(id).Run());
    json details{{"cameras", *cams}, {"entries", *entries}};
    if (!broken.empty()) details["override"] = {{"reason", reason}, {"set_aside", set_aside}};
    LFR_RETURN_IF_ERROR(AppendAudit(by, "deployment.start", "deployment:" + std::to_string(id), details));
    auto out = LoadDeployment(id);
    if (!out.ok()) return out.status();
    return out;
  });
}

Result<int64_t> SqlStore::PurgeAlertsWhere(const std::string& where, int64_t arg) {
  auto count = ScalarInt(("SELECT count(*) FROM alerts WHERE media_purged = 0 AND " + where).c_str(), arg);
  if (!count.ok()) return count.status();
  if (*count == 0) return 0;
  LFR_RETURN_IF_ERROR(Sql(("DELETE FROM alert_media WHERE alert_id IN (SELECT id FROM alerts WHERE "
                           "media_purged = 0 AND " + where + ")").c_str())
                          .Bind(arg).Run());
  LFR_RETURN_IF_ERROR(Sql(("UPDATE alert_corrections SET reason = '' WHERE reason != '' AND alert_id IN "
                           "(SELECT id FROM alerts WHERE media_purged = 0 AND " + where + ")").c_str())
                          .Bind(arg).Run());
  LFR_RETURN_IF_ERROR(Sql(("UPDATE alerts SET media_purged = 1, entry_id = NULL, subject_reference = '', "
                           "note = '' WHERE media_purged = 0 AND " + where).c_str())
                          .Bind(arg).Run());
  return count;
}

Result<CloseReport> SqlStore::CloseDeployment(int64_t id, const Actor& by) {
  auto result = Write(by, [&]() -> Result<CloseReport> {
    CloseReport report;
    auto d = DeploymentIn(id, {DeploymentStatus::kPlanned, DeploymentStatus::kActive}, "close the deployment");
    if (!d.ok()) return d.status();
    auto shredded = ScalarInt("SELECT count(*) FROM watchlist_entries WHERE deployment_id = ? AND shredded = 0", id);
    if (!shredded.ok()) return shredded.status();
    report.entries_shredded = *shredded;
    LFR_RETURN_IF_ERROR(Sql("DELETE FROM entry_faces WHERE entry_id IN "
                            "(SELECT id FROM watchlist_entries WHERE deployment_id = ?)")
                            .Bind(id).Run());
    LFR_RETURN_IF_ERROR(Sql("UPDATE watchlist_entries SET display_name = NULL, shredded = 1 "
                            "WHERE deployment_id = ?")
                            .Bind(id).Run());
    auto purged = PurgeAlertsWhere("deployment_id = ?", id);
    if (!purged.ok()) return purged.status();
    report.alerts_purged = *purged;
    LFR_RETURN_IF_ERROR(Sql("UPDATE deployments SET status = 'closed', closed_ms = ?, closed_by = ?, "
                            "wrapped_dek = NULL WHERE id = ?")
                            .Bind(clock_->NowMs()).Bind(by.name).Bind(id).Run());
    auto composition = ScalarInt("SELECT count(*) FROM watchlist_entries WHERE deployment_id = ? AND removed = 0", id);
    if (!composition.ok()) return composition.status();
    LFR_RETURN_IF_ERROR(AppendAudit(by, "deployment.close", "deployment:" + std::to_string(id),
                                    json{{"entries_shredded", report.entries_shredded},
                                         {"alerts_purged", report.alerts_purged},
                                         {"watchlist_entries_on_record", *composition}}));
    return report;
  });
  if (result.ok()) CheckpointTruncateNow();
  return result;
}

// ---- Cameras -----------------------------------------------------------------------------

Result<Camera> SqlStore::AddCamera(const Camera& camera, const Actor& by) {
  LFR_RETURN_IF_ERROR(CheckCameraText(camera));
  if (camera.name.empty() || camera.name.find_first_of(" \t\r\n/") != std::string::npos) {
    return Status::InvalidArgument("camera name \"" + camera.name +
                                   "\" must be non-empty, without spaces or '/'");
  }
  if (camera.uri.empty()) return Status::InvalidArgument("camera " + camera.name + " needs a source URI");
  return Write(by, [&]() -> Result<Camera> {
    auto d = DeploymentIn(camera.deployment_id, {DeploymentStatus::kPlanned, DeploymentStatus::kActive},
                          "add a camera");
    if (!d.ok()) return d.status();
    auto taken = CameraId(camera.deployment_id, camera.name);
    if (!taken.ok()) return taken.status();
    if (*taken) {
      return Status::InvalidArgument("deployment " + std::to_string(camera.deployment_id) +
                                     " already has a camera named " + camera.name);
    }
    auto inserted = Sql("INSERT INTO cameras(deployment_id, name, uri, position, record_footage) "
                            "VALUES (?, ?, ?, ?, ?) RETURNING id")
                            .Bind(camera.deployment_id).Bind(camera.name).Bind(camera.uri)
                            .Bind(camera.position).Bind(camera.record_footage ? 1 : 0).Insert();
    if (!inserted.ok()) return inserted.status();
    Camera out = camera;
    out.id = *inserted;
    LFR_RETURN_IF_ERROR(AppendAudit(by, "camera.add", "camera:" + std::to_string(out.id),
                                    json{{"deployment", out.deployment_id}, {"name", out.name},
                                         {"record_footage", out.record_footage}}));
    return out;
  });
}

Result<std::vector<Camera>> SqlStore::ListCameras(int64_t deployment_id) {
  return DeploymentRows<Camera>(deployment_id,
                                "SELECT id, deployment_id, name, uri, position, record_footage FROM cameras "
                                "WHERE deployment_id = ? ORDER BY id",
                                [](const Stmt& st) {
                                  Camera c;
                                  c.id = st.Int(0);
                                  c.deployment_id = st.Int(1);
                                  c.name = st.Text(2);
                                  c.uri = st.Text(3);
                                  c.position = st.Text(4);
                                  c.record_footage = st.Int(5) != 0;
                                  return c;
                                });
}

Status SqlStore::RemoveCamera(int64_t camera_id, const Actor& by) {
  return Write(by, [&]() -> Status {
    auto dep = ScalarInt("SELECT deployment_id FROM cameras WHERE id = ?", camera_id);
    if (!dep.ok()) return dep.status();
    if (*dep == 0) return Status::NotFound("no camera " + std::to_string(camera_id));
    auto d = DeploymentIn(*dep, {DeploymentStatus::kPlanned, DeploymentStatus::kActive}, "remove a camera");
    if (!d.ok()) return d.status();
    LFR_RETURN_IF_ERROR(Sql("DELETE FROM cameras WHERE id = ?").Bind(camera_id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "camera.remove", "camera:" + std::to_string(camera_id),
                                    json{{"deployment", *dep}}));
    return Status::Ok();
  });
}

// ---- Watchlist ---------------------------------------------------------------------------

Result<WatchlistEntry> SqlStore::EntryFromRow(const Stmt& st, const SecretBytes* dek) {
  WatchlistEntry e;
  e.id = st.Int(0);
  e.deployment_id = st.Int(1);
  e.reference = st.Text(2);
  if (dek != nullptr && !st.IsNull(3)) {
    auto name = Open(*dek, st.Blob(3), EntryAad(e.id, "name"));
    if (!name.ok()) return name.status();
    e.display_name = std::string(name->view());
  }
  e.category = st.Text(4);
  e.reason = st.Text(5);
  e.image_source = st.Text(6);
  e.added_by = st.Text(7);
  e.added_ms = st.Int(8);
  e.quality = static_cast<float>(st.Real(9));
  e.quality_notes = st.Text(10);
  if (!st.IsNull(11)) e.duplicate_of = st.Int(11);
  e.duplicate_score = static_cast<float>(st.Real(12));
  e.removed = st.Int(13) != 0;
  e.shredded = st.Int(14) != 0;
  return e;
}

Result<WatchlistEntry> SqlStore::LoadEntry(int64_t entry_id, bool with_name) {
  const std::string sql = std::string("SELECT ") + kEntryColumns + " FROM watchlist_entries WHERE id = ?";
  Stmt st = Sql(sql.c_str());
  st.Bind(entry_id);
  auto row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no watchlist entry " + std::to_string(entry_id));
  std::optional<SecretBytes> dek;
  if (with_name && !st.IsNull(3)) {
    auto k = DataKey(st.Int(1));
    if (!k.ok()) return k.status();
    dek = std::move(k).value();
  }
  return EntryFromRow(st, dek ? &*dek : nullptr);
}

Result<WatchlistEntry> SqlStore::AddWatchlistEntry(const WatchlistEntryInput& input, const Actor& by) {
  const WatchlistEntry& m = input.meta;
  LFR_RETURN_IF_ERROR(CheckEntryText(m));
  const std::pair<const char*, const std::string*> required[] = {
      {"reference", &m.reference}, {"category", &m.category}, {"reason for inclusion", &m.reason}};
  for (const auto& [what, value] : required) {
    if (value->find_first_not_of(" \t\r\n") == std::string::npos) {
      return Status::InvalidArgument(std::string("a watchlist entry needs a ") + what);
    }
  }
  if (input.image_jpeg.empty()) {
    return Status::InvalidArgument("watchlist entry " + m.reference + " has no image");
  }
  const size_t dim = input.embedding.size();
  double norm2 = 0;
  for (float v : input.embedding) norm2 += double(v) * v;
  if (dim == 0 || !std::isfinite(norm2) || std::fabs(norm2 - 1.0) > 1e-3) {
    return Status::InvalidArgument("watchlist entry " + m.reference +
                                   ": the embedding must be a non-empty unit-norm vector");
  }
  return Write(by, [&]() -> Result<WatchlistEntry> {
    auto d = DeploymentIn(m.deployment_id, {DeploymentStatus::kPlanned, DeploymentStatus::kActive},
                          "add to the watchlist");
    if (!d.ok()) return d.status();
    auto dep_dim = ScalarInt("SELECT embedding_dim FROM deployments WHERE id = ?", m.deployment_id);
    if (!dep_dim.ok()) return dep_dim.status();
    if (*dep_dim != 0 && *dep_dim != static_cast<int64_t>(dim)) {
      return Status::InvalidArgument("watchlist entry " + m.reference + " has a " + std::to_string(dim) +
                                     "-d embedding; deployment " + std::to_string(m.deployment_id) +
                                     " holds " + std::to_string(*dep_dim) + "-d ones (" +
                                     d->recogniser_id + ")");
    }
    auto live = CountLiveEntries(m.deployment_id);
    if (!live.ok()) return live.status();
    if (*live >= d->spec.watchlist_cap) {
      return Status::FailedPrecondition("the watchlist of deployment " + std::to_string(m.deployment_id) +
                                        " is full: it holds " + std::to_string(*live) +
                                        " entries, its cap is " + std::to_string(d->spec.watchlist_cap));
    }
    auto same_ref = Sql("SELECT id FROM watchlist_entries WHERE deployment_id = ? AND reference = ? AND removed = 0")
                        .Bind(m.deployment_id).Bind(m.reference).FirstInt();
    if (!same_ref.ok()) return same_ref.status();
    if (*same_ref) {
      return Status::InvalidArgument("reference " + m.reference + " is already on the watchlist (entry " +
                                     std::to_string(**same_ref) + ")");
    }
    if (m.duplicate_of) {
      auto other = ScalarInt("SELECT deployment_id FROM watchlist_entries WHERE id = ?", *m.duplicate_of);
      if (!other.ok()) return other.status();
      if (*other != m.deployment_id) {
        return Status::InvalidArgument("duplicate_of " + std::to_string(*m.duplicate_of) +
                                       " is not an entry of this deployment");
      }
    }
    auto dek = DataKey(m.deployment_id);
    if (!dek.ok()) return dek.status();
    const int64_t now = clock_->NowMs();
    Stmt ins = Sql("INSERT INTO watchlist_entries(deployment_id, reference, category, reason, image_source, "
                   "added_by, added_ms, quality, quality_notes, duplicate_of, duplicate_score) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    ins.Bind(m.deployment_id).Bind(m.reference).Bind(m.category).Bind(m.reason).Bind(m.image_source)
        .Bind(by.name).Bind(now).Bind(static_cast<double>(m.quality)).Bind(m.quality_notes);
    if (m.duplicate_of) ins.Bind(*m.duplicate_of); else ins.BindNull();
    ins.Bind(static_cast<double>(m.duplicate_score));
    auto inserted = ins.Insert();
    if (!inserted.ok()) return inserted.status();
    const int64_t id = *inserted;
    auto name = Seal(*dek, AsBytes(m.display_name), EntryAad(id, "name"));
    auto emb = Seal(*dek, {reinterpret_cast<const uint8_t*>(input.embedding.data()), dim * sizeof(float)},
                    EntryAad(id, "embedding"));
    auto img = Seal(*dek, input.image_jpeg, EntryAad(id, "image"));
    for (const auto* r : {&name, &emb, &img}) {
      if (!r->ok()) return r->status();
    }
    LFR_RETURN_IF_ERROR(Sql("UPDATE watchlist_entries SET display_name = ? WHERE id = ?").BindBlob(*name).Bind(id).Run());
    LFR_RETURN_IF_ERROR(Sql("INSERT INTO entry_faces(entry_id, embedding, image) VALUES (?, ?, ?)")
                            .Bind(id).BindBlob(*emb).BindBlob(*img).Run());
    if (*dep_dim == 0) {
      LFR_RETURN_IF_ERROR(Sql("UPDATE deployments SET embedding_dim = ? WHERE id = ?")
                              .Bind(static_cast<int64_t>(dim)).Bind(m.deployment_id).Run());
    }
    json details = {{"deployment", m.deployment_id}, {"reference", m.reference}, {"category", m.category}};
    if (m.duplicate_of) details["possible_duplicate_of"] = *m.duplicate_of;
    LFR_RETURN_IF_ERROR(AppendAudit(by, "watchlist.add", "entry:" + std::to_string(id), details));
    auto out = LoadEntry(id, false);
    if (!out.ok()) return out.status();
    out->display_name = m.display_name;
    return out;
  });
}

Result<std::vector<WatchlistEntry>> SqlStore::ListWatchlist(int64_t deployment_id, bool include_removed) {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = LoadDeployment(deployment_id);
  if (!d.ok()) return d.status();
  std::optional<SecretBytes> dek;
  if (d->status != DeploymentStatus::kClosed) {
    auto k = DataKey(deployment_id);
    if (!k.ok()) return k.status();
    dek = std::move(k).value();
  }
  const std::string sql = std::string("SELECT ") + kEntryColumns +
                          " FROM watchlist_entries WHERE deployment_id = ?" +
                          (include_removed ? "" : " AND removed = 0") + " ORDER BY id";
  Stmt st = Sql(sql.c_str());
  st.Bind(deployment_id);
  std::vector<WatchlistEntry> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    auto e = EntryFromRow(st, dek ? &*dek : nullptr);
    if (!e.ok()) return e.status();
    out.push_back(std::move(e).value());
    return Status::Ok();
  }));
  return out;
}

Result<WatchlistEntry> SqlStore::GetWatchlistEntry(int64_t entry_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadEntry(entry_id, true);
}

Result<SecretBytes> SqlStore::GetEntryImage(int64_t entry_id, const Actor& by) {
  return Write(by, [&]() -> Result<SecretBytes> {
    auto e = LoadEntry(entry_id, false);
    if (!e.ok()) return e.status();
    Stmt st = Sql("SELECT image FROM entry_faces WHERE entry_id = ?");
    st.Bind(entry_id);
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      return Status::NotFound("the image of watchlist entry " + std::to_string(entry_id) + " was deleted (" +
                              (e->shredded ? "deployment closed" : "entry removed") + ")");
    }
    auto dek = DataKey(e->deployment_id);
    if (!dek.ok()) return dek.status();
    auto img = Open(*dek, st.Blob(0), EntryAad(entry_id, "image"));
    if (!img.ok()) return img.status();
    LFR_RETURN_IF_ERROR(AppendAudit(by, "watchlist.view_image", "entry:" + std::to_string(entry_id),
                                    json{{"deployment", e->deployment_id}}));
    return img;
  });
}

Result<std::vector<EntryEmbedding>> SqlStore::LoadEmbeddings(int64_t deployment_id, const Actor& by) {
  return Write(by, [&]() -> Result<std::vector<EntryEmbedding>> {
    auto d = DeploymentIn(deployment_id, {DeploymentStatus::kPlanned, DeploymentStatus::kActive},
                          "load the watchlist");
    if (!d.ok()) return d.status();
    auto dek = DataKey(deployment_id);
    if (!dek.ok()) return dek.status();
    Stmt st = Sql("SELECT e.id, e.reference, f.embedding FROM watchlist_entries e JOIN entry_faces f "
                  "ON f.entry_id = e.id WHERE e.deployment_id = ? AND e.removed = 0 ORDER BY e.id");
    st.Bind(deployment_id);
    std::vector<EntryEmbedding> out;
    LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
      EntryEmbedding e;
      e.entry_id = st.Int(0);
      e.reference = st.Text(1);
      auto emb = Open(*dek, st.Blob(2), EntryAad(e.entry_id, "embedding"));
      if (!emb.ok()) return emb.status();
      e.embedding = std::move(emb).value();
      out.push_back(std::move(e));
      return Status::Ok();
    }));
    LFR_RETURN_IF_ERROR(AppendAudit(by, "watchlist.load", "deployment:" + std::to_string(deployment_id),
                                    json{{"entries", out.size()}}));
    return out;
  });
}

Status SqlStore::RemoveWatchlistEntry(int64_t entry_id, const Actor& by) {
  auto result = Write(by, [&]() -> Status {
    auto e = LoadEntry(entry_id, false);
    if (!e.ok()) return e.status();
    if (e->removed) {
      return Status::FailedPrecondition("watchlist entry " + std::to_string(entry_id) + " was already removed");
    }
    auto d = DeploymentIn(e->deployment_id, {DeploymentStatus::kPlanned, DeploymentStatus::kActive},
                          "remove a watchlist entry");
    if (!d.ok()) return d.status();
    LFR_RETURN_IF_ERROR(Sql("DELETE FROM entry_faces WHERE entry_id = ?").Bind(entry_id).Run());
    LFR_RETURN_IF_ERROR(Sql("UPDATE watchlist_entries SET removed = 1, removed_ms = ?, removed_by = ?, "
                            "display_name = NULL WHERE id = ?")
                            .Bind(clock_->NowMs()).Bind(by.name).Bind(entry_id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "watchlist.remove", "entry:" + std::to_string(entry_id),
                                    json{{"deployment", e->deployment_id}, {"reference", e->reference}}));
    return Status::Ok();
  });
  if (result.ok()) CheckpointTruncateNow();
  return result;
}

Result<std::vector<CategoryCount>> SqlStore::WatchlistComposition(int64_t deployment_id) {
  return DeploymentRows<CategoryCount>(
      deployment_id,
      "SELECT category, count(*) FROM watchlist_entries WHERE deployment_id = ? AND removed = 0 "
      "GROUP BY category ORDER BY category",
      [](const Stmt& st) { return CategoryCount{st.Text(0), st.Int(1)}; });
}

// ---- Alerts ------------------------------------------------------------------------------

AlertRecord SqlStore::AlertFromRow(const Stmt& st) {
  AlertRecord a;
  a.id = st.Int(0);
  a.deployment_id = st.Int(1);
  a.camera = st.Text(2);
  a.time_ms = st.Int(3);
  if (!st.IsNull(4)) a.entry_id = st.Int(4);
  a.subject_reference = st.Text(5);
  a.track_id = st.Int(6);
  a.score = static_cast<float>(st.Real(7));
  a.fused_score = static_cast<float>(st.Real(8));
  a.threshold = static_cast<float>(st.Real(9));
  ParseAlertState(st.Text(10), &a.state);
  ParseAlertOutcome(st.Text(11), &a.outcome);
  a.note = st.Text(12);
  a.decided_by = st.Text(13);
  a.decided_ms = st.Int(14);
  a.media_purged = st.Int(15) != 0;
  return a;
}

Result<AlertRecord> SqlStore::LoadAlert(int64_t alert_id) {
  const std::string sql = std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE id = ?";
  Stmt st = Sql(sql.c_str());
  auto a = st.Bind(alert_id).One("no alert " + std::to_string(alert_id), [&] { return AlertFromRow(st); });
  if (!a.ok()) return a;
  LFR_RETURN_IF_ERROR(LoadCorrections(&*a));
  return a;
}

Status SqlStore::LoadCorrections(AlertRecord* a) {
  Stmt st = Sql("SELECT time_ms, corrected_by, reason, previous_state, previous_outcome, previous_decided_by, "
                "previous_decided_ms, state, outcome FROM alert_corrections WHERE alert_id = ? ORDER BY id");
  st.Bind(a->id);
  a->corrections.clear();
  return st.EachRow([&]() -> Status {
    AlertCorrection c;
    c.time_ms = st.Int(0);
    c.by = st.Text(1);
    c.reason = st.Text(2);
    ParseAlertState(st.Text(3), &c.previous_state);
    ParseAlertOutcome(st.Text(4), &c.previous_outcome);
    c.previous_decided_by = st.Text(5);
    c.previous_decided_ms = st.Int(6);
    ParseAlertState(st.Text(7), &c.state);
    ParseAlertOutcome(st.Text(8), &c.outcome);
    a->corrections.push_back(std::move(c));
    return Status::Ok();
  });
}

Result<AlertRecord> SqlStore::RecordAlert(const AlertInput& input, const Actor& by) {
  if (input.crop_jpeg.empty()) return Status::InvalidArgument("an alert needs its probe crop");
  return Write(by, [&]() -> Result<AlertRecord> {
    auto d = DeploymentIn(input.deployment_id, {DeploymentStatus::kActive}, "record an alert");
    if (!d.ok()) return d.status();
    auto camera = CameraId(input.deployment_id, input.camera);
    if (!camera.ok()) return camera.status();
    if (!*camera) {
      return Status::InvalidArgument("deployment " + std::to_string(input.deployment_id) +
                                     " has no camera named \"" + input.camera + "\"");
    }
    auto entry = LoadEntry(input.entry_id, false);
    if (!entry.ok()) return entry.status();
    if (entry->deployment_id != input.deployment_id) {
      return Status::InvalidArgument("watchlist entry " + std::to_string(input.entry_id) +
                                     " is not on deployment " + std::to_string(input.deployment_id) + "'s watchlist");
    }
    auto dek = DataKey(input.deployment_id);
    if (!dek.ok()) return dek.status();
    auto inserted = Sql("INSERT INTO alerts(deployment_id, camera, time_ms, entry_id, subject_reference, "
                            "track_id, score, fused_score, threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
                            .Bind(input.deployment_id).Bind(input.camera).Bind(clock_->NowMs())
                            .Bind(input.entry_id).Bind(entry->reference).Bind(input.track_id)
                            .Bind(static_cast<double>(input.score)).Bind(static_cast<double>(input.fused_score))
                            .Bind(static_cast<double>(input.threshold)).Insert();
    if (!inserted.ok()) return inserted.status();
    const int64_t id = *inserted;
    auto crop = Seal(*dek, input.crop_jpeg, AlertAad(id, "crop"));
    if (!crop.ok()) return crop.status();
    std::vector<uint8_t> thumb;
    if (!input.thumbnail_jpeg.empty()) {
      auto t = Seal(*dek, input.thumbnail_jpeg, AlertAad(id, "thumbnail"));
      if (!t.ok()) return t.status();
      thumb = std::move(t).value();
    }
    LFR_RETURN_IF_ERROR(Sql("INSERT INTO alert_media(alert_id, crop, thumbnail) VALUES (?, ?, ?)")
                            .Bind(id).BindBlob(*crop).BindBlob(thumb).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "alert.create", "alert:" + std::to_string(id),
                                    json{{"deployment", input.deployment_id}, {"camera", input.camera},
                                         {"entry", input.entry_id}}));
    auto out = LoadAlert(id);
    if (!out.ok()) return out.status();
    return out;
  });
}

Result<std::vector<AlertRecord>> SqlStore::ListAlerts(const AlertQuery& query) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE id > ?";
  if (query.deployment_id) sql += " AND deployment_id = ?";
  if (query.state) sql += " AND state = ?";
  sql += " ORDER BY id DESC LIMIT ?";
  Stmt st = Sql(sql.c_str());
  st.Bind(query.after_id);
  if (query.deployment_id) st.Bind(*query.deployment_id);
  if (query.state) st.Bind(std::string(AlertStateName(*query.state)));
  st.Bind(SqlLimit(query.limit));
  std::vector<AlertRecord> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    out.push_back(AlertFromRow(st));
    return Status::Ok();
  }));
  for (AlertRecord& a : out) LFR_RETURN_IF_ERROR(LoadCorrections(&a));
  return out;
}

Result<AlertRecord> SqlStore::GetAlert(int64_t alert_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadAlert(alert_id);
}

Result<SecretBytes> SqlStore::GetAlertMedia(int64_t alert_id, AlertMedia which, const Actor& by) {
  const char* column = which == AlertMedia::kCrop ? "crop" : "thumbnail";
  return Write(by, [&]() -> Result<SecretBytes> {
    auto a = LoadAlert(alert_id);
    if (!a.ok()) return a.status();
    const std::string sql = std::string("SELECT ") + column + " FROM alert_media WHERE alert_id = ?";
    Stmt st = Sql(sql.c_str());
    st.Bind(alert_id);
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row || st.IsNull(0)) {
      return Status::NotFound(std::string("the ") + column + " of alert " + std::to_string(alert_id) +
                              (a->media_purged ? " was deleted by retention" : " was not recorded"));
    }
    auto dek = DataKey(a->deployment_id);
    if (!dek.ok()) return dek.status();
    auto media = Open(*dek, st.Blob(0), AlertAad(alert_id, column));
    if (!media.ok()) return media.status();
    LFR_RETURN_IF_ERROR(AppendAudit(by, "alert.view_media", "alert:" + std::to_string(alert_id),
                                    json{{"media", column}}));
    return media;
  });
}

Result<AlertRecord> SqlStore::DecidableAlert(int64_t alert_id, const std::string& action) {
  auto a = LoadAlert(alert_id);
  if (!a.ok()) return a.status();
  auto d = DeploymentIn(a->deployment_id, {DeploymentStatus::kActive}, action + " alert " + std::to_string(alert_id));
  if (!d.ok()) return d.status();
  if (a->media_purged) {
    return Status::FailedPrecondition("alert " + std::to_string(alert_id) +
                                      " can no longer be decided: its data was deleted by retention");
  }
  return a;
}

Result<AlertRecord> SqlStore::DecideAlert(int64_t alert_id, const AlertDecision& decision, const Actor& by) {
  LFR_RETURN_IF_ERROR(CheckDecisionText(decision));
  LFR_RETURN_IF_ERROR(ValidateAlertDecision(decision));
  return Write(by, [&]() -> Result<AlertRecord> {
    auto a = DecidableAlert(alert_id, "decide");
    if (!a.ok()) return a.status();
    if (a->state != AlertState::kPending) {
      return Status::FailedPrecondition(
          "alert " + std::to_string(alert_id) + " was already decided (" + AlertStateName(a->state) +
          ", outcome " + AlertOutcomeName(a->outcome) + ", by " + a->decided_by + " at " +
          FormatUtcMs(a->decided_ms) + "); changing a decision is a correction, which needs a reason");
    }
    LFR_RETURN_IF_ERROR(Sql("UPDATE alerts SET state = ?, outcome = ?, note = ?, decided_by = ?, decided_ms = ? "
                            "WHERE id = ?")
                            .Bind(std::string(AlertStateName(decision.state)))
                            .Bind(std::string(AlertOutcomeName(decision.outcome))).Bind(decision.note)
                            .Bind(by.name).Bind(clock_->NowMs()).Bind(alert_id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "alert.decide", "alert:" + std::to_string(alert_id),
                                    json{{"state", AlertStateName(decision.state)},
                                         {"outcome", AlertOutcomeName(decision.outcome)}}));
    return LoadAlert(alert_id);
  });
}

Result<AlertRecord> SqlStore::CorrectAlertDecision(int64_t alert_id, const AlertDecision& decision,
                                                      const std::string& reason, const Actor& by) {
  LFR_RETURN_IF_ERROR(ValidateAlertDecision(decision));
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("a correction needs a reason");
  }
  return Write(by, [&]() -> Result<AlertRecord> {
    auto a = DecidableAlert(alert_id, "correct the decision on");
    if (!a.ok()) return a.status();
    if (a->state == AlertState::kPending) {
      return Status::FailedPrecondition("alert " + std::to_string(alert_id) +
                                        " has not been decided yet: decide it, there is nothing to correct");
    }
    if (a->state == decision.state && a->outcome == decision.outcome && a->note == decision.note) {
      return Status::InvalidArgument("the correction changes nothing: alert " + std::to_string(alert_id) +
                                     " is already " + AlertStateName(a->state) + ", outcome " +
                                     AlertOutcomeName(a->outcome));
    }
    const int64_t now = clock_->NowMs();
    LFR_RETURN_IF_ERROR(Sql("INSERT INTO alert_corrections(alert_id, time_ms, corrected_by, reason, previous_state, "
                            "previous_outcome, previous_decided_by, previous_decided_ms, state, outcome) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                            .Bind(alert_id).Bind(now).Bind(by.name).Bind(reason)
                            .Bind(std::string(AlertStateName(a->state)))
                            .Bind(std::string(AlertOutcomeName(a->outcome))).Bind(a->decided_by)
                            .Bind(a->decided_ms).Bind(std::string(AlertStateName(decision.state)))
                            .Bind(std::string(AlertOutcomeName(decision.outcome))).Run());
    LFR_RETURN_IF_ERROR(Sql("UPDATE alerts SET state = ?, outcome = ?, note = ?, decided_by = ?, decided_ms = ? "
                            "WHERE id = ?")
                            .Bind(std::string(AlertStateName(decision.state)))
                            .Bind(std::string(AlertOutcomeName(decision.outcome))).Bind(decision.note)
                            .Bind(by.name).Bind(now).Bind(alert_id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "alert.correct", "alert:" + std::to_string(alert_id),
                                    json{{"state", AlertStateName(decision.state)},
                                         {"outcome", AlertOutcomeName(decision.outcome)},
                                         {"previous_state", AlertStateName(a->state)},
                                         {"previous_outcome", AlertOutcomeName(a->outcome)},
                                         {"previous_decided_by", a->decided_by},
                                         {"reason_sha256", Sha256Hex(reason)}}));
    return LoadAlert(alert_id);
  });
}

// ---- Counters and retention --------------------------------------------------------------

Status SqlStore::AddFacesSeen(int64_t deployment_id, const std::string& camera, int64_t minute_ms,
                                 int64_t n) {
  if (n < 0) return Status::InvalidArgument("faces seen must be >= 0");
  if (camera.empty()) return Status::InvalidArgument("faces seen needs a camera name");
  const int64_t minute = minute_ms - ((minute_ms % kMsPerMinute) + kMsPerMinute) % kMsPerMinute;
  return WriteTxn([&]() -> Status {
    auto d = DeploymentIn(deployment_id, {DeploymentStatus::kPlanned, DeploymentStatus::kActive}, "count faces");
    if (!d.ok()) return d.status();
    LFR_RETURN_IF_ERROR(Sql("INSERT INTO faces_seen(deployment_id, camera, minute_ms, faces) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT(deployment_id, camera, minute_ms) DO UPDATE SET faces = faces_seen.faces + excluded.faces")
                            .Bind(deployment_id).Bind(camera).Bind(minute).Bind(n).Run());
    return Status::Ok();
  });
}

Result<std::vector<FacesSeenRow>> SqlStore::FacesSeen(int64_t deployment_id) {
  return DeploymentRows<FacesSeenRow>(
      deployment_id,
      "SELECT deployment_id, camera, minute_ms, faces FROM faces_seen WHERE deployment_id = ? "
      "ORDER BY minute_ms, camera",
      [](const Stmt& st) { return FacesSeenRow{st.Int(0), st.Text(1), st.Int(2), st.Int(3)}; });
}

Result<PurgeCounts> SqlStore::PurgeAlertData(int64_t cutoff_ms, const Actor& by) {
  auto result = Write(by, [&]() -> Result<PurgeCounts> {
    PurgeCounts counts;
    auto purged = PurgeAlertsWhere("time_ms < ?", cutoff_ms);
    if (!purged.ok()) return purged.status();
    counts.alerts_purged = *purged;
    if (counts.alerts_purged == 0) return counts;  // nothing changed: no audit row
    LFR_RETURN_IF_ERROR(AppendAudit(by, "retention.purge", "alerts",
                                    json{{"alerts_purged", counts.alerts_purged},
                                         {"cutoff", FormatUtcMs(cutoff_ms)}}));
    return counts;
  });
  if (result.ok() && result->alerts_purged > 0) CheckpointTruncateNow();
  return result;
}

// ---- Footage keys ------------------------------------------------------------------------

Result<SecretBytes> SqlStore::FootageKey(int64_t deployment_id, const Actor& by) {
  const std::string label = "footage:" + std::to_string(deployment_id);
  auto wrapped = Write(by, [&]() -> Result<std::vector<uint8_t>> {
    Stmt st = Sql("SELECT wrapped_key FROM footage_keys WHERE deployment_id = ?");
    st.Bind(deployment_id);
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (*row) return st.Blob(0);
    auto d = DeploymentIn(deployment_id, {DeploymentStatus::kPlanned, DeploymentStatus::kActive}, "record footage");
    if (!d.ok()) return d.status();
    auto w = master_.Wrap(RandomKey(), label);
    if (!w.ok()) return w.status();
    LFR_RETURN_IF_ERROR(Sql("INSERT INTO footage_keys(deployment_id, wrapped_key, created_ms) VALUES (?, ?, ?)")
                            .Bind(deployment_id).BindBlob(*w).Bind(clock_->NowMs()).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "footage.key", "deployment:" + std::to_string(deployment_id), json::object()));
    return w;
  });
  if (!wrapped.ok()) return wrapped.status();
  return master_.Unwrap(*wrapped, label);
}

Result<int64_t> SqlStore::PurgeFootageKeys(int64_t cutoff_ms, const Actor& by) {
  auto result = Write(by, [&]() -> Result<int64_t> {
    Stmt del = Sql("DELETE FROM footage_keys WHERE deployment_id IN (SELECT id FROM deployments "
                   "WHERE status = 'closed' AND closed_ms < ?)");
    LFR_RETURN_IF_ERROR(del.Bind(cutoff_ms).Run());
    const int64_t n = del.Changes();
    if (n == 0) return n;  // nothing changed: no audit row
    LFR_RETURN_IF_ERROR(AppendAudit(by, "retention.footage_keys", "footage",
                                    json{{"keys_shredded", n}, {"closed_before", FormatUtcMs(cutoff_ms)}}));
    return n;
  });
  if (result.ok() && *result > 0) CheckpointTruncateNow();
  return result;
}

// ---- Users -------------------------------------------------------------------------------

Result<User> SqlStore::CreateUser(const std::string& name, Role role, const std::string& password_hash,
                                     const Actor& by) {
  LFR_RETURN_IF_ERROR(CheckText(name, "field 'name'", text_limits::kName));
  if (name.empty() || name.find_first_of(" \t\r\n:") != std::string::npos) {
    return Status::InvalidArgument("user name \"" + name + "\" must be non-empty, without spaces or ':'");
  }
  if (password_hash.empty()) return Status::InvalidArgument("user " + name + " needs a password hash");
  return Write(by, [&]() -> Result<User> {
    auto taken = Sql("SELECT id FROM users WHERE name = ?").Bind(name).FirstInt();
    if (!taken.ok()) return taken.status();
    if (*taken) return Status::FailedPrecondition("a user named " + name + " already exists");
    User u;
    u.name = name;
    u.role = role;
    u.password_hash = password_hash;
    u.created_ms = clock_->NowMs();
    auto inserted = Sql("INSERT INTO users(name, role, password_hash, created_ms) VALUES (?, ?, ?, ?) RETURNING id")
                            .Bind(name).Bind(std::string(RoleName(role))).Bind(password_hash)
                            .Bind(u.created_ms).Insert();
    if (!inserted.ok()) return inserted.status();
    u.id = *inserted;
    LFR_RETURN_IF_ERROR(AppendAudit(by, "user.create", "user:" + name, json{{"role", RoleName(role)}}));
    return u;
  });
}

namespace {
User UserFromRow(const Stmt& st) {
  User u;
  u.id = st.Int(0);
  u.name = st.Text(1);
  ParseRole(st.Text(2), &u.role);
  u.password_hash = st.Text(3);
  u.disabled = st.Int(4) != 0;
  u.created_ms = st.Int(5);
  return u;
}
}  // namespace

Result<User> SqlStore::GetUser(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st = Sql("SELECT id, name, role, password_hash, disabled, created_ms FROM users WHERE name = ?");
  return st.Bind(name).One("no user " + name, [&] { return UserFromRow(st); });
}

Result<std::vector<User>> SqlStore::ListUsers() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st = Sql("SELECT id, name, role, password_hash, disabled, created_ms FROM users ORDER BY name");
  std::vector<User> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    out.push_back(UserFromRow(st));
    return Status::Ok();
  }));
  return out;
}

namespace {
FleetNode NodeFromRow(const Stmt& st) {
  FleetNode n;
  n.id = st.Int(0);
  n.name = st.Text(1);
  const std::vector<uint8_t> key = st.Blob(2);
  n.public_key.assign(key.begin(), key.end());
  n.registered_by = st.Text(3);
  n.registered_ms = st.Int(4);
  n.revoked_ms = st.Int(5);
  return n;
}
}  // namespace

Result<FleetNode> SqlStore::RegisterNode(const std::string& name, const std::string& public_key, const Actor& by) {
  if (!bus::ValidToken(name)) {
    return Status::InvalidArgument("node name \"" + name + "\" must be 1-64 letters, digits, '-' or '_'");
  }
  if (public_key.size() != 32) {
    return Status::InvalidArgument("node " + name + ": the public key must be 32 bytes (the one `lfr node init` printed)");
  }
  return Write(by, [&]() -> Result<FleetNode> {
    auto taken = Sql("SELECT id FROM nodes WHERE name = ?").Bind(name).FirstInt();
    if (!taken.ok()) return taken.status();
    if (*taken) return Status::FailedPrecondition("a node named " + name + " is already registered (names are never reused)");
    FleetNode n;
    n.name = name;
    n.public_key = public_key;
    n.registered_by = by.name;
    n.registered_ms = clock_->NowMs();
    auto inserted = Sql("INSERT INTO nodes(name, public_key, registered_by, registered_ms) VALUES (?, ?, ?, ?) RETURNING id")
                        .Bind(name).BindBlob(AsBytes(public_key)).Bind(by.name).Bind(n.registered_ms).Insert();
    if (!inserted.ok()) return inserted.status();
    n.id = *inserted;
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, reinterpret_cast<const unsigned char*>(public_key.data()), public_key.size());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "node.register", "node:" + name, json{{"public_key", hex}}));
    return n;
  });
}

Result<std::vector<FleetNode>> SqlStore::ListNodes() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st = Sql("SELECT id, name, public_key, registered_by, registered_ms, revoked_ms FROM nodes ORDER BY name");
  std::vector<FleetNode> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    out.push_back(NodeFromRow(st));
    return Status::Ok();
  }));
  return out;
}

Status SqlStore::RevokeNode(const std::string& name, const Actor& by) {
  return Write(by, [&]() -> Status {
    Stmt st = Sql("SELECT revoked_ms FROM nodes WHERE name = ?");
    st.Bind(name);
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::NotFound("no node " + name);
    if (st.Int(0) != 0) return Status::Ok();  // already revoked
    LFR_RETURN_IF_ERROR(Sql("UPDATE nodes SET revoked_ms = ? WHERE name = ?").Bind(clock_->NowMs()).Bind(name).Run());
    return AppendAudit(by, "node.revoke", "node:" + name, json::object());
  });
}

Status SqlStore::UpdateUser(const User& user, const Actor& by) {
  if (user.password_hash.empty()) return Status::InvalidArgument("user " + user.name + " needs a password hash");
  return Write(by, [&]() -> Status {
    Stmt st = Sql("SELECT role, disabled, password_hash FROM users WHERE name = ?");
    st.Bind(user.name);
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::NotFound("no user " + user.name);
    json changes = json::object();
    if (st.Text(0) != RoleName(user.role)) changes["role"] = RoleName(user.role);
    if ((st.Int(1) != 0) != user.disabled) changes["disabled"] = user.disabled;
    if (st.Text(2) != user.password_hash) changes["password"] = "changed";
    LFR_RETURN_IF_ERROR(Sql("UPDATE users SET role = ?, password_hash = ?, disabled = ? WHERE name = ?")
                            .Bind(std::string(RoleName(user.role))).Bind(user.password_hash)
                            .Bind(user.disabled ? 1 : 0).Bind(user.name).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "user.update", "user:" + user.name, changes));
    return Status::Ok();
  });
}


// ---- Galleries (retrospective search; store/gallery_store.h) ------------------------------

constexpr const char* kGalleryColumns =
    "id, name, purpose, legal_basis, owner, review_days, reviewers_required, search_retention_days, "
    "recogniser_id, created_ms, created_by, deleted_ms, deleted_by, "
    "(SELECT count(*) FROM gallery_records r WHERE r.gallery_id = galleries.id AND r.staged = 0 "
    "AND r.removed = 0), index_version";

constexpr const char* kGalleryRecordColumns =
    "id, gallery_id, reference, capture_date, source, added_by, added_ms, review_due_ms, quality, "
    "quality_notes, duplicate_of, duplicate_score, removed, removed_ms, removed_by, removal_reason";

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

std::string GalleryLabel(int64_t id) { return "gallery:" + std::to_string(id); }
std::string GalleryRecordAad(int64_t id, const char* column) {
  return "grecord:" + std::to_string(id) + ":" + column;
}

Gallery GalleryFromRow(const Stmt& st) {
  Gallery g;
  g.id = st.Int(0);
  g.spec.name = st.Text(1);
  g.spec.purpose = st.Text(2);
  g.spec.legal_basis = st.Text(3);
  g.spec.owner = st.Text(4);
  g.spec.review_days = static_cast<int>(st.Int(5));
  g.spec.reviewers_required = static_cast<int>(st.Int(6));
  g.spec.search_retention_days = static_cast<int>(st.Int(7));
  g.recogniser_id = st.Text(8);
  g.created_ms = st.Int(9);
  g.created_by = st.Text(10);
  g.deleted_ms = st.Int(11);
  g.deleted = g.deleted_ms != 0;
  g.deleted_by = st.Text(12);
  g.records = st.Int(13);
  g.index_version = st.Int(14);
  return g;
}

GalleryRecord GalleryRecordFromRow(const Stmt& st) {
  GalleryRecord r;
  r.id = st.Int(0);
  r.gallery_id = st.Int(1);
  r.reference = st.Text(2);
  r.capture_date = st.Text(3);
  r.source = st.Text(4);
  r.added_by = st.Text(5);
  r.added_ms = st.Int(6);
  r.review_due_ms = st.Int(7);
  r.quality = static_cast<float>(st.Real(8));
  r.quality_notes = st.Text(9);
  if (!st.IsNull(10)) r.duplicate_of = st.Int(10);
  r.duplicate_score = static_cast<float>(st.Real(11));
  r.removed = st.Int(12) != 0;
  r.removed_ms = st.Int(13);
  r.removed_by = st.Text(14);
  r.removal_reason = st.Text(15);
  return r;
}

bool Blank(const std::string& v) { return v.find_first_not_of(" \t\r\n") == std::string::npos; }

Status ValidateGallerySpec(const GallerySpec& s) {
  using namespace text_limits;
  LFR_RETURN_IF_ERROR(CheckText(s.name, "field 'name'", kName));
  LFR_RETURN_IF_ERROR(CheckText(s.purpose, "field 'purpose'", kPurpose, TextKind::kMultiLine));
  LFR_RETURN_IF_ERROR(CheckText(s.legal_basis, "field 'legal_basis'", kLegalBasis, TextKind::kMultiLine));
  LFR_RETURN_IF_ERROR(CheckText(s.owner, "field 'owner'", kName));
  const std::pair<const char*, const std::string*> required[] = {
      {"a name", &s.name}, {"a purpose", &s.purpose}, {"a legal basis", &s.legal_basis}, {"an owner", &s.owner}};
  for (const auto& [what, value] : required) {
    if (Blank(*value)) return Status::InvalidArgument(std::string("a gallery needs ") + what);
  }
  if (s.name.find_first_not_of("0123456789") == std::string::npos) {
    return Status::InvalidArgument("a gallery name must not be a number (numbers are gallery ids)");
  }
  if (s.review_days < 1 || s.review_days > 36500) {
    return Status::InvalidArgument("review period must be 1..36500 days, got " + std::to_string(s.review_days));
  }
  if (s.search_retention_days < 1 || s.search_retention_days > 36500) {
    return Status::InvalidArgument("search retention must be 1..36500 days, got " +
                                   std::to_string(s.search_retention_days));
  }
  if (s.reviewers_required != 1 && s.reviewers_required != 2) {
    return Status::InvalidArgument("reviewers required must be 1 or 2, got " +
                                   std::to_string(s.reviewers_required));
  }
  return Status::Ok();
}

// "YYYY-MM-DD" -> UTC ms of its midnight; nullopt if malformed or not a real date.
std::optional<int64_t> ParseDate(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return std::nullopt;
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  const time_t t = timegm(&tm);
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_mday != d || back.tm_mon != m - 1) return std::nullopt;  // e.g. 2026-02-30
  return static_cast<int64_t>(t) * 1000;
}

// Fills each candidate's status and the search's outcome from the reviews (see
// store/gallery_store.h).
void ComputeOutcome(SearchRecord* s, int reviewers_required) {
  bool any_possible = false, all_excluded = true;
  for (SearchCandidate& c : s->candidates) {
    int reviews = 0, possible = 0;
    for (const SearchReview& r : s->reviews) {
      if (r.rank != c.rank) continue;
      ++reviews;
      if (r.decision == ReviewDecision::kPossible) ++possible;
    }
    if (reviews < reviewers_required) c.status = "pending";
    else c.status = possible == reviews ? "possible" : "excluded";
    any_possible = any_possible || c.status == "possible";
    all_excluded = all_excluded && c.status == "excluded";
  }
  s->outcome = any_possible ? kOutcomePossible : all_excluded ? kOutcomeNone : kOutcomePending;
}

}  // namespace

const char* ReviewDecisionName(ReviewDecision d) {
  return d == ReviewDecision::kPossible ? "possible" : "excluded";
}

bool ParseReviewDecision(const std::string& text, ReviewDecision* d) {
  if (text == "possible") *d = ReviewDecision::kPossible;
  else if (text == "excluded") *d = ReviewDecision::kExcluded;
  else return false;
  return true;
}

namespace {

Result<Gallery> SqlStore::LoadGallery(int64_t id) {
  const std::string sql = std::string("SELECT ") + kGalleryColumns + " FROM galleries WHERE id = ?";
  Stmt st = Sql(sql.c_str());
  st.Bind(id);
  return st.One("no gallery " + std::to_string(id), [&] { return GalleryFromRow(st); });
}

Result<Gallery> SqlStore::LiveGallery(int64_t id, const std::string& action) {
  auto g = LoadGallery(id);
  if (!g.ok()) return g.status();
  if (g->deleted) {
    return Status::FailedPrecondition("cannot " + action + ": gallery " + std::to_string(id) + " (" +
                                      g->spec.name + ") was deleted");
  }
  return g;
}

Result<SecretBytes> SqlStore::GalleryKey(int64_t gallery_id) {
  Stmt st = Sql("SELECT wrapped_dek FROM galleries WHERE id = ?");
  st.Bind(gallery_id);
  auto row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no gallery " + std::to_string(gallery_id));
  if (st.IsNull(0)) {
    return Status::FailedPrecondition("gallery " + std::to_string(gallery_id) +
                                      " was deleted: its key and face data were destroyed");
  }
  return master_.Unwrap(st.Blob(0), GalleryLabel(gallery_id));
}

Result<GalleryRecord> SqlStore::LoadGalleryRecord(int64_t record_id) {
  const std::string sql =
      std::string("SELECT ") + kGalleryRecordColumns + " FROM gallery_records WHERE id = ? AND staged = 0";
  Stmt st = Sql(sql.c_str());
  st.Bind(record_id);
  return st.One("no gallery record " + std::to_string(record_id), [&] { return GalleryRecordFromRow(st); });
}

Result<Gallery> SqlStore::CreateGallery(const GallerySpec& spec, const std::string& recogniser_id,
                                           const Actor& by) {
  LFR_RETURN_IF_ERROR(ValidateGallerySpec(spec));
  if (recogniser_id.empty()) return Status::InvalidArgument("a gallery needs a recogniser id");
  return Write(by, [&]() -> Result<Gallery> {
    auto taken = Sql("SELECT id FROM galleries WHERE name = ?").Bind(spec.name).FirstInt();
    if (!taken.ok()) return taken.status();
    if (*taken) {
      return Status::FailedPrecondition("a gallery named \"" + spec.name + "\" already exists (id " +
                                        std::to_string(**taken) + ")");
    }
    auto inserted = Sql("INSERT INTO galleries(name, purpose, legal_basis, owner, review_days, reviewers_required, "
            "search_retention_days, recogniser_id, created_ms, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
            .Bind(spec.name).Bind(spec.purpose).Bind(spec.legal_basis).Bind(spec.owner).Bind(spec.review_days)
            .Bind(spec.reviewers_required).Bind(spec.search_retention_days).Bind(recogniser_id)
            .Bind(clock_->NowMs()).Bind(by.name).Insert();
    if (!inserted.ok()) return inserted.status();
    const int64_t id = *inserted;
    // The gallery's own data key, stored only wrapped by the master key.
    auto wrapped = master_.Wrap(RandomKey(), GalleryLabel(id));
    if (!wrapped.ok()) return wrapped.status();
    LFR_RETURN_IF_ERROR(Sql("UPDATE galleries SET wrapped_dek = ? WHERE id = ?").BindBlob(*wrapped).Bind(id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "gallery.create", GalleryLabel(id),
                                    json{{"name", spec.name}, {"owner", spec.owner}, {"recogniser", recogniser_id},
                                         {"reviewers_required", spec.reviewers_required}}));
    return LoadGallery(id);
  });
}

Result<Gallery> SqlStore::FindGallery(const std::string& id_or_name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!id_or_name.empty() && id_or_name.find_first_not_of("0123456789") == std::string::npos &&
      id_or_name.size() < 18) {
    return LoadGallery(std::stoll(id_or_name));
  }
  auto id = Sql("SELECT id FROM galleries WHERE name = ?").Bind(id_or_name).FirstInt();
  if (!id.ok()) return id.status();
  if (!*id) return Status::NotFound("no gallery named \"" + id_or_name + "\"");
  return LoadGallery(**id);
}

Result<std::vector<Gallery>> SqlStore::ListGalleries() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string sql = std::string("SELECT ") + kGalleryColumns + " FROM galleries ORDER BY id";
  Stmt st = Sql(sql.c_str());
  std::vector<Gallery> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    out.push_back(GalleryFromRow(st));
    return Status::Ok();
  }));
  return out;
}

Status SqlStore::DeleteGallery(int64_t gallery_id, const Actor& by) {
  auto result = Write(by, [&]() -> Status {
    auto g = LiveGallery(gallery_id, "delete the gallery");
    if (!g.ok()) return g.status();
    auto faces = ScalarInt("SELECT count(*) FROM gallery_faces WHERE record_id IN "
                           "(SELECT id FROM gallery_records WHERE gallery_id = ?)", gallery_id);
    if (!faces.ok()) return faces.status();
    LFR_RETURN_IF_ERROR(Sql("DELETE FROM gallery_faces WHERE record_id IN "
                            "(SELECT id FROM gallery_records WHERE gallery_id = ?)").Bind(gallery_id).Run());
    LFR_RETURN_IF_ERROR(Sql("UPDATE gallery_imports SET state = 'aborted' WHERE gallery_id = ? AND state = 'open'")
                            .Bind(gallery_id).Run());
    LFR_RETURN_IF_ERROR(Sql("UPDATE galleries SET wrapped_dek = NULL, deleted_ms = ?, deleted_by = ? WHERE id = ?")
                            .Bind(clock_->NowMs()).Bind(by.name).Bind(gallery_id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "gallery.delete", GalleryLabel(gallery_id),
                                    json{{"name", g->spec.name}, {"face_records_shredded", *faces}}));
    return Status::Ok();
  });
  if (result.ok()) CheckpointTruncateNow();
  return result;
}

Status SqlStore::AbortImportLocked(int64_t import_id, int64_t gallery_id, const Actor& by,
                                      const std::string& why) {
  auto staged = ScalarInt("SELECT count(*) FROM gallery_records WHERE import_id = ? AND staged = 1", import_id);
  if (!staged.ok()) return staged.status();
  LFR_RETURN_IF_ERROR(Sql("DELETE FROM gallery_faces WHERE record_id IN "
                          "(SELECT id FROM gallery_records WHERE import_id = ? AND staged = 1)").Bind(import_id).Run());
  LFR_RETURN_IF_ERROR(Sql("DELETE FROM gallery_records WHERE import_id = ? AND staged = 1").Bind(import_id).Run());
  LFR_RETURN_IF_ERROR(Sql("UPDATE gallery_imports SET state = 'aborted' WHERE id = ?").Bind(import_id).Run());
  return AppendAudit(by, "gallery.import_abort", GalleryLabel(gallery_id),
                     json{{"import", import_id}, {"staged_records_deleted", *staged}, {"why", why}});
}

Result<int64_t> SqlStore::BeginGalleryImport(int64_t gallery_id, const Actor& by) {
  return Write(by, [&]() -> Result<int64_t> {
    auto g = LiveGallery(gallery_id, "import into the gallery");
    if (!g.ok()) return g.status();
    // An open import of this gallery was killed or is abandoned now: its staged records go.
    std::vector<int64_t> open;
    Stmt st = Sql("SELECT id FROM gallery_imports WHERE gallery_id = ? AND state = 'open'");
    st.Bind(gallery_id);
    LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
      open.push_back(st.Int(0));
      return Status::Ok();
    }));
    for (int64_t id : open) {
      LFR_RETURN_IF_ERROR(AbortImportLocked(id, gallery_id, by, "a new import began before it was committed"));
    }
    return Sql("INSERT INTO gallery_imports(gallery_id, started_ms, started_by, state) "
               "VALUES (?, ?, ?, 'open') RETURNING id")
        .Bind(gallery_id).Bind(clock_->NowMs()).Bind(by.name).Insert();
  });
}

Result<GalleryRecord> SqlStore::StageGalleryRecord(int64_t import_id, const GalleryRecordInput& input,
                                                      const Actor& by) {
  const GalleryRecord& m = input.meta;
  using namespace text_limits;
  LFR_RETURN_IF_ERROR(CheckText(m.reference, "field 'reference'", kReference));
  LFR_RETURN_IF_ERROR(CheckText(m.source, "field 'source'", kImageSource));
  LFR_RETURN_IF_ERROR(CheckText(m.capture_date, "field 'capture_date'", 10));
  LFR_RETURN_IF_ERROR(CheckText(m.quality_notes, "field 'quality_notes'", kNote));
  if (Blank(m.reference)) return Status::InvalidArgument("a gallery record needs a reference");
  std::optional<int64_t> captured;
  if (!m.capture_date.empty()) {
    captured = ParseDate(m.capture_date);
    if (!captured) {
      return Status::InvalidArgument("record " + m.reference + ": capture date \"" + m.capture_date +
                                     "\" is not a date (YYYY-MM-DD)");
    }
  }
  if (input.image_jpeg.empty()) return Status::InvalidArgument("record " + m.reference + " has no image");
  const size_t dim = input.embedding.size();
  double norm2 = 0;
  for (float v : input.embedding) norm2 += double(v) * v;
  if (dim == 0 || !std::isfinite(norm2) || std::fabs(norm2 - 1.0) > 1e-3) {
    return Status::InvalidArgument("record " + m.reference + ": the embedding must be a non-empty unit-norm vector");
  }
  return Write(by, [&]() -> Result<GalleryRecord> {
    auto gid = Sql("SELECT gallery_id FROM gallery_imports WHERE id = ? AND state = 'open'").Bind(import_id).FirstInt();
    if (!gid.ok()) return gid.status();
    if (!*gid) {
      return Status::FailedPrecondition("import " + std::to_string(import_id) +
                                        " is not open (committed, aborted, or abandoned by a newer import)");
    }
    const int64_t gallery_id = **gid;
    auto g = LiveGallery(gallery_id, "import into the gallery");
    if (!g.ok()) return g.status();
    auto gdim = ScalarInt("SELECT embedding_dim FROM galleries WHERE id = ?", gallery_id);
    if (!gdim.ok()) return gdim.status();
    if (*gdim != 0 && *gdim != static_cast<int64_t>(dim)) {
      return Status::InvalidArgument("record " + m.reference + " has a " + std::to_string(dim) +
                                     "-d embedding; gallery " + std::to_string(gallery_id) + " holds " +
                                     std::to_string(*gdim) + "-d ones (" + g->recogniser_id + ")");
    }
    auto same = Sql("SELECT id FROM gallery_records WHERE gallery_id = ? AND reference = ? AND removed = 0")
                    .Bind(gallery_id).Bind(m.reference).FirstInt();
    if (!same.ok()) return same.status();
    if (*same) {
      return Status::InvalidArgument("reference " + m.reference + " is already in the gallery (record " +
                                     std::to_string(**same) + ")");
    }
    if (m.duplicate_of) {
      auto other = ScalarInt("SELECT gallery_id FROM gallery_records WHERE id = ?", *m.duplicate_of);
      if (!other.ok()) return other.status();
      if (*other != gallery_id) {
        return Status::InvalidArgument("duplicate_of " + std::to_string(*m.duplicate_of) +
                                       " is not a record of this gallery");
      }
    }
    auto key = GalleryKey(gallery_id);
    if (!key.ok()) return key.status();
    const int64_t now = clock_->NowMs();
    const int64_t due = m.review_due_ms > 0 ? m.review_due_ms
                                            : captured.value_or(now) + g->spec.review_days * kDayMs;
    Stmt ins = Sql("INSERT INTO gallery_records(gallery_id, import_id, staged, reference, capture_date, source, "
                   "added_by, added_ms, review_due_ms, quality, quality_notes, duplicate_of, duplicate_score) "
                   "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    ins.Bind(gallery_id).Bind(import_id).Bind(m.reference).Bind(m.capture_date).Bind(m.source).Bind(by.name)
        .Bind(now).Bind(due).Bind(static_cast<double>(m.quality)).Bind(m.quality_notes);
    if (m.duplicate_of) ins.Bind(*m.duplicate_of); else ins.BindNull();
    ins.Bind(static_cast<double>(m.duplicate_score));
    auto inserted = ins.Insert();
    if (!inserted.ok()) return inserted.status();
    const int64_t id = *inserted;
    auto emb = Seal(*key, {reinterpret_cast<const uint8_t*>(input.embedding.data()), dim * sizeof(float)},
                    GalleryRecordAad(id, "embedding"));
    if (!emb.ok()) return emb.status();
    auto img = Seal(*key, input.image_jpeg, GalleryRecordAad(id, "image"));
    if (!img.ok()) return img.status();
    LFR_RETURN_IF_ERROR(Sql("INSERT INTO gallery_faces(record_id, embedding, image) VALUES (?, ?, ?)")
                            .Bind(id).BindBlob(*emb).BindBlob(*img).Run());
    if (*gdim == 0) {
      LFR_RETURN_IF_ERROR(Sql("UPDATE galleries SET embedding_dim = ? WHERE id = ?")
                              .Bind(static_cast<int64_t>(dim)).Bind(gallery_id).Run());
    }
    const std::string sql = std::string("SELECT ") + kGalleryRecordColumns + " FROM gallery_records WHERE id = ?";
    Stmt st = Sql(sql.c_str());
    st.Bind(id);
    return st.One("no gallery record " + std::to_string(id), [&] { return GalleryRecordFromRow(st); });
  });
}

Result<int64_t> SqlStore::CommitGalleryImport(int64_t import_id, const std::string& extra_json,
                                                 const Actor& by) {
  json extra = json::object();
  if (!extra_json.empty()) {
    extra = json::parse(extra_json, nullptr, false);
    if (extra.is_discarded() || !extra.is_object()) {
      return Status::InvalidArgument("import details must be a JSON object");
    }
  }
  return Write(by, [&]() -> Result<int64_t> {
    auto gid = Sql("SELECT gallery_id FROM gallery_imports WHERE id = ? AND state = 'open'").Bind(import_id).FirstInt();
    if (!gid.ok()) return gid.status();
    if (!*gid) {
      return Status::FailedPrecondition("import " + std::to_string(import_id) +
                                        " is not open (committed, aborted, or abandoned by a newer import)");
    }
    auto g = LiveGallery(**gid, "import into the gallery");
    if (!g.ok()) return g.status();
    auto n = ScalarInt("SELECT count(*) FROM gallery_records WHERE import_id = ? AND staged = 1", import_id);
    if (!n.ok()) return n.status();
    LFR_RETURN_IF_ERROR(Sql("UPDATE gallery_records SET staged = 0 WHERE import_id = ?").Bind(import_id).Run());
    LFR_RETURN_IF_ERROR(Sql("UPDATE gallery_imports SET state = 'committed' WHERE id = ?").Bind(import_id).Run());
    LFR_RETURN_IF_ERROR(Sql("UPDATE galleries SET index_version = index_version + 1 WHERE id = ?").Bind(**gid).Run());
    extra["import"] = import_id;
    extra["records_added"] = *n;
    LFR_RETURN_IF_ERROR(AppendAudit(by, "gallery.import", GalleryLabel(**gid), extra));
    return *n;
  });
}

Status SqlStore::AbortGalleryImport(int64_t import_id, const Actor& by) {
  auto result = Write(by, [&]() -> Status {
    auto gid = Sql("SELECT gallery_id FROM gallery_imports WHERE id = ? AND state = 'open'").Bind(import_id).FirstInt();
    if (!gid.ok()) return gid.status();
    if (!*gid) return Status::Ok();  // already gone: nothing staged remains
    return AbortImportLocked(import_id, **gid, by, "the import stopped");
  });
  if (result.ok()) CheckpointTruncateNow();
  return result;
}

Result<std::vector<GalleryRecord>> SqlStore::ListGalleryRecords(int64_t gallery_id, bool include_removed,
                                                                   const Actor& by) {
  return Write(by, [&]() -> Result<std::vector<GalleryRecord>> {
    auto g = LoadGallery(gallery_id);
    if (!g.ok()) return g.status();
    const std::string sql = std::string("SELECT ") + kGalleryRecordColumns +
                            " FROM gallery_records WHERE gallery_id = ? AND staged = 0" +
                            (include_removed ? "" : " AND removed = 0") + " ORDER BY id";
    Stmt st = Sql(sql.c_str());
    st.Bind(gallery_id);
    std::vector<GalleryRecord> out;
    LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
      out.push_back(GalleryRecordFromRow(st));
      return Status::Ok();
    }));
    LFR_RETURN_IF_ERROR(AppendAudit(by, "gallery.view", GalleryLabel(gallery_id), json{{"records", out.size()}}));
    return out;
  });
}

Result<GalleryRecord> SqlStore::GetGalleryRecord(int64_t record_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadGalleryRecord(record_id);
}

Result<SecretBytes> SqlStore::GetGalleryRecordImage(int64_t record_id, const Actor& by) {
  return Write(by, [&]() -> Result<SecretBytes> {
    auto r = LoadGalleryRecord(record_id);
    if (!r.ok()) return r.status();
    Stmt st = Sql("SELECT image FROM gallery_faces WHERE record_id = ?");
    st.Bind(record_id);
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      return Status::NotFound("the image of gallery record " + std::to_string(record_id) + " was deleted (" +
                              (r->removed ? "record removed" : "gallery deleted") + ")");
    }
    auto key = GalleryKey(r->gallery_id);
    if (!key.ok()) return key.status();
    auto img = Open(*key, st.Blob(0), GalleryRecordAad(record_id, "image"));
    if (!img.ok()) return img.status();
    LFR_RETURN_IF_ERROR(AppendAudit(by, "gallery.view_image", "grecord:" + std::to_string(record_id),
                                    json{{"gallery", r->gallery_id}, {"reference", r->reference}}));
    return img;
  });
}

Result<std::vector<GalleryEmbedding>> SqlStore::LoadGalleryEmbeddings(int64_t gallery_id, const Actor& by) {
  return Write(by, [&]() -> Result<std::vector<GalleryEmbedding>> {
    auto g = LiveGallery(gallery_id, "load the gallery");
    if (!g.ok()) return g.status();
    auto key = GalleryKey(gallery_id);
    if (!key.ok()) return key.status();
    Stmt st = Sql("SELECT r.id, r.reference, f.embedding FROM gallery_records r JOIN gallery_faces f "
                  "ON f.record_id = r.id WHERE r.gallery_id = ? AND r.staged = 0 AND r.removed = 0 ORDER BY r.id");
    st.Bind(gallery_id);
    std::vector<GalleryEmbedding> out;
    LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
      GalleryEmbedding e;
      e.record_id = st.Int(0);
      e.reference = st.Text(1);
      auto emb = Open(*key, st.Blob(2), GalleryRecordAad(e.record_id, "embedding"));
      if (!emb.ok()) return emb.status();
      e.embedding = std::move(emb).value();
      out.push_back(std::move(e));
      return Status::Ok();
    }));
    LFR_RETURN_IF_ERROR(AppendAudit(by, "gallery.load", GalleryLabel(gallery_id), json{{"records", out.size()}}));
    return out;
  });
}

Result<std::vector<int64_t>> SqlStore::ListGalleryRecordIds(int64_t gallery_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto g = LiveGallery(gallery_id, "list the gallery's records");
  if (!g.ok()) return g.status();
  Stmt st = Sql("SELECT id FROM gallery_records WHERE gallery_id = ? AND staged = 0 AND removed = 0 ORDER BY id");
  st.Bind(gallery_id);
  std::vector<int64_t> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    out.push_back(st.Int(0));
    return Status::Ok();
  }));
  return out;
}

Result<SecretBytes> SqlStore::GalleryIndexKey(int64_t gallery_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = GalleryKey(gallery_id);
  if (!key.ok()) return key.status();
  SecretBytes sub(kKeyBytes);
  static const char kContext[crypto_kdf_CONTEXTBYTES] = {'l', 'f', 'r', 'g', 'i', 'd', 'x', '1'};
  if (crypto_kdf_derive_from_key(sub.data(), sub.size(), 1, kContext, key->data()) != 0) {
    return Status::Internal("deriving the gallery's index key failed");
  }
  return sub;
}

Status SqlStore::RemoveGalleryRecord(int64_t record_id, const std::string& reason, const Actor& by) {
  LFR_RETURN_IF_ERROR(CheckText(reason, "field 'reason'", text_limits::kReason, TextKind::kMultiLine));
  if (Blank(reason)) return Status::InvalidArgument("removing a gallery record needs a reason");
  auto result = Write(by, [&]() -> Status {
    auto r = LoadGalleryRecord(record_id);
    if (!r.ok()) return r.status();
    if (r->removed) {
      return Status::FailedPrecondition("gallery record " + std::to_string(record_id) + " was already removed");
    }
    LFR_RETURN_IF_ERROR(Sql("DELETE FROM gallery_faces WHERE record_id = ?").Bind(record_id).Run());
    LFR_RETURN_IF_ERROR(Sql("UPDATE gallery_records SET removed = 1, removed_ms = ?, removed_by = ?, "
                            "removal_reason = ? WHERE id = ?")
                            .Bind(clock_->NowMs()).Bind(by.name).Bind(reason).Bind(record_id).Run());
    LFR_RETURN_IF_ERROR(
        Sql("UPDATE galleries SET index_version = index_version + 1 WHERE id = ?").Bind(r->gallery_id).Run());
    LFR_RETURN_IF_ERROR(AppendAudit(by, "gallery.remove_record", "grecord:" + std::to_string(record_id),
                                    json{{"gallery", r->gallery_id}, {"reference", r->reference}, {"reason", reason}}));
    return Status::Ok();
  });
  if (result.ok()) CheckpointTruncateNow();
  return result;
}

Result<std::vector<GalleryRecord>> SqlStore::ListDueGalleryRecords(std::optional<int64_t> gallery_id,
                                                                      int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (gallery_id) {
    auto g = LoadGallery(*gallery_id);
    if (!g.ok()) return g.status();
  }
  const std::string sql = std::string("SELECT ") + kGalleryRecordColumns +
                          " FROM gallery_records WHERE staged = 0 AND removed = 0 AND review_due_ms < ?" +
                          (gallery_id ? " AND gallery_id = ?" : "") + " ORDER BY review_due_ms, id";
  Stmt st = Sql(sql.c_str());
  st.Bind(now_ms);
  if (gallery_id) st.Bind(*gallery_id);
  std::vector<GalleryRecord> out;
  LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
    out.push_back(GalleryRecordFromRow(st));
    return Status::Ok();
  }));
  return out;
}

Result<SearchRecord> SqlStore::LoadSearch(int64_t search_id) {
  SearchRecord s;
  {
    Stmt st = Sql("SELECT id, gallery_id, time_ms, searched_by, case_reference, reason, probe_sha256, faces_found, "
                  "face_searched, probe_quality, probe_warnings FROM searches WHERE id = ?");
    st.Bind(search_id);
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::NotFound("no search " + std::to_string(search_id));
    s.id = st.Int(0);
    s.gallery_id = st.Int(1);
    s.time_ms = st.Int(2);
    s.searched_by = st.Text(3);
    s.case_reference = st.Text(4);
    s.reason = st.Text(5);
    s.probe_sha256 = st.Text(6);
    s.faces_found = static_cast<int>(st.Int(7));
    s.face_searched = static_cast<int>(st.Int(8));
    s.probe_quality = static_cast<float>(st.Real(9));
    s.probe_warnings = st.Text(10);
  }
  {
    Stmt st = Sql("SELECT rank, record_id, reference, score FROM search_candidates WHERE search_id = ? ORDER BY rank");
    st.Bind(search_id);
    LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
      SearchCandidate c;
      c.rank = static_cast<int>(st.Int(0));
      c.record_id = st.Int(1);
      c.reference = st.Text(2);
      c.score = static_cast<float>(st.Real(3));
      s.candidates.push_back(std::move(c));
      return Status::Ok();
    }));
  }
  {
    Stmt st = Sql("SELECT rank, reviewer, decision, note, time_ms FROM search_reviews WHERE search_id = ? ORDER BY id");
    st.Bind(search_id);
    LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
      SearchReview r;
      r.rank = static_cast<int>(st.Int(0));
      r.reviewer = st.Text(1);
      ParseReviewDecision(st.Text(2), &r.decision);
      r.note = st.Text(3);
      r.time_ms = st.Int(4);
      s.reviews.push_back(std::move(r));
      return Status::Ok();
    }));
  }
  auto g = LoadGallery(s.gallery_id);
  if (!g.ok()) return g.status();
  ComputeOutcome(&s, g->spec.reviewers_required);
  return s;
}

Result<SearchRecord> SqlStore::RecordSearch(const SearchInput& in, const Actor& by) {
  using namespace text_limits;
  LFR_RETURN_IF_ERROR(CheckText(in.case_reference, "field 'case'", kReference));
  LFR_RETURN_IF_ERROR(CheckText(in.reason, "field 'reason'", kReason, TextKind::kMultiLine));
  if (Blank(in.case_reference)) return Status::InvalidArgument("a search needs a case reference");
  if (Blank(in.reason)) return Status::InvalidArgument("a search needs a reason");
  if (in.probe_sha256.size() != 64 || in.probe_sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status::InvalidArgument("a search needs the probe's SHA-256 (64 lower-case hex characters)");
  }
  return Write(by, [&]() -> Result<SearchRecord> {
    auto g = LiveGallery(in.gallery_id, "search the gallery");
    if (!g.ok()) return g.status();
    auto inserted = Sql("INSERT INTO searches(gallery_id, time_ms, searched_by, case_reference, reason, "
                            "probe_sha256, faces_found, face_searched, probe_quality, probe_warnings) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
                            .Bind(in.gallery_id).Bind(clock_->NowMs()).Bind(by.name).Bind(in.case_reference)
                            .Bind(in.reason).Bind(in.probe_sha256).Bind(in.faces_found).Bind(in.face_searched)
                            .Bind(static_cast<double>(in.probe_quality)).Bind(in.probe_warnings).Insert();
    if (!inserted.ok()) return inserted.status();
    const int64_t id = *inserted;
    json refs = json::array();
    for (const SearchCandidate& c : in.candidates) {
      auto other = ScalarInt("SELECT gallery_id FROM gallery_records WHERE id = ?", c.record_id);
      if (!other.ok()) return other.status();
      if (*other != in.gallery_id) {
        return Status::InvalidArgument("candidate record " + std::to_string(c.record_id) +
                                       " is not in gallery " + std::to_string(in.gallery_id));
      }
      LFR_RETURN_IF_ERROR(Sql("INSERT INTO search_candidates(search_id, rank, record_id, reference, score) "
                              "VALUES (?, ?, ?, ?, ?)")
                              .Bind(id).Bind(c.rank).Bind(c.record_id).Bind(c.reference)
                              .Bind(static_cast<double>(c.score)).Run());
      refs.push_back(c.reference);
    }
    LFR_RETURN_IF_ERROR(AppendAudit(by, "search.run", "search:" + std::to_string(id),
                                    json{{"gallery", in.gallery_id},
                                         {"case", in.case_reference},
                                         {"reason", in.reason},
                                         {"probe_sha256", in.probe_sha256},
                                         {"candidates", refs}}));
    return LoadSearch(id);
  });
}

Result<SearchRecord> SqlStore::GetSearch(int64_t search_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadSearch(search_id);
}

Result<std::vector<SearchRecord>> SqlStore::ListSearches(std::optional<int64_t> gallery_id, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int64_t> ids;
  {
    const std::string sql = std::string("SELECT id FROM searches") + (gallery_id ? " WHERE gallery_id = ?" : "") +
                            " ORDER BY id DESC LIMIT ?";
    Stmt st = Sql(sql.c_str());
    if (gallery_id) st.Bind(*gallery_id);
    st.Bind(SqlLimit(limit));
    LFR_RETURN_IF_ERROR(st.EachRow([&]() -> Status {
      ids.push_back(st.Int(0));
      return Status::Ok();
    }));
  }
  std::vector<SearchRecord> out;
  for (int64_t id : ids) {
    auto s = LoadSearch(id);
    if (!s.ok()) return s.status();
    out.push_back(std::move(s).value());
  }
  return out;
}

Result<SearchRecord> SqlStore::ReviewSearchCandidate(int64_t search_id, int rank, ReviewDecision decision,
                                                        const std::string& note, const Actor& by) {
  LFR_RETURN_IF_ERROR(CheckText(note, "field 'note'", text_limits::kNote, TextKind::kMultiLine));
  return Write(by, [&]() -> Result<SearchRecord> {
    auto s = LoadSearch(search_id);
    if (!s.ok()) return s.status();
    auto g = LoadGallery(s->gallery_id);
    if (!g.ok()) return g.status();
    const SearchCandidate* c = nullptr;
    for (const auto& x : s->candidates) if (x.rank == rank) c = &x;
    if (c == nullptr) {
      return Status::InvalidArgument("search " + std::to_string(search_id) + " has no candidate " +
                                     std::to_string(rank) + " (it has " + std::to_string(s->candidates.size()) + ")");
    }
    int reviews = 0;
    for (const auto& r : s->reviews) {
      if (r.rank != rank) continue;
      ++reviews;
      if (r.reviewer == by.name) {
        return Status::FailedPrecondition(by.name + " already reviewed candidate " + std::to_string(rank) +
                                          " of search " + std::to_string(search_id) + " (" +
                                          ReviewDecisionName(r.decision) + "): a second review must be by "
                                          "another, independent reviewer");
      }
    }
    if (reviews >= g->spec.reviewers_required) {
      return Status::FailedPrecondition("candidate " + std::to_string(rank) + " of search " +
                                        std::to_string(search_id) + " already has the " +
                                        std::to_string(g->spec.reviewers_required) +
                                        " review(s) the gallery's policy asks for");
    }
    LFR_RETURN_IF_ERROR(Sql("INSERT INTO search_reviews(search_id, rank, reviewer, decision, note, time_ms) "
                            "VALUES (?, ?, ?, ?, ?, ?)")
                            .Bind(search_id).Bind(rank).Bind(by.name).Bind(std::string(ReviewDecisionName(decision)))
                            .Bind(note).Bind(clock_->NowMs()).Run());
    auto after = LoadSearch(search_id);
    if (!after.ok()) return after.status();
    LFR_RETURN_IF_ERROR(AppendAudit(by, "search.review", "search:" + std::to_string(search_id),
                                    json{{"candidate", rank},
                                         {"reference", c->reference},
                                         {"decision", ReviewDecisionName(decision)},
                                         {"review", reviews + 1},
                                         {"outcome", after->outcome}}));
    return after;
  });
}

Result<int64_t> SqlStore::PurgeSearchRecords(int64_t now_ms, const Actor& by) {
  return Write(by, [&]() -> Result<int64_t> {
    const char* expired =
        "SELECT s.id FROM searches s JOIN galleries g ON g.id = s.gallery_id "
        "WHERE s.time_ms < ? - g.search_retention_days * 86400000";
    const std::string cond = std::string("search_id IN (") + expired + ")";
    LFR_RETURN_IF_ERROR(Sql(("DELETE FROM search_reviews WHERE " + cond).c_str()).Bind(now_ms).Run());
    LFR_RETURN_IF_ERROR(Sql(("DELETE FROM search_candidates WHERE " + cond).c_str()).Bind(now_ms).Run());
    Stmt del = Sql(std::string("DELETE FROM searches WHERE id IN (") + expired + ")");
    LFR_RETURN_IF_ERROR(del.Bind(now_ms).Run());
    const int64_t n = del.Changes();
    if (n > 0) {
      LFR_RETURN_IF_ERROR(AppendAudit(by, "search.purge", "searches", json{{"search_records_deleted", n}}));
    }
    return n;
  });
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqlStore(std::unique_ptr<sql::Database> db, const MasterKey& master,
                                            Clock* clock) {
  LFR_RETURN_IF_ERROR(InitCrypto());
  auto store = std::make_unique<SqlStore>(std::move(db), master.Clone(), clock != nullptr ? clock : SystemClock());
  LFR_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace lfr
