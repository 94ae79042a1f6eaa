#include "store/retention.h"

#include <chrono>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "footage/segment.h"
#include "store/gallery_store.h"
#include "util/paths.h"

namespace lfr {
namespace fs = std::filesystem;

Status RetentionPolicy::Validate() const {
  auto check = [](const char* what, int64_t ms) {
    if (ms <= 0 || ms > kMaxRetentionMs) {
      return Status::InvalidArgument(std::string(what) + " retention must be more than 0 and at most 31 days, got " +
                                     std::to_string(ms) + " ms");
    }
    return Status::Ok();
  };
  LFR_RETURN_IF_ERROR(check("alert data", alert_data_ms));
  LFR_RETURN_IF_ERROR(check("footage", footage_ms));
  if (interval_ms <= 0) return Status::InvalidArgument("retention interval must be positive");
  return Status::Ok();
}

namespace {

// A duration such as "24h", "90m", "7d" or "3600s" from the variable name, at most 31
// days; nullopt if unset.
Result<std::optional<int64_t>> DurationFromEnv(const char* name, const char* what) {
  const char* env = std::getenv(name);
  if (env == nullptr || *env == '\0') return std::optional<int64_t>();
  const std::string text = env;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  const std::string unit = end != nullptr ? std::string(end) : "";
  int64_t scale = 0;
  if (unit == "s") scale = kMsPerSecond;
  else if (unit == "m") scale = kMsPerMinute;
  else if (unit == "h") scale = kMsPerHour;
  else if (unit == "d") scale = kMsPerDay;
  if (scale == 0 || end == text.c_str() || !(v > 0)) {
    return Status::InvalidArgument(std::string(name) + "=\"" + text + "\" is not a duration like 24h, 90m, 7d or 3600s");
  }
  if (v * static_cast<double>(scale) > static_cast<double>(kMaxRetentionMs)) {
    return Status::InvalidArgument(std::string(name) + "=\"" + text + "\" is above the 31-day maximum for " + what);
  }
  return std::optional<int64_t>(static_cast<int64_t>(v * static_cast<double>(scale)));
}

}  // namespace

Result<RetentionPolicy> RetentionPolicyFromEnv() {
  RetentionPolicy p;
  auto alerts = DurationFromEnv("LFR_ALERT_RETENTION", "alert data");
  if (!alerts.ok()) return alerts.status();
  if (*alerts) p.alert_data_ms = **alerts;
  auto footage = DurationFromEnv("LFR_FOOTAGE_RETENTION", "footage");
  if (!footage.ok()) return footage.status();
  if (*footage) p.footage_ms = **footage;
  LFR_RETURN_IF_ERROR(p.Validate());
  return p;
}

fs::path DefaultFootageDir() { return HomeDir() / "footage"; }

RetentionEnforcer::RetentionEnforcer(Store* store, Clock* clock, RetentionPolicy policy,
                                     fs::path footage_dir)
    : store_(store), clock_(clock), policy_(policy), footage_dir_(std::move(footage_dir)) {}

RetentionEnforcer::~RetentionEnforcer() { Stop(); }

namespace {

int64_t MtimeMs(const fs::path& p, std::error_code& ec) {
  const auto t = fs::last_write_time(p, ec);
  const auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::milliseconds>(sys.time_since_epoch()).count();
}

// Visits the footage files that are due: sealed segments (footage/segment.h) whose first
// packet is older than cutoff_ms (the start time in their name: no frame outlives the
// limit), unfinished .part segments not written to since part_cutoff_ms (left by a killed
// process; a recorder writes to its own every few seconds), other files by modification
// time. delete_them removes them. Returns the first error (after trying every file).
Status SweepFootage(const fs::path& dir, int64_t cutoff_ms, int64_t part_cutoff_ms, bool delete_them,
                    RetentionRun* run) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Ok();  // nothing recorded
  Status first;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    const fs::path& p = it->path();
    const bool part = p.extension() == kPartExtension;
    const auto segment = ParseSegmentPath(p);
    int64_t age_from = 0;
    if (segment) {
      age_from = segment->start_ms;
    } else {
      age_from = MtimeMs(p, fec);
      if (fec) continue;
    }
    if (age_from >= (part ? part_cutoff_ms : cutoff_ms)) continue;
    const auto size = static_cast<int64_t>(it->file_size(fec));
    if (delete_them && !fs::remove(p, fec)) {
      if (first.ok()) first = Status::IOError("cannot delete expired footage " + p.string() + ": " + fec.message());
      continue;
    }
    run->footage_files_deleted++;
    run->footage_bytes_deleted += size;
    if (segment) run->footage_segments_deleted++;
    if (part) run->footage_incomplete_deleted++;
  }
  if (ec && first.ok()) first = Status::IOError("cannot list footage folder " + dir.string() + ": " + ec.message());
  return first;
}

}  // namespace

Result<RetentionRun> RetentionEnforcer::RunOnce() {
  LFR_RETURN_IF_ERROR(policy_.Validate());
  const int64_t now = clock_->NowMs();
  const Actor system{"system"};
  RetentionRun run;
  auto purged = store_->PurgeAlertData(now - policy_.alert_data_ms, system);
  if (!purged.ok()) return purged.status();
  run.alerts_purged = purged->alerts_purged;
  // Retrospective search records follow their gallery's own retention period.
  if (GalleryStore* galleries = store_->galleries(); galleries != nullptr) {
    auto searches = galleries->PurgeSearchRecords(now, system);
    if (!searches.ok()) return searches.status();
    run.search_records_purged = *searches;
  }
  Status footage =
      SweepFootage(footage_dir_, now - policy_.footage_ms, now - kAbandonedSegmentMs, true, &run);
  if (run.footage_files_deleted > 0) {
    LFR_RETURN_IF_ERROR(store_->Audit(system, "retention.footage", "footage",
                                      nlohmann::json{{"files_deleted", run.footage_files_deleted},
                                                     {"segments_deleted", run.footage_segments_deleted},
                                                     {"incomplete_deleted", run.footage_incomplete_deleted},
                                                     {"bytes_deleted", run.footage_bytes_deleted},
                                                     {"cutoff", FormatUtcMs(now - policy_.footage_ms)}}
                                          .dump()));
  }
  if (!footage.ok()) return footage;
  // A deployment closed longer ago than the footage limit has no footage left: its
  // footage key goes too (crypto-shredding any copy of its segments).
  auto keys = store_->PurgeFootageKeys(now - policy_.footage_ms, system);
  if (!keys.ok()) return keys.status();
  run.footage_keys_shredded = *keys;
  return run;
}

Result<RetentionRun> RetentionEnforcer::Preview() {
  LFR_RETURN_IF_ERROR(policy_.Validate());
  const int64_t now = clock_->NowMs();
  RetentionRun run;
  AlertQuery q;
  q.limit = -1;
  auto alerts = store_->ListAlerts(q);
  if (!alerts.ok()) return alerts.status();
  for (const AlertRecord& a : *alerts) {
    if (!a.media_purged && a.time_ms < now - policy_.alert_data_ms) ++run.alerts_purged;
  }
  LFR_RETURN_IF_ERROR(SweepFootage(footage_dir_, now - policy_.footage_ms, now - kAbandonedSegmentMs, false, &run));
  return run;
}

Status RetentionEnforcer::Start() {
  Stop();
  auto first = RunOnce();
  if (!first.ok()) return first.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(policy_.interval_ms), [this] { return stop_; })) {
      lock.unlock();
      auto r = RunOnce();
      if (!r.ok()) spdlog::warn("retention: {} (will retry)", r.status().message());
      lock.lock();
    }
  });
  return Status::Ok();
}

void RetentionEnforcer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lfr
