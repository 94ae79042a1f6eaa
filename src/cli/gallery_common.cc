#include "cli/gallery_common.h"

#include "cli/common.h"

namespace lfr::cli {

GalleryStore* Galleries(Store* store, Context& ctx) {
  GalleryStore* g = store->galleries();
  if (g == nullptr) Fail(ctx, Status::Internal("this store holds no galleries"));
  return g;
}

std::optional<Gallery> FindGalleryOrFail(GalleryStore* galleries, const std::string& id_or_name, Context& ctx) {
  auto g = galleries->FindGallery(id_or_name);
  if (!g.ok()) {
    Fail(ctx, g.status());
    return std::nullopt;
  }
  return *g;
}

std::optional<GalleryAnalyzer> OpenGalleryAnalyzer(const Gallery& gallery, Context& ctx) {
  auto models = OpenStore();
  if (!models.ok()) {
    Fail(ctx, models.status());
    return std::nullopt;
  }
  auto analyzer = lfr::OpenGalleryAnalyzer(*models, gallery);
  if (!analyzer.ok()) {
    *ctx.err << "lfr: gallery " << gallery.id << " uses recogniser " << gallery.recogniser_id << ": "
             << analyzer.status().message() << "\n";
    ctx.exit_code = kExitMissingModel;
    return std::nullopt;
  }
  return std::move(analyzer).value();
}

}  // namespace lfr::cli
