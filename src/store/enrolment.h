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
};

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
  Result<EnrolmentOutcome> Enrol(const std::filesystem::path& image, const WatchlistEntry& meta,
                                 bool allow_duplicate = false);
  // The same for a decoded 8-bit BGR image (e.g. an upload). The image is not wiped.
  Result<EnrolmentOutcome> EnrolImage(const cv::Mat& image, const WatchlistEntry& meta,
                                      bool allow_duplicate = false);

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
  std::vector<AnalyzedFace> faces_;    // reused
};

}  // namespace lfr

#endif  // LFR_STORE_ENROLMENT_H_
