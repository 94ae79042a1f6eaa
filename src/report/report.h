// The results report of one LFR deployment: the figures forces publish after each
// deployment, computed from the store's records, and rendered as JSON, CSV and a printable
// HTML page with charts.
//
//   Store ──GatherReportInput──► ReportInput ──BuildReport──► DeploymentReport
//         ──RenderReportJson / RenderReportCsv / RenderReportHtml──► text
//
// What the report holds, and what it never holds: it is written for publication, so it
// carries the deployment's public details (those in the advance notice), counts, rates and
// the threshold, and nothing personal: no watchlist references or names, no alert subjects,
// notes or media, no names of operators or other users (the authorising officer's rank and
// name, as published in the notice, is the one exception), and no camera URIs (which may
// embed credentials).
//
// Definitions (the same in every rendering):
//  * watchlist size: the sum of the store's composition counts (Store::WatchlistComposition);
//  * faces seen: the sum of the per-minute FacesSeenRow counts (new face tracks), overall
//    and per camera;
//  * alerts: every AlertRecord of the deployment, split by AlertState into confirmed true,
//    confirmed false, no action and pending (undecided), which add up to the total;
//  * engagements: alerts whose outcome is engaged, arrested or no further action (each of
//    these means officers spoke to the person); arrests: outcome arrested;
//  * false-alert rate: confirmed false alerts / faces seen; absent ("n/a") when no faces
//    were seen;
//  * threshold: the deployment's threshold as configured ("0.6" or "fpir:1/6000"), the
//    similarity score it stands for, and the calibrated FPIR (false positive identification
//    rate, match/calibration.h) of that score at the watchlist size, when a calibration
//    table for the deployment's recogniser was supplied; otherwise a note says why not;
//  * timeline: the reporting period cut into equal buckets aligned to multiples of the
//    bucket length since the Unix epoch (so to UTC clock times), the length being the
//    shortest of 1, 2, 5, 10, 15, 30 minutes, 1, 2, 3, 4, 6, 12 hours, 1, 2, 7 days (then
//    whole weeks) that needs at most kMaxTimelineBuckets buckets. The period runs from the
//    actual start (planned start if never started) to the close (the report time while
//    active, the planned end if never started), widened to include every alert and
//    faces-seen minute.
//
// Times are UTC milliseconds since the Unix epoch ("_ms"); JSON and CSV write ISO 8601 UTC
// beside them, HTML shows UK civil time (GMT/BST, named).
// Thread-safety: all functions are pure except GatherReportInput, which calls the Store
// (itself thread-safe); none keeps state between calls.
#ifndef LFR_REPORT_REPORT_H_
#define LFR_REPORT_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "match/calibration.h"
#include "store/store.h"
#include "util/status.h"

namespace lfr::report {

inline constexpr int kMaxTimelineBuckets = 48;

// Everything a report is computed from. GatherReportInput fills it from a Store; tests and
// other callers may build it by hand. Owned values; no references into the store.
struct ReportInput {
  Deployment deployment;
  std::vector<Camera> cameras;              // the deployment's cameras (ListCameras)
  std::vector<CategoryCount> composition;   // watchlist entries per category
  std::vector<AlertRecord> alerts;          // every alert of the deployment, any order
  std::vector<FacesSeenRow> faces_seen;     // per camera per minute
  // The calibration table of deployment.recogniser_id, if there is one; when absent,
  // calibration_note says why (e.g. "no calibration table for recogniser sface-2021dec").
  std::optional<CalibrationTable> calibration;
  std::string calibration_note;
  int64_t generated_ms = 0;                 // when the report is made (UTC ms)
};

// The deployment's public details (what its advance notice says, plus what happened).
struct DeploymentDetails {
  int64_t id = 0;
  std::string name, site, location;
  int64_t planned_start_ms = 0, planned_end_ms = 0;
  int64_t started_ms = 0;                   // 0 if it never started
  int64_t ended_ms = 0;                     // close time of a deployment that ran; else 0
  std::string purpose, legal_basis, authorising_officer;
  DeploymentStatus status = DeploymentStatus::kPlanned;
  bool cancelled = false;                   // closed without ever starting
  int64_t notice_published_ms = 0;          // 0 if no notice was published
  // When it was started outside its planned window or without a published notice: the
  // supervisor's recorded reason, and what the override set aside. "" otherwise.
  std::string start_override_reason, start_overridden;
};

// The public subset of a Deployment (see DeploymentDetails). Pure.
DeploymentDetails PublicDetails(const Deployment& d);

struct AlertCounts {
  int64_t total = 0;
  int64_t confirmed_true = 0, confirmed_false = 0, no_action = 0, pending = 0;
  int64_t engagements = 0, arrests = 0, no_further_action = 0;
  void Add(const AlertRecord& a);
};

struct CameraFigures {
  std::string name;
  std::string position;                     // as recorded; "" for an unlisted camera
  bool listed = true;                       // false: seen only in alerts/counts (removed)
  bool records_footage = false;             // Camera::record_footage of a listed camera
  int64_t faces_seen = 0;
  AlertCounts alerts;
};

struct TimeBucket {
  int64_t start_ms = 0;                     // covers [start_ms, start_ms + bucket_ms)
  int64_t faces_seen = 0;
  AlertCounts alerts;
};

struct ThresholdFigures {
  std::string configured;                   // DeploymentSpec::threshold as written
  std::optional<float> score;               // the similarity threshold it stands for
  std::optional<double> target_fpir;        // for an "fpir:" threshold, the target rate
  std::optional<double> calibrated_fpir;    // FpirAt(score, watchlist size)
  std::string recogniser_id;
  std::string calibration_provenance;       // how the table was measured, if used
  std::string note;                         // why a figure above is missing; else ""
  // The lowest and highest thresholds recorded on the alerts (absent with no alerts).
  std::optional<float> applied_min, applied_max;
};

struct DeploymentReport {
  DeploymentDetails deployment;
  int64_t generated_ms = 0;
  int64_t watchlist_size = 0;
  std::vector<CategoryCount> composition;   // most entries first, then by category name
  int64_t faces_seen = 0;
  AlertCounts alerts;
  std::optional<double> false_alert_rate;   // confirmed false / faces seen; absent if none seen
  ThresholdFigures threshold;
  // Listed cameras in ListCameras order, then cameras named only in alerts or counts,
  // by name. Per-camera figures add up to the totals.
  std::vector<CameraFigures> cameras;
  int64_t period_start_ms = 0, period_end_ms = 0;
  int64_t bucket_ms = 0;
  std::vector<TimeBucket> timeline;         // consecutive, covering the period
};

// Computes every figure. Pure: no I/O, no clock, no environment. Alerts and rows are
// counted as given: the caller passes only the deployment's own (GatherReportInput does).
DeploymentReport BuildReport(const ReportInput& input);

// Reads everything a report needs through Store's interface: GetDeployment, ListCameras,
// WatchlistComposition, ListAlerts (all of them, however many) and FacesSeen; then the
// recogniser's calibration table (CalibrationTable::ForModel; its absence or corruption is
// a note in the report, not an error). generated_ms = now_ms. Errors: the store's, with
// "report for deployment <id>: " in front and the code kept; Internal if the store returns
// rows of another deployment.
Result<ReportInput> GatherReportInput(Store& store, int64_t deployment_id, int64_t now_ms);

// JSON document "openlfr.deployment-report/1": {format, generated_ms, generated_utc,
// deployment{...}, watchlist{size, by_category[]}, faces_seen, alerts{...},
// false_alert_rate (number or null), threshold{...}, cameras[], timeline{bucket_ms,
// start_ms, end_ms, buckets[]}}. Absent values are null. Pretty-printed, 2 spaces.
std::string RenderReportJson(const DeploymentReport& report);

// Pieces of the JSON document, shared with the public listing (public_listing.h):
// the details object {id, name, site, location, status, cancelled, planned_start_ms,
// planned_start_utc, ..., purpose, legal_basis, authorising_officer}, and the headline
// results {watchlist, faces_seen, alerts, false_alert_rate, threshold}.
nlohmann::json DetailsJson(const DeploymentDetails& details);
nlohmann::json HeadlineJson(const DeploymentReport& report);

// One tidy CSV table (RFC 4180, CRLF line ends, UTF-8) with the header
//   section,item,metric,value
// where section is one of
//   deployment  (item "")          name, site, location, status, planned_start, ...
//   watchlist   (item "" or a category)      entries
//   results     (item "")          faces_seen, alerts, confirmed_true, confirmed_false,
//                                  no_action, pending, engagements, arrests,
//                                  no_further_action, false_alert_rate
//   threshold   (item "")          configured, score, target_fpir, calibrated_fpir, ...
//   camera      (item camera name) position, faces_seen, alerts, confirmed_true, ...
//   timeline    (item bucket start, ISO UTC)  faces_seen, alerts, confirmed_true, ...
// Times are ISO 8601 UTC, rates plain decimals, and "n/a" stands where a value does not
// apply (e.g. the false-alert rate with no faces seen). Text is quoted as CsvText says
// (format.h): commas, quotes and newlines survive, formulas are defused.
std::string RenderReportCsv(const DeploymentReport& report);

// The charts, as PNG files (see charts.h): alerts over time (stacked by decision), faces
// seen over time, faces seen per camera and alerts per camera (stacked by decision).
struct ReportCharts {
  std::vector<uint8_t> alerts_over_time_png;
  std::vector<uint8_t> faces_over_time_png;
  std::vector<uint8_t> faces_per_camera_png;
  std::vector<uint8_t> alerts_per_camera_png;
};
// Internal if a chart cannot be drawn or encoded (a bug).
Result<ReportCharts> RenderReportCharts(const DeploymentReport& report);

// A complete, self-contained, printable HTML5 page: inline CSS (with print rules), the
// charts embedded as data: URI PNGs with text alternatives, every value HTML-escaped, no
// scripts and no external resources. A chart that fails to render is replaced by a line
// saying so.
std::string RenderReportHtml(const DeploymentReport& report);

}  // namespace lfr::report

#endif  // LFR_REPORT_REPORT_H_
