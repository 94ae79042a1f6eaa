// Passwords, sessions, CSRF, throttling and the role matrix.
#include "server/auth.h"

#include <set>

#include <gtest/gtest.h>

namespace lfr::server {
namespace {

constexpr int64_t kT0 = 1'790'000'000'000;  // 2026-09-21

TEST(PasswordTest, PolicyNeedsTwelveCharacters) {
  EXPECT_EQ(CheckPasswordPolicy("short pass").code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(CheckPasswordPolicy("correct horse battery").ok());
  EXPECT_EQ(CheckPasswordPolicy(std::string(1025, 'x')).code(), Status::Code::kInvalidArgument);
}

TEST(PasswordTest, Argon2idHashVerifiesOnlyTheRightPassword) {
  auto h = HashPassword("correct horse battery");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_EQ(h->find("correct"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*h, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*h, "correct horse batterY"));
  EXPECT_FALSE(VerifyPassword(*h, ""));
  EXPECT_FALSE(VerifyPassword("not a hash", "correct horse battery"));
  EXPECT_FALSE(VerifyPassword("", "correct horse battery"));
  // Salted: the same password hashes differently each time.
  auto h2 = HashPassword("correct horse battery");
  ASSERT_TRUE(h2.ok());
  EXPECT_NE(*h, *h2);
}

TEST(PasswordTest, GeneratedPasswordsPassThePolicyAndDiffer) {
  const std::string a = GeneratePassword(), b = GeneratePassword();
  EXPECT_EQ(a.size(), 23u) << a;
  EXPECT_TRUE(CheckPasswordPolicy(a).ok());
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_of("01lio"), std::string::npos) << "no ambiguous characters: " << a;
}

TEST(SessionTest, TokensAreRandomAndLookupFindsTheUser) {
  ManualClock clock(kT0);
  SessionManager sm(&clock);
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    Session s = sm.Create("alice", Role::kOperator);
    EXPECT_EQ(s.token.size(), 64u);
    EXPECT_EQ(s.csrf.size(), 64u);
    EXPECT_NE(s.token, s.csrf);
    EXPECT_TRUE(seen.insert(s.token).second);
  }
  Session s = sm.Create("bob", Role::kAuditor);
  auto found = sm.Lookup(s.token);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user, "bob");
  EXPECT_EQ(found->role, Role::kAuditor);
  EXPECT_FALSE(sm.Lookup("").has_value());
  EXPECT_FALSE(sm.Lookup(std::string(64, '0')).has_value());
}

TEST(SessionTest, IdleAndAbsoluteExpiry) {
  ManualClock clock(kT0);
  SessionManager sm(&clock, /*idle_ms=*/30 * 60 * 1000, /*absolute_ms=*/2 * 3600 * 1000);
  Session s = sm.Create("alice", Role::kOperator);
  clock.Advance(29 * 60 * 1000);
  EXPECT_TRUE(sm.Lookup(s.token).has_value());  // refreshes the idle timer
  clock.Advance(29 * 60 * 1000);
  EXPECT_TRUE(sm.Lookup(s.token).has_value());
  clock.Advance(31 * 60 * 1000);
  EXPECT_FALSE(sm.Lookup(s.token).has_value()) << "idle for 31 min";

  Session t = sm.Create("alice", Role::kOperator);
  for (int i = 0; i < 4; ++i) {
    clock.Advance(25 * 60 * 1000);
    EXPECT_TRUE(sm.Lookup(t.token).has_value()) << i;
  }
  clock.Advance(25 * 60 * 1000);  // 125 min after login, never idle for long
  EXPECT_FALSE(sm.Lookup(t.token).has_value()) << "absolute limit";
}

TEST(SessionTest, RevokeAndRevokeUser) {
  ManualClock clock(kT0);
  SessionManager sm(&clock);
  Session a1 = sm.Create("alice", Role::kOperator);
  Session a2 = sm.Create("alice", Role::kOperator);
  Session b = sm.Create("bob", Role::kOperator);
  sm.Revoke(a1.token);
  EXPECT_FALSE(sm.Lookup(a1.token).has_value());
  EXPECT_TRUE(sm.Lookup(a2.token).has_value());
  sm.RevokeUser("alice");
  EXPECT_FALSE(sm.Lookup(a2.token).has_value());
  EXPECT_TRUE(sm.Lookup(b.token).has_value());
  EXPECT_EQ(sm.live_sessions(), 1u);
}

TEST(CsrfTest, OnlyTheSessionsOwnTokenMatches) {
  ManualClock clock(kT0);
  SessionManager sm(&clock);
  Session a = sm.Create("alice", Role::kOperator);
  Session b = sm.Create("bob", Role::kOperator);
  EXPECT_TRUE(CsrfMatches(a, a.csrf));
  EXPECT_FALSE(CsrfMatches(a, b.csrf));
  EXPECT_FALSE(CsrfMatches(a, ""));
  EXPECT_FALSE(CsrfMatches(a, a.csrf.substr(0, 63)));
  EXPECT_FALSE(CsrfMatches(a, a.token));
}

// LoginThrottle: login_throttle_test.cc.

TEST(RoleMatrixTest, EachRoleHasExactlyItsPermissions) {
  using P = Permission;
  const P all[] = {P::kManageUsers, P::kReadDeployments, P::kManageDeployments, P::kViewWatchlist,
                   P::kViewFaceImages, P::kReadAlerts, P::kDecideAlerts, P::kCorrectDecisions,
                   P::kReadReports, P::kReadAudit, P::kReadGalleries, P::kManageGalleries,
                   P::kSearchGalleries, P::kReviewCandidates, P::kReadSearches, P::kReviewFootage};
  const std::map<Role, std::set<P>> expected = {
      {Role::kAdmin, {P::kManageUsers}},
      {Role::kSupervisor, {P::kReadDeployments, P::kManageDeployments, P::kViewWatchlist,
                           P::kViewFaceImages, P::kReadAlerts, P::kReadReports,
                           P::kCorrectDecisions, P::kReadGalleries, P::kManageGalleries,
                           P::kReadSearches, P::kReviewFootage}},
      {Role::kOperator, {P::kReadDeployments, P::kViewWatchlist, P::kViewFaceImages,
                         P::kReadAlerts, P::kDecideAlerts, P::kCorrectDecisions}},
      {Role::kAuditor, {P::kReadDeployments, P::kReadAlerts, P::kReadReports, P::kReadAudit,
                        P::kReadGalleries, P::kReadSearches}},
      {Role::kInvestigator, {P::kReadGalleries, P::kSearchGalleries, P::kReviewCandidates, P::kReadSearches}},
  };
  for (const auto& [role, allowed] : expected) {
    for (P p : all) {
      EXPECT_EQ(Allows(role, p), allowed.count(p) == 1)
          << static_cast<int>(role) << " / " << PermissionName(p);
    }
  }
}

}  // namespace
}  // namespace lfr::server
