#include "eval/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace lfr::eval {
namespace {

// Continued fraction for I_x(a, b) (modified Lentz), valid for x < (a + 1) / (a + b + 2).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-15;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double f = d;
  for (int m = 1; m <= 10000; ++m) {
    // Even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)).
    double num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
    d = 1.0 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    f *= d * c;
    // Odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
    d = 1.0 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    f *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return f;
}

// Standard normal quantile by bisection on erfc (only used for Wilson's z).
double NormalQuantile(double p) {
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    const double cdf = 0.5 * std::erfc(-mid / std::sqrt(2.0));
    (cdf < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double RegularizedIncompleteBeta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                           a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * BetaContinuedFraction(a, b, x) / a;
  // Symmetry I_x(a, b) = 1 - I_{1-x}(b, a) keeps the continued fraction convergent.
  return 1.0 - front * BetaContinuedFraction(b, a, 1.0 - x) / b;
}

double InverseRegularizedIncompleteBeta(double a, double b, double p) {
  if (p <= 0.0) return 0.0;
  if (p >= 1.0) return 1.0;
  double lo = 0.0, hi = 1.0;
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = 0.5 * (lo + hi);
    (RegularizedIncompleteBeta(a, b, mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Interval ClopperPearson(int64_t k, int64_t n, double confidence) {
  if (n <= 0) return {0.0, 1.0};
  k = std::clamp<int64_t>(k, 0, n);
  const double alpha = 1.0 - confidence;
  Interval ci;
  ci.lo = k == 0 ? 0.0
                 : InverseRegularizedIncompleteBeta(static_cast<double>(k),
                                                    static_cast<double>(n - k + 1), alpha / 2);
  ci.hi = k == n ? 1.0
                 : InverseRegularizedIncompleteBeta(static_cast<double>(k + 1),
                                                    static_cast<double>(n - k), 1 - alpha / 2);
  return ci;
}

Interval Wilson(int64_t k, int64_t n, double confidence) {
  if (n <= 0) return {0.0, 1.0};
  const double z = NormalQuantile(1.0 - (1.0 - confidence) / 2);
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(k) / nn;
  const double denom = 1.0 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Rate RateAtOrAbove(const std::vector<float>& scores, float threshold) {
  Rate r;
  r.trials = static_cast<int64_t>(scores.size());
  for (float s : scores) r.events += s >= threshold ? 1 : 0;
  return r;
}

Rate RateBelow(const std::vector<float>& scores, float threshold) {
  Rate r;
  r.trials = static_cast<int64_t>(scores.size());
  for (float s : scores) r.events += s < threshold ? 1 : 0;
  return r;
}

ThresholdChoice ThresholdForRate(const std::vector<float>& impostor, double target) {
  ThresholdChoice out;
  const int64_t n = static_cast<int64_t>(impostor.size());
  std::vector<float> sorted(impostor);
  std::sort(sorted.begin(), sorted.end(), std::greater<float>());
  const double allowed_d = std::floor(target * static_cast<double>(n) + 1e-9);
  out.allowed = static_cast<int64_t>(std::max(0.0, allowed_d));
  out.resolvable = n > 0 && out.allowed >= 1;
  if (n == 0) {
    out.threshold = std::numeric_limits<float>::infinity();
    out.achieved = Rate{0, 0};
    return out;
  }
  if (out.allowed >= n) {
    // Every search may be a false positive: any threshold will do; the lowest finite one.
    out.threshold = -std::numeric_limits<float>::max();
  } else {
    // Strictly above the (allowed+1)-th highest score (index `allowed`), so at most
    // `allowed` scores remain at or above it, fewer if that score is tied with higher ones.
    const float pivot = sorted[static_cast<size_t>(out.allowed)];
    out.threshold = pivot == kNoScore ? -std::numeric_limits<float>::max()
                                      : std::nextafter(pivot, std::numeric_limits<float>::infinity());
  }
  out.achieved = RateAtOrAbove(impostor, out.threshold);
  return out;
}

std::vector<DetPoint> DetCurve(const std::vector<float>& mated,
                               const std::vector<float>& nonmated, int max_points) {
  std::vector<float> nm(nonmated);
  std::sort(nm.begin(), nm.end(), std::greater<float>());
  std::vector<float> m(mated);
  std::sort(m.begin(), m.end());  // ascending: misses are a prefix
  std::vector<DetPoint> all;
  const double n_nm = static_cast<double>(nm.size());
  const double n_m = static_cast<double>(m.size());
  if (nm.empty() || m.empty()) return all;
  for (size_t i = 0; i < nm.size(); ++i) {
    if (nm[i] == kNoScore) break;
    if (i + 1 < nm.size() && nm[i + 1] == nm[i]) continue;  // last of a run of ties
    const float t = nm[i];
    DetPoint p;
    p.threshold = t;
    p.fpir = static_cast<double>(i + 1) / n_nm;
    const size_t misses = std::lower_bound(m.begin(), m.end(), t) - m.begin();
    p.fnir = static_cast<double>(misses) / n_m;
    all.push_back(p);
  }
  if (max_points <= 0 || static_cast<int>(all.size()) <= max_points) return all;
  // Keep the first quarter of the budget verbatim (low FPIR), then thin logarithmically.
  std::vector<DetPoint> out;
  const size_t keep = static_cast<size_t>(max_points / 4);
  for (size_t i = 0; i < keep; ++i) out.push_back(all[i]);
  const double rest = static_cast<double>(max_points - keep - 1);
  const double lo = std::log(static_cast<double>(keep + 1));
  const double hi = std::log(static_cast<double>(all.size()));
  size_t last = keep - 1;
  for (int j = 0; j <= static_cast<int>(rest); ++j) {
    const size_t idx = static_cast<size_t>(std::exp(lo + (hi - lo) * j / rest)) - 1;
    if (idx > last && idx < all.size()) {
      out.push_back(all[idx]);
      last = idx;
    }
  }
  if (last != all.size() - 1) out.push_back(all.back());
  return out;
}

float BestAccuracyThreshold(const std::vector<VerificationPair>& pairs) {
  // Sweep thresholds from low to high over the distinct scores. Below every score all
  // pairs are called "same": correct = #same. Passing a score s moves every pair with
  // score s to "different": a mated one becomes wrong, a non-mated one right. Failed
  // pairs (-inf) sit at -2, below every cosine, so they are always called "different".
  std::vector<std::pair<float, bool>> v;
  v.reserve(pairs.size());
  int64_t correct = 0;
  for (const auto& p : pairs) {
    v.emplace_back(std::isfinite(p.score) ? p.score : -2.0f, p.same);
    correct += p.same ? 1 : 0;
  }
  if (v.empty()) return 0.0f;
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  int64_t best = correct;
  float best_t = v.front().first - 1e-3f;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j < v.size() && v[j].first == v[i].first) {
      correct += v[j].second ? -1 : 1;
      ++j;
    }
    if (correct > best) {  // strict: among equally good thresholds keep the lowest
      best = correct;
      best_t = j < v.size() ? 0.5f * (v[i].first + v[j].first) : v[i].first + 1e-3f;
    }
    i = j;
  }
  return best_t;
}

VerificationResult CrossValidate(const std::vector<VerificationPair>& pairs, int folds) {
  VerificationResult r;
  assert(folds >= 2);
  std::vector<double> acc;
  for (int f = 0; f < folds; ++f) {
    std::vector<VerificationPair> train, test;
    for (const auto& p : pairs) (p.fold == f ? test : train).push_back(p);
    FoldResult fr;
    fr.threshold = BestAccuracyThreshold(train);
    int64_t correct = 0;
    for (const auto& p : test) correct += ((p.score >= fr.threshold) == p.same) ? 1 : 0;
    fr.pairs = static_cast<int>(test.size());
    fr.accuracy = test.empty() ? 0.0 : static_cast<double>(correct) / test.size();
    r.folds.push_back(fr);
    acc.push_back(fr.accuracy);
  }
  double sum = 0;
  for (double a : acc) sum += a;
  r.mean_accuracy = sum / folds;
  double ss = 0;
  for (double a : acc) ss += (a - r.mean_accuracy) * (a - r.mean_accuracy);
  r.std_accuracy = folds > 1 ? std::sqrt(ss / (folds - 1)) : 0.0;
  return r;
}

double MaxMinRatio(const std::vector<double>& rates) {
  if (rates.size() < 2) return 0.0;
  const auto [mn, mx] = std::minmax_element(rates.begin(), rates.end());
  if (*mn <= 0.0) return 0.0;
  return *mx / *mn;
}

}  // namespace lfr::eval
