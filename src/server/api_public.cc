// Unauthenticated routes: the public deployment list with notices and published results,
// each published notice, and Prometheus metrics (counts and latencies only). Nothing here
// carries personal data (report/public_listing.h says what is included).
#include <sstream>

#include <spdlog/spdlog.h>

#include "report/notice.h"
#include "report/public_listing.h"
#include "report/report.h"
#include "server/api.h"

namespace lfr::server {
namespace {

std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string PrometheusText(const std::vector<LiveRunner::CameraLive>& cams) {
  using C = LiveRunner::CameraLive;
  struct Metric {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const C&);
  };
  static const Metric metrics[] = {
      {"lfr_camera_up", "gauge", "1 while the camera delivers frames",
       [](const C& c) { return c.health == "up" ? 1.0 : 0.0; }},
      {"lfr_frames_read_total", "counter", "Frames read from the camera",
       [](const C& c) { return static_cast<double>(c.frames_read); }},
      {"lfr_frames_processed_total", "counter", "Frames the pipeline looked at",
       [](const C& c) { return static_cast<double>(c.frames_processed); }},
      {"lfr_frames_dropped_total", "counter", "Frames dropped because the pipeline was busy",
       [](const C& c) { return static_cast<double>(c.frames_dropped); }},
      {"lfr_faces_detected_total", "counter", "Face detections",
       [](const C& c) { return static_cast<double>(c.faces_detected); }},
      {"lfr_faces_seen_total", "counter", "Distinct faces (tracks) seen",
       [](const C& c) { return static_cast<double>(c.tracks); }},
      {"lfr_embeddings_total", "counter", "Faces embedded and searched",
       [](const C& c) { return static_cast<double>(c.embeddings); }},
      {"lfr_alerts_total", "counter", "Alerts raised",
       [](const C& c) { return static_cast<double>(c.alerts); }},
      {"lfr_decision_latency_p50_ms", "gauge", "Frame read to match decision, median (ms)",
       [](const C& c) { return c.decision_p50_ms; }},
      {"lfr_decision_latency_p95_ms", "gauge", "Frame read to match decision, 95th percentile (ms)",
       [](const C& c) { return c.decision_p95_ms; }},
      {"lfr_detect_latency_p50_ms", "gauge", "Face detection per frame, median (ms)",
       [](const C& c) { return c.detect_p50_ms; }},
  };
  std::ostringstream o;
  for (const Metric& m : metrics) {
    o << "# HELP " << m.name << " " << m.help << "\n# TYPE " << m.name << " " << m.type << "\n";
    for (const C& c : cams) {
      o << m.name << "{deployment=\"" << c.deployment_id << "\",camera=\"" << Label(c.camera)
        << "\"} " << m.value(c) << "\n";
    }
  }
  return o.str();
}

void RegisterPublicRoutes(Api& api) {
  api.http->Get("/public/deployments.json", [&api](const httplib::Request&, httplib::Response& res) {
    auto list = api.store->ListDeployments();
    if (!list.ok()) return SendStatus(res, list.status());
    const int64_t now = api.clock->NowMs();
    std::vector<report::PublicDeployment> out;
    for (const Deployment& d : *list) {
      report::PublicDeployment p{d, std::nullopt, {}};
      if (d.notice_published_ms != 0) {
        auto revs = api.store->ListNoticeRevisions(d.id);
        if (!revs.ok()) return SendStatus(res, revs.status());
        p.notice_revisions = std::move(*revs);
      }
      if (d.status == DeploymentStatus::kClosed) {
        auto input = report::GatherReportInput(*api.store, d.id, now);
        if (input.ok()) {
          p.results = report::BuildReport(*input);
        } else {
          spdlog::error("public listing: no results for deployment {}: {}", d.id, input.status().ToString());
        }
      }
      out.push_back(std::move(p));
    }
    res.set_header("Cache-Control", "public, max-age=60");
    SendJson(res, 200, report::PublicDeploymentsJson(out, now));
  });
  api.http->Get(R"(/public/deployments/(\d+)/notice)", [&api](const httplib::Request& req, httplib::Response& res) {
    auto id = ParseId(req.matches[1], "deployment id");
    if (!id.ok()) return SendStatus(res, id.status());
    auto d = api.store->GetDeployment(*id);
    if (!d.ok() || d->notice_published_ms == 0) {
      return SendError(res, 404, "no published notice for deployment " + req.matches[1].str());
    }
    // The notice exactly as published (stored text), never re-rendered from the record.
    auto revs = api.store->ListNoticeRevisions(d->id);
    if (!revs.ok()) return SendStatus(res, revs.status());
    if (revs->empty()) return SendError(res, 404, "no published notice for deployment " + req.matches[1].str());
    int shown = revs->back().revision;
    if (req.has_param("revision")) {
      auto r = ParseId(req.get_param_value("revision"), "query parameter 'revision'");
      if (!r.ok() || *r < 1 || *r > static_cast<int64_t>(revs->size())) {
        return SendError(res, 404, "deployment " + req.matches[1].str() + " has no notice revision '" +
                                       req.get_param_value("revision") + "' (revisions 1 to " +
                                       std::to_string(revs->size()) + ")");
      }
      shown = static_cast<int>(*r);
    }
    SendStyledHtml(res, report::RenderPublishedNoticeHtml(d->spec.name, *revs, shown));
  });
  api.http->Get("/metrics", [&api](const httplib::Request&, httplib::Response& res) {
    std::vector<LiveRunner::CameraLive> cams;
    if (api.runner != nullptr) cams = api.runner->Cameras();
    res.set_content(PrometheusText(cams), "text/plain; version=0.0.4");
  });
}

}  // namespace lfr::server
