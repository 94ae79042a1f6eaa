// An edge node's end of the bus (`lfr node run`): connects to the control room's message
// server (an unreachable one is not an error: it keeps trying, and the node goes on),
// forwards its outbox (bus/outbox.h, store and forward) and publishes a heartbeat every
// interval (bus/protocol.h: its name, clock, load, outbox size and cameras), from which
// the control room shows it up or down. Nothing here touches face data.
//
// Thread-safety: Start/Stop from one thread; SetCameras from any. Ownership: owns its
// connection, outbox and threads.
#ifndef LFR_NODE_EDGE_LINK_H_
#define LFR_NODE_EDGE_LINK_H_

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bus/jetstream.h"
#include "bus/outbox.h"
#include "bus/protocol.h"

namespace lfr::node {

struct EdgeLinkOptions {
  bus::BusOptions bus;               // url, credentials, TLS; name is set to the node's name
  std::string node;                  // the registered name (one subject token)
  std::filesystem::path outbox_file; // the store-and-forward outbox
  int heartbeat_ms = 2000;
};

class EdgeLink {
 public:
  // InvalidArgument for a name that is not one subject token or a bad URL; IOError if the
  // outbox cannot be opened.
  static Result<std::unique_ptr<EdgeLink>> Start(const EdgeLinkOptions& options);
  ~EdgeLink();
  void Stop();
  void SetCameras(std::vector<bus::Heartbeat::Camera> cameras);
  bus::Outbox* outbox() { return outbox_.get(); }
  bool connected() const { return bus_->connected(); }
  int64_t heartbeats_sent() const { return sent_; }

 private:
  EdgeLink() = default;
  void Run();
  EdgeLinkOptions options_;
  std::unique_ptr<bus::JetStreamBus> bus_;
  std::unique_ptr<bus::Outbox> outbox_;
  std::unique_ptr<bus::Forwarder> forwarder_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<bus::Heartbeat::Camera> cameras_;
  std::atomic<int64_t> sent_{0};
  std::thread thread_;
};

}  // namespace lfr::node

#endif  // LFR_NODE_EDGE_LINK_H_
