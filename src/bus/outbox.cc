#include "bus/outbox.h"

#include <sqlite3.h>

#include <chrono>

namespace lfr::bus {
namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status SqlError(sqlite3* db, const std::string& what) {
  return Status::IOError("outbox: " + what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "no database"));
}

// A prepared statement that finalises itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK; }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return ok_; }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::Open(const std::filesystem::path& file) {
  std::unique_ptr<Outbox> o(new Outbox());
  if (sqlite3_open_v2(file.c_str(), &o->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const Status s = SqlError(o->db_, "cannot open " + file.string());
    return s;
  }
  sqlite3_busy_timeout(o->db_, 5000);
  const char* schema =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
      "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, msg_id TEXT NOT NULL UNIQUE,"
      " subject TEXT NOT NULL, data BLOB NOT NULL, expires_ms INTEGER NOT NULL);";
  if (sqlite3_exec(o->db_, schema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(o->db_, "cannot prepare " + file.string());
  }
  return o;
}

Outbox::~Outbox() {
  if (db_ != nullptr) sqlite3_close(db_);
}

Status Outbox::Put(const std::string& msg_id, const std::string& subject, std::string_view data, int64_t expires_ms) {
  if (msg_id.empty() || subject.empty()) return Status::InvalidArgument("outbox: a message needs an id and a subject");
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "INSERT INTO outbox (msg_id, subject, data, expires_ms) VALUES (?, ?, ?, ?) ON CONFLICT(msg_id) DO NOTHING");
  if (!st.ok()) return SqlError(db_, "put");
  sqlite3_bind_text(st.get(), 1, msg_id.data(), static_cast<int>(msg_id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st.get(), 2, subject.data(), static_cast<int>(subject.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(st.get(), 3, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.get(), 4, expires_ms);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return SqlError(db_, "put " + msg_id);
  return Status::Ok();
}

Result<std::vector<OutboxItem>> Outbox::Oldest(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "SELECT id, msg_id, subject, data, expires_ms FROM outbox ORDER BY id LIMIT ?");
  if (!st.ok()) return SqlError(db_, "read");
  sqlite3_bind_int(st.get(), 1, n);
  std::vector<OutboxItem> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    OutboxItem it;
    it.id = sqlite3_column_int64(st.get(), 0);
    it.msg_id = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1));
    it.subject = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 2));
    const void* blob = sqlite3_column_blob(st.get(), 3);
    it.data.assign(static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(st.get(), 3)));
    it.expires_ms = sqlite3_column_int64(st.get(), 4);
    out.push_back(std::move(it));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "read");
  return out;
}

Status Outbox::Remove(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "DELETE FROM outbox WHERE id = ?");
  if (!st.ok()) return SqlError(db_, "remove");
  sqlite3_bind_int64(st.get(), 1, id);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return SqlError(db_, "remove");
  return Status::Ok();
}

Result<int64_t> Outbox::DropExpired(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "DELETE FROM outbox WHERE expires_ms <= ?");
  if (!st.ok()) return SqlError(db_, "expire");
  sqlite3_bind_int64(st.get(), 1, now_ms);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return SqlError(db_, "expire");
  return static_cast<int64_t>(sqlite3_changes(db_));
}

Result<int64_t> Outbox::Size() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "SELECT COUNT(*) FROM outbox");
  if (!st.ok() || sqlite3_step(st.get()) != SQLITE_ROW) return SqlError(db_, "count");
  return static_cast<int64_t>(sqlite3_column_int64(st.get(), 0));
}

// ---- Forwarder ---------------------------------------------------------------------------

Forwarder::Forwarder(Outbox* outbox, JetStreamBus* bus, int retry_ms, std::function<int64_t()> now_ms)
    : outbox_(outbox), bus_(bus), retry_ms_(retry_ms), now_ms_(now_ms ? std::move(now_ms) : SystemNowMs) {}

Forwarder::~Forwarder() { Stop(); }

void Forwarder::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Forwarder::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Forwarder::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

ForwarderStats Forwarder::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Forwarder::Run() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    bool failed = false, idle = false;
    auto expired = outbox_->DropExpired(now_ms_());
    if (expired.ok() && *expired > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.expired += *expired;
    }
    auto batch = outbox_->Oldest(64);
    if (!batch.ok()) {
      failed = true;
      std::lock_guard<std::mutex> lock(mu_);
      stats_.last_error = batch.status().message();
    } else if (batch->empty()) {
      idle = true;
    }
    for (const OutboxItem& it : batch.ok() ? *batch : std::vector<OutboxItem>{}) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) return;
      }
      auto ack = bus_->Publish(it.subject, it.data, it.msg_id);
      std::lock_guard<std::mutex> lock(mu_);
      if (!ack.ok()) {
        stats_.failures++;
        stats_.connected = ack.status().code() != Status::Code::kUnavailable;
        stats_.last_error = ack.status().message();
        failed = true;
        break;  // in order: the oldest goes first once the server is back
      }
      stats_.connected = true;
      if (Status s = outbox_->Remove(it.id); !s.ok()) {
        stats_.last_error = s.message();
        failed = true;
        break;
      }
      stats_.forwarded++;
      if (ack->duplicate) stats_.duplicates++;
    }
    if (failed || idle) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(retry_ms_), [this] { return stop_ || woken_; });
      woken_ = false;
    }
  }
}

}  // namespace lfr::bus
