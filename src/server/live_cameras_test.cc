// Cameras under `lfr serve`, over real HTTP with the real PipelineRunner (models needed):
// a supervisor restarts one camera; a deployment whose cameras all failed can be started
// again; /api/live shows no error while a camera is up; every health change is an event;
// camera URIs are allow-listed at add time with one generic error (no file or port oracle).
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "server/auth.h"
#include "server/runner.h"
#include "server/server.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"

namespace lfr::server {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;
using lfr::testing::kCli;

const char* kPassword = "a long test password";

void WriteVideo(const fs::path& p, int frames) {
  cv::VideoWriter w(p.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25.0, cv::Size(160, 120));
  ASSERT_TRUE(w.isOpened());
  for (int i = 0; i < frames; ++i) {
    cv::Mat f(120, 160, CV_8UC3, cv::Scalar(40, 40, 40));
    cv::rectangle(f, cv::Rect(5 + 3 * i % 130, 20, 20, 20), cv::Scalar(200, 200, 200), -1);
    w.write(f);
  }
}

template <typename Pred>
bool Eventually(Pred pred) {  // a bound for a stuck test (60 s), not a timing claim
  for (int i = 0; i < 600; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

class LiveCamerasTest : public lfr::testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    auto home = lfr::testing::HomeWithModels("live-cams", {"yunet-2022mar", "mobilefacenet-arcface"});
    if (!home) LFR_MISSING_SHARED_("models yunet-2022mar and mobilefacenet-arcface");
    models_.emplace(&lfr::testing::TestCatalog(), *home / "models", std::nullopt);
    videos_ = lfr::testing::TempDir("live-cams-videos");
    const std::string hash = *HashPassword(kPassword);
    ASSERT_TRUE(store_->CreateUser("sue", Role::kSupervisor, hash, kCli).ok());
    ASSERT_TRUE(store_->CreateUser("olly", Role::kOperator, hash, kCli).ok());
    SourcePolicy policy;
    policy.video_dirs = {videos_.string()};
    RunnerOptions ro;
    ro.counters_interval_ms = 200;
    ro.pipeline.camera.source_policy = std::make_shared<const SourcePolicy>(policy);
    runner_ = std::make_unique<PipelineRunner>(store_.get(), &*models_, &events_, ro);
    ServerOptions so;
    so.port = 0;
    so.recogniser_id = "mobilefacenet-arcface";
    so.camera_sources = policy;
    auto s = Server::Create({store_.get(), &clock_, runner_.get(), nullptr, &events_}, so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    runner_.reset();
    StoreFixture::TearDown();
  }
  struct Client {
    std::unique_ptr<httplib::Client> http;
    httplib::Headers headers;
    httplib::Result Post(const std::string& path, const json& body = json::object()) {
      return http->Post(path.c_str(), headers, body.dump(), "application/json");
    }
    httplib::Result Get(const std::string& path) { return http->Get(path.c_str(), headers); }
  };
  Client Login(const std::string& user) {
    Client c{std::make_unique<httplib::Client>("127.0.0.1", server_->port()), {}};
    c.http->set_read_timeout(30, 0);
    auto r = c.http->Post("/api/login", json({{"username", user}, {"password", kPassword}}).dump(), "application/json");
    EXPECT_TRUE(r && r->status == 200);
    const std::string set = r->get_header_value("Set-Cookie");
    c.headers = {{"Cookie", set.substr(0, set.find(';'))},
                 {"X-CSRF-Token", json::parse(r->body).value("csrf_token", "")}};
    return c;
  }
  // An active deployment (on record) with one camera at `uri`.
  int64_t Active(const std::string& uri, int64_t* camera_id) {
    const int64_t id = NewDeployment("D");
    Camera c = lfr::testing::Cam(id, "gate");
    c.uri = uri;
    auto cam = store_->AddCamera(c, kCli);
    EXPECT_TRUE(cam.ok());
    *camera_id = cam.ok() ? cam->id : 0;
    EXPECT_TRUE(store_->AddWatchlistEntry(lfr::testing::Entry(id, "PNC-1", 1), kCli).ok());
    EXPECT_TRUE(store_->PublishNotice(id, "LFR will be used at the gate.", kCli).ok());
    EXPECT_TRUE(store_->StartDeployment(id, kCli).ok());
    return id;
  }
  json Live(Client& c) {
    auto r = c.Get("/api/live");
    EXPECT_TRUE(r && r->status == 200);
    auto j = json::parse(r->body)["cameras"];
    return j.empty() ? json::object() : j[0];
  }
  std::vector<json> CameraEvents() {
    std::vector<json> out;
    for (const Event& e : events_.Wait(0, 0ms)) {
      if (e.type == "camera") out.push_back(json::parse(e.data));
    }
    return out;
  }

  std::optional<ModelStore> models_;
  fs::path videos_;
  EventBus events_{4096};
  std::unique_ptr<PipelineRunner> runner_;
  std::unique_ptr<Server> server_;
};

TEST_F(LiveCamerasTest, ASupervisorRestartsOneCamera) {
  const fs::path clip = videos_ / "gate.avi";
  WriteVideo(clip, 30);  // 1.2 s at 25 fps, then the camera has ended
  int64_t cam = 0;
  const int64_t id = Active(clip.string(), &cam);
  Client sue = Login("sue");
  auto start = sue.Post("/api/deployments/" + std::to_string(id) + "/start");
  ASSERT_EQ(start->status, 200) << start->body;
  EXPECT_FALSE(json::parse(start->body).contains("camera_error")) << start->body;
  ASSERT_TRUE(Eventually([&] { return Live(sue).value("health", "") == "ended"; })) << Live(sue).dump();
  EXPECT_EQ(Live(sue)["frames_read"], 30);

  const std::string restart = "/api/deployments/" + std::to_string(id) + "/cameras/" + std::to_string(cam) + "/restart";
  Client olly = Login("olly");
  EXPECT_EQ(olly.Post(restart)->status, 403) << "supervisors only";
  EXPECT_EQ(sue.Post("/api/deployments/" + std::to_string(id) + "/cameras/999/restart")->status, 404);
  auto r = sue.Post(restart);
  ASSERT_EQ(r->status, 202) << r->body;
  ASSERT_TRUE(Eventually([&] { return Live(sue).value("frames_read", 0) >= 60 && Live(sue)["health"] == "ended"; }))
      << "played again: " << Live(sue).dump();

  // Each health change was published: starting, up, ended, twice.
  int ups = 0, ends = 0;
  for (const json& e : CameraEvents()) {
    if (e.value("camera", "") != "gate") continue;
    ups += e.value("health", "") == "up";
    ends += e.value("health", "") == "ended";
  }
  EXPECT_GE(ups, 2);
  EXPECT_GE(ends, 2);
}

TEST_F(LiveCamerasTest, ADeploymentWhoseCamerasAllFailedCanBeStartedAgainAndUpShowsNoError) {
  const fs::path clip = videos_ / "later.avi";  // allowed folder, not there yet
  int64_t cam = 0;
  const int64_t id = Active(clip.string(), &cam);
  Client sue = Login("sue");
  const std::string start = "/api/deployments/" + std::to_string(id) + "/start";
  ASSERT_EQ(sue.Post(start)->status, 200);
  ASSERT_TRUE(Eventually([&] { return Live(sue).value("health", "") == "failed"; })) << Live(sue).dump();
  json failed = Live(sue);
  EXPECT_EQ(failed["error"], "camera source not allowed or not reachable");
  EXPECT_EQ(failed["error"].get<std::string>().find(videos_.string()), std::string::npos) << "no path to clients";
  EXPECT_FALSE(failed["last_error_time"].get<std::string>().empty());

  WriteVideo(clip, 200);  // 8 s
  auto again = sue.Post(start);
  ASSERT_EQ(again->status, 200) << "starting an active deployment restarts its failed cameras: " << again->body;
  ASSERT_TRUE(Eventually([&] { return Live(sue).value("health", "") == "up"; })) << Live(sue).dump();
  json up = Live(sue);
  EXPECT_EQ(up["error"], "") << "no stale error while up";
  EXPECT_FALSE(up["last_error_time"].get<std::string>().empty()) << "when it last failed is kept";
  bool failed_event = false;
  for (const json& e : CameraEvents()) failed_event |= e.value("health", "") == "failed";
  EXPECT_TRUE(failed_event);
}

TEST_F(LiveCamerasTest, CameraUrisAreAllowListedWithOneGenericError) {
  const int64_t id = NewDeployment("D");
  Client sue = Login("sue");
  const std::string base = "/api/deployments/" + std::to_string(id) + "/cameras";
  httplib::Server probe;  // a port that is open on loopback: must not be told apart
  const int port = probe.bind_to_any_port("127.0.0.1");
  std::set<std::string> bodies;
  for (const std::string& uri :
       {std::string("/etc/passwd"), std::string("/root"), std::string("file:///etc/shadow"), std::string("/dev/zero"),
        "http://127.0.0.1:" + std::to_string(port) + "/", std::string("http://127.0.0.1:1/"),
        std::string("http://169.254.169.254/latest"), std::string("rtsp://localhost/x"),
        (videos_ / ".." / "elsewhere.mp4").string(), std::string("tcp://10.0.0.5:9000")}) {
    auto r = sue.Post(base, {{"name", "c"}, {"uri", uri}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << uri << ": " << r->body;
    bodies.insert(r->body);
  }
  EXPECT_EQ(bodies.size(), 1u) << "every refusal reads the same";
  EXPECT_EQ(json::parse(*bodies.begin())["error"], "camera source not allowed or not reachable");
  EXPECT_TRUE(store_->ListCameras(id)->empty()) << "nothing stored";
  EXPECT_EQ(sue.Post(base, {{"name", "a"}, {"uri", (videos_ / "gate.mp4").string()}})->status, 201);
  EXPECT_EQ(sue.Post(base, {{"name", "b"}, {"uri", "rtsp://10.0.0.5/stream"}})->status, 201);
}

// /api/live shows each camera's footage recording: recording (an H.264 camera recording),
// stopped with the alarm's reason (MJPEG cannot be recorded), off (not asked to record).
TEST_F(LiveCamerasTest, LiveShowsEachCamerasRecordingState) {
  auto hamilton = lfr::testing::FindData("video/hamilton/short_hamilton_clip.mp4");
  if (!hamilton) LFR_MISSING_SHARED_("video/hamilton");
  lfr::testing::ScopedEnv home("LFR_HOME", lfr::testing::TempDir("live-rec-home").string());  // its footage/
  fs::copy_file(*hamilton, videos_ / "stage.mp4");
  WriteVideo(videos_ / "mjpeg.avi", 250);  // 10 s
  const int64_t id = NewDeployment("Rec");
  for (const auto& [name, file, record] : {std::tuple<const char*, const char*, bool>{"stage", "stage.mp4", true},
                                           {"mjpeg", "mjpeg.avi", true},
                                           {"plain", "mjpeg.avi", false}}) {
    Camera c = lfr::testing::Cam(id, name);
    c.uri = (videos_ / file).string();
    c.record_footage = record;
    ASSERT_TRUE(store_->AddCamera(c, kCli).ok());
  }
  ASSERT_TRUE(store_->AddWatchlistEntry(lfr::testing::Entry(id, "PNC-1", 1), kCli).ok());
  ASSERT_TRUE(store_->PublishNotice(id, "LFR will be used at the gate.", kCli).ok());
  ASSERT_TRUE(store_->StartDeployment(id, kCli).ok());
  Client sue = Login("sue");
  auto started = sue.Post("/api/deployments/" + std::to_string(id) + "/start");
  ASSERT_EQ(started->status, 200) << started->body;
  std::map<std::string, json> by_name;
  auto states = [&] {
    by_name.clear();
    const json live = json::parse(sue.Get("/api/live")->body);
    for (const json& c : live["cameras"]) by_name[c["camera"].get<std::string>()] = c;
    return by_name.size() == 3 && by_name["stage"]["recording"] == "recording" &&
           by_name["mjpeg"]["recording"] == "stopped";
  };
  ASSERT_TRUE(Eventually(states)) << json(by_name).dump();
  EXPECT_EQ(by_name["stage"]["recording_error"], "");
  EXPECT_EQ(by_name["mjpeg"]["recording_error"], "footage recording stopped: see the server log");
  EXPECT_EQ(by_name["plain"]["recording"], "off");
}

}  // namespace
}  // namespace lfr::server
