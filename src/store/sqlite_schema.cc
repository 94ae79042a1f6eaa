#include "store/sqlite_schema.h"

namespace lfr::sqlite {

namespace {

// Version 1. Face data lives only in sealed BLOB columns (display_name, entry_faces.*,
// alert_media.*); everything else is the deployment's record. The audit table refuses
// UPDATE and DELETE (the hash chain detects what the triggers cannot prevent).
constexpr const char* kV1 = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
CREATE TABLE deployments(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  site TEXT NOT NULL,
  location TEXT NOT NULL,
  planned_start_ms INTEGER NOT NULL,
  planned_end_ms INTEGER NOT NULL,
  purpose TEXT NOT NULL,
  legal_basis TEXT NOT NULL,
  authorising_officer TEXT NOT NULL,
  threshold TEXT NOT NULL,
  watchlist_cap INTEGER NOT NULL,
  contact TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('planned', 'active', 'closed')),
  recogniser_id TEXT NOT NULL,
  embedding_dim INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  started_ms INTEGER NOT NULL DEFAULT 0,
  closed_ms INTEGER NOT NULL DEFAULT 0,
  closed_by TEXT NOT NULL DEFAULT '',
  notice_text TEXT NOT NULL DEFAULT '',
  notice_published_ms INTEGER NOT NULL DEFAULT 0,
  wrapped_dek BLOB  -- NULL once closed: the deployment's face data can never be opened again
);
CREATE TABLE cameras(
  id INTEGER PRIMARY KEY,
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  name TEXT NOT NULL,
  uri TEXT NOT NULL,
  position TEXT NOT NULL DEFAULT '',
  record_footage INTEGER NOT NULL DEFAULT 0,
  UNIQUE (deployment_id, name)
);
CREATE TABLE watchlist_entries(
  id INTEGER PRIMARY KEY,
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  reference TEXT NOT NULL,
  display_name BLOB,  -- sealed
  category TEXT NOT NULL,
  reason TEXT NOT NULL,
  image_source TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_ms INTEGER NOT NULL,
  quality REAL NOT NULL,
  quality_notes TEXT NOT NULL,
  duplicate_of INTEGER REFERENCES watchlist_entries(id),
  duplicate_score REAL NOT NULL DEFAULT 0,
  removed INTEGER NOT NULL DEFAULT 0,
  removed_ms INTEGER NOT NULL DEFAULT 0,
  removed_by TEXT NOT NULL DEFAULT '',
  shredded INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX watchlist_live_reference ON watchlist_entries(deployment_id, reference)
  WHERE removed = 0;
CREATE TABLE entry_faces(
  entry_id INTEGER PRIMARY KEY REFERENCES watchlist_entries(id),
  embedding BLOB NOT NULL,  -- sealed
  image BLOB NOT NULL       -- sealed
);
CREATE TABLE alerts(
  id INTEGER PRIMARY KEY,
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  camera TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  entry_id INTEGER REFERENCES watchlist_entries(id),
  subject_reference TEXT NOT NULL DEFAULT '',
  track_id INTEGER NOT NULL,
  score REAL NOT NULL,
  fused_score REAL NOT NULL,
  threshold REAL NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  outcome TEXT NOT NULL DEFAULT 'none',
  note TEXT NOT NULL DEFAULT '',
  decided_by TEXT NOT NULL DEFAULT '',
  decided_ms INTEGER NOT NULL DEFAULT 0,
  media_purged INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_by_deployment ON alerts(deployment_id, id);
CREATE INDEX alerts_unpurged_by_time ON alerts(time_ms) WHERE media_purged = 0;
CREATE TABLE alert_media(
  alert_id INTEGER PRIMARY KEY REFERENCES alerts(id),
  crop BLOB NOT NULL,  -- sealed
  thumbnail BLOB       -- sealed
);
CREATE TABLE faces_seen(
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  camera TEXT NOT NULL,
  minute_ms INTEGER NOT NULL,
  faces INTEGER NOT NULL,
  PRIMARY KEY (deployment_id, camera, minute_ms)
) WITHOUT ROWID;
CREATE TABLE users(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);
CREATE TABLE audit(
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// Version 2 (issue 13, "deployments keep their promises to the public"):
//  * notice_revisions: every advance notice exactly as published, with its time and who
//    published it. Rows can be neither changed nor deleted: a change to the deployment is a
//    new revision. A database's existing published notice becomes revision 1.
//  * deployments.start_override_reason / start_overridden: why a supervisor started a
//    deployment outside its planned window or without a published notice, and which of
//    those rules the override set aside ("" when it started by the rules).
//  * deployments.public_details_changed_ms: when a detail the notice states (name, place,
//    times, purpose, legal basis, authorising officer, contact) last changed; a notice
//    published before that no longer describes the deployment.
constexpr const char* kV2 = R"sql(
CREATE TABLE notice_revisions(
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  revision INTEGER NOT NULL,
  text TEXT NOT NULL,
  published_ms INTEGER NOT NULL,
  published_by TEXT NOT NULL,
  PRIMARY KEY (deployment_id, revision)
) WITHOUT ROWID;
INSERT INTO notice_revisions(deployment_id, revision, text, published_ms, published_by)
  SELECT id, 1, notice_text, notice_published_ms, '' FROM deployments WHERE notice_published_ms != 0;
CREATE TRIGGER notice_revisions_immutable_update BEFORE UPDATE ON notice_revisions
  BEGIN SELECT RAISE(ABORT, 'a published notice is immutable: publish a new revision'); END;
CREATE TRIGGER notice_revisions_immutable_delete BEFORE DELETE ON notice_revisions
  BEGIN SELECT RAISE(ABORT, 'a published notice is immutable: publish a new revision'); END;
ALTER TABLE deployments ADD COLUMN start_override_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN start_overridden TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN public_details_changed_ms INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 3. Corrections of alert decisions: a decided alert is changed only by a
// correction with a reason, and each correction keeps the decision it replaced, so the
// original decision stays on record. Append-only, like the audit table.
constexpr const char* kV3 = R"sql(
CREATE TABLE alert_corrections(
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL REFERENCES alerts(id),
  time_ms INTEGER NOT NULL,
  corrected_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  previous_state TEXT NOT NULL,
  previous_outcome TEXT NOT NULL,
  previous_decided_by TEXT NOT NULL,
  previous_decided_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  outcome TEXT NOT NULL
);
CREATE INDEX alert_corrections_by_alert ON alert_corrections(alert_id, id);
CREATE TRIGGER alert_corrections_append_only_update BEFORE UPDATE ON alert_corrections
  BEGIN SELECT RAISE(ABORT, 'alert corrections are append-only'); END;
CREATE TRIGGER alert_corrections_append_only_delete BEFORE DELETE ON alert_corrections
  BEGIN SELECT RAISE(ABORT, 'alert corrections are append-only'); END;
)sql";

// v4: a correction's reason is free text about an encounter with a person, so it is erased
// with the alert's other personal data (media, note) when the alert is purged; everything
// else about a correction stays append-only. The audit row keeps the reason's SHA-256.
constexpr const char* kV4 = R"sql(
DROP TRIGGER alert_corrections_append_only_update;
CREATE TRIGGER alert_corrections_append_only_update BEFORE UPDATE ON alert_corrections
  WHEN NOT (NEW.reason = '' AND NEW.id IS OLD.id AND NEW.alert_id IS OLD.alert_id AND NEW.time_ms IS OLD.time_ms
            AND NEW.corrected_by IS OLD.corrected_by AND NEW.previous_state IS OLD.previous_state
            AND NEW.previous_outcome IS OLD.previous_outcome AND NEW.previous_decided_by IS OLD.previous_decided_by
            AND NEW.previous_decided_ms IS OLD.previous_decided_ms AND NEW.state IS OLD.state
            AND NEW.outcome IS OLD.outcome)
  BEGIN SELECT RAISE(ABORT, 'alert corrections are append-only (only their reason is erased, with the alert data)'); END;
)sql";

// Version 5 (issue 10, retrospective facial recognition). Reference galleries, separate
// from deployments: each with its own wrapped data key (NULL once deleted), records whose
// image and embedding are sealed in gallery_faces (deleted on removal), staged imports
// (records of an import that is not committed are invisible and deleted on abort), and the
// searches run against a gallery: the probe's SHA-256 and quality, never its image; the
// ranked candidates and the reviewers' decisions.
constexpr const char* kV5 = R"sql(
CREATE TABLE galleries(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  purpose TEXT NOT NULL,
  legal_basis TEXT NOT NULL,
  owner TEXT NOT NULL,
  review_days INTEGER NOT NULL,
  reviewers_required INTEGER NOT NULL CHECK (reviewers_required IN (1, 2)),
  search_retention_days INTEGER NOT NULL,
  recogniser_id TEXT NOT NULL,
  embedding_dim INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  deleted_ms INTEGER NOT NULL DEFAULT 0,
  deleted_by TEXT NOT NULL DEFAULT '',
  wrapped_dek BLOB
);
CREATE TABLE gallery_imports(
  id INTEGER PRIMARY KEY,
  gallery_id INTEGER NOT NULL REFERENCES galleries(id),
  started_ms INTEGER NOT NULL,
  started_by TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'committed', 'aborted'))
);
CREATE TABLE gallery_records(
  id INTEGER PRIMARY KEY,
  gallery_id INTEGER NOT NULL REFERENCES galleries(id),
  import_id INTEGER NOT NULL REFERENCES gallery_imports(id),
  staged INTEGER NOT NULL DEFAULT 1,
  reference TEXT NOT NULL,
  capture_date TEXT NOT NULL,
  source TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_ms INTEGER NOT NULL,
  review_due_ms INTEGER NOT NULL,
  quality REAL NOT NULL,
  quality_notes TEXT NOT NULL,
  duplicate_of INTEGER REFERENCES gallery_records(id),
  duplicate_score REAL NOT NULL DEFAULT 0,
  removed INTEGER NOT NULL DEFAULT 0,
  removed_ms INTEGER NOT NULL DEFAULT 0,
  removed_by TEXT NOT NULL DEFAULT '',
  removal_reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX gallery_live_reference ON gallery_records(gallery_id, reference) WHERE removed = 0;
CREATE INDEX gallery_records_due ON gallery_records(review_due_ms) WHERE removed = 0 AND staged = 0;
CREATE INDEX gallery_records_by_import ON gallery_records(import_id);
CREATE TABLE gallery_faces(
  record_id INTEGER PRIMARY KEY REFERENCES gallery_records(id),
  embedding BLOB NOT NULL,  -- sealed
  image BLOB NOT NULL       -- sealed
);
CREATE TABLE searches(
  id INTEGER PRIMARY KEY,
  gallery_id INTEGER NOT NULL REFERENCES galleries(id),
  time_ms INTEGER NOT NULL,
  searched_by TEXT NOT NULL,
  case_reference TEXT NOT NULL,
  reason TEXT NOT NULL,
  probe_sha256 TEXT NOT NULL,
  faces_found INTEGER NOT NULL,
  face_searched INTEGER NOT NULL,
  probe_quality REAL NOT NULL,
  probe_warnings TEXT NOT NULL
);
CREATE INDEX searches_by_time ON searches(time_ms);
CREATE TABLE search_candidates(
  search_id INTEGER NOT NULL REFERENCES searches(id),
  rank INTEGER NOT NULL,
  record_id INTEGER NOT NULL REFERENCES gallery_records(id),
  reference TEXT NOT NULL,
  score REAL NOT NULL,
  PRIMARY KEY (search_id, rank)
) WITHOUT ROWID;
CREATE TABLE search_reviews(
  id INTEGER PRIMARY KEY,
  search_id INTEGER NOT NULL REFERENCES searches(id),
  rank INTEGER NOT NULL,
  reviewer TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('possible', 'excluded')),
  note TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  UNIQUE (search_id, rank, reviewer)
);
)sql";

// Version 6. Recorded footage (issue 12): each deployment's footage key, wrapped by the
// master key (label "footage:ID"). Kept apart from deployments.wrapped_dek because closing
// a deployment shreds its watchlist key at once while its footage lives until its own
// limit; retention deletes the row once the deployment has been closed longer than that.
constexpr const char* kV6 = R"sql(
CREATE TABLE footage_keys(
  deployment_id INTEGER PRIMARY KEY REFERENCES deployments(id),
  wrapped_key BLOB NOT NULL,
  created_ms INTEGER NOT NULL
);
)sql";

// Version 7. The gallery's index version (issue 10): bumped in the same transaction as every
// change to the gallery's live records (import commit, record removal), so a gallery's
// sealed search index (search/gallery_index.h), which records the version it reflects, is
// known to be current or stale without reading the records.
constexpr const char* kV7 = R"sql(
ALTER TABLE galleries ADD COLUMN index_version INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 8. The fleet's edge nodes (issue 11): registered by a supervisor with the public
// key the node made (`lfr node init`); a revoked node keeps its row (the audit log names it).
constexpr const char* kV8 = R"sql(
CREATE TABLE nodes(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  public_key BLOB NOT NULL,
  registered_by TEXT NOT NULL,
  registered_ms INTEGER NOT NULL,
  revoked_ms INTEGER NOT NULL DEFAULT 0
);
)sql";

constexpr Migration kMigrations[] = {{1, kV1}, {2, kV2}, {3, kV3}, {4, kV4}, {5, kV5}, {6, kV6}, {7, kV7}, {8, kV8}};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

}  // namespace lfr::sqlite
