// BuildReport on hand-made inputs with known answers, the three renderings, and
// GatherReportInput against an in-test Store.
#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "report/charts.h"
#include "report/test_samples.h"

namespace lfr::report {
namespace {

using testing::SampleInput;
using testing::Utc;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// ---- Figures -------------------------------------------------------------------------

TEST(ReportFiguresTest, CountsEveryStateAndOutcome) {
  const DeploymentReport r = BuildReport(SampleInput());
  EXPECT_EQ(r.alerts.total, 6);
  EXPECT_EQ(r.alerts.confirmed_true, 2);
  EXPECT_EQ(r.alerts.confirmed_false, 2);
  EXPECT_EQ(r.alerts.no_action, 1);
  EXPECT_EQ(r.alerts.pending, 1);
  EXPECT_EQ(r.alerts.engagements, 3);  // arrested + engaged + nfa
  EXPECT_EQ(r.alerts.arrests, 1);
  EXPECT_EQ(r.alerts.no_further_action, 1);
  EXPECT_EQ(r.faces_seen, 3600);
  EXPECT_EQ(r.watchlist_size, 10);
  ASSERT_TRUE(r.false_alert_rate.has_value());
  EXPECT_DOUBLE_EQ(*r.false_alert_rate, 2.0 / 3600.0);
  // Composition: most entries first.
  ASSERT_EQ(r.composition.size(), 3u);
  EXPECT_EQ(r.composition[0].category, "wanted: theft");
  EXPECT_EQ(r.composition[2].category, "missing person");
  // Details: the public ones, with the actual end of a deployment that ran.
  EXPECT_EQ(r.deployment.ended_ms, Utc(2026, 12, 5, 22, 50));
  EXPECT_FALSE(r.deployment.cancelled);
}

TEST(ReportFiguresTest, PerCameraFiguresAddUpToTheTotals) {
  const DeploymentReport r = BuildReport(SampleInput());
  ASSERT_EQ(r.cameras.size(), 3u);
  EXPECT_EQ(r.cameras[0].name, "gate-a");
  EXPECT_EQ(r.cameras[0].faces_seen, 1500);
  EXPECT_EQ(r.cameras[0].alerts.total, 3);
  EXPECT_EQ(r.cameras[0].alerts.confirmed_true, 2);
  EXPECT_FALSE(r.cameras[0].records_footage);
  EXPECT_EQ(r.cameras[1].name, "gate-b");
  EXPECT_EQ(r.cameras[1].position, "Stadium gate 3");
  EXPECT_EQ(r.cameras[1].faces_seen, 2000);
  EXPECT_EQ(r.cameras[1].alerts.pending, 1);
  EXPECT_TRUE(r.cameras[1].records_footage);
  // A camera removed from the list still has its alert and counts reported.
  EXPECT_EQ(r.cameras[2].name, "gate-c");
  EXPECT_FALSE(r.cameras[2].listed);
  EXPECT_EQ(r.cameras[2].alerts.confirmed_false, 1);
  int64_t faces = 0, alerts = 0, false_alerts = 0, engagements = 0;
  for (const auto& c : r.cameras) {
    faces += c.faces_seen;
    alerts += c.alerts.total;
    false_alerts += c.alerts.confirmed_false;
    engagements += c.alerts.engagements;
    EXPECT_EQ(c.alerts.total, c.alerts.confirmed_true + c.alerts.confirmed_false + c.alerts.no_action +
                                   c.alerts.pending);
  }
  EXPECT_EQ(faces, r.faces_seen);
  EXPECT_EQ(alerts, r.alerts.total);
  EXPECT_EQ(false_alerts, r.alerts.confirmed_false);
  EXPECT_EQ(engagements, r.alerts.engagements);
}

TEST(ReportFiguresTest, FalseAlertRateIsAbsentWithNoFacesSeen) {
  ReportInput in = SampleInput();
  in.faces_seen.clear();
  const DeploymentReport r = BuildReport(in);
  EXPECT_EQ(r.faces_seen, 0);
  EXPECT_EQ(r.alerts.confirmed_false, 2);
  EXPECT_FALSE(r.false_alert_rate.has_value());
  EXPECT_NE(RenderReportCsv(r).find("results,,false_alert_rate,n/a\r\n"), std::string::npos);
  EXPECT_NE(RenderReportHtml(r).find("<td>n/a</td>"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::parse(RenderReportJson(r))["false_alert_rate"].is_null());
  // Faces seen but no false alerts: a real zero, not n/a.
  in = SampleInput();
  in.alerts.clear();
  const DeploymentReport none = BuildReport(in);
  ASSERT_TRUE(none.false_alert_rate.has_value());
  EXPECT_EQ(*none.false_alert_rate, 0.0);
  EXPECT_NE(RenderReportHtml(none).find("0% (none in 3,600)"), std::string::npos);
}

TEST(ReportFiguresTest, TimelineBucketsCoverTheDeployment) {
  const DeploymentReport r = BuildReport(SampleInput());
  // 18:05-22:50 is 285 minutes: 5-minute buckets would need 58, so 10 minutes, from 18:00.
  EXPECT_EQ(r.period_start_ms, Utc(2026, 12, 5, 18, 5));
  EXPECT_EQ(r.period_end_ms, Utc(2026, 12, 5, 22, 50));
  EXPECT_EQ(r.bucket_ms, 10 * kMinute);
  ASSERT_EQ(r.timeline.size(), 29u);  // 18:00, 18:10, ..., 22:40
  EXPECT_EQ(r.timeline.front().start_ms, Utc(2026, 12, 5, 18, 0));
  EXPECT_EQ(r.timeline.back().start_ms, Utc(2026, 12, 5, 22, 40));
  for (size_t k = 1; k < r.timeline.size(); ++k) {
    EXPECT_EQ(r.timeline[k].start_ms - r.timeline[k - 1].start_ms, r.bucket_ms);
  }
  EXPECT_EQ(r.timeline[1].alerts.total, 2);  // 18:12 and 18:14
  EXPECT_EQ(r.timeline[1].alerts.confirmed_true, 1);
  EXPECT_EQ(r.timeline[1].faces_seen, 1000);
  EXPECT_EQ(r.timeline[10].faces_seen, 2000);  // 19:40
  EXPECT_EQ(r.timeline[10].alerts.no_action, 1);
  EXPECT_EQ(r.timeline[28].alerts.confirmed_true, 1);  // 22:49
  int64_t alerts = 0, faces = 0;
  for (const auto& b : r.timeline) {
    alerts += b.alerts.total;
    faces += b.faces_seen;
  }
  EXPECT_EQ(alerts, r.alerts.total);
  EXPECT_EQ(faces, r.faces_seen);
}

TEST(ReportFiguresTest, BucketLengthFollowsTheDeploymentLength) {
  ReportInput in = SampleInput();
  in.alerts.clear();
  in.faces_seen.clear();
  struct Case {
    int64_t start, end, bucket;
    size_t buckets;
  };
  const int64_t t0 = Utc(2026, 12, 5, 18, 0);
  const Case cases[] = {
      {t0, t0 + 30 * kMinute, kMinute, 30},
      {t0 + 7 * kMinute, t0 + 52 * kMinute, kMinute, 45},
      {t0, t0 + 3 * kHour, 5 * kMinute, 36},
      {t0, t0 + 3 * kDay, 2 * kHour, 36},
      {t0, t0 + 20 * kDay, 12 * kHour, 41},  // from 12:00 on day 0 to 18:00 on day 20
      {t0, t0 + 30 * kDay, kDay, 31},        // 12 hours would need 61; 31 UTC days touched
  };
  for (const auto& c : cases) {
    in.deployment.started_ms = c.start;
    in.deployment.closed_ms = c.end;
    const DeploymentReport r = BuildReport(in);
    EXPECT_EQ(r.bucket_ms, c.bucket) << (c.end - c.start) / kMinute << " minutes";
    EXPECT_EQ(r.timeline.size(), c.buckets) << (c.end - c.start) / kMinute << " minutes";
    EXPECT_LE(r.timeline.size(), static_cast<size_t>(kMaxTimelineBuckets));
    EXPECT_LE(r.timeline.front().start_ms, c.start);
    EXPECT_GE(r.timeline.back().start_ms + r.bucket_ms, c.end);
  }
  // A long deployment: whole weeks, still at most kMaxTimelineBuckets.
  in.deployment.started_ms = t0;
  in.deployment.closed_ms = t0 + 400 * kDay;
  const DeploymentReport year = BuildReport(in);
  EXPECT_EQ(year.bucket_ms % (7 * kDay), 0);
  EXPECT_LE(year.timeline.size(), static_cast<size_t>(kMaxTimelineBuckets));
}

TEST(ReportFiguresTest, PeriodFollowsStatusAndWidensToTheData) {
  ReportInput in = SampleInput();
  // Active: runs to the report time.
  in.deployment.status = DeploymentStatus::kActive;
  in.deployment.closed_ms = 0;
  in.generated_ms = Utc(2026, 12, 5, 20, 30);
  in.alerts.resize(4);  // up to 20:01
  in.faces_seen.pop_back();
  DeploymentReport r = BuildReport(in);
  EXPECT_EQ(r.period_end_ms, Utc(2026, 12, 5, 20, 30));
  EXPECT_EQ(r.deployment.ended_ms, 0);
  // An alert stamped before the recorded start still lands in a bucket.
  in.alerts[0].time_ms = Utc(2026, 12, 5, 17, 58);
  r = BuildReport(in);
  EXPECT_EQ(r.period_start_ms, Utc(2026, 12, 5, 17, 58));
  EXPECT_LE(r.timeline.front().start_ms, Utc(2026, 12, 5, 17, 58));
  int64_t alerts = 0;
  for (const auto& b : r.timeline) alerts += b.alerts.total;
  EXPECT_EQ(alerts, 4);
  // Closed before it started: cancelled, planned window, nothing ended.
  in = SampleInput();
  in.deployment.started_ms = 0;
  in.alerts.clear();
  in.faces_seen.clear();
  r = BuildReport(in);
  EXPECT_TRUE(r.deployment.cancelled);
  EXPECT_EQ(r.deployment.ended_ms, 0);
  EXPECT_EQ(r.period_start_ms, Utc(2026, 12, 5, 18, 0));
  EXPECT_EQ(r.period_end_ms, Utc(2026, 12, 5, 23, 0));
}

TEST(ReportFiguresTest, ThresholdAndCalibratedFpir) {
  ReportInput in = SampleInput();  // "0.3", toy table: FMR(0.3) = 0.01, N = 10
  DeploymentReport r = BuildReport(in);
  const double fpir = 1.0 - std::pow(0.99, 10);
  ASSERT_TRUE(r.threshold.score.has_value());
  EXPECT_FLOAT_EQ(*r.threshold.score, 0.3f);
  ASSERT_TRUE(r.threshold.calibrated_fpir.has_value());
  EXPECT_NEAR(*r.threshold.calibrated_fpir, fpir, 1e-12);
  EXPECT_FALSE(r.threshold.target_fpir.has_value());
  EXPECT_EQ(r.threshold.note, "");
  EXPECT_EQ(r.threshold.calibration_provenance, "hand-made for tests");
  EXPECT_FLOAT_EQ(*r.threshold.applied_min, 0.3f);

  // A rate target resolves through the table at the watchlist size: FPIR 0.1 at N=10 needs
  // FMR <= 0.01048, first met at 0.3.
  in.deployment.spec.threshold = "fpir:1/10";
  r = BuildReport(in);
  EXPECT_DOUBLE_EQ(*r.threshold.target_fpir, 0.1);
  ASSERT_TRUE(r.threshold.score.has_value());
  EXPECT_FLOAT_EQ(*r.threshold.score, 0.3f);
  EXPECT_NEAR(*r.threshold.calibrated_fpir, fpir, 1e-12);

  // No table: the score is still known, the FPIR is not, and the note says why.
  in = SampleInput();
  in.calibration.reset();
  in.calibration_note = "";
  r = BuildReport(in);
  EXPECT_FLOAT_EQ(*r.threshold.score, 0.3f);
  EXPECT_FALSE(r.threshold.calibrated_fpir.has_value());
  EXPECT_NE(r.threshold.note.find("no calibration table for recogniser toy"), std::string::npos);
  EXPECT_NE(RenderReportHtml(r).find("no calibration table for recogniser toy"), std::string::npos);

  // A rate target without a table: neither score nor FPIR.
  in.deployment.spec.threshold = "fpir:1/6000";
  in.calibration_note = "no calibration table for recogniser sface-2021dec (build one)";
  r = BuildReport(in);
  EXPECT_FALSE(r.threshold.score.has_value());
  EXPECT_EQ(r.threshold.note, in.calibration_note);

  // An unreadable threshold and an empty watchlist are notes, not crashes.
  in = SampleInput();
  in.deployment.spec.threshold = "high";
  EXPECT_NE(BuildReport(in).threshold.note.find("'high'"), std::string::npos);
  in = SampleInput();
  in.composition.clear();
  r = BuildReport(in);
  EXPECT_FALSE(r.threshold.calibrated_fpir.has_value());
  EXPECT_NE(r.threshold.note.find("watchlist"), std::string::npos);
}

// ---- Renderings ----------------------------------------------------------------------

// RFC 4180 reader for the test: rows of fields, CRLF line ends.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quote";
  EXPECT_TRUE(rows.back().empty() && field.empty()) << "missing final CRLF";
  rows.pop_back();
  return rows;
}

// value of (section, item, metric), "<missing>" if absent.
std::string CsvValue(const std::vector<std::vector<std::string>>& rows, const std::string& section,
                     const std::string& item, const std::string& metric) {
  for (const auto& r : rows) {
    if (r.size() == 4 && r[0] == section && r[1] == item && r[2] == metric) return r[3];
  }
  return "<missing>";
}

TEST(ReportCsvTest, TidyTableWithKnownValues) {
  const auto rows = ParseCsv(RenderReportCsv(BuildReport(SampleInput())));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0], (std::vector<std::string>{"section", "item", "metric", "value"}));
  for (const auto& r : rows) ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(CsvValue(rows, "results", "", "faces_seen"), "3600");
  EXPECT_EQ(CsvValue(rows, "results", "", "alerts"), "6");
  EXPECT_EQ(CsvValue(rows, "results", "", "pending"), "1");
  EXPECT_EQ(CsvValue(rows, "results", "", "engagements"), "3");
  EXPECT_EQ(CsvValue(rows, "results", "", "false_alert_rate"), "0.000555556");  // 2 / 3600, 6 figures
  EXPECT_EQ(CsvValue(rows, "deployment", "", "started"), "2026-12-05T18:05:00Z");
  EXPECT_EQ(CsvValue(rows, "watchlist", "wanted: violence", "entries"), "3");
  EXPECT_EQ(CsvValue(rows, "camera", "gate-b", "faces_seen"), "2000");
  EXPECT_EQ(CsvValue(rows, "camera", "gate-c", "listed"), "no");
  EXPECT_EQ(CsvValue(rows, "timeline", "2026-12-05T18:10:00Z", "alerts"), "2");
  EXPECT_EQ(CsvValue(rows, "threshold", "", "target_fpir"), "n/a");
  // Per-camera rows add up to the results row.
  int64_t faces = 0;
  for (const auto& r : rows) {
    if (r[0] == "camera" && r[2] == "faces_seen") faces += std::stoll(r[3]);
  }
  EXPECT_EQ(faces, 3600);
}

TEST(ReportCsvTest, QuotesCommasQuotesAndNewlinesAndDefusesFormulas) {
  ReportInput in = SampleInput();
  in.deployment.spec.location = "Queen St, \"North\" gate\nCardiff";
  in.cameras[0].name = "=HYPERLINK(\"http://x\")";
  for (auto& a : in.alerts) {
    if (a.camera == "gate-a") a.camera = in.cameras[0].name;
  }
  for (auto& f : in.faces_seen) {
    if (f.camera == "gate-a") f.camera = in.cameras[0].name;
  }
  const std::string csv = RenderReportCsv(BuildReport(in));
  EXPECT_NE(csv.find("deployment,,location,\"Queen St, \"\"North\"\" gate\nCardiff\"\r\n"), std::string::npos);
  const auto rows = ParseCsv(csv);
  for (const auto& r : rows) ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(CsvValue(rows, "deployment", "", "location"), "Queen St, \"North\" gate\nCardiff");
  // The formula comes back as text with a leading quote, and its figures are intact.
  EXPECT_EQ(CsvValue(rows, "camera", "'=HYPERLINK(\"http://x\")", "faces_seen"), "1500");
  for (const auto& r : rows) EXPECT_NE(r[1].rfind("=", 0), 0u) << r[1];
}

TEST(ReportJsonTest, CarriesTheFiguresWithNullsForAbsentValues) {
  ReportInput in = SampleInput();
  in.deployment.spec.threshold = "fpir:1/10";
  const auto j = nlohmann::json::parse(RenderReportJson(BuildReport(in)));
  EXPECT_EQ(j["format"], "openlfr.deployment-report/1");
  EXPECT_EQ(j["deployment"]["status"], "closed");
  EXPECT_EQ(j["deployment"]["started_utc"], "2026-12-05T18:05:00Z");
  EXPECT_EQ(j["deployment"]["notice_published_ms"], Utc(2026, 11, 28, 12, 0));
  EXPECT_EQ(j["faces_seen"], 3600);
  EXPECT_EQ(j["alerts"]["total"], 6);
  EXPECT_EQ(j["alerts"]["confirmed_false"], 2);
  EXPECT_DOUBLE_EQ(j["false_alert_rate"].get<double>(), 2.0 / 3600.0);
  EXPECT_EQ(j["watchlist"]["size"], 10);
  EXPECT_EQ(j["watchlist"]["by_category"][0]["category"], "wanted: theft");
  EXPECT_EQ(j["threshold"]["configured"], "fpir:1/10");
  EXPECT_NEAR(j["threshold"]["score"].get<double>(), 0.3, 1e-6);
  EXPECT_EQ(j["cameras"].size(), 3u);
  EXPECT_EQ(j["cameras"][2]["listed"], false);
  EXPECT_EQ(j["timeline"]["bucket_ms"], 10 * kMinute);
  EXPECT_EQ(j["timeline"]["buckets"].size(), 29u);
  EXPECT_EQ(j["timeline"]["buckets"][1]["alerts"]["total"], 2);
  in.deployment.status = DeploymentStatus::kActive;
  in.deployment.closed_ms = 0;
  const auto active = nlohmann::json::parse(RenderReportJson(BuildReport(in)));
  EXPECT_TRUE(active["deployment"]["ended_ms"].is_null());
}

// Standard Base64 decoding for the test.
std::vector<uint8_t> FromBase64(const std::string& s) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else break;  // '=' padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  return out;
}

TEST(ReportHtmlTest, CompletePageWithDecodableChartsAndNoScripts) {
  const std::string html = RenderReportHtml(BuildReport(SampleInput()));
  testing::ExpectSelfContainedPage(html);
  EXPECT_NE(html.find("Sat 5 Dec 2026, 18:05 GMT"), std::string::npos);
  EXPECT_NE(html.find("0.056% (1 in 1,800)"), std::string::npos);
  EXPECT_NE(html.find("3,600"), std::string::npos);
  // Four charts, each a PNG that decodes at the chart size.
  const std::string marker = "src=\"data:image/png;base64,";
  int images = 0;
  for (size_t p = html.find(marker); p != std::string::npos; p = html.find(marker, p + 1)) {
    const size_t start = p + marker.size();
    const std::vector<uint8_t> png = FromBase64(html.substr(start, html.find('"', start) - start));
    const cv::Mat img = cv::imdecode(png, cv::IMREAD_COLOR);
    ASSERT_FALSE(img.empty()) << "image " << images;
    EXPECT_EQ(img.cols, ChartOptions{}.width);
    EXPECT_EQ(img.rows, ChartOptions{}.height);
    ++images;
  }
  EXPECT_EQ(images, 4);
}

TEST(ReportHtmlTest, EscapesEveryValue) {
  ReportInput in = SampleInput();
  in.deployment.spec.name = "<script>alert('x')</script>";
  in.deployment.spec.purpose = "Tom & Jerry \"quoted\"";
  in.cameras[0].position = "<img src=x onerror=alert(1)>";
  in.composition[0].category = "<b>wanted</b>";
  const std::string html = RenderReportHtml(BuildReport(in));
  testing::ExpectSelfContainedPage(html);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("Tom &amp; Jerry &quot;quoted&quot;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("<title>Live Facial Recognition deployment results: &lt;script&gt;"), std::string::npos);
}

TEST(ReportPrivacyTest, NoRenderingCarriesPersonalData) {
  const DeploymentReport r = BuildReport(SampleInput());
  for (const std::string& out : {RenderReportJson(r), RenderReportCsv(r), RenderReportHtml(r)}) {
    testing::ExpectNoSecrets(out);
    EXPECT_NE(out.find("Superintendent A. Morgan"), std::string::npos);  // published in the notice
  }
}

TEST(ReportChartsTest, ChartsOfAReportWithoutAlertsStillRender) {
  ReportInput in = SampleInput();
  in.alerts.clear();
  in.faces_seen.clear();
  in.cameras.clear();
  auto charts = RenderReportCharts(BuildReport(in));
  ASSERT_TRUE(charts.ok()) << charts.status().ToString();
  for (const auto* png : {&charts->alerts_over_time_png, &charts->faces_over_time_png,
                          &charts->faces_per_camera_png, &charts->alerts_per_camera_png}) {
    EXPECT_FALSE(cv::imdecode(*png, cv::IMREAD_COLOR).empty());
  }
  EXPECT_NE(RenderReportHtml(BuildReport(in)).find("<p>No alerts.</p>"), std::string::npos);
}

// ---- GatherReportInput ----------------------------------------------------------------

// A Store that serves one deployment from memory, with ListAlerts' documented paging
// (newest first, id > after_id, at most limit). Methods a report must not call throw.
class FakeStore : public Store {
 public:
  Deployment deployment;
  std::vector<Camera> cameras;
  std::vector<CategoryCount> composition;
  std::vector<AlertRecord> alerts;  // any deployment
  std::vector<FacesSeenRow> faces;
  int list_alert_calls = 0;
  Status fail_cameras = Status::Ok();

  Result<Deployment> GetDeployment(int64_t id) override {
    if (id != deployment.id) return Status::NotFound("deployment " + std::to_string(id) + " not found");
    return deployment;
  }
  Result<std::vector<Camera>> ListCameras(int64_t) override {
    if (!fail_cameras.ok()) return fail_cameras;
    return cameras;
  }
  Result<std::vector<CategoryCount>> WatchlistComposition(int64_t) override { return composition; }
  Result<std::vector<AlertRecord>> ListAlerts(const AlertQuery& q) override {
    ++list_alert_calls;
    std::vector<AlertRecord> out;
    for (const auto& a : alerts) {
      if ((!q.deployment_id || a.deployment_id == *q.deployment_id) && a.id > q.after_id &&
          (!q.state || a.state == *q.state)) {
        out.push_back(a);
      }
    }
    std::sort(out.begin(), out.end(), [](const AlertRecord& a, const AlertRecord& b) { return a.id > b.id; });
    if (static_cast<int>(out.size()) > q.limit) out.resize(q.limit);
    return out;
  }
  Result<std::vector<FacesSeenRow>> FacesSeen(int64_t) override { return faces; }

  // Not for reports.
  [[noreturn]] static void Unexpected(const char* method) {
    throw std::logic_error(std::string("the report called Store::") + method);
  }
  Result<Deployment> CreateDeployment(const DeploymentSpec&, const std::string&, const Actor&) override {
    Unexpected("CreateDeployment");
  }
  Result<Deployment> UpdateDeployment(int64_t, const DeploymentSpec&, const Actor&) override {
    Unexpected("UpdateDeployment");
  }
  Result<Deployment> FindDeployment(const std::string&) override { Unexpected("FindDeployment"); }
  Result<std::vector<Deployment>> ListDeployments() override { Unexpected("ListDeployments"); }
  Status PublishNotice(int64_t, const std::string&, const Actor&) override { Unexpected("PublishNotice"); }
  Result<std::vector<NoticeRevision>> ListNoticeRevisions(int64_t) override { Unexpected("ListNoticeRevisions"); }
  Result<Deployment> StartDeployment(int64_t, const Actor&, const std::string&) override {
    Unexpected("StartDeployment");
  }
  Result<CloseReport> CloseDeployment(int64_t, const Actor&) override { Unexpected("CloseDeployment"); }
  Result<Camera> AddCamera(const Camera&, const Actor&) override { Unexpected("AddCamera"); }
  Status RemoveCamera(int64_t, const Actor&) override { Unexpected("RemoveCamera"); }
  Result<WatchlistEntry> AddWatchlistEntry(const WatchlistEntryInput&, const Actor&) override {
    Unexpected("AddWatchlistEntry");
  }
  Result<std::vector<WatchlistEntry>> ListWatchlist(int64_t, bool) override { Unexpected("ListWatchlist"); }
  Result<WatchlistEntry> GetWatchlistEntry(int64_t) override { Unexpected("GetWatchlistEntry"); }
  Result<SecretBytes> GetEntryImage(int64_t, const Actor&) override { Unexpected("GetEntryImage"); }
  Result<std::vector<EntryEmbedding>> LoadEmbeddings(int64_t, const Actor&) override {
    Unexpected("LoadEmbeddings");
  }
  Status RemoveWatchlistEntry(int64_t, const Actor&) override { Unexpected("RemoveWatchlistEntry"); }
  Result<AlertRecord> RecordAlert(const AlertInput&, const Actor&) override { Unexpected("RecordAlert"); }
  Result<AlertRecord> GetAlert(int64_t) override { Unexpected("GetAlert"); }
  Result<SecretBytes> GetAlertMedia(int64_t, AlertMedia, const Actor&) override { Unexpected("GetAlertMedia"); }
  Result<AlertRecord> DecideAlert(int64_t, const AlertDecision&, const Actor&) override {
    Unexpected("DecideAlert");
  }
  Result<AlertRecord> CorrectAlertDecision(int64_t, const AlertDecision&, const std::string&,
                                           const Actor&) override {
    Unexpected("CorrectAlertDecision");
  }
  Status AddFacesSeen(int64_t, const std::string&, int64_t, int64_t) override { Unexpected("AddFacesSeen"); }
  Result<PurgeCounts> PurgeAlertData(int64_t, const Actor&) override { Unexpected("PurgeAlertData"); }
  Status Audit(const Actor&, const std::string&, const std::string&, const std::string&) override {
    Unexpected("Audit");
  }
  Result<std::vector<AuditEvent>> ListAudit(int64_t, int) override { Unexpected("ListAudit"); }
  Result<std::vector<AuditEvent>> ListAudit(const AuditQuery&) override { Unexpected("ListAudit"); }
  Result<AuditVerification> VerifyAudit() override { Unexpected("VerifyAudit"); }
  Result<User> CreateUser(const std::string&, Role, const std::string&, const Actor&) override {
    Unexpected("CreateUser");
  }
  Result<User> GetUser(const std::string&) override { Unexpected("GetUser"); }
  Result<std::vector<User>> ListUsers() override { Unexpected("ListUsers"); }
  Status UpdateUser(const User&, const Actor&) override { Unexpected("UpdateUser"); }
};

FakeStore SampleStore() {
  const ReportInput in = SampleInput();
  FakeStore store;
  store.deployment = in.deployment;
  store.cameras = in.cameras;
  store.composition = in.composition;
  store.alerts = in.alerts;
  store.faces = in.faces_seen;
  return store;
}

TEST(ReportGatherTest, ReadsEveryAlertHoweverManyAndMatchesBuildFromTheSameData) {
  FakeStore store = SampleStore();
  // 5000 more alerts (more than one ListAlerts page), interleaved with another deployment's.
  const int64_t t0 = Utc(2026, 12, 5, 19, 0);
  for (int64_t k = 0; k < 10000; ++k) {
    AlertRecord a = testing::Alert(100 + k, "gate-b", t0 + (k % 600) * 1000, AlertState::kConfirmedFalse,
                                   AlertOutcome::kNone);
    a.deployment_id = (k % 2 == 0) ? 7 : 8;
    store.alerts.push_back(a);
  }
  auto in = GatherReportInput(store, 7, Utc(2026, 12, 6, 9, 30));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_GE(store.list_alert_calls, 2);
  EXPECT_EQ(in->alerts.size(), 6u + 5000u);
  EXPECT_TRUE(std::is_sorted(in->alerts.begin(), in->alerts.end(), [](const AlertRecord& a, const AlertRecord& b) {
    return a.time_ms < b.time_ms;
  }));
  EXPECT_EQ(in->generated_ms, Utc(2026, 12, 6, 9, 30));
  EXPECT_EQ(in->deployment.spec.name, "Cardiff-2026-12-05-Principality");
  EXPECT_EQ(in->cameras.size(), 2u);
  EXPECT_EQ(in->faces_seen.size(), 4u);
  const DeploymentReport r = BuildReport(*in);
  EXPECT_EQ(r.alerts.total, 5006);
  EXPECT_EQ(r.alerts.confirmed_false, 5002);
  EXPECT_EQ(r.cameras[1].alerts.total, 5002);
}

TEST(ReportGatherTest, LooksUpTheRecognisersCalibrationOrSaysWhyNot) {
  unsetenv("LFR_CALIBRATION_DIR");
  FakeStore store = SampleStore();
  store.deployment.recogniser_id = "mobilefacenet-arcface";  // has a built-in table
  auto in = GatherReportInput(store, 7, 0);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  ASSERT_TRUE(in->calibration.has_value());
  EXPECT_EQ(in->calibration->model_id(), "mobilefacenet-arcface");
  EXPECT_TRUE(BuildReport(*in).threshold.calibrated_fpir.has_value());

  store.deployment.recogniser_id = "no-such-recogniser";
  in = GatherReportInput(store, 7, 0);
  ASSERT_TRUE(in.ok());
  EXPECT_FALSE(in->calibration.has_value());
  EXPECT_NE(in->calibration_note.find("no-such-recogniser"), std::string::npos) << in->calibration_note;

  store.deployment.recogniser_id = "";
  in = GatherReportInput(store, 7, 0);
  ASSERT_TRUE(in.ok());
  EXPECT_NE(in->calibration_note.find("no recogniser"), std::string::npos);
}

TEST(ReportGatherTest, ErrorsKeepTheStoresCodeAndNameTheDeployment) {
  FakeStore store = SampleStore();
  auto missing = GatherReportInput(store, 99, 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "report for deployment 99: deployment 99 not found");

  store.fail_cameras = Status::IOError("disk I/O error");
  auto io = GatherReportInput(store, 7, 0);
  EXPECT_EQ(io.status().code(), Status::Code::kIOError);
  EXPECT_NE(io.status().message().find("report for deployment 7: disk I/O error"), std::string::npos);

  // A store that hands back another deployment's counts is a bug, not a report.
  store = SampleStore();
  store.faces[0].deployment_id = 8;
  auto wrong = GatherReportInput(store, 7, 0);
  EXPECT_EQ(wrong.status().code(), Status::Code::kInternal);
}

}  // namespace
}  // namespace lfr::report
