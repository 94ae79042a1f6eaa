// The OpenCV backend (cv::VideoCapture) and the choice of backend.
#include "pipeline/frame_source.h"

#include "pipeline/av_log.h"

#include <algorithm>
#include <cmath>

#include <opencv2/videoio.hpp>

#include "pipeline/av_source.h"
#include "pipeline/camera.h"

namespace lfr {
namespace {

class OpenCvFrameSource final : public FrameSource {
 public:
  OpenCvFrameSource(const SourceSpec& source, const CameraOptions& options)
      : source_(source), options_(options) {}

  bool Open(SourceInfo* info, std::string* error) override {
    bool ok = false;
    try {
      if (source_.kind == SourceKind::kDevice) {
        ok = source_.device_index >= 0 ? cap_.open(source_.device_index, cv::CAP_V4L2)
                                       : cap_.open(source_.location, cv::CAP_V4L2);
      } else if (source_.kind == SourceKind::kStream) {
        ok = cap_.open(source_.location, cv::CAP_FFMPEG,
                       {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, options_.open_timeout_ms,
                        cv::CAP_PROP_READ_TIMEOUT_MSEC, options_.read_timeout_ms});
      } else {
        ok = cap_.open(source_.location, cv::CAP_FFMPEG);
        if (!ok) ok = cap_.open(source_.location, cv::CAP_ANY);
      }
    } catch (const cv::Exception& e) {
      ok = false;
    }
    if (!ok || !cap_.isOpened()) {
      error->clear();
      return false;
    }
    info->fps = cap_.get(cv::CAP_PROP_FPS);
    if (!std::isfinite(info->fps) || info->fps > 1000) info->fps = 0;
    info->width = static_cast<int>(cap_.get(cv::CAP_PROP_FRAME_WIDTH));
    info->height = static_cast<int>(cap_.get(cv::CAP_PROP_FRAME_HEIGHT));
    return true;
  }
  bool IsOpen() const override { return cap_.isOpened(); }
  bool Next(cv::Mat* image, cv::Mat* working) override {
    if (working != nullptr) working->release();
    try {
      return image == nullptr ? cap_.grab() : cap_.read(*image) && !image->empty();
    } catch (const cv::Exception& e) {
      return false;
    }
  }
  void Close() override { cap_.release(); }
  const std::string& error() const override { return error_; }
  DecoderBackend backend() const override { return DecoderBackend::kOpenCv; }

 private:
  const SourceSpec source_;
  const CameraOptions options_;
  cv::VideoCapture cap_;
  std::string error_;  // VideoCapture gives no reason
};

}  // namespace

const char* BackendName(DecoderBackend b) {
  switch (b) {
    case DecoderBackend::kAuto: return "auto";
    case DecoderBackend::kOpenCv: return "opencv";
    case DecoderBackend::kLibav: return "libav";
  }
  return "?";
}

std::unique_ptr<FrameSource> MakeFrameSource(const SourceSpec& source,
                                             const CameraOptions& options,
                                             const std::atomic<bool>* stop) {
  RouteLibavLog();  // also covers OpenCV's FFmpeg backend (the same libraries)
  const bool libav_ok = HaveLibav() && source.kind != SourceKind::kDevice;
  if (options.backend != DecoderBackend::kOpenCv && libav_ok) {
    return MakeLibavFrameSource(source, options, stop);
  }
  return std::make_unique<OpenCvFrameSource>(source, options);
}

cv::Size WorkingSize(cv::Size frame, int long_side) {
  const int side = std::max(frame.width, frame.height);
  if (long_side <= 0 || side <= long_side) return {0, 0};
  const double scale = static_cast<double>(long_side) / side;
  return {std::max(1, static_cast<int>(std::lround(frame.width * scale))),
          std::max(1, static_cast<int>(std::lround(frame.height * scale)))};
}

}  // namespace lfr
