// Authentication and authorisation for the operator console and HTTP API: password hashes,
// login sessions, CSRF tokens, login throttling and the role -> permission matrix.
//
// Passwords are hashed with Argon2id (libsodium crypto_pwhash_str, "interactive" limits:
// ~64 MiB and a fraction of a second per hash), so a stolen database does not give them
// away. A session is a 256-bit random token sent as an HttpOnly, SameSite=Strict cookie; each
// session has its own CSRF token that every state-changing request must echo in the
// X-CSRF-Token header. Sessions live in memory: a restart logs everyone out. They expire
// after idle_ms without use or absolute_ms after login, whichever is first.
//
// Thread-safety: SessionManager and LoginThrottle are internally locked; the free
// functions are thread-safe.
#ifndef LFR_SERVER_AUTH_H_
#define LFR_SERVER_AUTH_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"
#include "util/clock.h"
#include "util/status.h"

namespace lfr::server {

// InvalidArgument (saying why) unless the password has at least 12 characters.
Status CheckPasswordPolicy(std::string_view password);
// Argon2id hash string of password (includes salt and parameters). Internal on failure
// (out of memory).
Result<std::string> HashPassword(std::string_view password);
// A random password for a new account: 20 letters and digits from an unambiguous alphabet
// in groups of five ("k3m9q-…"), about 100 bits.
std::string GeneratePassword();
// True if password matches hash. Constant-time in the password; false for a malformed hash.
bool VerifyPassword(const std::string& hash, std::string_view password);

struct Session {
  std::string token;   // 64 hex characters; the cookie value
  std::string csrf;    // 64 hex characters; must come back in X-CSRF-Token
  std::string user;
  Role role = Role::kOperator;
  int64_t created_ms = 0;
  int64_t last_seen_ms = 0;
};

class SessionManager {
 public:
  // clock must outlive the manager.
  explicit SessionManager(Clock* clock, int64_t idle_ms = 30 * 60 * 1000LL,
                          int64_t absolute_ms = 12 * 3600 * 1000LL);
  Session Create(const std::string& user, Role role);
  // The live session for token (refreshing its idle timer), or nullopt if unknown/expired.
  std::optional<Session> Lookup(const std::string& token);
  void Revoke(const std::string& token);
  // Ends every session of a user (password change, disabling, role change).
  void RevokeUser(const std::string& user);
  size_t live_sessions();

 private:
  Clock* clock_;
  int64_t idle_ms_, absolute_ms_;
  std::mutex mu_;
  std::map<std::string, Session> sessions_;
};

// Constant-time comparison of a presented CSRF token with the session's.
bool CsrfMatches(const Session& session, std::string_view presented);

// Slows down password guessing: after max_failures failed logins for a user name, or from
// one client address, within window_ms, further attempts are refused for lockout_ms
// (doubling with each further lockout, capped at 24 h). A successful login clears the
// user's and the address's record.
class LoginThrottle {
 public:
  explicit LoginThrottle(Clock* clock, int max_failures = 5, int64_t window_ms = 15 * 60 * 1000LL,
                         int64_t lockout_ms = 60 * 1000LL);
  // Milliseconds until another attempt for (user, address) is allowed; 0 = allowed now.
  int64_t RetryAfterMs(const std::string& user, const std::string& address);
  void RecordFailure(const std::string& user, const std::string& address);
  void RecordSuccess(const std::string& user, const std::string& address);

 private:
  struct Record {
    int failures = 0;
    int64_t window_start_ms = 0;
    int64_t locked_until_ms = 0;
    int lockouts = 0;
  };
  void Fail(Record* r, int64_t now);
  int64_t Wait(const Record& r, int64_t now) const;
  Clock* clock_;
  int max_failures_;
  int64_t window_ms_, lockout_ms_;
  std::mutex mu_;
  std::map<std::string, Record> by_user_, by_address_;
};

// What a role may do. The matrix (also in docs/ARCHITECTURE.md and tested per endpoint):
//   admin       users
//   supervisor  deployments, cameras, watchlists (incl. images), start/close, notices,
//               alerts (read, images, correct any decision), reports
//   operator    read deployments, alerts of active deployments (read, images, decide,
//               correct their own decision within 10 minutes), the watchlist image of an
//               alerted subject
//   auditor     read deployments, alerts (metadata, no images), reports, audit log
enum class Permission {
  kManageUsers,
  kReadDeployments,
  kManageDeployments,    // create, edit, cameras, watchlist, start, close, notice
  kViewWatchlist,        // list entries (metadata)
  kViewFaceImages,       // watchlist images, alert crops and thumbnails
  kReadAlerts,
  kDecideAlerts,
  kCorrectDecisions,     // supervisors: any decision; operators: their own, within 10 min
  kReadReports,
  kReadAudit,
};
bool Allows(Role role, Permission permission);
const char* PermissionName(Permission p);

}  // namespace lfr::server

#endif  // LFR_SERVER_AUTH_H_
