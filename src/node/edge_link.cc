#include "node/edge_link.h"

#include <chrono>
#include <cstdlib>
#include <thread>

namespace lfr::node {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double CpuLoad() {
  double load[1] = {0};
  if (getloadavg(load, 1) != 1) return 0;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return load[0] / cores;
}

}  // namespace

Result<std::unique_ptr<EdgeLink>> EdgeLink::Start(const EdgeLinkOptions& options) {
  if (!bus::ValidToken(options.node)) {
    return Status::InvalidArgument("node name \"" + options.node + "\" must be 1-64 letters, digits, '-' or '_'");
  }
  std::unique_ptr<EdgeLink> link(new EdgeLink());
  link->options_ = options;
  bus::BusOptions bo = options.bus;
  bo.name = options.node;
  bo.retry_on_failed_connect = true;
  auto b = bus::JetStreamBus::Connect(bo);
  if (!b.ok()) return b.status();
  link->bus_ = std::move(b).value();
  auto o = bus::Outbox::Open(options.outbox_file);
  if (!o.ok()) return o.status();
  link->outbox_ = std::move(o).value();
  link->forwarder_ = std::make_unique<bus::Forwarder>(link->outbox_.get(), link->bus_.get());
  link->forwarder_->Start();
  link->thread_ = std::thread([l = link.get()] { l->Run(); });
  return link;
}

EdgeLink::~EdgeLink() { Stop(); }

void EdgeLink::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (forwarder_) forwarder_->Stop();
}

void EdgeLink::SetCameras(std::vector<bus::Heartbeat::Camera> cameras) {
  std::lock_guard<std::mutex> lock(mu_);
  cameras_ = std::move(cameras);
}

void EdgeLink::Run() {
  while (true) {
    bus::Heartbeat h;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      h.cameras = cameras_;
    }
    h.node = options_.node;
    h.sent_ms = NowMs();
    h.cpu_load = CpuLoad();
    auto waiting = outbox_->Size();
    h.outbox = waiting.ok() ? *waiting : 0;
    // A heartbeat is news only while fresh: no id, not kept for later (a missed one is
    // simply missed; the control room shows the node down until the next arrives).
    if (bus_->Publish(bus::HealthSubject(options_.node), bus::HeartbeatToJson(h).dump(), "").ok()) ++sent_;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(options_.heartbeat_ms), [this] { return stop_; });
  }
}

}  // namespace lfr::node
