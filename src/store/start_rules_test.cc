// Starting a deployment keeps the promises made to the public: a published advance notice
// and the planned window, unless the supervisor records why to start anyway.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/store_fixture.h"

namespace lfr {
namespace {

using ::testing::HasSubstr;
using lfr::testing::kCli;
using lfr::testing::kT0;

class StartRulesTest : public lfr::testing::BackendStoreFixture {
 protected:
  // A deployment planned for [kT0, kT0 + 1 day) that is ready apart from the notice.
  int64_t Ready(const std::string& name) {
    const int64_t id = NewDeployment(name);
    EXPECT_TRUE(store_->AddCamera(lfr::testing::Cam(id, "gate-a"), kCli).ok());
    EXPECT_TRUE(store_->AddWatchlistEntry(lfr::testing::Entry(id, "PNC-1", 1), kCli).ok());
    return id;
  }
};

TEST_P(StartRulesTest, WithoutAPublishedNoticeStartIsRefusedNamingTheFixAndTheOverride) {
  const int64_t id = Ready("NoNotice");
  auto r = store_->StartDeployment(id, kCli);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("no advance notice has been published"));
  EXPECT_THAT(r.status().message(), HasSubstr("lfr deployment notice " + std::to_string(id)));
  EXPECT_THAT(r.status().message(), HasSubstr("--override-reason"));
  EXPECT_THAT(r.status().message(), HasSubstr("override_reason"));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("window")));
  EXPECT_EQ(store_->GetDeployment(id)->status, DeploymentStatus::kPlanned);
}

TEST_P(StartRulesTest, OutsideThePlannedWindowStartIsRefusedBeforeAndAfter) {
  const int64_t id = Ready("Window");
  ASSERT_TRUE(store_->PublishNotice(id, "notice", kCli).ok());
  clock_.Set(kT0 - 1);
  auto early = store_->StartDeployment(id, kCli);
  ASSERT_FALSE(early.ok());
  EXPECT_THAT(early.status().message(), HasSubstr("before its planned window"));
  clock_.Set(kT0 + kMsPerDay + 1);
  auto late = store_->StartDeployment(id, kCli);
  ASSERT_FALSE(late.ok());
  EXPECT_THAT(late.status().message(), HasSubstr("after its planned window 2026-11-25T09:41:28.000Z"));
  EXPECT_THAT(late.status().message(), ::testing::Not(HasSubstr("notice")));
  clock_.Set(kT0 + kMsPerDay);  // the window's end is inside it
  auto ok = store_->StartDeployment(id, kCli);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->start_overridden, "");
}

TEST_P(StartRulesTest, AnOverrideWithAReasonStartsAndIsStoredAndAudited) {
  const int64_t id = Ready("Override");
  clock_.Set(kT0 - kMsPerHour);
  EXPECT_EQ(store_->StartDeployment(id, kCli, "   ").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->StartDeployment(id, kCli, std::string(Store::kMaxOverrideReason + 1, 'x')).status().code(),
            Status::Code::kInvalidArgument);
  const std::string why = "Advance notice would alert the suspect (Supt. Example, 09:00)";
  auto r = store_->StartDeployment(id, kCli, why);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, DeploymentStatus::kActive);
  EXPECT_EQ(r->start_override_reason, why);
  EXPECT_EQ(r->start_overridden, "no advance notice published; outside the planned window");
  Reopen();
  EXPECT_EQ(store_->GetDeployment(id)->start_override_reason, why);
  AuditQuery q;
  q.action = "deployment.start";
  auto rows = store_->ListAudit(q);
  ASSERT_EQ(rows->size(), 1u);
  auto details = nlohmann::json::parse((*rows)[0].details);
  EXPECT_EQ(details["override"]["reason"], why);
  EXPECT_EQ(details["override"]["set_aside"].size(), 2u);
}

TEST_P(StartRulesTest, AReasonGivenWhenNothingNeedsOverridingIsNotRecorded) {
  const int64_t id = Ready("ByTheRules");
  ASSERT_TRUE(store_->PublishNotice(id, "notice", kCli).ok());
  auto r = store_->StartDeployment(id, kCli, "just in case");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->start_override_reason, "");
  EXPECT_EQ(r->start_overridden, "");
}

TEST_P(StartRulesTest, ANoticeThatNoLongerDescribesTheDeploymentMustBePublishedAgain) {
  const int64_t id = Ready("Moved");
  ASSERT_TRUE(store_->PublishNotice(id, "LFR at Westgate Street.", kCli).ok());
  clock_.Advance(kMsPerMinute);
  DeploymentSpec spec = lfr::testing::Spec("Moved");
  spec.threshold = "0.65";  // not in the notice: the notice still holds
  ASSERT_TRUE(store_->UpdateDeployment(id, spec, kCli).ok());
  spec.location = "Queen Street";  // in the notice: it is out of date
  clock_.Advance(kMsPerMinute);
  ASSERT_TRUE(store_->UpdateDeployment(id, spec, kCli).ok());
  clock_.Advance(kMsPerMinute);
  auto stale = store_->StartDeployment(id, kCli);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(stale.status().message(), HasSubstr("publish the notice again"));
  ASSERT_TRUE(store_->PublishNotice(id, "LFR at Queen Street.", kCli).ok());
  auto ok = store_->StartDeployment(id, kCli);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->start_overridden, "");
}

TEST_P(StartRulesTest, UnchangedDetailsKeepTheNoticeCurrent) {
  const int64_t id = Ready("Same");
  ASSERT_TRUE(store_->PublishNotice(id, "LFR at Westgate Street.", kCli).ok());
  clock_.Advance(kMsPerMinute);
  ASSERT_TRUE(store_->UpdateDeployment(id, lfr::testing::Spec("Same"), kCli).ok());
  EXPECT_TRUE(store_->StartDeployment(id, kCli).ok());
}


LFR_STORE_BACKENDS(StartRulesTest);

}  // namespace
}  // namespace lfr
