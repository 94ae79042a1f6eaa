#include "fleet/node_registry.h"

#include <chrono>

namespace lfr::fleet {
namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

NodeRegistry::NodeRegistry(int64_t down_after_ms, std::function<int64_t()> now_ms)
    : down_after_ms_(down_after_ms), now_ms_(now_ms ? std::move(now_ms) : SystemNowMs) {}

void NodeRegistry::Register(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  registered_.insert(node);
}

void NodeRegistry::Unregister(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  registered_.erase(node);
  seen_.erase(node);
}

Status NodeRegistry::Observe(const std::string& subject, std::string_view data) {
  auto reject = [this](Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    ++rejected_;
    return s;
  };
  const std::string node = bus::NodeOfSubject(subject);
  if (node.empty() || subject != bus::HealthSubject(node)) {
    return reject(Status::InvalidArgument("heartbeat on " + subject + ": not a node's health subject"));
  }
  auto hb = bus::HeartbeatFromJson(data);
  if (!hb.ok()) return reject(hb.status());
  if (hb->node != node) {
    return reject(Status::InvalidArgument("heartbeat on " + subject + " names node " + hb->node + ": forged"));
  }
  const int64_t now = now_ms_();
  std::lock_guard<std::mutex> lock(mu_);
  if (!registered_.count(node)) {
    ++rejected_;
    return Status::FailedPrecondition("heartbeat from node " + node + ", which is not registered");
  }
  NodeView& v = seen_[node];
  v.name = node;
  v.last_heard_ms = now;
  v.last = std::move(hb).value();
  return Status::Ok();
}

Result<int> NodeRegistry::Pump(bus::PullConsumer& consumer, int max, int wait_ms) {
  auto got = consumer.Fetch(max, wait_ms);
  if (!got.ok()) return got.status();
  int taken = 0;
  for (bus::Delivery& d : *got) {
    const Status s = Observe(d.subject(), d.data());
    if (s.ok()) {
      ++taken;
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      last_rejection_ = s.message();
    }
    (void)d.Ack();  // dropped ones too: redelivery would not make them valid
  }
  return taken;
}

std::vector<NodeView> NodeRegistry::Nodes() const {
  const int64_t now = now_ms_();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NodeView> out;
  for (const std::string& name : registered_) {
    auto it = seen_.find(name);
    NodeView v = it != seen_.end() ? it->second : NodeView{name, false, -1, {}};
    v.up = v.last_heard_ms >= 0 && now - v.last_heard_ms <= down_after_ms_;
    out.push_back(std::move(v));
  }
  return out;
}

std::string NodeRegistry::last_rejection() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_rejection_;
}

int64_t NodeRegistry::rejected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rejected_;
}

}  // namespace lfr::fleet
