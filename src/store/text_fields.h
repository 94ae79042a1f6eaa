// The free-text fields of store records, bounded and cleaned with CheckText (util/text.h)
// and the per-field limits of util/text.h. The store checks them on every write, so the
// API, the CLI and imports all meet the same rules; the API and the CSV import also check
// early to name the field or line.
//
// `prefix` goes before the quoted field name in messages: "field " gives
// "field 'name': longer than 200 characters", "list.csv line 3, column " gives
// "list.csv line 3, column 'name': not valid UTF-8 (at byte 7)". Thread-safe.
#ifndef LFR_STORE_TEXT_FIELDS_H_
#define LFR_STORE_TEXT_FIELDS_H_

#include <string>
#include <string_view>

#include "store/store.h"
#include "util/text.h"

namespace lfr {

// name, site, location, authorising_officer, contact, threshold (one line); purpose and
// legal_basis (multi-line).
Status CheckDeploymentText(const DeploymentSpec& spec, std::string_view prefix = "field ");
// name, uri, position (one line).
Status CheckCameraText(const Camera& camera, std::string_view prefix = "field ");
// reference, name (display_name), category, image_source (one line); reason (multi-line).
Status CheckEntryText(const WatchlistEntry& meta, std::string_view prefix = "field ");
// note (multi-line).
Status CheckDecisionText(const AlertDecision& decision, std::string_view prefix = "field ");
// The advance notice text (multi-line, text_limits::kNotice).
Status CheckNoticeText(std::string_view text, std::string_view prefix = "field ");

}  // namespace lfr

#endif  // LFR_STORE_TEXT_FIELDS_H_
