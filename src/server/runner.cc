#include "server/runner.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <set>

#include "footage/deployment_footage.h"
#include "match/calibration.h"
#include "store/retention.h"
#include "store/alert_sink.h"
#include "store/enrolment.h"
#include "util/clock.h"
#include "util/secure.h"
#include "vision/image_io.h"
#include "vision/quality.h"
#include "match/watchlist.h"
#include <opencv2/imgcodecs.hpp>

namespace lfr::server {

namespace {

// Faces-seen counts to the store; camera health changes to the event bus.
class RunnerObserver : public PipelineObserver {
 public:
  RunnerObserver(int64_t deployment_id, StoreAlertSink* sink, EventBus* events)
      : deployment_id_(deployment_id), sink_(sink), events_(events) {}
  void OnFacesSeen(const std::string& camera, int64_t wall_ms, int n_new_tracks) override {
    sink_->OnFacesSeen(camera, wall_ms, n_new_tracks);
  }
  void OnCameraHealth(const std::string& camera, CameraHealth health, const CameraStatus& st) override {
    events_->Publish("camera", nlohmann::json({{"deployment_id", deployment_id_},
                                               {"camera", camera},
                                               {"health", HealthName(health)},
                                               {"error", st.public_error},
                                               {"last_error_time", st.last_error_time}})
                                   .dump());
  }

 private:
  const int64_t deployment_id_;
  StoreAlertSink* sink_;
  EventBus* events_;
};

}  // namespace

struct PipelineRunner::Running {
  int64_t deployment_id = 0;
  DeploymentWatchlist watchlist;
  std::unique_ptr<StoreAlertSink> sink;
  std::unique_ptr<RunnerObserver> observer;
  std::unique_ptr<Pipeline> pipeline;
  std::thread thread;
  std::atomic<bool> finished{false};
  // Footage: the recorders by camera name, and the cameras meant to record (a camera in
  // this set without a recorder could not be recorded at all, e.g. a video device).
  std::map<std::string, std::shared_ptr<FootageRecorder>> recorders;
  std::set<std::string> record_footage;
};

namespace {
// A recorder's alarm as a client may see it: no paths (those are in the server log).
std::string PublicRecordingError(const std::string& why) {
  return why.find("No space left") != std::string::npos ? "footage recording stopped: disk full"
                                                          : "footage recording stopped: see the server log";
}
}  // namespace

PipelineRunner::PipelineRunner(Store* store, const ModelStore* models, EventBus* events,
                               RunnerOptions options)
    : store_(store), models_(models), events_(events), options_(std::move(options)) {
  ticker_ = std::thread([this] { Ticker(); });
}

PipelineRunner::~PipelineRunner() {
  {
    std::lock_guard<std::mutex> lock(tick_mu_);
    stopping_ = true;
  }
  tick_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  StopAll();
}

Status PipelineRunner::StartDeployment(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = running_.find(id); it != running_.end()) {
    if (!it->second->finished) {
      const int n = it->second->pipeline->RestartStoppedCameras();
      if (n > 0) spdlog::info("deployment {}: restarted {} stopped camera(s)", id, n);
      return Status::Ok();
    }
    if (it->second->thread.joinable()) it->second->thread.join();
    running_.erase(it);
  }
  auto d = store_->GetDeployment(id);
  if (!d.ok()) return d.status();
  if (d->status != DeploymentStatus::kActive) {
    return Status::FailedPrecondition("deployment " + d->spec.name + " is " +
                                      DeploymentStatusName(d->status) + ", not active");
  }
  auto cams = store_->ListCameras(id);
  if (!cams.ok()) return cams.status();
  if (cams->empty()) return Status::FailedPrecondition("deployment " + d->spec.name + " has no camera");
  auto det = options_.detector_id.empty() ? models_->DefaultFor(ModelRole::kDetector)
                                          : models_->Locate(options_.detector_id);
  if (!det.ok()) return Status::FailedPrecondition(det.status().message());
  auto rec = models_->Locate(d->recogniser_id);
  if (!rec.ok()) {
    return Status::FailedPrecondition("the deployment's recogniser " + d->recogniser_id +
                                      " is not installed: " + rec.status().message());
  }
  auto r = std::make_unique<Running>();
  r->deployment_id = id;
  auto wl = LoadDeploymentWatchlist(*store_, id, Actor{"system"});
  if (!wl.ok()) return wl.status();
  r->watchlist = std::move(wl).value();
  auto threshold = ResolveThreshold(d->spec.threshold, d->recogniser_id, r->watchlist.watchlist.subjects());
  if (!threshold.ok()) return threshold.status();

  r->sink = std::make_unique<StoreAlertSink>(store_, id, r->watchlist.entry_ids, Actor{"system"});
  EventBus* events = events_;
  r->sink->Subscribe([events](const AlertRecord& a) {
    events->Publish("alert", nlohmann::json({{"id", a.id},
                                             {"deployment_id", a.deployment_id},
                                             {"camera", a.camera},
                                             {"fused_score", a.fused_score},
                                             {"time", FormatUtcMs(a.time_ms)}})
                                 .dump());
  });
  PipelineOptions popts = options_.pipeline;
  popts.threshold = *threshold;
  r->observer = std::make_unique<RunnerObserver>(id, r->sink.get(), events_);
  popts.observer = r->observer.get();
  popts.keep_cameras = true;  // cameras retry and can be restarted while the deployment runs
  // Cameras that record footage: a recorder each; its alarm is also a live camera event.
  auto recorders = MakeDeploymentRecorders(
      store_, id, *cams, DefaultFootageDir(), [events, id](const std::string& camera, const Status& why) {
        events->Publish("camera", nlohmann::json({{"deployment_id", id},
                                                  {"camera", camera},
                                                  {"recording", "failed"},
                                                  // client-safe: no paths (those are in the log)
                                                  {"error", PublicRecordingError(why.message())}})
                                      .dump());
      });
  if (!recorders.ok()) return recorders.status();
  std::vector<CameraSpec> specs;
  r->recorders = *recorders;
  for (const Camera& c : *cams) {
    if (c.record_footage) r->record_footage.insert(c.name);
    auto rec = recorders->find(c.name);
    specs.push_back({c.name, c.uri, rec != recorders->end() ? rec->second : nullptr});
  }
  auto pipeline = Pipeline::Create(specs, *det, *rec, &r->watchlist.watchlist, r->sink.get(), popts);
  if (!pipeline.ok()) return pipeline.status();
  r->pipeline = std::move(pipeline).value();
  Running* raw = r.get();
  r->thread = std::thread([raw, events, name = d->spec.name] {
    Status s = raw->pipeline->Run();
    if (!s.ok()) spdlog::error("deployment {}: pipeline stopped: {}", name, s.ToString());
    raw->finished = true;
    events->Publish("camera", nlohmann::json({{"deployment_id", raw->deployment_id}, {"running", false}}).dump());
  });
  spdlog::info("deployment {}: {} camera(s) running, {} watchlist subjects, threshold {:.3f} ({})",
               d->spec.name, specs.size(), r->watchlist.watchlist.subjects(), *threshold, d->spec.threshold);
  running_[id] = std::move(r);
  events_->Publish("camera", nlohmann::json({{"deployment_id", id}, {"running", true}}).dump());
  return Status::Ok();
}

void PipelineRunner::StopDeployment(int64_t id) {
  std::unique_ptr<Running> r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find(id);
    if (it == running_.end()) return;
    r = std::move(it->second);
    running_.erase(it);
  }
  r->pipeline->RequestStop();
  if (r->thread.joinable()) r->thread.join();
  r->pipeline.reset();
  r->watchlist.watchlist.Clear();  // wipes the opened embeddings
}

Status PipelineRunner::RestartCamera(int64_t deployment_id, const std::string& camera) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(deployment_id);
  if (it == running_.end() || it->second->finished) {
    return Status::NotFound("deployment " + std::to_string(deployment_id) + " is not running cameras");
  }
  Status s = it->second->pipeline->RestartCamera(camera);
  if (s.ok()) spdlog::info("deployment {}: camera {} restarted on request", deployment_id, camera);
  return s;
}

void PipelineRunner::StopAll() {
  std::vector<int64_t> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, r] : running_) ids.push_back(id);
  }
  for (int64_t id : ids) StopDeployment(id);
}

void PipelineRunner::StartAllActive() {
  auto list = store_->ListDeployments();
  if (!list.ok()) {
    spdlog::error("cannot list deployments: {}", list.status().ToString());
    return;
  }
  for (const Deployment& d : *list) {
    if (d.status != DeploymentStatus::kActive) continue;
    if (Status s = StartDeployment(d.id); !s.ok()) {
      spdlog::error("deployment {}: cameras not started: {}", d.spec.name, s.message());
    }
  }
}

std::vector<LiveRunner::CameraLive> PipelineRunner::Cameras() {
  std::vector<CameraLive> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, r] : running_) {
    for (const CameraLiveStats& s : r->pipeline->LiveStats()) {
      CameraLive c;
      c.deployment_id = id;
      c.camera = s.name;
      c.uri = s.uri;
      c.health = HealthName(s.status.health);
      c.error = s.status.health == CameraHealth::kUp ? "" : s.status.public_error;
      c.last_error_time = s.status.last_error_time;
      c.last_frame_time = s.status.last_frame_time;
      c.frames_read = s.status.frames_read;
      c.frames_processed = s.frames_processed;
      c.frames_dropped = s.status.frames_dropped;
      c.faces_detected = s.faces_detected;
      c.tracks = s.tracks;
      c.embeddings = s.embeddings;
      c.alerts = s.alerts;
      c.decision_p50_ms = s.decision_p50_ms;
      c.decision_p95_ms = s.decision_p95_ms;
      c.detect_p50_ms = s.detect_p50_ms;
      if (auto rec = r->recorders.find(s.name); rec != r->recorders.end()) {
        const RecorderStatus rs = rec->second->status();
        if (rs.state == RecordingState::kWaiting || rs.state == RecordingState::kRecording) {
          c.recording = "recording";
        } else {
          c.recording = "stopped";
          if (rs.state == RecordingState::kFailed) c.recording_error = PublicRecordingError(rs.error);
        }
      } else if (r->record_footage.count(s.name) > 0) {
        c.recording = "stopped";
        c.recording_error = "footage recording stopped: this camera's source cannot be recorded";
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

void PipelineRunner::Ticker() {
  std::string last;
  std::unique_lock<std::mutex> lock(tick_mu_);
  while (!stopping_) {
    tick_cv_.wait_for(lock, std::chrono::milliseconds(options_.counters_interval_ms));
    if (stopping_) break;
    lock.unlock();
    nlohmann::json cams = nlohmann::json::array();
    for (const CameraLive& c : Cameras()) {
      cams.push_back({{"deployment_id", c.deployment_id}, {"camera", c.camera}, {"health", c.health},
                      {"faces_seen", c.tracks}, {"alerts", c.alerts}, {"frames_dropped", c.frames_dropped}});
    }
    const std::string now = cams.dump();
    if (now != last && !cams.empty()) events_->Publish("counters", nlohmann::json({{"cameras", cams}}).dump());
    last = now;
    lock.lock();
  }
}

StoreEnrolmentService::StoreEnrolmentService(Store* store, const ModelStore* models, std::string detector_id,
                                             std::filesystem::path cohort_home)
    : cohort_home_(std::move(cohort_home)), store_(store), models_(models), detector_id_(std::move(detector_id)) {}

Status StoreEnrolmentService::EnsureAnalyzer(const Deployment& d) {
  auto rec = models_->Locate(d.recogniser_id);
  if (!rec.ok()) {
    return Status::FailedPrecondition("the deployment's recogniser " + d.recogniser_id +
                                      " is not installed: " + rec.status().message());
  }
  if (!analyzer_ || analyzer_recogniser_ != d.recogniser_id) {
    auto a = FaceAnalyzer::FromStore(*models_, detector_id_, d.recogniser_id);
    if (!a.ok()) return a.status();
    analyzer_ = std::move(a).value();
    analyzer_recogniser_ = d.recogniser_id;
  }
  return Status::Ok();
}

Result<EnrolmentService::PhotoCheck> StoreEnrolmentService::CheckPhoto(int64_t deployment_id,
                                                                      const std::string& image_bytes) {
  auto d = store_->GetDeployment(deployment_id);
  if (!d.ok()) return d.status();
  auto image = DecodeImage(image_bytes, "the uploaded photo");
  if (!image.ok()) return image.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = EnsureAnalyzer(*d); !s.ok()) {
    WipeMat(&*image);
    return s;
  }
  std::vector<AnalyzedFace> faces;
  int central = -1;
  AnalyzeOptions aopts;  // as enrolment: the central face embedded (face + mirror)
  Status s = analyzer_->Analyze(*image, aopts, &faces, &central);
  const cv::Size size = image->size();
  WipeMat(&*image);
  auto wipe = [&faces] {
    for (auto& f : faces) {
      WipeMat(&f.aligned);
      WipeMat(&f.embedding);
    }
  };
  if (!s.ok()) {
    wipe();
    return s;
  }
  PhotoCheck out;
  const int picked = PickEnrolmentFace(faces, central, size, EnrolOptions{}, &out.rejection);
  int shown = picked;  // the face enrolment takes, else the largest found
  for (size_t i = 0; picked < 0 && i < faces.size(); ++i) {
    if (shown < 0 || faces[i].face.box.width > faces[static_cast<size_t>(shown)].face.box.width) {
      shown = static_cast<int>(i);
    }
  }
  if (shown >= 0) {
    const AnalyzedFace& f = faces[static_cast<size_t>(shown)];
    out.quality = f.quality;
    std::vector<uchar> jpeg;
    if (!f.aligned.empty() && cv::imencode(".jpg", f.aligned, jpeg, {cv::IMWRITE_JPEG_QUALITY, 92})) {
      out.aligned_jpeg.assign(jpeg.begin(), jpeg.end());
      WipeBytes(jpeg.data(), jpeg.size());
    }
  }
  if (picked < 0) {
    out.verdict = "refused";
  } else {
    out.rejection.clear();
    out.marginal = MarginalNotes(faces[static_cast<size_t>(picked)].quality, analyzer_->quality_options());
    out.verdict = out.marginal.empty() ? "good" : "marginal";
  }
  wipe();
  return out;
}

Result<EnrolmentService::Outcome> StoreEnrolmentService::Enrol(const WatchlistEntry& meta,
                                                               const std::string& image_bytes,
                                                               const Actor& by, bool confirm_duplicate,
                                                               const std::string& accept_hub_reason) {
  auto d = store_->GetDeployment(meta.deployment_id);
  if (!d.ok()) return d.status();
  auto image = DecodeImage(image_bytes, "the uploaded photo");
  if (!image.ok()) return image.status();
  std::lock_guard<std::mutex> lock(mu_);
  auto rec = models_->Locate(d->recogniser_id);
  if (Status s = EnsureAnalyzer(*d); !s.ok()) {
    WipeMat(&*image);
    return s;
  }
  auto enroller = WatchlistEnroller::Create(store_, d->id, analyzer_.get(),
                                            rec->spec->card.verify_threshold, by);
  if (!enroller.ok()) {
    WipeMat(&*image);
    return enroller.status();
  }
  HubPolicy policy;
  if (cohort_home_.empty()) {
    policy.missing = "no background cohort is installed on this server (build one with `lfr cohort build`)";
  } else {
    policy = HubPolicyFor(*d, cohort_home_);
  }
  if (Status s = (*enroller)->SetHubPolicy(std::move(policy)); !s.ok()) {
    WipeMat(&*image);
    return s;
  }
  auto outcome = (*enroller)->EnrolImage(*image, meta, confirm_duplicate, accept_hub_reason);
  WipeMat(&*image);
  if (!outcome.ok()) return outcome.status();
  return Outcome{outcome->entry, outcome->rejection, outcome->warnings, outcome->exact_duplicate_of,
                 outcome->hub_check};
}

}  // namespace lfr::server
