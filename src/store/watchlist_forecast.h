// A deployment's watchlist false-alert forecast (match/cohort.h) as both the command line
// (`lfr watchlist forecast`) and the API (GET /api/deployments/ID/forecast) give it, and the
// JSON forms of a forecast and of one enrolment's hub verdict, so both speak one vocabulary.
//
// The cap is the false-alert rate per face seen that a force's procedure allows (e.g. 1 in
// 1,000). A cohort of n faces cannot show a rate below about 3.7 / n at 95 % confidence
// (2,100 faces: 1.8e-3), so the JSON says separately whether the measured rate is within
// the cap (within_cap) and whether its Wilson upper bound is (shown_within_cap).
//
// Privacy: the embeddings are opened only for the comparison (the store audits the load)
// and each forecast is audited as watchlist.forecast; nothing of them is kept. Thread-safety:
// as the Store's; pure JSON functions.
#ifndef LFR_STORE_WATCHLIST_FORECAST_H_
#define LFR_STORE_WATCHLIST_FORECAST_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "match/cohort.h"
#include "store/store.h"

namespace lfr {

struct DeploymentForecast {
  int64_t deployment_id = 0;
  std::string recogniser_id;
  std::string threshold_spec;          // as given ("0.6", "fpir:1e-3")
  WatchlistForecast forecast;
  std::vector<int64_t> entry_ids;      // per forecast entry, in its order
  std::vector<std::string> references;
  double cap = 1e-3;
};

// Opens the deployment's current embeddings (as `by`), resolves threshold_spec ("" = the
// deployment's) for the list's size and scores the list against the cohort; audits
// watchlist.forecast. FailedPrecondition for an empty watchlist; InvalidArgument when the
// embeddings are not the cohort's dimension or the threshold does not resolve.
Result<DeploymentForecast> ForecastDeployment(Store& store, const Deployment& deployment, const Actor& by,
                                              const BackgroundCohort& cohort,
                                              const std::string& threshold_spec, double cap);

// {deployment, recogniser, threshold, threshold_spec, cohort_size, faces_alerting, rate,
//  rate_upper95, cap, within_cap, shown_within_cap, over_cap, hubs, entries: [{entry,
//  reference, cohort_hits, rate, top_score, hubness, hub_z, hub, reason}]}
nlohmann::json ForecastJson(const DeploymentForecast& f);
// {checked, not_checked?, refused, accepted_reason?, threshold, cohort_size, cohort_hits,
//  rate, top_score, hub_z, hub, reason, list_faces_alerting, list_rate, list_rate_upper95}
nlohmann::json HubVerdictJson(const HubVerdict& v);

}  // namespace lfr

#endif  // LFR_STORE_WATCHLIST_FORECAST_H_
