// The PostgreSQL implementation of the store's SQL connection (store/sql_db.h), on libpqxx:
// one connection to one database (the central store). Placeholders `?` are numbered $1,
// $2, ... (outside quoted text); parameters are sent as text (BYTEA in hex). Write
// transactions take a transaction-level advisory lock first, so writers from every
// connection and process are serialised as SQLite's BEGIN IMMEDIATE serialises them: the
// store's checks and its audit chain (read head, append) stay correct with several
// `lfr serve` processes or CLI commands on one database. Reads are not blocked (MVCC).
// After face data is deleted, the tables that held it are VACUUMed (best effort; see
// docs/ARCHITECTURE.md, "What PostgreSQL keeps on disk").
//
// Errors: a connection that cannot be made or is lost -> Unavailable naming the server;
// disk full and other insufficient-resource errors -> IOError; serialisation failures,
// deadlocks, lock timeouts, shutdown -> Unavailable; data corruption -> Corrupt; anything
// else -> Internal with PostgreSQL's message.
//
// Thread-safety: none; the store serialises all use of one connection.
#ifndef LFR_STORE_POSTGRES_DB_H_
#define LFR_STORE_POSTGRES_DB_H_

#include <memory>
#include <string>

#include "store/sql_db.h"
#include "util/status.h"

namespace lfr::postgres {

// Connects to uri (postgres://user[:password]@host[:port]/db[?param=...], postgresql://...,
// or a libpq "key=value" string); a connect timeout of 10 s applies unless the URI sets
// one. Unavailable("cannot connect to the PostgreSQL store <uri without password>: ...").
Result<std::unique_ptr<sql::Database>> Connect(const std::string& uri);

// uri with any password replaced by "***", for messages.
std::string RedactUri(const std::string& uri);

// "?"-placeholders numbered "$1", "$2", ... outside '...' and "..." (exposed for tests).
std::string NumberPlaceholders(const std::string& sql);

}  // namespace lfr::postgres

#endif  // LFR_STORE_POSTGRES_DB_H_
