// Retention, enforced by the software: alert data is deleted 24 hours after the alert
// (configurable, never above 31 days) and recorded footage after 31 days, every minute
// while OpenLFR runs and once at start-up, so downtime never extends retention.
//
// RetentionEnforcer::RunOnce() computes cutoffs from the injected Clock, calls
// Store::PurgeAlertData (and GalleryStore::PurgeSearchRecords, whose retention is set per
// gallery) and deletes recorded footage older than the footage limit under the footage
// folder ($LFR_HOME/footage/<deployment>/<camera>/<start ms>.lfrseg, footage/segment.h):
// whole sealed segments, aged from their first packet (the start time in the name; other
// files by modification time), and unfinished .part segments a killed process left
// (untouched for kAbandonedSegmentMs); then shreds the footage keys of deployments closed
// longer ago than the limit (Store::PurgeFootageKeys). Each purge is audited with counts,
// never content ("retention.footage": files, segments, incomplete, bytes; runs that delete
// nothing are not audited). Start() runs RunOnce() immediately and then every interval
// (real time) on a background thread until Stop() or destruction; errors of the
// background runs are logged and retried at the next interval.
//
// The alert-data limit can be set with LFR_ALERT_RETENTION and the footage limit (31 days
// by default) shortened with LFR_FOOTAGE_RETENTION (RetentionPolicyFromEnv), never above
// 31 days.
//
// It lives in store/ because retention is the store's policy (what is kept, how long): it
// works through the Store interface alone, whichever database holds the store.
//
// Thread-safety: RunOnce may be called from any thread; Start/Stop from one thread.
#ifndef LFR_STORE_RETENTION_H_
#define LFR_STORE_RETENTION_H_

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

#include "store/store.h"
#include "util/clock.h"
#include "util/status.h"

namespace lfr {

constexpr int64_t kMaxRetentionMs = 31 * 24 * 3600 * 1000LL;
// An unfinished segment (.part) not written to for this long was left by a killed process.
constexpr int64_t kAbandonedSegmentMs = 10 * 60 * 1000LL;

struct RetentionPolicy {
  int64_t alert_data_ms = 24 * 3600 * 1000LL;  // default 24 h
  int64_t footage_ms = kMaxRetentionMs;        // 31 days
  int64_t interval_ms = 60 * 1000;             // how often Start() enforces it
  // InvalidArgument if a limit is <= 0 or above 31 days.
  Status Validate() const;
};

// The default policy with alert_data_ms from LFR_ALERT_RETENTION and footage_ms from
// LFR_FOOTAGE_RETENTION if set: durations such as "24h", "90m", "7d" or "3600s".
// InvalidArgument (naming the variable) if malformed, <= 0 or above 31 days.
Result<RetentionPolicy> RetentionPolicyFromEnv();

struct RetentionRun {
  int64_t alerts_purged = 0;
  int64_t footage_files_deleted = 0;
  int64_t footage_bytes_deleted = 0;
  int64_t footage_segments_deleted = 0;    // sealed segments among the files
  int64_t footage_incomplete_deleted = 0;  // .part segments a killed process left
  int64_t footage_keys_shredded = 0;       // of deployments closed longer than the limit
  int64_t search_records_purged = 0;  // retrospective searches past their gallery's retention
};

// $LFR_HOME/footage.
std::filesystem::path DefaultFootageDir();

class RetentionEnforcer {
 public:
  // store and clock must outlive the enforcer.
  RetentionEnforcer(Store* store, Clock* clock, RetentionPolicy policy,
                    std::filesystem::path footage_dir);
  ~RetentionEnforcer();

  Result<RetentionRun> RunOnce();
  // What RunOnce() would delete now, deleting nothing (for `lfr purge` without --now).
  Result<RetentionRun> Preview();
  // Runs RunOnce() now (returning its error, if any) and then every interval.
  Status Start();
  void Stop();

 private:
  Store* store_;
  Clock* clock_;
  RetentionPolicy policy_;
  std::filesystem::path footage_dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace lfr

#endif  // LFR_STORE_RETENTION_H_
