// The `lfr` command line as a user meets it: exit codes and messages for every kind of bad
// input, and the JSON contract of detect and compare on real images.
#include "cli/cli.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "testing/cli_run.h"
#include "testing/shared.h"
#include "util/paths.h"
#include "build_info.h"  // LFR_SOURCE_DIR

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;

fs::path MirrorDir() {
  if (auto m = ModelMirrorDir()) return *m;
  return fs::path(LFR_SOURCE_DIR) / ".." / "shared" / "models";
}

// A model store with the default detector and the MobileFaceNet recogniser installed from
// the mirror, shared by the tests in this file (installed once per process).
const fs::path* InstalledHome() {
  static const fs::path* home = []() -> const fs::path* {
    if (!fs::exists(MirrorDir() / "face_detection_yunet_2022mar.onnx")) return nullptr;
    auto* h = new fs::path(lfr::testing::TempDir("cli-home"));
    ScopedEnv env_home("LFR_HOME", h->string());
    ScopedEnv env_mirror("LFR_MODEL_MIRROR", MirrorDir().string());
    CliRun r = RunLfr({"models", "fetch", "yunet-2022mar", "mobilefacenet-arcface"});
    if (r.code != 0) {
      ADD_FAILURE() << "models fetch failed: " << r.err;
      return nullptr;
    }
    return h;
  }();
  return home;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = InstalledHome();
    if (home_ == nullptr) LFR_MISSING_SHARED_("models in " + MirrorDir().string());
    env_ = std::make_unique<ScopedEnv>("LFR_HOME", home_->string());
    dir_ = lfr::testing::TempDir("cli");
  }
  fs::path WriteFile(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::string Still(const std::string& name) {
    auto d = lfr::testing::FindData("video/hamilton/watchlist_stills/" + name);
    return d ? d->string() : "";
  }
  std::string Lfw(const std::string& person, int n) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "_%04d.jpg", n);
    auto d = lfr::testing::FindData("lfw/images/" + person + "/" + person + buf);
    return d ? d->string() : "";
  }
  const fs::path* home_ = nullptr;
  std::unique_ptr<ScopedEnv> env_;
  fs::path dir_;
};

TEST(CliParse, HelpListsSubcommandsAndExitsZero) {
  CliRun r = RunLfr({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("detect"));
  EXPECT_THAT(r.out, HasSubstr("compare"));
  EXPECT_THAT(r.out, HasSubstr("models"));
}

TEST(CliParse, UnknownSubcommandIsBadInput) {
  CliRun r = RunLfr({"frobnicate"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("frobnicate"));
}

TEST(CliParse, CompareNeedsTwoImages) {
  CliRun r = RunLfr({"compare", "only-one.jpg"});
  EXPECT_EQ(r.code, kExitBadInput);
}

TEST(CliParse, VersionNamesModelsInUse) {
  ScopedEnv home("LFR_HOME", lfr::testing::TempDir("empty-home").string());
  CliRun r = RunLfr({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("lfr " LFR_VERSION));
  EXPECT_THAT(r.out, HasSubstr("detector none installed"));
}

TEST(CliModels, DetectWithoutModelsSaysHowToFetch) {
  ScopedEnv home("LFR_HOME", lfr::testing::TempDir("empty-home").string());
  fs::path img = lfr::testing::TempDir("img") / "black.png";
  cv::imwrite(img.string(), cv::Mat(64, 64, CV_8UC3, cv::Scalar::all(0)));
  CliRun r = RunLfr({"detect", img.string()});
  EXPECT_EQ(r.code, kExitMissingModel);
  EXPECT_THAT(r.err, HasSubstr("lfr models fetch"));
}

TEST_F(CliTest, DetectMissingFileIsBadInputNamingTheFile) {
  CliRun r = RunLfr({"detect", (dir_ / "nope.jpg").string()});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("nope.jpg"));
  EXPECT_THAT(r.err, HasSubstr("no such file"));
}

TEST_F(CliTest, DetectEmptyFileIsBadInput) {
  CliRun r = RunLfr({"detect", WriteFile("empty.jpg", "").string()});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("empty.jpg"));
  EXPECT_THAT(r.err, HasSubstr("empty"));
}

TEST_F(CliTest, DetectNonImageIsBadInput) {
  CliRun r = RunLfr({"detect", WriteFile("notes.jpg", "this is not a picture\n").string()});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("notes.jpg"));
  EXPECT_THAT(r.err, HasSubstr("not an image"));
}

TEST_F(CliTest, DetectTruncatedJpegIsBadInput) {
  std::string still = Lfw("Tony_Blair", 1);
  if (still.empty()) LFR_MISSING_SHARED_("lfw/images/Tony_Blair");
  std::ifstream in(still, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  CliRun r = RunLfr({"detect", WriteFile("cut.jpg", bytes.substr(0, bytes.size() / 2)).string()});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr("cut.jpg"));
  EXPECT_THAT(r.err, HasSubstr("truncated"));
}

TEST_F(CliTest, DetectImageWithoutFaceExitsOne) {
  fs::path img = dir_ / "wall.png";
  cv::Mat m(240, 320, CV_8UC3, cv::Scalar(90, 120, 200));
  cv::imwrite(img.string(), m);
  CliRun r = RunLfr({"detect", img.string()});
  EXPECT_EQ(r.code, kExitNothingFound);
  EXPECT_THAT(r.err, HasSubstr("no face found"));
}

TEST_F(CliTest, BadInputOutranksNoFaceAndOtherImagesStillReported) {
  std::string still = Still("lin-manuel-miranda.png");
  if (still.empty()) LFR_MISSING_SHARED_("video/hamilton/watchlist_stills");
  CliRun r = RunLfr({"detect", "--json", still, (dir_ / "missing.png").string()});
  EXPECT_EQ(r.code, kExitBadInput);
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["faces"].size(), 1u);
  EXPECT_TRUE(j[1].contains("error"));
}

TEST_F(CliTest, DetectJsonOnRealStill) {
  std::string still = Still("alex-lacamoire.png");
  if (still.empty()) LFR_MISSING_SHARED_("video/hamilton/watchlist_stills");
  CliRun r = RunLfr({"detect", "--json", still});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  ASSERT_EQ(j[0]["faces"].size(), 1u);
  const auto& f = j[0]["faces"][0];
  EXPECT_GT(f["score"].get<double>(), 0.8);
  EXPECT_EQ(f["landmarks"].size(), 5u);
  EXPECT_TRUE(f["central"].get<bool>());
  EXPECT_TRUE(f["quality"]["passed"].get<bool>()) << f["quality"].dump();
  EXPECT_GT(f["quality"]["inter_eye_px"].get<double>(), 16.0);
}

TEST_F(CliTest, CompareSameAndDifferentPeople) {
  std::string a = Lfw("Tony_Blair", 1), b = Lfw("Tony_Blair", 2), c = Lfw("George_W_Bush", 1);
  if (a.empty() || b.empty() || c.empty()) LFR_MISSING_SHARED_("lfw/images");
  CliRun same = RunLfr({"compare", "--json", a, b});
  ASSERT_EQ(same.code, 0) << same.err;
  auto js = nlohmann::json::parse(same.out);
  EXPECT_TRUE(js["same_person"].get<bool>()) << js.dump();
  EXPECT_GT(js["similarity"].get<double>(), js["threshold"].get<double>());
  EXPECT_EQ(js["recogniser"], "mobilefacenet-arcface");

  CliRun diff = RunLfr({"compare", "--json", a, c});
  ASSERT_EQ(diff.code, 0) << diff.err;
  auto jd = nlohmann::json::parse(diff.out);
  EXPECT_FALSE(jd["same_person"].get<bool>()) << jd.dump();
  EXPECT_LT(jd["similarity"].get<double>(), js["similarity"].get<double>());
}

TEST_F(CliTest, CompareThresholdOverrideDecides) {
  std::string a = Lfw("Tony_Blair", 1), b = Lfw("Tony_Blair", 2);
  if (a.empty() || b.empty()) LFR_MISSING_SHARED_("lfw/images");
  CliRun r = RunLfr({"compare", "--json", "--threshold", "0.99", a, b});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FLOAT_EQ(j["threshold"].get<float>(), 0.99f);
  EXPECT_FALSE(j["same_person"].get<bool>());
}

TEST_F(CliTest, CompareWithBadOrFacelessImage) {
  std::string a = Lfw("Tony_Blair", 1);
  if (a.empty()) LFR_MISSING_SHARED_("lfw/images");
  CliRun missing = RunLfr({"compare", a, (dir_ / "gone.jpg").string()});
  EXPECT_EQ(missing.code, kExitBadInput);
  EXPECT_THAT(missing.err, HasSubstr("gone.jpg"));

  fs::path wall = dir_ / "wall.png";
  cv::imwrite(wall.string(), cv::Mat(200, 200, CV_8UC3, cv::Scalar(30, 30, 30)));
  CliRun faceless = RunLfr({"compare", a, wall.string()});
  EXPECT_EQ(faceless.code, kExitNothingFound);
  EXPECT_THAT(faceless.err, HasSubstr("wall.png: no face found"));
}

// The real executable, to show exit codes survive to the shell and nothing crashes.
TEST_F(CliTest, ExecutableReportsBadInputWithExitTwo) {
  const char* bin = std::getenv("LFR_BINARY");
  if (bin == nullptr) GTEST_SKIP() << "LFR_BINARY not set (ctest sets it)";
  fs::path bad = WriteFile("junk.png", std::string(100, '\x42'));
  std::string cmd = std::string(bin) + " detect " + bad.string() + " 2>" + (dir_ / "err").string();
  int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExitBadInput);
  std::ifstream err(dir_ / "err");
  std::string line;
  std::getline(err, line);
  EXPECT_THAT(line, HasSubstr("junk.png"));
}

}  // namespace
}  // namespace lfr::cli
