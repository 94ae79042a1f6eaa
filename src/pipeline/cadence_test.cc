// The reader -> worker queue (bounded, oldest dropped when full, order kept) and the
// adaptive detect cadence (raised for every camera under load, lowered when calm).
// Deterministic: no clocks, no sleeps.
#include "pipeline/cadence.h"

#include <gtest/gtest.h>

#include "pipeline/frame_queue.h"

namespace lfr {
namespace {
using namespace std::chrono_literals;

Frame Numbered(int64_t i) {
  Frame f;
  f.index = i;
  f.image = cv::Mat(2, 2, CV_8UC3, cv::Scalar(static_cast<double>(i)));
  return f;
}

TEST(FrameQueue, AbsorbsABurstWithoutDropping) {
  FrameQueue q(false, 4);
  for (int i = 0; i < 4; ++i) {
    Frame f = Numbered(i);
    ASSERT_TRUE(q.Put(&f));
  }
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.dropped(), 0) << "a one-frame slot would have dropped 3 of these";
  Frame got;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(q.Take(&got, 0ms));
    EXPECT_EQ(got.index, i) << "in order";
  }
  EXPECT_FALSE(q.Take(&got, 0ms));
}

TEST(FrameQueue, WhenFullTheOldestFrameIsDroppedAndCounted) {
  FrameQueue q(false, 3);
  for (int i = 0; i < 7; ++i) {
    Frame f = Numbered(i);
    ASSERT_TRUE(q.Put(&f));
  }
  EXPECT_EQ(q.dropped(), 4);
  EXPECT_EQ(q.delivered(), 7);
  Frame got;
  for (int want : {4, 5, 6}) {
    ASSERT_TRUE(q.Take(&got, 0ms));
    EXPECT_EQ(got.index, want);
  }
  // Buffers are recycled: what the producer gets back is a queue slot's old buffer.
  Frame f = Numbered(9);
  ASSERT_TRUE(q.Put(&f));
  q.Close();
  EXPECT_TRUE(q.Take(&got, 0ms)) << "frames queued before Close are still taken";
  EXPECT_EQ(got.index, 9);
  EXPECT_FALSE(q.Put(&f));
  q.Reopen();
  EXPECT_TRUE(q.Put(&f));
}

CadenceOptions Opts(int base, int cameras) {
  CadenceOptions o;
  o.base_every = base;
  o.max_every = 6;
  o.cameras = cameras;
  o.queue_capacity = 4;
  o.hold_reports = 3;
  o.calm_reports = 10;
  return o;
}

TEST(DetectCadence, StaysAtTheConfiguredIntervalWhileTheQueuesStayEmpty) {
  DetectCadence c(Opts(3, 2));
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(c.Report(i % 2, 0, 0), 3);
  EXPECT_EQ(c.raises(), 0);
}

TEST(DetectCadence, AnOccasionalSpikeIsAbsorbedNotPunished) {
  DetectCadence c(Opts(3, 1));
  // One frame in ten finds two frames queued behind it (an embedding spike): the smoothed
  // backlog never reaches half the queue.
  for (int i = 0; i < 500; ++i) c.Report(0, i % 10 == 0 ? 2 : 0, 0);
  EXPECT_EQ(c.every(), 3);
}

TEST(DetectCadence, LoadOnOneCameraRaisesTheIntervalOfAllThenItComesBack) {
  DetectCadence c(Opts(2, 3));
  // Camera 1 lags (queue full) while 0 and 2 are fine: the interval goes up for all.
  int e = 2;
  for (int i = 0; i < 12; ++i) {
    c.Report(0, 0, 0);
    e = c.Report(1, 4, 0);
    c.Report(2, 0, 0);
  }
  EXPECT_GT(e, 2);
  EXPECT_EQ(c.every(), e) << "one interval, shared by every camera";
  EXPECT_LE(e, 6);
  const int raised = e;
  // A frame lost is overload too, at once (after the hold), and backs off by half.
  for (int i = 0; i < 3; ++i) c.Report(0, 0, 0);
  c.Report(0, 0, 1);
  EXPECT_EQ(c.every(), std::min(6, raised + std::max(1, raised / 2)));
  // Load gone: back down one step per calm period, never below the configured interval.
  for (int i = 0; i < 1000; ++i) c.Report(i % 3, 0, 0);
  EXPECT_EQ(c.every(), 2);
  EXPECT_GE(c.max_reached(), raised);
}

TEST(DetectCadence, AReaderFallingBehindRaisesTheIntervalOfEveryCameraBeforeAnyFrameIsLost) {
  DetectCadence c(Opts(3, 3));
  // Camera 2's reader is catching up (behind its pace, nothing dropped yet, queues empty):
  // the CPU is short, so the interval goes up for all three before frames have to go.
  for (int i = 0; i < 4; ++i) {
    c.Report(0, 0, 0);
    c.Report(1, 0, 0);
    c.Report(2, 0, 0, /*behind=*/true);
  }
  EXPECT_GT(c.every(), 3);
  EXPECT_EQ(c.raises(), c.every() - 3);
  // Caught up: the interval comes back down once every camera has been calm a while.
  for (int i = 0; i < 1000; ++i) c.Report(i % 3, 0, 0);
  EXPECT_EQ(c.every(), 3);
}

TEST(DetectCadence, SustainedOverloadIsSharedNotDroppedOnOneCamera) {
  // Two cameras: camera 1 keeps a full queue while the interval is low. Each raise leaves
  // it with less to do; model the backlog as falling with the interval: full at 3 and 4,
  // half at 5, empty from 6. The interval settles where the load fits, and it is the one
  // interval every camera reads.
  DetectCadence c(Opts(3, 2));
  for (int i = 0; i < 400; ++i) {
    const int e = c.every();
    const size_t backlog = e <= 4 ? 4 : e == 5 ? 2 : 0;
    c.Report(0, 0, 0);
    c.Report(1, backlog, 0);
  }
  EXPECT_GE(c.every(), 5);
  EXPECT_LE(c.every(), 6);
}

TEST(DetectCadence, LostFramesBackOffByHalfAtOnceEarlySignsByOneStep) {
  CadenceOptions o = Opts(4, 1);
  o.max_every = 20;
  DetectCadence c(o);
  for (int i = 0; i < 3; ++i) c.Report(0, 0, 0);
  EXPECT_EQ(c.Report(0, 0, 0, /*behind=*/true), 5) << "a reader behind: one step";
  for (int i = 0; i < 2; ++i) c.Report(0, 0, 0);
  EXPECT_EQ(c.Report(0, 4, 3), 7) << "frames lost: half again (5 + 2)";
  for (int i = 0; i < 2; ++i) c.Report(0, 0, 0);
  EXPECT_EQ(c.Report(0, 4, 1), 10) << "7 + 3";
}

TEST(DetectCadence, AStepDownThatBringsOverloadBackWaitsLongerBeforeTheNextOne) {
  // One camera whose load fits at 4 but not at 3: after settling at 4, every step down to 3
  // costs a burst of overload. The calm period doubles after each such failed probe, so the
  // probes (and the frames each would cost) become rarer instead of recurring every period.
  DetectCadence c(Opts(3, 1));  // calm_reports 10, hold 3
  int probes = 0, last = c.every();
  std::vector<int> gaps;
  int since_probe = 0;
  for (int i = 0; i < 2000; ++i) {
    const int e = c.every();
    if (e < last) {  // a step down to 3
      ++probes;
      gaps.push_back(since_probe);
      since_probe = 0;
    }
    last = e;
    ++since_probe;
    c.Report(0, e <= 3 ? 4 : 0, 0);
  }
  ASSERT_GE(probes, 3);
  EXPECT_LT(probes, 2000 / 10 / 2) << "without the back-off a probe would come every ~11 reports";
  EXPECT_GT(gaps.back(), gaps[1]) << "the wait grows";
  EXPECT_EQ(c.calm_needed(), 80) << "capped at 8 x calm_reports";
  // The load falls for good: two step downs in a row bring the calm period back down.
  CadenceOptions o = Opts(3, 1);
  o.max_every = 6;
  DetectCadence d(o);
  for (int i = 0; i < 20; ++i) d.Report(0, 4, 1);
  ASSERT_EQ(d.every(), 6);
  for (int i = 0; i < 3000 && d.every() > 3; ++i) d.Report(0, 0, 0);
  EXPECT_EQ(d.every(), 3);
  EXPECT_EQ(d.calm_needed(), 10);
}

TEST(DetectCadence, NeverAboveTheMaximum) {
  DetectCadence c(Opts(1, 1));
  for (int i = 0; i < 1000; ++i) c.Report(0, 4, 5);
  EXPECT_EQ(c.every(), 6);
}

}  // namespace
}  // namespace lfr
