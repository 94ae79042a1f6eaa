// Test helpers for running the real `lfr` binary as a child process: for tests that must
// kill it (crash consistency), limit it (a full disk via RLIMIT_FSIZE) or give it its own
// environment (TMPDIR), which the in-process RunLfr cannot.
//
//   LfrProcess p = LfrProcess::Start({"watchlist", "import", ...}, {.env = {{"LFR_HOME", dir}}});
//   p.Kill(SIGKILL);  int status = p.Wait();
#ifndef LFR_TESTING_LFR_PROCESS_H_
#define LFR_TESTING_LFR_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace lfr::testing {

// The lfr binary: $LFR_BINARY (ctest sets it), else <source dir>/build/lfr.
std::filesystem::path LfrBinary();

struct SpawnOptions {
  std::vector<std::pair<std::string, std::string>> env;  // set (overriding) in the child
  std::vector<std::string> unset_env;                     // removed in the child
  std::filesystem::path stdout_file, stderr_file;         // "" = /dev/null
  int64_t max_file_bytes = 0;                             // RLIMIT_FSIZE; 0 = unlimited
};

class LfrProcess {
 public:
  // Forks and execs LfrBinary() with args. pid() < 0 if it could not start.
  static LfrProcess Start(const std::vector<std::string>& args, const SpawnOptions& options);
  LfrProcess(LfrProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  LfrProcess(const LfrProcess&) = delete;
  LfrProcess& operator=(const LfrProcess&) = delete;
  ~LfrProcess();  // kills (SIGKILL) and reaps a child still running

  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it if it has; then Wait() returns at once).
  bool Running();
  void Kill(int signal);
  // Waits for the child and returns its wait status (use WIFEXITED/WEXITSTATUS/WTERMSIG).
  int Wait();

 private:
  explicit LfrProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Runs lfr to completion; returns {exit code (or 128 + signal), stdout, stderr}.
struct ProcessRun {
  int code;
  std::string out, err;
};
ProcessRun RunLfrProcess(const std::vector<std::string>& args, SpawnOptions options);

}  // namespace lfr::testing

#endif  // LFR_TESTING_LFR_PROCESS_H_
