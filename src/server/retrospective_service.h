// RetrospectiveService: what `lfr serve` needs to run retrospective searches and gallery
// imports for the HTTP API (issue 10) — the same services as `lfr search` and `lfr gallery
// import` (search/retrospective.h, gallery/import.h), with the face analyzer of each
// gallery's recogniser opened once from the model store and kept.
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
#include "search/retrospective.h"
#include "store/gallery_store.h"

namespace lfr::server {

class RetrospectiveService {
 public:
  RetrospectiveService(GalleryStore* store, const ModelStore* models) : store_(store), models_(models) {}

  // RetrospectiveSearch::Run with the gallery's analyzer (NotFound if its recogniser is not
  // installed).
  Result<SearchOutcome> Search(const std::string& probe_bytes, const Gallery& gallery, const SearchRequest& request,
                               const Actor& by);
  // ImportGalleryItems with the gallery's analyzer; source as in its audit row ("upload").
  Result<GalleryImportSummary> Import(const Gallery& gallery, const std::vector<GalleryImportItem>& items,
                                      const std::string& source, const Actor& by);

 private:
  // The analyzer for the gallery's recogniser (mu_ held).
  Result<GalleryAnalyzer*> AnalyzerFor(const Gallery& gallery);
  GalleryStore* store_;
  const ModelStore* models_;
  std::mutex mu_;
  std::map<std::string, GalleryAnalyzer> analyzers_;  // by recogniser id
};

}  // namespace lfr::server

#endif  // LFR_SERVER_RETROSPECTIVE_SERVICE_H_
