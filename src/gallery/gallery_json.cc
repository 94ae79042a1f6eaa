#include "gallery/gallery_json.h"

#include <cmath>

#include "util/clock.h"

namespace lfr {
namespace {

using nlohmann::json;

json Time(int64_t ms) { return ms == 0 ? json(nullptr) : json(FormatUtcMs(ms)); }
double Round4(double v) { return std::round(v * 1e4) / 1e4; }

}  // namespace

json GalleryJson(const Gallery& g) {
  return {{"id", g.id},
          {"name", g.spec.name},
          {"purpose", g.spec.purpose},
          {"legal_basis", g.spec.legal_basis},
          {"owner", g.spec.owner},
          {"review_days", g.spec.review_days},
          {"reviewers_required", g.spec.reviewers_required},
          {"search_retention_days", g.spec.search_retention_days},
          {"recogniser", g.recogniser_id},
          {"records", g.records},
          {"created", Time(g.created_ms)},
          {"created_by", g.created_by},
          {"deleted", g.deleted},
          {"deleted_at", Time(g.deleted_ms)},
          {"deleted_by", g.deleted_by}};
}

json GalleryRecordJson(const GalleryRecord& r) {
  return {{"id", r.id},
          {"gallery", r.gallery_id},
          {"reference", r.reference},
          {"capture_date", r.capture_date.empty() ? json(nullptr) : json(r.capture_date)},
          {"source", r.source},
          {"added", Time(r.added_ms)},
          {"added_by", r.added_by},
          {"review_due", Time(r.review_due_ms)},
          {"quality", Round4(r.quality)},
          {"quality_notes", r.quality_notes},
          {"possible_duplicate_of", r.duplicate_of ? json(*r.duplicate_of) : json(nullptr)},
          {"duplicate_score", Round4(r.duplicate_score)},
          {"removed", r.removed},
          {"removed_at", Time(r.removed_ms)},
          {"removed_by", r.removed_by},
          {"removal_reason", r.removal_reason}};
}

json SearchJson(const SearchRecord& s) {
  json candidates = json::array();
  for (const auto& c : s.candidates) {
    candidates.push_back({{"rank", c.rank},
                          {"record", c.record_id},
                          {"reference", c.reference},
                          {"score", Round4(c.score)},
                          {"status", c.status}});
  }
  json reviews = json::array();
  for (const auto& r : s.reviews) {
    reviews.push_back({{"candidate", r.rank},
                       {"reviewer", r.reviewer},
                       {"decision", ReviewDecisionName(r.decision)},
                       {"note", r.note},
                       {"time", Time(r.time_ms)}});
  }
  return {{"id", s.id},
          {"gallery", s.gallery_id},
          {"time", Time(s.time_ms)},
          {"searched_by", s.searched_by},
          {"case", s.case_reference},
          {"reason", s.reason},
          {"probe_sha256", s.probe_sha256},
          {"faces_found", s.faces_found},
          {"face_searched", s.face_searched},
          {"probe_quality", Round4(s.probe_quality)},
          {"probe_warnings", s.probe_warnings},
          {"candidates", candidates},
          {"reviews", reviews},
          {"outcome", s.outcome}};
}

}  // namespace lfr
