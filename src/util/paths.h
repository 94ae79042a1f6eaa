// Where OpenLFR keeps and finds things on disk, resolved from the environment.
//
//   LFR_HOME          the system's own state (models/, the database, keys). Default
//                     $XDG_DATA_HOME/openlfr, else ~/.local/share/openlfr.
//   LFR_MODEL_MIRROR  a folder laid out like the shared models folder; `lfr models fetch`
//                     copies from it instead of downloading (air-gapped sites, CI).
//   LFR_DATA          the public evaluation data (lfw/, fairface-dev/, video/). Default
//                     <source dir>/../shared/data when that exists.
//
// All functions are thread-safe (they only read the environment).
#ifndef LFR_UTIL_PATHS_H_
#define LFR_UTIL_PATHS_H_

#include <filesystem>
#include <optional>

namespace lfr {

std::filesystem::path HomeDir();
std::filesystem::path ModelStoreDir();  // HomeDir()/models
std::optional<std::filesystem::path> ModelMirrorDir();
// LFR_DATA, else the shared data folder beside the source tree, else nullopt.
std::optional<std::filesystem::path> DataDir();
// The repository's models/catalog.json (LFR_CATALOG overrides; for tests and packaging).
std::filesystem::path CatalogPath();

}  // namespace lfr

#endif  // LFR_UTIL_PATHS_H_
