// `lfr node run` as a real process against a throwaway nats-server: the control room's
// registry (fed from the heartbeat stream as `lfr serve --bus` feeds it) sees the node come
// up, sees it down within 10 s of a kill -9, and up again when it is restarted; a node
// without its key file refuses to start.
#include <signal.h>

#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bus/protocol.h"
#include "fleet/node_registry.h"
#include "testing/cli_run.h"
#include "testing/lfr_process.h"
#include "testing/nats_server.h"
#include "testing/shared.h"

namespace lfr::node {
namespace {
using ::testing::HasSubstr;
using lfr::testing::LfrProcess;

TEST(NodeRun, TheControlRoomSeesANodeComeGoWithinTenSecondsAndComeBack) {
  auto server = lfr::testing::NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto room = lfr::testing::ConnectControlRoom(**server);
  ASSERT_TRUE(room.ok()) << room.status().ToString();
  fleet::NodeRegistry registry;  // the default limit: down after 6 s without a heartbeat
  registry.Register("van-1");
  auto up = [&] {
    (void)registry.Pump(*room->health, 64, 200);
    return registry.Nodes()[0].up;
  };
  auto wait_until = [&](bool want, int seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (up() == want) return true;
    }
    return up() == want;
  };

  const auto home = lfr::testing::TempDir("node-run");
  const lfr::testing::SpawnOptions env{{{"LFR_HOME", home.string()}}, {}, home / "out.txt", home / "err.txt", 0};
  {
    // No key yet: refused with the reason.
    LfrProcess bad = LfrProcess::Start({"node", "run", "van-1", "--central", (*server)->url()}, env);
    const int st = bad.Wait();
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) != 0);
  }
  ASSERT_EQ(LfrProcess::Start({"node", "init"}, env).Wait(), 0);
  const std::vector<std::string> args = {"node", "run", "van-1", "--central", (*server)->url(), "--heartbeat-ms", "500"};
  auto node = std::make_unique<LfrProcess>(LfrProcess::Start(args, env));
  ASSERT_TRUE(wait_until(true, 20)) << "never up; last dropped: " << registry.last_rejection();
  EXPECT_TRUE(node->Running());

  node->Kill(SIGKILL);
  node->Wait();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until(false, 15));
  EXPECT_LE(std::chrono::steady_clock::now() - killed, std::chrono::seconds(10));

  node = std::make_unique<LfrProcess>(LfrProcess::Start(args, env));
  EXPECT_TRUE(wait_until(true, 20));
  node->Kill(SIGTERM);  // a clean stop
  const int st = node->Wait();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
}

}  // namespace
}  // namespace lfr::node
