// Tracker: associates the faces detected in successive frames of one camera into tracks
// with stable ids, and decides which tracked faces are worth embedding.
//
// Association is greedy on a combined affinity: the IoU of the detection with the track's
// box predicted by a constant-velocity model (so detection may skip frames), plus a bonus
// for landmarks that moved little relative to the face size. Pairs below min_iou (and
// without close landmarks) never associate. Unmatched detections start tracks; tracks
// unseen for max_missed_frames frames end. The embedding cue: when a new track is first
// embedded, ReportEmbedding() may re-attach it to a recently ended track of the same
// person (cosine >= relink_similarity), so an occlusion does not change the id. The
// identity cue: a later embedding of a track that is unlike the track's own mean (cosine
// < split_similarity: a shot cut, or two people crossing so that the boxes swapped) splits
// the track: the old id ends there (as if unseen) and the face goes on under a new id,
// so one track never carries two people's scores.
//
// Embedding policy (the expensive step is not run on every face in every frame): a track
// is embedded when a face passing the quality gate is seen and the track has never been
// embedded, or its quality beats the best embedded quality by quality_gain, or
// embed_every frames have passed since its last embedding.
//
// Units: frame indices of the camera's stream. Ownership: the tracker keeps boxes,
// landmarks and, for re-linking, one running mean embedding per track, which it wipes
// when the track is dropped. Thread-safety: NOT thread-safe; one per camera.
#ifndef LFR_TRACK_TRACKER_H_
#define LFR_TRACK_TRACKER_H_

#include <cstdint>
#include <vector>

#include "vision/face.h"

namespace lfr {

struct TrackerOptions {
  float min_iou = 0.2f;            // below this (and without landmark support) no association
  float landmark_weight = 0.5f;    // weight of the landmark cue in the affinity
  int max_missed_frames = 12;      // frames without a detection before a track ends
  int embed_every = 10;            // re-embed a track at least this often (frames); 0 = never
  float quality_gain = 0.05f;      // re-embed when quality improves by this much
  int relink_frames = 50;          // how long ended tracks are kept for re-linking
  float relink_similarity = 0.6f;  // cosine needed to re-link a new track to an ended one
  // Below this cosine between a track's new embedding and the mean of its earlier ones, the
  // face is taken to be someone else and the track is split (-1 = never). Same-person faces
  // of one track score far above it, different people around 0 (EdgeFace on LFW: impostor
  // pairs 0.01 +- 0.08; docs/ACCURACY.md, "Tracks that change identity").
  float split_similarity = 0.3f;
};

// One detection of the current frame after association.
struct TrackedFace {
  int64_t track_id = -1;
  int detection = -1;     // index into the detections passed to Update()
  bool new_track = false; // the track was born with this detection
  bool embed = false;     // the policy wants this face embedded now
  bool first_embed = false;  // ... and the track has never been embedded (most urgent)
};

struct TrackInfo {
  int64_t id = -1;
  cv::Rect2f box;
  int64_t first_frame = 0, last_frame = 0;
  int hits = 0;           // frames with a detection
  int embeddings = 0;     // times embedded
  float best_quality = -1;
};

// Which of the faces the policy wants embedded (tf.embed) to embed now when at most
// `budget` may be (budget <= 0: all of them): faces of tracks never embedded first, then
// the rest, higher quality first within each group (quality[tf.detection], as given to
// Update()). Appends indices into `tracked` to *chosen, in that order. A wanted face left
// out is not lost: the tracker asks for it again on the next detection frame, since only
// ReportEmbedding() satisfies the policy. Used by the live pipeline to spread the cost
// spike of a crowd of new faces over several frames when its worker is behind.
void ChooseEmbeddings(const std::vector<TrackedFace>& tracked, const std::vector<float>& quality,
                      int budget, std::vector<int>* chosen);

class Tracker {
 public:
  explicit Tracker(TrackerOptions options = {}) : options_(options) {}
  ~Tracker();
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // Associates the detections of frame `frame` (increasing) with the live tracks.
  // quality[i] is the quality score (0..1) of detection i, or < 0 if it failed the gate
  // (failing faces are tracked but never embedded). *out gets one entry per detection, in
  // detection order. Tracks that end are appended to ended() until TakeEnded().
  void Update(int64_t frame, const std::vector<Face>& detections,
              const std::vector<float>& quality, std::vector<TrackedFace>* out);
  // Ages the tracks on a frame where detection was skipped (no detections to associate).
  void Skip(int64_t frame);

  // Records that the track was embedded at `frame` with this quality. embedding (dim
  // floats, unit norm) feeds the re-linking cue; nullptr to skip. If this was the track's
  // first embedding and it matches a recently ended track, the track takes the ended
  // track's id (re-link). If it was a later one and unlike the track's mean (split), the
  // old id ends (reported by TakeEnded) and the track goes on under a new id, starting
  // from this embedding; *split (optional) says which of the two happened. The id now in
  // use is returned.
  int64_t ReportEmbedding(int64_t track_id, int64_t frame, float quality,
                          const float* embedding, int dim, bool* split = nullptr);

  // Ids of tracks that ended since the last call (and were not re-linked).
  std::vector<int64_t> TakeEnded();
  int live_tracks() const { return static_cast<int>(tracks_.size()); }
  int64_t tracks_started() const { return next_id_ - 1; }  // including splits
  int64_t tracks_split() const { return splits_; }
  std::vector<TrackInfo> Live() const;

 private:
  struct Track {
    TrackInfo info;
    cv::Point2f velocity{0, 0};    // box centre pixels per frame
    std::array<cv::Point2f, kNumLandmarks> landmarks;
    int64_t last_embed_frame = -1;
    std::vector<float> mean_embedding;  // running mean (not normalised), for re-linking
  };
  struct Ended {
    int64_t id;
    int64_t ended_frame;
    std::vector<float> mean_embedding;
  };
  cv::Rect2f Predict(const Track& t, int64_t frame) const;
  float Affinity(const Track& t, const Face& f, int64_t frame) const;
  void EndStale(int64_t frame);
  static void Wipe(std::vector<float>* v);

  TrackerOptions options_;
  std::vector<Track> tracks_;
  std::vector<Ended> recently_ended_;
  std::vector<int64_t> ended_;
  int64_t next_id_ = 1;
  int64_t splits_ = 0;
};

float BoxIoU(const cv::Rect2f& a, const cv::Rect2f& b);

}  // namespace lfr

#endif  // LFR_TRACK_TRACKER_H_
