#include "match/watchlist.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "util/secure.h"
#include "vision/image_io.h"

namespace lfr {
namespace fs = std::filesystem;

Watchlist::~Watchlist() { Clear(); }

Watchlist::Watchlist(Watchlist&& other) noexcept
    : dim_(other.dim_),
      matrix_(std::move(other.matrix_)),
      row_subject_(std::move(other.row_subject_)),
      names_(std::move(other.names_)),
      index_(std::move(other.index_)) {
  other.matrix_.clear();
  other.row_subject_.clear();
  other.names_.clear();
}

Watchlist& Watchlist::operator=(Watchlist&& other) noexcept {
  if (this != &other) {
    Clear();
    dim_ = other.dim_;
    matrix_ = std::move(other.matrix_);
    row_subject_ = std::move(other.row_subject_);
    names_ = std::move(other.names_);
    index_ = std::move(other.index_);
    other.matrix_.clear();
    other.row_subject_.clear();
    other.names_.clear();
  }
  return *this;
}

void Watchlist::Clear() {
  if (!matrix_.empty()) WipeBytes(matrix_.data(), matrix_.size() * sizeof(float));
  // Release the capacity too (shrink_to_fit would copy; swap with an empty vector).
  std::vector<float>().swap(matrix_);
  row_subject_.clear();
  names_.clear();
  index_.clear();
}

int Watchlist::FindSubject(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

Result<int> Watchlist::Add(const std::string& name, const float* embedding) {
  if (dim_ <= 0) return Status::InvalidArgument("watchlist: dimension not set");
  double norm2 = 0;
  for (int i = 0; i < dim_; ++i) norm2 += double(embedding[i]) * embedding[i];
  if (!std::isfinite(norm2) || norm2 < 1e-12) {
    return Status::InvalidArgument("watchlist: embedding for " + name + " has zero or invalid norm");
  }
  int subject = FindSubject(name);
  if (subject < 0) {
    subject = static_cast<int>(names_.size());
    names_.push_back(name);
    index_.emplace(name, subject);
  }
  // Growing the vector may move the matrix: copy into a fresh buffer and wipe the old one
  // ourselves so no stale copy of an embedding is left in freed memory.
  const size_t need = matrix_.size() + dim_;
  if (need > matrix_.capacity()) {
    std::vector<float> bigger;
    bigger.reserve(std::max(need, matrix_.capacity() * 2));
    bigger.assign(matrix_.begin(), matrix_.end());
    if (!matrix_.empty()) WipeBytes(matrix_.data(), matrix_.size() * sizeof(float));
    matrix_.swap(bigger);
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(norm2));
  for (int i = 0; i < dim_; ++i) matrix_.push_back(embedding[i] * inv);
  row_subject_.push_back(subject);
  return subject;
}

bool IsImageFile(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp" ||
         ext == ".tif" || ext == ".tiff";
}

std::string QualityReasons(const QualityReport& q) {
  std::ostringstream s;
  for (size_t i = 0; i < q.reasons.size(); ++i) s << (i ? "; " : "") << q.reasons[i];
  return s.str();
}

int PickEnrolmentFace(const std::vector<AnalyzedFace>& faces, int central, cv::Size image,
                      const EnrolOptions& options, std::string* why) {
  if (faces.empty() || central < 0) {
    *why = "no face found";
    return -1;
  }
  // The subject is the largest face. Count it and every other face that could be the one
  // meant: usable (through the quality gate), wholly in the picture and of comparable size.
  const cv::Rect2f frame(0, 0, static_cast<float>(image.width), static_cast<float>(image.height));
  int best = 0;
  for (size_t i = 1; i < faces.size(); ++i) {
    if (faces[i].face.box.width > faces[best].face.box.width) best = static_cast<int>(i);
  }
  const float largest = faces[best].face.box.width;
  int counted = 1;
  for (size_t i = 0; i < faces.size(); ++i) {
    const cv::Rect2f& box = faces[i].face.box;
    if (static_cast<int>(i) != best && faces[i].quality.passed && (box & frame) == box &&
        box.width >= options.ambiguous_face_ratio * largest) {
      ++counted;
    }
  }
  if (counted > 1) {
    *why = std::to_string(counted) + " faces found (need exactly one)";
    return -1;
  }
  if (best != central) {
    *why = "the face is not central in the image";
    return -1;
  }
  if (!faces[best].quality.passed) {
    *why = "face fails the quality gate: " + QualityReasons(faces[best].quality);
    return -1;
  }
  if (faces[best].embedding.empty()) {
    *why = "face could not be embedded";
    return -1;
  }
  return best;
}

Result<std::vector<SubjectImages>> ListWatchlistDir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::NotFound("watchlist folder " + dir.string() + " does not exist");
  if (!fs::is_directory(dir, ec)) {
    return Status::InvalidArgument("watchlist " + dir.string() +
                                   " is not a folder (expected Name.jpg files or a folder per person)");
  }
  std::vector<SubjectImages> out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory()) {
      std::vector<fs::path> images;
      for (const auto& f : fs::directory_iterator(entry.path(), ec)) {
        if (f.is_regular_file() && IsImageFile(f.path())) images.push_back(f.path());
      }
      std::sort(images.begin(), images.end());
      if (!images.empty()) out.emplace_back(entry.path().filename().string(), std::move(images));
    } else if (entry.is_regular_file() && IsImageFile(entry.path())) {
      out.push_back({entry.path().stem().string(), {entry.path()}});
    }
  }
  if (ec) return Status::IOError("cannot list watchlist folder " + dir.string() + ": " + ec.message());
  if (out.empty()) {
    return Status::InvalidArgument("watchlist folder " + dir.string() +
                                   " holds no images (expected Name.jpg files or a folder per person)");
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

Result<EnrolmentReport> EnrolImages(const std::vector<SubjectImages>& subjects,
                                    FaceAnalyzer& analyzer, const EnrolOptions& options,
                                    Watchlist* watchlist,
                                    const std::function<void(int, int)>& progress) {
  const int dim = analyzer.embedder().dim();
  if (watchlist->dim() == 0) *watchlist = Watchlist(dim);
  if (watchlist->dim() != dim) {
    return Status::InvalidArgument("watchlist has " + std::to_string(watchlist->dim()) +
                                   "-d embeddings but the recogniser gives " + std::to_string(dim));
  }
  int total = 0;
  for (const auto& s : subjects) total += static_cast<int>(s.second.size());
  EnrolmentReport report;
  AnalyzeOptions aopts;
  aopts.embed = true;
  aopts.embed_all = false;
  aopts.flip_average = options.flip_average;
  std::vector<AnalyzedFace> faces;
  int done = 0;
  for (const auto& [name, images] : subjects) {
    bool any = false;
    for (const auto& path : images) {
      auto reject = [&](std::string why) {
        report.rejected.push_back({path, name, std::move(why)});
      };
      auto image = ReadImage(path);
      if (!image.ok()) {
        reject(image.status().message());
      } else {
        int central = -1;
        Status s = analyzer.Analyze(*image, aopts, &faces, &central);
        if (!s.ok()) {
          WipeMat(&image.value());
          for (auto& f : faces) { WipeMat(&f.aligned); WipeMat(&f.embedding); }
          return Status(s);
        }
        std::string why;
        const int best = PickEnrolmentFace(faces, central, image->size(), options, &why);
        if (best < 0) {
          reject(why);
        } else {
          auto added = watchlist->Add(name, faces[best].embedding.ptr<float>());
          if (!added.ok()) {
            reject(added.status().message());
          } else {
            ++report.images_enrolled;
            any = true;
          }
        }
        WipeMat(&image.value());
        for (auto& f : faces) { WipeMat(&f.aligned); WipeMat(&f.embedding); }
      }
      ++done;
      if (progress) progress(done, total);
    }
    if (any) ++report.subjects_enrolled;
  }
  faces.clear();
  return report;
}

}  // namespace lfr
