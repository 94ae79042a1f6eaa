// The model catalogue: every face model OpenLFR knows how to fetch, verify and run.
//
// The catalogue is models/catalog.json in the repository, compiled into the binary (so
// `lfr` needs no source tree); LFR_CATALOG=path overrides it. Each entry pins its files by
// size and SHA-256 and carries a ModelCard that tells the generic detector and embedder
// code how to drive the network, so adding a model (e.g. an ArcFace ONNX) is a catalogue
// edit, not a code change.
//
// Catalog objects are immutable after loading and safe to share between threads.
#ifndef LFR_MODELS_CATALOG_H_
#define LFR_MODELS_CATALOG_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"

namespace lfr {

enum class ModelRole { kDetector, kRecogniser };

// One file of a model, pinned.
struct ModelFile {
  std::string name;                 // file name in the store: $LFR_HOME/models/<id>/<name>
  uint64_t size = 0;                // bytes
  std::string sha256;               // lower-case hex, 64 chars
  std::vector<std::string> urls;    // upstream download locations, tried in order
  std::string mirror_path;          // path inside an LFR_MODEL_MIRROR folder
  // For a file that is not published anywhere (e.g. an ONNX converted from an upstream
  // checkpoint): where it comes from and how to rebuild it, shown when it cannot be
  // fetched. Empty for ordinary upstream files.
  std::string source_note;
  // The pinned upstream file(s) this one was derived from (provenance; never fetched by
  // the store). Each has name, size, sha256 and urls like a ModelFile.
  std::vector<ModelFile> derived_from;
};

// How to run the network. Only the fields relevant to the role are meaningful.
struct ModelCard {
  // "yunet" (cv::FaceDetectorYN), "scrfd" (cv::dnn + anchor decoding),
  // "onnx" or "caffe" (recogniser read with cv::dnn).
  std::string format;
  int input_width = 0;              // pixels; 0 = any (YuNet)
  int input_height = 0;
  bool swap_rb = false;             // true: the network wants RGB (OpenCV images are BGR)
  std::array<float, 3> mean = {0, 0, 0};  // subtracted per channel (after swap)
  float scale = 1.0f;               // multiplied after the mean is subtracted
  std::string output_blob;          // recogniser: name of the embedding blob ("" = last)
  int embedding_size = 0;           // recogniser: floats per embedding
  // Recogniser: the 5-point alignment template in input pixels, in the order
  // right eye, left eye, nose tip, right mouth corner, left mouth corner (image-left first).
  std::vector<std::array<float, 2>> alignment_template;
  // Recogniser: cosine similarity above which two faces are called the same person
  // (the 1:1 operating point measured for this model; see docs/ACCURACY.md).
  float verify_threshold = 0.0f;
  // Recogniser: most faces one forward pass may hold (0 = any). 1 for networks exported
  // with a fixed batch dimension of 1 (the derived EdgeFace ONNX files).
  int max_batch = 0;
  // Detector: score threshold and NMS IoU used by default.
  float score_threshold = 0.0f;
  float nms_threshold = 0.0f;
};

struct ModelSpec {
  std::string id;                   // e.g. "yunet-2022mar"
  ModelRole role = ModelRole::kDetector;
  int priority = 0;                 // higher wins when choosing a default among installed
  std::string description;
  std::string licence;              // SPDX-ish short name, e.g. "MIT", "research-only"
  std::string licence_note;         // shown to the user by `lfr models list/fetch`
  std::vector<ModelFile> files;
  ModelCard card;

  uint64_t total_size() const;
};

class Catalog {
 public:
  // Parses catalogue JSON. Rejects unknown roles/formats, bad hashes, missing fields,
  // duplicate ids, with a message naming the entry and field.
  static Result<Catalog> Parse(const std::string& json_text);
  // The catalogue in effect: LFR_CATALOG if set, else the compiled-in copy.
  static Result<Catalog> Load();

  const std::vector<ModelSpec>& models() const { return models_; }
  // nullptr if no entry has that id.
  const ModelSpec* Find(const std::string& id) const;

 private:
  std::vector<ModelSpec> models_;
};

const char* RoleName(ModelRole r);

}  // namespace lfr

#endif  // LFR_MODELS_CATALOG_H_
