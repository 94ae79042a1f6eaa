// What the console needs from the server beyond the JSON API, over real HTTP: the results
// report and the public notice are served styled under a strict CSP (their inline style is
// allowed by its SHA-256 hash, nothing else inline), and GET /api/system warns when the
// recogniser in use is licensed for research only.
#include <sodium.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/api.h"
#include "server/auth.h"
#include "server/server.h"
#include "testing/store_fixture.h"

namespace lfr::server {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using lfr::testing::kCli;

const char* kPassword = "a long test password";

std::string Sha256Base64(const std::string& text) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, d, sizeof d, sodium_base64_VARIANT_ORIGINAL);
  return b64;
}

// The text of the document's one <style> block.
std::string StyleBlock(const std::string& html) {
  const size_t b = html.find("<style>");
  const size_t e = html.find("</style>");
  if (b == std::string::npos || e == std::string::npos) return "";
  return html.substr(b + 7, e - b - 7);
}

class ConsolePagesTest : public lfr::testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    static const std::string hash = *HashPassword(kPassword);
    ASSERT_TRUE(store_->CreateUser("sue", Role::kSupervisor, hash, kCli).ok());
    ASSERT_TRUE(store_->CreateUser("admin", Role::kAdmin, hash, kCli).ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    StoreFixture::TearDown();
  }
  void Start(const std::string& recogniser) {
    ServerOptions o;
    o.port = 0;
    o.recogniser_id = recogniser;
    auto s = Server::Create({store_.get(), &clock_, nullptr, nullptr, nullptr}, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    ASSERT_TRUE(server_->Start().ok());
  }
  httplib::Client Http() const { return httplib::Client("127.0.0.1", server_->port()); }
  std::string Login(const std::string& user) {
    auto r = Http().Post("/api/login", json({{"username", user}, {"password", kPassword}}).dump(), "application/json");
    EXPECT_TRUE(r && r->status == 200);
    if (!r) return "";
    const std::string set = r->get_header_value("Set-Cookie");
    return set.substr(0, set.find(';'));
  }
  static void ExpectStyledUnderStrictCsp(const httplib::Result& r) {
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    ASSERT_EQ(r->get_header_value_count("Content-Security-Policy"), 1u);
    const std::string csp = r->get_header_value("Content-Security-Policy");
    const std::string style = StyleBlock(r->body);
    ASSERT_FALSE(style.empty()) << "the document has no <style> block";
    EXPECT_THAT(csp, HasSubstr("style-src 'sha256-" + Sha256Base64(style) + "'"));
    EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
    EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
    EXPECT_THAT(csp, Not(HasSubstr("script-src")));  // default-src 'none': no script at all
  }
  std::unique_ptr<Server> server_;
};

TEST_F(ConsolePagesTest, ReportAndNoticeAreStyledUnderAStrictCsp) {
  Start("mobilefacenet-arcface");
  const int64_t dep = ActiveDeployment("Styled");
  ASSERT_TRUE(store_->PublishNotice(dep, "LFR at the gates.", kCli).ok());
  const std::string cookie = Login("sue");
  auto report = Http().Get(("/api/deployments/" + std::to_string(dep) + "/report?format=html").c_str(),
                           httplib::Headers{{"Cookie", cookie}});
  ExpectStyledUnderStrictCsp(report);
  ExpectStyledUnderStrictCsp(Http().Get(("/public/deployments/" + std::to_string(dep) + "/notice").c_str()));
  // The console itself keeps its own policy: stylesheets from the server only.
  auto index = Http().Get("/");
  EXPECT_THAT(index->get_header_value("Content-Security-Policy"), HasSubstr("style-src 'self'"));
}

TEST(InlineStyleCspTest, HashesEveryStyleBlockAndAllowsNoInlineStyleWithoutOne) {
  const std::string two = "<style>a{}</style><p>x</p><style>b{}</style>";
  const std::string csp = InlineStyleCsp(two);
  EXPECT_THAT(csp, HasSubstr("'sha256-" + Sha256Base64("a{}") + "' 'sha256-" + Sha256Base64("b{}") + "'"));
  EXPECT_THAT(InlineStyleCsp("<p>no style</p>"), HasSubstr("style-src 'none'"));
}

TEST_F(ConsolePagesTest, SystemWarnsWhenTheRecogniserIsResearchOnly) {
  Start("mobilefacenet-arcface");  // research-only in the model catalogue
  EXPECT_EQ(Http().Get("/api/system")->status, 401);
  auto r = Http().Get("/api/system", httplib::Headers{{"Cookie", Login("admin")}});
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["recogniser"]["id"], "mobilefacenet-arcface");
  EXPECT_EQ(j["recogniser"]["licence"], "research-only");
  EXPECT_EQ(j["recogniser"]["research_only"], true);
  ASSERT_EQ(j["licence_warnings"].size(), 1u);  // admins do not read deployments
  EXPECT_THAT(j["licence_warnings"][0].get<std::string>(), HasSubstr("research or non-commercial use only"));
}

TEST_F(ConsolePagesTest, SystemWarnsAboutDeploymentsStillUsingAResearchOnlyRecogniser) {
  Start("sface-2021dec");  // Apache-2.0: no warning for new deployments
  const std::string cookie = Login("sue");
  json quiet = json::parse(Http().Get("/api/system", httplib::Headers{{"Cookie", cookie}})->body);
  EXPECT_EQ(quiet["recogniser"]["research_only"], false);
  EXPECT_TRUE(quiet["licence_warnings"].empty()) << quiet.dump();
  ActiveDeployment("Old model");  // created with mobilefacenet-arcface
  json loud = json::parse(Http().Get("/api/system", httplib::Headers{{"Cookie", cookie}})->body);
  ASSERT_EQ(loud["research_only_deployments"].size(), 1u);
  EXPECT_EQ(loud["research_only_deployments"][0]["name"], "Old model");
  ASSERT_EQ(loud["licence_warnings"].size(), 1u);
  EXPECT_THAT(loud["licence_warnings"][0].get<std::string>(), HasSubstr("Old model"));
}

TEST(ResearchOnlyLicenceTest, RecognisesResearchAndNonCommercialLicences) {
  EXPECT_TRUE(ResearchOnlyLicence("research-only"));
  EXPECT_TRUE(ResearchOnlyLicence("CC-BY-NC-4.0"));
  EXPECT_TRUE(ResearchOnlyLicence("Non-commercial research"));
  EXPECT_FALSE(ResearchOnlyLicence("MIT"));
  EXPECT_FALSE(ResearchOnlyLicence("Apache-2.0"));
}

}  // namespace
}  // namespace lfr::server
