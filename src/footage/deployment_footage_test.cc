// Footage under a deployment's own footage key and its retention, on a manual clock:
// segments recorded at kT0 are deleted whole at 31 days (not a minute before), also on
// the first run after downtime, with an audit row of counts; a shorter limit set by the
// force applies; closing the deployment shreds the watchlist key but not the footage key,
// which goes once the deployment has been closed longer than the footage limit. A camera
// whose recording stops leaves an audit row and calls the alarm; a video device is not
// recorded and says so.
#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "footage/deployment_footage.h"
#include "footage/footage_testing.h"
#include "store/retention.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace lfr::testing;           // NOLINT
using namespace lfr::footage_testing;   // NOLINT

class DeploymentFootageTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    footage_ = dir_ / "footage";
    dep_ = ActiveDeployment("D");
    Camera c = Cam(dep_, "gate");
    c.record_footage = true;
    ASSERT_TRUE(store_->AddCamera(c, kCli).ok());
    ASSERT_TRUE(store_->AddCamera(Cam(dep_, "side"), kCli).ok());  // not recording
    cameras_ = *store_->ListCameras(dep_);  // gate-a (the fixture's), gate, side
    for (const Camera& c : cameras_) {
      if (c.name == "gate") gate_ = c.id;
    }
    ASSERT_GT(gate_, 0);
  }
  // Records the Hamilton clip on the recording camera at the clock's time: the segments.
  int64_t Record() {
    auto recorders = MakeDeploymentRecorders(store_.get(), dep_, cameras_, footage_, {}, &clock_);
    EXPECT_TRUE(recorders.ok()) << recorders.status().ToString();
    EXPECT_EQ(recorders->size(), 1u);
    EXPECT_EQ(recorders->count("gate"), 1u);
    auto clip = FindData("video/hamilton/short_hamilton_clip.mp4");
    if (!clip) return 0;
    auto& rec = recorders->at("gate");
    FeedFile(*clip, rec.get());
    rec->Close();
    return rec->status().segments;
  }
  std::vector<AuditEvent> Audits(const std::string& action) {
    std::vector<AuditEvent> out;
    auto all = store_->ListAudit(0, 10000);  // kept alive for the loop
    for (const auto& e : *all) {
      if (e.action == action) out.push_back(e);
    }
    return out;
  }
  fs::path footage_;
  int64_t dep_ = 0, gate_ = 0;
  std::vector<Camera> cameras_;
};

TEST_F(DeploymentFootageTest, SegmentsAreDeletedWholeAtThirtyOneDaysAndAudited) {
  if (!FindData("video/hamilton/short_hamilton_clip.mp4")) LFR_MISSING_SHARED_("data video/hamilton");
  const int64_t segments = Record();
  ASSERT_GE(segments, 1);
  ASSERT_EQ(static_cast<int64_t>(FilesUnder(footage_).size()), segments);
  EXPECT_EQ(Audits("footage.key").size(), 1u);  // the key was made once, audited
  // A .part left by a killed process (last written an hour before kT0: abandoned).
  const fs::path part = footage_ / std::to_string(dep_) / "1" / ".123.lfrseg.part";
  fs::create_directories(part.parent_path());
  std::ofstream(part) << "sealed bytes of a segment never finished";
  fs::last_write_time(part, std::chrono::file_clock::from_sys(std::chrono::system_clock::time_point(
                                std::chrono::milliseconds(kT0 - kMsPerHour))));

  RetentionEnforcer enforcer(store_.get(), &clock_, RetentionPolicy{}, footage_);
  clock_.Set(kT0 + 31 * kMsPerDay - kMsPerMinute);
  auto early = enforcer.RunOnce();
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_EQ(early->footage_segments_deleted, 0);
  EXPECT_EQ(early->footage_incomplete_deleted, 1);  // abandoned long ago
  EXPECT_EQ(static_cast<int64_t>(ListSegments(CameraFootageDir(footage_, dep_, gate_)).size()), segments);

  // Downtime: the first run after it deletes everything due at once.
  clock_.Set(kT0 + 40 * kMsPerDay);
  auto due = enforcer.RunOnce();
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(due->footage_segments_deleted, segments);
  EXPECT_EQ(due->footage_incomplete_deleted, 0);
  EXPECT_TRUE(FilesUnder(footage_).empty());
  auto audits = Audits("retention.footage");
  ASSERT_EQ(audits.size(), 2u);  // the early run deleted the abandoned .part only
  EXPECT_THAT(audits[0].details, HasSubstr("\"incomplete_deleted\":1"));
  EXPECT_THAT(audits[0].details, HasSubstr("\"segments_deleted\":0"));
  EXPECT_THAT(audits[1].details, HasSubstr("\"segments_deleted\":" + std::to_string(segments)));
  EXPECT_EQ(audits[1].actor, "system");
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(DeploymentFootageTest, AShorterLimitSetByTheForceApplies) {
  if (!FindData("video/hamilton/short_hamilton_clip.mp4")) LFR_MISSING_SHARED_("data video/hamilton");
  setenv("LFR_FOOTAGE_RETENTION", "7d", 1);
  auto policy = RetentionPolicyFromEnv();
  unsetenv("LFR_FOOTAGE_RETENTION");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->footage_ms, 7 * kMsPerDay);
  const int64_t segments = Record();
  ASSERT_GE(segments, 1);
  RetentionEnforcer enforcer(store_.get(), &clock_, *policy, footage_);
  clock_.Set(kT0 + 7 * kMsPerDay + kMsPerMinute);
  auto due = enforcer.RunOnce();
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->footage_segments_deleted, segments);
  setenv("LFR_FOOTAGE_RETENTION", "32d", 1);
  EXPECT_EQ(RetentionPolicyFromEnv().status().code(), Status::Code::kInvalidArgument);
  unsetenv("LFR_FOOTAGE_RETENTION");
}

TEST_F(DeploymentFootageTest, ClosingKeepsTheFootageKeyUntilTheFootageLimitThenShredsIt) {
  auto key = store_->FootageKey(dep_, kSystem);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  ASSERT_EQ(key->size(), 32u);
  auto same = store_->FootageKey(dep_, kSystem);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(std::string(key->view()), std::string(same->view()));
  EXPECT_EQ(Audits("footage.key").size(), 1u);

  clock_.Set(kT0 + kMsPerDay);
  ASSERT_TRUE(store_->CloseDeployment(dep_, kCli).ok());
  // The watchlist key is gone at once; the footage key is not.
  EXPECT_EQ(store_->LoadEmbeddings(dep_, kCli).status().code(), Status::Code::kFailedPrecondition);
  auto after = store_->FootageKey(dep_, kSystem);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(std::string(key->view()), std::string(after->view()));

  RetentionEnforcer enforcer(store_.get(), &clock_, RetentionPolicy{}, footage_);
  clock_.Set(kT0 + kMsPerDay + 31 * kMsPerDay - kMsPerMinute);
  ASSERT_EQ(enforcer.RunOnce()->footage_keys_shredded, 0);
  EXPECT_TRUE(store_->FootageKey(dep_, kSystem).ok());
  clock_.Set(kT0 + kMsPerDay + 31 * kMsPerDay + kMsPerMinute);
  ASSERT_EQ(enforcer.RunOnce()->footage_keys_shredded, 1);
  EXPECT_EQ(store_->FootageKey(dep_, kSystem).status().code(), Status::Code::kFailedPrecondition);
  auto shred = Audits("retention.footage_keys");
  ASSERT_EQ(shred.size(), 1u);
  EXPECT_THAT(shred[0].details, HasSubstr("\"keys_shredded\":1"));
}

TEST_F(DeploymentFootageTest, ARecordingThatStopsIsAuditedAndRaisesTheAlarm) {
  if (!FindData("video/vtest-tiny-faces/vtest.avi")) LFR_MISSING_SHARED_("data video/vtest-tiny-faces");
  Camera dev = Cam(dep_, "usb");
  dev.uri = "/dev/video0";
  dev.record_footage = true;
  ASSERT_TRUE(store_->AddCamera(dev, kCli).ok());
  std::vector<std::string> alarms;
  auto recorders = MakeDeploymentRecorders(store_.get(), dep_, *store_->ListCameras(dep_), footage_,
                                           [&alarms](const std::string& camera, const Status& why) {
                                             alarms.push_back(camera + ": " + why.message());
                                           }, &clock_);
  ASSERT_TRUE(recorders.ok()) << recorders.status().ToString();
  EXPECT_EQ(recorders->count("usb"), 0u);  // a device: nothing to copy
  ASSERT_EQ(recorders->count("gate"), 1u);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_THAT(alarms[0], HasSubstr("usb: a video device cannot be recorded"));
  // MS-MPEG4 cannot go into MPEG-TS: the recorder stops at its first key frame.
  FeedFile(*FindData("video/vtest-tiny-faces/vtest.avi"), recorders->at("gate").get(), [](int64_t n) { return n < 20; });
  ASSERT_EQ(alarms.size(), 2u);
  EXPECT_THAT(alarms[1], HasSubstr("gate: the camera's codec msmpeg4v3 cannot be recorded"));
  auto stopped = Audits("footage.stopped");
  ASSERT_EQ(stopped.size(), 2u);
  EXPECT_EQ(stopped[1].target, "camera:" + std::to_string(gate_));
  EXPECT_THAT(stopped[1].details, HasSubstr("cannot be recorded"));
  EXPECT_EQ(stopped[1].actor, "system");
}

}  // namespace
}  // namespace lfr
