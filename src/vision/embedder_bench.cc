// Alignment and embedding cost per face (MobileFaceNet, CPU).
#include <benchmark/benchmark.h>

#include <chrono>
#include <optional>
#include <string>

#include <opencv2/imgproc.hpp>

#include "models/catalog.h"
#include "models/store.h"
#include "util/paths.h"
#include "vision/align.h"
#include "vision/embedder.h"

namespace lfr {
namespace {

constexpr const char* kRecogniser = "mobilefacenet-arcface";

// The catalogue outlives every InstalledModel that points into it.
const Catalog* BenchCatalog() {
  static const Catalog* catalog = [] {
    auto c = Catalog::Load();
    return c.ok() ? new Catalog(std::move(c).value()) : nullptr;
  }();
  return catalog;
}

// The model from the local store, else straight from the mirror folder.
std::optional<InstalledModel> FindRecogniser(std::string* why) {
  const Catalog* catalog = BenchCatalog();
  if (catalog == nullptr) {
    *why = "catalogue failed to load";
    return std::nullopt;
  }
  ModelStore store(catalog, ModelStoreDir(), std::nullopt);
  if (auto m = store.Locate(kRecogniser); m.ok()) return m.value();
  const ModelSpec* spec = catalog->Find(kRecogniser);
  auto mirror = ModelMirrorDir();
  if (spec == nullptr || !mirror) {
    *why = std::string(kRecogniser) + " not installed and LFR_MODEL_MIRROR not set";
    return std::nullopt;
  }
  InstalledModel m{spec, {}};
  for (const auto& f : spec->files) {
    std::error_code ec;
    const auto p = *mirror / f.mirror_path;
    if (!std::filesystem::exists(p, ec)) {
      *why = "missing " + p.string();
      return std::nullopt;
    }
    m.files.push_back(p);
  }
  return m;
}

Embedder* SharedEmbedder(std::string* why) {
  static std::unique_ptr<Embedder> embedder;
  static std::string error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    if (auto m = FindRecogniser(&error)) {
      auto e = Embedder::Create(*m);
      if (e.ok()) {
        embedder = std::move(e).value();
      } else {
        error = e.status().ToString();
      }
    }
  }
  *why = error;
  return embedder.get();
}

cv::Mat SyntheticFace(int seed) {
  cv::Mat img(112, 112, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(256));
  cv::GaussianBlur(img, img, cv::Size(0, 0), 2.0);
  return img;
}

// Wall-clock milliseconds per face (cv::dnn runs several threads, so CPU time overstates).
void SetMsPerFace(benchmark::State& state, std::chrono::steady_clock::time_point start,
                  int faces_per_iteration) {
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start).count();
  const double faces = static_cast<double>(state.iterations()) * faces_per_iteration;
  state.counters["ms_per_face"] = faces > 0 ? ms / faces : 0.0;
}

void BM_AlignFace(benchmark::State& state) {
  cv::Mat frame(720, 1280, CV_8UC3);
  cv::randu(frame, cv::Scalar::all(0), cv::Scalar::all(256));
  Face face;
  const auto& t = ArcFaceTemplate112();
  for (int i = 0; i < kNumLandmarks; ++i) {
    face.landmarks[i] = cv::Point2f(500 + 1.8f * t[i][0], 200 + 1.8f * t[i][1] + 0.1f * i);
  }
  cv::Mat out;
  for (auto _ : state) {
    AlignFace(frame, face, t, cv::Size(112, 112), &out);
    benchmark::DoNotOptimize(out.data);
  }
}
BENCHMARK(BM_AlignFace)->Unit(benchmark::kMicrosecond);

// Embeds state.range(0) faces per call with `embed` (Embed or EmbedWithFlip).
void RunEmbedBenchmark(benchmark::State& state,
                       Status (Embedder::*embed)(const std::vector<cv::Mat>&, cv::Mat*)) {
  std::string why;
  Embedder* e = SharedEmbedder(&why);
  if (e == nullptr) {
    state.SkipWithError(why.c_str());
    return;
  }
  const int n = static_cast<int>(state.range(0));
  std::vector<cv::Mat> faces;
  for (int i = 0; i < n; ++i) faces.push_back(SyntheticFace(i));
  cv::Mat out;
  if (!(e->*embed)(faces, &out).ok()) {  // warm-up at this batch size
    state.SkipWithError("embedding failed");
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    (e->*embed)(faces, &out);
    benchmark::DoNotOptimize(out.data);
  }
  SetMsPerFace(state, start, n);
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_Embed(benchmark::State& state) { RunEmbedBenchmark(state, &Embedder::Embed); }
BENCHMARK(BM_Embed)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_EmbedWithFlip(benchmark::State& state) { RunEmbedBenchmark(state, &Embedder::EmbedWithFlip); }
BENCHMARK(BM_EmbedWithFlip)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace lfr
