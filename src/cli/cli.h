// The `lfr` command line. main() is RunCli(); every subcommand lives in its own
// cmd_<name>.cc and registers itself with a Register<Name>Command function listed in
// cli.cc. The CLI is thin: it parses, calls the library, prints.
//
// Exit codes (part of the interface, tested in cli_test.cc and cmd_store_test.cc):
//   0 success; 1 ran fine but found nothing (e.g. no face in the image);
//   2 bad input (missing/unreadable/non-image file, bad argument value, unknown deployment,
//     entry or alert, an image that cannot be enrolled);
//   3 a needed model, key or data is missing or corrupt (includes a missing or wrong master
//     key, a key file others can read, a database that is corrupt, not OpenLFR's or newer
//     than this lfr);
//   4 internal or I/O error (includes a full disk);
//   5 refused: the state does not allow it (deployment not active or closed, watchlist at
//     its cap, alert data already deleted by retention);
//   6 the audit log failed verification (tampered).
#ifndef LFR_CLI_CLI_H_
#define LFR_CLI_CLI_H_

#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include "util/status.h"

namespace lfr::cli {

enum ExitCode { kExitOk = 0, kExitNothingFound = 1, kExitBadInput = 2, kExitMissingModel = 3,
                kExitInternal = 4, kExitRefused = 5, kExitTampered = 6 };

// Shared by all subcommands of one invocation.
struct Context {
  std::ostream* out;     // results (JSON or text)
  std::ostream* err;     // diagnostics, progress
  int exit_code = kExitOk;
  bool quiet = false;
  std::string db_path;   // --db: the store's database ("" = LFR_DB, else $LFR_HOME/lfr.db)
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
void RegisterEvalVideoCommand(CLI::App* eval, Context& ctx);  // cmd_eval_video.cc
void RegisterCalibrateCommand(CLI::App& app, Context& ctx);
void RegisterWatchCommand(CLI::App& app, Context& ctx);
void RegisterBenchCommand(CLI::App& app, Context& ctx);
void RegisterDeploymentCommand(CLI::App& app, Context& ctx);
void RegisterWatchlistCommand(CLI::App& app, Context& ctx);
void RegisterWatchlistForecastCommand(CLI::App* watchlist, Context& ctx);  // cmd_cohort.cc
void RegisterCohortCommand(CLI::App& app, Context& ctx);
void RegisterAlertsCommand(CLI::App& app, Context& ctx);
void RegisterAuditCommand(CLI::App& app, Context& ctx);
void RegisterPurgeCommand(CLI::App& app, Context& ctx);
void RegisterServeCommand(CLI::App& app, Context& ctx);
void RegisterUserCommand(CLI::App& app, Context& ctx);
void RegisterNodeCommand(CLI::App& app, Context& ctx);  // cmd_node.cc
void RegisterReportCommand(CLI::App& app, Context& ctx);
void RegisterGalleryCommand(CLI::App& app, Context& ctx);
void RegisterSearchCommand(CLI::App& app, Context& ctx);
void RegisterFootageCommand(CLI::App& app, Context& ctx);
void RegisterSearchVideoCommand(CLI::App& app, Context& ctx);  // cmd_search_video.cc
// Hidden commands for tests (crash-consistency), registered only when the environment has
// LFR_ENABLE_TEST_COMMANDS=1.
void RegisterTestingCommands(CLI::App& app, Context& ctx);

}  // namespace lfr::cli

#endif  // LFR_CLI_CLI_H_
