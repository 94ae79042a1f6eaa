#include "eval/embedding_cache.h"

#include <sys/stat.h>

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
  r.enrolable = false;
  r.enrol_refusal = "2 faces found (need exactly one)";
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
  EXPECT_FALSE(out.enrolable);
  EXPECT_EQ(out.enrol_refusal, "2 faces found (need exactly one)");
  EXPECT_TRUE(out.enrol_known);
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

// The bytes of a cache file of an older record layout holding one record for img (config
// "cfg-old", flip {0.6, 0.8}, plain {0.8, 0.6}): layout 1 (no verdict) or layout 2 (the
// verdict `verdict` of enrolment rules version 1 with refusal `refusal`).
std::string OldLayoutFile(const fs::path& img, int layout, uint8_t verdict, const std::string& refusal) {
  auto put = [](std::string* s, const auto& v) { s->append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  std::string bytes = layout == 1 ? "LFRECAC1" : "LFRECAC2";
  put(&bytes, static_cast<uint32_t>(7));
  bytes += "cfg-old";
  const std::string abs = fs::absolute(img).lexically_normal().string();
  struct stat st {};
  EXPECT_EQ(::stat(abs.c_str(), &st), 0);
  std::string body;
  put(&body, static_cast<uint32_t>(abs.size()));
  body += abs;
  put(&body, static_cast<uint64_t>(st.st_size));
  put(&body, static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec);
  put(&body, static_cast<uint8_t>(1));
  put(&body, static_cast<int32_t>(1));
  put(&body, 0.9f);
  put(&body, 0.7f);
  put(&body, static_cast<uint8_t>(1));
  if (layout == 2) {
    put(&body, verdict);
    put(&body, static_cast<uint32_t>(refusal.size()));
    body += refusal;
  }
  put(&body, static_cast<uint32_t>(2));
  for (float v : {0.6f, 0.8f, 0.8f, 0.6f}) put(&body, v);
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : body) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  put(&bytes, static_cast<uint32_t>(0x52434546));
  put(&bytes, static_cast<uint32_t>(body.size()));
  bytes += body;
  put(&bytes, h);
  return bytes;
}

std::string Magic(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string head(8, '\0');
  in.read(head.data(), 8);
  return head;
}

// A cache written before the enrolment verdict existed (record layout 1), or by rules that
// have changed since (layout 2 holds verdicts of rules version 1): opened, its embeddings
// are kept with the verdict unknown, the file is upgraded in place to layout 3, and a
// result with today's verdict appended later wins.
TEST(EmbeddingCacheTest, OlderLayoutFilesAreUpgradedKeepingTheirEmbeddings) {
  for (int layout : {1, 2}) {
    SCOPED_TRACE("layout " + std::to_string(layout));
    const fs::path dir = lfr::testing::TempDir("cache");
    const fs::path img = dir / "old.jpg";
    std::ofstream(img) << "an image cached long ago";
    fs::path file;
    {
      auto c = EmbeddingCache::Open(dir, "cfg-old");
      ASSERT_TRUE(c.ok());
      file = (*c)->file();
    }
    // Layout 2: refused under the old rules ("2 faces found"): today's rules may differ.
    std::ofstream(file, std::ios::binary | std::ios::trunc)
        << OldLayoutFile(img, layout, 2, "2 faces found (need exactly one)");
    {
      auto c = EmbeddingCache::Open(dir, "cfg-old");
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      EXPECT_EQ(Magic(file), "LFRECAC3");
      ImageResult out;
      ASSERT_TRUE((*c)->Lookup(img, &out));
      EXPECT_EQ(out.flip, (std::vector<float>{0.6f, 0.8f}));
      EXPECT_EQ(out.plain, (std::vector<float>{0.8f, 0.6f}));
      EXPECT_FALSE(out.enrol_known);
      out.enrol_known = true;
      out.enrolable = true;
      out.enrol_refusal.clear();
      ASSERT_TRUE((*c)->Insert(img, out).ok());
    }
    auto c = EmbeddingCache::Open(dir, "cfg-old");
    ASSERT_TRUE(c.ok());
    ImageResult out;
    ASSERT_TRUE((*c)->Lookup(img, &out));
    EXPECT_TRUE(out.enrol_known);
    EXPECT_TRUE(out.enrolable);
    EXPECT_EQ(out.flip, (std::vector<float>{0.6f, 0.8f}));
    EXPECT_EQ((*c)->size(), 1u);
  }
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
