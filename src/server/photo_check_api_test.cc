// POST /api/deployments/ID/watchlist/check over real HTTP with the real enrolment service:
// the verdict enrolment would reach, the quality measures and the aligned face a supervisor
// looks at before accepting a marginal photo (good, marginal, refused), and bad input
// (no image, not an image, no such deployment). Nothing is ever enrolled or stored.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sodium.h>

#include "models/store.h"
#include "server/runner.h"
#include "testing/api_fixture.h"
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

// The aligned face of a check: the data: URL decoded.
cv::Mat AlignedOf(const json& j) {
  const std::string url = j.value("aligned", "");
  const std::string prefix = "data:image/jpeg;base64,";
  if (url.rfind(prefix, 0) != 0) return {};
  const std::string b64 = url.substr(prefix.size());
  std::vector<unsigned char> bin(b64.size());
  size_t len = 0;
  if (sodium_base642bin(bin.data(), bin.size(), b64.data(), b64.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return {};
  }
  bin.resize(len);
  return cv::imdecode(bin, cv::IMREAD_COLOR);
}

class PhotoCheckApiTest : public lfr::testing::ApiFixture {
 protected:
  void SetUp() override {
    home_ = lfr::testing::HomeWithModels("photo-check", {"yunet-2022mar", "mobilefacenet-arcface"});
    stills_ = lfr::testing::FindData("video/hamilton/watchlist_stills");
    if (!home_ || !stills_) LFR_MISSING_SHARED_("models and video/hamilton/watchlist_stills");
    models_ = std::make_unique<ModelStore>(&lfr::testing::TestCatalog(), *home_ / "models", ModelMirrorDir());
    ApiFixture::SetUp();
  }
  void BeforeServer() override {
    enrolment_ = std::make_unique<StoreEnrolmentService>(store_.get(), models_.get(), "");
    enrolment_service_ = enrolment_.get();
  }
  void TearDown() override {
    server_.reset();
    ApiFixture::TearDown();
  }
  httplib::Result Check(const ApiClient& c, int64_t dep, const std::string& bytes, const std::string& name) {
    httplib::MultipartFormDataItems items = {{"image", bytes, name, "application/octet-stream"}};
    const std::string url = "/api/deployments/" + std::to_string(dep) + "/watchlist/check";
    return c.http->Post(url.c_str(), c.Headers(), items);
  }
  std::optional<fs::path> home_, stills_;
  std::unique_ptr<ModelStore> models_;
  std::unique_ptr<StoreEnrolmentService> enrolment_;
};

TEST_F(PhotoCheckApiTest, ShowsTheAlignedFaceAndSaysWhetherThePhotoIsGoodMarginalOrRefused) {
  ApiClient sue = Login("sue");
  const int64_t dep = NewDeployment("Theatre");
  const std::string photo = lfr::testing::ReadFileBytes(*stills_ / "lin-manuel-miranda.png");

  auto good = Check(sue, dep, photo, "lin-manuel-miranda.png");
  ASSERT_EQ(good->status, 200) << good->body;
  const json g = BodyJson(good);
  EXPECT_EQ(g["verdict"], "good") << g.dump();
  EXPECT_TRUE(g["marginal"].empty());
  EXPECT_FALSE(g.contains("rejection"));
  EXPECT_TRUE(g["quality"]["passed"].get<bool>());
  const cv::Mat aligned = AlignedOf(g);
  ASSERT_FALSE(aligned.empty());
  EXPECT_EQ(aligned.size(), cv::Size(112, 112));
  EXPECT_EQ(good->get_header_value("Cache-Control"), "no-store");

  // The same photo shrunk until the eyes are 20 px apart: usable, but small, so marginal.
  const double eyes = g["quality"]["inter_eye_px"].get<double>();
  ASSERT_GT(eyes, 40.0);
  cv::Mat img = cv::imdecode(std::vector<uchar>(photo.begin(), photo.end()), cv::IMREAD_COLOR);
  cv::Mat small;
  cv::resize(img, small, cv::Size(), 20.0 / eyes, 20.0 / eyes, cv::INTER_AREA);
  std::vector<uchar> png;
  ASSERT_TRUE(cv::imencode(".png", small, png));
  auto marginal = Check(sue, dep, std::string(png.begin(), png.end()), "small.png");
  ASSERT_EQ(marginal->status, 200) << marginal->body;
  const json m = BodyJson(marginal);
  EXPECT_EQ(m["verdict"], "marginal") << m.dump();
  EXPECT_THAT(m["marginal"].dump(), HasSubstr("small: eyes"));
  EXPECT_FALSE(AlignedOf(m).empty());

  // A photo of a face lying on its side whose landmarks cannot be one face: refused with
  // enrolment's reason, and the face it looked at is still shown.
  LFR_REQUIRE_DATA(ff, "fairface-dev/images");
  auto refused = Check(sue, dep, lfr::testing::ReadFileBytes(ff / "13364.jpg"), "13364.jpg");
  ASSERT_EQ(refused->status, 200) << refused->body;
  const json r = BodyJson(refused);
  EXPECT_EQ(r["verdict"], "refused");
  EXPECT_THAT(r["rejection"].get<std::string>(), HasSubstr("face fails the quality gate: implausible landmarks"));
  EXPECT_FALSE(r["quality"]["passed"].get<bool>());
  EXPECT_FALSE(AlignedOf(r).empty());

  // A picture without a face: refused, nothing to show.
  cv::Mat grey(200, 200, CV_8UC3, cv::Scalar(128, 128, 128));
  ASSERT_TRUE(cv::imencode(".png", grey, png));
  auto none = Check(sue, dep, std::string(png.begin(), png.end()), "grey.png");
  ASSERT_EQ(none->status, 200) << none->body;
  EXPECT_EQ(BodyJson(none)["rejection"], "no face found");
  EXPECT_FALSE(BodyJson(none).contains("aligned"));
  EXPECT_FALSE(BodyJson(none).contains("quality"));

  // Checking enrols nothing.
  EXPECT_TRUE(store_->ListWatchlist(dep, true)->empty());
}

TEST_F(PhotoCheckApiTest, BadInputGetsAClearRefusal) {
  ApiClient sue = Login("sue");
  const int64_t dep = NewDeployment("Bad input");
  auto text = Check(sue, dep, "this is not a picture", "notes.txt");
  EXPECT_EQ(text->status, 422) << text->body;
  EXPECT_THAT(ErrorOf(text), HasSubstr("the uploaded photo"));
  auto no_image = sue.http->Post(("/api/deployments/" + std::to_string(dep) + "/watchlist/check").c_str(),
                                 sue.Headers(), httplib::MultipartFormDataItems{{"reference", "x", "", ""}});
  EXPECT_EQ(no_image->status, 400) << no_image->body;
  EXPECT_THAT(ErrorOf(no_image), HasSubstr("field 'image'"));
  auto nowhere = Check(sue, 999999, lfr::testing::ReadFileBytes(*stills_ / "alex-lacamoire.png"), "alex.png");
  EXPECT_EQ(nowhere->status, 404) << nowhere->body;
  ApiClient olly = Login("olly");
  auto op = Check(olly, dep, lfr::testing::ReadFileBytes(*stills_ / "alex-lacamoire.png"), "alex.png");
  EXPECT_EQ(op->status, 403) << op->body;
  EXPECT_TRUE(store_->ListWatchlist(dep, true)->empty());
}

}  // namespace
}  // namespace lfr::server
