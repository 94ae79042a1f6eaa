#include "store/sqlite_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/sql_store.h"
#include "store/sqlite_db.h"
#include "util/paths.h"

namespace lfr {
namespace fs = std::filesystem;

Result<std::unique_ptr<Store>> OpenSqliteStore(const fs::path& path, const MasterKey& master,
                                               const SqliteStoreOptions& options) {
  LFR_RETURN_IF_ERROR(InitCrypto());
  std::error_code ec;
  if (path.has_parent_path() && !fs::exists(path.parent_path(), ec)) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return Status::IOError("cannot create folder " + path.parent_path().string() + ": " + ec.message());
    }
    fs::permissions(path.parent_path(), fs::perms::owner_all, ec);
  }
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
    return Status::Corrupt(path.string() + " is not an OpenLFR database (not a regular file)");
  }
  // A new database file is created private before SQLite opens it: its WAL and SHM files
  // take the database file's permissions.
  if (!fs::exists(path, ec)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
      return Status::IOError("cannot create " + path.string() + ": " + std::strerror(errno));
    }
    if (fd >= 0) ::close(fd);
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqlite::Error(db, rc, path.string(), "cannot open the database");
    sqlite3_close_v2(db);
    return s;
  }
  return OpenSqlStore(sqlite::WrapDatabase(db, path.string()), master, options.clock);
}

fs::path DefaultDatabasePath() { return HomeDir() / "lfr.db"; }

}  // namespace lfr
