// Threshold calibration: turning "at most one false alert in 6,000 faces with a 10,000-person
// watchlist" into a similarity threshold for a given recogniser.
//
// A CalibrationTable is measured by `lfr eval identify --write-calibration` on real non-mated
// searches and kept in the repository as models/calibration/<model id>.json (compiled into the
// binary; LFR_CALIBRATION_DIR overrides the folder). It records how high the best watchlist
// score of a person who is NOT on the watchlist goes, so it can answer both directions:
// threshold for a target false-positive identification rate (FPIR) at a watchlist size, and the
// FPIR a threshold gives.
//
// Immutable after loading; safe to share between threads.
#ifndef LFR_MATCH_CALIBRATION_H_
#define LFR_MATCH_CALIBRATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"

namespace lfr {

class CalibrationTable {
 public:
  // The table for a recogniser id; NotFound if none is stored for it.
  static Result<CalibrationTable> ForModel(const std::string& model_id);
  static Result<CalibrationTable> Parse(const std::string& json_text);

  // The lowest threshold whose FPIR at this watchlist size is <= target_fpir.
  // InvalidArgument if target_fpir is outside (0,1) or watchlist_size < 1; FailedPrecondition
  // if the table cannot resolve so small a rate (the message says the smallest it can).
  Result<float> ThresholdFor(double target_fpir, int watchlist_size) const;
  // Estimated FPIR of a threshold at a watchlist size: 1 - (1 - FMR(t))^N, with FMR taken at
  // the table's grid point at or below t (so it errs towards more false alerts); 1 for a
  // threshold below the table's range, 0 above the highest impostor score it saw.
  double FpirAt(float threshold, int watchlist_size) const;

  const std::string& model_id() const { return model_id_; }
  const std::string& provenance() const { return provenance_; }  // command, data, date

 private:
  // The per-comparison impostor score tail: count_ge_[k] comparisons of two different
  // people scored >= grid_start_ + k * grid_step_, out of comparisons_. The false match
  // rate FMR(t) = count_ge / comparisons; FPIR(t, N) = 1 - (1 - FMR(t))^N.
  std::string model_id_;
  std::string provenance_;
  double grid_start_ = 0.0;
  double grid_step_ = 0.001;
  int64_t comparisons_ = 0;
  std::vector<int64_t> count_ge_;
  double Fmr(float threshold) const;
};

// A threshold as users write it, parsed but not yet resolved against a table.
struct ThresholdSpec {
  enum class Kind { kScore, kFpir };
  Kind kind = Kind::kScore;
  double value = 0;  // kScore: a cosine similarity in [-1, 1]; kFpir: a target rate in (0, 1)
};

// Parses a raw cosine ("0.42") or a target false-alert rate "fpir:1/6000" / "fpir:1.6e-4".
// InvalidArgument (quoting text and the accepted forms) for anything else. Pure.
Result<ThresholdSpec> ParseThreshold(const std::string& text);

// ParseThreshold, then for a rate the threshold from the recogniser's table for the
// watchlist size (InvalidArgument if watchlist_size < 1; ForModel's and ThresholdFor's errors).
Result<float> ResolveThreshold(const std::string& text, const std::string& model_id,
                               int watchlist_size);

}  // namespace lfr

#endif  // LFR_MATCH_CALIBRATION_H_
