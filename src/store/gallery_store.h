// GalleryStore: what the store keeps for retrospective facial recognition (issue 10) — the
// persistent reference galleries (e.g. custody images), their records, the searches run
// against them and the reviewers' decisions. Separate from deployments and their
// watchlists: a gallery has its own legal basis and owner, outlives any deployment, and is
// searched by an investigator under a case reference, never watched live.
//
// Safeguards that are properties of the store (as for watchlists, store/store.h):
//  * Face data is sealed before it is written: each record's image and embedding are
//    sealed (privacy/crypto.h) under the gallery's own data key, stored only wrapped by the
//    master key. Removing a record deletes its sealed face data at once (its reference,
//    dates and who removed it and why stay on record); deleting a gallery deletes its
//    wrapped key and every record's face data in one transaction (crypto-shredding), then
//    checkpoints the WAL.
//  * Imports are staged: records added under an import are invisible (not listed, not
//    searched, not counted) until CommitGalleryImport makes all of them live in one
//    transaction. An import that fails or is killed leaves nothing live; its staged rows
//    (face data included) are deleted by AbortGalleryImport or by the next
//    BeginGalleryImport on that gallery. One import per gallery at a time: beginning a new
//    import abandons an open one (its commit then fails with FailedPrecondition).
//  * Every import (commit and abort), removal, deletion and view of face data or of a
//    gallery's record list appends an audit row in the same transaction.
//  * A search's probe image is never passed to the store: a search record holds the probe's
//    SHA-256, who, when, case reference, reason, gallery, the probe's quality and the ranked
//    candidates (record ids, references, scores) — no image, no embedding.
//
// Review: each candidate of a search is reviewed ("possible" or "excluded") by as many
// distinct reviewers as the gallery's policy asks (reviewers_required, 1 or 2). A candidate
// is "possible" once that many reviewers called it possible, "excluded" once that many
// reviewed it and at least one excluded it, else "pending". The search's outcome is
// "possible match - intelligence only" once any candidate is possible, "no candidate" when
// every candidate is excluded (or there were none), else "pending review". A result is an
// intelligence lead, never an identification.
//
// Retention: search records (candidates and reviews included) older than their gallery's
// search_retention_days are deleted by PurgeSearchRecords; the audit rows stay.
//
// Errors as in store/store.h (NotFound, FailedPrecondition, InvalidArgument, IOError,
// Corrupt); every method is atomic. Times are UTC ms. Thread-safety: all methods may be
// called from several threads (the implementation serialises them).
#ifndef LFR_STORE_GALLERY_STORE_H_
#define LFR_STORE_GALLERY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "privacy/crypto.h"
#include "store/store.h"
#include "util/status.h"

namespace lfr {

// What the gallery's owner fills in.
struct GallerySpec {
  std::string name;                 // unique, e.g. "custody-images"
  std::string purpose;              // why the gallery is searched
  std::string legal_basis;          // e.g. "PACE s.64A; MoPI APP"
  std::string owner;                // the accountable officer or unit
  int review_days = 6 * 365;        // a record's review date: capture (or import) + this
  int reviewers_required = 1;       // 1, or 2 for a second, independent reviewer
  int search_retention_days = 365;  // search records kept this long
};

struct Gallery {
  int64_t id = 0;
  GallerySpec spec;
  std::string recogniser_id;        // the model the embeddings belong to
  int64_t created_ms = 0;
  std::string created_by;
  bool deleted = false;             // face data and key destroyed
  int64_t deleted_ms = 0;
  std::string deleted_by;
  int64_t records = 0;              // live (committed, not removed) records
  int64_t index_version = 0;        // bumped by every import commit and record removal
};

struct GalleryRecord {
  int64_t id = 0;
  int64_t gallery_id = 0;
  std::string reference;            // force record reference, unique among live records
  std::string capture_date;         // "YYYY-MM-DD" or ""
  std::string source;               // e.g. "custody suite CF1"
  std::string added_by;
  int64_t added_ms = 0;
  int64_t review_due_ms = 0;        // when continued retention must be reviewed
  float quality = 0;                // enrolment quality score (vision/quality.h)
  std::string quality_notes;
  std::optional<int64_t> duplicate_of;  // a live record whose face this one resembles
  float duplicate_score = 0;
  bool removed = false;             // face data deleted, metadata kept
  int64_t removed_ms = 0;
  std::string removed_by;
  std::string removal_reason;
};

struct GalleryRecordInput {
  GalleryRecord meta;               // reference, capture_date, source, review_due_ms (0 =
                                    // computed from the gallery's review_days), quality*,
                                    // duplicate_*; the rest is ignored
  std::vector<float> embedding;     // unit norm
  std::vector<uint8_t> image_jpeg;  // the reference image (re-encoded JPEG)
};

struct GalleryEmbedding {
  int64_t record_id = 0;
  std::string reference;
  SecretBytes embedding;            // dim * sizeof(float)
};

enum class ReviewDecision { kPossible, kExcluded };
const char* ReviewDecisionName(ReviewDecision d);  // "possible", "excluded"
bool ParseReviewDecision(const std::string& text, ReviewDecision* d);

struct SearchCandidate {
  int rank = 0;                     // 1 = best
  int64_t record_id = 0;
  std::string reference;
  float score = 0;                  // cosine similarity
  std::string status;               // "pending", "possible", "excluded" (read only)
};

struct SearchReview {
  int rank = 0;
  std::string reviewer;
  ReviewDecision decision = ReviewDecision::kExcluded;
  std::string note;
  int64_t time_ms = 0;
};

constexpr const char* kOutcomePending = "pending review";
constexpr const char* kOutcomePossible = "possible match - intelligence only";
constexpr const char* kOutcomeNone = "no candidate";

struct SearchRecord {
  int64_t id = 0;
  int64_t gallery_id = 0;
  int64_t time_ms = 0;
  std::string searched_by;
  std::string case_reference;
  std::string reason;
  std::string probe_sha256;         // hex of the probe file's bytes; the probe is not kept
  int faces_found = 0;              // faces in the probe
  int face_searched = 0;            // which (1-based, largest first)
  float probe_quality = 0;
  std::string probe_warnings;       // "; "-separated, "" if the probe is fit to rely on
  std::vector<SearchCandidate> candidates;  // by rank
  std::vector<SearchReview> reviews;        // oldest first
  std::string outcome;              // kOutcome*
};

struct SearchInput {
  int64_t gallery_id = 0;
  std::string case_reference, reason, probe_sha256;
  int faces_found = 0, face_searched = 0;
  float probe_quality = 0;
  std::string probe_warnings;
  std::vector<SearchCandidate> candidates;  // rank, record_id, reference, score
};

class GalleryStore {
 public:
  virtual ~GalleryStore() = default;

  // InvalidArgument for a missing name/purpose/legal basis/owner, review_days or
  // search_retention_days outside 1..36500, reviewers_required not 1 or 2;
  // FailedPrecondition if the name is taken.
  virtual Result<Gallery> CreateGallery(const GallerySpec& spec, const std::string& recogniser_id,
                                        const Actor& by) = 0;
  // By numeric id or name (deleted galleries too).
  virtual Result<Gallery> FindGallery(const std::string& id_or_name) = 0;
  virtual Result<std::vector<Gallery>> ListGalleries() = 0;
  // Shreds the gallery (see above). FailedPrecondition if already deleted.
  virtual Status DeleteGallery(int64_t gallery_id, const Actor& by) = 0;

  // Staged import (see above). Begin: FailedPrecondition for a deleted gallery; returns
  // the import id. Stage: InvalidArgument for a blank or live-duplicate reference (also
  // within the import), a bad capture date, an empty image, an embedding that is not unit
  // norm or of another dimension than the gallery's; FailedPrecondition if the import is
  // not open. Commit: makes the staged records live, audited "gallery.import" with the
  // counts and extra (a JSON object: source, rejected, ...); returns how many went live.
  virtual Result<int64_t> BeginGalleryImport(int64_t gallery_id, const Actor& by) = 0;
  virtual Result<GalleryRecord> StageGalleryRecord(int64_t import_id, const GalleryRecordInput& input,
                                                   const Actor& by) = 0;
  virtual Result<int64_t> CommitGalleryImport(int64_t import_id, const std::string& extra_json,
                                              const Actor& by) = 0;
  virtual Status AbortGalleryImport(int64_t import_id, const Actor& by) = 0;

  // Live records' metadata (removed ones too with include_removed); audited "gallery.view".
  virtual Result<std::vector<GalleryRecord>> ListGalleryRecords(int64_t gallery_id, bool include_removed,
                                                                const Actor& by) = 0;
  virtual Result<GalleryRecord> GetGalleryRecord(int64_t record_id) = 0;
  // The record's image (audited "gallery.view_image"). NotFound once removed or shredded.
  virtual Result<SecretBytes> GetGalleryRecordImage(int64_t record_id, const Actor& by) = 0;
  // Opened embeddings of the live records, for searching (audited "gallery.load").
  virtual Result<std::vector<GalleryEmbedding>> LoadGalleryEmbeddings(int64_t gallery_id,
                                                                       const Actor& by) = 0;
  // The ids of the live records (no face data is opened; not audited), ascending.
  virtual Result<std::vector<int64_t>> ListGalleryRecordIds(int64_t gallery_id) = 0;
  // The key that seals the gallery's search index (search/gallery_index.h): a subkey derived
  // from the gallery's data key (crypto_kdf), so the index key opens no image or record.
  // FailedPrecondition once the gallery is deleted (the key was destroyed with it).
  virtual Result<SecretBytes> GalleryIndexKey(int64_t gallery_id) = 0;
  // Deletes the record's face data now; keeps its metadata with who, when and why.
  // InvalidArgument for a blank reason; FailedPrecondition if already removed.
  virtual Status RemoveGalleryRecord(int64_t record_id, const std::string& reason, const Actor& by) = 0;
  // Live records whose review date is before now_ms (one gallery or all), oldest due first.
  virtual Result<std::vector<GalleryRecord>> ListDueGalleryRecords(std::optional<int64_t> gallery_id,
                                                                   int64_t now_ms) = 0;

  // Searches. Record: InvalidArgument for a blank case reference or reason, a probe hash
  // that is not 64 hex characters, candidates of another gallery; FailedPrecondition for a
  // deleted gallery. Audited "search.run" with the hash, case, reason, gallery and the
  // candidate references.
  virtual Result<SearchRecord> RecordSearch(const SearchInput& input, const Actor& by) = 0;
  virtual Result<SearchRecord> GetSearch(int64_t search_id) = 0;
  // Newest first.
  virtual Result<std::vector<SearchRecord>> ListSearches(std::optional<int64_t> gallery_id, int limit) = 0;
  // One reviewer's decision on candidate `rank` (audited "search.review"). InvalidArgument
  // for an unknown rank; FailedPrecondition if this reviewer already reviewed that
  // candidate or it already has the reviews the policy asks for.
  virtual Result<SearchRecord> ReviewSearchCandidate(int64_t search_id, int rank, ReviewDecision decision,
                                                     const std::string& note, const Actor& by) = 0;
  // Deletes search records older than their gallery's retention (audited with the count
  // when any); returns how many.
  virtual Result<int64_t> PurgeSearchRecords(int64_t now_ms, const Actor& by) = 0;
};

}  // namespace lfr

#endif  // LFR_STORE_GALLERY_STORE_H_
