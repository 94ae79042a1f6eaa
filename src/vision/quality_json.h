// The JSON form of a face's quality report (vision/quality.h), shared by the CLI's --json
// output and the HTTP API: the score and the measures it came from, rounded. Pure function.
#ifndef LFR_VISION_QUALITY_JSON_H_
#define LFR_VISION_QUALITY_JSON_H_

#include <nlohmann/json.hpp>

#include "vision/quality.h"

namespace lfr {

nlohmann::json QualityToJson(const QualityReport& q);

}  // namespace lfr

#endif  // LFR_VISION_QUALITY_JSON_H_
