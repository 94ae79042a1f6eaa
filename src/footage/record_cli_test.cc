// `--record-footage` end to end: a deployment camera added with it is recorded while
// `lfr watch --deployment` runs it (sealed segments under $LFR_HOME/footage/<dep>/<camera>/
// that the deployment's footage key opens and that decode), and a camera without it is not.
#include <gtest/gtest.h>

#include "footage/footage_testing.h"
#include "footage/segment.h"
#include "store/sqlite_store.h"
#include "testing/cli_run.h"
#include "testing/lfr_process.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using lfr::testing::ScopedEnv;

TEST(FootageCli, ACameraAddedWithRecordFootageIsRecordedByWatch) {
  auto home = lfr::testing::HomeWithModels("footage-cli-home", {"yunet-2022mar", "mobilefacenet-arcface"});
  auto video = lfr::testing::FindData("video");
  auto person = lfr::testing::FindData("lfw/images/Aaron_Peirsol/Aaron_Peirsol_0001.jpg");
  if (!home || !video || !person) LFR_MISSING_SHARED_("models, video/ and lfw/images");
  ASSERT_TRUE(fs::exists(lfr::testing::LfrBinary())) << lfr::testing::LfrBinary();
  const fs::path logs = lfr::testing::TempDir("footage-cli-logs");
  {
    ScopedEnv env_home("LFR_HOME", home->string());
    ScopedEnv env_key("LFR_MASTER_KEY", std::nullopt);
    ScopedEnv env_db("LFR_DB", std::nullopt);
    ScopedEnv env_dirs("LFR_CAMERA_DIRS", video->string());
    auto lfr = [](std::vector<std::string> args) {
      auto r = lfr::testing::RunLfr(std::move(args));
      EXPECT_EQ(r.code, 0) << r.err;
    };
    lfr({"deployment", "create", "--name", "Rec", "--site", "s", "--location", "l", "--start", "2026-12-05",
         "--end", "2026-12-06", "--purpose", "p", "--legal-basis", "b", "--authorising-officer", "o"});
    lfr({"deployment", "camera", "add", "1", "hamilton", (*video / "hamilton/short_hamilton_clip.mp4").string(),
         "--record-footage"});
    lfr({"deployment", "camera", "add", "1", "opera", (*video / "opera-house-walkers/video.mp4").string()});
    lfr({"watchlist", "add", "1", person->string(), "--reference", "AP-1", "--category", "test", "--reason", "r"});
    lfr({"deployment", "start", "1", "--override-reason", "test: no notice, window not now"});
  }
  lfr::testing::SpawnOptions o;
  o.env = {{"LFR_HOME", home->string()}, {"LFR_CAMERA_DIRS", video->string()}};
  o.unset_env = {"LFR_MASTER_KEY", "LFR_DB", "LFR_ALERT_RETENTION", "LFR_FOOTAGE_RETENTION"};
  o.stdout_file = logs / "watch.out";
  o.stderr_file = logs / "watch.err";
  auto run = lfr::testing::RunLfrProcess({"watch", "--deployment", "1", "--max-seconds", "6", "--json"}, o);
  ASSERT_EQ(run.code, 0) << run.err;

  auto key = MasterKey::Load(*home / "master.key");
  ASSERT_TRUE(key.ok());
  auto store = OpenSqliteStore(*home / "lfr.db", *key);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  int64_t hamilton = 0, opera = 0;
  auto cameras = (*store)->ListCameras(1);
  ASSERT_TRUE(cameras.ok());
  for (const Camera& c : *cameras) (c.name == "hamilton" ? hamilton : opera) = c.id;
  auto footage_key = (*store)->FootageKey(1, Actor{"test"});
  ASSERT_TRUE(footage_key.ok()) << footage_key.status().ToString();

  const fs::path root = *home / "footage";
  const auto segments = ListSegments(CameraFootageDir(root, 1, hamilton));
  ASSERT_GE(segments.size(), 1u) << run.err;
  int64_t frames = 0;
  for (const fs::path& p : segments) {
    auto ts = UnsealSegment(p, *footage_key);
    ASSERT_TRUE(ts.ok()) << ts.status().ToString();
    frames += *DecodeSegment(*ts, [](const cv::Mat& bgr, double) { return bgr.cols == 640; });
  }
  EXPECT_GT(frames, 100);  // about 6 s of a 30 fps clip
  EXPECT_FALSE(fs::exists(CameraFootageDir(root, 1, opera)));  // not recorded
  EXPECT_TRUE(lfr::footage_testing::FilesUnder(CameraFootageDir(root, 1, opera)).empty());
}

}  // namespace
}  // namespace lfr
