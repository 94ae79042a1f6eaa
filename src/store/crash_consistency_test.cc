// Crash consistency and a full disk, with the real `lfr` binary as a child process:
//  * SIGKILL during `lfr watchlist import` of 200 LFW faces, and during a burst of alert
//    writes: the database opens, the audit chain verifies, and every entry/alert that exists
//    is complete (face data present and openable, its audit row present);
//  * a file-size limit (RLIMIT_FSIZE: the kernel refuses the write, as on a full disk) during
//    an import: exit 4 with "disk full", and only complete entries in the database.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <regex>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "store/sqlite_store.h"
#include "testing/cli_run.h"
#include "testing/lfr_process.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"
#include "vision/image_io.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::LfrProcess;
using lfr::testing::RawDb;
using lfr::testing::ScopedEnv;
using lfr::testing::SpawnOptions;

class CrashConsistencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto home = lfr::testing::HomeWithModels("crash", {"yunet-2022mar", "mobilefacenet-arcface"});
    lfw_ = lfr::testing::FindData("lfw/images");
    stills_ = lfr::testing::FindData("video/hamilton/watchlist_stills");
    if (!home || !lfw_ || !stills_) LFR_MISSING_SHARED_("models, lfw/images and video/hamilton");
    if (!fs::exists(lfr::testing::LfrBinary())) FAIL() << "no lfr binary at " << lfr::testing::LfrBinary();
    home_ = *home;
    db_ = home_ / "lfr.db";
    env_.push_back(std::make_unique<ScopedEnv>("LFR_HOME", home_.string()));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_MASTER_KEY", std::nullopt));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_DB", std::nullopt));
  }
  SpawnOptions Child() {
    SpawnOptions o;
    o.env = {{"LFR_HOME", home_.string()}};
    o.unset_env = {"LFR_MASTER_KEY", "LFR_DB", "LFR_ALERT_RETENTION"};
    o.stdout_file = home_ / ".." / (home_.filename().string() + ".out");
    o.stderr_file = home_ / ".." / (home_.filename().string() + ".err");
    return o;
  }
  // A planned deployment with one camera; returns its id.
  std::string Deployment() {
    auto r = lfr::testing::RunLfr({"deployment", "create", "--name", "Crash", "--site", "s", "--location", "l",
                                   "--start", "2026-12-05", "--end", "2026-12-06", "--purpose", "p",
                                   "--legal-basis", "b", "--authorising-officer", "o", "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    const std::string id = std::to_string(nlohmann::json::parse(r.out)["id"].get<int64_t>());
    EXPECT_EQ(lfr::testing::RunLfr({"deployment", "camera", "add", id, "gate-a", "/data/clip.mp4", "--camera-dir", "/data"}).code, 0);
    return id;
  }
  // A folder of `n` LFW faces, one per person: Person_Name.jpg -> the person's first image.
  fs::path LfwFolder(int n) {
    const fs::path dir = lfr::testing::TempDir("crash-faces");
    std::vector<fs::path> people;
    for (const auto& e : fs::directory_iterator(*lfw_)) {
      if (e.is_directory()) people.push_back(e.path());
    }
    std::sort(people.begin(), people.end());
    for (int i = 0; i < n && i < static_cast<int>(people.size()); ++i) {
      const std::string name = people[i].filename().string();
      fs::create_symlink(people[i] / (name + "_0001.jpg"), dir / (name + ".jpg"));
    }
    return dir;
  }
  // Polls the database (a separate read-only look, WAL allows it) until `sql` counts at
  // least `want`, or the child exits. True if the count was reached while it ran.
  bool WaitForCount(LfrProcess& child, const std::string& sql, int want) {
    for (int i = 0; i < 6000 && child.Running(); ++i) {  // bounded: at most ~10 minutes
      if (fs::exists(db_)) {
        RawDb raw(db_);
        const std::string n = raw.Scalar(sql);
        if (!n.empty() && std::stoi(n) >= want) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  std::unique_ptr<Store> Reopen() {
    auto key = MasterKey::Load(home_ / "master.key");
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    if (!key.ok()) return nullptr;
    auto store = OpenSqliteStore(db_, *key);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // Reopens the store, whose audit chain must verify.
  std::unique_ptr<Store> ReopenVerified() {
    auto store = Reopen();
    if (store) {
      auto v = store->VerifyAudit();
      EXPECT_TRUE(v.ok() && v->ok) << (v.ok() ? v->reason : v.status().ToString());
    }
    return store;
  }
  // SIGKILLs the child (which must still be running), then ReopenVerified().
  std::unique_ptr<Store> KillAndReopen(LfrProcess& child) {
    child.Kill(SIGKILL);
    const int status = child.Wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    return ReopenVerified();
  }
  std::set<std::string> AuditTargets(Store& store, const std::string& action) {
    std::set<std::string> out;
    auto rows = store.ListAudit(0, 1000000);
    for (const auto& e : *rows) {
      if (e.action == action) out.insert(e.target);
    }
    return out;
  }
  // Every entry of the deployment is complete: image and embedding open, one audit row.
  void ExpectCompleteEntries(Store& store, int64_t dep, size_t n) {
    auto entries = store.ListWatchlist(dep, true);
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(entries->size(), n);
    auto embeddings = store.LoadEmbeddings(dep, lfr::testing::kSystem);
    ASSERT_TRUE(embeddings.ok()) << embeddings.status().ToString();
    EXPECT_EQ(embeddings->size(), n);
    const auto added = AuditTargets(store, "watchlist.add");
    EXPECT_EQ(added.size(), n);
    for (const auto& e : *entries) {
      EXPECT_FALSE(e.display_name.empty()) << e.id;
      EXPECT_TRUE(added.count("entry:" + std::to_string(e.id))) << "no audit row for entry " << e.id;
      auto image = store.GetEntryImage(e.id, lfr::testing::kSystem);
      ASSERT_TRUE(image.ok()) << e.id << ": " << image.status().ToString();
      EXPECT_TRUE(DecodeImage(std::string(image->view()), "entry image").ok()) << e.id;
    }
    RawDb raw(db_);
    EXPECT_EQ(raw.Scalar("SELECT count(*) FROM entry_faces"), std::to_string(n));
  }
  fs::path home_, db_;
  std::optional<fs::path> lfw_, stills_;
  std::vector<std::unique_ptr<ScopedEnv>> env_;
};

TEST_F(CrashConsistencyTest, KilledDuringAWatchlistImportLeavesOnlyCompleteEntries) {
  const std::string dep = Deployment();
  const fs::path faces = LfwFolder(200);
  LfrProcess child = LfrProcess::Start({"watchlist", "import", dep, faces.string(), "--category", "test",
                                        "--reason", "crash test"},
                                       Child());
  ASSERT_GT(child.pid(), 0);
  ASSERT_TRUE(WaitForCount(child, "SELECT count(*) FROM watchlist_entries", 25))
      << "the import ended before 25 entries";
  auto store = KillAndReopen(child);
  ASSERT_NE(store, nullptr);
  const size_t n = store->ListWatchlist(std::stoll(dep), true)->size();
  EXPECT_GE(n, 25u);
  EXPECT_LT(n, 200u) << "the kill came after the import finished";
  ExpectCompleteEntries(*store, std::stoll(dep), n);
  EXPECT_TRUE(AuditTargets(*store, "watchlist.import").empty());  // it never finished
}

TEST_F(CrashConsistencyTest, KilledDuringAnAlertBurstLeavesOnlyCompleteAlerts) {
  const std::string dep = Deployment();
  ASSERT_EQ(lfr::testing::RunLfr({"watchlist", "add", dep, (*stills_ / "lin-manuel-miranda.png").string(),
                                  "--reference", "LMM", "--category", "c", "--reason", "r"}).code, 0);
  // Not a real deployment: no notice, and its planned window is not now.
  ASSERT_EQ(lfr::testing::RunLfr({"deployment", "start", dep, "--override-reason", "crash test"}).code, 0);
  SpawnOptions o = Child();
  o.env.push_back({"LFR_ENABLE_TEST_COMMANDS", "1"});
  LfrProcess child = LfrProcess::Start({"test-alert-burst", dep, "--count", "1000000"}, o);
  ASSERT_GT(child.pid(), 0);
  ASSERT_TRUE(WaitForCount(child, "SELECT count(*) FROM alerts", 300)) << "the burst ended early";
  auto store = KillAndReopen(child);
  ASSERT_NE(store, nullptr);
  AlertQuery q;
  q.limit = -1;
  auto alerts = store->ListAlerts(q);
  ASSERT_TRUE(alerts.ok());
  const size_t n = alerts->size();
  EXPECT_GE(n, 300u);
  const auto created = AuditTargets(*store, "alert.create");
  EXPECT_EQ(created.size(), n);
  for (const auto& a : *alerts) {
    EXPECT_TRUE(created.count("alert:" + std::to_string(a.id))) << "no audit row for alert " << a.id;
  }
  RawDb raw(db_);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM alert_media WHERE crop IS NOT NULL AND thumbnail IS NOT NULL"),
            std::to_string(n));
  // The newest alert (the one written last before the kill) opens.
  auto crop = store->GetAlertMedia(alerts->front().id, AlertMedia::kCrop, lfr::testing::kSystem);
  ASSERT_TRUE(crop.ok()) << crop.status().ToString();
  EXPECT_TRUE(DecodeImage(std::string(crop->view()), "crop").ok());
}

TEST_F(CrashConsistencyTest, AFullDiskStopsAnImportWithExitFourAndNoHalfEntry) {
  const std::string dep = Deployment();
  const fs::path faces = LfwFolder(40);
  ASSERT_EQ(lfr::testing::RunLfr({"deployment", "list"}).code, 0);  // leaves the WAL checkpointed
  SpawnOptions o = Child();
  // Room for the database as it is and a few entries' worth of WAL, then the kernel
  // refuses the write (EFBIG), as a full disk does (ENOSPC).
  o.max_file_bytes = static_cast<int64_t>(fs::file_size(db_)) + 150 * 1024;
  auto run = lfr::testing::RunLfrProcess(
      {"watchlist", "import", dep, faces.string(), "--category", "test", "--reason", "disk full"}, o);
  EXPECT_EQ(run.code, cli::kExitInternal) << run.err;
  EXPECT_THAT(run.err, HasSubstr("cannot write " + db_.string() + " (disk full"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(run.err, m, std::regex("stopped after enrolling (\\d+) of 40"))) << run.err;
  const size_t enrolled = std::stoul(m[1]);
  EXPECT_GT(enrolled, 0u);  // the limit was hit mid-import, not at the start
  EXPECT_LT(enrolled, 40u);

  auto store = ReopenVerified();
  ASSERT_NE(store, nullptr);
  ExpectCompleteEntries(*store, std::stoll(dep), enrolled);
}

}  // namespace
}  // namespace lfr
