// Redacted evidence export (footage/export.h).
//
// The test, end to end as it would happen: the shared Hamilton clip is served live
// by Debian's ffmpeg over HTTP on loopback to `lfr watch --deployment` with a watchlist of
// the two stills, which records it and raises Miranda's alert; `lfr footage export` with
// that alert as subject writes an MP4 over which the detector and the recogniser are run on
// EVERY frame: nobody but him can be recognised (no detection that is clearly not him
// matches anyone of the original footage: see ScanVideo), his face is found and still
// matches his still; without a subject nobody can be recognised at all. The manifest's
// SHA-256 is the file's and the export is in the audit log.
//
// The error cases run the library on footage recorded by FeedFile into a store fixture.
#include "footage/export.h"

#include <sys/wait.h>

#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "footage/footage_testing.h"
#include "footage/recorder.h"
#include "footage/segment.h"
#include "privacy/crypto.h"
#include "store/sqlite_store.h"
#include "testing/cli_run.h"
#include "testing/lfr_process.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"
#include "track/tracker.h"
#include "util/clock.h"
#include "vision/image_io.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using lfr::testing::ScopedEnv;
using nlohmann::json;

std::unique_ptr<FaceAnalyzer> TestAnalyzer() {
  auto det = lfr::testing::FindModel("yunet-2022mar");
  auto rec = lfr::testing::FindModel("mobilefacenet-arcface");
  if (!det || !rec) return nullptr;
  auto d = CreateDetector(*det);
  auto e = Embedder::Create(*rec);
  if (!d.ok() || !e.ok()) return nullptr;
  return std::make_unique<FaceAnalyzer>(std::move(d).value(), std::move(e).value());
}

// The embeddings of the faces in every frame of a video that pass the quality gate (the
// original footage: who could be recognised in it).
struct OriginalFace {
  cv::Rect2f box;
  std::vector<float> embedding;
};
std::vector<OriginalFace> FacesIn(const fs::path& file, FaceAnalyzer* a) {
  std::vector<OriginalFace> out;
  cv::VideoCapture cap(file.string(), cv::CAP_FFMPEG);
  EXPECT_TRUE(cap.isOpened()) << file;
  cv::Mat frame;
  std::vector<AnalyzedFace> faces;
  AnalyzeOptions ao;
  ao.embed_all = true;
  ao.flip_average = false;
  while (cap.read(frame)) {
    int central = -1;
    EXPECT_TRUE(a->Analyze(frame, ao, &faces, &central).ok());
    for (const auto& f : faces) {
      // The faces someone could be recognised from: those that pass the product's quality
      // gate (the detector also fires on hands and folds of the curtain, which fail it).
      if (f.embedding.empty() || !f.quality.passed) continue;
      out.push_back({f.face.box, std::vector<float>(f.embedding.ptr<float>(0), f.embedding.ptr<float>(0) + f.embedding.cols)});
    }
  }
  return out;
}

// What the detector finds in every frame of an exported video file.
struct FrameScan {
  int64_t frames = 0;
  int64_t faces = 0;               // every detection, summed over frames (blurred blobs, hands included)
  int64_t subject_faces = 0;       // ... that match the subject's still
  int64_t other_faces = 0;         // ... that are someone else recognisable: see ScanVideo
  int64_t frames_with_subject = 0;
  double best_subject = -1;        // best cosine to the still
  cv::Size size;
};

// Below this cosine to his still a face is not his (impostor pairs of this recogniser sit
// around 0 to 0.2); between it and the match threshold it is counted as neither.
constexpr float kNotHim = 0.25f;
// From this cosine two faces are the same person for this recogniser (its match threshold
// in these tests).
constexpr float kRecognisable = 0.35f;

// A detection in the export is "someone else, recognisable" when it is clearly not the
// subject (cosine < kNotHim to his still), passes the product's quality gate (as the
// original faces must: what the system itself would recognise someone from) and the
// recogniser still matches it (cosine >=
// kRecognisable) to a face of someone other than him at the same place (box IoU >= 0.5, the
// usual criterion for two detections of one object)
// somewhere in the ORIGINAL footage (`originals`, from FacesIn): a face left unblurred, or
// blurred too little to hide who it is. The detector also fires on hands, folds of the
// curtain and the redacted blocks themselves; those are counted in `faces` only (the place
// matters: low-detail crops of anything, blank blocks and dark blurry faces alike, sit close
// together in embedding space, so a similarity alone would call a blank block "someone").
FrameScan ScanVideo(const fs::path& file, FaceAnalyzer* a, const std::vector<float>& still, float match,
                    const std::vector<OriginalFace>& originals) {
  std::vector<const OriginalFace*> others;  // original faces that are not his
  for (const auto& o : originals) {
    if (still.empty() ||
        CosineSimilarity(o.embedding.data(), still.data(), static_cast<int>(still.size())) < kNotHim) {
      others.push_back(&o);
    }
  }
  EXPECT_FALSE(others.empty()) << "the original footage shows other people";
  FrameScan s;
  cv::VideoCapture cap(file.string(), cv::CAP_FFMPEG);
  EXPECT_TRUE(cap.isOpened()) << file;
  cv::Mat frame;
  std::vector<AnalyzedFace> faces;
  AnalyzeOptions ao;
  ao.embed_all = true;
  ao.flip_average = false;
  while (cap.read(frame)) {
    ++s.frames;
    s.size = frame.size();
    int central = -1;
    EXPECT_TRUE(a->Analyze(frame, ao, &faces, &central).ok());
    bool subject = false;
    for (const auto& f : faces) {
      ++s.faces;
      if (f.embedding.empty()) continue;
      const float* e = f.embedding.ptr<float>(0);
      const int dim = f.embedding.cols;
      const float sim = still.empty() ? -1.0f : CosineSimilarity(e, still.data(), dim);
      s.best_subject = std::max<double>(s.best_subject, sim);
      if (sim >= match) {
        ++s.subject_faces;
        subject = true;
      } else if (sim < kNotHim && f.quality.passed) {
        float best = -1;
        for (const auto* o : others) {
          if (BoxIoU(o->box, f.face.box) >= 0.5f) best = std::max(best, CosineSimilarity(e, o->embedding.data(), dim));
        }
        if (best >= kRecognisable) {
          ++s.other_faces;
          std::cout << "[ face     ] frame " << s.frames << " box " << cv::Rect(f.face.box)
                    << " matches someone in the original at cosine " << best << "\n";
        }
      }
    }
    s.frames_with_subject += subject;
  }
  return s;
}

std::vector<float> StillEmbedding(FaceAnalyzer* a, const fs::path& still) {
  cv::Mat img = cv::imread(still.string(), cv::IMREAD_COLOR);
  std::vector<AnalyzedFace> faces;
  int central = -1;
  AnalyzeOptions ao;
  ao.flip_average = false;
  EXPECT_TRUE(a->Analyze(img, ao, &faces, &central).ok());
  if (central < 0) return {};
  const cv::Mat& e = faces[central].embedding;
  return std::vector<float>(e.ptr<float>(0), e.ptr<float>(0) + e.cols);
}

TEST(FootageExportCli, HamiltonRecordedLiveExportedWithMirandaAsSubjectShowsNoOtherFace) {
  auto home = lfr::testing::HomeWithModels("export-home", {"yunet-2022mar", "mobilefacenet-arcface"});
  auto video = lfr::testing::FindData("video/hamilton");
  if (!home || !video) LFR_MISSING_SHARED_("models and video/hamilton");
  ASSERT_TRUE(fs::exists(lfr::testing::LfrBinary())) << lfr::testing::LfrBinary();
  const fs::path work = lfr::testing::TempDir("export-out");
  const int port = footage_testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.ts";
  ScopedEnv env_home("LFR_HOME", home->string());
  ScopedEnv env_key("LFR_MASTER_KEY", std::nullopt);
  ScopedEnv env_db("LFR_DB", std::nullopt);
  ScopedEnv env_loop("LFR_CAMERA_ALLOW_LOOPBACK", "1");
  auto lfr = [](std::vector<std::string> args) {
    auto r = lfr::testing::RunLfr(std::move(args));
    EXPECT_EQ(r.code, 0) << r.err;
    return r;
  };
  lfr({"deployment", "create", "--name", "Rec", "--site", "s", "--location", "l", "--start", "2026-12-05",
       "--end", "2026-12-06", "--purpose", "p", "--legal-basis", "b", "--authorising-officer", "o"});
  lfr({"deployment", "camera", "add", "1", "stage", url, "--record-footage"});
  lfr({"watchlist", "add", "1", (*video / "watchlist_stills/lin-manuel-miranda.png").string(), "--reference", "LMM-1",
       "--category", "test", "--reason", "r"});
  lfr({"watchlist", "add", "1", (*video / "watchlist_stills/alex-lacamoire.png").string(), "--reference", "AL-1",
       "--category", "test", "--reason", "r"});
  lfr({"deployment", "start", "1", "--override-reason", "test: no notice, window not now"});

  // The camera: the clip served live (real time) by ffmpeg; the deployment watched and recorded.
  const pid_t server = footage_testing::ServeClipLive(*video / "short_hamilton_clip.mp4", port, "1");
  ASSERT_GT(server, 0);
  lfr::testing::SpawnOptions o;
  o.env = {{"LFR_HOME", home->string()}, {"LFR_CAMERA_ALLOW_LOOPBACK", "1"}};
  o.unset_env = {"LFR_MASTER_KEY", "LFR_DB", "LFR_ALERT_RETENTION", "LFR_FOOTAGE_RETENTION"};
  o.stderr_file = work / "watch.err";
  auto run = lfr::testing::RunLfrProcess({"watch", "--deployment", "1", "--max-seconds", "16"}, o);
  int status = 0;
  EXPECT_EQ(waitpid(server, &status, 0), server);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "ffmpeg status " << status;
  ASSERT_EQ(run.code, 0) << footage_testing::ReadAll(work / "watch.err");

  // Miranda's alert, and the recorded range.
  auto alerts = json::parse(lfr({"alerts", "list", "--deployment", "1", "--json"}).out);
  int64_t miranda = 0;
  for (const auto& al : alerts["alerts"]) {
    if (al["subject_reference"] == "LMM-1") miranda = al["id"].get<int64_t>();
  }
  ASSERT_GT(miranda, 0) << alerts.dump() << footage_testing::ReadAll(work / "watch.err");
  auto segs = json::parse(lfr({"footage", "list", "--deployment", "1", "--camera", "stage", "--json"}).out);
  ASSERT_GE(segs["segments"].size(), 1u) << footage_testing::ReadAll(work / "watch.err");
  const int64_t first = segs["segments"][0]["start_ms"].get<int64_t>();
  const std::string from = FormatUtcMs(first - 1000), to = FormatUtcMs(first + 60 * 1000);

  const fs::path out = work / "evidence.mp4";
  auto ex = lfr({"footage", "export", "--deployment", "1", "--camera", "stage", "--from", from, "--to", to,
                 "--subject-alert", std::to_string(miranda), "--reason", "disclosure request DR-7", "--out",
                 out.string(), "--json"});
  ASSERT_EQ(ex.code, 0) << ex.err;
  const json manifest = json::parse(ex.out);
  EXPECT_EQ(manifest, json::parse(footage_testing::ReadAll(ManifestPath(out))));
  EXPECT_EQ(manifest["sha256"], Sha256Hex(footage_testing::ReadAll(out)));
  EXPECT_EQ(manifest["subject_alert"], miranda);
  EXPECT_EQ(manifest["reason"], "disclosure request DR-7");
  EXPECT_GT(manifest["frames"].get<int64_t>(), 200);  // the clip has 275 frames
  EXPECT_GT(manifest["faces_blurred"].get<int64_t>(), 0);  // the pianist, the audience

  // A standard MP4: H.264 in yuv420p, index first (plays while it downloads, in browsers).
  const std::string bytes = footage_testing::ReadAll(out);
  ASSERT_NE(bytes.find("moov"), std::string::npos);
  EXPECT_LT(bytes.find("moov"), bytes.find("mdat"));
  EXPECT_NE(bytes.find("avc1"), std::string::npos);

  // Every frame, the detector: his face only, still his.
  auto analyzer = TestAnalyzer();
  ASSERT_NE(analyzer, nullptr);
  const auto still = StillEmbedding(analyzer.get(), *video / "watchlist_stills/lin-manuel-miranda.png");
  ASSERT_FALSE(still.empty());
  const auto originals = FacesIn(*video / "short_hamilton_clip.mp4", analyzer.get());
  const FrameScan with = ScanVideo(out, analyzer.get(), still, kRecognisable, originals);
  std::cout << "[ export   ] " << with.frames << " frames, faces found " << with.faces << " (his "
            << with.subject_faces << ", others " << with.other_faces << "), best cosine to his still "
            << with.best_subject << "\n";
  EXPECT_EQ(with.frames, manifest["frames"].get<int64_t>());
  EXPECT_EQ(with.size, cv::Size(640, 360));
  EXPECT_EQ(with.other_faces, 0);
  EXPECT_GE(with.frames_with_subject, 100);  // he is on stage, facing us, for about half the clip

  // The same range without a subject: nobody can be found.
  const fs::path anon = work / "anonymous.mp4";
  ex = lfr({"footage", "export", "--deployment", "1", "--camera", "stage", "--from", from, "--to", to, "--reason",
            "press release", "--out", anon.string()});
  ASSERT_EQ(ex.code, 0) << ex.err;
  const FrameScan none = ScanVideo(anon, analyzer.get(), {}, 1.0f, originals);  // nobody is "him"
  EXPECT_EQ(none.frames, with.frames);
  EXPECT_EQ(none.other_faces, 0);

  // Both exports are in the audit log with their manifests (the chain of custody).
  auto key = MasterKey::Load(*home / "master.key");
  ASSERT_TRUE(key.ok());
  auto store = OpenSqliteStore(*home / "lfr.db", *key);
  ASSERT_TRUE(store.ok());
  auto audit = (*store)->ListAudit(0, 10000);
  ASSERT_TRUE(audit.ok());
  int exports = 0;
  for (const AuditEvent& e : *audit) {
    if (e.action != "footage.export") continue;
    ++exports;
    const json d = json::parse(e.details);
    EXPECT_TRUE(d["sha256"] == manifest["sha256"] || d["reason"] == "press release") << e.details;
  }
  EXPECT_EQ(exports, 2);

  // An alert of this camera exported as another camera's: refused, nothing written.
  auto bad = lfr::testing::RunLfr({"footage", "export", "--deployment", "1", "--camera", "stage", "--from", to, "--to",
                                   from, "--reason", "r", "--out", (work / "x.mp4").string()});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("empty"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(work / "x.mp4"));
}

// ---- Errors, on footage recorded from the file into a store fixture ----

class FootageExportTest : public lfr::testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    analyzer_ = TestAnalyzer();
    auto clip = lfr::testing::FindData("video/hamilton/short_hamilton_clip.mp4");
    if (!analyzer_ || !clip) LFR_MISSING_SHARED_("models and video/hamilton");
    clip_ = *clip;
    dep_ = ActiveDeployment("Export");
    ASSERT_TRUE(store_->AddCamera(lfr::testing::Cam(dep_, "gate-b"), lfr::testing::kCli).ok());
    auto cams = store_->ListCameras(dep_);
    ASSERT_TRUE(cams.ok());
    for (const Camera& c : *cams) (c.name == "gate-a" ? cam_a_ : cam_b_) = c.id;
    root_ = dir_ / "footage";
    auto key = store_->FootageKey(dep_, lfr::testing::kSystem);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    const RecorderStatus rec = footage_testing::RecordFile(*clip, root_, dep_, cam_a_, "gate-a", *key, &clock_);
    ASSERT_GE(rec.segments, 2);
    out_dir_ = lfr::testing::TempDir("export-err");
  }
  Result<ExportManifest> Export(ExportRequest r) {
    if (r.deployment_id == 0) r.deployment_id = dep_;
    if (r.camera.empty()) r.camera = "gate-a";
    if (r.reason.empty()) r.reason = "test";
    if (r.out.empty()) r.out = out_dir_ / "e.mp4";
    if (r.from_ms == 0) r.from_ms = lfr::testing::kT0;
    if (r.to_ms == 0) r.to_ms = lfr::testing::kT0 + 60000;
    ExportOptions o;
    o.footage_root = root_;
    return ExportFootage(store_.get(), analyzer_.get(), r, o, Actor{"supervisor:sam"}, clock_.NowMs());
  }
  // Nothing at all was left in the output folder.
  void ExpectNothingWritten() { EXPECT_TRUE(footage_testing::FilesUnder(out_dir_).empty()); }
  std::unique_ptr<FaceAnalyzer> analyzer_;
  int64_t dep_ = 0, cam_a_ = 0, cam_b_ = 0;
  fs::path root_, out_dir_, clip_;
};

TEST_F(FootageExportTest, ARangeExportsEveryFrameWithEveryFaceBlurred) {
  ExportRequest r;
  r.from_ms = lfr::testing::kT0 + 2500;
  r.to_ms = lfr::testing::kT0 + 5500;  // 3 s, across the segment boundary at ~4 s
  auto m = Export(r);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_GE(m->segments, 2);
  EXPECT_NEAR(static_cast<double>(m->frames), 91.0, 3.0);  // 3 s of packets 33 ms apart
  EXPECT_GT(m->faces_blurred, 0);
  EXPECT_EQ(m->subject_faces, 0);
  EXPECT_GE(m->first_frame_ms, r.from_ms);
  EXPECT_LT(m->last_frame_ms, r.to_ms);
  EXPECT_EQ(m->exported_by, "supervisor:sam");
  EXPECT_EQ(m->sha256, Sha256Hex(footage_testing::ReadAll(out_dir_ / "e.mp4")));
  // Frame by frame against the recorded original of the same range (decoded as the export
  // decodes it, so frame k is frame k): every face of the original that passes the quality
  // gate is, in the export, either not found at its place any more or no longer matches
  // itself (cosine < kRecognisable).
  auto key = store_->FootageKey(dep_, lfr::testing::kSystem);
  ASSERT_TRUE(key.ok());
  std::vector<std::vector<OriginalFace>> original;
  AnalyzeOptions ao;
  ao.embed_all = true;
  ao.flip_average = false;
  std::vector<AnalyzedFace> faces;
  for (const fs::path& seg : ListSegments(CameraFootageDir(root_, dep_, cam_a_))) {
    auto id = ParseSegmentPath(seg);
    auto ts = UnsealSegment(seg, *key);
    ASSERT_TRUE(id && ts.ok());
    std::optional<double> first;
    ASSERT_TRUE(DecodeSegment(*ts, [&](const cv::Mat& bgr, double seconds) {
                  if (!first) first = seconds;
                  const int64_t t = id->start_ms + static_cast<int64_t>(std::llround((seconds - *first) * 1000.0));
                  if (t < r.from_ms) return true;
                  if (t >= r.to_ms) return false;
                  int central = -1;
                  EXPECT_TRUE(analyzer_->Analyze(bgr, ao, &faces, &central).ok());
                  auto& here = original.emplace_back();
                  for (const auto& f : faces) {
                    if (f.quality.passed && !f.embedding.empty()) {
                      here.push_back({f.face.box, std::vector<float>(f.embedding.ptr<float>(0),
                                                                     f.embedding.ptr<float>(0) + f.embedding.cols)});
                    }
                  }
                  return true;
                }).ok());
  }
  ASSERT_EQ(static_cast<int64_t>(original.size()), m->frames);
  cv::VideoCapture cap((out_dir_ / "e.mp4").string(), cv::CAP_FFMPEG);
  ASSERT_TRUE(cap.isOpened());
  cv::Mat frame;
  size_t k = 0, originals = 0, found_again = 0, recognisable = 0;
  for (; cap.read(frame) && k < original.size(); ++k) {
    int central = -1;
    ASSERT_TRUE(analyzer_->Analyze(frame, ao, &faces, &central).ok());
    for (const OriginalFace& o : original[k]) {
      ++originals;
      for (const auto& f : faces) {
        if (f.embedding.empty() || BoxIoU(o.box, f.face.box) < 0.5f) continue;
        ++found_again;
        const float sim = CosineSimilarity(f.embedding.ptr<float>(0), o.embedding.data(), f.embedding.cols);
        if (sim >= kRecognisable) {
          ++recognisable;
          std::cout << "[ face     ] frame " << k << " box " << cv::Rect(o.box) << " still matches itself at " << sim << "\n";
        }
      }
    }
  }
  std::cout << "[ export   ] " << k << " frames, " << originals << " gated faces in the original, " << found_again
            << " found again at their place, " << recognisable << " still recognisable\n";
  EXPECT_EQ(static_cast<int64_t>(k), m->frames);
  EXPECT_GT(originals, 50u) << "the range shows faces";
  EXPECT_EQ(recognisable, 0u);
}

TEST_F(FootageExportTest, AnEmptyRangeIsRefused) {
  ExportRequest r;
  r.from_ms = lfr::testing::kT0 + 5000;
  r.to_ms = lfr::testing::kT0 + 5000;
  auto m = Export(r);
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(m.status().message().find("empty"), std::string::npos) << m.status().message();
  ExpectNothingWritten();
}

TEST_F(FootageExportTest, ARangeWithoutFootageIsNotFound) {
  ExportRequest r;
  r.from_ms = lfr::testing::kT0 - 3600000;
  r.to_ms = lfr::testing::kT0 - 1000;
  auto m = Export(r);
  EXPECT_EQ(m.status().code(), Status::Code::kNotFound) << m.status().ToString();
  r.camera = "gate-b";  // never recorded
  r.from_ms = lfr::testing::kT0;
  r.to_ms = lfr::testing::kT0 + 60000;
  m = Export(r);
  EXPECT_EQ(m.status().code(), Status::Code::kNotFound) << m.status().ToString();
  EXPECT_NE(m.status().message().find("gate-b"), std::string::npos);
  ExpectNothingWritten();
}

TEST_F(FootageExportTest, ATamperedSegmentStopsTheExportAndLeavesNothing) {
  const auto segs = ListSegments(CameraFootageDir(root_, dep_, cam_a_));
  ASSERT_GE(segs.size(), 2u);
  {
    std::fstream f(segs[1], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(segs[1]) / 2));
    f.put('\x5a');
  }
  auto m = Export({});
  EXPECT_EQ(m.status().code(), Status::Code::kCorrupt) << m.status().ToString();
  EXPECT_NE(m.status().message().find("tampered"), std::string::npos) << m.status().message();
  ExpectNothingWritten();
}

TEST_F(FootageExportTest, AnUnwritableOrExistingOutputIsRefused) {
  ExportRequest r;
  r.out = out_dir_ / "no-such-folder" / "e.mp4";
  auto m = Export(r);
  EXPECT_EQ(m.status().code(), Status::Code::kIOError) << m.status().ToString();
  ExpectNothingWritten();
  { std::ofstream(out_dir_ / "exists.mp4") << "earlier evidence"; }
  r.out = out_dir_ / "exists.mp4";
  m = Export(r);
  EXPECT_EQ(m.status().code(), Status::Code::kFailedPrecondition) << m.status().ToString();
  EXPECT_EQ(footage_testing::ReadAll(out_dir_ / "exists.mp4"), "earlier evidence");
}

TEST_F(FootageExportTest, AnAlertOfAnotherCameraOrNoReasonIsRefused) {
  auto entries = store_->ListWatchlist(dep_, false);
  ASSERT_TRUE(entries.ok() && !entries->empty());
  AlertInput in = lfr::testing::AlertFor(dep_, (*entries)[0].id);
  in.camera = "gate-b";
  auto alert = store_->RecordAlert(in, lfr::testing::kSystem);
  ASSERT_TRUE(alert.ok()) << alert.status().ToString();
  ExportRequest r;
  r.subject_alert = alert->id;
  auto m = Export(r);
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument) << m.status().ToString();
  EXPECT_NE(m.status().message().find("gate-b"), std::string::npos) << m.status().message();
  r.subject_alert = 9999;
  EXPECT_EQ(Export(r).status().code(), Status::Code::kNotFound);
  ExportRequest no_reason;
  no_reason.reason = " ";
  EXPECT_EQ(Export(no_reason).status().code(), Status::Code::kInvalidArgument);
  ExpectNothingWritten();
}

}  // namespace
}  // namespace lfr
