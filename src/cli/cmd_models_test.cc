#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "build_info.h"  // LFR_SOURCE_DIR

namespace lfr::cli {
namespace {

namespace fs = std::filesystem;

using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;

// The table row of a model in `lfr models list`, split into words.
std::vector<std::string> RowOf(const std::string& listing, const std::string& id) {
  std::istringstream lines(listing);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    if (!w.empty() && w[0] == id) return w;
  }
  return {};
}

fs::path SharedMirror() {
  if (const char* m = std::getenv("LFR_MODEL_MIRROR"); m != nullptr && *m != '\0') return m;
  return fs::path(LFR_SOURCE_DIR) / ".." / "shared" / "models";
}

class CliModelsTest : public ::testing::Test {
 protected:
  fs::path home_ = lfr::testing::TempDir("cli-models");
  ScopedEnv home_env_{"LFR_HOME", home_.string()};
  ScopedEnv catalog_env_{"LFR_CATALOG", std::nullopt};  // the compiled-in catalogue
};

TEST_F(CliModelsTest, ListShowsEveryModelNotInstalled) {
  ScopedEnv mirror("LFR_MODEL_MIRROR", std::nullopt);
  CliRun r = RunLfr({"models", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::pair<const char*, const char*> models[] = {{"yunet-2022mar", "detector"},
                                                       {"scrfd-2.5g", "detector"},
                                                       {"sface-2021dec", "recogniser"},
                                                       {"mobilefacenet-arcface", "recogniser"},
                                                       {"edgeface-xs-q", "recogniser"},
                                                       {"edgeface-xxs-q", "recogniser"}};
  for (const auto& [id, role] : models) {
    auto row = RowOf(r.out, id);
    ASSERT_GE(row.size(), 6u) << id << " missing from:\n" << r.out;
    EXPECT_EQ(row[1], role) << id;
    EXPECT_EQ(row[2], "no") << id;
  }
  EXPECT_NE(r.out.find("default detector: none installed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("default recogniser: none installed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("non-commercial research purposes only"), std::string::npos) << r.out;
  // The size column is in MB: SFace is 38.7 MB.
  EXPECT_EQ(RowOf(r.out, "sface-2021dec")[3], "38.7");
}

TEST_F(CliModelsTest, ListJson) {
  CliRun r = RunLfr({"models", "list", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["models"].size(), 6u);
  for (const auto& m : doc["models"]) EXPECT_FALSE(m["installed"].get<bool>()) << m["id"];
  // The derived EdgeFace files have no download URL: only a mirror can supply them.
  for (const auto& m : doc["models"]) {
    const bool edgeface = m["id"].get<std::string>().rfind("edgeface-", 0) == 0;
    EXPECT_EQ(m["mirror_only"].get<bool>(), edgeface) << m["id"];
  }
  EXPECT_TRUE(doc["default_detector"].is_null());
  EXPECT_EQ(doc["models"][0]["id"], "yunet-2022mar");
  EXPECT_EQ(doc["models"][0]["size_bytes"], 345478);
}

TEST_F(CliModelsTest, FetchFromMirrorThenListShowsInstalled) {
  const fs::path mirror = SharedMirror();
  if (!fs::exists(mirror / "face_detection_yunet_2022mar.onnx")) {
    LFR_MISSING_SHARED_((mirror / "face_detection_yunet_2022mar.onnx").string());
  }
  ScopedEnv mirror_env("LFR_MODEL_MIRROR", mirror.string());
  CliRun f = RunLfr({"models", "fetch", "yunet-2022mar"});
  ASSERT_EQ(f.code, 0) << f.err;
  EXPECT_NE(f.out.find("yunet-2022mar: installed"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("MIT licence"), std::string::npos) << f.out;  // its licence note
  EXPECT_TRUE(fs::exists(home_ / "models" / "yunet-2022mar" / "face_detection_yunet_2022mar.onnx"));

  CliRun l = RunLfr({"models", "list"});
  ASSERT_EQ(l.code, 0) << l.err;
  auto row = RowOf(l.out, "yunet-2022mar");
  ASSERT_GE(row.size(), 3u) << l.out;
  EXPECT_EQ(row[2], "yes");
  EXPECT_EQ(RowOf(l.out, "scrfd-2.5g").at(2), "no");
  EXPECT_NE(l.out.find("default detector: yunet-2022mar"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("default recogniser: none installed"), std::string::npos) << l.out;

  // Again: nothing to do, says so.
  CliRun again = RunLfr({"models", "fetch", "yunet-2022mar"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("yunet-2022mar: already installed"), std::string::npos) << again.out;
}

TEST_F(CliModelsTest, FetchUnknownIdIsBadInput) {
  CliRun r = RunLfr({"models", "fetch", "no-such-model"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_NE(r.err.find("no-such-model"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(home_ / "models" / "no-such-model"));
}

TEST_F(CliModelsTest, FetchIdsAndAllTogetherIsBadInput) {
  CliRun r = RunLfr({"models", "fetch", "--all", "yunet-2022mar"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_NE(r.err.find("--all"), std::string::npos) << r.err;
}

TEST_F(CliModelsTest, FetchWithNothingReachableFailsAndLeavesNothing) {
  // An empty mirror and a catalogue whose only URL refuses connections.
  fs::path dir = lfr::testing::TempDir("cli-models-cat");
  fs::create_directories(dir / "mirror");
  {
    std::ofstream cat(dir / "catalog.json");
    cat << R"({"format": 1, "models": [{"id": "det-x", "role": "detector", "priority": 1,
      "licence": "MIT", "licence_note": "ok",
      "files": [{"name": "x.onnx", "size": 3,
                 "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                 "urls": ["http://127.0.0.1:1/x.onnx"]}],
      "card": {"format": "yunet"}}]})";
  }
  ScopedEnv cat_env("LFR_CATALOG", (dir / "catalog.json").string());
  ScopedEnv mirror_env("LFR_MODEL_MIRROR", (dir / "mirror").string());
  CliRun r = RunLfr({"models", "fetch", "det-x"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("http://127.0.0.1:1/x.onnx"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((dir / "mirror" / "x.onnx").string()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(home_ / "models" / "det-x" / "x.onnx"));
}

TEST_F(CliModelsTest, FetchOfADerivedModelWithoutMirrorSaysWhereItComesFrom) {
  // The EdgeFace ONNX is derived (no upstream URL): with an empty mirror the fetch fails
  // and names the mirror path to fill, the pinned upstream checkpoint and the recipe.
  fs::path empty = lfr::testing::TempDir("cli-models-empty-mirror");
  ScopedEnv mirror_env("LFR_MODEL_MIRROR", empty.string());
  CliRun r = RunLfr({"models", "fetch", "edgeface-xs-q"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("edgeface_xs_q.onnx of model \"edgeface-xs-q\" has no download URL"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("derived/edgeface_xs_q.onnx"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("LFR_MODEL_MIRROR"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("edgeface_xs_q.pt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("docs/MODELS.md"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(home_ / "models" / "edgeface-xs-q" / "edgeface_xs_q.onnx"));

  ScopedEnv no_mirror("LFR_MODEL_MIRROR", std::nullopt);
  CliRun n = RunLfr({"models", "fetch", "edgeface-xxs-q"});
  EXPECT_NE(n.code, 0);
  EXPECT_NE(n.err.find("has no download URL"), std::string::npos) << n.err;
  EXPECT_NE(n.err.find("no mirror is set"), std::string::npos) << n.err;
}

TEST_F(CliModelsTest, DefaultFetchWithoutMirrorSkipsModelsThatHaveNoUrl) {
  // Two recognisers: the higher priority one has no URL (derived), the other one a file://
  // URL. `lfr models fetch` with no ids and no mirror installs the downloadable one rather
  // than failing on the derived one.
  fs::path dir = lfr::testing::TempDir("cli-models-nourl");
  {
    std::ofstream payload(dir / "r.bin");
    payload << "abc";
  }
  {
    std::ofstream cat(dir / "catalog.json");
    cat << R"({"format": 1, "models": [
      {"id": "rec-derived", "role": "recogniser", "priority": 90, "licence": "CC-BY-NC-SA-4.0",
       "licence_note": "nc", "files": [{"name": "d.onnx", "size": 3,
         "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "urls": [], "source_note": "converted by hand"}],
       "card": {"format": "onnx", "input_width": 112, "input_height": 112, "embedding_size": 512,
                "alignment_template": [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], "max_batch": 1}},
      {"id": "rec-plain", "role": "recogniser", "priority": 10, "licence": "MIT",
       "licence_note": "ok", "files": [{"name": "r.bin", "size": 3,
         "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "urls": ["file://)" << fs::absolute(dir / "r.bin").string() << R"("]}],
       "card": {"format": "onnx", "input_width": 112, "input_height": 112, "embedding_size": 128,
                "alignment_template": [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]}}]})";
  }
  ScopedEnv cat_env("LFR_CATALOG", (dir / "catalog.json").string());
  ScopedEnv mirror_env("LFR_MODEL_MIRROR", std::nullopt);
  CliRun r = RunLfr({"models", "fetch"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(home_ / "models" / "rec-plain" / "r.bin")) << r.out << r.err;
  EXPECT_FALSE(fs::exists(home_ / "models" / "rec-derived" / "d.onnx"));
}

}  // namespace
}  // namespace lfr::cli
