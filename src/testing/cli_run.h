// Test helpers for driving `lfr` in-process and for scoped environment changes.
//
//   CliRun r = RunLfr({"detect", "--json", "a.jpg"});   // r.code, r.out, r.err
//   ScopedEnv home("LFR_HOME", dir.string());           // restored at end of scope
#ifndef LFR_TESTING_CLI_RUN_H_
#define LFR_TESTING_CLI_RUN_H_

#include <optional>
#include <string>
#include <vector>

namespace lfr::testing {

// What one `lfr` invocation printed and returned.
struct CliRun {
  int code;
  std::string out;
  std::string err;
};

// Runs RunCli with "lfr" prepended to args; captures stdout/stderr.
CliRun RunLfr(std::vector<std::string> args);

// Sets (or, with nullopt, unsets) an environment variable for the lifetime of the object,
// restoring the previous value afterwards. Not thread-safe (setenv).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace lfr::testing

#endif  // LFR_TESTING_CLI_RUN_H_
