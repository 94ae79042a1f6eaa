// Calibration tables: threshold for a target FPIR at a watchlist size and back, on a
// hand-made table with known answers; ResolveThreshold parsing; the built-in table.
#include "match/calibration.h"

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "match/calibration_data.h"
#include "testing/shared.h"

namespace lfr {
namespace {

// 1000 impostor comparisons; FMR(0.0)=1, (0.1)=0.5, (0.2)=0.1, (0.3)=0.01, (0.4)=0.001, (0.5)=0.
const char* kTable = R"({
  "format": 1, "model_id": "toy", "comparisons": 1000,
  "grid_start": 0.0, "grid_step": 0.1, "count_ge": [1000, 500, 100, 10, 1, 0],
  "provenance": {"command": "hand-made", "data": "none", "seed": 7, "date": "2026-11-23"}
})";

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }
 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(CalibrationTest, ThresholdForTargetAtWatchlistSize) {
  auto t = CalibrationTable::Parse(kTable);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->model_id(), "toy");
  EXPECT_NE(t->provenance().find("hand-made"), std::string::npos);
  // N = 1: FPIR is the FMR; lowest grid threshold with FMR <= target.
  EXPECT_FLOAT_EQ(*t->ThresholdFor(0.01, 1), 0.3f);
  EXPECT_FLOAT_EQ(*t->ThresholdFor(0.5, 1), 0.1f);
  EXPECT_FLOAT_EQ(*t->ThresholdFor(0.0999, 1), 0.3f);  // 0.1 at 0.2 would exceed it
  // N = 10: FPIR 0.1 needs FMR 1 - 0.9^(1/10) = 0.01048 per comparison -> 0.3.
  EXPECT_FLOAT_EQ(*t->ThresholdFor(0.1, 10), 0.3f);
  // A bigger watchlist needs a higher threshold for the same FPIR.
  EXPECT_FLOAT_EQ(*t->ThresholdFor(0.1, 100), 0.4f);
}

TEST(CalibrationTest, FpirAtIsTheInverse) {
  auto t = CalibrationTable::Parse(kTable);
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(t->FpirAt(0.3f, 1), 0.01, 1e-12);
  EXPECT_NEAR(t->FpirAt(0.3f, 10), 1 - std::pow(0.99, 10), 1e-12);
  EXPECT_NEAR(t->FpirAt(0.35f, 1), 0.01, 1e-12);  // grid point at or below: conservative
  EXPECT_EQ(t->FpirAt(-0.5f, 1), 1.0);             // below the table: assume the worst
  EXPECT_EQ(t->FpirAt(0.55f, 1000), 0.0);
  for (double target : {0.5, 0.1, 0.01, 0.005}) {
    for (int n : {1, 3, 10}) {
      auto th = t->ThresholdFor(target, n);
      if (!th.ok()) continue;
      EXPECT_LE(t->FpirAt(*th, n), target + 1e-12) << target << " " << n;
    }
  }
}

TEST(CalibrationTest, RefusesWhatItCannotResolve) {
  auto t = CalibrationTable::Parse(kTable);
  ASSERT_TRUE(t.ok());
  auto r = t->ThresholdFor(1e-4, 1);  // needs 0.1 of one comparison
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("smallest FPIR"), std::string::npos) << r.status().message();
  EXPECT_EQ(t->ThresholdFor(0.0, 10).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(t->ThresholdFor(1.0, 10).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(t->ThresholdFor(0.01, 0).status().code(), Status::Code::kInvalidArgument);
}

TEST(CalibrationTest, ParseRejectsBadTables) {
  EXPECT_FALSE(CalibrationTable::Parse("not json").ok());
  EXPECT_FALSE(CalibrationTable::Parse(R"({"format":1,"model_id":"x"})").ok());
  EXPECT_FALSE(CalibrationTable::Parse(R"({"format":1,"model_id":"x","comparisons":10,
      "grid_start":0,"grid_step":0.1,"count_ge":[5,6,0]})").ok());  // increasing
  EXPECT_FALSE(CalibrationTable::Parse(R"({"format":1,"model_id":"x","comparisons":10,
      "grid_start":0,"grid_step":0,"count_ge":[5,0]})").ok());
  EXPECT_FALSE(CalibrationTable::Parse(R"({"format":2,"model_id":"x","comparisons":10,
      "grid_start":0,"grid_step":0.1,"count_ge":[5,0]})").ok());
}

TEST(CalibrationTest, ResolveThresholdAcceptsNumbersAndRates) {
  const auto dir = lfr::testing::TempDir("calibration");
  std::ofstream(dir / "toy.json") << kTable;
  ScopedEnv env("LFR_CALIBRATION_DIR", dir.string());
  EXPECT_FLOAT_EQ(*ResolveThreshold("0.42", "toy", 100), 0.42f);
  EXPECT_FLOAT_EQ(*ResolveThreshold(" -0.1 ", "toy", 100), -0.1f);
  EXPECT_FLOAT_EQ(*ResolveThreshold("fpir:1/100", "toy", 1), 0.3f);
  EXPECT_FLOAT_EQ(*ResolveThreshold("fpir:1e-2", "toy", 1), 0.3f);
  EXPECT_FLOAT_EQ(*ResolveThreshold("fpir:0.1", "toy", 10), 0.3f);
  for (const char* bad : {"", "abc", "1.5", "0.4x", "fpir:", "fpir:abc", "fpir:2", "fpir:1/0", "fpir:-1/10"}) {
    auto r = ResolveThreshold(bad, "toy", 100);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
  }
  auto missing = ResolveThreshold("fpir:1/6000", "no-such-model", 100);
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(ResolveThreshold("fpir:1e-9", "toy", 100).status().code(), Status::Code::kFailedPrecondition);
}

TEST(CalibrationTest, ParseThresholdKeepsTheFormWithoutATable) {
  auto score = ParseThreshold(" 0.55 ");
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(score->kind, ThresholdSpec::Kind::kScore);
  EXPECT_DOUBLE_EQ(score->value, 0.55);
  auto rate = ParseThreshold("fpir:1/6000");
  ASSERT_TRUE(rate.ok());
  EXPECT_EQ(rate->kind, ThresholdSpec::Kind::kFpir);
  EXPECT_DOUBLE_EQ(rate->value, 1.0 / 6000);
  EXPECT_EQ(ParseThreshold("fpir:1/0").status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(ParseThreshold("zero").status().message().find("'zero'"), std::string::npos);
}

// The tables shipped for the recognisers we can measure (MobileFaceNet; EdgeFace-XS-q since
// 2026-12-02): present, with provenance, answering the operational target the live
// pipeline uses, and conservative against the FPIRs that `lfr eval identify` measured
// directly (the "validation" entries they carry).
class BuiltInTable : public ::testing::TestWithParam<const char*> {};

TEST_P(BuiltInTable, AnswersTheOperationalTarget) {
  unsetenv("LFR_CALIBRATION_DIR");
  auto t = CalibrationTable::ForModel(GetParam());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_NE(t->provenance().find("lfr eval identify"), std::string::npos) << t->provenance();
  auto th = t->ThresholdFor(1.0 / 6000, 1000);
  ASSERT_TRUE(th.ok()) << th.status().ToString();
  // The lowest grid threshold meeting the target: one step (0.001) lower breaks it.
  for (int n : {1, 2, 10, 100, 1000}) {
    auto tn = t->ThresholdFor(1.0 / 6000, n);
    ASSERT_TRUE(tn.ok()) << n;
    EXPECT_LE(t->FpirAt(*tn, n), 1.0 / 6000) << n;
    EXPECT_GT(t->FpirAt(*tn - 0.001f, n), 1.0 / 6000) << n;
  }
  // Above the LFW 1:1 operating point (~0.3-0.38) and monotone in rate and watchlist size.
  auto loose = t->ThresholdFor(1e-2, 1000);
  ASSERT_TRUE(loose.ok());
  EXPECT_GT(*loose, 0.38f);
  EXPECT_LT(*loose, *th);
  auto th10k = t->ThresholdFor(1.0 / 6000, 10000);
  ASSERT_TRUE(th10k.ok()) << th10k.status().ToString();
  EXPECT_GE(*th10k, *th);
}

TEST_P(BuiltInTable, IsConservativeAgainstDirectMeasurements) {
  unsetenv("LFR_CALIBRATION_DIR");
  auto t = CalibrationTable::ForModel(GetParam());
  ASSERT_TRUE(t.ok());
  // The table carries the FPIRs `lfr eval identify` measured directly at its thresholds;
  // where a measurement rests on >= 8 false positives, the model must not promise fewer.
  const char* json = nullptr;
  for (const BuiltinCalibration* b = kBuiltinCalibrations; b->model_id != nullptr; ++b) {
    if (std::string(b->model_id) == GetParam()) json = b->json;
  }
  ASSERT_NE(json, nullptr);
  const auto j = nlohmann::json::parse(json);
  int checked = 0;
  for (const auto& v : j.at("validation")) {
    if (v.at("measured_fpir_events").get<int>() < 8) continue;
    const float threshold = v.at("threshold").get<float>();
    const int n = v.at("watchlist_size").get<int>();
    EXPECT_GE(t->FpirAt(threshold, n), v.at("measured_fpir").get<double>()) << v.dump();
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

INSTANTIATE_TEST_SUITE_P(Recognisers, BuiltInTable,
                         ::testing::Values("mobilefacenet-arcface", "edgeface-xs-q"));

}  // namespace
}  // namespace lfr
