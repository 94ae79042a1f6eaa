// The live pipeline's link to the store, for `lfr watch --deployment` and `lfr serve`:
//
//  * LoadDeploymentWatchlist opens a deployment's stored embeddings (audited as
//    watchlist.load) into a match/Watchlist in memory only, one row per entry, with the
//    entry reference as the subject name, and the map back from reference to entry id.
//  * StoreAlertSink is an AlertSink that records every alert of one deployment in the
//    store — the probe crop and a thumbnail of the frame (long side <= 320 px), both JPEG
//    and sealed by the store — and tells subscribers (e.g. the console's live feed) about
//    each stored alert. It is also the PipelineObserver that counts faces seen (new
//    tracks) per camera per minute: counts only.
//
// Ownership: the store must outlive the sink. Thread-safety: Emit, OnFacesSeen, Subscribe
// and Unsubscribe may be called from any thread. Listeners run on the emitting camera's
// worker thread after the alert is stored: they must be quick and must not call
// Subscribe/Unsubscribe.
#ifndef LFR_STORE_ALERT_SINK_H_
#define LFR_STORE_ALERT_SINK_H_

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "alert/alert.h"
#include "match/watchlist.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

namespace lfr {

struct DeploymentWatchlist {
  Watchlist watchlist;                                 // subjects are entry references
  std::unordered_map<std::string, int64_t> entry_ids;  // reference -> entry id
};

// FailedPrecondition if the deployment is closed, InvalidArgument if its embeddings do not
// all have one dimension.
Result<DeploymentWatchlist> LoadDeploymentWatchlist(Store& store, int64_t deployment_id, const Actor& by);

class StoreAlertSink : public AlertSink, public PipelineObserver {
 public:
  using Listener = std::function<void(const AlertRecord&)>;

  // entry_ids: DeploymentWatchlist::entry_ids of the watchlist the pipeline searches.
  StoreAlertSink(Store* store, int64_t deployment_id,
                 std::unordered_map<std::string, int64_t> entry_ids, Actor by = Actor{"system"});

  // Stores the alert (InvalidArgument for a subject that is not an entry reference; the
  // store's errors otherwise). crop must not be empty; frame may be (no thumbnail then).
  Status Emit(const Alert& alert, const cv::Mat& crop, const cv::Mat& frame) override;
  // Adds to the store's faces-seen counter. A failure is remembered (counter_error()), not
  // raised: counting must not stop recognition.
  void OnFacesSeen(const std::string& camera, int64_t wall_ms, int n_new_tracks) override;

  // Returns an id for Unsubscribe.
  int Subscribe(Listener listener);
  void Unsubscribe(int id);

  int64_t alerts_recorded() const { return alerts_recorded_; }
  int64_t faces_seen() const { return faces_seen_; }
  Status counter_error() const;

 private:
  Store* store_;
  int64_t deployment_id_;
  std::unordered_map<std::string, int64_t> entry_ids_;
  Actor by_;
  std::atomic<int64_t> alerts_recorded_{0};
  std::atomic<int64_t> faces_seen_{0};
  mutable std::mutex mu_;
  std::map<int, Listener> listeners_;
  int next_listener_ = 1;
  Status counter_error_;
};

}  // namespace lfr

#endif  // LFR_STORE_ALERT_SINK_H_
