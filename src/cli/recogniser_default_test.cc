// The strongest installed recogniser is the default (catalogue priority): with EdgeFace-XS-q
// installed next to MobileFaceNet, `lfr models list` and `lfr bench match` pick it and its
// 512-d card; without it, MobileFaceNet and 128-d.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/shared.h"

namespace lfr::cli {
namespace {
using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;

TEST(RecogniserDefaultTest, StrongestInstalledRecogniserIsTheDefaultAndSetsTheDimension) {
  auto both = lfr::testing::HomeWithModels(
      "rec-default-both", {"yunet-2022mar", "mobilefacenet-arcface", "edgeface-xs-q", "edgeface-xxs-q"});
  auto old = lfr::testing::HomeWithModels("rec-default-old", {"yunet-2022mar", "mobilefacenet-arcface"});
  if (!both || !old) LFR_MISSING_SHARED_("models yunet-2022mar, mobilefacenet-arcface, edgeface-xs-q, edgeface-xxs-q");
  ScopedEnv catalog("LFR_CATALOG", std::nullopt);
  struct Case {
    std::filesystem::path home;
    const char* recogniser;
    int dim;
  };
  for (const Case& c : {Case{*both, "edgeface-xs-q", 512}, Case{*old, "mobilefacenet-arcface", 128}}) {
    ScopedEnv home("LFR_HOME", c.home.string());
    CliRun list = RunLfr({"models", "list", "--json"});
    ASSERT_EQ(list.code, 0) << list.err;
    EXPECT_EQ(nlohmann::json::parse(list.out)["default_recogniser"], c.recogniser);

    // The watchlist-search benchmark takes the default recogniser's dimension (was a fixed 128).
    CliRun bench = RunLfr({"bench", "match", "--sizes", "50", "--queries", "5", "--json"});
    ASSERT_EQ(bench.code, 0) << bench.err;
    EXPECT_EQ(nlohmann::json::parse(bench.out)["dim"], c.dim) << c.recogniser;
  }
  // --dim still overrides it.
  ScopedEnv home("LFR_HOME", both->string());
  CliRun given = RunLfr({"bench", "match", "--sizes", "50", "--queries", "5", "--dim", "64", "--json"});
  ASSERT_EQ(given.code, 0) << given.err;
  EXPECT_EQ(nlohmann::json::parse(given.out)["dim"], 64);
}

}  // namespace
}  // namespace lfr::cli
