#include "store/sqlite_db.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "store/sqlite_schema.h"

namespace lfr::sqlite {

Status Error(sqlite3* db, int rc, const std::string& path, const std::string& what) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (db != nullptr) {
    const int sys = sqlite3_system_errno(db);
    if (sys != 0 && (rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB) {
      detail += std::string(" (") + std::strerror(sys) + ")";
    }
  }
  const std::string msg = what + ": " + path + ": " + detail;
  // SQLite reports ENOSPC as SQLITE_FULL; a write refused for another reason (EFBIG past a
  // file-size limit, EDQUOT, a failing disk) as IOERR_WRITE, whose errno it does not keep.
  const int ext = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  if (rc == SQLITE_IOERR_WRITE || ext == SQLITE_IOERR_WRITE) {
    return Status::IOError("cannot write " + path +
                           " (disk full, a quota or file-size limit, or a failing disk): " + detail);
  }
  switch (rc & 0xff) {
    case SQLITE_FULL: return Status::IOError("disk full: " + msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM: return Status::IOError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Status::Corrupt(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status::Unavailable(msg + " (another process holds it; try again)");
    default: return Status::Internal(msg);
  }
}

namespace {

Status Exec(sqlite3* db, const std::string& path, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(db, rc, path, "database error");
  return Status::Ok();
}

class SqliteCursor : public sql::Cursor {
 public:
  SqliteCursor(sqlite3* db, const std::string& path, const std::string& sql) : db_(db), path_(path) {
    prepare_rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr);
  }
  ~SqliteCursor() override { sqlite3_finalize(st_); }

  Result<bool> Step(const std::vector<sql::Value>& params) override {
    if (prepare_rc_ != SQLITE_OK || st_ == nullptr) {
      return Error(db_, prepare_rc_ == SQLITE_OK ? SQLITE_ERROR : prepare_rc_, path_, "cannot prepare statement");
    }
    if (!started_) {
      started_ = true;
      int i = 1;
      for (const sql::Value& v : params) {
        switch (v.kind) {
          case sql::Value::Kind::kNull: sqlite3_bind_null(st_, i); break;
          case sql::Value::Kind::kInt: sqlite3_bind_int64(st_, i, v.i); break;
          case sql::Value::Kind::kReal: sqlite3_bind_double(st_, i, v.r); break;
          case sql::Value::Kind::kText:
            sqlite3_bind_text(st_, i, v.bytes.data(), static_cast<int>(v.bytes.size()), SQLITE_TRANSIENT);
            break;
          case sql::Value::Kind::kBlob:
            sqlite3_bind_blob(st_, i, v.bytes.data(), static_cast<int>(v.bytes.size()), SQLITE_TRANSIENT);
            break;
        }
        ++i;
      }
    }
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      changes_ = sqlite3_changes(db_);
      return false;
    }
    return Error(db_, rc, path_, "database error");
  }
  int64_t Int(int col) const override { return sqlite3_column_int64(st_, col); }
  double Real(int col) const override { return sqlite3_column_double(st_, col); }
  std::string Text(int col) const override {
    const unsigned char* p = sqlite3_column_text(st_, col);
    if (p == nullptr) return "";
    return std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st_, col));
  }
  std::vector<uint8_t> Blob(int col) const override {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st_, col));
    if (p == nullptr) return {};
    return std::vector<uint8_t>(p, p + sqlite3_column_bytes(st_, col));
  }
  bool IsNull(int col) const override { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  int64_t Changes() const override { return changes_; }

 private:
  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* st_ = nullptr;
  int prepare_rc_ = SQLITE_OK;
  bool started_ = false;
  int64_t changes_ = 0;
};

class SqliteDatabase : public sql::Database {
 public:
  SqliteDatabase(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteDatabase() override {
    // Leave no old pages in the WAL behind (best effort; other connections may hold it).
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }

  const std::string& name() const override { return path_; }
  std::unique_ptr<sql::Cursor> Prepare(const std::string& sql) override {
    return std::make_unique<SqliteCursor>(db_, path_, sql);
  }
  Status Exec(const std::string& sql) override { return sqlite::Exec(db_, path_, sql); }
  Status Begin() override { return Exec("BEGIN IMMEDIATE"); }
  Status BeginRead() override { return Exec("BEGIN"); }
  Status Commit() override { return Exec("COMMIT"); }
  void Rollback() override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  std::span<const sql::Migration> Migrations() const override { return sqlite::Migrations(); }

  Result<bool> HasTables() override {
    sql::Stmt st(*this, "SELECT count(*) FROM sqlite_master");
    auto n = st.FirstInt();
    if (!n.ok()) return n.status();
    return n->value_or(0) > 0;
  }

  Result<int> Open() override {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 10000);
    int64_t app_id = 0, version = 0;
    {
      sql::Stmt st(*this, "PRAGMA application_id");
      auto row = st.Step();
      if (!row.ok()) {
        if (row.status().code() == Status::Code::kCorrupt) {
          return Status::Corrupt(path_ + " is not an OpenLFR database (" + row.status().message() + ")");
        }
        return row.status();
      }
      app_id = st.Int(0);
    }
    {
      sql::Stmt st(*this, "PRAGMA user_version");
      auto row = st.Step();
      if (!row.ok()) return row.status();
      version = st.Int(0);
    }
    if (app_id == 0 && version == 0) {
      auto tables = HasTables();
      if (!tables.ok()) return tables.status();
      if (*tables) return Status::Corrupt(path_ + " is not an OpenLFR database (it holds other tables)");
    } else if (app_id != kApplicationId) {
      return Status::Corrupt(path_ + " is not an OpenLFR database (application id " + std::to_string(app_id) + ")");
    }
    if (version > LatestSchemaVersion()) return static_cast<int>(version);  // refused by the store
    // The database and its WAL/SHM (which SQLite creates with the database's mode) are the
    // user's alone.
    ::chmod(path_.c_str(), 0600);
    {
      sql::Stmt st(*this, "PRAGMA journal_mode=WAL");
      auto row = st.Step();
      if (!row.ok()) return row.status();
      if (st.Text(0) != "wal") return Status::IOError("cannot switch " + path_ + " to WAL mode (got " + st.Text(0) + ")");
    }
    LFR_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; "
                             "PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=ON;"));
    if (version > 0) {
      sql::Stmt st(*this, "PRAGMA quick_check");
      auto row = st.Step();
      if (!row.ok()) return row.status();
      if (st.Text(0) != "ok") return Status::Corrupt(path_ + " failed its integrity check: " + st.Text(0));
    }
    return static_cast<int>(version);
  }

  Status SetSchemaVersion(int version) override {
    LFR_RETURN_IF_ERROR(Exec("PRAGMA user_version=" + std::to_string(version)));
    return Exec("PRAGMA application_id=" + std::to_string(kApplicationId));
  }

  // Moves every WAL frame into the database and truncates the WAL, so pages that held face
  // data or keys before a deletion survive nowhere (secure_delete overwrote them in the
  // database file). Best effort if another connection reads.
  void AfterShred() override {
    int log = 0, done = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    if (rc != SQLITE_OK) {
      spdlog::warn("store: WAL checkpoint of {} incomplete ({}); the next one will finish it", path_,
                   sqlite3_errstr(rc));
    }
  }

 private:
  sqlite3* db_;
  const std::string path_;
};

}  // namespace

std::unique_ptr<sql::Database> WrapDatabase(sqlite3* db, const std::string& path) {
  return std::make_unique<SqliteDatabase>(db, path);
}

}  // namespace lfr::sqlite
