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

nlohmann::json NoticeJson(const PublicDeployment& p) {
  const Deployment& d = p.deployment;
  if (d.notice_published_ms == 0) return nullptr;
  nlohmann::json earlier = nlohmann::json::array();
  const auto& revs = p.notice_revisions;
  for (size_t i = revs.size(); i-- > 1;) {  // all but the last (current), newest first
    earlier.push_back({{"revision", revs[i - 1].revision},
                       {"published_ms", revs[i - 1].published_ms},
                       {"published_utc", internal::IsoUtc(revs[i - 1].published_ms)},
                       {"text", revs[i - 1].text}});
  }
  return {{"revision", revs.empty() ? std::max(d.notice_revision, 1) : revs.back().revision},
          {"published_ms", d.notice_published_ms},
          {"published_utc", internal::IsoUtc(d.notice_published_ms)},
          {"text", d.notice_text},
          {"earlier_revisions", earlier}};
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
        j["notice"] = NoticeJson(p);
        j["window_passed"] = d.spec.planned_end_ms <= now_ms;
        upcoming.push_back({d.spec.planned_start_ms, d.id, std::move(j)});
        break;
      case DeploymentStatus::kActive:
        j["notice"] = NoticeJson(p);
        active.push_back({d.started_ms, d.id, std::move(j)});
        break;
      case DeploymentStatus::kClosed:
        if (d.started_ms == 0) {
          if (!noticed) break;
          j["notice"] = NoticeJson(p);
          j["outcome"] = "cancelled";
          j["results"] = nullptr;
          past.push_back({d.spec.planned_end_ms, d.id, std::move(j)});
          break;
        }
        j["notice"] = NoticeJson(p);
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
