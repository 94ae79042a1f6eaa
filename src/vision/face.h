// A detected face: the unit that flows from detection to alignment, quality and embedding.
//
// Coordinates are pixels of the image given to the detector (not of any resized working
// copy): x to the right, y down, origin at the top-left pixel corner.
#ifndef LFR_VISION_FACE_H_
#define LFR_VISION_FACE_H_

#include <array>

#include <opencv2/core.hpp>

namespace lfr {

// Landmark order used everywhere in OpenLFR (YuNet's and SCRFD's order, the ArcFace
// template's order): the subject's right eye (image-left), left eye, nose tip, right mouth
// corner, left mouth corner.
enum Landmark { kRightEye = 0, kLeftEye = 1, kNose = 2, kRightMouth = 3, kLeftMouth = 4 };
constexpr int kNumLandmarks = 5;

struct Face {
  cv::Rect2f box;                                   // pixels
  std::array<cv::Point2f, kNumLandmarks> landmarks; // pixels, order as in Landmark
  float score = 0.0f;                               // detector confidence, 0..1
};

}  // namespace lfr

#endif  // LFR_VISION_FACE_H_
