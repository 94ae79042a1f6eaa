// Status and Result<T>: how every OpenLFR operation that can fail reports it.
//
// A Status is either OK or carries a code and a human-readable message that names the
// thing that failed (a file, a model id, a request field) and why. Result<T> holds a
// value or a non-OK Status. Both are cheap to move and safe to copy; neither is
// thread-safe for concurrent mutation (treat them as values).
//
// The codes are coarse on purpose: callers branch on the code (the CLI maps it to an
// exit status, the HTTP server to a 4xx/5xx), users read the message.
#ifndef LFR_UTIL_STATUS_H_
#define LFR_UTIL_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace lfr {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // the input itself is bad (malformed file, wrong value)
    kNotFound,            // a named thing does not exist (file, model, deployment)
    kCorrupt,             // stored data failed a check (checksum, truncated file)
    kIOError,             // the operating system refused (permissions, disk full)
    kUnavailable,         // a remote or device could not be reached; may work later
    kFailedPrecondition,  // the system is not in a state that allows this
    kInternal,            // a bug or an unexpected library failure
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status Corrupt(std::string m) { return Status(Code::kCorrupt, std::move(m)); }
  static Status IOError(std::string m) { return Status(Code::kIOError, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status FailedPrecondition(std::string m) { return Status(Code::kFailedPrecondition, std::move(m)); }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid argument: <message>" or "OK".
  std::string ToString() const;
  static const char* CodeName(Code c);

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Holds either a T or a non-OK Status. Accessing value() of an error is a bug (asserts).
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}                       // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace lfr

// Evaluates expr (a Status); returns it from the enclosing function if not OK.
#define LFR_RETURN_IF_ERROR(expr)             \
  do {                                        \
    ::lfr::Status lfr_status_tmp_ = (expr);   \
    if (!lfr_status_tmp_.ok()) return lfr_status_tmp_; \
  } while (0)

#endif  // LFR_UTIL_STATUS_H_
