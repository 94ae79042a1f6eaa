// Forensic search of a deployment's recorded footage over HTTP (issue 12): a supervisor
// starts a search of a time range as a background job, follows its progress and reads its
// result — the appearances of the deployment's watchlist entries (camera, start and end
// time, best face's score and quality, entry reference), never anything about other faces
// and never a face image. The same code as `lfr search-video --deployment D`
// (video_search/deployment_search.h, video_search/jobs.h).
//
//   POST /api/deployments/{id}/video-searches        {"from": ISO 8601 UTC, "to": ...}
//        202 the job (status "running"); 400 bad range, 404 no such deployment or no
//        footage in the range, 409 closed or planned deployment, 503 another search running
//   GET  /api/deployments/{id}/video-searches        the deployment's jobs (newest first)
//   GET  /api/deployments/{id}/video-searches/{sid}  one job with progress and, once
//        completed, its appearances
//   DELETE /api/deployments/{id}/video-searches/{sid}  cancels a running job
//
// Supervisors only (manage deployments): the results are alert-like data drawn from the
// deployment's watchlist. Audited: the requests (the router) and the job's start and
// finish (video_search.start / video_search.finish: who, deployment, range, counts).
#include "server/api.h"
#include "util/clock.h"
#include "video_search/jobs.h"

namespace lfr::server {
namespace {
using nlohmann::json;

// The job of the path (deployment, search id) or the error response sent.
std::optional<VideoJob> LoadJob(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto dep = ParseId(req.matches[1], "deployment id");
  if (!dep.ok()) {
    SendStatus(res, dep.status());
    return std::nullopt;
  }
  auto id = ParseId(req.matches[2], "video search id");
  if (!id.ok()) {
    SendStatus(res, id.status());
    return std::nullopt;
  }
  auto job = api.video_searches != nullptr ? api.video_searches->Get(*id)
                                           : Result<VideoJob>(Status::NotFound("no video search"));
  if (!job.ok() || job->deployment_id != *dep) {
    SendError(res, 404, "no video search " + std::to_string(*id) + " of deployment " + std::to_string(*dep));
    return std::nullopt;
  }
  return *job;
}

bool Available(Api& api, httplib::Response& res) {
  if (api.video_searches == nullptr) {
    SendError(res, 503, "video search is not available on this server");
    return false;
  }
  return true;
}

}  // namespace

void RegisterVideoSearchRoutes(Api& api) {
  api.Route("POST", R"(/api/deployments/(\d+)/video-searches)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              if (!Available(api, res)) return;
              auto dep = ParseId(req.matches[1], "deployment id");
              if (!dep.ok()) return SendStatus(res, dep.status());
              const json body = json::parse(req.body, nullptr, false);
              if (!body.is_object()) return SendError(res, 400, "the body must be a JSON object with from and to");
              int64_t from = 0, to = 0;
              for (auto [name, ms] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
                if (!body.contains(name) || !body[name].is_string() || !ParseUtcMs(body[name].get<std::string>(), ms)) {
                  return SendError(res, 400, std::string(name) + ": give a UTC time (ISO 8601, e.g. 2026-12-01T14:00Z)");
                }
              }
              auto job = api.video_searches->Start(std::to_string(*dep), from, to, c.actor);
              if (!job.ok()) return SendStatus(res, job.status());
              SendJson(res, 202, VideoJobToJson(*job, false));
            });
  api.Route("GET", R"(/api/deployments/(\d+)/video-searches)", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller&) {
              auto dep = ParseId(req.matches[1], "deployment id");
              if (!dep.ok()) return SendStatus(res, dep.status());
              auto d = api.store->GetDeployment(*dep);
              if (!d.ok()) return SendStatus(res, d.status());
              json out = json::array();
              if (api.video_searches == nullptr) return SendJson(res, 200, {{"video_searches", out}});
              for (const VideoJob& j : api.video_searches->List(*dep)) out.push_back(VideoJobToJson(j, false));
              SendJson(res, 200, {{"video_searches", out}});
            });
  api.Route("GET", R"(/api/deployments/(\d+)/video-searches/(\d+))", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller&) {
              if (auto job = LoadJob(api, req, res)) SendJson(res, 200, VideoJobToJson(*job, true));
            });
  api.Route("DELETE", R"(/api/deployments/(\d+)/video-searches/(\d+))", Permission::kManageDeployments,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller&) {
              if (!Available(api, res)) return;
              auto job = LoadJob(api, req, res);
              if (!job) return;
              if (Status s = api.video_searches->Cancel(job->id); !s.ok()) return SendStatus(res, s);
              SendJson(res, 200, {{"cancelled", job->state == VideoJobState::kRunning}, {"id", job->id}});
            });
}

}  // namespace lfr::server
