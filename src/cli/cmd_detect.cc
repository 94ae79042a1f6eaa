// `lfr detect [--json] IMAGE…`: the faces in each image with box, landmarks, score and
// quality (with the reasons a face would be rejected).
#include <iomanip>
#include <memory>

#include "cli/cli.h"
#include "cli/common.h"
#include "vision/align.h"
#include "vision/image_io.h"

namespace lfr::cli {
namespace {

struct DetectArgs {
  std::vector<std::string> images;
  bool json = false;
  DetectFlags flags;
};

void RunDetect(const DetectArgs& args, Context& ctx) {
  auto store = OpenStore();
  if (!store.ok()) return Fail(ctx, store.status());
  auto model = args.flags.detector_id.empty() ? store->DefaultFor(ModelRole::kDetector)
                                              : store->Locate(args.flags.detector_id);
  if (!model.ok()) {
    *ctx.err << "lfr: " << model.status().message() << "\n";
    ctx.exit_code = kExitMissingModel;
    return;
  }
  auto detector = CreateDetector(*model, args.flags.ToOptions());
  if (!detector.ok()) {
    *ctx.err << "lfr: " << detector.status().message() << "\n";
    ctx.exit_code = kExitMissingModel;
    return;
  }

  nlohmann::json results = nlohmann::json::array();
  bool any_bad_input = false, any_without_face = false;
  std::vector<Face> faces;
  cv::Mat aligned;
  for (const std::string& path : args.images) {
    auto image = ReadImage(path);
    if (!image.ok()) {
      *ctx.err << "lfr: " << image.status().message() << "\n";
      any_bad_input = true;
      if (args.json) results.push_back({{"image", path}, {"error", image.status().message()}});
      continue;
    }
    Status s = (*detector)->Detect(*image, &faces);
    if (!s.ok()) {
      *ctx.err << "lfr: " << path << ": " << s.message() << "\n";
      any_bad_input = true;
      continue;
    }
    const int central = CentralFaceIndex(faces, image->size());
    nlohmann::json jfaces = nlohmann::json::array();
    if (!args.json) {
      *ctx.out << path << ": " << faces.size() << (faces.size() == 1 ? " face" : " faces") << " ("
               << image->cols << "x" << image->rows << ")\n";
    }
    for (size_t i = 0; i < faces.size(); ++i) {
      AlignFace(*image, faces[i], ArcFaceTemplate112(), cv::Size(112, 112), &aligned);
      QualityReport q = AssessQuality(faces[i], aligned);
      if (args.json) {
        nlohmann::json jf = FaceToJson(faces[i]);
        jf["central"] = static_cast<int>(i) == central;
        jf["quality"] = QualityToJson(q);
        jfaces.push_back(std::move(jf));
      } else {
        *ctx.out << "  face " << i + 1 << (static_cast<int>(i) == central ? " (central)" : "")
                 << ": " << BoxText(faces[i].box) << " score " << std::fixed
                 << std::setprecision(3) << faces[i].score << ", quality " << q.score
                 << (q.passed ? " ok" : " rejected");
        for (const auto& r : q.reasons) *ctx.out << "; " << r;
        *ctx.out << "\n";
      }
    }
    if (faces.empty()) {
      any_without_face = true;
      if (!args.json) *ctx.err << "lfr: " << path << ": no face found\n";
    }
    if (args.json) {
      results.push_back({{"image", path},
                         {"width", image->cols},
                         {"height", image->rows},
                         {"detector", (*detector)->spec().id},
                         {"faces", jfaces}});
    }
    aligned.release();
  }
  if (args.json) *ctx.out << results.dump(2) << "\n";
  if (any_bad_input) {
    ctx.exit_code = kExitBadInput;
  } else if (any_without_face) {
    ctx.exit_code = kExitNothingFound;
  }
}

}  // namespace

void RegisterDetectCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "detect",
      "Find the faces in images: box, 5 landmarks, detector score, quality and the reasons a "
      "face would fail the quality gate. Exit 1 if an image has no face, 2 if one cannot be read.");
  cmd->add_option("images", args->images, "Image files (JPEG, PNG, ...)")->required();
  cmd->add_flag("--json", args->json, "Print a JSON array, one object per image");
  AddDetectFlags(cmd, &args->flags);
  cmd->callback([args, &ctx] { RunDetect(*args, ctx); });
}

}  // namespace lfr::cli
