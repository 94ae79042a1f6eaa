// Alert policy (one per track and subject, cooldown per subject per camera) and sinks.
#include "alert/alert.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;

TEST(AlertPolicy, OneAlertPerTrackAndSubject) {
  AlertPolicyOptions o;
  o.cooldown_s = 0;
  AlertPolicy p(o);
  EXPECT_TRUE(p.ShouldRaise("cam1", 1, "alice", 1.0));
  EXPECT_FALSE(p.ShouldRaise("cam1", 1, "alice", 2.0));
  EXPECT_TRUE(p.ShouldRaise("cam1", 1, "bob", 2.0));    // another subject on the same track
  EXPECT_TRUE(p.ShouldRaise("cam1", 2, "alice", 3.0));  // another track (no cooldown)
}

TEST(AlertPolicy, CooldownPerSubjectPerCamera) {
  AlertPolicyOptions o;
  o.cooldown_s = 10;
  AlertPolicy p(o);
  EXPECT_TRUE(p.ShouldRaise("cam1", 1, "alice", 100.0));
  EXPECT_FALSE(p.ShouldRaise("cam1", 2, "alice", 105.0));  // re-tracked within cooldown
  EXPECT_TRUE(p.ShouldRaise("cam2", 3, "alice", 105.0));   // other camera
  EXPECT_TRUE(p.ShouldRaise("cam1", 4, "bob", 105.0));     // other subject
  EXPECT_TRUE(p.ShouldRaise("cam1", 5, "alice", 110.5));   // cooldown over
  EXPECT_EQ(p.suppressed(), 1);
}

Alert Sample() {
  Alert a;
  a.camera = "cam 1";
  a.track_id = 7;
  a.subject = "Jane Doe";
  a.score = 0.61234f;
  a.fused_score = 0.6f;
  a.threshold = 0.5f;
  a.frame_index = 42;
  a.track_first_frame = 30;
  a.media_time_s = 1.68;
  a.wall_time = "2026-11-23T19:00:00.000Z";
  return a;
}

TEST(AlertSinks, JsonLineHasTheContractFields) {
  std::ostringstream out;
  JsonLinesSink sink(&out);
  ASSERT_TRUE(sink.Emit(Sample(), cv::Mat(), cv::Mat()).ok());
  const std::string line = out.str();
  ASSERT_EQ(line.back(), '\n');
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["camera"], "cam 1");
  EXPECT_EQ(j["track_id"], 7);
  EXPECT_EQ(j["subject"], "Jane Doe");
  EXPECT_EQ(j["frame_index"], 42);
  EXPECT_EQ(j["track_first_frame"], 30);
  EXPECT_EQ(j["time"], "2026-11-23T19:00:00.000Z");
  EXPECT_NEAR(j["score"].get<double>(), 0.6123, 1e-6);
  EXPECT_NEAR(j["fused_score"].get<double>(), 0.6, 1e-6);
  EXPECT_NEAR(j["threshold"].get<double>(), 0.5, 1e-6);
  EXPECT_NEAR(j["media_time_s"].get<double>(), 1.68, 1e-6);
}

TEST(AlertSinks, AlertsDirSavesCropAndJson) {
  const fs::path dir = lfr::testing::TempDir("alerts") / "sub";
  auto sink = AlertsDirSink::Create(dir);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  cv::Mat crop(112, 112, CV_8UC3, cv::Scalar(10, 20, 30));
  ASSERT_TRUE((*sink)->Emit(Sample(), crop, cv::Mat()).ok());
  int jpg = 0, json = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    jpg += e.path().extension() == ".jpg";
    json += e.path().extension() == ".json";
    EXPECT_NE(e.path().filename().string().find("Jane_Doe"), std::string::npos);
  }
  EXPECT_EQ(jpg, 1);
  EXPECT_EQ(json, 1);
}

TEST(AlertSinks, AlertsDirThatCannotBeCreatedIsAnIOError) {
  const fs::path file = lfr::testing::TempDir("alerts-file") / "plain";
  std::ofstream(file) << "x";
  auto sink = AlertsDirSink::Create(file / "sub");
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().code(), Status::Code::kIOError);
  EXPECT_NE(sink.status().message().find("plain"), std::string::npos);
}

// Remembers what it was given.
class RecordingSink : public AlertSink {
 public:
  Status Emit(const Alert& a, const cv::Mat& crop, const cv::Mat& frame) override {
    subject = a.subject;
    crop_size = crop.size();
    frame_size = frame.size();
    return Status::Ok();
  }
  std::string subject;
  cv::Size crop_size, frame_size;
};

TEST(AlertSinks, MultiSinkFansOutWithTheCropAndFrame) {
  std::ostringstream a, b;
  JsonLinesSink s1(&a);
  TextSink s2(&b);
  RecordingSink s3;
  MultiSink m;
  m.Add(&s1);
  m.Add(&s2);
  m.Add(&s3);
  ASSERT_TRUE(m.Emit(Sample(), cv::Mat(112, 112, CV_8UC3), cv::Mat(360, 640, CV_8UC3)).ok());
  EXPECT_EQ(s3.subject, "Jane Doe");
  EXPECT_EQ(s3.crop_size, cv::Size(112, 112));
  EXPECT_EQ(s3.frame_size, cv::Size(640, 360));
  EXPECT_NE(a.str().find("\"subject\":\"Jane Doe\""), std::string::npos);
  EXPECT_NE(b.str().find("ALERT"), std::string::npos);
  EXPECT_NE(b.str().find("Jane Doe"), std::string::npos);
}

}  // namespace
}  // namespace lfr
