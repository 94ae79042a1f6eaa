// A throwaway NATS server with JetStream for tests: Debian's nats-server (installed by
// scripts/setup) started as a child process on a random free port of 127.0.0.1 with its
// JetStream store in a temporary directory; Kill() stops it at once (SIGKILL, as a crash
// or a pulled cable would), Restart() brings it back on the same port with the same store
// (the streams survive, as a real server's would). Options: a user and password, and TLS
// with a certificate made for the occasion. Stopped and deleted with the object.
//
// A server that cannot start (no nats-server binary, the port taken) is an error: the
// tests that need it fail, they are not skipped. Thread-safety: one thread.
#ifndef LFR_TESTING_NATS_SERVER_H_
#define LFR_TESTING_NATS_SERVER_H_

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "bus/jetstream.h"
#include "util/status.h"

namespace lfr::testing {

struct NatsServerOptions {
  std::string user, password;  // both set: clients must log in
};

class NatsServer {
 public:
  static Result<std::unique_ptr<NatsServer>> Start(const NatsServerOptions& options = {});
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  const std::filesystem::path& store_dir() const { return dir_; }
  bool running() const { return pid_ > 0; }

  void Kill();       // SIGKILL and reap
  Status Restart();  // same port and store; waits until it accepts connections

 private:
  NatsServer() = default;
  Status Launch();
  NatsServerOptions options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// The control room's side of a test fleet on `server`: a connection that has made the
// fleet's streams (bus/protocol.h) and a durable consumer of the nodes' heartbeats.
struct ControlRoomBus {
  std::unique_ptr<bus::JetStreamBus> bus;
  std::unique_ptr<bus::PullConsumer> health;
};
Result<ControlRoomBus> ConnectControlRoom(const NatsServer& server);

}  // namespace lfr::testing

#endif  // LFR_TESTING_NATS_SERVER_H_
