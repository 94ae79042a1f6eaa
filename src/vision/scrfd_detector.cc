// The "scrfd" detector format: InsightFace SCRFD (with keypoints) run through cv::dnn.
//
// The frame is letterboxed into the card's fixed input (scaled to fit, padded black at the
// bottom and right), normalised per the card (RGB, (x - 127.5) / 128 for InsightFace
// exports), and run. The network has three feature levels (strides 8, 16, 32) with two
// anchors per cell; each level yields scores (N x 1), box distances (N x 4) and keypoint
// offsets (N x 10) in units of the stride, relative to the anchor centre
// (column * stride, row * stride). OpenCV lists the outputs in an order that differs from
// the ONNX file's, so they are matched to levels by shape once, at creation.
//
// DetectorOptions::working_long_side does not apply: the letterbox always scales the frame
// to the network's fixed input.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "vision/detector.h"

namespace lfr {
namespace detail {
// Defined in detector.cc.
Status CheckDetectorInput(const ModelSpec& spec, const cv::Mat& image);
void FinishDetections(const cv::Mat& image, const DetectorOptions& options,
                      std::vector<Face>* faces);
Result<std::unique_ptr<Detector>> CreateScrfdDetector(const InstalledModel& model,
                                                      const DetectorOptions& options);
}  // namespace detail

namespace {

constexpr std::array<int, 3> kStrides = {8, 16, 32};
constexpr int kAnchorsPerCell = 2;

// Rows and columns of a 1 x N x C or N x C float output; false for any other shape.
bool OutputShape(const cv::Mat& m, int* rows, int* cols) {
  if (m.type() != CV_32F || !m.isContinuous()) return false;
  if (m.dims == 3 && m.size[0] == 1) {
    *rows = m.size[1];
    *cols = m.size[2];
    return true;
  }
  if (m.dims == 2) {
    *rows = m.rows;
    *cols = m.cols;
    return true;
  }
  return false;
}

std::string ShapeString(const cv::Mat& m) {
  std::string s;
  for (int i = 0; i < m.dims; ++i) {
    if (i > 0) s += 'x';
    s += std::to_string(m.size[i]);
  }
  return s.empty() ? "empty" : s;
}

class ScrfdDetector final : public Detector {
 public:
  ScrfdDetector(const ModelSpec& spec, const DetectorOptions& options, cv::dnn::Net net)
      : spec_(spec),
        options_(options),
        score_threshold_(options.score_threshold >= 0 ? options.score_threshold
                                                      : spec.card.score_threshold),
        nms_threshold_(options.nms_threshold >= 0 ? options.nms_threshold
                                                  : spec.card.nms_threshold),
        input_size_(spec.card.input_width, spec.card.input_height),
        net_(std::move(net)),
        out_names_(net_.getUnconnectedOutLayersNames()) {}

  // Runs the network once on a blank input and assigns its outputs to feature levels.
  Status Initialise();

  Status Detect(const cv::Mat& image, std::vector<Face>* faces) override;
  const ModelSpec& spec() const override { return spec_; }
  const DetectorOptions& options() const override { return options_; }

 private:
  // Indices into outs_ for one feature level.
  struct Level {
    int stride = 0;
    int scores = -1;     // N x 1
    int boxes = -1;      // N x 4
    int keypoints = -1;  // N x 10
  };

  // Letterboxes image into canvas_ and runs the network into outs_.
  Status Forward(const cv::Mat& image, cv::Size* letterbox);
  // Appends the candidates of one level (in network input pixels) above the threshold.
  void Decode(const Level& level);

  const ModelSpec spec_;  // a copy: the detector may outlive the catalogue it came from
  const DetectorOptions options_;
  const float score_threshold_;
  const float nms_threshold_;
  const cv::Size input_size_;
  cv::dnn::Net net_;
  const std::vector<std::string> out_names_;
  std::vector<Level> levels_;

  // Buffers reused across frames.
  cv::Mat canvas_;            // the letterboxed network input, 8-bit BGR
  cv::Size letterbox_size_;   // the image's region in canvas_; the rest stays black
  cv::Mat blob_;
  std::vector<cv::Mat> outs_;
  std::vector<cv::Rect2d> candidate_boxes_;
  std::vector<float> candidate_scores_;
  std::vector<std::array<cv::Point2f, kNumLandmarks>> candidate_landmarks_;
  std::vector<int> keep_;
};

Status ScrfdDetector::Initialise() {
  // All outputs must exist for a blank frame too, so their shapes can be read now.
  cv::Size unused;
  LFR_RETURN_IF_ERROR(Forward(cv::Mat(input_size_, CV_8UC3, cv::Scalar::all(0)), &unused));
  for (int stride : kStrides) {
    Level level;
    level.stride = stride;
    const int n = (input_size_.width / stride) * (input_size_.height / stride) * kAnchorsPerCell;
    for (size_t i = 0; i < outs_.size(); ++i) {
      int rows = 0, cols = 0;
      if (!OutputShape(outs_[i], &rows, &cols) || rows != n) continue;
      if (cols == 1) level.scores = static_cast<int>(i);
      if (cols == 4) level.boxes = static_cast<int>(i);
      if (cols == 2 * kNumLandmarks) level.keypoints = static_cast<int>(i);
    }
    if (level.scores < 0 || level.boxes < 0 || level.keypoints < 0) {
      std::string shapes;
      for (size_t i = 0; i < outs_.size(); ++i) {
        if (i > 0) shapes += ", ";
        shapes += out_names_[i] + " " + ShapeString(outs_[i]);
      }
      return Status::Internal("model " + spec_.id + ": no " + std::to_string(n) +
                              "-row score/box/keypoint outputs for stride " +
                              std::to_string(stride) + "; outputs are: " + shapes);
    }
    levels_.push_back(level);
  }
  return Status::Ok();
}

Status ScrfdDetector::Forward(const cv::Mat& image, cv::Size* letterbox) {
  const double scale = std::min(static_cast<double>(input_size_.width) / image.cols,
                                static_cast<double>(input_size_.height) / image.rows);
  const cv::Size fitted(
      std::clamp(static_cast<int>(std::lround(image.cols * scale)), 1, input_size_.width),
      std::clamp(static_cast<int>(std::lround(image.rows * scale)), 1, input_size_.height));
  if (canvas_.empty() || fitted != letterbox_size_) {
    canvas_.create(input_size_, CV_8UC3);
    canvas_.setTo(cv::Scalar::all(0));
    letterbox_size_ = fitted;
  }
  cv::Mat region = canvas_(cv::Rect(cv::Point(0, 0), fitted));  // a view: writes land in canvas_
  if (fitted == image.size()) {
    image.copyTo(region);
  } else {
    cv::resize(image, region, fitted, 0, 0, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  *letterbox = fitted;

  const cv::Scalar mean(spec_.card.mean[0], spec_.card.mean[1], spec_.card.mean[2]);
  try {
    cv::dnn::blobFromImage(canvas_, blob_, spec_.card.scale, cv::Size(), mean,
                           spec_.card.swap_rb, /*crop=*/false, CV_32F);
    net_.setInput(blob_);
    net_.forward(outs_, out_names_);
  } catch (const cv::Exception& e) {
    return Status::Internal("detector " + spec_.id + ": network failed: " + e.msg);
  }
  return Status::Ok();
}

void ScrfdDetector::Decode(const Level& level) {
  const float* scores = outs_[level.scores].ptr<float>();
  const float* boxes = outs_[level.boxes].ptr<float>();
  const float* kps = outs_[level.keypoints].ptr<float>();
  const int s = level.stride;
  const int cols = input_size_.width / s;
  const int n = (input_size_.height / s) * cols * kAnchorsPerCell;
  for (int i = 0; i < n; ++i) {
    if (scores[i] < score_threshold_) continue;
    const int cell = i / kAnchorsPerCell;
    const float cx = static_cast<float>((cell % cols) * s);
    const float cy = static_cast<float>((cell / cols) * s);
    const float* d = boxes + 4 * i;
    const float x1 = cx - d[0] * s, y1 = cy - d[1] * s;
    const float x2 = cx + d[2] * s, y2 = cy + d[3] * s;
    candidate_boxes_.emplace_back(x1, y1, x2 - x1, y2 - y1);
    candidate_scores_.push_back(scores[i]);
    const float* k = kps + 2 * kNumLandmarks * i;
    auto& landmarks = candidate_landmarks_.emplace_back();
    for (int j = 0; j < kNumLandmarks; ++j) {
      landmarks[j] = cv::Point2f(cx + k[2 * j] * s, cy + k[2 * j + 1] * s);
    }
  }
}

Status ScrfdDetector::Detect(const cv::Mat& image, std::vector<Face>* faces) {
  LFR_RETURN_IF_ERROR(detail::CheckDetectorInput(spec_, image));
  cv::Size letterbox;
  LFR_RETURN_IF_ERROR(Forward(image, &letterbox));

  candidate_boxes_.clear();
  candidate_scores_.clear();
  candidate_landmarks_.clear();
  for (const Level& level : levels_) Decode(level);
  keep_.clear();
  if (!candidate_boxes_.empty()) {
    cv::dnn::NMSBoxes(candidate_boxes_, candidate_scores_, score_threshold_, nms_threshold_,
                      keep_);
  }

  // Network input pixels -> image pixels, per axis (the fitted size is rounded).
  const float sx = static_cast<float>(image.cols) / letterbox.width;
  const float sy = static_cast<float>(image.rows) / letterbox.height;
  faces->clear();
  faces->reserve(keep_.size());
  for (int i : keep_) {
    const cv::Rect2d& b = candidate_boxes_[i];
    Face f;
    f.box = cv::Rect2f(static_cast<float>(b.x) * sx, static_cast<float>(b.y) * sy,
                       static_cast<float>(b.width) * sx, static_cast<float>(b.height) * sy);
    for (int j = 0; j < kNumLandmarks; ++j) {
      const cv::Point2f& p = candidate_landmarks_[i][j];
      f.landmarks[j] = cv::Point2f(p.x * sx, p.y * sy);
    }
    f.score = candidate_scores_[i];
    faces->push_back(f);
  }
  detail::FinishDetections(image, options_, faces);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Detector>> detail::CreateScrfdDetector(const InstalledModel& model,
                                                              const DetectorOptions& options) {
  const ModelSpec& spec = *model.spec;
  const int w = spec.card.input_width, h = spec.card.input_height;
  if (w <= 0 || h <= 0 || w % kStrides.back() != 0 || h % kStrides.back() != 0) {
    return Status::InvalidArgument(
        "model " + spec.id + ": SCRFD needs a fixed input size that is a multiple of " +
        std::to_string(kStrides.back()) + ", card says " + std::to_string(w) + "x" +
        std::to_string(h));
  }
  const std::string file = model.files.front().string();
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromONNX(file);
  } catch (const cv::Exception& e) {
    return Status::Internal("model " + spec.id + ": OpenCV cannot load " + file + ": " + e.msg);
  }
  if (net.empty()) {
    return Status::Internal("model " + spec.id + ": OpenCV cannot load " + file);
  }
  auto detector = std::make_unique<ScrfdDetector>(spec, options, std::move(net));
  LFR_RETURN_IF_ERROR(detector->Initialise());
  return std::unique_ptr<Detector>(std::move(detector));
}

}  // namespace lfr
