#include "match/calibration.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "match/calibration_data.h"

namespace lfr {
namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Parses a whole string as a double; false if anything is left over.
bool ParseDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return errno == 0 && end == s.c_str() + s.size() && std::isfinite(*out);
}

std::string Fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

Result<CalibrationTable> CalibrationTable::Parse(const std::string& json_text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("calibration table is not valid JSON: ") + e.what());
  }
  CalibrationTable t;
  try {
    if (!j.is_object()) return Status::InvalidArgument("calibration table: expected a JSON object");
    if (j.value("format", 0) != 1) return Status::InvalidArgument("calibration table: unsupported format (expected 1)");
    t.model_id_ = j.at("model_id").get<std::string>();
    t.comparisons_ = j.at("comparisons").get<int64_t>();
    t.grid_start_ = j.at("grid_start").get<double>();
    t.grid_step_ = j.at("grid_step").get<double>();
    t.count_ge_ = j.at("count_ge").get<std::vector<int64_t>>();
    if (j.contains("provenance")) {
      const auto& p = j["provenance"];
      if (p.is_string()) {
        t.provenance_ = p.get<std::string>();
      } else if (p.is_object()) {
        std::string s;
        for (const char* k : {"command", "data", "seed", "date"}) {
          if (!p.contains(k)) continue;
          if (!s.empty()) s += "; ";
          s += std::string(k) + ": " + (p[k].is_string() ? p[k].get<std::string>() : p[k].dump());
        }
        t.provenance_ = s;
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("calibration table: missing or mistyped field: ") + e.what());
  }
  const std::string who = "calibration table for " + t.model_id_ + ": ";
  if (t.model_id_.empty()) return Status::InvalidArgument("calibration table: empty model_id");
  if (t.comparisons_ < 1) return Status::InvalidArgument(who + "comparisons must be >= 1");
  if (!(t.grid_step_ > 0) || !(t.grid_start_ >= -1.0 && t.grid_start_ <= 1.0)) {
    return Status::InvalidArgument(who + "grid_start must be in -1..1 and grid_step > 0");
  }
  if (t.count_ge_.empty()) return Status::InvalidArgument(who + "count_ge is empty");
  for (size_t k = 0; k < t.count_ge_.size(); ++k) {
    if (t.count_ge_[k] < 0 || t.count_ge_[k] > t.comparisons_ ||
        (k > 0 && t.count_ge_[k] > t.count_ge_[k - 1])) {
      return Status::InvalidArgument(who + "count_ge must be non-increasing counts within 0..comparisons (entry " +
                                     std::to_string(k) + ")");
    }
  }
  return t;
}

Result<CalibrationTable> CalibrationTable::ForModel(const std::string& model_id) {
  if (const char* dir = std::getenv("LFR_CALIBRATION_DIR"); dir != nullptr && *dir != '\0') {
    const std::string path = std::string(dir) + "/" + model_id + ".json";
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return Status::NotFound("no calibration table for recogniser " + model_id + " in LFR_CALIBRATION_DIR (" +
                              path + ")");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    auto t = Parse(ss.str());
    if (!t.ok()) return Status::Corrupt(path + ": " + t.status().message());
    return t;
  }
  for (const BuiltinCalibration* b = kBuiltinCalibrations; b->model_id != nullptr; ++b) {
    if (model_id != b->model_id) continue;
    auto t = Parse(b->json);
    if (!t.ok()) return Status::Corrupt("built-in " + t.status().message());
    return t;
  }
  return Status::NotFound("no calibration table for recogniser " + model_id +
                          " (build one with `lfr eval identify --write-calibration models/calibration/" +
                          model_id + ".json`, or give the threshold as a number)");
}

double CalibrationTable::Fmr(float threshold) const {
  // Below the table's range nothing is known except that it is worse: count it as all.
  if (threshold < grid_start_) return 1.0;
  // Grid point at or below the threshold: count_ge there >= count_ge(threshold), so the
  // estimate errs on the side of more false matches.
  const double pos = (threshold - grid_start_) / grid_step_;
  // Thresholds come back as floats (0.538 is stored as 0.53799998): a grid point within a
  // thousandth of a step counts as reached.
  const size_t k = static_cast<size_t>(std::floor(pos + 1e-3));
  if (k >= count_ge_.size()) return 0.0;
  return static_cast<double>(count_ge_[k]) / static_cast<double>(comparisons_);
}

double CalibrationTable::FpirAt(float threshold, int watchlist_size) const {
  if (watchlist_size < 1) return 0.0;
  const double fmr = Fmr(threshold);
  if (fmr >= 1.0) return 1.0;
  return -std::expm1(static_cast<double>(watchlist_size) * std::log1p(-fmr));
}

Result<float> CalibrationTable::ThresholdFor(double target_fpir, int watchlist_size) const {
  if (!(target_fpir > 0.0 && target_fpir < 1.0)) {
    return Status::InvalidArgument("target FPIR must be between 0 and 1 (exclusive), got " + Fmt(target_fpir));
  }
  if (watchlist_size < 1) {
    return Status::InvalidArgument("watchlist size must be >= 1, got " + std::to_string(watchlist_size));
  }
  // Per-comparison false match rate that gives the target FPIR at this watchlist size.
  const double fmr = -std::expm1(std::log1p(-target_fpir) / watchlist_size);
  const double allowed = fmr * static_cast<double>(comparisons_);
  if (allowed < 1.0) {
    const double smallest = -std::expm1(watchlist_size * std::log1p(-1.0 / static_cast<double>(comparisons_)));
    return Status::FailedPrecondition(
        "the calibration table for " + model_id_ + " (" + std::to_string(comparisons_) +
        " impostor comparisons) cannot resolve FPIR " + Fmt(target_fpir) + " at watchlist size " +
        std::to_string(watchlist_size) + ": that needs a false match rate of " + Fmt(fmr) +
        " per comparison; the smallest FPIR it can resolve at this size is about " + Fmt(smallest));
  }
  for (size_t k = 0; k < count_ge_.size(); ++k) {
    if (static_cast<double>(count_ge_[k]) <= allowed) {
      return static_cast<float>(grid_start_ + static_cast<double>(k) * grid_step_);
    }
  }
  return Status::FailedPrecondition("the calibration table for " + model_id_ +
                                    " ends before FPIR " + Fmt(target_fpir) + " is reached");
}

Result<ThresholdSpec> ParseThreshold(const std::string& text) {
  const std::string t = Trim(text);
  const std::string usage =
      "expected a cosine similarity between -1 and 1 (e.g. 0.42) or a target false-alert rate "
      "fpir:1/6000 or fpir:1.6e-4";
  if (t.rfind("fpir:", 0) == 0) {
    const std::string rate = Trim(t.substr(5));
    double value = 0;
    const auto slash = rate.find('/');
    if (slash != std::string::npos) {
      double num = 0, den = 0;
      if (!ParseDouble(Trim(rate.substr(0, slash)), &num) || !ParseDouble(Trim(rate.substr(slash + 1)), &den) ||
          den <= 0) {
        return Status::InvalidArgument("threshold '" + text + "': bad rate; " + usage);
      }
      value = num / den;
    } else if (!ParseDouble(rate, &value)) {
      return Status::InvalidArgument("threshold '" + text + "': bad rate; " + usage);
    }
    if (!(value > 0.0 && value < 1.0)) {
      return Status::InvalidArgument("threshold '" + text + "': the rate must be between 0 and 1 (exclusive)");
    }
    return ThresholdSpec{ThresholdSpec::Kind::kFpir, value};
  }
  double v = 0;
  if (!ParseDouble(t, &v)) return Status::InvalidArgument("threshold '" + text + "': " + usage);
  if (v < -1.0 || v > 1.0) return Status::InvalidArgument("threshold '" + text + "': " + usage);
  return ThresholdSpec{ThresholdSpec::Kind::kScore, v};
}

Result<float> ResolveThreshold(const std::string& text, const std::string& model_id, int watchlist_size) {
  auto spec = ParseThreshold(text);
  if (!spec.ok()) return spec.status();
  if (spec->kind == ThresholdSpec::Kind::kScore) return static_cast<float>(spec->value);
  if (watchlist_size < 1) {
    return Status::InvalidArgument("threshold '" + text + "': watchlist size must be >= 1, got " +
                                   std::to_string(watchlist_size));
  }
  auto table = CalibrationTable::ForModel(model_id);
  if (!table.ok()) return table.status();
  return table->ThresholdFor(spec->value, watchlist_size);
}

}  // namespace lfr
