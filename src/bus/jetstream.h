// The fleet's message bus: a client of NATS JetStream (Debian's nats-server, the C client
// libnats), used by edge nodes to send alerts, counts and camera health to the central
// server and by the central server to send commands to nodes. Nothing here is home-made
// messaging: streams, persistence, acknowledgement, redelivery and de-duplication are
// JetStream's. This file wraps the C client in the project's Status/Result types.
//
// What crosses the bus: sealed payloads (alerts are sealed under their deployment's key
// before they are published, bus/streams.h says what each stream carries); the bus never
// sees a face of someone who matched nobody. Links are TLS when the URL is tls:// (or a CA
// is given), each node with its own user and password.
//
// Exactly once: every message carries an id (JetStream's Nats-Msg-Id header); within a
// stream's duplicate window the server stores a second copy of the same id as a no-op and
// says so (PublishAck::duplicate), so a publisher that is not sure its message arrived
// (a lost ack, a crash before it noted the ack) simply sends it again. Consumers are
// durable pull consumers with explicit acks: a message not acked within ack_wait is
// delivered again, so the consumer's side must be idempotent too (the central store
// inserts by message id).
//
// Errors: the server unreachable, a timeout or a closed connection are Unavailable: the
// message was not confirmed, which is not the same as not delivered (the client may still
// send what it buffered while reconnecting), so the caller keeps it and sends it again
// with the same id later; a stream or consumer that
// does not exist is NotFound; anything else is Internal with the client's text.
//
// Thread-safety: a JetStreamBus may be used from several threads (the C client's
// connection and JetStream context are thread-safe); a PullConsumer from one thread at a
// time. Ownership: a PullConsumer and every Delivery must not outlive their bus.
#ifndef LFR_BUS_JETSTREAM_H_
#define LFR_BUS_JETSTREAM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

struct __natsConnection;
struct __natsMsg;
struct __natsSubscription;
struct __jsCtx;

namespace lfr::bus {

struct BusOptions {
  std::string url;                  // nats://host:port or tls://host:port (comma-separated list allowed)
  std::string name;                 // this client's name as the server shows it (a node's name)
  std::string user, password;       // per-node credentials (empty: none)
  std::string ca_file;              // TLS: the CA that signed the server's certificate
  std::string cert_file, key_file;  // TLS client certificate (optional)
  int connect_timeout_ms = 2000;
  int request_timeout_ms = 2000;    // JetStream API calls and publish acks
  int reconnect_wait_ms = 250;
  // true: Connect succeeds while the server is unreachable and keeps trying in the
  // background (an edge node starting while the control room is down); false: Connect
  // fails with Unavailable.
  bool retry_on_failed_connect = false;
};

struct StreamSpec {
  std::string name;
  std::vector<std::string> subjects;
  int64_t max_age_s = 0;           // messages older than this are removed (0: kept)
  int64_t duplicate_window_s = 120;  // a message id seen within it is not stored again
};

struct PublishAck {
  uint64_t sequence = 0;   // the message's sequence in its stream
  bool duplicate = false;  // the stream already held this id: nothing new was stored
};

// One message handed to a consumer; Ack() once it has been dealt with, else it is
// delivered again after the consumer's ack wait. Movable, not copyable.
class Delivery {
 public:
  explicit Delivery(__natsMsg* msg);
  Delivery(Delivery&& other) noexcept;
  Delivery& operator=(Delivery&& other) noexcept;
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;
  ~Delivery();

  std::string subject() const;
  std::string_view data() const;
  std::string msg_id() const;        // "" if it was published without one
  uint64_t stream_sequence() const;  // 0 if unknown
  uint64_t delivered() const;        // 1 for the first delivery
  Status Ack();

 private:
  __natsMsg* msg_ = nullptr;
};

class JetStreamBus;

class PullConsumer {
 public:
  ~PullConsumer();
  // Up to `max` messages, waiting at most timeout_ms for the first; empty when none came
  // (not an error). Unavailable while the server cannot be reached.
  Result<std::vector<Delivery>> Fetch(int max, int timeout_ms);

 private:
  friend class JetStreamBus;
  explicit PullConsumer(__natsSubscription* sub) : sub_(sub) {}
  __natsSubscription* sub_ = nullptr;
};

class JetStreamBus {
 public:
  static Result<std::unique_ptr<JetStreamBus>> Connect(const BusOptions& options);
  ~JetStreamBus();
  JetStreamBus(const JetStreamBus&) = delete;
  JetStreamBus& operator=(const JetStreamBus&) = delete;

  // Creates the stream, or updates its subjects and limits if it exists (file storage).
  Status EnsureStream(const StreamSpec& spec);
  // Publishes and waits for the stream's ack. msg_id: the de-duplication id ("" for none).
  Result<PublishAck> Publish(const std::string& subject, std::string_view data, const std::string& msg_id);
  // A durable pull consumer of `stream` (messages on filter_subject; "" for the stream's
  // subject when it has exactly one, else InvalidArgument), created
  // if missing and resumed where it left off otherwise; explicit acks, redelivery after
  // ack_wait_ms.
  Result<std::unique_ptr<PullConsumer>> Subscribe(const std::string& stream, const std::string& filter_subject,
                                                  const std::string& durable, int ack_wait_ms = 30000);
  // How many messages the stream holds (NotFound if there is no such stream).
  Result<uint64_t> StreamMessages(const std::string& stream);
  bool connected() const;

 private:
  JetStreamBus() = default;
  BusOptions options_;
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
};

}  // namespace lfr::bus

#endif  // LFR_BUS_JETSTREAM_H_
