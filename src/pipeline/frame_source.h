// FrameSource: the decoder behind a CameraReader (pipeline/camera.h). Two backends:
//
//   libav   (pipeline/av_source.h) FFmpeg's libavformat/libavcodec/libswscale used
//           directly, for files and network streams. It exposes what cv::VideoCapture 4.6
//           does not: one decoder thread per camera (N cameras on few cores run N
//           single-threaded decoders instead of N thread pools), frames the worker will not
//           look at left undecoded when nothing references them (skip_frame = NONREF),
//           optional skipping of the deblocking filter, and a second, downscaled BGR copy
//           made straight from the decoder's YUV for the detector (Frame::working).
//   opencv  cv::VideoCapture (FFmpeg or V4L2): devices always, and everything when the
//           build has no libav or CameraOptions::backend says so.
//
// Both deliver frames in display order, one Next() per frame; the reader's pacing, drop
// accounting, reconnect and health logic (camera.cc) is the same for both.
//
// Thread-safety: a FrameSource is used by its reader thread only.
#ifndef LFR_PIPELINE_FRAME_SOURCE_H_
#define LFR_PIPELINE_FRAME_SOURCE_H_

#include <atomic>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

namespace lfr {

struct SourceSpec;
struct CameraOptions;

enum class DecoderBackend { kAuto, kOpenCv, kLibav };
const char* BackendName(DecoderBackend b);

struct SourceInfo {
  double fps = 0;  // nominal frame rate, 0 if unknown
  int width = 0, height = 0;
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Opens (or reopens) the source. false on failure, with the reason in *error.
  virtual bool Open(SourceInfo* info, std::string* error) = 0;
  virtual bool IsOpen() const = 0;
  // Frames of this open session with (phase + k) % every != 0 (k = 0-based display index
  // since Open) will be asked for without pixels; a decoder may leave them undecoded.
  virtual void SetWanted(int every, int64_t phase) {}
  // Advances one frame. With image != nullptr the frame is converted into *image (8-bit
  // BGR, buffer reused) and, when the source makes one and working != nullptr, a
  // downscaled copy into *working (else *working is released). false at the end of the
  // stream or on an error (error() says which; "" at a clean end).
  virtual bool Next(cv::Mat* image, cv::Mat* working) = 0;
  // Files, right after Open(): moves to the key frame at or before `seconds` (media time
  // from the first frame) so that decoding starts there; the following Next() calls return
  // frames from that key frame on. *index: its display index from the first frame (frame
  // indices and SetWanted() phases continue from it, as if every earlier frame had been
  // read). false if the source cannot seek there (then close it).
  virtual bool SeekToKeyFrame(double seconds, int64_t* index) { return false; }
  virtual void Close() = 0;
  virtual const std::string& error() const = 0;
  virtual DecoderBackend backend() const = 0;
};

// The backend for a source: kAuto picks libav for files and streams when the build has
// it, OpenCV otherwise and for devices. `stop` (may be null) interrupts blocking I/O.
std::unique_ptr<FrameSource> MakeFrameSource(const SourceSpec& source,
                                             const CameraOptions& options,
                                             const std::atomic<bool>* stop);
// Whether this build has the libav backend.
bool HaveLibav();

// The detector's working size for a frame (long side at most long_side, never upscaled,
// per-axis rounding as in vision/yunet_detector.cc); {0, 0} when no downscale is needed.
cv::Size WorkingSize(cv::Size frame, int long_side);

}  // namespace lfr

#endif  // LFR_PIPELINE_FRAME_SOURCE_H_
