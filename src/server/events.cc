#include "server/events.h"

#include <algorithm>

namespace lfr::server {

int64_t EventBus::Publish(const std::string& type, const std::string& data) {
  int64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    events_.push_back({id, type, data});
    while (events_.size() > capacity_) events_.pop_front();
  }
  cv_.notify_all();
  return id;
}

std::vector<Event> EventBus::Wait(int64_t after_id, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return shutdown_ || next_id_ - 1 > after_id; });
  std::vector<Event> out;
  if (shutdown_) return out;
  auto it = std::upper_bound(events_.begin(), events_.end(), after_id,
                             [](int64_t id, const Event& e) { return id < e.id; });
  out.assign(it, events_.end());
  return out;
}

int64_t EventBus::last_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_id_ - 1;
}

void EventBus::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

bool EventBus::shut_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutdown_;
}

std::string EventBus::Format(const Event& e) {
  std::string out = "id: " + std::to_string(e.id) + "\nevent: " + e.type + "\ndata: ";
  for (char c : e.data) {
    if (c == '\n') {
      out += "\ndata: ";
    } else if (c != '\r') {
      out += c;
    }
  }
  out += "\n\n";
  return out;
}

}  // namespace lfr::server
