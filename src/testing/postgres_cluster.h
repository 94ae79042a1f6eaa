// A throwaway PostgreSQL cluster for tests: initdb into a temporary directory (as the
// `postgres` user, via runuser, when the tests run as root, as CI does; the directory is
// chowned to it), a random free port on 127.0.0.1 and the unix socket in the same
// directory, started with `pg_ctl start -w` (fsync off: the data is thrown away); its data
// directory is a copy of a template cluster initdb'd once per user in the temp folder
// (ctest runs every test in its own process, and initdb takes seconds). One
// cluster per test process, started on first use; stopped (`pg_ctl stop -m immediate`)
// and deleted at process exit, also when tests failed. Each test takes a fresh database.
//
// The binaries come from LFR_PG_BIN, else /usr/lib/postgresql/15/bin (Debian's
// postgresql-15, installed by scripts/setup). A cluster that cannot start is an error:
// the tests that need it fail, they are not skipped.
//
// Thread-safety: Shared() and NewDatabase() may be called from several threads.
#ifndef LFR_TESTING_POSTGRES_CLUSTER_H_
#define LFR_TESTING_POSTGRES_CLUSTER_H_

#include <filesystem>
#include <mutex>
#include <string>

#include "util/status.h"

namespace lfr::testing {

class PostgresCluster {
 public:
  // The process's cluster, started on the first call (later calls return it, or the same
  // error). The error names the step that failed and the end of its log.
  static Result<PostgresCluster*> Shared();

  // A new empty database (UTF8, C collation) owned by the superuser; returns its URI
  // (postgresql://postgres@127.0.0.1:PORT/NAME).
  Result<std::string> NewDatabase();
  // The URI of database `name` (which need not exist).
  std::string Uri(const std::string& name) const;
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Stops the server and deletes its directory (idempotent; also run at exit).
  void Stop();

  ~PostgresCluster() { Stop(); }

 private:
  PostgresCluster() = default;
  Status Start();
  // Copies the data directory of this user's template cluster (made by initdb on first
  // use, under a file lock) into dir_/data.
  Status CopyTemplate();

  std::filesystem::path dir_;
  std::filesystem::path bin_;
  std::string run_as_;  // "runuser -u postgres -- " when root, else ""
  int port_ = 0;
  bool running_ = false;
  std::mutex mu_;
  int next_db_ = 0;
};

}  // namespace lfr::testing

#endif  // LFR_TESTING_POSTGRES_CLUSTER_H_
