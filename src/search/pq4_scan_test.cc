#include "search/pq4_scan.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <faiss/IndexIDMap.h>
#include <faiss/IndexPQFastScan.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/pq4_fast_scan.h>

#include "search/index.h"

namespace lfr::search {
namespace {

// Unit vectors. face_like: a low-dimensional latent (24-d) mapped into dim plus a little
// noise, in clusters (identities), like face embeddings; else isotropic Gaussian.
std::vector<float> Vectors(int n, int dim, bool face_like, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<size_t>(n) * dim);
  if (!face_like) {
    for (auto& x : v) x = g(rng);
  } else {
    constexpr int kLatent = 24;
    std::vector<float> basis(static_cast<size_t>(dim) * kLatent), centres(50 * kLatent);
    for (auto& x : basis) x = g(rng);
    for (auto& x : centres) x = g(rng);
    for (int i = 0; i < n; ++i) {
      const float* c = centres.data() + (i % 50) * kLatent;
      float lat[kLatent];
      for (int l = 0; l < kLatent; ++l) lat[l] = c[l] + 0.6f * g(rng);
      for (int j = 0; j < dim; ++j) {
        float x = 0.05f * g(rng);
        for (int l = 0; l < kLatent; ++l) x += basis[j * kLatent + l] * lat[l];
        v[static_cast<size_t>(i) * dim + j] = x;
      }
    }
  }
  for (int i = 0; i < n; ++i) {
    float* r = v.data() + static_cast<size_t>(i) * dim;
    double n2 = 0;
    for (int j = 0; j < dim; ++j) n2 += double(r[j]) * r[j];
    for (int j = 0; j < dim; ++j) r[j] = static_cast<float>(r[j] / std::sqrt(n2));
  }
  return v;
}

// Row i of v plus a little noise, normalised: a probe whose mate is in the gallery.
std::vector<float> Near(const std::vector<float>& v, int dim, int i, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 0.5f / std::sqrt(static_cast<float>(dim)));
  std::vector<float> q(v.begin() + static_cast<size_t>(i) * dim, v.begin() + static_cast<size_t>(i + 1) * dim);
  double n2 = 0;
  for (auto& x : q) {
    x += g(rng);
    n2 += double(x) * x;
  }
  for (auto& x : q) x = static_cast<float>(x / std::sqrt(n2));
  return q;
}

// A trained inner-product fast-scan index holding n vectors, as RerankFaceIndex makes it
// (IndexIDMap over IndexPQFastScan, ids not dense).
struct FastScan {
  int dim = 0;
  faiss::IndexPQFastScan* fs = nullptr;
  std::unique_ptr<faiss::IndexIDMap> map;
  std::vector<float> vectors;  // what was added, row by row
  // A probe near row i (the row plus a little noise: its mate is in the gallery).
  std::vector<float> ProbeNear(int i, uint64_t seed) const { return Near(vectors, dim, i, seed); }
};

FastScan MakeFastScan(int dim, int m, int n, bool face_like, uint64_t seed) {
  FastScan f;
  f.dim = dim;
  f.fs = new faiss::IndexPQFastScan(dim, m, 4, faiss::METRIC_INNER_PRODUCT);
  f.fs->pq.cp.niter = 5;
  f.fs->pq.cp.min_points_per_centroid = 1;
  f.map = std::make_unique<faiss::IndexIDMap>(f.fs);
  f.map->own_fields = true;
  f.vectors = Vectors(n, dim, face_like, seed);
  f.map->train(std::min(n, 2000), f.vectors.data());
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = 1000 + 7 * i;
  f.map->add_with_ids(n, f.vectors.data(), ids.data());
  return f;
}

Pq4Packed Packed(const FastScan& f) {
  return {f.fs->codes.get(), static_cast<int64_t>(f.fs->ntotal), static_cast<int>(f.fs->M2)};
}

std::vector<uint8_t> Lut(const FastScan& f, const float* q, float normalizers[2]) {
  std::vector<uint8_t> lut(f.fs->M2 * f.fs->ksub);
  f.fs->compute_quantized_LUT(1, q, lut.data(), normalizers);
  return lut;
}

// The kernel's top k against FAISS's own IndexPQFastScan search of the same codes: the same
// quantised scores in the same order (as FAISS's floats), and the same ids except for which
// of the rows tied at the last score were taken (FAISS leaves that order unspecified).
void ExpectSameShortlistAsFaiss(const FastScan& f, const float* q, int64_t k, int threads) {
  float norm[2];
  const auto lut = Lut(f, q, norm);
  const auto ours = Pq4TopKAvx2(Packed(f), lut.data(), k, threads);
  std::vector<float> fd(k);
  std::vector<int64_t> fl(k);
  f.map->search(1, q, k, fd.data(), fl.data());
  const int64_t n = f.map->ntotal;
  ASSERT_EQ(static_cast<int64_t>(ours.size()), std::min(k, n));
  std::vector<uint16_t> all(n);
  Pq4ScoresReference(Packed(f), lut.data(), all.data());
  std::map<int64_t, int64_t> row_of;
  for (int64_t i = 0; i < n; ++i) row_of[f.map->id_map[i]] = i;
  const float one_a = 1 / norm[0], b = norm[1];
  std::set<int64_t> ours_above, faiss_above;
  const uint16_t last = ours.back().score;
  for (size_t i = 0; i < ours.size(); ++i) {
    // FAISS's i-th distance is its quantised score as a float (score / a + b): the same
    // score as ours at every rank, and the score its row really has.
    const long faiss_score = std::lround((fd[i] - b) * norm[0]);
    EXPECT_EQ(faiss_score, ours[i].score) << "rank " << i;
    EXPECT_NEAR(ours[i].score * one_a + b, fd[i], 1e-5) << "rank " << i;
    EXPECT_EQ(ours[i].score, all[ours[i].row]);
    ASSERT_GE(fl[i], 0);
    ASSERT_EQ(row_of.count(fl[i]), 1u);
    EXPECT_EQ(all[row_of[fl[i]]], faiss_score);
    if (ours[i].score > last) ours_above.insert(f.map->id_map[ours[i].row]);
    if (faiss_score > last) faiss_above.insert(fl[i]);
    if (i > 0) {
      EXPECT_TRUE(ours[i - 1].score > ours[i].score ||
                  (ours[i - 1].score == ours[i].score && ours[i - 1].row < ours[i].row));
    }
  }
  EXPECT_EQ(ours_above, faiss_above);
  for (int64_t i = static_cast<int64_t>(ours.size()); i < k; ++i) EXPECT_EQ(fl[i], -1);  // k > n
  // Exactly the first k of all rows by (score desc, row asc).
  std::vector<Pq4Hit> want(n);
  for (int64_t i = 0; i < n; ++i) want[i] = {i, all[i]};
  std::stable_sort(want.begin(), want.end(), [](const Pq4Hit& x, const Pq4Hit& y) { return x.score > y.score; });
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].row, want[i].row);
    EXPECT_EQ(ours[i].score, want[i].score);
  }
}

TEST(Pq4Scan, KernelScoresEqualTheReferenceForEveryRow) {
  if (!CpuSupportsAvx2()) {  // this CPU uses FAISS's own scan: check it is chosen
    EXPECT_EQ(ResolveScanKernel(ScanKernel::kAuto), ScanKernel::kFaiss);
    return;
  }
  // Sub-quantiser counts: odd M (FAISS pads to M2 with zero LUT rows), small, the shipped
  // 512-d x 64; sizes below, at and across block boundaries.
  for (auto [dim, m] : {std::pair{28, 7}, {64, 16}, {512, 64}}) {
    for (int n : {1, 31, 32, 33, 1000, 1057}) {
      const FastScan f = MakeFastScan(dim, m, std::max(n, 40), false, 11 + n);
      // MakeFastScan trains on max(n, 40) vectors; keep n of them.
      std::vector<int64_t> drop;
      for (int64_t i = n; i < f.map->ntotal; ++i) drop.push_back(f.map->id_map[i]);
      if (!drop.empty()) {
        faiss::IDSelectorBatch sel(drop.size(), drop.data());
        f.map->remove_ids(sel);
      }
      ASSERT_EQ(f.map->ntotal, n);
      const auto q = Vectors(1, dim, false, 99);
      float norm[2];
      const auto lut = Lut(f, q.data(), norm);
      std::vector<uint16_t> want(n), got(n);
      Pq4ScoresReference(Packed(f), lut.data(), want.data());
      Pq4ScoresAvx2(Packed(f), lut.data(), got.data());
      EXPECT_EQ(got, want) << "dim " << dim << " M " << m << " n " << n;
    }
  }
}

TEST(Pq4Scan, KernelSumsTheLargestLutWithoutOverflow) {
  if (!CpuSupportsAvx2()) {
    EXPECT_EQ(ResolveScanKernel(ScanKernel::kAvx2), ScanKernel::kFaiss);
    return;
  }
  // 256 sub-quantisers, every entry up to 255 (the most Pq4ScanSupports allows: 65,280), on
  // random codes packed by FAISS.
  for (int nsq : {2, 64, 256}) {
    const int n = 77;
    std::mt19937_64 rng(nsq);
    std::vector<uint8_t> flat(static_cast<size_t>(n) * nsq / 2);
    for (auto& c : flat) c = static_cast<uint8_t>(rng());
    const int64_t nb = (n + 31) / 32 * 32;
    std::vector<uint8_t> packed(nb * nsq / 2);
    faiss::pq4_pack_codes(flat.data(), n, nsq, nb, 32, nsq, packed.data());
    for (bool full : {true, false}) {
      std::vector<uint8_t> lut(nsq * 16);
      for (auto& x : lut) x = full ? 255 : static_cast<uint8_t>(rng());
      std::vector<uint16_t> want(n), got(n);
      const Pq4Packed p{packed.data(), n, nsq};
      Pq4ScoresReference(p, lut.data(), want.data());
      Pq4ScoresAvx2(p, lut.data(), got.data());
      EXPECT_EQ(got, want) << "nsq " << nsq;
      if (full) {
        EXPECT_EQ(got[0], 255 * nsq);
      }
    }
  }
  EXPECT_TRUE(Pq4ScanSupports(256));
  EXPECT_FALSE(Pq4ScanSupports(258));
  EXPECT_FALSE(Pq4ScanSupports(7));
}

TEST(Pq4Scan, TopKIsFaissFastScanSearchsShortlist) {
  if (!CpuSupportsAvx2()) {
    EXPECT_EQ(ResolveScanKernel(ScanKernel::kAuto), ScanKernel::kFaiss);
    return;
  }
  // Random and face-like data (many near-equal scores: ties at the boundary), sizes that are
  // not multiples of 32, k from 1 to beyond n, one and several threads.
  for (bool face_like : {false, true}) {
    const FastScan f = MakeFastScan(512, 64, 5003, face_like, face_like ? 3 : 4);
    for (int p = 0; p < 4; ++p) {
      const auto q = f.ProbeNear(p * 1000 + 1, 17 + p);
      for (int64_t k : {1, 20, 100, 2000}) {
        for (int threads : {1, 2, 3}) {
          SCOPED_TRACE(testing::Message() << "face_like " << face_like << " k " << k << " threads " << threads);
          ExpectSameShortlistAsFaiss(f, q.data(), k, threads);
        }
      }
    }
  }
  const FastScan small = MakeFastScan(64, 16, 45, true, 5);
  const auto q = small.ProbeNear(3, 6);
  ExpectSameShortlistAsFaiss(small, q.data(), 100, 1);  // k > n: all 45, FAISS pads with -1
  ExpectSameShortlistAsFaiss(small, q.data(), 100, 2);
}

TEST(Pq4Scan, TopKMatchesFaissAfterRemovals) {
  if (!CpuSupportsAvx2()) {
    EXPECT_EQ(ResolveScanKernel(ScanKernel::kAuto), ScanKernel::kFaiss);
    return;
  }
  // FAISS compacts the codes on removal (and the id map with them): removed ids are gone from
  // both scans, and the rest still agree.
  FastScan f = MakeFastScan(128, 16, 3001, true, 8);
  std::vector<int64_t> gone;
  for (int i = 0; i < 3001; i += 3) gone.push_back(1000 + 7 * i);
  faiss::IDSelectorBatch sel(gone.size(), gone.data());
  ASSERT_EQ(f.map->remove_ids(sel), gone.size());
  const std::set<int64_t> removed(gone.begin(), gone.end());
  for (int p = 0; p < 3; ++p) {
    const auto q = f.ProbeNear(p * 3, 9 + p);  // a removed face's own vector, nearly
    ExpectSameShortlistAsFaiss(f, q.data(), 500, 2);
    float norm[2];
    const auto lut = Lut(f, q.data(), norm);
    for (const Pq4Hit& h : Pq4TopKAvx2(Packed(f), lut.data(), 5000, 1)) {
      EXPECT_EQ(removed.count(f.map->id_map[h.row]), 0u);
    }
  }
}

TEST(Pq4Scan, DispatcherFallsBackToFaissWithoutAvx2OrWhenAsked) {
  // Without AVX2 nothing but FAISS; with it, kAuto is ours unless LFR_PQ4_SCAN=faiss.
  for (ScanKernel k : {ScanKernel::kAuto, ScanKernel::kAvx2, ScanKernel::kFaiss}) {
    EXPECT_EQ(ResolveScanKernel(k, nullptr, false), ScanKernel::kFaiss);
    EXPECT_EQ(ResolveScanKernel(k, "faiss", false), ScanKernel::kFaiss);
  }
  EXPECT_EQ(ResolveScanKernel(ScanKernel::kAuto, nullptr, true), ScanKernel::kAvx2);
  EXPECT_EQ(ResolveScanKernel(ScanKernel::kAuto, "", true), ScanKernel::kAvx2);
  EXPECT_EQ(ResolveScanKernel(ScanKernel::kAuto, "faiss", true), ScanKernel::kFaiss);
  EXPECT_EQ(ResolveScanKernel(ScanKernel::kAvx2, "faiss", true), ScanKernel::kAvx2);  // an explicit choice wins
  EXPECT_EQ(ResolveScanKernel(ScanKernel::kFaiss, nullptr, true), ScanKernel::kFaiss);
  EXPECT_EQ(ScanKernelName(ScanKernel::kAvx2), "avx2");
}

// The index as shipped: built with LFR_PQ4_SCAN=faiss it searches with FAISS; otherwise with
// our kernel where the CPU allows; both give the same hits.
TEST(Pq4Scan, IndexUsesTheChosenScanAndBothGiveTheSameHits) {
  const int dim = 128, n = 6007;
  const auto v = Vectors(n, dim, true, 21);
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = 5 * i + 2;
  FaceIndexOptions o;
  o.exact_below = 100;
  o.approx.train_size = 3000;
  o.approx.shortlist = 300;

  ASSERT_EQ(setenv("LFR_PQ4_SCAN", "faiss", 1), 0);
  auto forced = BuildFaceIndex(dim, ids, v, o);
  ASSERT_EQ(unsetenv("LFR_PQ4_SCAN"), 0);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  auto* fr = dynamic_cast<RerankFaceIndex*>(forced->get());
  ASSERT_NE(fr, nullptr);
  EXPECT_EQ(fr->scan_kernel(), ScanKernel::kFaiss);
  EXPECT_NE(fr->Describe().find("FAISS scan"), std::string::npos) << fr->Describe();

  auto ours = BuildFaceIndex(dim, ids, v, o);
  ASSERT_TRUE(ours.ok());
  auto* orr = dynamic_cast<RerankFaceIndex*>(ours->get());
  ASSERT_NE(orr, nullptr);
  const ScanKernel expect = CpuSupportsAvx2() ? ScanKernel::kAvx2 : ScanKernel::kFaiss;
  EXPECT_EQ(orr->scan_kernel(), expect);
  if (expect == ScanKernel::kAvx2) {
    EXPECT_NE(orr->Describe().find("AVX2 scan"), std::string::npos);
  }

  for (int threads : {0, 1, 2}) {
    orr->SetScan(ScanKernel::kAuto, threads);
    for (int p = 0; p < 20; ++p) {
      const auto q = Near(v, dim, p * 300, 22 + p);
      auto a = orr->Search(q, 20);
      auto b = fr->Search(q, 20);
      ASSERT_TRUE(a.ok() && b.ok());
      ASSERT_EQ(a->size(), 20u);
      ASSERT_EQ(a->size(), b->size());
      for (size_t i = 0; i < a->size(); ++i) {
        EXPECT_EQ((*a)[i].id, (*b)[i].id) << "probe " << p << " rank " << i;
        EXPECT_EQ((*a)[i].score, (*b)[i].score);
      }
    }
  }
  // And switched at run time.
  orr->SetScan(ScanKernel::kFaiss);
  EXPECT_EQ(orr->scan_kernel(), ScanKernel::kFaiss);
}

TEST(Pq4Scan, ScanThreadsGrowWithTheGallery) {
  EXPECT_EQ(RerankFaceIndex::ScanThreadsFor(1000), 1);
  EXPECT_EQ(RerankFaceIndex::ScanThreadsFor(RerankFaceIndex::kParallelScanFrom - 1), 1);
  EXPECT_EQ(RerankFaceIndex::ScanThreadsFor(RerankFaceIndex::kParallelScanFrom),
            std::thread::hardware_concurrency() >= 2 ? 2 : 1);
}

}  // namespace
}  // namespace lfr::search

namespace lfr::search {
namespace {

TEST(Pq4Scan, SwapRemoveEqualsRepackingTheSurvivors) {
  // 64 sub-quantisers (512-d EdgeFace codes): where FAISS 1.7.3's own element accessors go
  // wrong. Removing rows must give exactly what packing the survivors afresh gives (the last
  // row moved into each hole, vacated codes zero).
  const int nsq = 64, n = 1000;
  std::mt19937_64 rng(3);
  std::vector<uint8_t> flat(static_cast<size_t>(n) * nsq / 2);
  for (auto& c : flat) c = static_cast<uint8_t>(rng());
  auto pack = [&](const std::vector<uint8_t>& f, int64_t rows, int64_t capacity_rows) {
    std::vector<uint8_t> p(capacity_rows * nsq / 2, 0);
    faiss::pq4_pack_codes(f.data(), rows, nsq, (rows + 31) / 32 * 32, 32, nsq, p.data());
    return p;
  };
  std::vector<uint8_t> packed = pack(flat, n, 1024);
  for (int64_t i = 0; i < n; i += 97) {  // the accessor reads what pq4_pack_codes wrote
    for (int m = 0; m < nsq; ++m) {
      ASSERT_EQ(Pq4GetCode({packed.data(), n, nsq}, i, m), (flat[i * nsq / 2 + m / 2] >> (4 * (m % 2))) & 15);
    }
  }
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = 10 * i;
  const std::vector<int64_t> rows = {0, 5, 31, 32, 500, 998, 999};
  const int64_t left = Pq4SwapRemove(packed.data(), n, nsq, rows, &ids);
  ASSERT_EQ(left, n - static_cast<int64_t>(rows.size()));
  ASSERT_EQ(static_cast<int64_t>(ids.size()), left);
  // The same moves on the flat codes: 999 and 998 go, 997 -> 500, 996 -> 32, ...
  std::vector<uint8_t> f = flat;
  std::vector<int64_t> want_ids(n);
  for (int i = 0; i < n; ++i) want_ids[i] = 10 * i;
  int64_t m = n;
  for (size_t i = rows.size(); i-- > 0;) {
    const int64_t last = --m;
    if (rows[i] != last) {
      std::copy_n(f.begin() + last * nsq / 2, nsq / 2, f.begin() + rows[i] * nsq / 2);
      want_ids[rows[i]] = want_ids[last];
    }
  }
  want_ids.resize(left);
  EXPECT_EQ(ids, want_ids);
  EXPECT_EQ(packed, pack(f, left, 1024));  // codes and zeroed padding alike
}

// A probe equal to a gallery face finds it at rank 1 from a short shortlist only if its code
// is right: after removals (FAISS 1.7.3's remove_ids scrambled the codes of 512-d faces) and
// after adds into the last block that removals left partly empty.
TEST(Pq4Scan, FacesStayFindableAfterRemovalsAndAddsAt512d) {
  const int dim = 512, n = 3000;
  const auto v = Vectors(n + 200, dim, true, 31);
  std::vector<int64_t> ids(n + 200);
  for (int i = 0; i < n + 200; ++i) ids[i] = 3 * i + 1;
  FaceIndexOptions o;
  o.exact_below = 100;
  o.approx.train_size = 2000;
  o.approx.shortlist = 20;
  auto built = BuildFaceIndex(dim, std::span(ids).first(n), std::span(v).first(static_cast<size_t>(n) * dim), o);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  FaceIndex& index = **built;
  std::vector<int64_t> gone;
  for (int i = 7; i < n; i += 5) gone.push_back(ids[i]);
  ASSERT_EQ(*index.Remove(gone), static_cast<int64_t>(gone.size()));
  // Added after the removals: their codes land in the block the removals left part empty.
  ASSERT_TRUE(index.Add(std::span(ids).subspan(n, 200), std::span(v).subspan(static_cast<size_t>(n) * dim)).ok());
  const std::set<int64_t> removed(gone.begin(), gone.end());
  int checked = 0, found = 0;
  for (int i = 0; i < n + 200; i += 13) {
    if (removed.count(ids[i])) continue;
    auto hits = index.Search(std::span(v).subspan(static_cast<size_t>(i) * dim, dim), 1);
    ASSERT_TRUE(hits.ok());
    ++checked;
    found += !hits->empty() && (*hits)[0].id == ids[i];
  }
  EXPECT_GE(found, checked - 1) << "of " << checked << "; " << index.Describe();
}

// A blob of format 1 (before the removal fix) is opened with its codes re-encoded from the
// re-rank store, and says so (GalleryIndexes then saves it again); a current one is not.
TEST(Pq4Scan, IndexOfTheOlderFormatIsReencodedOnOpening) {
  const int dim = 128, n = 2000;
  const auto v = Vectors(n, dim, true, 41);
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = i + 100;
  FaceIndexOptions o;
  o.exact_below = 100;
  o.approx.train_size = 2000;
  auto built = BuildFaceIndex(dim, ids, v, o);
  ASSERT_TRUE(built.ok());
  SecretBytes key(kKeyBytes);
  std::fill(key.data(), key.data() + key.size(), 7);
  auto sealed = SealFaceIndex(**built, key, "test");
  ASSERT_TRUE(sealed.ok());
  auto current = OpenSealedFaceIndex(*sealed, key, "test");
  ASSERT_TRUE(current.ok());
  EXPECT_FALSE(dynamic_cast<RerankFaceIndex&>(**current).recoded_on_open());
  // The same blob marked format 1 (the u32 after the 8-byte magic).
  auto plain = Open(key, *sealed, "test");
  ASSERT_TRUE(plain.ok());
  std::vector<uint8_t> bytes(plain->data(), plain->data() + plain->size());
  ASSERT_EQ(bytes[8], 2);
  bytes[8] = 1;
  auto old_blob = Seal(key, bytes, "test");
  ASSERT_TRUE(old_blob.ok());
  auto old = OpenSealedFaceIndex(*old_blob, key, "test");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_TRUE(dynamic_cast<RerankFaceIndex&>(**old).recoded_on_open());
  EXPECT_EQ((*old)->size(), n);
  for (int i = 0; i < n; i += 101) {
    auto a = (*old)->Search(std::span(v).subspan(static_cast<size_t>(i) * dim, dim), 10);
    auto b = (*current)->Search(std::span(v).subspan(static_cast<size_t>(i) * dim, dim), 10);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size());
    for (size_t j = 0; j < a->size(); ++j) EXPECT_EQ((*a)[j].id, (*b)[j].id);
  }
}

}  // namespace
}  // namespace lfr::search
