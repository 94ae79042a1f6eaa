// A node's key pair (node/identity.h): made once with mode 0600 and never overwritten,
// loaded back with its keys checked against each other, and damaged files refused.
#include "node/identity.h"

#include <sys/stat.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include "testing/shared.h"

namespace lfr::node {
namespace {
using ::testing::HasSubstr;

TEST(NodeIdentity, IsMadeOnceReadBackAndItsKeysBelongTogether) {
  const auto dir = lfr::testing::TempDir("node-identity");
  const auto path = dir / "node.key";
  auto made = CreateNodeIdentity(path);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->public_key.size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto again = CreateNodeIdentity(path);
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), HasSubstr("already exists"));
  auto loaded = LoadNodeIdentity(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->public_key, made->public_key);
  ASSERT_EQ(loaded->secret_key.size(), 32u);
  EXPECT_EQ(0, sodium_memcmp(loaded->secret_key.data(), made->secret_key.data(), 32));

  // What is sealed to the public key opens with the secret key only.
  const std::string msg = "watchlist";
  std::string sealed(crypto_box_SEALBYTES + msg.size(), '\0');
  ASSERT_EQ(crypto_box_seal(reinterpret_cast<unsigned char*>(sealed.data()),
                            reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                            reinterpret_cast<const unsigned char*>(loaded->public_key.data())), 0);
  std::string opened(msg.size(), '\0');
  EXPECT_EQ(crypto_box_seal_open(reinterpret_cast<unsigned char*>(opened.data()),
                                 reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(),
                                 reinterpret_cast<const unsigned char*>(loaded->public_key.data()),
                                 loaded->secret_key.data()),
            0);
  EXPECT_EQ(opened, msg);

  auto hex = ToHex(made->public_key);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(*PublicKeyFromHex(hex), made->public_key);
  for (const char* bad : {"", "zz", "0011"}) {
    EXPECT_EQ(PublicKeyFromHex(bad).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST(NodeIdentity, DamagedOrMissingFilesAreRefusedWithTheReason) {
  const auto dir = lfr::testing::TempDir("node-identity-bad");
  EXPECT_EQ(LoadNodeIdentity(dir / "none.key").status().code(), Status::Code::kNotFound);
  std::ofstream(dir / "junk.key") << "hello\n";
  EXPECT_EQ(LoadNodeIdentity(dir / "junk.key").status().code(), Status::Code::kCorrupt);
  auto a = CreateNodeIdentity(dir / "a.key");
  auto b = CreateNodeIdentity(dir / "b.key");
  ASSERT_TRUE(a.ok() && b.ok());
  // a's public key with b's secret key: refused.
  std::ifstream fa(dir / "a.key"), fb(dir / "b.key");
  std::string m, pa, sa, pb, sb;
  std::getline(fa, m); std::getline(fa, pa); std::getline(fa, sa);
  std::getline(fb, m); std::getline(fb, pb); std::getline(fb, sb);
  std::ofstream(dir / "mixed.key") << m << "\n" << pa << "\n" << sb << "\n";
  auto mixed = LoadNodeIdentity(dir / "mixed.key");
  EXPECT_EQ(mixed.status().code(), Status::Code::kCorrupt);
  EXPECT_THAT(mixed.status().message(), HasSubstr("do not belong together"));
  EXPECT_FALSE(CreateNodeIdentity(dir / "no" / "such" / "x.key").ok());
}

}  // namespace
}  // namespace lfr::node
