// The public list of LFR deployments a force publishes on its website: what is coming,
// what is running now and what has finished, with the results of each finished one.
//
// What goes in (PublicDeploymentsJson), per deployment status:
//  * upcoming: planned deployments whose advance notice has been published
//    (notice_published_ms != 0); planned deployments without one are left out entirely.
//    Their details and the notice: its current text, revision number and publication
//    time, and "earlier_revisions" (revision, time and text of each earlier published
//    notice, newest first), so the public sees every change to what was announced. "window_passed" is true once the planned end is at
//    or before now_ms without the deployment having started.
//  * active: every active deployment, its details and notice (null if none was published).
//  * past: closed deployments. One that ran gets "outcome": "completed" and "results":
//    the headline figures of its report (report.h HeadlineJson), or null when no report
//    was supplied. One closed before it started gets "outcome": "cancelled" and no
//    results, and is listed only if its notice had been published.
// Details are report.h's DeploymentDetails (name, site, location, planned and actual times,
// purpose, legal basis, authorising officer as published, status).
//
// What never goes in: watchlist references, names, reasons or images; alert subjects,
// notes, media or who decided them; camera URIs; user names (created_by, closed_by). Only
// the published notice text and the report's aggregate figures leave the deployment.
//
// Document: {"format": "openlfr.public-deployments/1", "generated_ms", "generated_utc",
// "upcoming": [...], "active": [...], "past": [...]}; upcoming by planned start, active by
// actual start, past most recently ended first (planned end for cancelled ones); ties by id.
// Thread-safe (pure function).
#ifndef LFR_REPORT_PUBLIC_LISTING_H_
#define LFR_REPORT_PUBLIC_LISTING_H_

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/report.h"
#include "store/store.h"

namespace lfr::report {

struct PublicDeployment {
  Deployment deployment;                    // as stored; only public fields are copied out
  // BuildReport of this deployment, for a closed one that ran; ignored for other states,
  // and treated as absent when its deployment id differs from deployment.id.
  std::optional<DeploymentReport> results;
  // Store::ListNoticeRevisions of this deployment (oldest first); the last is the current
  // notice. Empty: the current notice alone (deployment.notice_text) is listed.
  std::vector<NoticeRevision> notice_revisions;
};

nlohmann::json PublicDeploymentsJson(const std::vector<PublicDeployment>& deployments, int64_t now_ms);

}  // namespace lfr::report

#endif  // LFR_REPORT_PUBLIC_LISTING_H_
