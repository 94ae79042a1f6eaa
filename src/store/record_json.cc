#include "store/record_json.h"

#include <cmath>

#include "util/clock.h"

namespace lfr {
namespace {

using nlohmann::json;

json Time(int64_t ms) { return ms == 0 ? json(nullptr) : json(FormatUtcMs(ms)); }
double Round4(double v) { return std::round(v * 1e4) / 1e4; }

}  // namespace

json DeploymentJson(const Deployment& d) {
  const DeploymentSpec& s = d.spec;
  return {{"id", d.id},
          {"name", s.name},
          {"status", DeploymentStatusName(d.status)},
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
          {"recogniser", d.recogniser_id},
          {"created", Time(d.created_ms)},
          {"created_by", d.created_by},
          {"started", Time(d.started_ms)},
          {"closed", Time(d.closed_ms)},
          {"closed_by", d.closed_by},
          {"notice_text", d.notice_text},
          {"notice_published", Time(d.notice_published_ms)},
          {"notice_revision", d.notice_revision},
          {"start_override_reason", d.start_override_reason},
          {"start_overridden", d.start_overridden}};
}

json CameraJson(const Camera& c) {
  return {{"id", c.id}, {"deployment_id", c.deployment_id}, {"name", c.name}, {"uri", c.uri},
          {"position", c.position}, {"record_footage", c.record_footage}};
}

json EntryJson(const WatchlistEntry& e, bool with_name) {
  json j = {{"id", e.id},
            {"deployment_id", e.deployment_id},
            {"reference", e.reference},
            {"category", e.category},
            {"reason", e.reason},
            {"image_source", e.image_source},
            {"added_by", e.added_by},
            {"added", Time(e.added_ms)},
            {"quality", Round4(e.quality)},
            {"quality_notes", e.quality_notes},
            {"removed", e.removed},
            {"shredded", e.shredded}};
  if (with_name) j["name"] = e.display_name;
  if (e.duplicate_of) {
    j["duplicate_of"] = *e.duplicate_of;
    j["duplicate_score"] = Round4(e.duplicate_score);
  }
  return j;
}

json AlertJson(const AlertRecord& a) {
  json corrections = json::array();
  for (const AlertCorrection& c : a.corrections) {
    corrections.push_back({{"time", Time(c.time_ms)},
                           {"by", c.by},
                           {"reason", c.reason},
                           {"previous_state", AlertStateName(c.previous_state)},
                           {"previous_outcome", AlertOutcomeName(c.previous_outcome)},
                           {"previous_decided_by", c.previous_decided_by},
                           {"previous_decided", Time(c.previous_decided_ms)},
                           {"state", AlertStateName(c.state)},
                           {"outcome", AlertOutcomeName(c.outcome)}});
  }
  return {{"id", a.id},
          {"deployment_id", a.deployment_id},
          {"camera", a.camera},
          {"time", Time(a.time_ms)},
          {"time_ms", a.time_ms},
          {"entry_id", a.entry_id ? json(*a.entry_id) : json(nullptr)},
          {"subject_reference", a.subject_reference},
          {"track_id", a.track_id},
          {"score", Round4(a.score)},
          {"fused_score", Round4(a.fused_score)},
          {"threshold", Round4(a.threshold)},
          {"state", AlertStateName(a.state)},
          {"outcome", AlertOutcomeName(a.outcome)},
          {"note", a.note},
          {"decided_by", a.decided_by},
          {"decided", Time(a.decided_ms)},
          {"media_purged", a.media_purged},
          {"corrections", corrections}};
}

json AuditJson(const AuditEvent& e) {
  json details = json::parse(e.details, nullptr, false);
  return {{"seq", e.seq},
          {"time", Time(e.time_ms)},
          {"actor", e.actor},
          {"action", e.action},
          {"target", e.target},
          {"details", details.is_discarded() ? json(e.details) : details},
          {"hash", e.hash}};
}

json UserJson(const User& u) {
  return {{"id", u.id}, {"name", u.name}, {"role", RoleName(u.role)}, {"disabled", u.disabled},
          {"created", Time(u.created_ms)}};
}

}  // namespace lfr
