// `lfr serve`'s /metrics access options as a user meets them: a token file others may read,
// a token too short to be a secret and a malformed allow-list entry are refused before the
// server listens (the server's behaviour with a token: src/server/transport_test.cc).
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/shared.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;

TEST(CliServeLimitsTest, MetricsTokenFileAndAllowListAreCheckedBeforeListening) {
  auto home = lfr::testing::HomeWithModels("cli-serve-limits", {"yunet-2022mar", "mobilefacenet-arcface"});
  if (!home) LFR_MISSING_SHARED_("models yunet-2022mar and mobilefacenet-arcface");
  ScopedEnv env_home("LFR_HOME", home->string());
  ScopedEnv env_key("LFR_MASTER_KEY", std::nullopt);
  ScopedEnv env_db("LFR_DB", std::nullopt);
  ScopedEnv env_token("LFR_METRICS_TOKEN", std::nullopt);
  const fs::path token = *home / "metrics.token";
  std::ofstream(token) << "0123456789abcdef0123\n";
  chmod(token.c_str(), 0644);
  auto open = RunLfr({"serve", "--port", "0", "--metrics-token-file", token.string()});
  EXPECT_EQ(open.code, kExitBadInput);
  EXPECT_THAT(open.err, HasSubstr("chmod 600"));
  std::ofstream(token) << "short\n";
  chmod(token.c_str(), 0600);
  auto weak = RunLfr({"serve", "--port", "0", "--metrics-token-file", token.string()});
  EXPECT_EQ(weak.code, kExitBadInput);
  EXPECT_THAT(weak.err, HasSubstr("at least 16 characters"));
  auto bad = RunLfr({"serve", "--port", "0", "--metrics-allow", "10.0.0.0/33"});
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_THAT(bad.err, HasSubstr("10.0.0.0/33"));
}

}  // namespace
}  // namespace lfr::cli
