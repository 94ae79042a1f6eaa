// The SQLite implementation of the store's SQL connection (store/sql_db.h): one database
// file in WAL mode. Opening checks the application id and user_version, switches to WAL
// and sets synchronous=FULL, secure_delete=ON (deleted content is overwritten),
// temp_store=MEMORY (no temp files), foreign_keys=ON and a busy timeout, and runs a quick
// integrity check. Write transactions are BEGIN IMMEDIATE. After face data is deleted the
// WAL is checkpointed and truncated, so neither the database file nor the WAL holds it.
// SQLite result codes become Status with the database path in the message.
//
// Thread-safety: none; the store serialises all use of one connection.
#ifndef LFR_STORE_SQLITE_DB_H_
#define LFR_STORE_SQLITE_DB_H_

#include <memory>
#include <string>

#include <sqlite3.h>

#include "store/sql_db.h"
#include "util/status.h"

namespace lfr::sqlite {

// Maps a SQLite result code (with the connection's last error, if db is given) to a Status:
// FULL -> IOError "disk full: ...", IOERR_WRITE -> IOError "cannot write <path> (disk full,
// a quota or file-size limit, or a failing disk)", IOERR/CANTOPEN/READONLY/PERM -> IOError, CORRUPT/NOTADB ->
// Corrupt, BUSY/LOCKED -> Unavailable, others -> Internal. what: the operation, e.g.
// "cannot add watchlist entry"; path: the database file.
Status Error(sqlite3* db, int rc, const std::string& path, const std::string& what);

// Takes ownership of db (opened on the file at path).
std::unique_ptr<sql::Database> WrapDatabase(sqlite3* db, const std::string& path);

}  // namespace lfr::sqlite

#endif  // LFR_STORE_SQLITE_DB_H_
