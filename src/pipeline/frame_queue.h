// FrameQueue: the bounded hand-off between a camera's reader thread and its processing
// worker. It holds at most `capacity` frames (a few: enough to absorb the cost spike of a
// frame with new faces to embed, short enough that a decision is never more than a fraction
// of a second behind). In live mode, when the worker has fallen `capacity` frames behind, the
// oldest waiting frame is dropped (counted) to make room: the backlog and so the latency stay
// bounded, and frames are taken in order. In lossless mode (replaying a file as fast as
// possible) the reader waits for room instead.
//
// Frames are exchanged by swapping cv::Mat headers, so the pixel buffers in play (reader,
// queue slots, worker) are reused and never freed while the camera runs: no per-frame
// allocation, and frames of passers-by are not left in freed heap memory. WipeAll() wipes
// the queue's buffers when the camera stops.
//
// Thread-safety: all methods are thread-safe; one producer and one consumer.
#ifndef LFR_PIPELINE_FRAME_QUEUE_H_
#define LFR_PIPELINE_FRAME_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include <opencv2/core.hpp>

namespace lfr {

using SteadyClock = std::chrono::steady_clock;

struct Frame {
  cv::Mat image;                 // 8-bit BGR
  cv::Mat working;               // optional: image downscaled for the detector (8-bit BGR,
                                 // made by the decoder from YUV); empty if not made
  int64_t index = -1;            // frame number in the camera's stream (0-based)
  double media_time_s = 0;       // stream time of the frame
  SteadyClock::time_point read_time;  // when the frame arrived: decoded (streams, devices,
                                      // lossless files) or due at its pace (paced files)
};

class FrameQueue {
 public:
  // capacity >= 1 frames (1 = latest frame wins).
  explicit FrameQueue(bool lossless = false, size_t capacity = 1);

  // Hands *frame to the consumer and gives back in *frame a buffer to reuse. Live: never
  // blocks; when full the oldest waiting frame is dropped (counted). Lossless: waits for
  // room. Returns false if the queue was closed (frame not delivered).
  bool Put(Frame* frame);
  // Waits up to `timeout` for a frame and swaps the oldest one into *frame. false on
  // timeout or when closed and empty.
  bool Take(Frame* frame, std::chrono::milliseconds timeout);
  // No more frames: wakes both sides. Take() still returns frames already queued.
  void Close();
  // Accepts frames again after Close() (a camera started afresh).
  void Reopen();
  bool closed() const;
  size_t size() const;           // frames waiting
  size_t capacity() const { return ring_.size(); }
  int64_t dropped() const;
  int64_t delivered() const;
  void WipeAll();

 private:
  const bool lossless_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Frame> ring_;      // capacity slots; [head_, head_ + count_) are waiting
  size_t head_ = 0, count_ = 0;
  bool closed_ = false;
  int64_t dropped_ = 0;
  int64_t delivered_ = 0;
};

}  // namespace lfr

#endif  // LFR_PIPELINE_FRAME_QUEUE_H_
