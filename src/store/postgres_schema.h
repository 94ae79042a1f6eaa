// The central store's PostgreSQL schema, as an ordered list of migrations numbered like the
// SQLite ones (store/sqlite_schema.h): schema version N holds the same tables and columns
// in both engines. A new PostgreSQL database is created at once at version 7 (the SQLite
// schema as of migrations 1-7, in PostgreSQL's types: BIGINT identity keys, BYTEA for
// sealed blobs, DOUBLE PRECISION for scores, triggers as PL/pgSQL functions); every later
// migration is added to both lists with the same number. Append; never edit a released one.
#ifndef LFR_STORE_POSTGRES_SCHEMA_H_
#define LFR_STORE_POSTGRES_SCHEMA_H_

#include <span>

#include "store/sql_db.h"

namespace lfr::postgres {

std::span<const sql::Migration> Migrations();
int LatestSchemaVersion();

}  // namespace lfr::postgres

#endif  // LFR_STORE_POSTGRES_SCHEMA_H_
