// FootageRecorder: records one camera's video stream, as it arrives, into sealed segments
// of about a minute (footage/segment.h), without decoding or re-encoding anything.
//
// It is the camera's PacketTap (pipeline/packet_tap.h: CameraSpec::packet_tap), so it sees
// each compressed packet on the camera's reader thread before the packet is decoded. A
// segment starts at a key frame and is closed at the first key frame after
// RecorderOptions::segment_ms of stream time (packet timestamps); a reconnect or the end of
// the stream closes the segment in progress (complete and valid). Packets before the first
// key frame of a session are not recorded. Segments are named by the UTC time (the
// injected Clock) of their first packet.
//
// Failures: if a segment cannot be written (disk full, any write or sync error) or the
// camera's codec cannot be recorded, the segment in progress is removed (nothing
// half-written stays on disk), recording stops for this camera for good (until a new
// recorder is made, e.g. the deployment restarted) and on_stopped is called once, on the
// reader thread, with the reason: the alarm (callers log it as an error, audit it as
// "footage.stopped" and publish it as a camera event). Live matching is not affected: the
// tap never fails the reader.
//
// On construction the camera's folder is swept of .part files (segments a killed process
// left unfinished).
//
// Privacy: the plaintext of a segment exists only in memory (the muxer's 32 KiB buffer
// and a 64 KiB chunk, both wiped); the key is copied into locked memory.
//
// Thread-safety: the PacketTap calls come from one reader thread; status() and Close() may
// be called from any thread (a mutex serialises them).
#ifndef LFR_FOOTAGE_RECORDER_H_
#define LFR_FOOTAGE_RECORDER_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "footage/segment.h"
#include "pipeline/packet_tap.h"
#include "privacy/crypto.h"
#include "util/clock.h"
#include "util/status.h"

namespace lfr {

struct RecorderOptions {
  std::filesystem::path footage_root;  // $LFR_HOME/footage (store/retention.h: DefaultFootageDir)
  int64_t deployment_id = 0;
  int64_t camera_id = 0;
  std::string camera_name;             // for messages
  int64_t segment_ms = 60 * 1000;      // stream time per segment (about; cut at key frames)
  Clock* clock = nullptr;              // names segments; null = SystemClock()
  SegmentFileOpener opener;            // tests: how segment files are opened ({} = normal)
  // The alarm: recording stopped for good, and why. Called at most once.
  std::function<void(const Status& why)> on_stopped;
};

enum class RecordingState { kWaiting, kRecording, kStopped, kFailed };
const char* RecordingStateName(RecordingState s);  // "waiting", "recording", "stopped", "failed"

struct RecorderStatus {
  RecordingState state = RecordingState::kWaiting;
  int64_t segments = 0;        // sealed segments finished
  int64_t bytes = 0;           // their size on disk
  int64_t packets = 0;         // packets recorded
  int64_t packets_refused = 0; // packets the muxer would not take (e.g. timestamps out of order)
  int64_t incomplete_swept = 0;  // .part files removed at start
  std::string error;           // why it failed (kFailed)
};

class FootageRecorder final : public PacketTap {
 public:
  // key: the deployment's footage key (Store::FootageKey), copied.
  FootageRecorder(RecorderOptions options, const SecretBytes& key);
  ~FootageRecorder() override;  // Close()

  void OnStreamStart(const AVCodecParameters& params, int time_base_num, int time_base_den) override;
  void OnPacket(const AVPacket& packet) override;
  void OnStreamEnd() override;

  // Finishes the segment in progress (complete and valid) and stops recording (kStopped
  // unless it had failed). Returns the error of that last segment, if any.
  Status Close();
  RecorderStatus status() const;
  std::filesystem::path camera_dir() const;

 private:
  Status StartSegmentLocked(const AVPacket& first);
  Status FinishSegmentLocked();
  void FailLocked(const Status& why);

  RecorderOptions options_;
  SecretBytes key_;
  mutable std::mutex mu_;
  RecorderStatus status_;
  AVCodecParameters* params_ = nullptr;  // of the current session; null = none
  int tb_num_ = 1, tb_den_ = 90000;
  std::unique_ptr<SegmentWriter> writer_;
  std::filesystem::path segment_path_;  // of the segment in progress
  int64_t last_start_ms_ = 0;
  int64_t segment_first_ts_ = 0;
  bool have_first_ts_ = false;
  std::function<void(const Status&)> pending_alarm_;
};

}  // namespace lfr

#endif  // LFR_FOOTAGE_RECORDER_H_
