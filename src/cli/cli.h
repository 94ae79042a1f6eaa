// The `lfr` command line. main() is RunCli(); every subcommand lives in its own
// cmd_<name>.cc and registers itself with a Register<Name>Command function listed in
// cli.cc. The CLI is thin: it parses, calls the library, prints.
//
// Exit codes (part of the interface, tested in cli_test.cc):
//   0 success; 1 ran fine but found nothing (e.g. no face in the image);
//   2 bad input (missing/unreadable/non-image file, bad argument value);
//   3 a needed model or data is missing or corrupt; 4 internal or I/O error.
#ifndef LFR_CLI_CLI_H_
#define LFR_CLI_CLI_H_

#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include "util/status.h"

namespace lfr::cli {

enum ExitCode { kExitOk = 0, kExitNothingFound = 1, kExitBadInput = 2, kExitMissingModel = 3,
                kExitInternal = 4 };

// Shared by all subcommands of one invocation.
struct Context {
  std::ostream* out;     // results (JSON or text)
  std::ostream* err;     // diagnostics, progress
  int exit_code = kExitOk;
  bool quiet = false;
};

// Maps a Status to an exit code (InvalidArgument/NotFound of an input -> 2, ...).
int ExitCodeFor(const Status& s);
// Prints "lfr: <message>" to ctx.err and sets ctx.exit_code from the status.
void Fail(Context& ctx, const Status& s);

// Parses argv and runs the chosen subcommand; returns the process exit code.
int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// Subcommand registration (one per cmd_*.cc).
void RegisterModelsCommand(CLI::App& app, Context& ctx);
void RegisterDetectCommand(CLI::App& app, Context& ctx);
void RegisterCompareCommand(CLI::App& app, Context& ctx);
void RegisterEvalCommand(CLI::App& app, Context& ctx);
void RegisterCalibrateCommand(CLI::App& app, Context& ctx);
void RegisterWatchCommand(CLI::App& app, Context& ctx);
void RegisterBenchCommand(CLI::App& app, Context& ctx);

}  // namespace lfr::cli

#endif  // LFR_CLI_CLI_H_
