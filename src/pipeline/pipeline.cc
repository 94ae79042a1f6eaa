#include "pipeline/pipeline.h"

#include <chrono>
#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "util/secure.h"
#include "vision/align.h"
#include "vision/embedder.h"

namespace lfr {
namespace {

double MsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t).count();
}

}  // namespace

// Processes one camera's frames. Owns the per-camera models and all face buffers.
class CameraWorker {
 public:
  CameraWorker(std::string name, std::unique_ptr<Detector> detector,
               std::unique_ptr<Embedder> embedder, const Matcher* matcher, AlertPolicy* policy,
               AlertSink* sink, const PipelineOptions& options)
      : name_(std::move(name)),
        detector_(std::move(detector)),
        embedder_(std::move(embedder)),
        matcher_(matcher),
        policy_(policy),
        sink_(sink),
        options_(options),
        tracker_(options.tracker) {}

  ~CameraWorker() { WipeBuffers(); }

  // every: the detect interval in force (>= options.detect_every); backlog: frames
  // waiting behind this one (live mode), which caps the embeddings of this frame.
  Status Process(const Frame& frame, int every, size_t backlog = 0);
  void WipeBuffers() {
    WipeMats(&crops_);
    WipeMat(&embeddings_);
    WipeMat(&thumb_);
    WipeMat(&last_thumb_);
    WipeMat(&grey_);
  }
  CameraSummary& summary() { return summary_; }
  // Copies the figures into the live snapshot if force or half a second has passed.
  void PublishLive(bool force);
  CameraLiveStats live() const {
    std::lock_guard<std::mutex> lock(live_mu_);
    return live_;
  }
  int64_t tracks() const { return tracker_.tracks_started(); }
  WorkerModels TakeModels() { return {std::move(detector_), std::move(embedder_)}; }

 private:
  bool QuietFrame(const cv::Mat& image);

  std::string name_;
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<Embedder> embedder_;
  const Matcher* matcher_;
  AlertPolicy* policy_;
  AlertSink* sink_;
  const PipelineOptions& options_;
  Tracker tracker_;
  CameraSummary summary_;
  mutable std::mutex live_mu_;
  CameraLiveStats live_;
  SteadyClock::time_point last_live_{};
  int64_t last_detect_frame_ = -1;
  double last_detect_media_ = -1;
  int64_t quiet_skipped_ = 0;

  // Reused buffers (wiped when the worker stops).
  std::vector<Face> faces_;
  std::vector<float> quality_;
  std::vector<TrackedFace> tracked_;
  std::vector<cv::Mat> crops_;
  std::vector<cv::Mat> batch_;
  std::vector<int> batch_det_;   // index into tracked_ of each batch row
  std::vector<int> chosen_;
  cv::Mat embeddings_;
  cv::Mat thumb_, last_thumb_, grey_;
  std::vector<MatchHit> hits_;
  std::vector<float> scores_;
  std::map<int64_t, TrackScoreFusion> fusion_;
  std::map<int64_t, int64_t> first_frame_;
};

void CameraWorker::PublishLive(bool force) {
  const auto now = SteadyClock::now();
  if (!force && now - last_live_ < std::chrono::milliseconds(500)) return;
  last_live_ = now;
  CameraLiveStats l;
  static_cast<CameraCounts&>(l) = summary_;
  l.tracks = tracker_.tracks_started();
  l.decision_p50_ms = summary_.total_ms.Percentile(50);
  l.decision_p95_ms = summary_.total_ms.Percentile(95);
  l.detect_p50_ms = summary_.detect_ms.Percentile(50);
  std::lock_guard<std::mutex> lock(live_mu_);
  live_ = std::move(l);
}

bool CameraWorker::QuietFrame(const cv::Mat& image) {
  // A 64x36 nearest-neighbour grey thumbnail: costs microseconds at any resolution.
  cv::resize(image, grey_, cv::Size(64, 36), 0, 0, cv::INTER_NEAREST);
  cv::cvtColor(grey_, thumb_, cv::COLOR_BGR2GRAY);
  bool quiet = false;
  if (!last_thumb_.empty() && tracker_.live_tracks() == 0 && last_detect_frame_ >= 0 &&
      quiet_skipped_ < options_.quiet_max_skip) {
    const double diff = cv::norm(thumb_, last_thumb_, cv::NORM_L1) / static_cast<double>(thumb_.total());
    quiet = diff < options_.quiet_mean_diff;
  }
  return quiet;
}

Status CameraWorker::Process(const Frame& frame, int every, size_t backlog) {
  summary_.frames_processed++;
  // 1. Decide whether to run the detector on this frame.
  bool detect = true;
  if (every > 1 && last_detect_frame_ >= 0 && frame.index - last_detect_frame_ < every) {
    detect = false;
  }
  if (detect && options_.skip_quiet) {
    if (QuietFrame(frame.image)) {
      detect = false;
      ++quiet_skipped_;
    }
  }
  if (!detect) {
    tracker_.Skip(frame.index);
    for (int64_t id : tracker_.TakeEnded()) {
      fusion_.erase(id);
      first_frame_.erase(id);
    }
    summary_.total_ms.Add(MsSince(frame.read_time));
    return Status::Ok();
  }
  if (options_.skip_quiet) {
    std::swap(last_thumb_, thumb_);
    quiet_skipped_ = 0;
  }
  last_detect_frame_ = frame.index;
  if (last_detect_media_ >= 0) summary_.detect_gap_ms.Add(1000.0 * (frame.media_time_s - last_detect_media_));
  last_detect_media_ = frame.media_time_s;

  // 2. Detect.
  auto t0 = SteadyClock::now();
  Status s = detector_->DetectWithWorking(frame.image, frame.working, &faces_);
  if (!s.ok()) return s;
  summary_.detector_runs++;
  summary_.detect_ms.Add(MsSince(t0));
  summary_.faces_detected += static_cast<int64_t>(faces_.size());

  // 3. Align + quality gate + track.
  t0 = SteadyClock::now();
  if (crops_.size() < faces_.size()) crops_.resize(faces_.size());
  quality_.assign(faces_.size(), -1.0f);
  const auto& tmpl = embedder_->alignment_template();
  for (size_t i = 0; i < faces_.size(); ++i) {
    AlignFace(frame.image, faces_[i], tmpl, embedder_->input_size(), &crops_[i]);
    QualityReport q = AssessQuality(faces_[i], crops_[i], options_.quality);
    if (q.passed) {
      quality_[i] = q.score;
      summary_.faces_passed_quality++;
    }
  }
  tracker_.Update(frame.index, faces_, quality_, &tracked_);
  int new_tracks = 0;
  for (const TrackedFace& tf : tracked_) {
    if (tf.new_track) {
      first_frame_[tf.track_id] = frame.index;
      ++new_tracks;
    }
  }
  if (new_tracks > 0 && options_.observer != nullptr) {
    const int64_t wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
    options_.observer->OnFacesSeen(name_, wall_ms, new_tracks);
  }
  summary_.analyse_ms.Add(MsSince(t0));

  // 4. Embed only the faces the tracker asks for; while frames wait behind this one, at
  //    most busy_embed_budget of them (new tracks first): the others are asked for again
  //    on the next detection frames, so a crowd's cost spike is spread, not dropped.
  batch_.clear();
  batch_det_.clear();
  chosen_.clear();
  ChooseEmbeddings(tracked_, quality_, backlog > 0 ? options_.busy_embed_budget : 0, &chosen_);
  for (const TrackedFace& tf : tracked_) summary_.embeddings_deferred += tf.embed ? 1 : 0;
  summary_.embeddings_deferred -= static_cast<int64_t>(chosen_.size());
  for (int i : chosen_) {
    const TrackedFace& tf = tracked_[static_cast<size_t>(i)];
    batch_.push_back(crops_[tf.detection]);  // shallow header
    batch_det_.push_back(i);
  }
  if (!batch_.empty() && matcher_->watchlist().rows() > 0) {
    t0 = SteadyClock::now();
    s = options_.flip_average ? embedder_->EmbedWithFlip(batch_, &embeddings_)
                              : embedder_->Embed(batch_, &embeddings_);
    batch_.clear();
    if (!s.ok()) return s;
    summary_.embeddings += embeddings_.rows;
    summary_.embed_ms.Add(MsSince(t0));

    // 5. Search, fuse along the track, decide.
    t0 = SteadyClock::now();
    for (int k = 0; k < embeddings_.rows; ++k) {
      const TrackedFace& tf = tracked_[static_cast<size_t>(batch_det_[k])];
      const int det = tf.detection;
      const float* emb = embeddings_.ptr<float>(k);
      bool split = false;
      const int64_t id = tracker_.ReportEmbedding(tf.track_id, frame.index,
                                                  std::max(0.0f, quality_[det]), emb,
                                                  embeddings_.cols, &split);
      if (split) {
        // Someone else under this track's box: a new track from here, with its own score
        // fusion; the old id's state goes with the tracker's ended ids below. A new face seen.
        first_frame_[id] = frame.index;
        summary_.tracks_split++;
        if (options_.observer != nullptr) {
          const int64_t wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count();
          options_.observer->OnFacesSeen(name_, wall_ms, 1);
        }
      } else if (id != tf.track_id) {  // re-linked to an ended track of the same person
        auto it = first_frame_.find(tf.track_id);
        if (it != first_frame_.end()) {
          if (!first_frame_.count(id)) first_frame_[id] = it->second;
          first_frame_.erase(it);
        }
        auto fit = fusion_.find(tf.track_id);
        if (fit != fusion_.end()) {
          if (!fusion_.count(id)) fusion_.emplace(id, std::move(fit->second));
          fusion_.erase(tf.track_id);
        }
      }
      matcher_->Search(emb, options_.search_k, &hits_, &scores_);
      auto fit = fusion_.try_emplace(id, options_.fusion).first;
      TrackScoreFusion& fusion = fit->second;
      fusion.Add(hits_);
      if (fusion.ready()) {
        for (int subject : fusion.Subjects()) {
          const float fused = fusion.Fused(subject);
          if (fused < options_.threshold) continue;
          const std::string& who = matcher_->watchlist().subject_name(subject);
          const double media = frame.media_time_s;
          if (!policy_->ShouldRaise(name_, id, who, media)) continue;
          Alert a;
          a.camera = name_;
          a.track_id = id;
          a.subject = who;
          a.score = -1;
          for (const MatchHit& h : hits_) {
            if (h.subject == subject) a.score = h.score;
          }
          a.fused_score = fused;
          a.threshold = options_.threshold;
          a.quality = quality_[det];
          a.frame_index = frame.index;
          a.media_time_s = media;
          auto ff = first_frame_.find(id);
          a.track_first_frame = ff != first_frame_.end() ? ff->second : frame.index;
          a.wall_time = UtcNowIso8601();
          a.latency_ms = MsSince(frame.read_time);
          summary_.alerts++;
          // The crop and frame go out only because this face matched a watchlist subject.
          Status es = sink_->Emit(a, crops_[det], frame.image);
          if (!es.ok()) return es;
        }
      }
      WipeBytes(const_cast<float*>(emb), sizeof(float) * embeddings_.cols);
    }
    summary_.match_ms.Add(MsSince(t0));
  }
  batch_.clear();
  for (int64_t id : tracker_.TakeEnded()) {
    fusion_.erase(id);
    first_frame_.erase(id);
  }
  summary_.total_ms.Add(MsSince(frame.read_time));
  return Status::Ok();
}

struct Pipeline::Camera {
  CameraSpec spec;
  SourceSpec source;
  int index = 0;  // position in cameras_
  std::unique_ptr<FrameQueue> slot;
  std::unique_ptr<CameraReader> reader;
  std::unique_ptr<CameraWorker> worker;
  std::thread thread;
  Status worker_status;
  bool restart_requested = false;  // guarded by Pipeline::restart_mu_
};

Result<std::unique_ptr<Pipeline>> Pipeline::Create(const std::vector<CameraSpec>& cameras,
                                                   const InstalledModel& detector,
                                                   const InstalledModel& recogniser,
                                                   const Watchlist* watchlist, AlertSink* sink,
                                                   const PipelineOptions& options,
                                                   std::vector<WorkerModels>* reuse) {
  if (cameras.empty()) return Status::InvalidArgument("no camera source given");
  std::unique_ptr<Pipeline> p(new Pipeline());
  p->options_ = options;
  p->matcher_ = std::make_unique<Matcher>(watchlist);
  p->policy_ = std::make_unique<AlertPolicy>(options.alert);
  if (options.camera.realtime && options.adaptive_detect) {
    CadenceOptions co;
    co.base_every = std::max(1, options.detect_every);
    co.max_every = std::max(co.base_every, options.max_detect_every);
    co.cameras = static_cast<int>(cameras.size());
    co.queue_capacity = std::max(1, options.queue_frames);
    p->cadence_ = std::make_unique<DetectCadence>(co);
  }
  for (size_t i = 0; i < cameras.size(); ++i) {
    auto src = ParseSource(cameras[i].uri);
    if (!src.ok()) return src.status();
    auto cam = std::make_unique<Camera>();
    cam->spec = cameras[i];
    if (cam->spec.name.empty()) cam->spec.name = "cam" + std::to_string(i + 1);
    cam->source = *src;
    WorkerModels reused;
    if (reuse != nullptr && i < reuse->size()) reused = std::move((*reuse)[i]);
    Result<std::unique_ptr<Detector>> det =
        reused.detector ? Result<std::unique_ptr<Detector>>(std::move(reused.detector))
                        : CreateDetector(detector, options.detector);
    if (!det.ok()) return det.status();
    Result<std::unique_ptr<Embedder>> emb =
        reused.embedder ? Result<std::unique_ptr<Embedder>>(std::move(reused.embedder))
                        : Embedder::Create(recogniser);
    if (!emb.ok()) return emb.status();
    if (watchlist->rows() > 0 && (*emb)->dim() != watchlist->dim()) {
      return Status::InvalidArgument("watchlist has " + std::to_string(watchlist->dim()) +
                                     "-d embeddings but recogniser " + recogniser.spec->id +
                                     " gives " + std::to_string((*emb)->dim()));
    }
    cam->index = static_cast<int>(i);
    cam->slot = std::make_unique<FrameQueue>(!options.camera.realtime,
                                             static_cast<size_t>(std::max(1, options.queue_frames)));
    CameraOptions copts = options.camera;
    copts.decode_every = std::max(copts.decode_every, options.detect_every);
    if (p->cadence_) copts.decode_every_live = p->cadence_->every_ptr();
    if (cam->spec.packet_tap) copts.packet_tap = cam->spec.packet_tap;  // recording
    if ((*det)->UsesWorkingCopy() && copts.working_long_side >= 0) {
      copts.working_long_side = options.detector.working_long_side;
    }
    cam->reader = std::make_unique<CameraReader>(cam->spec.name, cam->source, copts,
                                                 cam->slot.get());
    if (PipelineObserver* obs = options.observer) {
      cam->reader->SetHealthListener(
          [obs](const std::string& name, CameraHealth h, const CameraStatus& st) {
            obs->OnCameraHealth(name, h, st);
          });
    }
    cam->worker = std::make_unique<CameraWorker>(cam->spec.name, std::move(det).value(),
                                                 std::move(emb).value(), p->matcher_.get(),
                                                 p->policy_.get(), sink, p->options_);
    p->cameras_.push_back(std::move(cam));
  }
  return p;
}

Pipeline::~Pipeline() {
  RequestStop();
  for (auto& c : cameras_) {
    c->reader->Join();
    if (c->thread.joinable()) c->thread.join();
    c->slot->WipeAll();
  }
}

void Pipeline::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(restart_mu_);
    stop_ = true;
    for (auto& c : cameras_) c->reader->Stop();
  }
  restart_cv_.notify_all();
}

Status Pipeline::RestartCamera(const std::string& name) {
  for (auto& c : cameras_) {
    if (c->spec.name != name) continue;
    {
      std::lock_guard<std::mutex> lock(restart_mu_);
      if (stop_) return Status::FailedPrecondition("the cameras are stopping");
      if (c->reader->Restart()) return Status::Ok();
      if (!options_.keep_cameras) {
        return Status::FailedPrecondition("camera " + name + " has finished");
      }
      c->restart_requested = true;
    }
    restart_cv_.notify_all();
    return Status::Ok();
  }
  return Status::NotFound("no camera named " + name);
}

int Pipeline::RestartStoppedCameras() {
  int n = 0;
  for (auto& c : cameras_) {
    const CameraHealth h = c->reader->status().health;
    if (h != CameraHealth::kFailed && h != CameraHealth::kEnded) continue;
    if (RestartCamera(c->spec.name).ok()) ++n;
  }
  return n;
}

void Pipeline::WorkCamera(Camera* cam) {
  Frame frame;
  int64_t lost_seen = 0;  // frames dropped (queue or late reader) already reported
  while (true) {
    // Takes frames until the reader ends (slot closed and drained).
    while (true) {
      if (!cam->slot->Take(&frame, std::chrono::milliseconds(200))) {
        if (cam->slot->closed()) {
          // Closed: drain a last frame if one is waiting, then stop.
          if (!cam->slot->Take(&frame, std::chrono::milliseconds(0))) break;
        } else {
          continue;
        }
      }
      int every = std::max(1, options_.detect_every);
      if (cadence_) {
        const int64_t lost = cam->reader->frames_lost();
        // Half-way to skipping: shed load before the reader has to drop frames.
        const bool behind = cam->reader->behind_s() > 0.5 * options_.camera.max_behind_s;
        every = cadence_->Report(cam->index, cam->slot->size(), lost - lost_seen, behind);
        lost_seen = lost;
      }
      Status s = cam->worker->Process(frame, every, options_.camera.realtime ? cam->slot->size() : 0);
      cam->worker->PublishLive(false);
      if (!s.ok()) {
        cam->worker_status = Status::Internal("camera " + cam->spec.name + ": " + s.message());
        cam->reader->Stop();
        break;
      }
    }
    cam->reader->Join();
    cam->worker->PublishLive(true);
    if (!options_.keep_cameras || !cam->worker_status.ok()) break;
    // Service mode: wait for a restart (or the end), then start the reader afresh.
    std::unique_lock<std::mutex> lock(restart_mu_);
    restart_cv_.wait(lock, [&] { return stop_.load() || cam->restart_requested; });
    if (stop_) break;
    cam->restart_requested = false;
    cam->slot->Reopen();
    Status s = cam->reader->Start();  // a missing file fails this camera again (logged)
    (void)s;
  }
  WipeMat(&frame.image);
  WipeMat(&frame.working);
  cam->worker->WipeBuffers();
  cam->worker->PublishLive(true);
}

Status Pipeline::Run() {
  const int old_threads = cv::getNumThreads();
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const int threads = options_.cv_threads > 0
                          ? options_.cv_threads
                          : std::max(1, cores / static_cast<int>(cameras_.size()));
  cv::setNumThreads(threads);
  for (auto& c : cameras_) {
    {
      std::lock_guard<std::mutex> lock(restart_mu_);
      if (!stop_) {
        Status s = c->reader->Start();  // a missing file fails this camera only
        (void)s;
      }
    }
    Camera* cam = c.get();
    cam->thread = std::thread([cam, this] { WorkCamera(cam); });
  }
  Status first;
  for (auto& c : cameras_) {
    if (c->thread.joinable()) c->thread.join();
    c->reader->Stop();
    c->reader->Join();
    c->slot->WipeAll();
    if (!c->worker_status.ok() && first.ok()) first = c->worker_status;
  }
  cv::setNumThreads(old_threads);
  return first;
}

namespace {

// Names a camera's figures and adds the reader's status. Frames not decoded on purpose
// (detect_every) count as processed: nothing was due on them.
template <typename CameraT>
void AddCameraIdentity(const CameraT& c, CameraCounts* f) {
  f->name = c.spec.name;
  f->uri = c.spec.uri;
  f->status = c.reader->status();
  f->frames_processed += f->status.frames_grab_only;
}

}  // namespace

std::vector<CameraSummary> Pipeline::Summaries() const {
  std::vector<CameraSummary> out;
  for (const auto& c : cameras_) {
    CameraSummary s = c->worker->summary();
    AddCameraIdentity(*c, &s);
    s.tracks = c->worker->tracks();
    s.decode_ms = c->reader->decode_ms();
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<WorkerModels> Pipeline::TakeModels() {
  std::vector<WorkerModels> out;
  for (auto& c : cameras_) out.push_back(c->worker->TakeModels());
  return out;
}

int Pipeline::detect_every() const {
  return cadence_ ? cadence_->every() : std::max(1, options_.detect_every);
}

int Pipeline::max_detect_every_reached() const {
  return cadence_ ? cadence_->max_reached() : std::max(1, options_.detect_every);
}

std::vector<CameraLiveStats> Pipeline::LiveStats() const {
  std::vector<CameraLiveStats> out;
  out.reserve(cameras_.size());
  for (const auto& c : cameras_) {
    CameraLiveStats l = c->worker->live();
    AddCameraIdentity(*c, &l);
    l.detect_every = detect_every();
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace lfr
