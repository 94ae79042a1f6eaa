// Helpers shared by `lfr watch` and `lfr search-video`: locating the models, hardening the
// process before faces enter memory, and enrolling a watchlist folder in memory. Not part
// of the library's public surface. On failure each prints the reason and sets the exit code.
#ifndef LFR_CLI_WATCH_COMMON_H_
#define LFR_CLI_WATCH_COMMON_H_

#include <optional>
#include <string>

#include "cli/cli.h"
#include "match/watchlist.h"
#include "models/store.h"

namespace lfr::cli {

// Models by id ("" = default). Prints the error and sets exit 3 when one is missing.
bool LocateModels(const ModelStore& store, const std::string& detector_id, const std::string& recogniser_id,
                  Context& ctx, InstalledModel* det, InstalledModel* rec);

// Called before any face enters memory: no core dumps, no swapping, so face buffers
// cannot reach the disk by a side door. What the OS refuses is reported, not fatal.
void Harden(Context& ctx);

// Enrols the images of a watchlist folder (listing: ListWatchlistDir(dir)) in memory with
// the still-image path at full resolution; rejections and the count on stderr. nullopt
// (exit set) if the analyzer cannot be opened or no subject could be enrolled.
std::optional<Watchlist> EnrolWatchlistFolder(const std::string& dir, const std::vector<SubjectImages>& listing,
                                              const ModelStore& store, const InstalledModel& det,
                                              const InstalledModel& rec, Context& ctx);

}  // namespace lfr::cli

#endif  // LFR_CLI_WATCH_COMMON_H_
