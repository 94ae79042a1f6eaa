// `lfr bench serve`: the HTTP server under a control room's load, in one process on
// loopback — N live event subscribers (/api/events) and M clients polling GET /api/alerts
// while alerts are published. Reports requests/s, latency p50/p95, errors, the process's
// RSS and the time from an alert being published to it reaching the subscribers
// (docs/PERFORMANCE.md). A benchmark, not a test: figures depend on the machine and load.
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/common.h"
#include "privacy/crypto.h"
#include "server/auth.h"
#include "server/server.h"
#include "store/sqlite_store.h"

namespace lfr::cli {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

struct ServeBenchArgs {
  int subscribers = 500;
  int pollers = 50;
  double seconds = 20;
  double alert_interval_ms = 500;
  bool json = false;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

double RssMiB() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::string CpuLine() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

// One event-stream subscriber: connects, sends the request, and notes when each alert
// ("seq" in its data) arrives.
class Subscriber : public std::enable_shared_from_this<Subscriber> {
 public:
  Subscriber(asio::io_context& io, int port, std::string cookie, size_t events)
      : socket_(io), port_(port), cookie_(std::move(cookie)), received_(events) {}
  void Start() {
    socket_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)),
                          [self = shared_from_this()](boost::system::error_code ec) {
                            if (ec) return self->Fail();
                            self->request_ = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " +
                                             self->cookie_ + "\r\n\r\n";
                            asio::async_write(self->socket_, asio::buffer(self->request_),
                                              [self](boost::system::error_code ec, size_t) {
                                                if (ec) return self->Fail();
                                                self->Read();
                                              });
                          });
  }
  void Stop() {
    boost::system::error_code ec;
    socket_.close(ec);
  }
  bool failed() const { return failed_; }
  bool open() const { return open_; }
  // Arrival time of alert seq (time_point{} if never).
  const std::vector<SteadyClock::time_point>& received() const { return received_; }

 private:
  void Fail() { failed_ = true; }
  void Read() {
    socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (ec) {
        if (ec != asio::error::operation_aborted) self->failed_ = true;
        return;
      }
      const auto now = SteadyClock::now();
      self->pending_.append(self->buf_, n);
      if (!self->open_ && self->pending_.find("\r\n\r\n") != std::string::npos) {
        self->open_ = self->pending_.rfind("HTTP/1.1 200", 0) == 0;
        if (!self->open_) self->failed_ = true;
      }
      static const std::string kKey = "data: {\"seq\":";
      size_t p;
      while ((p = self->pending_.find(kKey)) != std::string::npos) {
        const size_t end = self->pending_.find('}', p);
        if (end == std::string::npos) break;
        const size_t seq = std::stoul(self->pending_.substr(p + kKey.size(), end - p - kKey.size()));
        if (seq < self->received_.size()) self->received_[seq] = now;
        self->pending_.erase(0, end + 1);
      }
      if (self->pending_.size() > 65536) self->pending_.erase(0, self->pending_.size() - 1024);
      self->Read();
    });
  }
  tcp::socket socket_;
  int port_;
  std::string cookie_, request_, pending_;
  char buf_[8192];
  std::vector<SteadyClock::time_point> received_;
  bool failed_ = false, open_ = false;
};

void RaiseFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void RunServeBench(const ServeBenchArgs& args, Context& ctx) {
  RaiseFdLimit();
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  const rlim_t needed = static_cast<rlim_t>(2 * args.subscribers + 2 * args.pollers + 100);
  if (rl.rlim_cur < needed) {
    return Fail(ctx, Status::FailedPrecondition("the open-file limit (" + std::to_string(rl.rlim_cur) +
                                                ") is too low for " + std::to_string(args.subscribers) +
                                                " subscribers: raise it (ulimit -n " + std::to_string(needed) + ")"));
  }
  char tmpl[] = "/tmp/lfr-bench-serve-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Fail(ctx, Status::IOError("cannot create a temporary folder"));
  const std::filesystem::path dir = tmpl;
  struct Cleanup {
    std::filesystem::path d;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } cleanup{dir};
  auto key = MasterKey::Create(dir / "master.key");
  if (!key.ok()) return Fail(ctx, key.status());
  auto store = OpenSqliteStore(dir / "lfr.db", *key);
  if (!store.ok()) return Fail(ctx, store.status());
  const std::string password = server::GeneratePassword();
  auto hash = server::HashPassword(password);
  if (!hash.ok()) return Fail(ctx, hash.status());
  if (auto u = (*store)->CreateUser("bench", Role::kSupervisor, *hash, Actor{"cli"}); !u.ok()) {
    return Fail(ctx, u.status());
  }

  server::EventBus bus;
  server::ServerOptions o;
  o.port = 0;
  o.max_streams = static_cast<size_t>(args.subscribers) + 10;
  o.max_streams_per_session = static_cast<size_t>(args.subscribers) + 10;
  o.access_log = (dir / "access.log").string();
  auto srv = server::Server::Create({store->get(), SystemClock(), nullptr, nullptr, &bus}, o);
  if (!srv.ok()) return Fail(ctx, srv.status());
  if (Status s = (*srv)->Start(); !s.ok()) return Fail(ctx, s);
  const int port = (*srv)->port();

  httplib::Client login("127.0.0.1", port);
  auto r = login.Post("/api/login", nlohmann::json({{"username", "bench"}, {"password", password}}).dump(),
                      "application/json");
  if (!r || r->status != 200) return Fail(ctx, Status::Internal("benchmark login failed"));
  const std::string set = r->get_header_value("Set-Cookie");
  const std::string cookie = set.substr(0, set.find(';'));

  const size_t max_events = static_cast<size_t>(args.seconds * 1000 / args.alert_interval_ms) + 2;
  asio::io_context io;
  std::vector<std::shared_ptr<Subscriber>> subs;
  for (int i = 0; i < args.subscribers; ++i) {
    subs.push_back(std::make_shared<Subscriber>(io, port, cookie, max_events));
    subs.back()->Start();
  }
  auto work = asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  const auto open_deadline = SteadyClock::now() + std::chrono::seconds(60);
  while ((*srv)->open_streams() < static_cast<size_t>(args.subscribers) && SteadyClock::now() < open_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const size_t streams_open = (*srv)->open_streams();

  // The pollers.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<double> latencies;
  int64_t errors = 0;
  std::vector<std::thread> pollers;
  const auto t0 = SteadyClock::now();
  for (int i = 0; i < args.pollers; ++i) {
    pollers.emplace_back([&] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_read_timeout(30, 0);
      const httplib::Headers h{{"Cookie", cookie}};
      std::vector<double> mine;
      int64_t my_errors = 0;
      while (!stop) {
        const auto a = SteadyClock::now();
        auto res = c.Get("/api/alerts", h);
        const double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - a).count();
        if (!res || res->status != 200) {
          ++my_errors;
        } else {
          mine.push_back(ms);
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      errors += my_errors;
    });
  }
  // The publisher: one alert every interval.
  std::vector<SteadyClock::time_point> published;
  double rss_peak = 0;
  while (SteadyClock::now() - t0 < std::chrono::duration<double>(args.seconds) && published.size() < max_events) {
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(args.alert_interval_ms));
    published.push_back(SteadyClock::now());
    bus.Publish("alert", "{\"seq\":" + std::to_string(published.size() - 1) + "}");
    rss_peak = std::max(rss_peak, RssMiB());
  }
  stop = true;
  for (auto& t : pollers) t.join();
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  // Let the last alert arrive.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  asio::post(io, [&] {
    for (auto& s : subs) s->Stop();
  });
  work.reset();
  io_thread.join();
  (*srv)->Stop();

  // Fan-out: per alert, the delay until each subscriber had it.
  std::vector<double> deliveries, to_last;
  int64_t missing = 0;
  int failed_subs = 0;
  for (const auto& s : subs) failed_subs += s->failed() ? 1 : 0;
  for (size_t k = 0; k < published.size(); ++k) {
    double last = 0;
    for (const auto& s : subs) {
      const auto at = s->received()[k];
      if (at == SteadyClock::time_point{}) {
        ++missing;
        continue;
      }
      const double ms = std::chrono::duration<double, std::milli>(at - published[k]).count();
      deliveries.push_back(ms);
      last = std::max(last, ms);
    }
    to_last.push_back(last);
  }
  const double rps = static_cast<double>(latencies.size()) / elapsed;
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  if (args.json) {
    *ctx.out << nlohmann::json({{"subscribers", args.subscribers},
                                {"streams_open", streams_open},
                                {"pollers", args.pollers},
                                {"seconds", elapsed},
                                {"requests", latencies.size()},
                                {"requests_per_s", rps},
                                {"latency_p50_ms", Percentile(latencies, 50)},
                                {"latency_p95_ms", Percentile(latencies, 95)},
                                {"latency_max_ms", Percentile(latencies, 100)},
                                {"errors", errors},
                                {"rss_mib", rss_peak},
                                {"alerts", published.size()},
                                {"fanout_p50_ms", Percentile(deliveries, 50)},
                                {"fanout_p95_ms", Percentile(deliveries, 95)},
                                {"fanout_max_ms", Percentile(deliveries, 100)},
                                {"fanout_last_subscriber_p95_ms", Percentile(to_last, 95)},
                                {"missed_deliveries", missing},
                                {"failed_subscribers", failed_subs}})
                  .dump(2)
             << "\n";
    return;
  }
  *ctx.out << std::fixed << std::setprecision(1) << "lfr bench serve: " << args.subscribers
           << " event subscribers (" << streams_open << " open), " << args.pollers
           << " clients polling GET /api/alerts, " << elapsed << " s, one alert every "
           << args.alert_interval_ms << " ms\n"
           << "machine: " << CpuLine() << ", " << std::thread::hardware_concurrency()
           << " logical CPUs, load average " << std::setprecision(2) << load[0] << " " << load[1] << " "
           << load[2] << std::setprecision(1) << "\n\n"
           << "  requests/s           " << rps << "\n"
           << "  latency p50 / p95    " << Percentile(latencies, 50) << " / " << Percentile(latencies, 95)
           << " ms (max " << Percentile(latencies, 100) << ")\n"
           << "  errors               " << errors << " of " << (latencies.size() + errors) << "\n"
           << "  process RSS (peak)   " << rss_peak << " MiB (server and benchmark clients)\n"
           << "  alerts published     " << published.size() << "\n"
           << "  fan-out p50 / p95    " << Percentile(deliveries, 50) << " / " << Percentile(deliveries, 95)
           << " ms (max " << Percentile(deliveries, 100) << ") from publish to a subscriber\n"
           << "  to the last subscriber p50 / p95  " << Percentile(to_last, 50) << " / "
           << Percentile(to_last, 95) << " ms\n"
           << "  missed deliveries    " << missing << ", failed subscribers " << failed_subs << "\n";
}

}  // namespace

void RegisterServeBench(CLI::App* bench, Context& ctx) {
  auto sa = std::make_shared<ServeBenchArgs>();
  CLI::App* s = bench->add_subcommand(
      "serve",
      "The HTTP server in-process on loopback (temporary store): N live event subscribers plus M "
      "clients polling GET /api/alerts while alerts are published; reports requests/s, latency "
      "p50/p95, errors, RSS and the publish-to-subscriber fan-out time");
  s->add_option("--subscribers", sa->subscribers, "Open /api/events streams")
      ->check(CLI::Range(0, 20000))->capture_default_str();
  s->add_option("--pollers", sa->pollers, "Clients polling GET /api/alerts back to back")
      ->check(CLI::Range(0, 1000))->capture_default_str();
  s->add_option("--seconds", sa->seconds, "Duration")->check(CLI::Range(1.0, 3600.0))->capture_default_str();
  s->add_option("--alert-interval-ms", sa->alert_interval_ms, "One alert published every so often")
      ->check(CLI::Range(10.0, 60000.0))->capture_default_str();
  s->add_flag("--json", sa->json, "JSON output");
  s->callback([sa, &ctx] { RunServeBench(*sa, ctx); });
}

}  // namespace lfr::cli
