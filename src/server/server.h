// `lfr serve`: the HTTP API, the operator console and the live event stream in one process.
//
// Server is an event-driven HTTP/1.1 server (server/transport.h: Boost.Beast on Asio, TLS
// with OpenSSL when given a certificate and key). Sockets, request headers, bodies and
// event streams are handled asynchronously on one or two I/O threads; route handlers,
// which block on the store, run on a small bounded worker pool. An open event stream or a
// slow client costs a socket, never a thread. Routes:
//   /                       the console (static HTML/JS/CSS compiled into the binary)
//   /api/...                the JSON REST API, described at /api/openapi.json
//   /api/events             Server-Sent Events: new alerts, decisions, camera health, counters
//   /public/...             what the public may read without logging in: the deployment
//                           list with notices and published results
//   /metrics                Prometheus text: frames, drops, faces, alerts, latencies per camera
// Every /api request except login is authenticated by session cookie, authorised against the
// role matrix (server/auth.h) and CSRF- and Origin-checked when it changes state — all from
// the request header, before its body is read. Requests that change something, view
// personal data, or are refused are audited (actor, method, path, outcome) in the store's
// hash-chained audit log, which the store extends with semantic rows (deployment.create,
// alert.decide, watchlist.view_image, …); routine polling (alert list, live status,
// deployment list, event streams) goes to the access log only (every request is there).
//
// Limits (ServerOptions): body size (413, checked from Content-Length before reading),
// header/body read timeouts, event streams per session and in total (503), the worker
// queue (503 when full), requests without a session per client address (429), and who
// may read /metrics (a bearer token and/or an address allow-list; loopback only by default).
//
// The server does not run cameras itself: a LiveRunner does (server/runner.h runs the
// pipelines of active deployments); enrolment of uploaded photos goes through an
// EnrolmentService. Both are interfaces so API tests can run without models.
//
// Ownership: the Server does not own the Store, Clock, runner, enrolment service or a given
// EventBus; they must outlive it. Thread-safety: Start/Stop from one thread; handlers run on
// the worker pool and only touch thread-safe state. Stop() is prompt: open streams are
// closed, queued requests dropped, running handlers finished.
#ifndef LFR_SERVER_SERVER_H_
#define LFR_SERVER_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "match/cohort.h"
#include "pipeline/source_policy.h"
#include "server/auth.h"
#include "server/events.h"
#include "models/store.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/status.h"
#include "vision/quality.h"

namespace lfr {
class VideoSearchJobs;  // video_search/jobs.h
}  // namespace lfr
namespace lfr::fleet {
class NodeRegistry;  // fleet/node_registry.h
}  // namespace lfr::fleet

namespace lfr::server {

class Router;
class HttpTransport;
class RetrospectiveService;  // server/retrospective_service.h

// Turns an uploaded photo into a watchlist entry: exactly one usable face, quality reasons,
// duplicate check, cap. A rejected photo is not an error: Outcome::rejection says why.
class EnrolmentService {
 public:
  struct Outcome {
    std::optional<WatchlistEntry> entry;  // set when enrolled
    std::string rejection;                // set when not, e.g. "no face found"
    std::vector<std::string> warnings;    // e.g. "possible duplicate of entry 4 (0.81)"
    // Set (with a rejection) when refused as the same face as this entry under another
    // reference (store/enrolment.h kExactDuplicateSimilarity) and not confirmed.
    std::optional<int64_t> exact_duplicate_of;
    // The hub check against the background cohort (store/enrolment.h): refused set (with a
    // rejection) for a forecast hub not accepted; not_checked when no cohort is installed.
    std::optional<HubVerdict> hub_check;
  };
  virtual ~EnrolmentService() = default;
  // meta: reference, display_name, category, reason, image_source (deployment_id set).
  // InvalidArgument if image_bytes is not a decodable image. confirm_duplicate: enrol an
  // exact duplicate of another entry anyway (flagged), instead of refusing it.
  // accept_hub_reason: non-blank enrols a forecast hub anyway, with this reason (audited).
  virtual Result<Outcome> Enrol(const WatchlistEntry& meta, const std::string& image_bytes,
                                const Actor& by, bool confirm_duplicate,
                                const std::string& accept_hub_reason) = 0;

  // The photo as enrolment sees it, before the officer accepts it; nothing is enrolled,
  // stored or logged. verdict: "good"; "marginal" (usable, but MarginalNotes names measures
  // near their limits: look at the aligned face before accepting it); "refused" (rejection
  // says why, as Enrol would). The face shown is the one enrolment takes (else the largest
  // found): its quality measures and its aligned crop (the recogniser's input) as JPEG.
  // InvalidArgument if image_bytes is not a decodable image; NotFound for no deployment.
  struct PhotoCheck {
    std::string verdict, rejection;
    std::optional<QualityReport> quality;  // none when no face was found
    std::vector<std::string> marginal;
    std::string aligned_jpeg;               // "" when no face was found
  };
  virtual Result<PhotoCheck> CheckPhoto(int64_t deployment_id, const std::string& image_bytes) {
    (void)deployment_id;
    (void)image_bytes;
    return Status::Unavailable("photo checks are not available on this server");
  }
};

// Runs the camera pipelines of active deployments and reports on them.
class LiveRunner {
 public:
  struct CameraLive {
    int64_t deployment_id = 0;
    std::string camera, uri;
    std::string health;            // "starting", "up", "reconnecting", "failed", "ended"
    std::string error;             // client-safe text of the current problem; "" while up
    std::string last_error_time;   // UTC ISO 8601 of the last problem ("" if none), kept
                                   //   after the camera recovered
    std::string last_frame_time;   // UTC ISO 8601, "" before the first frame
    int64_t frames_read = 0, frames_processed = 0, frames_dropped = 0;
    int64_t faces_detected = 0, tracks = 0, embeddings = 0, alerts = 0;
    double decision_p50_ms = 0, decision_p95_ms = 0, detect_p50_ms = 0;
    std::string recording = "off";  // footage: "recording", "stopped" (see recording_error), "off"
    std::string recording_error;    // client-safe alarm text when recording stopped on a failure
  };
  virtual ~LiveRunner() = default;
  // Starts the cameras of an active deployment (its watchlist loaded from the store).
  virtual Status StartDeployment(int64_t deployment_id) = 0;
  // Stops them and wipes the watchlist from memory. No-op if not running.
  virtual void StopDeployment(int64_t deployment_id) = 0;
  virtual std::vector<CameraLive> Cameras() = 0;
  // Restarts one camera of a running deployment (reopens its source now, back-off reset).
  // NotFound if the deployment runs no such camera.
  virtual Status RestartCamera(int64_t deployment_id, const std::string& camera) {
    return Status::FailedPrecondition("this server cannot restart cameras");
  }
};

// What the server works with. None is owned; all must outlive the server.
struct ServerDeps {
  Store* store = nullptr;                // required
  Clock* clock = nullptr;                // required
  LiveRunner* runner = nullptr;          // null: starting deployments answers 503
  EnrolmentService* enrolment = nullptr; // null: uploading photos answers 503
  EventBus* events = nullptr;            // null: the server keeps its own bus
  RetrospectiveService* retrospective = nullptr;  // null: searches and gallery imports answer 503
  VideoSearchJobs* video_searches = nullptr;      // null: searches of recorded footage answer 503
  const ModelStore* models = nullptr;    // null: footage export answers 503 (detector, recogniser)
  fleet::NodeRegistry* nodes = nullptr;  // null: no bus (`lfr serve --bus`): nodes listed without state
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                      // 0 = any free port (tests)
  std::string tls_cert, tls_key;        // PEM files; both or neither
  size_t max_upload_bytes = 10 << 20;   // larger requests get 413 (before the body is read)
  size_t max_anonymous_body = 64 << 10; // body limit of routes needing no session (login)
  std::string recogniser_id;            // new deployments' recogniser
  std::string cohort_home;              // background cohorts in <cohort_home>/cohort ($LFR_HOME);
                                        //   "" = none installed (the forecast says so)
  double false_alert_cap = 1e-3;        // the force's cap on false alerts per face (forecast)
  int io_threads = 1;                   // socket I/O, event streams (never blocked by handlers)
  int worker_threads = 8;               // route handlers (store, enrolment)
  size_t max_queued_requests = 512;     // waiting for a worker; beyond it 503
  int header_timeout_ms = 15000;        // to receive a request header (and idle keep-alive)
  int body_timeout_ms = 30000;          // to receive a request body
  int write_timeout_ms = 30000;         // a client that does not read its response is cut off
  size_t max_streams_per_session = 8;   // open /api/events streams per login session (503 beyond)
  size_t max_streams = 2000;            // open /api/events streams in total (503 beyond)
  int stream_heartbeat_ms = 15000;      // comment line on an idle stream
  size_t stream_max_backlog = 256;      // events a stream may lag behind before it is dropped
                                        // (the client reconnects with Last-Event-ID)
  double anonymous_rate = 20;           // requests/s per client address without a session
  double anonymous_burst = 100;         //   ... and the burst allowed above it (429 beyond)
  std::string metrics_token;            // /metrics needs "Authorization: Bearer <token>" if set
  std::vector<std::string> metrics_allow;  // addresses/CIDRs that may read /metrics; empty:
                                        // any address with a token set, else loopback only
  std::string access_log;               // access log file ("" = none); rotated at 10 MiB x 5
  SourcePolicy camera_sources;          // what a camera URI may be (pipeline/source_policy.h)
};

class Server {
 public:
  // InvalidArgument for a missing store or clock, half a TLS configuration, a bad port or
  // TLS files that cannot be loaded.
  static Result<std::unique_ptr<Server>> Create(const ServerDeps& deps, const ServerOptions& options);
  ~Server();

  // Binds and serves on a background thread. IOError if the address cannot be bound,
  // InvalidArgument if the TLS files cannot be loaded.
  Status Start();
  // The bound port (after Start).
  int port() const { return port_; }
  bool tls() const { return !options_.tls_cert.empty(); }
  void Stop();

  EventBus& events() { return *events_; }
  // Open event streams (for tests and the benchmark).
  size_t open_streams() const;

 private:
  Server(const ServerDeps& deps, ServerOptions options);
  void RegisterRoutes();
  void RegisterTransportRoutes();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Store* store_;
  Clock* clock_;
  LiveRunner* runner_;
  EnrolmentService* enrolment_;
  RetrospectiveService* retrospective_;
  VideoSearchJobs* video_searches_;
  fleet::NodeRegistry* nodes_;
  const ModelStore* models_;
  ServerOptions options_;
  EventBus own_events_;
  EventBus* events_;
  SessionManager sessions_;
  LoginThrottle throttle_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpTransport> transport_;
  std::atomic<int> port_{0};
};

}  // namespace lfr::server

#endif  // LFR_SERVER_SERVER_H_
