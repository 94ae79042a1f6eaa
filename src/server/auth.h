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
#include <iterator>
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

// Slows down password guessing without letting anyone lock an account (a stranger who
// types wrong passwords for an operator's name must not keep the operator out mid-deployment).
//
//  * Per client address: the first free_failures failed logins from an address cost
//    nothing; after the n-th (n >= free_failures) the address must wait
//    base_delay_ms * 2^(n - free_failures), capped at kMaxAddressDelayMs, before its next
//    attempt, whatever user name it tries (guessing many accounts is slowed too).
//  * Per account: failures against a user name are counted from every address (guessing
//    spread over many addresses). Once that count reaches free_failures, an address that
//    has itself failed against the account must wait base_delay_ms * 2^(count -
//    free_failures), capped at kMaxAccountDelayMs, after its own last failure on it. An
//    address that never failed against the account is never slowed by the account's count:
//    the right password from a clean address always gets in.
//  * A record is forgotten window_ms after its last failure (once any wait it imposes has
//    passed). Success from an address clears its record and takes its failures off the
//    account's count (they were the user's own typing); the others' stay.
//  * Memory is bounded: at most kMaxRecords addresses and accounts, and kMaxAddressesPerAccount
//    addresses per account, the stalest forgotten first.
// The caller answers a non-zero RetryAfterMs with 429 and Retry-After, without checking the
// password (a throttled attempt is not a failure and costs no hashing).
class LoginThrottle {
 public:
  static constexpr int64_t kMaxAddressDelayMs = 60 * 60 * 1000LL;   // 1 h
  static constexpr int64_t kMaxAccountDelayMs = 5 * 60 * 1000LL;    // 5 min
  static constexpr size_t kMaxRecords = 10000;
  static constexpr size_t kMaxAddressesPerAccount = 1000;

  explicit LoginThrottle(Clock* clock, int free_failures = 5, int64_t window_ms = 15 * 60 * 1000LL,
                         int64_t base_delay_ms = 60 * 1000LL);
  // Milliseconds until address may try user again; 0 = allowed now.
  int64_t RetryAfterMs(const std::string& user, const std::string& address);
  void RecordFailure(const std::string& user, const std::string& address);
  void RecordSuccess(const std::string& user, const std::string& address);

 private:
  struct AddressRecord {
    int failures = 0;
    int64_t last_failure_ms = 0;
  };
  struct AccountRecord {
    int failures = 0;
    int64_t last_failure_ms = 0;
    struct From {
      int failures = 0;
      int64_t last_failure_ms = 0;
    };
    std::map<std::string, From> failed_from;  // addresses that failed on this account
  };
  int64_t Delay(int failures, int64_t cap) const;
  void Prune(int64_t now);
  Clock* clock_;
  int free_failures_;
  int64_t window_ms_, base_delay_ms_;
  std::mutex mu_;
  std::map<std::string, AddressRecord> by_address_;
  std::map<std::string, AccountRecord> by_user_;
};

// Argon2id verifications done by VerifyPassword since the process started (for tests that
// check that every login path does the same work).
int64_t PasswordVerifications();
// An Argon2id hash of a random password, made once per process with HashPassword's
// parameters: login verifies unknown user names against it, so that a wrong name costs the
// same time as a wrong password.
const std::string& DummyPasswordHash();

// What a role may do. The matrix (also in docs/ARCHITECTURE.md and tested per endpoint):
//   admin       users
//   supervisor  deployments, cameras, watchlists (incl. images), start/close, notices,
//               alerts (read, images, correct any decision), reports
//   operator    of active deployments only (need-to-know; planned and closed ones are
//               403 or left out of lists): read them and their cameras, their watchlists
//               (names, reasons, photos), their alerts (read, images, decide, correct
//               their own decision within 10 minutes). The active-only scope is applied
//               by the routes (x-operator-scope in openapi.json).
//   auditor     read deployments, alerts (metadata, no images), reports, audit log,
//               galleries (metadata) and every search's record (no images)
//   supervisor  also manages the retrospective galleries (create, import by upload, list,
//               show records, remove a record, delete) and reads every search's record
//   investigator retrospective search (issue 10): read galleries (metadata), search one
//               with a probe, view the candidates' images, review candidates, read search
//               records — only its own searches, and those of two-reviewer galleries that
//               await a second review it may give (need-to-know; applied by the routes,
//               x-investigator-scope in openapi.json)
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
  kReadGalleries,        // gallery metadata (name, purpose, legal basis, counts)
  kManageGalleries,      // create, import, list/show records, remove a record, delete
  kSearchGalleries,      // run a search; view its candidates' images
  kReviewCandidates,     // record a review decision on a search's candidate
  kReadSearches,         // search records (investigators: their own, see above)
  kReviewFootage,        // recorded footage: timeline, playback (audited), redacted export
};
// Every permission, in declaration order (what /api/me lists a caller's from).
inline constexpr Permission kAllPermissions[] = {
    Permission::kManageUsers,     Permission::kReadDeployments, Permission::kManageDeployments,
    Permission::kViewWatchlist,   Permission::kViewFaceImages,  Permission::kReadAlerts,
    Permission::kDecideAlerts,    Permission::kCorrectDecisions, Permission::kReadReports,
    Permission::kReadAudit,       Permission::kReadGalleries,   Permission::kManageGalleries,
    Permission::kSearchGalleries, Permission::kReviewCandidates, Permission::kReadSearches,
    Permission::kReviewFootage};
static_assert(static_cast<int>(kAllPermissions[std::size(kAllPermissions) - 1]) + 1 ==
                  static_cast<int>(std::size(kAllPermissions)),
              "kAllPermissions lists every Permission, the last one last");
bool Allows(Role role, Permission permission);
const char* PermissionName(Permission p);

}  // namespace lfr::server

#endif  // LFR_SERVER_AUTH_H_
