// A gallery import killed half-way (SIGKILL, the real lfr binary) leaves nothing in the
// gallery: its records were only staged, and the next import deletes them, face data and
// all. Without staging, the killed import's first records would be live and searchable.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/gallery_store.h"
#include "store/sqlite_store.h"
#include "testing/cli_run.h"
#include "testing/lfr_process.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using lfr::testing::LfrProcess;
using lfr::testing::RawDb;
using lfr::testing::ScopedEnv;

TEST(GalleryImportKill, KilledImportLeavesNothingAndTheNextImportClearsItsStagedRecords) {
  auto home = lfr::testing::HomeWithModels("gallery-kill", {"yunet-2022mar", "mobilefacenet-arcface"});
  auto lfw = lfr::testing::FindData("lfw/images");
  if (!home || !lfw) LFR_MISSING_SHARED_("models and lfw/images");
  ASSERT_TRUE(fs::exists(lfr::testing::LfrBinary())) << "no lfr binary at " << lfr::testing::LfrBinary();
  ScopedEnv h("LFR_HOME", home->string());
  ScopedEnv k("LFR_MASTER_KEY", std::nullopt);
  ScopedEnv d("LFR_DB", std::nullopt);
  const fs::path db = *home / "lfr.db";
  auto created = lfr::testing::RunLfr({"gallery", "create", "custody", "--purpose", "p", "--legal-basis", "b",
                                       "--owner", "o"});
  ASSERT_EQ(created.code, 0) << created.err;

  // 150 people's first images.
  const fs::path dir = lfr::testing::TempDir("gallery-kill-faces");
  std::vector<fs::path> people;
  for (const auto& e : fs::directory_iterator(*lfw)) if (e.is_directory()) people.push_back(e.path());
  std::sort(people.begin(), people.end());
  for (size_t i = 0; i < 150 && i < people.size(); ++i) {
    const std::string name = people[i].filename().string();
    fs::create_symlink(people[i] / (name + "_0001.jpg"), dir / (name + ".jpg"));
  }
  lfr::testing::SpawnOptions o;
  o.env = {{"LFR_HOME", home->string()}};
  o.unset_env = {"LFR_MASTER_KEY", "LFR_DB", "LFR_ALERT_RETENTION"};
  LfrProcess child = LfrProcess::Start({"gallery", "import", "custody", dir.string()}, o);
  ASSERT_GT(child.pid(), 0);
  bool reached = false;
  for (int i = 0; i < 6000 && child.Running() && !reached; ++i) {  // bounded: ~10 minutes
    if (fs::exists(db)) {
      RawDb raw(db);
      const std::string n = raw.Scalar("SELECT count(*) FROM gallery_records WHERE staged = 1");
      reached = !n.empty() && std::stoi(n) >= 10;
    }
    if (!reached) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(reached) << "the import ended before 10 records were staged";
  child.Kill(SIGKILL);
  const int status = child.Wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << status;

  // Nothing is in the gallery.
  auto show = lfr::testing::RunLfr({"gallery", "show", "custody", "--json"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_TRUE(nlohmann::json::parse(show.out)["records"].empty());
  EXPECT_EQ(nlohmann::json::parse(show.out)["gallery"]["records"], 0);

  // The next import deletes the killed one's staged records and their face data.
  const fs::path one = lfr::testing::TempDir("gallery-kill-one");
  fs::create_symlink(people[0] / (people[0].filename().string() + "_0001.jpg"), one / "ONE.jpg");
  auto next = lfr::testing::RunLfr({"gallery", "import", "custody", one.string()});
  ASSERT_EQ(next.code, 0) << next.err;
  RawDb raw(db);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM gallery_records"), "1");
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM gallery_faces"), "1");
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM audit WHERE action = 'gallery.import_abort'"), "1");
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM audit WHERE action = 'gallery.import'"), "1");
  auto verify = lfr::testing::RunLfr({"audit", "verify"});
  EXPECT_EQ(verify.code, 0) << verify.out;
}

}  // namespace
}  // namespace lfr
