// `lfr serve`, `lfr user`, `lfr report` and `lfr notice` as a user meets them: the first
// run's admin account, the server answering and stopping cleanly on SIGTERM, bad options,
// and the report and notice of a deployment made on the command line.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <regex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/lfr_process.h"
#include "testing/shared.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;
using nlohmann::json;

class CliServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto home = lfr::testing::HomeWithModels("cli-serve", {"yunet-2022mar", "mobilefacenet-arcface"});
    if (!home) LFR_MISSING_SHARED_("models yunet-2022mar and mobilefacenet-arcface");
    home_ = *home;
    env_.push_back(std::make_unique<ScopedEnv>("LFR_HOME", home_.string()));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_MASTER_KEY", std::nullopt));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_DB", std::nullopt));
  }
  std::string CreateDeployment(const std::string& name) {
    CliRun r = RunLfr({"deployment", "create", "--name", name, "--site", "Cardiff", "--location", "Gate A",
                       "--start", "2026-12-05T14:00", "--end", "2026-12-05T22:00", "--purpose",
                       "find wanted people", "--legal-basis", "common law", "--authorising-officer",
                       "Supt. Example", "--contact", "lfr@example.police.uk", "--json"});
    EXPECT_EQ(r.code, kExitOk) << r.err;
    return std::to_string(json::parse(r.out)["id"].get<int64_t>());
  }
  fs::path home_;
  std::vector<std::unique_ptr<ScopedEnv>> env_;
};

TEST_F(CliServeTest, UserAddGeneratesAPasswordAndRefusesBadRolesAndDuplicates) {
  CliRun add = RunLfr({"user", "add", "sue", "--role", "supervisor"});
  ASSERT_EQ(add.code, kExitOk) << add.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(add.out, m, std::regex("with password ([a-z0-9-]{23}) \\(shown once\\)")))
      << add.out;
  CliRun list = RunLfr({"user", "list", "--json"});
  ASSERT_EQ(list.code, kExitOk);
  json users = json::parse(list.out);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["role"], "supervisor");
  EXPECT_THAT(list.out, Not(HasSubstr("argon2")));
  EXPECT_THAT(list.out, Not(HasSubstr(m[1].str())));

  CliRun bad = RunLfr({"user", "add", "bob", "--role", "chief"});
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_THAT(bad.err, HasSubstr("not one of admin, supervisor, operator, auditor"));
  CliRun spaced = RunLfr({"user", "add", "bo b"});
  EXPECT_EQ(spaced.code, kExitBadInput);
  CliRun dup = RunLfr({"user", "add", "sue", "--role", "operator"});
  EXPECT_EQ(dup.code, kExitRefused) << dup.err;
  CliRun ghost = RunLfr({"user", "disable", "ghost"});
  EXPECT_EQ(ghost.code, kExitBadInput) << ghost.err;
  EXPECT_EQ(RunLfr({"user", "disable", "sue"}).code, kExitOk);
  EXPECT_EQ(json::parse(RunLfr({"user", "list", "--json"}).out)[0]["disabled"], true);
}

TEST_F(CliServeTest, ReportAndNoticeOfACommandLineDeployment) {
  const std::string id = CreateDeployment("Report-Test");
  CliRun notice = RunLfr({"notice", id});
  ASSERT_EQ(notice.code, kExitOk) << notice.err;
  EXPECT_THAT(notice.out, HasSubstr("Gate A"));
  EXPECT_THAT(notice.out, HasSubstr("lfr@example.police.uk"));
  // Publishing needs a camera (the notice says where the cameras are).
  CliRun early = RunLfr({"deployment", "notice", id});
  EXPECT_EQ(early.code, kExitRefused) << early.err;
  EXPECT_THAT(early.err, HasSubstr("incomplete"));
  ASSERT_EQ(RunLfr({"deployment", "camera", "add", id, "gate-a", "rtsp://10.1.1.1/s"}).code, kExitOk);
  CliRun publish = RunLfr({"deployment", "notice", id});
  ASSERT_EQ(publish.code, kExitOk) << publish.err;
  json shown = json::parse(RunLfr({"deployment", "show", id, "--json"}).out);
  EXPECT_THAT(shown["notice_text"].get<std::string>(), HasSubstr("Gate A"));

  CliRun report = RunLfr({"report", "Report-Test", "--format", "json"});
  ASSERT_EQ(report.code, kExitOk) << report.err;
  json r = json::parse(report.out);
  EXPECT_EQ(r["alerts"]["total"], 0);
  EXPECT_EQ(r["faces_seen"], 0);
  EXPECT_TRUE(r["false_alert_rate"].is_null());
  const fs::path html = lfr::testing::TempDir("report") / "r.html";
  CliRun to_file = RunLfr({"report", id, "--format", "html", "-o", html.string()});
  ASSERT_EQ(to_file.code, kExitOk) << to_file.err;
  std::ifstream in(html);
  std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(page, HasSubstr("<html"));
  EXPECT_THAT(page, HasSubstr("Report-Test"));
  EXPECT_THAT(page, Not(HasSubstr("rtsp://")));  // camera URIs can hold passwords
  json audit = json::parse(RunLfr({"audit", "list", "--json"}).out);
  int exports = 0;
  for (const auto& e : audit["audit"]) exports += e["action"] == "report.export";
  EXPECT_EQ(exports, 2);

  EXPECT_EQ(RunLfr({"report", id, "--format", "pdf"}).code, kExitBadInput);
  CliRun unknown = RunLfr({"report", "no-such-deployment"});
  EXPECT_EQ(unknown.code, kExitBadInput);
  EXPECT_THAT(unknown.err, HasSubstr("no-such-deployment"));
  EXPECT_EQ(RunLfr({"report", id, "-o", "/no/such/dir/r.html"}).code, kExitInternal);
}

// serve hardens its process (no core dumps, locked memory): run it as a child, not in the
// test process.
lfr::testing::ProcessRun Serve(const fs::path& home, const std::vector<std::string>& args) {
  lfr::testing::SpawnOptions o;
  o.env = {{"LFR_HOME", home.string()}};
  o.unset_env = {"LFR_MASTER_KEY", "LFR_DB"};
  std::vector<std::string> all = {"serve"};
  all.insert(all.end(), args.begin(), args.end());
  return lfr::testing::RunLfrProcess(all, o);
}

TEST_F(CliServeTest, ServeBadOptionsFailBeforeListening) {
  auto half_tls = Serve(home_, {"--port", "0", "--tls-cert", "cert.pem"});
  EXPECT_EQ(half_tls.code, kExitBadInput);
  EXPECT_THAT(half_tls.err, HasSubstr("--tls-key"));
  auto missing_tls = Serve(home_, {"--port", "0", "--tls-cert", "/no/cert.pem", "--tls-key", "/no/key.pem"});
  EXPECT_EQ(missing_tls.code, kExitBadInput);
  EXPECT_THAT(missing_tls.err, HasSubstr("/no/cert.pem"));
  EXPECT_EQ(Serve(home_, {"--port", "70000"}).code, kExitBadInput);
}

// The real binary: first run creates the admin, the console answers, SIGTERM stops it with
// exit 0; a second server on the same port fails with a clear message.
TEST_F(CliServeTest, FirstRunCreatesTheAdminAndTheServerStopsCleanly) {
  const fs::path out = lfr::testing::TempDir("serve-out") / "stdout.txt";
  const fs::path err = out.parent_path() / "stderr.txt";
  lfr::testing::SpawnOptions o;
  o.env = {{"LFR_HOME", home_.string()}};
  o.unset_env = {"LFR_MASTER_KEY", "LFR_DB"};
  o.stdout_file = out;
  o.stderr_file = err;
  auto p = lfr::testing::LfrProcess::Start({"serve", "--port", "0"}, o);
  ASSERT_GT(p.pid(), 0);
  std::string text;
  std::smatch m;
  const std::regex listening("listening on http://127\\.0\\.0\\.1:(\\d+)/");
  for (int i = 0; i < 600 && !std::regex_search(text, m, listening); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream f(out);
    text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    ASSERT_TRUE(p.Running()) << "serve exited early:\n" << text;
  }
  ASSERT_TRUE(std::regex_search(text, m, listening)) << text;
  const int port = std::stoi(m[1]);
  std::smatch pw;
  ASSERT_TRUE(std::regex_search(text, pw, std::regex("password: ([a-z0-9-]{23})"))) << text;

  httplib::Client c("127.0.0.1", port);
  auto index = c.Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  auto login = c.Post("/api/login", json({{"username", "admin"}, {"password", pw[1].str()}}).dump(),
                      "application/json");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 200) << login->body;

  // A second server on the same port.
  auto busy = Serve(home_, {"--port", std::to_string(port)});
  EXPECT_EQ(busy.code, kExitInternal);
  EXPECT_THAT(busy.err, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port)));

  p.Kill(SIGTERM);
  const int status = p.Wait();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The second start does not create another admin.
  CliRun users = RunLfr({"user", "list", "--json"});
  EXPECT_EQ(json::parse(users.out).size(), 1u);
}

}  // namespace
}  // namespace lfr::cli
