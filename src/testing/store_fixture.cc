#include "testing/store_fixture.h"

#include <sqlite3.h>

#include <cmath>
#include <random>

#include <pqxx/pqxx>

#include "testing/postgres_cluster.h"
#include "testing/shared.h"

namespace lfr::testing {

DeploymentSpec Spec(const std::string& name) {
  DeploymentSpec s;
  s.name = name;
  s.site = "Cardiff city centre";
  s.location = "Westgate Street";
  s.planned_start_ms = kT0;
  s.planned_end_ms = kT0 + kMsPerDay;
  s.purpose = "Locate people wanted for serious offences";
  s.legal_basis = "common law policing powers; force LFR policy v3";
  s.authorising_officer = "Supt. A. Example";
  s.contact = "lfr@example.police.uk";
  return s;
}

Camera Cam(int64_t deployment_id, const std::string& name) {
  Camera c;
  c.deployment_id = deployment_id;
  c.name = name;
  c.uri = "rtsp://cam/" + name;
  return c;
}

std::vector<float> UnitVector(int seed, int dim) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(dim));
  double s = 0;
  for (float& x : v) {
    x = n(rng);
    s += double(x) * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(s));
  return v;
}

std::vector<float> StrangersAround(const std::vector<float>& centre, int n, uint64_t seed) {
  const int dim = static_cast<int>(centre.size());
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> rows(static_cast<size_t>(n) * static_cast<size_t>(dim));
  for (int i = 0; i < n; ++i) {
    float* r = &rows[static_cast<size_t>(i) * static_cast<size_t>(dim)];
    double norm = 0;
    for (int d = 0; d < dim; ++d) {
      r[d] = g(rng) / std::sqrt(static_cast<float>(dim)) + 0.45f * centre[static_cast<size_t>(d)];
      norm += double(r[d]) * r[d];
    }
    for (int d = 0; d < dim; ++d) r[d] = static_cast<float>(r[d] / std::sqrt(norm));
  }
  return rows;
}

WatchlistEntryInput Entry(int64_t deployment_id, const std::string& reference, int seed) {
  WatchlistEntryInput in;
  in.meta.deployment_id = deployment_id;
  in.meta.reference = reference;
  in.meta.display_name = "Person " + reference;
  in.meta.category = "wanted: violence";
  in.meta.reason = "warrant for assault";
  in.meta.image_source = "custody image 2024-05-01";
  in.embedding = UnitVector(seed);
  const std::string jpeg = "\xFF\xD8\xFF\xE0 fake jpeg of " + reference;
  in.image_jpeg.assign(jpeg.begin(), jpeg.end());
  return in;
}

AlertInput AlertFor(int64_t deployment_id, int64_t entry_id) {
  AlertInput a;
  a.deployment_id = deployment_id;
  a.camera = "gate-a";
  a.entry_id = entry_id;
  a.track_id = 7;
  a.score = 0.66f;
  a.fused_score = 0.64f;
  a.threshold = 0.6f;
  const std::string crop = "crop-jpeg", thumb = "thumb-jpeg";
  a.crop_jpeg.assign(crop.begin(), crop.end());
  a.thumbnail_jpeg.assign(thumb.begin(), thumb.end());
  return a;
}

AlertDecision Decision(AlertState state, AlertOutcome outcome, std::string note) {
  AlertDecision d;
  d.state = state;
  d.outcome = outcome;
  d.note = std::move(note);
  return d;
}

RawDb::RawDb(const std::filesystem::path& path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << "cannot open " << path;
  sqlite3_busy_timeout(db_, 5000);
}

RawDb::~RawDb() { sqlite3_close(db_); }

std::string RawDb::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return "";
  std::string msg = err != nullptr ? err : "error";
  sqlite3_free(err);
  return msg;
}

std::string RawDb::Scalar(const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    if (t != nullptr) out = reinterpret_cast<const char*>(t);
  }
  sqlite3_finalize(st);
  return out;
}

std::vector<std::vector<uint8_t>> RawDb::Blobs(const std::string& sql) {
  std::vector<std::vector<uint8_t>> out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(db_) << " in " << sql;
    return out;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st, 0));
    if (p != nullptr) out.emplace_back(p, p + sqlite3_column_bytes(st, 0));
  }
  sqlite3_finalize(st);
  return out;
}

MasterKey StoreFixture::TestMasterKey() {
  std::vector<uint8_t> raw(32);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>(i * 7 + 1);
  return MasterKey::FromBytes(raw.data());
}

namespace {

class PgRaw : public RawSql {
 public:
  explicit PgRaw(const std::string& uri) {
    try {
      conn_ = std::make_unique<pqxx::connection>(uri);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot connect to " << uri << ": " << e.what();
    }
  }
  std::string Exec(const std::string& sql) override {
    if (!conn_) return "no connection";
    try {
      pqxx::nontransaction tx(*conn_);
      tx.exec(sql);
      return "";
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  std::string Scalar(const std::string& sql) override {
    if (!conn_) return "";
    try {
      pqxx::nontransaction tx(*conn_);
      pqxx::result r = tx.exec(sql);
      if (r.empty() || r[0][0].is_null()) return "";
      return r[0][0].c_str();
    } catch (const std::exception& e) {
      return "";
    }
  }
  std::vector<std::vector<uint8_t>> Blobs(const std::string& sql) override {
    std::vector<std::vector<uint8_t>> out;
    if (!conn_) return out;
    try {
      pqxx::nontransaction tx(*conn_);
      for (const auto& row : tx.exec(sql)) {
        if (row[0].is_null()) continue;
        pqxx::binarystring b(row[0]);
        out.emplace_back(b.data(), b.data() + b.size());
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << " in " << sql;
    }
    return out;
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

std::unique_ptr<RawSql> RawPostgres(const std::string& uri) { return std::make_unique<PgRaw>(uri); }

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kPostgres ? "PostgreSQL" : "SQLite";
}

void StoreFixture::SetUp() {
  dir_ = TempDir("store");
  db_path_ = dir_ / "lfr.db";
  if (backend() == Backend::kPostgres) {
    auto cluster = PostgresCluster::Shared();
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    auto uri = (*cluster)->NewDatabase();
    ASSERT_TRUE(uri.ok()) << uri.status().ToString();
    pg_uri_ = *uri;
  }
  Reopen();
}

Result<std::unique_ptr<Store>> StoreFixture::OpenAnother(const MasterKey& master) {
  if (backend() == Backend::kPostgres) return OpenPostgresStore(pg_uri_, master, {&clock_});
  return OpenSqliteStore(db_path_, master, {&clock_});
}

std::unique_ptr<RawSql> StoreFixture::Raw() {
  if (backend() == Backend::kPostgres) return RawPostgres(pg_uri_);
  return std::make_unique<RawDb>(db_path_);
}

void StoreFixture::Reopen() {
  store_.reset();
  auto s = OpenAnother(master_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store_ = std::move(s).value();
}

int64_t StoreFixture::NewDeployment(const std::string& name) {
  auto d = store_->CreateDeployment(Spec(name), "mobilefacenet-arcface", kCli);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? d->id : 0;
}

int64_t StoreFixture::ActiveDeployment(const std::string& name) {
  const int64_t id = NewDeployment(name);
  EXPECT_TRUE(store_->AddCamera(Cam(id, "gate-a"), kCli).ok());
  auto e = store_->AddWatchlistEntry(Entry(id, "PNC-1", 1), kCli);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  // By the rules: a published notice, and the clock (kT0) within the planned window.
  EXPECT_TRUE(store_->PublishNotice(id, "LFR will be used at Westgate Street.", kCli).ok());
  auto s = store_->StartDeployment(id, kCli);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return id;
}

}  // namespace lfr::testing
