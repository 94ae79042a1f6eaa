#include "vision/analyzer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;

// Builds the analyser from the two shared models; nullptr (with a skip or failure
// recorded by the caller's macro) if they are missing.
std::unique_ptr<FaceAnalyzer> MakeAnalyzer(const InstalledModel& det,
                                           const InstalledModel& rec) {
  auto d = CreateDetector(det);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  auto e = Embedder::Create(rec);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  if (!d.ok() || !e.ok()) return nullptr;
  return std::make_unique<FaceAnalyzer>(std::move(d).value(), std::move(e).value());
}

// The central face's flip-averaged embedding of an image; empty if no face was found.
cv::Mat CentralEmbedding(FaceAnalyzer* a, const fs::path& path) {
  cv::Mat img = cv::imread(path.string(), cv::IMREAD_COLOR);
  EXPECT_FALSE(img.empty()) << "cannot read " << path;
  if (img.empty()) return {};
  std::vector<AnalyzedFace> faces;
  int central = -1;
  Status s = a->Analyze(img, AnalyzeOptions{}, &faces, &central);
  EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
  if (!s.ok() || central < 0) return {};
  return faces[central].embedding;
}

TEST(AnalyzerTest, BlankImageHasNoFaceAndBadImageIsRejected) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  auto a = MakeAnalyzer(det, rec);
  ASSERT_NE(a, nullptr);
  std::vector<AnalyzedFace> faces(2);  // stale entries are dropped
  int central = 7;
  ASSERT_TRUE(a->Analyze(cv::Mat(240, 320, CV_8UC3, cv::Scalar::all(127)), {}, &faces,
                         &central)
                  .ok());
  EXPECT_TRUE(faces.empty());
  EXPECT_EQ(central, -1);
  EXPECT_EQ(a->Analyze(cv::Mat(), {}, &faces, &central).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(a->Analyze(cv::Mat(240, 320, CV_8UC1, cv::Scalar(0)), {}, &faces, &central).code(),
            Status::Code::kInvalidArgument);
}

TEST(AnalyzerTest, FromStoreWithoutInstalledModelsIsNotFound) {
  ModelStore empty(&lfr::testing::TestCatalog(), lfr::testing::TempDir("analyzer-store"),
                   std::nullopt);
  auto a = FaceAnalyzer::FromStore(empty);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Status::Code::kNotFound) << a.status().ToString();
}

TEST(AnalyzerTest, EmbedsCentralOrAllFacesAsAsked) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  LFR_REQUIRE_DATA(stills, "video/hamilton/watchlist_stills");
  auto a = MakeAnalyzer(det, rec);
  ASSERT_NE(a, nullptr);
  // Two people side by side in one frame.
  cv::Mat l = cv::imread((stills / "lin-manuel-miranda.png").string(), cv::IMREAD_COLOR);
  cv::Mat r = cv::imread((stills / "alex-lacamoire.png").string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(l.empty());
  ASSERT_FALSE(r.empty());
  const int h = 360;
  cv::resize(l, l, cv::Size(l.cols * h / l.rows, h));
  cv::resize(r, r, cv::Size(r.cols * h / r.rows, h));
  cv::Mat both;
  cv::hconcat(l, r, both);

  std::vector<AnalyzedFace> faces;
  int central = -1;
  AnalyzeOptions central_only;
  ASSERT_TRUE(a->Analyze(both, central_only, &faces, &central).ok());
  ASSERT_GE(faces.size(), 2u);
  ASSERT_GE(central, 0);
  for (size_t i = 0; i < faces.size(); ++i) {
    EXPECT_EQ(faces[i].aligned.size(), a->embedder().input_size());
    EXPECT_EQ(faces[i].embedding.empty(), static_cast<int>(i) != central) << "face " << i;
    EXPECT_GT(faces[i].quality.inter_eye_px, 0.0f);
  }

  AnalyzeOptions all;
  all.embed_all = true;
  ASSERT_TRUE(a->Analyze(both, all, &faces, &central).ok());
  for (const auto& f : faces) {
    ASSERT_EQ(f.embedding.cols, 128);
    EXPECT_NEAR(cv::norm(f.embedding), 1.0, 1e-4);
  }

  AnalyzeOptions none;
  none.embed = false;
  ASSERT_TRUE(a->Analyze(both, none, &faces, &central).ok());
  for (const auto& f : faces) EXPECT_TRUE(f.embedding.empty());
}

TEST(AnalyzerTest, HamiltonWatchlistStillsAreDifferentPeople) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  LFR_REQUIRE_DATA(stills, "video/hamilton/watchlist_stills");
  auto a = MakeAnalyzer(det, rec);
  ASSERT_NE(a, nullptr);
  cv::Mat lin = CentralEmbedding(a.get(), stills / "lin-manuel-miranda.png");
  cv::Mat alex = CentralEmbedding(a.get(), stills / "alex-lacamoire.png");
  ASSERT_FALSE(lin.empty()) << "no face in the Lin-Manuel Miranda still";
  ASSERT_FALSE(alex.empty()) << "no face in the Alex Lacamoire still";
  const float sim = CosineSimilarity(lin.ptr<float>(), alex.ptr<float>(), lin.cols);
  std::printf("[ hamilton ] cosine(lin-manuel-miranda, alex-lacamoire) = %.3f\n", sim);
  EXPECT_LT(sim, 0.3f);
}

struct Pair {
  fs::path a, b;
  bool mated = false;
};

fs::path LfwImage(const fs::path& root, const std::string& name, int n) {
  std::ostringstream file;
  file << name << "_" << std::setw(4) << std::setfill('0') << n << ".jpg";
  return root / "images" / name / file.str();
}

// The first fold of LFW View 2 pairs.txt: header "<folds> <n>", then per fold n mated
// lines "name n1 n2" and n non-mated lines "name1 n1 name2 n2".
std::vector<Pair> ReadFirstFold(const fs::path& pairs_txt) {
  std::ifstream in(pairs_txt);
  int folds = 0, n = 0;
  in >> folds >> n;
  EXPECT_GT(folds, 0);
  EXPECT_GT(n, 0);
  std::string line;
  std::getline(in, line);  // rest of the header line
  const fs::path root = pairs_txt.parent_path();
  std::vector<Pair> pairs;
  for (int i = 0; i < 2 * n && std::getline(in, line); ++i) {
    std::istringstream ls(line);
    std::string name1, name2;
    int n1 = 0, n2 = 0;
    Pair p;
    if (i < n) {
      ls >> name1 >> n1 >> n2;
      p = {LfwImage(root, name1, n1), LfwImage(root, name1, n2), true};
    } else {
      ls >> name1 >> n1 >> name2 >> n2;
      p = {LfwImage(root, name1, n1), LfwImage(root, name2, n2), false};
    }
    EXPECT_FALSE(ls.fail()) << "bad pairs.txt line " << i + 2 << ": " << line;
    pairs.push_back(p);
  }
  EXPECT_EQ(pairs.size(), static_cast<size_t>(2 * n));
  return pairs;
}

TEST(AnalyzerTest, LfwFirstFoldVerification) {
  LFR_REQUIRE_MODEL(det, "yunet-2022mar");
  LFR_REQUIRE_MODEL(rec, "mobilefacenet-arcface");
  LFR_REQUIRE_DATA(pairs_txt, "lfw/pairs.txt");
  auto a = MakeAnalyzer(det, rec);
  ASSERT_NE(a, nullptr);
  const std::vector<Pair> pairs = ReadFirstFold(pairs_txt);
  ASSERT_EQ(pairs.size(), 600u);

  std::map<fs::path, cv::Mat> cache;
  int no_face = 0;
  const auto embedding = [&](const fs::path& p) -> const cv::Mat& {
    auto it = cache.find(p);
    if (it == cache.end()) {
      it = cache.emplace(p, CentralEmbedding(a.get(), p)).first;
      if (it->second.empty()) ++no_face;
    }
    return it->second;
  };

  // (similarity, mated). A pair with an undetected face scores -1: it counts against
  // mated pairs, as an operational system would fail to verify it.
  std::vector<std::pair<float, bool>> scored;
  double mated_sum = 0, non_sum = 0;
  int mated_n = 0, non_n = 0;
  for (const Pair& p : pairs) {
    const cv::Mat& ea = embedding(p.a);
    const cv::Mat& eb = embedding(p.b);
    const float sim = ea.empty() || eb.empty()
                          ? -1.0f
                          : CosineSimilarity(ea.ptr<float>(), eb.ptr<float>(), ea.cols);
    scored.emplace_back(sim, p.mated);
    (p.mated ? mated_sum : non_sum) += sim;
    ++(p.mated ? mated_n : non_n);
  }
  const double mated_mean = mated_sum / mated_n, non_mean = non_sum / non_n;

  // Best threshold on this fold: sweep every midpoint between consecutive scores.
  std::sort(scored.begin(), scored.end());
  // Threshold below everything: all pairs called mated.
  int correct = mated_n;
  int best_correct = correct;
  float best_threshold = scored.front().first - 1e-3f;
  for (size_t i = 0; i < scored.size(); ++i) {
    // Raise the threshold past scored[i]: it is now called non-mated.
    correct += scored[i].second ? -1 : 1;
    if (i + 1 < scored.size() && scored[i + 1].first == scored[i].first) continue;
    if (correct > best_correct) {
      best_correct = correct;
      best_threshold = i + 1 < scored.size()
                           ? 0.5f * (scored[i].first + scored[i + 1].first)
                           : scored[i].first + 1e-3f;
    }
  }
  const double accuracy = static_cast<double>(best_correct) / scored.size();
  std::printf(
      "[ lfw fold 1 ] %zu pairs, %zu images (%d without a face): mean cosine mated %.3f, "
      "non-mated %.3f; best-threshold accuracy %.2f %% at cosine %.3f\n",
      scored.size(), cache.size(), no_face, mated_mean, non_mean, 100.0 * accuracy,
      best_threshold);
  EXPECT_GT(mated_mean, non_mean + 0.4);
  EXPECT_GE(accuracy, 0.97);
}

}  // namespace
}  // namespace lfr
