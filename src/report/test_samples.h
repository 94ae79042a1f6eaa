// For tests only (report/*_test.cc): hand-made deployments with known figures, seeded with
// personal-looking values (references, notes, user names, a camera URI with a password)
// that nothing published may contain.
#ifndef LFR_REPORT_TEST_SAMPLES_H_
#define LFR_REPORT_TEST_SAMPLES_H_

#include <ctime>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "report/report.h"

namespace lfr::report::testing {

// UTC milliseconds of a calendar time.
inline int64_t Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// Strings that must never appear in anything published.
inline const std::vector<std::string>& SecretStrings() {
  static const std::vector<std::string> kSecrets = {
      "PNC-0001-SECRET", "seen with a knife", "officer.jones", "supervisor.smith", "hunter2", "rtsp://"};
  return kSecrets;
}

// Fails the test if text contains any of SecretStrings().
inline void ExpectNoSecrets(const std::string& text) {
  for (const auto& secret : SecretStrings()) EXPECT_EQ(text.find(secret), std::string::npos) << secret;
}

// Fails the test unless html is a complete HTML5 page with inline CSS and no scripts or
// external resources.
inline void ExpectSelfContainedPage(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">", 0), 0u);
  EXPECT_TRUE(html.ends_with("</html>\n"));
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

// 1000 impostor comparisons; FMR(0.3) = 0.01, so FPIR(0.3, N=10) = 1 - 0.99^10.
inline const char* ToyCalibrationJson() {
  return R"({"format": 1, "model_id": "toy", "comparisons": 1000, "grid_start": 0.0, "grid_step": 0.1,
             "count_ge": [1000, 500, 100, 10, 1, 0], "provenance": "hand-made for tests"})";
}

inline AlertRecord Alert(int64_t id, const std::string& camera, int64_t time_ms, AlertState state,
                         AlertOutcome outcome) {
  AlertRecord a;
  a.id = id;
  a.deployment_id = 7;
  a.camera = camera;
  a.time_ms = time_ms;
  a.entry_id = 100 + id;
  a.subject_reference = "PNC-0001-SECRET";
  a.score = a.fused_score = 0.45f;
  a.threshold = 0.3f;
  a.state = state;
  a.outcome = outcome;
  a.note = "seen with a knife";
  a.decided_by = state == AlertState::kPending ? "" : "officer.jones";
  return a;
}

// Deployment 7, Cardiff, Saturday 5 December 2026 (GMT): planned 18:00-23:00 UTC, ran
// 18:05-22:50. Watchlist 10 entries in 3 categories. Cameras gate-a and gate-b are listed;
// gate-c was removed but has an alert and counts.
//   alerts: 1 gate-a 18:12 true/arrested   2 gate-a 18:14 false/engaged  3 gate-b 19:40 no action
//           4 gate-b 20:01 pending          5 gate-a 22:49 true/nfa       6 gate-c 21:00 false
//   faces:  gate-a 18:10 1000, 19:00 500; gate-b 19:40 2000; gate-c 21:00 100 (total 3600)
inline ReportInput SampleInput() {
  ReportInput in;
  Deployment& d = in.deployment;
  d.id = 7;
  d.spec.name = "Cardiff-2026-12-05-Principality";
  d.spec.site = "Cardiff city centre";
  d.spec.location = "Westgate Street, Principality Stadium gates";
  d.spec.planned_start_ms = Utc(2026, 12, 5, 18, 0);
  d.spec.planned_end_ms = Utc(2026, 12, 5, 23, 0);
  d.spec.purpose = "Locate people wanted for violent offences during the match.";
  d.spec.legal_basis = "Common law policing powers; SWP LFR policy v3";
  d.spec.authorising_officer = "Superintendent A. Morgan";
  d.spec.threshold = "0.3";
  d.spec.contact = "lfr@south-wales.police.example, 101";
  d.status = DeploymentStatus::kClosed;
  d.recogniser_id = "toy";
  d.created_by = "supervisor.smith";
  d.created_ms = Utc(2026, 11, 20, 9, 0);
  d.started_ms = Utc(2026, 12, 5, 18, 5);
  d.closed_ms = Utc(2026, 12, 5, 22, 50);
  d.closed_by = "supervisor.smith";
  d.notice_text = "Advance notice text";
  d.notice_published_ms = Utc(2026, 11, 28, 12, 0);

  in.cameras = {{1, 7, "gate-a", "rtsp://admin:hunter2@10.0.0.5/stream", "Westgate Street, facing north", false},
                {2, 7, "gate-b", "rtsp://admin:hunter2@10.0.0.6/stream", "Stadium gate 3", true}};
  in.composition = {{"wanted: theft", 5}, {"wanted: violence", 3}, {"missing person", 2}};
  in.alerts = {
      Alert(1, "gate-a", Utc(2026, 12, 5, 18, 12), AlertState::kConfirmedTrue, AlertOutcome::kArrested),
      Alert(2, "gate-a", Utc(2026, 12, 5, 18, 14), AlertState::kConfirmedFalse, AlertOutcome::kEngaged),
      Alert(3, "gate-b", Utc(2026, 12, 5, 19, 40), AlertState::kNoAction, AlertOutcome::kNone),
      Alert(4, "gate-b", Utc(2026, 12, 5, 20, 1), AlertState::kPending, AlertOutcome::kNone),
      Alert(5, "gate-a", Utc(2026, 12, 5, 22, 49), AlertState::kConfirmedTrue, AlertOutcome::kNoFurtherAction),
      Alert(6, "gate-c", Utc(2026, 12, 5, 21, 0), AlertState::kConfirmedFalse, AlertOutcome::kNone),
  };
  in.faces_seen = {{7, "gate-a", Utc(2026, 12, 5, 18, 10), 1000},
                   {7, "gate-a", Utc(2026, 12, 5, 19, 0), 500},
                   {7, "gate-b", Utc(2026, 12, 5, 19, 40), 2000},
                   {7, "gate-c", Utc(2026, 12, 5, 21, 0), 100}};
  auto table = CalibrationTable::Parse(ToyCalibrationJson());
  if (table.ok()) in.calibration = std::move(table).value();
  in.generated_ms = Utc(2026, 12, 6, 9, 30);
  return in;
}

}  // namespace lfr::report::testing

#endif  // LFR_REPORT_TEST_SAMPLES_H_
