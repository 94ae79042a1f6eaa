// Open-set 1:N identification on LFW (+ FairFace), the live facial recognition question:
// "is this passer-by on the watchlist, and if so who?"
//
// Protocol (all sampling from one seed; std::mt19937_64 and std::shuffle, so the same
// seed gives the same sets on the same standard library):
//   * Mated people: those with >= min_images LFW images, shuffled once; a watchlist of
//     size N takes the first min(N, eligible) of them (so smaller watchlists are subsets
//     of larger ones). Each person's images are shuffled; the first `reserve` are
//     enrolment candidates (the first `enrol_images` of those with a detected face are
//     enrolled, embeddings averaged and re-normalised), images from `reserve` on are
//     mated probes, capped at max_probes_per_person.
//   * Filler: if N exceeds the eligible people, the remaining places are filled with LFW
//     people not otherwise enrolled (seeded order, first image with a face). They have no
//     mated probes and are removed from the non-mated pool.
//   * Non-mated probes: every LFW person not enrolled (up to max_probes_per_person images
//     each, including the single-image people) plus every FairFace image (each a
//     different person).
//   * Enrolment rules (enrolment_rules, on by default): an enrolment image is used only if
//     the product would enrol it (ImageResult::enrolable: one usable face, central, through
//     the quality gate and its landmark checks), as `lfr watchlist add` would; a refused
//     image is counted with its reason, and a person with no enrolable reserved image is a
//     failure to enrol. Filler people are enrolled from their first enrolable image.
//   * A probe with no detected face (or failing the quality gate when quality_gate is
//     on) is not searched: a miss if mated, never a false positive if non-mated; both are
//     counted and reported.
// Scoring is rank 1 (see eval/metrics.h): hit = mate ranked first with score >= t.
//
// Pure computation on embeddings already extracted; thread-compatible.
#ifndef LFR_EVAL_IDENTIFY_H_
#define LFR_EVAL_IDENTIFY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/embedding_cache.h"
#include "eval/metrics.h"

namespace lfr::eval {

// One image with its pipeline result.
struct EvalImage {
  std::string path;
  ImageResult result;
};
// An identity of the evaluation set: an LFW person or a FairFace image.
struct EvalIdentity {
  std::string name;
  std::string source;            // "lfw" or "fairface"
  std::string sex;               // LFW: "M", "F", "unknown"; FairFace: "Male"/"Female"
  std::string group;             // FairFace "race gender"; "" for LFW
  std::vector<EvalImage> images; // LFW: in image-number order
};

struct IdentifyOptions {
  std::vector<int> watchlist_sizes = {100, 1000, 5000};
  uint64_t seed = 1;
  int max_probes_per_person = 10;
  int min_images = 2;       // LFW people eligible as mated watchlist entries
  int enrol_images = 1;     // images averaged into one enrolment
  int reserve = 1;          // images reserved for enrolment before the probes start
  bool flip = true;         // use the flip-averaged embeddings (the live default)
  bool quality_gate = false;  // probes failing the default quality gate are not searched
  bool enrolment_rules = true;  // enrol only images the product would enrol (see above)
  std::vector<double> target_fpirs = {1e-2, 1e-3};
  int det_points = 400;
};

struct GroupRate {
  std::string group;
  Rate rate;
  bool resolvable = true;   // enough searches to resolve the reference rate
  std::string note;         // plain statement when not resolvable
};
struct OperatingPoint {
  std::string name;         // "1e-2", "1e-3", "min"
  double target_fpir = 0.0;
  ThresholdChoice choice;   // threshold and achieved FPIR
  Rate fnir;
  std::vector<GroupRate> fnir_by_sex;          // mated searches, LFW sex labels
  std::vector<GroupRate> fpir_by_group;        // FairFace race x gender, non-mated
  std::vector<GroupRate> fpir_by_sex_lfw;      // LFW non-mated probes by sex
  double fnir_sex_max_min = 0.0;               // 0 = undefined (a zero rate)
  double fpir_group_max_min = 0.0;
};
struct SizeResult {
  int watchlist_size = 0;
  int mated_people = 0;
  int filler = 0;
  int failures_to_enrol = 0;    // watchlist people with no enrollable image
  // Enrolment images (mated people's reserved images tried, filler images tried) that had
  // a face but that the product's enrolment rules refuse, and the count per kind of reason
  // ("face fails the quality gate: turned", "2 faces found", ...). Zero with the rules off.
  int64_t enrolment_refused = 0;
  std::map<std::string, int64_t> enrolment_refusals;
  int64_t mated_searches = 0;
  int64_t nonmated_searches = 0;
  int64_t mated_not_searched = 0;     // no face (or quality gate)
  int64_t nonmated_not_searched = 0;
  int64_t nonmated_fairface = 0;
  Rate rank1;
  std::vector<OperatingPoint> points;
  std::vector<DetPoint> det;
  std::vector<float> nonmated_top;    // top score per non-mated search (for calibration)
};

// Runs the protocol for every watchlist size. `identities` must hold the LFW people (in a
// stable order, e.g. by name) and the FairFace images. InvalidArgument for sizes < 1 or
// bad options.
Result<std::vector<SizeResult>> RunIdentification(const std::vector<EvalIdentity>& identities,
                                                  const IdentifyOptions& options);

nlohmann::json SizeResultToJson(const SizeResult& r);
// The kind of an enrolment refusal (PickEnrolmentFace's reason) for tallies: "face fails the
// quality gate: turned", "... implausible landmarks", "... small face (eyes too close)",
// "several faces found", "the face is not central in the image", ...
std::string RefusalKind(const std::string& why);
nlohmann::json RateToJson(const Rate& r);

// The per-comparison impostor score distribution over every pair of images of different
// identities: counts of scores >= t on a grid t = start, start + step, ... (until the
// count reaches 0), plus the total number of comparisons. The basis of the calibration
// tables (see match/calibration.h).
struct ImpostorTail {
  double start = 0.0;
  double step = 0.001;
  int64_t comparisons = 0;
  std::vector<int64_t> count_ge;
  float max_score = -1.0f;
  // The highest-scoring impostor pairs (score, image path, image path), highest first:
  // where the tail comes from (near-duplicates and label errors show up here).
  struct Pair {
    float score;
    std::string a, b;
  };
  std::vector<Pair> top;
};
ImpostorTail ComputeImpostorTail(const std::vector<EvalIdentity>& identities, bool flip,
                                 double start = 0.0, double step = 0.001, int top_pairs = 20);

}  // namespace lfr::eval

#endif  // LFR_EVAL_IDENTIFY_H_
