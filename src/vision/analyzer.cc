#include "vision/analyzer.h"

#include <utility>

#include "util/secure.h"
#include "vision/align.h"

namespace lfr {

FaceAnalyzer::FaceAnalyzer(std::unique_ptr<Detector> detector,
                           std::unique_ptr<Embedder> embedder, QualityOptions quality)
    : detector_(std::move(detector)), embedder_(std::move(embedder)), quality_(quality) {}

Result<std::unique_ptr<FaceAnalyzer>> FaceAnalyzer::FromStore(
    const ModelStore& store, const std::string& detector_id,
    const std::string& recogniser_id, const DetectorOptions& detector_options) {
  Result<InstalledModel> det_model = detector_id.empty()
                                         ? store.DefaultFor(ModelRole::kDetector)
                                         : store.Locate(detector_id);
  if (!det_model.ok()) return det_model.status();
  Result<InstalledModel> rec_model = recogniser_id.empty()
                                         ? store.DefaultFor(ModelRole::kRecogniser)
                                         : store.Locate(recogniser_id);
  if (!rec_model.ok()) return rec_model.status();

  auto detector = CreateDetector(*det_model, detector_options);
  if (!detector.ok()) return detector.status();
  auto embedder = Embedder::Create(*rec_model);
  if (!embedder.ok()) return embedder.status();
  return std::make_unique<FaceAnalyzer>(std::move(detector).value(),
                                        std::move(embedder).value());
}

Status FaceAnalyzer::Analyze(const cv::Mat& image, const AnalyzeOptions& options,
                             std::vector<AnalyzedFace>* faces, int* central) {
  *central = -1;
  if (image.empty() || image.type() != CV_8UC3) {
    return Status::InvalidArgument("analyse: expected a non-empty 8-bit BGR image, got " +
                                   std::to_string(image.cols) + "x" +
                                   std::to_string(image.rows) + " with " +
                                   std::to_string(image.channels()) + " channel(s)");
  }
  LFR_RETURN_IF_ERROR(detector_->Detect(image, &detections_));

  // Entries dropped from a reused vector held someone's face: wipe before releasing.
  for (size_t i = detections_.size(); i < faces->size(); ++i) {
    WipeMat(&(*faces)[i].aligned);
    WipeMat(&(*faces)[i].embedding);
  }
  faces->resize(detections_.size());

  const auto& tmpl = embedder_->alignment_template();
  const cv::Size size = embedder_->input_size();
  for (size_t i = 0; i < detections_.size(); ++i) {
    AnalyzedFace& af = (*faces)[i];
    af.face = detections_[i];
    // Reuse the crop buffer only if the caller kept no other reference to it.
    if (af.aligned.u != nullptr && af.aligned.u->refcount > 1) af.aligned.release();
    AlignFace(image, af.face, tmpl, size, &af.aligned);
    af.quality = AssessQuality(af.face, af.aligned, quality_);
    WipeMat(&af.embedding);  // left over from a previous call
  }
  *central = CentralFaceIndex(detections_, image.size());

  if (!options.embed || faces->empty()) return Status::Ok();
  embed_index_.clear();
  if (options.embed_all) {
    for (size_t i = 0; i < faces->size(); ++i) embed_index_.push_back(static_cast<int>(i));
  } else if (*central >= 0) {
    embed_index_.push_back(*central);
  }
  batch_.clear();
  for (int i : embed_index_) batch_.push_back((*faces)[i].aligned);  // shallow headers
  Status s = options.flip_average ? embedder_->EmbedWithFlip(batch_, &embeddings_)
                                  : embedder_->Embed(batch_, &embeddings_);
  batch_.clear();
  if (!s.ok()) return s;
  for (size_t k = 0; k < embed_index_.size(); ++k) {
    // A fresh buffer per face: callers keep embeddings (e.g. enrolment) independently.
    (*faces)[embed_index_[k]].embedding = embeddings_.row(static_cast<int>(k)).clone();
  }
  WipeBytes(embeddings_.data, embeddings_.total() * embeddings_.elemSize());
  return Status::Ok();
}

}  // namespace lfr
