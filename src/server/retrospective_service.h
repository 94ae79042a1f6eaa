// RetrospectiveService: what `lfr serve` needs to run retrospective searches and gallery
// imports for the HTTP API (issue 10) — the same services as `lfr search` and `lfr gallery
// import` (search/retrospective.h, gallery/import.h), with the face analyzer of each
// gallery's recogniser opened once from the model store and kept.
//
// Each gallery's search index (search/gallery_index.h) is kept in memory between searches,
// opened from its sealed file in index_dir (or rebuilt) on first use, and brought up to date
// after an import here, a record removal or a gallery deletion (GalleryChanged,
// GalleryDeleted, called by the API) — and, for changes made by another process (the CLI),
// by the index version check before every search. A tampered index file makes searches of
// that gallery fail with Corrupt (HTTP 500 with the reason), never a crash.
//
// Privacy: the probe is passed as bytes and never written anywhere (RetrospectiveSearch::Run
// wipes what it decoded); uploaded gallery images are decoded in memory and sealed by the
// store. Ownership: the stores must outlive the service. Thread-safety: every method may be
// called from any thread; searches and imports run one at a time (an analyzer is not
// thread-safe), so a long import delays searches.
#ifndef LFR_SERVER_RETROSPECTIVE_SERVICE_H_
#define LFR_SERVER_RETROSPECTIVE_SERVICE_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gallery/import.h"
#include "models/store.h"
#include "search/gallery_index.h"
#include "search/retrospective.h"
#include "store/gallery_store.h"

namespace lfr::server {

class RetrospectiveService {
 public:
  RetrospectiveService(GalleryStore* store, const ModelStore* models,
                       std::filesystem::path index_dir = search::DefaultGalleryIndexDir(),
                       search::FaceIndexOptions index_options = {})
      : store_(store), models_(models), indexes_(store, std::move(index_dir), index_options) {}

  // RetrospectiveSearch::Run with the gallery's analyzer (NotFound if its recogniser is not
  // installed).
  Result<SearchOutcome> Search(const std::string& probe_bytes, const Gallery& gallery, const SearchRequest& request,
                               const Actor& by);
  // ImportGalleryItems with the gallery's analyzer; source as in its audit row ("upload").
  // The gallery's index is brought up to date afterwards.
  Result<GalleryImportSummary> Import(const Gallery& gallery, const std::vector<GalleryImportItem>& items,
                                      const std::string& source, const Actor& by);
  // After a record of the gallery was removed: the index drops it at once.
  Status GalleryChanged(int64_t gallery_id, const Actor& by);
  // After the gallery was deleted: its index leaves memory and its file is deleted.
  Status GalleryDeleted(int64_t gallery_id);
  search::GalleryIndexes& indexes() { return indexes_; }

 private:
  // The analyzer for the gallery's recogniser (mu_ held).
  Result<GalleryAnalyzer*> AnalyzerFor(const Gallery& gallery);
  GalleryStore* store_;
  const ModelStore* models_;
  std::mutex mu_;
  std::map<std::string, GalleryAnalyzer> analyzers_;  // by recogniser id
  search::GalleryIndexes indexes_;
};

}  // namespace lfr::server

#endif  // LFR_SERVER_RETROSPECTIVE_SERVICE_H_
