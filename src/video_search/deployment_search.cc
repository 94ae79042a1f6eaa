#include "video_search/deployment_search.h"

#include <algorithm>
#include <set>

#include "match/calibration.h"
#include "store/alert_sink.h"
#include "util/clock.h"

namespace lfr {

Result<std::unique_ptr<DeploymentSearch>> PrepareDeploymentSearch(Store& store, const std::string& deployment,
                                                                  int64_t from_ms, int64_t to_ms,
                                                                  const std::filesystem::path& footage_root,
                                                                  const Actor& by) {
  if (from_ms >= to_ms) {
    return Status::InvalidArgument("the time range is empty: " + FormatUtcMs(from_ms) + " is not before " +
                                   FormatUtcMs(to_ms));
  }
  auto dep = store.FindDeployment(deployment);
  if (!dep.ok()) return dep.status();
  const std::string name = "deployment " + std::to_string(dep->id) + " (" + dep->spec.name + ")";
  if (dep->status == DeploymentStatus::kClosed) {
    return Status::FailedPrecondition(name + " is closed: its watchlist was destroyed when it closed, so its "
                                             "footage cannot be searched for it");
  }
  if (dep->status == DeploymentStatus::kPlanned) {
    return Status::FailedPrecondition(name + " has not started: it has no recorded footage");
  }
  auto cameras = store.ListCameras(dep->id);
  if (!cameras.ok()) return cameras.status();
  std::vector<FootageCamera> fc;
  for (const Camera& c : *cameras) fc.push_back({c.id, c.name});
  // Which cameras have footage in the range is known from the file names alone, before any
  // key is opened or any watchlist loaded.
  auto out = std::make_unique<DeploymentSearch>();
  out->deployment = *dep;
  out->units = FootageUnits(footage_root, dep->id, fc, from_ms, to_ms, nullptr);
  if (out->units.empty()) {
    return Status::NotFound("no recorded footage of " + name + " between " + FormatUtcMs(from_ms) + " and " +
                            FormatUtcMs(to_ms));
  }
  std::set<std::string> with_footage;
  for (const auto& u : out->units) with_footage.insert(u.source);
  out->cameras = static_cast<int>(with_footage.size());

  auto key = store.FootageKey(dep->id, by);
  if (!key.ok()) return key.status();
  out->footage_key = std::make_unique<SecretBytes>(std::move(key).value());
  for (auto& u : out->units) u.footage_key = out->footage_key.get();

  auto loaded = LoadDeploymentWatchlist(store, dep->id, by);
  if (!loaded.ok()) return loaded.status();
  if (loaded->watchlist.subjects() == 0) {
    return Status::FailedPrecondition(name + " has no watchlist entries to search for");
  }
  auto threshold = ResolveThreshold(dep->spec.threshold, dep->recogniser_id, loaded->watchlist.subjects());
  if (!threshold.ok()) return threshold.status();
  out->threshold = *threshold;
  out->watchlist = std::make_unique<Watchlist>(std::move(loaded->watchlist));
  return out;
}

}  // namespace lfr
