// The embedded Store: one SQLite database file (default $LFR_HOME/lfr.db) in WAL mode with
// versioned schema migrations (PRAGMA user_version; each migration in one transaction,
// applied in order at open; a database newer than this binary is refused).
//
// Opening checks the master key against the key-check blob stored at creation: a wrong
// master key is Corrupt("wrong master key for <db>: ..."), a file that is not an OpenLFR
// database is Corrupt naming the file. PRAGMAs: journal_mode=WAL, synchronous=FULL,
// secure_delete=ON (deleted content is overwritten), temp_store=MEMORY (no temp files),
// foreign_keys=ON, busy_timeout.
#ifndef LFR_STORE_SQLITE_STORE_H_
#define LFR_STORE_SQLITE_STORE_H_

#include <filesystem>
#include <memory>

#include "privacy/crypto.h"
#include "store/store.h"
#include "util/clock.h"

namespace lfr {

struct SqliteStoreOptions {
  Clock* clock = nullptr;  // nullptr = SystemClock(); must outlive the store
};

// Opens (creating if absent, with its folder) the database at path. The master key is
// copied into the store.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& path,
                                               const MasterKey& master,
                                               const SqliteStoreOptions& options = {});

// $LFR_HOME/lfr.db.
std::filesystem::path DefaultDatabasePath();

}  // namespace lfr

#endif  // LFR_STORE_SQLITE_STORE_H_
