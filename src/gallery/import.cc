#include "gallery/import.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "store/media.h"
#include "store/watchlist_csv.h"
#include "util/secure.h"
#include "util/text.h"
#include "vision/image_io.h"

namespace lfr {
namespace fs = std::filesystem;

namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

Status CheckRecordText(const GalleryRecord& m, const std::string& prefix) {
  LFR_RETURN_IF_ERROR(CheckText(m.reference, prefix + "'reference'", text_limits::kReference));
  LFR_RETURN_IF_ERROR(CheckText(m.capture_date, prefix + "'capture_date'", 10));
  LFR_RETURN_IF_ERROR(CheckText(m.source, prefix + "'source'", text_limits::kImageSource));
  return Status::Ok();
}

// s with another message (the same code).
Status Reworded(const Status& s, std::string m) {
  using C = Status::Code;
  switch (s.code()) {
    case C::kInvalidArgument: return Status::InvalidArgument(std::move(m));
    case C::kNotFound: return Status::NotFound(std::move(m));
    case C::kCorrupt: return Status::Corrupt(std::move(m));
    case C::kIOError: return Status::IOError(std::move(m));
    case C::kUnavailable: return Status::Unavailable(std::move(m));
    case C::kFailedPrecondition: return Status::FailedPrecondition(std::move(m));
    case C::kOk:
    case C::kInternal: break;
  }
  return Status::Internal(std::move(m));
}

}  // namespace

Result<std::vector<GalleryImportItem>> ParseGalleryCsv(const std::string& text, const fs::path& base_dir) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  const bool bom = std::string_view(text).substr(0, kBom.size()) == kBom;
  std::vector<std::pair<int, std::vector<std::string>>> records;
  LFR_RETURN_IF_ERROR(SplitCsv(bom ? text.substr(kBom.size()) : text, &records));
  if (records.empty()) return Status::InvalidArgument("CSV is empty: expected a header row");
  std::map<std::string, size_t> col;
  const auto& header = records[0].second;
  for (size_t i = 0; i < header.size(); ++i) col[Trim(header[i])] = i;
  for (const char* need : {"image", "reference"}) {
    if (!col.count(need)) {
      return Status::InvalidArgument(std::string("CSV header has no \"") + need +
                                     "\" column (columns: image,reference,capture_date,source)");
    }
  }
  std::vector<GalleryImportItem> out;
  for (size_t r = 1; r < records.size(); ++r) {
    const auto& [line, fields] = records[r];
    const std::string at = "CSV line " + std::to_string(line);
    if (fields.size() != header.size()) {
      return Status::InvalidArgument(at + ": " + std::to_string(fields.size()) + " fields, the header has " +
                                     std::to_string(header.size()));
    }
    auto get = [&](const char* name) { return col.count(name) ? Trim(fields[col[name]]) : std::string(); };
    GalleryImportItem item;
    item.line = line;
    const std::string image = get("image");
    item.meta.reference = get("reference");
    item.meta.capture_date = get("capture_date");
    item.meta.source = get("source");
    if (image.empty() || item.meta.reference.empty()) {
      return Status::InvalidArgument(at + ": image and reference must not be empty");
    }
    LFR_RETURN_IF_ERROR(CheckText(image, at + ", column 'image'", kMaxCsvPathChars));
    LFR_RETURN_IF_ERROR(CheckRecordText(item.meta, at + ", column "));
    item.image = fs::path(image).is_absolute() ? fs::path(image) : base_dir / image;
    out.push_back(std::move(item));
  }
  if (out.empty()) return Status::InvalidArgument("CSV has a header but no rows");
  return out;
}

Result<std::vector<GalleryImportItem>> ReadGalleryCsv(const fs::path& csv) {
  std::error_code ec;
  if (!fs::exists(csv, ec)) return Status::NotFound("CSV file " + csv.string() + " does not exist");
  const uintmax_t size = fs::file_size(csv, ec);
  if (!ec && size > kMaxCsvBytes) {
    return Status::InvalidArgument(csv.string() + ": " + std::to_string(size) + " bytes is more than the " +
                                   std::to_string(kMaxCsvBytes >> 20) + " MiB a gallery CSV may have");
  }
  std::ifstream f(csv, std::ios::binary);
  if (!f) return Status::IOError("cannot read " + csv.string());
  std::stringstream ss;
  ss << f.rdbuf();
  auto items = ParseGalleryCsv(ss.str(), csv.parent_path());
  if (!items.ok()) return Status::InvalidArgument(csv.string() + ": " + items.status().message());
  return items;
}

Result<std::vector<GalleryImportItem>> ListGalleryFolder(const fs::path& dir, const GalleryRecord& defaults) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::NotFound("gallery folder " + dir.string() + " does not exist");
  if (!fs::is_directory(dir, ec)) return Status::InvalidArgument(dir.string() + " is not a folder");
  LFR_RETURN_IF_ERROR(CheckRecordText(defaults, "option "));
  std::vector<GalleryImportItem> out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || !IsImageFile(e.path())) continue;
    GalleryImportItem item;
    item.image = e.path();
    item.meta = defaults;
    item.meta.reference = e.path().stem().string();
    out.push_back(std::move(item));
  }
  if (ec) return Status::IOError("cannot list " + dir.string() + ": " + ec.message());
  if (out.empty()) return Status::InvalidArgument("gallery folder " + dir.string() + " holds no images");
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.image < b.image; });
  return out;
}

Result<std::unique_ptr<GalleryImporter>> GalleryImporter::Begin(GalleryStore* store, const Gallery& gallery,
                                                                FaceAnalyzer* analyzer,
                                                                const std::string& recogniser_id,
                                                                float duplicate_threshold, const Actor& by,
                                                                const EnrolOptions& options) {
  if (recogniser_id != gallery.recogniser_id) {
    return Status::InvalidArgument("gallery " + gallery.spec.name + " holds " + gallery.recogniser_id +
                                   " embeddings; this import uses " + recogniser_id);
  }
  std::unique_ptr<GalleryImporter> imp(
      new GalleryImporter(store, gallery, analyzer, duplicate_threshold, by, options));
  auto known = store->LoadGalleryEmbeddings(gallery.id, by);
  if (!known.ok()) return known.status();
  imp->known_ = std::move(known).value();
  auto id = store->BeginGalleryImport(gallery.id, by);
  if (!id.ok()) return id.status();
  imp->import_id_ = *id;
  return imp;
}

GalleryImporter::~GalleryImporter() {
  if (!finished_ && import_id_ != 0) (void)store_->AbortGalleryImport(import_id_, by_);
}

Result<GalleryItemOutcome> GalleryImporter::Add(const fs::path& image, const GalleryRecord& meta) {
  auto decoded = ReadImage(image);
  if (!decoded.ok()) {
    GalleryItemOutcome out;
    out.rejection = decoded.status().message();
    return out;
  }
  auto r = AddImage(*decoded, meta);
  WipeMat(&decoded.value());
  return r;
}

Result<GalleryItemOutcome> GalleryImporter::AddImage(const cv::Mat& image, const GalleryRecord& meta) {
  GalleryItemOutcome out;
  if (finished_) return Status::FailedPrecondition("the import was already committed or aborted");
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
  // The same face rules as every watchlist enrolment.
  const int best = PickEnrolmentFace(faces_, central, image.size(), options_, &out.rejection);
  if (best < 0) {
    wipe_faces();
    return out;
  }
  GalleryRecordInput input;
  input.meta = meta;
  const AnalyzedFace& face = faces_[best];
  const int dim = face.embedding.cols;
  input.embedding.assign(face.embedding.ptr<float>(), face.embedding.ptr<float>() + dim);
  double norm2 = 0;
  for (float v : input.embedding) norm2 += double(v) * v;
  for (float& v : input.embedding) v = static_cast<float>(v / std::sqrt(norm2));
  input.meta.quality = face.quality.score;
  if (face.quality.score < 0.5f) {
    input.meta.quality_notes = "quality score " + Fixed(face.quality.score, 2) +
                               " is low: a clearer, frontal image would be found more reliably";
  }
  wipe_faces();
  auto wipe_input = [&input] { WipeBytes(input.embedding.data(), input.embedding.size() * sizeof(float)); };

  // Possible duplicate: the same face already in the gallery under another reference.
  float best_score = -1.0f;
  const GalleryEmbedding* best_known = nullptr;
  for (const GalleryEmbedding& k : known_) {
    if (k.reference == meta.reference || k.embedding.size() != input.embedding.size() * sizeof(float)) continue;
    const auto* v = reinterpret_cast<const float*>(k.embedding.data());
    double dot = 0;
    for (int i = 0; i < dim; ++i) dot += double(v[i]) * input.embedding[i];
    if (dot > best_score) {
      best_score = static_cast<float>(dot);
      best_known = &k;
    }
  }
  if (best_known != nullptr && best_score >= duplicate_threshold_) {
    input.meta.duplicate_of = best_known->record_id;
    input.meta.duplicate_score = best_score;
    out.warnings.push_back("possible duplicate of record " + std::to_string(best_known->record_id) + " (" +
                           best_known->reference + "): similarity " + Fixed(best_score, 3) + " >= " +
                           Fixed(duplicate_threshold_, 3));
  }

  auto jpeg = EncodeJpeg(image, kEnrolmentImageLongSide);
  if (!jpeg.ok()) {
    wipe_input();
    return jpeg.status();
  }
  input.image_jpeg = std::move(jpeg).value();
  auto staged = store_->StageGalleryRecord(import_id_, input, by_);
  WipeBytes(input.image_jpeg.data(), input.image_jpeg.size());
  if (staged.ok()) {
    GalleryEmbedding k;
    k.record_id = staged->id;
    k.reference = staged->reference;
    k.embedding = SecretBytes(reinterpret_cast<const uint8_t*>(input.embedding.data()),
                              input.embedding.size() * sizeof(float));
    known_.push_back(std::move(k));
  }
  wipe_input();
  if (!staged.ok()) {
    if (staged.status().code() == Status::Code::kInvalidArgument) {
      out.rejection = staged.status().message();
      out.warnings.clear();
      return out;
    }
    return staged.status();
  }
  out.record = std::move(staged).value();
  return out;
}

Result<int64_t> GalleryImporter::Commit(const std::string& extra_json) {
  if (finished_) return Status::FailedPrecondition("the import was already committed or aborted");
  auto n = store_->CommitGalleryImport(import_id_, extra_json, by_);
  if (n.ok()) finished_ = true;
  return n;
}

Status GalleryImporter::Abort() {
  if (finished_) return Status::Ok();
  finished_ = true;
  return store_->AbortGalleryImport(import_id_, by_);
}

Result<GalleryAnalyzer> OpenGalleryAnalyzer(const ModelStore& models, const Gallery& gallery) {
  auto rec = models.Locate(gallery.recogniser_id);
  if (!rec.ok()) return rec.status();
  auto analyzer = FaceAnalyzer::FromStore(models, "", gallery.recogniser_id);
  if (!analyzer.ok()) return analyzer.status();
  GalleryAnalyzer out;
  out.analyzer = std::move(analyzer).value();
  out.verify_threshold = rec->spec->card.verify_threshold;
  return out;
}

Result<GalleryImportSummary> ImportGalleryItems(GalleryStore* store, const Gallery& gallery, FaceAnalyzer* analyzer,
                                                float duplicate_threshold, const std::vector<GalleryImportItem>& items,
                                                const std::string& source, const Actor& by,
                                                const std::function<void()>& on_item) {
  if (gallery.deleted) {
    return Status::FailedPrecondition("gallery " + std::to_string(gallery.id) + " (" + gallery.spec.name +
                                      ") was deleted");
  }
  auto importer = GalleryImporter::Begin(store, gallery, analyzer, gallery.recogniser_id, duplicate_threshold, by);
  if (!importer.ok()) return importer.status();
  GalleryImportSummary sum;
  sum.images = static_cast<int64_t>(items.size());
  int64_t staged = 0;
  for (const GalleryImportItem& item : items) {
    Result<GalleryItemOutcome> outcome = Status::Internal("not run");
    if (item.bytes.empty()) {
      outcome = (*importer)->Add(item.image, item.meta);
    } else {
      auto decoded = DecodeImage(item.bytes, item.image.filename().string());
      if (decoded.ok()) {
        outcome = (*importer)->AddImage(*decoded, item.meta);
        WipeMat(&decoded.value());
      } else {
        GalleryItemOutcome rejected;
        rejected.rejection = decoded.status().message();
        outcome = rejected;
      }
    }
    if (!outcome.ok()) {
      Status aborted = (*importer)->Abort();
      return Reworded(outcome.status(),
                    "gallery import stopped at " + item.image.filename().string() + ": " +
                        outcome.status().message() + "; nothing was imported (the " + std::to_string(staged) +
                        " image(s) checked so far were discarded" +
                        (aborted.ok() ? "" : ", and discarding them failed: " + aborted.message()) + ")");
    }
    const std::string where =
        item.image.filename().string() + (item.line > 0 ? " (line " + std::to_string(item.line) + ")" : "");
    if (outcome->record) {
      ++staged;
      if (outcome->record->duplicate_of) ++sum.possible_duplicates;
      for (const auto& w : outcome->warnings) sum.warnings.push_back(where + " " + item.meta.reference + ": " + w);
    } else {
      sum.rejections.push_back(where + " " + item.meta.reference + ": " + outcome->rejection);
    }
    if (on_item) on_item();
  }
  if (staged == 0) {
    (void)(*importer)->Abort();
    std::string why;
    for (const auto& r : sum.rejections) why += (why.empty() ? "" : "; ") + r;
    return Status::InvalidArgument("no image could be imported" + (why.empty() ? "" : " (" + why + ")"));
  }
  nlohmann::json extra = {{"source", source},
                          {"images", sum.images},
                          {"rejected", sum.rejections.size()},
                          {"possible_duplicates", sum.possible_duplicates}};
  auto committed = (*importer)->Commit(extra.dump());
  if (!committed.ok()) return committed.status();
  sum.imported = *committed;
  return sum;
}

}  // namespace lfr
