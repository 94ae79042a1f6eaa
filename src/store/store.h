// Store: everything OpenLFR keeps — deployments, their cameras and watchlists, alerts and
// their adjudication, face counts, users, and the audit log — behind one interface. Two
// implementations share one body of logic (store/sql_store.h): the embedded store on SQLite
// (store/sqlite_store.h) and the central store on PostgreSQL (store/postgres_store.h).
//
// Safeguards that are properties of the store, not of its callers:
//  * Face data is sealed before it is written. Watchlist images and embeddings, entry
//    display names, alert probe crops and frame thumbnails are sealed (privacy/crypto.h)
//    under the deployment's own data key, which is stored only wrapped by the master key.
//    Callers pass and receive plaintext; they cannot forget to encrypt.
//  * Closing a deployment shreds it: its wrapped key, watchlist images, embeddings, display
//    names and alert media are deleted in one transaction. On SQLite, secure_delete is on
//    and the WAL is checkpointed and truncated afterwards, so neither the database file nor
//    the WAL holds them in any form; on PostgreSQL the tables are vacuumed, and the bytes it
//    may keep (dead tuples, WAL) are ciphertext under a key that no longer exists anywhere.
//    The watchlist *composition* stays on record: references,
//    categories, reasons, image sources, who added them and when, counts.
//  * Every mutation and every view of face data appends an audit row (privacy/audit.h) in
//    the same transaction as the change: a change without its audit row cannot happen.
//    (The faces-seen counters are the exception: counts, bumped many times a minute.)
//  * Nothing about faces that matched nobody is ever passed to the store: the only face
//    traffic is counts (AddFacesSeen).
//
// Errors: NotFound for unknown ids; FailedPrecondition for a state that forbids the call
// (e.g. adding to a closed deployment, deciding a purged alert, watchlist at its cap);
// InvalidArgument for bad values (empty reference, unknown camera name); IOError for disk
// trouble (full disk, read-only file); Unavailable when the database server cannot be
// reached or another writer holds a lock too long (try again); Corrupt when the database or a sealed blob fails a
// check (including a wrong master key). Every method is atomic: on error nothing changed.
//
// Times are UTC milliseconds since the epoch from the store's Clock.
// Thread-safety: all methods may be called from several threads (the implementation
// serialises them); several processes may open the same database (writers are serialised
// by the database: SQLite's write lock, PostgreSQL's advisory lock).
#ifndef LFR_STORE_STORE_H_
#define LFR_STORE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "privacy/audit.h"
#include "privacy/crypto.h"
#include "util/status.h"

namespace lfr {

// Who is doing something, for the audit log: a console user ("alice"), "system" (retention,
// the pipeline) or "cli:<unix user>".
struct Actor {
  std::string name;
};

// ---- Deployments -------------------------------------------------------------------------

enum class DeploymentStatus { kPlanned, kActive, kClosed };
const char* DeploymentStatusName(DeploymentStatus s);  // "planned", "active", "closed"
bool ParseDeploymentStatus(const std::string& text, DeploymentStatus* s);

// What a supervisor fills in. Site → location → cameras: a deployment happens at one
// location of one site and has one or more cameras there.
struct DeploymentSpec {
  std::string name;                 // unique, e.g. "Cardiff-2026-12-05-Principality"
  std::string site;                 // e.g. "Cardiff city centre"
  std::string location;             // e.g. "Westgate Street, Principality Stadium gates"
  int64_t planned_start_ms = 0;
  int64_t planned_end_ms = 0;       // > planned_start_ms
  std::string purpose;              // why LFR is used here
  std::string legal_basis;          // e.g. "common law policing powers; SWP LFR policy v3"
  std::string authorising_officer;  // rank and name, superintendent or above
  std::string threshold = "0.6";    // a fused score or "fpir:1/6000" (match/calibration.h)
  int watchlist_cap = 2000;         // most entries the watchlist may hold
  std::string contact;              // how the public can ask questions (for the notice)
};

struct Deployment {
  int64_t id = 0;
  DeploymentSpec spec;
  DeploymentStatus status = DeploymentStatus::kPlanned;
  std::string recogniser_id;        // the model the watchlist embeddings belong to
  int64_t created_ms = 0;
  std::string created_by;
  int64_t started_ms = 0;           // 0 until started
  int64_t closed_ms = 0;            // 0 until closed
  std::string closed_by;
  std::string notice_text;          // the current advance public notice, "" until published
  int64_t notice_published_ms = 0;  // when the current notice was published
  int notice_revision = 0;          // how many notices were published (0 = none)
  // Set when the deployment was started outside its planned window or without a published
  // notice: the supervisor's reason and what it set aside ("no advance notice published",
  // "notice out of date", "outside the planned window"; "; "-separated). "" when it started
  // by the rules.
  std::string start_override_reason;
  std::string start_overridden;
};

// One published advance notice. Immutable once published: a change to the deployment's
// details is published as a new revision; earlier revisions stay readable by the public.
struct NoticeRevision {
  int64_t deployment_id = 0;
  int revision = 0;                 // 1, 2, ... in publication order
  std::string text;                 // exactly as published
  int64_t published_ms = 0;
  std::string published_by;         // "" for notices published before revisions were kept
};

struct Camera {
  int64_t id = 0;
  int64_t deployment_id = 0;
  std::string name;                 // unique in the deployment, e.g. "gate-a"
  std::string uri;                  // file path, rtsp://…, /dev/video0
  std::string position;             // free text: where it points
  bool record_footage = false;      // footage is kept at most 31 days (store/retention.h)
};

// ---- Watchlist ---------------------------------------------------------------------------

// Metadata of one person on a deployment's watchlist. Everything here except display_name
// stays on record after the deployment closes (the composition).
struct WatchlistEntry {
  int64_t id = 0;
  int64_t deployment_id = 0;
  std::string reference;            // force reference (e.g. PNC id), unique per deployment
  std::string display_name;         // sealed at rest; "" once the deployment is closed
  std::string category;             // offence category, e.g. "wanted: violence"
  std::string reason;               // why this person is on this watchlist
  std::string image_source;         // e.g. "custody image 2024-05-01"
  std::string added_by;
  int64_t added_ms = 0;
  float quality = 0;                // enrolment quality score (vision/quality.h)
  std::string quality_notes;        // reasons, "" if none
  std::optional<int64_t> duplicate_of;  // another entry whose face this one resembles
  float duplicate_score = 0;
  bool removed = false;             // removed before close (kept for the record)
  bool shredded = false;            // face data destroyed (deployment closed)
};

// A new entry: metadata plus the face data the store seals.
struct WatchlistEntryInput {
  WatchlistEntry meta;              // id, deployment_id, added_*, removed, shredded ignored
  std::vector<float> embedding;     // unit norm; the deployment's recogniser's dimension
  std::vector<uint8_t> image_jpeg;  // the enrolment image (re-encoded JPEG)
};

// An entry's embedding, opened for the live pipeline. The SecretBytes hold floats.
struct EntryEmbedding {
  int64_t entry_id = 0;
  std::string reference;
  SecretBytes embedding;            // dim * sizeof(float) bytes
};

struct CategoryCount {
  std::string category;
  int64_t entries = 0;
};

// ---- Alerts ------------------------------------------------------------------------------

enum class AlertState { kPending, kConfirmedTrue, kConfirmedFalse, kNoAction };
const char* AlertStateName(AlertState s);  // "pending", "true", "false", "no_action"
bool ParseAlertState(const std::string& text, AlertState* s);

enum class AlertOutcome { kNone, kEngaged, kArrested, kNoFurtherAction };
const char* AlertOutcomeName(AlertOutcome o);  // "none", "engaged", "arrested", "nfa"
bool ParseAlertOutcome(const std::string& text, AlertOutcome* o);

// A change to an alert's recorded decision. The first correction of an alert holds its
// original decision (previous_*), so the operator's first call stays on record.
struct AlertCorrection {
  int64_t time_ms = 0;
  std::string by;                   // who corrected it
  std::string reason;               // why (required; kept on record, not deleted by retention)
  AlertState previous_state = AlertState::kPending;
  AlertOutcome previous_outcome = AlertOutcome::kNone;
  std::string previous_decided_by;
  int64_t previous_decided_ms = 0;
  AlertState state = AlertState::kPending;      // the decision after the correction
  AlertOutcome outcome = AlertOutcome::kNone;
};

struct AlertRecord {
  int64_t id = 0;
  int64_t deployment_id = 0;
  std::string camera;               // camera name
  int64_t time_ms = 0;              // when the alert was raised
  std::optional<int64_t> entry_id;  // the matched watchlist entry (cleared by retention)
  std::string subject_reference;    // its reference (cleared by retention)
  int64_t track_id = 0;
  float score = 0;
  float fused_score = 0;
  float threshold = 0;
  AlertState state = AlertState::kPending;
  AlertOutcome outcome = AlertOutcome::kNone;
  std::string note;                 // cleared by retention
  std::string decided_by;
  int64_t decided_ms = 0;
  bool media_purged = false;        // crop/thumbnail/note/subject removed by retention or close
  std::vector<AlertCorrection> corrections;  // oldest first; empty if never corrected
};

struct AlertInput {
  int64_t deployment_id = 0;
  std::string camera;
  int64_t entry_id = 0;
  int64_t track_id = 0;
  float score = 0, fused_score = 0, threshold = 0;
  std::vector<uint8_t> crop_jpeg;       // the aligned probe face
  std::vector<uint8_t> thumbnail_jpeg;  // the frame, long side <= 320 px
};

struct AlertQuery {
  std::optional<int64_t> deployment_id;
  std::optional<AlertState> state;
  int64_t after_id = 0;             // only alerts with id > after_id
  int limit = 100;                  // newest first
};

struct AlertDecision {
  AlertState state = AlertState::kPending;  // must not be kPending
  AlertOutcome outcome = AlertOutcome::kNone;
  std::string note;
};

// Whether a decision is coherent. Outcomes describe what officers did about the person on
// the watchlist, so they apply to true alerts only: a true alert has any outcome (none =
// not engaged, e.g. the person was not intercepted); a false or no-action alert has outcome
// none. InvalidArgument (naming the contradiction) for state pending or a contradictory pair.
Status ValidateAlertDecision(const AlertDecision& decision);

enum class AlertMedia { kCrop, kThumbnail };

// ---- Counters, retention -----------------------------------------------------------------

// Faces seen (new tracks) by one camera in one minute. Counts only, never faces.
struct FacesSeenRow {
  int64_t deployment_id = 0;
  std::string camera;
  int64_t minute_ms = 0;            // start of the minute
  int64_t faces = 0;
};

struct PurgeCounts {
  int64_t alerts_purged = 0;        // alerts whose media and subject link were deleted
};

struct CloseReport {
  int64_t entries_shredded = 0;
  int64_t alerts_purged = 0;
};

// ---- Audit -------------------------------------------------------------------------------

// A filtered read of the audit log. Unset filters match everything.
struct AuditQuery {
  int64_t after_seq = 0;                 // only rows with seq > after_seq
  std::optional<std::string> actor;      // exact actor ("sue", "system", "cli:alice")
  // Exact action ("login.failed"), or a prefix when it ends in '*' ("deployment.*").
  std::optional<std::string> action;
  // Rows about this deployment: target "deployment:ID", its cameras ("camera:N"), watchlist
  // entries ("entry:N") and alerts ("alert:N"), and HTTP rows for /api/deployments/ID[/…].
  std::optional<int64_t> deployment_id;
  std::optional<int64_t> from_ms;        // time_ms >= from_ms
  std::optional<int64_t> to_ms;          // time_ms < to_ms
  int limit = 200;                       // at most this many rows (< 0: no limit)
  bool newest_first = false;             // newest matching rows first (else oldest first)
};

// ---- Users -------------------------------------------------------------------------------

enum class Role { kAdmin, kSupervisor, kOperator, kAuditor, kInvestigator };
const char* RoleName(Role r);  // "admin", "supervisor", "operator", "auditor"
bool ParseRole(const std::string& text, Role* r);

struct User {
  int64_t id = 0;
  std::string name;
  Role role = Role::kOperator;
  std::string password_hash;        // Argon2id string (crypto_pwhash_str)
  bool disabled = false;
  int64_t created_ms = 0;
};

// An edge node of the fleet (issue 11), registered by a supervisor with the public key that
// `lfr node init` made on the node (X25519, libsodium crypto_box: what a deployment's
// watchlist is sealed to for that node). Revoked nodes keep their row; their key is not
// used again.
struct FleetNode {
  int64_t id = 0;
  std::string name;           // one subject token (bus/protocol.h ValidToken)
  std::string public_key;     // 32 raw bytes
  std::string registered_by;
  int64_t registered_ms = 0;
  int64_t revoked_ms = 0;     // 0: not revoked
};

// ---- The interface -----------------------------------------------------------------------

class GalleryStore;  // store/gallery_store.h

class Store {
 public:
  virtual ~Store() = default;

  // Deployments. Create: InvalidArgument for a missing name/site/location/purpose/legal
  // basis/authorising officer, end <= start, a cap outside 1..1,000,000 or a threshold that
  // is neither a score in (0, 1] nor "fpir:..."; FailedPrecondition if the name is taken.
  // Update: planned only.
  virtual Result<Deployment> CreateDeployment(const DeploymentSpec& spec,
                                              const std::string& recogniser_id,
                                              const Actor& by) = 0;
  virtual Result<Deployment> UpdateDeployment(int64_t id, const DeploymentSpec& spec,
                                              const Actor& by) = 0;
  virtual Result<Deployment> GetDeployment(int64_t id) = 0;
  // By numeric id or by name.
  virtual Result<Deployment> FindDeployment(const std::string& id_or_name) = 0;
  virtual Result<std::vector<Deployment>> ListDeployments() = 0;
  // Publishes an advance notice (planned or active only): stores text as a new immutable
  // revision with its publication time and makes it the deployment's current notice.
  // Earlier revisions are kept (ListNoticeRevisions). InvalidArgument for blank text.
  virtual Status PublishNotice(int64_t id, const std::string& text, const Actor& by) = 0;
  // Every notice revision of the deployment, oldest first (empty if none was published).
  virtual Result<std::vector<NoticeRevision>> ListNoticeRevisions(int64_t deployment_id) = 0;
  // planned -> active. FailedPrecondition if not planned, no camera or an empty watchlist.
  // The promises made to the public are kept too: FailedPrecondition (naming what is
  // missing and how to override) when no advance notice is published or the store's clock
  // is outside [planned_start_ms, planned_end_ms], or the current notice was published
  // before a detail it states (name, site, location, times, purpose, legal basis,
  // authorising officer, contact) last changed — unless override_reason (not blank, at
  // most kMaxOverrideReason bytes, else InvalidArgument) says why the supervisor starts
  // anyway. An override that was needed is stored with the deployment
  // (start_override_reason, start_overridden) and in the deployment.start audit row; a
  // reason given when the rules are met is not recorded.
  static constexpr size_t kMaxOverrideReason = 2000;
  Result<Deployment> StartDeployment(int64_t id, const Actor& by) { return StartDeployment(id, by, ""); }
  virtual Result<Deployment> StartDeployment(int64_t id, const Actor& by,
                                             const std::string& override_reason) = 0;
  // planned|active -> closed, shredding as described above. FailedPrecondition if closed.
  virtual Result<CloseReport> CloseDeployment(int64_t id, const Actor& by) = 0;

  // Cameras (planned or active deployments).
  virtual Result<Camera> AddCamera(const Camera& camera, const Actor& by) = 0;
  virtual Result<std::vector<Camera>> ListCameras(int64_t deployment_id) = 0;
  virtual Status RemoveCamera(int64_t camera_id, const Actor& by) = 0;

  // Watchlist. Add: FailedPrecondition if closed or at watchlist_cap; InvalidArgument for an
  // empty or duplicate reference, an empty category or reason (why a person is sought must
  // be on record), an empty image, an embedding that is not unit norm or whose size differs
  // from the deployment's other entries, or a duplicate_of outside the deployment.
  virtual Result<WatchlistEntry> AddWatchlistEntry(const WatchlistEntryInput& input,
                                                   const Actor& by) = 0;
  // Metadata only (no face data, not audited as a view). include_removed: removed entries too.
  virtual Result<std::vector<WatchlistEntry>> ListWatchlist(int64_t deployment_id,
                                                            bool include_removed) = 0;
  virtual Result<WatchlistEntry> GetWatchlistEntry(int64_t entry_id) = 0;
  // The enrolment image (audited as a view). NotFound once shredded.
  virtual Result<SecretBytes> GetEntryImage(int64_t entry_id, const Actor& by) = 0;
  // Opened embeddings of the active (not removed) entries, for matching.
  virtual Result<std::vector<EntryEmbedding>> LoadEmbeddings(int64_t deployment_id,
                                                             const Actor& by) = 0;
  // Removes an entry from a planned or active deployment: its face data is deleted now,
  // its metadata kept (removed = true).
  virtual Status RemoveWatchlistEntry(int64_t entry_id, const Actor& by) = 0;
  virtual Result<std::vector<CategoryCount>> WatchlistComposition(int64_t deployment_id) = 0;

  // Alerts. Record: active deployments only (FailedPrecondition otherwise).
  virtual Result<AlertRecord> RecordAlert(const AlertInput& input, const Actor& by) = 0;
  virtual Result<std::vector<AlertRecord>> ListAlerts(const AlertQuery& query) = 0;
  virtual Result<AlertRecord> GetAlert(int64_t alert_id) = 0;
  // Crop or thumbnail JPEG (audited as a view). NotFound once purged.
  virtual Result<SecretBytes> GetAlertMedia(int64_t alert_id, AlertMedia which,
                                            const Actor& by) = 0;
  // Records an operator's decision on a pending alert (audited). A decision is made once:
  // FailedPrecondition if the alert was already decided (changing it is a correction), if
  // the deployment is not active or the alert's data was deleted by retention;
  // InvalidArgument for an incoherent decision (ValidateAlertDecision).
  virtual Result<AlertRecord> DecideAlert(int64_t alert_id, const AlertDecision& decision,
                                          const Actor& by) = 0;
  // Corrects a decided alert: records an AlertCorrection (the replaced decision, who, when,
  // the reason) and the new decision, audited as "alert.correct" with both. Who may correct
  // is the caller's policy (server: supervisors, or the deciding operator within a short
  // window). FailedPrecondition if the alert is still pending, the deployment is not active
  // or the alert's data was deleted; InvalidArgument for an empty reason, an incoherent
  // decision or one identical to the current decision.
  virtual Result<AlertRecord> CorrectAlertDecision(int64_t alert_id, const AlertDecision& decision,
                                                   const std::string& reason, const Actor& by) = 0;

  // Counters. Adds n to the (deployment, camera, minute) bucket (minute_ms is floored to its
  // minute). Planned or active deployments; not audited.
  virtual Status AddFacesSeen(int64_t deployment_id, const std::string& camera,
                              int64_t minute_ms, int64_t n) = 0;
  virtual Result<std::vector<FacesSeenRow>> FacesSeen(int64_t deployment_id) = 0;

  // Retention: deletes the media, note and subject link of every alert raised before
  // cutoff_ms (keeping its camera, time, scores, state and outcome for the results report)
  // and audits the purge with counts (a run that finds nothing to purge writes no audit
  // row, so enforcing every minute does not flood the log). Idempotent.
  virtual Result<PurgeCounts> PurgeAlertData(int64_t cutoff_ms, const Actor& by) = 0;

  // Audit. Append is for actions the store does not see itself (login, export, report).
  virtual Status Audit(const Actor& by, const std::string& action, const std::string& target,
                       const std::string& details_json) = 0;
  // Rows with seq > after_seq, oldest first, at most limit.
  virtual Result<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int limit) = 0;
  // Rows matching every filter set in query (see AuditQuery).
  virtual Result<std::vector<AuditEvent>> ListAudit(const AuditQuery& query) = 0;
  virtual Result<AuditVerification> VerifyAudit() = 0;

  // Users (issue 5's console). Create: FailedPrecondition if the name is taken.
  virtual Result<User> CreateUser(const std::string& name, Role role,
                                  const std::string& password_hash, const Actor& by) = 0;
  virtual Result<User> GetUser(const std::string& name) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Status UpdateUser(const User& user, const Actor& by) = 0;  // role, hash, disabled

  // Edge nodes (issue 11), audited as node.register / node.revoke. Register:
  // InvalidArgument for a name that is not one subject token or a key that is not 32 bytes;
  // FailedPrecondition if the name is taken (also by a revoked node). Revoke: NotFound.
  virtual Result<FleetNode> RegisterNode(const std::string& name, const std::string& public_key, const Actor& by) {
    return Status::FailedPrecondition("this store keeps no fleet nodes");
  }
  virtual Result<std::vector<FleetNode>> ListNodes() { return std::vector<FleetNode>{}; }
  virtual Status RevokeNode(const std::string& name, const Actor& by) {
    return Status::FailedPrecondition("this store keeps no fleet nodes");
  }

  // Retrospective search's galleries and searches (store/gallery_store.h), sharing this
  // store's database, master key and audit log; nullptr for a store that holds none.
  // Owned by the store.
  virtual GalleryStore* galleries() { return nullptr; }

  // ---- Footage keys (footage/segment.h) ----
  // The deployment's footage key (32 bytes), created (and audited, "footage.key") on first
  // use while the deployment is planned or active. Stored only wrapped by the master key,
  // apart from the watchlist key: closing a deployment does not destroy it, so its footage
  // stays readable until retention deletes it. NotFound: no such deployment;
  // FailedPrecondition: closed and it never had one, or the key was already shredded.
  virtual Result<SecretBytes> FootageKey(int64_t deployment_id, const Actor& by) {
    return Status::FailedPrecondition("this store keeps no footage keys");
  }
  // Shreds the footage keys of deployments closed before cutoff_ms (all their footage is
  // past its limit by then), audited as "retention.footage_keys" with the count. Returns it.
  virtual Result<int64_t> PurgeFootageKeys(int64_t cutoff_ms, const Actor& by) { return int64_t{0}; }
};

}  // namespace lfr

#endif  // LFR_STORE_STORE_H_
