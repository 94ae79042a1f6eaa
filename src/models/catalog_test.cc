#include "models/catalog.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "models/catalog_data.h"
#include "testing/cli_run.h"
#include "testing/shared.h"
#include "build_info.h"  // LFR_SOURCE_DIR

namespace lfr {
namespace {

using nlohmann::json;

std::string ReadRepoCatalog() {
  std::ifstream in(std::string(LFR_SOURCE_DIR) + "/models/catalog.json");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

using lfr::testing::ScopedEnv;

// A small valid catalogue: one detector and one recogniser. Each validation test breaks
// exactly one thing in it.
json ValidCatalog() {
  return json::parse(R"({
    "format": 1,
    "models": [
      {
        "id": "det-a", "role": "detector", "priority": 10,
        "description": "a detector", "licence": "MIT", "licence_note": "free",
        "files": [{"name": "d.onnx", "size": 3,
                   "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                   "mirror_path": "sub/d.onnx", "urls": ["https://example.invalid/d.onnx"]}],
        "card": {"format": "yunet", "score_threshold": 0.6, "nms_threshold": 0.3}
      },
      {
        "id": "rec-b", "role": "recogniser", "priority": 5,
        "description": "a recogniser", "licence": "Apache-2.0", "licence_note": "free too",
        "files": [{"name": "r.onnx", "size": 7,
                   "sha256": "0000000000000000000000000000000000000000000000000000000000000000",
                   "urls": []}],
        "card": {"format": "onnx", "input_width": 112, "input_height": 96, "swap_rb": true,
                 "mean": [1, 2, 3], "scale": 0.5, "output_blob": "fc1", "embedding_size": 128,
                 "alignment_template": [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]],
                 "verify_threshold": 0.4}
      }
    ]
  })");
}

// Expects InvalidArgument whose message contains every fragment.
void ExpectInvalid(const json& doc, const std::vector<std::string>& fragments) {
  auto c = Catalog::Parse(doc.dump());
  ASSERT_FALSE(c.ok()) << "parsed although it should not: " << doc.dump();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument) << c.status().ToString();
  for (const auto& f : fragments) {
    EXPECT_NE(c.status().message().find(f), std::string::npos)
        << "message \"" << c.status().message() << "\" lacks \"" << f << "\"";
  }
}

TEST(CatalogTest, ParsesTheSmallValidCatalogue) {
  auto c = Catalog::Parse(ValidCatalog().dump());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->models().size(), 2u);
  const ModelSpec* d = c->Find("det-a");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->role, ModelRole::kDetector);
  EXPECT_EQ(d->priority, 10);
  EXPECT_EQ(d->licence, "MIT");
  ASSERT_EQ(d->files.size(), 1u);
  EXPECT_EQ(d->files[0].mirror_path, "sub/d.onnx");
  EXPECT_EQ(d->files[0].urls, std::vector<std::string>{"https://example.invalid/d.onnx"});
  EXPECT_EQ(d->card.format, "yunet");
  EXPECT_FLOAT_EQ(d->card.score_threshold, 0.6f);
  EXPECT_FLOAT_EQ(d->card.nms_threshold, 0.3f);
  EXPECT_EQ(d->total_size(), 3u);

  const ModelSpec* r = c->Find("rec-b");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->role, ModelRole::kRecogniser);
  EXPECT_EQ(r->files[0].mirror_path, "r.onnx");  // defaults to the file name
  EXPECT_EQ(r->card.input_width, 112);
  EXPECT_EQ(r->card.input_height, 96);
  EXPECT_TRUE(r->card.swap_rb);
  EXPECT_FLOAT_EQ(r->card.mean[2], 3.0f);
  EXPECT_FLOAT_EQ(r->card.scale, 0.5f);
  EXPECT_EQ(r->card.output_blob, "fc1");
  EXPECT_EQ(r->card.embedding_size, 128);
  ASSERT_EQ(r->card.alignment_template.size(), 5u);
  EXPECT_FLOAT_EQ(r->card.alignment_template[4][1], 10.0f);
  EXPECT_FLOAT_EQ(r->card.verify_threshold, 0.4f);
  EXPECT_EQ(c->Find("nope"), nullptr);
}

TEST(CatalogTest, RoleNames) {
  EXPECT_STREQ(RoleName(ModelRole::kDetector), "detector");
  EXPECT_STREQ(RoleName(ModelRole::kRecogniser), "recogniser");
}

TEST(CatalogTest, TotalSizeSumsFiles) {
  ModelSpec s;
  s.files.resize(2);
  s.files[0].size = 40711;
  s.files[1].size = 4028434;
  EXPECT_EQ(s.total_size(), 4069145u);
}

TEST(CatalogTest, RepositoryCatalogueParses) {
  std::string text = ReadRepoCatalog();
  ASSERT_FALSE(text.empty()) << "cannot read models/catalog.json";
  auto c = Catalog::Parse(text);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  struct Want {
    const char* id;
    ModelRole role;
    const char* format;
  };
  const Want want[] = {{"yunet-2022mar", ModelRole::kDetector, "yunet"},
                       {"scrfd-2.5g", ModelRole::kDetector, "scrfd"},
                       {"sface-2021dec", ModelRole::kRecogniser, "onnx"},
                       {"mobilefacenet-arcface", ModelRole::kRecogniser, "caffe"},
                       {"edgeface-xs-q", ModelRole::kRecogniser, "onnx"},
                       {"edgeface-xxs-q", ModelRole::kRecogniser, "onnx"}};
  EXPECT_EQ(c->models().size(), 6u);
  for (const auto& w : want) {
    const ModelSpec* m = c->Find(w.id);
    ASSERT_NE(m, nullptr) << w.id;
    EXPECT_EQ(m->role, w.role) << w.id;
    EXPECT_EQ(m->card.format, w.format) << w.id;
    EXPECT_FALSE(m->licence_note.empty()) << w.id;
    if (m->role == ModelRole::kRecogniser) {
      EXPECT_EQ(m->card.alignment_template.size(), 5u) << w.id;
      EXPECT_GT(m->card.embedding_size, 0) << w.id;
    }
  }
  EXPECT_EQ(c->Find("mobilefacenet-arcface")->files.size(), 2u);
  EXPECT_EQ(c->Find("yunet-2022mar")->files[0].size, 345478u);
}

TEST(CatalogTest, EdgeFaceEntriesArePinnedDerivedAndNonCommercial) {
  auto c = Catalog::Parse(ReadRepoCatalog());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  struct Want {
    const char* id;
    const char* file;
    uint64_t size;
    const char* sha;
    const char* checkpoint;
  };
  const Want want[] = {
      {"edgeface-xs-q", "edgeface_xs_q.onnx", 9211533,
       "8219d7dae9bc1f39604526e870cd116b78d3eb40d33b3276239cdf1e7e24982c", "edgeface_xs_q.pt"},
      {"edgeface-xxs-q", "edgeface_xxs_q.onnx", 5163008,
       "ecf8245d05f26b64d289ea486f0ae7ef2e763bcbb7f028d7841313b45f1fdbd5", "edgeface_xxs_q.pt"}};
  for (const auto& w : want) {
    const ModelSpec* m = c->Find(w.id);
    ASSERT_NE(m, nullptr) << w.id;
    EXPECT_EQ(m->licence, "CC-BY-NC-SA-4.0") << w.id;
    EXPECT_NE(m->licence_note.find("non-commercial"), std::string::npos) << w.id;
    EXPECT_NE(m->licence_note.find("never an operational deployment"), std::string::npos) << w.id;
    ASSERT_EQ(m->files.size(), 1u);
    const ModelFile& f = m->files[0];
    EXPECT_EQ(f.name, w.file);
    EXPECT_EQ(f.size, w.size);
    EXPECT_EQ(f.sha256, w.sha);
    EXPECT_EQ(f.mirror_path, std::string("derived/") + w.file);
    EXPECT_TRUE(f.urls.empty()) << "a derived file has no upstream URL";
    EXPECT_NE(f.source_note.find("docs/MODELS.md"), std::string::npos) << f.source_note;
    ASSERT_EQ(f.derived_from.size(), 1u);
    EXPECT_EQ(f.derived_from[0].name, w.checkpoint);
    EXPECT_FALSE(f.derived_from[0].urls.empty());
    EXPECT_EQ(m->card.embedding_size, 512);
    EXPECT_EQ(m->card.max_batch, 1);
    EXPECT_NEAR(m->card.scale, 1.0 / 127.5, 1e-7);
    EXPECT_TRUE(m->card.swap_rb);
  }
  // The strongest recogniser (docs/ACCURACY.md) has the highest priority, so it is the
  // default for evaluation and tests whenever it is installed.
  const ModelSpec* best = nullptr;
  for (const auto& m : c->models()) {
    if (m.role == ModelRole::kRecogniser && (best == nullptr || m.priority > best->priority)) best = &m;
  }
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->id, "edgeface-xs-q");
  EXPECT_GT(c->Find("edgeface-xxs-q")->priority, c->Find("mobilefacenet-arcface")->priority);
}

TEST(CatalogTest, ParsesProvenanceAndBatchLimit) {
  json doc = ValidCatalog();
  doc["models"][1]["files"][0]["source_note"] = "converted from the checkpoint below";
  doc["models"][1]["files"][0]["derived_from"] = json::array(
      {{{"name", "r.pt"}, {"size", 5},
        {"sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"urls", json::array({"https://example.invalid/r.pt"})}}});
  doc["models"][1]["card"]["max_batch"] = 1;
  auto c = Catalog::Parse(doc.dump());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const ModelFile& f = c->Find("rec-b")->files[0];
  EXPECT_EQ(f.source_note, "converted from the checkpoint below");
  ASSERT_EQ(f.derived_from.size(), 1u);
  EXPECT_EQ(f.derived_from[0].size, 5u);
  EXPECT_EQ(f.derived_from[0].urls[0], "https://example.invalid/r.pt");
  EXPECT_EQ(c->Find("rec-b")->card.max_batch, 1);
  EXPECT_EQ(c->Find("det-a")->card.max_batch, 0);  // absent: any batch

  doc["models"][1]["card"]["max_batch"] = -1;
  ExpectInvalid(doc, {"\"rec-b\"", "card.max_batch"});
  doc = ValidCatalog();
  doc["models"][1]["files"][0]["derived_from"] = json::array({{{"name", "r.pt"}, {"size", 5}, {"sha256", "xyz"}}});
  ExpectInvalid(doc, {"\"rec-b\"", "files[0].derived_from[0].sha256"});
  doc = ValidCatalog();
  doc["models"][1]["files"][0]["derived_from"] = "r.pt";
  ExpectInvalid(doc, {"\"rec-b\"", "files[0].derived_from"});
}

TEST(CatalogTest, BuiltinCopyMatchesTheRepositoryFile) {
  EXPECT_EQ(std::string(kBuiltinCatalogJson), ReadRepoCatalog())
      << "re-run cmake: the compiled-in catalogue is stale";
}

TEST(CatalogTest, LoadUsesBuiltinWithoutEnvAndFileWithIt) {
  {
    ScopedEnv env("LFR_CATALOG", std::nullopt);
    auto c = Catalog::Load();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_NE(c->Find("yunet-2022mar"), nullptr);
  }
  auto dir = testing::TempDir("catalog");
  std::string path = (dir / "custom.json").string();
  std::ofstream(path) << ValidCatalog().dump();
  {
    ScopedEnv env("LFR_CATALOG", path);
    auto c = Catalog::Load();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->models().size(), 2u);
    EXPECT_NE(c->Find("det-a"), nullptr);
    EXPECT_EQ(c->Find("yunet-2022mar"), nullptr);
  }
  {
    std::string missing = (dir / "missing.json").string();
    ScopedEnv env("LFR_CATALOG", missing);
    auto c = Catalog::Load();
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Status::Code::kNotFound);
    EXPECT_NE(c.status().message().find(missing), std::string::npos);
  }
  {
    std::string bad = (dir / "bad.json").string();
    std::ofstream(bad) << "{ not json";
    ScopedEnv env("LFR_CATALOG", bad);
    auto c = Catalog::Load();
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(c.status().message().find(bad), std::string::npos);
  }
}

TEST(CatalogTest, RejectsNonJson) {
  auto c = Catalog::Parse("{\"models\": [ {\"id\": ");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("not valid JSON"), std::string::npos);
  EXPECT_NE(c.status().message().find("parse error"), std::string::npos)  // the parser's words
      << c.status().message();
}

TEST(CatalogTest, RejectsMissingModelsArrayAndWrongFormat) {
  ExpectInvalid(json::parse(R"({"format": 1})"), {"models"});
  json doc = ValidCatalog();
  doc["format"] = 2;
  ExpectInvalid(doc, {"format 2"});
}

TEST(CatalogTest, RejectsBadHash) {
  json doc = ValidCatalog();
  doc["models"][0]["files"][0]["sha256"] = "abc123";
  ExpectInvalid(doc, {"catalogue entry \"det-a\"", "files[0].sha256 is not 64 hex digits"});
  // Upper-case hex is refused too: stored hashes are compared as lower-case strings.
  doc["models"][0]["files"][0]["sha256"] =
      "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  ExpectInvalid(doc, {"\"det-a\"", "files[0].sha256"});
  doc["models"][0]["files"][0]["sha256"] =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag";
  ExpectInvalid(doc, {"\"det-a\"", "files[0].sha256"});
}

TEST(CatalogTest, RejectsUnknownRole) {
  json doc = ValidCatalog();
  doc["models"][1]["role"] = "classifier";
  ExpectInvalid(doc, {"catalogue entry \"rec-b\"", "role", "classifier"});
}

TEST(CatalogTest, RejectsUnknownFormat) {
  json doc = ValidCatalog();
  doc["models"][0]["card"]["format"] = "tflite";
  ExpectInvalid(doc, {"catalogue entry \"det-a\"", "card.format", "tflite"});
}

TEST(CatalogTest, RejectsFormatOfTheOtherRole) {
  json doc = ValidCatalog();
  doc["models"][0]["card"]["format"] = "caffe";
  ExpectInvalid(doc, {"\"det-a\"", "card.format", "detector"});
}

TEST(CatalogTest, RejectsDuplicateId) {
  json doc = ValidCatalog();
  doc["models"][1]["id"] = "det-a";
  ExpectInvalid(doc, {"catalogue entry \"det-a\"", "id", "duplicate"});
}

TEST(CatalogTest, RejectsMissingAlignmentTemplate) {
  json doc = ValidCatalog();
  doc["models"][1]["card"].erase("alignment_template");
  ExpectInvalid(doc, {"catalogue entry \"rec-b\"", "card.alignment_template is missing"});
  doc = ValidCatalog();
  doc["models"][1]["card"]["alignment_template"].erase(4);
  ExpectInvalid(doc, {"\"rec-b\"", "card.alignment_template", "5"});
}

TEST(CatalogTest, RejectsRecogniserWithoutEmbeddingOrInputSize) {
  json doc = ValidCatalog();
  doc["models"][1]["card"]["embedding_size"] = 0;
  ExpectInvalid(doc, {"\"rec-b\"", "card.embedding_size"});
  doc = ValidCatalog();
  doc["models"][1]["card"].erase("embedding_size");
  ExpectInvalid(doc, {"\"rec-b\"", "card.embedding_size is missing"});
  doc = ValidCatalog();
  doc["models"][1]["card"]["input_width"] = 0;
  ExpectInvalid(doc, {"\"rec-b\"", "card.input_width"});
  doc = ValidCatalog();
  doc["models"][1]["card"]["input_height"] = -4;
  ExpectInvalid(doc, {"\"rec-b\"", "card.input_height"});
}

TEST(CatalogTest, RejectsBadSizes) {
  json doc = ValidCatalog();
  doc["models"][0]["files"][0]["size"] = 0;
  ExpectInvalid(doc, {"\"det-a\"", "files[0].size must be > 0"});
  doc["models"][0]["files"][0]["size"] = -3;
  ExpectInvalid(doc, {"\"det-a\"", "files[0].size must be > 0"});
  doc["models"][0]["files"][0]["size"] = "3";
  ExpectInvalid(doc, {"\"det-a\"", "files[0].size must be an integer"});
  doc["models"][0]["files"][0].erase("size");
  ExpectInvalid(doc, {"\"det-a\"", "files[0].size is missing"});
}

TEST(CatalogTest, RejectsEmptyIdFilesAndNames) {
  json doc = ValidCatalog();
  doc["models"][0]["id"] = "";
  ExpectInvalid(doc, {"catalogue entry #0", "id"});
  doc = ValidCatalog();
  doc["models"][0].erase("id");
  ExpectInvalid(doc, {"catalogue entry #0", "id is missing"});
  doc = ValidCatalog();
  doc["models"][1]["files"] = json::array();
  ExpectInvalid(doc, {"\"rec-b\"", "files must not be empty"});
  doc = ValidCatalog();
  doc["models"][1]["files"][0]["name"] = "";
  ExpectInvalid(doc, {"\"rec-b\"", "files[0].name must not be empty"});
}

TEST(CatalogTest, RejectsNamesThatEscapeTheStore) {
  json doc = ValidCatalog();
  doc["models"][0]["id"] = "../etc";
  ExpectInvalid(doc, {"\"../etc\"", "id"});
  doc = ValidCatalog();
  doc["models"][0]["files"][0]["name"] = "../d.onnx";
  ExpectInvalid(doc, {"\"det-a\"", "files[0].name"});
  doc = ValidCatalog();
  doc["models"][0]["files"][0]["name"] = ".hidden";
  ExpectInvalid(doc, {"\"det-a\"", "files[0].name"});
  doc = ValidCatalog();
  doc["models"][0]["files"][0]["mirror_path"] = "/etc/passwd";
  ExpectInvalid(doc, {"\"det-a\"", "files[0].mirror_path"});
  doc = ValidCatalog();
  doc["models"][0]["files"][0]["mirror_path"] = "a/../../b";
  ExpectInvalid(doc, {"\"det-a\"", "files[0].mirror_path"});
}

TEST(CatalogTest, RejectsDuplicateFileNameAndMissingLicence) {
  json doc = ValidCatalog();
  doc["models"][0]["files"].push_back(doc["models"][0]["files"][0]);
  ExpectInvalid(doc, {"\"det-a\"", "files[1].name", "twice"});
  doc = ValidCatalog();
  doc["models"][0].erase("licence_note");
  ExpectInvalid(doc, {"\"det-a\"", "licence_note is missing"});
}

TEST(CatalogTest, RejectsWrongTypes) {
  json doc = ValidCatalog();
  doc["models"][0]["files"][0]["urls"] = "https://example.invalid/x";
  ExpectInvalid(doc, {"\"det-a\"", "files[0].urls"});
  doc = ValidCatalog();
  doc["models"][1]["card"]["mean"] = json::array({1, 2});
  ExpectInvalid(doc, {"\"rec-b\"", "card.mean"});
  doc = ValidCatalog();
  doc["models"][1]["card"]["swap_rb"] = "yes";
  ExpectInvalid(doc, {"\"rec-b\"", "card.swap_rb"});
  doc = ValidCatalog();
  doc["models"][0]["priority"] = 1.5;
  ExpectInvalid(doc, {"\"det-a\"", "priority"});
  doc = ValidCatalog();
  doc["models"][0]["card"] = "yunet";
  ExpectInvalid(doc, {"\"det-a\"", "card"});
}

}  // namespace
}  // namespace lfr
