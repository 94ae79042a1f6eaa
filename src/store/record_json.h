// The JSON forms of the store's records, shared by the command line (`--json`) and the
// HTTP API, so both speak one vocabulary (the API's is described at /api/openapi.json).
//
// Times are UTC ISO 8601 strings with milliseconds ("2026-12-05T10:00:00.000Z"), or null
// when unset; scores are rounded to 4 decimals. Nothing secret leaves through these: no
// password hashes, no sealed bytes; a watchlist entry's display name only when asked for.
// Thread-safety: pure functions.
#ifndef LFR_STORE_RECORD_JSON_H_
#define LFR_STORE_RECORD_JSON_H_

#include <nlohmann/json.hpp>

#include "privacy/audit.h"
#include "store/store.h"

namespace lfr {

nlohmann::json DeploymentJson(const Deployment& d);
nlohmann::json CameraJson(const Camera& c);
// with_name: include display_name as "name" (for roles and commands that may show names).
nlohmann::json EntryJson(const WatchlistEntry& e, bool with_name);
nlohmann::json AlertJson(const AlertRecord& a);
nlohmann::json AuditJson(const AuditEvent& e);
nlohmann::json UserJson(const User& u);  // never the password hash

}  // namespace lfr

#endif  // LFR_STORE_RECORD_JSON_H_
