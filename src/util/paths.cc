#include "util/paths.h"

#include <cstdlib>
#include "build_info.h"  // LFR_SOURCE_DIR

namespace lfr {
namespace fs = std::filesystem;

namespace {
std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}
}  // namespace

fs::path HomeDir() {
  if (auto h = Env("LFR_HOME")) return fs::path(*h);
  if (auto x = Env("XDG_DATA_HOME")) return fs::path(*x) / "openlfr";
  if (auto h = Env("HOME")) return fs::path(*h) / ".local" / "share" / "openlfr";
  return fs::path(".openlfr");
}

fs::path ModelStoreDir() { return HomeDir() / "models"; }

std::optional<fs::path> ModelMirrorDir() {
  if (auto m = Env("LFR_MODEL_MIRROR")) return fs::path(*m);
  return std::nullopt;
}

std::optional<fs::path> DataDir() {
  if (auto d = Env("LFR_DATA")) return fs::path(*d);
  fs::path beside = fs::path(LFR_SOURCE_DIR) / ".." / "shared" / "data";
  std::error_code ec;
  if (fs::is_directory(beside, ec)) return fs::weakly_canonical(beside, ec);
  return std::nullopt;
}

fs::path CatalogPath() {
  if (auto c = Env("LFR_CATALOG")) return fs::path(*c);
  fs::path installed = fs::path(LFR_SOURCE_DIR) / "models" / "catalog.json";
  return installed;
}

}  // namespace lfr
