#include "video_search/video_search.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <map>
#include <thread>
#include <tuple>

#include "footage/playback.h"
#include "footage/segment.h"
#include "pipeline/av_log.h"
#include "util/secure.h"

#ifdef LFR_HAVE_LIBAV
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}
#endif

namespace lfr {
namespace {

struct Probe {
  double duration_s = 0;
  double fps = 0;
};

#ifdef LFR_HAVE_LIBAV
std::string AvError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof(buf));
  return buf;
}
#endif

// Reads the container header and the video stream's parameters (no frame is decoded).
Result<Probe> ProbePath(const std::filesystem::path& path, const std::string& shown) {
#ifdef LFR_HAVE_LIBAV
  RouteLibavLog();
  AVFormatContext* fmt = nullptr;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  const std::string url = "file:" + path.string();
  int r = avformat_open_input(&fmt, url.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  auto bad = [&](const std::string& why) {
    if (fmt != nullptr) avformat_close_input(&fmt);
    return Status::InvalidArgument(shown + " is not a readable video: " + why);
  };
  if (r < 0) return bad(AvError(r));
  if ((r = avformat_find_stream_info(fmt, nullptr)) < 0) return bad(AvError(r));
  const AVCodec* codec = nullptr;
  const int s = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (s < 0 || codec == nullptr) {
    return bad(s == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video codec" : "no video stream");
  }
  const AVStream* st = fmt->streams[s];
  if (st->codecpar->width <= 0 || st->codecpar->height <= 0) return bad("no frame size");
  Probe p;
  AVRational rate = st->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = av_guess_frame_rate(fmt, const_cast<AVStream*>(st), nullptr);
  p.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
  if (!std::isfinite(p.fps) || p.fps > 1000) p.fps = 0;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
    p.duration_s = static_cast<double>(st->duration) * av_q2d(st->time_base);
  } else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
    p.duration_s = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  } else if (st->nb_frames > 0 && p.fps > 0) {
    p.duration_s = static_cast<double>(st->nb_frames) / p.fps;
  }
  avformat_close_input(&fmt);
  return p;
#else
  (void)path;
  return Status::FailedPrecondition("this build has no libav: " + shown + " cannot be searched");
#endif
}

// An unsealed segment in anonymous memory (memfd), readable by the libav reader as
// /proc/self/fd/N: the plaintext never reaches a file system. Mapped and locked against
// swap while it exists; wiped and closed on destruction.
class MemoryVideo {
 public:
  static Result<std::unique_ptr<MemoryVideo>> Create(const SecretBytes& bytes) {
    std::unique_ptr<MemoryVideo> m(new MemoryVideo());
    m->fd_ = memfd_create("lfr-segment", MFD_CLOEXEC);
    if (m->fd_ < 0) return Status::IOError(std::string("memfd_create: ") + std::strerror(errno));
    m->size_ = bytes.size();
    if (ftruncate(m->fd_, static_cast<off_t>(m->size_)) != 0) {
      return Status::IOError(std::string("memfd: ") + std::strerror(errno));
    }
    if (m->size_ > 0) {
      void* p = mmap(nullptr, m->size_, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd_, 0);
      if (p == MAP_FAILED) return Status::IOError(std::string("memfd mmap: ") + std::strerror(errno));
      m->map_ = static_cast<uint8_t*>(p);
      (void)mlock(m->map_, m->size_);  // best effort, as SecretBytes
      std::memcpy(m->map_, bytes.data(), m->size_);
    }
    return m;
  }
  ~MemoryVideo() {
    if (map_ != nullptr) {
      WipeBytes(map_, size_);
      munlock(map_, size_);
      munmap(map_, size_);
    }
    if (fd_ >= 0) {
      (void)ftruncate(fd_, 0);
      close(fd_);
    }
  }
  std::filesystem::path path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  MemoryVideo() = default;
  int fd_ = -1;
  uint8_t* map_ = nullptr;
  size_t size_ = 0;
};

// Collects the matches of one unit into one Appearance per track and subject.
class CollectSink : public AlertSink {
 public:
  CollectSink(const VideoUnit& unit, double fps, bool keep_crops)
      : unit_(unit), fps_(fps), keep_crops_(keep_crops) {}
  ~CollectSink() override {
    for (auto& [k, a] : found_) WipeMat(&a.best_crop);
  }
  Status Emit(const Alert& alert, const cv::Mat& crop, const cv::Mat& /*frame*/) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = found_.try_emplace({alert.track_id, alert.subject});
    Appearance& a = it->second;
    if (fresh) {
      a.source = unit_.source;
      a.subject = alert.subject;
      a.start_s = fps_ > 0 ? static_cast<double>(alert.track_first_frame) / fps_ : alert.media_time_s;
      a.threshold = alert.threshold;
      a.unit_key = unit_.key;
      a.best_score = -2;
      a.first_match_s = alert.media_time_s;
    }
    a.first_match_s = std::min(a.first_match_s, alert.media_time_s);
    a.end_s = std::max(a.end_s, alert.media_time_s);
    a.start_s = std::min(a.start_s, alert.media_time_s);
    ++a.matches;
    if (alert.score > a.best_score) {
      a.best_score = alert.score;
      a.best_fused = alert.fused_score;
      a.best_quality = alert.quality;
      a.best_time_s = alert.media_time_s;
      a.best_frame = alert.frame_index;
      if (keep_crops_ && !crop.empty()) {
        WipeMat(&a.best_crop);
        crop.copyTo(a.best_crop);
      }
    }
    return Status::Ok();
  }
  std::vector<Appearance> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Appearance> out;
    for (auto& [k, a] : found_) {
      if (unit_.start_utc_ms >= 0) {
        a.start_utc_ms = unit_.start_utc_ms + std::llround(a.start_s * 1000);
        a.end_utc_ms = unit_.start_utc_ms + std::llround(a.end_s * 1000);
        a.best_utc_ms = unit_.start_utc_ms + std::llround(a.best_time_s * 1000);
      }
      out.push_back(std::move(a));
    }
    found_.clear();
    return out;
  }

 private:
  const VideoUnit& unit_;
  const double fps_;
  const bool keep_crops_;
  std::mutex mu_;
  std::map<std::pair<int64_t, std::string>, Appearance> found_;
};

double Round(double v, double step) { return std::round(v / step) * step; }

constexpr const char* kPartTag = "#part:";

bool IsPart(const VideoUnit& u) { return u.part_start_s > 0 || u.part_end_s > 0; }

}  // namespace

std::string FileKeyOf(const std::string& unit_key) {
  const auto at = unit_key.find(kPartTag);
  return at == std::string::npos ? unit_key : unit_key.substr(0, at);
}

Result<std::vector<double>> KeyFrameTimes(const std::filesystem::path& path) {
#ifdef LFR_HAVE_LIBAV
  RouteLibavLog();
  AVFormatContext* fmt = nullptr;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  const std::string url = "file:" + path.string();
  int r = avformat_open_input(&fmt, url.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (r < 0) return Status::InvalidArgument(path.string() + " is not a readable video: " + AvError(r));
  std::vector<double> out;
  AVPacket* pkt = av_packet_alloc();
  if ((r = avformat_find_stream_info(fmt, nullptr)) >= 0 && pkt != nullptr) {
    const int s = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (s >= 0) {
      for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        if (static_cast<int>(i) != s) fmt->streams[i]->discard = AVDISCARD_ALL;
      }
      const AVStream* st = fmt->streams[s];
      const int64_t base = st->start_time == AV_NOPTS_VALUE ? 0 : st->start_time;
      const double tb = av_q2d(st->time_base);
      while (av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == s && (pkt->flags & AV_PKT_FLAG_KEY) != 0) {
          const int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
          if (pts != AV_NOPTS_VALUE) out.push_back(static_cast<double>(pts - base) * tb);
        }
        av_packet_unref(pkt);
      }
    } else {
      r = s;
    }
  }
  av_packet_free(&pkt);
  avformat_close_input(&fmt);
  if (r < 0) return Status::InvalidArgument(path.string() + " is not a readable video: " + AvError(r));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
#else
  return Status::FailedPrecondition("this build has no libav: " + path.string() + " cannot be read");
#endif
}

std::vector<VideoUnit> SplitFiles(std::vector<VideoUnit> units, int threads, double min_part_s, double overlap_s) {
  if (threads <= 1 || units.empty() || units.size() >= static_cast<size_t>(threads) || !HaveLibav()) return units;
  const int per_file = static_cast<int>((static_cast<size_t>(threads) + units.size() - 1) / units.size());
  std::vector<VideoUnit> out;
  for (VideoUnit& u : units) {
    const double d = u.duration_s;
    const int n = std::min(per_file, static_cast<int>(std::floor(d / std::max(1.0, min_part_s))));
    std::vector<double> keys;
    if (n >= 2 && u.footage_key == nullptr && u.loop_frames == 0 && !IsPart(u)) {
      auto k = KeyFrameTimes(u.path);
      if (k.ok()) keys = std::move(k).value();
    }
    // Cuts: the key frame nearest each i*d/n, keeping every part at least min_part_s long.
    std::vector<double> cuts;
    for (int i = 1; i < n && !keys.empty(); ++i) {
      const double target = i * d / n;
      const double lo = (cuts.empty() ? 0.0 : cuts.back()) + min_part_s;
      double best = -1;
      for (double t : keys) {
        if (t < lo || t > d - min_part_s) continue;
        if (best < 0 || std::abs(t - target) < std::abs(best - target)) best = t;
      }
      if (best > 0) cuts.push_back(best);
    }
    if (cuts.empty()) {
      out.push_back(std::move(u));
      continue;
    }
    cuts.insert(cuts.begin(), 0.0);
    for (size_t i = 0; i < cuts.size(); ++i) {
      VideoUnit p = u;
      const bool last = i + 1 == cuts.size();
      p.part_start_s = cuts[i];
      p.part_end_s = last ? d : cuts[i + 1];
      p.part_overlap_s = last ? 0.0 : overlap_s;
      p.duration_s = p.part_end_s - p.part_start_s;
      p.key = u.key + kPartTag + std::to_string(std::llround(p.part_start_s * 1000)) + "-" +
              std::to_string(std::llround(p.part_end_s * 1000));
      out.push_back(std::move(p));
    }
  }
  return out;
}

nlohmann::json AppearanceToJson(const Appearance& a) {
  nlohmann::json j = {{"source", a.source},
                      {"subject", a.subject},
                      {"start_s", Round(a.start_s, 0.001)},
                      {"end_s", Round(a.end_s, 0.001)},
                      {"first_match_s", Round(a.first_match_s, 0.001)},
                      {"best", {{"score", Round(a.best_score, 1e-4)},
                                {"fused_score", Round(a.best_fused, 1e-4)},
                                {"quality", Round(a.best_quality, 1e-4)},
                                {"time_s", Round(a.best_time_s, 0.001)},
                                {"frame", a.best_frame}}},
                      {"threshold", Round(a.threshold, 1e-4)},
                      {"matches", a.matches},
                      {"unit", a.unit_key}};
  if (a.start_utc_ms >= 0) {
    j["start_utc_ms"] = a.start_utc_ms;
    j["end_utc_ms"] = a.end_utc_ms;
    j["best"]["utc_ms"] = a.best_utc_ms;
  }
  return j;
}

Result<Appearance> AppearanceFromJson(const nlohmann::json& j) {
  try {
    Appearance a;
    a.source = j.at("source").get<std::string>();
    a.subject = j.at("subject").get<std::string>();
    a.start_s = j.at("start_s").get<double>();
    a.end_s = j.at("end_s").get<double>();
    a.first_match_s = j.value("first_match_s", a.start_s);
    const auto& b = j.at("best");
    a.best_score = b.at("score").get<float>();
    a.best_fused = b.at("fused_score").get<float>();
    a.best_quality = b.at("quality").get<float>();
    a.best_time_s = b.at("time_s").get<double>();
    a.best_frame = b.at("frame").get<int64_t>();
    a.threshold = j.at("threshold").get<float>();
    a.matches = j.at("matches").get<int>();
    a.unit_key = j.at("unit").get<std::string>();
    if (j.contains("start_utc_ms")) {
      a.start_utc_ms = j.at("start_utc_ms").get<int64_t>();
      a.end_utc_ms = j.at("end_utc_ms").get<int64_t>();
      a.best_utc_ms = b.at("utc_ms").get<int64_t>();
    }
    return a;
  } catch (const std::exception& e) {
    return Status::Corrupt(std::string("appearance record: ") + e.what());
  }
}

std::vector<Appearance> MergeAppearances(std::vector<Appearance> in, double gap_s) {
  auto start_of = [](const Appearance& a) {
    return a.start_utc_ms >= 0 ? static_cast<double>(a.start_utc_ms) / 1000 : a.start_s;
  };
  auto end_of = [](const Appearance& a) {
    return a.end_utc_ms >= 0 ? static_cast<double>(a.end_utc_ms) / 1000 : a.end_s;
  };
  // Groups that may merge: one source and subject, and for files (no UTC times) one file.
  auto group = [](const Appearance& a) {
    return std::make_tuple(a.source, a.subject, a.start_utc_ms >= 0,
                           a.start_utc_ms >= 0 ? std::string() : FileKeyOf(a.unit_key));
  };
  std::sort(in.begin(), in.end(), [&](const Appearance& x, const Appearance& y) {
    const auto gx = group(x), gy = group(y);
    if (gx != gy) return gx < gy;
    return start_of(x) < start_of(y);
  });
  std::vector<Appearance> out;
  for (Appearance& a : in) {
    if (!out.empty()) {
      Appearance& m = out.back();
      const bool comparable = (m.start_utc_ms >= 0) == (a.start_utc_ms >= 0) &&
                              (m.start_utc_ms >= 0 || FileKeyOf(m.unit_key) == FileKeyOf(a.unit_key));
      if (m.source == a.source && m.subject == a.subject && comparable &&
          start_of(a) <= end_of(m) + gap_s) {
        if (end_of(a) > end_of(m)) {
          if (a.end_utc_ms >= 0) m.end_utc_ms = a.end_utc_ms;
          if (FileKeyOf(a.unit_key) == FileKeyOf(m.unit_key) || a.end_utc_ms < 0) m.end_s = a.end_s;
        }
        m.matches += a.matches;
        if (FileKeyOf(a.unit_key) == FileKeyOf(m.unit_key) || a.end_utc_ms < 0) {
          m.first_match_s = std::min(m.first_match_s, a.first_match_s);
        }
        if (a.best_score > m.best_score) {
          WipeMat(&m.best_crop);
          m.best_score = a.best_score;
          m.best_fused = a.best_fused;
          m.best_quality = a.best_quality;
          m.best_time_s = a.best_time_s;
          m.best_utc_ms = a.best_utc_ms;
          m.best_frame = a.best_frame;
          m.unit_key = a.unit_key;
          m.best_crop = std::move(a.best_crop);
        } else {
          WipeMat(&a.best_crop);
        }
        continue;
      }
    }
    out.push_back(std::move(a));
  }
  std::stable_sort(out.begin(), out.end(), [&](const Appearance& x, const Appearance& y) {
    if (x.source != y.source) return x.source < y.source;
    return start_of(x) < start_of(y);
  });
  return out;
}

PipelineOptions VideoSearchPipelineDefaults() {
  PipelineOptions o;
  o.camera.realtime = false;   // as fast as the worker takes frames, nothing dropped
  o.camera.loop = false;
  o.camera.max_reconnects = 0;
  // Detection runs on a 480-pixel copy: H.264's deblocking filter makes no difference
  // there, and skipping it makes decoding (the main cost at 1080p) cheaper.
  o.camera.skip_loop_filter = true;
  o.adaptive_detect = false;
  o.alert.every_match = true;
  return o;
}

Result<VideoUnit> ProbeVideoFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("video file " + path.string() + " does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::InvalidArgument(path.string() + " is not a video file");
  }
  auto probe = ProbePath(path, path.string());
  if (!probe.ok()) return probe.status();
  const auto canonical = std::filesystem::weakly_canonical(path, ec);
  const auto size = std::filesystem::file_size(path, ec);
  const auto mtime = std::filesystem::last_write_time(path, ec).time_since_epoch().count();
  VideoUnit u;
  u.source = path.string();
  u.path = path;
  u.key = "file:" + canonical.string() + ":" + std::to_string(size) + ":" + std::to_string(mtime);
  u.duration_s = probe->duration_s;
  u.fps = probe->fps;
  return u;
}

std::vector<VideoUnit> FootageUnits(const std::filesystem::path& footage_root, int64_t deployment_id,
                                    const std::vector<FootageCamera>& cameras, int64_t from_ms,
                                    int64_t to_ms, const SecretBytes* footage_key) {
  constexpr int64_t kLastSegmentMs = 60'000;  // segments are about a minute (no key: an estimate)
  std::vector<VideoUnit> out;
  for (const FootageCamera& cam : cameras) {
    const auto dir = CameraFootageDir(footage_root, deployment_id, cam.id);
    // With the key, each segment's span comes from playback's reading (the next segment's
    // start, or the last segment's own timestamps), so progress counts real seconds: a
    // 10 s recording used to be counted as 90 s.
    std::vector<SegmentSpan> spans;
    if (footage_key) {
      spans = ListSegmentSpans(dir, *footage_key);
    } else {
      const auto paths = ListSegments(dir);
      for (size_t i = 0; i < paths.size(); ++i) {
        const auto id = ParseSegmentPath(paths[i]);
        if (!id) continue;
        SegmentSpan sp;
        sp.path = paths[i];
        sp.start_ms = id->start_ms;
        sp.end_ms = id->start_ms + kLastSegmentMs;
        if (i + 1 < paths.size()) {
          if (auto next = ParseSegmentPath(paths[i + 1])) sp.end_ms = next->start_ms;
        }
        spans.push_back(std::move(sp));
      }
    }
    for (const SegmentSpan& sp : spans) {
      // A segment that could not be read for its span (end = start) may still run into the
      // range: kept, with an estimated length; the search reports it if it is damaged.
      const int64_t end = sp.end_ms > sp.start_ms ? sp.end_ms : sp.start_ms + kLastSegmentMs;
      if (sp.start_ms >= to_ms || end <= from_ms) continue;
      VideoUnit u;
      u.source = cam.name;
      u.path = sp.path;
      u.key = "segment:" + std::to_string(deployment_id) + ":" + std::to_string(cam.id) + ":" +
              std::to_string(sp.start_ms);
      u.start_utc_ms = sp.start_ms;
      u.footage_key = footage_key;
      u.duration_s = static_cast<double>(end - sp.start_ms) / 1000.0;
      out.push_back(std::move(u));
    }
  }
  return out;
}

VideoSearch::VideoSearch(InstalledModel detector, InstalledModel recogniser, const Watchlist* watchlist,
                         VideoSearchOptions options)
    : detector_(std::move(detector)),
      recogniser_(std::move(recogniser)),
      watchlist_(watchlist),
      options_(std::move(options)) {
  options_.threads = std::max(1, options_.threads);
  options_.pipeline.camera.realtime = false;
  options_.pipeline.alert.every_match = true;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (options_.pipeline.cv_threads <= 0) options_.pipeline.cv_threads = std::max(1, cores / options_.threads);
  options_.pipeline.camera.decoder_threads =
      options_.decoder_threads > 0 ? options_.decoder_threads : std::max(1, cores / options_.threads);
}

void VideoSearch::RequestStop() {
  stop_ = true;
  std::lock_guard<std::mutex> lock(running_mu_);
  for (Pipeline* p : running_) p->RequestStop();
}

Result<UnitOutcome> VideoSearch::SearchUnit(const VideoUnit& unit, std::atomic<double>* media_now,
                                            std::vector<WorkerModels>* models) {
  const auto t_open = std::chrono::steady_clock::now();
  std::unique_ptr<MemoryVideo> memory;
  std::filesystem::path path = unit.path;
  if (unit.footage_key != nullptr) {
    auto plain = UnsealSegment(unit.path, *unit.footage_key);
    if (!plain.ok()) {
      const std::string why = "segment " + unit.path.filename().string() + " of camera " + unit.source + ": " +
                              plain.status().message();
      return plain.status().code() == Status::Code::kCorrupt ? Status::Corrupt(why)
             : plain.status().code() == Status::Code::kNotFound ? Status::NotFound(why)
                                                                : Status::IOError(why);
    }
    auto m = MemoryVideo::Create(*plain);
    if (!m.ok()) return m.status();
    memory = std::move(m).value();
    path = memory->path();
  }
  const std::string shown = unit.footage_key ? "segment " + unit.path.filename().string() + " of camera " + unit.source
                                             : unit.source;
  auto probe = ProbePath(path, shown);
  if (!probe.ok()) return probe.status();

  CollectSink sink(unit, probe->fps, options_.keep_crops);
  std::vector<CameraSpec> cams = {{unit.source, path.string()}};
  PipelineOptions popts = options_.pipeline;
  if (unit.loop_frames > 0) {
    popts.camera.loop = true;
    popts.camera.max_frames = unit.loop_frames;
  } else if (IsPart(unit)) {
    popts.camera.start_s = unit.part_start_s;
    popts.camera.end_s = unit.part_end_s > 0 ? unit.part_end_s + unit.part_overlap_s : 0;
  }
  auto pipeline = Pipeline::Create(cams, detector_, recogniser_, watchlist_, &sink, popts, models);
  if (!pipeline.ok()) return pipeline.status();
  const double open_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_open).count();
  {
    std::lock_guard<std::mutex> lock(running_mu_);
    if (stop_) return Status::FailedPrecondition("stopped");
    running_.push_back(pipeline->get());
  }
  std::atomic<bool> done{false};
  std::thread monitor([&] {
    std::mutex m;
    std::condition_variable cv;
    while (!done) {
      const auto live = (*pipeline)->LiveStats();
      if (!live.empty() && probe->fps > 0) media_now->store(static_cast<double>(live[0].frames_processed) / probe->fps);
      std::unique_lock<std::mutex> lock(m);
      cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return done.load(); });
    }
  });
  Status run = (*pipeline)->Run();
  done = true;
  monitor.join();
  {
    std::lock_guard<std::mutex> lock(running_mu_);
    running_.erase(std::remove(running_.begin(), running_.end(), pipeline->get()), running_.end());
  }
  if (!run.ok()) return run;
  const auto summaries = (*pipeline)->Summaries();
  *models = (*pipeline)->TakeModels();
  UnitOutcome out;
  out.key = unit.key;
  out.source = unit.source;
  out.stats.open_ms = open_ms;
  auto sum = [](const LatencyStats& l) { return l.mean() * static_cast<double>(l.count()); };
  for (const auto& s : summaries) {
    if (s.status.health == CameraHealth::kFailed) {
      return Status::InvalidArgument(shown + " could not be decoded: " + s.status.error);
    }
    out.frames += s.status.frames_read;
    out.stats.decode_ms += sum(s.decode_ms);
    out.stats.detect_ms += sum(s.detect_ms);
    out.stats.analyse_ms += sum(s.analyse_ms);
    out.stats.embed_ms += sum(s.embed_ms);
    out.stats.match_ms += sum(s.match_ms);
    out.stats.reader_cpu_ms += s.status.reader_cpu_ms;
    out.stats.detector_runs += s.detector_runs;
    out.stats.faces += s.faces_detected;
    out.stats.faces_passed_quality += s.faces_passed_quality;
    out.stats.embeddings += s.embeddings;
    out.stats.tracks += s.tracks;
  }
  out.media_s = probe->fps > 0 ? static_cast<double>(out.frames) / probe->fps : probe->duration_s;
  // A part's overlap with the next part is searched twice, counted once.
  if (IsPart(unit) && unit.part_end_s > 0) out.media_s = std::min(out.media_s, unit.part_end_s - unit.part_start_s);
  out.appearances = sink.Take();
  // Segments searched for a time range: only appearances that overlap it.
  if (unit.start_utc_ms >= 0) {
    std::erase_if(out.appearances, [&](const Appearance& a) {
      return a.end_utc_ms < options_.from_utc_ms || a.start_utc_ms >= options_.to_utc_ms;
    });
  }
  return out;
}

Status VideoSearch::Run(const std::vector<VideoUnit>& units, const std::function<bool(const std::string&)>& skip,
                        const UnitCallback& on_unit, const ProgressCallback& on_progress) {
  const auto t0 = std::chrono::steady_clock::now();
  std::mutex mu;  // guards the fields below and serialises the callbacks
  std::condition_variable cv;
  Status first;
  bool halt = false;
  int units_done = 0;
  double media_done = 0, media_total = 0;
  for (const auto& u : units) media_total += u.duration_s;
  std::vector<std::atomic<double>> media_now(static_cast<size_t>(options_.threads));
  for (auto& m : media_now) m = 0;
  size_t next = 0;
  int workers_left = options_.threads;

  auto report = [&](bool force) {  // with mu held
    if (!on_progress) return;
    (void)force;
    VideoSearchProgress p;
    p.units_total = static_cast<int>(units.size());
    p.units_done = units_done;
    p.media_total_s = media_total;
    p.media_done_s = media_done;
    for (auto& m : media_now) p.media_done_s += m.load();
    p.media_done_s = std::min(p.media_done_s, std::max(media_total, media_done));
    p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    on_progress(p);
  };

  auto work = [&](int slot) {
    std::vector<WorkerModels> models;  // this thread's networks, reused from unit to unit
    while (true) {
      size_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (halt || stop_ || next >= units.size()) break;
        i = next++;
        if (skip && skip(units[i].key)) {
          ++units_done;
          media_done += units[i].duration_s;
          continue;
        }
      }
      media_now[static_cast<size_t>(slot)] = 0;
      auto r = SearchUnit(units[i], &media_now[static_cast<size_t>(slot)], &models);
      std::lock_guard<std::mutex> lock(mu);
      media_now[static_cast<size_t>(slot)] = 0;
      if (stop_) break;  // cut short: not done
      if (!r.ok()) {
        if (first.ok()) first = r.status();
        halt = true;
        break;
      }
      Status s = on_unit(*r);
      for (auto& a : r->appearances) WipeMat(&a.best_crop);
      if (!s.ok()) {
        if (first.ok()) first = s;
        halt = true;
        break;
      }
      ++units_done;
      media_done += units[i].duration_s > 0 ? units[i].duration_s : r->media_s;
    }
    std::lock_guard<std::mutex> lock(mu);
    --workers_left;
    cv.notify_all();
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < options_.threads; ++t) threads.emplace_back(work, t);
  {
    std::unique_lock<std::mutex> lock(mu);
    while (workers_left > 0) {
      cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return workers_left == 0; });
      report(false);
    }
    report(true);
  }
  for (auto& t : threads) t.join();
  return first;
}

}  // namespace lfr
