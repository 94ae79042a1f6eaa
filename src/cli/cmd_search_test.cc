// Retrospective search as a user meets it, on real LFW images: a gallery created and
// imported (with rejections and duplicate warnings), searches that find the mate of
// same-person LFW pairs at rank 1, review, the audit rows, the probe nowhere on disk, and
// every bad input with its exit code and message, recording nothing.
#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/cli.h"
#include "testing/cli_run.h"
#include "testing/images.h"
#include "testing/lfw.h"
#include "testing/shared.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::CliRun;
using lfr::testing::RunLfr;
using lfr::testing::ScopedEnv;
using nlohmann::json;

using Pair = lfr::testing::LfwPair;
constexpr const auto& kPairs = lfr::testing::kLfwPairs;
constexpr const auto& kDistractors = lfr::testing::kLfwDistractors;
using lfr::testing::ReadFileBytes;

class CliSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto home = lfr::testing::HomeWithModels("cli-search", {"yunet-2022mar", "mobilefacenet-arcface"});
    lfw_ = lfr::testing::FindData("lfw/images");
    if (!home || !lfw_) LFR_MISSING_SHARED_("models and lfw/images");
    home_ = *home;
    env_.push_back(std::make_unique<ScopedEnv>("LFR_HOME", home_.string()));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_MASTER_KEY", std::nullopt));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_DB", std::nullopt));
    env_.push_back(std::make_unique<ScopedEnv>("LFR_ALERT_RETENTION", std::nullopt));
  }
  fs::path Lfw(const std::string& name, int n) { return lfr::testing::LfwImage(*lfw_, name, n); }
  CliRun Lfr(std::vector<std::string> args) { return RunLfr(std::move(args)); }
  void CreateGallery(const std::string& name, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"gallery", "create", name, "--purpose", "identify suspects from stills",
                                     "--legal-basis", "PACE s.64A", "--owner", "DI Example"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliRun r = Lfr(args);
    ASSERT_EQ(r.code, kExitOk) << r.err;
  }
  // A folder holding each pair's gallery image and the distractors, named by reference.
  fs::path GalleryFolder() {
    const fs::path dir = lfr::testing::TempDir("gallery-folder");
    for (const Pair& p : kPairs) fs::copy_file(Lfw(p.name, p.gallery), dir / Lfw(p.name, p.gallery).filename());
    for (const char* d : kDistractors) fs::copy_file(Lfw(d, 1), dir / Lfw(d, 1).filename());
    return dir;
  }
  json Search(const fs::path& probe, const std::string& case_ref) {
    CliRun r = Lfr({"search", probe.string(), "--gallery", "custody", "--case", case_ref, "--reason",
                    "burglary: doorbell still", "--top", "5", "--json"});
    EXPECT_EQ(r.code, kExitOk) << r.err;
    return r.code == kExitOk ? json::parse(r.out) : json();
  }
  json AuditRows() {
    CliRun r = Lfr({"audit", "list", "--json", "--limit", "100000"});
    EXPECT_EQ(r.code, kExitOk) << r.err;
    return json::parse(r.out)["audit"];
  }
  std::vector<json> AuditOf(const std::string& action) {
    std::vector<json> out;
    for (const auto& e : AuditRows()) if (e["action"] == action) out.push_back(e);
    return out;
  }
  fs::path home_;
  std::optional<fs::path> lfw_;
  std::vector<std::unique_ptr<ScopedEnv>> env_;
};

TEST_F(CliSearchTest, ImportSearchFindsMatesAtRankOneReviewAuditAndProbeNeverOnDisk) {
  CreateGallery("custody");
  CliRun imp = Lfr({"gallery", "import", "custody", GalleryFolder().string(), "--source", "custody suite CF1",
                    "--capture-date", "2024-05-01", "--json"});
  ASSERT_EQ(imp.code, kExitOk) << imp.err;
  const json summary = json::parse(imp.out);
  const int total = static_cast<int>(std::size(kPairs) + std::size(kDistractors));
  EXPECT_EQ(summary["imported"], total) << imp.err;
  EXPECT_TRUE(summary["rejected"].empty()) << summary.dump();
  EXPECT_THAT(imp.err, HasSubstr("import"));  // progress and summary on stderr

  CliRun list = Lfr({"gallery", "list", "--json"});
  ASSERT_EQ(list.code, kExitOk);
  EXPECT_EQ(json::parse(list.out)["galleries"][0]["records"], total);

  for (const Pair& p : kPairs) {
    const fs::path probe = Lfw(p.name, p.probe);
    json s = Search(probe, std::string("OP-") + p.name);
    ASSERT_FALSE(s.is_null());
    ASSERT_FALSE(s["candidates"].empty());
    const std::string mate = Lfw(p.name, p.gallery).stem().string();
    EXPECT_EQ(s["candidates"][0]["reference"], mate) << "probe " << probe << ": " << s["candidates"].dump();
    EXPECT_EQ(s["candidates"].size(), 5u);
    EXPECT_EQ(s["faces"][0]["searched"], true);
    EXPECT_EQ(s["outcome"], "pending review");
    EXPECT_EQ(s["probe_sha256"].get<std::string>().size(), 64u);
  }

  // The first search, reviewed: candidate 1 possible, which makes the outcome a lead.
  const fs::path probe = Lfw(kPairs[0].name, kPairs[0].probe);
  json s = Search(probe, "OP-REVIEW");
  const std::string id = std::to_string(s["id"].get<int64_t>());
  CliRun review = Lfr({"search", "review", id, "--candidate", "1", "--decision", "possible", "--note", "same ears"});
  ASSERT_EQ(review.code, kExitOk) << review.err;
  EXPECT_THAT(review.out, HasSubstr("possible match - intelligence only"));
  // The same reviewer again: not an independent review.
  CliRun again = Lfr({"search", "review", id, "--candidate", "1", "--decision", "excluded"});
  EXPECT_EQ(again.code, kExitRefused);
  EXPECT_THAT(again.err, HasSubstr("independent"));
  CliRun bad_decision = Lfr({"search", "review", id, "--candidate", "2", "--decision", "maybe"});
  EXPECT_EQ(bad_decision.code, kExitBadInput);
  CliRun no_such = Lfr({"search", "review", id, "--candidate", "99", "--decision", "excluded"});
  EXPECT_EQ(no_such.code, kExitBadInput);
  EXPECT_THAT(no_such.err, HasSubstr("no candidate 99"));
  CliRun show = Lfr({"search", "show", id});
  ASSERT_EQ(show.code, kExitOk) << show.err;
  EXPECT_THAT(show.out, HasSubstr("OP-REVIEW"));
  EXPECT_THAT(show.out, HasSubstr("same ears"));

  // Audit: who, case, reason, gallery, the probe's hash and the candidate references.
  const std::string sha = s["probe_sha256"];
  bool found = false;
  for (const json& e : AuditOf("search.run")) {
    if (e["details"]["case"] != "OP-REVIEW") continue;
    found = true;
    EXPECT_EQ(e["details"]["probe_sha256"], sha);
    EXPECT_EQ(e["details"]["reason"], "burglary: doorbell still");
    EXPECT_EQ(e["details"]["gallery"], s["gallery"]);
    EXPECT_EQ(e["details"]["candidates"][0], s["candidates"][0]["reference"]);
    EXPECT_THAT(e["actor"].get<std::string>(), HasSubstr("cli:"));
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(AuditOf("search.review").size(), 1u);
  EXPECT_EQ(AuditOf("gallery.import").size(), 1u);
  EXPECT_EQ(AuditOf("gallery.create").size(), 1u);
  CliRun verify = Lfr({"audit", "verify"});
  EXPECT_EQ(verify.code, kExitOk) << verify.out;

  // The probe is nowhere under LFR_HOME (database, WAL, anything else): look for a run of its
  // bytes from the middle of the file (the compressed image data).
  const std::string bytes = ReadFileBytes(probe);
  ASSERT_GT(bytes.size(), 2000u);
  const std::string needle = bytes.substr(bytes.size() / 2, 512);
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(home_)) {
    if (!e.is_regular_file() || e.is_symlink()) continue;
    ++files;
    EXPECT_EQ(ReadFileBytes(e.path()).find(needle), std::string::npos) << "probe bytes found in " << e.path();
  }
  EXPECT_GE(files, 1);
  EXPECT_TRUE(fs::exists(home_ / "lfr.db"));
}

TEST_F(CliSearchTest, BadProbesAreRefusedWithTheirReasonAndRecordNothing) {
  CreateGallery("custody");
  const fs::path dir = lfr::testing::TempDir("bad-probes");
  for (const char* d : kDistractors) fs::copy_file(Lfw(d, 1), dir / Lfw(d, 1).filename());
  CliRun imp = Lfr({"gallery", "import", "custody", dir.string()});
  ASSERT_EQ(imp.code, kExitOk) << imp.err;

  const fs::path probes = lfr::testing::TempDir("probes");
  cv::imwrite((probes / "blank.png").string(), cv::Mat(300, 300, CV_8UC3, cv::Scalar(120, 120, 120)));
  std::ofstream(probes / "notes.jpg") << "not an image at all";
  std::ofstream(probes / "huge.png", std::ios::binary) << lfr::testing::PngDeclaring(20000, 20000);
  const fs::path good = Lfw(kPairs[0].name, kPairs[0].probe);
  auto search = [&](const fs::path& probe, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"search", probe.string(), "--gallery", "custody"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Lfr(args);
  };
  const std::vector<std::string> ok_args = {"--case", "OP-1", "--reason", "robbery"};

  CliRun no_case = search(good, {"--reason", "robbery"});
  EXPECT_EQ(no_case.code, kExitBadInput);
  EXPECT_THAT(no_case.err, HasSubstr("case reference"));
  CliRun blank_case = search(good, {"--case", "  ", "--reason", "robbery"});
  EXPECT_EQ(blank_case.code, kExitBadInput);
  CliRun no_reason = search(good, {"--case", "OP-1"});
  EXPECT_EQ(no_reason.code, kExitBadInput);
  EXPECT_THAT(no_reason.err, HasSubstr("reason"));
  CliRun no_face = search(probes / "blank.png", ok_args);
  EXPECT_EQ(no_face.code, kExitBadInput);
  EXPECT_THAT(no_face.err, HasSubstr("no face found in the probe"));
  CliRun not_image = search(probes / "notes.jpg", ok_args);
  EXPECT_EQ(not_image.code, kExitBadInput);
  EXPECT_THAT(not_image.err, HasSubstr("probe"));
  CliRun oversize = search(probes / "huge.png", ok_args);
  EXPECT_EQ(oversize.code, kExitBadInput);
  EXPECT_THAT(oversize.err, HasSubstr("above the limit"));
  CliRun missing = search(probes / "absent.jpg", ok_args);
  EXPECT_EQ(missing.code, kExitBadInput);
  EXPECT_THAT(missing.err, HasSubstr("does not exist"));
  CliRun unknown_gallery = Lfr({"search", good.string(), "--gallery", "nope", "--case", "OP-1", "--reason", "x"});
  EXPECT_EQ(unknown_gallery.code, kExitBadInput);
  EXPECT_THAT(unknown_gallery.err, HasSubstr("no gallery named \"nope\""));
  CliRun bad_top = search(good, {"--case", "OP-1", "--reason", "robbery", "--top", "0"});
  EXPECT_EQ(bad_top.code, kExitBadInput);

  // Several faces: the largest is searched and the choice is said; a face the probe does not
  // have is refused.
  std::ofstream(probes / "two.png", std::ios::binary)
      << lfr::testing::TwoFacesPng(Lfw(kPairs[0].name, kPairs[0].probe), Lfw(kPairs[1].name, kPairs[1].probe));
  CliRun nine = search(probes / "two.png", {"--case", "OP-1", "--reason", "robbery", "--face", "9"});
  EXPECT_EQ(nine.code, kExitBadInput);
  EXPECT_THAT(nine.err, HasSubstr("there is no face 9"));

  // Nothing of the refusals was recorded.
  CliRun none = Lfr({"search", "list", "--json"});
  ASSERT_EQ(none.code, kExitOk) << none.err;
  EXPECT_TRUE(json::parse(none.out)["searches"].empty());
  EXPECT_TRUE(AuditOf("search.run").empty());

  CliRun two = search(probes / "two.png", ok_args);
  ASSERT_EQ(two.code, kExitOk) << two.err;
  EXPECT_THAT(two.out, HasSubstr("face 2"));
  EXPECT_THAT(two.err, HasSubstr("the largest (face 1) was searched"));
  CliRun second = search(probes / "two.png", {"--case", "OP-1", "--reason", "robbery", "--face", "2", "--json"});
  ASSERT_EQ(second.code, kExitOk) << second.err;
  EXPECT_EQ(json::parse(second.out)["face_searched"], 2);
}

TEST_F(CliSearchTest, ImportRejectsWithReasonsWarnsOfDuplicatesAndRefusesBadCsvWhole) {
  CreateGallery("custody");
  const fs::path dir = lfr::testing::TempDir("import-rejects");
  cv::imwrite((dir / "BLANK-1.png").string(), cv::Mat(300, 300, CV_8UC3, cv::Scalar(120, 120, 120)));
  std::ofstream(dir / "BROKEN-1.jpg") << "not really a jpeg";
  const fs::path cook = Lfw("AJ_Cook", 1);
  fs::copy_file(cook, dir / "COOK-1.jpg");
  fs::copy_file(cook, dir / "COOK-2.jpg");  // the same face under a second reference
  fs::copy_file(Lfw("Aaron_Eckhart", 1), dir / "ECKHART-1.jpg");
  CliRun imp = Lfr({"gallery", "import", "custody", dir.string(), "--json"});
  ASSERT_EQ(imp.code, kExitOk) << imp.err;
  const json j = json::parse(imp.out);
  EXPECT_EQ(j["imported"], 3);
  EXPECT_EQ(j["possible_duplicates"], 1);
  EXPECT_THAT(imp.err, HasSubstr("BLANK-1: no face found"));
  EXPECT_THAT(imp.err, HasSubstr("rejected BROKEN-1.jpg"));
  EXPECT_THAT(imp.err, HasSubstr("COOK-2: possible duplicate of record"));

  // A bad CSV is refused whole, before any image is read: nothing imported.
  const fs::path csv = dir / "list.csv";
  std::ofstream(csv) << "image,reference,capture_date,source\n"
                     << "ECKHART-1.jpg,E-9,2024-01-01,CF1\n"
                     << "COOK-1.jpg,,2024-01-01,CF1\n";
  CliRun bad = Lfr({"gallery", "import", "custody", "--csv", csv.string()});
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_THAT(bad.err, HasSubstr("line 3"));
  // A bad date is that row's rejection; with no other row nothing is imported (exit 2).
  std::ofstream(csv, std::ios::trunc) << "image,reference,capture_date,source\n"
                                      << "ECKHART-1.jpg,E-9,2024-13-01,CF1\n";
  CliRun bad_date = Lfr({"gallery", "import", "custody", "--csv", csv.string()});
  EXPECT_EQ(bad_date.code, kExitBadInput);
  EXPECT_THAT(bad_date.err, HasSubstr("is not a date"));
  CliRun show = Lfr({"gallery", "show", "custody", "--json"});
  ASSERT_EQ(show.code, kExitOk);
  EXPECT_EQ(json::parse(show.out)["records"].size(), 3u);
  CliRun missing = Lfr({"gallery", "import", "custody"});
  EXPECT_EQ(missing.code, kExitBadInput);
  CliRun no_gallery = Lfr({"gallery", "import", "nope", dir.string()});
  EXPECT_EQ(no_gallery.code, kExitBadInput);
}

TEST_F(CliSearchTest, RemoveRecordDueAndDelete) {
  CreateGallery("custody", {"--review-days", "30"});
  const fs::path dir = lfr::testing::TempDir("remove");
  fs::copy_file(Lfw("AJ_Cook", 1), dir / "COOK-1.jpg");
  fs::copy_file(Lfw("Aaron_Eckhart", 1), dir / "ECKHART-1.jpg");
  CliRun imp = Lfr({"gallery", "import", "custody", dir.string(), "--capture-date", "2020-01-01"});
  ASSERT_EQ(imp.code, kExitOk) << imp.err;
  CliRun due = Lfr({"gallery", "due", "--json"});
  ASSERT_EQ(due.code, kExitOk) << due.err;
  ASSERT_EQ(json::parse(due.out)["records"].size(), 2u);
  const std::string rid = std::to_string(json::parse(due.out)["records"][0]["id"].get<int64_t>());
  CliRun no_reason = Lfr({"gallery", "remove-record", rid, "--reason", " "});
  EXPECT_EQ(no_reason.code, kExitBadInput);
  CliRun rm = Lfr({"gallery", "remove-record", rid, "--reason", "reviewed: not retained"});
  ASSERT_EQ(rm.code, kExitOk) << rm.err;
  CliRun rm2 = Lfr({"gallery", "remove-record", rid, "--reason", "again"});
  EXPECT_EQ(rm2.code, kExitRefused);
  EXPECT_EQ(json::parse(Lfr({"gallery", "due", "custody", "--json"}).out)["records"].size(), 1u);
  EXPECT_EQ(AuditOf("gallery.remove_record").size(), 1u);
  CliRun unconfirmed = Lfr({"gallery", "delete", "custody"});
  EXPECT_EQ(unconfirmed.code, kExitBadInput);
  CliRun del = Lfr({"gallery", "delete", "custody", "--yes"});
  ASSERT_EQ(del.code, kExitOk) << del.err;
  CliRun search = Lfr({"search", Lfw("AJ_Cook", 1).string(), "--gallery", "custody", "--case", "OP", "--reason", "x"});
  EXPECT_EQ(search.code, kExitRefused);
  EXPECT_THAT(search.err, HasSubstr("deleted"));
}

}  // namespace
}  // namespace lfr::cli

namespace lfr::cli {
namespace {

TEST(CliSearchHelp, HelpDescribesGalleryAndSearch) {
  lfr::testing::CliRun top = lfr::testing::RunLfr({"--help"});
  EXPECT_EQ(top.code, kExitOk);
  EXPECT_THAT(top.out, ::testing::HasSubstr("gallery"));
  EXPECT_THAT(top.out, ::testing::HasSubstr("search"));
  lfr::testing::CliRun gallery = lfr::testing::RunLfr({"gallery", "--help"});
  EXPECT_EQ(gallery.code, kExitOk);
  for (const char* sub : {"create", "import", "list", "show", "remove-record", "delete", "due"}) {
    EXPECT_THAT(gallery.out, ::testing::HasSubstr(sub));
  }
  lfr::testing::CliRun search = lfr::testing::RunLfr({"search", "--help"});
  EXPECT_EQ(search.code, kExitOk);
  EXPECT_THAT(search.out, ::testing::HasSubstr("never stored"));
  EXPECT_THAT(search.out, ::testing::HasSubstr("review"));
}

}  // namespace
}  // namespace lfr::cli
