// The fleet protocol's subjects and heartbeat (bus/protocol.h): names that could reach into
// another node's subjects are refused, subjects map back to their node, and hostile
// heartbeat bodies get InvalidArgument with the field.
#include "bus/protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lfr::bus {
namespace {
using ::testing::HasSubstr;

TEST(FleetProtocol, NamesAreSingleTokensAndSubjectsMapBackToTheirNode) {
  EXPECT_TRUE(ValidToken("van-1_north"));
  for (const char* bad : {"", "a.b", "*", ">", "van 1", "van/1", "van\n1"}) EXPECT_FALSE(ValidToken(bad)) << bad;
  EXPECT_FALSE(ValidToken(std::string(65, 'a')));
  EXPECT_EQ(AlertSubject("van1", "cam2"), "lfr.alerts.van1.cam2");
  EXPECT_EQ(NodeOfSubject("lfr.alerts.van1.cam2"), "van1");
  EXPECT_EQ(NodeOfSubject("lfr.counts.van1.cam2"), "van1");
  EXPECT_EQ(NodeOfSubject(HealthSubject("site-3")), "site-3");
  EXPECT_EQ(NodeOfSubject(CommandSubject("site-3")), "site-3");
  for (const char* bad : {"lfr.alerts.van1", "lfr.health.van1.extra", "lfr.alerts.van1.cam.x", "other.health.van1",
                          "lfr.unknown.van1", "lfr.health.*", "lfr.alerts.>.cam"}) {
    EXPECT_EQ(NodeOfSubject(bad), "") << bad;
  }
  const auto subjects = NodePublishSubjects("van1");
  EXPECT_EQ(subjects, (std::vector<std::string>{"lfr.alerts.van1.*", "lfr.counts.van1.*", "lfr.health.van1"}));
  ASSERT_EQ(FleetStreams().size(), 4u);
  EXPECT_EQ(FleetStreams()[0].max_age_s, 86400);  // alerts: the 24 h retention
  EXPECT_EQ(FleetStreams()[0].duplicate_window_s, 86400);
}

TEST(FleetProtocol, HeartbeatsRoundTripAndHostileOnesAreRefusedWithTheField) {
  Heartbeat h{"van1", 1700000000000, 0.42, 3, {{"cam1", "up", 1234}, {"cam2", "reconnecting", 0}}};
  auto back = HeartbeatFromJson(HeartbeatToJson(h).dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->node, "van1");
  EXPECT_EQ(back->sent_ms, 1700000000000);
  EXPECT_DOUBLE_EQ(back->cpu_load, 0.42);
  EXPECT_EQ(back->outbox, 3);
  ASSERT_EQ(back->cameras.size(), 2u);
  EXPECT_EQ(back->cameras[1].health, "reconnecting");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "not a JSON object"},
      {R"({"node": "a.b", "sent_ms": 1})", "node must be"},
      {R"({"node": "van1"})", "sent_ms"},
      {R"({"node": "van1", "sent_ms": 1, "cpu_load": -1})", "cpu_load"},
      {R"({"node": "van1", "sent_ms": 1, "outbox": "many"})", "outbox"},
      {R"({"node": "van1", "sent_ms": 1, "cameras": [{"name": "*", "health": "up"}]})", "each camera"},
      {R"({"node": "van1", "sent_ms": 1, "cameras": {}})", "cameras must be"},
      {std::string(70000, ' '), "larger than 64 KiB"},
  };
  for (const auto& [text, says] : bad) {
    auto r = HeartbeatFromJson(text);
    ASSERT_FALSE(r.ok()) << text.substr(0, 60);
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(says)) << text.substr(0, 60);
  }
}

}  // namespace
}  // namespace lfr::bus
