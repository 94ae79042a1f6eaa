#include "fleet/central_link.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "bus/protocol.h"

namespace lfr::fleet {

Result<std::unique_ptr<CentralLink>> CentralLink::Start(const bus::BusOptions& options, Store* store,
                                                        int64_t down_after_ms) {
  bus::BusOptions o = options;
  o.retry_on_failed_connect = true;
  if (o.name.empty()) o.name = "lfr-central";
  auto b = bus::JetStreamBus::Connect(o);
  if (!b.ok()) return b.status();
  std::unique_ptr<CentralLink> link(new CentralLink(store, down_after_ms));
  link->bus_ = std::move(b).value();
  link->url_ = options.url;
  link->thread_ = std::thread([l = link.get()] { l->Run(); });
  return link;
}

CentralLink::~CentralLink() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void CentralLink::Run() {
  std::unique_ptr<bus::PullConsumer> health;
  std::set<std::string> known;
  std::string last_error;
  while (!stop_) {
    // The registry follows the store: registered and not revoked.
    if (auto nodes = store_->ListNodes(); nodes.ok()) {
      std::set<std::string> now;
      for (const FleetNode& n : *nodes) {
        if (n.revoked_ms == 0) now.insert(n.name);
      }
      for (const auto& n : now) {
        if (!known.count(n)) registry_.Register(n);
      }
      for (const auto& n : known) {
        if (!now.count(n)) registry_.Unregister(n);
      }
      known = std::move(now);
    }
    Status s = Status::Ok();
    if (!health) {
      for (const auto& spec : bus::FleetStreams()) {
        s = bus_->EnsureStream(spec);
        if (!s.ok()) break;
      }
      if (s.ok()) {
        auto c = bus_->Subscribe(bus::kHealthStream, "", "central-health", 10000);
        if (c.ok()) {
          health = std::move(c).value();
        } else {
          s = c.status();
        }
      }
    }
    if (health) {
      auto n = registry_.Pump(*health, 64, 1000);
      if (!n.ok()) s = n.status();
    }
    if (!s.ok()) {
      if (s.message() != last_error) spdlog::warn("fleet: {}", s.message());
      last_error = s.message();
      for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else {
      last_error.clear();
    }
  }
}

}  // namespace lfr::fleet
