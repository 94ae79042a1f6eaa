// Retrospective search over real HTTP (issue 10) on real LFW images: a supervisor creates a
// gallery and imports it by upload, an investigator searches it (the mate of same-person
// pairs at rank 1), views a candidate and reviews it; the audit rows; the probe nowhere in
// the store's files; investigators' need-to-know; a second, independent reviewer; and every
// bad input refused with its reason, recording nothing.
#include <fstream>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sodium.h>

#include "models/store.h"
#include "server/retrospective_service.h"
#include "testing/api_fixture.h"
#include "testing/images.h"
#include "testing/lfw.h"
#include "testing/shared.h"
#include "util/paths.h"

namespace lfr::server {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using lfr::testing::ApiClient;
using lfr::testing::BodyJson;
using lfr::testing::ErrorOf;
using nlohmann::json;

using Pair = lfr::testing::LfwPair;
// The first three pairs and four distractors keep the imports short.
const std::vector<Pair> kPairs(std::begin(lfr::testing::kLfwPairs), std::begin(lfr::testing::kLfwPairs) + 3);
const std::vector<const char*> kDistractors(std::begin(lfr::testing::kLfwDistractors),
                                            std::begin(lfr::testing::kLfwDistractors) + 4);
using lfr::testing::ReadFileBytes;

class RetrospectiveApiTest : public lfr::testing::ApiFixture {
 protected:
  void SetUp() override {
    auto rec = lfr::testing::FindModel("mobilefacenet-arcface");
    auto det = lfr::testing::FindModel("yunet-2022mar");
    auto lfw = lfr::testing::FindData("lfw/images");
    if (!rec || !det || !lfw) LFR_MISSING_SHARED_("models and lfw/images");
    lfw_ = *lfw;
    // Its own model store (installed from the mirror), not whatever LFR_HOME holds.
    auto home = lfr::testing::HomeWithModels("retro-api", {"yunet-2022mar", "mobilefacenet-arcface"});
    if (!home) LFR_MISSING_SHARED_("models yunet-2022mar and mobilefacenet-arcface");
    models_ = std::make_unique<ModelStore>(&lfr::testing::TestCatalog(), *home / "models", ModelMirrorDir());
    ASSERT_TRUE(models_->Locate("mobilefacenet-arcface").ok());
    ApiFixture::SetUp();
  }
  void BeforeServer() override {
    // Gallery indexes in this test's own folder (each test's store starts at gallery 1).
    index_dir_ = lfr::testing::TempDir("retro-api-index");
    service_ = std::make_unique<RetrospectiveService>(store_->galleries(), models_.get(), index_dir_);
    retrospective_service_ = service_.get();
  }

  fs::path Lfw(const std::string& name, int n) const { return lfr::testing::LfwImage(lfw_, name, n); }

  // POST /api/galleries as the supervisor; returns the gallery id.
  int64_t CreateGallery(const ApiClient& sue, const std::string& name, int reviewers = 1) {
    auto r = sue.PostJson("/api/galleries", {{"name", name},
                                              {"purpose", "identify suspects from stills"},
                                              {"legal_basis", "PACE s.64A"},
                                              {"owner", "DI Example"},
                                              {"reviewers_required", reviewers}});
    EXPECT_EQ(r->status, 201) << r->body;
    return BodyJson(r)["id"];
  }

  httplib::Result Import(const ApiClient& sue, int64_t gallery, const std::vector<fs::path>& images) {
    httplib::MultipartFormDataItems items;
    for (const fs::path& p : images) items.push_back({"images", ReadFileBytes(p), p.filename().string(), "image/jpeg"});
    items.push_back({"source", "custody suite CF1", "", ""});
    return sue.http->Post(("/api/galleries/" + std::to_string(gallery) + "/import").c_str(), sue.Headers(), items);
  }

  // A gallery of each pair's gallery image and the distractors.
  int64_t CustodyGallery(const ApiClient& sue, int reviewers = 1, const std::string& name = "custody") {
    const int64_t id = CreateGallery(sue, name, reviewers);
    std::vector<fs::path> images;
    for (const Pair& p : kPairs) images.push_back(Lfw(p.name, p.gallery));
    for (const char* d : kDistractors) images.push_back(Lfw(d, 1));
    auto r = Import(sue, id, images);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(BodyJson(r)["imported"], static_cast<int>(images.size())) << r->body;
    return id;
  }

  httplib::Result Search(const ApiClient& c, const std::string& image, const std::string& gallery,
                         const std::string& case_ref, const std::string& reason,
                         const httplib::MultipartFormDataItems& extra = {}) {
    httplib::MultipartFormDataItems items = extra;
    if (!image.empty()) items.push_back({"image", image, "probe.jpg", "image/jpeg"});
    if (!gallery.empty()) items.push_back({"gallery", gallery, "", ""});
    if (!case_ref.empty()) items.push_back({"case", case_ref, "", ""});
    if (!reason.empty()) items.push_back({"reason", reason, "", ""});
    return c.http->Post("/api/searches", c.Headers(), items);
  }

  std::vector<AuditEvent> AuditOf(const std::string& action) {
    std::vector<AuditEvent> out;
    const auto rows = store_->ListAudit(0, 100000);
    for (const AuditEvent& e : *rows) {
      if (e.action == action) out.push_back(e);
    }
    return out;
  }

  fs::path lfw_, index_dir_;
  std::unique_ptr<ModelStore> models_;
  std::unique_ptr<RetrospectiveService> service_;
};

TEST_F(RetrospectiveApiTest, ImportSearchFindsMatesAtRankOneReviewAuditAndProbeNeverStored) {
  ApiClient sue = Login("sue");
  ApiClient ivy = Login("ivy");
  const int64_t gallery = CustodyGallery(sue);
  auto shown = ivy.Get("/api/galleries/" + std::to_string(gallery));
  ASSERT_EQ(shown->status, 200) << shown->body;
  EXPECT_EQ(BodyJson(shown)["records"], static_cast<int>(kPairs.size() + kDistractors.size()));
  auto records = sue.Get("/api/galleries/" + std::to_string(gallery) + "/records");
  ASSERT_EQ(records->status, 200);
  EXPECT_EQ(BodyJson(records)["records"][0]["source"], "custody suite CF1");

  for (const Pair& p : kPairs) {
    auto r = Search(ivy, ReadFileBytes(Lfw(p.name, p.probe)), "custody", std::string("OP-") + p.name, "burglary: doorbell");
    ASSERT_EQ(r->status, 201) << r->body;
    const json s = BodyJson(r);
    ASSERT_FALSE(s["candidates"].empty());
    EXPECT_EQ(s["candidates"][0]["reference"], Lfw(p.name, p.gallery).stem().string()) << s["candidates"].dump();
    EXPECT_EQ(s["faces"].size(), 1u);
    EXPECT_EQ(s["faces"][0]["searched"], true);
    EXPECT_TRUE(s["faces"][0]["quality"].contains("inter_eye_px"));
    EXPECT_TRUE(s["faces"][0].contains("warnings"));
    EXPECT_EQ(s["outcome"], "pending review");
    EXPECT_EQ(s["searched_by"], "ivy");
  }

  // The same search as JSON with the probe in base64.
  const fs::path probe = Lfw(kPairs[0].name, kPairs[0].probe);
  const std::string bytes = ReadFileBytes(probe);
  std::string b64(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  b64.resize(b64.size() - 1);
  auto r = ivy.PostJson("/api/searches", {{"image_base64", b64},
                                          {"gallery", std::to_string(gallery)},
                                          {"case", "OP-REVIEW"},
                                          {"reason", "burglary: doorbell still"},
                                          {"top", 3}});
  ASSERT_EQ(r->status, 201) << r->body;
  const json s = BodyJson(r);
  EXPECT_EQ(s["candidates"].size(), 3u);
  const std::string id = std::to_string(s["id"].get<int64_t>());

  // The candidate's image, for the side-by-side comparison: audited.
  const size_t views = AuditOf("gallery.view_image").size();
  auto img = ivy.Get("/api/searches/" + id + "/candidates/1/image");
  ASSERT_EQ(img->status, 200) << img->body;
  EXPECT_EQ(img->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(img->get_header_value("Cache-Control"), "no-store");
  EXPECT_GT(img->body.size(), 1000u);
  EXPECT_EQ(AuditOf("gallery.view_image").size(), views + 1);
  EXPECT_EQ(ivy.Get("/api/searches/" + id + "/candidates/9/image")->status, 404);

  // Review: candidate 1 possible makes the search a lead; the same reviewer again is refused.
  r = ivy.PostJson("/api/searches/" + id + "/candidates/1/review", {{"decision", "possible"}, {"note", "same ears"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(BodyJson(r)["outcome"], "possible match - intelligence only");
  EXPECT_EQ(BodyJson(r)["reviews"][0]["note"], "same ears");
  r = ivy.PostJson("/api/searches/" + id + "/candidates/1/review", {{"decision", "excluded"}});
  EXPECT_EQ(r->status, 409);
  r = ivy.PostJson("/api/searches/" + id + "/candidates/2/review", {{"decision", "maybe"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(ErrorOf(r), HasSubstr("possible, excluded"));
  r = ivy.PostJson("/api/searches/" + id + "/candidates/99/review", {{"decision", "excluded"}});
  EXPECT_EQ(r->status, 404);
  auto one = ivy.Get("/api/searches/" + id);
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(BodyJson(one)["case"], "OP-REVIEW");
  auto list = ivy.Get("/api/searches");
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(BodyJson(list)["searches"].size(), kPairs.size() + 1);

  // Audit: who, case, reason, gallery, the probe's hash and the candidate references.
  bool found = false;
  for (const AuditEvent& e : AuditOf("search.run")) {
    const json d = json::parse(e.details);
    if (d["case"] != "OP-REVIEW") continue;
    found = true;
    EXPECT_EQ(e.actor, "ivy");
    EXPECT_EQ(d["probe_sha256"], s["probe_sha256"]);
    EXPECT_EQ(d["reason"], "burglary: doorbell still");
    EXPECT_EQ(d["gallery"], gallery);
    EXPECT_EQ(d["candidates"][0], s["candidates"][0]["reference"]);
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(AuditOf("search.review").size(), 1u);
  ASSERT_EQ(AuditOf("gallery.import").size(), 1u);
  EXPECT_EQ(json::parse(AuditOf("gallery.import")[0].details)["source"], "upload");
  EXPECT_TRUE(store_->VerifyAudit()->ok);

  // The probe is nowhere in the store's files (database, WAL, anything beside it).
  ASSERT_GT(bytes.size(), 2000u);
  const std::string needle = bytes.substr(bytes.size() / 2, 512);
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(db_path_.parent_path())) {
    if (!e.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(ReadFileBytes(e.path()).find(needle), std::string::npos) << "probe bytes found in " << e.path();
  }
  EXPECT_GE(files, 1);
}

TEST_F(RetrospectiveApiTest, BadSearchInputIsRefusedWithItsReasonAndRecordsNothing) {
  ApiClient sue = Login("sue");
  ApiClient ivy = Login("ivy");
  CustodyGallery(sue);
  const std::string good = ReadFileBytes(Lfw(kPairs[0].name, kPairs[0].probe));
  std::vector<uchar> blank_png;
  cv::imencode(".png", cv::Mat(300, 300, CV_8UC3, cv::Scalar(120, 120, 120)), blank_png);
  const std::string blank(blank_png.begin(), blank_png.end());
  const std::string two = lfr::testing::TwoFacesPng(Lfw(kPairs[0].name, kPairs[0].probe),
                                                    Lfw(kPairs[1].name, kPairs[1].probe));
  const size_t audit_before = store_->ListAudit(0, 100000)->size();
  struct Case {
    const char* what;
    httplib::Result result;
    int status;
    const char* reason;
  };
  std::vector<Case> cases;
  cases.push_back({"no case", Search(ivy, good, "custody", "", "robbery"), 400, "field 'case'"});
  cases.push_back({"blank case", Search(ivy, good, "custody", "  ", "robbery"), 400, "field 'case'"});
  cases.push_back({"no reason", Search(ivy, good, "custody", "OP-1", ""), 400, "field 'reason'"});
  cases.push_back({"no image", Search(ivy, "", "custody", "OP-1", "robbery"), 400, "field 'image'"});
  cases.push_back({"no gallery", Search(ivy, good, "", "OP-1", "robbery"), 400, "field 'gallery'"});
  cases.push_back({"unknown gallery", Search(ivy, good, "nope", "OP-1", "robbery"), 404, "no gallery named"});
  cases.push_back({"no face", Search(ivy, blank, "custody", "OP-1", "robbery"), 400, "no face found in the probe"});
  cases.push_back({"not an image", Search(ivy, "not an image at all", "custody", "OP-1", "robbery"), 400, "probe"});
  cases.push_back({"oversize", Search(ivy, lfr::testing::PngDeclaring(20000, 20000), "custody", "OP-1", "robbery"),
                   422, "above the limit"});
  cases.push_back({"no such face", Search(ivy, two, "custody", "OP-1", "robbery", {{"face", "9", "", ""}}), 400,
                   "there is no face 9"});
  cases.push_back({"bad top", Search(ivy, good, "custody", "OP-1", "robbery", {{"top", "0", "", ""}}), 400,
                   "field 'top'"});
  cases.push_back({"bad base64", ivy.PostJson("/api/searches", {{"image_base64", "%%%"}, {"gallery", "custody"},
                                                                {"case", "OP-1"}, {"reason", "x"}}),
                   400, "base64"});
  cases.push_back({"neither form nor JSON", ivy.http->Post("/api/searches", ivy.Headers(), good, "image/jpeg"), 400,
                   "multipart/form-data"});
  for (const Case& c : cases) {
    ASSERT_TRUE(c.result) << c.what;
    EXPECT_EQ(c.result->status, c.status) << c.what << ": " << c.result->body;
    EXPECT_THAT(ErrorOf(c.result), HasSubstr(c.reason)) << c.what;
  }
  // Nothing of the refusals was recorded: no search, no search.run audit row (only the
  // http.POST rows of the refused requests).
  EXPECT_TRUE(store_->galleries()->ListSearches(std::nullopt, 100)->empty());
  EXPECT_TRUE(AuditOf("search.run").empty());
  const auto after = *store_->ListAudit(0, 100000);
  for (size_t i = audit_before; i < after.size(); ++i) {
    EXPECT_EQ(after[i].action, "http.POST") << after[i].details;
  }

  // Several faces and no choice: as in the CLI, the largest is searched and the answer says so.
  auto r = Search(ivy, two, "custody", "OP-1", "robbery");
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(BodyJson(r)["faces"].size(), 2u);
  EXPECT_EQ(BodyJson(r)["face_searched"], 1);
  EXPECT_THAT(BodyJson(r)["notice"].get<std::string>(), HasSubstr("the largest (face 1) was searched"));
  r = Search(ivy, two, "custody", "OP-1", "robbery", {{"face", "2", "", ""}});
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(BodyJson(r)["face_searched"], 2);
  EXPECT_FALSE(BodyJson(r).contains("notice"));
}

// A gallery's sealed index file that fails authentication (here: another gallery's index put
// in its place, as a swapped or edited file would) is refused: 500 naming the file and the
// deliberate rebuild, no search recorded, and the file is left as it is (it may be evidence).
TEST_F(RetrospectiveApiTest, ASwappedIndexFileIsRefusedWith500AndRecordsNothing) {
  ApiClient sue = Login("sue");
  ApiClient ivy = Login("ivy");
  CustodyGallery(sue);
  const std::string probe = ReadFileBytes(Lfw(kPairs[0].name, kPairs[0].probe));
  auto r = Search(ivy, probe, "custody", "OP-1", "robbery");
  ASSERT_EQ(r->status, 201) << r->body;
  const fs::path first = index_dir_ / "gallery-1.index";
  ASSERT_TRUE(fs::exists(first)) << "the first search saves gallery 1's sealed index";
  const int64_t other = CustodyGallery(sue, 1, "other");
  ASSERT_EQ(other, 2);
  const fs::path swapped = index_dir_ / "gallery-2.index";
  ASSERT_FALSE(fs::exists(swapped)) << "gallery 2 has not been searched yet";
  fs::copy_file(first, swapped);
  const std::string planted = ReadFileBytes(swapped);
  const size_t searches_before = store_->galleries()->ListSearches(std::nullopt, 100)->size();
  const size_t runs_before = AuditOf("search.run").size();

  r = Search(ivy, probe, "other", "OP-2", "robbery");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500) << r->body;
  EXPECT_THAT(ErrorOf(r), HasSubstr("gallery-2.index"));
  EXPECT_THAT(ErrorOf(r), HasSubstr("lfr gallery reindex"));
  EXPECT_EQ(store_->galleries()->ListSearches(std::nullopt, 100)->size(), searches_before);
  EXPECT_EQ(AuditOf("search.run").size(), runs_before);
  EXPECT_EQ(ReadFileBytes(swapped), planted) << "a refused index file is never silently replaced";
  // Gallery 1's own index still serves.
  r = Search(ivy, probe, "custody", "OP-3", "robbery");
  EXPECT_EQ(r->status, 201) << r->body;
}

TEST_F(RetrospectiveApiTest, GalleryManagementAndItsBadInput) {
  ApiClient sue = Login("sue");
  const int64_t id = CreateGallery(sue, "custody");
  auto r = sue.PostJson("/api/galleries", {{"name", "custody"}, {"purpose", "p"}, {"legal_basis", "l"}, {"owner", "o"}});
  EXPECT_EQ(r->status, 409);
  r = sue.PostJson("/api/galleries", {{"name", "x"}, {"purpose", "p"}, {"owner", "o"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(ErrorOf(r), HasSubstr("legal_basis"));
  r = sue.PostJson("/api/galleries", {{"name", "x"}, {"purpose", "p"}, {"legal_basis", "l"}, {"owner", "o"},
                                      {"reviewers_required", 3}});
  EXPECT_EQ(r->status, 400);
  // An import whose images all fail is refused whole, with the reasons; nothing goes live.
  const fs::path notes = lfr::testing::TempDir("import") / "notes.jpg";
  std::ofstream(notes) << "not an image";
  r = Import(sue, id, {notes});
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(ErrorOf(r), HasSubstr("no image could be imported"));
  EXPECT_THAT(ErrorOf(r), HasSubstr("notes.jpg"));
  r = sue.PostJson("/api/galleries/" + std::to_string(id) + "/import", json::object());
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(ErrorOf(r), HasSubstr("multipart/form-data"));
  EXPECT_EQ(store_->galleries()->FindGallery("custody")->records, 0);
  EXPECT_TRUE(AuditOf("gallery.import").empty());

  // A rejected image among good ones is listed; the rest go live.
  r = Import(sue, id, {Lfw(kDistractors[0], 1), notes, Lfw(kDistractors[1], 1)});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(BodyJson(r)["imported"], 2);
  ASSERT_EQ(BodyJson(r)["rejected"].size(), 1u);
  auto records = BodyJson(sue.Get("/api/galleries/" + std::to_string(id) + "/records"))["records"];
  ASSERT_EQ(records.size(), 2u);
  const std::string rec = std::to_string(records[0]["id"].get<int64_t>());
  r = sue.PostJson("/api/gallery-records/" + rec + "/removal", json::object());
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(ErrorOf(r), HasSubstr("reason"));
  r = sue.PostJson("/api/gallery-records/" + rec + "/removal", {{"reason", "NFA: retention review"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(BodyJson(r)["removed"], true);
  EXPECT_EQ(sue.PostJson("/api/gallery-records/" + rec + "/removal", {{"reason", "again"}})->status, 409);
  EXPECT_EQ(store_->galleries()->FindGallery("custody")->records, 1);
  auto del = sue.Delete("/api/galleries/" + std::to_string(id));
  ASSERT_EQ(del->status, 200) << del->body;
  EXPECT_TRUE(store_->galleries()->FindGallery("custody")->deleted);
  EXPECT_EQ(sue.Delete("/api/galleries/" + std::to_string(id))->status, 409);
  ApiClient ivy = Login("ivy");
  r = Search(ivy, ReadFileBytes(Lfw(kPairs[0].name, kPairs[0].probe)), "custody", "OP-1", "robbery");
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_TRUE(AuditOf("search.run").empty());
}

TEST_F(RetrospectiveApiTest, InvestigatorsSeeTheirOwnSearchesAndTwoReviewersDecideIndependently) {
  AddUser("ivan", Role::kInvestigator);
  ApiClient sue = Login("sue");
  ApiClient ivy = Login("ivy");
  ApiClient ivan = Login("ivan");
  ApiClient aud = Login("aud");
  CustodyGallery(sue, 1, "custody");
  CustodyGallery(sue, 2, "two-reviewers");
  const std::string probe = ReadFileBytes(Lfw(kPairs[0].name, kPairs[0].probe));
  auto r = Search(ivy, probe, "custody", "OP-1", "robbery");
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string own = std::to_string(BodyJson(r)["id"].get<int64_t>());
  // Another investigator: not their search.
  EXPECT_EQ(ivan.Get("/api/searches/" + own)->status, 403);
  EXPECT_EQ(ivan.Get("/api/searches/" + own + "/candidates/1/image")->status, 403);
  EXPECT_EQ(ivan.PostJson("/api/searches/" + own + "/candidates/1/review", {{"decision", "excluded"}})->status, 403);
  EXPECT_TRUE(BodyJson(ivan.Get("/api/searches"))["searches"].empty());
  // Supervisors and auditors read every search's record, but see no face images.
  EXPECT_EQ(aud.Get("/api/searches/" + own)->status, 200);
  EXPECT_EQ(BodyJson(sue.Get("/api/searches"))["searches"].size(), 1u);
  EXPECT_EQ(aud.Get("/api/searches/" + own + "/candidates/1/image")->status, 403);

  // A two-reviewer gallery: a second, different investigator reviews independently.
  r = Search(ivy, probe, "two-reviewers", "OP-2", "robbery");
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string two = std::to_string(BodyJson(r)["id"].get<int64_t>());
  r = ivy.PostJson("/api/searches/" + two + "/candidates/1/review", {{"decision", "possible"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(BodyJson(r)["outcome"], "pending review");
  EXPECT_EQ(ivy.PostJson("/api/searches/" + two + "/candidates/1/review", {{"decision", "possible"}})->status, 409);
  EXPECT_EQ(ivan.Get("/api/searches/" + two)->status, 200);
  EXPECT_EQ(BodyJson(ivan.Get("/api/searches"))["searches"].size(), 1u);
  r = ivan.PostJson("/api/searches/" + two + "/candidates/1/review", {{"decision", "possible"}, {"note", "agree"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(BodyJson(r)["outcome"], "possible match - intelligence only");
  EXPECT_EQ(BodyJson(r)["candidates"][0]["status"], "possible");
}

TEST_F(RetrospectiveApiTest, UserCreationAcceptsTheInvestigatorRole) {
  ApiClient admin = Login("admin");
  auto r = admin.PostJson("/api/users", {{"name", "dc-jones"}, {"role", "investigator"}, {"password", "another long password"}});
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(store_->GetUser("dc-jones")->role, Role::kInvestigator);
  r = admin.PostJson("/api/users", {{"name", "dc-smith"}, {"role", "detective"}, {"password", "another long password"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(ErrorOf(r), HasSubstr("investigator"));
}

}  // namespace
}  // namespace lfr::server
