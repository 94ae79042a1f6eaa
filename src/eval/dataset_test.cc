// Evaluation data sets (eval/dataset.h): the folder and CSV layouts on small real data sets
// built from the shared LFW and FairFace images, every bad input with its message and kind,
// the verification pairs, the built-in LFW + FairFace set written and read back, and the
// identification protocol's differentials by a data set's own columns.
#include "eval/dataset.h"

#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/lfw.h"
#include "testing/shared.h"

namespace lfr::eval {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// A placeholder image file (the loaders never open images).
fs::path Touch(const fs::path& p) {
  Write(p, "not really a jpeg");
  return p;
}

void Link(const fs::path& src, const fs::path& dst) {
  fs::create_directories(dst.parent_path());
  fs::create_symlink(src, dst);
}

// Six LFW people with all their images (2 to 11) and six with one, as identity folders.
struct LfwSubset {
  fs::path lfw_images;
  std::vector<std::pair<std::string, int>> people;  // name, images
};
std::vector<std::pair<std::string, int>> SubsetPeople() {
  return {{"Abel_Pacheco", 4}, {"Akhmed_Zakayev", 3}, {"Amber_Tamblyn", 2}, {"Anders_Fogh_Rasmussen", 4},
          {"Angela_Bassett", 6}, {"Ann_Veneman", 11}, {"AJ_Cook", 1}, {"AJ_Lamas", 1},
          {"Aaron_Eckhart", 1}, {"Aaron_Guiel", 1}, {"Aaron_Patterson", 1}, {"Aaron_Peirsol", 1}};
}

TEST(DatasetTest, FolderLayoutFromLfwImages) {
  LFR_REQUIRE_DATA(lfw, "lfw/images");
  const fs::path root = lfr::testing::TempDir("dataset-folder");
  const fs::path data = root / "people";
  for (const auto& [name, n] : SubsetPeople()) {
    for (int i = 1; i <= n; ++i) {
      const fs::path src = lfr::testing::LfwImage(lfw, name, i);
      Link(src, data / name / src.filename());
    }
  }
  Write(data / "Ann_Veneman" / "notes.txt", "not an image");      // ignored
  Link(lfr::testing::LfwImage(lfw, "AJ_Cook", 1), data / "AJ_Lamas" / "deeper" / "x.jpg");  // ignored
  DatasetError kind = DatasetError::kMissingFile;
  auto d = LoadDataset(data, &kind);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(kind, DatasetError::kNone);
  EXPECT_EQ(d->layout, "folder");
  ASSERT_EQ(d->identities.size(), 12u);
  EXPECT_EQ(d->identities[0].name, "AJ_Cook");  // sorted by name
  EXPECT_EQ(d->identity_images(), 4 + 3 + 2 + 4 + 6 + 11 + 6);
  for (const auto& id : d->identities) {
    if (id.name != "Ann_Veneman") continue;
    ASSERT_EQ(id.images.size(), 11u);
    EXPECT_EQ(id.images[0].path.filename(), "Ann_Veneman_0001.jpg");  // by file name
    EXPECT_EQ(id.images[10].path.filename(), "Ann_Veneman_0011.jpg");
    EXPECT_TRUE(id.images[0].path.is_absolute());
  }
  EXPECT_TRUE(d->columns.empty());
  EXPECT_TRUE(CheckProtocol(*d, 2, 2).ok());
  // A flat folder of FairFace images is a non-mated set.
  LFR_REQUIRE_DATA(ff, "fairface-dev/labels.csv");
  auto labels = LoadFairFace(ff.parent_path());
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  for (int i = 0; i < 5; ++i) Link((*labels)[i].path, root / "strangers" / (*labels)[i].path.filename());
  ASSERT_TRUE(LoadNonMated(root / "strangers", &*d).ok());
  EXPECT_EQ(d->nonmated.size(), 5u);
  EXPECT_EQ(DatasetPaths(*d).size(), 41u);
}

TEST(DatasetTest, CsvWithDemographicsAndAFairFaceNonMatedSet) {
  LFR_REQUIRE_DATA(lfw, "lfw/images");
  LFR_REQUIRE_DATA(ff, "fairface-dev/labels.csv");
  const fs::path root = lfr::testing::TempDir("dataset-csv");
  // Relative paths under the CSV's folder; a quoted identity with a comma; race as an
  // alias of ethnicity; an empty value is "not recorded".
  Link(lfr::testing::LfwImage(lfw, "Abel_Pacheco", 1), root / "photos" / "a1.jpg");
  Link(lfr::testing::LfwImage(lfw, "Abel_Pacheco", 4), root / "photos" / "a4.jpg");
  Link(lfr::testing::LfwImage(lfw, "Angela_Bassett", 1), root / "photos" / "b1.jpg");
  const fs::path abs = lfr::testing::LfwImage(lfw, "Angela_Bassett", 5);
  Write(root / "people.csv",
        "image,identity,sex,race,age_band,notes\n"
        "photos/a1.jpg,\"Pacheco, Abel\",Male,Latino_Hispanic,50-59,x\n"
        "photos/a4.jpg,\"Pacheco, Abel\",Male,,50-59,\n"
        "photos/b1.jpg,Angela Bassett,Female,Black,40-49,\n" +
            abs.string() + ",Angela Bassett,Female,Black,40-49,\n");
  auto d = LoadDataset(root / "people.csv");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->layout, "csv");
  ASSERT_EQ(d->identities.size(), 2u);
  EXPECT_EQ(d->identities[0].name, "Angela Bassett");
  EXPECT_EQ(d->identities[1].name, "Pacheco, Abel");
  EXPECT_EQ(d->identities[0].images[1].path, fs::absolute(abs).lexically_normal());
  EXPECT_EQ(d->identities[1].images[0].path, root / "photos" / "a1.jpg");
  EXPECT_EQ(d->identities[1].images[0].demographics.at(kEthnicity), "Latino_Hispanic");
  EXPECT_EQ(d->identities[1].images[1].demographics.at(kEthnicity), "");
  EXPECT_EQ(d->identities[0].images[0].demographics.at(kAgeBand), "40-49");
  EXPECT_EQ(d->identities[0].images[0].line, 4);
  EXPECT_EQ(d->columns, (std::vector<std::string>{kSex, kEthnicity, kAgeBand}));

  // FairFace's own labels.csv (file,age,gender,race) reads as a non-mated CSV through the aliases.
  auto labels = LoadFairFace(ff.parent_path());
  ASSERT_TRUE(labels.ok());
  ASSERT_TRUE(LoadNonMated(ff, &*d).ok());
  ASSERT_EQ(d->nonmated.size(), labels->size());
  EXPECT_EQ(d->nonmated[0].path, fs::absolute((*labels)[0].path).lexically_normal());
  EXPECT_EQ(d->nonmated[0].demographics.at(kSex), (*labels)[0].gender);
  EXPECT_EQ(d->nonmated[0].demographics.at(kEthnicity), (*labels)[0].race);
  EXPECT_EQ(d->nonmated[0].demographics.at(kAgeBand), (*labels)[0].age);

  // Identities for the protocol: demographics per image, results in DatasetPaths' order.
  std::vector<ImageResult> results(DatasetPaths(*d).size());
  results[0].faces = 7;
  const auto ids = ToEvalIdentities(*d, &results);
  ASSERT_EQ(ids.size(), 2 + labels->size());
  EXPECT_EQ(ids[0].source, "dataset");
  EXPECT_EQ(ids[0].images[0].result.faces, 7);
  EXPECT_EQ(ids[0].images[0].demographics.at(kSex), "Female");
  EXPECT_TRUE(InNonMatedSet(ids[2]));
}

// Every bad input gets its kind and a message naming the file, line or identity.
class DatasetErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = lfr::testing::TempDir("dataset-errors");
    Touch(root_ / "a.jpg");
    Touch(root_ / "b.jpg");
    Touch(root_ / "c.jpg");
  }
  Result<Dataset> Csv(const std::string& text, DatasetError* kind) {
    Write(root_ / "d.csv", text);
    return LoadDataset(root_ / "d.csv", kind);
  }
  fs::path root_;
};

TEST_F(DatasetErrorTest, MissingFile) {
  DatasetError kind;
  auto none = LoadDataset(root_ / "nope.csv", &kind);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(kind, DatasetError::kMissingFile);
  EXPECT_EQ(none.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("nope.csv does not exist"));
  auto image = Csv("image,identity\na.jpg,A\nmissing.jpg,A\n", &kind);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(kind, DatasetError::kMissingFile);
  EXPECT_THAT(image.status().message(), HasSubstr("d.csv line 3: image " + (root_ / "missing.jpg").string() +
                                                  " does not exist"));
  Dataset d;
  auto nm = LoadNonMated(root_ / "strangers.csv", &d, &kind);
  EXPECT_EQ(kind, DatasetError::kMissingFile);
  EXPECT_THAT(nm.message(), HasSubstr("non-mated set"));
}

TEST_F(DatasetErrorTest, MissingRequiredColumn) {
  DatasetError kind;
  auto r = Csv("image,person,sex\na.jpg,A,Male\n", &kind);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(kind, DatasetError::kMissingColumn);
  EXPECT_THAT(r.status().message(), HasSubstr("the header has no 'identity' column (header: image,person,sex"));
  auto r2 = Csv("photo,identity\na.jpg,A\n", &kind);
  EXPECT_EQ(kind, DatasetError::kMissingColumn);
  EXPECT_THAT(r2.status().message(), HasSubstr("no 'image' column"));
  // The non-mated set needs only image.
  Write(root_ / "nm.csv", "sex\nMale\n");
  auto d = Csv("image,identity\na.jpg,A\n", &kind);
  ASSERT_TRUE(d.ok());
  Status s = LoadNonMated(root_ / "nm.csv", &*d, &kind);
  EXPECT_EQ(kind, DatasetError::kMissingColumn);
  EXPECT_THAT(s.message(), HasSubstr("no 'image' column"));
}

// --group-by columns: read under their lower-case names after the demographic ones; the
// identity set must have each, a non-mated set may lack one, a folder cannot group.
TEST_F(DatasetErrorTest, GroupByColumns) {
  DatasetError kind;
  Write(root_ / "d.csv", "image,identity,Camera,sex\na.jpg,A,door,Male\nb.jpg,A,street,\n");
  auto d = LoadDataset(root_ / "d.csv", &kind, {"camera"});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->columns, (std::vector<std::string>{kSex, "camera"}));
  EXPECT_EQ(d->identities[0].images[0].demographics.at("camera"), "door");
  EXPECT_EQ(d->identities[0].images[1].demographics.at("camera"), "street");
  // Without --group-by the column is not read.
  auto plain = LoadDataset(root_ / "d.csv", &kind);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->identities[0].images[0].demographics.count("camera"), 0u);
  // A non-mated CSV without the column: its images have it unrecorded.
  Write(root_ / "nm.csv", "image\nc.jpg\n");
  ASSERT_TRUE(LoadNonMated(root_ / "nm.csv", &*d, &kind, {"camera"}).ok());
  EXPECT_EQ(d->nonmated[0].demographics.count("camera"), 0u);
  auto missing = LoadDataset(root_ / "d.csv", &kind, {"camera", "suite"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(kind, DatasetError::kMissingColumn);
  EXPECT_THAT(missing.status().message(), HasSubstr("no 'suite' column to group by"));
  fs::create_directories(root_ / "folder" / "A");
  Touch(root_ / "folder" / "A" / "x.jpg");
  auto folder = LoadDataset(root_ / "folder", &kind, {"camera"});
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(kind, DatasetError::kMissingColumn);
  EXPECT_THAT(folder.status().message(), HasSubstr("needs a CSV data set"));
}

TEST_F(DatasetErrorTest, UnreadableCsv) {
  DatasetError kind;
  auto quote = Csv("image,identity\na.jpg,\"A\n", &kind);
  ASSERT_FALSE(quote.ok());
  EXPECT_EQ(kind, DatasetError::kUnreadableCsv);
  EXPECT_THAT(quote.status().message(), HasSubstr("unterminated quote"));
  auto fields = Csv("image,identity\na.jpg,A\nb.jpg,B,extra\n", &kind);
  EXPECT_EQ(kind, DatasetError::kUnreadableCsv);
  EXPECT_THAT(fields.status().message(), HasSubstr("d.csv line 3: 3 fields, the header has 2"));
  auto empty_identity = Csv("image,identity\na.jpg,\n", &kind);
  EXPECT_EQ(kind, DatasetError::kUnreadableCsv);
  EXPECT_THAT(empty_identity.status().message(), HasSubstr("line 2: the identity is empty"));
}

TEST_F(DatasetErrorTest, TooFewImagesForTheProtocol) {
  DatasetError kind;
  auto d = Csv("image,identity\na.jpg,Alice\nb.jpg,Bob\n", &kind);
  ASSERT_TRUE(d.ok());
  Status s = CheckProtocol(*d, 2, 2, &kind);
  EXPECT_EQ(kind, DatasetError::kTooFewImages);
  EXPECT_THAT(s.message(), HasSubstr("no identity has the 2 images the protocol needs (images per identity: "
                                     "Alice (1), Bob (1))"));
  auto one = Csv("image,identity\na.jpg,Alice\nb.jpg,Alice\n", &kind);
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(CheckProtocol(*one, 2, 1).ok());
  s = CheckProtocol(*one, 2, 2, &kind);
  EXPECT_EQ(kind, DatasetError::kTooFewImages);
  EXPECT_THAT(s.message(), HasSubstr("1 identities; the protocol needs at least 2"));
  // A folder identity without images.
  Touch(root_ / "folder" / "Alice" / "1.jpg");
  fs::create_directories(root_ / "folder" / "Bob");
  Write(root_ / "folder" / "Bob" / "readme.txt", "no photo yet");
  auto f = LoadDataset(root_ / "folder", &kind);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(kind, DatasetError::kTooFewImages);
  EXPECT_THAT(f.status().message(), HasSubstr("identity 'Bob'"));
  EXPECT_THAT(f.status().message(), HasSubstr("holds no image"));
}

TEST_F(DatasetErrorTest, EmptyDataset) {
  DatasetError kind;
  auto header_only = Csv("image,identity\n", &kind);
  ASSERT_FALSE(header_only.ok());
  EXPECT_EQ(kind, DatasetError::kEmpty);
  EXPECT_THAT(header_only.status().message(), HasSubstr("the CSV has a header but no images"));
  auto nothing = Csv("", &kind);
  EXPECT_EQ(kind, DatasetError::kEmpty);
  EXPECT_THAT(nothing.status().message(), HasSubstr("the CSV is empty"));
  fs::create_directories(root_ / "flat");
  Touch(root_ / "flat" / "a.jpg");  // images but no identity sub-folders
  auto flat = LoadDataset(root_ / "flat", &kind);
  EXPECT_EQ(kind, DatasetError::kEmpty);
  EXPECT_THAT(flat.status().message(), HasSubstr("has no identities"));
  auto d = Csv("image,identity\na.jpg,A\n", &kind);
  ASSERT_TRUE(d.ok());
  fs::create_directories(root_ / "nobody");
  EXPECT_THAT(LoadNonMated(root_ / "nobody", &*d, &kind).message(), HasSubstr("holds no image"));
  EXPECT_EQ(kind, DatasetError::kEmpty);
}

TEST_F(DatasetErrorTest, DuplicateImage) {
  DatasetError kind;
  // The same file, written two ways.
  auto r = Csv("image,identity\na.jpg,A\nb.jpg,B\n./a.jpg,B\n", &kind);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(kind, DatasetError::kDuplicateImage);
  EXPECT_THAT(r.status().message(), HasSubstr("d.csv line 4: image " + (root_ / "a.jpg").string() +
                                              " is listed twice (also " + (root_ / "d.csv").string() + " line 2)"));
  // In both the identity set and the non-mated set.
  auto d = Csv("image,identity\na.jpg,A\nb.jpg,A\n", &kind);
  ASSERT_TRUE(d.ok());
  Write(root_ / "nm.csv", "image,sex\nc.jpg,Male\nb.jpg,Female\n");
  Status s = LoadNonMated(root_ / "nm.csv", &*d, &kind);
  EXPECT_EQ(kind, DatasetError::kDuplicateImage);
  EXPECT_THAT(s.message(), HasSubstr("nm.csv line 3: image " + (root_ / "b.jpg").string() + " is listed twice"));
  EXPECT_THAT(s.message(), HasSubstr("identity 'A'"));
}

// A synthetic data set (the pair drawing looks only at the structure).
Dataset Synthetic(int identities, int images_each, int nonmated) {
  Dataset d;
  d.origin = "synthetic";
  for (int i = 0; i < identities; ++i) {
    DatasetIdentity id;
    id.name = "id" + std::to_string(i);
    for (int k = 0; k < images_each + (i % 3); ++k) id.images.push_back({"/x/" + id.name + "_" + std::to_string(k), {}, 0});
    d.identities.push_back(std::move(id));
  }
  for (int k = 0; k < nonmated; ++k) d.nonmated.push_back({"/nm/" + std::to_string(k), {}, 0});
  return d;
}

TEST(DatasetPairsTest, DeterministicBalancedAndCorrectlyLabelled) {
  const Dataset d = Synthetic(40, 2, 30);  // 2 to 4 images each
  std::vector<int> owner;
  for (size_t i = 0; i < d.identities.size(); ++i) owner.insert(owner.end(), d.identities[i].images.size(), static_cast<int>(i));
  for (size_t k = 0; k < d.nonmated.size(); ++k) owner.push_back(static_cast<int>(1000 + k));
  PairOptions o;
  o.pairs = 50;
  o.max_pairs_per_identity = 3;
  auto p = DrawVerificationPairs(d, o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto again = DrawVerificationPairs(d, o);
  ASSERT_TRUE(again.ok());
  o.seed = 2;
  auto other = DrawVerificationPairs(d, o);
  ASSERT_TRUE(other.ok());
  int mated = 0, same_as_other = 0;
  std::vector<int> per_fold(10, 0);
  std::set<std::pair<int, int>> seen;
  std::map<int, int> per_identity;
  for (size_t i = 0; i < p->size(); ++i) {
    const DatasetPair& x = (*p)[i];
    EXPECT_EQ(x.a, (*again)[i].a);
    EXPECT_EQ(x.b, (*again)[i].b);
    EXPECT_EQ(x.fold, (*again)[i].fold);
    same_as_other += x.a == (*other)[i].a && x.b == (*other)[i].b;
    EXPECT_EQ(x.same, owner[x.a] == owner[x.b]);
    EXPECT_LT(x.a, x.b);
    EXPECT_TRUE(seen.emplace(x.a, x.b).second) << "pair drawn twice";
    ++per_fold[x.fold];
    if (x.same) {
      ++mated;
      ++per_identity[owner[x.a]];
    }
  }
  EXPECT_EQ(mated, 50);
  EXPECT_EQ(p->size(), 100u);
  for (int n : per_fold) EXPECT_EQ(n, 10);
  for (const auto& [id, n] : per_identity) EXPECT_LE(n, 3);
  EXPECT_LT(same_as_other, 50);  // another seed, other pairs

  // Too little for ten folds, or no mated pair at all.
  DatasetError kind;
  auto few = DrawVerificationPairs(Synthetic(2, 2, 0), PairOptions{}, &kind);
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(kind, DatasetError::kTooFewImages);
  EXPECT_THAT(few.status().message(), HasSubstr("fewer than the 10 folds"));
  Dataset singles = Synthetic(5, 1, 0);
  for (auto& id : singles.identities) id.images.resize(1);
  auto none = DrawVerificationPairs(singles, PairOptions{}, &kind);
  EXPECT_EQ(kind, DatasetError::kTooFewImages);
  EXPECT_THAT(none.status().message(), HasSubstr("no identity has the 2 images"));
}

// The built-in LFW + FairFace set, written with WriteDatasetCsv, reads back as the same set.
TEST(DatasetTest, LfwFairFaceSetRoundTripsThroughCsv) {
  const fs::path root = lfr::testing::TempDir("dataset-roundtrip");
  const fs::path lfw = root / "lfw";
  Touch(LfwImagePath(lfw, {"Ann, the Second", 1}));
  Touch(LfwImagePath(lfw, {"Ann, the Second", 3}));
  Touch(LfwImagePath(lfw, {"Bob", 1}));
  Touch(LfwImagePath(lfw, {"Cy", 2}));
  std::vector<LfwPerson> people = {{"Ann, the Second", {1, 3}}, {"Bob", {1}}, {"Cy", {2}}};
  std::vector<FairFaceImage> ff = {{Touch(root / "ff" / "images" / "1.jpg"), "20-29", "Female", "Black"},
                                   {Touch(root / "ff" / "images" / "2.jpg"), "", "Male", "East Asian"}};
  const Dataset d = LfwFairFaceDataset(lfw, people, {{"Ann, the Second", "F"}, {"Bob", "M"}}, ff);
  EXPECT_EQ(d.columns, (std::vector<std::string>{kSex, kEthnicity, kAgeBand}));
  EXPECT_EQ(d.identities[0].images[1].demographics.at(kSex), "Female");  // F in LFW's labels
  EXPECT_EQ(d.identities[1].images[0].demographics.at(kSex), "Male");
  EXPECT_EQ(d.identities[2].images[0].demographics.at(kSex), "unknown");  // not in the labels
  EXPECT_EQ(d.nonmated[1].demographics.count(kAgeBand), 0u);
  ASSERT_TRUE(WriteDatasetCsv(d, root / "out").ok());
  auto back = LoadDataset(root / "out" / "identities.csv");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(LoadNonMated(root / "out" / "non-mated.csv", &*back).ok());
  EXPECT_EQ(DatasetPaths(*back), DatasetPaths(d));
  ASSERT_EQ(back->identities.size(), 3u);
  EXPECT_EQ(back->identities[0].name, "Ann, the Second");
  EXPECT_EQ(back->identities[0].images[1].demographics.at(kSex), "Female");
  EXPECT_EQ(back->nonmated[0].demographics.at(kEthnicity), "Black");
  EXPECT_EQ(back->nonmated[0].demographics.at(kAgeBand), "20-29");
  EXPECT_EQ(back->nonmated[1].demographics.at(kAgeBand), "");
  EXPECT_EQ(back->columns, d.columns);
}

// Differentials come from whatever columns the data set has, per image.
TEST(DatasetTest, IdentificationDifferentialsByTheDatasetsColumns) {
  constexpr int kDim = 8;
  auto vec = [](std::vector<float> v) {
    ImageResult r;
    r.found = r.quality_passed = r.enrolable = true;
    r.faces = 1;
    v.resize(kDim, 0.0f);
    r.flip = r.plain = v;
    return r;
  };
  auto axis = [&](int a) {
    std::vector<float> v(kDim, 0.0f);
    v[a] = 1.0f;
    return vec(v);
  };
  Dataset d;
  d.origin = "synthetic";
  auto person = [&](const std::string& name, const std::string& sex, const std::string& eth, const std::string& band) {
    DatasetIdentity id{name, {}};
    for (int k = 0; k < 2; ++k) id.images.push_back({"/x/" + name + std::to_string(k), {{kSex, sex}, {kEthnicity, eth}, {kAgeBand, band}}, 0});
    d.identities.push_back(id);
  };
  person("A", "Female", "Black", "20-29");
  person("B", "Male", "White", "");       // age band not recorded
  d.nonmated.push_back({"/nm/1", {{kSex, "Male"}, {kEthnicity, "Black"}}, 0});
  d.nonmated.push_back({"/nm/2", {{kSex, "Female"}, {kEthnicity, "White"}}, 0});
  // A's two images are unlike each other and each closer to B's: whichever is enrolled, A's
  // probe ranks B first (a miss). The Black Male stranger is A's first image (a false alert
  // against A or B at any threshold the 0.5 target allows); the White Female one is unlike all.
  const float h = 0.70710678f;
  std::vector<ImageResult> results = {axis(0), axis(1), vec({h, h}), vec({h, h}), axis(0), axis(5)};
  const auto ids = ToEvalIdentities(d, &results);
  IdentifyOptions o;
  o.watchlist_sizes = {2};
  o.target_fpirs = {0.5};
  auto res = RunIdentification(ids, o);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  const OperatingPoint& p = (*res)[0].points[0];
  std::vector<std::string> seen;
  for (const auto& dff : p.differentials) seen.push_back(dff.rate + ":" + dff.column);
  EXPECT_EQ(seen, (std::vector<std::string>{"fnir:sex", "fpir:sex", "fnir:ethnicity", "fpir:ethnicity",
                                            "fnir:age_band", "fnir:ethnicity x sex", "fpir:ethnicity x sex"}));
  for (const auto& dff : p.differentials) {
    if (dff.rate == "fnir" && dff.column == "age_band") {
      ASSERT_EQ(dff.groups.size(), 1u);  // B's probe has no age band
      EXPECT_EQ(dff.groups[0].group, "20-29");
      EXPECT_EQ(dff.groups[0].rate.events, 1);
    }
    if (dff.rate == "fpir" && dff.column == "ethnicity x sex") {
      ASSERT_EQ(dff.groups.size(), 2u);
      EXPECT_EQ(dff.groups[0].group, "Black Male");
      EXPECT_EQ(dff.groups[0].rate.events, 1);
      EXPECT_EQ(dff.groups[1].group, "White Female");
      EXPECT_EQ(dff.groups[1].rate.events, 0);
      EXPECT_EQ(dff.max_min, 0.0);  // a group with no events: undefined
    }
  }
  // The older views agree with the general ones.
  ASSERT_EQ(p.fnir_by_sex.size(), 2u);
  EXPECT_EQ(p.fnir_by_sex[0].group, "Female");
  EXPECT_EQ(p.fnir_by_sex[0].rate.events, 1);
  EXPECT_EQ(p.fpir_by_group.size(), 2u);
  EXPECT_TRUE(p.fpir_by_sex_lfw.empty());  // every identity enrolled: no identity-set non-mated probe
}

}  // namespace
}  // namespace lfr::eval

namespace lfr::eval {
namespace {

// The default run's identities as they were built before --dataset (LFW people with their
// sex, FairFace images with their "race gender" group) and as LfwFairFaceDataset builds them
// now give the same figures from the same embeddings (LFW's M/F read Male/Female).
TEST(DatasetTest, LfwFairFaceDatasetGivesTheFiguresOfTheOlderIdentities) {
  const fs::path lfw = "/lfw";
  std::vector<LfwPerson> people;
  std::map<std::string, std::string> sex;
  for (int i = 0; i < 30; ++i) {
    LfwPerson p{"P" + std::to_string(100 + i), {}};
    for (int n = 1; n <= 1 + i % 4; ++n) p.images.push_back(n);
    people.push_back(p);
    if (i % 5 != 0) sex[p.name] = i % 2 ? "F" : "M";  // some people not in the labels
  }
  std::vector<FairFaceImage> ff;
  const char* races[] = {"Black", "White", "Indian"};
  for (int i = 0; i < 24; ++i) ff.push_back({"/ff/images/" + std::to_string(i) + ".jpg", "20-29", i % 2 ? "Female" : "Male", races[i % 3]});
  const Dataset d = LfwFairFaceDataset(lfw, people, sex, ff);
  // Random unit embeddings, each person's images near a centre of their own.
  std::mt19937_64 rng(7);
  std::normal_distribution<float> g(0.0f, 1.0f);
  auto unit = [](std::vector<float> v) {
    float n = 0;
    for (float x : v) n += x * x;
    for (float& x : v) x /= std::sqrt(n);
    return v;
  };
  std::vector<ImageResult> results;
  auto result = [&](const std::vector<float>& centre, float noise) {
    std::vector<float> v(centre);
    for (float& x : v) x += noise * g(rng);
    ImageResult r;
    r.found = r.quality_passed = r.enrolable = true;
    r.faces = 1;
    r.flip = r.plain = unit(v);
    return r;
  };
  for (const auto& p : people) {
    std::vector<float> c(16);
    for (float& x : c) x = g(rng);
    for (size_t k = 0; k < p.images.size(); ++k) results.push_back(result(c, 0.6f));
  }
  for (size_t k = 0; k < ff.size(); ++k) results.push_back(result(std::vector<float>(16, 0.0f), 1.0f));
  ASSERT_EQ(results.size(), DatasetPaths(d).size());

  // Before: what RunIdentify built from the LFW scan and FairFace's labels.
  std::vector<EvalIdentity> before;
  size_t k = 0;
  for (const auto& p : people) {
    EvalIdentity id;
    id.name = p.name;
    id.source = "lfw";
    id.sex = sex.count(p.name) ? sex[p.name] : "unknown";
    for (int n : p.images) id.images.push_back({LfwImagePath(lfw, {p.name, n}).string(), results[k++], {}});
    before.push_back(std::move(id));
  }
  for (const auto& f : ff) {
    EvalIdentity id;
    id.name = "fairface:" + f.path.filename().string();
    id.source = "fairface";
    id.sex = f.gender;
    id.group = f.group();
    id.images.push_back({f.path.string(), results[k++], {}});
    before.push_back(std::move(id));
  }
  std::vector<ImageResult> copy = results;
  const std::vector<EvalIdentity> now = ToEvalIdentities(d, &copy);
  IdentifyOptions o;
  o.watchlist_sizes = {5, 20};
  o.target_fpirs = {1e-1, 5e-2};
  auto a = RunIdentification(before, o);
  auto b = RunIdentification(now, o);
  ASSERT_TRUE(a.ok() && b.ok());
  auto words = [](std::string s) { return s == "M" ? "Male" : s == "F" ? "Female" : s; };
  for (size_t s = 0; s < a->size(); ++s) {
    const SizeResult &x = (*a)[s], &y = (*b)[s];
    EXPECT_EQ(x.rank1.events, y.rank1.events);
    EXPECT_EQ(x.mated_searches, y.mated_searches);
    EXPECT_EQ(x.nonmated_searches, y.nonmated_searches);
    EXPECT_EQ(x.nonmated_fairface, y.nonmated_fairface);
    EXPECT_EQ(x.nonmated_top, y.nonmated_top);
    ASSERT_EQ(x.points.size(), y.points.size());
    for (size_t i = 0; i < x.points.size(); ++i) {
      const OperatingPoint &p = x.points[i], &q = y.points[i];
      EXPECT_EQ(p.choice.threshold, q.choice.threshold);
      EXPECT_EQ(p.fnir.events, q.fnir.events);
      EXPECT_EQ(p.choice.achieved.events, q.choice.achieved.events);
      EXPECT_EQ(p.fnir_sex_max_min, q.fnir_sex_max_min);
      EXPECT_EQ(p.fpir_group_max_min, q.fpir_group_max_min);
      ASSERT_EQ(p.fnir_by_sex.size(), q.fnir_by_sex.size());
      for (size_t j = 0; j < p.fnir_by_sex.size(); ++j) {
        EXPECT_EQ(words(p.fnir_by_sex[j].group), q.fnir_by_sex[j].group);
        EXPECT_EQ(p.fnir_by_sex[j].rate.events, q.fnir_by_sex[j].rate.events);
        EXPECT_EQ(p.fnir_by_sex[j].rate.trials, q.fnir_by_sex[j].rate.trials);
      }
      ASSERT_EQ(p.fpir_by_group.size(), q.fpir_by_group.size());
      for (size_t j = 0; j < p.fpir_by_group.size(); ++j) {
        EXPECT_EQ(p.fpir_by_group[j].group, q.fpir_by_group[j].group);
        EXPECT_EQ(p.fpir_by_group[j].rate.events, q.fpir_by_group[j].rate.events);
        EXPECT_EQ(p.fpir_by_group[j].rate.trials, q.fpir_by_group[j].rate.trials);
      }
      ASSERT_EQ(p.fpir_by_sex_lfw.size(), q.fpir_by_sex_lfw.size());
      for (size_t j = 0; j < p.fpir_by_sex_lfw.size(); ++j) {  // F, M, unknown = Female, Male, unknown
        EXPECT_EQ(p.fpir_by_sex_lfw[j].rate.events, q.fpir_by_sex_lfw[j].rate.events);
        EXPECT_EQ(p.fpir_by_sex_lfw[j].rate.trials, q.fpir_by_sex_lfw[j].rate.trials);
      }
    }
  }
}

}  // namespace
}  // namespace lfr::eval
