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
  Notify();
  return id;
}

std::vector<Event> EventBus::Since(int64_t after_id, size_t max, bool* missed) const {
  std::lock_guard<std::mutex> lock(mu_);
  *missed = !events_.empty() && events_.front().id > after_id + 1;
  auto it = std::upper_bound(events_.begin(), events_.end(), after_id,
                             [](int64_t id, const Event& e) { return id < e.id; });
  std::vector<Event> out;
  for (; it != events_.end() && out.size() < max; ++it) out.push_back(*it);
  return out;
}

uint64_t EventBus::Listen(Listener listener) {
  std::lock_guard<std::recursive_mutex> lock(listeners_mu_);
  const uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void EventBus::Unlisten(uint64_t id) {
  std::lock_guard<std::recursive_mutex> lock(listeners_mu_);
  listeners_.erase(id);
}

size_t EventBus::listeners() const {
  std::lock_guard<std::recursive_mutex> lock(listeners_mu_);
  return listeners_.size();
}

void EventBus::Notify() {
  std::lock_guard<std::recursive_mutex> lock(listeners_mu_);
  // A copy: a listener may unlisten (itself or another) while we iterate.
  std::vector<Listener> calls;
  calls.reserve(listeners_.size());
  for (const auto& [id, l] : listeners_) calls.push_back(l);
  for (const Listener& l : calls) l();
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
  Notify();
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
