// Biometric accuracy metrics: the arithmetic behind `lfr eval` and the calibration tables.
//
// Everything here works on plain score lists (cosine similarities, higher = more alike)
// and is independent of models and images, so it can be tested on hand-made score sets.
//
// Conventions (ISO/IEC 19795-1 and NIST FRVT 1:N, as the NPL equitability study uses):
//   * A comparison "matches" at threshold t when score >= t (ties count as a match).
//   * Open-set identification, rank 1: a mated search is a hit at t when its enrolled mate
//     is the top-ranked candidate AND scores >= t; FNIR(t) is the fraction of mated
//     searches that are not hits. A non-mated search is a false positive at t when its
//     top score is >= t; FPIR(t) is the fraction of non-mated searches that are.
//   * A search that could not be made (no face found) is encoded as score -infinity: a
//     miss for a mated search at every threshold, never a false positive. Callers count
//     these separately as failures to enrol/extract; they are never dropped.
//
// Pure functions on values; thread-safe.
#ifndef LFR_EVAL_METRICS_H_
#define LFR_EVAL_METRICS_H_

#include <cstdint>
#include <limits>
#include <vector>

namespace lfr::eval {

// Score of a search that could not be made (no face): below every threshold.
inline constexpr float kNoScore = -std::numeric_limits<float>::infinity();

// A two-sided confidence interval for a proportion, both ends in [0, 1].
struct Interval {
  double lo = 0.0;
  double hi = 1.0;
};

// Clopper-Pearson ("exact") interval for k successes in n trials at the given confidence
// (default 95 %). Conservative: covers at least `confidence`. n == 0 gives [0, 1].
Interval ClopperPearson(int64_t k, int64_t n, double confidence = 0.95);
// Wilson score interval (z = normal quantile for `confidence`). n == 0 gives [0, 1].
Interval Wilson(int64_t k, int64_t n, double confidence = 0.95);

// The regularised incomplete beta function I_x(a, b), a, b > 0, x in [0, 1], and its
// inverse in x. Exposed for tests; accurate to ~1e-10.
double RegularizedIncompleteBeta(double a, double b, double x);
double InverseRegularizedIncompleteBeta(double a, double b, double p);

// A rate with its counts and 95 % Clopper-Pearson interval.
struct Rate {
  int64_t events = 0;
  int64_t trials = 0;
  double value() const { return trials > 0 ? static_cast<double>(events) / trials : 0.0; }
  Interval ci() const { return ClopperPearson(events, trials); }
};

// Fraction of `scores` that are >= threshold (the false-positive side), as a Rate.
Rate RateAtOrAbove(const std::vector<float>& scores, float threshold);
// Fraction of `scores` that are < threshold (the false-negative side), as a Rate.
Rate RateBelow(const std::vector<float>& scores, float threshold);

// Threshold selection for a target false-positive rate on impostor/non-mated scores.
struct ThresholdChoice {
  bool resolvable = false;  // false: too few scores to observe a rate this small
  float threshold = 0.0f;   // the lowest threshold whose observed rate <= target
  int64_t allowed = 0;      // floor(target * n): false positives the target allows
  Rate achieved;            // the observed rate at `threshold` (<= target)
};
// The lowest threshold t such that #{s >= t} / n <= target. Ties are handled exactly:
// t is the smallest float strictly above the (allowed+1)-th highest score, so scores
// equal to that value are all excluded, and the achieved rate may be below the target.
// Not resolvable when target * n < 1 (the smallest non-zero rate n scores can show is
// 1/n); then threshold is just above the highest score and achieved is 0/n. -inf scores
// (failed searches) count in n but are never above a threshold.
ThresholdChoice ThresholdForRate(const std::vector<float>& impostor, double target);

// One point of a DET curve: at `threshold`, FPIR (or FAR) and FNIR (or FRR).
struct DetPoint {
  float threshold = 0.0f;
  double fpir = 0.0;
  double fnir = 0.0;
};
// The DET curve of mated (genuine) and non-mated (impostor) scores: one point at every
// distinct non-mated score (the thresholds where FPIR changes), from the highest down,
// thinned to at most max_points, always keeping the first points (the low-FPIR end, where
// each false positive matters) and the last.
std::vector<DetPoint> DetCurve(const std::vector<float>& mated,
                               const std::vector<float>& nonmated, int max_points = 400);

// 1:1 verification by k-fold cross-validation (the LFW View 2 protocol).
struct VerificationPair {
  int fold = 0;          // 0..folds-1
  bool same = false;     // mated pair
  float score = kNoScore;
};
struct FoldResult {
  float threshold = 0.0f;  // chosen on the other folds
  double accuracy = 0.0;   // on this fold
  int pairs = 0;
};
struct VerificationResult {
  std::vector<FoldResult> folds;
  double mean_accuracy = 0.0;
  double std_accuracy = 0.0;  // sample standard deviation over folds (n - 1)
};
// For each fold, the threshold that maximises accuracy on all other folds (the midpoint
// between adjacent distinct scores; among equally good thresholds the lowest), then the
// accuracy of that threshold on the fold. Requires >= 2 folds, each non-empty.
VerificationResult CrossValidate(const std::vector<VerificationPair>& pairs, int folds);
// The accuracy-maximising threshold on a set of pairs (the rule CrossValidate uses).
float BestAccuracyThreshold(const std::vector<VerificationPair>& pairs);

// Max / min of a set of rates; 0 when fewer than two or when the minimum is 0
// (an undefined ratio: report it as such).
double MaxMinRatio(const std::vector<double>& rates);

}  // namespace lfr::eval

#endif  // LFR_EVAL_METRICS_H_
