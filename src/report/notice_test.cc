// The advance notice: what it must say, in text and HTML, and what it must not contain.
#include "report/notice.h"

#include <sstream>

#include <gtest/gtest.h>

#include "report/test_samples.h"

namespace lfr::report {
namespace {

using testing::SampleInput;
using testing::Utc;

// The notice text with line breaks folded to spaces, so phrases can be found across wraps.
std::string Unwrapped(std::string text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (!(c == ' ' && !out.empty() && out.back() == ' ')) {
      out += c;
    }
  }
  return out;
}

TEST(ReportNoticeTest, TextSaysWhereWhenWhyAndWhatHappensToData) {
  const ReportInput in = SampleInput();
  const std::string text = RenderNoticeText(in.deployment, in.cameras);
  const std::string flat = Unwrapped(text);
  EXPECT_EQ(text.rfind("Live Facial Recognition: advance notice\n", 0), 0u);
  EXPECT_EQ(text.back(), '\n');
  for (const char* expected : {
           "Westgate Street, Principality Stadium gates, Cardiff city centre",
           "on Sat 5 Dec 2026, 18:00 to 23:00 GMT",
           "gate-a: Westgate Street, facing north",
           "gate-b: Stadium gate 3",
           "Locate people wanted for violent offences during the match.",
           "Common law policing powers; SWP LFR policy v3",
           "Superintendent A. Morgan",
           "deleted immediately and automatically",
           "deleted automatically within 24 hours",
           "Video footage is recorded by these cameras: gate-b. It is kept for at most 31 days",
           "lfr@south-wales.police.example, 101",
           "Cardiff-2026-12-05-Principality",
       }) {
    EXPECT_NE(flat.find(expected), std::string::npos) << expected;
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 78u) << line;
  testing::ExpectNoSecrets(text);
}

TEST(ReportNoticeTest, SummerTimeMultiDayAndNoFootage) {
  ReportInput in = SampleInput();
  in.deployment.spec.planned_start_ms = Utc(2026, 7, 4, 20, 0);  // 21:00 BST
  in.deployment.spec.planned_end_ms = Utc(2026, 7, 5, 1, 0);     // 02:00 BST next day
  for (auto& c : in.cameras) c.record_footage = false;
  const std::string flat = Unwrapped(RenderNoticeText(in.deployment, in.cameras));
  EXPECT_NE(flat.find("from Sat 4 Jul 2026, 21:00 BST to Sun 5 Jul 2026, 02:00 BST"), std::string::npos) << flat;
  EXPECT_NE(flat.find("No video footage is recorded."), std::string::npos);
  EXPECT_EQ(flat.find("31 days"), std::string::npos);
}

TEST(ReportNoticeTest, MissingFieldsAreMarkedAndListed) {
  ReportInput in = SampleInput();
  EXPECT_TRUE(NoticeProblems(in.deployment, in.cameras).empty());
  in.deployment.spec.contact = "";
  in.deployment.spec.legal_basis = "  ";
  in.deployment.spec.planned_end_ms = in.deployment.spec.planned_start_ms;
  const std::string flat = Unwrapped(RenderNoticeText(in.deployment, {}));
  EXPECT_NE(flat.find("To ask about this deployment: [not set]"), std::string::npos);
  EXPECT_NE(flat.find("Camera positions: [not set]"), std::string::npos);
  const auto problems = NoticeProblems(in.deployment, {});
  const std::vector<std::string> expected = {"no legal basis", "no contact for questions",
                                             "planned end is not after planned start", "no cameras"};
  EXPECT_EQ(problems, expected);
  in.deployment.spec.planned_start_ms = 0;
  EXPECT_EQ(NoticeProblems(in.deployment, in.cameras)[2], "planned start or end not set");
  EXPECT_NE(Unwrapped(RenderNoticeText(in.deployment, in.cameras)).find("from [not set] to"), std::string::npos);
}

TEST(ReportNoticeTest, HtmlIsACompletePageWithEveryValueEscaped) {
  ReportInput in = SampleInput();
  in.deployment.spec.purpose = "<script>alert('x')</script> & more";
  in.cameras[0].position = "\"gate\" <b>3</b>";
  const std::string html = RenderNoticeHtml(in.deployment, in.cameras);
  testing::ExpectSelfContainedPage(html);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"), std::string::npos);
  EXPECT_NE(html.find("gate-a: &quot;gate&quot; &lt;b&gt;3&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("<h2>What happens to your data</h2>"), std::string::npos);
  EXPECT_NE(html.find("deleted immediately and automatically"), std::string::npos);
  testing::ExpectNoSecrets(html);
}

}  // namespace
}  // namespace lfr::report
