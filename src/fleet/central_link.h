// The control room's end of the bus (`lfr serve --bus URL`): connects to the message
// server (retrying in the background while it is down), makes sure the fleet's streams
// exist, and runs one thread that feeds the NodeRegistry from a durable consumer of the
// nodes' heartbeats, keeping the registry's list of nodes in step with the store's
// registered, unrevoked ones. Nothing here touches face data.
//
// Thread-safety: Start/Stop from one thread; registry() is thread-safe. Ownership: the
// store must outlive the link; the link owns its bus connection and registry.
#ifndef LFR_FLEET_CENTRAL_LINK_H_
#define LFR_FLEET_CENTRAL_LINK_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "bus/jetstream.h"
#include "fleet/node_registry.h"
#include "store/store.h"

namespace lfr::fleet {

class CentralLink {
 public:
  // Connects (an unreachable server is not an error: the link keeps trying) and starts the
  // heartbeat thread. InvalidArgument for a bad URL or options.
  static Result<std::unique_ptr<CentralLink>> Start(const bus::BusOptions& options, Store* store,
                                                    int64_t down_after_ms = 6000);
  ~CentralLink();
  NodeRegistry* registry() { return &registry_; }
  bool connected() const { return bus_->connected(); }
  const std::string& url() const { return url_; }

 private:
  CentralLink(Store* store, int64_t down_after_ms) : store_(store), registry_(down_after_ms) {}
  void Run();
  Store* store_;
  NodeRegistry registry_;
  std::unique_ptr<bus::JetStreamBus> bus_;
  std::string url_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace lfr::fleet

#endif  // LFR_FLEET_CENTRAL_LINK_H_
