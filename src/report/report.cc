// BuildReport (the figures) and GatherReportInput (reading them from a Store). The
// renderers are in report_render.cc.
#include "report/report.h"

#include <algorithm>
#include <climits>
#include <map>
#include <set>

namespace lfr::report {
namespace {

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;

int64_t FloorTo(int64_t t, int64_t step) {
  const int64_t q = t / step - ((t % step != 0) && (t < 0));
  return q * step;
}

// The shortest bucket length from the ladder (then whole weeks) that covers [start, end)
// in at most kMaxTimelineBuckets buckets aligned to multiples of the length.
int64_t ChooseBucket(int64_t start, int64_t end) {
  static const int64_t kLadder[] = {kMinute,     2 * kMinute, 5 * kMinute, 10 * kMinute, 15 * kMinute,
                                    30 * kMinute, kHour,      2 * kHour,   3 * kHour,    4 * kHour,
                                    6 * kHour,   12 * kHour,  kDay,        2 * kDay,     kWeek};
  auto fits = [&](int64_t step) { return (end - FloorTo(start, step) + step - 1) / step <= kMaxTimelineBuckets; };
  for (const int64_t step : kLadder) {
    if (fits(step)) return step;
  }
  int64_t step = 2 * kWeek;
  while (!fits(step)) step += kWeek;
  return step;
}

// [start, end) the report covers, before widening to the data.
std::pair<int64_t, int64_t> NominalPeriod(const Deployment& d, int64_t generated_ms) {
  if (d.started_ms == 0) return {d.spec.planned_start_ms, d.spec.planned_end_ms};
  if (d.status == DeploymentStatus::kClosed && d.closed_ms > 0) return {d.started_ms, d.closed_ms};
  return {d.started_ms, std::max(d.started_ms, generated_ms)};
}

ThresholdFigures Threshold(const ReportInput& in, int64_t watchlist_size) {
  ThresholdFigures t;
  t.configured = in.deployment.spec.threshold;
  t.recogniser_id = in.deployment.recogniser_id;
  for (const auto& a : in.alerts) {
    t.applied_min = std::min(t.applied_min.value_or(a.threshold), a.threshold);
    t.applied_max = std::max(t.applied_max.value_or(a.threshold), a.threshold);
  }
  auto spec = ParseThreshold(t.configured);
  if (!spec.ok()) {
    t.note = spec.status().message();
    return t;
  }
  if (spec->kind == ThresholdSpec::Kind::kScore) t.score = static_cast<float>(spec->value);
  if (spec->kind == ThresholdSpec::Kind::kFpir) t.target_fpir = spec->value;
  if (!in.calibration) {
    t.note = in.calibration_note.empty()
                 ? "no calibration table for recogniser " +
                       (t.recogniser_id.empty() ? std::string("(none recorded)") : t.recogniser_id)
                 : in.calibration_note;
    return t;
  }
  t.calibration_provenance = in.calibration->provenance();
  if (watchlist_size < 1 || watchlist_size > INT_MAX) {
    t.note = "the calibrated FPIR needs a watchlist of 1 to " + std::to_string(INT_MAX) + " entries; it has " +
             std::to_string(watchlist_size);
    return t;
  }
  const int n = static_cast<int>(watchlist_size);
  if (!t.score) {
    auto resolved = in.calibration->ThresholdFor(*t.target_fpir, n);
    if (!resolved.ok()) {
      t.note = resolved.status().message();
      return t;
    }
    t.score = *resolved;
  }
  t.calibrated_fpir = in.calibration->FpirAt(*t.score, n);
  return t;
}

Status Prefixed(const Status& s, int64_t deployment_id) {
  const std::string m = "report for deployment " + std::to_string(deployment_id) + ": " + s.message();
  switch (s.code()) {
    case Status::Code::kOk: return s;
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(m);
    case Status::Code::kNotFound: return Status::NotFound(m);
    case Status::Code::kCorrupt: return Status::Corrupt(m);
    case Status::Code::kIOError: return Status::IOError(m);
    case Status::Code::kUnavailable: return Status::Unavailable(m);
    case Status::Code::kFailedPrecondition: return Status::FailedPrecondition(m);
    case Status::Code::kInternal: return Status::Internal(m);
  }
  return Status::Internal(m);
}

// Every alert of the deployment. ListAlerts returns the newest `limit` alerts with
// id > after_id, so paging forward by after_id would only ever see the newest page: ask
// again with a doubled limit until a page comes back short.
Result<std::vector<AlertRecord>> AllAlerts(Store& store, int64_t deployment_id) {
  AlertQuery q;
  q.deployment_id = deployment_id;
  q.limit = 4096;
  while (true) {
    auto page = store.ListAlerts(q);
    if (!page.ok()) return page.status();
    if (static_cast<int64_t>(page->size()) < q.limit) return std::move(page).value();
    if (q.limit == INT_MAX) {
      return Status::Internal("more than " + std::to_string(INT_MAX) + " alerts; cannot list them all");
    }
    q.limit = q.limit > INT_MAX / 2 ? INT_MAX : q.limit * 2;
  }
}

}  // namespace

void AlertCounts::Add(const AlertRecord& a) {
  ++total;
  switch (a.state) {
    case AlertState::kPending: ++pending; break;
    case AlertState::kConfirmedTrue: ++confirmed_true; break;
    case AlertState::kConfirmedFalse: ++confirmed_false; break;
    case AlertState::kNoAction: ++no_action; break;
  }
  switch (a.outcome) {
    case AlertOutcome::kNone: break;
    case AlertOutcome::kEngaged: ++engagements; break;
    case AlertOutcome::kArrested: ++engagements, ++arrests; break;
    case AlertOutcome::kNoFurtherAction: ++engagements, ++no_further_action; break;
  }
}

DeploymentDetails PublicDetails(const Deployment& d) {
  DeploymentDetails p;
  p.id = d.id;
  p.name = d.spec.name;
  p.site = d.spec.site;
  p.location = d.spec.location;
  p.planned_start_ms = d.spec.planned_start_ms;
  p.planned_end_ms = d.spec.planned_end_ms;
  p.started_ms = d.started_ms;
  p.ended_ms = (d.status == DeploymentStatus::kClosed && d.started_ms > 0) ? d.closed_ms : 0;
  p.purpose = d.spec.purpose;
  p.legal_basis = d.spec.legal_basis;
  p.authorising_officer = d.spec.authorising_officer;
  p.status = d.status;
  p.cancelled = d.status == DeploymentStatus::kClosed && d.started_ms == 0;
  p.notice_published_ms = d.notice_published_ms;
  p.start_override_reason = d.start_override_reason;
  p.start_overridden = d.start_overridden;
  return p;
}

DeploymentReport BuildReport(const ReportInput& in) {
  DeploymentReport r;
  r.deployment = PublicDetails(in.deployment);
  r.generated_ms = in.generated_ms;

  r.composition = in.composition;
  std::sort(r.composition.begin(), r.composition.end(), [](const CategoryCount& a, const CategoryCount& b) {
    return a.entries != b.entries ? a.entries > b.entries : a.category < b.category;
  });
  for (const auto& c : r.composition) r.watchlist_size += c.entries;

  // Cameras: listed ones first, in order; then any other name the data mentions.
  std::map<std::string, size_t> camera_index;
  auto camera = [&](const std::string& name) -> CameraFigures& {
    auto [it, added] = camera_index.try_emplace(name, r.cameras.size());
    if (added) r.cameras.push_back(CameraFigures{name, "", false, false, 0, {}});
    return r.cameras[it->second];
  };
  for (const auto& c : in.cameras) {
    CameraFigures& f = camera(c.name);
    f.position = c.position;
    f.listed = true;
    f.records_footage = c.record_footage;
  }
  std::set<std::string> unlisted;
  for (const auto& a : in.alerts) {
    if (!camera_index.count(a.camera)) unlisted.insert(a.camera);
  }
  for (const auto& row : in.faces_seen) {
    if (!camera_index.count(row.camera)) unlisted.insert(row.camera);
  }
  for (const auto& name : unlisted) camera(name);

  for (const auto& a : in.alerts) {
    r.alerts.Add(a);
    camera(a.camera).alerts.Add(a);
  }
  for (const auto& row : in.faces_seen) {
    r.faces_seen += row.faces;
    camera(row.camera).faces_seen += row.faces;
  }
  if (r.faces_seen > 0) {
    r.false_alert_rate = static_cast<double>(r.alerts.confirmed_false) / static_cast<double>(r.faces_seen);
  }
  r.threshold = Threshold(in, r.watchlist_size);

  // Timeline.
  auto [start, end] = NominalPeriod(in.deployment, in.generated_ms);
  for (const auto& a : in.alerts) {
    start = std::min(start, a.time_ms);
    end = std::max(end, a.time_ms + 1);
  }
  for (const auto& row : in.faces_seen) {
    start = std::min(start, row.minute_ms);
    end = std::max(end, row.minute_ms + 1);
  }
  end = std::max(end, start + 1);
  r.period_start_ms = start;
  r.period_end_ms = end;
  r.bucket_ms = ChooseBucket(start, end);
  const int64_t first = FloorTo(start, r.bucket_ms);
  const int64_t count = (end - first + r.bucket_ms - 1) / r.bucket_ms;
  for (int64_t k = 0; k < count; ++k) r.timeline.push_back(TimeBucket{first + k * r.bucket_ms, 0, {}});
  auto bucket = [&](int64_t t) -> TimeBucket& { return r.timeline[(t - first) / r.bucket_ms]; };
  for (const auto& a : in.alerts) bucket(a.time_ms).alerts.Add(a);
  for (const auto& row : in.faces_seen) bucket(row.minute_ms).faces_seen += row.faces;
  return r;
}

Result<ReportInput> GatherReportInput(Store& store, int64_t deployment_id, int64_t now_ms) {
  ReportInput in;
  in.generated_ms = now_ms;
  auto deployment = store.GetDeployment(deployment_id);
  if (!deployment.ok()) return Prefixed(deployment.status(), deployment_id);
  in.deployment = std::move(deployment).value();
  auto cameras = store.ListCameras(deployment_id);
  if (!cameras.ok()) return Prefixed(cameras.status(), deployment_id);
  in.cameras = std::move(cameras).value();
  auto composition = store.WatchlistComposition(deployment_id);
  if (!composition.ok()) return Prefixed(composition.status(), deployment_id);
  in.composition = std::move(composition).value();
  auto alerts = AllAlerts(store, deployment_id);
  if (!alerts.ok()) return Prefixed(alerts.status(), deployment_id);
  in.alerts = std::move(alerts).value();
  auto faces = store.FacesSeen(deployment_id);
  if (!faces.ok()) return Prefixed(faces.status(), deployment_id);
  in.faces_seen = std::move(faces).value();

  for (const auto& a : in.alerts) {
    if (a.deployment_id != deployment_id) {
      return Prefixed(Status::Internal("the store returned alert " + std::to_string(a.id) + " of deployment " +
                                       std::to_string(a.deployment_id)),
                      deployment_id);
    }
  }
  for (const auto& row : in.faces_seen) {
    if (row.deployment_id != deployment_id) {
      return Prefixed(Status::Internal("the store returned faces-seen counts of deployment " +
                                       std::to_string(row.deployment_id)),
                      deployment_id);
    }
  }
  std::sort(in.alerts.begin(), in.alerts.end(), [](const AlertRecord& a, const AlertRecord& b) {
    return a.time_ms != b.time_ms ? a.time_ms < b.time_ms : a.id < b.id;
  });

  if (in.deployment.recogniser_id.empty()) {
    in.calibration_note = "the deployment records no recogniser, so no calibration table applies";
  } else if (auto table = CalibrationTable::ForModel(in.deployment.recogniser_id); table.ok()) {
    in.calibration = std::move(table).value();
  } else {
    in.calibration_note = table.status().message();
  }
  return in;
}

}  // namespace lfr::report
