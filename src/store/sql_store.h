// The store's logic (store/store.h, store/gallery_store.h), written once over the SQL
// connection (store/sql_db.h) and shared by the embedded SQLite store
// (store/sqlite_store.h) and the central PostgreSQL store (store/postgres_store.h): input
// checks, sealing of face data under per-deployment and per-gallery keys, the hash-chained
// audit row in every mutating transaction, retention purges, and the order of
// crypto-shredding (face data deleted and the wrapped key set to NULL in one transaction,
// then Database::AfterShred). Internal to store/.
#ifndef LFR_STORE_SQL_STORE_H_
#define LFR_STORE_SQL_STORE_H_

#include <memory>

#include "privacy/crypto.h"
#include "store/sql_db.h"
#include "store/store.h"
#include "util/clock.h"

namespace lfr {

// Opens the store on db: checks the database (Database::Open), creates the schema in a
// new one or applies pending migrations, checks the master key against the key-check
// blob stored at creation (Corrupt "wrong master key for <db>: ..." otherwise). The
// master key is copied; clock nullptr = SystemClock(), else it must outlive the store.
Result<std::unique_ptr<Store>> OpenSqlStore(std::unique_ptr<sql::Database> db, const MasterKey& master,
                                            Clock* clock);

}  // namespace lfr

#endif  // LFR_STORE_SQL_STORE_H_
