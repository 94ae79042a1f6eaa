// HttpTransport: the sockets of `lfr serve` — an event-driven HTTP/1.1 server on
// Boost.Beast/Asio (TLS through asio::ssl and OpenSSL) that serves a Router.
//
// Life of a request:
//   1. accept, TLS handshake, read the request HEADER (header_timeout_ms), all
//      asynchronously on the I/O thread(s): a silent or slow client costs a socket only;
//   2. from the header alone: anonymous rate limit (429), route lookup (404/405), guards
//      (/metrics access), the Origin check of state-changing requests, the route's
//      precheck (session, CSRF) and the body limit from Content-Length (413) — a request
//      refused here never has its body read;
//   3. read the body (body_timeout_ms), again asynchronously;
//   4. run the handler on the bounded worker pool (503 when max_queued_requests wait);
//   5. write the response asynchronously (write_timeout_ms) and keep the connection alive.
// Stream routes (Server-Sent Events) never reach the pool: the I/O thread admits them
// (caps per session and in total, 503 beyond), registers a listener with the EventBus and
// writes events as they are published; a stream lagging more than stream_max_backlog
// events behind is closed (its client reconnects with Last-Event-ID); idle streams get a
// heartbeat comment every stream_heartbeat_ms.
//
// Every response (and every stream opened) is written to the access log when one is
// configured: time (UTC), client address, user or "-", method, path (no query string),
// status, body bytes, milliseconds.
//
// Thread-safety: Start/Stop from one thread; Background() and open_streams() from any.
// Ownership: the Router and EventBus are not owned and must outlive the transport.
#ifndef LFR_SERVER_TRANSPORT_H_
#define LFR_SERVER_TRANSPORT_H_

#include <array>
#include <functional>
#include <vector>
#include <memory>
#include <string>

#include <httplib.h>

#include "server/events.h"
#include "server/router.h"
#include "server/server.h"
#include "util/status.h"

namespace lfr::server {

class HttpTransport {
 public:
  struct Hooks {
    // The user of the request's session, "" without a valid one (the anonymous limits
    // apply then). Runs on the I/O thread: memory only.
    std::function<std::string(const httplib::Request&)> session_user;
    // Completes every response before it is written (status -1 -> 200, JSON body for bare
    // errors, security and cache headers). Runs on the I/O thread.
    std::function<void(const httplib::Request&, httplib::Response&)> finalize;
  };

  // InvalidArgument if the TLS certificate or key cannot be loaded or the access log
  // cannot be opened.
  static Result<std::unique_ptr<HttpTransport>> Create(const ServerOptions& options, const Router* router,
                                                       EventBus* bus, Hooks hooks);
  ~HttpTransport();

  // Binds options.host:options.port (0 = any free port) and starts the I/O and worker
  // threads. IOError if the address cannot be bound.
  Status Start();
  int port() const;
  // Closes the listener and every connection, drops queued requests and waits for running
  // handlers. Idempotent.
  void Stop();

  // Runs fn on the worker pool; false (fn dropped) if its queue is full or it is stopping.
  bool Background(std::function<void()> fn);
  size_t open_streams() const;

  struct Impl;

 private:
  explicit HttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A list of addresses and networks ("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8").
class AddressList {
 public:
  // InvalidArgument naming the entry that is neither an address nor a network.
  static Result<AddressList> Parse(const std::vector<std::string>& entries);
  bool Contains(const std::string& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<std::pair<std::array<unsigned char, 4>, int>> v4_;
  std::vector<std::pair<std::array<unsigned char, 16>, int>> v6_;
};

// Parses a multipart/form-data body into files (httplib's form-data map). False if the
// Content-Type has no boundary or the body is malformed.
bool ParseMultipartFormData(const std::string& content_type, const std::string& body,
                            httplib::MultipartFormDataMap* files);

}  // namespace lfr::server

#endif  // LFR_SERVER_TRANSPORT_H_
