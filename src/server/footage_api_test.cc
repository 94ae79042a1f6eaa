// Recorded footage over real HTTP (server/api_footage.cc): the timeline of segments with
// the alerts, playback of a range as fragmented MP4 (audited footage.viewed, nothing
// written to disk), the redacted export and its download — supervisors only — and the
// errors (empty range, no footage, tampered segment, missing reason, another camera's alert).
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/videoio.hpp>

#include "footage/footage_testing.h"
#include "footage/recorder.h"
#include "footage/segment.h"
#include "models/store.h"
#include "privacy/crypto.h"
#include "testing/api_fixture.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "util/clock.h"
#include "util/paths.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using lfr::testing::kT0;
using nlohmann::json;
using ::testing::HasSubstr;

class FootageApiTest : public lfr::testing::ApiFixture {
 protected:
  void SetUp() override {
    clip_ = lfr::testing::FindData("video/hamilton/short_hamilton_clip.mp4");
    home_ = lfr::testing::HomeWithModels("footage-api", {"yunet-2022mar", "mobilefacenet-arcface"});
    if (!clip_ || !home_) LFR_MISSING_SHARED_("models and video/hamilton");
    env_ = std::make_unique<lfr::testing::ScopedEnv>("LFR_HOME", home_->string());
    models_ = std::make_unique<ModelStore>(&lfr::testing::TestCatalog(), *home_ / "models", ModelMirrorDir());
    models_for_server_ = models_.get();
    ApiFixture::SetUp();
    dep_ = ActiveDeployment("Footage");
    ASSERT_TRUE(store_->AddCamera(lfr::testing::Cam(dep_, "gate-b"), lfr::testing::kCli).ok());
    auto cams = store_->ListCameras(dep_);
    ASSERT_TRUE(cams.ok());
    for (const Camera& c : *cams) (c.name == "gate-a" ? cam_a_ : cam_b_) = c.id;
    auto key = store_->FootageKey(dep_, lfr::testing::kSystem);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    const RecorderStatus rec =
        footage_testing::RecordFile(*clip_, *home_ / "footage", dep_, cam_a_, "gate-a", *key, &clock_);
    ASSERT_GE(rec.segments, 2);
    const int64_t entry = (*store_->ListWatchlist(dep_, false))[0].id;
    AlertInput a = lfr::testing::AlertFor(dep_, entry);
    alert_a_ = store_->RecordAlert(a, lfr::testing::kSystem)->id;
    a.camera = "gate-b";
    alert_b_ = store_->RecordAlert(a, lfr::testing::kSystem)->id;
  }
  std::string CameraPath(int64_t cam) const {
    return "/api/deployments/" + std::to_string(dep_) + "/cameras/" + std::to_string(cam);
  }
  std::string PlayUrl(int64_t cam, int64_t from, int64_t to) const {
    return CameraPath(cam) + "/footage.mp4?from=" + FormatUtcMs(from) + "&to=" + FormatUtcMs(to);
  }
  std::vector<AuditEvent> AuditOf(const std::string& action) {
    std::vector<AuditEvent> out;
    auto audit = store_->ListAudit(0, 100000);
    EXPECT_TRUE(audit.ok());
    for (const AuditEvent& e : *audit) {
      if (e.action == action) out.push_back(e);
    }
    return out;
  }
  void Tamper() {
    const auto segs = ListSegments(CameraFootageDir(*home_ / "footage", dep_, cam_a_));
    std::fstream f(segs[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(segs[0]) / 2));
    f.put('\x5a');
  }
  std::optional<fs::path> clip_, home_;
  std::unique_ptr<lfr::testing::ScopedEnv> env_;
  std::unique_ptr<ModelStore> models_;
  int64_t dep_ = 0, cam_a_ = 0, cam_b_ = 0, alert_a_ = 0, alert_b_ = 0;
};

TEST_F(FootageApiTest, TheTimelineListsEachCamerasSegmentsAndTheAlertsForSupervisorsOnly) {
  auto sue = Login("sue");
  auto r = sue.Get("/api/deployments/" + std::to_string(dep_) + "/footage");
  ASSERT_EQ(r->status, 200) << r->body;
  const json t = json::parse(r->body);
  ASSERT_EQ(t["cameras"].size(), 2u);
  const json* a = nullptr;
  for (const auto& c : t["cameras"]) {
    if (c["name"] == "gate-a") a = &c;
    else EXPECT_TRUE(c["segments"].empty());
  }
  ASSERT_NE(a, nullptr);
  const json& segs = (*a)["segments"];
  ASSERT_GE(segs.size(), 2u);
  for (size_t i = 0; i < segs.size(); ++i) {
    EXPECT_LT(segs[i]["start_ms"].get<int64_t>(), segs[i]["end_ms"].get<int64_t>());
    if (i + 1 < segs.size()) EXPECT_EQ(segs[i]["end_ms"], segs[i + 1]["start_ms"]);  // continuous
  }
  EXPECT_EQ(segs[0]["start_ms"].get<int64_t>(), kT0);
  // The last segment's end comes from its timestamps: the clip is 9.2 s.
  EXPECT_NEAR(static_cast<double>(segs.back()["end_ms"].get<int64_t>() - kT0), 9170.0, 400.0);
  ASSERT_EQ(t["alerts"].size(), 2u);
  EXPECT_EQ(t["alerts"][0]["camera"] == "gate-a" ? t["alerts"][0]["id"] : t["alerts"][1]["id"], alert_a_);
  for (const char* who : {"olly", "aud", "ivy", "admin"}) {
    EXPECT_EQ(Login(who).Get("/api/deployments/" + std::to_string(dep_) + "/footage")->status, 403) << who;
    EXPECT_EQ(Login(who).Get(PlayUrl(cam_a_, kT0, kT0 + 1000))->status, 403) << who;
  }
  EXPECT_TRUE(AuditOf("footage.viewed").empty());
}

TEST_F(FootageApiTest, PlayingARangeServesFragmentedMp4InMemoryAndAuditsTheView) {
  const auto before = footage_testing::FilesUnder(*home_);
  auto sue = Login("sue");
  auto r = sue.Get(PlayUrl(cam_a_, kT0 + 2000, kT0 + 5000));  // across a segment boundary
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "video/mp4");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  const std::string& mp4 = r->body;
  EXPECT_EQ(mp4.substr(4, 4), "ftyp");
  EXPECT_NE(mp4.find("moof"), std::string::npos);  // fragmented: playable as it arrives
  // Nothing of it was written on the server: the same files as before.
  EXPECT_EQ(footage_testing::FilesUnder(*home_), before);

  // It plays: the frames from the key frame before 2 s to 5 s (no re-encoding: 640x360).
  const fs::path copy = lfr::testing::TempDir("footage-play") / "view.mp4";
  std::ofstream(copy, std::ios::binary) << mp4;
  cv::VideoCapture cap(copy.string(), cv::CAP_FFMPEG);
  ASSERT_TRUE(cap.isOpened());
  cv::Mat frame;
  int frames = 0;
  while (cap.read(frame)) {
    ++frames;
    EXPECT_EQ(frame.size(), cv::Size(640, 360));
  }
  EXPECT_GE(frames, 85);   // 3 s at 29.97 fps
  EXPECT_LE(frames, 200);  // not the whole clip

  const auto viewed = AuditOf("footage.viewed");
  ASSERT_EQ(viewed.size(), 1u);
  EXPECT_EQ(viewed[0].actor, "sue");
  EXPECT_EQ(viewed[0].target, "camera:" + std::to_string(cam_a_));
  const json d = json::parse(viewed[0].details);
  EXPECT_EQ(d["camera"], "gate-a");
  EXPECT_EQ(d["from"], FormatUtcMs(kT0 + 2000));
  EXPECT_EQ(d["to"], FormatUtcMs(kT0 + 5000));
}

TEST_F(FootageApiTest, BadPlaybackRequestsAreRefusedWithTheReason) {
  auto sue = Login("sue");
  auto r = sue.Get(PlayUrl(cam_a_, kT0 + 5000, kT0 + 5000));
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(lfr::testing::ErrorOf(r), HasSubstr("empty"));
  r = sue.Get(CameraPath(cam_a_) + "/footage.mp4?to=" + FormatUtcMs(kT0));
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(lfr::testing::ErrorOf(r), HasSubstr("from"));
  EXPECT_EQ(sue.Get(PlayUrl(cam_a_, kT0, kT0 + 11 * 60 * 1000))->status, 400);  // over 10 min
  r = sue.Get(PlayUrl(cam_a_, kT0 - 60000, kT0 - 1000));
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_EQ(sue.Get(PlayUrl(cam_b_, kT0, kT0 + 5000))->status, 404);  // never recorded
  EXPECT_EQ(sue.Get(PlayUrl(999, kT0, kT0 + 5000))->status, 404);
  Tamper();
  r = sue.Get(PlayUrl(cam_a_, kT0, kT0 + 2000));
  EXPECT_EQ(r->status, 422);
  EXPECT_THAT(lfr::testing::ErrorOf(r), HasSubstr("tampered"));
  EXPECT_TRUE(AuditOf("footage.viewed").empty());  // nothing was shown
}

TEST_F(FootageApiTest, AnExportIsMadeAuditedAndDownloadedBySupervisors) {
  auto sue = Login("sue");
  const json body = {{"from", FormatUtcMs(kT0 + 1000)}, {"to", FormatUtcMs(kT0 + 3000)}, {"reason", "DR-9"}};
  auto r = sue.PostJson(CameraPath(cam_a_) + "/footage/export", body);
  ASSERT_EQ(r->status, 201) << r->body;
  const json m = json::parse(r->body);
  EXPECT_EQ(m["exported_by"], "sue");
  EXPECT_EQ(m["reason"], "DR-9");
  EXPECT_TRUE(m["subject_alert"].is_null());
  EXPECT_GT(m["frames"].get<int64_t>(), 50);
  EXPECT_EQ(m["file"].get<std::string>().find('/'), std::string::npos);  // no server path
  const std::string url = m["download"];
  auto dl = sue.Get(url);
  ASSERT_EQ(dl->status, 200) << dl->body;
  EXPECT_EQ(dl->get_header_value("Content-Type"), "video/mp4");
  EXPECT_EQ(Sha256Hex(dl->body), m["sha256"]);
  ASSERT_EQ(AuditOf("footage.export").size(), 1u);
  EXPECT_EQ(json::parse(AuditOf("footage.export")[0].details)["sha256"], m["sha256"]);
  EXPECT_EQ(AuditOf("footage.export_download").size(), 1u);
  EXPECT_EQ(Login("olly").Get(url)->status, 403);
  EXPECT_EQ(sue.Get("/api/footage-exports/..%2Flfr.db")->status, 404);
  EXPECT_EQ(sue.Get("/api/footage-exports/none.mp4")->status, 404);
}

TEST_F(FootageApiTest, BadExportsAreRefusedAndRecordNothing) {
  auto sue = Login("sue");
  const std::string url = CameraPath(cam_a_) + "/footage/export";
  const std::string from = FormatUtcMs(kT0), to = FormatUtcMs(kT0 + 2000);
  auto r = sue.PostJson(url, {{"from", from}, {"to", to}});
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(lfr::testing::ErrorOf(r), HasSubstr("reason"));
  r = sue.PostJson(url, {{"from", to}, {"to", from}, {"reason", "r"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(lfr::testing::ErrorOf(r), HasSubstr("empty"));
  r = sue.PostJson(url, {{"from", from}, {"to", to}, {"reason", "r"}, {"subject_alert", alert_b_}});
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(lfr::testing::ErrorOf(r), HasSubstr("gate-b"));
  r = sue.PostJson(CameraPath(cam_b_) + "/footage/export", {{"from", from}, {"to", to}, {"reason", "r"}});
  EXPECT_EQ(r->status, 404);
  Tamper();
  r = sue.PostJson(url, {{"from", from}, {"to", to}, {"reason", "r"}});
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_TRUE(AuditOf("footage.export").empty());
  std::error_code ec;
  EXPECT_TRUE(!fs::exists(*home_ / "exports", ec) || footage_testing::FilesUnder(*home_ / "exports").empty());
}

}  // namespace
}  // namespace lfr
