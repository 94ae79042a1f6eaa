#include "vision/quality_json.h"

#include <cmath>

namespace lfr {
namespace {
double Round(double v, double unit) { return std::round(v / unit) * unit; }
}  // namespace

nlohmann::json QualityToJson(const QualityReport& q) {
  return {{"score", Round(q.score, 1e-3)},
          {"passed", q.passed},
          {"reasons", q.reasons},
          {"detector_score", Round(q.detector_score, 1e-4)},
          {"inter_eye_px", Round(q.inter_eye_px, 0.1)},
          {"sharpness", Round(q.sharpness, 0.1)},
          {"yaw_deg", Round(q.yaw_deg, 0.1)},
          {"roll_deg", Round(q.roll_deg, 0.1)},
          {"pitch_ratio", Round(q.pitch_ratio, 1e-3)},
          {"plausible_landmarks", q.plausible_landmarks}};
}

}  // namespace lfr
