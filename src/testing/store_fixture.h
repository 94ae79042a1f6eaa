// Test helpers for the store: a fresh store per test on a manual clock (SQLite by default;
// PostgreSQL in a fresh database of the test process's throwaway cluster for the suites
// parametrised over both, BackendStoreFixture), builders for valid deployments/entries/
// alerts with synthetic face data, and raw SQL access to the database (for tamper tests).
#ifndef LFR_TESTING_STORE_FIXTURE_H_
#define LFR_TESTING_STORE_FIXTURE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/postgres_store.h"
#include "store/sqlite_store.h"
#include "util/clock.h"

namespace lfr::testing {

constexpr int64_t kT0 = 1795599688000;  // 2026-11-25T09:41:28Z
inline const Actor kCli{"cli:test"};
inline const Actor kSystem{"system"};

// A complete, valid deployment spec named `name`, planned for a day from kT0.
DeploymentSpec Spec(const std::string& name);
// Camera `name` (uri rtsp://cam/<name>) of a deployment.
Camera Cam(int64_t deployment_id, const std::string& name);
// A deterministic random unit vector.
std::vector<float> UnitVector(int seed, int dim = 128);
// n unit vectors (row-major) that all lean towards `centre` (unit): random noise plus
// 0.45 x centre, renormalised, so centre scores ~0.4 with each while they score ~0.17 with
// each other: a background cohort in which `centre` is a hub.
std::vector<float> StrangersAround(const std::vector<float>& centre, int n, uint64_t seed);
// A valid entry: reference, display name "Person <reference>", category "wanted: violence",
// a reason, a fake JPEG payload and UnitVector(seed).
WatchlistEntryInput Entry(int64_t deployment_id, const std::string& reference, int seed);
// An alert on camera gate-a with crop "crop-jpeg" and thumbnail "thumb-jpeg".
AlertInput AlertFor(int64_t deployment_id, int64_t entry_id);

// An operator's decision.
AlertDecision Decision(AlertState state, AlertOutcome outcome = AlertOutcome::kNone, std::string note = "");

// Raw SQL access to a store's database, bypassing the store. Exec returns "" or the error.
class RawSql {
 public:
  virtual ~RawSql() = default;
  virtual std::string Exec(const std::string& sql) = 0;
  // The first column of the first row of a query, as text ("" if none).
  virtual std::string Scalar(const std::string& sql) = 0;
  // Every non-NULL blob of the first column of a query.
  virtual std::vector<std::vector<uint8_t>> Blobs(const std::string& sql) = 0;
};

// Raw access to a database file with the SQLite C API.
class RawDb : public RawSql {
 public:
  explicit RawDb(const std::filesystem::path& path);
  ~RawDb() override;
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  std::string Exec(const std::string& sql) override;
  std::string Scalar(const std::string& sql) override;
  std::vector<std::vector<uint8_t>> Blobs(const std::string& sql) override;

 private:
  ::sqlite3* db_ = nullptr;
};

// Raw access to a PostgreSQL database (its own connection; each Exec autocommits).
std::unique_ptr<RawSql> RawPostgres(const std::string& uri);

// Which implementation a store test runs against.
enum class Backend { kSqlite, kPostgres };
std::string BackendName(const ::testing::TestParamInfo<Backend>& info);  // "SQLite", "PostgreSQL"

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override { store_.reset(); }
  // The implementation under test (SQLite unless a parametrised fixture says otherwise).
  virtual Backend backend() const { return Backend::kSqlite; }
  // Closes and opens the store again (same database, key and clock).
  void Reopen();
  // Opens another store on the same database (another connection), e.g. for concurrency.
  Result<std::unique_ptr<Store>> OpenAnother(const MasterKey& master);
  // Raw SQL on the store's database.
  std::unique_ptr<RawSql> Raw();
  int64_t NewDeployment(const std::string& name);
  // A started deployment with camera gate-a and one entry, reference PNC-1 (seed 1), its
  // advance notice published (revision 1) and started within its window (at kT0).
  int64_t ActiveDeployment(const std::string& name);

  std::filesystem::path dir_, db_path_;  // SQLite: the database file (dir_ is a temp dir for both)
  std::string pg_uri_;                   // PostgreSQL: the test's database
  ManualClock clock_{kT0};
  MasterKey master_ = TestMasterKey();
  std::unique_ptr<Store> store_;

 private:
  static MasterKey TestMasterKey();
};

// A store fixture run once per backend: TEST_P(Suite, ...) with
// `class Suite : public BackendStoreFixture {};` and LFR_STORE_BACKENDS(Suite).
class BackendStoreFixture : public StoreFixture, public ::testing::WithParamInterface<Backend> {
 protected:
  Backend backend() const override { return GetParam(); }
};

}  // namespace lfr::testing

#define LFR_STORE_BACKENDS(Suite)                                                                        \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                                              \
                           ::testing::Values(::lfr::testing::Backend::kSqlite,                           \
                                             ::lfr::testing::Backend::kPostgres),                        \
                           ::lfr::testing::BackendName)

#endif  // LFR_TESTING_STORE_FIXTURE_H_
