#include "vision/embedder.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/dnn.hpp>

#include "util/secure.h"
#include "vision/align.h"

namespace lfr {
namespace {

// Writes faces[begin, begin + count) into consecutive images of the NCHW float blob,
// starting at image `first`, as the card prescribes: channels swapped if swap_rb, then
// (pixel - mean[c]) * scale, mean indexed in network channel order. mirror: write each
// face flipped left-right. This is what cv::dnn::blobFromImages computes, done in place
// so no temporary float copies of faces are left unwiped on the heap.
void FillBlob(const std::vector<cv::Mat>& faces, size_t begin, size_t count,
              const ModelCard& card, bool mirror, int first, cv::Mat* blob) {
  const int h = blob->size[2], w = blob->size[3];
  const size_t plane = static_cast<size_t>(h) * w;
  const int src_ch[3] = {card.swap_rb ? 2 : 0, 1, card.swap_rb ? 0 : 2};
  const float scale = card.scale;
  for (size_t k = 0; k < count; ++k) {
    const cv::Mat& face = faces[begin + k];
    float* img = blob->ptr<float>(first + static_cast<int>(k));
    for (int c = 0; c < 3; ++c) {
      float* dst = img + c * plane;
      const int sc = src_ch[c];
      const float mean = card.mean[c];
      for (int y = 0; y < h; ++y) {
        const uchar* row = face.ptr<uchar>(y);
        float* out = dst + static_cast<size_t>(y) * w;
        if (mirror) {
          for (int x = 0; x < w; ++x) out[x] = (row[3 * (w - 1 - x) + sc] - mean) * scale;
        } else {
          for (int x = 0; x < w; ++x) out[x] = (row[3 * x + sc] - mean) * scale;
        }
      }
    }
  }
}

// Faces per forward pass when `remaining` faces are left. cv::dnn re-plans the whole
// network (buffer allocation and layer fusion) whenever its input shape changes, which for
// MobileFaceNet costs more than inferring a face (~10 ms vs ~7 ms, 2 vCPU EPYC). The live
// pipeline embeds 1-4 faces per frame, a different number nearly every time, so passes
// use two batch sizes only: max_batch while that many faces are left, then one at a time.
// (Measured per face: batch 1, same shape 7.5 ms; batch 4 7.1 ms; batches alternating
// 1 and 2: 14 ms.)
// Faces per forward pass: the caller's max_batch, capped by the card's (0 = no cap).
int BatchLimit(int max_batch, int card_max_batch) {
  int b = std::max(1, max_batch);
  return card_max_batch > 0 ? std::min(b, card_max_batch) : b;
}

size_t ChunkSize(size_t remaining, size_t max_batch) {
  return remaining >= max_batch ? max_batch : 1;
}

void NormalizeRow(float* v, int dim) {
  double sum = 0;
  for (int i = 0; i < dim; ++i) sum += static_cast<double>(v[i]) * v[i];
  const double norm = std::sqrt(sum);
  if (norm <= 1e-12) return;  // an all-zero output stays zero rather than NaN
  const float inv = static_cast<float>(1.0 / norm);
  for (int i = 0; i < dim; ++i) v[i] *= inv;
}

}  // namespace

struct Embedder::Impl {
  cv::dnn::Net net;
  std::string output;  // layer to forward to; "" = the network's last
  ModelCard card;
  std::vector<std::array<float, 2>> tmpl;
  cv::Mat blob;   // NCHW network input, reused
  cv::Mat zeros;  // same shape as the last blob, all zero: overwrites the net's input copy

  // Runs blob (n images) through the network; returns the n x dim outputs (a view of the
  // network's own buffer, valid until the next forward) or an error.
  Status Forward(int n, int dim, const std::string& model_id, cv::Mat* result) {
    Status status;
    try {
      net.setInput(blob);
      cv::Mat res = output.empty() ? net.forward() : net.forward(output);
      if (res.total() != static_cast<size_t>(n) * dim || res.type() != CV_32F) {
        status = Status::Internal("recogniser " + model_id + ": output '" + output +
                                  "' has " + std::to_string(res.total()) + " values for " +
                                  std::to_string(n) + " faces, expected " +
                                  std::to_string(dim) + " per face");
      } else {
        *result = res.isContinuous() ? res.reshape(1, n) : res.clone().reshape(1, n);
      }
    } catch (const cv::Exception& e) {
      status = Status::Internal("recogniser " + model_id + ": inference failed: " + e.what());
    }
    ClearNetInput();
    return status;
  }

  // The net keeps its own copy of the input: overwrite it with zeros of the same shape
  // (copied into the same buffer, no reallocation) so no face pixels stay in the network.
  // Activations inside the network persist until the next forward pass.
  void ClearNetInput() {
    try {
      if (zeros.dims != blob.dims || zeros.size != blob.size) {
        zeros.create(blob.dims, blob.size.p, CV_32F);
        zeros.setTo(0);
      }
      net.setInput(zeros);
    } catch (const cv::Exception&) {
      // Best effort: the input blob itself is still wiped by the caller.
    }
  }

  // Zeroes the input blob (keeping its buffer for the next call).
  void WipeBlob() {
    if (!blob.empty()) WipeBytes(blob.data, blob.total() * blob.elemSize());
  }
};

Result<std::unique_ptr<Embedder>> Embedder::Create(const InstalledModel& model) {
  if (model.spec == nullptr) return Status::InvalidArgument("recogniser: no model spec");
  const ModelSpec& spec = *model.spec;
  const ModelCard& card = spec.card;
  if (spec.role != ModelRole::kRecogniser) {
    return Status::InvalidArgument("model " + spec.id + " is a " + RoleName(spec.role) +
                                   ", not a recogniser");
  }
  if (card.input_width <= 0 || card.input_height <= 0) {
    return Status::InvalidArgument("recogniser " + spec.id +
                                   ": card needs a fixed input_width and input_height");
  }
  if (card.embedding_size <= 0) {
    return Status::InvalidArgument("recogniser " + spec.id + ": card needs embedding_size");
  }
  if (!card.alignment_template.empty() && card.alignment_template.size() != kNumLandmarks) {
    return Status::InvalidArgument("recogniser " + spec.id + ": alignment_template has " +
                                   std::to_string(card.alignment_template.size()) +
                                   " points, expected 5");
  }

  auto impl = std::make_shared<Impl>();
  impl->card = card;
  impl->output = card.output_blob;
  try {
    if (card.format == "caffe") {
      if (model.files.size() < 2) {
        return Status::InvalidArgument("recogniser " + spec.id +
                                       ": caffe needs a prototxt and a caffemodel file");
      }
      impl->net = cv::dnn::readNetFromCaffe(model.files[0].string(), model.files[1].string());
    } else if (card.format == "onnx") {
      if (model.files.empty()) {
        return Status::InvalidArgument("recogniser " + spec.id + ": no ONNX file");
      }
      impl->net = cv::dnn::readNetFromONNX(model.files[0].string());
    } else {
      return Status::InvalidArgument("recogniser " + spec.id + ": unknown format '" +
                                     card.format + "' (expected onnx or caffe)");
    }
    if (impl->net.empty()) {
      return Status::Internal("recogniser " + spec.id + ": OpenCV loaded an empty network from " +
                              model.files[0].string());
    }
    impl->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    impl->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    if (!impl->output.empty() && impl->net.getLayerId(impl->output) < 0) {
      return Status::InvalidArgument("recogniser " + spec.id + ": output_blob '" +
                                     impl->output + "' is not a layer of the network");
    }
  } catch (const cv::Exception& e) {
    return Status::Internal("recogniser " + spec.id + ": OpenCV cannot load " +
                            model.files[0].string() + ": " + e.what());
  }

  if (card.alignment_template.empty()) {
    // ArcFace-style default, scaled to the input size.
    const float sx = card.input_width / 112.0f, sy = card.input_height / 112.0f;
    for (const auto& p : ArcFaceTemplate112()) impl->tmpl.push_back({p[0] * sx, p[1] * sy});
  } else {
    impl->tmpl = card.alignment_template;
  }

  std::unique_ptr<Embedder> e(new Embedder());
  e->spec_ = &spec;
  e->impl_ = std::move(impl);
  e->dim_ = card.embedding_size;
  e->input_size_ = cv::Size(card.input_width, card.input_height);

  // Warm-up pass on a blank face: checks the output shape now rather than on first use,
  // and lets OpenCV allocate its buffers for batch 1.
  std::vector<cv::Mat> blank(1, cv::Mat::zeros(e->input_size_, CV_8UC3));
  cv::Mat out;
  if (Status s = e->Embed(blank, &out); !s.ok()) return s;
  return e;
}

const std::vector<std::array<float, 2>>& Embedder::alignment_template() const {
  return impl_->tmpl;
}

namespace {
Status CheckFaces(const std::vector<cv::Mat>& faces, cv::Size size, const std::string& id) {
  for (size_t i = 0; i < faces.size(); ++i) {
    const cv::Mat& f = faces[i];
    if (f.size() != size || f.type() != CV_8UC3) {
      return Status::InvalidArgument(
          "recogniser " + id + ": face " + std::to_string(i) + " is " +
          std::to_string(f.cols) + "x" + std::to_string(f.rows) + " with " +
          std::to_string(f.channels()) + " channel(s), depth " + std::to_string(f.depth()) +
          "; expected an aligned " + std::to_string(size.width) + "x" +
          std::to_string(size.height) + " 8-bit BGR image");
    }
  }
  return Status::Ok();
}
}  // namespace

Status Embedder::Embed(const std::vector<cv::Mat>& faces, cv::Mat* out) {
  LFR_RETURN_IF_ERROR(CheckFaces(faces, input_size_, spec_->id));
  out->create(static_cast<int>(faces.size()), dim_, CV_32F);
  const size_t batch = static_cast<size_t>(BatchLimit(max_batch, impl_->card.max_batch));
  Impl& im = *impl_;
  for (size_t begin = 0, n = 0; begin < faces.size(); begin += n) {
    n = ChunkSize(faces.size() - begin, batch);
    const int shape[4] = {static_cast<int>(n), 3, input_size_.height, input_size_.width};
    im.blob.create(4, shape, CV_32F);
    FillBlob(faces, begin, n, im.card, /*mirror=*/false, 0, &im.blob);
    cv::Mat res;
    Status s = im.Forward(static_cast<int>(n), dim_, spec_->id, &res);
    im.WipeBlob();
    if (!s.ok()) return s;
    for (size_t k = 0; k < n; ++k) {
      float* row = out->ptr<float>(static_cast<int>(begin + k));
      std::copy_n(res.ptr<float>(static_cast<int>(k)), dim_, row);
      NormalizeRow(row, dim_);
    }
    WipeBytes(res.data, res.total() * res.elemSize());  // the net's copy of the embeddings
  }
  return Status::Ok();
}

Status Embedder::EmbedWithFlip(const std::vector<cv::Mat>& faces, cv::Mat* out) {
  LFR_RETURN_IF_ERROR(CheckFaces(faces, input_size_, spec_->id));
  out->create(static_cast<int>(faces.size()), dim_, CV_32F);
  Impl& im = *impl_;
  if (im.card.max_batch == 1) return EmbedWithFlipOneByOne(faces, out);
  // Each face and its mirror go through the same forward pass: n faces, then n mirrors.
  const size_t batch = static_cast<size_t>(std::max(1, BatchLimit(max_batch, im.card.max_batch) / 2));
  for (size_t begin = 0, n = 0; begin < faces.size(); begin += n) {
    n = ChunkSize(faces.size() - begin, batch);
    const int shape[4] = {static_cast<int>(2 * n), 3, input_size_.height, input_size_.width};
    im.blob.create(4, shape, CV_32F);
    FillBlob(faces, begin, n, im.card, /*mirror=*/false, 0, &im.blob);
    FillBlob(faces, begin, n, im.card, /*mirror=*/true, static_cast<int>(n), &im.blob);
    cv::Mat res;
    Status s = im.Forward(static_cast<int>(2 * n), dim_, spec_->id, &res);
    im.WipeBlob();
    if (!s.ok()) return s;
    for (size_t k = 0; k < n; ++k) {
      float* a = res.ptr<float>(static_cast<int>(k));
      float* b = res.ptr<float>(static_cast<int>(n + k));
      NormalizeRow(a, dim_);
      NormalizeRow(b, dim_);
      float* row = out->ptr<float>(static_cast<int>(begin + k));
      for (int i = 0; i < dim_; ++i) row[i] = a[i] + b[i];
      NormalizeRow(row, dim_);
    }
    WipeBytes(res.data, res.total() * res.elemSize());
  }
  return Status::Ok();
}

Status Embedder::EmbedWithFlipOneByOne(const std::vector<cv::Mat>& faces, cv::Mat* out) {
  // The network takes one image per pass (a fixed batch dimension of 1): the face, then
  // its mirror, each through its own forward pass.
  Impl& im = *impl_;
  const int shape[4] = {1, 3, input_size_.height, input_size_.width};
  std::vector<float> a(static_cast<size_t>(dim_));
  for (size_t k = 0; k < faces.size(); ++k) {
    float* row = out->ptr<float>(static_cast<int>(k));
    for (int pass = 0; pass < 2; ++pass) {
      im.blob.create(4, shape, CV_32F);
      FillBlob(faces, k, 1, im.card, /*mirror=*/pass == 1, 0, &im.blob);
      cv::Mat res;
      Status s = im.Forward(1, dim_, spec_->id, &res);
      im.WipeBlob();
      if (!s.ok()) {
        WipeBytes(a.data(), a.size() * sizeof(float));
        return s;
      }
      float* dst = pass == 0 ? a.data() : row;
      std::copy_n(res.ptr<float>(0), dim_, dst);
      NormalizeRow(dst, dim_);
      WipeBytes(res.data, res.total() * res.elemSize());
    }
    for (int i = 0; i < dim_; ++i) row[i] += a[i];
    NormalizeRow(row, dim_);
  }
  WipeBytes(a.data(), a.size() * sizeof(float));
  return Status::Ok();
}

float CosineSimilarity(const float* a, const float* b, int dim) {
  // Eight independent partial sums: the compiler turns the inner loop into SIMD lanes
  // (a single float accumulator cannot be reordered without -ffast-math).
  constexpr int kLanes = 8;
  float acc[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= dim; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float sum = 0.0f;
  for (; i < dim; ++i) sum += a[i] * b[i];
  for (int j = 0; j < kLanes; ++j) sum += acc[j];
  return sum;
}

}  // namespace lfr
