// Matcher: exact 1:N cosine search of a probe embedding against a Watchlist, and
// TrackScoreFusion, which turns the many searches made along one face track into one
// score per watchlist subject.
//
// Search is brute force over the watchlist's contiguous row-major matrix: the dot product
// of the probe with every row (equal to cosine similarity for unit vectors), blocked four
// rows at a time with eight independent accumulators per row so the compiler emits SIMD
// code (an x86-64-v3 (AVX2 + FMA) clone is selected at run time where the CPU has it). Exact, no index to
// build, ~N*dim multiply-adds per probe. docs/PERFORMANCE.md compares it with FAISS.
//
// Thread-safety: a Matcher is immutable after construction and may be shared by threads as
// long as the Watchlist it points to is not mutated. TrackScoreFusion is NOT thread-safe
// (one per track, owned by the camera worker).
#ifndef LFR_MATCH_MATCHER_H_
#define LFR_MATCH_MATCHER_H_

#include <vector>

#include "match/watchlist.h"

namespace lfr {

// Writes n dot products out[i] = <matrix row i, query> for a row-major n x dim matrix.
void DotProducts(const float* matrix, int n, int dim, const float* query, float* out);

struct MatchHit {
  int subject = -1;   // Watchlist subject index
  int row = -1;       // the subject's best-scoring row
  float score = -2;   // cosine similarity, -1..1
};

class Matcher {
 public:
  // watchlist must outlive the Matcher.
  explicit Matcher(const Watchlist* watchlist) : watchlist_(watchlist) {}

  // The k best subjects for the probe (dim() floats, unit norm), best first; a subject
  // with several rows counts once with its best row. Fewer than k if the watchlist has
  // fewer subjects. scratch: optional reusable buffer of rows() floats (no allocation in
  // steady state when given; it holds scores only, not face data).
  void Search(const float* probe, int k, std::vector<MatchHit>* hits,
              std::vector<float>* scratch = nullptr) const;

  const Watchlist& watchlist() const { return *watchlist_; }

 private:
  const Watchlist* watchlist_;
};

// How the scores gathered along a track become one decision score per subject.
struct FusionOptions {
  int top_k = 2;             // fused score = mean of the subject's best top_k scores
  int min_observations = 2;  // embeddings (searches) of the track needed before a decision
};

// Scores of one track. Add() after each search of the track; Fused() gives the decision
// score of a subject: the mean of its best min(top_k, observations()) scores along the
// track, a search in which the subject was not among the hits counting as 0.
class TrackScoreFusion {
 public:
  explicit TrackScoreFusion(FusionOptions options = {}) : options_(options) {}
  void Add(const std::vector<MatchHit>& hits);
  int observations() const { return observations_; }
  // Fused score for subject; -2 if the subject never scored. ready: enough observations.
  float Fused(int subject) const;
  bool ready() const { return observations_ >= options_.min_observations; }
  // Subjects that have scored at least once.
  std::vector<int> Subjects() const;

 private:
  struct Entry {
    int subject;
    std::vector<float> best;  // descending, at most top_k
  };
  FusionOptions options_;
  int observations_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace lfr

#endif  // LFR_MATCH_MATCHER_H_
