// Retention on a manual clock: alert data goes 24 h after the alert (not a minute before),
// footage after 31 days, purges are audited with counts, and a start-up after downtime
// purges at once.
#include "store/retention.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/cli_run.h"
#include "testing/store_fixture.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace lfr::testing;  // NOLINT: fixtures and builders

class RetentionTest : public BackendStoreFixture {
 protected:
  void SetUp() override {
    BackendStoreFixture::SetUp();
    footage_ = dir_ / "footage";
    dep_ = ActiveDeployment("D");
    entry_ = store_->ListWatchlist(dep_, false)->at(0).id;
  }
  int64_t Alert() {
    auto a = store_->RecordAlert(AlertFor(dep_, entry_), kSystem);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? a->id : 0;
  }
  bool HasMedia(int64_t alert) {
    return store_->GetAlertMedia(alert, AlertMedia::kCrop, kCli).ok();
  }
  std::vector<AuditEvent> Audits(const std::string& action) {
    std::vector<AuditEvent> out;
    auto all = store_->ListAudit(0, 10000);
    for (const auto& e : *all) {
      if (e.action == action) out.push_back(e);
    }
    return out;
  }
  void WriteFootage(const fs::path& rel, int64_t mtime_ms) {
    const fs::path p = footage_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << std::string(1000, 'v');
    const auto sys = std::chrono::system_clock::time_point(std::chrono::milliseconds(mtime_ms));
    fs::last_write_time(p, std::chrono::file_clock::from_sys(sys));
  }
  fs::path footage_;
  int64_t dep_ = 0, entry_ = 0;
};

TEST_P(RetentionTest, AlertDataGoesTwentyFourHoursAfterTheAlertAndTheAuditSaysHowMany) {
  const int64_t alert = Alert();
  RetentionEnforcer enforcer(store_.get(), &clock_, RetentionPolicy{}, footage_);
  clock_.Set(kT0 + 23 * kMsPerHour + 59 * kMsPerMinute);
  auto early = enforcer.RunOnce();
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_EQ(early->alerts_purged, 0);
  EXPECT_TRUE(HasMedia(alert));
  EXPECT_TRUE(Audits("retention.purge").empty());

  clock_.Set(kT0 + 24 * kMsPerHour + 1 * kMsPerMinute);
  auto due = enforcer.RunOnce();
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(due->alerts_purged, 1);
  EXPECT_FALSE(HasMedia(alert));
  EXPECT_TRUE(store_->GetAlert(alert)->media_purged);
  auto purges = Audits("retention.purge");
  ASSERT_EQ(purges.size(), 1u);
  EXPECT_EQ(purges[0].actor, "system");
  EXPECT_EQ(purges[0].time_ms, clock_.NowMs());
  EXPECT_THAT(purges[0].details, HasSubstr("\"alerts_purged\":1"));
  EXPECT_THAT(purges[0].details, ::testing::Not(HasSubstr("PNC-1")));  // counts, not content
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_P(RetentionTest, LimitsAboveThirtyOneDaysOrNotPositiveAreRefused) {
  RetentionPolicy p;
  p.alert_data_ms = kMaxRetentionMs + 1;
  EXPECT_EQ(p.Validate().code(), Status::Code::kInvalidArgument);
  RetentionEnforcer too_long(store_.get(), &clock_, p, footage_);
  auto r = too_long.RunOnce();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(too_long.Start().code(), Status::Code::kInvalidArgument);
  p.alert_data_ms = 0;
  EXPECT_FALSE(p.Validate().ok());
  p = RetentionPolicy{};
  p.footage_ms = 32 * kMsPerDay;
  EXPECT_FALSE(p.Validate().ok());
  p = RetentionPolicy{};
  p.alert_data_ms = kMaxRetentionMs;
  EXPECT_TRUE(p.Validate().ok());
}

TEST_P(RetentionTest, TheEnvironmentSetsTheAlertLimitWithinThirtyOneDays) {
  {
    ScopedEnv env("LFR_ALERT_RETENTION", "48h");
    auto p = RetentionPolicyFromEnv();
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->alert_data_ms, 48 * kMsPerHour);
  }
  for (const char* bad : {"32d", "abc", "24", "-1h", "0m"}) {
    ScopedEnv env("LFR_ALERT_RETENTION", bad);
    auto p = RetentionPolicyFromEnv();
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_THAT(p.status().message(), HasSubstr("LFR_ALERT_RETENTION")) << bad;
  }
  ScopedEnv unset("LFR_ALERT_RETENTION", std::nullopt);
  EXPECT_EQ(RetentionPolicyFromEnv()->alert_data_ms, 24 * kMsPerHour);
}

TEST_P(RetentionTest, FootageOlderThanThirtyOneDaysIsDeletedAndNewerKept) {
  WriteFootage("1/gate-a/old.mp4", kT0 - 32 * kMsPerDay);
  WriteFootage("1/gate-a/recent.mp4", kT0 - 30 * kMsPerDay);
  WriteFootage("1/gate-b/today.mp4", kT0 - kMsPerHour);
  RetentionEnforcer enforcer(store_.get(), &clock_, RetentionPolicy{}, footage_);
  auto preview = enforcer.Preview();
  ASSERT_TRUE(preview.ok());
  EXPECT_EQ(preview->footage_files_deleted, 1);
  EXPECT_TRUE(fs::exists(footage_ / "1/gate-a/old.mp4"));  // a preview deletes nothing
  auto run = enforcer.RunOnce();
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->footage_files_deleted, 1);
  EXPECT_EQ(run->footage_bytes_deleted, 1000);
  EXPECT_FALSE(fs::exists(footage_ / "1/gate-a/old.mp4"));
  EXPECT_TRUE(fs::exists(footage_ / "1/gate-a/recent.mp4"));
  EXPECT_TRUE(fs::exists(footage_ / "1/gate-b/today.mp4"));
  auto audits = Audits("retention.footage");
  ASSERT_EQ(audits.size(), 1u);
  EXPECT_THAT(audits[0].details, HasSubstr(R"("bytes_deleted":1000,)"));
  EXPECT_THAT(audits[0].details, HasSubstr(R"("files_deleted":1,)"));
  EXPECT_THAT(audits[0].details, HasSubstr(R"("segments_deleted":0)"));  // not a sealed segment
  // Two more days: the 30-day-old file passes 31 days.
  clock_.Advance(2 * kMsPerDay);
  EXPECT_EQ(enforcer.RunOnce()->footage_files_deleted, 1);
  EXPECT_FALSE(fs::exists(footage_ / "1/gate-a/recent.mp4"));
}

TEST_P(RetentionTest, StartUpAfterDowntimePurgesAtOnce) {
  const int64_t alert = Alert();
  {
    RetentionEnforcer running(store_.get(), &clock_, RetentionPolicy{}, footage_);
    ASSERT_TRUE(running.Start().ok());
    running.Stop();
  }
  EXPECT_TRUE(HasMedia(alert));
  // The system is down for three days; the first thing it does on start-up is purge.
  clock_.Advance(3 * kMsPerDay);
  store_.reset();
  Reopen();
  RetentionEnforcer after(store_.get(), &clock_, RetentionPolicy{}, footage_);
  ASSERT_TRUE(after.Start().ok());
  EXPECT_TRUE(store_->GetAlert(alert)->media_purged);  // Start() returned: already purged
  after.Stop();
  EXPECT_EQ(Audits("retention.purge").size(), 1u);
}

TEST_P(RetentionTest, PreviewCountsWhatAPurgeWouldDelete) {
  Alert();
  clock_.Advance(kMsPerHour);
  Alert();
  clock_.Advance(24 * kMsPerHour - kMsPerMinute);  // only the first is over 24 h old
  RetentionEnforcer enforcer(store_.get(), &clock_, RetentionPolicy{}, footage_);
  EXPECT_EQ(enforcer.Preview()->alerts_purged, 1);
  EXPECT_EQ(enforcer.Preview()->alerts_purged, 1);  // nothing was deleted
  EXPECT_EQ(enforcer.RunOnce()->alerts_purged, 1);
  EXPECT_EQ(enforcer.Preview()->alerts_purged, 0);
}


LFR_STORE_BACKENDS(RetentionTest);

}  // namespace
}  // namespace lfr
