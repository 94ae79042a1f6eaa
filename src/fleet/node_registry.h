// The control room's view of its edge nodes: which are up, when each was last heard, its
// cameras and its load, from the heartbeats nodes publish on the bus (bus/protocol.h,
// stream LFR_HEALTH). A node is up while its last heartbeat arrived at most down_after_ms
// ago by the central clock (the node's own clock is shown, never trusted for this).
//
// Only registered nodes count: a heartbeat from a name the registry was not told about,
// one whose body names another node than its subject (a forged subject), or a malformed
// one is dropped and counted (rejected()), never shown. The registry does not consume
// the bus itself: Pump() takes what a consumer fetched (the central server runs a thread
// calling Pump on a durable consumer of LFR_HEALTH); Observe() is the same for one
// message, for tests and replay.
//
// Thread-safety: all methods may be called from any thread. Units: UTC ms.
#ifndef LFR_FLEET_NODE_REGISTRY_H_
#define LFR_FLEET_NODE_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bus/jetstream.h"
#include "bus/protocol.h"
#include "util/status.h"

namespace lfr::fleet {

struct NodeView {
  std::string name;
  bool up = false;
  int64_t last_heard_ms = -1;  // central clock; -1: never
  bus::Heartbeat last;         // the last heartbeat (empty before the first)
};

class NodeRegistry {
 public:
  explicit NodeRegistry(int64_t down_after_ms = 6000, std::function<int64_t()> now_ms = nullptr);

  void Register(const std::string& node);  // InvalidArgument-free: invalid names are never up
  void Unregister(const std::string& node);

  // One message from LFR_HEALTH. OK if taken; InvalidArgument / PermissionDenied-like
  // FailedPrecondition (unregistered) with the reason if dropped.
  Status Observe(const std::string& subject, std::string_view data);
  // Fetches up to `max` heartbeats from the consumer (waiting at most wait_ms), observes
  // and acks each (a dropped one is acked too: it will never become valid). How many
  // were taken, or the consumer's error.
  Result<int> Pump(bus::PullConsumer& consumer, int max, int wait_ms);

  std::vector<NodeView> Nodes() const;  // registered nodes, by name
  int64_t rejected() const;
  std::string last_rejection() const;  // why the last dropped heartbeat was dropped

 private:
  int64_t down_after_ms_;
  std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  std::set<std::string> registered_;
  std::map<std::string, NodeView> seen_;
  int64_t rejected_ = 0;
  std::string last_rejection_;
};

}  // namespace lfr::fleet

#endif  // LFR_FLEET_NODE_REGISTRY_H_
