// LatestFrameSlot: the bounded hand-off between a camera's reader thread and its
// processing worker. It holds at most one frame. In latest-frame-wins mode a new frame
// replaces an unconsumed one, which is counted as dropped, so a slow worker sees fresh
// frames instead of a growing backlog. In lossless mode (replaying a file as fast as
// possible) the reader waits for the worker instead.
//
// Frames are exchanged by swapping cv::Mat headers, so the three sets of pixel buffers in play
// (reader, slot, worker) are reused and never freed while the camera runs: no per-frame
// allocation, and frames of passers-by are not left in freed heap memory. WipeAll()
// wipes the slot's buffer when the camera stops.
//
// Thread-safety: all methods are thread-safe; one producer and one consumer.
#ifndef LFR_PIPELINE_FRAME_SLOT_H_
#define LFR_PIPELINE_FRAME_SLOT_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include <opencv2/core.hpp>

namespace lfr {

using SteadyClock = std::chrono::steady_clock;

struct Frame {
  cv::Mat image;                 // 8-bit BGR
  cv::Mat working;               // optional: image downscaled for the detector (8-bit BGR,
                                 // made by the decoder from YUV); empty if not made
  int64_t index = -1;            // frame number in the camera's stream (0-based)
  double media_time_s = 0;       // stream time of the frame
  SteadyClock::time_point read_time;  // when the reader had it decoded
};

class LatestFrameSlot {
 public:
  explicit LatestFrameSlot(bool lossless = false) : lossless_(lossless) {}

  // Hands *frame to the consumer and gives back in *frame a buffer to reuse. Latest-wins:
  // never blocks; an unconsumed frame is replaced and counted dropped. Lossless: waits
  // until the slot is free. Returns false if the slot was closed (frame not delivered).
  bool Put(Frame* frame);
  // Waits up to `timeout` for a frame and swaps it into *frame. false on timeout or when
  // closed and empty.
  bool Take(Frame* frame, std::chrono::milliseconds timeout);
  // No more frames: wakes both sides. Take() still returns a frame already in the slot.
  void Close();
  bool closed() const;
  int64_t dropped() const;
  int64_t delivered() const;
  void WipeAll();

 private:
  const bool lossless_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Frame slot_;
  bool full_ = false;
  bool closed_ = false;
  int64_t dropped_ = 0;
  int64_t delivered_ = 0;
};

}  // namespace lfr

#endif  // LFR_PIPELINE_FRAME_SLOT_H_
