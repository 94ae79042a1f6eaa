// Retrospective facial recognition: one probe image (a doorbell or CCTV still, a frame of
// body-worn video) searched against a gallery (store/gallery_store.h) by an investigator
// under a case reference and a reason, giving a ranked list of candidates for trained
// reviewers. A candidate is an intelligence lead, never an identification.
//
// The probe:
//  * arrives as bytes (a file's contents or an upload) and is decoded in memory; it is never
//    written anywhere. The store's search record and the "search.run" audit row hold its
//    SHA-256 (of the bytes as given), who, when, the case, the reason, the gallery and the
//    candidate references — no image, no embedding. Decoded pixels, aligned crops and
//    embeddings are wiped from memory before Run returns.
//  * Bad input is refused before anything is recorded: more than kMaxProbeBytes, a header
//    declaring more than MaxImagePixels() pixels, not an image, no face (InvalidArgument
//    naming the problem); a blank case reference or reason (InvalidArgument); a face number
//    the probe does not have (InvalidArgument).
//  * Every face in it is listed (numbered 1.. by size, largest first) with its quality and,
//    in plain words, why a reviewer should not rely on it: fewer than kReliableInterEyePx
//    pixels between the eyes, a blurred face (sharpness below kReliableSharpness), or a head
//    turned more than kReliableYawDeg. The largest face is searched unless the request
//    names another. Several faces are not an error: the choice is reported.
//
// Candidates: cosine similarity of the searched face's embedding to the live records of the
// gallery, the `top` best in descending order (ties by smaller record id), from the gallery's
// index (search/gallery_index.h GalleryIndexes: exact below kDefaultExactBelow faces, the
// approximate RerankFaceIndex above, whose scores are exact and whose recall@20 is measured
// in docs/PERFORMANCE.md), brought up to date with the gallery before it is searched: a
// removed record is never a candidate. A tampered sealed index is refused (Corrupt).
//
// Ownership: the stores and the analyzer must outlive the service. Thread-safety: not
// thread-safe (the analyzer is not); one service per thread.
#ifndef LFR_SEARCH_RETROSPECTIVE_H_
#define LFR_SEARCH_RETROSPECTIVE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "search/gallery_index.h"
#include "store/gallery_store.h"
#include "vision/analyzer.h"

namespace lfr {

constexpr size_t kMaxProbeBytes = size_t{30} << 20;  // 30 MiB
constexpr int kMaxSearchTop = 200;
// Below these a reviewer should not rely on the probe (FRVT/ISO 19794-5 put a usable
// face at >= 60 px across, about 30 px between the eyes).
constexpr float kReliableInterEyePx = 30.0f;
constexpr float kReliableSharpness = 40.0f;
constexpr float kReliableYawDeg = 30.0f;

struct ProbeFace {
  int number = 0;                     // 1 = largest
  cv::Rect2f box;                     // in probe pixels
  QualityReport quality;
  std::vector<std::string> warnings;  // plain reasons not to rely on it; empty = fit
};

struct SearchRequest {
  std::string case_reference;
  std::string reason;
  int top = 20;                       // 1..kMaxSearchTop
  int face = 0;                       // 0 = the largest, else ProbeFace::number
};

struct SearchOutcome {
  std::vector<ProbeFace> faces;       // every face of the probe
  int searched = 0;                   // number of the face searched
  SearchRecord record;                // as stored (candidates, outcome)
};

// JSON forms (for `lfr search --json` and the HTTP API): a probe face {face, box, quality,
// fit_for_review, warnings, searched}, and a whole outcome: the search record
// (gallery/gallery_json.h SearchJson) with "faces" and "gallery_name".
nlohmann::json ProbeFaceJson(const ProbeFace& f, int searched);
nlohmann::json SearchOutcomeJson(const SearchOutcome& out, const Gallery& gallery);

// The plain-words reasons a reviewer should not rely on a face with this quality.
std::vector<std::string> ProbeWarnings(const QualityReport& q);

class RetrospectiveSearch {
 public:
  // indexes: the gallery indexes to search (kept by the caller: the server keeps them in
  // memory between searches, the CLI opens the sealed one for one search).
  RetrospectiveSearch(GalleryStore* store, search::GalleryIndexes* indexes, FaceAnalyzer* analyzer,
                      std::string recogniser_id)
      : store_(store), indexes_(indexes), analyzer_(analyzer), recogniser_id_(std::move(recogniser_id)) {}

  // Analyses the probe and searches the gallery, recording the search (see above).
  // FailedPrecondition for a deleted gallery; InvalidArgument for bad input (see above)
  // or a recogniser that is not the gallery's; Corrupt for a tampered sealed index.
  Result<SearchOutcome> Run(const std::string& probe_bytes, const Gallery& gallery, const SearchRequest& request,
                            const Actor& by);

 private:
  GalleryStore* store_;
  search::GalleryIndexes* indexes_;
  FaceAnalyzer* analyzer_;
  std::string recogniser_id_;
};

}  // namespace lfr

#endif  // LFR_SEARCH_RETROSPECTIVE_H_
