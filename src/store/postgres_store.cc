#include "store/postgres_store.h"

#include "store/postgres_db.h"
#include "store/sql_store.h"

namespace lfr {

bool IsPostgresUri(const std::string& store) {
  return store.rfind("postgres://", 0) == 0 || store.rfind("postgresql://", 0) == 0;
}

std::string RedactPostgresUri(const std::string& uri) { return postgres::RedactUri(uri); }

Result<bool> PostgresDatabaseHasTables(const std::string& uri) {
  auto db = postgres::Connect(uri);
  if (!db.ok()) return db.status();
  return (*db)->HasTables();
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& uri, const MasterKey& master,
                                                 const PostgresStoreOptions& options) {
  auto db = postgres::Connect(uri);
  if (!db.ok()) return db.status();
  return OpenSqlStore(std::move(db).value(), master, options.clock);
}

}  // namespace lfr
