// Helpers shared by `lfr gallery` and `lfr search`: the store's galleries, a gallery by id
// or name, and the face analyzer for a gallery's recogniser. Not part of the library's
// public surface. On failure each prints the reason, sets the exit code and returns
// nullptr / nullopt.
#ifndef LFR_CLI_GALLERY_COMMON_H_
#define LFR_CLI_GALLERY_COMMON_H_

#include <memory>
#include <optional>
#include <string>

#include "cli/cli.h"
#include "store/gallery_store.h"
#include "gallery/import.h"
#include "vision/analyzer.h"

namespace lfr::cli {

// The galleries of an opened store (nullptr with exit 4 if it holds none).
GalleryStore* Galleries(Store* store, Context& ctx);
std::optional<Gallery> FindGalleryOrFail(GalleryStore* galleries, const std::string& id_or_name, Context& ctx);

// The analyzer for the gallery's recogniser (exit 3 if the model is not installed).
std::optional<GalleryAnalyzer> OpenGalleryAnalyzer(const Gallery& gallery, Context& ctx);

}  // namespace lfr::cli

#endif  // LFR_CLI_GALLERY_COMMON_H_
