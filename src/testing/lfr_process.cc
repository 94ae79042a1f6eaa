#include "testing/lfr_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "testing/shared.h"
#include "build_info.h"  // LFR_SOURCE_DIR

extern char** environ;

namespace lfr::testing {
namespace fs = std::filesystem;

fs::path LfrBinary() {
  if (const char* b = std::getenv("LFR_BINARY"); b != nullptr && *b != '\0') return b;
  return fs::path(LFR_SOURCE_DIR) / "build" / "lfr";
}

LfrProcess LfrProcess::Start(const std::vector<std::string>& args, const SpawnOptions& options) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe
  // calls (the test process has threads).
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& name : options.unset_env) env.erase(name);
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const std::string binary = LfrBinary().string();
  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const std::string out = options.stdout_file.empty() ? "/dev/null" : options.stdout_file.string();
  const std::string err = options.stderr_file.empty() ? "/dev/null" : options.stderr_file.string();
  const rlimit fsize{static_cast<rlim_t>(options.max_file_bytes), static_cast<rlim_t>(options.max_file_bytes)};

  const pid_t pid = fork();
  if (pid == 0) {
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (o < 0 || e < 0) _exit(126);
    dup2(o, 1);
    dup2(e, 2);
    if (options.max_file_bytes > 0) {
      signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG, like a full disk
      setrlimit(RLIMIT_FSIZE, &fsize);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (pid < 0) ADD_FAILURE() << "fork failed: " << std::strerror(errno);
  return LfrProcess(pid);
}

LfrProcess::~LfrProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

bool LfrProcess::Running() {
  if (pid_ <= 0 || reaped_) return false;
  const pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

void LfrProcess::Kill(int signal) {
  if (pid_ > 0 && !reaped_) kill(pid_, signal);
}

int LfrProcess::Wait() {
  if (pid_ > 0 && !reaped_) {
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  return status_;
}

namespace {
std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

ProcessRun RunLfrProcess(const std::vector<std::string>& args, SpawnOptions options) {
  const fs::path dir = TempDir("lfr-run");
  if (options.stdout_file.empty()) options.stdout_file = dir / "stdout";
  if (options.stderr_file.empty()) options.stderr_file = dir / "stderr";
  LfrProcess p = LfrProcess::Start(args, options);
  const int status = p.Wait();
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, Slurp(options.stdout_file), Slurp(options.stderr_file)};
}

}  // namespace lfr::testing
