// EventBus: the live events the console shows without reloading — a new alert, an alert
// decided, camera health, counters — fanned out to every Server-Sent Events stream.
//
// Events carry ids and figures only (alert id, camera, score, counts), never face data:
// a console fetches an alert's images through the authorised, audited API. The bus keeps
// the last `capacity` events so a reconnecting client (Last-Event-ID) misses nothing.
//
// Two ways to follow the bus: Wait() blocks the calling thread until an event newer than
// after_id arrives (tests, simple consumers); the HTTP transport instead registers a
// Listener per open stream and pulls with Since(), so an open stream holds no thread.
//
// Thread-safety: all methods are thread-safe.
#ifndef LFR_SERVER_EVENTS_H_
#define LFR_SERVER_EVENTS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace lfr::server {

struct Event {
  int64_t id = 0;           // 1, 2, 3, ... per process
  std::string type;         // "alert", "alert.decided", "camera", "counters", "deployment"
  std::string data;         // a JSON object, one line
};

class EventBus {
 public:
  explicit EventBus(size_t capacity = 512) : capacity_(capacity) {}

  // Appends an event (data must be one line of JSON) and wakes waiters; returns its id.
  int64_t Publish(const std::string& type, const std::string& data);
  // Events with id > after_id still held (oldest first), waiting up to timeout for the
  // first one. Empty on timeout or shutdown.
  std::vector<Event> Wait(int64_t after_id, std::chrono::milliseconds timeout);
  // Events with id > after_id still held, oldest first, at most max of them. *missed is set
  // when events after after_id have already left the buffer (the reader fell too far behind).
  std::vector<Event> Since(int64_t after_id, size_t max, bool* missed) const;
  // A listener is called after every Publish() and on Shutdown(), on the publishing thread,
  // outside the event lock: it must be quick and must not block (the transport posts a
  // wake-up to its I/O thread). Unlisten() returns only when no call of that listener is in
  // progress on another thread, so the listener's captures may be released afterwards.
  using Listener = std::function<void()>;
  uint64_t Listen(Listener listener);
  void Unlisten(uint64_t id);
  size_t listeners() const;
  // The id of the newest event (0 if none).
  int64_t last_id() const;
  // Wakes every waiter; later Wait() calls return at once.
  void Shutdown();
  bool shut_down() const;

  // One event in SSE wire format: "id: 7\nevent: alert\ndata: {...}\n\n".
  static std::string Format(const Event& e);

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  int64_t next_id_ = 1;
  bool shutdown_ = false;
  // Held while listeners run (recursive: a listener may drop the last reference to a
  // stream, whose destructor unlistens).
  mutable std::recursive_mutex listeners_mu_;
  std::map<uint64_t, Listener> listeners_;
  uint64_t next_listener_ = 1;
  void Notify();
};

}  // namespace lfr::server

#endif  // LFR_SERVER_EVENTS_H_
