#include "bus/jetstream.h"

#include <nats/nats.h>

#include <algorithm>

namespace lfr::bus {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr int64_t kNsPerMs = 1'000'000;

// The client's words for what went wrong, with its last error text when it has one.
std::string Text(natsStatus s) {
  std::string text = natsStatus_GetText(s);
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && text.find(detail) == std::string::npos) {
    text += ": ";
    text += detail;
  }
  return text;
}

Status ToStatus(natsStatus s, jsErrCode code, const std::string& what) {
  switch (s) {
    case NATS_OK:
      return Status::Ok();
    case NATS_NO_SERVER:
    case NATS_NOT_YET_CONNECTED:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
      return Status::Unavailable(what + ": the message server cannot be reached (" + Text(s) + ")");
    case NATS_NOT_FOUND:
      return Status::NotFound(what + ": " + Text(s));
    default:
      break;
  }
  if (code == JSStreamNotFoundErr || code == JSConsumerNotFoundErr) return Status::NotFound(what + ": " + Text(s));
  return Status::Internal(what + ": " + Text(s) + (code != 0 ? " (JetStream error " + std::to_string(code) + ")" : ""));
}

// Given to the client so that a first connection that fails is retried in the background
// instead of blocking Connect (natsOptions_SetRetryOnFailedConnect with a callback).
void OnConnected(natsConnection* /*nc*/, void* /*closure*/) {}

// The client library's global state: set up once, never torn down while the process
// may still use it (nats_Close at exit would race with other static destructors).
void OpenLibrary() {
  static const natsStatus opened = nats_Open(-1);
  (void)opened;
}

}  // namespace

// ---- Delivery ----------------------------------------------------------------------------

Delivery::Delivery(natsMsg* msg) : msg_(msg) {}
Delivery::Delivery(Delivery&& other) noexcept : msg_(other.msg_) { other.msg_ = nullptr; }
Delivery& Delivery::operator=(Delivery&& other) noexcept {
  if (this != &other) {
    if (msg_ != nullptr) natsMsg_Destroy(msg_);
    msg_ = other.msg_;
    other.msg_ = nullptr;
  }
  return *this;
}
Delivery::~Delivery() {
  if (msg_ != nullptr) natsMsg_Destroy(msg_);
}

std::string Delivery::subject() const {
  const char* s = msg_ != nullptr ? natsMsg_GetSubject(msg_) : nullptr;
  return s != nullptr ? s : "";
}

std::string_view Delivery::data() const {
  if (msg_ == nullptr) return {};
  const char* d = natsMsg_GetData(msg_);
  return d != nullptr ? std::string_view(d, static_cast<size_t>(natsMsg_GetDataLength(msg_))) : std::string_view();
}

std::string Delivery::msg_id() const {
  const char* v = nullptr;
  if (msg_ != nullptr && natsMsgHeader_Get(msg_, "Nats-Msg-Id", &v) == NATS_OK && v != nullptr) return v;
  return "";
}

uint64_t Delivery::stream_sequence() const {
  jsMsgMetaData* meta = nullptr;
  if (msg_ == nullptr || natsMsg_GetMetaData(&meta, msg_) != NATS_OK) return 0;
  const uint64_t seq = meta->Sequence.Stream;
  jsMsgMetaData_Destroy(meta);
  return seq;
}

uint64_t Delivery::delivered() const {
  jsMsgMetaData* meta = nullptr;
  if (msg_ == nullptr || natsMsg_GetMetaData(&meta, msg_) != NATS_OK) return 0;
  const uint64_t n = meta->NumDelivered;
  jsMsgMetaData_Destroy(meta);
  return n;
}

Status Delivery::Ack() {
  if (msg_ == nullptr) return Status::FailedPrecondition("ack: no message");
  return ToStatus(natsMsg_Ack(msg_, nullptr), static_cast<jsErrCode>(0), "ack");
}

// ---- PullConsumer ------------------------------------------------------------------------

PullConsumer::~PullConsumer() {
  if (sub_ != nullptr) natsSubscription_Destroy(sub_);  // the durable consumer stays on the server
}

Result<std::vector<Delivery>> PullConsumer::Fetch(int max, int timeout_ms) {
  natsMsgList list{};
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = natsSubscription_Fetch(&list, sub_, std::max(1, max), std::max(1, timeout_ms), &code);
  std::vector<Delivery> out;
  if (s == NATS_TIMEOUT) {  // nothing arrived in time: not an error
    natsMsgList_Destroy(&list);
    return out;
  }
  if (s != NATS_OK) {
    natsMsgList_Destroy(&list);
    return ToStatus(s, code, "fetch");
  }
  out.reserve(static_cast<size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;  // owned by the Delivery now
  }
  natsMsgList_Destroy(&list);
  return out;
}

// ---- JetStreamBus ------------------------------------------------------------------------

Result<std::unique_ptr<JetStreamBus>> JetStreamBus::Connect(const BusOptions& options) {
  if (options.url.empty()) return Status::InvalidArgument("message server: no URL given (nats://host:port)");
  OpenLibrary();
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  auto set = [&s](natsStatus r) {
    if (s == NATS_OK) s = r;
  };
  set(natsOptions_SetURL(opts, options.url.c_str()));
  if (!options.name.empty()) set(natsOptions_SetName(opts, options.name.c_str()));
  if (!options.user.empty()) set(natsOptions_SetUserInfo(opts, options.user.c_str(), options.password.c_str()));
  set(natsOptions_SetTimeout(opts, options.connect_timeout_ms));
  set(natsOptions_SetMaxReconnect(opts, -1));  // a fleet link: try again for ever
  set(natsOptions_SetReconnectWait(opts, options.reconnect_wait_ms));
  set(natsOptions_SetNoEcho(opts, true));
  const bool tls = options.url.rfind("tls://", 0) == 0 || !options.ca_file.empty();
  if (tls) {
    set(natsOptions_SetSecure(opts, true));
    if (!options.ca_file.empty()) set(natsOptions_LoadCATrustedCertificates(opts, options.ca_file.c_str()));
    if (!options.cert_file.empty()) {
      set(natsOptions_LoadCertificatesChain(opts, options.cert_file.c_str(), options.key_file.c_str()));
    }
  }
  if (options.retry_on_failed_connect) set(natsOptions_SetRetryOnFailedConnect(opts, true, OnConnected, nullptr));
  if (s != NATS_OK) {
    const Status bad = Status::InvalidArgument("message server options: " + Text(s));
    natsOptions_Destroy(opts);
    return bad;
  }
  std::unique_ptr<JetStreamBus> bus(new JetStreamBus());
  bus->options_ = options;
  s = natsConnection_Connect(&bus->nc_, opts);
  natsOptions_Destroy(opts);
  if (s == NATS_NOT_YET_CONNECTED && options.retry_on_failed_connect) s = NATS_OK;  // keeps trying
  if (s != NATS_OK) {
    return ToStatus(s, static_cast<jsErrCode>(0), "connecting to the message server " + options.url);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.request_timeout_ms;
  s = natsConnection_JetStream(&bus->js_, bus->nc_, &jo);
  if (s != NATS_OK) return ToStatus(s, static_cast<jsErrCode>(0), "JetStream context");
  return bus;
}

JetStreamBus::~JetStreamBus() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

bool JetStreamBus::connected() const {
  return nc_ != nullptr && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

Status JetStreamBus::EnsureStream(const StreamSpec& spec) {
  if (spec.name.empty() || spec.subjects.empty()) {
    return Status::InvalidArgument("stream: a name and at least one subject are needed");
  }
  std::vector<const char*> subjects;
  for (const auto& s : spec.subjects) subjects.push_back(s.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = spec.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = js_FileStorage;
  cfg.MaxAge = spec.max_age_s * kNsPerSecond;
  cfg.Duplicates = spec.duplicate_window_s * kNsPerSecond;
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, spec.name.c_str(), nullptr, &code);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    si = nullptr;
    s = js_UpdateStream(&si, js_, &cfg, nullptr, &code);
  } else if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
    code = static_cast<jsErrCode>(0);
    s = js_AddStream(&si, js_, &cfg, nullptr, &code);
  }
  if (si != nullptr) jsStreamInfo_Destroy(si);
  return ToStatus(s, code, "stream " + spec.name);
}

Result<PublishAck> JetStreamBus::Publish(const std::string& subject, std::string_view data,
                                         const std::string& msg_id) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  po.MaxWait = options_.request_timeout_ms;
  jsPubAck* pa = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_Publish(&pa, js_, subject.c_str(), data.data(), static_cast<int>(data.size()), &po, &code);
  if (s != NATS_OK) {
    if (pa != nullptr) jsPubAck_Destroy(pa);
    if (!connected()) {  // e.g. "not supported" from a connection that never reached a server
      return Status::Unavailable("publish to " + subject + ": the message server cannot be reached (" + Text(s) + ")");
    }
    return ToStatus(s, code, "publish to " + subject);
  }
  PublishAck ack{pa->Sequence, pa->Duplicate};
  jsPubAck_Destroy(pa);
  return ack;
}

Result<std::unique_ptr<PullConsumer>> JetStreamBus::Subscribe(const std::string& stream,
                                                              const std::string& filter_subject,
                                                              const std::string& durable, int ack_wait_ms) {
  if (durable.empty()) return Status::InvalidArgument("a durable consumer needs a name");
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Config.AckPolicy = js_AckExplicit;
  so.Config.AckWait = static_cast<int64_t>(ack_wait_ms) * kNsPerMs;
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  std::string subject = filter_subject;
  if (subject.empty()) {  // the client needs a subject: the stream's own, when it has one
    jsStreamInfo* si = nullptr;
    const natsStatus i = js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &code);
    if (i != NATS_OK) return ToStatus(i, code, "stream " + stream);
    if (si->Config != nullptr && si->Config->SubjectsLen == 1) subject = si->Config->Subjects[0];
    jsStreamInfo_Destroy(si);
    if (subject.empty()) return Status::InvalidArgument("stream " + stream + " has several subjects: name one to consume");
  }
  const natsStatus s = js_PullSubscribe(&sub, js_, subject.c_str(), durable.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) return ToStatus(s, code, "consumer " + durable + " of stream " + stream);
  return std::unique_ptr<PullConsumer>(new PullConsumer(sub));
}

Result<uint64_t> JetStreamBus::StreamMessages(const std::string& stream) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &code);
  if (s != NATS_OK) return ToStatus(s, code, "stream " + stream);
  const uint64_t n = si->State.Msgs;
  jsStreamInfo_Destroy(si);
  return n;
}

}  // namespace lfr::bus
