// The fleet's protocol on the bus: which JetStream streams exist, which subjects each node
// may publish on, and the messages that are not sealed payloads (a node's heartbeat).
//
//   stream        subjects                      carries                          kept
//   LFR_ALERTS    lfr.alerts.<node>.<camera>    an alert, sealed under the       24 h (the alert retention;
//                                               deployment's key                  also the de-duplication window)
//   LFR_COUNTS    lfr.counts.<node>.<camera>    faces seen per interval (counts  31 days
//                                               only: no face data)
//   LFR_HEALTH    lfr.health.<node>             the node's heartbeat (JSON below) 1 h
//   LFR_COMMANDS  lfr.commands.<node>           commands from the central server 24 h
//
// A node publishes only under its own name (the message server's per-node permissions,
// NodePublishSubjects); the central server consumes every stream with durable consumers.
// Node and camera names are single subject tokens: letters, digits, '-' and '_' only
// (ValidToken), so a name cannot reach into another node's subjects ("a.b", "*", ">").
//
// Thread-safety: pure functions and values.
#ifndef LFR_BUS_PROTOCOL_H_
#define LFR_BUS_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bus/jetstream.h"
#include "util/status.h"

namespace lfr::bus {

inline constexpr char kAlertsStream[] = "LFR_ALERTS";
inline constexpr char kCountsStream[] = "LFR_COUNTS";
inline constexpr char kHealthStream[] = "LFR_HEALTH";
inline constexpr char kCommandsStream[] = "LFR_COMMANDS";

// The four streams with their subjects and limits (above).
std::vector<StreamSpec> FleetStreams();

// A node or camera name usable as one subject token (1-64 of [A-Za-z0-9_-]).
bool ValidToken(const std::string& name);

std::string AlertSubject(const std::string& node, const std::string& camera);
std::string CountsSubject(const std::string& node, const std::string& camera);
std::string HealthSubject(const std::string& node);
std::string CommandSubject(const std::string& node);
// What a node may publish on (for the server's permissions): its alerts, counts, health.
std::vector<std::string> NodePublishSubjects(const std::string& node);
// The node a subject was published by ("" if it is not a fleet subject of a valid node).
std::string NodeOfSubject(const std::string& subject);

// A node's heartbeat, every few seconds: who it is, when, how loaded, its cameras.
struct Heartbeat {
  struct Camera {
    std::string name, health;  // health as pipeline/camera.h names it ("up", "reconnecting", ...)
    int64_t frames = 0;
  };
  std::string node;
  int64_t sent_ms = 0;       // the node's clock, UTC ms
  double cpu_load = 0;       // 1-minute load average / cores (1.0 = every core busy)
  int64_t outbox = 0;        // messages waiting for the central server (store and forward)
  std::vector<Camera> cameras;
};
nlohmann::json HeartbeatToJson(const Heartbeat& h);
// InvalidArgument naming the field for anything malformed (hostile input: a node's bytes).
Result<Heartbeat> HeartbeatFromJson(std::string_view text);

}  // namespace lfr::bus

#endif  // LFR_BUS_PROTOCOL_H_
