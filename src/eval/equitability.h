// The equitability report: what a force publishes about how its facial recognition's
// accuracy differs between demographic groups, in the manner of the NPL study of the Met's
// and South Wales Police's live facial recognition (2023): the data described, FNIR and
// FPIR per group with 95 % intervals over a range of thresholds, DET curves per group, the
// lowest threshold from which no group differs significantly, and the threshold for a
// target FPIR at the deployment's watchlist size with the groups' max/min FPIR ratio there.
//
//   RunIdentification (eval/identify.h, one watchlist size) ──SizeResult──►
//   BuildEquitabilityReport ──EquitabilityReport──► RenderEquitabilityHtml / ...Json
//                                                   WriteEquitabilityReport (files)
//
// Definitions:
//  * Rates at a threshold t are rank-1 open-set rates (eval/metrics.h): FNIR over the
//    mated searches (a miss: mate not first or its score < t, or not searched), FPIR over
//    the non-mated searches (top score >= t). A group is the searches whose probe carries
//    that label in a column (SizeResult::mated_labels / nonmated_labels); searches without
//    a label are in no group of that column.
//  * 95 % intervals are Clopper-Pearson (exact binomial).
//  * Two groups differ significantly at t when their 95 % intervals are disjoint (a
//    conservative test: it calls fewer differences than a two-proportion test would, and
//    it is the one a reader can check by eye in the tables). Groups named "unknown" and
//    groups with fewer than `min_searches` searches are left out of the comparison.
//  * The lowest equitable threshold is the lowest t of the grid such that at t and at every
//    higher grid threshold no two groups of any column differ significantly (FPIR and FNIR
//    separately, and both together). Absent when even the highest grid threshold differs.
//  * The operating threshold is the lowest threshold whose measured FPIR at this watchlist
//    size is <= the target (ThresholdForRate); the max/min FPIR ratio there is the largest
//    over the columns (GroupsMaxMin; undefined when a group has no false positive).
//
// Privacy: the report holds counts, rates and group names only; no image, path or
// identity name. Pure computation and rendering; thread-compatible. Files: see
// WriteEquitabilityReport.
#ifndef LFR_EVAL_EQUITABILITY_H_
#define LFR_EVAL_EQUITABILITY_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/det_plot.h"
#include "eval/identify.h"
#include "util/status.h"

namespace lfr::eval {

struct EquitabilityOptions {
  double target_fpir = 1e-3;       // the operating point at the run's watchlist size
  // The thresholds of the tables and of the equitable-threshold search, ascending; empty =
  // 0.20, 0.25, ..., 0.80.
  std::vector<float> thresholds;
  int min_searches = 20;           // a group with fewer searches is shown but not compared
  double max_ratio_aim = 2.0;      // the aim for the max/min FPIR ratio at the operating point
  int det_points = 200;
};

// Two rates differ significantly: their 95 % Clopper-Pearson intervals are disjoint.
bool DifferSignificantly(const Rate& a, const Rate& b);

// A pair of groups found to differ, for the tables and the summary.
struct GroupDifference {
  std::string column, rate;        // rate: "fnir" or "fpir"
  std::string higher, lower;       // group names
};

struct ThresholdRow {
  float threshold = 0.0f;
  Rate fnir, fpir;                 // all searches
  std::vector<Differential> differentials;  // every column, FNIR then FPIR
  std::vector<GroupDifference> differences;
  bool fnir_differs() const;
  bool fpir_differs() const;
};

struct GroupDet {
  std::string column;
  std::vector<DetSeries> series;   // one per group with mated and non-mated searches
  std::vector<std::string> left_out;  // groups without both kinds of search, with the reason
};

struct EquitabilityReport {
  int watchlist_size = 0;
  int64_t mated_searches = 0, nonmated_searches = 0;
  Rate rank1;
  EquitabilityOptions options;
  OperatingPoint operating;        // at options.target_fpir (threshold, FNIR, FPIR, groups)
  // The largest max/min FPIR ratio over the columns at the operating threshold, the column
  // it is in; 0 = undefined (a group with no false positive, or fewer than two groups).
  double fpir_max_min = 0.0;
  std::string fpir_max_min_column;
  bool fpir_ratio_undefined_somewhere = false;  // some column's ratio is undefined
  std::vector<ThresholdRow> rows;  // one per grid threshold, ascending
  std::optional<float> lowest_equitable;        // FNIR and FPIR
  std::optional<float> lowest_equitable_fpir;   // FPIR only
  std::optional<float> lowest_equitable_fnir;   // FNIR only
  std::vector<GroupDet> dets;
};

// InvalidArgument when the run has no mated or no non-mated searches, or the thresholds
// are not ascending.
Result<EquitabilityReport> BuildEquitabilityReport(const SizeResult& run, const EquitabilityOptions& options);

// What the report says about where its figures come from (all shown as given, escaped).
struct ReportDescription {
  std::string title = "Facial recognition: accuracy across demographic groups";
  std::string data;                // the data set, in words (identities, images, labels)
  std::string protocol;            // how watchlists, probes and non-mated searches are drawn
  std::string detector, recogniser;
  std::string recogniser_licence;  // e.g. "CC-BY-NC-SA-4.0: not for operational use"
  std::string command, date, version;
  std::vector<std::string> notes;  // enrolment refusals, exclusions, ...
};

nlohmann::json EquitabilityJson(const EquitabilityReport& r, const ReportDescription& d);
// One printable, self-contained HTML page (the DET figures inline as SVG).
std::string RenderEquitabilityHtml(const EquitabilityReport& r, const ReportDescription& d);
// Writes into dir (created if needed): index.html, report.json, and det-<column>.png/.svg
// per column with a DET. IOError naming the file that failed.
Status WriteEquitabilityReport(const std::filesystem::path& dir, const EquitabilityReport& r,
                               const ReportDescription& d);

}  // namespace lfr::eval

#endif  // LFR_EVAL_EQUITABILITY_H_
