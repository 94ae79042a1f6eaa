#include "store/enrolment.h"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "store/media.h"
#include "util/secure.h"
#include "vision/image_io.h"

namespace lfr {

namespace {
constexpr float kLowQuality = 0.5f;

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}
}  // namespace

Result<std::unique_ptr<WatchlistEnroller>> WatchlistEnroller::Create(Store* store, int64_t deployment_id,
                                                                     FaceAnalyzer* analyzer,
                                                                     float duplicate_threshold,
                                                                     const Actor& by,
                                                                     const EnrolOptions& options) {
  std::unique_ptr<WatchlistEnroller> e(
      new WatchlistEnroller(store, deployment_id, analyzer, duplicate_threshold, by, options));
  auto known = store->LoadEmbeddings(deployment_id, by);
  if (!known.ok()) return known.status();
  const size_t want = static_cast<size_t>(analyzer->embedder().dim()) * sizeof(float);
  for (const auto& k : *known) {
    if (k.embedding.size() != want) {
      return Status::InvalidArgument("deployment " + std::to_string(deployment_id) + " holds " +
                                     std::to_string(k.embedding.size() / sizeof(float)) +
                                     "-d embeddings but this recogniser gives " +
                                     std::to_string(analyzer->embedder().dim()));
    }
  }
  e->known_ = std::move(known).value();
  return e;
}

Result<EnrolmentOutcome> WatchlistEnroller::Enrol(const std::filesystem::path& image,
                                                  const WatchlistEntry& meta, bool allow_duplicate) {
  auto decoded = ReadImage(image);
  if (!decoded.ok()) {
    EnrolmentOutcome out;
    out.rejection = decoded.status().message();
    return out;
  }
  auto r = EnrolImage(*decoded, meta, allow_duplicate);
  WipeMat(&decoded.value());
  return r;
}

Result<EnrolmentOutcome> WatchlistEnroller::EnrolImage(const cv::Mat& image, const WatchlistEntry& meta,
                                                       bool allow_duplicate) {
  EnrolmentOutcome out;
  AnalyzeOptions aopts;
  aopts.embed = true;
  aopts.embed_all = false;
  aopts.flip_average = options_.flip_average;
  int central = -1;
  auto wipe_faces = [this] {
    for (auto& f : faces_) {
      WipeMat(&f.aligned);
      WipeMat(&f.embedding);
    }
  };
  Status s = analyzer_->Analyze(image, aopts, &faces_, &central);
  if (!s.ok()) {
    wipe_faces();
    return s;
  }
  const int best = PickEnrolmentFace(faces_, central, options_, &out.rejection);
  if (best < 0) {
    wipe_faces();
    return out;
  }
  WatchlistEntryInput input;
  input.meta = meta;
  input.meta.deployment_id = deployment_id_;
  const AnalyzedFace& face = faces_[best];
  const int dim = face.embedding.cols;
  input.embedding.assign(face.embedding.ptr<float>(), face.embedding.ptr<float>() + dim);
  double norm2 = 0;
  for (float v : input.embedding) norm2 += double(v) * v;
  for (float& v : input.embedding) v = static_cast<float>(v / std::sqrt(norm2));
  input.meta.quality = face.quality.score;
  if (face.quality.score < kLowQuality) {
    input.meta.quality_notes = "quality score " + Fixed(face.quality.score, 2) +
                               " is low: a clearer, frontal image would match more reliably";
  }
  wipe_faces();

  // Possible duplicate: the same face already on the list under another reference.
  float best_score = -1.0f;
  const EntryEmbedding* best_entry = nullptr;
  for (const EntryEmbedding& k : known_) {
    if (k.reference == meta.reference) continue;
    const auto* v = reinterpret_cast<const float*>(k.embedding.data());
    double dot = 0;
    for (int i = 0; i < dim; ++i) dot += double(v[i]) * input.embedding[i];
    if (dot > best_score) {
      best_score = static_cast<float>(dot);
      best_entry = &k;
    }
  }
  // Refused as an exact duplicate only when the entry would otherwise be stored: a reused
  // reference or a missing field is the store's to report (the more specific problem).
  auto blank = [](const std::string& v) { return v.find_first_not_of(" \t\r\n") == std::string::npos; };
  bool storable = !blank(meta.reference) && !blank(meta.category) && !blank(meta.reason);
  for (const EntryEmbedding& k : known_) storable = storable && k.reference != meta.reference;
  if (storable && best_entry != nullptr && best_score >= kExactDuplicateSimilarity && !allow_duplicate) {
    WipeBytes(input.embedding.data(), input.embedding.size() * sizeof(float));
    out.exact_duplicate_of = best_entry->entry_id;
    out.rejection = "the same face as entry " + std::to_string(best_entry->entry_id) + " (" +
                    best_entry->reference + ") is already on this watchlist (similarity " +
                    Fixed(best_score, 3) + " >= " + Fixed(kExactDuplicateSimilarity, 2) +
                    "): a second entry for it would raise two alerts for one person. If " +
                    input.meta.reference + " really is another record of the same person, confirm "
                    "the duplicate to enrol it anyway";
    return out;
  }
  if (best_entry != nullptr && best_score >= duplicate_threshold_) {
    input.meta.duplicate_of = best_entry->entry_id;
    input.meta.duplicate_score = best_score;
    out.warnings.push_back((best_score >= kExactDuplicateSimilarity ? "confirmed duplicate of entry "
                                                                    : "possible duplicate of entry ") +
                           std::to_string(best_entry->entry_id) + " (" + best_entry->reference +
                           "): similarity " + Fixed(best_score, 3) + " >= " +
                           Fixed(duplicate_threshold_, 3));
  }

  auto jpeg = EncodeJpeg(image, kEnrolmentImageLongSide);
  if (!jpeg.ok()) {
    WipeBytes(input.embedding.data(), input.embedding.size() * sizeof(float));
    return jpeg.status();
  }
  input.image_jpeg = std::move(jpeg).value();
  auto added = store_->AddWatchlistEntry(input, by_);
  WipeBytes(input.image_jpeg.data(), input.image_jpeg.size());
  if (added.ok()) {
    EntryEmbedding k;
    k.entry_id = added->id;
    k.reference = added->reference;
    k.embedding = SecretBytes(reinterpret_cast<const uint8_t*>(input.embedding.data()),
                              input.embedding.size() * sizeof(float));
    known_.push_back(std::move(k));
  }
  WipeBytes(input.embedding.data(), input.embedding.size() * sizeof(float));
  if (!added.ok()) {
    if (added.status().code() == Status::Code::kInvalidArgument) {
      out.rejection = added.status().message();
      out.warnings.clear();
      return out;
    }
    return added.status();
  }
  out.entry = std::move(added).value();
  return out;
}

}  // namespace lfr
