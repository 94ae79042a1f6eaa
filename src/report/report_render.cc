// The renderers of report.h: JSON, CSV, charts and HTML.
#include <cstdio>
#include <sstream>

#include "report/charts.h"
#include "report/format.h"
#include "report/report.h"
#include "util/escape.h"

namespace lfr::report {
namespace {

using internal::Grouped;
using internal::IsoUtc;

// The alert figures, in the order every rendering lists them.
struct CountField {
  const char* key;    // JSON key and CSV metric
  const char* label;  // what people read
  int64_t AlertCounts::*member;
};
const CountField kCountFields[] = {
    {"alerts", "Alerts", &AlertCounts::total},
    {"confirmed_true", "Confirmed true alerts", &AlertCounts::confirmed_true},
    {"confirmed_false", "Confirmed false alerts", &AlertCounts::confirmed_false},
    {"no_action", "Alerts with no action", &AlertCounts::no_action},
    {"pending", "Pending (undecided) alerts", &AlertCounts::pending},
    {"engagements", "Engagements", &AlertCounts::engagements},
    {"arrests", "Arrests", &AlertCounts::arrests},
    {"no_further_action", "Engaged, no further action", &AlertCounts::no_further_action},
};

// The deployment's public details (besides id and status), in the order every rendering
// lists them: JSON keys (times as <key>_ms and <key>_utc), CSV metrics and HTML rows.
struct DetailField {
  const char* key;
  const char* label;
  std::string DeploymentDetails::*text;  // a text field, or
  int64_t DeploymentDetails::*time;      // a time field (0 = unset)
  const char* unset;                     // what the HTML says for an unset time or empty text
};
const DetailField kDetailFields[] = {
    {"name", "Name", &DeploymentDetails::name, nullptr, ""},
    {"site", "Site", &DeploymentDetails::site, nullptr, ""},
    {"location", "Location", &DeploymentDetails::location, nullptr, ""},
    {"planned_start", "Planned start", nullptr, &DeploymentDetails::planned_start_ms, "not set"},
    {"planned_end", "Planned end", nullptr, &DeploymentDetails::planned_end_ms, "not set"},
    {"started", "Actual start", nullptr, &DeploymentDetails::started_ms, "not started"},
    {"ended", "Actual end", nullptr, &DeploymentDetails::ended_ms, "n/a"},
    {"purpose", "Purpose", &DeploymentDetails::purpose, nullptr, ""},
    {"legal_basis", "Legal basis", &DeploymentDetails::legal_basis, nullptr, ""},
    {"authorising_officer", "Authorising officer", &DeploymentDetails::authorising_officer, nullptr, ""},
    {"notice_published", "Advance notice published", nullptr, &DeploymentDetails::notice_published_ms, "no"},
    {"start_overridden", "Started despite", &DeploymentDetails::start_overridden, nullptr, "nothing: started by the rules"},
    {"start_override_reason", "Reason for starting anyway", &DeploymentDetails::start_override_reason, nullptr, "n/a"},
};

// The decisions the charts stack, with their colours (0xRRGGBB).
struct StateSeries {
  const char* label;
  int64_t AlertCounts::*member;
  uint32_t rgb;
};
const StateSeries kStateSeries[] = {
    {"Confirmed true", &AlertCounts::confirmed_true, 0x2ca02c},
    {"Confirmed false", &AlertCounts::confirmed_false, 0xd62728},
    {"No action", &AlertCounts::no_action, 0x8c8c8c},
    {"Pending", &AlertCounts::pending, 0xff7f0e},
};

nlohmann::json TimeJson(int64_t ms) { return ms == 0 ? nlohmann::json(nullptr) : nlohmann::json(ms); }
nlohmann::json IsoJson(int64_t ms) { return ms == 0 ? nlohmann::json(nullptr) : nlohmann::json(IsoUtc(ms)); }

template <typename T>
nlohmann::json Optional(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json CountsJson(const AlertCounts& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : kCountFields) j[std::string(f.key) == "alerts" ? "total" : f.key] = c.*f.member;
  return j;
}

nlohmann::json ThresholdJson(const ThresholdFigures& t, int64_t watchlist_size) {
  return {{"configured", t.configured},
          {"score", Optional(t.score)},
          {"target_fpir", Optional(t.target_fpir)},
          {"calibrated_fpir", Optional(t.calibrated_fpir)},
          {"watchlist_size", watchlist_size},
          {"recogniser_id", t.recogniser_id},
          {"calibration_provenance", t.calibration_provenance},
          {"applied_min", Optional(t.applied_min)},
          {"applied_max", Optional(t.applied_max)},
          {"note", t.note}};
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string StatusLabel(const DeploymentDetails& d) {
  if (d.cancelled) return "Cancelled (closed before it started)";
  switch (d.status) {
    case DeploymentStatus::kPlanned: return "Planned";
    case DeploymentStatus::kActive: return "Active";
    case DeploymentStatus::kClosed: return "Closed";
  }
  return "Unknown";
}

// ---- CSV -----------------------------------------------------------------------------

class CsvTable {
 public:
  CsvTable() { out_ << "section,item,metric,value\r\n"; }
  void Text(const char* section, const std::string& item, const char* metric, const std::string& value) {
    Row(section, item, metric, internal::CsvText(value));
  }
  void Int(const char* section, const std::string& item, const char* metric, int64_t v) {
    Row(section, item, metric, std::to_string(v));
  }
  void Real(const char* section, const std::string& item, const char* metric, const std::optional<double>& v) {
    Row(section, item, metric, v ? Number(*v) : "n/a");
  }
  void Time(const char* section, const std::string& item, const char* metric, int64_t ms) {
    Row(section, item, metric, ms == 0 ? "n/a" : IsoUtc(ms));
  }
  void Counts(const char* section, const std::string& item, const AlertCounts& c) {
    for (const auto& f : kCountFields) Int(section, item, f.key, c.*f.member);
  }
  std::string str() const { return out_.str(); }

 private:
  void Row(const char* section, const std::string& item, const char* metric, const std::string& value) {
    out_ << section << ',' << internal::CsvText(item) << ',' << metric << ',' << value << "\r\n";
  }
  std::ostringstream out_;
};

// ---- Charts --------------------------------------------------------------------------

std::string BucketLabel(const DeploymentReport& r, int64_t start_ms) {
  const int64_t day = 24LL * 3600 * 1000;
  if (r.bucket_ms >= day) return internal::UkDayMonth(start_ms);
  if (internal::SameUkDay(r.period_start_ms, r.period_end_ms - 1)) return internal::UkClock(start_ms);
  return internal::UkDayMonth(start_ms) + " " + internal::UkClock(start_ms);
}

std::string UkZones(const DeploymentReport& r) {
  const std::string a = internal::UkZone(r.period_start_ms), b = internal::UkZone(r.period_end_ms - 1);
  return a == b ? a : a + "/" + b;
}

// One stacked series per decision, over the given per-category counts.
std::vector<ChartSeries> DecisionSeries(const std::vector<const AlertCounts*>& counts) {
  std::vector<ChartSeries> series;
  for (const auto& s : kStateSeries) {
    ChartSeries cs{s.label, {}, s.rgb};
    for (const AlertCounts* c : counts) cs.values.push_back(static_cast<double>(c->*s.member));
    series.push_back(std::move(cs));
  }
  return series;
}

// ---- HTML ----------------------------------------------------------------------------

const char kCss[] = R"(
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; color: #1f1f1f; max-width: 62rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #1f1f1f; padding-bottom: .2rem; margin-top: 2rem; }
.subtitle { margin-top: 0; color: #444; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #c8c8c8; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
th[scope=row] { width: 34%; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
table.kv td.n { text-align: left; }
tr.total td, tr.total th { font-weight: 700; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; }
figcaption, .note { color: #555; font-size: .9rem; }
dt { font-weight: 600; margin-top: .4rem; }
footer { margin-top: 2rem; border-top: 1px solid #c8c8c8; padding-top: .5rem; color: #555; font-size: .85rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 10.5pt; }
  section { break-inside: avoid-page; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
)";

class Html {
 public:
  Html& Raw(std::string_view s) {
    out_ << s;
    return *this;
  }
  Html& Esc(std::string_view s) {
    out_ << EscapeHtml(s);
    return *this;
  }
  // <tr><th scope="row">label</th><td[ class="n"]>value</td></tr>
  void Row(std::string_view label, std::string_view value, bool numeric = false) {
    out_ << "<tr><th scope=\"row\">" << EscapeHtml(label) << "</th><td" << (numeric ? " class=\"n\"" : "") << '>'
         << EscapeHtml(value) << "</td></tr>\n";
  }
  void Figure(const Result<std::vector<uint8_t>>& png, std::string_view alt, std::string_view caption) {
    out_ << "<figure>";
    if (png.ok()) {
      out_ << "<img src=\"data:image/png;base64," << internal::Base64(*png) << "\" alt=\"" << EscapeHtml(alt)
           << "\">";
    } else {
      out_ << "<p class=\"note\">Chart unavailable: " << EscapeHtml(png.status().message()) << "</p>";
    }
    out_ << "<figcaption>" << EscapeHtml(caption) << "</figcaption></figure>\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::string WhenText(int64_t ms, const char* unset) { return ms == 0 ? unset : internal::UkDateTime(ms); }

std::string FpirText(const std::optional<double>& p) {
  if (!p) return "n/a";
  if (*p <= 0) return "0";
  char buf[64];
  std::snprintf(buf, sizeof(buf), " (about 1 in %s)", Grouped(std::llround(1.0 / *p)).c_str());
  return internal::Probability(*p) + buf;
}

std::string ScoreText(const std::optional<float>& s) { return s ? Number(*s) : "n/a"; }

void DetailsSection(Html& h, const DeploymentReport& r) {
  const DeploymentDetails& d = r.deployment;
  h.Raw("<section><h2>Deployment</h2><table class=\"kv\">\n");
  h.Row("Status", StatusLabel(d));
  for (const auto& f : kDetailFields) {
    if (f.text) {
      h.Row(f.label, (d.*f.text).empty() && *f.unset ? std::string(f.unset) : d.*f.text);
    } else if (f.time == &DeploymentDetails::ended_ms && d.status == DeploymentStatus::kActive) {
      h.Row(f.label, "in progress");
    } else {
      h.Row(f.label, WhenText(d.*f.time, f.unset));
    }
  }
  h.Raw("</table></section>\n");
}

void ResultsSection(Html& h, const DeploymentReport& r) {
  h.Raw("<section><h2>Results</h2><table class=\"kv\">\n");
  h.Row("Faces seen", Grouped(r.faces_seen), true);
  for (const auto& f : kCountFields) h.Row(f.label, Grouped(r.alerts.*f.member), true);
  h.Row("False alert rate (false alerts / faces seen)", internal::RateText(r.alerts.confirmed_false, r.faces_seen));
  h.Raw("</table></section>\n");
}

void WatchlistSection(Html& h, const DeploymentReport& r) {
  h.Raw("<section><h2>Watchlist</h2>\n<p>").Esc(Grouped(r.watchlist_size))
      .Raw(r.watchlist_size == 1 ? " entry" : " entries")
      .Raw(". Numbers by category only: the watchlist's names and references are not published.</p>\n");
  if (!r.composition.empty()) {
    h.Raw("<table><thead><tr><th scope=\"col\">Category</th><th scope=\"col\" class=\"n\">Entries</th></tr>"
          "</thead><tbody>\n");
    for (const auto& c : r.composition) h.Row(c.category, Grouped(c.entries), true);
    h.Raw("</tbody></table>\n");
  }
  h.Raw("</section>\n");
}

void ThresholdSection(Html& h, const DeploymentReport& r) {
  const ThresholdFigures& t = r.threshold;
  h.Raw("<section><h2>Threshold</h2><table class=\"kv\">\n");
  h.Row("As configured", t.configured);
  h.Row("Similarity threshold", ScoreText(t.score), true);
  if (t.target_fpir) h.Row("Target false positive identification rate", internal::Probability(*t.target_fpir), true);
  h.Row("Calibrated false positive identification rate at " + Grouped(r.watchlist_size) + " watchlist entries",
        FpirText(t.calibrated_fpir), true);
  if (t.applied_min) {
    h.Row("Threshold recorded on alerts", *t.applied_min == *t.applied_max
                                              ? Number(*t.applied_min)
                                              : Number(*t.applied_min) + " to " + Number(*t.applied_max));
  }
  h.Row("Recogniser", t.recogniser_id.empty() ? "not recorded" : t.recogniser_id);
  if (!t.calibration_provenance.empty()) h.Row("Calibration", t.calibration_provenance);
  h.Raw("</table>\n");
  if (!t.note.empty()) h.Raw("<p class=\"note\">").Esc(t.note).Raw("</p>\n");
  h.Raw("</section>\n");
}

void CamerasSection(Html& h, const DeploymentReport& r, const Result<ReportCharts>& charts) {
  h.Raw("<section><h2>Cameras</h2>\n<table><thead><tr><th scope=\"col\">Camera</th><th scope=\"col\">Position</th>"
        "<th scope=\"col\">Footage recorded</th><th scope=\"col\" class=\"n\">Faces seen</th>");
  for (const auto& s : kStateSeries) h.Raw("<th scope=\"col\" class=\"n\">").Esc(s.label).Raw("</th>");
  h.Raw("<th scope=\"col\" class=\"n\">Alerts</th></tr></thead><tbody>\n");
  auto row = [&](const std::string& name, const std::string& position, const std::string& footage, int64_t faces,
                 const AlertCounts& c, bool total) {
    h.Raw(total ? "<tr class=\"total\">" : "<tr>").Raw("<td>").Esc(name).Raw("</td><td>").Esc(position);
    h.Raw("</td><td>").Esc(footage).Raw("</td><td class=\"n\">").Esc(Grouped(faces)).Raw("</td>");
    for (const auto& s : kStateSeries) h.Raw("<td class=\"n\">").Esc(Grouped(c.*s.member)).Raw("</td>");
    h.Raw("<td class=\"n\">").Esc(Grouped(c.total)).Raw("</td></tr>\n");
  };
  for (const auto& c : r.cameras) {
    row(c.name, c.listed ? c.position : "(camera no longer listed)",
        c.listed ? (c.records_footage ? "yes, kept at most 31 days" : "no") : "", c.faces_seen, c.alerts, false);
  }
  row("All cameras", "", "", r.faces_seen, r.alerts, true);
  h.Raw("</tbody></table>\n");
  if (charts.ok()) {
    h.Figure(charts->faces_per_camera_png, "Bar chart of faces seen per camera; the table above lists the numbers.",
             "Faces seen per camera.");
    h.Figure(charts->alerts_per_camera_png,
             "Bar chart of alerts per camera, stacked by decision; the table above lists the numbers.",
             "Alerts per camera, by decision.");
  } else {
    h.Raw("<p class=\"note\">Charts unavailable: ").Esc(charts.status().message()).Raw("</p>\n");
  }
  h.Raw("</section>\n");
}

void TimelineSection(Html& h, const DeploymentReport& r, const Result<ReportCharts>& charts) {
  const std::string period = internal::PerDuration(r.bucket_ms);
  h.Raw("<section><h2>Over time</h2>\n<p>The reporting period runs ")
      .Esc(internal::UkWhen(r.period_start_ms, r.period_end_ms)).Raw(", shown in periods of ")
      .Esc(internal::DurationWords(r.bucket_ms)).Raw(".</p>\n");
  if (charts.ok()) {
    h.Figure(charts->alerts_over_time_png,
             "Bar chart of alerts per " + period + ", stacked by decision; the table below lists the periods with alerts.",
             "Alerts per " + period + ", by decision (UK time, start of each period).");
    h.Figure(charts->faces_over_time_png, "Line chart of faces seen per " + period + ".",
             "Faces seen per " + period + " (UK time, start of each period).");
  }
  h.Raw("<h3>Periods with alerts</h3>\n");
  bool any = false;
  for (const auto& b : r.timeline) {
    if (b.alerts.total == 0) continue;
    if (!any) {
      h.Raw("<table><thead><tr><th scope=\"col\">Period starting</th><th scope=\"col\" class=\"n\">Faces seen</th>");
      for (const auto& s : kStateSeries) h.Raw("<th scope=\"col\" class=\"n\">").Esc(s.label).Raw("</th>");
      h.Raw("<th scope=\"col\" class=\"n\">Alerts</th></tr></thead><tbody>\n");
      any = true;
    }
    h.Raw("<tr><td>").Esc(internal::UkDateTime(b.start_ms)).Raw("</td><td class=\"n\">").Esc(Grouped(b.faces_seen))
        .Raw("</td>");
    for (const auto& s : kStateSeries) h.Raw("<td class=\"n\">").Esc(Grouped(b.alerts.*s.member)).Raw("</td>");
    h.Raw("<td class=\"n\">").Esc(Grouped(b.alerts.total)).Raw("</td></tr>\n");
  }
  h.Raw(any ? "</tbody></table>\n" : "<p>No alerts.</p>\n");
  h.Raw("</section>\n");
}

const char kDefinitions[] = R"(<section><h2>Definitions</h2><dl>
<dt>Faces seen</dt><dd>Faces the system detected and tracked, counted once per person per camera pass. The system deleted the images and biometric data of faces that did not match the watchlist immediately and automatically, keeping only their number (video footage, where a camera recorded it, is kept for at most 31 days).</dd>
<dt>Alert</dt><dd>The system judged a face similar enough to a watchlist image for an officer to review.</dd>
<dt>Confirmed true / confirmed false alert</dt><dd>An officer confirmed that the alert was, or was not, the person on the watchlist.</dd>
<dt>Alert with no action</dt><dd>An officer reviewed the alert and decided not to act on it.</dd>
<dt>Pending alert</dt><dd>An alert that no officer decided before the deployment ended or this report was made.</dd>
<dt>Engagement</dt><dd>Officers spoke to the person after an alert; arrests and "no further action" outcomes are engagements too.</dd>
<dt>False alert rate</dt><dd>Confirmed false alerts divided by faces seen; n/a when no faces were seen.</dd>
<dt>False positive identification rate (FPIR)</dt><dd>The chance that a person who is not on the watchlist causes an alert, estimated for this threshold and watchlist size from the recogniser's calibration measurements.</dd>
</dl></section>
)";

}  // namespace

nlohmann::json DetailsJson(const DeploymentDetails& d) {
  nlohmann::json j = {{"id", d.id}, {"status", DeploymentStatusName(d.status)}, {"cancelled", d.cancelled}};
  for (const auto& f : kDetailFields) {
    if (f.text) {
      j[f.key] = d.*f.text;
    } else {
      j[std::string(f.key) + "_ms"] = TimeJson(d.*f.time);
      j[std::string(f.key) + "_utc"] = IsoJson(d.*f.time);
    }
  }
  return j;
}

nlohmann::json HeadlineJson(const DeploymentReport& r) {
  nlohmann::json categories = nlohmann::json::array();
  for (const auto& c : r.composition) categories.push_back({{"category", c.category}, {"entries", c.entries}});
  return {{"watchlist", {{"size", r.watchlist_size}, {"by_category", categories}}},
          {"faces_seen", r.faces_seen},
          {"alerts", CountsJson(r.alerts)},
          {"false_alert_rate", Optional(r.false_alert_rate)},
          {"threshold", ThresholdJson(r.threshold, r.watchlist_size)}};
}

std::string RenderReportJson(const DeploymentReport& r) {
  nlohmann::json j = {{"format", "openlfr.deployment-report/1"},
                      {"generated_ms", r.generated_ms},
                      {"generated_utc", IsoUtc(r.generated_ms)},
                      {"deployment", DetailsJson(r.deployment)}};
  j.update(HeadlineJson(r));
  nlohmann::json cameras = nlohmann::json::array();
  for (const auto& c : r.cameras) {
    cameras.push_back({{"name", c.name},
                       {"position", c.position},
                       {"listed", c.listed},
                       {"records_footage", c.records_footage},
                       {"faces_seen", c.faces_seen},
                       {"alerts", CountsJson(c.alerts)}});
  }
  j["cameras"] = cameras;
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& b : r.timeline) {
    buckets.push_back({{"start_ms", b.start_ms},
                       {"start_utc", IsoUtc(b.start_ms)},
                       {"faces_seen", b.faces_seen},
                       {"alerts", CountsJson(b.alerts)}});
  }
  j["timeline"] = {{"bucket_ms", r.bucket_ms},
                   {"start_ms", r.period_start_ms},
                   {"end_ms", r.period_end_ms},
                   {"buckets", buckets}};
  return j.dump(2) + "\n";
}

std::string RenderReportCsv(const DeploymentReport& r) {
  CsvTable t;
  const DeploymentDetails& d = r.deployment;
  t.Int("deployment", "", "id", d.id);
  t.Text("deployment", "", "status", d.cancelled ? "cancelled" : DeploymentStatusName(d.status));
  for (const auto& f : kDetailFields) {
    if (f.text) {
      t.Text("deployment", "", f.key, d.*f.text);
    } else {
      t.Time("deployment", "", f.key, d.*f.time);
    }
  }
  t.Time("deployment", "", "report_generated", r.generated_ms);
  t.Int("watchlist", "", "entries", r.watchlist_size);
  for (const auto& c : r.composition) t.Int("watchlist", c.category, "entries", c.entries);
  t.Int("results", "", "faces_seen", r.faces_seen);
  t.Counts("results", "", r.alerts);
  t.Real("results", "", "false_alert_rate", r.false_alert_rate);
  const ThresholdFigures& th = r.threshold;
  t.Text("threshold", "", "configured", th.configured);
  t.Real("threshold", "", "score", th.score);
  t.Real("threshold", "", "target_fpir", th.target_fpir);
  t.Real("threshold", "", "calibrated_fpir", th.calibrated_fpir);
  t.Text("threshold", "", "recogniser", th.recogniser_id);
  t.Real("threshold", "", "applied_min", th.applied_min);
  t.Real("threshold", "", "applied_max", th.applied_max);
  t.Text("threshold", "", "note", th.note);
  for (const auto& c : r.cameras) {
    t.Text("camera", c.name, "position", c.position);
    t.Text("camera", c.name, "listed", c.listed ? "yes" : "no");
    t.Text("camera", c.name, "records_footage", c.records_footage ? "yes" : "no");
    t.Int("camera", c.name, "faces_seen", c.faces_seen);
    t.Counts("camera", c.name, c.alerts);
  }
  for (const auto& b : r.timeline) {
    t.Int("timeline", IsoUtc(b.start_ms), "faces_seen", b.faces_seen);
    t.Counts("timeline", IsoUtc(b.start_ms), b.alerts);
  }
  return t.str();
}

Result<ReportCharts> RenderReportCharts(const DeploymentReport& r) {
  ReportCharts charts;
  const std::string period = internal::PerDuration(r.bucket_ms);
  ChartData time;
  std::vector<const AlertCounts*> bucket_counts;
  ChartSeries faces_in_time{"Faces seen", {}, 0x1f77b4};
  for (const auto& b : r.timeline) {
    time.categories.push_back(BucketLabel(r, b.start_ms));
    bucket_counts.push_back(&b.alerts);
    faces_in_time.values.push_back(static_cast<double>(b.faces_seen));
  }
  ChartData cameras;
  std::vector<const AlertCounts*> camera_counts;
  ChartSeries faces_per_camera{"Faces seen", {}, 0x1f77b4};
  for (const auto& c : r.cameras) {
    cameras.categories.push_back(c.name);
    camera_counts.push_back(&c.alerts);
    faces_per_camera.values.push_back(static_cast<double>(c.faces_seen));
  }
  const std::string x_time =
      "Start of each " + internal::PeriodAdjective(r.bucket_ms) + " period, UK time (" + UkZones(r) + ")";

  time.series = DecisionSeries(bucket_counts);
  auto png = RenderBarChartPng(time, {"Alerts per " + period, x_time, "Alerts", "no alerts"});
  if (!png.ok()) return Status::Internal("alerts over time: " + png.status().message());
  charts.alerts_over_time_png = std::move(png).value();

  time.series = {faces_in_time};
  png = RenderLineChartPng(time, {"Faces seen per " + period, x_time, "Faces seen", "no faces seen"});
  if (!png.ok()) return Status::Internal("faces seen over time: " + png.status().message());
  charts.faces_over_time_png = std::move(png).value();

  cameras.series = {faces_per_camera};
  png = RenderBarChartPng(cameras, {"Faces seen per camera", "Camera", "Faces seen", "no faces seen"});
  if (!png.ok()) return Status::Internal("faces seen per camera: " + png.status().message());
  charts.faces_per_camera_png = std::move(png).value();

  cameras.series = DecisionSeries(camera_counts);
  png = RenderBarChartPng(cameras, {"Alerts per camera", "Camera", "Alerts", "no alerts"});
  if (!png.ok()) return Status::Internal("alerts per camera: " + png.status().message());
  charts.alerts_per_camera_png = std::move(png).value();
  return charts;
}

std::string RenderReportHtml(const DeploymentReport& r) {
  const Result<ReportCharts> charts = RenderReportCharts(r);
  Html h;
  h.Raw("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  h.Esc("Live Facial Recognition deployment results: " + r.deployment.name);
  h.Raw("</title>\n<style>").Raw(kCss).Raw("</style>\n</head>\n<body>\n<header>\n");
  h.Raw("<h1>Live Facial Recognition deployment results</h1>\n<p class=\"subtitle\">").Esc(r.deployment.name);
  h.Raw(" &middot; ").Esc(r.deployment.location).Raw(", ").Esc(r.deployment.site).Raw("</p>\n</header>\n<main>\n");
  DetailsSection(h, r);
  ResultsSection(h, r);
  WatchlistSection(h, r);
  ThresholdSection(h, r);
  CamerasSection(h, r, charts);
  TimelineSection(h, r, charts);
  h.Raw(kDefinitions);
  h.Raw("</main>\n<footer><p>Report generated ").Esc(internal::UkDateTime(r.generated_ms));
  h.Raw(". Times are UK time (GMT or BST, as shown). This report contains no images and no personal data of "
        "the people on the watchlist or of the public.</p></footer>\n</body>\n</html>\n");
  return h.str();
}

}  // namespace lfr::report
