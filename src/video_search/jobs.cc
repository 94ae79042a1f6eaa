#include "video_search/jobs.h"

#include <cmath>

#include "video_search/deployment_search.h"
#include "video_search/resume.h"

namespace lfr {

const char* VideoJobStateName(VideoJobState s) {
  switch (s) {
    case VideoJobState::kRunning: return "running";
    case VideoJobState::kCompleted: return "completed";
    case VideoJobState::kFailed: return "failed";
    case VideoJobState::kCancelled: return "cancelled";
  }
  return "unknown";
}

nlohmann::json VideoJobToJson(const VideoJob& job, bool with_appearances) {
  auto r = [](double v, double step) { return std::round(v / step) * step; };
  nlohmann::json j = {{"id", job.id},
                      {"deployment_id", job.deployment_id},
                      {"from", FormatUtcMs(job.from_ms)},
                      {"to", FormatUtcMs(job.to_ms)},
                      {"started_by", job.started_by},
                      {"started", FormatUtcMs(job.started_ms)},
                      {"ended", job.ended_ms > 0 ? nlohmann::json(FormatUtcMs(job.ended_ms)) : nlohmann::json()},
                      {"status", VideoJobStateName(job.state)},
                      {"error", job.error},
                      {"segments", job.segments},
                      {"cameras", job.cameras},
                      {"threshold", r(job.threshold, 1e-4)},
                      {"progress",
                       {{"segments_done", job.progress.units_done},
                        {"seconds_done", r(job.progress.media_done_s, 0.1)},
                        {"seconds_total", r(job.progress.media_total_s, 0.1)},
                        {"elapsed_s", r(job.progress.elapsed_s, 0.1)}}},
                      {"appearance_count", job.appearances.size()}};
  if (with_appearances) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& a : job.appearances) {
      nlohmann::json aj = AppearanceToJson(a);
      aj.erase("unit");
      aj["camera"] = aj["source"];
      aj.erase("source");
      aj["entry_reference"] = aj["subject"];
      aj.erase("subject");
      if (a.start_utc_ms >= 0) {
        aj["start"] = FormatUtcMs(a.start_utc_ms);
        aj["end"] = FormatUtcMs(a.end_utc_ms);
        aj["best"]["time"] = FormatUtcMs(a.best_utc_ms);
      }
      arr.push_back(std::move(aj));
    }
    j["appearances"] = std::move(arr);
  }
  return j;
}

VideoSearchJobs::VideoSearchJobs(Store* store, const ModelStore* models, std::filesystem::path footage_root,
                                 Clock* clock, VideoSearchOptions options)
    : store_(store), models_(models), footage_root_(std::move(footage_root)), clock_(clock), options_(options) {}

VideoSearchJobs::~VideoSearchJobs() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_) running_->RequestStop();
  }
  if (worker_.joinable()) worker_.join();
}

void VideoSearchJobs::Forget() {
  const int64_t now = clock_->NowMs();
  std::erase_if(jobs_, [&](const auto& kv) {
    return kv.second.state != VideoJobState::kRunning && now - kv.second.ended_ms > kStateMaxAgeMs;
  });
}

Result<VideoJob> VideoSearchJobs::Start(const std::string& deployment, int64_t from_ms, int64_t to_ms,
                                        const Actor& by) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (busy_) return Status::Unavailable("another video search is running; try again when it has finished");
    busy_ = true;  // reserved while preparing
  }
  auto release = [&](Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    busy_ = false;
    return s;
  };
  auto prepared = PrepareDeploymentSearch(*store_, deployment, from_ms, to_ms, footage_root_, by);
  if (!prepared.ok()) return release(prepared.status());
  auto det = models_->DefaultFor(ModelRole::kDetector);
  if (!det.ok()) return release(det.status());
  auto rec = models_->Locate((*prepared)->deployment.recogniser_id);
  if (!rec.ok()) return release(rec.status());

  VideoSearchOptions opts = options_;
  opts.pipeline.threshold = (*prepared)->threshold;
  opts.from_utc_ms = from_ms;
  opts.to_utc_ms = to_ms;
  opts.keep_crops = false;
  std::shared_ptr<DeploymentSearch> setup = std::move(prepared).value();

  VideoJob job;
  job.deployment_id = setup->deployment.id;
  job.from_ms = from_ms;
  job.to_ms = to_ms;
  job.started_by = by.name;
  job.started_ms = clock_->NowMs();
  job.segments = static_cast<int>(setup->units.size());
  job.cameras = setup->cameras;
  job.threshold = setup->threshold;
  const std::string target = "deployment:" + std::to_string(job.deployment_id);
  Status audit = store_->Audit(by, "video_search.start", target,
                               nlohmann::json{{"from", FormatUtcMs(from_ms)},
                                              {"to", FormatUtcMs(to_ms)},
                                              {"segments", job.segments},
                                              {"cameras", job.cameras}}
                                   .dump());
  if (!audit.ok()) return release(audit);

  if (worker_.joinable()) worker_.join();  // the previous job's thread has finished
  std::lock_guard<std::mutex> lock(mu_);
  Forget();
  job.id = next_id_++;
  jobs_[job.id] = job;
  running_ = std::make_unique<VideoSearch>(*det, *rec, setup->watchlist.get(), opts);
  VideoSearch* search = running_.get();
  const int64_t id = job.id;
  worker_ = std::thread([this, setup, search, id, by, target] {
    std::vector<Appearance> found;
    Status run = search->Run(
        setup->units, {},
        [&](const UnitOutcome& u) {
          for (const auto& a : u.appearances) found.push_back(a);
          return Status::Ok();
        },
        [&](const VideoSearchProgress& p) {
          std::lock_guard<std::mutex> lock(mu_);
          jobs_[id].progress = p;
        });
    auto merged = MergeAppearances(std::move(found), options_.merge_gap_s);
    VideoJob done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      VideoJob& j = jobs_[id];
      j.ended_ms = clock_->NowMs();
      j.state = !run.ok() ? VideoJobState::kFailed
                : search->stopped() ? VideoJobState::kCancelled
                                    : VideoJobState::kCompleted;
      if (!run.ok()) j.error = run.message();
      if (j.state == VideoJobState::kCompleted) j.appearances = std::move(merged);
      done = j;
    }
    (void)store_->Audit(by, "video_search.finish", target,
                        nlohmann::json{{"search", id},
                                       {"outcome", VideoJobStateName(done.state)},
                                       {"segments_searched", done.progress.units_done},
                                       {"seconds_searched", std::round(done.progress.media_done_s * 10) / 10},
                                       {"appearances", done.appearances.size()}}
                            .dump());
    std::lock_guard<std::mutex> lock(mu_);
    running_.reset();
    busy_ = false;
  });
  return job;
}

Result<VideoJob> VideoSearchJobs::Get(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  Forget();
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Status::NotFound("no video search " + std::to_string(id));
  return it->second;
}

std::vector<VideoJob> VideoSearchJobs::List(int64_t deployment_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Forget();
  std::vector<VideoJob> out;
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
    if (it->second.deployment_id != deployment_id) continue;
    VideoJob j = it->second;
    j.appearances.clear();
    out.push_back(std::move(j));
  }
  return out;
}

Status VideoSearchJobs::Cancel(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Status::NotFound("no video search " + std::to_string(id));
  if (it->second.state == VideoJobState::kRunning && running_) running_->RequestStop();
  return Status::Ok();
}

}  // namespace lfr
