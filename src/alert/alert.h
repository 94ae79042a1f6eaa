// Alerts: what the live pipeline raises when a track matches a watchlist subject, the
// policy that decides whether a match becomes an alert, and where alerts go.
//
// AlertPolicy enforces "one alert per track and subject" and a cooldown per subject per
// camera (a person lingering in front of one camera, re-tracked after an occlusion, does
// not raise a stream of alerts). Times are the camera's media time in seconds (frame
// index / fps for files, seconds since start for live sources), so replays are
// deterministic. Thread-safe (one policy is shared by all camera workers).
//
// Sinks receive alerts only. A crop and its frame are passed to a sink only for an alert,
// never for a face that matched nobody; sinks must not retain them after Emit returns.
#ifndef LFR_ALERT_ALERT_H_
#define LFR_ALERT_ALERT_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <opencv2/core.hpp>

#include "util/status.h"

namespace lfr {

struct Alert {
  std::string camera;       // camera name (its source URI unless named)
  int64_t track_id = -1;
  std::string subject;      // watchlist subject name
  float score = 0;          // this search's cosine similarity
  float fused_score = 0;    // the track's fused score that crossed the threshold
  float threshold = 0;
  float quality = -1;       // the probe face's quality score (vision/quality.h), -1 if unknown
  int64_t frame_index = 0;  // frame of the camera's stream
  int64_t track_first_frame = 0;  // the frame where the track began (first appearance)
  double media_time_s = 0;  // camera media time
  std::string wall_time;    // UTC, ISO 8601 with milliseconds, when the alert was raised
  double latency_ms = 0;    // frame read -> this decision
};

// {"camera":..,"track_id":..,"time":..,"media_time_s":..,"frame_index":..,"subject":..,
//  "track_first_frame":..,"score":..,"fused_score":..,"threshold":..,"latency_ms":..} as one line of JSON (no newline).
std::string AlertToJsonLine(const Alert& a);
// "2026-11-23T19:40:01.123Z" for now.
std::string UtcNowIso8601();

struct AlertPolicyOptions {
  double cooldown_s = 60.0;  // per subject per camera
  // Every match of a track at or above the threshold is passed on (no once-per-track rule,
  // no cooldown): forensic search of recorded video (video_search/) aggregates them into
  // appearances. Never for live alerting.
  bool every_match = false;
};

class AlertPolicy {
 public:
  explicit AlertPolicy(AlertPolicyOptions options = {}) : options_(options) {}
  // True (and records it) if an alert for (camera, track, subject) at media time t should
  // be raised now: not yet raised for this track and subject, and none for this subject on
  // this camera within the cooldown. Suppressed matches are counted.
  bool ShouldRaise(const std::string& camera, int64_t track_id, const std::string& subject,
                   double media_time_s);
  int64_t suppressed() const;

 private:
  AlertPolicyOptions options_;
  mutable std::mutex mu_;
  std::set<std::tuple<std::string, int64_t, std::string>> raised_;  // camera, track, subject
  std::map<std::pair<std::string, std::string>, double> last_;      // camera, subject -> t
  int64_t suppressed_ = 0;
};

// Where alerts go. Implementations must be thread-safe (workers emit concurrently).
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // crop: the aligned probe face of the alert (8-bit BGR), or empty. frame: the whole
  // camera frame the alert was raised on (8-bit BGR, camera pixels), or empty; for sinks
  // that keep a thumbnail. Neither is retained after Emit returns.
  virtual Status Emit(const Alert& alert, const cv::Mat& crop, const cv::Mat& frame) = 0;
};

// One JSON line per alert on a stream (stdout in `lfr watch --json`).
class JsonLinesSink : public AlertSink {
 public:
  explicit JsonLinesSink(std::ostream* out) : out_(out) {}
  Status Emit(const Alert& alert, const cv::Mat& crop, const cv::Mat& frame) override;

 private:
  std::mutex mu_;
  std::ostream* out_;
};

// A human-readable line per alert.
class TextSink : public AlertSink {
 public:
  explicit TextSink(std::ostream* out) : out_(out) {}
  Status Emit(const Alert& alert, const cv::Mat& crop, const cv::Mat& frame) override;

 private:
  std::mutex mu_;
  std::ostream* out_;
};

// Saves each alert as <dir>/<n>_<camera>_<track>_<subject>.jpg (the probe crop) and .json
// (the alert). Only alerts reach a sink, so only faces that matched are ever written.
// Create() makes the folder (IOError if it cannot).
class AlertsDirSink : public AlertSink {
 public:
  static Result<std::unique_ptr<AlertsDirSink>> Create(const std::filesystem::path& dir);
  Status Emit(const Alert& alert, const cv::Mat& crop, const cv::Mat& frame) override;

 private:
  explicit AlertsDirSink(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::mutex mu_;
  std::filesystem::path dir_;
  int64_t count_ = 0;
};

// Fans an alert out to several sinks (not owned); returns the first error.
class MultiSink : public AlertSink {
 public:
  void Add(AlertSink* sink) { sinks_.push_back(sink); }
  Status Emit(const Alert& alert, const cv::Mat& crop, const cv::Mat& frame) override;

 private:
  std::vector<AlertSink*> sinks_;
};

}  // namespace lfr

#endif  // LFR_ALERT_ALERT_H_
