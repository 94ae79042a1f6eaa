// The metric arithmetic on hand-made score sets whose answers are worked out by hand (or
// are textbook values: R's binom.test for Clopper-Pearson, the Wilson formula).
#include "eval/metrics.h"

#include <cmath>

#include <gtest/gtest.h>

namespace lfr::eval {
namespace {

TEST(IntervalsTest, ClopperPearsonMatchesKnownValues) {
  // binom.test(5, 10)$conf.int = 0.1870860 0.8129140
  Interval a = ClopperPearson(5, 10);
  EXPECT_NEAR(a.lo, 0.1870860, 1e-6);
  EXPECT_NEAR(a.hi, 0.8129140, 1e-6);
  // 0 of 10: upper = 1 - 0.025^(1/10) = 0.3084971
  Interval b = ClopperPearson(0, 10);
  EXPECT_EQ(b.lo, 0.0);
  EXPECT_NEAR(b.hi, 1.0 - std::pow(0.025, 0.1), 1e-9);
  EXPECT_NEAR(b.hi, 0.3084971, 1e-6);
  // 1 of 100: lower = 1 - 0.975^(1/100) (closed form for k = 1); binom.test gives 0.05445939 upper.
  Interval c = ClopperPearson(1, 100);
  EXPECT_NEAR(c.lo, 1.0 - std::pow(0.975, 0.01), 1e-9);
  EXPECT_NEAR(c.hi, 0.0544593854, 1e-6);
  // n of n mirrors 0 of n.
  Interval d = ClopperPearson(10, 10);
  EXPECT_NEAR(d.lo, std::pow(0.025, 0.1), 1e-9);
  EXPECT_EQ(d.hi, 1.0);
  // Zero searches resolve nothing.
  Interval e = ClopperPearson(0, 0);
  EXPECT_EQ(e.lo, 0.0);
  EXPECT_EQ(e.hi, 1.0);
  // The "rule of three": 0 events in N bounds the rate below about 3.7/N at 95 % two-sided.
  EXPECT_NEAR(ClopperPearson(0, 3000).hi * 3000, 3.689, 0.01);
}

TEST(IntervalsTest, WilsonMatchesFormula) {
  Interval a = Wilson(5, 10);
  EXPECT_NEAR(a.lo, 0.236589, 1e-5);
  EXPECT_NEAR(a.hi, 0.763411, 1e-5);
  Interval b = Wilson(0, 10);
  EXPECT_EQ(b.lo, 0.0);
  EXPECT_NEAR(b.hi, 0.277533, 1e-5);
  // Wilson is narrower than Clopper-Pearson here.
  EXPECT_GT(a.lo, ClopperPearson(5, 10).lo);
}

TEST(IntervalsTest, IncompleteBetaKnownValues) {
  // I_x(1, 1) = x; I_x(2, 1) = x^2; I_x(a, b) = 1 - I_{1-x}(b, a).
  EXPECT_NEAR(RegularizedIncompleteBeta(1, 1, 0.3), 0.3, 1e-12);
  EXPECT_NEAR(RegularizedIncompleteBeta(2, 1, 0.3), 0.09, 1e-12);
  EXPECT_NEAR(RegularizedIncompleteBeta(3.5, 2.25, 0.4) + RegularizedIncompleteBeta(2.25, 3.5, 0.6), 1.0,
              1e-10);
  EXPECT_NEAR(InverseRegularizedIncompleteBeta(2, 1, 0.09), 0.3, 1e-10);
}

TEST(RatesTest, FpirCountsTiesAsMatches) {
  const std::vector<float> nonmated = {0.9f, 0.8f, 0.8f, 0.5f, 0.1f, kNoScore};
  Rate r = RateAtOrAbove(nonmated, 0.8f);
  EXPECT_EQ(r.events, 3);
  EXPECT_EQ(r.trials, 6);
  EXPECT_DOUBLE_EQ(r.value(), 0.5);
  // A failed search is never a false positive, even at the lowest threshold.
  EXPECT_EQ(RateAtOrAbove(nonmated, -1.0f).events, 5);
}

TEST(RatesTest, FnirCountsFailuresAsMisses) {
  const std::vector<float> mated = {0.95f, 0.85f, 0.8f, kNoScore, 0.3f};
  EXPECT_EQ(RateBelow(mated, 0.8f).events, 2);  // 0.8 is a hit at 0.8
  EXPECT_EQ(RateBelow(mated, std::nextafter(0.8f, 1.0f)).events, 3);
  EXPECT_EQ(RateBelow(mated, -1.0f).events, 1);  // the failure misses at any threshold
  EXPECT_EQ(RateBelow(mated, -1.0f).trials, 5);
}

TEST(ThresholdTest, LowestThresholdMeetingTarget) {
  const std::vector<float> nm = {0.9f, 0.8f, 0.8f, 0.5f, 0.1f, kNoScore};
  // 1 of 6 allowed: just above the second-highest score (0.8) so only 0.9 remains.
  ThresholdChoice a = ThresholdForRate(nm, 1.0 / 6);
  EXPECT_TRUE(a.resolvable);
  EXPECT_EQ(a.allowed, 1);
  EXPECT_EQ(a.threshold, std::nextafter(0.8f, 1.0f));
  EXPECT_EQ(a.achieved.events, 1);
  // 2 of 6 allowed, but 0.8 is tied: taking one 0.8 takes both, so the achieved rate
  // stays at 1/6 (below target), never above it.
  ThresholdChoice b = ThresholdForRate(nm, 2.0 / 6);
  EXPECT_EQ(b.allowed, 2);
  EXPECT_EQ(b.threshold, std::nextafter(0.8f, 1.0f));
  EXPECT_EQ(b.achieved.events, 1);
  // 3 of 6: both 0.8s in, threshold just above 0.5.
  ThresholdChoice c = ThresholdForRate(nm, 0.5);
  EXPECT_EQ(c.threshold, std::nextafter(0.5f, 1.0f));
  EXPECT_EQ(c.achieved.events, 3);
  // Lowering the threshold any further would break the target.
  EXPECT_GT(RateAtOrAbove(nm, 0.5f).value(), 0.5);
}

TEST(ThresholdTest, UnresolvableTargetSaysSo) {
  std::vector<float> nm(999, 0.1f);
  nm.push_back(0.7f);
  ThresholdChoice t = ThresholdForRate(nm, 1e-4);  // 1e-4 * 1000 < 1
  EXPECT_FALSE(t.resolvable);
  EXPECT_EQ(t.allowed, 0);
  EXPECT_GT(t.threshold, 0.7f);
  EXPECT_EQ(t.achieved.events, 0);
  // Exactly representable boundary: 1e-3 of 1000 allows one.
  ThresholdChoice u = ThresholdForRate(nm, 1e-3);
  EXPECT_TRUE(u.resolvable);
  EXPECT_EQ(u.allowed, 1);
  EXPECT_EQ(u.achieved.events, 1);
  EXPECT_EQ(u.threshold, std::nextafter(0.1f, 1.0f));
}

TEST(ThresholdTest, FloatingPointTargetTimesCountIsNotRoundedDown) {
  // 1e-3 * 3000 is 3.0000000000000004 or 2.9999999999999996 depending on rounding: must be 3.
  std::vector<float> nm;
  for (int i = 0; i < 3000; ++i) nm.push_back(static_cast<float>(i) / 3000.0f);
  EXPECT_EQ(ThresholdForRate(nm, 1e-3).allowed, 3);
  EXPECT_EQ(ThresholdForRate(nm, 1e-3).achieved.events, 3);
}

TEST(DetTest, OnePointPerDistinctNonmatedScore) {
  const std::vector<float> mated = {0.9f, 0.7f, kNoScore};
  const std::vector<float> nonmated = {0.8f, 0.6f, 0.6f, 0.2f};
  auto det = DetCurve(mated, nonmated);
  ASSERT_EQ(det.size(), 3u);
  EXPECT_FLOAT_EQ(det[0].threshold, 0.8f);
  EXPECT_DOUBLE_EQ(det[0].fpir, 0.25);
  EXPECT_DOUBLE_EQ(det[0].fnir, 2.0 / 3);
  EXPECT_FLOAT_EQ(det[1].threshold, 0.6f);
  EXPECT_DOUBLE_EQ(det[1].fpir, 0.75);
  EXPECT_DOUBLE_EQ(det[1].fnir, 1.0 / 3);
  EXPECT_DOUBLE_EQ(det[2].fpir, 1.0);
  EXPECT_DOUBLE_EQ(det[2].fnir, 1.0 / 3);
}

TEST(DetTest, ThinningKeepsEndsAndOrder) {
  std::vector<float> nm, m;
  for (int i = 0; i < 5000; ++i) nm.push_back(static_cast<float>(i) / 5000.0f);
  for (int i = 0; i < 100; ++i) m.push_back(0.5f + static_cast<float>(i) / 200.0f);
  auto det = DetCurve(m, nm, 100);
  ASSERT_LE(det.size(), 101u);
  EXPECT_DOUBLE_EQ(det.front().fpir, 1.0 / 5000);
  EXPECT_DOUBLE_EQ(det.back().fpir, 1.0);
  for (size_t i = 1; i < det.size(); ++i) {
    EXPECT_GT(det[i].fpir, det[i - 1].fpir);
    EXPECT_LE(det[i].fnir, det[i - 1].fnir);
  }
}

TEST(VerificationTest, TenFoldPicksThresholdOnOtherFolds) {
  // Fold 0 is separable at anything in (0.2, 0.8); fold 1 has one non-mated pair at 0.65.
  std::vector<VerificationPair> pairs = {
      {0, true, 0.9f}, {0, true, 0.8f}, {0, false, 0.1f}, {0, false, 0.2f},
      {1, true, 0.7f}, {1, true, 0.6f}, {1, false, 0.3f}, {1, false, 0.65f},
  };
  // Trained on fold 1: best accuracy 3/4, first reached between 0.3 and 0.6.
  std::vector<VerificationPair> fold1(pairs.begin() + 4, pairs.end());
  EXPECT_FLOAT_EQ(BestAccuracyThreshold(fold1), 0.45f);
  VerificationResult r = CrossValidate(pairs, 2);
  ASSERT_EQ(r.folds.size(), 2u);
  EXPECT_FLOAT_EQ(r.folds[0].threshold, 0.45f);
  EXPECT_DOUBLE_EQ(r.folds[0].accuracy, 1.0);
  EXPECT_FLOAT_EQ(r.folds[1].threshold, 0.5f);  // trained on fold 0: midpoint of 0.2 and 0.8
  EXPECT_DOUBLE_EQ(r.folds[1].accuracy, 0.75);   // 0.65 non-mated is called "same"
  EXPECT_DOUBLE_EQ(r.mean_accuracy, 0.875);
  EXPECT_NEAR(r.std_accuracy, std::sqrt(2 * 0.125 * 0.125), 1e-12);
}

TEST(VerificationTest, FailedPairsAreScoredDifferentNotDropped) {
  std::vector<VerificationPair> pairs = {
      {0, true, 0.9f}, {0, true, kNoScore}, {0, false, 0.1f}, {0, false, kNoScore},
      {1, true, 0.8f}, {1, true, 0.7f}, {1, false, 0.2f}, {1, false, 0.0f},
  };
  VerificationResult r = CrossValidate(pairs, 2);
  EXPECT_EQ(r.folds[0].pairs, 4);
  EXPECT_DOUBLE_EQ(r.folds[0].accuracy, 0.75);  // the failed mated pair is an error
  EXPECT_DOUBLE_EQ(r.folds[1].accuracy, 1.0);
}

TEST(RatioTest, MaxMin) {
  EXPECT_DOUBLE_EQ(MaxMinRatio({0.1, 0.3, 0.2}), 3.0);
  EXPECT_DOUBLE_EQ(MaxMinRatio({0.1, 0.0}), 0.0);  // undefined
  EXPECT_DOUBLE_EQ(MaxMinRatio({0.1}), 0.0);
}

}  // namespace
}  // namespace lfr::eval
