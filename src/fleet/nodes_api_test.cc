// The control room's node list over real HTTP and a real bus: `lfr serve --bus`'s
// CentralLink (fleet/central_link.h) feeds GET /api/nodes from the heartbeats a node
// publishes on a throwaway nats-server; a node that stops is shown down within the
// limit; revoked and unregistered nodes never show as up; and without a bus the nodes are
// listed without state.
#include <atomic>
#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bus/protocol.h"
#include "fleet/central_link.h"
#include "testing/api_fixture.h"
#include "testing/nats_server.h"
#include "testing/wait.h"

namespace lfr::fleet {
namespace {
using lfr::testing::WaitFor;
using lfr::testing::ApiClient;
using lfr::testing::BodyJson;
using lfr::testing::kCli;
using nlohmann::json;

class NodesApiTest : public lfr::testing::ApiFixture {
 protected:
  void BeforeServer() override {
    if (!with_bus_) return;
    auto server = lfr::testing::NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    nats_ = std::move(server).value();
    bus::BusOptions o;
    o.url = nats_->url();
    auto link = CentralLink::Start(o, store_.get(), /*down_after_ms=*/1500);
    ASSERT_TRUE(link.ok()) << link.status().ToString();
    link_ = std::move(link).value();
    nodes_ = link_->registry();
  }
  void TearDown() override {
    server_.reset();
    link_.reset();
    ApiFixture::TearDown();
  }
  json Nodes(const ApiClient& c) {
    auto r = c.Get("/api/nodes");
    EXPECT_EQ(r->status, 200) << r->body;
    return BodyJson(r);
  }
  json NodeNamed(const json& all, const std::string& name) {
    for (const auto& n : all["nodes"]) {
      if (n["name"] == name) return n;
    }
    return json();
  }
  bool with_bus_ = true;
  std::unique_ptr<lfr::testing::NatsServer> nats_;
  std::unique_ptr<CentralLink> link_;
};


TEST_F(NodesApiTest, ANodeIsUpWhileItsHeartbeatsArriveAndDownSoonAfterTheyStop) {
  ASSERT_TRUE(store_->RegisterNode("van-1", std::string(32, 'k'), kCli).ok());
  ASSERT_TRUE(store_->RegisterNode("old-van", std::string(32, 'o'), kCli).ok());
  ASSERT_TRUE(store_->RevokeNode("old-van", kCli).ok());
  ApiClient olly = Login("olly");  // an operator may see the fleet's state
  EXPECT_EQ(Nodes(olly)["bus"], "configured");
  EXPECT_FALSE(NodeNamed(Nodes(olly), "van-1")["up"].get<bool>());  // never heard

  bus::BusOptions o;
  o.url = nats_->url();
  o.name = "van-1";
  auto node = bus::JetStreamBus::Connect(o);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto beat = [&](const std::string& name) {
    const bus::Heartbeat h{name, 1, 0.5, 2, {{"front", "up", 100}, {"rear", "reconnecting", 0}}};
    return (*node)->Publish(bus::HealthSubject(name), bus::HeartbeatToJson(h).dump(), "");
  };
  // A node sends a heartbeat every few seconds (here every 300 ms); the link creates the
  // streams on its first pass, so the first ones may find none.
  std::atomic<bool> beating{true};
  std::thread heart([&] {
    while (beating) {
      (void)beat("van-1");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  const bool came_up = WaitFor([&] { return NodeNamed(Nodes(olly), "van-1")["up"] == true; }, 15000);
  if (!came_up) {
    beating = false;
    heart.join();
    FAIL() << "never up; last dropped heartbeat: " << link_->registry()->last_rejection();
  }
  const json up = NodeNamed(Nodes(olly), "van-1");
  EXPECT_DOUBLE_EQ(up["cpu_load"].get<double>(), 0.5);
  EXPECT_EQ(up["outbox"], 2);
  ASSERT_EQ(up["cameras"].size(), 2u);
  EXPECT_EQ(up["cameras"][1]["health"], "reconnecting");
  EXPECT_NE(up["last_heard"], "");
  // Heartbeats under revoked or unknown names change nothing.
  ASSERT_TRUE(beat("old-van").ok());
  ASSERT_TRUE(beat("intruder").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const json all = Nodes(olly);
  EXPECT_FALSE(NodeNamed(all, "old-van").contains("up"));
  EXPECT_NE(NodeNamed(all, "old-van")["revoked"], "");
  EXPECT_TRUE(NodeNamed(all, "intruder").is_null());
  // The node stops: down within the limit (1.5 s here; 6 s by default).
  beating = false;
  heart.join();
  const auto stopped = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return NodeNamed(Nodes(olly), "van-1")["up"] == false; }, 10000));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(5));
  // Back: up again.
  ASSERT_TRUE(beat("van-1").ok());
  EXPECT_TRUE(WaitFor([&] { return NodeNamed(Nodes(olly), "van-1")["up"] == true; }, 10000));
}

class NodesWithoutBusTest : public NodesApiTest {
 protected:
  void SetUp() override {
    with_bus_ = false;
    NodesApiTest::SetUp();
  }
};

TEST_F(NodesWithoutBusTest, RegisteredNodesAreListedWithoutState) {
  ASSERT_TRUE(store_->RegisterNode("site-2", std::string(32, 's'), kCli).ok());
  ApiClient sue = Login("sue");
  const json all = Nodes(sue);
  EXPECT_EQ(all["bus"], "not configured");
  ASSERT_EQ(all["nodes"].size(), 1u);
  EXPECT_EQ(all["nodes"][0]["name"], "site-2");
  EXPECT_EQ(all["nodes"][0]["public_key"], "7373737373737373737373737373737373737373737373737373737373737373");
  EXPECT_FALSE(all["nodes"][0].contains("up"));
}

}  // namespace
}  // namespace lfr::fleet
