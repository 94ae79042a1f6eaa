#include "util/escape.h"

#include <gtest/gtest.h>

namespace lfr {
namespace {

TEST(EscapeTest, EscapesMarkupAndQuotesKeepsUtf8) {
  EXPECT_EQ(EscapeHtml("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
  EXPECT_EQ(EscapeHtml("Caerdydd \xE2\x80\x93 Heol y Frenhines"), "Caerdydd \xE2\x80\x93 Heol y Frenhines");
  EXPECT_EQ(EscapeHtml(""), "");
}

}  // namespace
}  // namespace lfr
