// Face detection: an image in, faces with boxes, 5 landmarks and scores out.
//
// Detector is the interface; implementations wrap a catalogue model described by its
// ModelCard: "yunet" (cv::FaceDetectorYN) and "scrfd" (cv::dnn with anchor decoding).
// Create one with CreateDetector(). The detector downscales the input so its long side
// is at most DetectorOptions::working_long_side, runs the network, and maps results back
// to input pixels; faces narrower than min_face_px (in input pixels) are dropped.
//
// Thread-safety: a Detector is NOT thread-safe (it owns network state and buffers that
// are reused across calls to avoid per-frame allocation). Use one per thread/camera.
#ifndef LFR_VISION_DETECTOR_H_
#define LFR_VISION_DETECTOR_H_

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "models/store.h"
#include "vision/face.h"
#include "util/status.h"

namespace lfr {

struct DetectorOptions {
  int working_long_side = 640;   // pixels; 0 = detect at full resolution
  float min_face_px = 0.0f;      // minimum box width in input pixels
  float score_threshold = -1.0f; // < 0: use the model card's
  float nms_threshold = -1.0f;   // < 0: use the model card's
  int max_faces = 0;             // 0 = unlimited; otherwise keep the highest-scoring
};

class Detector {
 public:
  virtual ~Detector() = default;
  // image: 8-bit BGR, any size. Appends nothing on error; replaces *faces on success,
  // sorted by descending score. InvalidArgument for an empty or non-BGR image.
  virtual Status Detect(const cv::Mat& image, std::vector<Face>* faces) = 0;
  // As Detect(image), given `working`: image already downscaled elsewhere (e.g. by the
  // video decoder, from YUV, which is cheaper than downscaling the BGR frame). Used only if
  // UsesWorkingCopy() and it has exactly the size the detector would downscale image to;
  // otherwise ignored. Faces are still in image's pixels.
  virtual Status DetectWithWorking(const cv::Mat& image, const cv::Mat& working,
                                   std::vector<Face>* faces) {
    return Detect(image, faces);
  }
  virtual bool UsesWorkingCopy() const { return false; }
  virtual const ModelSpec& spec() const = 0;
  virtual const DetectorOptions& options() const = 0;
};

// Builds the detector the model's card names. InvalidArgument if the model is not a
// detector or its format is unknown; Internal if OpenCV cannot load the file.
Result<std::unique_ptr<Detector>> CreateDetector(const InstalledModel& model,
                                                 const DetectorOptions& options = {});

// Index of the face whose box centre is nearest the image centre, ties broken by the
// larger box; -1 if faces is empty. (The LFW and compare convention.)
int CentralFaceIndex(const std::vector<Face>& faces, cv::Size image_size);

}  // namespace lfr

#endif  // LFR_VISION_DETECTOR_H_
