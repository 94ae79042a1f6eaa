// Store and forward (bus/outbox.h): the outbox keeps what was put across a reopen, once
// per id, and drops what is due; the forwarder delivers everything, in order, exactly
// once to a real JetStream stream across a server killed for a while, and a message sent
// again after a crash between the ack and the delete is stored once.
#include "bus/outbox.h"

#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "testing/nats_server.h"
#include "testing/wait.h"
#include "testing/shared.h"

namespace lfr::bus {
namespace {
using lfr::testing::WaitFor;
using lfr::testing::NatsServer;
constexpr int64_t kFar = int64_t{1} << 60;

TEST(Outbox, KeepsEachIdOnceInOrderAcrossAReopenAndDropsWhatIsDue) {
  const auto file = lfr::testing::TempDir("outbox") / "outbox.db";
  {
    auto o = Outbox::Open(file);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    ASSERT_TRUE((*o)->Put("a", "s.1", std::string("\0bin", 4), kFar).ok());
    ASSERT_TRUE((*o)->Put("b", "s.2", "two", 1000).ok());
    ASSERT_TRUE((*o)->Put("a", "s.1", "again", kFar).ok());  // the same id: kept once
    EXPECT_EQ(*(*o)->Size(), 2);
  }
  auto o = Outbox::Open(file);  // as after a restart
  ASSERT_TRUE(o.ok());
  auto items = (*o)->Oldest(10);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].msg_id, "a");
  EXPECT_EQ((*items)[0].data, std::string("\0bin", 4));
  EXPECT_EQ((*items)[1].subject, "s.2");
  EXPECT_EQ(*(*o)->DropExpired(999), 0);
  EXPECT_EQ(*(*o)->DropExpired(1000), 1);
  ASSERT_TRUE((*o)->Remove((*items)[0].id).ok());
  EXPECT_EQ(*(*o)->Size(), 0);
  EXPECT_EQ((*o)->Put("", "s", "x", kFar).code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(Outbox::Open(lfr::testing::TempDir("outbox-bad") / "no" / "such" / "dir.db").ok());
}


TEST(Forwarder, DeliversEverythingExactlyOnceAcrossAServerOutage) {
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  BusOptions bo;
  bo.url = (*server)->url();
  bo.retry_on_failed_connect = true;
  bo.request_timeout_ms = 500;
  auto bus = JetStreamBus::Connect(bo);
  ASSERT_TRUE(bus.ok()) << bus.status().ToString();
  ASSERT_TRUE((*bus)->EnsureStream({"FWD", {"fwd.>"}, 86400, 86400}).ok());
  auto outbox = Outbox::Open(lfr::testing::TempDir("forwarder") / "outbox.db");
  ASSERT_TRUE(outbox.ok());
  Outbox& box = **outbox;

  // A message the stream already has (sent, acked, then the node died before deleting it).
  ASSERT_TRUE((*bus)->Publish("fwd.van1", "m-0", "m-0").ok());
  ASSERT_TRUE(box.Put("m-0", "fwd.van1", "m-0", kFar).ok());
  // One already due: never sent.
  ASSERT_TRUE(box.Put("stale", "fwd.van1", "stale", 1).ok());

  Forwarder fwd(&box, bus->get(), /*retry_ms=*/100);
  fwd.Start();
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE(box.Put("m-" + std::to_string(i), "fwd.van1", "m-" + std::to_string(i), kFar).ok());
  fwd.Wake();
  ASSERT_TRUE(WaitFor([&] { return *box.Size() == 0; }, 20000)) << fwd.stats().last_error;

  (*server)->Kill();  // the control room goes dark; the node goes on producing
  for (int i = 21; i <= 50; ++i) ASSERT_TRUE(box.Put("m-" + std::to_string(i), "fwd.van1", "m-" + std::to_string(i), kFar).ok());
  fwd.Wake();
  ASSERT_TRUE(WaitFor([&] { return fwd.stats().failures > 0; }, 20000));
  EXPECT_EQ(*box.Size(), 30);  // held, not lost
  EXPECT_FALSE(fwd.stats().last_error.empty());

  ASSERT_TRUE((*server)->Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return *box.Size() == 0; }, 30000)) << fwd.stats().last_error;
  fwd.Stop();
  const ForwarderStats st = fwd.stats();
  EXPECT_EQ(st.forwarded, 51);
  EXPECT_GE(st.duplicates, 1);  // m-0
  EXPECT_EQ(st.expired, 1);
  EXPECT_TRUE(st.connected);

  EXPECT_EQ(*(*bus)->StreamMessages("FWD"), 51u);  // m-0 .. m-50, each once
  auto consumer = (*bus)->Subscribe("FWD", "", "central");
  ASSERT_TRUE(consumer.ok());
  std::vector<std::string> order;
  while (true) {
    auto got = (*consumer)->Fetch(100, 500);
    ASSERT_TRUE(got.ok());
    if (got->empty()) break;
    for (auto& d : *got) {
      order.push_back(d.msg_id());
      ASSERT_TRUE(d.Ack().ok());
    }
  }
  ASSERT_EQ(order.size(), 51u);
  for (int i = 0; i <= 50; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], "m-" + std::to_string(i));  // in order
  EXPECT_EQ(std::set<std::string>(order.begin(), order.end()).count("stale"), 0u);
}

}  // namespace
}  // namespace lfr::bus
