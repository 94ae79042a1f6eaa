#include "store/enrolment.h"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "match/calibration.h"
#include "store/media.h"
#include "util/text.h"
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

HubPolicy HubPolicyFor(const Deployment& deployment, const std::filesystem::path& lfr_home) {
  HubPolicy p;
  p.threshold = deployment.spec.threshold;
  p.recogniser_id = deployment.recogniser_id;
  auto cohort = BackgroundCohort::Load(DefaultCohortPath(lfr_home, deployment.recogniser_id),
                                       deployment.recogniser_id);
  if (cohort.ok()) {
    p.cohort = std::make_shared<const BackgroundCohort>(std::move(cohort).value());
  } else {
    p.missing = cohort.status().message();
  }
  return p;
}

Status WatchlistEnroller::SetHubPolicy(HubPolicy policy) {
  hub_.reset();
  if (policy.cohort) {
    auto check = std::make_unique<HubCheck>(policy.cohort.get(), policy.options);
    for (const EntryEmbedding& k : known_) {
      Status s = check->AddEntry(reinterpret_cast<const float*>(k.embedding.data()),
                                 static_cast<int>(k.embedding.size() / sizeof(float)));
      if (!s.ok()) return s;
    }
    hub_ = std::move(check);
  }
  hub_policy_ = std::move(policy);
  return Status::Ok();
}

std::string WatchlistEnroller::HubCheckMissing() const {
  if (!hub_policy_) return "no hub check configured";
  return hub_ ? "" : hub_policy_->missing;
}

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
                                                  const WatchlistEntry& meta, bool allow_duplicate,
                                                  const std::string& accept_hub_reason) {
  auto decoded = ReadImage(image);
  if (!decoded.ok()) {
    EnrolmentOutcome out;
    out.rejection = decoded.status().message();
    return out;
  }
  auto r = EnrolImage(*decoded, meta, allow_duplicate, accept_hub_reason);
  WipeMat(&decoded.value());
  return r;
}

Result<EnrolmentOutcome> WatchlistEnroller::EnrolImage(const cv::Mat& image, const WatchlistEntry& meta,
                                                       bool allow_duplicate,
                                                       const std::string& accept_hub_reason) {
  EnrolmentOutcome out;
  const bool accept_hub = accept_hub_reason.find_first_not_of(" \t\r\n") != std::string::npos;
  if (accept_hub) {
    if (Status s = CheckText(accept_hub_reason, "the reason for accepting a hub", text_limits::kNote,
                             TextKind::kMultiLine);
        !s.ok()) {
      return s;
    }
  }
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
  const int best = PickEnrolmentFace(faces_, central, image.size(), options_, &out.rejection);
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

  // Hub check: would this entry alert on many strangers at the deployment's threshold?
  if (hub_policy_ && storable) {
    HubVerdict v;
    if (!hub_) {
      v.not_checked = hub_policy_->missing;
    } else {
      auto threshold = ResolveThreshold(hub_policy_->threshold, hub_policy_->recogniser_id,
                                        static_cast<int>(known_.size()) + 1);
      if (!threshold.ok()) {
        v.not_checked = "the deployment's threshold: " + threshold.status().message();
      } else {
        auto f = hub_->Judge(input.embedding.data(), dim, *threshold);
        if (!f.ok()) {
          WipeBytes(input.embedding.data(), input.embedding.size() * sizeof(float));
          return f.status();
        }
        v.checked = true;
        v.forecast = std::move(f).value();
      }
    }
    if (v.hub()) {
      const EntryForecast& ef = v.forecast.entries[0];
      if (!accept_hub) {
        WipeBytes(input.embedding.data(), input.embedding.size() * sizeof(float));
        v.refused = true;
        out.rejection = "this photo would be a hub of the watchlist: " + ef.reason + " (threshold " +
                        Fixed(v.forecast.threshold, 3) + ", background cohort of " +
                        std::to_string(v.forecast.cohort_size) +
                        " faces). It would cause false alerts on many people: use a clear frontal photo of "
                        "this person, or a supervisor accepts it with a reason";
        out.warnings.clear();
        out.hub_check = std::move(v);
        return out;
      }
      v.accepted_reason = accept_hub_reason;
      const std::string note = "forecast hub accepted by " + by_.name + " (" + std::to_string(ef.cohort_hits) +
                               " of " + std::to_string(v.forecast.cohort_size) + " strangers at " +
                               Fixed(v.forecast.threshold, 3) + "): " + accept_hub_reason;
      input.meta.quality_notes = input.meta.quality_notes.empty() ? note : input.meta.quality_notes + "; " + note;
      out.warnings.push_back("accepted although a forecast hub: " + ef.reason);
    }
    out.hub_check = std::move(v);
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
    if (hub_) {
      if (Status hs = hub_->AddEntry(input.embedding.data(), dim); !hs.ok()) {
        WipeBytes(input.embedding.data(), input.embedding.size() * sizeof(float));
        return hs;
      }
    }
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
  if (out.hub_check && !out.hub_check->accepted_reason.empty()) {
    // The supervisor's decision to enrol a forecast hub is on record with its figures.
    const EntryForecast& ef = out.hub_check->forecast.entries[0];
    Status audited = store_->Audit(by_, "watchlist.accept_hub", "entry:" + std::to_string(out.entry->id),
                                   nlohmann::json{{"deployment", deployment_id_},
                                                  {"reference", out.entry->reference},
                                                  {"reason", out.hub_check->accepted_reason},
                                                  {"threshold", out.hub_check->forecast.threshold},
                                                  {"cohort_size", out.hub_check->forecast.cohort_size},
                                                  {"cohort_hits", ef.cohort_hits},
                                                  {"hub_z", ef.hub_z},
                                                  {"why", ef.reason}}
                                       .dump());
    if (!audited.ok()) return audited;
  }
  return out;
}

}  // namespace lfr
