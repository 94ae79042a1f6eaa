// `lfr eval` and `lfr calibrate` with bad input: exit 2 and a message that says what to fix.
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/shared.h"

namespace lfr::cli {
namespace {
using ::testing::HasSubstr;

using lfr::testing::RunLfr;

TEST(EvalCliTest, MissingDataDirIsBadInput) {
  auto r = RunLfr({"eval", "verify", "--data", "/nonexistent/lfr-data"});
  EXPECT_EQ(r.code, kExitBadInput) << r.err;
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/lfr-data"));
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
  auto empty = lfr::testing::TempDir("eval-data");
  auto r2 = RunLfr({"eval", "identify", "--data", empty.string()});
  EXPECT_EQ(r2.code, kExitBadInput) << r2.err;
  EXPECT_THAT(r2.err, HasSubstr("has no lfw/images"));
}

TEST(EvalCliTest, BadWatchlistSizeIsBadInput) {
  for (const char* bad : {"100,abc", "0", "-5", "100,,200", ""}) {
    auto r = RunLfr({"eval", "identify", "--watchlist-size", bad, "--data", "/nonexistent"});
    EXPECT_EQ(r.code, kExitBadInput) << bad << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("--watchlist-size")) << bad;
  }
}

TEST(EvalCliTest, EvalNeedsASubcommand) {
  auto r = RunLfr({"eval"});
  EXPECT_EQ(r.code, kExitBadInput);
}

TEST(CalibrateCliTest, BadTargetFpirIsBadInput) {
  for (const char* bad : {"abc", "2", "0", "1/0", "-1/6000", "fpir:x"}) {
    auto r = RunLfr({"calibrate", "--target-fpir", bad, "--watchlist-size", "10000", "--recogniser",
                  "mobilefacenet-arcface"});
    EXPECT_EQ(r.code, kExitBadInput) << bad << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("--target-fpir")) << bad;
  }
  auto size = RunLfr({"calibrate", "--target-fpir", "1/6000", "--watchlist-size", "0", "--recogniser",
                   "mobilefacenet-arcface"});
  EXPECT_EQ(size.code, kExitBadInput);
  EXPECT_THAT(size.err, HasSubstr("--watchlist-size"));
  auto missing = RunLfr({"calibrate", "--watchlist-size", "10"});
  EXPECT_EQ(missing.code, kExitBadInput);
}

TEST(CalibrateCliTest, UnknownRecogniserHasNoTable) {
  auto r = RunLfr({"calibrate", "--target-fpir", "1/6000", "--watchlist-size", "100", "--recogniser", "no-such"});
  EXPECT_EQ(r.code, kExitMissingModel) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no calibration table"));
}

TEST(CalibrateCliTest, JsonForTheShippedTable) {
  auto r = RunLfr({"calibrate", "--target-fpir", "1/6000", "--watchlist-size", "1000", "--recogniser",
                "mobilefacenet-arcface", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["recogniser"], "mobilefacenet-arcface");
  const double threshold = j["threshold"];
  const double fpir = j["estimated_fpir"];
  EXPECT_GT(threshold, 0.0);
  EXPECT_LE(fpir, 1.0 / 6000);
}

}  // namespace
}  // namespace lfr::cli
