// `lfr node init|register|list|revoke` end to end with a temporary LFR_HOME: the key pair
// made once, registration by its printed key (audited), names and keys that are refused,
// and a revocation that needs --yes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/cli_run.h"
#include "testing/shared.h"

namespace lfr::cli {
namespace {
using ::testing::HasSubstr;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;

TEST(NodeCli, InitRegisterListRevoke) {
  const auto home = lfr::testing::TempDir("node-cli");
  ScopedEnv env_home("LFR_HOME", home.string());
  ScopedEnv env_key("LFR_MASTER_KEY", std::nullopt);
  ScopedEnv env_db("LFR_DB", std::nullopt);
  auto init = RunLfr({"node", "init"});
  ASSERT_EQ(init.code, 0) << init.err;
  const size_t at = init.out.find("public key: ");
  ASSERT_NE(at, std::string::npos) << init.out;
  const std::string key = init.out.substr(at + 12, 64);
  auto twice = RunLfr({"node", "init"});
  EXPECT_NE(twice.code, 0);
  EXPECT_THAT(twice.err, HasSubstr("already exists"));

  auto reg = RunLfr({"node", "register", "van-1", "--public-key", key});
  ASSERT_EQ(reg.code, 0) << reg.err;
  EXPECT_THAT(reg.out, HasSubstr("registered node van-1"));
  EXPECT_NE(RunLfr({"node", "register", "van-1", "--public-key", key}).code, 0);
  auto bad_name = RunLfr({"node", "register", "a.b", "--public-key", key});
  EXPECT_EQ(bad_name.code, 2);
  EXPECT_THAT(bad_name.err, HasSubstr("letters, digits"));
  auto bad_key = RunLfr({"node", "register", "van-2", "--public-key", "1234"});
  EXPECT_EQ(bad_key.code, 2);
  EXPECT_THAT(bad_key.err, HasSubstr("64 hex digits"));

  auto unconfirmed = RunLfr({"node", "revoke", "van-1"});
  EXPECT_EQ(unconfirmed.code, 2);
  ASSERT_EQ(RunLfr({"node", "revoke", "van-1", "--yes"}).code, 0);
  auto list = RunLfr({"node", "list", "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  const auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["name"], "van-1");
  EXPECT_EQ(j[0]["public_key"], key);
  EXPECT_TRUE(j[0].contains("revoked"));
  auto audit = RunLfr({"audit", "list"});
  EXPECT_THAT(audit.out, HasSubstr("node.register node:van-1"));
  EXPECT_THAT(audit.out, HasSubstr("node.revoke node:van-1"));
}

}  // namespace
}  // namespace lfr::cli
