// JSON forms of the store's records for the API, and parsing of deployment specs.
#include "server/api.h"
#include "util/clock.h"

namespace lfr::server {
namespace {

nlohmann::json Time(int64_t ms) { return ms == 0 ? nlohmann::json(nullptr) : nlohmann::json(FormatUtcMs(ms)); }

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

nlohmann::json DeploymentJson(const Deployment& d) {
  const DeploymentSpec& s = d.spec;
  return {{"id", d.id},
          {"name", s.name},
          {"site", s.site},
          {"location", s.location},
          {"start", Time(s.planned_start_ms)},
          {"end", Time(s.planned_end_ms)},
          {"purpose", s.purpose},
          {"legal_basis", s.legal_basis},
          {"authorising_officer", s.authorising_officer},
          {"threshold", s.threshold},
          {"watchlist_cap", s.watchlist_cap},
          {"contact", s.contact},
          {"status", DeploymentStatusName(d.status)},
          {"recogniser", d.recogniser_id},
          {"created", Time(d.created_ms)},
          {"created_by", d.created_by},
          {"started", Time(d.started_ms)},
          {"closed", Time(d.closed_ms)},
          {"closed_by", d.closed_by},
          {"notice_published", Time(d.notice_published_ms)},
          {"notice_text", d.notice_text}};
}

nlohmann::json CameraJson(const Camera& c) {
  return {{"id", c.id}, {"deployment_id", c.deployment_id}, {"name", c.name}, {"uri", c.uri},
          {"position", c.position}, {"record_footage", c.record_footage}};
}

nlohmann::json EntryJson(const WatchlistEntry& e, bool with_name) {
  nlohmann::json j = {{"id", e.id},
                      {"deployment_id", e.deployment_id},
                      {"reference", e.reference},
                      {"category", e.category},
                      {"reason", e.reason},
                      {"image_source", e.image_source},
                      {"added_by", e.added_by},
                      {"added", Time(e.added_ms)},
                      {"quality", e.quality},
                      {"quality_notes", e.quality_notes},
                      {"removed", e.removed},
                      {"shredded", e.shredded}};
  if (with_name) j["name"] = e.display_name;
  if (e.duplicate_of) {
    j["duplicate_of"] = *e.duplicate_of;
    j["duplicate_score"] = e.duplicate_score;
  }
  return j;
}

nlohmann::json AlertJson(const AlertRecord& a) {
  nlohmann::json j = {{"id", a.id},
                      {"deployment_id", a.deployment_id},
                      {"camera", a.camera},
                      {"time", Time(a.time_ms)},
                      {"time_ms", a.time_ms},
                      {"subject_reference", a.subject_reference},
                      {"track_id", a.track_id},
                      {"score", a.score},
                      {"fused_score", a.fused_score},
                      {"threshold", a.threshold},
                      {"state", AlertStateName(a.state)},
                      {"outcome", AlertOutcomeName(a.outcome)},
                      {"note", a.note},
                      {"decided_by", a.decided_by},
                      {"decided", Time(a.decided_ms)},
                      {"media_purged", a.media_purged}};
  j["entry_id"] = a.entry_id ? nlohmann::json(*a.entry_id) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json UserJson(const User& u) {
  return {{"id", u.id}, {"name", u.name}, {"role", RoleName(u.role)}, {"disabled", u.disabled},
          {"created", Time(u.created_ms)}};
}

nlohmann::json AuditJson(const AuditEvent& e) {
  nlohmann::json details = nlohmann::json::parse(e.details, nullptr, false);
  if (details.is_discarded()) details = e.details;
  return {{"seq", e.seq},     {"time", Time(e.time_ms)}, {"actor", e.actor},
          {"action", e.action}, {"target", e.target},   {"details", details},
          {"hash", e.hash}};
}

nlohmann::json CameraLiveJson(const LiveRunner::CameraLive& c) {
  return {{"deployment_id", c.deployment_id},
          {"camera", c.camera},
          {"health", c.health},
          {"error", c.error},
          {"last_frame_time", c.last_frame_time},
          {"frames_read", c.frames_read},
          {"frames_processed", c.frames_processed},
          {"frames_dropped", c.frames_dropped},
          {"faces_detected", c.faces_detected},
          {"faces_seen", c.tracks},
          {"embeddings", c.embeddings},
          {"alerts", c.alerts},
          {"decision_p50_ms", c.decision_p50_ms},
          {"decision_p95_ms", c.decision_p95_ms}};
}

Result<DeploymentSpec> ParseDeploymentSpec(const nlohmann::json& body, const DeploymentSpec& base) {
  DeploymentSpec s = base;
  struct TextField {
    const char* name;
    std::string* value;
    size_t max;
  };
  const TextField texts[] = {{"name", &s.name, 200},
                             {"site", &s.site, 300},
                             {"location", &s.location, 500},
                             {"purpose", &s.purpose, 4000},
                             {"legal_basis", &s.legal_basis, 2000},
                             {"authorising_officer", &s.authorising_officer, 300},
                             {"threshold", &s.threshold, 40},
                             {"contact", &s.contact, 1000}};
  for (const TextField& f : texts) {
    auto v = OptionalString(body, f.name, f.max);
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
