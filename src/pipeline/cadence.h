// DetectCadence: how often the live pipeline runs the detector, adapted to the load so
// that an overloaded machine degrades evenly instead of dropping frames.
//
// Every camera's worker reports, for each frame it takes, how many frames were still
// waiting in its queue (pipeline/frame_queue.h), whether frames were lost since its last
// report (queue overflow or the reader skipping ahead), and whether its reader is falling
// behind its source's pace (a paced reader catches up without dropping up to a limit,
// pipeline/camera.h: being far behind is the early sign that the CPU is exhausted). When a
// camera's smoothed backlog reaches half its queue, it lost frames or its reader is behind,
// the pipeline is short of CPU: the
// detect interval of EVERY camera goes up (up to max_every), so the CPU freed is shared
// and no camera is starved: by one frame on the early signs, by half at once when frames
// were already lost (start-up, a crowd arriving: back off fast, recover slowly). After a
// hold period it may go up again; once every camera's backlog has stayed near zero for a
// calm period, it comes down by one, never below the configured base_every. The calm
// period starts at calm_reports and doubles (up to 8x) whenever a step down brings the
// overload back within it, halving again after two step downs in a row, so the interval
// does not oscillate (each return of overload would cost frames). Frames that the raised interval leaves unlooked-at
// are "shed" (counted apart from drops); tracks coast over them as over any skipped frame.
//
// Decisions depend only on the sequence of reports (no clock), so they are reproducible.
// Thread-safety: Report() and every() from any thread (mutex / atomic).
#ifndef LFR_PIPELINE_CADENCE_H_
#define LFR_PIPELINE_CADENCE_H_

#include <atomic>
#include <mutex>
#include <vector>

namespace lfr {

struct CadenceOptions {
  int base_every = 1;        // the configured detect_every
  int max_every = 12;        // never detect less often than this
  int cameras = 1;
  int queue_capacity = 4;    // frames per camera queue
  double alpha = 0.2;        // EWMA weight of the newest backlog sample
  int hold_reports = 0;      // reports after a raise before the next (0 = 2 per camera)
  int calm_reports = 0;      // calm reports before a step down (0 = 50 per camera)
};

class DetectCadence {
 public:
  explicit DetectCadence(const CadenceOptions& options);

  // Camera `camera` (0-based) took a frame with `backlog` frames still queued behind it;
  // `lost` frames were dropped since its previous report; `behind`: its reader is behind
  // its source's pace by more than the pipeline tolerates before shedding (so the interval
  // rises before the reader has to drop). Returns the interval to use.
  int Report(int camera, size_t backlog, int64_t lost, bool behind = false);
  // The current detect interval (>= base_every); readable without locking.
  int every() const { return every_.load(std::memory_order_relaxed); }
  const std::atomic<int>* every_ptr() const { return &every_; }
  int max_reached() const { return max_reached_.load(std::memory_order_relaxed); }
  int64_t raises() const;
  int calm_needed() const;  // reports of calm needed before the next step down now

 private:
  CadenceOptions o_;
  std::atomic<int> every_;
  std::atomic<int> max_reached_;
  mutable std::mutex mu_;
  std::vector<double> backlog_;  // smoothed, per camera
  int since_change_ = 0;         // reports since the last change
  int calm_ = 0;                 // consecutive reports with every camera calm
  int64_t raises_ = 0;
  int calm_needed_ = 0;          // current calm period (calm_reports .. 8 x calm_reports)
  bool last_was_down_ = false;   // the last change was a step down
  static constexpr int kMaxCalmFactor = 8;
};

}  // namespace lfr

#endif  // LFR_PIPELINE_CADENCE_H_
