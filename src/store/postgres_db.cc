#include "store/postgres_db.h"

#include <cstdio>
#include <cstdlib>
#include <optional>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "store/postgres_schema.h"

namespace lfr::postgres {
namespace {

// One parameter as libpq receives it in text format; null when absent.
struct TextParam {
  std::optional<std::string> text;
};

}  // namespace
}  // namespace lfr::postgres

namespace pqxx {
template <>
struct string_traits<lfr::postgres::TextParam> {
  static constexpr const char* name() noexcept { return "lfr::postgres::TextParam"; }
  static constexpr bool has_null() noexcept { return true; }
  static bool is_null(const lfr::postgres::TextParam& p) { return !p.text.has_value(); }
  static lfr::postgres::TextParam null() { return {}; }
  static void from_string(const char str[], lfr::postgres::TextParam& p) { p.text = str; }
  static std::string to_string(const lfr::postgres::TextParam& p) { return p.text.value_or(""); }
};
}  // namespace pqxx

namespace lfr::postgres {
namespace {

constexpr unsigned kByteaOid = 17;
// The key of the advisory lock that serialises write transactions ("LFR1").
constexpr int64_t kWriteLockKey = 0x4C465231;

std::string FirstLine(const std::string& s) {
  std::string out = s.substr(0, s.find('\n'));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\r')) out.pop_back();
  return out;
}

Status ErrorFrom(const std::exception& e, const std::string& name, const std::string& what) {
  const std::string msg = what + ": " + name + ": " + FirstLine(e.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return Status::Unavailable(msg + " (the connection to PostgreSQL was lost)");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr) {
    const std::string& state = sql->sqlstate();
    const std::string cls = state.substr(0, 2);
    if (state == "53100") return Status::IOError("disk full: " + msg);
    if (cls == "53" || cls == "58") return Status::IOError(msg);
    if (cls == "08" || cls == "57" || state == "40001" || state == "40P01" || state == "55P03") {
      return Status::Unavailable(msg + " (try again)");
    }
    if (cls == "XX" && state != "XX000") return Status::Corrupt(msg);
  }
  return Status::Internal(msg);
}

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::vector<TextParam> TextParams(const std::vector<sql::Value>& params) {
  std::vector<TextParam> out;
  out.reserve(params.size());
  for (const sql::Value& v : params) {
    switch (v.kind) {
      case sql::Value::Kind::kNull: out.push_back({}); break;
      case sql::Value::Kind::kInt: out.push_back({std::to_string(v.i)}); break;
      case sql::Value::Kind::kReal: {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", v.r);
        out.push_back({std::string(buf)});
        break;
      }
      case sql::Value::Kind::kText: out.push_back({v.bytes}); break;
      case sql::Value::Kind::kBlob: out.push_back({Hex(v.bytes)}); break;
    }
  }
  return out;
}

class PostgresDatabase;

class PgCursor : public sql::Cursor {
 public:
  PgCursor(PostgresDatabase* db, std::string sql) : db_(db), sql_(std::move(sql)) {}
  Result<bool> Step(const std::vector<sql::Value>& params) override;
  int64_t Int(int col) const override {
    const pqxx::field f = Field(col);
    return f.is_null() ? 0 : std::strtoll(f.c_str(), nullptr, 10);
  }
  double Real(int col) const override {
    const pqxx::field f = Field(col);
    return f.is_null() ? 0.0 : std::strtod(f.c_str(), nullptr);
  }
  std::string Text(int col) const override {
    const pqxx::field f = Field(col);
    if (f.is_null()) return "";
    if (result_.column_type(col) == kByteaOid) {
      pqxx::binarystring b(f);
      return std::string(reinterpret_cast<const char*>(b.data()), b.size());
    }
    return std::string(f.c_str(), f.size());
  }
  std::vector<uint8_t> Blob(int col) const override {
    const pqxx::field f = Field(col);
    if (f.is_null()) return {};
    if (result_.column_type(col) == kByteaOid) {
      pqxx::binarystring b(f);
      return std::vector<uint8_t>(b.data(), b.data() + b.size());
    }
    return std::vector<uint8_t>(f.c_str(), f.c_str() + f.size());
  }
  bool IsNull(int col) const override { return Field(col).is_null(); }
  int64_t Changes() const override { return static_cast<int64_t>(result_.affected_rows()); }

 private:
  pqxx::field Field(int col) const { return result_[row_][col]; }

  PostgresDatabase* db_;
  const std::string sql_;
  bool ran_ = false;
  pqxx::result result_;
  pqxx::result::size_type row_ = 0;
};

class PostgresDatabase : public sql::Database {
 public:
  PostgresDatabase(std::unique_ptr<pqxx::connection> conn, std::string name)
      : conn_(std::move(conn)), name_(std::move(name)) {}
  ~PostgresDatabase() override { Rollback(); }

  const std::string& name() const override { return name_; }

  std::unique_ptr<sql::Cursor> Prepare(const std::string& sql) override {
    return std::make_unique<PgCursor>(this, NumberPlaceholders(sql));
  }

  Result<pqxx::result> Run(const std::string& sql, const std::vector<sql::Value>& params) {
    const std::vector<TextParam> text = TextParams(params);
    try {
      if (tx_) return tx_->exec_params(sql, pqxx::prepare::make_dynamic_params(text));
      pqxx::nontransaction ntx(*conn_);
      pqxx::result r = ntx.exec_params(sql, pqxx::prepare::make_dynamic_params(text));
      ntx.commit();
      return r;
    } catch (const std::exception& e) {
      return ErrorFrom(e, name_, "database error");
    }
  }

  Status Exec(const std::string& sql) override {
    try {
      if (tx_) {
        tx_->exec(sql);
      } else {
        pqxx::nontransaction ntx(*conn_);
        ntx.exec(sql);
        ntx.commit();
      }
      return Status::Ok();
    } catch (const std::exception& e) {
      return ErrorFrom(e, name_, "database error");
    }
  }

  Status Begin() override {
    try {
      tx_ = std::make_unique<pqxx::work>(*conn_);
      tx_->exec("SELECT pg_advisory_xact_lock(" + std::to_string(kWriteLockKey) + ")");
      return Status::Ok();
    } catch (const std::exception& e) {
      Rollback();
      return ErrorFrom(e, name_, "cannot begin a write transaction");
    }
  }

  Status BeginRead() override {
    try {
      tx_ = std::make_unique<pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>>(*conn_);
      return Status::Ok();
    } catch (const std::exception& e) {
      Rollback();
      return ErrorFrom(e, name_, "cannot begin a read transaction");
    }
  }

  Status Commit() override {
    if (!tx_) return Status::Internal("commit without a transaction");
    try {
      tx_->commit();
      tx_.reset();
      return Status::Ok();
    } catch (const std::exception& e) {
      tx_.reset();
      return ErrorFrom(e, name_, "cannot commit");
    }
  }

  void Rollback() override {
    if (!tx_) return;
    try {
      tx_->abort();
    } catch (const std::exception&) {
    }
    tx_.reset();
  }

  std::span<const sql::Migration> Migrations() const override { return postgres::Migrations(); }

  Result<bool> HasTables() override {
    sql::Stmt st(*this, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()");
    auto n = st.FirstInt();
    if (!n.ok()) return n.status();
    return n->value_or(0) > 0;
  }

  Result<int> Open() override {
    auto tables = HasTables();
    if (!tables.ok()) return tables.status();
    if (!*tables) return 0;
    sql::Stmt mine(*this, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
                          "AND tablename = 'lfr_schema'");
    auto is_ours = mine.FirstInt();
    if (!is_ours.ok()) return is_ours.status();
    if (is_ours->value_or(0) == 0) {
      return Status::Corrupt(name_ + " is not an OpenLFR database (it holds other tables)");
    }
    sql::Stmt st(*this, "SELECT application, version FROM lfr_schema");
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row || st.Text(0) != "OpenLFR") {
      return Status::Corrupt(name_ + " is not an OpenLFR database (its lfr_schema table does not say so)");
    }
    return static_cast<int>(st.Int(1));
  }

  Status SetSchemaVersion(int version) override {
    return sql::Stmt(*this, "UPDATE lfr_schema SET version = ?").Bind(version).Run();
  }

  // VACUUM makes the space of the deleted rows reusable sooner than autovacuum would; it
  // does not promise to overwrite them (see docs/ARCHITECTURE.md). The guarantee is that
  // the key that sealed them is gone.
  void AfterShred() override {
    Status s = Exec("VACUUM entry_faces, watchlist_entries, alert_media, alert_corrections, alerts, deployments, "
                    "gallery_faces, galleries, footage_keys");
    if (!s.ok()) spdlog::warn("store: VACUUM after shredding failed (autovacuum will do it): {}", s.message());
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  const std::string name_;
  std::unique_ptr<pqxx::transaction_base> tx_;
};

Result<bool> PgCursor::Step(const std::vector<sql::Value>& params) {
  if (!ran_) {
    ran_ = true;
    auto r = db_->Run(sql_, params);
    if (!r.ok()) return r.status();
    result_ = std::move(r).value();
    row_ = 0;
  } else {
    ++row_;
  }
  return row_ < result_.size();
}

bool IsUri(const std::string& s) { return s.rfind("postgres://", 0) == 0 || s.rfind("postgresql://", 0) == 0; }

}  // namespace

std::string RedactUri(const std::string& uri) {
  if (IsUri(uri)) {
    const size_t start = uri.find("://") + 3;
    const size_t end = uri.find_first_of("/?", start);
    const std::string authority = uri.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t at = authority.rfind('@');
    std::string out = uri;
    if (at != std::string::npos) {
      const size_t colon = authority.find(':');
      if (colon != std::string::npos && colon < at) out.replace(start + colon + 1, at - colon - 1, "***");
    }
    // password=... in the query string
    const size_t p = out.find("password=");
    if (p != std::string::npos) {
      const size_t e = out.find('&', p);
      out.replace(p + 9, (e == std::string::npos ? out.size() : e) - p - 9, "***");
    }
    return out;
  }
  std::string out = uri;
  const size_t p = out.find("password=");
  if (p != std::string::npos) {
    const size_t e = out.find(' ', p);
    out.replace(p + 9, (e == std::string::npos ? out.size() : e) - p - 9, "***");
  }
  return out;
}

std::string NumberPlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::unique_ptr<sql::Database>> Connect(const std::string& uri) {
  std::string conninfo = uri;
  if (uri.find("connect_timeout") == std::string::npos) {
    if (IsUri(uri)) conninfo += (uri.find('?') == std::string::npos ? "?" : "&") + std::string("connect_timeout=10");
    else conninfo += " connect_timeout=10";
  }
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo);
    // No NOTICE chatter on stderr (kept across libpqxx's reconnections, unlike a raw SET).
    conn->set_variable("client_min_messages", "warning");
    auto str = [](const char* s) { return std::string(s != nullptr ? s : ""); };
    const std::string name = "postgresql://" + str(conn->username()) + "@" + str(conn->hostname()) + ":" +
                             str(conn->port()) + "/" + str(conn->dbname());
    return std::unique_ptr<sql::Database>(std::make_unique<PostgresDatabase>(std::move(conn), name));
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot connect to the PostgreSQL store " + RedactUri(uri) + ": " +
                               FirstLine(e.what()));
  }
}

}  // namespace lfr::postgres
