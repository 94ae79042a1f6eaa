// Login throttling that no stranger can turn into a lock-out, and logins that cost the same
// for unknown and existing users: unit tests of LoginThrottle on a manual clock, and the
// same over real HTTP from two loopback client addresses (127.0.0.1 and 127.0.0.2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/auth.h"
#include "testing/api_fixture.h"

namespace lfr::server {
namespace {

using ::testing::HasSubstr;
using lfr::testing::kApiPassword;
using lfr::testing::kT0;
using json = nlohmann::json;

constexpr int64_t kMinute = 60 * 1000;

TEST(LoginThrottleTest, AnAddressWaitsAfterFiveFailuresDoublingEachTime) {
  ManualClock clock(kT0);
  LoginThrottle t(&clock);
  for (int i = 0; i < 4; ++i) {
    t.RecordFailure("user" + std::to_string(i), "203.0.113.7");  // any user names
    EXPECT_EQ(t.RetryAfterMs("someone", "203.0.113.7"), 0) << i;
  }
  t.RecordFailure("user4", "203.0.113.7");
  EXPECT_EQ(t.RetryAfterMs("someone", "203.0.113.7"), kMinute);
  EXPECT_EQ(t.RetryAfterMs("someone", "198.51.100.1"), 0) << "other addresses are not slowed";
  clock.Advance(kMinute);
  EXPECT_EQ(t.RetryAfterMs("someone", "203.0.113.7"), 0);
  t.RecordFailure("user5", "203.0.113.7");
  EXPECT_EQ(t.RetryAfterMs("someone", "203.0.113.7"), 2 * kMinute) << "doubles";
  for (int i = 0; i < 20; ++i) t.RecordFailure("user", "203.0.113.7");
  EXPECT_EQ(t.RetryAfterMs("someone", "203.0.113.7"), LoginThrottle::kMaxAddressDelayMs) << "capped";
}

TEST(LoginThrottleTest, AStrangersFailuresNeverSlowTheAccountFromACleanAddress) {
  ManualClock clock(kT0);
  LoginThrottle t(&clock);
  // 20 wrong passwords for olly from one address, waiting out every delay in between.
  for (int i = 0; i < 20; ++i) {
    clock.Advance(t.RetryAfterMs("olly", "203.0.113.7"));
    t.RecordFailure("olly", "203.0.113.7");
  }
  EXPECT_GT(t.RetryAfterMs("olly", "203.0.113.7"), 0);
  EXPECT_EQ(t.RetryAfterMs("olly", "10.1.2.3"), 0) << "olly at her own terminal is never slowed";
  // Guessing spread over many addresses: each address that failed on the account waits.
  for (int i = 0; i < 10; ++i) t.RecordFailure("sue", "198.51.100." + std::to_string(i));
  EXPECT_EQ(t.RetryAfterMs("sue", "198.51.100.3"), LoginThrottle::kMaxAccountDelayMs);
  EXPECT_EQ(t.RetryAfterMs("bob", "198.51.100.3"), 0) << "only for that account";
  EXPECT_EQ(t.RetryAfterMs("sue", "10.1.2.3"), 0) << "a clean address is not slowed";
}

TEST(LoginThrottleTest, SuccessClearsTheAddressAndRecordsExpire) {
  ManualClock clock(kT0);
  LoginThrottle t(&clock, 5, 15 * kMinute, kMinute);
  for (int i = 0; i < 4; ++i) t.RecordFailure("alice", "a");
  clock.Advance(16 * kMinute);
  t.RecordFailure("alice", "a");
  EXPECT_EQ(t.RetryAfterMs("alice", "a"), 0) << "old failures are forgotten";
  for (int i = 0; i < 3; ++i) t.RecordFailure("alice", "a");
  t.RecordSuccess("alice", "a");
  t.RecordFailure("alice", "a");
  EXPECT_EQ(t.RetryAfterMs("alice", "a"), 0);
}

TEST(LoginThrottleTest, MemoryIsBoundedUnderAFloodOfNames) {
  ManualClock clock(kT0);
  LoginThrottle t(&clock);
  for (size_t i = 0; i < LoginThrottle::kMaxRecords + 50; ++i) {
    clock.Advance(1);
    t.RecordFailure("name" + std::to_string(i), "addr" + std::to_string(i));
  }
  // The newest records survive (the stalest were forgotten): the last address still counts.
  for (int i = 0; i < 4; ++i) t.RecordFailure("x", "addr" + std::to_string(LoginThrottle::kMaxRecords + 49));
  EXPECT_GT(t.RetryAfterMs("x", "addr" + std::to_string(LoginThrottle::kMaxRecords + 49)), 0);
}

class LoginOverHttpTest : public lfr::testing::ApiFixture {
 protected:
  int LoginFrom(const std::string& ip, const std::string& user, const std::string& password,
                std::string* body = nullptr) {
    return lfr::testing::RawPostFrom(ip, server_->port(), "/api/login",
                                     json({{"username", user}, {"password", password}}).dump(), body);
  }
};

TEST_F(LoginOverHttpTest, AStrangersTwentyWrongPasswordsDoNotKeepTheUserOutFromAnotherAddress) {
  int throttled = 0;
  for (int i = 0; i < 20; ++i) {
    const int status = LoginFrom("127.0.0.2", "olly", "guess number " + std::to_string(i));
    ASSERT_TRUE(status == 401 || status == 429) << status;
    throttled += status == 429;
  }
  EXPECT_EQ(throttled, 15) << "the stranger's address is slowed after 5 failures";
  std::string body;
  EXPECT_EQ(LoginFrom("127.0.0.2", "olly", kApiPassword, &body), 429) << "the stranger's address waits";
  EXPECT_EQ(LoginFrom("127.0.0.1", "olly", kApiPassword, &body), 200) << body;
  EXPECT_THAT(body, HasSubstr("csrf_token"));
  AuditQuery q;
  q.action = "login.throttled";
  EXPECT_EQ(store_->ListAudit(q)->size(), 16u);
}

TEST_F(LoginOverHttpTest, UnknownAndExistingUsersBothCostOneArgon2Verification) {
  DummyPasswordHash();
  int64_t before = PasswordVerifications();
  EXPECT_EQ(LoginFrom("127.0.0.3", "nobody-by-this-name", "some password"), 401);
  EXPECT_EQ(PasswordVerifications() - before, 1) << "an unknown name is checked against a dummy hash";
  before = PasswordVerifications();
  EXPECT_EQ(LoginFrom("127.0.0.3", "sue", "not her password"), 401);
  EXPECT_EQ(PasswordVerifications() - before, 1);
  User olly = *store_->GetUser("olly");
  olly.disabled = true;
  ASSERT_TRUE(store_->UpdateUser(olly, lfr::testing::kCli).ok());
  before = PasswordVerifications();
  EXPECT_EQ(LoginFrom("127.0.0.3", "olly", kApiPassword), 401);
  EXPECT_EQ(PasswordVerifications() - before, 1) << "a disabled account costs the same";
  // A throttled attempt costs nothing.
  for (int i = 0; i < 2; ++i) LoginFrom("127.0.0.3", "sue", "wrong again");
  before = PasswordVerifications();
  EXPECT_EQ(LoginFrom("127.0.0.3", "sue", kApiPassword), 429);
  EXPECT_EQ(PasswordVerifications() - before, 0);
}

}  // namespace
}  // namespace lfr::server
