// The background cohort and the watchlist false-alert forecast on synthetic embeddings:
// strangers spread over the sphere, one "hub" entry near their mean (what a collapsed,
// sideways or background crop turns into), file round trip and every bad file.
#include "match/cohort.h"

#include <cmath>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "testing/shared.h"

namespace lfr {
namespace {

constexpr int kDim = 256;

void Normalise(float* v, int dim) {
  double n = 0;
  for (int i = 0; i < dim; ++i) n += double(v[i]) * v[i];
  const float s = static_cast<float>(1.0 / std::sqrt(n));
  for (int i = 0; i < dim; ++i) v[i] *= s;
}

// Faces as a shared "face-ness" direction plus an individual part, like real embeddings
// (two strangers still score about 0.17 with each other).
std::vector<float> Faces(int n, uint64_t seed, float common = 0.45f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> rows(static_cast<size_t>(n) * kDim);
  for (int i = 0; i < n; ++i) {
    float* r = &rows[static_cast<size_t>(i) * kDim];
    for (int d = 0; d < kDim; ++d) r[d] = g(rng) / std::sqrt(float(kDim));
    Normalise(r, kDim);
    r[0] += common;  // the shared direction
    Normalise(r, kDim);
  }
  return rows;
}

BackgroundCohort MakeCohort(int n = 600) {
  auto c = BackgroundCohort::FromRows("test-rec", "abc", kDim, Faces(n, 7), {});
  EXPECT_TRUE(c.ok()) << c.status().message();
  return std::move(*c);
}

TEST(BackgroundCohort, AHubEntryIsFlaggedAndOrdinaryEntriesAreNot) {
  const BackgroundCohort cohort = MakeCohort();
  // Watchlist: 30 ordinary people (not in the cohort) and one hub: the mean face direction
  // with a little noise, which is close to everyone.
  std::vector<float> entries = Faces(30, 99);
  std::vector<float> hub(kDim, 0.0f);
  hub[0] = 1.0f;
  hub[1] = 0.1f;
  Normalise(hub.data(), kDim);
  entries.insert(entries.end(), hub.begin(), hub.end());
  const int n = 31;
  auto f = cohort.Forecast(entries.data(), n, kDim, 0.4f);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->entries.size(), 31u);
  EXPECT_EQ(f->cohort_size, 600);
  EXPECT_EQ(f->hubs, 1);
  EXPECT_TRUE(f->entries[30].hub) << f->entries[30].hub_z;
  EXPECT_NE(f->entries[30].reason.find("strangers"), std::string::npos) << f->entries[30].reason;
  for (int i = 0; i < 30; ++i) {
    EXPECT_FALSE(f->entries[i].hub) << i << ": " << f->entries[i].reason;
    EXPECT_LT(f->entries[i].hub_z, 4.0);
  }
  // The hub is what makes the list alert on strangers: nearly every hit is its.
  EXPECT_GT(f->entries[30].cohort_hits, 100);
  EXPECT_GE(f->faces_alerting, f->entries[30].cohort_hits);
  EXPECT_DOUBLE_EQ(f->rate, double(f->faces_alerting) / 600);
  EXPECT_GT(f->rate_upper95, f->rate);
  // Without the hub, the same list at the same threshold alerts on (almost) nobody.
  auto clean = cohort.Forecast(entries.data(), 30, kDim, 0.4f);
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(clean->hubs, 0);
  EXPECT_LT(clean->faces_alerting, 3);
  EXPECT_LT(clean->rate_upper95, 0.02);
  EXPECT_GT(clean->rate_upper95, 0.0) << "zero hits out of 600 still bounds the rate only to ~1/160";
}

TEST(BackgroundCohort, AnEntryWithFarMoreHitsThanTheOthersIsFlaggedAtTheThreshold) {
  const BackgroundCohort cohort = MakeCohort();
  std::vector<float> entries = Faces(10, 5);
  // Entry 10: the centre of five cohort faces: those five strangers score about 0.58 with it.
  auto rows = Faces(600, 7);
  std::vector<float> near(kDim, 0.0f);
  for (int j = 0; j < 5; ++j) {
    for (int d = 0; d < kDim; ++d) near[d] += rows[static_cast<size_t>(j) * kDim + d];
  }
  Normalise(near.data(), kDim);
  entries.insert(entries.end(), near.begin(), near.end());
  auto f = cohort.Forecast(entries.data(), 11, kDim, 0.45f);
  ASSERT_TRUE(f.ok());
  EXPECT_GE(f->entries[10].cohort_hits, 5);
  EXPECT_TRUE(f->entries[10].hub) << f->entries[10].reason;
  EXPECT_NE(f->entries[10].reason.find("would alert on it at this threshold"), std::string::npos);
}

// Enrolment's HubCheck gives, for a candidate joining a list, exactly what Forecast() gives
// for the list with the candidate as its last entry, at any threshold: the same hits, hub
// flag and reason (by either rule) and the same whole-list figures.
TEST(HubCheck, JudgesACandidateAsTheFullForecastWouldAtAnyThreshold) {
  const BackgroundCohort cohort = MakeCohort();
  std::vector<float> entries = Faces(10, 5);
  auto rows = Faces(600, 7);
  // Candidates: an ordinary face, the near-centre of five cohort faces (the hits rule), and
  // the mean face direction (the hubness rule).
  std::vector<float> near(kDim, 0.0f), hub(kDim, 0.0f);
  for (int j = 0; j < 5; ++j) {
    for (int d = 0; d < kDim; ++d) near[d] += rows[static_cast<size_t>(j) * kDim + d];
  }
  Normalise(near.data(), kDim);
  hub[0] = 1.0f;
  hub[1] = 0.1f;
  Normalise(hub.data(), kDim);
  const std::vector<float> ordinary = Faces(1, 1234);
  HubCheck check(&cohort);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(check.AddEntry(&entries[static_cast<size_t>(i) * kDim], kDim).ok());
  EXPECT_EQ(check.entries(), 10);
  int hubs_seen = 0;
  const std::vector<float>* candidates[] = {&ordinary, &near, &hub};
  for (const std::vector<float>* cand : candidates) {
    for (float t : {0.2f, 0.3f, 0.45f, 0.6f}) {
      std::vector<float> all = entries;
      all.insert(all.end(), cand->begin(), cand->end());
      auto full = cohort.Forecast(all.data(), 11, kDim, t);
      auto judged = check.Judge(cand->data(), kDim, t);
      ASSERT_TRUE(full.ok() && judged.ok());
      ASSERT_EQ(judged->entries.size(), 1u);
      const EntryForecast& a = full->entries[10];
      const EntryForecast& b = judged->entries[0];
      EXPECT_EQ(b.index, 10);
      EXPECT_EQ(a.cohort_hits, b.cohort_hits) << t;
      EXPECT_EQ(a.hub, b.hub) << t << ": " << a.reason << " / " << b.reason;
      EXPECT_EQ(a.reason, b.reason);
      EXPECT_FLOAT_EQ(a.hubness, b.hubness);
      EXPECT_EQ(full->faces_alerting, judged->faces_alerting) << t;
      EXPECT_DOUBLE_EQ(full->rate_upper95, judged->rate_upper95);
      hubs_seen += b.hub;
    }
  }
  EXPECT_GE(hubs_seen, 5) << "both hub candidates flagged at most thresholds";
  // The ordinary face is never a hub; the mean face always is.
  for (float t : {0.2f, 0.45f}) {
    EXPECT_FALSE(check.Judge(ordinary.data(), kDim, t)->entries[0].hub);
    EXPECT_TRUE(check.Judge(hub.data(), kDim, t)->entries[0].hub);
  }
  std::vector<float> wrong(128, 0.1f);
  EXPECT_EQ(check.AddEntry(wrong.data(), 128).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(check.Judge(wrong.data(), 128, 0.5f).status().code(), Status::Code::kInvalidArgument);
}

TEST(BackgroundCohort, EmptyListAndWrongDimension) {
  const BackgroundCohort cohort = MakeCohort(100);
  auto empty = cohort.Forecast(nullptr, 0, kDim, 0.5f);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->faces_alerting, 0);
  EXPECT_TRUE(empty->entries.empty());
  std::vector<float> wrong(128, 0.1f);
  auto bad = cohort.Forecast(wrong.data(), 1, 128, 0.5f);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("build a cohort with the watchlist's recogniser"), std::string::npos);
  EXPECT_FALSE(BackgroundCohort::FromRows("x", "", kDim, Faces(10, 1), {}).ok()) << "too few faces";
  EXPECT_FALSE(BackgroundCohort::FromRows("x", "", kDim, std::vector<float>(kDim * 50 + 3), {}).ok());
  EXPECT_FALSE(BackgroundCohort::FromRows("x", "", kDim, Faces(50, 1), {"a", "b"}).ok());
}

TEST(BackgroundCohort, SavedAndLoadedItForecastsTheSameAndRefusesBadFiles) {
  std::vector<std::string> groups;
  for (int i = 0; i < 200; ++i) groups.push_back(i % 2 ? "Black Female" : "White Male");
  auto made = BackgroundCohort::FromRows("test-rec", "abc", kDim, Faces(200, 3), groups);
  ASSERT_TRUE(made.ok());
  const auto dir = lfr::testing::TempDir("cohort");
  const auto path = DefaultCohortPath(dir, "test-rec");
  EXPECT_EQ(path, dir / "cohort" / "test-rec.cohort");
  ASSERT_TRUE(made->Save(path).ok());
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  auto loaded = BackgroundCohort::Load(path, "test-rec", "abc");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->size(), 200);
  EXPECT_DOUBLE_EQ(loaded->reference_median(), made->reference_median());
  auto probe = Faces(5, 11);
  auto a = made->Forecast(probe.data(), 5, kDim, 0.3f);
  auto b = loaded->Forecast(probe.data(), 5, kDim, 0.3f);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(a->entries[i].cohort_hits, b->entries[i].cohort_hits);
    EXPECT_FLOAT_EQ(a->entries[i].hub_z, b->entries[i].hub_z);
  }
  // Another recogniser, or other weights of the same one: refused.
  EXPECT_EQ(BackgroundCohort::Load(path, "other-rec").status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(BackgroundCohort::Load(path, "test-rec", "def").status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(BackgroundCohort::Load(dir / "none.cohort").status().code(), Status::Code::kNotFound);
  // Truncated, trailing bytes, garbage header: Corrupt, naming the file.
  const auto size = std::filesystem::file_size(path);
  const auto cut = dir / "cut.cohort";
  std::filesystem::copy_file(path, cut);
  std::filesystem::resize_file(cut, size - 4);
  auto t = BackgroundCohort::Load(cut);
  EXPECT_EQ(t.status().code(), Status::Code::kCorrupt);
  EXPECT_NE(t.status().message().find("cut.cohort"), std::string::npos);
  const auto longer = dir / "longer.cohort";
  std::filesystem::copy_file(path, longer);
  { std::ofstream(longer, std::ios::app) << "x"; }
  EXPECT_EQ(BackgroundCohort::Load(longer).status().code(), Status::Code::kCorrupt);
  const auto junk = dir / "junk.cohort";
  { std::ofstream(junk) << "not a header\n"; }
  EXPECT_EQ(BackgroundCohort::Load(junk).status().code(), Status::Code::kCorrupt);
}

}  // namespace
}  // namespace lfr
