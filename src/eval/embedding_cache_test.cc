#include "eval/embedding_cache.h"

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "testing/shared.h"

namespace lfr::eval {
namespace {
namespace fs = std::filesystem;

ImageResult Sample(float v) {
  ImageResult r;
  r.found = true;
  r.faces = 2;
  r.detector_score = 0.9f;
  r.quality_score = 0.7f;
  r.quality_passed = true;
  r.flip = {v, 1 - v, 0.5f};
  r.plain = {v / 2, 0.25f, -v};
  return r;
}

TEST(EmbeddingCacheTest, RoundTripsAcrossReopen) {
  const fs::path dir = lfr::testing::TempDir("cache");
  const fs::path img = dir / "a.jpg";
  std::ofstream(img) << "not really a jpeg";
  {
    auto c = EmbeddingCache::Open(dir / "c", "config-1");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ImageResult out;
    EXPECT_FALSE((*c)->Lookup(img, &out));
    ASSERT_TRUE((*c)->Insert(img, Sample(0.25f)).ok());
    ASSERT_TRUE((*c)->Lookup(img, &out));
  }
  auto c = EmbeddingCache::Open(dir / "c", "config-1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->size(), 1u);
  ImageResult out;
  ASSERT_TRUE((*c)->Lookup(img, &out));
  EXPECT_EQ(out.flip, Sample(0.25f).flip);
  EXPECT_EQ(out.plain, Sample(0.25f).plain);
  EXPECT_EQ(out.faces, 2);
  EXPECT_TRUE(out.quality_passed);
  // A relative spelling of the same file hits the same entry.
  // Another configuration (other model hash) is a different file: a miss.
  auto other = EmbeddingCache::Open(dir / "c", "config-2");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE((*other)->Lookup(img, &out));
  EXPECT_NE((*other)->file(), (*c)->file());
}

TEST(EmbeddingCacheTest, ChangedFileIsAMiss) {
  const fs::path dir = lfr::testing::TempDir("cache");
  const fs::path img = dir / "b.jpg";
  std::ofstream(img) << "12345";
  auto c = EmbeddingCache::Open(dir, "cfg");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Insert(img, Sample(0.5f)).ok());
  std::ofstream(img) << "123456789";  // new size (and mtime)
  ImageResult out;
  EXPECT_FALSE((*c)->Lookup(img, &out));
}

TEST(EmbeddingCacheTest, TornTailIsIgnoredAndOverwritten) {
  const fs::path dir = lfr::testing::TempDir("cache");
  const fs::path a = dir / "a.jpg", b = dir / "b.jpg";
  std::ofstream(a) << "a";
  std::ofstream(b) << "b";
  fs::path file;
  {
    auto c = EmbeddingCache::Open(dir, "cfg");
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Insert(a, Sample(0.1f)).ok());
    ASSERT_TRUE((*c)->Insert(b, Sample(0.2f)).ok());
    file = (*c)->file();
  }
  fs::resize_file(file, fs::file_size(file) - 7);  // a crash mid-append
  {
    auto c = EmbeddingCache::Open(dir, "cfg");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ImageResult out;
    EXPECT_TRUE((*c)->Lookup(a, &out));
    EXPECT_FALSE((*c)->Lookup(b, &out));
    ASSERT_TRUE((*c)->Insert(b, Sample(0.3f)).ok());
  }
  auto c = EmbeddingCache::Open(dir, "cfg");
  ImageResult out;
  ASSERT_TRUE((*c)->Lookup(b, &out));
  EXPECT_EQ(out.flip, Sample(0.3f).flip);
  EXPECT_EQ((*c)->size(), 2u);
}

TEST(EmbeddingCacheTest, ConcurrentInserts) {
  const fs::path dir = lfr::testing::TempDir("cache");
  std::vector<fs::path> files;
  for (int i = 0; i < 40; ++i) {
    files.push_back(dir / ("f" + std::to_string(i)));
    std::ofstream(files.back()) << i;
  }
  {
    auto c = EmbeddingCache::Open(dir, "cfg");
    ASSERT_TRUE(c.ok());
    std::thread t([&] { for (int i = 0; i < 20; ++i) ASSERT_TRUE((*c)->Insert(files[i], Sample(i)).ok()); });
    for (int i = 20; i < 40; ++i) ASSERT_TRUE((*c)->Insert(files[i], Sample(i)).ok());
    t.join();
  }
  auto c = EmbeddingCache::Open(dir, "cfg");
  EXPECT_EQ((*c)->size(), 40u);
  ImageResult out;
  ASSERT_TRUE((*c)->Lookup(files[7], &out));
  EXPECT_EQ(out.flip, Sample(7).flip);
}

}  // namespace
}  // namespace lfr::eval
