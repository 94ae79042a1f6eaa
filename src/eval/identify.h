// Open-set 1:N identification on an evaluation data set (LFW + FairFace by default, or a
// force's own, eval/dataset.h), the live facial recognition question: "is this passer-by
// on the watchlist, and if so who?" Below, "LFW" stands for the identity set and
// "FairFace" for the non-mated set.
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
// Differentials: at each operating point, FNIR and FPIR per group of every demographic
// column the images carry (EvalImage::demographics, else the identity's sex/group), with
// 95 % intervals and a note when a group has too few searches to resolve the rate.
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

// Demographic labels of an image: column ("sex", "ethnicity", "age_band", see
// eval/dataset.h) -> value; a missing or empty value is "not recorded".
using Demographics = std::map<std::string, std::string>;

// One image with its pipeline result.
struct EvalImage {
  std::string path;
  ImageResult result;
  Demographics demographics;     // per image (a data set's labels); see EvalIdentity
};
// An identity of the evaluation set: a person of the identity set (LFW, a --dataset) or
// one image of the non-mated set (FairFace, --non-mated).
struct EvalIdentity {
  std::string name;
  std::string source;            // identity set: "lfw", "dataset"; non-mated set: "fairface", "non-mated"
  // Older, per-identity labels, used where an image has no demographics of its own: `sex`
  // as the image's "sex", `group` ("ethnicity sex", e.g. "White Male") as its ethnicity x
  // sex group.
  std::string sex;
  std::string group;
  std::vector<EvalImage> images; // LFW: in image-number order
};
// True for an identity of the non-mated set (never enrolled, every image a non-mated probe).
inline bool InNonMatedSet(const EvalIdentity& id) {
  return id.source == "fairface" || id.source == "non-mated";
}

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
// A rate per group of one demographic column (or the "ethnicity x sex" intersection) at
// one threshold: FNIR over the mated searches whose probe has the label, or FPIR over the
// non-mated searches whose probe has it (both non-mated sources pooled).
struct Differential {
  std::string column;       // "sex", "ethnicity", "age_band", "ethnicity x sex", ...
  std::string rate;         // "fnir" or "fpir"
  std::vector<GroupRate> groups;  // by group name
  // Max / min of the groups' rates, groups named "unknown" left out; 0 = undefined (fewer
  // than two groups, or a group with no events).
  double max_min = 0.0;
};
struct OperatingPoint {
  std::string name;         // "1e-2", "1e-3", "min"
  double target_fpir = 0.0;
  ThresholdChoice choice;   // threshold and achieved FPIR
  Rate fnir;
  // Every column the data has: FNIR by each, FPIR by each, and FPIR by ethnicity x sex when
  // both are recorded. The fields after it are views kept for scripts of the LFW run:
  std::vector<Differential> differentials;
  std::vector<GroupRate> fnir_by_sex;          // mated searches by sex (= differentials' fnir/sex)
  std::vector<GroupRate> fpir_by_group;        // non-mated by "ethnicity sex" (FairFace race x gender)
  std::vector<GroupRate> fpir_by_sex_lfw;      // identity-set (LFW) non-mated probes by sex
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
  int64_t nonmated_fairface = 0;      // searches from the non-mated set (FairFace, --non-mated)
  Rate rank1;
  std::vector<OperatingPoint> points;
  std::vector<DetPoint> det;
  std::vector<float> nonmated_top;    // top score per non-mated search (for calibration)
  // Per search, so that rates can be recomputed at any threshold and per group
  // (eval/equitability.h): each mated search's score (the mate's score when ranked first,
  // else kNoScore (eval/metrics.h): a miss at every threshold), and per demographic column (as in the
  // differentials) each mated / non-mated search's label, "" = not recorded.
  std::vector<float> mated_scores;
  std::map<std::string, std::vector<std::string>> mated_labels, nonmated_labels;
};

// "1e-3" for powers of ten below 1 (as in the JSON keys fnir_at_fpir_1e-3), else "%.3g".
std::string FormatRate(double r);
// A group's rate with its resolvability against a reference rate: resolvable when the
// group has at least 3 / reference searches; else `note` says so in plain words.
// `what` names the searches ("mated", "non-mated").
GroupRate MakeGroupRate(const std::string& group, const Rate& rate, double reference, const std::string& what);
// Max / min of the groups' rates, groups named "unknown" and groups without searches left
// out; 0 = undefined (fewer than two groups, or a zero rate).
double GroupsMaxMin(const std::vector<GroupRate>& groups);

// Runs the protocol for every watchlist size. `identities` must hold the identity set's
// people (in a stable order, e.g. by name) and the non-mated set's images. InvalidArgument for sizes < 1 or
// bad options.
Result<std::vector<SizeResult>> RunIdentification(const std::vector<EvalIdentity>& identities,
                                                  const IdentifyOptions& options);

nlohmann::json SizeResultToJson(const SizeResult& r);
// The kind of an enrolment refusal (PickEnrolmentFace's reason) for tallies: "face fails the
// quality gate: turned", "... implausible landmarks", "... small face (eyes too close)",
// "several faces found", "the face is not central in the image", ...
std::string RefusalKind(const std::string& why);
nlohmann::json RateToJson(const Rate& r);
// Per-group rates as JSON: each rate with its group, whether it resolves, and the note.
nlohmann::json GroupsToJson(const std::vector<GroupRate>& groups);

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
