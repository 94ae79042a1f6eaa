// The gallery's sealed search index as `lfr` users meet it, on real LFW images: the first
// search writes it sealed under $LFR_HOME/galleries, a removed record is never a candidate
// again, a tampered index is refused with exit 3 and a clear message (recording nothing),
// `lfr gallery reindex` rebuilds it, and deleting the gallery deletes it.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/lfw.h"
#include "testing/shared.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;
using nlohmann::json;
constexpr const auto& kPairs = lfr::testing::kLfwPairs;
constexpr const auto& kDistractors = lfr::testing::kLfwDistractors;

class CliSearchIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto home = lfr::testing::HomeWithModels("cli-search-index", {"yunet-2022mar", "mobilefacenet-arcface"});
    lfw_ = lfr::testing::FindData("lfw/images");
    if (!home || !lfw_) LFR_MISSING_SHARED_("models and lfw/images");
    home_ = *home;
    env_.push_back(std::make_unique<ScopedEnv>("LFR_HOME", home_.string()));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_MASTER_KEY", std::nullopt));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_DB", std::nullopt));
  }
  fs::path Lfw(const std::string& name, int n) { return lfr::testing::LfwImage(*lfw_, name, n); }
  CliRun Search(const fs::path& probe) {
    return RunLfr({"search", probe.string(), "--gallery", "custody", "--case", "OP-9", "--reason", "robbery still",
                   "--top", "5", "--json"});
  }
  int Searches() {
    CliRun r = RunLfr({"search", "list", "--json"});
    EXPECT_EQ(r.code, kExitOk) << r.err;
    return static_cast<int>(json::parse(r.out)["searches"].size());
  }
  fs::path home_;
  std::optional<fs::path> lfw_;
  std::vector<std::unique_ptr<ScopedEnv>> env_;
};

TEST_F(CliSearchIndexTest, SealedIndexIsKeptCurrentRefusedWhenTamperedRebuiltAndDeleted) {
  ASSERT_EQ(RunLfr({"gallery", "create", "custody", "--purpose", "identify suspects from stills", "--legal-basis",
                    "PACE s.64A", "--owner", "DI Example"})
                .code,
            kExitOk);
  const fs::path dir = lfr::testing::TempDir("index-gallery");
  for (const auto& p : kPairs) fs::copy_file(Lfw(p.name, p.gallery), dir / Lfw(p.name, p.gallery).filename());
  for (const char* d : kDistractors) fs::copy_file(Lfw(d, 1), dir / Lfw(d, 1).filename());
  CliRun imp = RunLfr({"gallery", "import", "custody", dir.string()});
  ASSERT_EQ(imp.code, kExitOk) << imp.err;

  // The first search builds the index and seals it beside the database.
  const auto& pair = kPairs[1];
  const std::string mate = Lfw(pair.name, pair.gallery).stem().string();
  CliRun first = Search(Lfw(pair.name, pair.probe));
  ASSERT_EQ(first.code, kExitOk) << first.err;
  json s = json::parse(first.out);
  ASSERT_EQ(s["candidates"][0]["reference"], mate);
  const int64_t mate_record = s["candidates"][0]["record"];
  const fs::path index = home_ / "galleries" / "gallery-1.index";
  ASSERT_TRUE(fs::exists(index));

  // Removing the mate's record: it is never a candidate again.
  CliRun rm = RunLfr({"gallery", "remove-record", std::to_string(mate_record), "--reason", "not retained"});
  ASSERT_EQ(rm.code, kExitOk) << rm.err;
  CliRun after = Search(Lfw(pair.name, pair.probe));
  ASSERT_EQ(after.code, kExitOk) << after.err;
  const json after_json = json::parse(after.out);  // bound first: a range over a temporary's member dangles
  for (const auto& c : after_json["candidates"]) {
    EXPECT_NE(c["reference"], mate);
    EXPECT_NE(c["record"], mate_record);
  }

  // A tampered index: refused with exit 3 and what to do, and nothing recorded.
  std::string bytes;
  {
    std::ifstream in(index, std::ios::binary);
    bytes.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() / 2] ^= 0x20;
  std::ofstream(index, std::ios::binary | std::ios::trunc) << bytes;
  const int before = Searches();
  CliRun tampered = Search(Lfw(kPairs[0].name, kPairs[0].probe));
  EXPECT_EQ(tampered.code, 3) << tampered.err;
  EXPECT_THAT(tampered.err, HasSubstr("failed authentication"));
  EXPECT_THAT(tampered.err, HasSubstr("lfr gallery reindex custody"));
  EXPECT_EQ(Searches(), before);

  // Reindex rebuilds it; searches work again and find the other mates.
  CliRun re = RunLfr({"gallery", "reindex", "custody"});
  ASSERT_EQ(re.code, kExitOk) << re.err;
  EXPECT_THAT(re.out, HasSubstr("rebuilt the search index"));
  CliRun ok = Search(Lfw(kPairs[0].name, kPairs[0].probe));
  ASSERT_EQ(ok.code, kExitOk) << ok.err;
  EXPECT_EQ(json::parse(ok.out)["candidates"][0]["reference"], Lfw(kPairs[0].name, kPairs[0].gallery).stem().string());

  // A missing index is rebuilt by the search itself.
  fs::remove(index);
  CliRun rebuilt = Search(Lfw(kPairs[2].name, kPairs[2].probe));
  ASSERT_EQ(rebuilt.code, kExitOk) << rebuilt.err;
  EXPECT_EQ(json::parse(rebuilt.out)["candidates"][0]["reference"],
            Lfw(kPairs[2].name, kPairs[2].gallery).stem().string());
  EXPECT_TRUE(fs::exists(index));

  // Deleting the gallery deletes its index.
  CliRun del = RunLfr({"gallery", "delete", "custody", "--yes"});
  ASSERT_EQ(del.code, kExitOk) << del.err;
  EXPECT_FALSE(fs::exists(index));
}

}  // namespace
}  // namespace lfr::cli
