#include "footage/recorder.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#ifdef LFR_HAVE_LIBAV
extern "C" {
#include <libavcodec/avcodec.h>
}
#endif

namespace lfr {

const char* RecordingStateName(RecordingState s) {
  switch (s) {
    case RecordingState::kWaiting: return "waiting";
    case RecordingState::kRecording: return "recording";
    case RecordingState::kStopped: return "stopped";
    case RecordingState::kFailed: return "failed";
  }
  return "?";
}

FootageRecorder::FootageRecorder(RecorderOptions options, const SecretBytes& key)
    : options_(std::move(options)), key_(key.data(), key.size()) {
  if (options_.clock == nullptr) options_.clock = SystemClock();
  status_.incomplete_swept = SweepIncompleteSegments(camera_dir());
  if (status_.incomplete_swept > 0) {
    spdlog::warn("footage: camera {}: removed {} unfinished segment(s) left by an interrupted run",
                 options_.camera_name, status_.incomplete_swept);
  }
}

FootageRecorder::~FootageRecorder() {
  Close();
#ifdef LFR_HAVE_LIBAV
  avcodec_parameters_free(&params_);
#endif
}

std::filesystem::path FootageRecorder::camera_dir() const {
  return CameraFootageDir(options_.footage_root, options_.deployment_id, options_.camera_id);
}

RecorderStatus FootageRecorder::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void FootageRecorder::FailLocked(const Status& why) {
  if (writer_) writer_->Abort();  // removes the segment in progress
  writer_.reset();
  status_.state = RecordingState::kFailed;
  status_.error = why.message();
  spdlog::error("footage: camera {}: recording stopped: {}", options_.camera_name, why.message());
  if (options_.on_stopped) {
    auto alarm = options_.on_stopped;
    pending_alarm_ = [alarm](const Status& s) { alarm(s); };
  }
}

#ifdef LFR_HAVE_LIBAV

Status FootageRecorder::FinishSegmentLocked() {
  if (!writer_) return Status::Ok();
  std::unique_ptr<SegmentWriter> w = std::move(writer_);
  const int64_t packets = w->packets();
  Status s = w->Finish();
  if (!s.ok()) return s;
  status_.segments++;
  status_.packets += packets;
  std::error_code ec;
  const auto size = std::filesystem::file_size(segment_path_, ec);
  if (!ec) status_.bytes += static_cast<int64_t>(size);
  return Status::Ok();
}

Status FootageRecorder::StartSegmentLocked(const AVPacket& first) {
  // Names are unique per camera even if two segments start in the same millisecond.
  const int64_t start = std::max(options_.clock->NowMs(), last_start_ms_ + 1);
  last_start_ms_ = start;
  const SegmentId id{options_.deployment_id, options_.camera_id, start};
  segment_path_ = SegmentPath(options_.footage_root, id);
  auto file = SealedSegmentFile::Create(segment_path_, key_, SegmentAad(id), options_.opener);
  if (!file.ok()) return file.status();
  auto w = SegmentWriter::Open(*params_, tb_num_, tb_den_, std::move(file).value());
  if (!w.ok()) return w.status();
  writer_ = std::move(w).value();
  const int64_t ts = first.dts != AV_NOPTS_VALUE ? first.dts : first.pts;
  have_first_ts_ = ts != AV_NOPTS_VALUE;
  segment_first_ts_ = ts;
  status_.state = RecordingState::kRecording;
  return Status::Ok();
}

void FootageRecorder::OnStreamStart(const AVCodecParameters& params, int time_base_num, int time_base_den) {
  std::function<void(const Status&)> alarm;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.state == RecordingState::kFailed || status_.state == RecordingState::kStopped) return;
    Status s = FinishSegmentLocked();
    if (!s.ok()) FailLocked(s);
    if (status_.state != RecordingState::kFailed) {
      avcodec_parameters_free(&params_);
      params_ = avcodec_parameters_alloc();
      if (params_ == nullptr || avcodec_parameters_copy(params_, &params) < 0) {
        FailLocked(Status::Internal("out of memory"));
      }
      tb_num_ = time_base_num;
      tb_den_ = time_base_den;
      if (status_.state != RecordingState::kFailed) status_.state = RecordingState::kWaiting;
    }
    alarm.swap(pending_alarm_);
  }
  if (alarm) alarm(Status::IOError(status().error));
}

void FootageRecorder::OnPacket(const AVPacket& packet) {
  std::function<void(const Status&)> alarm;
  Status why;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (params_ == nullptr || status_.state == RecordingState::kFailed || status_.state == RecordingState::kStopped) {
      return;
    }
    const bool key = (packet.flags & AV_PKT_FLAG_KEY) != 0;
    if (writer_ && key && have_first_ts_) {
      const int64_t ts = packet.dts != AV_NOPTS_VALUE ? packet.dts : packet.pts;
      const double elapsed_ms = ts == AV_NOPTS_VALUE ? 0.0
                                                     : static_cast<double>(ts - segment_first_ts_) * 1000.0 *
                                                           tb_num_ / std::max(1, tb_den_);
      if (elapsed_ms >= static_cast<double>(options_.segment_ms)) {
        Status s = FinishSegmentLocked();
        if (!s.ok()) FailLocked(s);
      }
    }
    if (status_.state != RecordingState::kFailed && !writer_ && key) {
      Status s = StartSegmentLocked(packet);
      if (!s.ok()) FailLocked(s);
    }
    if (writer_) {
      Status s = writer_->Write(packet);
      if (s.code() == Status::Code::kInvalidArgument) {
        status_.packets_refused++;
      } else if (!s.ok()) {
        FailLocked(s);
      }
    }
    alarm.swap(pending_alarm_);
    why = Status::IOError(status_.error);
  }
  if (alarm) alarm(why);
}

void FootageRecorder::OnStreamEnd() {
  std::function<void(const Status&)> alarm;
  Status why;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Status s = FinishSegmentLocked();
    if (!s.ok()) FailLocked(s);
    if (status_.state == RecordingState::kRecording) status_.state = RecordingState::kWaiting;
    alarm.swap(pending_alarm_);
    why = Status::IOError(status_.error);
  }
  if (alarm) alarm(why);
}

Status FootageRecorder::Close() {
  std::function<void(const Status&)> alarm;
  Status s, why;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.state == RecordingState::kStopped) return Status::Ok();
    s = FinishSegmentLocked();
    if (!s.ok()) FailLocked(s);
    if (status_.state != RecordingState::kFailed) status_.state = RecordingState::kStopped;
    alarm.swap(pending_alarm_);
    why = Status::IOError(status_.error);
  }
  if (alarm) alarm(why);
  return s;
}

#else  // !LFR_HAVE_LIBAV

Status FootageRecorder::FinishSegmentLocked() { return Status::Ok(); }
Status FootageRecorder::StartSegmentLocked(const AVPacket&) { return Status::Ok(); }
void FootageRecorder::OnStreamStart(const AVCodecParameters&, int, int) {}
void FootageRecorder::OnPacket(const AVPacket&) {}
void FootageRecorder::OnStreamEnd() {}
Status FootageRecorder::Close() { return Status::Ok(); }

#endif  // LFR_HAVE_LIBAV

}  // namespace lfr
