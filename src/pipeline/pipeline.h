// The live pipeline: N cameras, each with a reader thread (pipeline/camera.h) and a worker
// thread that runs detect -> align -> quality gate -> track -> embed (only what the tracker
// asks for) -> 1:N search -> score fusion along the track -> alert policy -> sinks.
//
// Each worker owns its Detector, Embedder and Tracker (none is thread-safe); the Watchlist,
// Matcher, AlertPolicy and sinks are shared (read-only or internally locked). OpenCV's
// own thread pool is process-wide: Run() sets cv::setNumThreads to
// max(1, cores / cameras) unless PipelineOptions::cv_threads says otherwise, so several
// cameras do not oversubscribe the machine, and restores it afterwards.
//
// Privacy: frames, aligned crops and embeddings live in buffers owned by the reader and
// the worker that are reused frame to frame and wiped (util/secure.h) when the camera
// stops; only an alert's crop and frame are ever passed outside (to the sinks), and only
// counts to the observer. Nothing about faces that matched nobody is logged or written.
// The direct libav reader (pipeline/av_source.h) wipes the decoder's frame buffers as it
// releases them; with the cv::VideoCapture fallback (V4L2 devices) FFmpeg's own buffers are
// outside OpenLFR's control and freed by FFmpeg when the capture closes.
//
// Thread-safety: Create/Run/Summaries from one thread; RequestStop() and LiveStats() from
// any thread (a signal handler, the HTTP server's status pages).
#ifndef LFR_PIPELINE_PIPELINE_H_
#define LFR_PIPELINE_PIPELINE_H_

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "match/matcher.h"
#include "match/watchlist.h"
#include "models/store.h"
#include "pipeline/cadence.h"
#include "pipeline/camera.h"
#include "pipeline/stats.h"
#include "track/tracker.h"
#include "vision/detector.h"
#include "vision/embedder.h"
#include "vision/quality.h"

namespace lfr {

// Counts-only events from the camera workers, for statistics such as faces seen per camera
// per minute. Never carries a face. Called from the camera worker threads concurrently:
// implementations must be thread-safe and quick (they run in the frame loop).
class PipelineObserver {
 public:
  virtual ~PipelineObserver() = default;
  // n_new_tracks (>= 1) faces appeared on `camera` (new tracks) in a frame processed at
  // wall_ms (UTC ms since the epoch).
  virtual void OnFacesSeen(const std::string& camera, int64_t wall_ms, int n_new_tracks) = 0;
  // A camera's health changed (called on its reader thread; status.error has the detail,
  // status.public_error the client-safe text). Default: nothing (the change is logged anyway).
  virtual void OnCameraHealth(const std::string& camera, CameraHealth health,
                              const CameraStatus& status) {}
};

// Defaults of the live pipeline (`lfr watch`, `lfr serve`, `lfr bench pipeline`): the
// efficient configuration (docs/PERFORMANCE.md): detect on every 3rd frame at a 480-pixel
// working size, re-embed a track at least once a second (25 frames at 25 fps).
inline constexpr int kDefaultDetectEvery = 3;
inline constexpr int kDefaultWorkingSize = 480;
inline constexpr int kDefaultEmbedEvery = 25;

struct PipelineOptions {
  PipelineOptions() {
    detector.working_long_side = kDefaultWorkingSize;
    tracker.embed_every = kDefaultEmbedEvery;
  }
  CameraOptions camera;
  DetectorOptions detector;          // working_long_side: kDefaultWorkingSize
  QualityOptions quality;
  TrackerOptions tracker;
  FusionOptions fusion;
  AlertPolicyOptions alert;
  // Fused cosine score needed for an alert. 0.6 for MobileFaceNet: on the opera-house clip
  // against 1,000 LFW people the best impostor face scored 0.57 (docs/PERFORMANCE.md);
  // prefer a calibrated "fpir:..." threshold (match/calibration.h) where one exists.
  float threshold = 0.6f;
  int search_k = 3;                  // subjects kept per search
  // The defaults are the efficient configuration measured in docs/PERFORMANCE.md.
  int detect_every = kDefaultDetectEvery;  // run the detector on every n-th frame (tracks
                                     // coast); the other frames are not even colour-converted
  // Live mode: frames a camera's worker may fall behind its reader before the oldest is
  // dropped (pipeline/frame_queue.h): absorbs the cost spike of a frame with new faces.
  int queue_frames = 4;
  // Live mode: under load, raise the detect interval of every camera (up to
  // max_detect_every) rather than drop frames; back to detect_every when the load falls
  // (pipeline/cadence.h). false = fixed detect_every.
  bool adaptive_detect = true;
  int max_detect_every = 12;
  // Live mode: while frames wait in a camera's queue, embed at most this many faces per
  // detection frame (tracks never embedded first); the others are embedded on the next
  // detection frames. Spreads the cost spike of a crowd of new faces (0 = no limit).
  int busy_embed_budget = 2;
  bool skip_quiet = true;            // skip detection on frames unchanged since the last
  float quiet_mean_diff = 1.5f;      //   detection (mean abs grey difference, 0..255) when
  int quiet_max_skip = 10;           //   no track is live, for at most this many frames
  bool flip_average = false;         // embed face + mirror (2x embedding cost)
  int cv_threads = 0;                // 0 = max(1, cores / cameras)
  // Long-running service (`lfr serve`): Run() returns only after RequestStop(); a camera
  // whose source ended or failed waits for RestartCamera() instead of finishing.
  bool keep_cameras = false;
  PipelineObserver* observer = nullptr;  // optional; not owned, must outlive Run()
};

struct CameraSpec {
  std::string name;  // "" = "cam<N>"
  std::string uri;
  // Sees this camera's demuxed packets (recording: footage/recorder.h); null = none.
  std::shared_ptr<PacketTap> packet_tap = nullptr;
};

// What every report on a camera carries: its identity, its reader's status and the counts.
struct CameraCounts {
  std::string name, uri;
  CameraStatus status;
  int64_t frames_processed = 0;
  int64_t detector_runs = 0;
  int64_t faces_detected = 0;
  int64_t faces_passed_quality = 0;
  int64_t tracks = 0;
  int64_t embeddings = 0;
  int64_t alerts = 0;
};

// A camera's full statistics after the run.
struct CameraSummary : CameraCounts {
  int64_t embeddings_deferred = 0;  // wanted faces left to a later frame (busy_embed_budget)
  int64_t tracks_split = 0;         // tracks split because their face became someone else's
                                    // (track/tracker.h split_similarity; counted in tracks)
  // Stream time between successive detector runs (ms): how long a face could pass unseen.
  // The detect interval, quiet-scene skips, shedding and drops all show up here.
  LatencyStats detect_gap_ms;
  LatencyStats decode_ms, detect_ms, analyse_ms, embed_ms, match_ms, total_ms;
};

// A camera's figures while it runs: counts and latency percentiles, refreshed by its worker
// at most every half second (and when it stops).
struct CameraLiveStats : CameraCounts {
  int detect_every = 1;                             // the interval in force now
  double decision_p50_ms = 0, decision_p95_ms = 0;  // frame read -> decision
  double detect_p50_ms = 0;
};

// One camera worker's networks, handed from one Pipeline to the next (forensic video search
// runs one short pipeline per file or segment: loading and planning the networks anew for
// each costs more than searching a few seconds of video). They must have been made from
// the same models and DetectorOptions as the pipeline that takes them.
struct WorkerModels {
  std::unique_ptr<Detector> detector;
  std::unique_ptr<Embedder> embedder;
};

class CameraWorker;

class Pipeline {
 public:
  // Parses every source (InvalidArgument names a malformed one) and loads one detector
  // and one embedder per camera; with `reuse`, camera i takes (*reuse)[i]'s networks
  // instead where present (moved out). watchlist and sink must outlive the pipeline.
  static Result<std::unique_ptr<Pipeline>> Create(const std::vector<CameraSpec>& cameras,
                                                  const InstalledModel& detector,
                                                  const InstalledModel& recogniser,
                                                  const Watchlist* watchlist, AlertSink* sink,
                                                  const PipelineOptions& options,
                                                  std::vector<WorkerModels>* reuse = nullptr);
  ~Pipeline();
  // After Run(): moves every worker's networks out (one per camera, in order), for the
  // `reuse` argument of the next Create. The pipeline cannot run again afterwards.
  std::vector<WorkerModels> TakeModels();

  // Runs every camera until its source ends or fails, or RequestStop(). A camera whose
  // source is missing or fails is reported in its summary; the others keep running.
  // Returns OK unless a worker hit an internal error (then the first such Status).
  Status Run();
  void RequestStop();
  // Restarts one camera by name: a running one reopens its source at once (back-off
  // reset); an ended or failed one is started again (with keep_cameras; otherwise
  // FailedPrecondition once its thread has finished). NotFound for an unknown name.
  // Thread-safe.
  Status RestartCamera(const std::string& name);
  // Restarts every camera that has ended or failed (keep_cameras). Returns how many.
  int RestartStoppedCameras();

  // Full statistics; call after Run() returned (or before it started).
  std::vector<CameraSummary> Summaries() const;
  // A recent snapshot per camera; safe to call at any time from any thread.
  std::vector<CameraLiveStats> LiveStats() const;
  int64_t alerts_suppressed() const { return policy_ ? policy_->suppressed() : 0; }
  // The detect interval in force now, and the highest it reached (adaptive cadence).
  int detect_every() const;
  int max_detect_every_reached() const;

 private:
  Pipeline() = default;
  struct Camera;
  void WorkCamera(Camera* cam);  // a camera's worker thread
  std::vector<std::unique_ptr<Camera>> cameras_;
  std::unique_ptr<Matcher> matcher_;
  std::unique_ptr<AlertPolicy> policy_;
  std::unique_ptr<DetectCadence> cadence_;  // live mode with adaptive_detect
  PipelineOptions options_;
  std::atomic<bool> stop_{false};
  std::mutex restart_mu_;             // guards stop_ changes vs camera restarts
  std::condition_variable restart_cv_;
};

}  // namespace lfr

#endif  // LFR_PIPELINE_PIPELINE_H_
