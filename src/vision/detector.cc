// CreateDetector (dispatch on the model card's format), the post-processing both detector
// implementations share (minimum width, dropping featureless boxes, score order, max_faces)
// and CentralFaceIndex.
#include "vision/detector.h"

#include <algorithm>
#include <string>

#include <opencv2/imgproc.hpp>

namespace lfr {
namespace {

// YuNet 2022mar reports large phantom faces (score up to ~0.86) on dark, featureless
// frames: black, near-black, or flat with sensor noise. Such a box has no visible structure
// at a coarse scale. The test: the standard deviation of the grey levels of the box
// shrunk to 16x16 (which averages sensor noise away). Measured on the shared data with
// YuNet: phantoms on flat frames with Gaussian noise up to sigma 12 stay below 0.7; real
// faces are at least 5.3 (a dim face in the dark audience of the Hamilton clip), LFW faces
// at least 6.4 (1,236 faces, every 13th image).
constexpr int kStructureThumb = 16;
constexpr double kMinFaceStructure = 2.0;

bool HasVisibleStructure(const cv::Mat& image, const cv::Rect2f& box) {
  const cv::Rect region = cv::Rect(box) & cv::Rect(cv::Point(0, 0), image.size());
  if (region.empty()) return false;  // entirely outside the picture
  // Stack buffers: no allocation per face.
  uchar thumb_data[kStructureThumb * kStructureThumb * 3];
  uchar grey_data[kStructureThumb * kStructureThumb];
  cv::Mat thumb(kStructureThumb, kStructureThumb, CV_8UC3, thumb_data);
  cv::Mat grey(kStructureThumb, kStructureThumb, CV_8UC1, grey_data);
  cv::resize(image(region), thumb, thumb.size(), 0, 0, cv::INTER_AREA);
  cv::cvtColor(thumb, grey, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(grey, mean, stddev);
  return stddev[0] >= kMinFaceStructure;
}

}  // namespace

// Shared between detector.cc, yunet_detector.cc and scrfd_detector.cc. The
// implementations stay private to their .cc files; these declarations are repeated in
// each file that uses them (a mismatch is a link error).
namespace detail {
Result<std::unique_ptr<Detector>> CreateYuNetDetector(const InstalledModel& model,
                                                      const DetectorOptions& options);
Result<std::unique_ptr<Detector>> CreateScrfdDetector(const InstalledModel& model,
                                                      const DetectorOptions& options);

Status CheckDetectorInput(const ModelSpec& spec, const cv::Mat& image) {
  if (image.empty()) {
    return Status::InvalidArgument("detector " + spec.id + ": empty image");
  }
  if (image.type() != CV_8UC3) {
    return Status::InvalidArgument("detector " + spec.id +
                                   ": expected an 8-bit 3-channel BGR image, got " +
                                   std::to_string(image.channels()) + " channel(s) of depth " +
                                   std::to_string(image.depth()));
  }
  return Status::Ok();
}

void FinishDetections(const cv::Mat& image, const DetectorOptions& options,
                      std::vector<Face>* faces) {
  std::erase_if(*faces, [&](const Face& f) {
    return f.box.width < options.min_face_px || !HasVisibleStructure(image, f.box);
  });
  std::stable_sort(faces->begin(), faces->end(),
                   [](const Face& a, const Face& b) { return a.score > b.score; });
  if (options.max_faces > 0 && faces->size() > static_cast<size_t>(options.max_faces)) {
    faces->resize(static_cast<size_t>(options.max_faces));
  }
}
}  // namespace detail

Result<std::unique_ptr<Detector>> CreateDetector(const InstalledModel& model,
                                                 const DetectorOptions& options) {
  if (model.spec == nullptr) return Status::InvalidArgument("detector: no model given");
  const ModelSpec& spec = *model.spec;
  if (spec.role != ModelRole::kDetector) {
    return Status::InvalidArgument("model " + spec.id + " is a " + RoleName(spec.role) +
                                   ", not a detector");
  }
  if (model.files.empty()) {
    return Status::InvalidArgument("model " + spec.id + ": no installed files");
  }
  if (options.working_long_side < 0) {
    return Status::InvalidArgument("detector " + spec.id + ": working_long_side must be >= 0, got " +
                                   std::to_string(options.working_long_side));
  }
  if (options.max_faces < 0) {
    return Status::InvalidArgument("detector " + spec.id + ": max_faces must be >= 0, got " +
                                   std::to_string(options.max_faces));
  }
  if (options.score_threshold > 1.0f || options.nms_threshold > 1.0f) {
    return Status::InvalidArgument("detector " + spec.id +
                                   ": score and NMS thresholds must be at most 1");
  }
  if (spec.card.format == "yunet") return detail::CreateYuNetDetector(model, options);
  if (spec.card.format == "scrfd") return detail::CreateScrfdDetector(model, options);
  return Status::InvalidArgument("model " + spec.id + ": unknown detector format '" +
                                 spec.card.format + "' (known: yunet, scrfd)");
}

int CentralFaceIndex(const std::vector<Face>& faces, cv::Size image_size) {
  const cv::Point2f centre(image_size.width / 2.0f, image_size.height / 2.0f);
  int best = -1;
  float best_dist2 = 0.0f;
  float best_area = 0.0f;
  for (size_t i = 0; i < faces.size(); ++i) {
    const cv::Rect2f& b = faces[i].box;
    const cv::Point2f d = cv::Point2f(b.x + b.width / 2.0f, b.y + b.height / 2.0f) - centre;
    const float dist2 = d.dot(d);
    const float area = b.area();
    if (best < 0 || dist2 < best_dist2 || (dist2 == best_dist2 && area > best_area)) {
      best = static_cast<int>(i);
      best_dist2 = dist2;
      best_area = area;
    }
  }
  return best;
}

}  // namespace lfr
