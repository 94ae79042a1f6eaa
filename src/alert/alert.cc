#include "alert/alert.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

namespace lfr {
namespace fs = std::filesystem;

namespace {
double Round(double v, double unit) { return std::round(v / unit) * unit; }

std::string SafeName(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  if (out.size() > 60) out.resize(60);
  return out;
}
}  // namespace

std::string UtcNowIso8601() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream s;
  s << std::put_time(&tm, "%Y-%m-%dT%H:%M:%S") << '.' << std::setw(3) << std::setfill('0')
    << ms.count() << 'Z';
  return s.str();
}

std::string AlertToJsonLine(const Alert& a) {
  nlohmann::json j = {{"camera", a.camera},
                      {"track_id", a.track_id},
                      {"time", a.wall_time},
                      {"media_time_s", Round(a.media_time_s, 1e-3)},
                      {"frame_index", a.frame_index},
                      {"track_first_frame", a.track_first_frame},
                      {"subject", a.subject},
                      {"score", Round(a.score, 1e-4)},
                      {"fused_score", Round(a.fused_score, 1e-4)},
                      {"threshold", Round(a.threshold, 1e-4)},
                      {"latency_ms", Round(a.latency_ms, 0.1)}};
  return j.dump();
}

bool AlertPolicy::ShouldRaise(const std::string& camera, int64_t track_id,
                              const std::string& subject, double media_time_s) {
  if (options_.every_match) return true;  // forensic search: the caller aggregates
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_tuple(camera, track_id, subject);
  if (raised_.count(key)) return false;  // already raised (or suppressed) for this track
  raised_.insert(key);  // one decision per track and subject, either way
  auto ck = std::make_pair(camera, subject);
  auto it = last_.find(ck);
  if (it != last_.end() && media_time_s - it->second < options_.cooldown_s &&
      media_time_s >= it->second) {
    ++suppressed_;
    return false;
  }
  last_[ck] = media_time_s;
  return true;
}

int64_t AlertPolicy::suppressed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return suppressed_;
}

Status JsonLinesSink::Emit(const Alert& alert, const cv::Mat&, const cv::Mat&) {
  std::lock_guard<std::mutex> lock(mu_);
  *out_ << AlertToJsonLine(alert) << "\n";
  out_->flush();
  return out_->good() ? Status::Ok() : Status::IOError("cannot write alert to output stream");
}

Status TextSink::Emit(const Alert& a, const cv::Mat&, const cv::Mat&) {
  std::lock_guard<std::mutex> lock(mu_);
  *out_ << std::fixed << std::setprecision(3) << "ALERT " << a.wall_time << " camera " << a.camera
        << " track " << a.track_id << " frame " << a.frame_index << " (" << std::setprecision(2)
        << a.media_time_s << " s): " << a.subject << " score " << std::setprecision(3) << a.score
        << " fused " << a.fused_score << " (threshold " << a.threshold << ")\n";
  out_->flush();
  return out_->good() ? Status::Ok() : Status::IOError("cannot write alert to output stream");
}

Result<std::unique_ptr<AlertsDirSink>> AlertsDirSink::Create(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return Status::IOError("cannot create alerts folder " + dir.string() + ": " + ec.message());
  }
  return std::unique_ptr<AlertsDirSink>(new AlertsDirSink(dir));
}

Status AlertsDirSink::Emit(const Alert& a, const cv::Mat& crop, const cv::Mat&) {
  std::lock_guard<std::mutex> lock(mu_);
  ++count_;
  std::ostringstream stem;
  stem << std::setw(5) << std::setfill('0') << count_ << "_" << SafeName(a.camera) << "_track"
       << a.track_id << "_" << SafeName(a.subject);
  const fs::path json_path = dir_ / (stem.str() + ".json");
  {
    std::ofstream f(json_path);
    f << AlertToJsonLine(a) << "\n";
    if (!f) return Status::IOError("cannot write " + json_path.string());
  }
  if (!crop.empty()) {
    const fs::path img = dir_ / (stem.str() + ".jpg");
    bool ok = false;
    try {
      ok = cv::imwrite(img.string(), crop);
    } catch (const cv::Exception& e) {
      ok = false;
    }
    if (!ok) return Status::IOError("cannot write " + img.string());
  }
  return Status::Ok();
}

Status MultiSink::Emit(const Alert& alert, const cv::Mat& crop, const cv::Mat& frame) {
  Status first;
  for (AlertSink* s : sinks_) {
    Status st = s->Emit(alert, crop, frame);
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

}  // namespace lfr
