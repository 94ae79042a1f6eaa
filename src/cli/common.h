// Helpers shared by the CLI subcommands: opening models from the store and turning
// vision results into JSON/text. Not part of the library's public surface.
#ifndef LFR_CLI_COMMON_H_
#define LFR_CLI_COMMON_H_

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "models/store.h"
#include "vision/quality_json.h"
#include "vision/analyzer.h"
#include "vision/detector.h"
#include "vision/quality.h"

namespace lfr::cli {

// The store at $LFR_HOME/models (as the environment says now) over the catalogue, which
// is loaded once per process.
Result<ModelStore> OpenStore();

// Options shared by commands that detect faces.
struct DetectFlags {
  std::string detector_id;    // "" = default
  int working_long_side = 640;
  float min_face_px = 0.0f;
  DetectorOptions ToOptions() const;
};
void AddDetectFlags(CLI::App* cmd, DetectFlags* flags);

nlohmann::json FaceToJson(const Face& face);
// "x=12 y=30 w=80 h=96" in whole pixels.
std::string BoxText(const cv::Rect2f& box);

}  // namespace lfr::cli

#endif  // LFR_CLI_COMMON_H_
