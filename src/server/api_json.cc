// Live camera figures as JSON, and parsing of deployment specs (the records' JSON forms are
// store/record_json.h).
#include "server/api.h"
#include "util/clock.h"

namespace lfr::server {
namespace {

Result<std::optional<int64_t>> TimeField(const nlohmann::json& o, const char* field) {
  auto text = OptionalString(o, field, 40);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::optional<int64_t>();
  int64_t ms = 0;
  if (!ParseUtcMs(**text, &ms)) {
    return Status::InvalidArgument(std::string("field '") + field + "': '" + **text +
                                   "' is not a UTC time like 2026-12-05T10:00:00Z");
  }
  return std::optional<int64_t>(ms);
}

}  // namespace

nlohmann::json CameraLiveJson(const LiveRunner::CameraLive& c) {
  return {{"deployment_id", c.deployment_id},
          {"camera", c.camera},
          {"health", c.health},
          {"error", c.health == "up" ? std::string() : c.error},
          {"last_error_time", c.last_error_time},
          {"last_frame_time", c.last_frame_time},
          {"frames_read", c.frames_read},
          {"frames_processed", c.frames_processed},
          {"frames_dropped", c.frames_dropped},
          {"faces_detected", c.faces_detected},
          {"faces_seen", c.tracks},
          {"embeddings", c.embeddings},
          {"alerts", c.alerts},
          {"decision_p50_ms", c.decision_p50_ms},
          {"decision_p95_ms", c.decision_p95_ms},
          {"recording", c.recording},
          {"recording_error", c.recording_error}};
}

Result<DeploymentSpec> ParseDeploymentSpec(const nlohmann::json& body, const DeploymentSpec& base) {
  DeploymentSpec s = base;
  struct TextField {
    const char* name;
    std::string* value;
    size_t max;
    TextKind kind = TextKind::kLine;
  };
  const TextField texts[] = {{"name", &s.name, text_limits::kName},
                             {"site", &s.site, text_limits::kPlace},
                             {"location", &s.location, text_limits::kPlace},
                             {"purpose", &s.purpose, text_limits::kPurpose, TextKind::kMultiLine},
                             {"legal_basis", &s.legal_basis, text_limits::kLegalBasis, TextKind::kMultiLine},
                             {"authorising_officer", &s.authorising_officer, text_limits::kName},
                             {"threshold", &s.threshold, 40},
                             {"contact", &s.contact, text_limits::kContact}};
  for (const TextField& f : texts) {
    auto v = OptionalString(body, f.name, f.max, f.kind);
    if (!v.ok()) return v.status();
    if (v->has_value()) *f.value = **v;
  }
  auto start = TimeField(body, "start");
  if (!start.ok()) return start.status();
  if (start->has_value()) s.planned_start_ms = **start;
  auto end = TimeField(body, "end");
  if (!end.ok()) return end.status();
  if (end->has_value()) s.planned_end_ms = **end;
  auto cap = OptionalInt(body, "watchlist_cap", 1, 100000);
  if (!cap.ok()) return cap.status();
  if (cap->has_value()) s.watchlist_cap = static_cast<int>(**cap);
  for (const char* required : {"name", "location", "purpose", "authorising_officer"}) {
    for (const TextField& f : texts) {
      if (std::string(f.name) == required && f.value->find_first_not_of(" \t\r\n") == std::string::npos) {
        return Status::InvalidArgument(std::string("field '") + required + "' is required");
      }
    }
  }
  if (s.planned_start_ms == 0 || s.planned_end_ms == 0) {
    return Status::InvalidArgument("fields 'start' and 'end' (UTC times) are required");
  }
  if (s.planned_end_ms <= s.planned_start_ms) {
    return Status::InvalidArgument("field 'end' must be after 'start'");
  }
  return s;
}

}  // namespace lfr::server
