#include "track/tracker.h"

#include <algorithm>
#include <cmath>

#include "util/secure.h"

namespace lfr {

float BoxIoU(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float x1 = std::max(a.x, b.x), y1 = std::max(a.y, b.y);
  const float x2 = std::min(a.x + a.width, b.x + b.width);
  const float y2 = std::min(a.y + a.height, b.y + b.height);
  const float inter = std::max(0.0f, x2 - x1) * std::max(0.0f, y2 - y1);
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

Tracker::~Tracker() {
  for (auto& t : tracks_) Wipe(&t.mean_embedding);
  for (auto& e : recently_ended_) Wipe(&e.mean_embedding);
}

void Tracker::Wipe(std::vector<float>* v) {
  if (!v->empty()) WipeBytes(v->data(), v->size() * sizeof(float));
  std::vector<float>().swap(*v);
}

cv::Rect2f Tracker::Predict(const Track& t, int64_t frame) const {
  const float dt = static_cast<float>(frame - t.info.last_frame);
  cv::Rect2f b = t.info.box;
  b.x += t.velocity.x * dt;
  b.y += t.velocity.y * dt;
  return b;
}

float Tracker::Affinity(const Track& t, const Face& f, int64_t frame) const {
  const cv::Rect2f pred = Predict(t, frame);
  const float iou = BoxIoU(pred, f.box);
  // Landmark cue: mean landmark displacement (after the predicted shift) relative to size.
  const float dt = static_cast<float>(frame - t.info.last_frame);
  const cv::Point2f shift = t.velocity * dt;
  float dist = 0;
  for (int i = 0; i < kNumLandmarks; ++i) {
    const cv::Point2f d = f.landmarks[i] - (t.landmarks[i] + shift);
    dist += std::sqrt(d.dot(d));
  }
  dist /= kNumLandmarks;
  const float size = std::max(1.0f, 0.5f * (f.box.width + t.info.box.width));
  const float lm = std::max(0.0f, 1.0f - dist / (0.5f * size));  // 1 = same, 0 = half a face off
  if (iou < options_.min_iou && lm < 0.5f) return -1.0f;  // not plausible
  return iou + options_.landmark_weight * lm;
}

void Tracker::EndStale(int64_t frame) {
  for (size_t i = 0; i < tracks_.size();) {
    Track& t = tracks_[i];
    if (frame - t.info.last_frame > options_.max_missed_frames) {
      ended_.push_back(t.info.id);
      if (!t.mean_embedding.empty() && options_.relink_frames > 0) {
        recently_ended_.push_back({t.info.id, frame, std::move(t.mean_embedding)});
      }
      Wipe(&t.mean_embedding);
      tracks_.erase(tracks_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  for (size_t i = 0; i < recently_ended_.size();) {
    if (frame - recently_ended_[i].ended_frame > options_.relink_frames) {
      Wipe(&recently_ended_[i].mean_embedding);
      recently_ended_.erase(recently_ended_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
}

void Tracker::Skip(int64_t frame) { EndStale(frame); }

void Tracker::Update(int64_t frame, const std::vector<Face>& detections,
                     const std::vector<float>& quality, std::vector<TrackedFace>* out) {
  EndStale(frame);
  out->assign(detections.size(), TrackedFace{});
  // Greedy association by descending affinity (few faces per frame: O(T*D log) is fine).
  struct Pair { float a; int t, d; };
  std::vector<Pair> pairs;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    for (size_t d = 0; d < detections.size(); ++d) {
      const float a = Affinity(tracks_[t], detections[d], frame);
      if (a > 0) pairs.push_back({a, static_cast<int>(t), static_cast<int>(d)});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) { return x.a > y.a; });
  std::vector<char> track_used(tracks_.size(), 0), det_used(detections.size(), 0);
  std::vector<int> det_track(detections.size(), -1);
  for (const Pair& p : pairs) {
    if (track_used[p.t] || det_used[p.d]) continue;
    track_used[p.t] = det_used[p.d] = 1;
    det_track[p.d] = p.t;
  }
  for (size_t d = 0; d < detections.size(); ++d) {
    const Face& f = detections[d];
    TrackedFace& tf = (*out)[d];
    tf.detection = static_cast<int>(d);
    Track* t;
    if (det_track[d] >= 0) {
      t = &tracks_[det_track[d]];
      const float dt = static_cast<float>(std::max<int64_t>(1, frame - t->info.last_frame));
      const cv::Point2f c_old(t->info.box.x + t->info.box.width / 2, t->info.box.y + t->info.box.height / 2);
      const cv::Point2f c_new(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2);
      const cv::Point2f v = (c_new - c_old) / dt;
      t->velocity = t->info.hits > 1 ? 0.5f * t->velocity + 0.5f * v : v;
    } else {
      Track nt;
      nt.info.id = next_id_++;
      nt.info.first_frame = frame;
      tracks_.push_back(std::move(nt));
      t = &tracks_.back();
      tf.new_track = true;
    }
    t->info.box = f.box;
    t->info.last_frame = frame;
    t->info.hits++;
    t->landmarks = f.landmarks;
    tf.track_id = t->info.id;
    const float q = d < quality.size() ? quality[d] : -1.0f;
    if (q >= 0) {
      const bool never = t->info.embeddings == 0 && t->last_embed_frame < 0;
      const bool better = q >= t->info.best_quality + options_.quality_gain;
      const bool periodic = options_.embed_every > 0 && t->last_embed_frame >= 0 &&
                            frame - t->last_embed_frame >= options_.embed_every;
      tf.embed = never || better || periodic;
      tf.first_embed = tf.embed && never;
    }
  }
}

void ChooseEmbeddings(const std::vector<TrackedFace>& tracked, const std::vector<float>& quality,
                      int budget, std::vector<int>* chosen) {
  const size_t start = chosen->size();
  for (size_t i = 0; i < tracked.size(); ++i) {
    if (tracked[i].embed) chosen->push_back(static_cast<int>(i));
  }
  if (budget <= 0 || chosen->size() - start <= static_cast<size_t>(budget)) return;
  auto q = [&](int i) {
    const size_t d = static_cast<size_t>(tracked[i].detection);
    return d < quality.size() ? quality[d] : -1.0f;
  };
  std::stable_sort(chosen->begin() + static_cast<std::ptrdiff_t>(start), chosen->end(), [&](int a, int b) {
    if (tracked[a].first_embed != tracked[b].first_embed) return tracked[a].first_embed;
    return q(a) > q(b);
  });
  chosen->resize(start + static_cast<size_t>(budget));
}

int64_t Tracker::ReportEmbedding(int64_t track_id, int64_t frame, float quality,
                                 const float* embedding, int dim, bool* split) {
  if (split) *split = false;
  auto it = std::find_if(tracks_.begin(), tracks_.end(),
                         [&](const Track& t) { return t.info.id == track_id; });
  if (it == tracks_.end()) return track_id;
  Track& t = *it;
  const bool first = t.info.embeddings == 0;
  if (!first && embedding != nullptr && options_.split_similarity > -1.0f &&
      static_cast<int>(t.mean_embedding.size()) == dim) {
    double dot = 0, n2 = 0;
    for (int i = 0; i < dim; ++i) {
      dot += double(t.mean_embedding[i]) * embedding[i];
      n2 += double(t.mean_embedding[i]) * t.mean_embedding[i];
    }
    const float sim = n2 > 0 ? static_cast<float>(dot / std::sqrt(n2)) : 1.0f;
    if (sim < options_.split_similarity) {
      // Someone else now has this track's box: the old identity ends here, as if unseen
      // (so it can be re-linked if that person is found again), and the face goes on as a
      // new track that starts from this embedding.
      ended_.push_back(t.info.id);
      if (options_.relink_frames > 0) {
        recently_ended_.push_back({t.info.id, frame, std::move(t.mean_embedding)});
      }
      Wipe(&t.mean_embedding);
      t.info.id = next_id_++;
      t.info.first_frame = frame;
      t.info.hits = 1;
      t.info.embeddings = 1;
      t.info.best_quality = quality;
      t.last_embed_frame = frame;
      t.mean_embedding.assign(embedding, embedding + dim);
      ++splits_;
      if (split) *split = true;
      return t.info.id;
    }
  }
  t.info.embeddings++;
  t.last_embed_frame = frame;
  t.info.best_quality = std::max(t.info.best_quality, quality);
  if (embedding == nullptr || dim <= 0) return t.info.id;
  if (t.mean_embedding.empty()) {
    t.mean_embedding.assign(embedding, embedding + dim);
  } else if (static_cast<int>(t.mean_embedding.size()) == dim) {
    for (int i = 0; i < dim; ++i) t.mean_embedding[i] += embedding[i];
  }
  if (first && !recently_ended_.empty()) {
    int best = -1;
    float best_sim = options_.relink_similarity;
    for (size_t e = 0; e < recently_ended_.size(); ++e) {
      const auto& m = recently_ended_[e].mean_embedding;
      if (static_cast<int>(m.size()) != dim) continue;
      double dot = 0, n2 = 0;
      for (int i = 0; i < dim; ++i) {
        dot += double(m[i]) * embedding[i];
        n2 += double(m[i]) * m[i];
      }
      const float sim = n2 > 0 ? static_cast<float>(dot / std::sqrt(n2)) : -1.0f;
      if (sim >= best_sim) {
        best_sim = sim;
        best = static_cast<int>(e);
      }
    }
    if (best >= 0) {
      Ended& e = recently_ended_[best];
      t.info.id = e.id;
      for (int i = 0; i < dim; ++i) t.mean_embedding[i] += e.mean_embedding[i];
      // The ended id is live again: it must not be reported as ended.
      ended_.erase(std::remove(ended_.begin(), ended_.end(), e.id), ended_.end());
      Wipe(&e.mean_embedding);
      recently_ended_.erase(recently_ended_.begin() + best);
    }
  }
  return t.info.id;
}

std::vector<int64_t> Tracker::TakeEnded() {
  std::vector<int64_t> out;
  out.swap(ended_);
  return out;
}

std::vector<TrackInfo> Tracker::Live() const {
  std::vector<TrackInfo> out;
  for (const auto& t : tracks_) out.push_back(t.info);
  return out;
}

}  // namespace lfr
