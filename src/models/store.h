// ModelStore: the installed copies of catalogue models under $LFR_HOME/models.
//
// Layout: <root>/<model id>/<file name>. A model is "installed" when every file exists
// with the catalogue's size (Verify() additionally re-hashes). Fetch() installs a model
// from a mirror folder (LFR_MODEL_MIRROR, laid out like the shared models folder) or
// from its upstream URLs (libcurl), verifying size and SHA-256 and refusing a mismatch;
// it writes to a temporary file in the same folder and renames it into place, so no
// partial file is ever visible under the final name.
//
// Thread-safety: const methods are safe to call concurrently; Fetch() on the same model
// from two processes is safe (each writes its own temp file, rename is atomic).
#ifndef LFR_MODELS_STORE_H_
#define LFR_MODELS_STORE_H_

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models/catalog.h"
#include "util/status.h"

namespace lfr {

// A model ready to load: its spec and the absolute paths of its files, in catalogue order.
struct InstalledModel {
  const ModelSpec* spec = nullptr;  // points into the Catalog, which must outlive this
  std::vector<std::filesystem::path> files;
};

// Progress callback for Fetch(): bytes of the model in place so far (files already
// installed count as done) and the model's total size from the catalogue. Called from the
// fetching thread, possibly many times with the same value.
using FetchProgress = std::function<void(uint64_t done, uint64_t total)>;

class ModelStore {
 public:
  // root: usually ModelStoreDir(); mirror: usually ModelMirrorDir().
  ModelStore(const Catalog* catalog, std::filesystem::path root,
             std::optional<std::filesystem::path> mirror);

  bool IsInstalled(const ModelSpec& spec) const;
  // NotFound if the id is unknown or the model is not installed (message says how to fetch).
  Result<InstalledModel> Locate(const std::string& id) const;
  // The installed model of this role with the highest priority; NotFound if none.
  Result<InstalledModel> DefaultFor(ModelRole role) const;
  // Installs the model: each file already present with the catalogue's size and SHA-256 is
  // kept, every other one is fetched (mirror first, then the URLs in order). Corrupt if a
  // source's copy fails the size/SHA-256 check (and no other source had a good one),
  // Unavailable/NotFound naming every place tried if none had it, IOError if the store
  // cannot be written. On failure no file of this model is left half-written.
  Status Fetch(const ModelSpec& spec, const FetchProgress& progress = nullptr) const;
  // Re-hashes every installed file; Corrupt names the first bad one.
  Status Verify(const ModelSpec& spec) const;

  const std::filesystem::path& root() const { return root_; }
  const Catalog& catalog() const { return *catalog_; }

 private:
  const Catalog* catalog_;
  std::filesystem::path root_;
  std::optional<std::filesystem::path> mirror_;
};

// Lower-case hex SHA-256 of a file (libsodium); IOError if unreadable.
Result<std::string> Sha256File(const std::filesystem::path& path);

}  // namespace lfr

#endif  // LFR_MODELS_STORE_H_
