// Tracker behaviour on synthetic detections: stable ids, birth and death, the embedding
// policy, and re-linking by embedding after an occlusion.
#include "track/tracker.h"

#include <gtest/gtest.h>

namespace lfr {
namespace {

Face MakeFace(float x, float y, float w) {
  Face f;
  f.box = cv::Rect2f(x, y, w, w * 1.2f);
  f.landmarks = {cv::Point2f(x + 0.3f * w, y + 0.4f * w), cv::Point2f(x + 0.7f * w, y + 0.4f * w),
                 cv::Point2f(x + 0.5f * w, y + 0.6f * w), cv::Point2f(x + 0.35f * w, y + 0.85f * w),
                 cv::Point2f(x + 0.65f * w, y + 0.85f * w)};
  f.score = 0.9f;
  return f;
}

TEST(Tracker, TwoWalkersKeepTheirIds) {
  Tracker t;
  std::vector<TrackedFace> out;
  int64_t id_a = -1, id_b = -1;
  for (int frame = 0; frame < 30; ++frame) {
    // A walks right, B walks left, 4 px per frame; they never overlap.
    std::vector<Face> faces = {MakeFace(100 + 4 * frame, 100, 60), MakeFace(600 - 4 * frame, 300, 60)};
    t.Update(frame, faces, {0.8f, 0.8f}, &out);
    ASSERT_EQ(out.size(), 2u);
    if (frame == 0) {
      EXPECT_TRUE(out[0].new_track);
      EXPECT_TRUE(out[1].new_track);
      id_a = out[0].track_id;
      id_b = out[1].track_id;
      EXPECT_NE(id_a, id_b);
    } else {
      EXPECT_FALSE(out[0].new_track) << frame;
      EXPECT_EQ(out[0].track_id, id_a) << frame;
      EXPECT_EQ(out[1].track_id, id_b) << frame;
    }
  }
  EXPECT_EQ(t.tracks_started(), 2);
  EXPECT_EQ(t.live_tracks(), 2);
}

TEST(Tracker, SurvivesSkippedDetectionFramesWithVelocity) {
  Tracker t;
  std::vector<TrackedFace> out;
  // 20 px per frame. Frames 0 and 1 are detected (the velocity is learnt), then only every
  // 3rd frame: 60 px jumps on a 60 px face, so the boxes do not overlap at all and only
  // the constant-velocity prediction can keep the id.
  int64_t id = -1;
  for (int frame = 0; frame < 31; ++frame) {
    if (frame > 1 && frame % 3) {
      t.Skip(frame);
      continue;
    }
    t.Update(frame, {MakeFace(20.0f * frame, 200, 60)}, {0.8f}, &out);
    ASSERT_EQ(out.size(), 1u);
    if (id < 0) id = out[0].track_id;
    EXPECT_EQ(out[0].track_id, id) << "frame " << frame;
  }
  EXPECT_EQ(t.tracks_started(), 1);
  EXPECT_EQ(t.live_tracks(), 1);
}

TEST(Tracker, TracksEndAfterMaxMissedFrames) {
  TrackerOptions o;
  o.max_missed_frames = 5;
  Tracker t(o);
  std::vector<TrackedFace> out;
  t.Update(0, {MakeFace(100, 100, 60)}, {0.8f}, &out);
  const int64_t id = out[0].track_id;
  for (int f = 1; f <= 5; ++f) t.Update(f, {}, {}, &out);
  EXPECT_EQ(t.live_tracks(), 1);
  EXPECT_TRUE(t.TakeEnded().empty());
  t.Update(6, {}, {}, &out);
  EXPECT_EQ(t.live_tracks(), 0);
  EXPECT_EQ(t.TakeEnded(), std::vector<int64_t>{id});
  // Reappearing in the same place later is a new track (no embedding to re-link with).
  t.Update(7, {MakeFace(100, 100, 60)}, {0.8f}, &out);
  EXPECT_TRUE(out[0].new_track);
  EXPECT_NE(out[0].track_id, id);
}

TEST(Tracker, EmbedsOnFirstGoodFaceQualityGainAndEveryK) {
  TrackerOptions o;
  o.embed_every = 10;
  o.quality_gain = 0.05f;
  Tracker t(o);
  std::vector<TrackedFace> out;
  // Frame 0: fails the gate -> tracked, not embedded.
  t.Update(0, {MakeFace(100, 100, 60)}, {-1.0f}, &out);
  EXPECT_FALSE(out[0].embed);
  const int64_t id = out[0].track_id;
  // Frame 1: passes -> embed (first).
  t.Update(1, {MakeFace(101, 100, 60)}, {0.5f}, &out);
  EXPECT_TRUE(out[0].embed);
  t.ReportEmbedding(id, 1, 0.5f, nullptr, 0);
  // Frames 2..: same quality -> not until 10 frames later.
  std::vector<int> embedded;
  for (int f = 2; f <= 25; ++f) {
    t.Update(f, {MakeFace(100.0f + f, 100, 60)}, {0.52f}, &out);
    if (out[0].embed) {
      embedded.push_back(f);
      t.ReportEmbedding(id, f, 0.52f, nullptr, 0);
    }
  }
  EXPECT_EQ(embedded, (std::vector<int>{11, 21}));
  // A clear quality gain triggers an embedding at once.
  t.Update(26, {MakeFace(126, 100, 60)}, {0.7f}, &out);
  EXPECT_TRUE(out[0].embed);
}

TEST(Tracker, RelinksANewTrackToARecentlyEndedOneByEmbedding) {
  TrackerOptions o;
  o.max_missed_frames = 2;
  o.relink_frames = 50;
  o.relink_similarity = 0.6f;
  Tracker t(o);
  std::vector<TrackedFace> out;
  const float person[3] = {1, 0, 0};
  const float other[3] = {0, 1, 0};
  t.Update(0, {MakeFace(100, 100, 60)}, {0.8f}, &out);
  const int64_t id = out[0].track_id;
  t.ReportEmbedding(id, 0, 0.8f, person, 3);
  for (int f = 1; f <= 4; ++f) t.Update(f, {}, {}, &out);  // occluded: track ends
  EXPECT_EQ(t.live_tracks(), 0);
  // Someone else appears elsewhere: new id, not re-linked.
  t.Update(5, {MakeFace(400, 100, 60)}, {0.8f}, &out);
  const int64_t other_id = out[0].track_id;
  EXPECT_NE(other_id, id);
  EXPECT_EQ(t.ReportEmbedding(other_id, 5, 0.8f, other, 3), other_id);
  // The first person reappears: a new track at first, re-linked by the embedding.
  t.Update(6, {MakeFace(400, 100, 60), MakeFace(150, 120, 60)}, {0.8f, 0.8f}, &out);
  ASSERT_TRUE(out[1].new_track);
  EXPECT_EQ(t.ReportEmbedding(out[1].track_id, 6, 0.8f, person, 3), id);
  // The re-linked id is not reported as ended any more.
  for (int64_t e : t.TakeEnded()) EXPECT_NE(e, id);
  bool live = false;
  for (const auto& info : t.Live()) live |= info.id == id;
  EXPECT_TRUE(live);
}

// Someone else under a track's box (a shot cut, or two people crossing): an embedding unlike
// the track's mean splits it. The old id ends (reported as ended), the face goes on under a
// new id whose mean starts from the new embedding; a like embedding keeps the id.
TEST(Tracker, SplitsATrackWhoseFaceBecomesSomeoneElse) {
  TrackerOptions o;
  o.split_similarity = 0.2f;
  Tracker t(o);
  std::vector<TrackedFace> out;
  const float person[3] = {1, 0, 0};
  const float same[3] = {0.8f, 0.6f, 0};  // cosine 0.8 with person
  const float other[3] = {0, 0.1f, 0.995f};  // cosine 0 with person
  t.Update(0, {MakeFace(100, 100, 60)}, {0.8f}, &out);
  const int64_t id = out[0].track_id;
  bool split = true;
  EXPECT_EQ(t.ReportEmbedding(id, 0, 0.8f, person, 3, &split), id);
  EXPECT_FALSE(split);
  t.Update(1, {MakeFace(101, 100, 60)}, {0.8f}, &out);
  EXPECT_EQ(t.ReportEmbedding(id, 1, 0.8f, same, 3, &split), id);
  EXPECT_FALSE(split);
  t.Update(2, {MakeFace(102, 100, 60)}, {0.8f}, &out);
  ASSERT_EQ(out[0].track_id, id);  // the box alone cannot tell
  const int64_t next = t.ReportEmbedding(id, 2, 0.8f, other, 3, &split);
  EXPECT_TRUE(split);
  EXPECT_NE(next, id);
  EXPECT_EQ(t.tracks_split(), 1);
  EXPECT_EQ(t.tracks_started(), 2);
  EXPECT_EQ(t.TakeEnded(), std::vector<int64_t>{id});
  // The box is followed under the new id, which the new person's embeddings keep.
  t.Update(3, {MakeFace(103, 100, 60)}, {0.8f}, &out);
  ASSERT_EQ(out[0].track_id, next);
  EXPECT_EQ(t.ReportEmbedding(next, 3, 0.8f, other, 3, &split), next);
  EXPECT_FALSE(split);
  ASSERT_EQ(t.Live().size(), 1u);
  EXPECT_EQ(t.Live()[0].first_frame, 2);
  // The first person comes back under the box: split again, and re-linked later if seen new.
  t.Update(4, {MakeFace(104, 100, 60)}, {0.8f}, &out);
  EXPECT_NE(t.ReportEmbedding(next, 4, 0.8f, person, 3, &split), next);
  EXPECT_TRUE(split);
  EXPECT_EQ(t.tracks_split(), 2);
}

TEST(Tracker, SplittingCanBeTurnedOff) {
  TrackerOptions o;
  o.split_similarity = -1.0f;
  Tracker t(o);
  std::vector<TrackedFace> out;
  const float person[3] = {1, 0, 0};
  const float other[3] = {0, 1, 0};
  t.Update(0, {MakeFace(100, 100, 60)}, {0.8f}, &out);
  const int64_t id = out[0].track_id;
  t.ReportEmbedding(id, 0, 0.8f, person, 3);
  t.Update(1, {MakeFace(100, 100, 60)}, {0.8f}, &out);
  bool split = true;
  EXPECT_EQ(t.ReportEmbedding(id, 1, 0.8f, other, 3, &split), id);
  EXPECT_FALSE(split);
  EXPECT_EQ(t.tracks_split(), 0);
}

// A crowd of new faces under a budget: new tracks first (best quality first), the rest
// wanted again on the next detection frame, so none is lost, only later.
TEST(Tracker, ABudgetDefersWantedFacesNewTracksFirstAndNoneIsLost) {
  Tracker t;
  std::vector<Face> dets;
  for (int i = 0; i < 6; ++i) dets.push_back(MakeFace(10.0f + 120.0f * i, 50, 60));
  std::vector<float> q = {0.5f, 0.9f, 0.6f, 0.8f, 0.7f, 0.4f};
  std::vector<TrackedFace> out;
  t.Update(0, dets, q, &out);
  // Tracks 0 and 2 were embedded before (so now only periodic/quality refreshes).
  t.ReportEmbedding(out[0].track_id, 0, q[0], nullptr, 0);
  t.ReportEmbedding(out[2].track_id, 0, q[2], nullptr, 0);
  std::vector<float> q2 = {0.99f, 0.9f, 0.99f, 0.8f, 0.7f, 0.4f};  // 0 and 2 improved a lot
  t.Update(3, dets, q2, &out);
  ASSERT_TRUE(out[0].embed && !out[0].first_embed);
  ASSERT_TRUE(out[1].embed && out[1].first_embed);

  std::vector<int> chosen;
  ChooseEmbeddings(out, q2, 3, &chosen);
  EXPECT_EQ(chosen, (std::vector<int>{1, 3, 4}));  // never-embedded, by quality
  chosen.clear();
  ChooseEmbeddings(out, q2, 0, &chosen);           // no budget: every wanted face, in order
  EXPECT_EQ(chosen, (std::vector<int>{0, 1, 2, 3, 4, 5}));

  // Embed only the budget's choice; the next frame wants exactly the others.
  chosen.clear();
  ChooseEmbeddings(out, q2, 3, &chosen);
  for (int i : chosen) t.ReportEmbedding(out[i].track_id, 3, q2[out[i].detection], nullptr, 0);
  t.Update(6, dets, q2, &out);
  std::vector<int> wanted;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].embed) wanted.push_back(static_cast<int>(i));
  }
  EXPECT_EQ(wanted, (std::vector<int>{0, 2, 5}));
  EXPECT_TRUE(out[5].first_embed);
  chosen.clear();
  ChooseEmbeddings(out, q2, 2, &chosen);
  EXPECT_EQ(chosen, (std::vector<int>{5, 0}));  // the new one first, then the best refresh
}

TEST(BoxIoU, KnownValues) {
  EXPECT_FLOAT_EQ(BoxIoU({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0f);
  EXPECT_FLOAT_EQ(BoxIoU({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0f / 150.0f);
  EXPECT_FLOAT_EQ(BoxIoU({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0f);
}

}  // namespace
}  // namespace lfr
