// The equitability report on hand-made runs whose answers are known: which groups differ
// where, the lowest equitable threshold, the operating point and its ratio, the per-group
// DET, the HTML's escaping and the files written.
#include "eval/equitability.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "testing/shared.h"

namespace lfr::eval {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// n scores evenly spread over [lo, hi).
std::vector<float> Spread(int n, float lo, float hi) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(lo + (hi - lo) * (static_cast<float>(i) + 0.5f) / static_cast<float>(n));
  return v;
}

void Add(std::vector<float>* scores, std::vector<std::string>* labels, const std::vector<float>& v,
         const std::string& label) {
  scores->insert(scores->end(), v.begin(), v.end());
  labels->insert(labels->end(), v.size(), label);
}

// Column "sex": the same mated scores for both groups; non-mated: group B has half its
// searches at 0.50-0.58, where group A has none, so B's FPIR is higher below 0.60.
SizeResult TwoGroups() {
  SizeResult r;
  r.watchlist_size = 1000;
  auto& ml = r.mated_labels["sex"];
  auto& nl = r.nonmated_labels["sex"];
  Add(&r.mated_scores, &ml, Spread(200, 0.3f, 0.9f), "A");
  Add(&r.mated_scores, &ml, Spread(200, 0.3f, 0.9f), "B");
  Add(&r.nonmated_top, &nl, Spread(1000, 0.1f, 0.45f), "A");
  Add(&r.nonmated_top, &nl, Spread(500, 0.1f, 0.45f), "B");
  Add(&r.nonmated_top, &nl, Spread(500, 0.5f, 0.58f), "B");
  r.rank1 = {400, 400};
  return r;
}

EquitabilityOptions Grid() {
  EquitabilityOptions o;
  o.thresholds = {0.30f, 0.35f, 0.40f, 0.45f, 0.50f, 0.55f, 0.60f, 0.65f, 0.70f};
  o.target_fpir = 1e-2;
  return o;
}

TEST(DifferSignificantly, DisjointIntervalsOnly) {
  EXPECT_TRUE(DifferSignificantly({0, 1000}, {100, 1000}));
  EXPECT_FALSE(DifferSignificantly({10, 1000}, {12, 1000}));
  EXPECT_FALSE(DifferSignificantly({0, 5}, {5, 5}));           // [0, .52] and [.48, 1] overlap
  EXPECT_FALSE(DifferSignificantly({0, 0}, {5, 10}));          // no searches: nothing to compare
  EXPECT_FALSE(DifferSignificantly({0, 2}, {2, 2}));           // [0, .84] and [.16, 1] overlap
}

TEST(Equitability, LowestThresholdFromWhichNoGroupDiffers) {
  auto r = BuildEquitabilityReport(TwoGroups(), Grid());
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->rows.size(), 9u);
  // 0.30-0.55: B's FPIR is above A's; from 0.60 neither has a false positive.
  for (const auto& row : r->rows) {
    EXPECT_EQ(row.fpir_differs(), row.threshold < 0.58f) << row.threshold;
    EXPECT_FALSE(row.fnir_differs()) << row.threshold;  // identical mated scores
  }
  const auto& low = r->rows.front();
  ASSERT_FALSE(low.differences.empty());
  EXPECT_EQ(low.differences[0].higher, "B");
  EXPECT_EQ(low.differences[0].lower, "A");
  EXPECT_EQ(low.differences[0].rate, "fpir");
  ASSERT_TRUE(r->lowest_equitable_fpir.has_value());
  EXPECT_FLOAT_EQ(*r->lowest_equitable_fpir, 0.60f);
  ASSERT_TRUE(r->lowest_equitable_fnir.has_value());
  EXPECT_FLOAT_EQ(*r->lowest_equitable_fnir, 0.30f);
  ASSERT_TRUE(r->lowest_equitable.has_value());
  EXPECT_FLOAT_EQ(*r->lowest_equitable, 0.60f);
}

TEST(Equitability, NoneWhenTheHighestThresholdStillDiffers) {
  EquitabilityOptions o = Grid();
  o.thresholds = {0.30f, 0.40f, 0.50f};
  auto r = BuildEquitabilityReport(TwoGroups(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->lowest_equitable.has_value());
  EXPECT_FALSE(r->lowest_equitable_fpir.has_value());
  EXPECT_THAT(RenderEquitabilityHtml(*r, {}), HasSubstr("none in the range"));
}

TEST(Equitability, OperatingPointAndItsRatio) {
  // 2,000 non-mated searches at a target of 1e-2 allow 20 false positives: all of them B's
  // highest scores, so A has none and the ratio is undefined.
  auto r = BuildEquitabilityReport(TwoGroups(), Grid());
  ASSERT_TRUE(r.ok());
  const auto& op = r->operating;
  ASSERT_TRUE(op.choice.resolvable);
  EXPECT_EQ(op.choice.achieved.trials, 2000);
  EXPECT_LE(op.choice.achieved.events, 20);
  EXPECT_GT(op.choice.threshold, 0.57f);
  EXPECT_EQ(r->fpir_max_min, 0.0);
  EXPECT_TRUE(r->fpir_ratio_undefined_somewhere);
  EXPECT_THAT(RenderEquitabilityHtml(*r, {}), HasSubstr("<b>undefined</b>"));

  // Both groups with false positives at the same place: the ratio is defined, 2 here.
  SizeResult two;
  two.watchlist_size = 50;
  auto& ml = two.mated_labels["sex"];
  auto& nl = two.nonmated_labels["sex"];
  Add(&two.mated_scores, &ml, Spread(100, 0.3f, 0.9f), "F");
  Add(&two.mated_scores, &ml, Spread(100, 0.3f, 0.9f), "M");
  Add(&two.nonmated_top, &nl, Spread(990, 0.0f, 0.4f), "F");
  Add(&two.nonmated_top, &nl, std::vector<float>(10, 0.8f), "F");
  Add(&two.nonmated_top, &nl, Spread(995, 0.0f, 0.4f), "M");
  Add(&two.nonmated_top, &nl, std::vector<float>(5, 0.8f), "M");
  EquitabilityOptions o = Grid();
  o.target_fpir = 0.00755;  // 15 allowed of 2,000: the 15 at 0.8 (10 F, 5 M)
  auto q = BuildEquitabilityReport(two, o);
  ASSERT_TRUE(q.ok());
  EXPECT_NEAR(q->fpir_max_min, 2.0, 1e-9);
  EXPECT_EQ(q->fpir_max_min_column, "sex");
  EXPECT_FALSE(q->fpir_ratio_undefined_somewhere);
  const std::string html = RenderEquitabilityHtml(*q, {});
  EXPECT_THAT(html, HasSubstr("<b>2.00</b> (by sex)"));
  EXPECT_THAT(html, HasSubstr("aim-met"));
}

TEST(Equitability, SmallAndUnknownGroupsAreShownButNotCompared) {
  SizeResult r = TwoGroups();
  auto& nl = r.nonmated_labels["sex"];
  // Five searches all at 0.99 (rate 1 at every threshold) and 100 "unknown" at 0.99.
  Add(&r.nonmated_top, &nl, std::vector<float>(5, 0.99f), "C");
  Add(&r.nonmated_top, &nl, std::vector<float>(100, 0.99f), "unknown");
  auto q = BuildEquitabilityReport(r, Grid());
  ASSERT_TRUE(q.ok());
  for (const auto& row : q->rows) {
    for (const auto& d : row.differences) {
      EXPECT_NE(d.higher, "C");
      EXPECT_NE(d.higher, "unknown");
    }
  }
  EXPECT_FLOAT_EQ(*q->lowest_equitable_fpir, 0.60f);
  // min_searches 1: C now differs from A at every threshold.
  EquitabilityOptions o = Grid();
  o.min_searches = 1;
  auto all = BuildEquitabilityReport(r, o);
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->lowest_equitable_fpir.has_value());
}

TEST(Equitability, DetPerGroupOfColumnsLabellingBothKindsOfSearch) {
  SizeResult r = TwoGroups();
  // "ethnicity" labels only non-mated searches: no DET for it.
  r.nonmated_labels["ethnicity"] = std::vector<std::string>(r.nonmated_top.size(), "X");
  // A non-mated-only group in the sex column is named as left out.
  Add(&r.nonmated_top, &r.nonmated_labels["sex"], {0.2f}, "Z");
  r.nonmated_labels["ethnicity"].push_back("X");
  auto q = BuildEquitabilityReport(r, Grid());
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->dets.size(), 1u);
  EXPECT_EQ(q->dets[0].column, "sex");
  ASSERT_EQ(q->dets[0].series.size(), 2u);
  EXPECT_THAT(q->dets[0].series[0].label, HasSubstr("A (200 mated, 1000 non-mated)"));
  EXPECT_FALSE(q->dets[0].series[1].points.empty());
  EXPECT_THAT(q->dets[0].left_out, ::testing::ElementsAre("Z: no mated searches"));
  // The ethnicity column still gets its FPIR table.
  EXPECT_THAT(RenderEquitabilityHtml(*q, {}), HasSubstr("FPIR by ethnicity"));
}

TEST(Equitability, RefusesARunWithoutBothKindsOfSearchAndBadGrids) {
  SizeResult none = TwoGroups();
  none.mated_scores.clear();
  auto a = BuildEquitabilityReport(none, Grid());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(a.status().message(), HasSubstr("0 mated"));
  EquitabilityOptions o = Grid();
  o.thresholds = {0.5f, 0.4f};
  auto b = BuildEquitabilityReport(TwoGroups(), o);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.status().message(), HasSubstr("ascending"));
  o = Grid();
  o.target_fpir = 0;
  EXPECT_FALSE(BuildEquitabilityReport(TwoGroups(), o).ok());
}

TEST(Equitability, HtmlEscapesWhatItIsGiven) {
  SizeResult r = TwoGroups();
  for (auto& l : r.nonmated_labels["sex"]) {
    if (l == "B") l = "<script>alert(1)</script>";
  }
  for (auto& l : r.mated_labels["sex"]) {
    if (l == "B") l = "<script>alert(1)</script>";
  }
  auto q = BuildEquitabilityReport(r, Grid());
  ASSERT_TRUE(q.ok());
  ReportDescription d;
  d.title = "Force & <b>data</b>";
  d.recogniser = "edgeface-xs-q";
  d.recogniser_licence = "CC-BY-NC-SA-4.0: not for operational use";
  d.notes = {"note <i>"};
  const std::string html = RenderEquitabilityHtml(*q, d);
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("<title>Force &amp; &lt;b&gt;data&lt;/b&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("note &lt;i&gt;"));
  EXPECT_THAT(html, HasSubstr("not for operational use"));
  EXPECT_THAT(html, HasSubstr("<svg"));                  // the DET inline
  EXPECT_THAT(html, Not(HasSubstr("<?xml")));
  EXPECT_THAT(html, HasSubstr("@media print"));
  EXPECT_THAT(html, HasSubstr("Lowest threshold from which no group differs significantly: <b>0.60</b>"));
}

TEST(Equitability, WritesThePageTheJsonAndTheDetFiles) {
  auto q = BuildEquitabilityReport(TwoGroups(), Grid());
  ASSERT_TRUE(q.ok());
  const fs::path dir = lfr::testing::TempDir("equitability") / "report";
  ASSERT_TRUE(WriteEquitabilityReport(dir, *q, {}).ok());
  EXPECT_GT(fs::file_size(dir / "index.html"), 5000u);
  std::ifstream in(dir / "report.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["watchlist_size"], 1000);
  EXPECT_FLOAT_EQ(j["lowest_equitable_threshold_fpir"].get<float>(), 0.60f);
  EXPECT_EQ(j["thresholds"].size(), 9u);
  const cv::Mat png = cv::imread((dir / "det-sex.png").string());
  EXPECT_FALSE(png.empty());
  EXPECT_GT(fs::file_size(dir / "det-sex.svg"), 1000u);
  // A folder that cannot be made: IOError naming it.
  const fs::path file = lfr::testing::TempDir("equitability-file") / "f";
  std::ofstream(file) << "x";
  Status s = WriteEquitabilityReport(file / "sub", *q, {});
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_THAT(s.message(), HasSubstr(file.string()));
}

}  // namespace
}  // namespace lfr::eval
