#include "cli/cli.h"

#include <opencv2/core.hpp>
#include <spdlog/spdlog.h>

#include "models/catalog.h"
#include "models/store.h"
#include "util/paths.h"

namespace lfr::cli {

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk: return kExitOk;
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound: return kExitBadInput;
    case Status::Code::kCorrupt: return kExitMissingModel;
    case Status::Code::kFailedPrecondition: return kExitRefused;
    case Status::Code::kUnavailable:
    case Status::Code::kIOError:
    case Status::Code::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

void Fail(Context& ctx, const Status& s) {
  *ctx.err << "lfr: " << s.message() << "\n";
  if (ctx.exit_code == kExitOk || ctx.exit_code == kExitNothingFound) ctx.exit_code = ExitCodeFor(s);
}

namespace {

// "lfr 0.1.0 (detector yunet-2022mar, recogniser mobilefacenet-arcface)".
std::string VersionLine() {
  std::string line = std::string("lfr ") + LFR_VERSION + " (OpenCV " + CV_VERSION;
  auto catalog = Catalog::Load();
  if (!catalog.ok()) return line + "; catalogue error: " + catalog.status().message() + ")";
  ModelStore store(&catalog.value(), ModelStoreDir(), ModelMirrorDir());
  for (ModelRole role : {ModelRole::kDetector, ModelRole::kRecogniser}) {
    auto m = store.DefaultFor(role);
    line += std::string("; ") + RoleName(role) + " " + (m.ok() ? m->spec->id : "none installed");
  }
  return line + ")";
}

}  // namespace

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Context ctx{&out, &err};
  // Library logging goes to stderr and stays quiet unless asked; it never carries face data.
  spdlog::set_level(spdlog::level::warn);
  // OpenCV's own thread pool: one worker per core. The live pipeline overrides this per
  // camera thread; for the one-shot commands all cores help a single image.
  cv::setNumThreads(-1);

  CLI::App app{
      "OpenLFR: live facial recognition with watchlists, adjudication, retention and reports, and\n"
      "retrospective search of reference galleries (`lfr gallery`, `lfr search`).\n"
      "Models live in $LFR_HOME/models (default ~/.local/share/openlfr/models); fetch them with\n"
      "`lfr models fetch` (LFR_MODEL_MIRROR=DIR copies from a local mirror instead of downloading).\n"
      "Deployments, watchlists, alerts and the audit log live in an encrypted store ($LFR_HOME/lfr.db,\n"
      "or --db / LFR_DB, or a PostgreSQL database: --store postgres://...) whose master key is $LFR_HOME/master.key (0600) or LFR_MASTER_KEY (hex).\n"
      "Exit codes: 0 ok, 1 nothing found (e.g. no face), 2 bad input (incl. unknown id), 3 model,\n"
      "key or data missing or corrupt (incl. wrong master key), 4 internal or I/O error (incl. disk\n"
      "full), 5 refused by state (e.g. deployment closed), 6 audit log tampered.",
      "lfr"};
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "Print the version and the models in use, then exit");
  app.add_flag("-q,--quiet", ctx.quiet, "Print less on stderr");
  app.add_option("--db,--store", ctx.db_path,
                 "The store: a database file, or postgres://user@host[:port]/db for the central store on "
                 "PostgreSQL (default: LFR_DB, else $LFR_HOME/lfr.db); give it before the command");

  RegisterModelsCommand(app, ctx);
  RegisterDetectCommand(app, ctx);
  RegisterCompareCommand(app, ctx);
  RegisterEvalCommand(app, ctx);
  RegisterCalibrateCommand(app, ctx);
  RegisterWatchCommand(app, ctx);
  RegisterBenchCommand(app, ctx);
  RegisterDeploymentCommand(app, ctx);
  RegisterWatchlistCommand(app, ctx);
  RegisterCohortCommand(app, ctx);
  RegisterAlertsCommand(app, ctx);
  RegisterAuditCommand(app, ctx);
  RegisterPurgeCommand(app, ctx);
  RegisterServeCommand(app, ctx);
  RegisterUserCommand(app, ctx);
  RegisterNodeCommand(app, ctx);
  RegisterReportCommand(app, ctx);
  RegisterGalleryCommand(app, ctx);
  RegisterSearchCommand(app, ctx);
  RegisterFootageCommand(app, ctx);
  RegisterSearchVideoCommand(app, ctx);
  RegisterTestingCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // Sub-command help is also signalled through ParseError subclasses with exit code 0.
    if (e.get_exit_code() == 0) return app.exit(e, out, err);
    err << "lfr: " << e.what() << "\n(run `lfr --help` for usage)\n";
    return kExitBadInput;
  } catch (const cv::Exception& e) {
    err << "lfr: OpenCV error: " << e.what() << "\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    err << "lfr: " << e.what() << "\n";
    return kExitInternal;
  }
  if (version) {
    out << VersionLine() << "\n";
    return kExitOk;
  }
  if (app.get_subcommands().empty()) {
    out << app.help();
    return kExitOk;
  }
  return ctx.exit_code;
}

}  // namespace lfr::cli
