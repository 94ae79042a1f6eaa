#include "server/events.h"

#include <thread>

#include <gtest/gtest.h>

namespace lfr::server {
namespace {
using std::chrono::milliseconds;

TEST(EventBusTest, WaitReturnsEventsAfterTheGivenId) {
  EventBus bus;
  EXPECT_EQ(bus.last_id(), 0);
  EXPECT_EQ(bus.Publish("alert", R"({"id":1})"), 1);
  EXPECT_EQ(bus.Publish("camera", R"({"camera":"gate"})"), 2);
  auto all = bus.Wait(0, milliseconds(0));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].type, "alert");
  EXPECT_EQ(all[1].id, 2);
  auto newer = bus.Wait(1, milliseconds(0));
  ASSERT_EQ(newer.size(), 1u);
  EXPECT_EQ(newer[0].type, "camera");
  EXPECT_TRUE(bus.Wait(2, milliseconds(10)).empty()) << "timeout with nothing new";
}

TEST(EventBusTest, AWaiterIsWokenByPublish) {
  EventBus bus;
  std::vector<Event> got;
  std::thread waiter([&] { got = bus.Wait(0, milliseconds(10'000)); });
  std::this_thread::sleep_for(milliseconds(20));
  bus.Publish("alert", "{}");
  waiter.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, "alert");
}

TEST(EventBusTest, ShutdownWakesWaitersAndEndsStreams) {
  EventBus bus;
  std::vector<Event> got{Event{}};
  std::thread waiter([&] { got = bus.Wait(0, milliseconds(60'000)); });
  std::this_thread::sleep_for(milliseconds(20));
  bus.Shutdown();
  waiter.join();
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(bus.shut_down());
}

TEST(EventBusTest, KeepsOnlyTheNewestCapacityEvents) {
  EventBus bus(3);
  for (int i = 0; i < 10; ++i) bus.Publish("counters", "{}");
  auto kept = bus.Wait(0, milliseconds(0));
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept.front().id, 8);
  EXPECT_EQ(kept.back().id, 10);
}

TEST(EventBusTest, SseFormatSplitsLinesAndEndsWithABlankLine) {
  Event e{7, "alert", "{\"a\":1,\r\n\"b\":2}"};
  EXPECT_EQ(EventBus::Format(e), "id: 7\nevent: alert\ndata: {\"a\":1,\ndata: \"b\":2}\n\n");
}

}  // namespace
}  // namespace lfr::server
