#include "pipeline/frame_slot.h"

#include <utility>

#include "util/secure.h"

namespace lfr {

bool LatestFrameSlot::Put(Frame* frame) {
  std::unique_lock<std::mutex> lock(mu_);
  if (lossless_) cv_.wait(lock, [&] { return !full_ || closed_; });
  if (closed_) return false;
  if (full_) ++dropped_;
  std::swap(slot_, *frame);
  full_ = true;
  ++delivered_;
  lock.unlock();
  cv_.notify_all();
  return true;
}

bool LatestFrameSlot::Take(Frame* frame, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return full_ || closed_; })) return false;
  if (!full_) return false;
  std::swap(slot_, *frame);
  full_ = false;
  lock.unlock();
  cv_.notify_all();
  return true;
}

void LatestFrameSlot::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool LatestFrameSlot::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

int64_t LatestFrameSlot::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

int64_t LatestFrameSlot::delivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_;
}

void LatestFrameSlot::WipeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  WipeMat(&slot_.image);
  WipeMat(&slot_.working);
  full_ = false;
}

}  // namespace lfr
