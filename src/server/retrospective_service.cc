#include "server/retrospective_service.h"

namespace lfr::server {

Result<GalleryAnalyzer*> RetrospectiveService::AnalyzerFor(const Gallery& gallery) {
  auto it = analyzers_.find(gallery.recogniser_id);
  if (it == analyzers_.end()) {
    auto opened = OpenGalleryAnalyzer(*models_, gallery);
    if (!opened.ok()) {
      return Status::NotFound("gallery " + gallery.spec.name + " uses recogniser " + gallery.recogniser_id + ": " +
                              opened.status().message());
    }
    it = analyzers_.emplace(gallery.recogniser_id, std::move(opened).value()).first;
  }
  return &it->second;
}

Result<SearchOutcome> RetrospectiveService::Search(const std::string& probe_bytes, const Gallery& gallery,
                                                   const SearchRequest& request, const Actor& by) {
  std::lock_guard<std::mutex> lock(mu_);
  auto analyzer = AnalyzerFor(gallery);
  if (!analyzer.ok()) return analyzer.status();
  RetrospectiveSearch search(store_, &indexes_, (*analyzer)->analyzer.get(), gallery.recogniser_id);
  return search.Run(probe_bytes, gallery, request, by);
}

Result<GalleryImportSummary> RetrospectiveService::Import(const Gallery& gallery,
                                                          const std::vector<GalleryImportItem>& items,
                                                          const std::string& source, const Actor& by) {
  std::lock_guard<std::mutex> lock(mu_);
  auto analyzer = AnalyzerFor(gallery);
  if (!analyzer.ok()) return analyzer.status();
  auto sum = ImportGalleryItems(store_, gallery, (*analyzer)->analyzer.get(), (*analyzer)->verify_threshold, items,
                                source, by);
  if (sum.ok() && sum->imported > 0) {
    // The import is committed; the next search catches the index up if this fails.
    (void)GalleryChanged(gallery.id, by);
  }
  return sum;
}

Status RetrospectiveService::GalleryChanged(int64_t gallery_id, const Actor& by) {
  auto g = store_->FindGallery(std::to_string(gallery_id));
  if (!g.ok()) return g.status();
  return indexes_.Refresh(*g, by);
}

Status RetrospectiveService::GalleryDeleted(int64_t gallery_id) { return indexes_.Forget(gallery_id); }

}  // namespace lfr::server
