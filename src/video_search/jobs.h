// VideoSearchJobs: forensic searches of deployments' recorded footage run in the background,
// for the console (server/api_video_search.cc). A job is prepared at once (the caller
// learns of a bad range, an unknown or closed deployment or missing footage immediately),
// then searched on its own thread with progress; its result is the merged appearances of
// the deployment's watchlist entries (video_search/video_search.h), never anything about
// other faces, and never a crop.
//
// Audit: "video_search.start" (who, deployment, range, segments, cameras) when a job
// starts and "video_search.finish" (outcome, segments searched, seconds, appearances)
// when it ends, both by the user who started it, target "deployment:<id>".
//
// Retention: results are alert-like data and live in memory only: a finished job is
// forgotten kStateMaxAgeMs (24 h) after it ended, and all jobs when the server stops.
// One job runs at a time (the machine's cores are the live cameras' first); Start returns
// Unavailable while another runs.
//
// Thread-safety: every method may be called from any thread. The destructor stops a
// running job and waits for it.
#ifndef LFR_VIDEO_SEARCH_JOBS_H_
#define LFR_VIDEO_SEARCH_JOBS_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/store.h"
#include "store/store.h"
#include "util/clock.h"
#include "video_search/video_search.h"

namespace lfr {

enum class VideoJobState { kRunning, kCompleted, kFailed, kCancelled };
const char* VideoJobStateName(VideoJobState s);  // "running", "completed", "failed", "cancelled"

struct VideoJob {
  int64_t id = 0;
  int64_t deployment_id = 0;
  int64_t from_ms = 0, to_ms = 0;
  std::string started_by;
  int64_t started_ms = 0, ended_ms = 0;
  VideoJobState state = VideoJobState::kRunning;
  std::string error;              // failed: why
  int segments = 0, cameras = 0;
  float threshold = 0;
  VideoSearchProgress progress;
  std::vector<Appearance> appearances;  // when completed (merged), without crops
};

// {"id","deployment_id","from","to","started_by","started","ended","status","error",
//  "segments","cameras","threshold","progress":{...},"appearances":[...]}.
nlohmann::json VideoJobToJson(const VideoJob& job, bool with_appearances);

class VideoSearchJobs {
 public:
  // store, models and clock must outlive the jobs. options: the search's (threshold and
  // range are the job's).
  VideoSearchJobs(Store* store, const ModelStore* models, std::filesystem::path footage_root, Clock* clock,
                  VideoSearchOptions options = {});
  ~VideoSearchJobs();

  // Prepares and starts a search of the deployment's footage in [from_ms, to_ms). Errors:
  // PrepareDeploymentSearch's, NotFound for a model that is not installed, Unavailable
  // while another job runs.
  Result<VideoJob> Start(const std::string& deployment, int64_t from_ms, int64_t to_ms, const Actor& by);
  // NotFound for an unknown (or forgotten) job.
  Result<VideoJob> Get(int64_t id);
  std::vector<VideoJob> List(int64_t deployment_id);  // newest first, without appearances
  // Stops a running job (it ends "cancelled"); NotFound if unknown.
  Status Cancel(int64_t id);

 private:
  void Forget();  // mu_ held: drops jobs ended more than 24 h ago
  Store* store_;
  const ModelStore* models_;
  const std::filesystem::path footage_root_;
  Clock* clock_;
  VideoSearchOptions options_;
  std::mutex mu_;
  std::map<int64_t, VideoJob> jobs_;
  int64_t next_id_ = 1;
  std::thread worker_;
  std::unique_ptr<VideoSearch> running_;  // guarded by mu_ for RequestStop
  bool busy_ = false;
};

}  // namespace lfr

#endif  // LFR_VIDEO_SEARCH_JOBS_H_
