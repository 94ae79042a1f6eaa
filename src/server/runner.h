// The pieces of `lfr serve` that connect the HTTP server to the recognition engine:
//
//  * PipelineRunner runs the live pipeline of each active deployment: its cameras from the
//    store, its watchlist opened from the store into memory only, its threshold (a score or
//    "fpir:…" resolved for the watchlist size), alerts recorded through a StoreAlertSink and
//    announced on the EventBus ("alert" events carry ids and scores, never faces), and
//    faces-seen counts. Every few seconds it publishes a "counters" event. Cameras keep
//    retrying a lost source for as long as the deployment runs; every health change is
//    logged and published as a "camera" event (client-safe error text, never paths or
//    addresses). Starting a running deployment again restarts its ended or failed cameras;
//    RestartCamera restarts one. Stopping a deployment stops its cameras and wipes its
//    watchlist from memory.
//  * StoreEnrolmentService enrols uploaded photos through store/enrolment.h with the
//    deployment's recogniser and the card's verification threshold for duplicates, each
//    entry checked for being a hub against the recogniser's background cohort.
//
// Ownership: store, models and events must outlive both. Thread-safety: all public methods
// are thread-safe (the runner locks its table of running deployments; the enrolment
// service serialises enrolments, as a FaceAnalyzer is single-threaded).
#ifndef LFR_SERVER_RUNNER_H_
#define LFR_SERVER_RUNNER_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "models/store.h"
#include "pipeline/pipeline.h"
#include "server/events.h"
#include "server/server.h"
#include "store/store.h"
#include "vision/analyzer.h"

namespace lfr::server {

struct RunnerOptions {
  PipelineOptions pipeline;        // threshold and observer are set per deployment
  std::string detector_id;         // "" = the default detector
  int counters_interval_ms = 2000; // how often "counters" events are published
};

class PipelineRunner : public LiveRunner {
 public:
  PipelineRunner(Store* store, const ModelStore* models, EventBus* events, RunnerOptions options);
  ~PipelineRunner() override;  // stops every deployment

  // FailedPrecondition if the deployment is not active, has no camera, or its recogniser
  // is not installed; the store's errors otherwise. Already running: restarts its cameras
  // that ended or failed, OK.
  Status StartDeployment(int64_t deployment_id) override;
  // NotFound if the deployment is not running or has no such camera.
  Status RestartCamera(int64_t deployment_id, const std::string& camera) override;
  void StopDeployment(int64_t deployment_id) override;
  std::vector<CameraLive> Cameras() override;
  // Starts every active deployment (server start-up); logs and skips the ones that fail.
  void StartAllActive();
  void StopAll();

 private:
  struct Running;
  void Ticker();
  Store* store_;
  const ModelStore* models_;
  EventBus* events_;
  RunnerOptions options_;
  std::mutex mu_;
  std::map<int64_t, std::unique_ptr<Running>> running_;
  std::mutex tick_mu_;
  std::condition_variable tick_cv_;
  bool stopping_ = false;
  std::thread ticker_;
};

class StoreEnrolmentService : public EnrolmentService {
 public:
  // cohort_home: where the background cohorts are (<cohort_home>/cohort, i.e. $LFR_HOME);
  // "" = none installed (every entry enrolled with hub_check.not_checked saying so).
  StoreEnrolmentService(Store* store, const ModelStore* models, std::string detector_id = "",
                        std::filesystem::path cohort_home = {});
  Result<Outcome> Enrol(const WatchlistEntry& meta, const std::string& image_bytes,
                        const Actor& by, bool confirm_duplicate,
                        const std::string& accept_hub_reason) override;
  Result<PhotoCheck> CheckPhoto(int64_t deployment_id, const std::string& image_bytes) override;

 private:
  // The analyzer for a deployment's recogniser (mu_ held). FailedPrecondition if missing.
  Status EnsureAnalyzer(const Deployment& d);
  std::filesystem::path cohort_home_;
  Store* store_;
  const ModelStore* models_;
  std::string detector_id_;
  std::mutex mu_;
  std::string analyzer_recogniser_;
  std::unique_ptr<FaceAnalyzer> analyzer_;
};

}  // namespace lfr::server

#endif  // LFR_SERVER_RUNNER_H_
