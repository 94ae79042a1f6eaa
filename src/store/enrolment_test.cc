// Enrolment into the store on real faces: the stills of video/hamilton, a generated image
// with no face and one with two, a duplicate face under another reference, the cap, and
// forecast hubs refused unless accepted with a reason.
#include "store/enrolment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "testing/shared.h"
#include "testing/store_fixture.h"
#include "vision/image_io.h"

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
  m.image_source = "test still";
  return m;
}

class EnrolmentTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    det_ = FindModel("yunet-2022mar");
    rec_ = FindModel("mobilefacenet-arcface");
    stills_ = FindData("video/hamilton/watchlist_stills");
    if (!det_ || !rec_ || !stills_) LFR_MISSING_SHARED_("models and video/hamilton/watchlist_stills");
    auto d = CreateDetector(*det_);
    auto e = Embedder::Create(*rec_);
    ASSERT_TRUE(d.ok() && e.ok());
    analyzer_ = std::make_unique<FaceAnalyzer>(std::move(d).value(), std::move(e).value());
    threshold_ = rec_->spec->card.verify_threshold;
    ASSERT_GT(threshold_, 0.0f);
  }
  std::unique_ptr<WatchlistEnroller> Enroller(int64_t dep) {
    auto e = WatchlistEnroller::Create(store_.get(), dep, analyzer_.get(), threshold_, kCli);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(e).value() : nullptr;
  }
  fs::path Still(const char* name) { return *stills_ / name; }
  std::optional<InstalledModel> det_, rec_;
  std::optional<fs::path> stills_;
  std::unique_ptr<FaceAnalyzer> analyzer_;
  float threshold_ = 0;
};

TEST_F(EnrolmentTest, EnrolsOneFacePerImageAndKeepsASealedReencodedCopy) {
  const int64_t dep = NewDeployment("D");
  auto enroller = Enroller(dep);
  ASSERT_NE(enroller, nullptr);
  auto lin = enroller->Enrol(Still("lin-manuel-miranda.png"), Meta("LMM-1"));
  ASSERT_TRUE(lin.ok()) << lin.status().ToString();
  ASSERT_TRUE(lin->entry.has_value()) << lin->rejection;
  EXPECT_TRUE(lin->warnings.empty());
  EXPECT_EQ(lin->entry->reference, "LMM-1");
  EXPECT_EQ(lin->entry->deployment_id, dep);
  EXPECT_GT(lin->entry->quality, 0.0f);
  auto alex = enroller->Enrol(Still("alex-lacamoire.png"), Meta("AL-1"));
  ASSERT_TRUE(alex.ok());
  ASSERT_TRUE(alex->entry.has_value()) << alex->rejection;
  EXPECT_FALSE(alex->entry->duplicate_of.has_value());  // two different people

  auto image = store_->GetEntryImage(lin->entry->id, kCli);
  ASSERT_TRUE(image.ok());
  auto decoded = DecodeImage(std::string(image->view()), "stored image");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->size(), cv::Size(704, 612));  // under 1024 px: kept at its size
  EXPECT_EQ(image->data()[0], 0xFF);                // JPEG now, whatever the source was
  EXPECT_EQ(image->data()[1], 0xD8);
  auto embs = store_->LoadEmbeddings(dep, kCli);
  ASSERT_EQ(embs->size(), 2u);
  EXPECT_EQ((*embs)[0].embedding.size(), 128 * sizeof(float));
}

TEST_F(EnrolmentTest, RejectsImagesWithoutExactlyOneUsableFaceWithTheReason) {
  const int64_t dep = NewDeployment("D");
  auto enroller = Enroller(dep);
  ASSERT_NE(enroller, nullptr);
  const fs::path dir = TempDir("enrol-bad");
  cv::imwrite((dir / "blank.png").string(), cv::Mat(300, 300, CV_8UC3, cv::Scalar(90, 90, 90)));
  auto blank = enroller->Enrol(dir / "blank.png", Meta("B"));
  ASSERT_TRUE(blank.ok());
  EXPECT_FALSE(blank->entry.has_value());
  EXPECT_EQ(blank->rejection, "no face found");

  auto missing = enroller->Enrol(dir / "missing.jpg", Meta("M"));
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(missing->rejection, HasSubstr("missing.jpg"));

  // Both stills side by side: two faces of similar size.
  cv::Mat a = *ReadImage(Still("lin-manuel-miranda.png"));
  cv::Mat b = *ReadImage(Still("alex-lacamoire.png"));
  cv::resize(b, b, cv::Size(b.cols * a.rows / b.rows, a.rows));
  cv::Mat both;
  cv::hconcat(a, b, both);
  auto two = enroller->EnrolImage(both, Meta("T"));
  ASSERT_TRUE(two.ok());
  EXPECT_FALSE(two->entry.has_value());
  EXPECT_THAT(two->rejection, HasSubstr("2 faces found"));
  EXPECT_TRUE(store_->ListWatchlist(dep, true)->empty());
}

// The same photo under a second reference would raise two alerts for one face: refused
// unless confirmed; confirmed, it is stored and flagged.
TEST_F(EnrolmentTest, RefusesTheSamePhotoUnderAnotherReferenceUnlessConfirmed) {
  const int64_t dep = NewDeployment("D");
  auto enroller = Enroller(dep);
  ASSERT_NE(enroller, nullptr);
  auto first = enroller->Enrol(Still("lin-manuel-miranda.png"), Meta("LMM-1"));
  ASSERT_TRUE(first.ok() && first->entry.has_value());
  const std::string first_id = std::to_string(first->entry->id);
  auto again = enroller->Enrol(Still("lin-manuel-miranda.png"), Meta("LMM-2"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->entry.has_value());
  EXPECT_EQ(again->exact_duplicate_of, first->entry->id);
  EXPECT_THAT(again->rejection, HasSubstr("the same face as entry " + first_id +
                                          " (LMM-1) is already on this watchlist (similarity 1.000 >= 0.98)"));
  EXPECT_THAT(again->rejection, HasSubstr("two alerts for one person"));
  EXPECT_EQ(store_->ListWatchlist(dep, true)->size(), 1u) << "nothing stored";

  auto confirmed = enroller->Enrol(Still("lin-manuel-miranda.png"), Meta("LMM-2"), /*allow_duplicate=*/true);
  ASSERT_TRUE(confirmed.ok());
  ASSERT_TRUE(confirmed->entry.has_value()) << confirmed->rejection;
  EXPECT_EQ(confirmed->entry->duplicate_of, first->entry->id);
  EXPECT_GT(confirmed->entry->duplicate_score, kExactDuplicateSimilarity);
  ASSERT_EQ(confirmed->warnings.size(), 1u);
  EXPECT_THAT(confirmed->warnings[0], HasSubstr("confirmed duplicate of entry " + first_id + " (LMM-1)"));

  auto reused = enroller->Enrol(Still("alex-lacamoire.png"), Meta("LMM-1"));
  ASSERT_TRUE(reused.ok());
  EXPECT_FALSE(reused->entry.has_value());
  EXPECT_THAT(reused->rejection, HasSubstr("already on the watchlist"));
  // A fresh enroller sees the stored entries (loaded once, audited).
  auto later = Enroller(dep);
  auto third = later->Enrol(Still("lin-manuel-miranda.png"), Meta("LMM-3"));
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->entry.has_value());
  EXPECT_TRUE(third->exact_duplicate_of.has_value());
}

// Two different photos of one person are a possible duplicate: stored, with a warning.
TEST_F(EnrolmentTest, ADifferentPhotoOfTheSameFaceIsStoredWithAWarning) {
  LFR_REQUIRE_DATA(a, "lfw/images/Tony_Blair/Tony_Blair_0002.jpg");
  LFR_REQUIRE_DATA(b, "lfw/images/Tony_Blair/Tony_Blair_0003.jpg");
  const int64_t dep = NewDeployment("D");
  auto enroller = Enroller(dep);
  ASSERT_NE(enroller, nullptr);
  auto first = enroller->Enrol(a, Meta("TB-1"));
  ASSERT_TRUE(first.ok() && first->entry.has_value()) << (first.ok() ? first->rejection : "");
  auto second = enroller->Enrol(b, Meta("TB-2"));
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->entry.has_value()) << second->rejection;
  EXPECT_FALSE(second->exact_duplicate_of.has_value());
  EXPECT_EQ(second->entry->duplicate_of, first->entry->id);
  EXPECT_GT(second->entry->duplicate_score, threshold_);
  EXPECT_LT(second->entry->duplicate_score, kExactDuplicateSimilarity);
  ASSERT_EQ(second->warnings.size(), 1u);
  EXPECT_THAT(second->warnings[0], HasSubstr("possible duplicate of entry " + std::to_string(first->entry->id)));
}

TEST_F(EnrolmentTest, AFullOrClosedWatchlistStopsEnrolmentWithAStatus) {
  DeploymentSpec spec = Spec("Small");
  spec.watchlist_cap = 1;
  const int64_t dep = store_->CreateDeployment(spec, "mobilefacenet-arcface", kCli)->id;
  auto enroller = Enroller(dep);
  ASSERT_TRUE(enroller->Enrol(Still("lin-manuel-miranda.png"), Meta("A"))->entry.has_value());
  auto full = enroller->Enrol(Still("alex-lacamoire.png"), Meta("B"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), Status::Code::kFailedPrecondition);
  ASSERT_TRUE(store_->CloseDeployment(dep, kCli).ok());
  auto closed = WatchlistEnroller::Create(store_.get(), dep, analyzer_.get(), threshold_, kCli);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.status().code(), Status::Code::kFailedPrecondition);
}

// The hub check at enrolment (HubPolicy): an entry the background cohort's forecast flags as
// a hub is refused with the reason, enrolled only when accepted with a reason (kept in its
// quality notes and audited), an ordinary face passes with its forecast, and without a
// cohort the outcome says plainly that it was not checked. The cohort is made around one
// real photo's embedding, so that photo is a hub by construction (as a sideways or
// background crop is in real data).
TEST_F(EnrolmentTest, AHubIsRefusedUnlessAcceptedWithAReasonAndAnOrdinaryFacePasses) {
  // Lin-Manuel Miranda's embedding as enrolment stores it (via a scratch deployment).
  const int64_t scratch = NewDeployment("scratch");
  ASSERT_TRUE(Enroller(scratch)->Enrol(Still("lin-manuel-miranda.png"), Meta("scratch"))->entry.has_value());
  auto emb = store_->LoadEmbeddings(scratch, kCli);
  ASSERT_TRUE(emb.ok() && emb->size() == 1u);
  const auto* v = reinterpret_cast<const float*>((*emb)[0].embedding.data());
  const std::vector<float> lin(v, v + (*emb)[0].embedding.size() / sizeof(float));
  ASSERT_FALSE(lin.empty());
  auto cohort = BackgroundCohort::FromRows("mobilefacenet-arcface", "", static_cast<int>(lin.size()),
                                           StrangersAround(lin, 300, 3), {});
  ASSERT_TRUE(cohort.ok()) << cohort.status().message();
  // Save it where HubPolicyFor looks, as `lfr cohort build` would.
  const fs::path home = TempDir("hub-home");
  ASSERT_TRUE(cohort->Save(DefaultCohortPath(home, "mobilefacenet-arcface")).ok());

  const int64_t dep = NewDeployment("hubs");
  auto deployment = store_->GetDeployment(dep);
  ASSERT_TRUE(deployment.ok());
  HubPolicy policy = HubPolicyFor(*deployment, home);
  ASSERT_NE(policy.cohort, nullptr) << policy.missing;
  auto enroller = Enroller(dep);
  ASSERT_TRUE(enroller->SetHubPolicy(policy).ok());
  EXPECT_EQ(enroller->HubCheckMissing(), "");

  // An ordinary face: enrolled, with its forecast (checked, not a hub).
  auto alex = enroller->Enrol(Still("alex-lacamoire.png"), Meta("AL-1"));
  ASSERT_TRUE(alex.ok()) << alex.status().ToString();
  ASSERT_TRUE(alex->entry.has_value()) << alex->rejection;
  ASSERT_TRUE(alex->hub_check.has_value());
  EXPECT_TRUE(alex->hub_check->checked);
  EXPECT_FALSE(alex->hub_check->hub());
  EXPECT_EQ(alex->hub_check->forecast.cohort_size, 300);
  EXPECT_NEAR(alex->hub_check->forecast.threshold, 0.6f, 1e-6);

  // The photo every stranger leans towards: refused as a hub, with the reason; nothing stored.
  auto refused = enroller->Enrol(Still("lin-manuel-miranda.png"), Meta("LMM-1"));
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_FALSE(refused->entry.has_value());
  ASSERT_TRUE(refused->hub_check.has_value());
  EXPECT_TRUE(refused->hub_check->refused);
  EXPECT_TRUE(refused->hub_check->hub());
  EXPECT_THAT(refused->rejection, HasSubstr("would be a hub of the watchlist: close to many strangers at once"));
  EXPECT_EQ(store_->ListWatchlist(dep, true)->size(), 1u);

  // Accepted by the supervisor with a reason: stored, the reason in its notes, audited.
  auto accepted = enroller->Enrol(Still("lin-manuel-miranda.png"), Meta("LMM-1"), false,
                                  "the only photo of this person; custody image requested");
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  ASSERT_TRUE(accepted->entry.has_value()) << accepted->rejection;
  EXPECT_FALSE(accepted->hub_check->refused);
  EXPECT_EQ(accepted->hub_check->accepted_reason, "the only photo of this person; custody image requested");
  EXPECT_THAT(accepted->entry->quality_notes, HasSubstr("forecast hub accepted by"));
  EXPECT_THAT(accepted->entry->quality_notes, HasSubstr("custody image requested"));
  EXPECT_THAT(accepted->warnings[0], HasSubstr("accepted although a forecast hub"));
  AuditQuery q;
  q.action = "watchlist.accept_hub";
  auto rows = store_->ListAudit(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].target, "entry:" + std::to_string(accepted->entry->id));
  const auto details = nlohmann::json::parse((*rows)[0].details);
  EXPECT_EQ(details["reason"], "the only photo of this person; custody image requested");
  EXPECT_GT(details["hub_z"].get<double>(), 4.0);
  // A reason that is only blanks is no acceptance.
  auto blank = enroller->Enrol(Still("lin-manuel-miranda.png"), Meta("LMM-2"), true, "   ");
  ASSERT_TRUE(blank.ok());
  EXPECT_FALSE(blank->entry.has_value());
}

TEST_F(EnrolmentTest, WithoutACohortEntriesAreEnrolledAndTheOutcomeSaysTheyWereNotChecked) {
  const int64_t dep = NewDeployment("no-cohort");
  auto deployment = store_->GetDeployment(dep);
  ASSERT_TRUE(deployment.ok());
  HubPolicy policy = HubPolicyFor(*deployment, TempDir("empty-home"));
  EXPECT_EQ(policy.cohort, nullptr);
  EXPECT_THAT(policy.missing, HasSubstr("lfr cohort build"));
  auto enroller = Enroller(dep);
  EXPECT_EQ(enroller->HubCheckMissing(), "no hub check configured");
  ASSERT_TRUE(enroller->SetHubPolicy(policy).ok());
  EXPECT_THAT(enroller->HubCheckMissing(), HasSubstr("no background cohort"));
  auto out = enroller->Enrol(Still("alex-lacamoire.png"), Meta("AL-1"));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->entry.has_value()) << out->rejection;
  ASSERT_TRUE(out->hub_check.has_value());
  EXPECT_FALSE(out->hub_check->checked);
  EXPECT_THAT(out->hub_check->not_checked, HasSubstr("no background cohort"));
}

}  // namespace
}  // namespace lfr
