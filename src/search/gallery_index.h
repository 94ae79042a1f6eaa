// GalleryIndexes: the search index of each gallery (retrospective search, issue 10) — kept in
// memory between searches, persisted only sealed, and up to date with the gallery's live
// records.
//
// Persistence: one sealed file per gallery, <dir>/gallery-<id>.index (dir is
// $LFR_HOME/galleries for the CLI and the server). A file, not a store table: an index of a
// large gallery is gigabytes (10M faces: ~11 GB), beyond what an SQLite BLOB holds, and it is
// a cache that can always be rebuilt from the store's sealed embeddings. Its layout:
// "LFRGIDX1" || gallery index_version (u64, little-endian) || SealFaceIndexToFd(index, key, aad)
// (sealed 1 MiB pieces: a 10M-face index is saved and opened without a second copy in memory)
// with key = GalleryStore::GalleryIndexKey (a subkey of the gallery's data key) and aad =
// "gallery:<id>:index:<version>": a file of another gallery, or with its version edited,
// fails authentication like a tampered one. Written to a temporary file, fsynced and renamed,
// so a kill leaves the old file or the new one. Deleting the gallery destroys the key (the
// file can never be opened again) and Forget deletes the file.
//
// Currency: the store bumps a gallery's index_version in the same transaction as each import
// commit and record removal. An index at the gallery's version is used as is (no record is
// read). Otherwise it is brought up to date before it is searched: ids that are no longer live
// are removed (so a removed record is unfindable from the next search on, whichever process
// removed it), and live records it lacks are added from the store's embeddings; then the file
// is sealed again.
//
// A missing file is rebuilt from the store's embeddings: an exact index at once and, when the
// gallery has options.exact_below faces or more, the approximate one (BuildFaceIndex) in the
// background (ManagedFaceIndex) while the exact one serves — or, with wait_for_builds (the
// CLI, which exits after one search), before Get returns. The file is saved once the build
// is in. A file that fails authentication or is not an index is refused: Get returns Corrupt
// naming the file and what to do; it is never silently replaced (it may be evidence of
// tampering): `lfr gallery reindex` deletes and rebuilds it deliberately.
//
// Thread-safety: every method may be called from any thread (one lock; searches of one
// gallery's index run concurrently, ManagedFaceIndex's own lock). Ownership: the store must
// outlive this object. Privacy: unsealed indexes exist only in memory.
#ifndef LFR_SEARCH_GALLERY_INDEX_H_
#define LFR_SEARCH_GALLERY_INDEX_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "search/index.h"
#include "store/gallery_store.h"

namespace lfr::search {

class GalleryIndexes {
 public:
  GalleryIndexes(GalleryStore* store, std::filesystem::path dir, FaceIndexOptions options = {},
                 bool wait_for_builds = false);

  // The gallery's index, up to date with its live records (see above), for probes of `dim`
  // values. FailedPrecondition for a deleted gallery; Corrupt for a tampered file;
  // InvalidArgument if the index is of another dimension; the store's errors otherwise.
  // `gallery` must be fresh from the store (its index_version is compared).
  Result<std::shared_ptr<ManagedFaceIndex>> Get(const Gallery& gallery, int dim, const Actor& by);
  // Brings an index held in memory (or the sealed file, if there is one) up to date after the
  // gallery changed; does nothing when neither exists (the next Get builds it). The same
  // errors as Get.
  Status Refresh(const Gallery& gallery, const Actor& by);
  // Drops the gallery's index from memory and deletes its file (gallery deleted, or a
  // deliberate rebuild). IOError if the file cannot be deleted.
  Status Forget(int64_t gallery_id);

  // Forget, then build the index from the store's embeddings now (waiting for an approximate
  // build) and save it. Returns the number of faces indexed (0: an empty gallery, no file).
  Result<int64_t> Reindex(const Gallery& gallery, const Actor& by);

  std::filesystem::path PathFor(int64_t gallery_id) const;
  // Seals the index into its file now (Get and Refresh do it when needed).
  Status Save(int64_t gallery_id);

 private:
  struct Entry {
    std::shared_ptr<ManagedFaceIndex> index;
    int64_t version = -1;   // the gallery index_version the index reflects
    bool saved = false;     // the file holds this version and the current build
  };
  // All expect mu_ held.
  Result<Entry*> Load(const Gallery& gallery, int dim, const Actor& by);
  Result<std::unique_ptr<FaceIndex>> OpenFile(const Gallery& gallery, const SecretBytes& key, uint64_t* version) const;
  Status CatchUp(const Gallery& gallery, Entry* e, const Actor& by);
  Status SaveLocked(int64_t gallery_id, Entry* e);
  // dim 0: the dimension of the gallery's first embedding.
  Result<std::unique_ptr<FaceIndex>> Build(const Gallery& gallery, int dim, const Actor& by);

  GalleryStore* store_;
  const std::filesystem::path dir_;
  const FaceIndexOptions options_;
  const bool wait_for_builds_;
  std::mutex mu_;
  std::map<int64_t, Entry> entries_;
};

// $LFR_HOME/galleries: where the CLI and the server keep sealed gallery indexes.
std::filesystem::path DefaultGalleryIndexDir();

}  // namespace lfr::search

#endif  // LFR_SEARCH_GALLERY_INDEX_H_
