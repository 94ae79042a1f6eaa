#include "store/alert_sink.h"

#include "store/media.h"
#include "util/secure.h"

namespace lfr {

Result<DeploymentWatchlist> LoadDeploymentWatchlist(Store& store, int64_t deployment_id, const Actor& by) {
  auto loaded = store.LoadEmbeddings(deployment_id, by);
  if (!loaded.ok()) return loaded.status();
  DeploymentWatchlist out;
  for (const EntryEmbedding& e : *loaded) {
    const int dim = static_cast<int>(e.embedding.size() / sizeof(float));
    if (out.watchlist.dim() == 0) out.watchlist = Watchlist(dim);
    if (dim != out.watchlist.dim() || dim == 0) {
      return Status::InvalidArgument("deployment " + std::to_string(deployment_id) +
                                     " holds embeddings of different sizes");
    }
    auto added = out.watchlist.Add(e.reference, reinterpret_cast<const float*>(e.embedding.data()));
    if (!added.ok()) return added.status();
    out.entry_ids[e.reference] = e.entry_id;
  }
  return out;
}

StoreAlertSink::StoreAlertSink(Store* store, int64_t deployment_id,
                               std::unordered_map<std::string, int64_t> entry_ids, Actor by)
    : store_(store), deployment_id_(deployment_id), entry_ids_(std::move(entry_ids)), by_(std::move(by)) {}

Status StoreAlertSink::Emit(const Alert& alert, const cv::Mat& crop, const cv::Mat& frame) {
  auto it = entry_ids_.find(alert.subject);
  if (it == entry_ids_.end()) {
    return Status::InvalidArgument("alert for \"" + alert.subject + "\", which is not on deployment " +
                                   std::to_string(deployment_id_) + "'s watchlist");
  }
  AlertInput in;
  in.deployment_id = deployment_id_;
  in.camera = alert.camera;
  in.entry_id = it->second;
  in.track_id = alert.track_id;
  in.score = alert.score;
  in.fused_score = alert.fused_score;
  in.threshold = alert.threshold;
  auto crop_jpeg = EncodeJpeg(crop, 0);
  if (!crop_jpeg.ok()) return crop_jpeg.status();
  in.crop_jpeg = std::move(crop_jpeg).value();
  if (!frame.empty()) {
    auto thumb = EncodeJpeg(frame, kThumbnailLongSide, 80);
    if (!thumb.ok()) {
      WipeBytes(in.crop_jpeg.data(), in.crop_jpeg.size());
      return thumb.status();
    }
    in.thumbnail_jpeg = std::move(thumb).value();
  }
  auto stored = store_->RecordAlert(in, by_);
  WipeBytes(in.crop_jpeg.data(), in.crop_jpeg.size());
  WipeBytes(in.thumbnail_jpeg.data(), in.thumbnail_jpeg.size());
  if (!stored.ok()) return stored.status();
  ++alerts_recorded_;
  std::vector<Listener> listeners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, l] : listeners_) listeners.push_back(l);
  }
  for (const auto& l : listeners) l(*stored);
  return Status::Ok();
}

void StoreAlertSink::OnFacesSeen(const std::string& camera, int64_t wall_ms, int n_new_tracks) {
  faces_seen_ += n_new_tracks;
  Status s = store_->AddFacesSeen(deployment_id_, camera, wall_ms, n_new_tracks);
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (counter_error_.ok()) counter_error_ = s;
  }
}

int StoreAlertSink::Subscribe(Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  const int id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void StoreAlertSink::Unsubscribe(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.erase(id);
}

Status StoreAlertSink::counter_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counter_error_;
}

}  // namespace lfr
