// Sealed blobs, master keys and the key file's safety checks.
#include "privacy/crypto.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "testing/cli_run.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using lfr::testing::ScopedEnv;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string Text(const SecretBytes& b) { return std::string(b.view()); }

TEST(Crypto, SealOpenRoundTripAndTheBlobLayout) {
  SecretBytes key = RandomKey();
  ASSERT_EQ(key.size(), kKeyBytes);
  const auto plain = Bytes("Jane Doe, custody image 2024-05-01");
  auto sealed = Seal(key, plain, "entry:17:name");
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(sealed->size(), 24 + plain.size() + 16);  // nonce || ciphertext || tag
  const std::string blob(sealed->begin(), sealed->end());
  EXPECT_EQ(blob.find("Jane"), std::string::npos);
  auto opened = Open(key, *sealed, "entry:17:name");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(Text(*opened), "Jane Doe, custody image 2024-05-01");
  // Two seals of the same plaintext differ (random nonce).
  auto again = Seal(key, plain, "entry:17:name");
  EXPECT_NE(*again, *sealed);
  // Empty plaintexts round-trip too.
  auto empty = Seal(key, {}, "x");
  ASSERT_TRUE(empty.ok());
  auto empty_opened = Open(key, *empty, "x");
  ASSERT_TRUE(empty_opened.ok());
  EXPECT_TRUE(empty_opened->empty());
}

TEST(Crypto, WrongKeyAadOrAlteredBytesAreCorrupt) {
  SecretBytes key = RandomKey();
  auto sealed = Seal(key, Bytes("embedding bytes"), "entry:1:embedding");
  ASSERT_TRUE(sealed.ok());
  auto wrong_key = Open(RandomKey(), *sealed, "entry:1:embedding");
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_EQ(wrong_key.status().code(), Status::Code::kCorrupt);
  // The same blob moved to another row does not open there.
  auto wrong_aad = Open(key, *sealed, "entry:2:embedding");
  ASSERT_FALSE(wrong_aad.ok());
  EXPECT_EQ(wrong_aad.status().code(), Status::Code::kCorrupt);
  EXPECT_NE(wrong_aad.status().message().find("entry:2:embedding"), std::string::npos);
  for (size_t i : {size_t{0}, size_t{30}, sealed->size() - 1}) {
    auto altered = *sealed;
    altered[i] ^= 0x01;
    auto r = Open(key, altered, "entry:1:embedding");
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.status().code(), Status::Code::kCorrupt);
  }
  std::vector<uint8_t> stub(10, 0);
  EXPECT_EQ(Open(key, stub, "x").status().code(), Status::Code::kCorrupt);
  EXPECT_EQ(Seal(SecretBytes(5), stub, "x").status().code(), Status::Code::kInvalidArgument);
}

TEST(Crypto, SecretBytesMoveLeavesTheSourceEmpty) {
  SecretBytes a(reinterpret_cast<const uint8_t*>("secret"), 6);
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT: testing moved-from state
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(Text(b), "secret");
  SecretBytes c;
  c = std::move(b);
  EXPECT_EQ(Text(c), "secret");
  EXPECT_TRUE(b.empty());  // NOLINT
}

class MasterKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = lfr::testing::TempDir("masterkey"); }
  fs::path dir_;
  ScopedEnv no_env_{"LFR_MASTER_KEY", std::nullopt};
};

TEST_F(MasterKeyTest, CreateWritesA0600HexFileThatLoadsToTheSameKey) {
  const fs::path path = dir_ / "sub" / "master.key";
  auto created = MasterKey::Create(path);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string content;
  std::getline(std::ifstream(path), content);
  EXPECT_EQ(content.size(), 64u);
  auto loaded = MasterKey::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  // Same key: what one wraps, the other unwraps.
  SecretBytes dek = RandomKey();
  auto wrapped = created->Wrap(dek, "deployment:1");
  ASSERT_TRUE(wrapped.ok());
  auto unwrapped = loaded->Unwrap(*wrapped, "deployment:1");
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_EQ(Text(*unwrapped), Text(dek));
  EXPECT_EQ(loaded->Unwrap(*wrapped, "deployment:2").status().code(), Status::Code::kCorrupt);
  // Create never overwrites.
  auto again = MasterKey::Create(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
}

TEST_F(MasterKeyTest, AKeyFileReadableByOthersIsRefusedWithTheFix) {
  const fs::path path = dir_ / "master.key";
  ASSERT_TRUE(MasterKey::Create(path).ok());
  fs::permissions(path, fs::perms(0644));
  auto r = MasterKey::Load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("chmod 600 " + path.string()), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("0644"), std::string::npos);
}

TEST_F(MasterKeyTest, MissingKeyIsNotFoundAndMalformedIsCorrupt) {
  auto missing = MasterKey::Load(dir_ / "none.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("none.key"), std::string::npos);
  for (const std::string& bad : std::vector<std::string>{"", "abc", std::string(63, 'a'), std::string(64, 'g'),
                                std::string(66, 'a')}) {
    const fs::path p = dir_ / "bad.key";
    fs::remove(p);
    { std::ofstream(p) << bad << "\n"; }
    fs::permissions(p, fs::perms(0600));
    auto r = MasterKey::Load(p);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kCorrupt) << bad;
  }
}

TEST_F(MasterKeyTest, EnvironmentKeyWinsOverTheFile) {
  const std::string hex(64, 'a');
  ScopedEnv env("LFR_MASTER_KEY", hex);
  auto from_env = MasterKey::Load(dir_ / "does-not-exist.key");
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  std::vector<uint8_t> raw(32, 0xaa);
  MasterKey same = MasterKey::FromBytes(raw.data());
  auto w = same.Wrap(RandomKey(), "x");
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(from_env->Unwrap(*w, "x").ok());
  ScopedEnv bad("LFR_MASTER_KEY", "not-hex");
  auto r = MasterKey::Load(dir_ / "does-not-exist.key");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorrupt);
  EXPECT_NE(r.status().message().find("LFR_MASTER_KEY"), std::string::npos);
}

TEST_F(MasterKeyTest, DerivedSubkeysAreStablePerContextAndDistinct) {
  std::vector<uint8_t> raw(32, 7);
  MasterKey a = MasterKey::FromBytes(raw.data());
  MasterKey b = a.Clone();
  EXPECT_EQ(Text(a.Derive(1, "lfraudit")), Text(b.Derive(1, "lfraudit")));
  EXPECT_NE(Text(a.Derive(1, "lfraudit")), Text(a.Derive(2, "lfraudit")));
  EXPECT_NE(Text(a.Derive(1, "lfraudit")), Text(a.Derive(1, "lfrother")));
  raw[0] = 8;
  EXPECT_NE(Text(MasterKey::FromBytes(raw.data()).Derive(1, "lfraudit")), Text(a.Derive(1, "lfraudit")));
}

}  // namespace
}  // namespace lfr
