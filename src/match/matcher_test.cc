// Watchlist storage, exact search and score fusion: checked against a naive reference on
// random data (no models needed).
#include "match/matcher.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "match/watchlist.h"

namespace lfr {
namespace {

std::vector<float> RandomUnit(int dim, std::mt19937* rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(dim);
  double n2 = 0;
  for (auto& x : v) {
    x = g(*rng);
    n2 += x * x;
  }
  for (auto& x : v) x = static_cast<float>(x / std::sqrt(n2));
  return v;
}

TEST(DotProducts, MatchesNaiveForOddShapes) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int dim : {1, 7, 8, 13, 128, 131}) {
    for (int n : {1, 3, 4, 5, 17}) {
      std::vector<float> m(static_cast<size_t>(n) * dim), q(dim), out(n);
      for (auto& x : m) x = u(rng);
      for (auto& x : q) x = u(rng);
      DotProducts(m.data(), n, dim, q.data(), out.data());
      for (int i = 0; i < n; ++i) {
        double ref = 0;
        for (int j = 0; j < dim; ++j) ref += double(m[static_cast<size_t>(i) * dim + j]) * q[j];
        EXPECT_NEAR(out[i], ref, 1e-4) << "n=" << n << " dim=" << dim << " row " << i;
      }
    }
  }
}

TEST(Watchlist, AddNormalisesAndGroupsRowsBySubject) {
  Watchlist wl(4);
  const float a[4] = {2, 0, 0, 0};
  const float b[4] = {0, 3, 0, 4};
  ASSERT_EQ(*wl.Add("alice", a), 0);
  ASSERT_EQ(*wl.Add("bob", b), 1);
  ASSERT_EQ(*wl.Add("alice", b), 0);
  EXPECT_EQ(wl.rows(), 3);
  EXPECT_EQ(wl.subjects(), 2);
  EXPECT_EQ(wl.row_subject(2), 0);
  EXPECT_FLOAT_EQ(wl.row(0)[0], 1.0f);
  EXPECT_FLOAT_EQ(wl.row(1)[1], 0.6f);
  EXPECT_FLOAT_EQ(wl.row(1)[3], 0.8f);
  EXPECT_EQ(wl.FindSubject("bob"), 1);
  EXPECT_EQ(wl.FindSubject("carol"), -1);
  const float zero[4] = {0, 0, 0, 0};
  auto bad = wl.Add("zero", zero);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(wl.rows(), 3);
  wl.Clear();
  EXPECT_EQ(wl.rows(), 0);
  EXPECT_EQ(wl.subjects(), 0);
}

TEST(Matcher, TopKEqualsBruteForceAndCountsSubjectsOnce) {
  std::mt19937 rng(2);
  const int dim = 32;
  Watchlist wl(dim);
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 300; ++i) {
    rows.push_back(RandomUnit(dim, &rng));
    ASSERT_TRUE(wl.Add("s" + std::to_string(i % 100), rows.back().data()).ok());  // 3 rows each
  }
  Matcher m(&wl);
  std::vector<MatchHit> hits;
  for (int t = 0; t < 20; ++t) {
    auto q = RandomUnit(dim, &rng);
    m.Search(q.data(), 5, &hits);
    // Reference: best score per subject, sorted.
    std::vector<std::pair<float, int>> best(100, {-9.0f, -1});
    for (int r = 0; r < 300; ++r) {
      double s = 0;
      for (int j = 0; j < dim; ++j) s += double(rows[r][j]) * q[j];
      if (s > best[r % 100].first) best[r % 100] = {static_cast<float>(s), r};
    }
    std::sort(best.begin(), best.end(), [](auto& a, auto& b) { return a.first > b.first; });
    ASSERT_EQ(hits.size(), 5u);
    for (int i = 0; i < 5; ++i) {
      EXPECT_NEAR(hits[i].score, best[i].first, 1e-5);
      EXPECT_EQ(hits[i].row, best[i].second);
      EXPECT_EQ(hits[i].subject, wl.row_subject(best[i].second));
    }
  }
  // A probe equal to a row finds it with score ~1.
  m.Search(rows[123].data(), 1, &hits);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].row, 123);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
}

TEST(Matcher, FewerSubjectsThanKAndEmptyWatchlist) {
  Watchlist wl(2);
  const float a[2] = {1, 0}, b[2] = {0, 1};
  Matcher m(&wl);
  std::vector<MatchHit> hits;
  m.Search(a, 3, &hits);
  EXPECT_TRUE(hits.empty());
  ASSERT_TRUE(wl.Add("a", a).ok());
  ASSERT_TRUE(wl.Add("b", b).ok());
  m.Search(a, 3, &hits);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(wl.subject_name(hits[0].subject), "a");
  EXPECT_EQ(wl.subject_name(hits[1].subject), "b");
}

TEST(TrackScoreFusion, MeanOfTopKWithMissingSearchesAsZero) {
  FusionOptions o;
  o.top_k = 2;
  o.min_observations = 2;
  TrackScoreFusion f(o);
  EXPECT_EQ(f.Fused(0), -2.0f);
  f.Add({{0, 0, 0.8f}, {1, 1, 0.3f}});
  EXPECT_FALSE(f.ready());
  EXPECT_FLOAT_EQ(f.Fused(0), 0.8f);  // one observation: its own score
  f.Add({{1, 1, 0.5f}});              // subject 0 not among the hits this time
  EXPECT_TRUE(f.ready());
  EXPECT_FLOAT_EQ(f.Fused(0), 0.4f);  // (0.8 + 0) / 2: one good frame is not enough
  EXPECT_FLOAT_EQ(f.Fused(1), 0.4f);  // (0.5 + 0.3) / 2
  f.Add({{0, 0, 0.7f}});
  EXPECT_FLOAT_EQ(f.Fused(0), 0.75f);  // best two of 0.8, 0.7
  f.Add({{0, 0, 0.9f}});
  EXPECT_FLOAT_EQ(f.Fused(0), 0.85f);
  EXPECT_EQ(f.observations(), 4);
  EXPECT_EQ(f.Subjects().size(), 2u);
}

}  // namespace
}  // namespace lfr
