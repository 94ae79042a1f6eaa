// A 512-d recogniser (EdgeFace-XS-q) end to end through the store: enrolment keeps its
// embeddings at the card's dimension, the deployment records 512, the watchlist loads and
// matches a new photo of the enrolled person, and a 128-d recogniser is refused for it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "match/matcher.h"
#include "store/alert_sink.h"
#include "store/enrolment.h"
#include "testing/shared.h"
#include "testing/store_fixture.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace lfr::testing;  // NOLINT: fixtures and builders

WatchlistEntry Meta(const std::string& reference) {
  WatchlistEntry m;
  m.reference = reference;
  m.display_name = "Name of " + reference;
  m.category = "wanted: theft";
  m.reason = "warrant";
  m.image_source = "test photo";
  return m;
}

std::unique_ptr<FaceAnalyzer> Analyzer(const InstalledModel& det, const InstalledModel& rec) {
  auto d = CreateDetector(det);
  auto e = Embedder::Create(rec);
  EXPECT_TRUE(d.ok() && e.ok());
  if (!d.ok() || !e.ok()) return nullptr;
  return std::make_unique<FaceAnalyzer>(std::move(d).value(), std::move(e).value());
}

class Enrolment512Test : public StoreFixture {};

TEST_F(Enrolment512Test, EdgeFaceEntriesAre512dAndMatchAnotherPhotoOfThePerson) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "edgeface-xs-q");
  LFR_REQUIRE_MODEL(small, "mobilefacenet-arcface");
  LFR_REQUIRE_DATA(lfw, "lfw/images");
  auto analyzer = Analyzer(det, rec);
  ASSERT_NE(analyzer, nullptr);
  ASSERT_EQ(analyzer->embedder().dim(), 512);

  const int64_t dep = NewDeployment("D512");
  auto enroller = WatchlistEnroller::Create(store_.get(), dep, analyzer.get(),
                                            rec.spec->card.verify_threshold, kCli);
  ASSERT_TRUE(enroller.ok()) << enroller.status().ToString();
  const std::pair<const char*, const char*> people[] = {
      {"Colin_Powell", "CP-1"}, {"Donald_Rumsfeld", "DR-1"}, {"George_W_Bush", "GWB-1"}};
  for (const auto& [person, ref] : people) {
    auto out = (*enroller)->Enrol(lfw / person / (std::string(person) + "_0001.jpg"), Meta(ref));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_TRUE(out->entry.has_value()) << person << ": " << out->rejection;
  }
  auto embs = store_->LoadEmbeddings(dep, kCli);
  ASSERT_TRUE(embs.ok());
  ASSERT_EQ(embs->size(), 3u);
  for (const auto& e : *embs) EXPECT_EQ(e.embedding.size(), 512 * sizeof(float));

  auto wl = LoadDeploymentWatchlist(*store_, dep, kCli);
  ASSERT_TRUE(wl.ok()) << wl.status().ToString();
  EXPECT_EQ(wl->watchlist.dim(), 512);
  // Another photo of Bush finds his entry first, above the card's threshold.
  std::vector<AnalyzedFace> faces;
  int central = -1;
  cv::Mat probe = cv::imread((lfw / "George_W_Bush" / "George_W_Bush_0002.jpg").string());
  ASSERT_TRUE(analyzer->Analyze(probe, {}, &faces, &central).ok());
  ASSERT_GE(central, 0);
  Matcher matcher(&wl->watchlist);
  std::vector<MatchHit> hits;
  matcher.Search(faces[central].embedding.ptr<float>(), 3, &hits);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(wl->watchlist.subject_name(hits[0].subject), "GWB-1");
  EXPECT_GT(hits[0].score, rec.spec->card.verify_threshold);
  EXPECT_LT(hits[1].score, rec.spec->card.verify_threshold);

  // The deployment now holds 512-d faces: a 128-d recogniser cannot add to it.
  auto small_analyzer = Analyzer(det, small);
  ASSERT_NE(small_analyzer, nullptr);
  auto mixed = WatchlistEnroller::Create(store_.get(), dep, small_analyzer.get(), 0.3f, kCli);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(mixed.status().message(), HasSubstr("512"));
}

}  // namespace
}  // namespace lfr
