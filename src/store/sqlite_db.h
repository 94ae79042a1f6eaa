// Thin RAII helpers over the SQLite3 C API for the embedded store (store/sqlite_store.cc):
// statements with typed binding and reading, transactions that roll back unless
// committed, and SQLite result codes turned into Status with the database path in the
// message. Internal to store/; not a general database layer.
//
// Thread-safety: none; the store serialises all use of one connection.
#ifndef LFR_STORE_SQLITE_DB_H_
#define LFR_STORE_SQLITE_DB_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "util/status.h"

namespace lfr::sqlite {

// Maps a SQLite result code (with the connection's last error, if db is given) to a Status:
// FULL -> IOError "disk full: ...", IOERR_WRITE -> IOError "cannot write <path> (disk full,
// a quota or file-size limit, or a failing disk)", IOERR/CANTOPEN/READONLY/PERM -> IOError, CORRUPT/NOTADB ->
// Corrupt, BUSY/LOCKED -> Unavailable, others -> Internal. what: the operation, e.g.
// "cannot add watchlist entry"; path: the database file.
Status Error(sqlite3* db, int rc, const std::string& path, const std::string& what);

// Runs one or more statements without results.
Status Exec(sqlite3* db, const std::string& path, const std::string& sql);

// A prepared statement. Bind* bind the next parameter (1, 2, ...). Step() returns true
// while there is a row, false when done, or an error.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& path, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int64_t v);
  Stmt& Bind(int v) { return Bind(static_cast<int64_t>(v)); }
  Stmt& Bind(double v);
  Stmt& Bind(const std::string& v);
  Stmt& BindBlob(std::span<const uint8_t> v);  // an empty span binds NULL
  Stmt& BindNull();

  Result<bool> Step();
  // Steps to completion (for INSERT/UPDATE/DELETE); OK or the error.
  Status Run();
  // Steps through every row, calling fn() (which reads the columns and returns a Status)
  // for each; stops at the first error.
  template <typename Fn>
  Status EachRow(Fn&& fn) {
    while (true) {
      auto row = Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
      Status s = fn();
      if (!s.ok()) return s;
    }
  }
  // Steps once: NotFound(not_found) if there is no row, else fn() (which reads the columns).
  template <typename Fn>
  auto One(const std::string& not_found, Fn&& fn) -> Result<decltype(fn())> {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::NotFound(not_found);
    return fn();
  }
  // The first column of the first row, or nullopt if there is no row.
  Result<std::optional<int64_t>> FirstInt();

  int64_t Int(int col) const { return sqlite3_column_int64(st_, col); }
  double Real(int col) const { return sqlite3_column_double(st_, col); }
  std::string Text(int col) const;
  std::vector<uint8_t> Blob(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* st_ = nullptr;
  int prepare_rc_ = SQLITE_OK;
  int next_ = 1;
  std::string sql_;
};

// BEGIN IMMEDIATE on Begin() (a write transaction), BEGIN on BeginRead() (reads that must
// see one snapshot, e.g. rows and the value that summarises them); ROLLBACK on destruction
// unless Commit() succeeded.
class Txn {
 public:
  Txn(sqlite3* db, const std::string& path) : db_(db), path_(path) {}
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  Status Begin();
  Status BeginRead();
  Status Commit();

 private:
  sqlite3* db_;
  const std::string& path_;
  bool active_ = false;
};

}  // namespace lfr::sqlite

#endif  // LFR_STORE_SQLITE_DB_H_
