// FaceAnalyzer: the whole still-image path detect -> align -> quality -> embed, as the
// CLI, the evaluation harness and watchlist enrolment use it. The live pipeline uses the
// same pieces but schedules them itself (it does not embed every face every frame).
//
// Ownership: owns one Detector and one Embedder. Thread-safety: NOT thread-safe; make
// one per thread. Face data returned to the caller is the caller's to wipe (see
// util/secure.h) if it may belong to a non-matched member of the public.
#ifndef LFR_VISION_ANALYZER_H_
#define LFR_VISION_ANALYZER_H_

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "vision/detector.h"
#include "vision/embedder.h"
#include "vision/face.h"
#include "vision/quality.h"
#include "util/status.h"

namespace lfr {

struct AnalyzedFace {
  Face face;
  QualityReport quality;
  cv::Mat aligned;      // input_size() BGR crop
  cv::Mat embedding;    // 1 x dim CV_32F, unit norm; empty if not embedded
};

struct AnalyzeOptions {
  bool embed = true;             // compute embeddings
  bool embed_all = false;        // false: only the central face; true: every face
  bool flip_average = true;      // average face and mirror embeddings
};

class FaceAnalyzer {
 public:
  FaceAnalyzer(std::unique_ptr<Detector> detector, std::unique_ptr<Embedder> embedder,
               QualityOptions quality = {});

  // Builds from the model store: the given ids, or the default detector/recogniser
  // ("" = default by catalogue priority among installed models).
  static Result<std::unique_ptr<FaceAnalyzer>> FromStore(
      const ModelStore& store, const std::string& detector_id = "",
      const std::string& recogniser_id = "", const DetectorOptions& detector_options = {});

  // Detects every face; aligns and assesses each; embeds per options. *central is set to
  // the index of the central face (-1 if none). An image with no face is OK with an
  // empty result (callers decide whether that is an error).
  Status Analyze(const cv::Mat& image, const AnalyzeOptions& options,
                 std::vector<AnalyzedFace>* faces, int* central);

  Detector& detector() { return *detector_; }
  Embedder& embedder() { return *embedder_; }
  const QualityOptions& quality_options() const { return quality_; }

 private:
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<Embedder> embedder_;
  QualityOptions quality_;
  std::vector<cv::Mat> batch_;  // reused
  std::vector<Face> detections_;  // reused
  std::vector<int> embed_index_;  // faces to embed, reused
  cv::Mat embeddings_;            // batch output, reused (wiped after each call)
};

}  // namespace lfr

#endif  // LFR_VISION_ANALYZER_H_
