#include "util/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lfr {
namespace {
using ::testing::HasSubstr;

std::string Problem(std::string_view text, size_t max = 100, TextKind kind = TextKind::kLine) {
  Status s = CheckText(text, "field 'f'", max, kind);
  return s.ok() ? "" : s.message();
}

TEST(CheckText, AcceptsOrdinaryTextInAnyScript) {
  EXPECT_EQ(Problem("Jane O'Neill-Smith"), "");
  EXPECT_EQ(Problem("Zoë Łukasiewicz, Ngô Bảo Châu"), "");
  EXPECT_EQ(Problem("محمد بن سلمان"), "") << "right-to-left letters are fine; overrides are not";
  EXPECT_EQ(Problem("שלום and 名前 and 🙂"), "");
  EXPECT_EQ(Problem(""), "");
}

TEST(CheckText, LengthIsCountedInCharactersNotBytes) {
  EXPECT_EQ(Problem(std::string(200, 'a'), 200), "");
  EXPECT_EQ(Problem(std::string(201, 'a'), 200), "field 'f': longer than 200 characters");
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "é";  // 400 bytes, 200 characters
  EXPECT_EQ(Problem(accents, 200), "");
  EXPECT_EQ(Problem(std::string(200000, 'x'), 200), "field 'f': longer than 200 characters");
}

TEST(CheckText, RefusesNulAndOtherControlCharacters) {
  EXPECT_EQ(Problem(std::string("ab\0cd", 5)),
            "field 'f': contains a control character (U+0000) at character 3; it must be one line");
  EXPECT_THAT(Problem("ring\a"), HasSubstr("(U+0007)"));
  EXPECT_THAT(Problem("esc\x1b[31m"), HasSubstr("(U+001B)"));
  EXPECT_THAT(Problem("del\x7f"), HasSubstr("(U+007F)"));
  EXPECT_THAT(Problem("c1 \xc2\x9b"), HasSubstr("(U+009B)"));  // CSI, a C1 control
  EXPECT_THAT(Problem("two\nlines"), HasSubstr("(U+000A)"));
  EXPECT_THAT(Problem("tab\there"), HasSubstr("(U+0009)"));
}

TEST(CheckText, MultiLineFieldsAllowTabAndLineBreaksOnly) {
  EXPECT_EQ(Problem("line one\r\nline two\n\tindented", 100, TextKind::kMultiLine), "");
  EXPECT_EQ(Problem(std::string("a\0b", 3), 100, TextKind::kMultiLine),
            "field 'f': contains a control character (U+0000) at character 2");
  EXPECT_THAT(Problem("a\x0b", 100, TextKind::kMultiLine), HasSubstr("(U+000B)"));
}

TEST(CheckText, RefusesBidiOverridesAndIsolates) {
  for (const char* c : {"\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068",
                        "\u2069"}) {
    const std::string text = std::string("abc") + c + "def";
    EXPECT_THAT(Problem(text), HasSubstr("bidirectional override or isolate character")) << text;
    EXPECT_THAT(Problem(text, 100, TextKind::kMultiLine), HasSubstr("at character 4")) << text;
  }
  // Marks that only hint direction stay allowed (they are part of writing some languages).
  EXPECT_EQ(Problem("a\u200Fb\u200Ec\u061C"), "");
}

TEST(CheckText, RefusesInvalidUtf8NamingTheByte) {
  EXPECT_EQ(Problem("ab\xff"), "field 'f': not valid UTF-8 (at byte 3)");
  EXPECT_THAT(Problem("\xc3"), HasSubstr("not valid UTF-8"));             // cut sequence
  EXPECT_THAT(Problem("\xc0\xaf"), HasSubstr("not valid UTF-8"));         // overlong '/'
  EXPECT_THAT(Problem("\xed\xa0\x80"), HasSubstr("not valid UTF-8"));     // a surrogate
  EXPECT_THAT(Problem("\xf4\x90\x80\x80"), HasSubstr("not valid UTF-8")); // above U+10FFFF
  EXPECT_TRUE(IsValidUtf8("Zoë 🙂"));
  EXPECT_FALSE(IsValidUtf8("Zo\xeb"));
}

}  // namespace
}  // namespace lfr
