// Watchlist folders and enrolment: what is listed, what is enrolled, and the reason each
// rejected image gives. Enrolment tests use the real models and the Hamilton stills.
#include "match/watchlist.h"

#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "testing/shared.h"
#include "vision/image_io.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;

void WriteGrey(const fs::path& p, int w = 64, int h = 64) {
  ASSERT_TRUE(cv::imwrite(p.string(), cv::Mat(h, w, CV_8UC3, cv::Scalar(128, 128, 128))));
}

TEST(ListWatchlistDir, FilesAndFoldersBecomeSubjects) {
  const fs::path dir = lfr::testing::TempDir("wl-list");
  WriteGrey(dir / "Jane_Doe.jpg");
  fs::create_directories(dir / "John_Roe");
  WriteGrey(dir / "John_Roe" / "b.png");
  WriteGrey(dir / "John_Roe" / "a.jpg");
  fs::create_directories(dir / "Empty_Folder");
  std::ofstream(dir / "notes.txt") << "not an image";
  auto list = ListWatchlistDir(dir);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].first, "Jane_Doe");
  ASSERT_EQ((*list)[0].second.size(), 1u);
  EXPECT_EQ((*list)[1].first, "John_Roe");
  ASSERT_EQ((*list)[1].second.size(), 2u);
  EXPECT_EQ((*list)[1].second[0].filename(), "a.jpg");
}

TEST(ListWatchlistDir, MissingEmptyAndNonFolder) {
  auto missing = ListWatchlistDir("/no/such/watchlist");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("/no/such/watchlist"), std::string::npos);
  const fs::path empty = lfr::testing::TempDir("wl-empty");
  auto e = ListWatchlistDir(empty);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(e.status().message().find("no images"), std::string::npos);
  const fs::path file = empty / "x.jpg";
  WriteGrey(file);
  auto f = ListWatchlistDir(file);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Status::Code::kInvalidArgument);
}

// PickEnrolmentFace on made-up detections in a 400 x 400 image: which other faces make a
// photo ambiguous.
AnalyzedFace FaceAt(float x, float w, bool usable) {
  AnalyzedFace f;
  f.face.box = cv::Rect2f(x, 50, w, w * 1.2f);
  f.quality.passed = usable;
  if (!usable) f.quality.reasons = {"turned: yaw 70 deg (> 45)"};
  f.embedding = cv::Mat(1, 4, CV_32F, cv::Scalar(0.5f));
  return f;
}

TEST(PickEnrolmentFace, OtherFacesCountOnlyWhenUsableWhollyInTheImageAndOfComparableSize) {
  const cv::Size image(400, 400);
  std::string why;
  // The subject (index 0, central) and a usable face 0.4 of its width behind: enrolled.
  std::vector<AnalyzedFace> faces = {FaceAt(150, 100, true), FaceAt(10, 40, true)};
  EXPECT_EQ(PickEnrolmentFace(faces, 0, image, {}, &why), 0) << why;
  // The same face at 0.7 of the width: two people who could each be the one meant.
  faces[1] = FaceAt(10, 70, true);
  EXPECT_EQ(PickEnrolmentFace(faces, 0, image, {}, &why), -1);
  EXPECT_EQ(why, "2 faces found (need exactly one)");
  // As large as the subject but cut by the image's left edge: ignored.
  faces[1] = FaceAt(-20, 100, true);
  why.clear();
  EXPECT_EQ(PickEnrolmentFace(faces, 0, image, {}, &why), 0) << why;
  // ... or by the right edge.
  faces[1] = FaceAt(320, 100, true);
  EXPECT_EQ(PickEnrolmentFace(faces, 0, image, {}, &why), 0) << why;
  // As large as the subject, in the image, but failing the quality gate: ignored.
  faces[1] = FaceAt(10, 100, false);
  EXPECT_EQ(PickEnrolmentFace(faces, 0, image, {}, &why), 0) << why;
  // A stricter ratio counts the 0.4 face.
  faces[1] = FaceAt(10, 40, true);
  EnrolOptions strict;
  strict.ambiguous_face_ratio = 0.35f;
  EXPECT_EQ(PickEnrolmentFace(faces, 0, image, strict, &why), -1);
  EXPECT_EQ(why, "2 faces found (need exactly one)");
  // Three usable faces of a size: all counted.
  faces = {FaceAt(150, 100, true), FaceAt(10, 95, true), FaceAt(280, 90, true)};
  EXPECT_EQ(PickEnrolmentFace(faces, 0, image, {}, &why), -1);
  EXPECT_EQ(why, "3 faces found (need exactly one)");
  // The largest face is not the central one: refused.
  faces = {FaceAt(150, 40, true), FaceAt(10, 100, true)};
  EXPECT_EQ(PickEnrolmentFace(faces, 0, image, {}, &why), -1);
  EXPECT_EQ(why, "the face is not central in the image");
  // No face, or a subject that fails the gate.
  faces.clear();
  EXPECT_EQ(PickEnrolmentFace(faces, -1, image, {}, &why), -1);
  EXPECT_EQ(why, "no face found");
  faces = {FaceAt(150, 100, false)};
  EXPECT_EQ(PickEnrolmentFace(faces, 0, image, {}, &why), -1);
  EXPECT_NE(why.find("face fails the quality gate: turned"), std::string::npos) << why;
}

class EnrolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto det = lfr::testing::FindModel("yunet-2022mar");
    auto rec = lfr::testing::FindModel("mobilefacenet-arcface");
    auto stills = lfr::testing::FindData("video/hamilton/watchlist_stills");
    if (!det || !rec || !stills) LFR_MISSING_SHARED_("yunet-2022mar, mobilefacenet-arcface, video/hamilton");
    auto d = CreateDetector(*det);
    auto e = Embedder::Create(*rec);
    ASSERT_TRUE(d.ok() && e.ok());
    analyzer_ = std::make_unique<FaceAnalyzer>(std::move(d).value(), std::move(e).value());
    stills_ = *stills;
  }
  std::unique_ptr<FaceAnalyzer> analyzer_;
  fs::path stills_;
};

TEST_F(EnrolTest, EnrolsTheHamiltonStills) {
  auto list = ListWatchlistDir(stills_);
  ASSERT_TRUE(list.ok());
  Watchlist wl;
  auto r = EnrolImages(*list, *analyzer_, {}, &wl);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->subjects_enrolled, 2);
  EXPECT_EQ(r->images_enrolled, 2);
  EXPECT_TRUE(r->rejected.empty());
  ASSERT_EQ(wl.rows(), 2);
  EXPECT_EQ(wl.dim(), 128);
  EXPECT_EQ(wl.subject_name(0), "alex-lacamoire");
  // Different people: their enrolled embeddings are far apart.
  double dot = 0;
  for (int i = 0; i < 128; ++i) dot += double(wl.row(0)[i]) * wl.row(1)[i];
  EXPECT_LT(dot, 0.3);
}

TEST_F(EnrolTest, RejectsNoFaceSeveralFacesLowQualityAndUnreadableWithReasons) {
  const fs::path dir = lfr::testing::TempDir("wl-reject");
  auto lin = ReadImage(stills_ / "lin-manuel-miranda.png");
  auto alex = ReadImage(stills_ / "alex-lacamoire.png");
  ASSERT_TRUE(lin.ok() && alex.ok());
  // Two people side by side, same height.
  cv::Mat a, b, both;
  const int h = 400;
  cv::resize(*lin, a, cv::Size(lin->cols * h / lin->rows, h));
  cv::resize(*alex, b, cv::Size(alex->cols * h / alex->rows, h));
  cv::hconcat(a, b, both);
  ASSERT_TRUE(cv::imwrite((dir / "two.png").string(), both));
  // The same face so small its eyes are a few pixels apart.
  cv::Mat tiny;
  const double f = 70.0 / std::max(lin->cols, lin->rows);
  cv::resize(*lin, tiny, cv::Size(), f, f, cv::INTER_AREA);
  cv::Mat canvas(160, 160, CV_8UC3, cv::Scalar(90, 90, 90));
  tiny.copyTo(canvas(cv::Rect(40, 40, tiny.cols, tiny.rows)));
  ASSERT_TRUE(cv::imwrite((dir / "tiny.png").string(), canvas));
  WriteGrey(dir / "blank.png", 300, 300);
  std::ofstream(dir / "broken.jpg") << "not really a jpeg";

  std::vector<SubjectImages> subjects = {{"Two", {dir / "two.png"}},
                                         {"Tiny", {dir / "tiny.png"}},
                                         {"Blank", {dir / "blank.png"}},
                                         {"Broken", {dir / "broken.jpg"}},
                                         {"Lin", {stills_ / "lin-manuel-miranda.png"}}};
  Watchlist wl;
  int progress_calls = 0;
  auto r = EnrolImages(subjects, *analyzer_, {}, &wl, [&](int done, int total) {
    ++progress_calls;
    EXPECT_EQ(total, 5);
    EXPECT_EQ(done, progress_calls);
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(progress_calls, 5);
  EXPECT_EQ(r->subjects_enrolled, 1);
  EXPECT_EQ(wl.subjects(), 1);
  EXPECT_EQ(wl.subject_name(0), "Lin");
  ASSERT_EQ(r->rejected.size(), 4u);
  std::map<std::string, std::string> why;
  for (const auto& rej : r->rejected) why[rej.subject] = rej.reason;
  EXPECT_EQ(why["Two"], "2 faces found (need exactly one)");
  EXPECT_NE(why["Tiny"].find("quality gate"), std::string::npos) << why["Tiny"];
  EXPECT_NE(why["Tiny"].find("eyes"), std::string::npos) << why["Tiny"];
  EXPECT_EQ(why["Blank"], "no face found");
  EXPECT_NE(why["Broken"].find("broken.jpg"), std::string::npos) << why["Broken"];
}

// Real LFW press photos: a bystander cut off by the edge of LFW's crop, one who fails the
// quality gate, or one far smaller than the subject does not stop the enrolment (rules
// version 1 refused all of these as "2 faces found"); a second usable face in the picture
// of at least half the subject's width still does. Widths from YuNet, relative to the
// subject's.
TEST_F(EnrolTest, LfwPhotosWithBystandersEnrolTheCentralFace) {
  auto lfw = lfr::testing::FindData("lfw/images");
  if (!lfw) LFR_MISSING_SHARED_("lfw/images");
  auto image = [&](const std::string& name) { return *lfw / name / (name + "_0001.jpg"); };
  const std::vector<std::string> enrolled = {
      "Barbara_Walters",    // 0.74, cut by the left edge
      "Ralph_Klein",        // 0.96, cut by the edge
      "Susan_Sarandon",     // 0.99, fails the quality gate (turned 72 deg)
      "Jose_Sarney",        // 0.95, fails the quality gate (a box wider than tall)
      "Iain_Duncan_Smith",  // 0.46, behind
  };
  const std::vector<std::string> refused = {
      "Ali_Abbas",    // 0.98, usable and in the picture
      "Theresa_May",  // 0.61, usable and in the picture
  };
  std::vector<SubjectImages> subjects;
  for (const auto& name : enrolled) subjects.push_back({name, {image(name)}});
  for (const auto& name : refused) subjects.push_back({name, {image(name)}});
  Watchlist wl;
  auto r = EnrolImages(subjects, *analyzer_, {}, &wl);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::map<std::string, std::string> why;
  for (const auto& rej : r->rejected) why[rej.subject] = rej.reason;
  for (const auto& name : enrolled) EXPECT_GE(wl.FindSubject(name), 0) << name << ": " << why[name];
  for (const auto& name : refused) {
    EXPECT_EQ(wl.FindSubject(name), -1) << name;
    EXPECT_EQ(why[name], "2 faces found (need exactly one)") << name;
  }
  // Version 1's rule (every face of at least 0.35 of the width counted, usable or not, in the
  // picture or not) refused every one of them.
  std::vector<AnalyzedFace> faces;
  for (const auto& name : enrolled) {
    cv::Mat img = *ReadImage(image(name));
    int central = -1;
    ASSERT_TRUE(analyzer_->Analyze(img, {}, &faces, &central).ok());
    int counted = 0;
    float largest = 0;
    for (const auto& f : faces) largest = std::max(largest, f.face.box.width);
    for (const auto& f : faces) counted += f.face.box.width >= 0.35f * largest;
    EXPECT_GE(counted, 2) << name;
  }
}

}  // namespace
}  // namespace lfr
