// Camera sources: one reader thread per camera that decodes frames with a FrameSource
// (pipeline/frame_source.h: libav for files and RTSP/HTTP streams when the build has it,
// cv::VideoCapture otherwise and for V4L2 devices) and hands them to the camera's worker
// through a FrameQueue.
//
// Source URIs: a file path or file://PATH; rtsp://, rtsps://, http://, https://, udp://,
// tcp:// streams; /dev/videoN or v4l2:N devices.
//
// Files are either paced at their frame rate (behaving like a live camera) or read as fast
// as the worker takes them (lossless). A paced reader that falls behind (descheduled, or a
// slow decode) does what a live camera's client does with the frames its RTSP/TCP stream
// buffered: it decodes the frames it owes back to back, without sleeping, and hands over
// every one it would have handed over on time; the queue absorbs the burst. Only when it is
// more than CameraOptions::max_behind_s behind (the CPU cannot keep up) does it skip ahead
// to the present, and the wanted frames it skips are counted as dropped (frames_late).
// Frames left out on purpose (decode_every, the adaptive cadence) are never drops. A file that cannot be opened fails the camera at once with
// a message naming it. Streams and devices that cannot be opened or stop delivering
// (EOF, timeout, decoder error) are reopened with capped exponential back-off
// (backoff_initial_s doubling up to backoff_max_s), by default for as long as the camera
// runs: a stream that comes back revives the camera. Other cameras are not affected by one
// camera's failure.
//
// Every health change is logged (spdlog, with the detail) and reported to the health
// listener. CameraStatus::error carries the detail (paths, addresses, FFmpeg's reason) for
// the log and the local CLI; CameraStatus::public_error says the same without details, for
// API clients (no file or port oracle). Both are cleared when the camera is up again.
//
// Thread-safety: Start/Stop/Join from one controlling thread; status() and Restart() from
// any thread. The health listener is called on the reader thread.
#ifndef LFR_PIPELINE_CAMERA_H_
#define LFR_PIPELINE_CAMERA_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pipeline/frame_queue.h"
#include "pipeline/frame_source.h"
#include "pipeline/stats.h"
#include "util/status.h"

namespace lfr {

enum class SourceKind { kFile, kStream, kDevice };

struct SourceSpec {
  SourceKind kind = SourceKind::kFile;
  std::string uri;       // as given
  std::string location;  // file path, stream URL or device path
  int device_index = -1; // for v4l2:N
};

// Classifies a source URI. InvalidArgument for an empty or unsupported scheme.
Result<SourceSpec> ParseSource(const std::string& uri);

struct SourcePolicy;  // pipeline/source_policy.h
class PacketTap;     // pipeline/packet_tap.h

enum class CameraHealth { kStarting, kUp, kReconnecting, kFailed, kEnded };

// The clock that paces file sources at their frame rate: the steady clock by default; tests
// inject a fake one to stall a reader deterministically (no sleeps, no timing assertions).
// Called from the reader thread only.
class PaceClock {
 public:
  virtual ~PaceClock() = default;
  virtual SteadyClock::time_point Now() = 0;
  virtual void SleepUntil(SteadyClock::time_point t) = 0;
};
const char* HealthName(CameraHealth h);

struct CameraOptions {
  bool realtime = true;          // files: pace at the file's fps; false = as fast as taken
  bool loop = false;             // files: start again at the end (benchmarks)
  double max_seconds = 0;        // stop after this long (wall clock); 0 = no limit
  int64_t max_frames = 0;        // stop after this many frames; 0 = no limit
  // Files, a part of the file (forensic search splits long files across threads): start
  // at the key frame at or before start_s (media seconds from the first frame; frames keep
  // the file's indices and times) and end before the first frame at or after end_s
  // (0 = the end). A source that cannot seek fails the camera. Not with `loop`.
  double start_s = 0;
  double end_s = 0;
  // Fully decode (colour-convert and hand over) only every n-th frame; the others are
  // grabbed (the codec still decodes them, as it must) but not converted to BGR nor handed
  // over. The pipeline sets this to its detect_every, since skipped frames are not looked at.
  int decode_every = 1;
  // If set, the interval in force now (>= decode_every): the pipeline's adaptive detect
  // cadence (pipeline/cadence.h). Frames it leaves out beyond decode_every count as shed.
  const std::atomic<int>* decode_every_live = nullptr;
  double backoff_initial_s = 1.0;
  double backoff_max_s = 30.0;
  int max_reconnects = -1;       // consecutive failed attempts before kFailed; < 0 = forever
                                 //   (the default: a live camera never gives up)
  int open_timeout_ms = 10000;   // streams
  int read_timeout_ms = 10000;   // streams
  // Decoder (pipeline/frame_source.h). The libav-only settings are ignored by OpenCV.
  DecoderBackend backend = DecoderBackend::kAuto;
  int decoder_threads = 1;       // libav: threads per decoder; 0 = FFmpeg's choice
  bool skip_nonref = true;       // libav, files: leave non-reference frames that are not
                                 //   handed over (decode_every) undecoded
  bool skip_loop_filter = false; // libav: skip the deblocking filter (cheaper, blockier)
  // Paced files: how far (seconds) the reader may fall behind its frames' due times and
  // still hand over every frame it owes (decoding them back to back to catch up). Beyond
  // that it skips ahead to the present; the wanted frames skipped are dropped (frames_late).
  // Values below one frame interval act as one frame interval (the old behaviour).
  double max_behind_s = 2.0;
  // Reader thread priority: nice value relative to the process. A reader that is starved
  // of CPU falls behind (and beyond max_behind_s skips); readers are cheap next to the
  // workers, so they run at a higher priority by default. Needs CAP_SYS_NICE (e.g. root);
  // without it the reader keeps the process's priority.
  int reader_nice = -5;
  // Which sources may be opened (pipeline/source_policy.h), checked at each open; a file's
  // resolved path is what gets opened. null = any source (the local CLI's own files).
  std::shared_ptr<const SourcePolicy> source_policy;
  int working_long_side = 0;     // libav: also hand over a copy downscaled to this long
                                 //   side (Frame::working, for the detector); 0 = none.
                                 //   Pipeline sets the detector's unless this is < 0
  std::shared_ptr<PaceClock> pace_clock;  // null = the steady clock (tests inject one)
  // libav: sees every demuxed packet of the video stream before decoding (recording,
  // pipeline/packet_tap.h); null = none. Per camera (Pipeline: CameraSpec::packet_tap).
  std::shared_ptr<PacketTap> packet_tap;
};

// What API clients are told for every source that is refused or cannot be opened.
inline constexpr const char* kSourceUnavailable = "camera source not allowed or not reachable";

struct CameraStatus {
  CameraHealth health = CameraHealth::kStarting;
  std::string error;             // the current problem, naming the source ("" while up)
  std::string public_error;      // the same without details, for API clients ("" while up)
  std::string last_error_time;   // UTC ISO 8601 of the last problem, kept after recovery
  int64_t frames_read = 0;       // every frame of the source the reader went past (a paced
                                 //   file stopped while behind: also those due, not reached)
  int64_t frames_dropped = 0;    // dropped from the full queue or skipped while late
  int64_t frames_late = 0;       // of those, wanted frames skipped because the reader was
                                 //   more than max_behind_s behind (paced files)
  int64_t frames_grab_only = 0;  // skipped on purpose (decode_every), not dropped
  int64_t frames_shed = 0;       // skipped because the adaptive cadence was raised under
                                 //   load (pipeline/cadence.h): not dropped, not processed
  int64_t reconnects = 0;
  std::string last_frame_time;   // UTC ISO 8601 of the last frame, "" if none yet
  double behind_s = 0;           // paced files: how far the reader is behind its frames'
                                 //   due times now (0 when on time; streams: 0)
  double fps = 0;                // the source's nominal frame rate (0 if unknown)
  double reader_cpu_ms = 0;      // CPU time of the reader thread (decoding, conversion),
                                 //   added when the thread ends
  DecoderBackend backend = DecoderBackend::kAuto;  // the decoder in use once opened
  int width = 0, height = 0;
};

// Called on the reader thread at each health change with the detailed error ("" if none).
using HealthListener =
    std::function<void(const std::string& camera, CameraHealth health, const CameraStatus& status)>;

class CameraReader {
 public:
  // slot must outlive the reader.
  CameraReader(std::string name, SourceSpec source, CameraOptions options, FrameQueue* slot);
  ~CameraReader();

  // Set before Start(); called on every health change.
  void SetHealthListener(HealthListener listener) { listener_ = std::move(listener); }
  // Starts the reader thread. A file source that does not exist fails here (NotFound) and
  // the camera's health becomes kFailed; everything else is reported through status().
  // May be called again after Join() (the slot reopened) to start the camera afresh; the
  // counters carry on.
  Status Start();
  // Asks the thread to stop; Join() waits. The slot is closed when the thread ends.
  void Stop();
  void Join();
  // While running: closes the source and opens it again at once, back-off reset. Returns
  // false if the reader is not running (then Start() it again).
  bool Restart();
  bool running() const { return running_.load(); }

  CameraStatus status() const;
  // Frames lost so far: skipped while the reader was late plus dropped from the queue.
  int64_t frames_lost() const;
  // Paced files: seconds the reader is behind its frames' due times now (0 when on time or
  // not paced). Lock-free, for the worker's every-frame load report.
  double behind_s() const { return behind_s_.load(std::memory_order_relaxed); }
  const std::string& name() const { return name_; }
  const SourceSpec& source() const { return source_; }
  // Decode (+ colour conversion) time per frame, milliseconds. Read after Join().
  const LatencyStats& decode_ms() const { return decode_ms_; }

 private:
  void Loop();
  bool Open(FrameSource* source, std::string* error);
  // Sets the health; a non-empty error is recorded (detail and public text), kUp clears it.
  // force: report even if unchanged (a start reports "starting" every time).
  void SetHealth(CameraHealth h, const std::string& error = "",
                 const std::string& public_error = kSourceUnavailable, bool force = false);
  bool SleepFor(double seconds);  // false if stopped meanwhile
  int CurrentEvery() const;

  const std::string name_;
  const SourceSpec source_;
  SourceSpec open_source_;  // source_ as the policy resolved it (set by Start)
  const CameraOptions options_;
  FrameQueue* slot_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> restart_{false};
  std::atomic<double> behind_s_{0};
  HealthListener listener_;
  mutable std::mutex mu_;
  CameraStatus status_;
  LatencyStats decode_ms_;
};

}  // namespace lfr

#endif  // LFR_PIPELINE_CAMERA_H_
