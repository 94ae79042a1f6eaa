// `lfr eval` and `lfr calibrate` with bad input: exit 2 and a message that says what to fix.
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/lfw.h"
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

// `lfr eval closed-set` on a small LFW-shaped folder (the shared images linked in): the
// six same-person pairs of the retrospective tests plus six one-image distractors.
TEST(EvalCliTest, ClosedSetRanksTheMatesOfASmallLfwFolderAndDrawsTheCmc) {
  auto lfw = lfr::testing::FindData("lfw/images");
  auto home = lfr::testing::HomeWithModels("eval-closed", {"yunet-2022mar", "mobilefacenet-arcface"});
  if (!lfw || !home) LFR_MISSING_SHARED_("models and lfw/images");
  const auto data = lfr::testing::TempDir("eval-closed-data");
  auto link = [&](const std::string& name, int n) {
    const auto src = lfr::testing::LfwImage(*lfw, name, n);
    const auto dst = data / "lfw" / "images" / name / src.filename();
    std::filesystem::create_directories(dst.parent_path());
    std::filesystem::create_symlink(src, dst);
  };
  for (const auto& p : lfr::testing::kLfwPairs) {
    link(p.name, p.gallery);
    link(p.name, p.probe);
  }
  for (const char* d : lfr::testing::kLfwDistractors) link(d, 1);
  lfr::testing::ScopedEnv env("LFR_HOME", home->string());
  const auto plot = data / "cmc";
  auto r = RunLfr({"eval", "closed-set", "--data", data.string(), "--no-cache", "--json", "--max-rank", "5",
                   "--recogniser", "mobilefacenet-arcface", "--cmc-plot", plot.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["gallery_records"].get<int>() + j["gallery_no_face"].get<int>(), 18);
  EXPECT_EQ(j["people_probed"], 6);
  EXPECT_EQ(j["probes"], 12);  // both images of each pair, each searched without itself
  ASSERT_EQ(j["cmc"].size(), 5u);
  // Same-person pairs from LFW's own protocol against 17 other records: the mate is first
  // for nearly all (these pairs are the ones the search tests find at rank 1).
  EXPECT_GE(j["rank1"]["value"].get<double>(), 10.0 / 12.0) << r.out;
  EXPECT_LE(j["cmc"][0].get<double>(), j["cmc"][4].get<double>());
  EXPECT_EQ(j["recogniser"], "mobilefacenet-arcface");
  EXPECT_TRUE(std::filesystem::file_size(plot.string() + ".png") > 1000);
  EXPECT_NE(lfr::testing::ReadFileBytes(plot.string() + ".svg").find("rank"), std::string::npos);

  EXPECT_EQ(j["excluded_images"], 0);  // none of these images is on the built-in list

  // An exclusion list leaves an image out: Abel Pacheco keeps one image, so is not probed.
  const auto list = data / "exclude.csv";
  std::ofstream(list) << "# test\nfile,reason\nAbel_Pacheco_0004.jpg,test\n";
  auto ex = RunLfr({"eval", "closed-set", "--data", data.string(), "--no-cache", "--json", "--max-rank", "5",
                    "--recogniser", "mobilefacenet-arcface", "--exclusions", list.string()});
  ASSERT_EQ(ex.code, 0) << ex.err;
  const auto je = nlohmann::json::parse(ex.out);
  EXPECT_EQ(je["excluded_images"], 1);
  EXPECT_EQ(je["people_probed"], 5);
  EXPECT_EQ(je["probes"], 10);
  EXPECT_EQ(je["exclusions"], list.string());
  std::ofstream(list) << "Abel_Pacheco_0004.jpg\n";  // no header
  auto bad_list = RunLfr({"eval", "closed-set", "--data", data.string(), "--exclusions", list.string()});
  EXPECT_EQ(bad_list.code, kExitBadInput) << bad_list.err;
  EXPECT_THAT(bad_list.err, HasSubstr("file,reason"));

  auto bad = RunLfr({"eval", "closed-set", "--data", data.string(), "--max-rank", "0"});
  EXPECT_EQ(bad.code, kExitBadInput) << bad.err;
  auto none = RunLfr({"eval", "closed-set", "--data", "/nonexistent/lfr-data"});
  EXPECT_EQ(none.code, kExitBadInput) << none.err;
  EXPECT_THAT(none.err, HasSubstr("/nonexistent/lfr-data"));
}

}  // namespace
}  // namespace lfr::cli
