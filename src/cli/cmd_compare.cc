// `lfr compare [--json] IMAGE_A IMAGE_B`: are the central faces of two images the same
// person? Prints the cosine similarity, the threshold used and the decision.
#include <iomanip>
#include <memory>

#include "cli/cli.h"
#include "cli/common.h"
#include "util/secure.h"
#include "vision/image_io.h"

namespace lfr::cli {
namespace {

struct CompareArgs {
  std::string image_a, image_b;
  bool json = false;
  bool no_flip = false;
  std::string recogniser_id;
  float threshold = -2.0f;  // < -1: the model card's verify threshold
  DetectFlags flags;
};

void RunCompare(const CompareArgs& args, Context& ctx) {
  // Read both images first: a bad file is the user's to fix before any model loads.
  auto a = ReadImage(args.image_a);
  auto b = ReadImage(args.image_b);
  bool bad = false;
  for (const auto* r : {&a, &b}) {
    if (!r->ok()) {
      *ctx.err << "lfr: " << r->status().message() << "\n";
      bad = true;
    }
  }
  if (bad) {
    ctx.exit_code = kExitBadInput;
    return;
  }
  auto store = OpenStore();
  if (!store.ok()) return Fail(ctx, store.status());
  auto analyzer = FaceAnalyzer::FromStore(*store, args.flags.detector_id, args.recogniser_id,
                                          args.flags.ToOptions());
  if (!analyzer.ok()) {
    *ctx.err << "lfr: " << analyzer.status().message() << "\n";
    ctx.exit_code = kExitMissingModel;
    return;
  }
  AnalyzeOptions opts;
  opts.flip_average = !args.no_flip;

  std::vector<AnalyzedFace> faces[2];
  int central[2] = {-1, -1};
  const std::string* names[2] = {&args.image_a, &args.image_b};
  const cv::Mat* images[2] = {&a.value(), &b.value()};
  for (int i = 0; i < 2; ++i) {
    Status s = (*analyzer)->Analyze(*images[i], opts, &faces[i], &central[i]);
    if (!s.ok()) return Fail(ctx, Status::InvalidArgument(*names[i] + ": " + s.message()));
    if (central[i] < 0) {
      *ctx.err << "lfr: " << *names[i] << ": no face found\n";
      ctx.exit_code = kExitNothingFound;
    }
  }
  if (ctx.exit_code != kExitOk) return;

  const AnalyzedFace& fa = faces[0][central[0]];
  const AnalyzedFace& fb = faces[1][central[1]];
  const Embedder& emb = (*analyzer)->embedder();
  const float similarity =
      CosineSimilarity(fa.embedding.ptr<float>(), fb.embedding.ptr<float>(), emb.dim());
  const float threshold = args.threshold >= -1.0f ? args.threshold : emb.spec().card.verify_threshold;
  const bool same = similarity >= threshold;

  if (args.json) {
    nlohmann::json j = {
        {"image_a", args.image_a},
        {"image_b", args.image_b},
        {"similarity", similarity},
        {"threshold", threshold},
        {"same_person", same},
        {"detector", (*analyzer)->detector().spec().id},
        {"recogniser", emb.spec().id},
        {"faces_a", faces[0].size()},
        {"faces_b", faces[1].size()},
        {"face_a", FaceToJson(fa.face)},
        {"face_b", FaceToJson(fb.face)},
        {"quality_a", QualityToJson(fa.quality)},
        {"quality_b", QualityToJson(fb.quality)},
    };
    *ctx.out << j.dump(2) << "\n";
  } else {
    *ctx.out << std::fixed << std::setprecision(4) << "similarity " << similarity
             << " (threshold " << threshold << ", " << emb.spec().id << "): "
             << (same ? "same person" : "different people") << "\n";
    for (int i = 0; i < 2; ++i) {
      const AnalyzedFace& f = faces[i][central[i]];
      if (!f.quality.passed) {
        *ctx.err << "lfr: warning: " << *names[i] << ": face fails the quality gate:";
        for (const auto& r : f.quality.reasons) *ctx.err << " " << r << ";";
        *ctx.err << "\n";
      }
    }
  }
  for (auto& list : faces) {
    for (auto& f : list) {
      WipeMat(&f.aligned);
      WipeMat(&f.embedding);
    }
  }
}

}  // namespace

void RegisterCompareCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Compare the central face of two images: cosine similarity, threshold and decision. "
      "Exit 1 if either image has no face, 2 if either cannot be read.");
  cmd->add_option("image_a", args->image_a, "First image")->required();
  cmd->add_option("image_b", args->image_b, "Second image")->required();
  cmd->add_flag("--json", args->json,
                "Print JSON (keys similarity, threshold, same_person, detector, recogniser, ...)");
  cmd->add_option("--recogniser", args->recogniser_id,
                  "Recogniser model id (default: the installed recogniser with the highest priority)");
  cmd->add_option("--threshold", args->threshold,
                  "Cosine similarity threshold (default: the recogniser's calibrated 1:1 threshold)")
      ->check(CLI::Range(-1.0f, 1.0f));
  cmd->add_flag("--no-flip", args->no_flip,
                "Embed the face only, not also its mirror image (slightly less accurate)");
  AddDetectFlags(cmd, &args->flags);
  cmd->callback([args, &ctx] { RunCompare(*args, ctx); });
}

}  // namespace lfr::cli
