// AlertPolicyOptions::every_match: forensic search (video_search/) gets every match of a
// track, not one alert per track with a cooldown; live alerting is unchanged.
#include <gtest/gtest.h>

#include "alert/alert.h"

namespace lfr {
namespace {

TEST(AlertPolicyEveryMatch, PassesEveryMatchOnWithoutCooldownOrSuppression) {
  AlertPolicyOptions o;
  o.every_match = true;
  AlertPolicy policy(o);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(policy.ShouldRaise("cam", 1, "A", 1.0 + i));
  EXPECT_TRUE(policy.ShouldRaise("cam", 2, "A", 2.5));  // another track within the cooldown
  EXPECT_EQ(policy.suppressed(), 0);

  AlertPolicy live;  // the default: once per track and subject, then the cooldown
  EXPECT_TRUE(live.ShouldRaise("cam", 1, "A", 1.0));
  EXPECT_FALSE(live.ShouldRaise("cam", 1, "A", 2.0));
  EXPECT_FALSE(live.ShouldRaise("cam", 2, "A", 2.5));
  EXPECT_EQ(live.suppressed(), 1);
}

}  // namespace
}  // namespace lfr
