#include "search/retrospective.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "privacy/crypto.h"
#include "util/secure.h"
#include "vision/image_io.h"

namespace lfr {

namespace {

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

bool Blank(const std::string& v) { return v.find_first_not_of(" \t\r\n") == std::string::npos; }

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  (void)InitCrypto();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::vector<std::string> ProbeWarnings(const QualityReport& q) {
  std::vector<std::string> out;
  if (q.inter_eye_px < kReliableInterEyePx) {
    out.push_back("only " + Fixed(q.inter_eye_px, 0) + " pixels between the eyes (a reviewer should have at least " +
                  Fixed(kReliableInterEyePx, 0) + ")");
  }
  if (q.sharpness > 0 && q.sharpness < kReliableSharpness) {
    out.push_back("the face is blurred (sharpness " + Fixed(q.sharpness, 0) + ", below " +
                  Fixed(kReliableSharpness, 0) + ")");
  }
  if (std::fabs(q.yaw_deg) > kReliableYawDeg) {
    out.push_back("the head is turned " + Fixed(std::fabs(q.yaw_deg), 0) + " degrees from the camera (more than " +
                  Fixed(kReliableYawDeg, 0) + ")");
  }
  return out;
}

Result<SearchOutcome> RetrospectiveSearch::Run(const std::string& probe_bytes, const Gallery& gallery,
                                               const SearchRequest& request, const Actor& by) {
  // Everything that can be refused is refused before the probe is decoded or anything
  // recorded.
  if (Blank(request.case_reference)) {
    return Status::InvalidArgument("a search needs a case reference (--case)");
  }
  if (Blank(request.reason)) return Status::InvalidArgument("a search needs a reason (--reason)");
  if (request.top < 1 || request.top > kMaxSearchTop) {
    return Status::InvalidArgument("top must be 1.." + std::to_string(kMaxSearchTop) + ", got " +
                                   std::to_string(request.top));
  }
  if (request.face < 0) return Status::InvalidArgument("face numbers start at 1");
  if (gallery.deleted) {
    return Status::FailedPrecondition("gallery " + std::to_string(gallery.id) + " (" + gallery.spec.name +
                                      ") was deleted");
  }
  if (gallery.recogniser_id != recogniser_id_) {
    return Status::InvalidArgument("gallery " + gallery.spec.name + " holds " + gallery.recogniser_id +
                                   " embeddings; this search uses " + recogniser_id_);
  }
  if (probe_bytes.size() > kMaxProbeBytes) {
    return Status::InvalidArgument("the probe is " + std::to_string(probe_bytes.size() >> 20) +
                                   " MiB, more than the " + std::to_string(kMaxProbeBytes >> 20) + " MiB a probe may have");
  }
  const std::string sha = Sha256Hex(probe_bytes);
  auto image = DecodeImage(probe_bytes, "probe");
  if (!image.ok()) return image.status();

  std::vector<AnalyzedFace> faces;
  auto wipe = [&] {
    WipeMat(&image.value());
    for (auto& f : faces) {
      WipeMat(&f.aligned);
      WipeMat(&f.embedding);
    }
  };
  AnalyzeOptions aopts;
  aopts.embed = true;
  aopts.embed_all = true;
  int central = -1;
  Status s = analyzer_->Analyze(*image, aopts, &faces, &central);
  if (!s.ok()) {
    wipe();
    return s;
  }
  if (faces.empty()) {
    wipe();
    return Status::InvalidArgument("no face found in the probe");
  }
  // Numbered by size, largest first.
  std::vector<size_t> order(faces.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return faces[a].face.box.area() > faces[b].face.box.area();
  });
  SearchOutcome out;
  for (size_t n = 0; n < order.size(); ++n) {
    ProbeFace pf;
    pf.number = static_cast<int>(n + 1);
    pf.box = faces[order[n]].face.box;
    pf.quality = faces[order[n]].quality;
    pf.warnings = ProbeWarnings(pf.quality);
    out.faces.push_back(std::move(pf));
  }
  const int pick = request.face == 0 ? 1 : request.face;
  if (pick > static_cast<int>(faces.size())) {
    wipe();
    return Status::InvalidArgument("the probe has " + std::to_string(faces.size()) + " face(s); there is no face " +
                                   std::to_string(pick));
  }
  out.searched = pick;
  const AnalyzedFace& face = faces[order[pick - 1]];
  if (face.embedding.empty()) {
    wipe();
    return Status::InvalidArgument("face " + std::to_string(pick) + " of the probe could not be embedded");
  }
  std::vector<float> probe(face.embedding.ptr<float>(), face.embedding.ptr<float>() + face.embedding.cols);
  const ProbeFace& searched = out.faces[pick - 1];

  // Exact search over the gallery's live records.
  auto gallery_embeddings = store_->LoadGalleryEmbeddings(gallery.id, by);
  if (!gallery_embeddings.ok()) {
    wipe();
    WipeBytes(probe.data(), probe.size() * sizeof(float));
    return gallery_embeddings.status();
  }
  std::vector<std::pair<float, size_t>> scored;
  scored.reserve(gallery_embeddings->size());
  for (size_t i = 0; i < gallery_embeddings->size(); ++i) {
    const GalleryEmbedding& g = (*gallery_embeddings)[i];
    if (g.embedding.size() != probe.size() * sizeof(float)) continue;
    const auto* v = reinterpret_cast<const float*>(g.embedding.data());
    double dot = 0;
    for (size_t d = 0; d < probe.size(); ++d) dot += double(v[d]) * probe[d];
    scored.emplace_back(static_cast<float>(dot), i);
  }
  const size_t k = std::min(scored.size(), static_cast<size_t>(request.top));
  std::partial_sort(scored.begin(), scored.begin() + k, scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });

  SearchInput in;
  in.gallery_id = gallery.id;
  in.case_reference = request.case_reference;
  in.reason = request.reason;
  in.probe_sha256 = sha;
  in.faces_found = static_cast<int>(faces.size());
  in.face_searched = pick;
  in.probe_quality = searched.quality.score;
  in.probe_warnings = Join(searched.warnings);
  for (size_t r = 0; r < k; ++r) {
    SearchCandidate c;
    c.rank = static_cast<int>(r + 1);
    c.record_id = (*gallery_embeddings)[scored[r].second].record_id;
    c.reference = (*gallery_embeddings)[scored[r].second].reference;
    c.score = scored[r].first;
    in.candidates.push_back(std::move(c));
  }
  wipe();
  WipeBytes(probe.data(), probe.size() * sizeof(float));
  auto record = store_->RecordSearch(in, by);
  if (!record.ok()) return record.status();
  out.record = std::move(record).value();
  return out;
}

}  // namespace lfr
