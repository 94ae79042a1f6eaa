#include "server/auth.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>


namespace lfr::server {
namespace {

// sodium_init() is idempotent and thread-safe; it fails only without an entropy source.
bool SodiumReady() { return sodium_init() >= 0; }

std::string RandomHex32() {
  uint8_t bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  sodium_memzero(bytes, sizeof bytes);
  return std::string(hex, 64);
}

}  // namespace

Status CheckPasswordPolicy(std::string_view password) {
  if (password.size() < 12) {
    return Status::InvalidArgument("password too short: use at least 12 characters (a phrase of "
                                   "several words is easiest to remember)");
  }
  if (password.size() > 1024) {
    return Status::InvalidArgument("password too long: at most 1024 characters");
  }
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password) {
  if (!SodiumReady()) return Status::Internal("libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status::Internal("password hashing failed (out of memory?)");
  }
  return std::string(out);
}

std::string GeneratePassword() {
  if (!SodiumReady()) std::abort();
  static const char kAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
  std::string out;
  for (int i = 0; i < 20; ++i) {
    out += kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
    if (i % 5 == 4 && i != 19) out += '-';
  }
  return out;
}

namespace {
std::atomic<int64_t> g_verifications{0};
}  // namespace

bool VerifyPassword(const std::string& hash, std::string_view password) {
  if (!SodiumReady() || hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  g_verifications.fetch_add(1, std::memory_order_relaxed);
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

int64_t PasswordVerifications() { return g_verifications.load(std::memory_order_relaxed); }

const std::string& DummyPasswordHash() {
  static const std::string hash = [] {
    auto h = HashPassword(GeneratePassword());
    if (!h.ok()) std::abort();  // out of memory at start-up
    return *h;
  }();
  return hash;
}

SessionManager::SessionManager(Clock* clock, int64_t idle_ms, int64_t absolute_ms)
    : clock_(clock), idle_ms_(idle_ms), absolute_ms_(absolute_ms) {}

Session SessionManager::Create(const std::string& user, Role role) {
  if (!SodiumReady()) std::abort();  // no entropy: cannot make safe tokens
  Session s;
  s.token = RandomHex32();
  s.csrf = RandomHex32();
  s.user = user;
  s.role = role;
  s.created_ms = s.last_seen_ms = clock_->NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[s.token] = s;
  return s;
}

std::optional<Session> SessionManager::Lookup(const std::string& token) {
  if (token.size() != 64) return std::nullopt;
  const int64_t now = clock_->NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  Session& s = it->second;
  if (now - s.last_seen_ms > idle_ms_ || now - s.created_ms > absolute_ms_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  s.last_seen_ms = now;
  return s;
}

void SessionManager::Revoke(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(token);
}

void SessionManager::RevokeUser(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.user == user; });
}

size_t SessionManager::live_sessions() {
  const int64_t now = clock_->NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(sessions_, [&](const auto& kv) {
    return now - kv.second.last_seen_ms > idle_ms_ || now - kv.second.created_ms > absolute_ms_;
  });
  return sessions_.size();
}

bool CsrfMatches(const Session& session, std::string_view presented) {
  if (presented.size() != session.csrf.size() || session.csrf.empty()) return false;
  return sodium_memcmp(presented.data(), session.csrf.data(), presented.size()) == 0;
}

LoginThrottle::LoginThrottle(Clock* clock, int free_failures, int64_t window_ms, int64_t base_delay_ms)
    : clock_(clock), free_failures_(free_failures), window_ms_(window_ms), base_delay_ms_(base_delay_ms) {}

int64_t LoginThrottle::Delay(int failures, int64_t cap) const {
  if (failures < free_failures_) return 0;
  const int shift = std::min(failures - free_failures_, 30);
  return std::min(base_delay_ms_ << shift, cap);
}

int64_t LoginThrottle::RetryAfterMs(const std::string& user, const std::string& address) {
  const int64_t now = clock_->NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  int64_t wait = 0;
  if (auto it = by_address_.find(address); it != by_address_.end()) {
    const AddressRecord& a = it->second;
    wait = std::max(wait, a.last_failure_ms + Delay(a.failures, kMaxAddressDelayMs) - now);
  }
  if (auto it = by_user_.find(user); it != by_user_.end()) {
    const AccountRecord& u = it->second;
    if (auto from = u.failed_from.find(address); from != u.failed_from.end()) {
      wait = std::max(wait, from->second.last_failure_ms + Delay(u.failures, kMaxAccountDelayMs) - now);
    }
  }
  return std::max<int64_t>(wait, 0);
}

void LoginThrottle::Prune(int64_t now) {
  auto stale_address = [&](const AddressRecord& a) {
    return now - a.last_failure_ms > window_ms_ + Delay(a.failures, kMaxAddressDelayMs);
  };
  auto stale_user = [&](const AccountRecord& u) {
    return now - u.last_failure_ms > window_ms_ + Delay(u.failures, kMaxAccountDelayMs);
  };
  std::erase_if(by_address_, [&](const auto& kv) { return stale_address(kv.second); });
  std::erase_if(by_user_, [&](const auto& kv) { return stale_user(kv.second); });
  // Still too many (a flood of distinct names or addresses): forget the stalest.
  auto drop_oldest = [](auto& map) {
    auto oldest = map.begin();
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->second.last_failure_ms < oldest->second.last_failure_ms) oldest = it;
    }
    map.erase(oldest);
  };
  while (by_address_.size() > kMaxRecords) drop_oldest(by_address_);
  while (by_user_.size() > kMaxRecords) drop_oldest(by_user_);
}

void LoginThrottle::RecordFailure(const std::string& user, const std::string& address) {
  const int64_t now = clock_->NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  AddressRecord& a = by_address_[address];
  if (a.failures > 0 && now - a.last_failure_ms > window_ms_ + Delay(a.failures, kMaxAddressDelayMs)) a = {};
  a.failures++;
  a.last_failure_ms = now;
  AccountRecord& u = by_user_[user];
  if (u.failures > 0 && now - u.last_failure_ms > window_ms_ + Delay(u.failures, kMaxAccountDelayMs)) u = {};
  u.failures++;
  u.last_failure_ms = now;
  AccountRecord::From& from = u.failed_from[address];
  from.failures++;
  from.last_failure_ms = now;
  if (u.failed_from.size() > kMaxAddressesPerAccount) {
    auto oldest = u.failed_from.begin();
    for (auto it = u.failed_from.begin(); it != u.failed_from.end(); ++it) {
      if (it->second.last_failure_ms < oldest->second.last_failure_ms) oldest = it;
    }
    u.failed_from.erase(oldest);
  }
  if (by_address_.size() > kMaxRecords || by_user_.size() > kMaxRecords) Prune(now);
}

void LoginThrottle::RecordSuccess(const std::string& user, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  by_address_.erase(address);
  if (auto it = by_user_.find(user); it != by_user_.end()) {
    AccountRecord& u = it->second;
    if (auto from = u.failed_from.find(address); from != u.failed_from.end()) {
      u.failures = std::max(0, u.failures - from->second.failures);
      u.failed_from.erase(from);
    }
  }
}

bool Allows(Role role, Permission p) {
  using P = Permission;
  switch (role) {
    case Role::kAdmin:
      return p == P::kManageUsers;
    case Role::kSupervisor:
      return p == P::kReadDeployments || p == P::kManageDeployments || p == P::kViewWatchlist ||
             p == P::kViewFaceImages || p == P::kReadAlerts || p == P::kReadReports ||
             p == P::kCorrectDecisions || p == P::kReadGalleries || p == P::kManageGalleries ||
             p == P::kReadSearches || p == P::kReviewFootage;
    case Role::kOperator:
      return p == P::kReadDeployments || p == P::kViewWatchlist || p == P::kViewFaceImages ||
             p == P::kReadAlerts || p == P::kDecideAlerts || p == P::kCorrectDecisions;
    case Role::kAuditor:
      return p == P::kReadDeployments || p == P::kReadAlerts || p == P::kReadReports ||
             p == P::kReadAudit || p == P::kReadGalleries || p == P::kReadSearches;
    case Role::kInvestigator:
      return p == P::kReadGalleries || p == P::kSearchGalleries || p == P::kReviewCandidates ||
             p == P::kReadSearches;
  }
  return false;
}

const char* PermissionName(Permission p) {
  switch (p) {
    case Permission::kManageUsers: return "manage users";
    case Permission::kReadDeployments: return "read deployments";
    case Permission::kManageDeployments: return "manage deployments";
    case Permission::kViewWatchlist: return "view watchlists";
    case Permission::kViewFaceImages: return "view face images";
    case Permission::kReadAlerts: return "read alerts";
    case Permission::kDecideAlerts: return "decide alerts";
    case Permission::kCorrectDecisions: return "correct decisions";
    case Permission::kReadReports: return "read reports";
    case Permission::kReadAudit: return "read the audit log";
    case Permission::kReadGalleries: return "read galleries";
    case Permission::kManageGalleries: return "manage galleries";
    case Permission::kSearchGalleries: return "search galleries";
    case Permission::kReviewCandidates: return "review candidates";
    case Permission::kReadSearches: return "read searches";
    case Permission::kReviewFootage: return "review and export recorded footage";
  }
  return "?";
}

}  // namespace lfr::server
