// The JetStream client against a real nats-server (testing/nats_server.h): streams are made
// and updated, a message id is stored once however often it is sent, a durable consumer
// gets each message and gets an unacked one again, resumes after the server was killed and
// restarted (file store), credentials are enforced, and an unreachable server is a clear
// Unavailable, never a hang or a crash.
#include "bus/jetstream.h"

#include <chrono>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/nats_server.h"

namespace lfr::bus {
namespace {
using ::testing::HasSubstr;
using lfr::testing::NatsServer;

StreamSpec Alerts() { return {"TEST_ALERTS", {"test.alerts.>"}, 86400, 86400}; }

std::unique_ptr<JetStreamBus> ConnectTo(const NatsServer& s, BusOptions o = {}) {
  o.url = s.url();
  o.name = "test";
  auto bus = JetStreamBus::Connect(o);
  EXPECT_TRUE(bus.ok()) << bus.status().ToString();
  return bus.ok() ? std::move(bus).value() : nullptr;
}

TEST(JetStreamBus, AMessageIdIsStoredOnceAndEachMessageIsDeliveredUntilAcked) {
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto bus = ConnectTo(**server);
  ASSERT_NE(bus, nullptr);
  EXPECT_TRUE(bus->connected());
  ASSERT_TRUE(bus->EnsureStream(Alerts()).ok());
  ASSERT_TRUE(bus->EnsureStream(Alerts()).ok());  // again: updated, not an error

  auto first = bus->Publish("test.alerts.van1.cam1", "sealed-1", "alert:van1:1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->duplicate);
  auto again = bus->Publish("test.alerts.van1.cam1", "sealed-1", "alert:van1:1");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->sequence, first->sequence);
  ASSERT_TRUE(bus->Publish("test.alerts.van1.cam2", "sealed-2", "alert:van1:2").ok());
  EXPECT_EQ(*bus->StreamMessages("TEST_ALERTS"), 2u);

  auto consumer = bus->Subscribe("TEST_ALERTS", "test.alerts.>", "central", /*ack_wait_ms=*/500);
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  auto got = (*consumer)->Fetch(10, 2000);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].subject(), "test.alerts.van1.cam1");
  EXPECT_EQ((*got)[0].data(), "sealed-1");
  EXPECT_EQ((*got)[0].msg_id(), "alert:van1:1");
  EXPECT_EQ((*got)[0].stream_sequence(), first->sequence);
  EXPECT_EQ((*got)[0].delivered(), 1u);
  ASSERT_TRUE((*got)[0].Ack().ok());  // the second is not acked: it comes again
  auto redelivered = (*consumer)->Fetch(10, 3000);
  ASSERT_TRUE(redelivered.ok());
  ASSERT_EQ(redelivered->size(), 1u);
  EXPECT_EQ((*redelivered)[0].msg_id(), "alert:van1:2");
  EXPECT_EQ((*redelivered)[0].delivered(), 2u);
  ASSERT_TRUE((*redelivered)[0].Ack().ok());
  auto none = (*consumer)->Fetch(10, 300);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(JetStreamBus, StreamsAndConsumersSurviveAServerKilledAndRestarted) {
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto bus = ConnectTo(**server);
  ASSERT_NE(bus, nullptr);
  ASSERT_TRUE(bus->EnsureStream(Alerts()).ok());
  auto consumer = bus->Subscribe("TEST_ALERTS", "", "central");
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bus->Publish("test.alerts.n.c", "x", "id-" + std::to_string(i)).ok());

  (*server)->Kill();
  const auto t0 = std::chrono::steady_clock::now();
  auto down = bus->Publish("test.alerts.n.c", "y", "id-down");
  EXPECT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), Status::Code::kUnavailable) << down.status().ToString();
  EXPECT_THAT(down.status().message(), HasSubstr("cannot be reached"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));  // bounded, not a hang
  auto fetch_down = (*consumer)->Fetch(10, 300);
  EXPECT_FALSE(fetch_down.ok() && !fetch_down->empty());

  ASSERT_TRUE((*server)->Restart().ok());
  // The client reconnects by itself; the stream (file store) kept the five. A publish that
  // said Unavailable was not confirmed, not necessarily lost: the client may still deliver
  // what it buffered while reconnecting. Sending it again with its id is therefore the
  // rule, and the stream keeps one copy either way; an id from before the kill is still
  // known as a duplicate.
  Result<PublishAck> dup = Status::Unavailable("not yet");
  for (int i = 0; i < 100 && !dup.ok(); ++i) {
    dup = bus->Publish("test.alerts.n.c", "x", "id-3");
    if (!dup.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(dup.ok()) << dup.status().ToString();
  EXPECT_TRUE(dup->duplicate);
  ASSERT_TRUE(bus->Publish("test.alerts.n.c", "y", "id-down").ok());
  EXPECT_EQ(*bus->StreamMessages("TEST_ALERTS"), 6u);
  std::multiset<std::string> ids;
  for (int round = 0; round < 20 && ids.size() < 6; ++round) {
    auto got = (*consumer)->Fetch(10, 500);
    if (!got.ok()) continue;
    for (auto& d : *got) {
      ids.insert(d.msg_id());
      ASSERT_TRUE(d.Ack().ok());
    }
  }
  EXPECT_EQ(ids, (std::multiset<std::string>{"id-0", "id-1", "id-2", "id-3", "id-4", "id-down"}));
}

TEST(JetStreamBus, CredentialsAreEnforcedAndAnUnreachableServerIsAClearError) {
  auto server = NatsServer::Start({"van1", "van1 secret"});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  BusOptions wrong;
  wrong.url = (*server)->url();
  wrong.user = "van1";
  wrong.password = "guess";
  auto refused = JetStreamBus::Connect(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().code(), Status::Code::kOk);
  BusOptions right = wrong;
  right.password = "van1 secret";
  auto bus = JetStreamBus::Connect(right);
  ASSERT_TRUE(bus.ok()) << bus.status().ToString();
  EXPECT_TRUE((*bus)->EnsureStream(Alerts()).ok());

  BusOptions nowhere;
  nowhere.url = "nats://127.0.0.1:1";
  auto gone = JetStreamBus::Connect(nowhere);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), Status::Code::kUnavailable) << gone.status().ToString();
  EXPECT_THAT(gone.status().message(), HasSubstr("nats://127.0.0.1:1"));
  // An edge node may start while the control room is down: it keeps trying in the
  // background and says Unavailable for what it cannot do yet.
  nowhere.retry_on_failed_connect = true;
  auto later = JetStreamBus::Connect(nowhere);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_FALSE((*later)->connected());
  auto pub = (*later)->Publish("test.alerts.a.b", "x", "id");
  EXPECT_EQ(pub.status().code(), Status::Code::kUnavailable) << pub.status().ToString();
  EXPECT_EQ(JetStreamBus::Connect(BusOptions{}).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace lfr::bus
