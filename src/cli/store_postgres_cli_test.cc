// The CLI on the central store: `--store postgres://...` (or LFR_DB) selects PostgreSQL for
// every store command, and `lfr serve --store` with a database that cannot be reached
// fails at start with a clear message and exit code 4, storing nothing.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/lfr_process.h"
#include "testing/postgres_cluster.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;

class CliPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = lfr::testing::TempDir("cli-pg");
    env_.push_back(std::make_unique<ScopedEnv>("LFR_HOME", home_.string()));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_MASTER_KEY", std::nullopt));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_DB", std::nullopt));
  }
  fs::path home_;
  std::vector<std::unique_ptr<ScopedEnv>> env_;
};

TEST_F(CliPostgresTest, ServeWithAnUnreachableDatabaseFailsClearlyAndStoresNothing) {
  // The real binary, as an operator would start it.
  lfr::testing::SpawnOptions opts;
  opts.env = {{"LFR_HOME", home_.string()}};
  opts.unset_env = {"LFR_MASTER_KEY", "LFR_DB"};
  lfr::testing::ProcessRun r =
      lfr::testing::RunLfrProcess({"serve", "--store", "postgres://lfr:s3cret@127.0.0.1:1/lfr", "--port", "0"}, opts);
  EXPECT_EQ(r.code, cli::kExitInternal) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cannot connect to the PostgreSQL store postgres://lfr:***@127.0.0.1:1/lfr"));
  EXPECT_THAT(r.err, Not(HasSubstr("s3cret")));
  EXPECT_FALSE(fs::exists(home_ / "master.key")) << "no key is made for a database that was never reached";
  EXPECT_FALSE(fs::exists(home_ / "lfr.db"));
}

TEST_F(CliPostgresTest, StoreCommandsWorkOnTheCentralStore) {
  auto cluster = lfr::testing::PostgresCluster::Shared();
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  auto uri = (*cluster)->NewDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  CliRun create = RunLfr({"--store", *uri, "user", "add", "sue-central", "--role", "supervisor"});
  ASSERT_EQ(create.code, cli::kExitOk) << create.err;
  EXPECT_THAT(create.err, HasSubstr("created a new master key"));
  EXPECT_FALSE(fs::exists(home_ / "lfr.db")) << "nothing goes to the embedded store";
  // LFR_DB names it as well.
  ScopedEnv db("LFR_DB", *uri);
  CliRun list = RunLfr({"user", "list", "--json"});
  ASSERT_EQ(list.code, cli::kExitOk) << list.err;
  EXPECT_THAT(list.out, HasSubstr("sue-central"));
  CliRun verify = RunLfr({"audit", "verify"});
  EXPECT_EQ(verify.code, cli::kExitOk) << verify.err << verify.out;
  // Without its master key the existing central store is refused, and no new key is made.
  fs::remove(home_ / "master.key");
  CliRun keyless = RunLfr({"user", "list", "--json"});
  EXPECT_EQ(keyless.code, cli::kExitMissingModel) << keyless.err;
  EXPECT_THAT(keyless.err, HasSubstr("exists but its master key is missing"));
  EXPECT_FALSE(fs::exists(home_ / "master.key"));
}

}  // namespace
}  // namespace lfr
