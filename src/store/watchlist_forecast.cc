#include "store/watchlist_forecast.h"

#include <algorithm>

#include "match/calibration.h"
#include "util/secure.h"

namespace lfr {

using nlohmann::json;

Result<DeploymentForecast> ForecastDeployment(Store& store, const Deployment& deployment, const Actor& by,
                                              const BackgroundCohort& cohort,
                                              const std::string& threshold_spec, double cap) {
  auto entries = store.ListWatchlist(deployment.id, false);
  if (!entries.ok()) return entries.status();
  if (entries->empty()) {
    return Status::FailedPrecondition("deployment " + std::to_string(deployment.id) +
                                      " has no watchlist entries to forecast");
  }
  DeploymentForecast out;
  out.deployment_id = deployment.id;
  out.recogniser_id = deployment.recogniser_id;
  out.threshold_spec = threshold_spec.empty() ? deployment.spec.threshold : threshold_spec;
  out.cap = cap;
  auto threshold = ResolveThreshold(out.threshold_spec, deployment.recogniser_id,
                                    static_cast<int>(entries->size()));
  if (!threshold.ok()) return threshold.status();
  auto emb = store.LoadEmbeddings(deployment.id, by);
  if (!emb.ok()) return emb.status();
  const int dim = cohort.dim();
  SecretBytes matrix(emb->size() * static_cast<size_t>(dim) * sizeof(float));
  for (size_t i = 0; i < emb->size(); ++i) {
    const SecretBytes& e = (*emb)[i].embedding;
    if (e.size() != static_cast<size_t>(dim) * sizeof(float)) {
      return Status::FailedPrecondition("the watchlist's embeddings are not " + std::to_string(dim) + "-d like the cohort's (" +
                                     cohort.model_id() + ")");
    }
    std::copy(e.data(), e.data() + e.size(), matrix.data() + i * e.size());
    out.entry_ids.push_back((*emb)[i].entry_id);
    out.references.push_back((*emb)[i].reference);
  }
  auto f = cohort.Forecast(reinterpret_cast<const float*>(matrix.data()), static_cast<int>(emb->size()), dim,
                           *threshold);
  if (!f.ok()) return f.status();
  out.forecast = std::move(f).value();
  Status audited = store.Audit(by, "watchlist.forecast", "deployment:" + std::to_string(deployment.id),
                               json{{"entries", out.forecast.entries.size()}, {"threshold", out.forecast.threshold},
                                    {"cohort", out.forecast.cohort_size}, {"faces_alerting", out.forecast.faces_alerting},
                                    {"hubs", out.forecast.hubs}}
                                   .dump());
  if (!audited.ok()) return audited;
  return out;
}

json ForecastJson(const DeploymentForecast& d) {
  const WatchlistForecast& f = d.forecast;
  json list = json::array();
  for (const auto& ef : f.entries) {
    const size_t i = static_cast<size_t>(ef.index);
    list.push_back({{"entry", i < d.entry_ids.size() ? d.entry_ids[i] : 0},
                    {"reference", i < d.references.size() ? d.references[i] : ""},
                    {"cohort_hits", ef.cohort_hits}, {"rate", ef.rate}, {"top_score", ef.top_score},
                    {"hubness", ef.hubness}, {"hub_z", ef.hub_z}, {"hub", ef.hub}, {"reason", ef.reason}});
  }
  return json{{"deployment", d.deployment_id}, {"recogniser", d.recogniser_id}, {"threshold", f.threshold},
              {"threshold_spec", d.threshold_spec}, {"cohort_size", f.cohort_size},
              {"faces_alerting", f.faces_alerting}, {"rate", f.rate}, {"rate_upper95", f.rate_upper95},
              {"cap", d.cap}, {"within_cap", f.rate <= d.cap}, {"shown_within_cap", f.rate_upper95 <= d.cap},
              {"over_cap", f.rate > d.cap}, {"hubs", f.hubs}, {"entries", list}};
}

json HubVerdictJson(const HubVerdict& v) {
  json j = {{"checked", v.checked}, {"refused", v.refused}};
  if (!v.checked) {
    j["not_checked"] = v.not_checked;
    return j;
  }
  if (!v.accepted_reason.empty()) j["accepted_reason"] = v.accepted_reason;
  const WatchlistForecast& f = v.forecast;
  j["threshold"] = f.threshold;
  j["cohort_size"] = f.cohort_size;
  if (!f.entries.empty()) {
    const EntryForecast& ef = f.entries[0];
    j["cohort_hits"] = ef.cohort_hits;
    j["rate"] = ef.rate;
    j["top_score"] = ef.top_score;
    j["hub_z"] = ef.hub_z;
    j["hub"] = ef.hub;
    j["reason"] = ef.reason;
  }
  j["list_faces_alerting"] = f.faces_alerting;
  j["list_rate"] = f.rate;
  j["list_rate_upper95"] = f.rate_upper95;
  return j;
}

}  // namespace lfr
