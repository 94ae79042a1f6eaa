// Every input has a limit, over real HTTP: photos declaring more pixels than the limit are
// refused from their header with 422 before anything decodes them; free-text fields are
// bounded and cleaned (no NUL or other control characters, no bidi overrides, valid UTF-8)
// with a 400 that names the field.
#include <tuple>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/auth.h"
#include "server/server.h"
#include "testing/images.h"
#include "testing/api_fixture.h"
#include "vision/image_io.h"

namespace lfr::server {
namespace {
using ::testing::HasSubstr;
using json = nlohmann::json;
using lfr::testing::kCli;

// Counts the photos handed to enrolment; enrols nothing.
class CountingEnrolment : public EnrolmentService {
 public:
  Result<Outcome> Enrol(const WatchlistEntry&, const std::string&, const Actor&, bool,
                        const std::string&) override {
    ++calls;
    Outcome o;
    o.rejection = "no face found";
    return o;
  }
  int calls = 0;
};

class InputLimitsTest : public lfr::testing::ApiFixture {
 protected:
  void SetUp() override {
    enrolment_service_ = &enrolment_;
    ApiFixture::SetUp();
    sue_ = Login("sue");
  }
  httplib::Result Upload(int64_t dep, const std::string& image, const std::string& filename,
                         const std::string& field = "", const std::string& value = "") {
    httplib::MultipartFormDataItems items = {{"image", image, filename, "image/png"}};
    for (const auto& [name, dflt] : {std::pair<std::string, std::string>{"reference", "PNC-77"},
                                     {"name", "Test Person"},
                                     {"category", "wanted: theft"},
                                     {"reason", "warrant"},
                                     {"image_source", "custody 2024"}}) {
      items.push_back({name, name == field ? value : dflt, "", ""});
    }
    const std::string url = "/api/deployments/" + std::to_string(dep) + "/watchlist";
    return sue_.http->Post(url.c_str(), sue_.Headers(), items);
  }
  httplib::Result PostJson(const std::string& path, const json& body) { return sue_.PostJson(path, body); }
  static std::string Error(const httplib::Result& r) { return lfr::testing::ErrorOf(r); }

  CountingEnrolment enrolment_;
  lfr::testing::ApiClient sue_;
};

// A 20000x20000 PNG or JPEG of a few hundred bytes: 422 naming the size and the limit,
// never handed to enrolment or the decoder.
TEST_F(InputLimitsTest, PhotosAboveThePixelLimitAre422WithoutDecoding) {
  const int64_t dep = NewDeployment("limits");
  const uint64_t decodes = ImageDecodeCount();
  for (const auto& [name, bytes] :
       {std::pair<std::string, std::string>{"giant.png", lfr::testing::PngDeclaring(20000, 20000)},
        {"giant.jpg", lfr::testing::JpegDeclaring(20000, 20000)}}) {
    auto r = Upload(dep, bytes, name);
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->status, 422) << name << ": " << r->body;
    EXPECT_THAT(Error(r), HasSubstr("the uploaded photo: image of 20000x20000 pixels (400.0 megapixels) "
                                    "is above the limit of 40.0 megapixels"));
  }
  EXPECT_EQ(enrolment_.calls, 0);
  EXPECT_EQ(ImageDecodeCount(), decodes);
  // A photo within the limit reaches enrolment (which finds no face here).
  auto small = Upload(dep, lfr::testing::PngDeclaring(16, 16), "small.png");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 422) << small->body;
  EXPECT_THAT(Error(small), HasSubstr("no face found"));
  EXPECT_EQ(enrolment_.calls, 1);
  EXPECT_TRUE(store_->ListWatchlist(dep, true)->empty());
}

// Free text, over real HTTP: every kind of field (JSON and multipart, one-line and
// multi-line) refuses oversize text, NUL, other control characters, bidi overrides and
// invalid UTF-8 with 400 naming the field, and stores nothing.
TEST_F(InputLimitsTest, FreeTextIsBoundedAndCleanedWith400NamingTheField) {
  const std::string huge(200000, 'A');
  const std::string nul("Jane\0Doe", 8);
  const std::string bidi = "Jane \u202Eeod";  // displays as "Jane doe" reversed
  const std::string isolate = "Jane \u2066x\u2069";
  const std::string bad_utf8 = "Bj\xF6rn";

  // Deployments (JSON): a one-line and a multi-line field.
  for (const auto& [field, value, expect] :
       {std::tuple<std::string, std::string, std::string>{"name", huge, "longer than 200 characters"},
        {"name", nul, "contains a control character (U+0000)"},
        {"name", "two\nlines", "contains a control character (U+000A)"},
        {"location", bidi, "contains a bidirectional override or isolate character (U+202E)"},
        {"site", isolate, "contains a bidirectional override or isolate character (U+2066)"},
        {"purpose", huge, "longer than 4000 characters"},
        {"purpose", nul, "contains a control character (U+0000)"}}) {
    json body = {{"name", "Op"}, {"site", "Cardiff"}, {"location", "Queen Street"},
                 {"start", "2026-12-05T10:00:00Z"}, {"end", "2026-12-05T18:00:00Z"},
                 {"purpose", "Find wanted people\nin the city centre"}, {"legal_basis", "Common law"},
                 {"authorising_officer", "Supt. A. Jones"}, {"threshold", "0.6"}};
    body[field] = value;
    auto r = PostJson("/api/deployments", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << field << ": " << r->body.substr(0, 200);
    EXPECT_THAT(Error(r), HasSubstr("field '" + field + "': " + expect));
  }
  EXPECT_TRUE(store_->ListDeployments()->empty()) << "nothing stored";

  // The notice text (multi-line, 20000) and a camera's position.
  const int64_t dep = NewDeployment("limits");
  const std::string base = "/api/deployments/" + std::to_string(dep);
  auto notice = PostJson(base + "/notice", {{"text", std::string(20001, 'n')}});
  EXPECT_EQ(notice->status, 400);
  EXPECT_EQ(Error(notice), "field 'text': longer than 20000 characters");
  auto notice_nul = PostJson(base + "/notice", {{"text", std::string("Cameras in use.\nAsk") + '\0' + " us."}});
  EXPECT_EQ(notice_nul->status, 400);
  EXPECT_THAT(Error(notice_nul), HasSubstr("field 'text': contains a control character (U+0000)"));
  auto camera = PostJson(base + "/cameras", {{"name", "gate-b"}, {"uri", "rtsp://cam/b"}, {"position", bidi}});
  EXPECT_EQ(camera->status, 400);
  EXPECT_THAT(Error(camera), HasSubstr("field 'position': contains a bidirectional override"));

  // Watchlist uploads (multipart: the fields arrive as raw bytes, invalid UTF-8 included).
  const std::string photo = lfr::testing::PngDeclaring(16, 16);
  for (const auto& [field, value, expect] :
       {std::tuple<std::string, std::string, std::string>{"name", huge, "longer than 200 characters"},
        {"name", bad_utf8, "not valid UTF-8 (at byte 3)"},
        {"reference", nul, "contains a control character (U+0000)"},
        {"reason", huge, "longer than 2000 characters"},
        {"category", bidi, "contains a bidirectional override"},
        {"image_source", "custody\x1b[2J", "contains a control character (U+001B)"}}) {
    auto r = Upload(dep, photo, "p.png", field, value);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << field << ": " << r->body.substr(0, 200);
    EXPECT_THAT(Error(r), HasSubstr("field '" + field + "': " + expect));
  }
  EXPECT_EQ(enrolment_.calls, 0) << "refused before enrolment";

  // A decision note (an operator on an active deployment).
  const int64_t active = ActiveDeployment("live");
  auto entries = store_->ListWatchlist(active, false);
  auto alert = store_->RecordAlert(lfr::testing::AlertFor(active, (*entries)[0].id), lfr::testing::kSystem);
  ASSERT_TRUE(alert.ok()) << alert.status().ToString();
  const lfr::testing::ApiClient olly = Login("olly");
  const std::string url = "/api/alerts/" + std::to_string(alert->id) + "/decision";
  for (const auto& [note, expect] : {std::pair<std::string, std::string>{huge, "longer than 2000 characters"},
                                     {nul, "contains a control character (U+0000)"},
                                     {bidi, "contains a bidirectional override"}}) {
    auto r = olly.PostJson(url, {{"state", "false"}, {"note", note}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body.substr(0, 200);
    EXPECT_THAT(Error(r), HasSubstr("field 'note': " + expect));
  }
  EXPECT_EQ(store_->GetAlert(alert->id)->state, AlertState::kPending) << "no decision stored";
  // Ordinary multi-line text with tabs and accents is fine.
  auto ok = olly.PostJson(url, {{"state", "false"}, {"note", "Not him:\n\tZoë checked the tattoo"}});
  EXPECT_EQ(ok->status, 200) << ok->body;
}

}  // namespace
}  // namespace lfr::server
