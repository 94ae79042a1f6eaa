// Running the live face pipeline (FaceAnalyzer: detect -> central face -> align -> quality
// -> embed) over a list of evaluation images, with the on-disk EmbeddingCache and a
// progress bar. This is the only place the harness touches pixels, so every number
// `lfr eval` reports is measured through the same code the live system runs.
//
// For each image the flip-averaged embedding comes from FaceAnalyzer::Analyze exactly as
// enrolment and `lfr compare` call it; the face-only embedding (for the flip on/off trial)
// is Embedder::Embed on the same aligned crop.
//
// Thread-safety: one FaceExtractor per thread of control; Run() itself uses `threads`
// worker threads, each with its own FaceAnalyzer, and sets cv::setNumThreads(1) while it
// runs (restoring the previous value), so N workers use N cores.
#ifndef LFR_EVAL_EXTRACT_H_
#define LFR_EVAL_EXTRACT_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "eval/embedding_cache.h"
#include "models/store.h"
#include "vision/detector.h"
#include "util/status.h"

namespace lfr::eval {

struct ExtractOptions {
  std::string detector_id;     // "" = the store's default
  std::string recogniser_id;   // "" = the store's default
  DetectorOptions detector;
  int threads = 1;             // worker threads (each owns a FaceAnalyzer)
  // Cache folder; nullopt = no cache.
  std::optional<std::filesystem::path> cache_dir;
  std::ostream* progress = nullptr;  // progress bar stream (stderr); nullptr = silent
};

struct ExtractStats {
  int64_t images = 0;
  int64_t cached = 0;      // served from the cache
  int64_t computed = 0;    // run through the pipeline now
  int64_t no_face = 0;     // images without a detected face
  double seconds = 0.0;    // wall time of Run()
};

class FaceExtractor {
 public:
  // Loads the models (one analyzer per thread) and opens the cache. NotFound if a model
  // is not installed; IOError if the cache cannot be opened.
  static Result<std::unique_ptr<FaceExtractor>> Create(const ModelStore& store,
                                                       const ExtractOptions& options);
  // The same from models already located (tests use the shared mirror); the ids in
  // options are ignored.
  static Result<std::unique_ptr<FaceExtractor>> Create(const InstalledModel& detector,
                                                       const InstalledModel& recogniser,
                                                       const ExtractOptions& options);
  ~FaceExtractor();

  // One ImageResult per path, in order. An unreadable image is an error (InvalidArgument
  // naming it): evaluation data is expected intact. A readable image without a face is a
  // result with found == false.
  Status Run(const std::vector<std::filesystem::path>& paths, const std::string& label,
             std::vector<ImageResult>* out, ExtractStats* stats);

  const std::string& detector_id() const { return detector_id_; }
  const std::string& recogniser_id() const { return recogniser_id_; }
  const std::string& recogniser_sha256() const { return recogniser_sha_; }
  // The cache configuration string (models, hashes, options).
  const std::string& config() const { return config_; }
  const EmbeddingCache* cache() const { return cache_.get(); }
  int dim() const { return dim_; }

 private:
  FaceExtractor() = default;
  Status Finish(const ExtractOptions& options);
  struct Worker;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<EmbeddingCache> cache_;
  std::string detector_id_, recogniser_id_, recogniser_sha_, config_;
  std::ostream* progress_ = nullptr;
  int dim_ = 0;
};

}  // namespace lfr::eval

#endif  // LFR_EVAL_EXTRACT_H_
