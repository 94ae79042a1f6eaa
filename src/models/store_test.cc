#include "models/store.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/shared.h"
#include "util/paths.h"
#include "build_info.h"  // LFR_SOURCE_DIR

namespace lfr {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kShaAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kShaEmpty =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

void WriteFile(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
  ASSERT_TRUE(out.good()) << p;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every entry of dir (recursively), for "nothing was left behind" checks.
std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.push_back(fs::relative(e.path(), dir).string());
  }
  return out;
}

bool HasPartial(const fs::path& dir) {
  for (const auto& name : Listing(dir)) {
    if (name.find(".partial-") != std::string::npos) return true;
  }
  return false;
}

std::string FileUrl(const fs::path& p) { return "file://" + fs::absolute(p).string(); }

json FileEntry(const std::string& name, uint64_t size, const std::string& sha,
               const std::vector<std::string>& urls = {}, const std::string& mirror_path = "") {
  json f = {{"name", name}, {"size", size}, {"sha256", sha}, {"urls", urls}};
  if (!mirror_path.empty()) f["mirror_path"] = mirror_path;
  return f;
}

json Detector(const std::string& id, int priority, json files) {
  return {{"id", id},           {"role", "detector"},   {"priority", priority},
          {"licence", "MIT"},   {"licence_note", "ok"}, {"files", std::move(files)},
          {"card", {{"format", "yunet"}}}};
}

json Recogniser(const std::string& id, int priority, json files) {
  return {{"id", id},
          {"role", "recogniser"},
          {"priority", priority},
          {"licence", "MIT"},
          {"licence_note", "ok"},
          {"files", std::move(files)},
          {"card",
           {{"format", "onnx"},
            {"input_width", 112},
            {"input_height", 112},
            {"embedding_size", 4},
            {"alignment_template", {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}}}}}};
}

Catalog MakeCatalog(json models) {
  auto c = Catalog::Parse(json{{"format", 1}, {"models", std::move(models)}}.dump());
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : Catalog();
}

// A temp mirror and store, and a catalogue whose files live in the mirror:
//   det-lo (priority 10): lo.bin = "abc" (hard-coded SHA-256)
//   det-hi (priority 20): hi/a.bin + hi/b.bin (SHA-256 computed by Sha256File)
//   rec-x  (priority 1):  rec.bin, not in the mirror and with no URL
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = testing::TempDir("store");
    mirror_ = base_ / "mirror";
    root_ = base_ / "store";
    WriteFile(mirror_ / "lo.bin", "abc");
    WriteFile(mirror_ / "hi" / "a.bin", "first file of det-hi");
    WriteFile(mirror_ / "hi" / "b.bin", std::string(200000, 'z'));  // several read chunks
    auto sha_a = Sha256File(mirror_ / "hi" / "a.bin");
    auto sha_b = Sha256File(mirror_ / "hi" / "b.bin");
    ASSERT_TRUE(sha_a.ok() && sha_b.ok());
    catalog_ = MakeCatalog(json::array(
        {Detector("det-lo", 10, json::array({FileEntry("lo.bin", 3, kShaAbc)})),
         Detector("det-hi", 20,
                  json::array({FileEntry("a.bin", 20, *sha_a, {}, "hi/a.bin"),
                               FileEntry("b.bin", 200000, *sha_b, {}, "hi/b.bin")})),
         Recogniser("rec-x", 1, json::array({FileEntry("rec.bin", 3, kShaAbc)}))}));
  }

  ModelStore Store() const { return ModelStore(&catalog_, root_, mirror_); }
  const ModelSpec& Spec(const std::string& id) const {
    const ModelSpec* s = catalog_.Find(id);
    EXPECT_NE(s, nullptr) << id;
    return *s;
  }

  fs::path base_, mirror_, root_;
  Catalog catalog_;
};

TEST(ModelStoreSha256Test, KnownVectors) {
  auto dir = testing::TempDir("sha");
  WriteFile(dir / "abc", "abc");
  WriteFile(dir / "empty", "");
  auto abc = Sha256File(dir / "abc");
  ASSERT_TRUE(abc.ok()) << abc.status().ToString();
  EXPECT_EQ(*abc, kShaAbc);
  auto empty = Sha256File(dir / "empty");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, kShaEmpty);
  // A file larger than one read chunk: "a" * 1,000,000 is a standard SHA-256 test vector.
  WriteFile(dir / "million", std::string(1000000, 'a'));
  auto million = Sha256File(dir / "million");
  ASSERT_TRUE(million.ok());
  EXPECT_EQ(*million, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  auto missing = Sha256File(dir / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing"), std::string::npos);
}

TEST_F(StoreTest, NothingInstalledAtFirst) {
  ModelStore store = Store();
  for (const auto& m : catalog_.models()) EXPECT_FALSE(store.IsInstalled(m)) << m.id;
  auto loc = store.Locate("det-lo");
  ASSERT_FALSE(loc.ok());
  EXPECT_EQ(loc.status().code(), Status::Code::kNotFound);
  EXPECT_NE(loc.status().message().find("model \"det-lo\" is not installed"), std::string::npos);
  EXPECT_NE(loc.status().message().find("lfr models fetch det-lo"), std::string::npos);
  auto def = store.DefaultFor(ModelRole::kDetector);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), Status::Code::kNotFound);
  EXPECT_NE(def.status().message().find("det-hi"), std::string::npos)  // suggests the best one
      << def.status().message();
}

TEST_F(StoreTest, LocateUnknownId) {
  auto loc = Store().Locate("no-such-model");
  ASSERT_FALSE(loc.ok());
  EXPECT_EQ(loc.status().code(), Status::Code::kNotFound);
  EXPECT_NE(loc.status().message().find("unknown model id \"no-such-model\""), std::string::npos);
  EXPECT_NE(loc.status().message().find("lfr models list"), std::string::npos);
}

TEST_F(StoreTest, FetchFromMirrorInstallsAndLocates) {
  ModelStore store = Store();
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  Status s = store.Fetch(Spec("det-hi"),
                         [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(store.IsInstalled(Spec("det-hi")));
  EXPECT_FALSE(store.IsInstalled(Spec("det-lo")));
  EXPECT_EQ(ReadFile(root_ / "det-hi" / "a.bin"), "first file of det-hi");
  EXPECT_EQ(ReadFile(root_ / "det-hi" / "b.bin"), std::string(200000, 'z'));
  EXPECT_FALSE(HasPartial(root_));
  EXPECT_TRUE(store.Verify(Spec("det-hi")).ok());

  // Progress covers the whole model: it ends at the total of both files.
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().first, 200020u);
  EXPECT_EQ(calls.back().second, 200020u);
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);

  auto loc = store.Locate("det-hi");
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->spec, &Spec("det-hi"));
  ASSERT_EQ(loc->files.size(), 2u);
  EXPECT_TRUE(loc->files[0].is_absolute());
  EXPECT_EQ(fs::canonical(loc->files[0]), fs::canonical(root_ / "det-hi" / "a.bin"));
  EXPECT_EQ(fs::canonical(loc->files[1]), fs::canonical(root_ / "det-hi" / "b.bin"));
}

TEST_F(StoreTest, DefaultForPicksHighestPriorityInstalled) {
  ModelStore store = Store();
  ASSERT_TRUE(store.Fetch(Spec("det-lo")).ok());
  auto def = store.DefaultFor(ModelRole::kDetector);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->spec->id, "det-lo");  // the only one installed

  ASSERT_TRUE(store.Fetch(Spec("det-hi")).ok());
  def = store.DefaultFor(ModelRole::kDetector);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->spec->id, "det-hi");  // higher priority wins

  // A file of det-hi with the wrong size makes it not installed again.
  WriteFile(root_ / "det-hi" / "a.bin", "short");
  EXPECT_FALSE(store.IsInstalled(Spec("det-hi")));
  def = store.DefaultFor(ModelRole::kDetector);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->spec->id, "det-lo");

  auto rec = store.DefaultFor(ModelRole::kRecogniser);
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.status().code(), Status::Code::kNotFound);
  EXPECT_NE(rec.status().message().find("recogniser"), std::string::npos);
}

TEST_F(StoreTest, RefusesMirrorFileWithWrongBytes) {
  WriteFile(mirror_ / "lo.bin", "abd");  // right size, wrong content
  ModelStore store = Store();
  Status s = store.Fetch(Spec("det-lo"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kCorrupt) << s.ToString();
  EXPECT_NE(s.message().find("lo.bin"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find((mirror_ / "lo.bin").string()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(kShaAbc), std::string::npos) << s.message();  // expected
  auto actual = Sha256File(mirror_ / "lo.bin");
  ASSERT_TRUE(actual.ok());
  EXPECT_NE(s.message().find(*actual), std::string::npos) << s.message();  // actual
  EXPECT_FALSE(fs::exists(root_ / "det-lo" / "lo.bin"));
  EXPECT_FALSE(HasPartial(root_));
  EXPECT_TRUE(Listing(root_ / "det-lo").empty());
  EXPECT_FALSE(store.IsInstalled(Spec("det-lo")));
}

TEST_F(StoreTest, RefusesMirrorFileWithWrongSize) {
  WriteFile(mirror_ / "lo.bin", "abcd");
  ModelStore store = Store();
  Status s = store.Fetch(Spec("det-lo"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kCorrupt) << s.ToString();
  EXPECT_NE(s.message().find("size 4"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("catalogue's 3"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(root_ / "det-lo" / "lo.bin"));
  EXPECT_TRUE(Listing(root_ / "det-lo").empty());
}

TEST_F(StoreTest, MissingEverywhereNamesEveryPlace) {
  const std::string url1 = "file:///nonexistent/lfr-test/rec.bin";
  const std::string url2 = "http://127.0.0.1:1/rec.bin";  // port 1: connection refused
  Catalog cat = MakeCatalog(json::array(
      {Recogniser("rec-x", 1, json::array({FileEntry("rec.bin", 3, kShaAbc, {url1, url2})}))}));
  ModelStore store(&cat, root_, mirror_);
  Status s = store.Fetch(*cat.Find("rec-x"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.code(), Status::Code::kCorrupt) << s.ToString();
  EXPECT_NE(s.message().find((mirror_ / "rec.bin").string()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(url1), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(url2), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(root_ / "rec-x" / "rec.bin"));
  EXPECT_TRUE(Listing(root_ / "rec-x").empty());
}

TEST_F(StoreTest, NoMirrorAndNoUrlIsNotFound) {
  ModelStore store(&catalog_, root_, std::nullopt);
  Status s = store.Fetch(Spec("rec-x"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("rec.bin"), std::string::npos);
}

TEST_F(StoreTest, DerivedFileWithoutUrlSaysWhereItComesFromAndHowToInstallIt) {
  json file = FileEntry("rec.onnx", 3, kShaAbc, {}, "derived/rec.onnx");
  file["source_note"] = "converted from the checkpoint; see docs/MODELS.md";
  file["derived_from"] = json::array({FileEntry("rec.pt", 7, kShaAbc, {"https://example.invalid/rec.pt"})});
  const Catalog catalog = MakeCatalog(json::array({Recogniser("rec-d", 1, json::array({file}))}));
  const Catalog* cat = &catalog;
  ASSERT_NE(cat->Find("rec-d"), nullptr);
  for (bool with_mirror : {false, true}) {
    ModelStore store(cat, root_, with_mirror ? std::optional<fs::path>(mirror_) : std::nullopt);
    Status s = store.Fetch(*cat->Find("rec-d"));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), Status::Code::kNotFound) << s.ToString();
    for (const std::string& want :
         {std::string("rec.onnx of model \"rec-d\" has no download URL"), std::string("docs/MODELS.md"),
          std::string("<mirror>/derived/rec.onnx"), std::string("LFR_MODEL_MIRROR"), std::string("rec.pt"),
          std::string("https://example.invalid/rec.pt")}) {
      EXPECT_NE(s.message().find(want), std::string::npos) << want << " not in: " << s.message();
    }
    if (with_mirror) {
      EXPECT_NE(s.message().find((mirror_ / "derived" / "rec.onnx").string()), std::string::npos) << s.message();
    } else {
      EXPECT_NE(s.message().find("no mirror is set"), std::string::npos) << s.message();
    }
  }
  // With the file in the mirror it installs like any other.
  fs::create_directories(mirror_ / "derived");
  WriteFile(mirror_ / "derived" / "rec.onnx", "abc");
  ModelStore store(cat, root_, mirror_);
  EXPECT_TRUE(store.Fetch(*cat->Find("rec-d")).ok());
  EXPECT_TRUE(store.IsInstalled(*cat->Find("rec-d")));
}

TEST_F(StoreTest, DownloadsFromUrlWithProgress) {
  const fs::path src = base_ / "upstream" / "payload.bin";
  std::string bytes;
  for (int i = 0; i < 300000; ++i) bytes.push_back(static_cast<char>('a' + i % 23));
  WriteFile(src, bytes);
  auto sha = Sha256File(src);
  ASSERT_TRUE(sha.ok());
  Catalog cat = MakeCatalog(json::array({Detector(
      "det-url", 1, json::array({FileEntry("payload.bin", bytes.size(), *sha, {FileUrl(src)})}))}));
  ModelStore store(&cat, root_, std::nullopt);  // no mirror: the URL is the only source
  uint64_t last_done = 0, last_total = 0;
  int calls = 0;
  Status s = store.Fetch(*cat.Find("det-url"), [&](uint64_t done, uint64_t total) {
    ++calls;
    last_done = done;
    last_total = total;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GT(calls, 0);
  EXPECT_EQ(last_done, bytes.size());
  EXPECT_EQ(last_total, bytes.size());
  EXPECT_EQ(ReadFile(root_ / "det-url" / "payload.bin"), bytes);
  EXPECT_FALSE(HasPartial(root_));
  EXPECT_TRUE(store.Verify(*cat.Find("det-url")).ok());
}

TEST_F(StoreTest, FallsBackToUrlsWhenTheMirrorLacksTheFile) {
  const fs::path src = base_ / "upstream" / "rec.bin";
  WriteFile(src, "abc");
  Catalog cat = MakeCatalog(json::array({Recogniser(
      "rec-x", 1,
      json::array({FileEntry("rec.bin", 3, kShaAbc,
                             {"file:///nonexistent/lfr-test/rec.bin", FileUrl(src)})}))}));
  ModelStore store(&cat, root_, mirror_);  // mirror has no rec.bin; first URL fails too
  Status s = store.Fetch(*cat.Find("rec-x"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ReadFile(root_ / "rec-x" / "rec.bin"), "abc");
  EXPECT_TRUE(store.Locate("rec-x").ok());
}

TEST_F(StoreTest, RefusesDownloadWithWrongBytesOrTooMany) {
  const fs::path wrong = base_ / "upstream" / "wrong.bin";
  const fs::path big = base_ / "upstream" / "big.bin";
  WriteFile(wrong, "xyz");
  WriteFile(big, std::string(100000, 'q'));
  for (const auto& [src, what] : {std::pair{wrong, std::string("sha256")},
                                  std::pair{big, std::string("more than")}}) {
    Catalog cat = MakeCatalog(json::array(
        {Detector("det-url", 1, json::array({FileEntry("d.bin", 3, kShaAbc, {FileUrl(src)})}))}));
    ModelStore store(&cat, root_, std::nullopt);
    Status s = store.Fetch(*cat.Find("det-url"));
    ASSERT_FALSE(s.ok()) << src;
    EXPECT_EQ(s.code(), Status::Code::kCorrupt) << s.ToString();
    EXPECT_NE(s.message().find(what), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(FileUrl(src)), std::string::npos) << s.message();
    EXPECT_FALSE(fs::exists(root_ / "det-url" / "d.bin"));
    EXPECT_TRUE(Listing(root_ / "det-url").empty());
  }
}

TEST_F(StoreTest, CorruptMirrorButGoodUrlInstallsTheGoodCopy) {
  WriteFile(mirror_ / "lo.bin", "abd");
  const fs::path src = base_ / "upstream" / "lo.bin";
  WriteFile(src, "abc");
  Catalog cat = MakeCatalog(json::array(
      {Detector("det-lo", 1, json::array({FileEntry("lo.bin", 3, kShaAbc, {FileUrl(src)})}))}));
  ModelStore store(&cat, root_, mirror_);
  Status s = store.Fetch(*cat.Find("det-lo"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ReadFile(root_ / "det-lo" / "lo.bin"), "abc");
}

TEST_F(StoreTest, VerifyDetectsCorruptionAndFetchRepairsIt) {
  ModelStore store = Store();
  ASSERT_TRUE(store.Fetch(Spec("det-hi")).ok());
  const fs::path b = root_ / "det-hi" / "b.bin";
  std::string bytes = ReadFile(b);
  bytes[123456] = 'y';  // same size, one byte flipped
  WriteFile(b, bytes);
  EXPECT_TRUE(store.IsInstalled(Spec("det-hi")));  // sizes still match
  Status v = store.Verify(Spec("det-hi"));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.code(), Status::Code::kCorrupt) << v.ToString();
  EXPECT_NE(v.message().find(b.string()), std::string::npos) << v.message();
  EXPECT_EQ(v.message().find("a.bin"), std::string::npos) << "a.bin is fine: " << v.message();

  // Fetch re-hashes what is present and replaces the bad copy.
  ASSERT_TRUE(store.Fetch(Spec("det-hi")).ok());
  EXPECT_TRUE(store.Verify(Spec("det-hi")).ok());
  EXPECT_EQ(ReadFile(b), std::string(200000, 'z'));
}

TEST_F(StoreTest, VerifyOfMissingModelIsNotFound) {
  Status v = Store().Verify(Spec("det-lo"));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.code(), Status::Code::kNotFound) << v.ToString();
}

TEST_F(StoreTest, FetchKeepsGoodInstalledFiles) {
  ModelStore store = Store();
  ASSERT_TRUE(store.Fetch(Spec("det-lo")).ok());
  // With the mirror copy now broken, a second fetch must not need it.
  WriteFile(mirror_ / "lo.bin", "abd");
  int calls = 0;
  Status s = store.Fetch(Spec("det-lo"), [&](uint64_t, uint64_t) { ++calls; });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(ReadFile(root_ / "det-lo" / "lo.bin"), "abc");
}

TEST_F(StoreTest, UnwritableStoreIsIOError) {
  WriteFile(base_ / "not-a-dir", "x");  // a file where the store folder should be
  ModelStore store(&catalog_, base_ / "not-a-dir" / "models", mirror_);
  Status s = store.Fetch(Spec("det-lo"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  EXPECT_NE(s.message().find("not-a-dir"), std::string::npos) << s.message();
}

// The real catalogue's YuNet from the shared models folder, as `lfr models fetch` does it.
TEST(ModelStoreRealTest, FetchesYunetFromTheSharedMirror) {
  const Catalog& cat = testing::TestCatalog();
  const ModelSpec* spec = cat.Find("yunet-2022mar");
  ASSERT_NE(spec, nullptr);
  fs::path mirror = ModelMirrorDir().value_or(fs::path(LFR_SOURCE_DIR) / ".." / "shared" / "models");
  if (!fs::exists(mirror / spec->files[0].mirror_path)) {
    LFR_MISSING_SHARED_((mirror / spec->files[0].mirror_path).string());
  }
  fs::path root = testing::TempDir("store-real");
  ModelStore store(&cat, root, mirror);
  Status s = store.Fetch(*spec);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(store.IsInstalled(*spec));
  EXPECT_TRUE(store.Verify(*spec).ok());
  auto loc = store.Locate("yunet-2022mar");
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(fs::file_size(loc->files[0]), 345478u);
  auto def = store.DefaultFor(ModelRole::kDetector);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->spec->id, "yunet-2022mar");
  EXPECT_FALSE(store.IsInstalled(*cat.Find("sface-2021dec")));
}

}  // namespace
}  // namespace lfr
