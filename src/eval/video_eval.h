// Live-video accuracy: what a force publishes after a deployment, measured on clips whose
// ground truth says who appears when.
//
// The annotation format ("lfr-video-annotations-1", one JSON file per clip):
//
//   {
//     "format": "lfr-video-annotations-1",
//     "video": "video/hamilton/short_hamilton_clip.mp4",   // the clip
//     "watchlist": "video/hamilton/watchlist_stills",      // Name.jpg per listed person
//     "description": "...",                                // optional, free text
//     "passes": [                                          // every time a listed person
//       {"subject": "lin-manuel-miranda",                  // is in view; none = nobody
//        "start_s": 2.74, "end_s": 7.04,                   // listed appears in the clip
//        "note": "frontal medium close-up"}                // optional
//     ]
//   }
//
// Times are seconds from the clip's first frame. A pass is one continuous stretch in view
// (a shot), as a person walking through a camera's field of view is one pass; the same
// person in two shots is two passes. Relative paths are resolved against a data folder
// given by the caller (e.g. $LFR_DATA), else against the annotation file's folder.
//
// Scoring (ScoreVideo): each alert is one track's match of one subject (the live system's
// one alert per track and subject; video_search's unmerged per-track Appearance, whose
// start_s is the time of the track's first match at or above the threshold). An alert is
// true when it names the subject of a pass whose [start - tolerance, end + tolerance]
// contains its time; otherwise false (someone else, or nobody listed, was in view). A pass
// is identified when at least one true alert falls in it; its time to alert is the first
// such alert's time minus the pass's start (0 when the alert came within the tolerance
// before it). Reported: the true-positive identification rate over passes with a 95 %
// Clopper-Pearson interval, the time to alert (median and max over identified passes),
// false alerts in all, per hour of video and per 1,000 faces seen (tracks) — the figures
// forces publish ("one false alert in 6,000 faces").
//
// Privacy: annotations name listed people and times, nothing else; scoring sees only
// alerts (faces that matched a listed person), as in live use. Thread-safety: free
// functions on values. Errors: LoadVideoAnnotations gives InvalidArgument with the file
// and the field for a malformed file (not JSON, unknown format, a missing or negative
// time, end before start, an empty subject) and NotFound for a missing file.
#ifndef LFR_EVAL_VIDEO_EVAL_H_
#define LFR_EVAL_VIDEO_EVAL_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/metrics.h"
#include "util/status.h"

namespace lfr::eval {

inline constexpr char kVideoAnnotationsFormat[] = "lfr-video-annotations-1";

struct AnnotatedPass {
  std::string subject;
  double start_s = 0, end_s = 0;
  std::string note;
};

struct VideoAnnotations {
  std::filesystem::path file;       // the annotation file itself
  std::filesystem::path video;      // resolved
  std::filesystem::path watchlist;  // resolved
  std::string description;
  std::vector<AnnotatedPass> passes;
};

// Reads and checks one annotation file; relative paths resolve against data_root when it
// is not empty, else against the file's folder.
Result<VideoAnnotations> LoadVideoAnnotations(const std::filesystem::path& file,
                                              const std::filesystem::path& data_root = {});

// One alert as scored: a track's match of a subject at a time (seconds of the clip).
struct ScoredAlert {
  std::string subject;
  double time_s = 0;
  float score = 0;  // the best fused score of the track's matches
};

struct PassOutcome {
  AnnotatedPass pass;
  bool identified = false;
  double time_to_alert_s = -1;  // -1: not identified
};

struct VideoScore {
  std::string clip;
  float threshold = 0;                   // the alert threshold the clip was run at
  double video_s = 0;
  int64_t faces_seen = 0;                // tracks started
  std::vector<PassOutcome> passes;
  std::vector<ScoredAlert> true_alerts, false_alerts;
  int64_t identified() const;
};

// Scores one clip's alerts against its passes (see the file comment).
VideoScore ScoreVideo(const VideoAnnotations& annotations, const std::vector<ScoredAlert>& alerts, double video_s,
                      int64_t faces_seen, double tolerance_s);

// Totals over clips.
struct VideoTotals {
  int64_t passes = 0, identified = 0, true_alerts = 0, false_alerts = 0, faces_seen = 0;
  double video_s = 0;
  Interval tpir_ci;
  double tpir() const { return passes > 0 ? static_cast<double>(identified) / passes : 0.0; }
  double median_time_to_alert_s = -1, max_time_to_alert_s = -1;  // -1: nothing identified
  double false_alerts_per_hour() const { return video_s > 0 ? false_alerts * 3600.0 / video_s : 0.0; }
  double false_alerts_per_1000_faces() const {
    return faces_seen > 0 ? false_alerts * 1000.0 / static_cast<double>(faces_seen) : 0.0;
  }
};
VideoTotals TotalVideoScores(const std::vector<VideoScore>& clips);

nlohmann::json VideoScoreToJson(const VideoScore& s);
nlohmann::json VideoTotalsToJson(const VideoTotals& t);

}  // namespace lfr::eval

#endif  // LFR_EVAL_VIDEO_EVAL_H_
