// Closed-set identification on LFW, the question of retrospective search: "who among the
// gallery's records is this?" — ranked candidates for a reviewer, no threshold.
//
// Protocol: the gallery is all of LFW (every image in which a face is detected, one record
// per image, several records per person as a custody database has). Probes are the images
// of the people with two or more images, at most max_probes_per_person per person (seeded
// std::mt19937_64 shuffle of each person's images; George_W_Bush alone has 530). Each probe
// is searched against the gallery without its own record; its rank is 1 + the number of
// records of other people that score at least as high as its best-scoring mate (ties count
// against it). The CMC curve gives, for every rank k up to max_rank, the share of probes
// whose first mate is within the top k. A probe with no detected face, or whose other
// images all lack one (its mate never enrolled), is a miss at every rank; both are counted.
//
// Exact scoring (every probe against every record, blocked matrix products): a reference
// for the approximate gallery index, which `lfr bench search` compares against.
// Pure computation on embeddings already extracted; thread-compatible.
#ifndef LFR_EVAL_CLOSED_SET_H_
#define LFR_EVAL_CLOSED_SET_H_

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/identify.h"
#include "eval/metrics.h"
#include "util/status.h"

namespace lfr::eval {

struct ClosedSetOptions {
  int max_probes_per_person = 10;
  int max_rank = 50;
  bool flip = true;      // flip-averaged embeddings (the product's default)
  uint64_t seed = 1;
};

struct ClosedSetResult {
  int64_t gallery_records = 0;     // LFW images with a detected face
  int gallery_people = 0;          // people with at least one record
  int64_t gallery_no_face = 0;     // images left out of the gallery (no face)
  int people_probed = 0;
  int64_t probes = 0;              // all probes, searched or not (the CMC's trials)
  int64_t probes_no_face = 0;      // misses at every rank
  int64_t probes_mate_not_enrolled = 0;  // misses at every rank
  std::vector<Rate> cmc;           // cmc[k - 1]: probes whose first mate is at rank <= k
};

// `people` are LFW identities (source "lfw"; others are ignored) with their images' results.
// InvalidArgument for max_rank < 1 or max_probes_per_person < 1, or when no probe exists.
Result<ClosedSetResult> RunClosedSet(const std::vector<EvalIdentity>& people,
                                     const ClosedSetOptions& options);

nlohmann::json ClosedSetResultToJson(const ClosedSetResult& r);

}  // namespace lfr::eval

#endif  // LFR_EVAL_CLOSED_SET_H_
