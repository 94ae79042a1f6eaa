// LFW / FairFace file parsing on hand-made text, and a real-data smoke test: a subset of
// LFW View 2 fold 1 through the live pipeline.
#include "eval/lfw.h"

#include <fstream>

#include <gtest/gtest.h>

#include "eval/extract.h"
#include "eval/metrics.h"
#include "testing/shared.h"

namespace lfr::eval {
namespace {

TEST(LfwPairsTest, ParsesMatedAndNonMated) {
  const std::string text =
      "2\t2\n"
      "Abel_Pacheco\t1\t4\nAkhmed_Zakayev\t1\t3\n"
      "Abdel_Madi_Shabneh\t1\tDean_Barker\t1\nAbdel_Madi_Shabneh\t1\tGiancarlo_Fisichella\t1\n"
      "A\t1\t2\nB\t3\t4\n"
      "C\t1\tD\t2\nE\t10\tF\t20\n";
  auto p = ParseLfwPairs(text, "pairs.txt");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->folds, 2);
  EXPECT_EQ(p->per_fold, 2);
  ASSERT_EQ(p->pairs.size(), 8u);
  EXPECT_TRUE(p->pairs[0].same);
  EXPECT_EQ(p->pairs[0].a.person, "Abel_Pacheco");
  EXPECT_EQ(p->pairs[0].b.number, 4);
  EXPECT_FALSE(p->pairs[2].same);
  EXPECT_EQ(p->pairs[2].b.person, "Dean_Barker");
  EXPECT_EQ(p->pairs[7].fold, 1);
  EXPECT_EQ(p->pairs[7].b.number, 20);
}

TEST(LfwPairsTest, RejectsMalformedLinesNamingThem) {
  auto bad_header = ParseLfwPairs("ten 300\n", "pairs.txt");
  EXPECT_FALSE(bad_header.ok());
  auto bad_line = ParseLfwPairs("1 1\nA 1 x\nB 1 C 2\n", "pairs.txt");
  ASSERT_FALSE(bad_line.ok());
  EXPECT_NE(bad_line.status().message().find("pairs.txt:2"), std::string::npos) << bad_line.status().message();
  auto short_file = ParseLfwPairs("1 2\nA 1 2\n", "pairs.txt");
  ASSERT_FALSE(short_file.ok());
  EXPECT_NE(short_file.status().message().find("ends"), std::string::npos);
}

TEST(LfwPathsTest, ImagePathIsZeroPadded) {
  EXPECT_EQ(LfwImagePath("/d/lfw", {"George_W_Bush", 10}).string(),
            "/d/lfw/images/George_W_Bush/George_W_Bush_0010.jpg");
}

TEST(LabelsTest, SexAndFairFaceCsv) {
  const auto dir = lfr::testing::TempDir("eval-labels");
  {
    std::ofstream(dir / "sex.csv") << "person,n_images,n_images_in_male_list,n_images_in_female_list,majority_label\n"
                                   << "AJ_Cook,1,0,1,F\nAJ_Lamas,1,1,0,M\nX_Y,1,1,1,unknown\n";
    std::ofstream(dir / "labels.csv") << "file,age,gender,race\nimages/1.jpg,20-29,Female,Black\n"
                                      << "images/2.jpg,40-49,Male,East Asian\n";
  }
  auto sex = LoadLfwSexLabels(dir / "sex.csv");
  ASSERT_TRUE(sex.ok()) << sex.status().ToString();
  EXPECT_EQ(sex->at("AJ_Cook"), "F");
  EXPECT_EQ(sex->at("AJ_Lamas"), "M");
  EXPECT_EQ(sex->at("X_Y"), "unknown");
  auto ff = LoadFairFace(dir);
  ASSERT_TRUE(ff.ok()) << ff.status().ToString();
  ASSERT_EQ(ff->size(), 2u);
  EXPECT_EQ((*ff)[1].group(), "East Asian Male");
  EXPECT_EQ((*ff)[0].path, dir / "images/1.jpg");
  EXPECT_EQ(LoadFairFace(dir / "missing").status().code(), Status::Code::kNotFound);
}

TEST(LfwDataTest, RealFilesParse) {
  LFR_REQUIRE_DATA(pairs_txt, "lfw/pairs.txt");
  auto pairs = LoadLfwPairs(pairs_txt);
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  EXPECT_EQ(pairs->folds, 10);
  EXPECT_EQ(pairs->per_fold, 300);
  EXPECT_EQ(pairs->pairs.size(), 6000u);
  auto people = ScanLfwPeople(pairs_txt.parent_path());
  ASSERT_TRUE(people.ok());
  size_t images = 0, multi = 0;
  for (const auto& p : *people) {
    images += p.images.size();
    multi += p.images.size() >= 2 ? 1 : 0;
  }
  EXPECT_EQ(people->size(), 5749u);
  EXPECT_EQ(images, 13233u);
  EXPECT_EQ(multi, 1680u);
}

// LFW fold 1: the first 25 mated and 25 non-mated pairs through detect -> align -> embed.
TEST(LfwSmokeTest, Fold1SubsetThroughThePipeline) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  LFR_REQUIRE_DATA(pairs_txt, "lfw/pairs.txt");
  auto pairs = LoadLfwPairs(pairs_txt);
  ASSERT_TRUE(pairs.ok());
  std::vector<LfwPair> subset;
  for (int k = 0; k < 25; ++k) subset.push_back(pairs->pairs[k]);
  for (int k = 0; k < 25; ++k) subset.push_back(pairs->pairs[300 + k]);
  std::vector<std::filesystem::path> paths;
  for (const auto& p : subset) {
    paths.push_back(LfwImagePath(pairs_txt.parent_path(), p.a));
    paths.push_back(LfwImagePath(pairs_txt.parent_path(), p.b));
  }
  ExtractOptions eo;  // no cache
  auto ex = FaceExtractor::Create(det, rec, eo);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  std::vector<ImageResult> r;
  ExtractStats st;
  ASSERT_TRUE((*ex)->Run(paths, "fold1", &r, &st).ok());
  EXPECT_LE(st.no_face, 2);
  std::vector<VerificationPair> vp;
  for (size_t i = 0; i < subset.size(); ++i) {
    VerificationPair v;
    v.fold = static_cast<int>(i % 2);  // two interleaved halves for a 2-fold check
    v.same = subset[i].same;
    const ImageResult& a = r[2 * i];
    const ImageResult& b = r[2 * i + 1];
    if (a.found && b.found) {
      double dot = 0;
      for (size_t d = 0; d < a.flip.size(); ++d) dot += a.flip[d] * b.flip[d];
      v.score = static_cast<float>(dot);
      EXPECT_NEAR(std::sqrt([&] { double n = 0; for (float x : a.flip) n += x * x; return n; }()), 1.0, 1e-4);
    }
    vp.push_back(v);
  }
  VerificationResult cv = CrossValidate(vp, 2);
  // The model reaches ~99.4 % on all of LFW; on 50 pairs anything below 94 % means the
  // pipeline (alignment, colour order, normalisation) is broken.
  EXPECT_GE(cv.mean_accuracy, 0.94);
}

}  // namespace
}  // namespace lfr::eval
