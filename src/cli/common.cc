#include "cli/common.h"

#include <cmath>
#include <sstream>

#include "util/paths.h"

namespace lfr::cli {

Result<ModelStore> OpenStore() {
  static const Result<Catalog>* catalog = new Result<Catalog>(Catalog::Load());
  if (!catalog->ok()) return catalog->status();
  return ModelStore(&catalog->value(), ModelStoreDir(), ModelMirrorDir());
}

DetectorOptions DetectFlags::ToOptions() const {
  DetectorOptions o;
  o.working_long_side = working_long_side;
  o.min_face_px = min_face_px;
  return o;
}

void AddDetectFlags(CLI::App* cmd, DetectFlags* flags) {
  cmd->add_option("--detector", flags->detector_id,
                  "Detector model id (default: the installed detector with the highest priority)");
  cmd->add_option("--working-size", flags->working_long_side,
                  "Long side in pixels the image is scaled down to before detection (0 = full size)")
      ->check(CLI::Range(0, 8192))
      ->capture_default_str();
  cmd->add_option("--min-face", flags->min_face_px, "Ignore faces narrower than this many pixels")
      ->check(CLI::Range(0.0f, 10000.0f))
      ->capture_default_str();
}

static double Round(double v, double unit) { return std::round(v / unit) * unit; }

nlohmann::json FaceToJson(const Face& face) {
  nlohmann::json lm = nlohmann::json::array();
  for (const auto& p : face.landmarks) lm.push_back({Round(p.x, 0.1), Round(p.y, 0.1)});
  return {{"box", {{"x", Round(face.box.x, 0.1)}, {"y", Round(face.box.y, 0.1)},
                   {"w", Round(face.box.width, 0.1)}, {"h", Round(face.box.height, 0.1)}}},
          {"landmarks", lm},
          {"score", Round(face.score, 1e-4)}};
}

std::string BoxText(const cv::Rect2f& box) {
  std::ostringstream s;
  s << "x=" << std::lround(box.x) << " y=" << std::lround(box.y) << " w=" << std::lround(box.width)
    << " h=" << std::lround(box.height);
  return s.str();
}

}  // namespace lfr::cli
