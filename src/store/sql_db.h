// The SQL connection the store's logic (store/sql_store.h) is written against once, with
// one implementation per database engine: SQLite (store/sqlite_db.h, the embedded store)
// and PostgreSQL (store/postgres_db.h, the central store). Internal to store/; not a
// general database layer.
//
// SQL text uses `?` placeholders (the PostgreSQL implementation numbers them $1, $2, ...)
// and the subset both engines share: RETURNING, INSERT ... ON CONFLICT ... DO UPDATE,
// partial indexes. What differs per engine lives in its Database implementation: the
// schema migrations, how the schema version is kept, what opening checks, how writers are
// serialised, and what is done after face data is deleted (Database::AfterShred).
//
// Thread-safety: none; the store serialises all use of one Database.
#ifndef LFR_STORE_SQL_DB_H_
#define LFR_STORE_SQL_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "util/status.h"

namespace lfr::sql {

// One bound parameter.
struct Value {
  enum class Kind { kNull, kInt, kReal, kText, kBlob };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  double r = 0;
  std::string bytes;  // kText, kBlob
};

// An executing statement, made by Database::Prepare. Step runs it with the parameters on
// its first call and moves to the next row on each call: true on a row, false when done.
// Column readers are valid while on a row; NULL reads as 0 / "" / {}.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual Result<bool> Step(const std::vector<Value>& params) = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Real(int col) const = 0;
  virtual std::string Text(int col) const = 0;
  virtual std::vector<uint8_t> Blob(int col) const = 0;
  virtual bool IsNull(int col) const = 0;
  // Rows inserted, updated or deleted by the statement (after it ran).
  virtual int64_t Changes() const = 0;
};

// Migration N brings a database from schema version N-1 (or, for a dialect's first
// migration, from empty) to N; each runs in one transaction with the version bump. Both
// engines number versions alike: version N means the same tables and columns in each.
struct Migration {
  int version;
  const char* sql;
};

class Database {
 public:
  virtual ~Database() = default;

  // What the database is, for messages: a file path, or postgresql://user@host:port/db
  // (never a password).
  virtual const std::string& name() const = 0;

  virtual std::unique_ptr<Cursor> Prepare(const std::string& sql) = 0;
  // Runs one or more statements without parameters or results (migrations, PRAGMAs).
  virtual Status Exec(const std::string& sql) = 0;

  // A write transaction. Write transactions are serialised across every connection and
  // process using the database (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-level
  // advisory lock), so the store's check-then-write logic and the audit chain's
  // read-head-then-append hold with concurrent writers.
  virtual Status Begin() = 0;
  // A read-only transaction seeing one snapshot.
  virtual Status BeginRead() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  // ---- Schema ----
  // This engine's migrations, in order.
  virtual std::span<const Migration> Migrations() const = 0;
  // Checks the database on opening and returns its schema version: 0 for an empty
  // database (nothing of OpenLFR's or anyone else's in it); Corrupt if it is not an
  // OpenLFR database (naming it and why). Also sets the connection up (PRAGMAs etc.).
  virtual Result<int> Open() = 0;
  // Whether the database holds any table (checked again inside the first migration's
  // transaction: another process may have created the schema meanwhile).
  virtual Result<bool> HasTables() = 0;
  // Records the schema version, inside the migration's transaction.
  virtual Status SetSchemaVersion(int version) = 0;

  // Called after a transaction that deleted face data or keys committed (SQLite:
  // checkpoint and truncate the WAL; PostgreSQL: VACUUM the tables that held them). Best
  // effort: failures are logged, not returned.
  virtual void AfterShred() = 0;
};

// A prepared statement of the store's: Bind* bind the next parameter (1, 2, ...), Step()
// runs it. The interface the store's SQL code uses.
class Stmt {
 public:
  Stmt(Database& db, const std::string& sql) : cursor_(db.Prepare(sql)) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int64_t v);
  Stmt& Bind(int v) { return Bind(static_cast<int64_t>(v)); }
  Stmt& Bind(double v);
  Stmt& Bind(const std::string& v);
  Stmt& BindBlob(std::span<const uint8_t> v);  // an empty span binds NULL
  Stmt& BindNull();

  Result<bool> Step() { return cursor_->Step(params_); }
  // Steps to completion (for INSERT/UPDATE/DELETE); OK or the error.
  Status Run();
  // Runs an INSERT ... RETURNING id and returns the id.
  Result<int64_t> Insert();
  // Rows changed by the statement (after Run).
  int64_t Changes() const { return cursor_->Changes(); }
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

  int64_t Int(int col) const { return cursor_->Int(col); }
  double Real(int col) const { return cursor_->Real(col); }
  std::string Text(int col) const { return cursor_->Text(col); }
  std::vector<uint8_t> Blob(int col) const { return cursor_->Blob(col); }
  bool IsNull(int col) const { return cursor_->IsNull(col); }

 private:
  std::unique_ptr<Cursor> cursor_;
  std::vector<Value> params_;
};

// Begin() a write transaction or BeginRead() a snapshot; rolled back on destruction unless
// Commit() succeeded.
class Txn {
 public:
  explicit Txn(Database& db) : db_(db) {}
  ~Txn() {
    if (active_) db_.Rollback();
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  Status Begin();
  Status BeginRead();
  Status Commit();

 private:
  Database& db_;
  bool active_ = false;
};

}  // namespace lfr::sql

#endif  // LFR_STORE_SQL_DB_H_
