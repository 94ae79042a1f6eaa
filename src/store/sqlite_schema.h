// The embedded store's schema, as an ordered list of migrations. Migration N brings a
// database from user_version N-1 to N; each runs in one transaction with the version bump.
// Append new migrations; never edit a released one.
#ifndef LFR_STORE_SQLITE_SCHEMA_H_
#define LFR_STORE_SQLITE_SCHEMA_H_

#include <cstdint>
#include <span>

#include "store/sql_db.h"

namespace lfr::sqlite {

using Migration = sql::Migration;

// "LFR1": PRAGMA application_id of every OpenLFR database.
constexpr int32_t kApplicationId = 0x4C465231;

std::span<const Migration> Migrations();
// The newest schema version this binary knows (the last migration's).
int LatestSchemaVersion();

}  // namespace lfr::sqlite

#endif  // LFR_STORE_SQLITE_SCHEMA_H_
