// The store side of the live pipeline: loading a deployment's watchlist, recording alerts
// with their crop and thumbnail, live subscribers, and the faces-seen counter.
#include "store/alert_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/store_fixture.h"
#include "vision/image_io.h"

namespace lfr {
namespace {
using ::testing::HasSubstr;
using namespace lfr::testing;  // NOLINT: fixtures and builders

class AlertSinkTest : public BackendStoreFixture {
 protected:
  void SetUp() override {
    BackendStoreFixture::SetUp();
    dep_ = ActiveDeployment("D");
    ASSERT_TRUE(store_->AddWatchlistEntry(Entry(dep_, "PNC-2", 2), kCli).ok());
  }
  Alert Sample(const std::string& subject) {
    Alert a;
    a.camera = "gate-a";
    a.track_id = 4;
    a.subject = subject;
    a.score = 0.7f;
    a.fused_score = 0.68f;
    a.threshold = 0.6f;
    return a;
  }
  int64_t dep_ = 0;
};

TEST_P(AlertSinkTest, LoadsTheWatchlistWithReferencesAsSubjects) {
  auto wl = LoadDeploymentWatchlist(*store_, dep_, kSystem);
  ASSERT_TRUE(wl.ok()) << wl.status().ToString();
  EXPECT_EQ(wl->watchlist.dim(), 128);
  ASSERT_EQ(wl->watchlist.subjects(), 2);
  EXPECT_EQ(wl->watchlist.subject_name(0), "PNC-1");
  EXPECT_EQ(wl->watchlist.subject_name(1), "PNC-2");
  EXPECT_EQ(wl->entry_ids.at("PNC-2"), store_->ListWatchlist(dep_, false)->at(1).id);
  const std::vector<float> v = UnitVector(2);
  EXPECT_NEAR(wl->watchlist.row(1)[5], v[5], 1e-6);
  ASSERT_TRUE(store_->CloseDeployment(dep_, kCli).ok());
  EXPECT_EQ(LoadDeploymentWatchlist(*store_, dep_, kSystem).status().code(), Status::Code::kFailedPrecondition);
}

TEST_P(AlertSinkTest, RecordsAlertsWithCropAndThumbnailAndTellsSubscribers) {
  auto wl = LoadDeploymentWatchlist(*store_, dep_, kSystem);
  StoreAlertSink sink(store_.get(), dep_, wl->entry_ids);
  std::vector<AlertRecord> seen;
  const int id = sink.Subscribe([&](const AlertRecord& r) { seen.push_back(r); });
  cv::Mat crop(112, 112, CV_8UC3, cv::Scalar(30, 60, 90));
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(10, 20, 30));
  ASSERT_TRUE(sink.Emit(Sample("PNC-2"), crop, frame).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].subject_reference, "PNC-2");
  EXPECT_EQ(seen[0].entry_id, wl->entry_ids.at("PNC-2"));
  EXPECT_EQ(seen[0].camera, "gate-a");
  EXPECT_EQ(seen[0].track_id, 4);
  EXPECT_FLOAT_EQ(seen[0].fused_score, 0.68f);
  EXPECT_EQ(sink.alerts_recorded(), 1);

  auto thumb = store_->GetAlertMedia(seen[0].id, AlertMedia::kThumbnail, kCli);
  ASSERT_TRUE(thumb.ok()) << thumb.status().ToString();
  auto t = DecodeImage(std::string(thumb->view()), "thumbnail");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), cv::Size(320, 180));
  auto c = DecodeImage(std::string(store_->GetAlertMedia(seen[0].id, AlertMedia::kCrop, kCli)->view()), "crop");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->size(), cv::Size(112, 112));

  sink.Unsubscribe(id);
  ASSERT_TRUE(sink.Emit(Sample("PNC-1"), crop, cv::Mat()).ok());  // no frame: no thumbnail
  EXPECT_EQ(seen.size(), 1u);
  const int64_t second = store_->ListAlerts({})->at(0).id;
  EXPECT_EQ(store_->GetAlertMedia(second, AlertMedia::kThumbnail, kCli).status().code(), Status::Code::kNotFound);
}

TEST_P(AlertSinkTest, AnUnknownSubjectOrEmptyCropStoresNothing) {
  StoreAlertSink sink(store_.get(), dep_, LoadDeploymentWatchlist(*store_, dep_, kSystem)->entry_ids);
  cv::Mat crop(112, 112, CV_8UC3, cv::Scalar::all(1));
  Status s = sink.Emit(Sample("someone-else"), crop, cv::Mat());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("someone-else"));
  EXPECT_FALSE(sink.Emit(Sample("PNC-1"), cv::Mat(), cv::Mat()).ok());
  EXPECT_TRUE(store_->ListAlerts({})->empty());
  EXPECT_EQ(sink.alerts_recorded(), 0);
}

TEST_P(AlertSinkTest, CountsFacesSeenPerCameraPerMinuteAndRemembersAFailure) {
  StoreAlertSink sink(store_.get(), dep_, {});
  sink.OnFacesSeen("gate-a", kT0, 2);
  sink.OnFacesSeen("gate-a", kT0 + 1000, 1);
  sink.OnFacesSeen("gate-b", kT0, 5);
  EXPECT_EQ(sink.faces_seen(), 8);
  EXPECT_TRUE(sink.counter_error().ok());
  auto rows = store_->FacesSeen(dep_);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].faces, 3);
  EXPECT_EQ((*rows)[1].faces, 5);
  ASSERT_TRUE(store_->CloseDeployment(dep_, kCli).ok());
  sink.OnFacesSeen("gate-a", kT0, 1);
  EXPECT_EQ(sink.counter_error().code(), Status::Code::kFailedPrecondition);
}


LFR_STORE_BACKENDS(AlertSinkTest);

}  // namespace
}  // namespace lfr
