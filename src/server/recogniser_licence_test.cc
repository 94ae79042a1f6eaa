// The EdgeFace recognisers' weights are CC BY-NC-SA 4.0: the product must warn for them as
// for every research-only recogniser (GET /api/system, over real HTTP), and every
// recogniser in the catalogue whose licence note says non-commercial must be flagged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "models/catalog.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/server.h"
#include "testing/store_fixture.h"

namespace lfr::server {
namespace {
using ::testing::HasSubstr;
using json = nlohmann::json;
using lfr::testing::kCli;

TEST(RecogniserLicenceTest, EveryNonCommercialCatalogueEntryIsFlaggedResearchOnly) {
  auto catalog = Catalog::Load();
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  int flagged = 0;
  for (const auto& m : catalog->models()) {
    const bool says_nc = m.licence_note.find("non-commercial") != std::string::npos;
    if (says_nc) {
      EXPECT_TRUE(ResearchOnlyLicence(m.licence)) << m.id << " (" << m.licence << ")";
      ++flagged;
    }
  }
  EXPECT_TRUE(ResearchOnlyLicence(catalog->Find("edgeface-xs-q")->licence));
  EXPECT_TRUE(ResearchOnlyLicence(catalog->Find("edgeface-xxs-q")->licence));
  EXPECT_GE(flagged, 3);
}

class RecogniserLicenceApiTest : public lfr::testing::StoreFixture {
 protected:
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    StoreFixture::TearDown();
  }
  std::unique_ptr<Server> server_;
};

TEST_F(RecogniserLicenceApiTest, SystemWarnsWhenTheRecogniserIsEdgeFace) {
  static const std::string hash = *HashPassword("a long test password");
  ASSERT_TRUE(store_->CreateUser("admin", Role::kAdmin, hash, kCli).ok());
  ServerOptions o;
  o.port = 0;
  o.recogniser_id = "edgeface-xs-q";
  auto s = Server::Create({store_.get(), &clock_, nullptr, nullptr, nullptr}, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  server_ = std::move(s).value();
  ASSERT_TRUE(server_->Start().ok());
  httplib::Client http("127.0.0.1", server_->port());
  auto login = http.Post("/api/login", json({{"username", "admin"}, {"password", "a long test password"}}).dump(),
                         "application/json");
  ASSERT_TRUE(login && login->status == 200);
  const std::string set = login->get_header_value("Set-Cookie");
  auto r = http.Get("/api/system", httplib::Headers{{"Cookie", set.substr(0, set.find(';'))}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["recogniser"]["id"], "edgeface-xs-q");
  EXPECT_EQ(j["recogniser"]["licence"], "CC-BY-NC-SA-4.0");
  EXPECT_EQ(j["recogniser"]["research_only"], true);
  EXPECT_THAT(j["recogniser"]["licence_note"].get<std::string>(), HasSubstr("never an operational deployment"));
  ASSERT_EQ(j["licence_warnings"].size(), 1u);
  EXPECT_THAT(j["licence_warnings"][0].get<std::string>(), HasSubstr("research or non-commercial use only"));
}

}  // namespace
}  // namespace lfr::server
