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
#include <memory>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "match/matcher.h"
#include "match/watchlist.h"
#include "models/store.h"
#include "pipeline/camera.h"
#include "pipeline/stats.h"
#include "track/tracker.h"
#include "vision/detector.h"
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
};

struct PipelineOptions {
  CameraOptions camera;
  DetectorOptions detector;          // working_long_side: e.g. 640 for 1080p
  QualityOptions quality;
  TrackerOptions tracker;
  FusionOptions fusion;
  AlertPolicyOptions alert;
  // Fused cosine score needed for an alert. 0.6 for MobileFaceNet: on the opera-house clip
  // against 1,000 LFW people the best impostor face scored 0.57 (docs/PERFORMANCE.md);
  // prefer a calibrated "fpir:..." threshold (match/calibration.h) where one exists.
  float threshold = 0.6f;
  int search_k = 3;                  // subjects kept per search
  int detect_every = 1;              // run the detector on every n-th frame (tracks coast);
                                     // the other frames are not even colour-converted
  bool skip_quiet = true;            // skip detection on frames unchanged since the last
  float quiet_mean_diff = 1.5f;      //   detection (mean abs grey difference, 0..255) when
  int quiet_max_skip = 10;           //   no track is live, for at most this many frames
  bool flip_average = false;         // embed face + mirror (2x embedding cost)
  int cv_threads = 0;                // 0 = max(1, cores / cameras)
  PipelineObserver* observer = nullptr;  // optional; not owned, must outlive Run()
};

struct CameraSpec {
  std::string name;  // "" = "cam<N>"
  std::string uri;
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
  LatencyStats decode_ms, detect_ms, analyse_ms, embed_ms, match_ms, total_ms;
};

// A camera's figures while it runs: counts and latency percentiles, refreshed by its worker
// at most every half second (and when it stops).
struct CameraLiveStats : CameraCounts {
  double decision_p50_ms = 0, decision_p95_ms = 0;  // frame read -> decision
  double detect_p50_ms = 0;
};

class CameraWorker;

class Pipeline {
 public:
  // Parses every source (InvalidArgument names a malformed one) and loads one detector
  // and one embedder per camera. watchlist and sink must outlive the pipeline.
  static Result<std::unique_ptr<Pipeline>> Create(const std::vector<CameraSpec>& cameras,
                                                  const InstalledModel& detector,
                                                  const InstalledModel& recogniser,
                                                  const Watchlist* watchlist, AlertSink* sink,
                                                  const PipelineOptions& options);
  ~Pipeline();

  // Runs every camera until its source ends or fails, or RequestStop(). A camera whose
  // source is missing or fails is reported in its summary; the others keep running.
  // Returns OK unless a worker hit an internal error (then the first such Status).
  Status Run();
  void RequestStop();

  // Full statistics; call after Run() returned (or before it started).
  std::vector<CameraSummary> Summaries() const;
  // A recent snapshot per camera; safe to call at any time from any thread.
  std::vector<CameraLiveStats> LiveStats() const;
  int64_t alerts_suppressed() const { return policy_ ? policy_->suppressed() : 0; }

 private:
  Pipeline() = default;
  struct Camera;
  std::vector<std::unique_ptr<Camera>> cameras_;
  std::unique_ptr<Matcher> matcher_;
  std::unique_ptr<AlertPolicy> policy_;
  PipelineOptions options_;
  std::atomic<bool> stop_{false};
};

}  // namespace lfr

#endif  // LFR_PIPELINE_PIPELINE_H_
