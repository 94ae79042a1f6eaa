// Face detection throughput on a real street frame (opera-house-walkers, 1920x1080, about
// ten pedestrians), resized to the benchmarked size. Models come from the installed store
// ($LFR_HOME/models) or the LFR_MODEL_MIRROR folder; data from LFR_DATA. A missing model or
// video skips the benchmark with a message.
#include <filesystem>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "models/store.h"
#include "util/paths.h"
#include "vision/detector.h"
#include "build_info.h"  // LFR_SOURCE_DIR

namespace lfr {
namespace {
namespace fs = std::filesystem;

const Catalog* BenchCatalog() {
  static const std::optional<Catalog> catalog = []() -> std::optional<Catalog> {
    auto c = Catalog::Load();
    if (!c.ok()) return std::nullopt;
    return std::move(c).value();
  }();
  return catalog ? &*catalog : nullptr;
}

// The installed copy, else the mirror copy (LFR_MODEL_MIRROR, else ../shared/models).
Result<InstalledModel> FindBenchModel(const std::string& id) {
  const Catalog* catalog = BenchCatalog();
  if (catalog == nullptr) return Status::Internal("the model catalogue does not load");
  const ModelSpec* spec = catalog->Find(id);
  if (spec == nullptr) return Status::NotFound("no catalogue entry " + id);
  if (auto m = ModelStore(catalog, ModelStoreDir(), std::nullopt).Locate(id); m.ok()) return m;
  const fs::path mirror = ModelMirrorDir().value_or(fs::path(LFR_SOURCE_DIR) / ".." / "shared" / "models");
  InstalledModel model{spec, {}};
  for (const ModelFile& f : spec->files) {
    const fs::path p = mirror / f.mirror_path;
    std::error_code ec;
    if (fs::file_size(p, ec) != f.size || ec) {
      return Status::NotFound("model " + id + " is neither installed nor in the mirror (" +
                              p.string() + ")");
    }
    model.files.push_back(p);
  }
  return model;
}

// Frame 50 (2 s in, walkers well inside the picture) of the opera-house clip.
const cv::Mat& StreetFrame() {
  static const cv::Mat frame = [] {
    cv::Mat f;
    const auto data = DataDir();
    if (!data) return f;
    cv::VideoCapture cap((*data / "video/opera-house-walkers/video.mp4").string());
    for (int i = 0; i <= 50 && cap.read(f); ++i) {
    }
    return f;
  }();
  return frame;
}

void RunDetector(benchmark::State& state, const std::string& id, cv::Size size,
                 int working_long_side) {
  auto model = FindBenchModel(id);
  if (!model.ok()) {
    state.SkipWithError(model.status().ToString().c_str());
    return;
  }
  if (StreetFrame().empty()) {
    state.SkipWithError("video/opera-house-walkers/video.mp4 not readable (set LFR_DATA)");
    return;
  }
  cv::Mat frame;
  cv::resize(StreetFrame(), frame, size, 0, 0, cv::INTER_AREA);
  DetectorOptions options;
  options.working_long_side = working_long_side;
  auto detector = CreateDetector(*model, options);
  if (!detector.ok()) {
    state.SkipWithError(detector.status().ToString().c_str());
    return;
  }
  std::vector<Face> faces;
  for (int i = 0; i < 3; ++i) (void)(*detector)->Detect(frame, &faces);  // warm-up
  for (auto _ : state) {
    const Status st = (*detector)->Detect(frame, &faces);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(faces.data());
  }
  state.counters["faces"] = static_cast<double>(faces.size());
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                             benchmark::Counter::kIsRate);
}

void BM_YuNet(benchmark::State& state) {
  RunDetector(state, "yunet-2022mar",
              cv::Size(static_cast<int>(state.range(0)), static_cast<int>(state.range(1))),
              static_cast<int>(state.range(2)));
}
// Arguments: width, height, working_long_side (0 = full resolution).
BENCHMARK(BM_YuNet)
    ->ArgNames({"w", "h", "work"})
    ->Args({640, 360, 0})
    ->Args({1280, 720, 0})
    ->Args({1920, 1080, 0})
    ->Args({1920, 1080, 640})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Scrfd(benchmark::State& state) {
  RunDetector(state, "scrfd-2.5g",
              cv::Size(static_cast<int>(state.range(0)), static_cast<int>(state.range(1))), 0);
}
BENCHMARK(BM_Scrfd)
    ->ArgNames({"w", "h"})
    ->Args({1280, 720})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace lfr
