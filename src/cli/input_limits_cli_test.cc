// Input limits as a `lfr` user meets them: images declaring more pixels than the limit
// are refused from their header with exit 2 and the reason (detect, compare, watchlist
// add and import).
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/images.h"
#include "testing/shared.h"
#include "vision/image_io.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;
using nlohmann::json;

constexpr const char* kTooBig =
    ": image of 20000x20000 pixels (400.0 megapixels) is above the limit of 40.0 megapixels";

fs::path Write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

// compare reads both images before loading any model: no models needed.
TEST(CliInputLimits, CompareRefusesGiantImagesWithExitTwo) {
  ScopedEnv home("LFR_HOME", lfr::testing::TempDir("limits-home").string());
  const fs::path dir = lfr::testing::TempDir("limits");
  const fs::path png = Write(dir / "giant.png", lfr::testing::PngDeclaring(20000, 20000));
  const fs::path jpg = Write(dir / "giant.jpg", lfr::testing::JpegDeclaring(20000, 20000));
  const uint64_t decodes = ImageDecodeCount();
  CliRun r = RunLfr({"compare", png.string(), jpg.string()});
  EXPECT_EQ(r.code, kExitBadInput) << r.err;
  EXPECT_THAT(r.err, HasSubstr(png.string() + kTooBig));
  EXPECT_THAT(r.err, HasSubstr(jpg.string() + kTooBig));
  EXPECT_EQ(ImageDecodeCount(), decodes);
}

class CliInputLimitsWithModels : public ::testing::Test {
 protected:
  void SetUp() override {
    auto home = lfr::testing::HomeWithModels("limits-models", {"yunet-2022mar", "mobilefacenet-arcface"});
    if (!home) LFR_MISSING_SHARED_("models yunet-2022mar and mobilefacenet-arcface");
    env_.push_back(std::make_unique<ScopedEnv>("LFR_HOME", home->string()));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_MASTER_KEY", std::nullopt));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_DB", std::nullopt));
    dir_ = lfr::testing::TempDir("limits");
    giant_ = Write(dir_ / "giant.png", lfr::testing::PngDeclaring(20000, 20000));
  }
  std::string CreateDeployment() {
    CliRun r = RunLfr({"deployment", "create", "--name", "Limits", "--site", "Cardiff", "--location", "Gate A",
                       "--start", "2026-12-05T14:00", "--end", "2026-12-05T22:00", "--purpose", "find wanted people",
                       "--legal-basis", "common law", "--authorising-officer", "Supt. Example", "--json"});
    EXPECT_EQ(r.code, kExitOk) << r.err;
    return r.code == kExitOk ? std::to_string(json::parse(r.out)["id"].get<int64_t>()) : "";
  }
  std::vector<std::unique_ptr<ScopedEnv>> env_;
  fs::path dir_, giant_;
};

TEST_F(CliInputLimitsWithModels, DetectRefusesAGiantImageWithExitTwo) {
  const uint64_t decodes = ImageDecodeCount();
  CliRun r = RunLfr({"detect", giant_.string()});
  EXPECT_EQ(r.code, kExitBadInput) << r.err;
  EXPECT_THAT(r.err, HasSubstr(giant_.string() + kTooBig));
  EXPECT_EQ(ImageDecodeCount(), decodes);
}

TEST_F(CliInputLimitsWithModels, WatchlistAddAndImportRefuseAGiantImageWithExitTwo) {
  const std::string dep = CreateDeployment();
  ASSERT_FALSE(dep.empty());
  const uint64_t decodes = ImageDecodeCount();
  CliRun add = RunLfr({"watchlist", "add", dep, giant_.string(), "--reference", "G-1", "--name", "Giant",
                       "--category", "wanted", "--reason", "warrant"});
  EXPECT_EQ(add.code, kExitBadInput) << add.err;
  EXPECT_THAT(add.err, HasSubstr(giant_.string() + kTooBig));

  std::ofstream(dir_ / "list.csv") << "image,reference,name,category,reason\n"
                                   << "giant.png,G-2,Giant,wanted,warrant\n";
  CliRun import = RunLfr({"watchlist", "import", dep, "--csv", (dir_ / "list.csv").string()});
  EXPECT_EQ(import.code, kExitBadInput) << import.err;
  EXPECT_THAT(import.err, HasSubstr("rejected giant.png (line 2) G-2: "));
  EXPECT_THAT(import.err, HasSubstr(kTooBig));
  EXPECT_EQ(ImageDecodeCount(), decodes);
  CliRun list = RunLfr({"watchlist", "list", dep, "--json"});
  EXPECT_TRUE(json::parse(list.out)["entries"].empty());
}

}  // namespace
}  // namespace lfr::cli
