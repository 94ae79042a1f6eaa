#include "testing/shared.h"

#include <cstdlib>
#include <mutex>
#include <random>

#include "util/paths.h"
#include "build_info.h"  // LFR_SOURCE_DIR

namespace lfr::testing {
namespace fs = std::filesystem;

bool RequireShared() {
  const char* v = std::getenv("LFR_REQUIRE_SHARED");
  return v != nullptr && std::string(v) == "1";
}

const Catalog& TestCatalog() {
  static const Catalog* catalog = [] {
    auto c = Catalog::Load();
    if (!c.ok()) {
      ADD_FAILURE() << "catalogue failed to load: " << c.status().ToString();
      return new Catalog();
    }
    return new Catalog(std::move(c).value());
  }();
  return *catalog;
}

static fs::path MirrorRoot() {
  if (auto m = ModelMirrorDir()) return *m;
  return fs::path(LFR_SOURCE_DIR) / ".." / "shared" / "models";
}

std::optional<InstalledModel> FindModel(const std::string& id) {
  const Catalog& cat = TestCatalog();
  const ModelSpec* spec = cat.Find(id);
  if (spec == nullptr) return std::nullopt;
  ModelStore installed(&cat, ModelStoreDir(), std::nullopt);
  if (auto m = installed.Locate(id); m.ok()) return m.value();
  InstalledModel out;
  out.spec = spec;
  for (const auto& f : spec->files) {
    fs::path p = MirrorRoot() / f.mirror_path;
    std::error_code ec;
    if (!fs::exists(p, ec) || fs::file_size(p, ec) != f.size) return std::nullopt;
    out.files.push_back(fs::absolute(p));
  }
  return out;
}

std::optional<fs::path> DataRoot() { return DataDir(); }

std::optional<fs::path> FindData(const std::string& rel) {
  auto root = DataDir();
  if (!root) return std::nullopt;
  fs::path p = *root / rel;
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  return p;
}

namespace {
// Removes the temporary directories handed out when the test process exits.
struct TempDirs {
  std::mutex mu;
  std::vector<fs::path> dirs;
  ~TempDirs() {
    for (const auto& d : dirs) {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  }
};
TempDirs g_temp_dirs;
}  // namespace

fs::path TempDir(const std::string& tag) {
  std::lock_guard<std::mutex> lock(g_temp_dirs.mu);
  std::random_device rd;
  fs::path p = fs::temp_directory_path() /
               ("lfr-test-" + tag + "-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(p);
  g_temp_dirs.dirs.push_back(p);
  return p;
}

std::optional<fs::path> HomeWithModels(const std::string& tag, const std::vector<std::string>& model_ids) {
  std::vector<InstalledModel> models;
  for (const auto& id : model_ids) {
    auto m = FindModel(id);
    if (!m) return std::nullopt;
    models.push_back(*m);
  }
  const fs::path home = TempDir(tag);
  for (const auto& m : models) {
    const fs::path dir = home / "models" / m.spec->id;
    fs::create_directories(dir);
    for (const auto& f : m.files) fs::create_symlink(fs::absolute(f), dir / f.filename());
  }
  return home;
}

}  // namespace lfr::testing
