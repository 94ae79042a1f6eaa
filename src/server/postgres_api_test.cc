// The HTTP API over the central store on PostgreSQL (`lfr serve --store postgres://...`):
// the same requests work as on SQLite, and a database connection lost while serving is a
// 503 for the request that met it, after which the server reconnects and serves again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/api_fixture.h"

namespace lfr {
namespace {
using ::testing::HasSubstr;
using nlohmann::json;
using namespace lfr::testing;  // NOLINT: fixtures and helpers

class PostgresApiTest : public ApiFixture {
 protected:
  Backend backend() const override { return Backend::kPostgres; }
};

json Deployment(const std::string& name) {
  return {{"name", name},
          {"site", "Cardiff"},
          {"location", "Queen Street"},
          {"start", "2026-12-05T10:00:00Z"},
          {"end", "2026-12-05T18:00:00Z"},
          {"purpose", "Locate people wanted for serious offences"},
          {"legal_basis", "Common law"},
          {"authorising_officer", "Supt. A. Jones"},
          {"threshold", "0.6"},
          {"contact", "lfr@example.police.uk"}};
}

TEST_F(PostgresApiTest, DeploymentsAreCreatedListedAndAuditedInTheCentralStore) {
  ApiClient sue = Login("sue");
  auto created = sue.PostJson("/api/deployments", Deployment("Central Cardiff"));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto list = sue.Get("/api/deployments");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_THAT(list->body, HasSubstr("Central Cardiff"));
  ApiClient aud = Login("aud");
  auto verify = aud.Get("/api/audit/verify");
  ASSERT_TRUE(verify);
  EXPECT_EQ(verify->status, 200) << verify->body;
  EXPECT_TRUE(store_->VerifyAudit()->ok);
  EXPECT_EQ(store_->ListDeployments()->size(), 1u);
}

TEST_F(PostgresApiTest, ALostDatabaseConnectionIsA503AndTheServerReconnects) {
  ApiClient sue = Login("sue");
  ASSERT_EQ(sue.PostJson("/api/deployments", Deployment("Before"))->status, 201);
  // The database server drops the store's connection (a restart, a failover).
  auto raw = StoreFixture::Raw();
  ASSERT_EQ(raw->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                      "AND pid <> pg_backend_pid()"),
            "");
  auto lost = sue.PostJson("/api/deployments", Deployment("During"));
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->status, 503) << lost->body;
  auto again = sue.PostJson("/api/deployments", Deployment("After"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 201) << again->body;
  auto names = store_->ListDeployments();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  ASSERT_EQ(names->size(), 2u);
  EXPECT_EQ((*names)[0].spec.name, "Before");
  EXPECT_EQ((*names)[1].spec.name, "After");
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

}  // namespace
}  // namespace lfr
