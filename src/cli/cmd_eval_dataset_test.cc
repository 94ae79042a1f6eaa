// `lfr eval identify|verify --dataset`: a force's own data through the whole pipeline, on a
// small LFW subset (CSV with sex) and a FairFace non-mated CSV (sex, race, age band), and
// the default LFW + FairFace run reproduced through --dataset.
#include <fstream>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/cli.h"
#include "eval/lfw.h"
#include "testing/cli_run.h"
#include "testing/lfw.h"
#include "testing/shared.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::RunLfr;

// Six LFW people with all their images (2 to 11 each) and six with one.
const std::vector<std::pair<std::string, int>>& People() {
  static const std::vector<std::pair<std::string, int>> p = {
      {"Abel_Pacheco", 4}, {"Akhmed_Zakayev", 3}, {"Amber_Tamblyn", 2}, {"Anders_Fogh_Rasmussen", 4},
      {"Angela_Bassett", 6}, {"Ann_Veneman", 11}, {"AJ_Cook", 1}, {"AJ_Lamas", 1},
      {"Aaron_Eckhart", 1}, {"Aaron_Guiel", 1}, {"Aaron_Patterson", 1}, {"Aaron_Peirsol", 1}};
  return p;
}
const std::map<std::string, std::string>& Sex() {
  static const std::map<std::string, std::string> s = {
      {"Abel_Pacheco", "Male"}, {"Akhmed_Zakayev", "Male"}, {"Amber_Tamblyn", "Female"},
      {"Anders_Fogh_Rasmussen", "Male"}, {"Angela_Bassett", "Female"}, {"Ann_Veneman", "Female"},
      {"AJ_Cook", "Female"}, {"AJ_Lamas", "Male"}, {"Aaron_Eckhart", "Male"}, {"Aaron_Guiel", "Male"},
      {"Aaron_Patterson", "Male"}, {"Aaron_Peirsol", "Male"}};
  return s;
}

struct Fixture {
  fs::path dir, identities, nonmated;
};

// people.csv (image,identity,sex; relative paths) and strangers.csv (image,sex,race,age_band;
// absolute paths of the first `strangers` FairFace images).
Fixture MakeCsvs(const fs::path& lfw_images, const fs::path& fairface, int strangers) {
  Fixture f;
  f.dir = lfr::testing::TempDir("eval-dataset");
  f.identities = f.dir / "people.csv";
  f.nonmated = f.dir / "strangers.csv";
  std::ofstream ids(f.identities);
  ids << "image,identity,sex\n";
  for (const auto& [name, n] : People()) {
    for (int i = 1; i <= n; ++i) {
      const fs::path src = lfr::testing::LfwImage(lfw_images, name, i);
      const fs::path rel = fs::path("photos") / name / src.filename();
      fs::create_directories((f.dir / rel).parent_path());
      fs::create_symlink(src, f.dir / rel);
      ids << rel.string() << "," << name << "," << Sex().at(name) << "\n";
    }
  }
  auto ff = lfr::eval::LoadFairFace(fairface);
  std::ofstream nm(f.nonmated);
  nm << "image,sex,race,age_band\n";
  for (int i = 0; i < strangers && i < static_cast<int>(ff->size()); ++i) {
    const auto& x = (*ff)[i];
    nm << x.path.string() << "," << x.gender << "," << x.race << "," << x.age << "\n";
  }
  return f;
}

const nlohmann::json* Differential(const nlohmann::json& point, const std::string& rate, const std::string& column) {
  for (const auto& d : point["differentials"]) {
    if (d["rate"] == rate && d["column"] == column) return &d;
  }
  return nullptr;
}

TEST(EvalDatasetCliTest, IdentifyOnOwnDataReportsPerGroupFiguresAndRefusesAMalformedCsv) {
  auto lfw = lfr::testing::FindData("lfw/images");
  auto ff = lfr::testing::FindData("fairface-dev/labels.csv");
  auto home = lfr::testing::HomeWithModels("eval-dataset", {"yunet-2022mar", "mobilefacenet-arcface"});
  if (!lfw || !ff || !home) LFR_MISSING_SHARED_("models, lfw/images and fairface-dev");
  const Fixture f = MakeCsvs(*lfw, ff->parent_path(), 24);
  lfr::testing::ScopedEnv env("LFR_HOME", home->string());
  const fs::path cache = f.dir / "cache";
  const std::vector<std::string> base = {"eval", "identify", "--dataset", f.identities.string(), "--non-mated",
                                         f.nonmated.string(), "--recogniser", "mobilefacenet-arcface",
                                         "--cache", cache.string()};
  std::vector<std::string> json_args = base;
  json_args.push_back("--json");
  auto r = RunLfr(json_args);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dataset"]["identities"], 12);
  EXPECT_EQ(j["dataset"]["identity_images"], 36);
  EXPECT_EQ(j["dataset"]["nonmated_images"], 24);
  EXPECT_EQ(j["dataset"]["columns"], (nlohmann::json{"sex", "ethnicity", "age_band"}));
  // Six identities have a second image: the watchlist the data supports is 6.
  ASSERT_EQ(j["results"].size(), 1u);
  const auto& res = j["results"][0];
  EXPECT_EQ(res["watchlist_size"], 6);
  EXPECT_EQ(res["mated_people"], 6);
  EXPECT_EQ(res["nonmated_fairface_searches"], 24);
  EXPECT_EQ(res["nonmated_searches"], 24 + 6);  // the six one-image people and the strangers
  EXPECT_GT(res["mated_searches"].get<int>(), 0);
  EXPECT_EQ(j["command"].get<std::string>().find("--watchlist-size 6") != std::string::npos, true) << j["command"];
  const auto& point = res["operating_points"].back();  // the smallest FPIR: resolvable
  ASSERT_EQ(point["name"], "min");
  ASSERT_TRUE(point["resolvable"].get<bool>());
  const auto* fnir_sex = Differential(point, "fnir", "sex");
  ASSERT_NE(fnir_sex, nullptr) << point.dump();
  EXPECT_EQ((*fnir_sex)["groups"].size(), 2u);  // Female, Male
  const auto* fpir_eth = Differential(point, "fpir", "ethnicity");
  ASSERT_NE(fpir_eth, nullptr);
  int64_t trials = 0;
  for (const auto& g : (*fpir_eth)["groups"]) {
    trials += g["trials"].get<int64_t>();
    EXPECT_EQ(g["ci95"].size(), 2u);
  }
  EXPECT_EQ(trials, 24);  // only the strangers have an ethnicity
  EXPECT_NE(Differential(point, "fpir", "age_band"), nullptr);
  EXPECT_NE(Differential(point, "fpir", "ethnicity x sex"), nullptr);
  EXPECT_EQ(Differential(point, "fnir", "ethnicity"), nullptr);  // no mated search has one

  // The text report prints the same groups; the DET plot and calibration table come out too.
  std::vector<std::string> text_args = base;
  const fs::path det = f.dir / "det", cal = f.dir / "cal.json";
  for (const std::string& x : std::vector<std::string>{"--det-plot", det.string(), "--write-calibration", cal.string()}) {
    text_args.push_back(x);
  }
  auto t = RunLfr(text_args);
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("on data set " + f.identities.string()));
  EXPECT_THAT(t.out, HasSubstr("FNIR by sex (mated searches)"));
  EXPECT_THAT(t.out, HasSubstr("FPIR by ethnicity (non-mated searches)"));
  EXPECT_THAT(t.out, HasSubstr("FPIR by ethnicity x sex (non-mated searches)"));
  EXPECT_THAT(t.out, HasSubstr("24 from the non-mated set"));
  EXPECT_GT(fs::file_size(det.string() + ".png"), 1000u);
  const auto calj = nlohmann::json::parse(lfr::testing::ReadFileBytes(cal));
  EXPECT_GT(calj["comparisons"].get<int64_t>(), 0);

  // A malformed CSV: exit 2 and what to fix.
  const fs::path bad = f.dir / "bad.csv";
  std::ofstream(bad) << "image,person\nphotos/AJ_Cook/AJ_Cook_0001.jpg,AJ_Cook\n";
  auto b = RunLfr({"eval", "identify", "--dataset", bad.string(), "--recogniser", "mobilefacenet-arcface"});
  EXPECT_EQ(b.code, kExitBadInput) << b.err;
  EXPECT_THAT(b.err, HasSubstr("no 'identity' column"));
  std::ofstream(bad) << "image,identity\nphotos/AJ_Cook/AJ_Cook_0001.jpg,AJ_Cook,extra\n";
  auto b2 = RunLfr({"eval", "identify", "--dataset", bad.string()});
  EXPECT_EQ(b2.code, kExitBadInput) << b2.err;
  EXPECT_THAT(b2.err, HasSubstr("bad.csv line 2: 3 fields, the header has 2"));
  // Only one-image identities: nobody can be both enrolled and searched.
  std::ofstream(bad) << "image,identity\nphotos/AJ_Cook/AJ_Cook_0001.jpg,AJ_Cook\n"
                        "photos/AJ_Lamas/AJ_Lamas_0001.jpg,AJ_Lamas\n";
  auto b3 = RunLfr({"eval", "identify", "--dataset", bad.string()});
  EXPECT_EQ(b3.code, kExitBadInput) << b3.err;
  EXPECT_THAT(b3.err, HasSubstr("no identity has the 2 images the protocol needs"));
  auto b4 = RunLfr({"eval", "identify", "--dataset", (f.dir / "nope").string()});
  EXPECT_EQ(b4.code, kExitBadInput) << b4.err;
  EXPECT_THAT(b4.err, HasSubstr("does not exist"));
  auto b5 = RunLfr({"eval", "identify", "--non-mated", f.nonmated.string()});  // needs --dataset
  EXPECT_EQ(b5.code, kExitBadInput) << b5.err;
}

// --group-by: a column of the force's own (here the camera each photo came from, and one
// the strangers' CSV lacks) gives FNIR and FPIR per value like the demographic ones; a
// column the identity CSV lacks, a folder data set or no --dataset at all: exit 2.
TEST(EvalDatasetCliTest, GroupByGivesFiguresPerValueOfAnyColumn) {
  auto lfw = lfr::testing::FindData("lfw/images");
  auto ff = lfr::testing::FindData("fairface-dev/labels.csv");
  auto home = lfr::testing::HomeWithModels("eval-groupby", {"yunet-2022mar", "mobilefacenet-arcface"});
  if (!lfw || !ff || !home) LFR_MISSING_SHARED_("models, lfw/images and fairface-dev");
  const Fixture f = MakeCsvs(*lfw, ff->parent_path(), 24);
  // people.csv with a camera column: odd lines "door", even lines "street".
  std::ifstream in(f.identities);
  std::string line, text;
  for (int n = 0; std::getline(in, line); ++n) {
    text += line + "," + (n == 0 ? "Camera" : n % 2 ? "door" : "street") + "\n";
  }
  in.close();
  std::ofstream(f.identities, std::ios::trunc) << text;
  lfr::testing::ScopedEnv env("LFR_HOME", home->string());
  const std::vector<std::string> base = {"eval", "identify", "--dataset", f.identities.string(), "--non-mated",
                                         f.nonmated.string(), "--recogniser", "mobilefacenet-arcface",
                                         "--cache", (f.dir / "cache").string(), "--json"};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--group-by", "camera"});
  auto r = RunLfr(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dataset"]["columns"], (nlohmann::json{"sex", "ethnicity", "age_band", "camera"}));
  EXPECT_NE(j["command"].get<std::string>().find("--group-by camera"), std::string::npos) << j["command"];
  const auto& res = j["results"][0];
  const auto& point = res["operating_points"].back();
  const auto* fnir = Differential(point, "fnir", "camera");
  ASSERT_NE(fnir, nullptr) << point.dump();
  std::set<std::string> groups;
  int64_t trials = 0;
  for (const auto& g : (*fnir)["groups"]) {
    groups.insert(g["group"].get<std::string>());
    trials += g["trials"].get<int64_t>();
  }
  EXPECT_EQ(groups, (std::set<std::string>{"door", "street"}));
  EXPECT_EQ(trials, res["mated_searches"].get<int64_t>());  // every mated probe has a camera
  // FPIR by camera: only the six one-image people have one (the strangers' CSV has no camera).
  const auto* fpir = Differential(point, "fpir", "camera");
  ASSERT_NE(fpir, nullptr);
  trials = 0;
  for (const auto& g : (*fpir)["groups"]) trials += g["trials"].get<int64_t>();
  EXPECT_EQ(trials, 6);

  std::vector<std::string> missing = base;
  missing.insert(missing.end(), {"--group-by", "camera,custody_suite"});
  auto m = RunLfr(missing);
  EXPECT_EQ(m.code, kExitBadInput) << m.err;
  EXPECT_THAT(m.err, HasSubstr("no 'custody_suite' column to group by"));
  auto folder = RunLfr({"eval", "identify", "--dataset", (f.dir / "photos").string(), "--group-by", "camera"});
  EXPECT_EQ(folder.code, kExitBadInput) << folder.err;
  EXPECT_THAT(folder.err, HasSubstr("needs a CSV data set"));
  auto none = RunLfr({"eval", "identify", "--group-by", "camera"});
  EXPECT_EQ(none.code, kExitBadInput) << none.err;
}

TEST(EvalDatasetCliTest, VerifyDrawsSeededPairsFromTheDataset) {
  auto lfw = lfr::testing::FindData("lfw/images");
  auto ff = lfr::testing::FindData("fairface-dev/labels.csv");
  auto home = lfr::testing::HomeWithModels("eval-dataset-verify", {"yunet-2022mar", "mobilefacenet-arcface"});
  if (!lfw || !ff || !home) LFR_MISSING_SHARED_("models, lfw/images and fairface-dev");
  const Fixture f = MakeCsvs(*lfw, ff->parent_path(), 4);
  lfr::testing::ScopedEnv env("LFR_HOME", home->string());
  const std::vector<std::string> args = {"eval", "verify", "--dataset", f.identities.string(), "--recogniser",
                                         "mobilefacenet-arcface", "--cache", (f.dir / "cache").string(),
                                         "--json", "--pairs", "20"};
  auto r = RunLfr(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mated_pairs"], 20);
  EXPECT_EQ(j["nonmated_pairs"], 20);
  EXPECT_EQ(j["folds"].size(), 10u);
  EXPECT_GT(j["accuracy"].get<double>(), 0.5);
  EXPECT_TRUE(j.contains("tar_at_far_1e-3"));
  EXPECT_EQ(j["seed"], 1);
  auto again = RunLfr(args);
  ASSERT_EQ(again.code, 0) << again.err;
  const auto j2 = nlohmann::json::parse(again.out);
  EXPECT_EQ(j2["accuracy"], j["accuracy"]);  // the same pairs
  EXPECT_EQ(j2["folds"], j["folds"]);
  // One mated pair cannot fill ten folds.
  const fs::path small = f.dir / "small.csv";
  std::ofstream(small) << "image,identity\nphotos/Amber_Tamblyn/Amber_Tamblyn_0001.jpg,A\n"
                          "photos/Amber_Tamblyn/Amber_Tamblyn_0002.jpg,A\nphotos/AJ_Cook/AJ_Cook_0001.jpg,B\n";
  auto bad = RunLfr({"eval", "verify", "--dataset", small.string()});
  EXPECT_EQ(bad.code, kExitBadInput) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("fewer than the 10 folds"));
}

// lfr eval report on a force's own data (the CSVs above, EdgeFace as the strongest installed
// recogniser): the page, report.json and a DET per sex group come out, the recogniser's
// non-operational licence is on the page, and bad options are refused before any work.
TEST(EvalDatasetCliTest, ReportWritesTheEquitabilityPageForOwnData) {
  auto lfw = lfr::testing::FindData("lfw/images");
  auto ff = lfr::testing::FindData("fairface-dev/labels.csv");
  auto home = lfr::testing::HomeWithModels("eval-report", {"yunet-2022mar", "edgeface-xs-q"});
  if (!lfw || !ff || !home) LFR_MISSING_SHARED_("models, lfw/images and fairface-dev");
  const Fixture f = MakeCsvs(*lfw, ff->parent_path(), 24);
  lfr::testing::ScopedEnv env("LFR_HOME", home->string());
  const fs::path out = f.dir / "report";
  const std::vector<std::string> base = {"eval", "report", "--dataset", f.identities.string(), "--non-mated",
                                         f.nonmated.string(), "--cache", (f.dir / "cache").string(),
                                         "--watchlist-size", "6", "--out", out.string()};
  std::vector<std::string> args = base;
  for (const char* x : {"--target-fpir", "1/30", "--thresholds", "0.2:0.6:0.1", "--title", "Force <X> report"}) {
    args.push_back(x);
  }
  auto r = RunLfr(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr((out / "index.html").string()));
  EXPECT_THAT(r.out, HasSubstr("recogniser edgeface-xs-q"));
  EXPECT_THAT(r.out, HasSubstr("lowest threshold from which no group differs significantly"));
  const std::string html = lfr::testing::ReadFileBytes(out / "index.html");
  EXPECT_THAT(html, HasSubstr("<title>Force &lt;X&gt; report</title>"));
  EXPECT_THAT(html, HasSubstr("FNIR by sex"));
  EXPECT_THAT(html, HasSubstr("FPIR by ethnicity"));
  EXPECT_THAT(html, HasSubstr("FPIR by age_band"));
  EXPECT_THAT(html, HasSubstr("CC-BY-NC"));            // the licence warning
  EXPECT_THAT(html, HasSubstr("lfr eval report --dataset"));
  const auto j = nlohmann::json::parse(lfr::testing::ReadFileBytes(out / "report.json"));
  EXPECT_EQ(j["watchlist_size"], 6);
  EXPECT_EQ(j["nonmated_searches"], 30);             // 24 strangers + the 6 one-image people
  EXPECT_GT(j["mated_searches"].get<int>(), 0);
  ASSERT_EQ(j["thresholds"].size(), 5u);
  EXPECT_NEAR(j["thresholds"][4]["threshold"].get<double>(), 0.6, 1e-6);
  EXPECT_NEAR(j["operating_point"]["target_fpir"].get<double>(), 1.0 / 30, 1e-12);
  EXPECT_TRUE(j["operating_point"]["resolvable"].get<bool>());
  EXPECT_FALSE(cv::imread((out / "det-sex.png").string()).empty());

  // Bad options: exit 2 with the reason, nothing written.
  const fs::path none = f.dir / "not-written";
  auto bad = [&](std::vector<std::string> extra, const std::string& why) {
    std::vector<std::string> a = {"eval", "report", "--dataset", f.identities.string(), "--out", none.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    auto b = RunLfr(a);
    EXPECT_EQ(b.code, kExitBadInput) << b.err;
    EXPECT_THAT(b.err, HasSubstr(why));
    EXPECT_FALSE(fs::exists(none));
  };
  bad({"--target-fpir", "2"}, "must lie between 0 and 1");
  bad({"--target-fpir", "one in six thousand"}, "is not a rate");
  bad({"--thresholds", "0.5,0.4"}, "is not ascending");
  bad({"--thresholds", "0.2:0.8"}, "LO:HI:STEP");
  bad({"--watchlist-size", "6,10"}, "one watchlist size");
  auto no_out = RunLfr({"eval", "report", "--dataset", f.identities.string()});
  EXPECT_EQ(no_out.code, kExitBadInput);
  EXPECT_THAT(no_out.err, HasSubstr("--out"));
}

// The default run (LFW-shaped folder + FairFace labels under --data) and the same data fed
// back through --dataset/--non-mated give the same results.
TEST(EvalDatasetCliTest, DefaultRunEqualsItsDatasetRun) {
  auto lfw = lfr::testing::FindData("lfw/images");
  auto ff = lfr::testing::FindData("fairface-dev/labels.csv");
  auto sex = lfr::testing::FindData("lfw/labels/lfw_identity_sex_from_gender_lists.csv");
  auto home = lfr::testing::HomeWithModels("eval-dataset-same", {"yunet-2022mar", "mobilefacenet-arcface"});
  if (!lfw || !ff || !sex || !home) LFR_MISSING_SHARED_("models, lfw/images, lfw/labels and fairface-dev");
  const fs::path data = lfr::testing::TempDir("eval-dataset-data");
  for (const auto& [name, n] : People()) {
    for (int i = 1; i <= n; ++i) {
      const fs::path src = lfr::testing::LfwImage(*lfw, name, i);
      fs::create_directories(data / "lfw" / "images" / name);
      fs::create_symlink(src, data / "lfw" / "images" / name / src.filename());
    }
  }
  fs::create_directories(data / "lfw" / "labels");
  fs::create_symlink(*sex, data / "lfw" / "labels" / sex->filename());
  {
    std::ifstream in(*ff);
    fs::create_directories(data / "fairface-dev");
    std::ofstream out(data / "fairface-dev" / "labels.csv");
    std::string line;
    for (int i = 0; i < 21 && std::getline(in, line); ++i) {
      out << line << "\n";
      if (i == 0) continue;
      const std::string file = line.substr(0, line.find(','));
      fs::create_directories((data / "fairface-dev" / file).parent_path());
      fs::create_symlink(ff->parent_path() / file, data / "fairface-dev" / file);
    }
  }
  lfr::testing::ScopedEnv env("LFR_HOME", home->string());
  const fs::path out = data / "as-dataset";
  const std::string cache = (data / "cache").string();
  auto def = RunLfr({"eval", "identify", "--data", data.string(), "--watchlist-size", "3,6", "--recogniser",
                     "mobilefacenet-arcface", "--cache", cache, "--json", "--write-dataset", out.string()});
  ASSERT_EQ(def.code, 0) << def.err;
  auto own = RunLfr({"eval", "identify", "--dataset", (out / "identities.csv").string(), "--non-mated",
                     (out / "non-mated.csv").string(), "--watchlist-size", "3,6", "--recogniser",
                     "mobilefacenet-arcface", "--cache", cache, "--json"});
  ASSERT_EQ(own.code, 0) << own.err;
  const auto a = nlohmann::json::parse(def.out), b = nlohmann::json::parse(own.out);
  EXPECT_EQ(a["results"], b["results"]);
  EXPECT_EQ(a["dataset"]["identity_images"], 36);
  EXPECT_EQ(b["dataset"]["nonmated_images"], a["dataset"]["nonmated_images"]);
  // The default run's groups: LFW's sex labels in FairFace's words, FairFace's race x gender.
  const auto& point = a["results"][1]["operating_points"].back();
  ASSERT_FALSE(point["fnir_by_sex"].empty());
  for (const auto& g : point["fnir_by_sex"]) {
    EXPECT_TRUE(g["group"] == "Male" || g["group"] == "Female" || g["group"] == "unknown") << g;
  }
  EXPECT_FALSE(point["fpir_by_fairface_group"].empty());
}

}  // namespace
}  // namespace lfr::cli
