// GalleryIndexes on a real gallery: LFW images imported through the gallery pipeline (real
// detector and recogniser embeddings) into a real SQLite store. The sealed index is saved
// and opened again with the same results, refused when tampered with (never silently
// replaced), rebuilt when missing with the results of exact search, kept up to date on
// import and removal (a removed face is unfindable at the next search, whichever instance
// removed it), and deleted with the gallery.
#include "search/gallery_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "gallery/import.h"
#include "models/store.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"
#include "util/paths.h"

namespace lfr::search {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::kCli;

constexpr int kGalleryImages = 90;

class GalleryIndexTest : public lfr::testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    auto home = lfr::testing::HomeWithModels("gallery-index", {"yunet-2022mar", "mobilefacenet-arcface"});
    auto lfw = lfr::testing::FindData("lfw/images");
    if (!home || !lfw) LFR_MISSING_SHARED_("models and lfw/images");
    models_ = std::make_unique<ModelStore>(&lfr::testing::TestCatalog(), *home / "models", ModelMirrorDir());
    GallerySpec spec;
    spec.name = "custody";
    spec.purpose = "identify suspects from stills";
    spec.legal_basis = "PACE s.64A";
    spec.owner = "DI Example";
    auto g = G()->CreateGallery(spec, "mobilefacenet-arcface", kCli);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    gallery_id_ = g->id;
    auto analyzer = OpenGalleryAnalyzer(*models_, *g);
    ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    analyzer_ = std::move(analyzer).value();
    // The first LFW people (sorted), every image of each, up to kGalleryImages + 10: the
    // last 10 are kept back for a second import.
    std::vector<fs::path> people;
    for (const auto& d : fs::directory_iterator(*lfw)) people.push_back(d.path());
    std::sort(people.begin(), people.end());
    for (const auto& p : people) {
      std::vector<fs::path> files;
      for (const auto& f : fs::directory_iterator(p)) files.push_back(f.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) images_.push_back(f);
      if (images_.size() >= kGalleryImages + 10) break;
    }
    images_.resize(kGalleryImages + 10);
    dir_ = lfr::testing::TempDir("gallery-index-files");
    Import(0, kGalleryImages);
  }

  GalleryStore* G() { return store_->galleries(); }
  Gallery Fresh() {
    auto g = G()->FindGallery(std::to_string(gallery_id_));
    EXPECT_TRUE(g.ok());
    return *g;
  }
  void Import(size_t from, size_t to) {
    std::vector<GalleryImportItem> items;
    for (size_t i = from; i < to; ++i) {
      GalleryImportItem it;
      it.image = images_[i];
      it.meta.reference = "REF-" + std::to_string(i);
      items.push_back(it);
    }
    auto sum = ImportGalleryItems(G(), Fresh(), analyzer_.analyzer.get(), analyzer_.verify_threshold, items, "folder",
                                  kCli);
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    // Some LFW images are rejected (several faces, low quality): most go in.
    ASSERT_GT(sum->imported, static_cast<int64_t>(to - from) / 2);
  }
  // The live records' embeddings (ids and vectors) as the store holds them.
  void Live(std::vector<int64_t>* ids, std::vector<float>* vectors) {
    auto e = G()->LoadGalleryEmbeddings(gallery_id_, kCli);
    ASSERT_TRUE(e.ok());
    for (const auto& g : *e) {
      const auto* v = reinterpret_cast<const float*>(g.embedding.data());
      ids->push_back(g.record_id);
      vectors->insert(vectors->end(), v, v + g.embedding.size() / sizeof(float));
    }
  }
  int LoadAudits() {
    auto rows = store_->ListAudit(0, 100000);
    EXPECT_TRUE(rows.ok());
    return static_cast<int>(std::count_if(rows->begin(), rows->end(), [](const AuditEvent& e) {
      return e.action == "gallery.load";
    }));
  }
  // Every live face as the probe: the index's top-k equals brute force over the store's
  // embeddings (ids and scores).
  void ExpectSameAsExact(const FaceIndex& index, int k) {
    std::vector<int64_t> ids;
    std::vector<float> v;
    Live(&ids, &v);
    ASSERT_EQ(index.size(), static_cast<int64_t>(ids.size()));
    ExactFaceIndex exact(kDim);
    ASSERT_TRUE(exact.Add(ids, v).ok());
    for (size_t i = 0; i < ids.size(); ++i) {
      std::span<const float> q(v.data() + i * kDim, kDim);
      auto a = index.Search(q, k);
      auto e = exact.Search(q, k);
      ASSERT_TRUE(a.ok() && e.ok());
      ASSERT_EQ(a->size(), e->size());
      for (size_t j = 0; j < a->size(); ++j) {
        EXPECT_EQ((*a)[j].id, (*e)[j].id) << "probe " << i << " rank " << j;
        EXPECT_NEAR((*a)[j].score, (*e)[j].score, 1e-5);
      }
    }
  }
  static constexpr int kDim = 128;  // MobileFaceNet
  std::unique_ptr<ModelStore> models_;
  GalleryAnalyzer analyzer_;
  int64_t gallery_id_ = 0;
  std::vector<fs::path> images_;
  fs::path dir_;
};

TEST_F(GalleryIndexTest, MissingIsBuiltSavedSealedAndOpenedAgainWithTheSameResults) {
  GalleryIndexes first(G(), dir_);
  EXPECT_FALSE(fs::exists(first.PathFor(gallery_id_)));
  auto index = first.Get(Fresh(), kDim, kCli);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ExpectSameAsExact(**index, 20);
  ASSERT_TRUE(fs::exists(first.PathFor(gallery_id_)));
  // The file holds no plaintext embedding.
  std::vector<int64_t> ids;
  std::vector<float> v;
  Live(&ids, &v);
  std::ifstream in(first.PathFor(gallery_id_), std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string some(reinterpret_cast<const char*>(v.data() + 3 * kDim), 64);
  EXPECT_EQ(file.find(some), std::string::npos);
  // Another instance (the next CLI run) opens the sealed file: no embedding is read from the
  // store (no "gallery.load" audit row), and the results are the same.
  const int loads = LoadAudits();
  GalleryIndexes second(G(), dir_);
  auto opened = second.Get(Fresh(), kDim, kCli);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(LoadAudits(), loads);
  ExpectSameAsExact(**opened, 20);
  // A probe of another dimension is refused with a reason.
  EXPECT_EQ(second.Get(Fresh(), 512, kCli).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(GalleryIndexTest, TamperedOrSwappedFileIsRefusedAndNeverSilentlyReplaced) {
  {
    GalleryIndexes a(G(), dir_);
    ASSERT_TRUE(a.Get(Fresh(), kDim, kCli).ok());
  }
  const fs::path path = GalleryIndexes(G(), dir_).PathFor(gallery_id_);
  std::string good;
  {
    std::ifstream in(path, std::ios::binary);
    good.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  auto write = [&](const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  };
  // A flipped byte in the sealed body, an edited version field, a truncated file, junk.
  std::vector<std::string> bad;
  bad.push_back(good);
  bad.back()[good.size() / 2] ^= 0x01;
  bad.push_back(good);
  bad.back()[8] ^= 0x01;  // the version (authenticated through the aad)
  bad.push_back(good.substr(0, good.size() - 10));
  bad.push_back("not an index at all");
  for (const std::string& b : bad) {
    write(b);
    GalleryIndexes fresh(G(), dir_);
    auto r = fresh.Get(Fresh(), kDim, kCli);
    ASSERT_EQ(r.status().code(), Status::Code::kCorrupt) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr("refusing it"));
    EXPECT_THAT(r.status().message(), HasSubstr("lfr gallery reindex custody"));
    // Refused, not rebuilt over: the evidence stays as it was.
    std::ifstream in(path, std::ios::binary);
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), b);
    EXPECT_EQ(fresh.Refresh(Fresh(), kCli).code(), Status::Code::kCorrupt);
  }
  // Another gallery's authentic file under this gallery's name is refused too.
  GallerySpec spec;
  spec.name = "other";
  spec.purpose = "p";
  spec.legal_basis = "b";
  spec.owner = "o";
  auto other = G()->CreateGallery(spec, "mobilefacenet-arcface", kCli);
  ASSERT_TRUE(other.ok());
  write(good);
  fs::copy_file(path, GalleryIndexes(G(), dir_).PathFor(other->id));
  EXPECT_EQ(GalleryIndexes(G(), dir_).Get(*other, kDim, kCli).status().code(), Status::Code::kCorrupt);
  // Reindex replaces a refused file deliberately.
  write(bad[0]);
  GalleryIndexes re(G(), dir_);
  auto n = re.Reindex(Fresh(), kCli);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, Fresh().records);
  auto after = GalleryIndexes(G(), dir_).Get(Fresh(), kDim, kCli);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ExpectSameAsExact(**after, 10);
}

TEST_F(GalleryIndexTest, LargeGalleryGetsTheApproximateIndexWithExactResultsOnASmallGallery) {
  // exact_below under the gallery's size: the approximate (PQ fast-scan + re-rank) index is
  // built and, with the default shortlist (>= the gallery), returns exactly what exact
  // search returns; the CLI mode waits for the build and saves it.
  FaceIndexOptions o;
  o.exact_below = 40;
  GalleryIndexes cli(G(), dir_, o, /*wait_for_builds=*/true);
  auto index = cli.Get(Fresh(), kDim, kCli);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_THAT((*index)->Describe(), HasSubstr("PQ fast-scan"));
  ExpectSameAsExact(**index, 20);
  auto opened = GalleryIndexes(G(), dir_, o).Get(Fresh(), kDim, kCli);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_THAT((*opened)->Describe(), HasSubstr("PQ fast-scan"));
  ExpectSameAsExact(**opened, 20);
}

TEST_F(GalleryIndexTest, ImportAndRemovalKeepTheIndexCurrentAndARemovedFaceIsUnfindableAtOnce) {
  FaceIndexOptions o;
  o.exact_below = 40;  // approximate: incremental add/remove on the approximate index
  GalleryIndexes server(G(), dir_, o);  // kept in memory, as `lfr serve` keeps it
  auto index = server.Get(Fresh(), kDim, kCli);
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE((*index)->WaitForBuild().ok());
  // A second import arrives: Refresh adds it.
  Import(kGalleryImages, kGalleryImages + 10);
  ASSERT_TRUE(server.Refresh(Fresh(), kCli).ok());
  ExpectSameAsExact(**index, 20);
  std::vector<int64_t> ids;
  std::vector<float> v;
  Live(&ids, &v);
  // Removed through this instance: gone from memory at once.
  const int64_t victim = ids[5];
  ASSERT_TRUE(G()->RemoveGalleryRecord(victim, "not retained", kCli).ok());
  ASSERT_TRUE(server.Refresh(Fresh(), kCli).ok());
  auto hits = (*index)->Search({v.data() + 5 * kDim, static_cast<size_t>(kDim)}, 20);
  ASSERT_TRUE(hits.ok());
  for (const auto& h : *hits) EXPECT_NE(h.id, victim);
  // Removed by another process (the CLI) behind the server's back: the next Get sees the
  // version change and drops it before searching.
  const int64_t victim2 = ids[17];
  ASSERT_TRUE(G()->RemoveGalleryRecord(victim2, "not retained", kCli).ok());
  auto again = server.Get(Fresh(), kDim, kCli);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)->Contains(victim2));
  hits = (*again)->Search({v.data() + 17 * kDim, static_cast<size_t>(kDim)}, 20);
  ASSERT_TRUE(hits.ok());
  for (const auto& h : *hits) EXPECT_NE(h.id, victim2);
  ExpectSameAsExact(**again, 20);
  // The sealed file was brought up to date too: a fresh instance does not know the victims.
  ASSERT_TRUE(server.Save(gallery_id_).ok());
  auto reopened = GalleryIndexes(G(), dir_, o).Get(Fresh(), kDim, kCli);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE((*reopened)->Contains(victim));
  EXPECT_FALSE((*reopened)->Contains(victim2));
  ExpectSameAsExact(**reopened, 20);
}

TEST_F(GalleryIndexTest, DeletingTheGalleryDeletesItsIndex) {
  GalleryIndexes indexes(G(), dir_);
  ASSERT_TRUE(indexes.Get(Fresh(), kDim, kCli).ok());
  ASSERT_TRUE(fs::exists(indexes.PathFor(gallery_id_)));
  ASSERT_TRUE(G()->DeleteGallery(gallery_id_, kCli).ok());
  ASSERT_TRUE(indexes.Forget(gallery_id_).ok());
  EXPECT_FALSE(fs::exists(indexes.PathFor(gallery_id_)));
  EXPECT_EQ(indexes.Get(Fresh(), kDim, kCli).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(G()->GalleryIndexKey(gallery_id_).status().code(), Status::Code::kFailedPrecondition);
}

}  // namespace
}  // namespace lfr::search
