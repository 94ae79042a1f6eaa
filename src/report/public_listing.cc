#include "report/public_listing.h"

#include <algorithm>
#include <tuple>

#include "report/format.h"

namespace lfr::report {
namespace {

struct Entry {
  int64_t sort_key;
  int64_t id;
  nlohmann::json json;
};

nlohmann::json NoticeJson(const Deployment& d) {
  if (d.notice_published_ms == 0) return nullptr;
  return {{"published_ms", d.notice_published_ms},
          {"published_utc", internal::IsoUtc(d.notice_published_ms)},
          {"text", d.notice_text}};
}

nlohmann::json Sorted(std::vector<Entry> entries, bool newest_first) {
  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    if (a.sort_key != b.sort_key) return newest_first ? a.sort_key > b.sort_key : a.sort_key < b.sort_key;
    return a.id < b.id;
  });
  nlohmann::json out = nlohmann::json::array();
  for (auto& e : entries) out.push_back(std::move(e.json));
  return out;
}

}  // namespace

nlohmann::json PublicDeploymentsJson(const std::vector<PublicDeployment>& deployments, int64_t now_ms) {
  std::vector<Entry> upcoming, active, past;
  for (const auto& p : deployments) {
    const Deployment& d = p.deployment;
    const bool noticed = d.notice_published_ms != 0;
    nlohmann::json j = DetailsJson(PublicDetails(d));
    switch (d.status) {
      case DeploymentStatus::kPlanned:
        if (!noticed) break;
        j["notice"] = NoticeJson(d);
        j["window_passed"] = d.spec.planned_end_ms <= now_ms;
        upcoming.push_back({d.spec.planned_start_ms, d.id, std::move(j)});
        break;
      case DeploymentStatus::kActive:
        j["notice"] = NoticeJson(d);
        active.push_back({d.started_ms, d.id, std::move(j)});
        break;
      case DeploymentStatus::kClosed:
        if (d.started_ms == 0) {
          if (!noticed) break;
          j["notice"] = NoticeJson(d);
          j["outcome"] = "cancelled";
          j["results"] = nullptr;
          past.push_back({d.spec.planned_end_ms, d.id, std::move(j)});
          break;
        }
        j["notice"] = NoticeJson(d);
        j["outcome"] = "completed";
        j["results"] = (p.results && p.results->deployment.id == d.id) ? HeadlineJson(*p.results)
                                                                       : nlohmann::json(nullptr);
        past.push_back({d.closed_ms, d.id, std::move(j)});
        break;
    }
  }
  return {{"format", "openlfr.public-deployments/1"},
          {"generated_ms", now_ms},
          {"generated_utc", internal::IsoUtc(now_ms)},
          {"upcoming", Sorted(std::move(upcoming), false)},
          {"active", Sorted(std::move(active), false)},
          {"past", Sorted(std::move(past), true)}};
}

}  // namespace lfr::report
