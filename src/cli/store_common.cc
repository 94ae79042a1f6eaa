#include "cli/store_common.h"

#include <pwd.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "privacy/crypto.h"
#include "store/retention.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace lfr::cli {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path DatabasePath(const Context& ctx) {
  if (!ctx.db_path.empty()) return ctx.db_path;
  if (const char* env = std::getenv("LFR_DB"); env != nullptr && *env != '\0') return env;
  return DefaultDatabasePath();
}

namespace {

void FailWith(Context& ctx, int code, const std::string& message) {
  *ctx.err << "lfr: " << message << "\n";
  if (ctx.exit_code == kExitOk || ctx.exit_code == kExitNothingFound) ctx.exit_code = code;
}

// Whether a file starts with SQLite's header magic: a file that does not is reported as
// "not a database" before any complaint about keys.
bool LooksLikeSqlite(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[16] = {};
  f.read(magic, sizeof magic);
  return f.gcount() == 16 && std::memcmp(magic, "SQLite format 3", 16) == 0;
}

bool EnvKeySet() {
  const char* env = std::getenv("LFR_MASTER_KEY");
  return env != nullptr && *env != '\0';
}

}  // namespace

std::unique_ptr<Store> OpenCliStore(Context& ctx, bool enforce_retention) {
  const fs::path db = DatabasePath(ctx);
  // The central store: a PostgreSQL database named by its URI.
  const bool central = IsPostgresUri(db.string());
  const std::string shown = central ? RedactPostgresUri(db.string()) : db.string();
  const fs::path key_path = DefaultMasterKeyPath();
  std::error_code ec;
  bool db_exists = false;
  if (central) {
    auto has = PostgresDatabaseHasTables(db.string());
    if (!has.ok()) {
      FailWith(ctx, kExitInternal, has.status().message());
      return nullptr;
    }
    db_exists = *has;
  } else {
    db_exists = fs::exists(db, ec) && fs::file_size(db, ec) > 0;
    if (db_exists && !LooksLikeSqlite(db)) {
      FailWith(ctx, kExitMissingModel, db.string() + " is not an OpenLFR database (not an SQLite file)");
      return nullptr;
    }
  }
  auto key = MasterKey::Load(key_path);
  if (!key.ok() && key.status().code() == Status::Code::kNotFound && !EnvKeySet()) {
    if (db_exists) {
      FailWith(ctx, kExitMissingModel,
               "the database " + shown + " exists but its master key is missing (" +
                   key.status().message() + "). Restore the key file (mode 0600) or set LFR_MASTER_KEY; "
                   "without it the face data in the database cannot be read");
      return nullptr;
    }
    key = MasterKey::Create(key_path);
    if (key.ok()) {
      *ctx.err << "lfr: created a new master key " << key_path.string()
               << " (mode 0600). Back it up somewhere safe and separate: without it nothing "
                  "sealed in "
               << shown << " can be read.\n";
    }
  }
  if (!key.ok()) {
    FailWith(ctx, key.status().code() == Status::Code::kIOError ? kExitInternal : kExitMissingModel,
             key.status().message());
    return nullptr;
  }
  auto store = central ? OpenPostgresStore(db.string(), *key) : OpenSqliteStore(db, *key);
  if (!store.ok()) {
    const auto code = store.status().code();
    FailWith(ctx,
             code == Status::Code::kIOError || code == Status::Code::kUnavailable ||
                     code == Status::Code::kInternal
                 ? kExitInternal
                 : kExitMissingModel,
             store.status().message());
    return nullptr;
  }
  if (enforce_retention) {
    auto policy = RetentionPolicyFromEnv();
    if (!policy.ok()) {
      Fail(ctx, policy.status());
      return nullptr;
    }
    RetentionEnforcer enforcer(store->get(), SystemClock(), *policy, DefaultFootageDir());
    auto run = enforcer.RunOnce();
    if (!run.ok()) {
      Fail(ctx, run.status());
      return nullptr;
    }
    if (!ctx.quiet && (run->alerts_purged > 0 || run->footage_files_deleted > 0)) {
      *ctx.err << "lfr: retention: deleted the data of " << run->alerts_purged << " expired alert(s) and "
               << run->footage_files_deleted << " expired footage file(s)\n";
    }
  }
  return std::move(store).value();
}

Actor CliActor() {
  std::string user;
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    user = pw->pw_name;
  } else if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') {
    user = u;
  } else {
    user = "uid" + std::to_string(geteuid());
  }
  return Actor{"cli:" + user};
}

Result<int64_t> ParseId(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end == nullptr || *end != '\0' || v <= 0) {
    return Status::InvalidArgument(what + " must be a positive number, got \"" + text + "\"");
  }
  return static_cast<int64_t>(v);
}

}  // namespace lfr::cli
