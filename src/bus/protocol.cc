#include "bus/protocol.h"

#include <cmath>

namespace lfr::bus {
namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kMaxHeartbeatBytes = 64 * 1024;
constexpr size_t kMaxCameras = 256;

}  // namespace

std::vector<StreamSpec> FleetStreams() {
  return {
      {kAlertsStream, {"lfr.alerts.*.*"}, kDay, kDay},
      {kCountsStream, {"lfr.counts.*.*"}, 31 * kDay, kDay},
      {kHealthStream, {"lfr.health.*"}, 3600, 120},
      {kCommandsStream, {"lfr.commands.*"}, kDay, kDay},
  };
}

bool ValidToken(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string AlertSubject(const std::string& node, const std::string& camera) {
  return "lfr.alerts." + node + "." + camera;
}
std::string CountsSubject(const std::string& node, const std::string& camera) {
  return "lfr.counts." + node + "." + camera;
}
std::string HealthSubject(const std::string& node) { return "lfr.health." + node; }
std::string CommandSubject(const std::string& node) { return "lfr.commands." + node; }

std::vector<std::string> NodePublishSubjects(const std::string& node) {
  return {"lfr.alerts." + node + ".*", "lfr.counts." + node + ".*", HealthSubject(node)};
}

std::string NodeOfSubject(const std::string& subject) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = subject.find('.', start);
    parts.push_back(subject.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() < 3 || parts[0] != "lfr" || !ValidToken(parts[2])) return "";
  const std::string& kind = parts[1];
  const size_t want = kind == "alerts" || kind == "counts" ? 4 : kind == "health" || kind == "commands" ? 3 : 0;
  if (parts.size() != want) return "";
  if (want == 4 && !ValidToken(parts[3])) return "";
  return parts[2];
}

nlohmann::json HeartbeatToJson(const Heartbeat& h) {
  nlohmann::json cams = nlohmann::json::array();
  for (const auto& c : h.cameras) cams.push_back({{"name", c.name}, {"health", c.health}, {"frames", c.frames}});
  return {{"node", h.node}, {"sent_ms", h.sent_ms}, {"cpu_load", h.cpu_load}, {"outbox", h.outbox}, {"cameras", cams}};
}

Result<Heartbeat> HeartbeatFromJson(std::string_view text) {
  if (text.size() > kMaxHeartbeatBytes) return Status::InvalidArgument("heartbeat: larger than 64 KiB");
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("heartbeat: not a JSON object");
  Heartbeat h;
  if (!j.contains("node") || !j["node"].is_string() || !ValidToken(j["node"].get<std::string>())) {
    return Status::InvalidArgument("heartbeat: node must be a name of letters, digits, - and _");
  }
  h.node = j["node"];
  if (!j.contains("sent_ms") || !j["sent_ms"].is_number_integer()) {
    return Status::InvalidArgument("heartbeat: sent_ms must be an integer (UTC ms)");
  }
  h.sent_ms = j["sent_ms"];
  if (j.contains("cpu_load")) {
    if (!j["cpu_load"].is_number() || !std::isfinite(j["cpu_load"].get<double>()) || j["cpu_load"].get<double>() < 0) {
      return Status::InvalidArgument("heartbeat: cpu_load must be a number >= 0");
    }
    h.cpu_load = j["cpu_load"];
  }
  if (j.contains("outbox")) {
    if (!j["outbox"].is_number_integer() || j["outbox"].get<int64_t>() < 0) {
      return Status::InvalidArgument("heartbeat: outbox must be a count");
    }
    h.outbox = j["outbox"];
  }
  if (j.contains("cameras")) {
    if (!j["cameras"].is_array() || j["cameras"].size() > kMaxCameras) {
      return Status::InvalidArgument("heartbeat: cameras must be a list of at most 256");
    }
    for (const auto& c : j["cameras"]) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !ValidToken(c["name"].get<std::string>()) ||
          !c.contains("health") || !c["health"].is_string() || c["health"].get<std::string>().size() > 32) {
        return Status::InvalidArgument("heartbeat: each camera needs a valid name and a health");
      }
      Heartbeat::Camera cam{c["name"], c["health"], 0};
      if (c.contains("frames") && c["frames"].is_number_integer()) cam.frames = c["frames"];
      h.cameras.push_back(std::move(cam));
    }
  }
  return h;
}

}  // namespace lfr::bus
