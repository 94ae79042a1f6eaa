// The console's forensic search of recorded footage over real HTTP
// (server/api_video_search.cc): a supervisor starts a search of a time range of a
// deployment's sealed segments, follows its progress and reads the appearances of its
// watchlist entries; it is audited; bad input is refused before anything runs; other
// roles are refused.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "footage/footage_testing.h"
#include "footage/recorder.h"
#include "match/watchlist.h"
#include "server/api.h"
#include "testing/api_fixture.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"
#include "util/paths.h"
#include "video_search/jobs.h"
#include "vision/analyzer.h"
#include "vision/embedder.h"

namespace lfr::server {
namespace {
namespace fs = std::filesystem;
using lfr::testing::ApiClient;
using lfr::testing::BodyJson;
using lfr::testing::ErrorOf;
using lfr::testing::kCli;
using lfr::testing::kT0;
using nlohmann::json;

class VideoSearchApiTest : public lfr::testing::ApiFixture {
 protected:
  void SetUp() override {
    auto home = lfr::testing::HomeWithModels("video-search-api", {"yunet-2022mar", "mobilefacenet-arcface"});
    video_ = lfr::testing::FindData("video/hamilton");
    if (!home || !video_) LFR_MISSING_SHARED_("models and video/hamilton");
    models_ = std::make_unique<ModelStore>(&lfr::testing::TestCatalog(), *home / "models", ModelMirrorDir());
    ApiFixture::SetUp();
  }
  void BeforeServer() override {
    footage_root_ = dir_ / "footage";
    jobs_ = std::make_unique<VideoSearchJobs>(store_.get(), models_.get(), footage_root_, &clock_);
    video_searches_ = jobs_.get();
  }
  void TearDown() override {
    server_.reset();
    jobs_.reset();
    ApiFixture::TearDown();
  }

  // An active deployment whose watchlist holds Lin-Manuel Miranda's still (as LMM-1),
  // with camera "stage" that recorded the Hamilton clip from t0 in ~4 s segments.
  int64_t RecordedDeployment(int64_t t0) {
    const int64_t id = NewDeployment("Theatre");
    Camera cam = lfr::testing::Cam(id, "stage");
    cam.record_footage = true;
    auto added = store_->AddCamera(cam, kCli);
    EXPECT_TRUE(added.ok());
    auto det = models_->Locate("yunet-2022mar");
    auto rec = models_->Locate("mobilefacenet-arcface");
    auto d = CreateDetector(*det);
    auto e = Embedder::Create(*rec);
    EXPECT_TRUE(d.ok() && e.ok());
    FaceAnalyzer analyzer(std::move(d).value(), std::move(e).value());
    Watchlist wl;
    auto enrolled = EnrolImages({{"LMM-1", {*video_ / "watchlist_stills" / "lin-manuel-miranda.png"}}}, analyzer, {}, &wl);
    EXPECT_TRUE(enrolled.ok() && wl.rows() == 1);
    WatchlistEntryInput entry = lfr::testing::Entry(id, "LMM-1", 1);
    entry.embedding.assign(wl.row(0), wl.row(0) + wl.dim());
    EXPECT_TRUE(store_->AddWatchlistEntry(entry, kCli).ok());
    EXPECT_TRUE(store_->PublishNotice(id, "LFR at the theatre.", kCli).ok());
    EXPECT_TRUE(store_->StartDeployment(id, kCli).ok());
    auto fk = store_->FootageKey(id, kCli);
    EXPECT_TRUE(fk.ok());
    ManualClock rclock(t0);
    RecorderOptions o;
    o.footage_root = footage_root_;
    o.deployment_id = id;
    o.camera_id = added->id;
    o.camera_name = "stage";
    o.segment_ms = 4000;
    o.clock = &rclock;
    FootageRecorder recorder(o, *fk);
    lfr::footage_testing::FeedFile(*video_ / "short_hamilton_clip.mp4", &recorder, [&](int64_t n) {
      rclock.Set(t0 + n * 1000 / 30);
      return true;
    });
    EXPECT_TRUE(recorder.Close().ok());
    EXPECT_GE(recorder.status().segments, 2);
    return id;
  }

  // Polls the job until it is no longer running (bounded; not a timing assertion).
  json WaitFor(const ApiClient& c, const std::string& path) {
    json j;
    for (int i = 0; i < 1200; ++i) {
      auto r = c.Get(path);
      EXPECT_EQ(r->status, 200) << r->body;
      j = BodyJson(r);
      if (j["status"] != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return j;
  }

  std::optional<fs::path> video_;
  std::unique_ptr<ModelStore> models_;
  std::unique_ptr<VideoSearchJobs> jobs_;
  fs::path footage_root_;
};

TEST_F(VideoSearchApiTest, SupervisorFindsTheWatchlistEntryInRecordedFootage) {
  const int64_t t0 = kT0 + 60'000;
  const int64_t dep = RecordedDeployment(t0);
  ApiClient sue = Login("sue");
  const std::string base = "/api/deployments/" + std::to_string(dep) + "/video-searches";
  auto r = sue.PostJson(base, {{"from", FormatUtcMs(t0 - 60'000)}, {"to", FormatUtcMs(t0 + 60'000)}});
  ASSERT_EQ(r->status, 202) << r->body;
  const json started = BodyJson(r);
  EXPECT_EQ(started["status"], "running");
  EXPECT_GE(started["segments"].get<int>(), 2);
  EXPECT_EQ(started["cameras"], 1);
  const json done = WaitFor(sue, base + "/" + std::to_string(started["id"].get<int64_t>()));
  ASSERT_EQ(done["status"], "completed") << done.dump();
  ASSERT_EQ(done["appearances"].size(), 1u) << done.dump();
  const json& a = done["appearances"][0];
  EXPECT_EQ(a["entry_reference"], "LMM-1");
  EXPECT_EQ(a["camera"], "stage");
  EXPECT_GE(a["start_utc_ms"].get<int64_t>(), t0);
  EXPECT_LE(a["end_utc_ms"].get<int64_t>(), t0 + 10'000);
  EXPECT_GE(a["best"]["fused_score"].get<double>(), done["threshold"].get<double>());
  EXPECT_FALSE(a.contains("crop"));
  EXPECT_EQ(done["progress"]["segments_done"], started["segments"]);

  // Listed for the deployment; audited at start and finish with who, range and counts.
  auto list = sue.Get(base);
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(BodyJson(list)["video_searches"].size(), 1u);
  auto audit = store_->ListAudit(0, 1000);
  ASSERT_TRUE(audit.ok());
  bool start = false, finish = false;
  for (const auto& e : *audit) {
    if (e.action == "video_search.start") {
      start = true;
      EXPECT_EQ(e.actor, "sue");
      EXPECT_EQ(e.target, "deployment:" + std::to_string(dep));
      EXPECT_NE(e.details.find(FormatUtcMs(t0 - 60'000)), std::string::npos) << e.details;
    }
    if (e.action == "video_search.finish") {
      finish = true;
      EXPECT_NE(e.details.find("\"appearances\":1"), std::string::npos) << e.details;
    }
  }
  EXPECT_TRUE(start && finish);
}

TEST_F(VideoSearchApiTest, BadRequestsAreRefusedBeforeAnythingRuns) {
  const int64_t t0 = kT0 + 60'000;
  const int64_t dep = RecordedDeployment(t0);
  ApiClient sue = Login("sue");
  const std::string base = "/api/deployments/" + std::to_string(dep) + "/video-searches";
  struct Case {
    std::string path;
    json body;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {base, {{"from", "yesterday"}, {"to", FormatUtcMs(t0)}}, 400, "from"},
      {base, {{"from", FormatUtcMs(t0)}}, 400, "to"},
      {base, {{"from", FormatUtcMs(t0)}, {"to", FormatUtcMs(t0 - 1000)}}, 400, "empty"},
      {base, {{"from", "2020-01-01"}, {"to", "2020-01-02"}}, 404, "no recorded footage"},
      {"/api/deployments/999/video-searches", {{"from", "2020-01-01"}, {"to", "2020-01-02"}}, 404, ""},
  };
  for (const Case& c : cases) {
    auto r = sue.PostJson(c.path, c.body);
    EXPECT_EQ(r->status, c.status) << c.body.dump() << " " << r->body;
    EXPECT_NE(ErrorOf(r).find(c.says), std::string::npos) << ErrorOf(r);
  }
  EXPECT_EQ(BodyJson(sue.Get(base))["video_searches"].size(), 0u);
  auto missing = sue.Get(base + "/12");
  EXPECT_EQ(missing->status, 404);
  // Only supervisors: an operator and an auditor are refused.
  for (const char* who : {"olly", "aud", "ivy"}) {
    ApiClient c = Login(who);
    auto r = c.PostJson(base, {{"from", FormatUtcMs(t0 - 60'000)}, {"to", FormatUtcMs(t0 + 60'000)}});
    EXPECT_EQ(r->status, 403) << who;
    EXPECT_EQ(c.Get(base)->status, 403) << who;
  }
  // A closed deployment's watchlist is gone: its footage cannot be searched for it.
  ASSERT_TRUE(store_->CloseDeployment(dep, kCli).ok());
  auto closed = sue.PostJson(base, {{"from", FormatUtcMs(t0 - 60'000)}, {"to", FormatUtcMs(t0 + 60'000)}});
  EXPECT_EQ(closed->status, 409) << closed->body;
  EXPECT_NE(ErrorOf(closed).find("closed"), std::string::npos);
}

}  // namespace
}  // namespace lfr::server
