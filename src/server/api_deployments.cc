// Deployments, their cameras and watchlists (supervisors), and live camera status.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <sodium.h>

#include "pipeline/camera.h"
#include "report/notice.h"
#include "report/report.h"
#include "server/api.h"
#include "server/api_lookup.h"
#include "store/text_fields.h"
#include "store/watchlist_forecast.h"
#include "vision/image_io.h"

namespace lfr::server {

std::optional<Deployment> LoadDeployment(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = ParseId(req.matches[1], "deployment id");
  if (!id.ok()) {
    SendStatus(res, id.status());
    return std::nullopt;
  }
  auto d = api.store->GetDeployment(*id);
  if (!d.ok()) {
    SendStatus(res, d.status());
    return std::nullopt;
  }
  return *d;
}

namespace {

Result<int64_t> PathId(const httplib::Request& req, const char* what) {
  return ParseId(req.matches[1], what);
}

// Need-to-know: an operator works on active deployments, so sees those (their details,
// cameras, watchlist names, reasons and photos) and nothing of planned or closed ones.
bool OperatorMaySee(const Caller& caller, const Deployment& d) {
  return caller.session.role != Role::kOperator || d.status == DeploymentStatus::kActive;
}

// The deployment of the first path group if the caller may see it, else the error sent.
std::optional<Deployment> LoadVisibleDeployment(Api& api, const httplib::Request& req, httplib::Response& res,
                                                const Caller& caller) {
  auto d = LoadDeployment(api, req, res);
  if (d && !OperatorMaySee(caller, *d)) {
    SendError(res, 403, std::string("operators may only see active deployments (deployment ") +
                            std::to_string(d->id) + " is " + DeploymentStatusName(d->status) + ")");
    return std::nullopt;
  }
  return d;
}

nlohmann::json DeploymentDetail(Api& api, const Deployment& d) {
  nlohmann::json j = DeploymentJson(d);
  nlohmann::json cams = nlohmann::json::array();
  if (auto c = api.store->ListCameras(d.id); c.ok()) {
    for (const Camera& cam : *c) cams.push_back(CameraJson(cam));
  }
  j["cameras"] = cams;
  nlohmann::json comp = nlohmann::json::array();
  int64_t total = 0;
  if (auto c = api.store->WatchlistComposition(d.id); c.ok()) {
    for (const CategoryCount& cc : *c) {
      comp.push_back({{"category", cc.category}, {"entries", cc.entries}});
      total += cc.entries;
    }
  }
  j["watchlist"] = {{"entries", total}, {"by_category", comp}};
  return j;
}

// Form field of a multipart upload, "" if absent.
std::string FormField(const httplib::Request& req, const char* name) {
  return req.has_file(name) ? req.get_file_value(name).content : "";
}

void CreateDeployment(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  auto spec = ParseDeploymentSpec(*body, DeploymentSpec{});
  if (!spec.ok()) return SendStatus(res, spec.status());
  if (api.options->recogniser_id.empty()) {
    return SendError(res, 503, "no recogniser model is installed: run `lfr models fetch`");
  }
  auto d = api.store->CreateDeployment(*spec, api.options->recogniser_id, caller.actor);
  if (!d.ok()) return SendStatus(res, d.status());
  api.events->Publish("deployment", nlohmann::json({{"id", d->id}, {"status", "planned"}}).dump());
  SendJson(res, 201, DeploymentDetail(api, *d));
}

void StartDeployment(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return;
  if (api.runner == nullptr) return SendError(res, 503, "this server runs no cameras (no live runner)");
  std::string override_reason;
  if (!req.body.empty()) {
    auto body = JsonBody(req);
    if (!body.ok()) return SendStatus(res, body.status());
    auto given = OptionalString(*body, "override_reason", Store::kMaxOverrideReason);
    if (!given.ok()) return SendStatus(res, given.status());
    override_reason = given->value_or("");
  }
  // Starting an active deployment again restarts its cameras (e.g. after they all failed).
  auto started = d->status == DeploymentStatus::kActive
                     ? Result<Deployment>(*d)
                     : api.store->StartDeployment(d->id, caller.actor, override_reason);
  if (!started.ok()) return SendStatus(res, started.status());
  nlohmann::json out = DeploymentDetail(api, *started);
  if (Status s = api.runner->StartDeployment(d->id); !s.ok()) {
    // The deployment is active (on record) but its cameras did not start: say so plainly.
    out["camera_error"] = s.message();
    spdlog::error("deployment {}: cameras failed to start: {}", d->id, s.ToString());
  }
  api.events->Publish("deployment", nlohmann::json({{"id", d->id}, {"status", "active"}}).dump());
  SendJson(res, 200, out);
}

void CloseDeployment(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return;
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  auto confirm = RequiredString(*body, "confirm", 300);
  if (!confirm.ok() || *confirm != d->spec.name) {
    return SendError(res, 400,
                     "closing shreds the watchlist and all alert media for good: confirm by sending "
                     "{\"confirm\": \"<the deployment's name>\"}");
  }
  if (api.runner != nullptr) api.runner->StopDeployment(d->id);
  auto report = api.store->CloseDeployment(d->id, caller.actor);
  if (!report.ok()) return SendStatus(res, report.status());
  api.events->Publish("deployment", nlohmann::json({{"id", d->id}, {"status", "closed"}}).dump());
  SendJson(res, 200, {{"closed", true},
                      {"entries_shredded", report->entries_shredded},
                      {"alerts_purged", report->alerts_purged}});
}

void AddCamera(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return;
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  auto name = RequiredString(*body, "name", 100);
  if (!name.ok()) return SendStatus(res, name.status());
  auto uri = RequiredString(*body, "uri", 2000);
  if (!uri.ok()) return SendStatus(res, uri.status());
  if (auto src = CheckSource(*uri, api.options->camera_sources); !src.ok()) {
    // The detail (path, address, why) stays in the log: the client learns nothing about the
    // server's files or network from the answer.
    spdlog::warn("deployment {}: camera {} not added: {}", d->id, *name, src.status().message());
    return SendError(res, 400, kSourceUnavailable);
  }
  auto position = OptionalString(*body, "position", text_limits::kPlace);
  if (!position.ok()) return SendStatus(res, position.status());
  auto record = OptionalBool(*body, "record_footage");
  if (!record.ok()) return SendStatus(res, record.status());
  Camera cam;
  cam.deployment_id = d->id;
  cam.name = *name;
  cam.uri = *uri;
  cam.position = position->value_or("");
  cam.record_footage = record->value_or(false);
  auto added = api.store->AddCamera(cam, caller.actor);
  if (!added.ok()) return SendStatus(res, added.status());
  SendJson(res, 201, CameraJson(*added));
}

// POST /api/deployments/{id}/cameras/{camera_id}/restart: reopen one camera's source now.
void RestartCamera(Api& api, const httplib::Request& req, httplib::Response& res, const Caller&) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return;
  auto camera_id = ParseId(req.matches[2], "camera id");
  if (!camera_id.ok()) return SendStatus(res, camera_id.status());
  auto cams = api.store->ListCameras(d->id);
  if (!cams.ok()) return SendStatus(res, cams.status());
  auto cam = std::find_if(cams->begin(), cams->end(), [&](const Camera& c) { return c.id == *camera_id; });
  if (cam == cams->end()) {
    return SendError(res, 404, "deployment " + std::to_string(d->id) + " has no camera " +
                                   std::to_string(*camera_id));
  }
  if (d->status != DeploymentStatus::kActive) {
    return SendError(res, 409, "deployment " + std::to_string(d->id) + " is " +
                                   DeploymentStatusName(d->status) + ": only an active deployment's cameras run");
  }
  if (api.runner == nullptr) return SendError(res, 503, "this server runs no cameras (no live runner)");
  Status s = api.runner->RestartCamera(d->id, cam->name);
  if (!s.ok()) {
    // Active on record but not running here (e.g. its cameras could not start): start it.
    if (s.code() == Status::Code::kNotFound) s = api.runner->StartDeployment(d->id);
    if (!s.ok()) return SendError(res, 409, "camera " + cam->name + " cannot be restarted: " + s.message());
  }
  api.events->Publish("camera", nlohmann::json({{"deployment_id", d->id}, {"camera", cam->name},
                                                {"restart_requested", true}}).dump());
  SendJson(res, 202, {{"restarting", true}, {"camera", cam->name}});
}

void UploadEntry(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return;
  if (!req.is_multipart_form_data()) {
    return SendError(res, 400, "upload the photo as multipart/form-data with fields image, reference, "
                               "name, category, reason, image_source");
  }
  if (!req.has_file("image") || req.get_file_value("image").content.empty()) {
    return SendError(res, 400, "field 'image' (the photo file) is required");
  }
  WatchlistEntry meta;
  meta.deployment_id = d->id;
  meta.reference = FormField(req, "reference");
  meta.display_name = FormField(req, "name");
  meta.category = FormField(req, "category");
  meta.reason = FormField(req, "reason");
  meta.image_source = FormField(req, "image_source");
  for (const auto& [field, value] : {std::pair<const char*, std::string*>{"reference", &meta.reference},
                                     {"name", &meta.display_name}, {"category", &meta.category},
                                     {"reason", &meta.reason}}) {
    if (value->find_first_not_of(" \t\r\n") == std::string::npos) {
      return SendError(res, 400, std::string("field '") + field + "' is required");
    }
  }
  if (Status s = CheckEntryText(meta, "field "); !s.ok()) return SendStatus(res, s);
  const std::string& image = req.get_file_value("image").content;
  // Above the pixel limit: refused from the header, before anything is decoded.
  if (Status s = CheckImagePixels(image, "the uploaded photo"); !s.ok()) {
    return SendJson(res, 422, {{"error", s.message()}, {"rejection", s.message()}});
  }
  const std::string confirm = FormField(req, "confirm_duplicate");
  if (confirm != "" && confirm != "true" && confirm != "false") {
    return SendError(res, 400, "field 'confirm_duplicate': expected true or false");
  }
  const std::string accept_hub = FormField(req, "accept_hub_reason");
  if (Status s = CheckText(accept_hub, "field 'accept_hub_reason'", text_limits::kNote, TextKind::kMultiLine);
      !s.ok()) {
    return SendStatus(res, s);
  }
  if (api.enrolment == nullptr) return SendError(res, 503, "enrolment is not available (no models loaded)");
  auto outcome = api.enrolment->Enrol(meta, image, caller.actor, confirm == "true", accept_hub);
  if (!outcome.ok()) return SendStatus(res, outcome.status());
  if (outcome->hub_check && outcome->hub_check->refused) {
    // A forecast hub: the supervisor decides (the console asks for a reason to accept it).
    return SendJson(res, 409, {{"error", outcome->rejection + " (send accept_hub_reason)"},
                               {"rejection", outcome->rejection},
                               {"hub", HubVerdictJson(*outcome->hub_check)}});
  }
  if (outcome->exact_duplicate_of) {
    // Not an error in the photo: the supervisor decides (the console offers "enrol anyway").
    return SendJson(res, 409, {{"error", outcome->rejection + " (send confirm_duplicate=true)"},
                               {"rejection", outcome->rejection},
                               {"duplicate_of", *outcome->exact_duplicate_of}});
  }
  if (!outcome->entry) {
    return SendJson(res, 422, {{"error", "photo not enrolled: " + outcome->rejection},
                               {"rejection", outcome->rejection}});
  }
  nlohmann::json out = EntryJson(*outcome->entry, true);
  out["warnings"] = outcome->warnings;
  if (outcome->hub_check) out["hub_check"] = HubVerdictJson(*outcome->hub_check);
  SendJson(res, 201, out);
}

// POST /api/deployments/ID/watchlist/check: a photo as enrolment sees it, before the
// supervisor adds it (EnrolmentService::CheckPhoto): the verdict, the quality measures and
// reasons, what makes it marginal, and the aligned face as a data: URL. Nothing stored.
void CheckEntryPhoto(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return;
  if (!req.is_multipart_form_data()) return SendError(res, 400, "upload the photo as multipart/form-data (field image)");
  if (!req.has_file("image") || req.get_file_value("image").content.empty()) {
    return SendError(res, 400, "field 'image' (the photo file) is required");
  }
  const std::string& image = req.get_file_value("image").content;
  if (Status s = CheckImagePixels(image, "the uploaded photo"); !s.ok()) {
    return SendJson(res, 422, {{"error", s.message()}, {"rejection", s.message()}});
  }
  if (api.enrolment == nullptr) return SendError(res, 503, "enrolment is not available (no models loaded)");
  auto check = api.enrolment->CheckPhoto(d->id, image);
  if (!check.ok()) {
    if (check.status().code() == Status::Code::kInvalidArgument) {
      return SendJson(res, 422, {{"error", check.status().message()}, {"rejection", check.status().message()}});
    }
    return SendStatus(res, check.status());
  }
  nlohmann::json out = {{"verdict", check->verdict}, {"marginal", check->marginal}};
  if (!check->rejection.empty()) out["rejection"] = check->rejection;
  if (check->quality) {
    const QualityReport& q = *check->quality;
    out["quality"] = {{"score", q.score},           {"inter_eye_px", q.inter_eye_px},
                      {"yaw_deg", q.yaw_deg},       {"roll_deg", q.roll_deg},
                      {"sharpness", q.sharpness},   {"detector_score", q.detector_score},
                      {"passed", q.passed},         {"reasons", q.reasons}};
  }
  if (!check->aligned_jpeg.empty()) {
    const std::string& bytes = check->aligned_jpeg;
    std::string b64(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    b64.resize(std::strlen(b64.c_str()));
    out["aligned"] = "data:image/jpeg;base64," + b64;
  }
  res.set_header("Cache-Control", "no-store");
  SendJson(res, 200, out);
}

// GET /api/deployments/ID/forecast: the watchlist's false-alert forecast against the
// background cohort of its recogniser at its threshold (or ?threshold=), against the force's
// cap (or ?cap=). Always 200 when the deployment exists: "status" says whether there was
// anything to forecast ("ok", "no_cohort" with the reason, "empty").
void Forecast(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return;
  double cap = api.options->false_alert_cap;
  if (req.has_param("cap")) {
    const std::string text = req.get_param_value("cap");
    char* end = nullptr;
    cap = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0' || !(cap > 0 && cap <= 1)) {
      return SendError(res, 400, "query parameter 'cap': expected a rate in (0, 1], e.g. 0.001");
    }
  }
  const std::string threshold = req.has_param("threshold") ? req.get_param_value("threshold") : "";
  nlohmann::json base = {{"deployment", d->id}, {"recogniser", d->recogniser_id},
                         {"threshold_spec", threshold.empty() ? d->spec.threshold : threshold}, {"cap", cap}};
  auto entries = api.store->ListWatchlist(d->id, false);
  if (!entries.ok()) return SendStatus(res, entries.status());
  if (entries->empty()) {
    base["status"] = "empty";
    base["message"] = "the watchlist is empty: nothing to forecast";
    return SendJson(res, 200, base);
  }
  Result<BackgroundCohort> cohort =
      api.options->cohort_home.empty()
          ? Result<BackgroundCohort>(Status::NotFound("no background cohort is installed on this server"))
          : BackgroundCohort::Load(DefaultCohortPath(api.options->cohort_home, d->recogniser_id), d->recogniser_id);
  if (!cohort.ok()) {
    base["status"] = "no_cohort";
    base["message"] = "not checked: " + cohort.status().message() +
                      ". Without a background cohort nobody can say which entries would cause false alerts; "
                      "build one with `lfr cohort build` on the server";
    return SendJson(res, 200, base);
  }
  auto f = ForecastDeployment(*api.store, *d, caller.actor, *cohort, threshold, cap);
  if (!f.ok()) return SendStatus(res, f.status());
  nlohmann::json out = ForecastJson(*f);
  out["status"] = "ok";
  SendJson(res, 200, out);
}

void PublishNotice(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto d = LoadDeployment(api, req, res);
  if (!d) return;
  auto cams = api.store->ListCameras(d->id);
  if (!cams.ok()) return SendStatus(res, cams.status());
  std::string text;
  if (!req.body.empty()) {
    auto body = JsonBody(req);
    if (!body.ok()) return SendStatus(res, body.status());
    auto given = OptionalString(*body, "text", text_limits::kNotice, TextKind::kMultiLine);
    if (!given.ok()) return SendStatus(res, given.status());
    text = given->value_or("");
  }
  if (text.empty()) {
    const auto problems = report::NoticeProblems(*d, *cams);
    if (!problems.empty()) {
      std::string msg = "the notice cannot be published yet:";
      for (const auto& p : problems) msg += " " + p + ";";
      msg.pop_back();
      return SendError(res, 409, msg);
    }
    text = report::RenderNoticeText(*d, *cams);
  }
  if (Status s = api.store->PublishNotice(d->id, text, caller.actor); !s.ok()) return SendStatus(res, s);
  auto updated = api.store->GetDeployment(d->id);
  if (!updated.ok()) return SendStatus(res, updated.status());
  SendJson(res, 200, DeploymentDetail(api, *updated));
}

void Report(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto id = PathId(req, "deployment id");
  if (!id.ok()) return SendStatus(res, id.status());
  const std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
  if (format != "json" && format != "html" && format != "csv") {
    return SendError(res, 400, "query parameter 'format': '" + format + "' is not one of json, html, csv");
  }
  auto input = report::GatherReportInput(*api.store, *id, api.clock->NowMs());
  if (!input.ok()) return SendStatus(res, input.status());
  const report::DeploymentReport r = report::BuildReport(*input);
  if (Status a = api.store->Audit(caller.actor, "report.export", "deployment:" + std::to_string(*id),
                                  nlohmann::json({{"format", format}}).dump());
      !a.ok()) {
    return SendStatus(res, a);  // no export without its audit row
  }
  if (format == "html") {
    SendStyledHtml(res, report::RenderReportHtml(r));
  } else if (format == "csv") {
    res.set_header("Content-Disposition", "attachment; filename=\"deployment-" + std::to_string(*id) + "-report.csv\"");
    res.set_content(report::RenderReportCsv(r), "text/csv; charset=utf-8");
  } else {
    res.set_content(report::RenderReportJson(r), "application/json");
  }
}

}  // namespace

void RegisterDeploymentRoutes(Api& api) {
  api.Route("GET", "/api/deployments", Permission::kReadDeployments,
            [&api](const httplib::Request&, httplib::Response& res, const Caller& caller) {
              auto list = api.store->ListDeployments();
              if (!list.ok()) return SendStatus(res, list.status());
              nlohmann::json out = nlohmann::json::array();
              for (const Deployment& d : *list) {
                if (OperatorMaySee(caller, d)) out.push_back(DeploymentJson(d));
              }
              SendJson(res, 200, {{"deployments", out}});
            });
  api.Route("POST", "/api/deployments", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              CreateDeployment(api, req, res, c);
            });
  api.Route("GET", R"(/api/deployments/(\d+))", Permission::kReadDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              if (auto d = LoadVisibleDeployment(api, req, res, caller)) SendJson(res, 200, DeploymentDetail(api, *d));
            });
  api.Route("PUT", R"(/api/deployments/(\d+))", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              auto d = LoadDeployment(api, req, res);
              if (!d) return;
              auto body = JsonBody(req);
              if (!body.ok()) return SendStatus(res, body.status());
              auto spec = ParseDeploymentSpec(*body, d->spec);
              if (!spec.ok()) return SendStatus(res, spec.status());
              auto updated = api.store->UpdateDeployment(d->id, *spec, caller.actor);
              if (!updated.ok()) return SendStatus(res, updated.status());
              SendJson(res, 200, DeploymentDetail(api, *updated));
            });
  api.Route("POST", R"(/api/deployments/(\d+)/start)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              StartDeployment(api, req, res, c);
            });
  api.Route("POST", R"(/api/deployments/(\d+)/close)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              CloseDeployment(api, req, res, c);
            });

  api.Route("POST", R"(/api/deployments/(\d+)/notice)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              PublishNotice(api, req, res, c);
            });
  api.Route("GET", R"(/api/deployments/(\d+)/report)", Permission::kReadReports,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              Report(api, req, res, c);
            });
  api.Route("GET", R"(/api/deployments/(\d+)/cameras)", Permission::kReadDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              auto d = LoadVisibleDeployment(api, req, res, caller);
              if (!d) return;
              auto cams = api.store->ListCameras(d->id);
              if (!cams.ok()) return SendStatus(res, cams.status());
              nlohmann::json out = nlohmann::json::array();
              for (const Camera& c : *cams) out.push_back(CameraJson(c));
              SendJson(res, 200, {{"cameras", out}});
            });
  api.Route("POST", R"(/api/deployments/(\d+)/cameras)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              AddCamera(api, req, res, c);
            });
  api.Route("POST", R"(/api/deployments/(\d+)/cameras/(\d+)/restart)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              RestartCamera(api, req, res, c);
            });
  api.Route("DELETE", R"(/api/cameras/(\d+))", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              auto id = PathId(req, "camera id");
              if (!id.ok()) return SendStatus(res, id.status());
              if (Status s = api.store->RemoveCamera(*id, caller.actor); !s.ok()) return SendStatus(res, s);
              SendJson(res, 200, {{"removed", true}});
            });

  api.Route("GET", R"(/api/deployments/(\d+)/watchlist)", Permission::kViewWatchlist,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              auto d = LoadVisibleDeployment(api, req, res, caller);
              if (!d) return;
              auto entries = api.store->ListWatchlist(d->id, req.get_param_value("removed") == "1");
              if (!entries.ok()) return SendStatus(res, entries.status());
              nlohmann::json out = nlohmann::json::array();
              for (const WatchlistEntry& e : *entries) out.push_back(EntryJson(e, true));
              SendJson(res, 200, {{"entries", out}});
            });
  api.Route("POST", R"(/api/deployments/(\d+)/watchlist)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              UploadEntry(api, req, res, c);
            });
  api.Route("POST", R"(/api/deployments/(\d+)/watchlist/check)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller&) {
              CheckEntryPhoto(api, req, res);
            });
  api.Route("GET", R"(/api/deployments/(\d+)/forecast)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              Forecast(api, req, res, c);
            });
  api.Route("GET", R"(/api/watchlist/(\d+)/image)", Permission::kViewFaceImages,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              auto id = PathId(req, "entry id");
              if (!id.ok()) return SendStatus(res, id.status());
              auto entry = api.store->GetWatchlistEntry(*id);
              if (!entry.ok()) return SendStatus(res, entry.status());
              auto d = api.store->GetDeployment(entry->deployment_id);
              if (!d.ok()) return SendStatus(res, d.status());
              if (!OperatorMaySee(caller, *d)) {
                return SendError(res, 403, "operators may only see watchlist photos of active deployments");
              }
              auto img = api.store->GetEntryImage(*id, caller.actor);
              if (!img.ok()) return SendStatus(res, img.status());
              SendFaceImage(res, std::string(img->view()));
            });
  api.Route("DELETE", R"(/api/watchlist/(\d+))", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
              auto id = PathId(req, "entry id");
              if (!id.ok()) return SendStatus(res, id.status());
              if (Status s = api.store->RemoveWatchlistEntry(*id, caller.actor); !s.ok()) {
                return SendStatus(res, s);
              }
              SendJson(res, 200, {{"removed", true}});
            });

  api.Route("GET", "/api/live", Permission::kReadDeployments,
            [&api](const httplib::Request&, httplib::Response& res, const Caller&) {
              nlohmann::json cams = nlohmann::json::array();
              if (api.runner != nullptr) {
                for (const auto& c : api.runner->Cameras()) cams.push_back(CameraLiveJson(c));
              }
              SendJson(res, 200, {{"cameras", cams}});
            });
}

}  // namespace lfr::server
