// Forensic search of a deployment's own recorded footage: what `lfr search-video
// --deployment D` and the console's video searches (server/api_video_search.cc) share.
//
// PrepareDeploymentSearch opens, for one deployment and a UTC time range, everything a
// VideoSearch (video_search/video_search.h) needs: the deployment's watchlist (its entries'
// embeddings opened into memory only, audited "watchlist.load"; subjects are the entry
// references), the threshold the deployment alerts at (its spec, "fpir:" resolved with the
// recogniser's calibration), its footage key (audited by the store) and the sealed
// segments of its recording cameras in the range, per camera in time order.
//
// Errors: NotFound (no such deployment; no recorded footage in the range),
// InvalidArgument (from >= to), FailedPrecondition (a closed deployment: its watchlist was
// destroyed when it closed; a planned deployment has no footage).
//
// Ownership: the returned struct owns the watchlist and the key the units point to; keep
// it (not a copy) alive while the search runs. Thread-safety: call from one thread.
#ifndef LFR_VIDEO_SEARCH_DEPLOYMENT_SEARCH_H_
#define LFR_VIDEO_SEARCH_DEPLOYMENT_SEARCH_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"
#include "video_search/video_search.h"

namespace lfr {

struct DeploymentSearch {
  Deployment deployment;
  std::unique_ptr<Watchlist> watchlist;
  float threshold = 0;
  std::unique_ptr<SecretBytes> footage_key;
  std::vector<VideoUnit> units;
  int cameras = 0;  // cameras with footage in the range
};

Result<std::unique_ptr<DeploymentSearch>> PrepareDeploymentSearch(Store& store, const std::string& deployment,
                                                                  int64_t from_ms, int64_t to_ms,
                                                                  const std::filesystem::path& footage_root,
                                                                  const Actor& by);

}  // namespace lfr

#endif  // LFR_VIDEO_SEARCH_DEPLOYMENT_SEARCH_H_
