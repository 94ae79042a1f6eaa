// EmbeddingCache: what the face pipeline made of each evaluation image, kept on disk so a
// rerun of `lfr eval` over ~15,000 public test images takes seconds instead of minutes.
//
// This cache is for PUBLIC TEST DATA only (LFW, FairFace). It stores embeddings in the
// clear and must never be pointed at live or watchlist images: live face data lives only
// in the encrypted store and is wiped when not matched.
//
// One file per pipeline configuration: <dir>/<hex digest of the config>.lfrcache, where the
// config string names the detector and recogniser ids and their SHA-256 (from the
// catalogue, which Fetch/Verify enforce), the detector options and the record layout. An
// entry is keyed by the image's absolute path, size in bytes and modification time (ns);
// a changed file is simply a miss. Records are appended with a checksum; a torn or corrupt
// tail (crash mid-write) is ignored and overwritten on the next append. Record layout 2 adds
// the enrolment verdict, layout 3 the version of the enrolment rules that gave it
// (kEnrolmentRulesVersion): a verdict of other rules reads as unknown and is worked out
// again from detection alone. An older file is upgraded in place when opened (its
// embeddings kept), so a slow recogniser's cache survives a change of layout or rules.
//
// Thread-safety: all methods are safe to call concurrently (internal mutex). Two processes
// appending to the same file at once is not supported (entries may be lost, never mixed:
// the checksum rejects a damaged record).
#ifndef LFR_EVAL_EMBEDDING_CACHE_H_
#define LFR_EVAL_EMBEDDING_CACHE_H_

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "match/watchlist.h"
#include "util/status.h"

namespace lfr::eval {

// The pipeline's result for one image (its central face, if any).
struct ImageResult {
  bool found = false;          // a face was detected (false: a failure to enrol/extract)
  int32_t faces = 0;           // faces detected in the image
  float detector_score = 0.0f;
  float quality_score = 0.0f;  // QualityReport::score of the central face
  bool quality_passed = false; // the default quality gate
  // What the product's enrolment would say of this image (match/watchlist.h
  // PickEnrolmentFace: exactly one usable face, central, through the quality gate and its
  // landmark-geometry checks): enrolable, or the refusal ("face fails the quality gate: …").
  // enrol_known is false for results cached before the verdict was recorded (a layout-1
  // cache file) or under other enrolment rules: FaceExtractor then works it out again
  // (detection and quality only).
  bool enrolable = false;
  bool enrol_known = true;
  std::string enrol_refusal;
  std::vector<float> flip;     // unit embedding, face and mirror averaged (the live default)
  std::vector<float> plain;    // unit embedding of the face alone
};

class EmbeddingCache {
 public:
  // Opens or creates the cache file for `config` under dir (created if missing).
  // IOError if the folder or file cannot be created.
  static Result<std::unique_ptr<EmbeddingCache>> Open(const std::filesystem::path& dir,
                                                      const std::string& config);
  ~EmbeddingCache();

  // True and *out filled if the image (same absolute path, size and mtime) is cached.
  bool Lookup(const std::filesystem::path& image, ImageResult* out) const;
  // Appends an entry for the image's current size and mtime (written through to disk).
  Status Insert(const std::filesystem::path& image, const ImageResult& result);

  size_t size() const;
  const std::filesystem::path& file() const { return file_; }
  // Hex digest naming the file for a config string.
  static std::string ConfigDigest(const std::string& config);

 private:
  EmbeddingCache() = default;
  Status Load();
  struct Key {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
  };
  static bool Stat(const std::filesystem::path& p, std::string* abs, Key* key);
  std::string Header(int layout) const;
  static std::string Record(const std::string& abs, const Key& key, const ImageResult& r);

  std::filesystem::path file_;
  std::string config_;
  mutable std::mutex mu_;
  std::FILE* fp_ = nullptr;
  std::unordered_map<std::string, std::pair<Key, ImageResult>> entries_;
};

}  // namespace lfr::eval

#endif  // LFR_EVAL_EMBEDDING_CACHE_H_
