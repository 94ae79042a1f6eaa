#include "search/retrospective.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <numeric>
#include <sstream>

#include "gallery/gallery_json.h"
#include "privacy/crypto.h"
#include "search/index.h"
#include "util/secure.h"
#include "vision/image_io.h"
#include "vision/quality_json.h"

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

nlohmann::json ProbeFaceJson(const ProbeFace& f, int searched) {
  return {{"face", f.number},
          {"box", {{"x", f.box.x}, {"y", f.box.y}, {"w", f.box.width}, {"h", f.box.height}}},
          {"quality", QualityToJson(f.quality)},
          {"fit_for_review", f.warnings.empty()},
          {"warnings", f.warnings},
          {"searched", f.number == searched}};
}

nlohmann::json SearchOutcomeJson(const SearchOutcome& out, const Gallery& gallery) {
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& f : out.faces) faces.push_back(ProbeFaceJson(f, out.searched));
  nlohmann::json j = SearchJson(out.record);
  j["faces"] = faces;
  j["gallery_name"] = gallery.spec.name;
  return j;
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

  // The gallery's index (search/gallery_index.h): in memory, or opened from its sealed file,
  // or rebuilt; brought up to date with the live records first.
  auto index = indexes_->Get(gallery, static_cast<int>(probe.size()), by);
  std::vector<search::SearchHit> hits;
  Status searched_ok = index.status();
  if (index.ok() && (*index)->size() > 0) {
    auto h = (*index)->Search(probe, request.top);
    if (h.ok()) hits = std::move(h).value();
    else searched_ok = h.status();
  }
  if (!searched_ok.ok()) {
    wipe();
    WipeBytes(probe.data(), probe.size() * sizeof(float));
    return searched_ok;
  }
  std::map<int64_t, std::string> references;
  for (const auto& h : hits) {
    auto r = store_->GetGalleryRecord(h.id);
    if (r.ok() && !r->removed) references[h.id] = r->reference;
  }

  SearchInput in;
  in.gallery_id = gallery.id;
  in.case_reference = request.case_reference;
  in.reason = request.reason;
  in.probe_sha256 = sha;
  in.faces_found = static_cast<int>(faces.size());
  in.face_searched = pick;
  in.probe_quality = searched.quality.score;
  in.probe_warnings = Join(searched.warnings);
  for (size_t r = 0; r < hits.size(); ++r) {
    if (!references.count(hits[r].id)) continue;  // removed since the index was brought up to date
    SearchCandidate c;
    c.rank = static_cast<int>(in.candidates.size() + 1);
    c.record_id = hits[r].id;
    c.reference = references[c.record_id];
    c.score = hits[r].score;
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
