// Helpers shared by the CLI commands that use the store (deployment, watchlist, alerts,
// audit, purge, watch --deployment): opening it with the master key, the acting user, and
// JSON/text renderings of store records. Not part of the library's public surface.
#ifndef LFR_CLI_STORE_COMMON_H_
#define LFR_CLI_STORE_COMMON_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "store/record_json.h"
#include "store/store.h"
#include "util/clock.h"

namespace lfr::cli {

// --db/--store, else LFR_DB, else $LFR_HOME/lfr.db. A postgres:// or postgresql:// URI
// names the central store on PostgreSQL (store/postgres_store.h).
std::filesystem::path DatabasePath(const Context& ctx);

// Opens the store (SQLite file or PostgreSQL URI). If neither a master key nor the
// database exists yet (for PostgreSQL: the database holds no table), creates the key
// file ($LFR_HOME/master.key, 0600) and says so on stderr. On failure prints the reason,
// sets the exit code (3 for key and database problems, 4 for I/O) and returns nullptr.
// With enforce_retention, first purges whatever retention says is due (so no command can
// show expired data, and a restart after downtime purges at once).
std::unique_ptr<Store> OpenCliStore(Context& ctx, bool enforce_retention = true);

// "cli:<unix user>".
Actor CliActor();

// Parses a positive integer id; InvalidArgument naming `what` otherwise.
Result<int64_t> ParseId(const std::string& text, const std::string& what);

// Prints {"<key>": [to_json(item)...], ...extra} as one line on ctx.out.
template <typename T, typename Fn>
void PrintJsonList(Context& ctx, const char* key, const std::vector<T>& items, Fn&& to_json,
                   nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json arr = nlohmann::json::array();
  for (const T& item : items) arr.push_back(to_json(item));
  extra[key] = std::move(arr);
  *ctx.out << extra.dump() << "\n";
}


}  // namespace lfr::cli

#endif  // LFR_CLI_STORE_COMMON_H_
