// `lfr serve`: the operator console, HTTP API and live pipelines of active deployments,
// over the embedded store or, with --store postgres://..., the central one on PostgreSQL. The first run creates the master key (OpenCliStore) and, when
// the store has no user, an admin with a random password printed once.
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/cli.h"
#include "fleet/central_link.h"
#include "cli/common.h"
#include "cli/store_common.h"
#include "privacy/harden.h"
#include "store/retention.h"
#include "server/retrospective_service.h"
#include "video_search/jobs.h"
#include "server/auth.h"
#include "server/runner.h"
#include "server/server.h"
#include "util/clock.h"
#include "util/paths.h"

namespace lfr::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnServeSignal(int) { g_stop = true; }

struct ServeArgs {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string tls_cert, tls_key;
  int max_upload_mb = 10;
  double false_alert_cap = 1e-3;
  std::string detector_id;
  int working_size = kDefaultWorkingSize;
  int detect_every = kDefaultDetectEvery;
  int embed_every = kDefaultEmbedEvery;
  double max_seconds = 0;
  // HTTP limits and access (server/server.h ServerOptions).
  size_t max_streams = 2000, max_streams_per_session = 8;
  std::string metrics_token_file;
  std::vector<std::string> metrics_allow;
  std::vector<std::string> camera_dirs;
  bool camera_allow_loopback = false;
  std::string bus_url, bus_ca;  // the fleet's message server (fleet/central_link.h)
};

// The /metrics bearer token: from --metrics-token-file (a file only its owner may read) or
// the LFR_METRICS_TOKEN environment variable; "" if neither is given.
Result<std::string> MetricsToken(const std::string& file) {
  if (file.empty()) {
    const char* env = std::getenv("LFR_METRICS_TOKEN");
    return std::string(env != nullptr ? env : "");
  }
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) return Status::InvalidArgument("--metrics-token-file " + file + " does not exist");
  if ((st.st_mode & 077) != 0) {
    return Status::InvalidArgument("--metrics-token-file " + file +
                                   " may be read by others: make it private (chmod 600)");
  }
  std::ifstream in(file);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.size() < 16) {
    return Status::InvalidArgument("--metrics-token-file " + file + ": the token needs at least 16 characters");
  }
  return token;
}

// Creates the first admin when the store has no user. Returns false (after Fail) on error.
bool BootstrapAdmin(Store& store, Context& ctx, const std::string& url) {
  auto users = store.ListUsers();
  if (!users.ok()) {
    Fail(ctx, users.status());
    return false;
  }
  if (!users->empty()) return true;
  const std::string password = server::GeneratePassword();
  auto hash = server::HashPassword(password);
  if (!hash.ok()) {
    Fail(ctx, hash.status());
    return false;
  }
  auto u = store.CreateUser("admin", Role::kAdmin, *hash, CliActor());
  if (!u.ok()) {
    Fail(ctx, u.status());
    return false;
  }
  *ctx.out << "\nFirst run: created the administrator account.\n"
           << "  user:     admin\n"
           << "  password: " << password << "   (shown once: keep it safe, or reset it with\n"
           << "            `lfr user passwd admin`)\n"
           << "Log in at " << url << " , then under Users create a supervisor (runs deployments,\n"
           << "watchlists and cameras) and an operator (decides alerts); log in as them to work.\n\n";
  return true;
}

void RunServe(const ServeArgs& args, Context& ctx) {
  if (args.tls_cert.empty() != args.tls_key.empty()) {
    return Fail(ctx, Status::InvalidArgument("--tls-cert and --tls-key go together"));
  }
  // A server's log says what its cameras do: deployments starting, every camera health
  // change (info), problems (warn/error). Never face data.
  spdlog::set_level(spdlog::level::info);
  const HardenReport harden = HardenProcess();
  if (!harden.warnings.empty()) {
    std::istringstream lines(harden.warnings);
    for (std::string line; std::getline(lines, line);) *ctx.err << "lfr: warning: " << line << "\n";
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto models = OpenStore();
  if (!models.ok()) return Fail(ctx, models.status());
  auto rec = models->DefaultFor(ModelRole::kRecogniser);
  auto det = args.detector_id.empty() ? models->DefaultFor(ModelRole::kDetector) : models->Locate(args.detector_id);
  for (const auto* m : {&rec, &det}) {
    if (!m->ok()) {
      *ctx.err << "lfr: " << m->status().message() << " (install models with `lfr models fetch`)\n";
      ctx.exit_code = kExitMissingModel;
      return;
    }
  }

  auto policy = RetentionPolicyFromEnv();
  if (!policy.ok()) return Fail(ctx, policy.status());
  RetentionEnforcer retention(store.get(), SystemClock(), *policy, DefaultFootageDir());
  if (Status s = retention.Start(); !s.ok()) return Fail(ctx, s);

  server::EventBus events;
  server::RunnerOptions ropts;
  ropts.detector_id = args.detector_id;
  ropts.pipeline.camera.realtime = true;  // files play like live cameras
  ropts.pipeline.detector.working_long_side = args.working_size;
  ropts.pipeline.detect_every = args.detect_every;
  ropts.pipeline.tracker.embed_every = args.embed_every;
  ropts.pipeline.camera.max_seconds = args.max_seconds;
  const SourcePolicy camera_sources = SourcePolicyFromEnv({args.camera_dirs, args.camera_allow_loopback});
  ropts.pipeline.camera.source_policy = std::make_shared<const SourcePolicy>(camera_sources);
  server::PipelineRunner runner(store.get(), &*models, &events, ropts);
  server::StoreEnrolmentService enrolment(store.get(), &*models, args.detector_id, HomeDir());
  // Searches of recorded footage for the console (video_search/jobs.h).
  VideoSearchJobs video_searches(store.get(), &*models, DefaultFootageDir(), SystemClock());
  std::unique_ptr<server::RetrospectiveService> retrospective;
  if (store->galleries() != nullptr) {
    retrospective = std::make_unique<server::RetrospectiveService>(store->galleries(), &*models);
  }

  server::ServerOptions sopts;
  sopts.host = args.host;
  sopts.port = args.port;
  sopts.tls_cert = args.tls_cert;
  sopts.tls_key = args.tls_key;
  sopts.max_upload_bytes = static_cast<size_t>(args.max_upload_mb) << 20;
  sopts.camera_sources = camera_sources;
  sopts.recogniser_id = (*rec).spec->id;
  sopts.cohort_home = HomeDir().string();
  sopts.false_alert_cap = args.false_alert_cap;
  sopts.max_streams = args.max_streams;
  sopts.max_streams_per_session = args.max_streams_per_session;
  sopts.metrics_allow = args.metrics_allow;
  auto token = MetricsToken(args.metrics_token_file);
  if (!token.ok()) return Fail(ctx, token.status());
  sopts.metrics_token = *token;
  sopts.access_log = (HomeDir() / "logs" / "access.log").string();
  // Each open event stream is a socket: allow as many as the hard limit permits.
  if (rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  std::unique_ptr<fleet::CentralLink> fleet_link;
  if (!args.bus_url.empty()) {
    bus::BusOptions bo;
    bo.url = args.bus_url;
    bo.ca_file = args.bus_ca;
    auto link = fleet::CentralLink::Start(bo, store.get());
    if (!link.ok()) return Fail(ctx, link.status());
    fleet_link = std::move(link).value();
  }
  auto srv = server::Server::Create(
      {store.get(), SystemClock(), &runner, &enrolment, &events, retrospective.get(), &video_searches, &*models,
       fleet_link ? fleet_link->registry() : nullptr},
      sopts);
  if (!srv.ok()) return Fail(ctx, srv.status());
  if (Status s = (*srv)->Start(); !s.ok()) return Fail(ctx, s);
  const std::string url = std::string((*srv)->tls() ? "https" : "http") + "://" + args.host + ":" +
                          std::to_string((*srv)->port()) + "/";
  if (!BootstrapAdmin(*store, ctx, url)) return;
  runner.StartAllActive();
  *ctx.out << "OpenLFR console: listening on " << url << " (recogniser " << (*rec).spec->id
           << ", detector " << (*det).spec->id << "; Ctrl-C stops)" << std::endl;

  g_stop = false;
  auto old_int = std::signal(SIGINT, OnServeSignal);
  auto old_term = std::signal(SIGTERM, OnServeSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  *ctx.out << "OpenLFR console: stopping" << std::endl;
  (*srv)->Stop();
  runner.StopAll();
  retention.Stop();
}

}  // namespace

void RegisterServeCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the operator console and HTTP API (the main job): deployments, watchlists, cameras, "
      "live alerts and their adjudication, reports, the audit log, and retrospective searches of "
      "reference galleries (investigators). Runs the cameras of active "
      "deployments. The first run creates the master key and an admin user and prints how to "
      "log in. API description at /api/openapi.json.");
  cmd->add_option("--host", args->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--store", ctx.db_path,
                  "The store: a database file, or postgres://user@host[:port]/db for the central store on "
                  "PostgreSQL (default: --db, LFR_DB, else $LFR_HOME/lfr.db)");
  cmd->add_option("--bus", args->bus_url,
                  "The fleet's message server (nats://[user:password@]host:port or tls://…): edge nodes' heartbeats "
                  "feed the Nodes view; without it the single box needs none");
  cmd->add_option("--bus-ca", args->bus_ca, "CA certificate for a tls:// message server");
  cmd->add_option("--port", args->port, "Port (0 = any free port)")->check(CLI::Range(0, 65535))->capture_default_str();
  cmd->add_option("--tls-cert", args->tls_cert, "PEM certificate: serve HTTPS (with --tls-key)");
  cmd->add_option("--tls-key", args->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--false-alert-cap", args->false_alert_cap,
                  "The force's cap on false alerts per face seen, which the watchlist forecast is checked against")
      ->check(CLI::Range(1e-9, 1.0))->capture_default_str();
  cmd->add_option("--max-upload-mb", args->max_upload_mb, "Largest request (photo upload) in MiB")
      ->check(CLI::Range(1, 200))->capture_default_str();
  cmd->add_option("--detector", args->detector_id, "Detector model id (default: highest priority installed)");
  cmd->add_option("--working-size", args->working_size, "Long side frames are scaled to for detection")
      ->check(CLI::Range(0, 8192))->capture_default_str();
  cmd->add_option("--detect-every", args->detect_every, "Run the detector on every n-th frame")
      ->check(CLI::Range(1, 100))->capture_default_str();
  cmd->add_option("--embed-every", args->embed_every, "Re-embed a track at least every K frames")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  cmd->add_option("--camera-max-seconds", args->max_seconds, "Stop each camera after this long (0 = never)")
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--max-streams", args->max_streams,
                  "Open live event streams (/api/events) in total; beyond it 503")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--max-streams-per-session", args->max_streams_per_session,
                  "Open live event streams per login session (console tabs); beyond it 503")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--metrics-token-file", args->metrics_token_file,
                  "File (mode 600) with the bearer token /metrics requires (or set LFR_METRICS_TOKEN); "
                  "without a token /metrics answers loopback addresses only");
  cmd->add_option("--metrics-allow", args->metrics_allow,
                  "Addresses or networks (CIDR) that may read /metrics, e.g. 10.0.5.0/24 (repeatable)");
  cmd->add_option("--camera-dir", args->camera_dirs,
                  "A folder video-file cameras may be read from (repeat; also LFR_CAMERA_DIRS=DIR:DIR). "
                  "Without one, cameras can only be streams (rtsp, rtsps, http, https) and /dev/videoN");
  cmd->add_flag("--camera-allow-loopback", args->camera_allow_loopback,
                "Allow camera streams on loopback or link-local addresses (also LFR_CAMERA_ALLOW_LOOPBACK=1)");
  cmd->callback([args, &ctx] { RunServe(*args, ctx); });
}

}  // namespace lfr::cli
