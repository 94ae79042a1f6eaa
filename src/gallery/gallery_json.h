// The JSON forms of galleries, gallery records and searches (store/gallery_store.h), shared
// by `lfr gallery|search --json` and the HTTP API, in the vocabulary of store/record_json.h:
// UTC ISO 8601 times (null when unset), scores rounded to 4 decimals, no sealed bytes, no
// face data. Thread-safety: pure functions.
#ifndef LFR_GALLERY_GALLERY_JSON_H_
#define LFR_GALLERY_GALLERY_JSON_H_

#include <nlohmann/json.hpp>

#include "store/gallery_store.h"

namespace lfr {

nlohmann::json GalleryJson(const Gallery& g);
nlohmann::json GalleryRecordJson(const GalleryRecord& r);
nlohmann::json SearchJson(const SearchRecord& s);

}  // namespace lfr

#endif  // LFR_GALLERY_GALLERY_JSON_H_
