// The store commands as a user meets them: the deployment workflow end to end, and the
// exit codes and messages for an unknown or closed deployment, a missing, wrong or exposed
// master key, a corrupt database and a tampered audit log — each leaving nothing
// half-written.
#include <sys/stat.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/cli.h"
#include "store/sqlite_store.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"
#include "util/clock.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;
using nlohmann::json;

class CliStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto home = lfr::testing::HomeWithModels("cli-store", {"yunet-2022mar", "mobilefacenet-arcface"});
    stills_ = lfr::testing::FindData("video/hamilton/watchlist_stills");
    if (!home || !stills_) LFR_MISSING_SHARED_("models and video/hamilton/watchlist_stills");
    home_ = *home;
    env_.push_back(std::make_unique<ScopedEnv>("LFR_HOME", home_.string()));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_MASTER_KEY", std::nullopt));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_DB", std::nullopt));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_ALERT_RETENTION", std::nullopt));
  }
  CliRun Lfr(std::vector<std::string> args) { return RunLfr(std::move(args)); }
  // A planned deployment "D1" with camera gate-a (the hamilton clip): its id.
  std::string CreateDeployment(const std::string& name = "D1") {
    // Planned from an hour ago for eight hours (real clock): start is within the window.
    const int64_t now = SystemClock()->NowMs();
    CliRun r = Lfr({"deployment", "create", "--name", name, "--site", "Cardiff", "--location", "Gate A",
                    "--start", FormatUtcMs(now - kMsPerHour).substr(0, 16), "--end",
                    FormatUtcMs(now + 8 * kMsPerHour).substr(0, 16), "--purpose", "find wanted people",
                    "--legal-basis", "common law", "--authorising-officer", "Supt. Example", "--json"});
    EXPECT_EQ(r.code, kExitOk) << r.err;
    const std::string id = std::to_string(json::parse(r.out)["id"].get<int64_t>());
    CliRun cam = Lfr({"deployment", "camera", "add", id, "gate-a", "/data/clip.mp4", "--camera-dir", "/data"});
    EXPECT_EQ(cam.code, kExitOk) << cam.err;
    return id;
  }
  CliRun AddStill(const std::string& dep, const std::string& reference, const char* still) {
    return Lfr({"watchlist", "add", dep, (*stills_ / still).string(), "--reference", reference, "--name",
                "Name " + reference, "--category", "wanted: theft", "--reason", "warrant"});
  }
  // An active deployment with one entry.
  std::string ActiveDeployment(const std::string& name = "D1") {
    const std::string id = CreateDeployment(name);
    CliRun add = AddStill(id, "LMM-1", "lin-manuel-miranda.png");
    EXPECT_EQ(add.code, kExitOk) << add.err;
    CliRun notice = Lfr({"deployment", "notice", id, "--text", "LFR in use at Gate A today."});
    EXPECT_EQ(notice.code, kExitOk) << notice.err;
    CliRun start = Lfr({"deployment", "start", id});
    EXPECT_EQ(start.code, kExitOk) << start.err;
    return id;
  }
  int64_t AuditRows() {
    CliRun r = Lfr({"audit", "verify", "--json"});
    EXPECT_EQ(r.code, kExitOk) << r.err;
    return r.code == kExitOk ? json::parse(r.out)["rows"].get<int64_t>() : -1;
  }
  fs::path home_;
  std::optional<fs::path> stills_;
  std::vector<std::unique_ptr<ScopedEnv>> env_;
};

TEST_F(CliStoreTest, FirstUseCreatesAPrivateMasterKeyAndSaysSo) {
  CliRun first = Lfr({"deployment", "list"});
  ASSERT_EQ(first.code, kExitOk) << first.err;
  EXPECT_THAT(first.err, HasSubstr("created a new master key"));
  EXPECT_THAT(first.err, HasSubstr("Back it up"));
  EXPECT_THAT(first.out, HasSubstr("no deployments"));
  struct stat st {};
  ASSERT_EQ(::stat((home_ / "master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((home_ / "lfr.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  CliRun second = Lfr({"deployment", "list"});
  EXPECT_EQ(second.code, kExitOk);
  EXPECT_THAT(second.err, ::testing::Not(HasSubstr("master key")));
  // LFR_DB (or --db) puts the database elsewhere, under the same key.
  const fs::path other = lfr::testing::TempDir("cli-store-db") / "sub" / "other.db";
  ScopedEnv db("LFR_DB", other.string());
  CreateDeployment("Elsewhere");
  EXPECT_TRUE(fs::exists(other));
  EXPECT_THAT(Lfr({"deployment", "list"}).out, HasSubstr("Elsewhere"));
  EXPECT_THAT(Lfr({"--db", (home_ / "lfr.db").string(), "deployment", "list"}).out, HasSubstr("no deployments"));
}

TEST_F(CliStoreTest, ADeploymentFromPlanToCloseWithItsWatchlist) {
  const std::string id = CreateDeployment();
  CliRun early = Lfr({"deployment", "start", id});
  EXPECT_EQ(early.code, kExitRefused);
  EXPECT_THAT(early.err, HasSubstr("watchlist is empty"));

  EXPECT_EQ(AddStill(id, "LMM-1", "lin-manuel-miranda.png").code, kExitOk);
  // The same photo under another reference: refused unless confirmed.
  CliRun dup = AddStill(id, "LMM-2", "lin-manuel-miranda.png");
  EXPECT_EQ(dup.code, kExitBadInput) << dup.err;
  EXPECT_THAT(dup.err, HasSubstr("(LMM-1) is already on this watchlist (similarity 1.000 >= 0.98)"));
  EXPECT_THAT(dup.err, HasSubstr("(--allow-duplicate)"));
  CliRun confirmed = Lfr({"watchlist", "add", id, (*stills_ / "lin-manuel-miranda.png").string(), "--reference",
                          "LMM-2", "--name", "Name LMM-2", "--category", "wanted: theft", "--reason", "warrant",
                          "--allow-duplicate"});
  EXPECT_EQ(confirmed.code, kExitOk) << confirmed.err;
  EXPECT_THAT(confirmed.err, HasSubstr("confirmed duplicate of entry"));
  CliRun again = AddStill(id, "LMM-1", "alex-lacamoire.png");
  EXPECT_EQ(again.code, kExitBadInput);
  EXPECT_THAT(again.err, HasSubstr("already on the watchlist"));
  const fs::path blank = lfr::testing::TempDir("cli-blank") / "blank.png";
  cv::imwrite(blank.string(), cv::Mat(200, 200, CV_8UC3, cv::Scalar::all(128)));
  CliRun no_face = Lfr({"watchlist", "add", id, blank.string(), "--reference", "X", "--category", "c",
                        "--reason", "r"});
  EXPECT_EQ(no_face.code, kExitBadInput);
  EXPECT_THAT(no_face.err, HasSubstr("no face found"));

  CliRun list = Lfr({"watchlist", "list", id, "--json"});
  ASSERT_EQ(list.code, kExitOk) << list.err;
  CliRun audit = Lfr({"audit", "list", "--json"});
  EXPECT_EQ(json::parse(audit.out)["audit"].back()["action"], "watchlist.list");  // names were shown
  auto entries = json::parse(list.out)["entries"];
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["name"], "Name LMM-1");
  EXPECT_EQ(entries[1]["duplicate_of"], entries[0]["id"]);
  CliRun removed = Lfr({"watchlist", "remove", std::to_string(entries[1]["id"].get<int64_t>())});
  EXPECT_EQ(removed.code, kExitOk) << removed.err;

  ASSERT_EQ(Lfr({"deployment", "notice", id, "--text", "LFR in use at Gate A"}).code, kExitOk);
  CliRun start = Lfr({"deployment", "start", "D1"});  // by name
  ASSERT_EQ(start.code, kExitOk) << start.err;
  CliRun no_cam = Lfr({"watch", "--deployment", id, "--source", "a.mp4"});
  EXPECT_EQ(no_cam.code, kExitBadInput);
  EXPECT_THAT(no_cam.err, HasSubstr("has no camera \"a.mp4\" (its cameras: gate-a)"));
  CliRun show = Lfr({"deployment", "show", id, "--json"});
  ASSERT_EQ(show.code, kExitOk) << show.err;
  json d = json::parse(show.out);
  EXPECT_EQ(d["status"], "active");
  EXPECT_EQ(d["cameras"].size(), 1u);
  EXPECT_EQ(d["watchlist"]["entries"], 1);
  EXPECT_EQ(d["watchlist"]["removed"], 1);
  EXPECT_EQ(d["watchlist"]["categories"]["wanted: theft"], 1);
  EXPECT_EQ(d["notice_text"], "LFR in use at Gate A");

  CliRun unsure = Lfr({"deployment", "close", id});
  EXPECT_EQ(unsure.code, kExitBadInput);
  EXPECT_THAT(unsure.err, HasSubstr("--yes"));
  EXPECT_THAT(unsure.err, HasSubstr("cannot be recovered"));
  EXPECT_EQ(json::parse(Lfr({"deployment", "show", id, "--json"}).out)["status"], "active");
  CliRun closed = Lfr({"deployment", "close", id, "--yes"});
  ASSERT_EQ(closed.code, kExitOk) << closed.err;
  EXPECT_THAT(closed.out, HasSubstr("2 watchlist entries"));

  CliRun after = Lfr({"watchlist", "list", id, "--all", "--json"});
  auto kept = json::parse(after.out)["entries"];
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0]["reference"], "LMM-1");
  EXPECT_EQ(kept[0]["name"], "");
  EXPECT_EQ(kept[0]["shredded"], true);
  EXPECT_EQ(Lfr({"audit", "verify"}).code, kExitOk);
}

TEST_F(CliStoreTest, ImportsAFolderOrACsvReportingEachRejection) {
  const std::string id = CreateDeployment();
  const fs::path dir = lfr::testing::TempDir("cli-import");
  fs::create_symlink(*stills_ / "lin-manuel-miranda.png", dir / "Lin_Manuel.png");
  cv::imwrite((dir / "Nobody.png").string(), cv::Mat(200, 200, CV_8UC3, cv::Scalar::all(90)));
  CliRun no_reason = Lfr({"watchlist", "import", id, dir.string(), "--category", "c"});
  EXPECT_EQ(no_reason.code, kExitBadInput);
  EXPECT_THAT(no_reason.err, HasSubstr("--reason"));
  CliRun folder = Lfr({"watchlist", "import", id, dir.string(), "--category", "wanted", "--reason", "warrant"});
  ASSERT_EQ(folder.code, kExitOk) << folder.err;
  EXPECT_THAT(folder.err, HasSubstr("import 2/2 ["));  // the progress bar
  EXPECT_THAT(folder.err, HasSubstr("rejected Nobody.png Nobody: no face found"));
  EXPECT_THAT(folder.err, HasSubstr("enrolled 1 of 2 images"));

  std::ofstream(dir / "list.csv") << "image,reference,name,category,reason,image_source\n"
                                  << (*stills_ / "alex-lacamoire.png").string()
                                  << ",AL-1,\"Lacamoire, Alex\",wanted: theft,warrant W1,custody\n"
                                  << "Lin_Manuel.png,LM-2,Lin,wanted,,\n"  // no reason: refused
                                  << "Nobody.png,NB-1,Nobody,wanted,warrant,\n";
  CliRun csv = Lfr({"watchlist", "import", id, "--csv", (dir / "list.csv").string(), "--json"});
  ASSERT_EQ(csv.code, kExitOk) << csv.err;
  json summary = json::parse(csv.out);
  EXPECT_EQ(summary["enrolled"], 1);
  ASSERT_EQ(summary["rejected"].size(), 2u);
  EXPECT_THAT(summary["rejected"][0].get<std::string>(), HasSubstr("(line 3) LM-2: a watchlist entry needs a reason"));
  EXPECT_THAT(summary["rejected"][1].get<std::string>(), HasSubstr("no face found"));
  auto entries = json::parse(Lfr({"watchlist", "list", id, "--json"}).out)["entries"];
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1]["name"], "Lacamoire, Alex");
  EXPECT_EQ(entries[1]["image_source"], "custody");

  std::ofstream(dir / "none.csv") << "image,reference,category,reason\nNobody.png,NB-2,c,r\n";
  CliRun none = Lfr({"watchlist", "import", id, "--csv", (dir / "none.csv").string()});
  EXPECT_EQ(none.code, kExitBadInput);
  EXPECT_THAT(none.err, HasSubstr("could be enrolled"));
  CliRun bad_csv = Lfr({"watchlist", "import", id, "--csv", (dir / "Nobody.png").string()});
  EXPECT_EQ(bad_csv.code, kExitBadInput);
}

TEST_F(CliStoreTest, AClosedDeploymentRefusesWithExitFive) {
  const std::string id = ActiveDeployment();
  ASSERT_EQ(Lfr({"deployment", "close", id, "--yes"}).code, kExitOk);
  const int64_t rows = AuditRows();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"watch", "--deployment", id},
           {"deployment", "start", id},
           {"deployment", "close", id, "--yes"},
           {"deployment", "camera", "add", id, "gate-b", "/data/x.mp4", "--camera-dir", "/data"}}) {
    CliRun r = Lfr(args);
    EXPECT_EQ(r.code, kExitRefused) << args[0] << " " << args[1] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("closed")) << args[0];
  }
  CliRun add = AddStill(id, "NEW", "alex-lacamoire.png");
  EXPECT_EQ(add.code, kExitRefused);
  EXPECT_THAT(add.err, HasSubstr("is closed"));
  EXPECT_EQ(AuditRows(), rows);  // refusals wrote nothing
}

TEST_F(CliStoreTest, UnknownDeploymentsEntriesAndAlertsAreBadInput) {
  CreateDeployment();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"deployment", "show", "99"},
           {"deployment", "start", "nope"},
           {"watchlist", "list", "nope"},
           {"watch", "--deployment", "nope"},
           {"alerts", "list", "--deployment", "nope"},
           {"watchlist", "remove", "99"},
           {"alerts", "decide", "99", "--state", "true"}}) {
    CliRun r = Lfr(args);
    EXPECT_EQ(r.code, kExitBadInput) << args[0] << " " << args[1] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("no ")) << r.err;
  }
  CliRun bad_id = Lfr({"watchlist", "remove", "abc"});
  EXPECT_EQ(bad_id.code, kExitBadInput);
  EXPECT_THAT(bad_id.err, HasSubstr("positive number"));
  CliRun bad_time = Lfr({"deployment", "create", "--name", "X", "--site", "s", "--location", "l", "--start",
                         "tomorrow", "--end", "2026-12-05", "--purpose", "p", "--legal-basis", "b",
                         "--authorising-officer", "o"});
  EXPECT_EQ(bad_time.code, kExitBadInput);
  EXPECT_THAT(bad_time.err, HasSubstr("tomorrow"));
  CliRun bad_uri = Lfr({"deployment", "camera", "add", "1", "cam", "gopher://x"});
  EXPECT_EQ(bad_uri.code, kExitBadInput);
  CliRun both = Lfr({"watch", "--deployment", "1", "--watchlist", "/tmp"});
  EXPECT_EQ(both.code, kExitBadInput);
  EXPECT_THAT(both.err, HasSubstr("exactly one of --watchlist"));
  CliRun planned = Lfr({"watch", "--deployment", "1"});
  EXPECT_EQ(planned.code, kExitRefused);
  EXPECT_THAT(planned.err, HasSubstr("lfr deployment start 1"));
}

TEST_F(CliStoreTest, AMissingWrongOrExposedMasterKeyExitsThreeAndChangesNothing) {
  const std::string id = CreateDeployment();
  const int64_t rows = AuditRows();
  const fs::path key = home_ / "master.key";
  {
    ScopedEnv wrong("LFR_MASTER_KEY", std::string(64, 'b'));
    CliRun r = Lfr({"deployment", "start", id});
    EXPECT_EQ(r.code, kExitMissingModel);
    EXPECT_THAT(r.err, HasSubstr("wrong master key"));
  }
  fs::permissions(key, fs::perms(0644));
  CliRun exposed = Lfr({"deployment", "list"});
  EXPECT_EQ(exposed.code, kExitMissingModel);
  EXPECT_THAT(exposed.err, HasSubstr("chmod 600"));
  fs::permissions(key, fs::perms(0600));
  fs::rename(key, home_ / "elsewhere.key");
  CliRun missing = Lfr({"deployment", "list"});
  EXPECT_EQ(missing.code, kExitMissingModel);
  EXPECT_THAT(missing.err, HasSubstr("master key is missing"));
  EXPECT_FALSE(fs::exists(key));  // never silently replaced while the database exists
  fs::rename(home_ / "elsewhere.key", key);
  EXPECT_EQ(AuditRows(), rows);
  EXPECT_EQ(json::parse(Lfr({"deployment", "show", id, "--json"}).out)["status"], "planned");
}

TEST_F(CliStoreTest, ACorruptOrForeignDatabaseExitsThreeNamingTheFile) {
  const fs::path junk = lfr::testing::TempDir("cli-junk") / "junk.db";
  std::ofstream(junk) << std::string(10000, 'z');
  CliRun r = Lfr({"--db", junk.string(), "deployment", "list"});
  EXPECT_EQ(r.code, kExitMissingModel);
  EXPECT_THAT(r.err, HasSubstr(junk.string()));
  EXPECT_THAT(r.err, HasSubstr("not an OpenLFR database"));
  // A real store with one of its pages overwritten.
  CreateDeployment();
  ASSERT_EQ(Lfr({"deployment", "list"}).code, kExitOk);  // checkpointed on close
  const fs::path db = home_ / "lfr.db";
  ASSERT_GE(fs::file_size(db), 4u * 4096);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * 4096);
    const std::string garbage(4096, '\x5a');
    f.write(garbage.data(), garbage.size());
  }
  CliRun corrupt = Lfr({"deployment", "list"});
  EXPECT_EQ(corrupt.code, kExitMissingModel) << corrupt.err;
  EXPECT_THAT(corrupt.err, HasSubstr(db.string()));
}

TEST_F(CliStoreTest, AuditVerifyNamesTheFirstBrokenRowAndExitsSix) {
  ActiveDeployment();
  CliRun ok = Lfr({"audit", "verify"});
  ASSERT_EQ(ok.code, kExitOk) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("audit log verified: "));
  CliRun listed = Lfr({"audit", "list", "--json"});
  auto rows = json::parse(listed.out)["audit"];
  ASSERT_GE(rows.size(), 5u);
  EXPECT_EQ(rows[1]["action"], "deployment.create");
  EXPECT_THAT(rows[1]["actor"].get<std::string>(), ::testing::StartsWith("cli:"));
  {
    lfr::testing::RawDb raw(home_ / "lfr.db");
    ASSERT_EQ(raw.Exec("DROP TRIGGER audit_append_only_update"), "");
    ASSERT_EQ(raw.Exec("UPDATE audit SET details = '{}' WHERE seq = 3"), "");
  }
  CliRun broken = Lfr({"audit", "verify"});
  EXPECT_EQ(broken.code, kExitTampered);
  EXPECT_THAT(broken.out, HasSubstr("audit log broken at row 3: "));
}

TEST_F(CliStoreTest, AlertsAreListedDecidedAndPurgedOnSchedule) {
  const std::string id = ActiveDeployment();
  // Two alerts recorded two days ago and one now, through the library on a manual clock.
  {
    auto key = MasterKey::Load(home_ / "master.key");
    ASSERT_TRUE(key.ok());
    ManualClock past(SystemClock()->NowMs() - 2 * kMsPerDay);
    auto store = OpenSqliteStore(home_ / "lfr.db", *key, {&past});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const int64_t entry = (*store)->ListWatchlist(std::stoll(id), false)->at(0).id;
    ASSERT_TRUE((*store)->RecordAlert(lfr::testing::AlertFor(std::stoll(id), entry), lfr::testing::kSystem).ok());
    ASSERT_TRUE((*store)->RecordAlert(lfr::testing::AlertFor(std::stoll(id), entry), lfr::testing::kSystem).ok());
    past.Set(SystemClock()->NowMs());
    ASSERT_TRUE((*store)->RecordAlert(lfr::testing::AlertFor(std::stoll(id), entry), lfr::testing::kSystem).ok());
  }
  CliRun preview = Lfr({"purge", "--json"});
  ASSERT_EQ(preview.code, kExitOk) << preview.err;
  EXPECT_EQ(json::parse(preview.out)["alerts"], 2);
  EXPECT_EQ(json::parse(preview.out)["purged"], false);
  CliRun again = Lfr({"purge", "--json"});
  EXPECT_EQ(json::parse(again.out)["alerts"], 2);  // a preview deletes nothing
  CliRun purged = Lfr({"purge", "--now"});
  ASSERT_EQ(purged.code, kExitOk) << purged.err;
  EXPECT_THAT(purged.out, HasSubstr("purged: 2 alert(s)"));

  CliRun list = Lfr({"alerts", "list", "--deployment", id, "--json"});
  ASSERT_EQ(list.code, kExitOk) << list.err;
  auto alerts = json::parse(list.out)["alerts"];
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[0]["media_purged"], false);
  EXPECT_EQ(alerts[0]["subject_reference"], "LMM-1");
  EXPECT_EQ(alerts[2]["media_purged"], true);
  EXPECT_EQ(alerts[2]["subject_reference"], "");
  const std::string fresh = std::to_string(alerts[0]["id"].get<int64_t>());
  const std::string old = std::to_string(alerts[2]["id"].get<int64_t>());

  CliRun decided = Lfr({"alerts", "decide", fresh, "--state", "true", "--outcome", "arrested", "--note", "at gate"});
  ASSERT_EQ(decided.code, kExitOk) << decided.err;
  EXPECT_THAT(decided.out, HasSubstr("true, outcome arrested"));
  // A decision is made once; a change is a correction with a reason; no contradictions.
  CliRun redecide = Lfr({"alerts", "decide", fresh, "--state", "false"});
  EXPECT_EQ(redecide.code, kExitRefused);
  EXPECT_THAT(redecide.err, HasSubstr("already decided"));
  CliRun contradiction = Lfr({"alerts", "decide", fresh, "--state", "false", "--outcome", "arrested", "--correct",
                              "--reason", "r"});
  EXPECT_EQ(contradiction.code, kExitBadInput);
  EXPECT_THAT(contradiction.err, HasSubstr("contradicts"));
  EXPECT_EQ(Lfr({"alerts", "decide", fresh, "--state", "false", "--correct"}).code, kExitBadInput);
  CliRun corrected = Lfr({"alerts", "decide", fresh, "--state", "false", "--correct", "--reason", "wrong person",
                          "--json"});
  ASSERT_EQ(corrected.code, kExitOk) << corrected.err;
  json correction = json::parse(corrected.out)["corrections"].at(0);
  EXPECT_EQ(correction["previous_state"], "true");
  EXPECT_EQ(correction["previous_outcome"], "arrested");
  EXPECT_EQ(correction["reason"], "wrong person");
  ASSERT_EQ(Lfr({"alerts", "decide", fresh, "--state", "true", "--outcome", "arrested", "--correct", "--reason",
                 "it was him after all"}).code, kExitOk);
  CliRun late = Lfr({"alerts", "decide", old, "--state", "false"});
  EXPECT_EQ(late.code, kExitRefused);
  EXPECT_THAT(late.err, HasSubstr("retention"));
  EXPECT_EQ(Lfr({"alerts", "decide", fresh, "--state", "pending"}).code, kExitBadInput);
  EXPECT_EQ(Lfr({"alerts", "decide", fresh, "--state", "true", "--outcome", "hanged"}).code, kExitBadInput);
  CliRun pending = Lfr({"alerts", "list", "--state", "true", "--json"});
  EXPECT_EQ(json::parse(pending.out)["alerts"].size(), 1u);
  {
    ScopedEnv too_long("LFR_ALERT_RETENTION", "40d");
    CliRun r = Lfr({"alerts", "list"});
    EXPECT_EQ(r.code, kExitBadInput);
    EXPECT_THAT(r.err, HasSubstr("31-day"));
  }
  EXPECT_EQ(Lfr({"audit", "verify"}).code, kExitOk);
}

TEST_F(CliStoreTest, StartWithoutANoticeExitsFiveUnlessAnOverrideSaysWhy) {
  const std::string id = CreateDeployment("NoNotice");
  ASSERT_EQ(AddStill(id, "LMM-1", "lin-manuel-miranda.png").code, kExitOk);
  const int64_t rows = AuditRows();
  CliRun refused = Lfr({"deployment", "start", id});
  EXPECT_EQ(refused.code, kExitRefused);
  EXPECT_THAT(refused.err, HasSubstr("no advance notice has been published"));
  EXPECT_THAT(refused.err, HasSubstr("--override-reason"));
  EXPECT_EQ(AuditRows(), rows) << "a refusal writes nothing";
  CliRun blank = Lfr({"deployment", "start", id, "--override-reason", " "});
  EXPECT_EQ(blank.code, kExitBadInput);
  CliRun started = Lfr({"deployment", "start", id, "--override-reason", "publication would alert the suspect"});
  ASSERT_EQ(started.code, kExitOk) << started.err;
  EXPECT_THAT(started.err, HasSubstr("started under override (no advance notice published)"));
  CliRun show = Lfr({"deployment", "show", id});
  EXPECT_THAT(show.out, HasSubstr("override reason:     publication would alert the suspect"));
  CliRun report = Lfr({"report", id, "--format", "json"});
  ASSERT_EQ(report.code, kExitOk) << report.err;
  EXPECT_EQ(json::parse(report.out)["deployment"]["start_override_reason"], "publication would alert the suspect");
}

}  // namespace
}  // namespace lfr::cli
