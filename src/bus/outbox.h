// Store and forward for an edge node: messages for the central server wait in a durable
// outbox on the node's own disk until the central stream has acknowledged them, so an
// outage of the control room, the message server or the link of any length up to the
// messages' lifetime loses none.
//
// Outbox: an SQLite file (WAL, synchronous=FULL): Put() returns only once the message is
// on disk, so a node killed at any moment after Put() still holds it. Each message has an
// id (the de-duplication id the central stream sees, e.g. "alert:<node>:<uuid>"); putting
// the same id twice keeps one. Each also has an expiry: a message still here when it is
// due is deleted unsent (an alert's data must be gone within 24 h whether or not it
// reached the control room). Payloads are stored as given: the producer seals what is
// sensitive (alerts under their deployment's key) before putting it here.
//
// Forwarder: one thread that sends the outbox's oldest messages, in order, through a
// JetStreamBus with their ids, and deletes each once the stream has acked it (an ack
// saying "duplicate" counts: the stream already had it, e.g. a node killed between the
// ack and the delete sends it again after its restart and the central side keeps one).
// While the server cannot be reached it waits (retry_ms) and tries again; nothing is
// dropped but expired messages.
//
// Thread-safety: Outbox is thread-safe (one connection under a mutex); Forwarder's
// Start/Stop from one thread, stats() from any. Ownership: the Forwarder does not own the
// outbox or the bus; both must outlive it.
#ifndef LFR_BUS_OUTBOX_H_
#define LFR_BUS_OUTBOX_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bus/jetstream.h"
#include "util/status.h"

struct sqlite3;

namespace lfr::bus {

struct OutboxItem {
  int64_t id = 0;  // position in the outbox (oldest first)
  std::string msg_id, subject, data;
  int64_t expires_ms = 0;  // UTC ms after which it is deleted unsent
};

class Outbox {
 public:
  // Opens or creates the outbox file (its folder must exist). IOError if it cannot.
  static Result<std::unique_ptr<Outbox>> Open(const std::filesystem::path& file);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Durable on return. A message id already waiting is not added again (OK).
  Status Put(const std::string& msg_id, const std::string& subject, std::string_view data, int64_t expires_ms);
  // Up to n waiting messages, oldest first.
  Result<std::vector<OutboxItem>> Oldest(int n);
  Status Remove(int64_t id);
  // Deletes the messages due at now_ms; how many.
  Result<int64_t> DropExpired(int64_t now_ms);
  Result<int64_t> Size();

 private:
  Outbox() = default;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

struct ForwarderStats {
  int64_t forwarded = 0;   // acked by the stream and deleted here
  int64_t duplicates = 0;  // of those, acks saying the stream already had the id
  int64_t expired = 0;     // deleted unsent when due
  int64_t failures = 0;    // publish attempts that failed (the message stayed)
  bool connected = false;  // the last attempt reached the server
  std::string last_error;
};

class Forwarder {
 public:
  // now_ms: the clock expiry is judged by (UTC ms; tests inject one).
  Forwarder(Outbox* outbox, JetStreamBus* bus, int retry_ms = 500,
            std::function<int64_t()> now_ms = nullptr);
  ~Forwarder();
  void Start();
  void Stop();    // returns once the thread has finished its current message
  void Wake();    // something was put: look now instead of after the idle wait
  ForwarderStats stats() const;

 private:
  void Run();
  Outbox* outbox_;
  JetStreamBus* bus_;
  int retry_ms_;
  std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, woken_ = false;
  ForwarderStats stats_;
  std::thread thread_;
};

}  // namespace lfr::bus

#endif  // LFR_BUS_OUTBOX_H_
