// The control room's node list (fleet/node_registry.h): a registered node is up while its
// heartbeats arrive and down once they stop for longer than the limit (by the central
// clock), unregistered, forged and malformed heartbeats are dropped and counted, and the
// whole path through a real JetStream stream (publish, durable consumer, Pump) works.
#include "fleet/node_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/nats_server.h"

namespace lfr::fleet {
namespace {
using ::testing::HasSubstr;

std::string Beat(const std::string& node, int64_t sent_ms, double load = 0.5) {
  return bus::HeartbeatToJson({node, sent_ms, load, 0, {{"cam1", "up", 10}}}).dump();
}

TEST(NodeRegistry, UpWhileHeardDownAfterTheLimitAndOnlyRegisteredNodesCount) {
  int64_t now = 1'000'000;
  NodeRegistry reg(6000, [&] { return now; });
  reg.Register("van1");
  reg.Register("site2");
  ASSERT_TRUE(reg.Observe("lfr.health.van1", Beat("van1", 5)).ok());  // the node's clock is not used
  auto nodes = reg.Nodes();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].name, "site2");
  EXPECT_FALSE(nodes[0].up);
  EXPECT_EQ(nodes[0].last_heard_ms, -1);
  EXPECT_EQ(nodes[1].name, "van1");
  EXPECT_TRUE(nodes[1].up);
  EXPECT_EQ(nodes[1].last_heard_ms, now);
  ASSERT_EQ(nodes[1].last.cameras.size(), 1u);
  now += 6000;
  EXPECT_TRUE(reg.Nodes()[1].up);
  now += 1;
  EXPECT_FALSE(reg.Nodes()[1].up);  // silent for longer than the limit: down
  ASSERT_TRUE(reg.Observe("lfr.health.van1", Beat("van1", 6)).ok());
  EXPECT_TRUE(reg.Nodes()[1].up);  // back

  auto stranger = reg.Observe("lfr.health.intruder", Beat("intruder", 1));
  EXPECT_EQ(stranger.code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(stranger.message(), HasSubstr("not registered"));
  auto forged = reg.Observe("lfr.health.site2", Beat("van1", 1));
  EXPECT_THAT(forged.message(), HasSubstr("forged"));
  EXPECT_FALSE(reg.Observe("lfr.health.site2", "{corrupt").ok());
  EXPECT_FALSE(reg.Observe("lfr.alerts.site2.cam1", Beat("site2", 1)).ok());
  EXPECT_EQ(reg.rejected(), 4);
  EXPECT_FALSE(reg.Nodes()[0].up);  // none of that made site2 up
  reg.Unregister("van1");
  EXPECT_EQ(reg.Nodes().size(), 1u);
}

TEST(NodeRegistry, HeartbeatsThroughJetStream) {
  auto server = lfr::testing::NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto room = lfr::testing::ConnectControlRoom(**server);
  ASSERT_TRUE(room.ok()) << room.status().ToString();
  auto& consumer = room->health;
  NodeRegistry reg;
  reg.Register("van1");
  bus::BusOptions o;
  o.url = (*server)->url();
  o.name = "van1";
  auto node = bus::JetStreamBus::Connect(o);
  ASSERT_TRUE(node.ok());
  ASSERT_TRUE((*node)->Publish(bus::HealthSubject("van1"), Beat("van1", 1, 0.25), "").ok());
  ASSERT_TRUE((*node)->Publish(bus::HealthSubject("van2"), Beat("van2", 1), "").ok());  // not registered
  int taken = 0;
  for (int i = 0; i < 10 && taken < 1; ++i) {
    auto n = reg.Pump(*consumer, 10, 500);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    taken += *n;
  }
  EXPECT_EQ(taken, 1);
  const auto nodes = reg.Nodes();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_TRUE(nodes[0].up);
  EXPECT_DOUBLE_EQ(nodes[0].last.cpu_load, 0.25);
}

}  // namespace
}  // namespace lfr::fleet
