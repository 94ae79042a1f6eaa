#include "testing/postgres_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <pqxx/pqxx>

#include "testing/free_port.h"

namespace lfr::testing {
namespace fs = std::filesystem;

namespace {

std::string Tail(const fs::path& log, size_t max_chars = 1500) {
  std::ifstream f(log);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_chars) s = "..." + s.substr(s.size() - max_chars);
  return s;
}

// Runs a shell command; OK or an error naming what and the end of log.
Status Run(const std::string& what, const std::string& cmd, const fs::path& log) {
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    return Status::Unavailable("test PostgreSQL: " + what + " failed (exit " + std::to_string(rc) + ", command: " +
                               cmd + "): " + Tail(log));
  }
  return Status::Ok();
}

PostgresCluster* g_cluster = nullptr;

void StopAtExit() {
  if (g_cluster != nullptr) g_cluster->Stop();
}

}  // namespace

Result<PostgresCluster*> PostgresCluster::Shared() {
  static std::once_flag once;
  static Status started = Status::Ok();
  std::call_once(once, [] {
    g_cluster = new PostgresCluster();  // lives until exit: StopAtExit stops it
    std::atexit(StopAtExit);
    started = g_cluster->Start();
    if (!started.ok()) g_cluster->Stop();
  });
  if (!started.ok()) return started;
  return g_cluster;
}

Status PostgresCluster::Start() {
  const char* bin = std::getenv("LFR_PG_BIN");
  bin_ = bin != nullptr && *bin != '\0' ? fs::path(bin) : fs::path("/usr/lib/postgresql/15/bin");
  if (!fs::exists(bin_ / "initdb") || !fs::exists(bin_ / "pg_ctl")) {
    return Status::Unavailable("test PostgreSQL: no initdb/pg_ctl in " + bin_.string() +
                               " (install postgresql-15 with scripts/setup, or set LFR_PG_BIN)");
  }
  std::string tmpl = (fs::temp_directory_path() / "lfr-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return Status::IOError("test PostgreSQL: cannot create a temp dir");
  dir_ = tmpl;
  if (::geteuid() == 0) {
    // initdb refuses to run as root: the cluster runs as the postgres user.
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) {
      return Status::Unavailable("test PostgreSQL: running as root, but there is no postgres user to run the "
                                 "cluster as (install postgresql-15 with scripts/setup)");
    }
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return Status::IOError("test PostgreSQL: cannot chown " + dir_.string() + " to postgres");
    }
    run_as_ = "runuser -u postgres -- ";
  }
  const std::string d = dir_.string();
  // cd into the cluster's folder: the postgres user may not be allowed into ours.
  const std::string cd = "cd '" + d + "' && ";
  // initdb takes seconds and ctest runs each test in its own process: the first process
  // initdb's a template cluster (under a lock), the others copy its data directory.
  Status copied = CopyTemplate();
  if (!copied.ok()) {
    LFR_RETURN_IF_ERROR(Run("initdb",
                            cd + run_as_ + "'" + (bin_ / "initdb").string() + "' -D '" + d +
                                "/data' -U postgres -A trust -E UTF8 --no-locale --no-sync > '" + d +
                                "/initdb.log' 2>&1",
                            dir_ / "initdb.log"));
  }
  Status last = Status::Ok();
  for (int attempt = 0; attempt < 3; ++attempt) {  // the free port may be taken meanwhile
    port_ = FreePort();
    if (port_ == 0) return Status::IOError("test PostgreSQL: no free port");
    const std::string opts = "-p " + std::to_string(port_) + " -k " + d +
                             " -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
                             " -c synchronous_commit=off -c max_connections=200";
    last = Run("pg_ctl start",
               cd + run_as_ + "'" + (bin_ / "pg_ctl").string() + "' -D '" + d + "/data' -l '" + d +
                   "/server.log' -w -t 60 -o '" + opts + "' start > '" + d + "/pg_ctl.log' 2>&1",
               dir_ / "server.log");
    if (last.ok()) {
      running_ = true;
      return Status::Ok();
    }
  }
  return last;
}

Status PostgresCluster::CopyTemplate() {
  // One template per user and PostgreSQL binary folder.
  const fs::path tmpl = fs::temp_directory_path() /
                        ("lfr-pg-template-" + std::to_string(::geteuid()) + "-" +
                         std::to_string(std::hash<std::string>{}(bin_.string()) % 1000000007));
  const std::string lock_path = tmpl.string() + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot open " + lock_path);
  ::flock(fd, LOCK_EX);
  Status s = Status::Ok();
  std::error_code ec;
  if (!fs::exists(tmpl / "ready", ec)) {
    fs::remove_all(tmpl, ec);
    fs::create_directories(tmpl, ec);
    if (!run_as_.empty()) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr || ::chown(tmpl.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        s = Status::IOError("cannot chown " + tmpl.string());
      }
    }
    if (s.ok()) {
      const std::string t = tmpl.string();
      s = Run("initdb (template)",
              "cd '" + t + "' && " + run_as_ + "'" + (bin_ / "initdb").string() + "' -D '" + t +
                  "/data' -U postgres -A trust -E UTF8 --no-locale --no-sync > '" + t + "/initdb.log' 2>&1",
              tmpl / "initdb.log");
    }
    if (s.ok()) std::ofstream(tmpl / "ready") << "ok\n";
  }
  if (s.ok()) {
    s = Run("copying the template cluster",
            "cp -a '" + (tmpl / "data").string() + "' '" + (dir_ / "data").string() + "' > '" +
                (dir_ / "copy.log").string() + "' 2>&1",
            dir_ / "copy.log");
  }
  ::flock(fd, LOCK_UN);
  ::close(fd);
  if (!s.ok()) {
    fs::remove_all(dir_ / "data", ec);
    fs::remove_all(tmpl / "ready", ec);  // made again by the next process
  }
  return s;
}

void PostgresCluster::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (dir_.empty()) return;
  const std::string d = dir_.string();
  if (running_) {
    const std::string cmd = "cd '" + d + "' && " + run_as_ + "'" + (bin_ / "pg_ctl").string() + "' -D '" + d +
                            "/data' -m immediate -w stop > /dev/null 2>&1";
    (void)std::system(cmd.c_str());
    running_ = false;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  dir_.clear();
}

std::string PostgresCluster::Uri(const std::string& name) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

Result<std::string> PostgresCluster::NewDatabase() {
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return Status::Unavailable("test PostgreSQL is not running");
    name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++next_db_);
  }
  try {
    pqxx::connection conn(Uri("postgres"));
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("test PostgreSQL: cannot create a database: ") + e.what());
  }
  return Uri(name);
}

}  // namespace lfr::testing
