#include "eval/progress.h"

#include <cmath>
#include <cstdio>

namespace lfr::eval {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
  }
  return buf;
}

std::string ProgressBar::Format(const std::string& label, int64_t done, int64_t total,
                                double elapsed, int width) {
  const double frac = total > 0 ? std::min(1.0, static_cast<double>(done) / total) : 1.0;
  const int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), '.');
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double eta = rate > 0 ? (total - done) / rate : -1.0;
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%s %lld/%lld [%s] %5.1f%% %.1f/s ", label.c_str(),
                static_cast<long long>(done), static_cast<long long>(total), bar.c_str(),
                100.0 * frac, rate);
  std::string out = buf;
  out += done >= total ? "in " + FormatDuration(elapsed) : "ETA " + FormatDuration(eta);
  return out;
}

ProgressBar::ProgressBar(std::ostream* out, std::string label, int64_t total, double min_interval)
    : out_(out),
      label_(std::move(label)),
      total_(total),
      min_interval_(min_interval),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Add(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += n;
  MaybeDraw(false);
}

void ProgressBar::Set(int64_t done) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ = done;
  MaybeDraw(false);
}

int64_t ProgressBar::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

void ProgressBar::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  MaybeDraw(true);
  finished_ = true;
  if (out_ != nullptr) *out_ << "\n" << std::flush;
}

void ProgressBar::MaybeDraw(bool force) {
  if (out_ == nullptr || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && std::chrono::duration<double>(now - last_draw_).count() < min_interval_) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  *out_ << "\r" << Format(label_, done_, total_, elapsed) << "   " << std::flush;
}

}  // namespace lfr::eval
