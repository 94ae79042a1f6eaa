// The central store on PostgreSQL: the test cluster itself, what is PostgreSQL-specific
// (placeholders, URIs, opening a foreign or unreachable database), and the audit chain
// appended by concurrent writers on separate connections (run on both backends). The
// store's behaviour is tested on both backends by the parametrised store suites
// (sqlite_store_test.cc, gallery_store_test.cc, crypto_shred_test.cc, ...).
#include "store/postgres_store.h"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/postgres_db.h"
#include "store/postgres_schema.h"
#include "store/sqlite_schema.h"
#include "testing/postgres_cluster.h"
#include "testing/store_fixture.h"

namespace lfr {
namespace {
using ::testing::HasSubstr;
using namespace lfr::testing;  // NOLINT: fixtures and builders

TEST(PostgresCluster, StartsAndHandsOutFreshDatabases) {
  auto cluster = PostgresCluster::Shared();
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  auto a = (*cluster)->NewDatabase();
  auto b = (*cluster)->NewDatabase();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(*a, *b);
  auto raw = RawPostgres(*a);
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"), "0");
  EXPECT_EQ(raw->Scalar("SHOW lc_collate"), "C");
}

TEST(PostgresPlaceholders, AreNumberedOutsideQuotedText) {
  EXPECT_EQ(postgres::NumberPlaceholders("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2");
  EXPECT_EQ(postgres::NumberPlaceholders("SELECT '?' || ?, \"q?\" FROM t WHERE x = 'it''s ?' AND y = ?"),
            "SELECT '?' || $1, \"q?\" FROM t WHERE x = 'it''s ?' AND y = $2");
}

TEST(PostgresUri, PasswordsNeverReachMessages) {
  EXPECT_EQ(postgres::RedactUri("postgres://lfr:s3cret@db.example:5432/lfr"), "postgres://lfr:***@db.example:5432/lfr");
  EXPECT_EQ(postgres::RedactUri("postgresql://lfr@db/lfr?password=s3cret&sslmode=require"),
            "postgresql://lfr@db/lfr?password=***&sslmode=require");
  EXPECT_EQ(postgres::RedactUri("host=db password=s3cret dbname=lfr"), "host=db password=*** dbname=lfr");
  EXPECT_TRUE(IsPostgresUri("postgres://x/y"));
  EXPECT_TRUE(IsPostgresUri("postgresql://x/y"));
  EXPECT_FALSE(IsPostgresUri("/var/lib/lfr/lfr.db"));
}

TEST(PostgresSchema, IsAtTheSameVersionAsTheSqliteSchema) {
  // Version N means the same tables and columns in both: a migration added to one list
  // must be added to the other.
  EXPECT_EQ(postgres::LatestSchemaVersion(), sqlite::LatestSchemaVersion());
}

TEST(PostgresStore, AnUnreachableServerIsUnavailableAndNamesItWithoutThePassword) {
  auto cluster = PostgresCluster::Shared();
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  // A port nobody listens on: the cluster's port + 1 would be a guess; port 1 is refused.
  auto r = OpenPostgresStore("postgresql://lfr:s3cret@127.0.0.1:1/lfr", MasterKey::FromBytes(
                                                                             std::vector<uint8_t>(32, 1).data()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("cannot connect to the PostgreSQL store postgresql://lfr:***@127.0.0.1:1/lfr"));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("s3cret")));
}

TEST(PostgresStore, ADatabaseHoldingOtherTablesIsLeftAlone) {
  auto cluster = PostgresCluster::Shared();
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  auto uri = (*cluster)->NewDatabase();
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  auto raw = RawPostgres(*uri);
  ASSERT_EQ(raw->Exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1);"), "");
  auto r = OpenPostgresStore(*uri, MasterKey::FromBytes(std::vector<uint8_t>(32, 1).data()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorrupt);
  EXPECT_THAT(r.status().message(), HasSubstr("not an OpenLFR database"));
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"), "1");
}

class StoreConcurrencyTest : public BackendStoreFixture {};

TEST_P(StoreConcurrencyTest, ConcurrentWritersOnSeparateConnectionsKeepTheAuditChainIntact) {
  // Two stores on one database (two `lfr serve` processes, or serve and the CLI), each
  // appending from its own thread: every row lands, in one unbroken chain.
  const int64_t dep = ActiveDeployment("D");
  auto other = OpenAnother(master_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  const int before = static_cast<int>(store_->VerifyAudit()->rows);
  constexpr int kEach = 60;
  auto work = [&](Store* s, const std::string& who) {
    for (int i = 0; i < kEach; ++i) {
      if (i % 3 == 0) {
        EXPECT_TRUE(s->AddCamera(Cam(dep, who + std::to_string(i)), Actor{who}).ok());
      } else {
        Status st = s->Audit(Actor{who}, "login", "user:" + who, "{}");
        EXPECT_TRUE(st.ok()) << st.ToString();
      }
    }
  };
  std::thread a(work, store_.get(), "alice");
  std::thread b(work, other->get(), "bob");
  a.join();
  b.join();
  for (Store* s : {store_.get(), other->get()}) {
    auto v = s->VerifyAudit();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->ok) << v->reason;
    EXPECT_EQ(v->rows, before + 2 * kEach);
  }
  EXPECT_EQ(store_->ListCameras(dep)->size(), 1u + 2 * 20);
}

LFR_STORE_BACKENDS(StoreConcurrencyTest);

}  // namespace
}  // namespace lfr
