#include "pipeline/camera.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "alert/alert.h"
#include "pipeline/source_policy.h"
#include "util/secure.h"

namespace lfr {
namespace fs = std::filesystem;

Result<SourceSpec> ParseSource(const std::string& uri) {
  SourceSpec s;
  s.uri = uri;
  if (uri.empty()) return Status::InvalidArgument("empty camera source");
  auto starts = [&](const char* p) { return uri.rfind(p, 0) == 0; };
  if (starts("rtsp://") || starts("rtsps://") || starts("http://") || starts("https://") ||
      starts("udp://") || starts("tcp://") || starts("rtmp://")) {
    s.kind = SourceKind::kStream;
    s.location = uri;
  } else if (starts("v4l2:")) {
    s.kind = SourceKind::kDevice;
    try {
      size_t used = 0;
      s.device_index = std::stoi(uri.substr(5), &used);
      if (used != uri.size() - 5 || s.device_index < 0) throw std::invalid_argument("x");
    } catch (const std::exception&) {
      return Status::InvalidArgument("camera source " + uri + ": expected v4l2:N (N = device number)");
    }
    s.location = "/dev/video" + std::to_string(s.device_index);
  } else if (starts("/dev/video")) {
    s.kind = SourceKind::kDevice;
    s.location = uri;
  } else if (starts("file://")) {
    s.kind = SourceKind::kFile;
    s.location = uri.substr(7);
  } else if (uri.find("://") != std::string::npos) {
    return Status::InvalidArgument("camera source " + uri +
                                   ": unsupported scheme (use a file path, rtsp://, http(s)://, "
                                   "/dev/videoN or v4l2:N)");
  } else {
    s.kind = SourceKind::kFile;
    s.location = uri;
  }
  return s;
}

const char* HealthName(CameraHealth h) {
  switch (h) {
    case CameraHealth::kStarting: return "starting";
    case CameraHealth::kUp: return "up";
    case CameraHealth::kReconnecting: return "reconnecting";
    case CameraHealth::kFailed: return "failed";
    case CameraHealth::kEnded: return "ended";
  }
  return "?";
}

CameraReader::CameraReader(std::string name, SourceSpec source, CameraOptions options,
                           FrameQueue* slot)
    : name_(std::move(name)), source_(std::move(source)), options_(options), slot_(slot) {}

CameraReader::~CameraReader() {
  Stop();
  Join();
}

void CameraReader::SetHealth(CameraHealth h, const std::string& error,
                             const std::string& public_error, bool force) {
  CameraStatus snapshot;
  bool changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    changed = force || status_.health != h;
    status_.health = h;
    if (h == CameraHealth::kUp || h == CameraHealth::kStarting) {
      status_.error.clear();  // last_error_time stays: when the last problem was
      status_.public_error.clear();
    } else if (!error.empty()) {
      changed = changed || status_.error != error;
      status_.error = error;
      status_.public_error = public_error;
      status_.last_error_time = UtcNowIso8601();
    }
    snapshot = status_;
  }
  if (!changed) return;
  const std::string detail = snapshot.error.empty() ? "" : ": " + snapshot.error;
  switch (h) {
    case CameraHealth::kUp:
    case CameraHealth::kStarting:
    case CameraHealth::kEnded:
      spdlog::info("camera {}: {}{}", name_, HealthName(h), detail);
      break;
    case CameraHealth::kReconnecting:
      spdlog::warn("camera {}: {}{}", name_, HealthName(h), detail);
      break;
    case CameraHealth::kFailed:
      spdlog::error("camera {}: {}{}", name_, HealthName(h), detail);
      break;
  }
  if (listener_) listener_(name_, h, snapshot);
}

CameraStatus CameraReader::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  CameraStatus s = status_;
  s.frames_dropped += slot_->dropped();
  return s;
}

int64_t CameraReader::frames_lost() const {
  int64_t late;
  {
    std::lock_guard<std::mutex> lock(mu_);
    late = status_.frames_dropped;
  }
  return late + slot_->dropped();
}

Status CameraReader::Start() {
  Join();  // a previous run's thread, if any
  stop_ = false;
  restart_ = false;
  SetHealth(CameraHealth::kStarting, "", kSourceUnavailable, /*force=*/true);
  open_source_ = source_;
  if (options_.source_policy) {
    auto checked = CheckSource(source_.uri, *options_.source_policy);
    if (!checked.ok()) {
      Status s = Status::InvalidArgument("camera " + name_ + ": " + checked.status().message());
      SetHealth(CameraHealth::kFailed, s.message());
      slot_->Close();
      return s;
    }
    open_source_ = *checked;
  }
  if (open_source_.kind == SourceKind::kFile) {
    std::error_code ec;
    if (!fs::exists(open_source_.location, ec)) {
      Status s = Status::NotFound("camera " + name_ + ": video file " + source_.location +
                                  " does not exist");
      SetHealth(CameraHealth::kFailed, s.message());
      slot_->Close();
      return s;
    }
  }
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void CameraReader::Stop() {
  stop_ = true;
  slot_->Close();
}

void CameraReader::Join() {
  if (thread_.joinable()) thread_.join();
}

int CameraReader::CurrentEvery() const {
  const int base = std::max(1, options_.decode_every);
  if (options_.decode_every_live == nullptr) return base;
  return std::max(base, options_.decode_every_live->load(std::memory_order_relaxed));
}

bool CameraReader::Restart() {
  if (!running_) return false;
  restart_ = true;
  return true;
}

namespace {

class SteadyPaceClock final : public PaceClock {
 public:
  SteadyClock::time_point Now() override { return SteadyClock::now(); }
  void SleepUntil(SteadyClock::time_point t) override { std::this_thread::sleep_until(t); }
};

}  // namespace

bool CameraReader::SleepFor(double seconds) {
  const auto until = SteadyClock::now() + std::chrono::duration<double>(seconds);
  while (!stop_ && !restart_ && SteadyClock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::duration<double>>(
        std::chrono::milliseconds(50), until - SteadyClock::now()));
  }
  return !stop_;
}

bool CameraReader::Open(FrameSource* source, std::string* error) {
  SourceInfo info;
  if (!source->Open(&info, error)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  status_.fps = info.fps;
  status_.width = info.width;
  status_.height = info.height;
  status_.backend = source->backend();
  return true;
}

namespace {

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

}  // namespace

void CameraReader::Loop() {
  const double cpu0 = ThreadCpuMs();
  if (options_.reader_nice != 0) {
    // Per-thread on Linux. Failure (no CAP_SYS_NICE for a negative value) is harmless.
    const int tid = static_cast<int>(syscall(SYS_gettid));
    errno = 0;
    const int base = getpriority(PRIO_PROCESS, 0);
    if (errno == 0) setpriority(PRIO_PROCESS, tid, base + options_.reader_nice);
  }
  const bool is_file = source_.kind == SourceKind::kFile;
  const auto start = SteadyClock::now();
  std::unique_ptr<FrameSource> cap = MakeFrameSource(open_source_, options_, &stop_);
  const bool want_working = options_.working_long_side > 0;
  SteadyPaceClock steady_clock;
  PaceClock& clock = options_.pace_clock ? *options_.pace_clock : steady_clock;
  bool catching_up = false;  // more than max_behind_s behind: skipping ahead to the present
  Frame frame;
  int64_t index = 0;
  int failures = 0;
  double backoff = options_.backoff_initial_s;
  auto elapsed = [&] { return std::chrono::duration<double>(SteadyClock::now() - start).count(); };
  auto limits_hit = [&] {
    return (options_.max_seconds > 0 && elapsed() >= options_.max_seconds) ||
           (options_.max_frames > 0 && index >= options_.max_frames);
  };
  // Files: frame i is due at pace_start + (i - pace_base)/fps.
  SteadyClock::time_point pace_start;
  int64_t pace_base = 0;
  int64_t open_base = 0;     // index of the first frame of this open session (decoder phase)
  bool keep_pace = false;    // reopened to loop: the pace (and any lag) carries on
  int wanted_every = options_.decode_every;  // as last told to the decoder
  int64_t file_pos = 0;  // frame position within the file (for media time when looping)
  double media_offset = 0;

  while (!stop_ && !limits_hit()) {
    if (restart_.exchange(false)) {
      spdlog::info("camera {}: restart requested", name_);
      cap->Close();
      keep_pace = false;
      failures = 0;
      backoff = options_.backoff_initial_s;
      SetHealth(CameraHealth::kStarting);
    }
    if (!cap->IsOpen()) {
      std::string why;
      bool allowed = true;
      if (options_.source_policy && source_.kind == SourceKind::kStream) {
        // A host name may resolve differently now than when the camera was added.
        auto checked = CheckSource(source_.uri, *options_.source_policy);
        if (!checked.ok()) {
          allowed = false;
          why = checked.status().message();
        }
      }
      if (allowed && Open(cap.get(), &why)) {
        failures = 0;
        backoff = options_.backoff_initial_s;
        if (!keep_pace) {
          pace_start = clock.Now();
          catching_up = false;
          behind_s_ = 0;
          pace_base = index;
        }
        keep_pace = false;
        open_base = index;
        if (is_file && options_.start_s > 0 && index == 0 && !options_.loop) {
          int64_t key = 0;
          if (!cap->SeekToKeyFrame(options_.start_s, &key)) {
            SetHealth(CameraHealth::kFailed, "camera " + name_ + ": cannot seek in video file " +
                                                 source_.location);
            break;
          }
          index = file_pos = pace_base = key;  // the file's own frame indices and times
          open_base = 0;                       // the decoder counts from the first frame too
        }
        wanted_every = CurrentEvery();
        cap->SetWanted(wanted_every, open_base);
        SetHealth(CameraHealth::kUp);
        continue;
      }
      const std::string reason = why.empty() ? "" : ": " + why;
      const std::string what = is_file ? "cannot open video file " + source_.location +
                                             " (not a video FFmpeg can decode?)" + reason
                                       : "cannot open " + source_.location + reason;
      if (is_file) {
        SetHealth(CameraHealth::kFailed, "camera " + name_ + ": " + what);
        break;
      }
      spdlog::debug("camera {}: {} (attempt {}, next in {:.1f} s)", name_, what, failures + 1, backoff);
      ++failures;
      if (options_.max_reconnects >= 0 && failures > options_.max_reconnects) {
        SetHealth(CameraHealth::kFailed, "camera " + name_ + ": " + what + " (gave up after " +
                                             std::to_string(failures) + " attempts)");
        break;
      }
      SetHealth(CameraHealth::kReconnecting, "camera " + name_ + ": " + what);
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_.reconnects++;
      }
      if (!SleepFor(backoff)) break;
      backoff = std::min(backoff * 2, options_.backoff_max_s);
      continue;
    }

    double fps;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fps = status_.fps;
    }
    if (is_file && options_.end_s > 0 && fps > 0 && media_offset + file_pos / fps >= options_.end_s - 1e-6) {
      SetHealth(CameraHealth::kEnded);
      break;
    }
    // Pacing: wait until this frame is due. A reader that is behind does not wait: it
    // decodes the frames it owes back to back and hands them over (a live camera's
    // buffered stream delivers them too). Only beyond max_behind_s does it skip ahead to
    // the present (catching_up), until it is back within one frame of its pace.
    const bool paced = is_file && options_.realtime && fps > 0;
    SteadyClock::time_point due{};
    if (paced) {
      due = pace_start + std::chrono::duration_cast<SteadyClock::duration>(
                             std::chrono::duration<double>((index - pace_base) / fps));
      const auto now = clock.Now();
      if (now < due) {
        clock.SleepUntil(due);
        catching_up = false;
        behind_s_.store(0, std::memory_order_relaxed);
      } else {
        const double behind = std::chrono::duration<double>(now - due).count();
        const double limit = std::max(options_.max_behind_s, 1.0 / fps);
        if (behind > limit) {
          catching_up = true;
        } else if (behind <= 1.0 / fps) {
          catching_up = false;
        }
        behind_s_.store(behind, std::memory_order_relaxed);
      }
    }
    const int every = CurrentEvery();
    if (every != wanted_every) {  // the adaptive cadence changed: tell the decoder
      wanted_every = every;
      cap->SetWanted(every, open_base);
    }
    // Frames left out on purpose are never drops, late or not.
    const bool grab_only = every > 1 && index % every != 0;
    // Not looked at only because the cadence was raised above decode_every under load.
    const bool shed = grab_only && (options_.decode_every <= 1 || index % options_.decode_every == 0);
    const bool late = !grab_only && catching_up;  // a wanted frame skipped: dropped
    const bool skip = grab_only || late;
    const auto t0 = SteadyClock::now();
    const bool got = skip ? cap->Next(nullptr, nullptr)
                          : cap->Next(&frame.image, want_working ? &frame.working : nullptr);
    const auto t1 = SteadyClock::now();
    if (!got) {
      if (is_file) {
        if (options_.loop && file_pos > 0) {
          media_offset += fps > 0 ? file_pos / fps : 0;
          file_pos = 0;
          cap->Close();
          keep_pace = true;  // a looped file is one endless camera: time spent reopening
          continue;          // is owed like any other delay
        }
        const std::string why = cap->error().empty() ? "" : " (" + cap->error() + ")";
        if (file_pos == 0) {
          SetHealth(CameraHealth::kFailed, "camera " + name_ + ": video file " + source_.location +
                                               " has no decodable frames" + why);
        } else if (!why.empty()) {
          SetHealth(CameraHealth::kEnded, "camera " + name_ + ": video file " + source_.location +
                                              " ended early" + why, "the video ended early");
        } else {
          SetHealth(CameraHealth::kEnded);
        }
        break;
      }
      // Stream lost: reconnect with back-off.
      const std::string why = cap->error().empty() ? "" : " (" + cap->error() + ")";
      cap->Close();
      SetHealth(CameraHealth::kReconnecting, "camera " + name_ + ": stream " + source_.location +
                                                 " stopped delivering frames" + why,
                "the stream stopped delivering frames");
      continue;
    }
    const double media = is_file && fps > 0 ? media_offset + file_pos / fps : elapsed();
    ++file_pos;
    ++index;
    bool was_up;
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.frames_read++;
      if (shed) {
        status_.frames_shed++;
      } else if (grab_only) {
        status_.frames_grab_only++;
      } else if (late) {
        status_.frames_dropped++;
        status_.frames_late++;
      }
      status_.behind_s = behind_s_.load(std::memory_order_relaxed);
      status_.last_frame_time = UtcNowIso8601();
      was_up = status_.health == CameraHealth::kUp;
    }
    if (!was_up) SetHealth(CameraHealth::kUp);
    if (skip) continue;
    decode_ms_.Add(std::chrono::duration<double, std::milli>(t1 - t0).count());
    frame.index = index - 1;
    frame.media_time_s = media;
    // Paced files: when a live camera would have delivered the frame, so that the decision
    // latency includes the decode and any catching up (the clock may be a test's).
    frame.read_time = paced && !options_.pace_clock ? std::min(due, t1) : t1;
    if (!slot_->Put(&frame)) break;  // closed: stopping
  }
  // Paced files stopped by time (max_seconds or Stop) while behind: the frames that were due
  // but never reached were lost as surely as skipped ones; count them the same way (wanted
  // ones as late drops), so a starved reader's losses are not missing from the counts.
  const bool stopped_by_time = stop_ || (options_.max_seconds > 0 && elapsed() >= options_.max_seconds);
  if (cap->IsOpen() && is_file && options_.realtime && stopped_by_time && !restart_) {
    double fps;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fps = status_.fps;
    }
    if (fps > 0) {
      const double since = std::chrono::duration<double>(clock.Now() - pace_start).count();
      const int64_t due = static_cast<int64_t>(std::floor(since * fps)) + 1;  // frames due by now
      const int64_t owed = due - (index - pace_base);
      if (owed > 1) {  // more than the frame in hand
        const int every = CurrentEvery();
        const int base = std::max(1, options_.decode_every);
        std::lock_guard<std::mutex> lock(mu_);
        for (int64_t k = index; k < index + owed; ++k) {
          status_.frames_read++;
          if (every > 1 && k % every != 0) {
            (k % base == 0 ? status_.frames_shed : status_.frames_grab_only)++;
          } else {
            status_.frames_dropped++;
            status_.frames_late++;
          }
        }
      }
    }
  }
  CameraHealth last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = status_.health;
  }
  if (last == CameraHealth::kUp || last == CameraHealth::kStarting ||
      (last == CameraHealth::kReconnecting && !stop_)) {
    SetHealth(CameraHealth::kEnded);
  }
  WipeMat(&frame.image);
  WipeMat(&frame.working);
  cap->Close();
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.reader_cpu_ms += ThreadCpuMs() - cpu0;
  }
  slot_->Close();
  running_ = false;
}

}  // namespace lfr
