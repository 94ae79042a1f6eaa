// The central Store on PostgreSQL (`lfr serve --store postgres://...`): the same store
// logic as the embedded SQLite store (store/sql_store.h) over a PostgreSQL connection
// (store/postgres_db.h), with the same guarantees: face data sealed under per-deployment
// and per-gallery keys wrapped by the master key, crypto-shredding on close (the wrapped
// key and the sealed rows deleted in one transaction; the key's destruction is the
// guarantee, see docs/ARCHITECTURE.md for what PostgreSQL keeps on disk after a DELETE),
// retention, and the hash-chained audit log, appended safely by concurrent writers (write
// transactions are serialised by an advisory lock). Schema migrations are versioned in
// the lfr_schema table (store/postgres_schema.h).
//
// The database should be created by its owner with UTF8 encoding and the C collation
// (`createdb -E UTF8 --locale=C lfr`): lists ordered by name then sort as in SQLite.
#ifndef LFR_STORE_POSTGRES_STORE_H_
#define LFR_STORE_POSTGRES_STORE_H_

#include <memory>
#include <string>

#include "privacy/crypto.h"
#include "store/store.h"
#include "util/clock.h"

namespace lfr {

struct PostgresStoreOptions {
  Clock* clock = nullptr;  // nullptr = SystemClock(); must outlive the store
};

// Whether a --store value names a PostgreSQL database (postgres:// or postgresql://).
bool IsPostgresUri(const std::string& store);

// uri with any password replaced by "***", for messages.
std::string RedactPostgresUri(const std::string& uri);

// Whether the database at uri already holds tables (an OpenLFR store or anything else);
// Unavailable if the server cannot be reached.
Result<bool> PostgresDatabaseHasTables(const std::string& uri);

// Connects to uri and opens the store (creating the schema in an empty database).
// Unavailable if the server cannot be reached; Corrupt for a database holding other
// tables or a wrong master key; FailedPrecondition for a schema newer than this lfr.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& uri, const MasterKey& master,
                                                 const PostgresStoreOptions& options = {});

}  // namespace lfr

#endif  // LFR_STORE_POSTGRES_STORE_H_
