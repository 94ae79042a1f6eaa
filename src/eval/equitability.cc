#include "eval/equitability.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "util/escape.h"

namespace lfr::eval {
namespace {

std::string Fixed(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", prec, v);
  return buf;
}

// A rate as a percentage with enough digits for small FPIRs: "0.0500 %".
std::string Pct(double v) {
  const double p = 100.0 * v;
  return Fixed(p, p != 0 && p < 0.1 ? 4 : 2) + " %";
}

std::string RateCell(const Rate& r) {
  const Interval ci = r.ci();
  return Pct(r.value()) + " [" + Pct(ci.lo) + ", " + Pct(ci.hi) + "] (" + std::to_string(r.events) + "/" +
         std::to_string(r.trials) + ")";
}

// The searches' scores by group of one column (searches without a label left out).
std::map<std::string, std::vector<float>> ByGroup(const std::vector<float>& scores,
                                                  const std::vector<std::string>& labels) {
  std::map<std::string, std::vector<float>> by;
  for (size_t i = 0; i < scores.size() && i < labels.size(); ++i) {
    if (!labels[i].empty()) by[labels[i]].push_back(scores[i]);
  }
  return by;
}

// FNIR and FPIR per group of every column at threshold t, as the differentials of
// eval/identify.h (resolvability against the overall rates).
std::vector<Differential> GroupsAt(const SizeResult& run, float t, double fnir_ref, double fpir_ref) {
  std::vector<Differential> out;
  std::vector<std::string> columns;
  for (const auto& [c, v] : run.mated_labels) columns.push_back(c);
  for (const auto& [c, v] : run.nonmated_labels) {
    if (!run.mated_labels.count(c)) columns.push_back(c);
  }
  for (const std::string& column : columns) {
    for (const bool mated : {true, false}) {
      const auto& labels = mated ? run.mated_labels : run.nonmated_labels;
      auto it = labels.find(column);
      if (it == labels.end()) continue;
      Differential d;
      d.column = column;
      d.rate = mated ? "fnir" : "fpir";
      for (const auto& [g, v] : ByGroup(mated ? run.mated_scores : run.nonmated_top, it->second)) {
        d.groups.push_back(mated ? MakeGroupRate(g, RateBelow(v, t), fnir_ref, "mated")
                                 : MakeGroupRate(g, RateAtOrAbove(v, t), fpir_ref, "non-mated"));
      }
      d.max_min = GroupsMaxMin(d.groups);
      out.push_back(std::move(d));
    }
  }
  return out;
}

std::vector<GroupDifference> Differences(const std::vector<Differential>& ds, int min_searches) {
  std::vector<GroupDifference> out;
  for (const auto& d : ds) {
    for (size_t i = 0; i < d.groups.size(); ++i) {
      for (size_t j = i + 1; j < d.groups.size(); ++j) {
        const GroupRate &a = d.groups[i], &b = d.groups[j];
        if (a.group == "unknown" || b.group == "unknown") continue;
        if (a.rate.trials < min_searches || b.rate.trials < min_searches) continue;
        if (!DifferSignificantly(a.rate, b.rate)) continue;
        const bool a_high = a.rate.value() > b.rate.value();
        out.push_back({d.column, d.rate, a_high ? a.group : b.group, a_high ? b.group : a.group});
      }
    }
  }
  return out;
}

bool Any(const std::vector<GroupDifference>& ds, const std::string& rate) {
  return std::any_of(ds.begin(), ds.end(), [&](const GroupDifference& d) { return rate.empty() || d.rate == rate; });
}

// The lowest grid threshold from which (it and every higher one) rows have no difference.
std::optional<float> LowestWithout(const std::vector<ThresholdRow>& rows, const std::string& rate) {
  std::optional<float> lowest;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (Any(it->differences, rate)) break;
    lowest = it->threshold;
  }
  return lowest;
}

std::string ThresholdText(const std::optional<float>& t) { return t ? Fixed(*t, 2) : std::string("none in the range"); }

nlohmann::json DifferentialsJson(const std::vector<Differential>& ds) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& d : ds) {
    a.push_back({{"column", d.column},
                 {"rate", d.rate},
                 {"groups", GroupsToJson(d.groups)},
                 {"max_min_ratio", d.max_min > 0 ? nlohmann::json(d.max_min) : nlohmann::json(nullptr)}});
  }
  return a;
}

nlohmann::json OptionalJson(const std::optional<float>& t) { return t ? nlohmann::json(*t) : nlohmann::json(nullptr); }

std::string InlineSvg(const std::string& svg) {
  const size_t at = svg.find("<svg");
  return at == std::string::npos ? svg : svg.substr(at);
}

std::string FileSafe(const std::string& column) {
  std::string s;
  for (char c : column) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return s;
}

DetPlotOptions DetOptions(const std::string& column, int watchlist_size) {
  DetPlotOptions po;
  po.title = "DET by " + column + ", watchlist of " + std::to_string(watchlist_size);
  po.width = 760;
  po.height = 560;
  return po;
}

}  // namespace

bool DifferSignificantly(const Rate& a, const Rate& b) {
  if (a.trials == 0 || b.trials == 0) return false;
  const Interval x = a.ci(), y = b.ci();
  return x.hi < y.lo || y.hi < x.lo;
}

bool ThresholdRow::fnir_differs() const { return Any(differences, "fnir"); }
bool ThresholdRow::fpir_differs() const { return Any(differences, "fpir"); }

Result<EquitabilityReport> BuildEquitabilityReport(const SizeResult& run, const EquitabilityOptions& options) {
  if (run.mated_scores.empty() || run.nonmated_top.empty()) {
    return Status::InvalidArgument("equitability report: the run has " + std::to_string(run.mated_scores.size()) +
                                   " mated and " + std::to_string(run.nonmated_top.size()) +
                                   " non-mated searches; it needs both");
  }
  if (!(options.target_fpir > 0 && options.target_fpir < 1)) {
    return Status::InvalidArgument("equitability report: the target FPIR must lie between 0 and 1");
  }
  EquitabilityReport r;
  r.options = options;
  if (r.options.thresholds.empty()) {
    for (int k = 0; k <= 12; ++k) r.options.thresholds.push_back(0.20f + 0.05f * static_cast<float>(k));
  }
  for (size_t i = 1; i < r.options.thresholds.size(); ++i) {
    if (!(r.options.thresholds[i] > r.options.thresholds[i - 1])) {
      return Status::InvalidArgument("equitability report: thresholds must be ascending");
    }
  }
  r.watchlist_size = run.watchlist_size;
  r.mated_searches = static_cast<int64_t>(run.mated_scores.size());
  r.nonmated_searches = static_cast<int64_t>(run.nonmated_top.size());
  r.rank1 = run.rank1;

  // The operating point.
  OperatingPoint& op = r.operating;
  op.name = FormatRate(options.target_fpir);
  op.target_fpir = options.target_fpir;
  op.choice = ThresholdForRate(run.nonmated_top, options.target_fpir);
  op.fnir = RateBelow(run.mated_scores, op.choice.threshold);
  op.differentials = GroupsAt(run, op.choice.threshold, op.fnir.value(),
                              op.choice.achieved.value() > 0 ? op.choice.achieved.value() : options.target_fpir);
  for (const auto& d : op.differentials) {
    if (d.rate != "fpir") continue;
    int compared = 0;
    for (const auto& g : d.groups) compared += g.rate.trials > 0 && g.group != "unknown";
    if (compared < 2) continue;
    if (d.max_min <= 0) {
      r.fpir_ratio_undefined_somewhere = true;
    } else if (d.max_min > r.fpir_max_min) {
      r.fpir_max_min = d.max_min;
      r.fpir_max_min_column = d.column;
    }
  }

  for (float t : r.options.thresholds) {
    ThresholdRow row;
    row.threshold = t;
    row.fnir = RateBelow(run.mated_scores, t);
    row.fpir = RateAtOrAbove(run.nonmated_top, t);
    row.differentials = GroupsAt(run, t, row.fnir.value(), row.fpir.value());
    row.differences = Differences(row.differentials, options.min_searches);
    r.rows.push_back(std::move(row));
  }
  r.lowest_equitable = LowestWithout(r.rows, "");
  r.lowest_equitable_fpir = LowestWithout(r.rows, "fpir");
  r.lowest_equitable_fnir = LowestWithout(r.rows, "fnir");

  // DET per group, for columns labelling both kinds of search.
  for (const auto& [column, mated_labels] : run.mated_labels) {
    auto nm = run.nonmated_labels.find(column);
    if (nm == run.nonmated_labels.end()) continue;
    GroupDet gd;
    gd.column = column;
    auto m_by = ByGroup(run.mated_scores, mated_labels);
    auto n_by = ByGroup(run.nonmated_top, nm->second);
    for (const auto& [g, m] : m_by) {
      auto it = n_by.find(g);
      if (it == n_by.end()) {
        gd.left_out.push_back(g + ": no non-mated searches");
        continue;
      }
      gd.series.push_back({g + " (" + std::to_string(m.size()) + " mated, " + std::to_string(it->second.size()) +
                               " non-mated)",
                           DetCurve(m, it->second, options.det_points)});
    }
    for (const auto& [g, v] : n_by) {
      if (!m_by.count(g)) gd.left_out.push_back(g + ": no mated searches");
    }
    if (!gd.series.empty()) r.dets.push_back(std::move(gd));
  }
  return r;
}

nlohmann::json EquitabilityJson(const EquitabilityReport& r, const ReportDescription& d) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json diffs = nlohmann::json::array();
    for (const auto& x : row.differences) {
      diffs.push_back({{"column", x.column}, {"rate", x.rate}, {"higher", x.higher}, {"lower", x.lower}});
    }
    rows.push_back({{"threshold", row.threshold},
                    {"fnir", RateToJson(row.fnir)},
                    {"fpir", RateToJson(row.fpir)},
                    {"differentials", DifferentialsJson(row.differentials)},
                    {"significant_differences", diffs}});
  }
  const OperatingPoint& op = r.operating;
  return {
      {"title", d.title},
      {"data", d.data},
      {"protocol", d.protocol},
      {"detector", d.detector},
      {"recogniser", d.recogniser},
      {"recogniser_licence", d.recogniser_licence},
      {"command", d.command},
      {"date", d.date},
      {"lfr_version", d.version},
      {"notes", d.notes},
      {"watchlist_size", r.watchlist_size},
      {"mated_searches", r.mated_searches},
      {"nonmated_searches", r.nonmated_searches},
      {"rank1", RateToJson(r.rank1)},
      {"significance", "95 % Clopper-Pearson intervals disjoint; groups named unknown or with fewer than " +
                           std::to_string(r.options.min_searches) + " searches not compared"},
      {"operating_point",
       {{"target_fpir", op.target_fpir},
        {"resolvable", op.choice.resolvable},
        {"threshold", op.choice.threshold},
        {"fpir", RateToJson(op.choice.achieved)},
        {"fnir", RateToJson(op.fnir)},
        {"differentials", DifferentialsJson(op.differentials)},
        {"fpir_max_min_ratio", r.fpir_max_min > 0 ? nlohmann::json(r.fpir_max_min) : nlohmann::json(nullptr)},
        {"fpir_max_min_column", r.fpir_max_min_column},
        {"fpir_ratio_undefined_in_some_column", r.fpir_ratio_undefined_somewhere},
        {"max_ratio_aim", r.options.max_ratio_aim}}},
      {"lowest_equitable_threshold", OptionalJson(r.lowest_equitable)},
      {"lowest_equitable_threshold_fpir", OptionalJson(r.lowest_equitable_fpir)},
      {"lowest_equitable_threshold_fnir", OptionalJson(r.lowest_equitable_fnir)},
      {"thresholds", rows},
  };
}

namespace {

// One table per column and rate: rows = thresholds, columns = groups.
void ColumnTable(std::ostringstream& h, const EquitabilityReport& r, const std::string& column, const std::string& rate) {
  std::vector<std::string> groups;
  for (const auto& row : r.rows) {
    for (const auto& d : row.differentials) {
      if (d.column != column || d.rate != rate) continue;
      for (const auto& g : d.groups) {
        if (std::find(groups.begin(), groups.end(), g.group) == groups.end()) groups.push_back(g.group);
      }
    }
  }
  if (groups.empty()) return;
  h << "<h3>" << (rate == "fnir" ? "FNIR" : "FPIR") << " by " << EscapeHtml(column) << "</h3>\n<table><tr><th>threshold</th>";
  for (const auto& g : groups) h << "<th>" << EscapeHtml(g) << "</th>";
  h << "<th>significant differences</th></tr>\n";
  for (const auto& row : r.rows) {
    h << "<tr><td>" << Fixed(row.threshold, 2) << "</td>";
    const Differential* d = nullptr;
    for (const auto& x : row.differentials) {
      if (x.column == column && x.rate == rate) d = &x;
    }
    std::vector<std::string> marked;
    std::string text;
    for (const auto& x : row.differences) {
      if (x.column != column || x.rate != rate) continue;
      marked.push_back(x.higher);
      marked.push_back(x.lower);
      text += (text.empty() ? "" : "; ") + EscapeHtml(x.higher) + " &gt; " + EscapeHtml(x.lower);
    }
    for (const auto& g : groups) {
      const GroupRate* gr = nullptr;
      if (d) {
        for (const auto& x : d->groups) {
          if (x.group == g) gr = &x;
        }
      }
      const bool mark = std::find(marked.begin(), marked.end(), g) != marked.end();
      h << "<td" << (mark ? " class=\"diff\"" : "") << ">" << (gr ? EscapeHtml(RateCell(gr->rate)) : "—")
        << (gr && gr->rate.trials < r.options.min_searches ? " *" : "") << "</td>";
    }
    h << "<td>" << (text.empty() ? "none" : text) << "</td></tr>\n";
  }
  h << "</table>\n";
}

void OperatingTable(std::ostringstream& h, const Differential& d) {
  h << "<tr><td>" << (d.rate == "fnir" ? "FNIR" : "FPIR") << " by " << EscapeHtml(d.column) << "</td><td>";
  for (const auto& g : d.groups) {
    h << "<div>" << EscapeHtml(g.group) << ": " << EscapeHtml(RateCell(g.rate))
      << (g.resolvable ? "" : " <span class=\"note\">(" + EscapeHtml(g.note) + ")</span>") << "</div>";
  }
  h << "</td><td>" << (d.max_min > 0 ? Fixed(d.max_min, 2) : "undefined") << "</td></tr>\n";
}

}  // namespace

std::string RenderEquitabilityHtml(const EquitabilityReport& r, const ReportDescription& d) {
  std::ostringstream h;
  const OperatingPoint& op = r.operating;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" << EscapeHtml(d.title)
    << "</title>\n<style>\n"
       "body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;color:#111;line-height:1.4}\n"
       "table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.85em}\n"
       "th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}\n"
       "th{background:#eee}td.diff{background:#fde2e2;font-weight:bold}\n"
       ".note{color:#555;font-size:.9em}.warn{border:2px solid #b00;padding:.5em 1em;background:#fff4f4}\n"
       ".aim-met{color:#060;font-weight:bold}.aim-not{color:#b00;font-weight:bold}\n"
       "figure{margin:1em 0;page-break-inside:avoid}figure svg{max-width:100%;height:auto}\n"
       "@media print{body{max-width:none;margin:0}h2{page-break-before:auto}table{page-break-inside:auto}"
       "tr{page-break-inside:avoid}}\n</style></head><body>\n";
  h << "<h1>" << EscapeHtml(d.title) << "</h1>\n";
  h << "<p class=\"note\">" << EscapeHtml(d.date) << " · OpenLFR " << EscapeHtml(d.version) << "</p>\n";
  if (!d.recogniser_licence.empty()) {
    h << "<p class=\"warn\">Recogniser <b>" << EscapeHtml(d.recogniser) << "</b>, licence: "
      << EscapeHtml(d.recogniser_licence) << "</p>\n";
  }

  h << "<h2>Summary</h2>\n<ul>\n";
  h << "<li>Watchlist of <b>" << r.watchlist_size << "</b>; " << r.mated_searches << " searches of people on it, "
    << r.nonmated_searches << " of people not on it.</li>\n";
  if (op.choice.resolvable) {
    h << "<li>Threshold for a false positive identification rate (FPIR) of " << EscapeHtml(FormatRate(op.target_fpir))
      << " at this watchlist size: <b>" << Fixed(op.choice.threshold, 3) << "</b>. There, FPIR "
      << EscapeHtml(RateCell(op.choice.achieved)) << " and FNIR " << EscapeHtml(RateCell(op.fnir)) << ".</li>\n";
  } else {
    h << "<li>An FPIR of " << EscapeHtml(FormatRate(op.target_fpir)) << " cannot be resolved with "
      << r.nonmated_searches << " non-mated searches: more data is needed for this operating point.</li>\n";
  }
  h << "<li>Largest max/min FPIR ratio between groups at that threshold: ";
  if (r.fpir_max_min > 0) {
    const bool met = r.fpir_max_min <= r.options.max_ratio_aim;
    h << "<b>" << Fixed(r.fpir_max_min, 2) << "</b> (by " << EscapeHtml(r.fpir_max_min_column) << "); aim ≤ "
      << Fixed(r.options.max_ratio_aim, 1) << ": <span class=\"" << (met ? "aim-met\">met" : "aim-not\">not met")
      << "</span>";
    if (r.fpir_ratio_undefined_somewhere) h << " (in another column a group had no false positive, so its ratio is undefined)";
  } else {
    h << "<b>undefined</b>: a group had no false positive at this threshold, or there are fewer than two groups; "
         "see the per-group rates and their intervals below";
  }
  h << ".</li>\n";
  h << "<li>Lowest threshold from which no group differs significantly: <b>" << ThresholdText(r.lowest_equitable)
    << "</b> (FPIR alone: " << ThresholdText(r.lowest_equitable_fpir) << "; FNIR alone: "
    << ThresholdText(r.lowest_equitable_fnir) << "), over thresholds " << Fixed(r.options.thresholds.front(), 2)
    << "–" << Fixed(r.options.thresholds.back(), 2) << ".</li>\n";
  h << "<li>Rank-1 identification rate (no threshold): " << EscapeHtml(RateCell(r.rank1)) << ".</li>\n</ul>\n";

  h << "<h2>What was measured</h2>\n<table>\n";
  h << "<tr><th>data</th><td>" << EscapeHtml(d.data) << "</td></tr>\n";
  h << "<tr><th>protocol</th><td>" << EscapeHtml(d.protocol) << "</td></tr>\n";
  h << "<tr><th>detector</th><td>" << EscapeHtml(d.detector) << "</td></tr>\n";
  h << "<tr><th>recogniser</th><td>" << EscapeHtml(d.recogniser) << "</td></tr>\n";
  for (const auto& n : d.notes) h << "<tr><th>note</th><td>" << EscapeHtml(n) << "</td></tr>\n";
  h << "<tr><th>command</th><td><code>" << EscapeHtml(d.command) << "</code></td></tr>\n</table>\n";

  h << "<h2>At the operating threshold</h2>\n";
  if (op.choice.resolvable) {
    h << "<p>Threshold " << Fixed(op.choice.threshold, 3) << " (FPIR target " << EscapeHtml(FormatRate(op.target_fpir))
      << ").</p>\n<table><tr><th>rate</th><th>per group: rate [95 % interval] (events/searches)</th><th>max/min</th></tr>\n";
    for (const auto& x : op.differentials) OperatingTable(h, x);
    h << "</table>\n";
  } else {
    h << "<p>Not resolvable with this data (see the summary).</p>\n";
  }

  h << "<h2>Rates per group over thresholds</h2>\n<p>Each cell: rate [95 % Clopper-Pearson interval] "
       "(events/searches). Highlighted: a group whose interval does not overlap another's (a significant "
       "difference). * fewer than "
    << r.options.min_searches << " searches: shown, not compared.</p>\n";
  h << "<table><tr><th>threshold</th><th>FNIR (all)</th><th>FPIR (all)</th><th>groups differ</th></tr>\n";
  for (const auto& row : r.rows) {
    h << "<tr><td>" << Fixed(row.threshold, 2) << "</td><td>" << EscapeHtml(RateCell(row.fnir)) << "</td><td>"
      << EscapeHtml(RateCell(row.fpir)) << "</td><td>"
      << (row.fnir_differs() || row.fpir_differs()
              ? std::string(row.fnir_differs() ? "FNIR " : "") + (row.fpir_differs() ? "FPIR" : "")
              : std::string("no"))
      << "</td></tr>\n";
  }
  h << "</table>\n";
  std::vector<std::pair<std::string, std::string>> tables;
  if (!r.rows.empty()) {
    for (const auto& x : r.rows.front().differentials) tables.emplace_back(x.column, x.rate);
  }
  for (const auto& [column, rate] : tables) ColumnTable(h, r, column, rate);

  h << "<h2>DET curves per group</h2>\n";
  if (r.dets.empty()) {
    h << "<p>No column labels both searches of people on the watchlist and of people not on it, so no "
         "per-group DET can be drawn.</p>\n";
  }
  for (const auto& gd : r.dets) {
    h << "<figure>" << InlineSvg(RenderDetSvg(gd.series, DetOptions(gd.column, r.watchlist_size)))
      << "<figcaption>DET by " << EscapeHtml(gd.column) << " (also det-" << EscapeHtml(FileSafe(gd.column))
      << ".png/.svg).";
    for (const auto& l : gd.left_out) h << " Not drawn: " << EscapeHtml(l) << ".";
    h << "</figcaption></figure>\n";
  }

  h << "<h2>Method</h2>\n<ul>\n"
       "<li>FNIR: share of searches of people on the watchlist where the person was not the top candidate "
       "at or above the threshold (faces not found count as misses). FPIR: share of searches of people not "
       "on the watchlist whose top candidate scored at or above the threshold.</li>\n"
       "<li>Intervals: 95 % Clopper-Pearson (exact binomial). Two groups are called significantly different "
       "when their intervals do not overlap, a conservative test a reader can check in the tables. Groups "
       "named \"unknown\" are shown, not compared.</li>\n"
       "<li>The lowest equitable threshold is the lowest threshold in the range at and above which no two "
       "groups of any column differ significantly. With little data, differences cannot be resolved, so this "
       "says as much about the data's size as about the system: see each group's number of searches.</li>\n"
       "<li>FPIR grows with the watchlist: the operating threshold holds for a watchlist of "
    << r.watchlist_size << " only.</li>\n</ul>\n</body></html>\n";
  return h.str();
}

Status WriteEquitabilityReport(const std::filesystem::path& dir, const EquitabilityReport& r,
                               const ReportDescription& d) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": cannot create the report folder: " + ec.message());
  auto write = [](const std::filesystem::path& p, const std::string& text) -> Status {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::IOError(p.string() + ": cannot write");
    return Status::Ok();
  };
  for (const auto& gd : r.dets) {
    Status s = WriteDetPlots(dir / ("det-" + FileSafe(gd.column)), gd.series, DetOptions(gd.column, r.watchlist_size));
    if (!s.ok()) return s;
  }
  if (Status s = write(dir / "report.json", EquitabilityJson(r, d).dump(1) + "\n"); !s.ok()) return s;
  return write(dir / "index.html", RenderEquitabilityHtml(r, d));
}

}  // namespace lfr::eval
