#include "search/index.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <cmath>
#include <future>
#include <random>
#include <set>
#include <thread>

namespace lfr::search {
namespace {

void Normalise(float* v, int dim) {
  double n2 = 0;
  for (int j = 0; j < dim; ++j) n2 += double(v[j]) * v[j];
  const float inv = static_cast<float>(1.0 / std::sqrt(n2));
  for (int j = 0; j < dim; ++j) v[j] *= inv;
}

std::vector<float> RandomUnit(int n, int dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<size_t>(n) * dim);
  for (auto& x : v) x = g(rng);
  for (int i = 0; i < n; ++i) Normalise(v.data() + static_cast<size_t>(i) * dim, dim);
  return v;
}

// A face-like gallery: `people` identities; a face is its identity plus noise, so faces of
// one person have cosine ~0.6 and of different people ~0. Like real face embeddings (and
// unlike uniform random vectors) the data has a low intrinsic dimension: identities and
// within-person variation come from a 24-d latent space mapped into dim by a fixed random
// matrix, plus a little isotropic noise.
struct FaceSet {
  int dim = 0;
  std::vector<float> basis;    // dim x kLatent
  std::vector<float> centres;  // people x dim (unit)
  std::vector<float> faces;
  std::vector<int64_t> ids;
};
constexpr int kLatent = 24;

std::vector<float> Face(const FaceSet& s, int p, std::mt19937_64& rng) {
  std::normal_distribution<float> z(0.0f, 0.55f / std::sqrt(static_cast<float>(kLatent)));
  std::normal_distribution<float> iso(0.0f, 0.15f / std::sqrt(static_cast<float>(s.dim)));
  float lat[kLatent];
  for (auto& x : lat) x = z(rng);
  std::vector<float> f(s.dim);
  for (int j = 0; j < s.dim; ++j) {
    float v = s.centres[static_cast<size_t>(p) * s.dim + j] + iso(rng);
    for (int l = 0; l < kLatent; ++l) v += s.basis[static_cast<size_t>(j) * kLatent + l] * lat[l];
    f[j] = v;
  }
  Normalise(f.data(), s.dim);
  return f;
}

FaceSet MakeFaces(int people, int per_person, int dim, uint64_t seed) {
  FaceSet s;
  s.dim = dim;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f / std::sqrt(static_cast<float>(kLatent)));
  s.basis.resize(static_cast<size_t>(dim) * kLatent);
  for (auto& x : s.basis) x = g(rng);
  s.centres.resize(static_cast<size_t>(people) * dim);
  for (int p = 0; p < people; ++p) {
    float lat[kLatent];
    for (auto& x : lat) x = g(rng);
    float* c = s.centres.data() + static_cast<size_t>(p) * dim;
    for (int j = 0; j < dim; ++j) {
      c[j] = 0;
      for (int l = 0; l < kLatent; ++l) c[j] += s.basis[static_cast<size_t>(j) * kLatent + l] * lat[l];
    }
    Normalise(c, dim);
  }
  for (int p = 0; p < people; ++p) {
    for (int k = 0; k < per_person; ++k) {
      auto f = Face(s, p, rng);
      s.faces.insert(s.faces.end(), f.begin(), f.end());
      s.ids.push_back(static_cast<int64_t>(s.ids.size()) * 3 + 7);  // ids need not be dense
    }
  }
  return s;
}

// A new face of person p (a probe: not in the gallery).
std::vector<float> Probe(const FaceSet& s, int p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  return Face(s, p, rng);
}

std::vector<SearchHit> BruteForce(std::span<const int64_t> ids, std::span<const float> v, int dim,
                                  std::span<const float> q, int k) {
  std::vector<SearchHit> all;
  for (size_t i = 0; i < ids.size(); ++i) {
    float d = 0;
    for (int j = 0; j < dim; ++j) d += v[i * dim + j] * q[j];
    all.push_back({ids[i], d});
  }
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.score != b.score ? a.score > b.score : a.id < b.id; });
  all.resize(std::min<size_t>(all.size(), k));
  return all;
}

// Share of the exact top-k ids that the index's top-k has, over probes of random people.
double RecallAtK(const FaceIndex& approx, const FaceIndex& exact, const FaceSet& s, int people, int probes,
                 int k) {
  int64_t found = 0, total = 0;
  for (int i = 0; i < probes; ++i) {
    const auto q = Probe(s, (i * 7919) % people, 1000 + i);
    auto a = approx.Search(q, k);
    auto e = exact.Search(q, k);
    EXPECT_TRUE(a.ok() && e.ok());
    std::set<int64_t> got;
    for (const auto& h : *a) got.insert(h.id);
    for (const auto& h : *e) found += got.count(h.id);
    total += static_cast<int64_t>(e->size());
  }
  return total ? static_cast<double>(found) / total : 0;
}

FaceIndexOptions SmallIvf(int64_t exact_below = 1000) {
  FaceIndexOptions o;
  o.exact_below = exact_below;
  o.approx.proposer = Proposer::kIvfPq;
  o.approx.nlist = 128;
  // Half the cells: a 12,000-face gallery has only ~90 faces per cell, so its exact top-20
  // spreads over many cells (measured recall@20: 0.947 at nprobe 32, 0.996 at 64).
  o.approx.nprobe = 64;
  o.approx.train_size = 10000;
  return o;
}

// The default approximate index as it ships: exhaustive 4-bit PQ fast-scan, 8 B codes at
// 128-d, its default shortlist (2,000 for k = 20: the codes choose which 2,000 of the 15,000
// faces are re-ranked).
FaceIndexOptions SmallFastScan(int64_t exact_below = 1000) {
  FaceIndexOptions o;
  o.exact_below = exact_below;
  o.approx.proposer = Proposer::kPqFastScan;
  o.approx.train_size = 10000;
  return o;
}

SecretBytes TestKey(uint8_t fill) {
  SecretBytes k(kKeyBytes);
  std::fill(k.data(), k.data() + k.size(), fill);
  return k;
}

// Recall@20 of the approximate index built with these options, against exact search, on a
// face-like gallery of 15,000; the returned scores are exact.
void ExpectRecallAt20(const FaceIndexOptions& o) {
  const int dim = 128, people = 3000;
  auto s = MakeFaces(people, 5, dim, 7);
  auto approx = BuildFaceIndex(dim, s.ids, s.faces, o);
  ASSERT_TRUE(approx.ok()) << approx.status().ToString();
  ASSERT_NE(dynamic_cast<RerankFaceIndex*>(approx->get()), nullptr);
  ExactFaceIndex exact(dim);
  ASSERT_TRUE(exact.Add(s.ids, s.faces).ok());
  EXPECT_GE(RecallAtK(**approx, exact, s, people, 200, 20), 0.99) << (*approx)->Describe();
  const auto q = Probe(s, 11, 77);
  auto a = (*approx)->Search(q, 5);
  auto e = exact.Search(q, 5);
  ASSERT_TRUE(a.ok() && e.ok());
  ASSERT_EQ(a->size(), 5u);
  EXPECT_EQ((*a)[0].id, (*e)[0].id);
  EXPECT_NEAR((*a)[0].score, (*e)[0].score, 1e-5);
}

// Built (and trained) on half the gallery, the other half added later in chunks, a third
// removed in three calls: recall@20 stays at 99 % of exact.
void ExpectIncrementalKeepsRecall(const FaceIndexOptions& o) {
  const int dim = 128, people = 3000;
  auto s = MakeFaces(people, 5, dim, 8);
  const size_t half = s.ids.size() / 2;
  auto approx = BuildFaceIndex(dim, std::span(s.ids).first(half), std::span(s.faces).first(half * dim), o);
  ASSERT_TRUE(approx.ok());
  ExactFaceIndex exact(dim);
  ASSERT_TRUE(exact.Add(std::span(s.ids).first(half), std::span(s.faces).first(half * dim)).ok());
  for (size_t i = half; i < s.ids.size(); i += 1000) {
    const size_t m = std::min<size_t>(1000, s.ids.size() - i);
    ASSERT_TRUE((*approx)->Add(std::span(s.ids).subspan(i, m), std::span(s.faces).subspan(i * dim, m * dim)).ok());
    ASSERT_TRUE(exact.Add(std::span(s.ids).subspan(i, m), std::span(s.faces).subspan(i * dim, m * dim)).ok());
  }
  for (int round = 0; round < 3; ++round) {
    std::vector<int64_t> gone;
    for (size_t i = round; i < s.ids.size(); i += 9) gone.push_back(s.ids[i]);
    ASSERT_TRUE((*approx)->Remove(gone).ok());
    ASSERT_TRUE(exact.Remove(gone).ok());
  }
  EXPECT_EQ((*approx)->size(), exact.size());
  EXPECT_GE(RecallAtK(**approx, exact, s, people, 200, 20), 0.99) << (*approx)->Describe();
}

TEST(FaceIndexExact, MatchesBruteForceOnRandomUnitVectors) {
  const int dim = 64, n = 3000;
  auto v = RandomUnit(n, dim, 1);
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = 1000 + 5 * i;
  ExactFaceIndex index(dim);
  ASSERT_TRUE(index.Add(ids, v).ok());
  EXPECT_EQ(index.size(), n);
  auto queries = RandomUnit(25, dim, 2);
  for (int q = 0; q < 25; ++q) {
    std::span<const float> query(queries.data() + q * dim, dim);
    auto got = index.Search(query, 10);
    ASSERT_TRUE(got.ok());
    auto want = BruteForce(ids, v, dim, query, 10);
    ASSERT_EQ(got->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ((*got)[i].id, want[i].id);
      EXPECT_NEAR((*got)[i].score, want[i].score, 1e-5);
    }
  }
  // k larger than the index: everything, best first.
  ExactFaceIndex small(dim);
  ASSERT_TRUE(small.Add(std::span(ids).first(3), std::span(v).first(3 * dim)).ok());
  auto all = small.Search(std::span(queries).first(dim), 20);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  EXPECT_GE((*all)[0].score, (*all)[1].score);
}

TEST(FaceIndexExact, RefusesBadInputAndAddsNothing) {
  const int dim = 16;
  ExactFaceIndex index(dim);
  auto v = RandomUnit(3, dim, 3);
  std::vector<int64_t> ids = {1, 2, 3};
  EXPECT_EQ(index.Add(ids, std::span(v).first(2 * dim)).code(), Status::Code::kInvalidArgument);
  std::vector<int64_t> dup = {1, 2, 1};
  EXPECT_EQ(index.Add(dup, v).code(), Status::Code::kInvalidArgument);
  std::vector<int64_t> neg = {1, -2, 3};
  EXPECT_EQ(index.Add(neg, v).code(), Status::Code::kInvalidArgument);
  auto not_unit = v;
  not_unit[dim + 1] += 0.5f;
  EXPECT_EQ(index.Add(ids, not_unit).code(), Status::Code::kInvalidArgument);
  auto nan = v;
  nan[0] = std::nanf("");
  EXPECT_EQ(index.Add(ids, nan).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(index.size(), 0);
  ASSERT_TRUE(index.Add(ids, v).ok());
  std::vector<int64_t> again = {4, 3};
  EXPECT_EQ(index.Add(again, std::span(v).first(2 * dim)).code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(index.Contains(4));
  EXPECT_EQ(index.size(), 3);
  EXPECT_EQ(index.Search(std::span(v).first(dim - 1), 5).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(index.Search(std::span(v).first(dim), 0).status().code(), Status::Code::kInvalidArgument);
}

void ExpectRemovedNeverReturned(FaceIndex& index, const FaceSet& s) {
  std::vector<int64_t> gone;
  for (size_t i = 0; i < s.ids.size(); i += 2) gone.push_back(s.ids[i]);
  gone.push_back(999999999);  // absent: ignored
  auto removed = index.Remove(gone);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, static_cast<int64_t>(gone.size()) - 1);
  EXPECT_EQ(index.size(), static_cast<int64_t>(s.ids.size() - gone.size() + 1));
  std::set<int64_t> gone_set(gone.begin(), gone.end());
  // Search for each removed face itself: the best possible match is gone.
  for (size_t i = 0; i < s.ids.size(); i += 2) {
    EXPECT_FALSE(index.Contains(s.ids[i]));
    auto hits = index.Search({s.faces.data() + i * s.dim, static_cast<size_t>(s.dim)}, 20);
    ASSERT_TRUE(hits.ok());
    for (const auto& h : *hits) ASSERT_EQ(gone_set.count(h.id), 0u) << h.id;
  }
  // The kept ones are still found first.
  for (size_t i = 1; i < s.ids.size(); i += 98) {  // odd: kept
    auto hits = index.Search({s.faces.data() + i * s.dim, static_cast<size_t>(s.dim)}, 1);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].id, s.ids[i]);
  }
}

TEST(FaceIndexExact, RemovedIdsAreNeverReturned) {
  auto s = MakeFaces(400, 5, 64, 4);
  ExactFaceIndex index(64);
  ASSERT_TRUE(index.Add(s.ids, s.faces).ok());
  ExpectRemovedNeverReturned(index, s);
}

TEST(FaceIndexIvfPq, RemovedIdsAreNeverReturned) {
  auto s = MakeFaces(2000, 5, 64, 5);
  auto built = BuildFaceIndex(64, s.ids, s.faces, SmallIvf());
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  ASSERT_NE(dynamic_cast<RerankFaceIndex*>(built->get()), nullptr);
  ExpectRemovedNeverReturned(**built, s);
}

TEST(FaceIndexFastScan, RemovedIdsAreNeverReturned) {
  auto s = MakeFaces(2000, 5, 64, 5);
  auto built = BuildFaceIndex(64, s.ids, s.faces, SmallFastScan());
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto* r = dynamic_cast<RerankFaceIndex*>(built->get());
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->proposer(), Proposer::kPqFastScan);
  ExpectRemovedNeverReturned(**built, s);
}

// The measured shortlists: 4,000 up to 5M faces, 8,000 at 10M (recall@20 0.9947 there,
// 0.9885 with 4,000), more for a larger top-k.
TEST(FaceIndexFastScan, DefaultShortlistGrowsWithTheGallery) {
  EXPECT_EQ(DefaultShortlist(Proposer::kPqFastScan, 20, 100000), 4000);
  EXPECT_EQ(DefaultShortlist(Proposer::kPqFastScan, 20, 1000000), 4000);
  EXPECT_EQ(DefaultShortlist(Proposer::kPqFastScan, 20, 5000000), 4000);
  EXPECT_EQ(DefaultShortlist(Proposer::kPqFastScan, 20, 10000000), 8000);
  EXPECT_EQ(DefaultShortlist(Proposer::kPqFastScan, 50, 1000000), 10000);
  EXPECT_EQ(DefaultShortlist(Proposer::kIvfPq, 20, 10000000), 320);
}

TEST(FaceIndexFastScan, IsTheDefaultAboveTheThreshold) {
  auto s = MakeFaces(300, 4, 32, 6);
  FaceIndexOptions o;
  o.exact_below = 1000;
  auto big = BuildFaceIndex(32, s.ids, s.faces, o);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  auto* r = dynamic_cast<RerankFaceIndex*>(big->get());
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->proposer(), Proposer::kPqFastScan);
  EXPECT_NE(r->Describe().find("PQ fast-scan"), std::string::npos) << r->Describe();
}

TEST(FaceIndexFastScan, RecallAt20IsAtLeast99PercentOfExactOnFaceLikeData) { ExpectRecallAt20(SmallFastScan()); }

TEST(FaceIndexFastScan, IncrementalAddAndRemoveKeepRecall) { ExpectIncrementalKeepsRecall(SmallFastScan()); }

TEST(FaceIndexBuild, ChoosesExactBelowTheThresholdAndIvfPqAbove) {
  auto s = MakeFaces(300, 4, 32, 6);
  auto small = BuildFaceIndex(32, s.ids, s.faces, SmallIvf(1201));
  ASSERT_TRUE(small.ok());
  EXPECT_NE(dynamic_cast<ExactFaceIndex*>(small->get()), nullptr);
  EXPECT_EQ((*small)->size(), 1200);
  FaceIndexOptions o = SmallIvf(1200);
  o.approx.nlist = 16;
  auto big = BuildFaceIndex(32, s.ids, s.faces, o);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_NE(dynamic_cast<RerankFaceIndex*>(big->get()), nullptr);
  EXPECT_EQ((*big)->size(), 1200);
  // A duplicate id in the source is refused either way.
  auto ids = s.ids;
  ids[5] = ids[4];
  EXPECT_EQ(BuildFaceIndex(32, ids, s.faces, SmallIvf(100000)).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(BuildFaceIndex(32, ids, s.faces, o).status().code(), Status::Code::kInvalidArgument);
}

TEST(FaceIndexIvfPq, RecallAt20IsAtLeast99PercentOfExactOnFaceLikeData) { ExpectRecallAt20(SmallIvf()); }

TEST(FaceIndexIvfPq, IncrementalAddAndRemoveKeepRecall) { ExpectIncrementalKeepsRecall(SmallIvf()); }

TEST(FaceIndexSeal, RoundTripKeepsResultsForEachKind) {
  const int dim = 64;
  auto s = MakeFaces(1500, 4, dim, 9);
  const SecretBytes key = TestKey(7);
  std::vector<std::unique_ptr<FaceIndex>> indexes;
  indexes.push_back(std::make_unique<ExactFaceIndex>(dim));
  ASSERT_TRUE(indexes[0]->Add(s.ids, s.faces).ok());
  for (bool fast_scan : {false, true}) {
    for (bool fp16 : {false, true}) {
      auto o = fast_scan ? SmallFastScan() : SmallIvf();
      o.approx.float16_store = fp16;
      auto b = BuildFaceIndex(dim, s.ids, s.faces, o);
      ASSERT_TRUE(b.ok());
      indexes.push_back(std::move(*b));
    }
  }
  for (auto& index : indexes) {
    ASSERT_TRUE(index->Remove(std::vector<int64_t>{s.ids[3], s.ids[10]}).ok());
    auto sealed = SealFaceIndex(*index, key, "gallery:1:index");
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    auto opened = OpenSealedFaceIndex(*sealed, key, "gallery:1:index");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ((*opened)->size(), index->size());
    EXPECT_EQ((*opened)->Describe(), index->Describe());
    EXPECT_FALSE((*opened)->Contains(s.ids[3]));
    for (int p = 0; p < 30; ++p) {
      const auto q = Probe(s, p * 37, 500 + p);
      auto a = index->Search(q, 20);
      auto b = (*opened)->Search(q, 20);
      ASSERT_TRUE(a.ok() && b.ok());
      ASSERT_EQ(a->size(), b->size());
      for (size_t i = 0; i < a->size(); ++i) {
        EXPECT_EQ((*a)[i].id, (*b)[i].id);
        EXPECT_EQ((*a)[i].score, (*b)[i].score);
      }
    }
    // The opened index keeps working: add and remove.
    auto extra = RandomUnit(1, dim, 99);
    ASSERT_TRUE((*opened)->Add(std::vector<int64_t>{424242}, extra).ok());
    auto top = (*opened)->Search(extra, 1);
    ASSERT_TRUE(top.ok());
    EXPECT_EQ((*top)[0].id, 424242);
    // The sealed bytes do not contain the plaintext vectors.
    const auto* first = reinterpret_cast<const uint8_t*>(s.faces.data() + 5 * dim);
    EXPECT_EQ(std::search(sealed->begin(), sealed->end(), first, first + 32), sealed->end());
  }
}

TEST(FaceIndexSeal, TamperedWrongKeyOrWrongAadIsRefusedAsCorrupt) {
  const int dim = 32;
  auto s = MakeFaces(200, 3, dim, 10);
  ExactFaceIndex index(dim);
  ASSERT_TRUE(index.Add(s.ids, s.faces).ok());
  const SecretBytes key = TestKey(1);
  auto sealed = SealFaceIndex(index, key, "gallery:1:index");
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE(OpenSealedFaceIndex(*sealed, key, "gallery:1:index").ok());
  for (size_t pos : {size_t{0}, size_t{30}, sealed->size() / 2, sealed->size() - 1}) {
    auto bad = *sealed;
    bad[pos] ^= 0x01;
    EXPECT_EQ(OpenSealedFaceIndex(bad, key, "gallery:1:index").status().code(), Status::Code::kCorrupt) << pos;
  }
  auto truncated = *sealed;
  truncated.resize(truncated.size() - 100);
  EXPECT_EQ(OpenSealedFaceIndex(truncated, key, "gallery:1:index").status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(OpenSealedFaceIndex(*sealed, TestKey(2), "gallery:1:index").status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(OpenSealedFaceIndex(*sealed, key, "gallery:2:index").status().code(), Status::Code::kCorrupt);
  // Authentic bytes that are not an index.
  std::vector<uint8_t> junk(100, 0x5a);
  auto sealed_junk = Seal(key, junk, "gallery:1:index");
  ASSERT_TRUE(sealed_junk.ok());
  EXPECT_EQ(OpenSealedFaceIndex(*sealed_junk, key, "gallery:1:index").status().code(), Status::Code::kCorrupt);
}

// The streamed form (sealed 1 MiB pieces into a file descriptor): an index of several
// pieces round-trips; a flipped byte in any piece, a truncated or extended stream, another
// key or aad are Corrupt.
TEST(FaceIndexSeal, StreamedToAFileRoundTripsAndRefusesTamperTruncationAndExtension) {
  const int dim = 128;
  auto s = MakeFaces(1000, 3, dim, 21);  // 3000 x 128 floats: ~1.5 MiB, two pieces or more
  ExactFaceIndex index(dim);
  ASSERT_TRUE(index.Add(s.ids, s.faces).ok());
  const SecretBytes key = TestKey(5);
  char path[] = "/tmp/lfr-sealed-index-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SealFaceIndexToFd(index, key, "gallery:1:index:3", fd).ok());
  ::close(fd);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(bytes.size(), size_t{3000} * dim * 4);
  const auto* first = reinterpret_cast<const char*>(s.faces.data() + 7 * dim);
  EXPECT_EQ(bytes.find(std::string(first, 64)), std::string::npos);  // no plaintext vector
  auto open = [&](const std::string& content, const SecretBytes& k, const char* aad) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << content;
    }
    const int rfd = ::open(path, O_RDONLY);
    auto r = OpenSealedFaceIndexFd(rfd, k, aad);
    ::close(rfd);
    return r;
  };
  auto good = open(bytes, key, "gallery:1:index:3");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ((*good)->size(), 3000);
  for (int p = 0; p < 10; ++p) {
    const auto q = Probe(s, p * 31, 900 + p);
    auto a = index.Search(q, 10);
    auto b = (*good)->Search(q, 10);
    ASSERT_TRUE(a.ok() && b.ok());
    for (size_t i = 0; i < a->size(); ++i) EXPECT_EQ((*a)[i].id, (*b)[i].id);
  }
  for (size_t pos : {size_t{5}, size_t{100}, bytes.size() / 2, bytes.size() - 3}) {
    std::string bad = bytes;
    bad[pos] ^= 0x01;
    EXPECT_EQ(open(bad, key, "gallery:1:index:3").status().code(), Status::Code::kCorrupt) << pos;
  }
  EXPECT_EQ(open(bytes.substr(0, bytes.size() - 100), key, "gallery:1:index:3").status().code(),
            Status::Code::kCorrupt);
  // Cut at a piece boundary: the FINAL piece is missing.
  EXPECT_EQ(open(bytes.substr(0, 24 + (size_t{1} << 20) + 17), key, "gallery:1:index:3").status().code(),
            Status::Code::kCorrupt);
  EXPECT_EQ(open(bytes + "x", key, "gallery:1:index:3").status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(open(bytes, TestKey(6), "gallery:1:index:3").status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(open(bytes, key, "gallery:1:index:4").status().code(), Status::Code::kCorrupt);
  ::unlink(path);
}

TEST(FaceIndexManaged, BackgroundRebuildSwapsInAndKeepsWritesMadeMeanwhile) {
  const int dim = 64;
  auto s = MakeFaces(1000, 5, dim, 11);  // 5000 faces
  const size_t initial = 4000;
  auto start = std::make_unique<ExactFaceIndex>(dim);
  ASSERT_TRUE(start->Add(std::span(s.ids).first(initial), std::span(s.faces).first(initial * dim)).ok());
  ManagedFaceIndex managed(std::move(start), SmallIvf(1000), /*auto_rebuild=*/false);

  // The source is the "gallery": the first 4000 faces. It waits until the test has made
  // its writes, so they certainly happen while the build runs.
  std::promise<void> writes_done;
  std::shared_future<void> go = writes_done.get_future().share();
  ASSERT_TRUE(managed
                  .StartRebuild([&](const VectorSink& sink) -> Status {
                    go.wait();
                    return sink(std::span(s.ids).first(initial), std::span(s.faces).first(initial * dim));
                  })
                  .ok());
  EXPECT_TRUE(managed.building());
  EXPECT_EQ(managed.StartRebuild(nullptr).code(), Status::Code::kFailedPrecondition);
  // Meanwhile: the last 1000 faces arrive, 100 old ones are removed, searches keep working.
  ASSERT_TRUE(managed.Add(std::span(s.ids).subspan(initial), std::span(s.faces).subspan(initial * dim)).ok());
  std::vector<int64_t> gone(s.ids.begin(), s.ids.begin() + 100);
  ASSERT_TRUE(managed.Remove(gone).ok());
  auto during = managed.Search({s.faces.data() + 4500 * dim, static_cast<size_t>(dim)}, 1);
  ASSERT_TRUE(during.ok());
  EXPECT_EQ((*during)[0].id, s.ids[4500]);
  writes_done.set_value();
  ASSERT_TRUE(managed.WaitForBuild().ok()) << managed.last_build_status().ToString();
  EXPECT_FALSE(managed.building());
  EXPECT_NE(managed.Describe().find("IVF-PQ"), std::string::npos) << managed.Describe();
  EXPECT_EQ(managed.size(), 4900);
  for (int64_t id : gone) EXPECT_FALSE(managed.Contains(id));
  for (size_t i = 100; i < s.ids.size(); i += 7) {
    auto hits = managed.Search({s.faces.data() + i * dim, static_cast<size_t>(dim)}, 1);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ((*hits)[0].id, s.ids[i]);
  }
  // And it can be sealed and opened like any index.
  const SecretBytes key = TestKey(3);
  auto sealed = SealFaceIndex(managed, key, "g");
  ASSERT_TRUE(sealed.ok());
  auto opened = OpenSealedFaceIndex(*sealed, key, "g");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ((*opened)->size(), 4900);
}

TEST(FaceIndexManaged, FailedBuildKeepsTheCurrentIndex) {
  const int dim = 32;
  auto s = MakeFaces(300, 4, dim, 12);
  ManagedFaceIndex managed(dim, SmallIvf(100), false);
  ASSERT_TRUE(managed.Add(s.ids, s.faces).ok());
  ASSERT_TRUE(managed.StartRebuild([](const VectorSink&) { return Status::IOError("gallery unreadable"); }).ok());
  EXPECT_EQ(managed.WaitForBuild().code(), Status::Code::kIOError);
  EXPECT_EQ(managed.size(), 1200);
  EXPECT_NE(managed.Describe().find("exact"), std::string::npos);
}

TEST(FaceIndexManaged, CrossingTheThresholdRebuildsAsIvfPqByItself) {
  const int dim = 64;
  auto s = MakeFaces(600, 5, dim, 13);  // 3000 faces
  FaceIndexOptions o = SmallIvf(2000);
  o.approx.nlist = 32;
  ManagedFaceIndex managed(dim, o);
  // Concurrent searches while faces are added in chunks.
  std::atomic<bool> stop{false};
  std::atomic<int> searches{0};
  std::thread reader([&] {
    while (!stop) {
      auto r = managed.Search({s.faces.data(), static_cast<size_t>(dim)}, 5);
      ASSERT_TRUE(r.ok());
      ++searches;
    }
  });
  for (size_t i = 0; i < s.ids.size(); i += 250) {
    ASSERT_TRUE(managed.Add(std::span(s.ids).subspan(i, 250), std::span(s.faces).subspan(i * dim, 250 * dim)).ok());
  }
  ASSERT_TRUE(managed.WaitForBuild().ok());
  stop = true;
  reader.join();
  EXPECT_GT(searches.load(), 0);
  EXPECT_NE(managed.Describe().find("IVF-PQ"), std::string::npos) << managed.Describe();
  EXPECT_EQ(managed.size(), 3000);
  for (size_t i = 0; i < s.ids.size(); i += 11) {
    auto hits = managed.Search({s.faces.data() + i * dim, static_cast<size_t>(dim)}, 1);
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ((*hits)[0].id, s.ids[i]);
  }
}

}  // namespace
}  // namespace lfr::search
