// The "yunet" detector format: cv::FaceDetectorYN (OpenCV 4.5.4-4.7) with the 2022mar
// fixed-shape YuNet export. FaceDetectorYN returns one row of 15 floats per face: x, y,
// w, h, then the five landmarks (x, y) in OpenLFR's order, then the score.
#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect/face.hpp>

#include "vision/detector.h"

namespace lfr {
namespace detail {
// Defined in detector.cc.
Status CheckDetectorInput(const ModelSpec& spec, const cv::Mat& image);
void FinishDetections(const cv::Mat& image, const DetectorOptions& options,
                      std::vector<Face>* faces);
Result<std::unique_ptr<Detector>> CreateYuNetDetector(const InstalledModel& model,
                                                      const DetectorOptions& options);
}  // namespace detail

namespace {

constexpr int kYuNetColumns = 15;
constexpr int kYuNetScoreColumn = 14;

class YuNetDetector final : public Detector {
 public:
  YuNetDetector(const ModelSpec& spec, const DetectorOptions& options,
                cv::Ptr<cv::FaceDetectorYN> net, cv::Size net_size)
      : spec_(spec), options_(options), net_(std::move(net)), net_size_(net_size) {}

  Status Detect(const cv::Mat& image, std::vector<Face>* faces) override {
    return DetectWithWorking(image, cv::Mat(), faces);
  }
  Status DetectWithWorking(const cv::Mat& image, const cv::Mat& working,
                           std::vector<Face>* faces) override;
  bool UsesWorkingCopy() const override { return true; }
  const ModelSpec& spec() const override { return spec_; }
  const DetectorOptions& options() const override { return options_; }

 private:
  const ModelSpec spec_;  // a copy: the detector may outlive the catalogue it came from
  const DetectorOptions options_;
  cv::Ptr<cv::FaceDetectorYN> net_;
  cv::Size net_size_;  // the input size FaceDetectorYN is currently set up for
  cv::Mat resized_;    // working copy when the input is downscaled (reused across frames)
  cv::Mat raw_;        // FaceDetectorYN's N x 15 output (reused across frames)
};

Status YuNetDetector::DetectWithWorking(const cv::Mat& image, const cv::Mat& working,
                                        std::vector<Face>* faces) {
  LFR_RETURN_IF_ERROR(detail::CheckDetectorInput(spec_, image));

  // Downscale so the long side is at most working_long_side (never upscale).
  const int long_side = std::max(image.cols, image.rows);
  const cv::Mat* input = &image;
  if (options_.working_long_side > 0 && long_side > options_.working_long_side) {
    const double scale = static_cast<double>(options_.working_long_side) / long_side;
    const cv::Size working_size(std::max(1, static_cast<int>(std::lround(image.cols * scale))),
                                std::max(1, static_cast<int>(std::lround(image.rows * scale))));
    if (working.size() == working_size && working.type() == CV_8UC3) {
      input = &working;  // the caller's copy, e.g. made by the decoder
    } else {
      cv::resize(image, resized_, working_size, 0, 0, cv::INTER_AREA);
      input = &resized_;
    }
  }
  // Per-axis factors from the actual working size, so rounding does not skew the mapping.
  const float sx = static_cast<float>(image.cols) / input->cols;
  const float sy = static_cast<float>(image.rows) / input->rows;

  try {
    if (input->size() != net_size_) {
      net_->setInputSize(input->size());
      net_size_ = input->size();
    }
    net_->detect(*input, raw_);
  } catch (const cv::Exception& e) {
    return Status::Internal("detector " + spec_.id + ": FaceDetectorYN failed on a " +
                            std::to_string(input->cols) + "x" + std::to_string(input->rows) +
                            " image: " + e.msg);
  }

  if (!raw_.empty() && (raw_.type() != CV_32F || raw_.cols != kYuNetColumns)) {
    return Status::Internal("detector " + spec_.id + ": unexpected FaceDetectorYN output (" +
                            std::to_string(raw_.cols) + " columns)");
  }
  faces->clear();
  for (int r = 0; r < raw_.rows; ++r) {
    const float* v = raw_.ptr<float>(r);
    Face f;
    f.box = cv::Rect2f(v[0] * sx, v[1] * sy, v[2] * sx, v[3] * sy);
    for (int k = 0; k < kNumLandmarks; ++k) {
      f.landmarks[k] = cv::Point2f(v[4 + 2 * k] * sx, v[5 + 2 * k] * sy);
    }
    f.score = v[kYuNetScoreColumn];
    faces->push_back(f);
  }
  detail::FinishDetections(image, options_, faces);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Detector>> detail::CreateYuNetDetector(const InstalledModel& model,
                                                              const DetectorOptions& options) {
  const ModelSpec& spec = *model.spec;
  const float score = options.score_threshold >= 0 ? options.score_threshold
                                                   : spec.card.score_threshold;
  const float nms = options.nms_threshold >= 0 ? options.nms_threshold
                                               : spec.card.nms_threshold;
  // The initial size is a placeholder: Detect() sets the real one from the first frame.
  const cv::Size initial(320, 320);
  cv::Ptr<cv::FaceDetectorYN> net;
  try {
    net = cv::FaceDetectorYN::create(model.files.front().string(), "", initial, score, nms);
  } catch (const cv::Exception& e) {
    return Status::Internal("model " + spec.id + ": OpenCV cannot load " +
                            model.files.front().string() + ": " + e.msg);
  }
  if (net.empty()) {
    return Status::Internal("model " + spec.id + ": OpenCV cannot load " +
                            model.files.front().string());
  }
  return std::unique_ptr<Detector>(new YuNetDetector(spec, options, std::move(net), initial));
}

}  // namespace lfr
