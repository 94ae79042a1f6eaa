#include "server/transport.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "server/http.h"

namespace lfr::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

bool StateChanging(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

std::string OriginHost(const std::string& origin) {
  const size_t p = origin.find("://");
  return p == std::string::npos ? origin : origin.substr(p + 3);
}

// A fixed set of threads running jobs from a bounded queue.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued) : max_queued_(max_queued) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
  }
  ~WorkerPool() { Stop(); }
  bool TryPost(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_ || queue_.size() >= max_queued_) return false;
      queue_.push_back(std::move(fn));
    }
    cv_.notify_one();
    return true;
  }
  size_t queued() {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }
  void Stop() {
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
      dropped.swap(queue_);
    }
    cv_.notify_all();
    dropped.clear();  // outside the lock: the jobs' captures may run destructors
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopped_ || !queue_.empty(); });
        if (stopped_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }
  size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

// Token buckets per client address.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  // True if a request from address may go ahead now; *retry_s is when the next one may.
  bool Allow(const std::string& address, int* retry_s) {
    if (rate_ <= 0) return true;
    const double now = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
    std::lock_guard<std::mutex> lock(mu_);
    if (buckets_.size() > 10000) {  // forget addresses whose bucket has refilled
      std::erase_if(buckets_, [&](const auto& kv) {
        return kv.second.tokens + (now - kv.second.at) * rate_ >= burst_;
      });
    }
    auto [it, fresh] = buckets_.try_emplace(address, Bucket{burst_, now});
    Bucket& b = it->second;
    b.tokens = std::min(burst_, b.tokens + (now - b.at) * rate_);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    *retry_s = std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rate_)));
    return false;
  }

 private:
  struct Bucket {
    double tokens, at;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

std::string Hex(size_t n) {
  char buf[32];
  snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

}  // namespace

struct HttpTransport::Impl {
  ServerOptions options;
  const Router* router = nullptr;
  EventBus* bus = nullptr;
  Hooks hooks;
  std::unique_ptr<asio::io_context> ioc;
  std::optional<asio::ssl::context> ssl;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> io_threads;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<RateLimiter> anonymous;
  std::shared_ptr<spdlog::logger> access;
  std::atomic<int> port{0};
  std::atomic<bool> stopping{false};
  bool started = false;

  mutable std::mutex streams_mu;
  size_t streams_total = 0;
  std::map<std::string, size_t> streams_by_session;

  // Takes a stream slot for session, or writes the 503 into res.
  bool AcquireStream(const std::string& session, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(streams_mu);
    if (streams_total >= options.max_streams) {
      res.set_header("Retry-After", "10");
      SendError(res, 503, "the server already has " + std::to_string(streams_total) +
                              " open event streams, its limit: try again later");
      return false;
    }
    size_t& mine = streams_by_session[session];
    if (mine >= options.max_streams_per_session) {
      res.set_header("Retry-After", "10");
      SendError(res, 503, "this login already has " + std::to_string(mine) +
                              " open event streams, the limit per session: close other console "
                              "tabs or windows");
      return false;
    }
    ++mine;
    ++streams_total;
    return true;
  }
  void ReleaseStream(const std::string& session) {
    std::lock_guard<std::mutex> lock(streams_mu);
    --streams_total;
    auto it = streams_by_session.find(session);
    if (it != streams_by_session.end() && --it->second == 0) streams_by_session.erase(it);
  }

  void Log(const httplib::Request& req, const std::string& user, int status, size_t bytes,
           Clock::time_point start) {
    if (!access) return;
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    access->info("{} {} \"{} {}\" {} {} {:.1f}ms", req.remote_addr.empty() ? "-" : req.remote_addr,
                 user.empty() ? "-" : user, req.method, req.path, status, bytes, ms);
  }

  void Accept();
};

namespace {

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  using Impl = HttpTransport::Impl;
  Connection(Impl* t, Stream stream, std::string remote)
      : t_(t),
        stream_(std::move(stream)),
        remote_(std::move(remote)),
        heartbeat_(stream_.get_executor()),
        watchdog_(stream_.get_executor()) {}

  ~Connection() {
    if (listener_ != 0) t_->bus->Unlisten(listener_);
    if (counted_) t_->ReleaseStream(stream_session_);
  }

  void Run() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::milliseconds(t_->options.header_timeout_ms));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->ReadHeader();
                              });
    } else {
      ReadHeader();
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void ReadHeader() {
    if (t_->stopping) return Close();
    req_.reset();
    route_ = nullptr;
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    // The body limit is set once the route is known (OnHeader): until then a large
    // Content-Length must not fail the header read, so that an unauthenticated request is
    // answered 401 and an oversize one 413.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Lowest().expires_after(std::chrono::milliseconds(t_->options.header_timeout_ms));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) {
      return Reject(431, "request header too large (at most 16 KiB)");
    }
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec) return Reject(400, "malformed HTTP request: " + ec.message());
    start_ = Clock::now();
    const auto& h = parser_->get();
    req_ = std::make_shared<httplib::Request>();
    httplib::Request& req = *req_;
    req.method = std::string(h.method_string());
    req.target = std::string(h.target());
    req.version = h.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
    for (const auto& f : h) req.headers.emplace(std::string(f.name_string()), std::string(f.value()));
    req.remote_addr = remote_;
    const size_t q = req.target.find('?');
    req.path = httplib::detail::decode_url(req.target.substr(0, q), false);
    if (q != std::string::npos) httplib::detail::parse_query_text(req.target.substr(q + 1), req.params);
    user_ = t_->hooks.session_user ? t_->hooks.session_user(req) : "";

    if (user_.empty()) {
      int retry = 1;
      if (!t_->anonymous->Allow(remote_, &retry)) {
        httplib::Response res;
        res.set_header("Retry-After", std::to_string(retry));
        SendError(res, 429, "too many requests without a login from " + remote_ + ": try again in " +
                                std::to_string(retry) + " s");
        return Respond(std::move(res), /*keep_alive=*/false);
      }
    }
    bool path_known = false;
    route_ = t_->router->Find(req.method, req.path, &path_known);
    if (route_ == nullptr) {
      if (path_known) return Reject(405, "method " + req.method + " not allowed on " + req.path);
      return Reject(404, "no such resource: " + req.method + " " + req.path);
    }
    for (const Router::Precheck* guard : t_->router->GuardsFor(req.path)) {
      httplib::Response res;
      if ((*guard)(req, res) != Router::Gate::kPass) return Respond(std::move(res), false);
    }
    if (route_->stream) return OpenStream();
    if (route_->precheck) {
      httplib::Response res;
      switch (route_->precheck(req, res)) {
        case Router::Gate::kPass: break;
        case Router::Gate::kAnswerNow: return Respond(std::move(res), false);
        case Router::Gate::kHandleWithoutBody: return Dispatch(/*body_read=*/false);
      }
    } else if (StateChanging(req.method)) {
      // Routes without a session check (login): refuse cross-site and opaque origins here.
      const std::string origin = req.get_header_value("Origin");
      if (!origin.empty() && (origin == "null" || OriginHost(origin) != req.get_header_value("Host"))) {
        return Reject(403, "cross-origin request refused (Origin " + origin + ")");
      }
    }
    const size_t limit = route_->precheck ? t_->options.max_upload_bytes : t_->options.max_anonymous_body;
    if (auto length = parser_->content_length(); length && *length > limit) {
      return Reject(413, "request too large: at most " + std::to_string(limit) + " bytes");
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) return OnBody({});
    if (beast::iequals(req.get_header_value("Expect"), "100-continue")) {
      continue_ = "HTTP/1.1 100 Continue\r\n\r\n";
      Lowest().expires_after(std::chrono::milliseconds(t_->options.write_timeout_ms));
      asio::async_write(stream_, asio::buffer(continue_),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(std::chrono::milliseconds(t_->options.body_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return Reject(413, "request too large: at most " + std::to_string(t_->options.max_upload_bytes) + " bytes");
    }
    if (ec) return Close();
    req_->body = std::move(parser_->get().body());
    if (req_->is_multipart_form_data() &&
        !ParseMultipartFormData(req_->get_header_value("Content-Type"), req_->body, &req_->files)) {
      return Reject(400, "malformed multipart/form-data body");
    }
    Dispatch(/*body_read=*/true);
  }

  // Runs the route's handler on the worker pool, then writes its response here.
  void Dispatch(bool body_read) {
    const bool keep_alive = body_read && parser_->keep_alive();
    auto self = this->shared_from_this();
    const bool queued = t_->pool->TryPost([self, keep_alive] {
      httplib::Request& req = *self->req_;
      httplib::Response res;
      try {
        std::regex_match(req.path, req.matches, self->route_->re);
        self->route_->handler(req, res);
      } catch (const std::exception& e) {
        spdlog::error("HTTP {} {}: {}", req.method, req.path, e.what());
        res = httplib::Response();
        SendError(res, 500, "internal error while handling " + req.method + " " + req.path);
      }
      auto shared = std::make_shared<httplib::Response>(std::move(res));
      asio::post(self->stream_.get_executor(),
                 [self, shared, keep_alive] { self->Respond(std::move(*shared), keep_alive); });
    });
    if (!queued) {
      httplib::Response res;
      res.set_header("Retry-After", "1");
      SendError(res, 503, "the server is busy (" + std::to_string(t_->options.max_queued_requests) +
                              " requests waiting): try again in a moment");
      Respond(std::move(res), false);
    }
  }

  void Reject(int status, const std::string& message) {
    httplib::Response res;
    SendError(res, status, message);
    Respond(std::move(res), false);
  }

  // Writes res; reads the next request if keep_alive, else closes (draining what the
  // client still sends, so it can read the answer rather than a reset).
  void Respond(httplib::Response res, bool keep_alive) {
    if (!req_) req_ = std::make_shared<httplib::Request>();
    if (t_->hooks.finalize) t_->hooks.finalize(*req_, res);
    if (res.status <= 0) res.status = 200;
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(11);
    out->result(static_cast<unsigned>(res.status));
    for (const auto& [k, v] : res.headers) out->insert(k, v);
    out->body() = std::move(res.body);
    out->keep_alive(keep_alive);
    out->prepare_payload();
    t_->Log(*req_, user_, res.status, out->body().size(), start_);
    response_ = out;
    Lowest().expires_after(std::chrono::milliseconds(t_->options.write_timeout_ms));
    bhttp::async_write(stream_, *out,
                       [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                         self->response_.reset();
                         if (ec) return self->Close();
                         if (keep_alive) return self->ReadHeader();
                         self->Linger();
                       });
  }

  void Linger() {
    if constexpr (kTls) {
      Close();
    } else {
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Lowest().expires_after(std::chrono::seconds(2));
      Drain();
    }
  }

  void Drain() {
    drain_.resize(16 * 1024);
    Lowest().async_read_some(asio::buffer(drain_), [self = this->shared_from_this()](beast::error_code ec,
                                                                                    size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > (1u << 20)) return self->Close();
      self->Drain();
    });
  }

  // ---- Server-Sent Events ----

  void OpenStream() {
    httplib::Request& req = *req_;
    httplib::Response res;
    std::string session;
    if (t_->bus->shut_down()) return Reject(503, "the server is shutting down");
    if (!route_->admit(req, res, &session)) {
      if (route_->denied) {
        auto copy = std::make_shared<httplib::Request>(req);
        auto res_copy = std::make_shared<httplib::Response>(res);
        const Router::Route* route = route_;
        t_->pool->TryPost([route, copy, res_copy] { route->denied(*copy, *res_copy); });
      }
      return Respond(std::move(res), false);
    }
    if (!t_->AcquireStream(session, res)) return Respond(std::move(res), false);
    counted_ = true;
    stream_session_ = session;
    // Resume after Last-Event-ID (ids restart with the process: a larger one means "now"),
    // else start with the next event.
    const int64_t newest = t_->bus->last_id();
    cursor_ = newest;
    if (auto last = ParseId(req.get_header_value("Last-Event-ID"), "Last-Event-ID"); last.ok()) {
      cursor_ = std::clamp<int64_t>(*last, 0, newest);
    }
    const int64_t backlog = static_cast<int64_t>(std::max<size_t>(1, t_->options.stream_max_backlog));
    cursor_ = std::max(cursor_, newest - backlog);  // what it missed beyond that is gone anyway
    resuming_ = true;
    httplib::Response head;
    head.status = 200;
    head.set_header("Content-Type", "text/event-stream");
    head.set_header("Cache-Control", "no-store");
    head.set_header("X-Accel-Buffering", "no");
    if (t_->hooks.finalize) t_->hooks.finalize(req, head);
    std::string out = "HTTP/1.1 200 OK\r\n";
    for (const auto& [k, v] : head.headers) out += k + ": " + v + "\r\n";
    out += "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
    t_->Log(req, user_, 200, 0, start_);
    buffer_.consume(buffer_.size());
    Lowest().expires_never();
    std::weak_ptr<Connection> weak = this->shared_from_this();
    listener_ = t_->bus->Listen([weak] {
      if (auto self = weak.lock()) self->Wake();
    });
    WriteRaw(std::move(out));
    ArmHeartbeat();
    WatchPeer();
  }

  // Called by the bus on the publishing thread: hop to this connection's strand.
  void Wake() {
    if (wake_pending_.exchange(true)) return;
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->wake_pending_ = false;
      self->Pump();
    });
  }

  void Pump() {
    if (closed_ || writing_) return;
    if (t_->bus->shut_down() || t_->stopping) return Close();
    bool missed = false;
    const size_t backlog = std::max<size_t>(1, t_->options.stream_max_backlog);
    std::vector<Event> events = t_->bus->Since(cursor_, backlog + 1, &missed);
    if (resuming_) missed = false;  // a reconnecting client gets what is still held
    resuming_ = false;
    if (missed || events.size() > backlog) {
      spdlog::warn("event stream of {} dropped: {} events behind (slow client; it may reconnect)",
                   user_.empty() ? remote_ : user_, t_->bus->last_id() - cursor_);
      return Close();
    }
    if (events.empty()) return;
    std::string data;
    for (const Event& e : events) {
      data += EventBus::Format(e);
      cursor_ = e.id;
    }
    WriteChunk(data);
  }

  void WriteChunk(const std::string& data) { WriteRaw(Hex(data.size()) + "\r\n" + data + "\r\n"); }

  void WriteRaw(std::string bytes) {
    writing_ = true;
    out_ = std::move(bytes);
    watchdog_.expires_after(std::chrono::milliseconds(t_->options.write_timeout_ms));
    watchdog_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec && self->writing_) self->Close();  // the client stopped reading
    });
    asio::async_write(stream_, asio::buffer(out_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      self->watchdog_.cancel();
      if (ec) return self->Close();
      self->Pump();
    });
  }

  void ArmHeartbeat() {
    heartbeat_.expires_after(std::chrono::milliseconds(std::max(10, t_->options.stream_heartbeat_ms)));
    heartbeat_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (!self->writing_) self->WriteChunk(": keep-alive\n\n");
      self->ArmHeartbeat();
    });
  }

  // A stream's client sends nothing more: a read completing means it went away.
  void WatchPeer() {
    drain_.resize(4096);
    stream_.async_read_some(asio::buffer(drain_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->WatchPeer();
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    if (listener_ != 0) {
      t_->bus->Unlisten(listener_);
      listener_ = 0;
    }
    heartbeat_.cancel();
    watchdog_.cancel();
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  Impl* t_;
  Stream stream_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<httplib::Request> req_;
  const Router::Route* route_ = nullptr;
  std::string user_;
  Clock::time_point start_ = Clock::now();
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
  std::string continue_;
  std::string drain_;
  size_t drained_ = 0;
  bool closed_ = false;
  // Streams.
  asio::steady_timer heartbeat_, watchdog_;
  uint64_t listener_ = 0;
  bool counted_ = false;
  std::string stream_session_;
  int64_t cursor_ = 0;
  bool writing_ = false;
  bool resuming_ = false;
  std::atomic<bool> wake_pending_{false};
  std::string out_;
};

}  // namespace

void HttpTransport::Impl::Accept() {
  acceptor->async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping || !acceptor->is_open()) return;
    if (ec) {
      // Out of file descriptors (or similar): wait a little instead of spinning.
      spdlog::warn("accepting a connection failed: {}", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(*ioc, std::chrono::milliseconds(50));
      timer->async_wait([this, timer](beast::error_code) { Accept(); });
      return;
    }
    beast::error_code ep_ec;
    const auto ep = socket.remote_endpoint(ep_ec);
    std::string remote = ep_ec ? "" : ep.address().to_string();
    socket.set_option(tcp::no_delay(true), ep_ec);
    if (ssl) {
      using S = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<Connection<S>>(this, S(beast::tcp_stream(std::move(socket)), *ssl), std::move(remote))->Run();
    } else {
      std::make_shared<Connection<beast::tcp_stream>>(this, beast::tcp_stream(std::move(socket)), std::move(remote))
          ->Run();
    }
    Accept();
  });
}

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpTransport::~HttpTransport() { Stop(); }

Result<std::unique_ptr<HttpTransport>> HttpTransport::Create(const ServerOptions& options, const Router* router,
                                                             EventBus* bus, Hooks hooks) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->router = router;
  impl->bus = bus;
  impl->hooks = std::move(hooks);
  impl->anonymous = std::make_unique<RateLimiter>(options.anonymous_rate, options.anonymous_burst);
  if (!options.tls_cert.empty()) {
    impl->ssl.emplace(asio::ssl::context::tls_server);
    impl->ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    impl->ssl->use_certificate_chain_file(options.tls_cert, ec);
    if (!ec) impl->ssl->use_private_key_file(options.tls_key, asio::ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument("TLS certificate " + options.tls_cert + " or key " + options.tls_key +
                                     " could not be loaded (PEM expected): " + ec.message());
    }
  }
  if (!options.access_log.empty()) {
    try {
      std::filesystem::create_directories(std::filesystem::path(options.access_log).parent_path());
      auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(options.access_log, 10 << 20, 5);
      impl->access = std::make_shared<spdlog::logger>("access", sink);
      impl->access->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %v", spdlog::pattern_time_type::utc);
      impl->access->flush_on(spdlog::level::info);
    } catch (const std::exception& e) {
      return Status::InvalidArgument("cannot open the access log " + options.access_log + ": " + e.what());
    }
  }
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
}

Status HttpTransport::Start() {
  Impl& t = *impl_;
  t.ioc = std::make_unique<asio::io_context>(std::max(1, t.options.io_threads));
  const std::string where = t.options.host + ":" + std::to_string(t.options.port);
  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(t.options.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, static_cast<unsigned short>(t.options.port));
  } else {
    tcp::resolver resolver(*t.ioc);
    auto results = resolver.resolve(t.options.host, std::to_string(t.options.port), ec);
    if (ec || results.empty()) {
      return Status::IOError("cannot listen on " + where + " (not an address of this machine)");
    }
    endpoint = *results.begin();
  }
  t.acceptor = std::make_unique<tcp::acceptor>(*t.ioc);
  t.acceptor->open(endpoint.protocol(), ec);
  if (!ec) t.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) t.acceptor->bind(endpoint, ec);
  if (!ec) t.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + where + " (in use, or not an address of this machine): " +
                           ec.message());
  }
  t.port = t.acceptor->local_endpoint().port();
  t.pool = std::make_unique<WorkerPool>(t.options.worker_threads, t.options.max_queued_requests);
  t.Accept();
  for (int i = 0; i < std::max(1, t.options.io_threads); ++i) {
    t.io_threads.emplace_back([&t] { t.ioc->run(); });
  }
  t.started = true;
  return Status::Ok();
}

int HttpTransport::port() const { return impl_->port; }

void HttpTransport::Stop() {
  Impl& t = *impl_;
  if (!t.started) return;
  t.started = false;
  t.stopping = true;
  asio::post(*t.ioc, [&t] {
    beast::error_code ec;
    t.acceptor->close(ec);
  });
  t.ioc->stop();
  for (auto& th : t.io_threads) {
    if (th.joinable()) th.join();
  }
  t.io_threads.clear();
  t.pool->Stop();
  // Destroying the context destroys every connection still waiting on it (closing its socket).
  t.acceptor.reset();
  t.ioc.reset();
}

bool HttpTransport::Background(std::function<void()> fn) {
  return impl_->pool && impl_->pool->TryPost(std::move(fn));
}

size_t HttpTransport::open_streams() const {
  std::lock_guard<std::mutex> lock(impl_->streams_mu);
  return impl_->streams_total;
}

namespace {
template <size_t N>
bool PrefixMatches(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b, int bits) {
  for (int i = 0; i < bits; ++i) {
    const int mask = 0x80 >> (i % 8);
    if ((a[i / 8] & mask) != (b[i / 8] & mask)) return false;
  }
  return true;
}
}  // namespace

Result<AddressList> AddressList::Parse(const std::vector<std::string>& entries) {
  AddressList out;
  for (const std::string& entry : entries) {
    const size_t slash = entry.find('/');
    beast::error_code ec;
    const auto address = asio::ip::make_address(entry.substr(0, slash), ec);
    int bits = address.is_v4() ? 32 : 128;
    bool ok = !ec;
    if (ok && slash != std::string::npos) {
      try {
        size_t used = 0;
        bits = std::stoi(entry.substr(slash + 1), &used);
        ok = used == entry.size() - slash - 1 && bits >= 0 && bits <= (address.is_v4() ? 32 : 128);
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok) {
      return Status::InvalidArgument("'" + entry + "' is not an address or network (e.g. 10.0.0.5, 10.0.0.0/8, ::1)");
    }
    if (address.is_v4()) {
      out.v4_.emplace_back(address.to_v4().to_bytes(), bits);
    } else {
      out.v6_.emplace_back(address.to_v6().to_bytes(), bits);
    }
  }
  return out;
}

bool AddressList::Contains(const std::string& text) const {
  beast::error_code ec;
  auto address = asio::ip::make_address(text, ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    for (const auto& [net, bits] : v4_) {
      if (PrefixMatches(bytes, net, bits)) return true;
    }
  } else {
    const auto bytes = address.to_v6().to_bytes();
    for (const auto& [net, bits] : v6_) {
      if (PrefixMatches(bytes, net, bits)) return true;
    }
  }
  return false;
}

bool ParseMultipartFormData(const std::string& content_type, const std::string& body,
                            httplib::MultipartFormDataMap* files) {
  const size_t b = content_type.find("boundary=");
  if (b == std::string::npos) return false;
  std::string boundary = content_type.substr(b + 9);
  if (const size_t semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') {
    boundary = boundary.substr(1, boundary.size() - 2);
  }
  if (boundary.empty() || boundary.size() > 200) return false;
  const std::string delim = "--" + boundary;
  size_t pos = body.find(delim);
  if (pos == std::string::npos) return false;
  auto param = [](const std::string& headers, const std::string& key) -> std::string {
    // key="value" in the Content-Disposition line.
    const std::string needle = key + "=\"";
    size_t p = 0;
    while ((p = headers.find(needle, p)) != std::string::npos) {
      if (p == 0 || headers[p - 1] == ' ' || headers[p - 1] == ';') {
        const size_t start = p + needle.size();
        const size_t end = headers.find('"', start);
        if (end == std::string::npos) return "";
        return headers.substr(start, end - start);
      }
      p += needle.size();
    }
    return "";
  };
  for (;;) {
    pos += delim.size();
    if (body.compare(pos, 2, "--") == 0) return true;  // the closing delimiter
    if (body.compare(pos, 2, "\r\n") != 0) return false;
    pos += 2;
    const size_t header_end = body.find("\r\n\r\n", pos);
    if (header_end == std::string::npos) return false;
    const std::string headers = body.substr(pos, header_end - pos);
    const size_t content_start = header_end + 4;
    const size_t next = body.find("\r\n" + delim, content_start);
    if (next == std::string::npos) return false;
    httplib::MultipartFormData part;
    std::string lower;
    for (char c : headers) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Content-Disposition parameters keep their case: look them up in the original text.
    part.name = param(headers, "name");
    part.filename = param(headers, "filename");
    if (const size_t ct = lower.find("content-type:"); ct != std::string::npos) {
      size_t s = ct + 13;
      while (s < headers.size() && headers[s] == ' ') ++s;
      const size_t e = headers.find("\r\n", s);
      part.content_type = headers.substr(s, e == std::string::npos ? std::string::npos : e - s);
    }
    part.content = body.substr(content_start, next - content_start);
    if (part.name.empty()) return false;
    files->emplace(part.name, std::move(part));
    pos = next + 2;
  }
}

}  // namespace lfr::server
