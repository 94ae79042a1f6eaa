#include "pipeline/frame_queue.h"

#include <algorithm>
#include <utility>

#include "util/secure.h"

namespace lfr {

FrameQueue::FrameQueue(bool lossless, size_t capacity)
    : lossless_(lossless), ring_(std::max<size_t>(1, capacity)) {}

bool FrameQueue::Put(Frame* frame) {
  std::unique_lock<std::mutex> lock(mu_);
  if (lossless_) cv_.wait(lock, [&] { return count_ < ring_.size() || closed_; });
  if (closed_) return false;
  if (count_ == ring_.size()) {  // live and full: the oldest waiting frame makes room
    head_ = (head_ + 1) % ring_.size();
    --count_;
    ++dropped_;
  }
  std::swap(ring_[(head_ + count_) % ring_.size()], *frame);
  ++count_;
  ++delivered_;
  lock.unlock();
  cv_.notify_all();
  return true;
}

bool FrameQueue::Take(Frame* frame, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return count_ > 0 || closed_; })) return false;
  if (count_ == 0) return false;
  std::swap(ring_[head_], *frame);
  head_ = (head_ + 1) % ring_.size();
  --count_;
  lock.unlock();
  cv_.notify_all();
  return true;
}

void FrameQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

void FrameQueue::Reopen() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = false;
}

bool FrameQueue::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

size_t FrameQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

int64_t FrameQueue::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

int64_t FrameQueue::delivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_;
}

void FrameQueue::WipeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Frame& f : ring_) {
    WipeMat(&f.image);
    WipeMat(&f.working);
  }
  head_ = count_ = 0;
}

}  // namespace lfr
