// Face embedding: aligned faces in, L2-normalised float vectors out.
//
// Embedder runs any ArcFace-style recogniser (ONNX or Caffe via cv::dnn) as its
// ModelCard describes: input size, channel order, mean and scale, output blob, embedding
// size. Faces must already be aligned to the card's template at the card's input size
// (see AlignFace and alignment_template()). Inference is batched; input blob and output
// buffers are reused between calls.
//
// Thread-safety: NOT thread-safe (owns a cv::dnn::Net and buffers). One per thread.
#ifndef LFR_VISION_EMBEDDER_H_
#define LFR_VISION_EMBEDDER_H_

#include <array>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "models/store.h"
#include "util/status.h"

namespace lfr {

class Embedder {
 public:
  // InvalidArgument if the model is not a recogniser; Internal if OpenCV cannot load it.
  static Result<std::unique_ptr<Embedder>> Create(const InstalledModel& model);

  // faces: aligned 8-bit BGR crops of input_size(). *out becomes faces.size() x dim()
  // CV_32F, each row of unit L2 norm. max_batch bounds one forward pass (further capped by
  // the card's max_batch, e.g. 1 for a network exported with a fixed batch of 1).
  Status Embed(const std::vector<cv::Mat>& faces, cv::Mat* out);
  // Embeds each face and its horizontal mirror and averages them (then re-normalises):
  // a cheap, measurable accuracy gain (docs/ACCURACY.md).
  Status EmbedWithFlip(const std::vector<cv::Mat>& faces, cv::Mat* out);

  int dim() const { return dim_; }
  cv::Size input_size() const { return input_size_; }
  const std::vector<std::array<float, 2>>& alignment_template() const;
  const ModelSpec& spec() const { return *spec_; }
  int max_batch = 16;

 private:
  Embedder() = default;
  Status EmbedWithFlipOneByOne(const std::vector<cv::Mat>& faces, cv::Mat* out);
  const ModelSpec* spec_ = nullptr;
  struct Impl;
  std::shared_ptr<Impl> impl_;
  int dim_ = 0;
  cv::Size input_size_;
};

// Cosine similarity of two L2-normalised embeddings (their dot product), in -1..1.
float CosineSimilarity(const float* a, const float* b, int dim);

}  // namespace lfr

#endif  // LFR_VISION_EMBEDDER_H_
