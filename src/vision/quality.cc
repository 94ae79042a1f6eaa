#include "vision/quality.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace lfr {
namespace {

constexpr double kRadToDeg = 180.0 / std::numbers::pi;

// Depth of the nose tip in front of the eye/mouth plane, as a fraction of half the
// inter-eye distance. From the generic 3D face commonly used for 6-point head pose
// (eyes at x = +-225, nose tip 135 in front of them): 135 / 225 = 0.6.
constexpr double kNoseDepthOverHalfEyeDist = 0.6;

template <typename... Args>
std::string Format(const char* fmt, Args... args) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

float Clamp01(double v) { return static_cast<float>(std::clamp(v, 0.0, 1.0)); }

// Variance of the Laplacian of the grey crop: high for sharp edges, low for blur.
float Sharpness(const cv::Mat& aligned) {
  thread_local cv::Mat grey, lap;
  if (aligned.channels() == 3) {
    cv::cvtColor(aligned, grey, cv::COLOR_BGR2GRAY);
  } else if (aligned.channels() == 4) {
    cv::cvtColor(aligned, grey, cv::COLOR_BGRA2GRAY);
  } else {
    aligned.copyTo(grey);
  }
  cv::Laplacian(grey, lap, CV_32F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  // The crop is a face of someone who may match nobody: leave no copy behind.
  grey.setTo(0);
  lap.setTo(0);
  return static_cast<float>(stddev[0] * stddev[0]);
}

// Why the five landmarks cannot belong to one face, if they cannot (empty = plausible).
// r holds the inter-eye distance, yaw and pitch ratio already estimated from them.
std::vector<std::string> ImplausibleGeometry(const Face& face, const QualityReport& r,
                                             const QualityOptions& options) {
  std::vector<std::string> why;
  const cv::Point2d re(face.landmarks[kRightEye]), le(face.landmarks[kLeftEye]);
  const cv::Point2d rm(face.landmarks[kRightMouth]), lm(face.landmarks[kLeftMouth]);
  const cv::Point2d nose(face.landmarks[kNose]);
  const cv::Point2d eye_mid = (re + le) * 0.5, mouth_mid = (rm + lm) * 0.5;
  const double inter_eye = r.inter_eye_px;
  const double box = std::max(face.box.width, face.box.height);

  if (box > 0) {
    // Eyes far closer than the box implies, even allowing for the estimated head turn:
    // the landmarks collapsed (typically a face lying sideways or a non-face).
    const double turn = std::max(std::cos(r.yaw_deg / kRadToDeg), std::cos(75.0 / kRadToDeg));
    const double need = options.min_eye_to_box * turn * box;
    if (inter_eye < need) {
      why.push_back(Format("implausible landmarks: eyes %.0f px apart in a %.0f px box (expected >= %.0f)",
                           inter_eye, box, need));
    }
    const double eye_mouth = std::hypot(mouth_mid.x - eye_mid.x, mouth_mid.y - eye_mid.y);
    if (options.min_eye_mouth_to_box > 0 && eye_mouth < options.min_eye_mouth_to_box * box) {
      why.push_back(Format("implausible landmarks: eyes to mouth %.0f px in a %.0f px box (expected >= %.0f)",
                           eye_mouth, box, options.min_eye_mouth_to_box * box));
    }
    if (options.min_box_h_to_w > 0 && face.box.width > 0 &&
        face.box.height < options.min_box_h_to_w * face.box.width) {
      why.push_back(Format("implausible geometry: the face box is wider than tall (height/width %.2f < %.2f): "
                           "a face on its side",
                           face.box.height / face.box.width, options.min_box_h_to_w));
    }
    // Every landmark within the box grown by a quarter on each side.
    const cv::Rect2d grown(face.box.x - 0.25 * face.box.width, face.box.y - 0.25 * face.box.height,
                           1.5 * face.box.width, 1.5 * face.box.height);
    for (const auto& p : face.landmarks) {
      if (!grown.contains(cv::Point2d(p))) {
        why.push_back("implausible landmarks: a landmark lies outside the face box");
        break;
      }
    }
  }
  if (inter_eye <= 1e-6) {
    why.push_back("implausible landmarks: both eyes at one point");
    return why;
  }
  // Face frame (roll removed): x along the eye line, y down the face.
  const cv::Point2d ux = (le - re) * (1.0 / inter_eye);
  const cv::Point2d uy(-ux.y, ux.x);
  const auto to_face = [&](const cv::Point2d& p) {
    const cv::Point2d q = p - eye_mid;
    return cv::Point2d(q.dot(ux), q.dot(uy));
  };
  const cv::Point2d m = to_face(mouth_mid), n = to_face(nose);
  const cv::Point2d mouth_vec = to_face(lm) - to_face(rm);
  if (m.y < 0.35 * inter_eye) {
    why.push_back(Format("implausible landmarks: mouth %s the eye line (folded)",
                         m.y < 0 ? "above" : "level with"));
  } else if (n.y < 0.0 || n.y > 1.1 * m.y) {
    why.push_back("implausible landmarks: nose outside the band between eyes and mouth (folded)");
  }
  const double mouth_width = std::hypot(mouth_vec.x, mouth_vec.y);
  if (mouth_vec.x < 0) {
    why.push_back("implausible landmarks: mouth corners in the opposite order to the eyes (folded)");
  } else if (mouth_width < 0.3 * inter_eye || mouth_width > 3.0 * inter_eye) {
    why.push_back(Format("implausible landmarks: mouth %.0f px wide for eyes %.0f px apart",
                         mouth_width, inter_eye));
  }
  return why;
}

}  // namespace

QualityReport AssessQuality(const Face& face, const cv::Mat& aligned,
                            const QualityOptions& options) {
  QualityReport r;
  r.detector_score = face.score;

  const cv::Point2d re(face.landmarks[kRightEye]), le(face.landmarks[kLeftEye]);
  const cv::Point2d nose(face.landmarks[kNose]);
  const cv::Point2d mouth_mid =
      (cv::Point2d(face.landmarks[kRightMouth]) + cv::Point2d(face.landmarks[kLeftMouth])) *
      0.5;
  const cv::Point2d eye_mid = (re + le) * 0.5;
  const cv::Point2d eye_vec = le - re;  // image-left eye to image-right eye
  const double inter_eye = std::hypot(eye_vec.x, eye_vec.y);
  r.inter_eye_px = static_cast<float>(inter_eye);

  // Roll: angle of the eye line, positive when the image-right eye is lower (the head
  // rotated clockwise in the image).
  r.roll_deg = static_cast<float>(std::atan2(eye_vec.y, eye_vec.x) * kRadToDeg);

  if (inter_eye > 1e-6) {
    // Face frame: x along the eye line, y perpendicular to it (down the face), origin at
    // the eye midpoint; this removes roll before judging yaw and pitch.
    const cv::Point2d ux = eye_vec * (1.0 / inter_eye);
    const cv::Point2d uy(-ux.y, ux.x);
    const auto to_face = [&](const cv::Point2d& p) {
      const cv::Point2d q = p - eye_mid;
      return cv::Point2d(q.dot(ux), q.dot(uy));
    };
    const cv::Point2d n = to_face(nose), m = to_face(mouth_mid);

    // Yaw, approximated with a rigid face under orthographic projection: eyes and mouth
    // corners lie in one plane and stay symmetric about the face's vertical midline
    // (here the mean of the eye and mouth midpoints), while the nose tip stands p in
    // front of it. Turning by yaw moves the nose off the midline by p sin(yaw) while the
    // half eye distance e shrinks to e cos(yaw), so
    //   offset / (inter_eye / 2) = (p / e) tan(yaw).
    // Good to a few degrees for moderate turns; it under-reads near profile, where the
    // far-side landmarks are guesses anyway.
    const double midline_x = 0.5 * (0.0 + m.x);
    const double ratio = (n.x - midline_x) / (0.5 * inter_eye);
    r.yaw_deg = static_cast<float>(std::atan(ratio / kNoseDepthOverHalfEyeDist) * kRadToDeg);
    // Pitch: how far down from the eye line to the mouth the nose tip sits (about 0.5
    // for a frontal face; smaller looking up, larger looking down).
    r.pitch_ratio = m.y > 1e-6 ? static_cast<float>(n.y / m.y) : 0.0f;
  }

  const bool have_crop = !aligned.empty();
  if (have_crop) r.sharpness = Sharpness(aligned);

  if (options.min_eye_to_box > 0) {
    std::vector<std::string> geometry = ImplausibleGeometry(face, r, options);
    r.plausible_landmarks = geometry.empty();
    for (auto& g : geometry) r.reasons.push_back(std::move(g));
  }

  if (r.inter_eye_px < options.min_inter_eye_px) {
    r.reasons.push_back(
        Format("eyes %.1f px apart (< %g)", r.inter_eye_px, options.min_inter_eye_px));
  }
  if (have_crop && r.sharpness < options.min_sharpness) {
    r.reasons.push_back(
        Format("blurred: sharpness %.1f (< %g)", r.sharpness, options.min_sharpness));
  }
  if (std::abs(r.yaw_deg) > options.max_abs_yaw_deg) {
    r.reasons.push_back(Format("turned: yaw %.0f\u00b0 (> %g\u00b0)", std::abs(r.yaw_deg),
                               options.max_abs_yaw_deg));
  }
  if (std::abs(r.roll_deg) > options.max_abs_roll_deg) {
    r.reasons.push_back(Format("tilted: roll %.0f\u00b0 (> %g\u00b0)", std::abs(r.roll_deg),
                               options.max_abs_roll_deg));
  }
  if (r.detector_score < options.min_detector_score) {
    r.reasons.push_back(Format("low detector score %.2f (< %.2f)", r.detector_score,
                               options.min_detector_score));
  }

  // Overall score: product of sub-scores, each 1 when that aspect is comfortably good.
  // Size and sharpness saturate at twice their minimum; pose falls off with the cosine.
  const double s_det = std::clamp(static_cast<double>(r.detector_score), 0.0, 1.0);
  const double s_size = options.min_inter_eye_px > 0
                            ? Clamp01(r.inter_eye_px / (2.0 * options.min_inter_eye_px))
                            : 1.0;
  const double s_sharp = have_crop && options.min_sharpness > 0
                             ? Clamp01(r.sharpness / (2.0 * options.min_sharpness))
                             : 1.0;
  const double s_yaw = Clamp01(std::cos(r.yaw_deg / kRadToDeg));
  const double s_roll = Clamp01(std::cos(r.roll_deg / kRadToDeg));
  r.score = static_cast<float>(s_det * s_size * s_sharp * s_yaw * s_roll);

  if (r.score < options.min_score) {
    r.reasons.push_back(Format("low quality score %.2f (< %.2f)", r.score, options.min_score));
  }
  r.passed = r.reasons.empty();
  return r;
}

std::vector<std::string> MarginalNotes(const QualityReport& q, const QualityOptions& options) {
  std::vector<std::string> notes;
  if (!q.passed) return notes;
  if (options.min_inter_eye_px > 0 && q.inter_eye_px < 2 * options.min_inter_eye_px) {
    notes.push_back(Format("small: eyes %.1f px apart (least %g, good from %g)", q.inter_eye_px,
                           options.min_inter_eye_px, 2 * options.min_inter_eye_px));
  }
  if (options.min_sharpness > 0 && q.sharpness > 0 && q.sharpness < 2 * options.min_sharpness) {
    notes.push_back(Format("soft: sharpness %.1f (least %g, good from %g)", q.sharpness, options.min_sharpness,
                           2 * options.min_sharpness));
  }
  if (std::abs(q.yaw_deg) > 45.0f) {
    notes.push_back(Format("turned: yaw %.0f\u00b0 (limit %g\u00b0)", std::abs(q.yaw_deg), options.max_abs_yaw_deg));
  }
  if (std::abs(q.roll_deg) > 20.0f) {
    notes.push_back(Format("tilted: roll %.0f\u00b0 (limit %g\u00b0)", std::abs(q.roll_deg), options.max_abs_roll_deg));
  }
  if (q.detector_score < 0.8f) {
    notes.push_back(Format("uncertain detection: score %.2f (least %.2f)", q.detector_score, options.min_detector_score));
  }
  return notes;
}

}  // namespace lfr
