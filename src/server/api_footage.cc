// Recorded footage over HTTP (issue 12), for supervisors (Permission::kReviewFootage):
//   GET  /api/deployments/{id}/footage                      the timeline: each camera's
//        recorded segments (start, end) and the deployment's alerts to mark on it
//   GET  /api/deployments/{id}/cameras/{cid}/footage.mp4?from=&to=   plays a range: the
//        recorded packets remuxed in memory to fragmented MP4 (footage/playback.h), never
//        written to disk; audited as "footage.viewed" (who, camera, range)
//   POST /api/deployments/{id}/cameras/{cid}/footage/export  {from, to, reason,
//        subject_alert?}: the redacted evidence export (footage/export.h) written under
//        $LFR_HOME/exports; answers its manifest (audited "footage.export") with a download link
//   GET  /api/footage-exports/{name}                         downloads an export (audited)
// The handlers are thin: the library does the work and says what went wrong.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include "footage/export.h"
#include "footage/playback.h"
#include "footage/segment.h"
#include "store/retention.h"
#include "server/api.h"
#include "server/api_lookup.h"
#include "util/clock.h"
#include "util/paths.h"

namespace lfr::server {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// Where API exports are written: $LFR_HOME/exports.
fs::path ExportsDir() { return HomeDir() / "exports"; }

struct DeploymentCamera {
  Deployment deployment;
  Camera camera;
};

std::optional<DeploymentCamera> LoadCamera(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return std::nullopt;
  auto cid = ParseId(req.matches[2], "camera id");
  if (!cid.ok()) {
    SendStatus(res, cid.status());
    return std::nullopt;
  }
  auto cams = api.store->ListCameras(d->id);
  if (!cams.ok()) {
    SendStatus(res, cams.status());
    return std::nullopt;
  }
  for (const Camera& c : *cams) {
    if (c.id == *cid) return DeploymentCamera{*d, c};
  }
  SendError(res, 404, "deployment " + std::to_string(d->id) + " has no camera " + std::to_string(*cid));
  return std::nullopt;
}

// A UTC time parameter or body field ("2026-12-05T14:03:00Z" or ms since the epoch).
Result<int64_t> ParseTime(const std::string& text, const char* what) {
  int64_t ms = 0;
  if (ParseUtcMs(text, &ms)) return ms;
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 16) {
    return std::stoll(text);
  }
  return Status::InvalidArgument(std::string(what) + " must be a UTC time like 2026-12-05T14:03:00Z, got \"" +
                                 text.substr(0, 40) + "\"");
}

// A tampered or truncated segment is the request's problem to know of (422), not a crash.
void SendFootageStatus(httplib::Response& res, const Status& s) {
  if (s.code() == Status::Code::kCorrupt) return SendError(res, 422, s.message());
  SendStatus(res, s);
}

void Timeline(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return;
  auto cams = api.store->ListCameras(d->id);
  if (!cams.ok()) return SendStatus(res, cams.status());
  const fs::path root = DefaultFootageDir();
  bool any = false;
  for (const Camera& c : *cams) any = any || !ListSegments(CameraFootageDir(root, d->id, c.id)).empty();
  std::optional<SecretBytes> key;
  if (any) {
    auto k = api.store->FootageKey(d->id, caller.actor);
    if (!k.ok()) return SendStatus(res, k.status());
    key = std::move(k).value();
  }
  json cameras = json::array();
  for (const Camera& c : *cams) {
    json segs = json::array();
    if (key) {
      for (const SegmentSpan& s : ListSegmentSpans(CameraFootageDir(root, d->id, c.id), *key)) {
        segs.push_back({{"start", FormatUtcMs(s.start_ms)},
                        {"end", FormatUtcMs(s.end_ms)},
                        {"start_ms", s.start_ms},
                        {"end_ms", s.end_ms},
                        {"bytes", s.bytes}});
      }
    }
    cameras.push_back({{"id", c.id}, {"name", c.name}, {"record_footage", c.record_footage}, {"segments", segs}});
  }
  json alerts = json::array();
  AlertQuery q;
  q.deployment_id = d->id;
  q.limit = 1000;
  auto list = api.store->ListAlerts(q);
  if (!list.ok()) return SendStatus(res, list.status());
  for (const AlertRecord& a : *list) {
    alerts.push_back({{"id", a.id},
                      {"camera", a.camera},
                      {"time", FormatUtcMs(a.time_ms)},
                      {"time_ms", a.time_ms},
                      {"subject_reference", a.subject_reference},
                      {"state", AlertStateName(a.state)}});
  }
  SendJson(res, 200, {{"deployment_id", d->id}, {"cameras", cameras}, {"alerts", alerts}});
}

void Play(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto dc = LoadCamera(api, req, res);
  if (!dc) return;
  auto from = ParseTime(req.get_param_value("from"), "from");
  if (!from.ok()) return SendStatus(res, from.status());
  auto to = ParseTime(req.get_param_value("to"), "to");
  if (!to.ok()) return SendStatus(res, to.status());
  if (*to <= *from) return SendError(res, 400, "the range is empty: 'to' must be after 'from'");
  const fs::path dir = CameraFootageDir(DefaultFootageDir(), dc->deployment.id, dc->camera.id);
  if (ListSegments(dir).empty()) {
    return SendError(res, 404, "no recorded footage of camera " + dc->camera.name);
  }
  auto key = api.store->FootageKey(dc->deployment.id, caller.actor);
  if (!key.ok()) return SendStatus(res, key.status());
  auto mp4 = RemuxToFragmentedMp4(ListSegmentSpans(dir, *key), *key, *from, *to);
  if (!mp4.ok()) return SendFootageStatus(res, mp4.status());
  // The view is recorded before a byte of it is sent.
  const json details = {{"deployment_id", dc->deployment.id},
                        {"camera_id", dc->camera.id},
                        {"camera", dc->camera.name},
                        {"from", FormatUtcMs(*from)},
                        {"to", FormatUtcMs(*to)},
                        {"bytes", mp4->size()}};
  Status audited = api.store->Audit(caller.actor, "footage.viewed", "camera:" + std::to_string(dc->camera.id),
                                    details.dump());
  if (!audited.ok()) return SendError(res, 503, "the view could not be audited, so it is not shown");
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::move(mp4).value(), "video/mp4");
}

std::mutex& ExportMutex() {  // one export at a time: it is CPU-heavy
  static std::mutex mu;
  return mu;
}

void Export(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto dc = LoadCamera(api, req, res);
  if (!dc) return;
  if (api.models == nullptr) return SendError(res, 503, "this server has no models to detect faces with");
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  auto from_s = RequiredString(*body, "from", 64);
  if (!from_s.ok()) return SendStatus(res, from_s.status());
  auto to_s = RequiredString(*body, "to", 64);
  if (!to_s.ok()) return SendStatus(res, to_s.status());
  auto reason = RequiredString(*body, "reason", 2000);
  if (!reason.ok()) return SendStatus(res, reason.status());
  auto alert = OptionalInt(*body, "subject_alert", 1, INT64_MAX);
  if (!alert.ok()) return SendStatus(res, alert.status());
  auto from = ParseTime(*from_s, "from");
  if (!from.ok()) return SendStatus(res, from.status());
  auto to = ParseTime(*to_s, "to");
  if (!to.ok()) return SendStatus(res, to.status());

  std::unique_lock<std::mutex> lock(ExportMutex(), std::try_to_lock);
  if (!lock.owns_lock()) return SendError(res, 503, "another export is running; try again when it has finished");
  auto analyzer = FaceAnalyzer::FromStore(*api.models, "", dc->deployment.recogniser_id, ExportDetectorOptions());
  if (!analyzer.ok()) return SendError(res, 503, "no face models to export with: " + analyzer.status().message());
  std::error_code ec;
  fs::create_directories(ExportsDir(), ec);
  const int64_t now = api.clock->NowMs();
  const std::string name = "footage-d" + std::to_string(dc->deployment.id) + "-c" + std::to_string(dc->camera.id) +
                           "-" + std::to_string(now) + ".mp4";
  ExportRequest r;
  r.deployment_id = dc->deployment.id;
  r.camera = dc->camera.name;
  r.from_ms = *from;
  r.to_ms = *to;
  r.reason = *reason;
  if (alert->has_value()) r.subject_alert = **alert;
  r.out = ExportsDir() / name;
  ExportOptions o;
  o.footage_root = DefaultFootageDir();
  auto m = ExportFootage(api.store, analyzer->get(), r, o, caller.actor, now);
  if (!m.ok()) return SendFootageStatus(res, m.status());
  json j = m->ToJson();
  j["file"] = name;  // the server's path is not the client's business
  j["download"] = "/api/footage-exports/" + name;
  SendJson(res, 201, j);
}

void Download(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  const std::string name = req.matches[1];
  const fs::path p = ExportsDir() / name;
  std::error_code ec;
  const bool plain = name.size() > 4 && name.substr(name.size() - 4) == ".mp4" &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
                         std::string::npos && name[0] != '.';
  if (!plain || !fs::is_regular_file(p, ec)) {
    return SendError(res, 404, "no such export: " + name);
  }
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) return SendError(res, 500, "cannot read the export");
  Status audited = api.store->Audit(caller.actor, "footage.export_download", "export:" + name,
                                    json{{"file", name}, {"bytes", bytes.size()}}.dump());
  if (!audited.ok()) return SendError(res, 503, "the download could not be audited, so it is not sent");
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
  res.set_content(std::move(bytes), "video/mp4");
}

}  // namespace

void RegisterFootageRoutes(Api& api) {
  api.Route("GET", R"(/api/deployments/(\d+)/footage)", Permission::kReviewFootage,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) { Timeline(api, req, res, c); });
  api.Route("GET", R"(/api/deployments/(\d+)/cameras/(\d+)/footage\.mp4)", Permission::kReviewFootage,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) { Play(api, req, res, c); });
  api.Route("POST", R"(/api/deployments/(\d+)/cameras/(\d+)/footage/export)", Permission::kReviewFootage,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) { Export(api, req, res, c); });
  api.Route("GET", R"(/api/footage-exports/([^/]+))", Permission::kReviewFootage,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) { Download(api, req, res, c); });
}

}  // namespace lfr::server
