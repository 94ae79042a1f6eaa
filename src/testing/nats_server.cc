#include "testing/nats_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "bus/protocol.h"
#include "testing/free_port.h"
#include "testing/shared.h"

extern char** environ;

namespace lfr::testing {
namespace fs = std::filesystem;
namespace {

const char* Binary() {
  const char* env = std::getenv("LFR_NATS_SERVER");
  return env != nullptr && *env != '\0' ? env : "/usr/sbin/nats-server";
}

bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string Tail(const fs::path& log) {
  std::ifstream f(log);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return s.size() > 1500 ? "..." + s.substr(s.size() - 1500) : s;
}

}  // namespace

Result<std::unique_ptr<NatsServer>> NatsServer::Start(const NatsServerOptions& options) {
  if (!fs::exists(Binary())) {
    return Status::Unavailable(std::string("test nats-server: ") + Binary() +
                               " not found (scripts/setup installs Debian's nats-server; LFR_NATS_SERVER overrides)");
  }
  std::unique_ptr<NatsServer> s(new NatsServer());
  s->options_ = options;
  s->dir_ = TempDir("nats-server");
  s->port_ = FreePort();
  if (s->port_ == 0) return Status::Unavailable("test nats-server: no free port");
  if (Status st = s->Launch(); !st.ok()) return st;
  return s;
}

Status NatsServer::Launch() {
  const std::string port = std::to_string(port_);
  const std::string store = (dir_ / "jetstream").string();
  const std::string log = (dir_ / "server.log").string();
  std::vector<std::string> args = {Binary(), "-a", "127.0.0.1", "-p", port, "-js", "-sd", store, "-l", log};
  if (!options_.user.empty()) {
    args.insert(args.end(), {"--user", options_.user, "--pass", options_.password});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    return Status::Unavailable(std::string("test nats-server: cannot start ") + Binary());
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Unavailable("test nats-server exited at start: " + Tail(log));
    }
    if (Accepts(port_)) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return Status::Unavailable("test nats-server did not accept connections within 15 s: " + Tail(log));
}

void NatsServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

Status NatsServer::Restart() {
  Kill();
  return Launch();
}

NatsServer::~NatsServer() {
  Kill();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Result<ControlRoomBus> ConnectControlRoom(const NatsServer& server) {
  bus::BusOptions o;
  o.url = server.url();
  o.name = "control-room";
  auto b = bus::JetStreamBus::Connect(o);
  if (!b.ok()) return b.status();
  ControlRoomBus out;
  out.bus = std::move(b).value();
  for (const auto& spec : bus::FleetStreams()) {
    if (Status s = out.bus->EnsureStream(spec); !s.ok()) return s;
  }
  auto c = out.bus->Subscribe(bus::kHealthStream, "", "central-health");
  if (!c.ok()) return c.status();
  out.health = std::move(c).value();
  return out;
}

}  // namespace lfr::testing
