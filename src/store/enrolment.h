// Enrolling people into a deployment's watchlist in the store: one image and its metadata
// at a time, with the same face rules as every enrolment (match/watchlist.h
// PickEnrolmentFace: exactly one usable face that passes the quality gate), a
// possible-duplicate check against the deployment's other entries, and the image re-encoded
// (metadata stripped, long side <= 1024 px) before the store seals it.
//
// Duplicate check: the new face's cosine similarity to every current entry with a
// different reference; at or above duplicate_threshold (the recogniser card's verification
// threshold) the entry is still stored, with duplicate_of/duplicate_score and a warning, so
// a supervisor can see that one face is on the list under two references. At or above
// kExactDuplicateSimilarity — the same photo, or a re-encoded copy of it — the entry is
// refused (exact_duplicate_of set, nothing stored) unless the caller confirms it
// (allow_duplicate): two entries of one face raise two alerts for one person.
//
// Hub check (match/cohort.h), when a HubPolicy is set (the CLI and the API always set one):
// each new entry is scored against the background cohort of the deployment's recogniser at
// the deployment's threshold for the list's size with it. An entry the forecast's rule flags
// as a hub is refused (outcome.hub_check->refused, nothing stored) unless the caller accepts
// it with a reason: then it is stored with the acceptance in its quality notes and a
// watchlist.accept_hub audit row (who, why, the forecast). With no cohort installed the
// entry is enrolled unchecked and hub_check says so (not_checked): the caller must show it.
//
// The enroller keeps the deployment's embeddings opened in memory (locked, wiped on
// destruction) for the duplicate check, loading them once (one audited watchlist.load).
//
// Ownership: store and analyzer must outlive the enroller. Thread-safety: not thread-safe
// (the analyzer is not); one enroller per thread.
#ifndef LFR_STORE_ENROLMENT_H_
#define LFR_STORE_ENROLMENT_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "match/cohort.h"
#include "match/watchlist.h"
#include "store/store.h"
#include "vision/analyzer.h"

namespace lfr {

// Cosine similarity at which a new face counts as the same image as an entry's: the same
// photo scores 1.000, a resized or re-compressed copy above 0.99, two different photos of
// one person well below 0.9 with the catalogue's recognisers.
constexpr float kExactDuplicateSimilarity = 0.98f;

struct EnrolmentOutcome {
  std::optional<WatchlistEntry> entry;  // the stored entry, when enrolled
  std::string rejection;                // why not, when not enrolled
  std::vector<std::string> warnings;    // e.g. a possible duplicate
  // Set (with a rejection) when refused as an exact duplicate of this entry.
  std::optional<int64_t> exact_duplicate_of;
  // The hub check's verdict, when the enroller has a HubPolicy and the face got that far.
  std::optional<HubVerdict> hub_check;
};

// What an enroller checks hubs against.
struct HubPolicy {
  std::shared_ptr<const BackgroundCohort> cohort;  // null: none installed (entries unchecked)
  std::string missing;         // why there is none, shown as HubVerdict::not_checked
  std::string threshold;       // the deployment's threshold: a score or "fpir:…"
  std::string recogniser_id;   // resolves an fpir: threshold for the list's size
  ForecastOptions options;
};

// The policy for a deployment: its recogniser's cohort from $LFR_HOME/cohort (lfr_home),
// or none with the reason (not built, another recogniser's, damaged).
HubPolicy HubPolicyFor(const Deployment& deployment, const std::filesystem::path& lfr_home);

class WatchlistEnroller {
 public:
  // FailedPrecondition if the deployment is closed; InvalidArgument if its stored
  // embeddings do not have the analyzer's dimension (another recogniser).
  static Result<std::unique_ptr<WatchlistEnroller>> Create(Store* store, int64_t deployment_id,
                                                           FaceAnalyzer* analyzer,
                                                           float duplicate_threshold,
                                                           const Actor& by,
                                                           const EnrolOptions& options = {});

  // Enrols one image with meta (reference, display_name, category, reason, image_source;
  // deployment_id is set here). Problems with this image or entry — unreadable file, no
  // face or several, failed quality gate, duplicate reference, missing field — come back as
  // an outcome with a rejection. Errors that stop an import — deployment closed or full,
  // disk full, a model failure — are returned as a Status.
  // An exact duplicate of another reference's entry is a rejection unless allow_duplicate.
  // A forecast hub is a rejection unless accept_hub_reason is non-blank (at most 2,000
  // characters; InvalidArgument otherwise).
  Result<EnrolmentOutcome> Enrol(const std::filesystem::path& image, const WatchlistEntry& meta,
                                 bool allow_duplicate = false, const std::string& accept_hub_reason = "");
  // The same for a decoded 8-bit BGR image (e.g. an upload). The image is not wiped.
  Result<EnrolmentOutcome> EnrolImage(const cv::Mat& image, const WatchlistEntry& meta,
                                      bool allow_duplicate = false, const std::string& accept_hub_reason = "");

  // Checks every later enrolment for hubs (see above). InvalidArgument if the cohort's
  // dimension is not the deployment's embeddings'.
  Status SetHubPolicy(HubPolicy policy);
  // "" while hubs are checked; else why not (no policy set, or the policy's `missing`).
  std::string HubCheckMissing() const;

  int64_t deployment_id() const { return deployment_id_; }

 private:
  WatchlistEnroller(Store* store, int64_t deployment_id, FaceAnalyzer* analyzer, float threshold,
                    Actor by, EnrolOptions options)
      : store_(store), deployment_id_(deployment_id), analyzer_(analyzer),
        duplicate_threshold_(threshold), by_(std::move(by)), options_(options) {}

  Store* store_;
  int64_t deployment_id_;
  FaceAnalyzer* analyzer_;
  float duplicate_threshold_;
  Actor by_;
  EnrolOptions options_;
  std::vector<EntryEmbedding> known_;  // current entries, for the duplicate check
  std::optional<HubPolicy> hub_policy_;
  std::unique_ptr<HubCheck> hub_;      // with a cohort: the current entries' similarities
  std::vector<AnalyzedFace> faces_;    // reused
};

}  // namespace lfr

#endif  // LFR_STORE_ENROLMENT_H_
