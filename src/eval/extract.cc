#include "eval/extract.h"

#include <atomic>
#include <cmath>
#include <chrono>
#include <thread>

#include <opencv2/core.hpp>
#include <opencv2/core/base.hpp>

#include "eval/progress.h"
#include "match/watchlist.h"
#include "util/secure.h"
#include "vision/analyzer.h"
#include "vision/image_io.h"

namespace lfr::eval {
namespace fs = std::filesystem;

struct FaceExtractor::Worker {
  std::unique_ptr<FaceAnalyzer> analyzer;
  std::vector<AnalyzedFace> faces;
  cv::Mat plain;   // the mirror's embedding
  cv::Mat mirror;  // the aligned crop flipped left-right (wiped after use)
};

FaceExtractor::~FaceExtractor() = default;

Result<std::unique_ptr<FaceExtractor>> FaceExtractor::Create(const ModelStore& store,
                                                             const ExtractOptions& options) {
  std::unique_ptr<FaceExtractor> ex(new FaceExtractor());
  ex->progress_ = options.progress;
  const int threads = std::max(1, options.threads);
  for (int i = 0; i < threads; ++i) {
    auto analyzer = FaceAnalyzer::FromStore(store, options.detector_id, options.recogniser_id,
                                            options.detector);
    if (!analyzer.ok()) return analyzer.status();
    auto w = std::make_unique<Worker>();
    w->analyzer = std::move(analyzer).value();
    ex->workers_.push_back(std::move(w));
  }
  LFR_RETURN_IF_ERROR(ex->Finish(options));
  return ex;
}

Status FaceExtractor::Finish(const ExtractOptions& options) {
  FaceAnalyzer& a = *workers_[0]->analyzer;
  const ModelSpec& det = a.detector().spec();
  const ModelSpec& rec = a.embedder().spec();
  detector_id_ = det.id;
  recogniser_id_ = rec.id;
  dim_ = a.embedder().dim();
  std::string config = "openlfr-eval-cache v1";  // names the file: layouts are upgraded in it
  for (const ModelSpec* s : {&det, &rec}) {
    config += "|" + s->id;
    for (const auto& f : s->files) config += ":" + f.sha256;
  }
  for (const auto& f : rec.files) recogniser_sha_ += (recogniser_sha_.empty() ? "" : ",") + f.sha256;
  const DetectorOptions& d = options.detector;
  config += "|wls=" + std::to_string(d.working_long_side) + "|min=" + std::to_string(d.min_face_px) +
            "|score=" + std::to_string(d.score_threshold) + "|nms=" + std::to_string(d.nms_threshold) +
            "|max=" + std::to_string(d.max_faces);
  const QualityOptions& q = a.quality_options();
  config += "|q=" + std::to_string(q.min_detector_score) + "," + std::to_string(q.min_inter_eye_px) +
            "," + std::to_string(q.min_sharpness) + "," + std::to_string(q.max_abs_yaw_deg) + "," +
            std::to_string(q.max_abs_roll_deg) + "," + std::to_string(q.min_score) + "," +
            std::to_string(q.min_eye_to_box) + "," + std::to_string(q.min_eye_mouth_to_box);
  config_ = config;
  if (options.cache_dir) {
    auto cache = EmbeddingCache::Open(*options.cache_dir, config);
    if (!cache.ok()) return cache.status();
    cache_ = std::move(cache).value();
  }
  return Status::Ok();
}

Result<std::unique_ptr<FaceExtractor>> FaceExtractor::Create(const InstalledModel& detector,
                                                             const InstalledModel& recogniser,
                                                             const ExtractOptions& options) {
  std::unique_ptr<FaceExtractor> ex(new FaceExtractor());
  ex->progress_ = options.progress;
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    auto det = CreateDetector(detector, options.detector);
    if (!det.ok()) return det.status();
    auto emb = Embedder::Create(recogniser);
    if (!emb.ok()) return emb.status();
    auto w = std::make_unique<Worker>();
    w->analyzer = std::make_unique<FaceAnalyzer>(std::move(det).value(), std::move(emb).value());
    ex->workers_.push_back(std::move(w));
  }
  LFR_RETURN_IF_ERROR(ex->Finish(options));
  return ex;
}

Status FaceExtractor::Run(const std::vector<fs::path>& paths, const std::string& label,
                          std::vector<ImageResult>* out, ExtractStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  out->assign(paths.size(), ImageResult{});
  std::vector<size_t> todo;
  ExtractStats st;
  st.images = static_cast<int64_t>(paths.size());
  int64_t verdict_only = 0;  // cached results that only need the enrolment verdict
  for (size_t i = 0; i < paths.size(); ++i) {
    if (cache_ && cache_->Lookup(paths[i], &(*out)[i])) {
      ++st.cached;
      // Cached before the enrolment verdict was recorded: detection and quality again.
      if (!(*out)[i].enrol_known) {
        todo.push_back(i);
        ++verdict_only;
      }
    } else {
      todo.push_back(i);
    }
  }
  if (!todo.empty()) {
    ProgressBar bar(progress_, label, static_cast<int64_t>(todo.size()));
    const int saved_threads = cv::getNumThreads();
    cv::setNumThreads(1);
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex err_mu;
    Status first_error;
    auto work = [&](Worker* w) {
      // Central face only. The face-only embedding comes from the analyser and the mirror's
      // from one more pass; their normalised sum is exactly the live default's flip
      // average (Embedder::EmbedWithFlip), so each image costs two forward passes, not three.
      AnalyzeOptions opts;
      opts.flip_average = false;
      while (!failed) {
        const size_t k = next.fetch_add(1);
        if (k >= todo.size()) break;
        const size_t i = todo[k];
        Status s;
        auto image = ReadImage(paths[i]);
        if (image.ok() && !(*out)[i].enrol_known) {
          // Only the verdict is missing: detect and assess, no embedding (the central face
          // was embedded when the result was cached, which is all PickEnrolmentFace asks).
          AnalyzeOptions vopts;
          vopts.embed = false;
          int central = -1;
          ImageResult r = (*out)[i];
          s = w->analyzer->Analyze(*image, vopts, &w->faces, &central);
          if (s.ok()) {
            if (central >= 0 && r.found) w->faces[static_cast<size_t>(central)].embedding = cv::Mat(1, 1, CV_32F, 0.0f);
            r.enrol_refusal.clear();
            r.enrolable = PickEnrolmentFace(w->faces, central, image->size(), EnrolOptions{}, &r.enrol_refusal) >= 0;
            r.enrol_known = true;
            if (cache_) s = cache_->Insert(paths[i], r);
          }
          if (!s.ok()) {
            std::lock_guard<std::mutex> lock(err_mu);
            if (!failed) first_error = s;
            failed = true;
            break;
          }
          (*out)[i] = std::move(r);
          bar.Add();
          continue;
        }
        ImageResult r;
        if (!image.ok()) {
          s = image.status();
        } else {
          int central = -1;
          s = w->analyzer->Analyze(*image, opts, &w->faces, &central);
          if (s.ok()) {
            r.faces = static_cast<int32_t>(w->faces.size());
            // The product's enrolment verdict on this image (the rules `lfr watchlist add` applies).
            r.enrolable = PickEnrolmentFace(w->faces, central, image->size(), EnrolOptions{}, &r.enrol_refusal) >= 0;
            if (central >= 0) {
              const AnalyzedFace& f = w->faces[central];
              r.found = true;
              r.detector_score = f.face.score;
              r.quality_score = f.quality.score;
              r.quality_passed = f.quality.passed;
              r.plain.assign(f.embedding.ptr<float>(), f.embedding.ptr<float>() + f.embedding.total());
              cv::flip(f.aligned, w->mirror, 1);
              s = w->analyzer->embedder().Embed({w->mirror}, &w->plain);
              if (s.ok()) {
                r.flip.resize(r.plain.size());
                double norm2 = 0;
                for (size_t d = 0; d < r.plain.size(); ++d) {
                  r.flip[d] = r.plain[d] + w->plain.ptr<float>()[d];
                  norm2 += double(r.flip[d]) * r.flip[d];
                }
                const double norm = std::sqrt(norm2);
                if (norm > 1e-12) {
                  for (float& v : r.flip) v = static_cast<float>(v / norm);
                }
                WipeBytes(w->mirror.data, w->mirror.total() * w->mirror.elemSize());
              }
            }
          }
        }
        if (s.ok() && cache_) s = cache_->Insert(paths[i], r);
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(err_mu);
          if (!failed) first_error = Status(s.code() == Status::Code::kNotFound
                                                ? Status::InvalidArgument(paths[i].string() + ": " + s.message())
                                                : s);
          failed = true;
          break;
        }
        (*out)[i] = std::move(r);
        bar.Add();
      }
    };
    std::vector<std::thread> threads;
    for (size_t t = 1; t < workers_.size(); ++t) threads.emplace_back(work, workers_[t].get());
    work(workers_[0].get());
    for (auto& t : threads) t.join();
    cv::setNumThreads(saved_threads);
    bar.Finish();
    if (failed) return first_error;
    st.computed = static_cast<int64_t>(todo.size()) - verdict_only;
  }
  for (const auto& r : *out) st.no_face += r.found ? 0 : 1;
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (stats != nullptr) *stats = st;
  return Status::Ok();
}

}  // namespace lfr::eval
