#include "store/sqlite_db.h"

#include <cerrno>
#include <cstring>

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

Status Exec(sqlite3* db, const std::string& path, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(db, rc, path, "database error");
  return Status::Ok();
}

Stmt::Stmt(sqlite3* db, const std::string& path, const char* sql) : db_(db), path_(path), sql_(sql) {
  prepare_rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr);
}

Stmt::~Stmt() { sqlite3_finalize(st_); }

Stmt& Stmt::Bind(int64_t v) {
  if (st_) sqlite3_bind_int64(st_, next_, v);
  ++next_;
  return *this;
}

Stmt& Stmt::Bind(double v) {
  if (st_) sqlite3_bind_double(st_, next_, v);
  ++next_;
  return *this;
}

Stmt& Stmt::Bind(const std::string& v) {
  if (st_) sqlite3_bind_text(st_, next_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  ++next_;
  return *this;
}

Stmt& Stmt::BindBlob(std::span<const uint8_t> v) {
  if (st_) {
    if (v.empty()) {
      sqlite3_bind_null(st_, next_);
    } else {
      sqlite3_bind_blob(st_, next_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
  }
  ++next_;
  return *this;
}

Stmt& Stmt::BindNull() {
  if (st_) sqlite3_bind_null(st_, next_);
  ++next_;
  return *this;
}

Result<bool> Stmt::Step() {
  if (prepare_rc_ != SQLITE_OK || st_ == nullptr) {
    return Error(db_, prepare_rc_ == SQLITE_OK ? SQLITE_ERROR : prepare_rc_, path_,
                 "cannot prepare statement");
  }
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(db_, rc, path_, "database error");
}

Status Stmt::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!*r) return Status::Ok();
  }
}

Result<std::optional<int64_t>> Stmt::FirstInt() {
  auto row = Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(Int(0));
}

std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(st_, col);
  if (p == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st_, col));
}

std::vector<uint8_t> Stmt::Blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st_, col));
  if (p == nullptr) return {};
  return std::vector<uint8_t>(p, p + sqlite3_column_bytes(st_, col));
}

Txn::~Txn() {
  if (active_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Txn::Begin() {
  LFR_RETURN_IF_ERROR(Exec(db_, path_, "BEGIN IMMEDIATE"));
  active_ = true;
  return Status::Ok();
}

Status Txn::BeginRead() {
  LFR_RETURN_IF_ERROR(Exec(db_, path_, "BEGIN"));
  active_ = true;
  return Status::Ok();
}

Status Txn::Commit() {
  LFR_RETURN_IF_ERROR(Exec(db_, path_, "COMMIT"));
  active_ = false;
  return Status::Ok();
}

}  // namespace lfr::sqlite
