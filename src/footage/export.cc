#include "footage/export.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#ifdef LFR_HAVE_LIBAV
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}
#endif

#include "footage/segment.h"
#include "models/store.h"
#include "pipeline/av_log.h"
#include "track/tracker.h"
#include "util/clock.h"
#include "util/secure.h"

namespace lfr {
namespace fs = std::filesystem;

DetectorOptions ExportDetectorOptions(int working_long_side) {
  DetectorOptions o;
  o.working_long_side = working_long_side;
  o.score_threshold = 0.45f;
  return o;
}

fs::path ManifestPath(const fs::path& out) { return fs::path(out.string() + ".manifest.json"); }

nlohmann::json ExportManifest::ToJson() const {
  nlohmann::json j = {{"deployment_id", deployment_id},
                      {"camera_id", camera_id},
                      {"camera", camera},
                      {"from", FormatUtcMs(from_ms)},
                      {"to", FormatUtcMs(to_ms)},
                      {"first_frame", FormatUtcMs(first_frame_ms)},
                      {"last_frame", FormatUtcMs(last_frame_ms)},
                      {"file", file},
                      {"sha256", sha256},
                      {"bytes", bytes},
                      {"exported_by", exported_by},
                      {"exported_at", FormatUtcMs(exported_ms)},
                      {"reason", reason},
                      {"subject_alert", subject_alert ? nlohmann::json(*subject_alert) : nlohmann::json(nullptr)},
                      {"frames", frames},
                      {"faces_blurred", faces_blurred},
                      {"subject_faces", subject_faces},
                      {"segments", segments},
                      {"codec", codec},
                      {"redaction", subject_alert ? "every face blurred except the alert's subject"
                                                  : "every face blurred"}};
  return j;
}

#ifdef LFR_HAVE_LIBAV
namespace {

// One face box of one frame of the range, as pass 1 found it.
struct FaceBox {
  cv::Rect2f box;
  int64_t track = -1;
  float similarity = -1;  // to the subject's face (-1: no subject or not embedded)
  bool detected = true;   // false: a track's predicted box on a frame where its face was missed
};

// The sealed segments of the camera that may hold frames of [from, to), oldest first.
std::vector<fs::path> SegmentsInRange(const fs::path& dir, int64_t from, int64_t to) {
  const auto all = ListSegments(dir);
  std::vector<fs::path> out;
  for (size_t i = 0; i < all.size(); ++i) {
    auto id = ParseSegmentPath(all[i]);
    if (!id) continue;
    std::optional<int64_t> next;
    if (i + 1 < all.size()) {
      if (auto nid = ParseSegmentPath(all[i + 1])) next = nid->start_ms;
    }
    if (id->start_ms < to && (!next || *next > from)) out.push_back(all[i]);
  }
  return out;
}

// Decodes the frames of `segments` that fall in [from, to) and calls fn(frame, utc ms).
// Segments are unsealed one at a time (the plaintext lives in locked memory only).
Status ForEachFrame(const std::vector<fs::path>& segments, const SecretBytes& key, int64_t from, int64_t to,
                    const std::function<Status(const cv::Mat&, int64_t)>& fn) {
  for (const fs::path& p : segments) {
    auto id = ParseSegmentPath(p);
    auto ts = UnsealSegment(p, key);
    if (!ts.ok()) {
      return Status::Corrupt("footage segment " + p.filename().string() +
                             " cannot be opened (tampered, truncated or not this camera's): " + ts.status().message());
    }
    std::optional<double> first;
    Status inner;
    auto n = DecodeSegment(*ts, [&](const cv::Mat& bgr, double seconds) {
      if (!first) first = seconds;
      const int64_t t = id->start_ms + static_cast<int64_t>(std::llround((seconds - *first) * 1000.0));
      if (t < from) return true;
      if (t >= to) return false;
      inner = fn(bgr, t);
      return inner.ok();
    });
    if (!n.ok()) return Status::Corrupt("footage segment " + p.filename().string() + ": " + n.status().message());
    if (!inner.ok()) return inner;
  }
  return Status::Ok();
}

// Blurs a face box of img beyond recognition — and beyond detection: the box (grown by
// margin) becomes one flat colour, the mean of the ring around it (the box grown by half
// again, the box itself left out), so neither the face nor its skin tone or shading is
// left. (Blurs that keep a smooth trace of the head — a few pixels per face, or a 3x3
// stretch — still read as a face to YuNet, as the export test found.)
void BlurBox(cv::Mat* img, const cv::Rect2f& box, float margin) {
  const cv::Rect frame(0, 0, img->cols, img->rows);
  auto grow = [&](float by) {
    const float mx = box.width * by, my = box.height * by;
    return cv::Rect(cv::Point(static_cast<int>(std::floor(box.x - mx)), static_cast<int>(std::floor(box.y - my))),
                    cv::Point(static_cast<int>(std::ceil(box.x + box.width + mx)),
                              static_cast<int>(std::ceil(box.y + box.height + my)))) &
           frame;
  };
  const cv::Rect r = grow(margin);
  const cv::Rect c = grow(margin + 0.5f);
  if (r.width < 1 || r.height < 1) return;
  const cv::Scalar sum_c = cv::sum((*img)(c)), sum_r = cv::sum((*img)(r));
  const double ring = static_cast<double>(c.area() - r.area());
  const cv::Scalar fill = ring > 0 ? (sum_c - sum_r) / ring : cv::Scalar(128, 128, 128);
  (*img)(r).setTo(fill);
}

// The H.264 MP4 writer: BGR frames in, a file at `path` out ("faststart": index first).
class Mp4Writer {
 public:
  ~Mp4Writer() { Free(); }
  Status Open(const fs::path& path, int width, int height, double fps, int crf) {
    RouteLibavLog();  // the encoder's chatter stays out of stderr; its errors reach the log
    width_ = width & ~1;
    height_ = height & ~1;
    if (width_ < 2 || height_ < 2) return Status::InvalidArgument("frames too small to encode");
    const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
    if (codec == nullptr) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (codec == nullptr) return Status::FailedPrecondition("this build's libavcodec has no H.264 encoder");
    codec_name_ = std::string("h264 (") + codec->name + ")";
    if (avformat_alloc_output_context2(&fmt_, nullptr, "mp4", path.c_str()) < 0 || fmt_ == nullptr) {
      return Status::Internal("cannot create an MP4 muxer");
    }
    enc_ = avcodec_alloc_context3(codec);
    if (enc_ == nullptr) return Status::Internal("out of memory");
    enc_->width = width_;
    enc_->height = height_;
    enc_->pix_fmt = AV_PIX_FMT_YUV420P;
    enc_->time_base = AVRational{1, 1000};
    const int fps_num = static_cast<int>(std::lround(std::clamp(fps, 1.0, 120.0) * 1000));
    enc_->framerate = AVRational{fps_num, 1000};
    enc_->gop_size = std::max(1, static_cast<int>(std::lround(fps * 2)));
    enc_->max_b_frames = 2;
    if (fmt_->oformat->flags & AVFMT_GLOBALHEADER) enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary* opts = nullptr;
    if (std::string(codec->name) == "libx264") {
      av_dict_set(&opts, "preset", "veryfast", 0);
      av_dict_set(&opts, "crf", std::to_string(crf).c_str(), 0);
      av_dict_set(&opts, "profile", "high", 0);
    }
    const int r = avcodec_open2(enc_, codec, &opts);
    av_dict_free(&opts);
    if (r < 0) return Status::Internal("cannot open the H.264 encoder");
    st_ = avformat_new_stream(fmt_, nullptr);
    if (st_ == nullptr || avcodec_parameters_from_context(st_->codecpar, enc_) < 0) {
      return Status::Internal("cannot add the video stream");
    }
    st_->time_base = enc_->time_base;
    st_->avg_frame_rate = enc_->framerate;
    if (avio_open(&fmt_->pb, path.c_str(), AVIO_FLAG_WRITE) < 0) {
      return Status::IOError("cannot write " + path.string());
    }
    AVDictionary* mux = nullptr;
    av_dict_set(&mux, "movflags", "+faststart", 0);
    const int h = avformat_write_header(fmt_, &mux);
    av_dict_free(&mux);
    if (h < 0) return Status::IOError("cannot write the MP4 header to " + path.string());
    header_ = true;
    frame_ = av_frame_alloc();
    pkt_ = av_packet_alloc();
    if (frame_ == nullptr || pkt_ == nullptr) return Status::Internal("out of memory");
    frame_->format = AV_PIX_FMT_YUV420P;
    frame_->width = width_;
    frame_->height = height_;
    if (av_frame_get_buffer(frame_, 0) < 0) return Status::Internal("out of memory");
    sws_ = sws_getContext(width_, height_, AV_PIX_FMT_BGR24, width_, height_, AV_PIX_FMT_YUV420P, SWS_BICUBIC,
                          nullptr, nullptr, nullptr);
    if (sws_ == nullptr) return Status::Internal("cannot convert frames for encoding");
    return Status::Ok();
  }

  // bgr: at least width x height; pts_ms increasing (forced so if not).
  Status Write(const cv::Mat& bgr, int64_t pts_ms) {
    if (pts_ms <= last_pts_) pts_ms = last_pts_ + 1;
    last_pts_ = pts_ms;
    if (av_frame_make_writable(frame_) < 0) return Status::Internal("out of memory");
    const uint8_t* src[4] = {bgr.data, nullptr, nullptr, nullptr};
    int src_step[4] = {static_cast<int>(bgr.step[0]), 0, 0, 0};
    sws_scale(sws_, src, src_step, 0, height_, frame_->data, frame_->linesize);
    frame_->pts = pts_ms;
    return Send(frame_);
  }

  Status Finish() {
    LFR_RETURN_IF_ERROR(Send(nullptr));
    if (av_write_trailer(fmt_) < 0) return Status::IOError("cannot finish the MP4");
    header_ = false;
    if (avio_closep(&fmt_->pb) < 0) return Status::IOError("cannot close the MP4");
    return Status::Ok();
  }
  const std::string& codec_name() const { return codec_name_; }

 private:
  Status Send(AVFrame* f) {
    if (avcodec_send_frame(enc_, f) < 0) return Status::Internal("the encoder refused a frame");
    while (true) {
      const int r = avcodec_receive_packet(enc_, pkt_);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) break;
      if (r < 0) return Status::Internal("encoding failed");
      av_packet_rescale_ts(pkt_, enc_->time_base, st_->time_base);
      pkt_->stream_index = st_->index;
      if (av_interleaved_write_frame(fmt_, pkt_) < 0) return Status::IOError("cannot write the MP4 (disk full?)");
    }
    return Status::Ok();
  }
  void Free() {
    if (fmt_ != nullptr && fmt_->pb != nullptr) avio_closep(&fmt_->pb);
    sws_freeContext(sws_);
    av_frame_free(&frame_);
    av_packet_free(&pkt_);
    avcodec_free_context(&enc_);
    avformat_free_context(fmt_);
    fmt_ = nullptr;
  }
  AVFormatContext* fmt_ = nullptr;
  AVCodecContext* enc_ = nullptr;
  AVStream* st_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* pkt_ = nullptr;
  SwsContext* sws_ = nullptr;
  int width_ = 0, height_ = 0;
  int64_t last_pts_ = -1;
  bool header_ = false;
  std::string codec_name_;
};

Status FsyncPath(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + p.string() + " to sync it");
  const int r = ::fsync(fd);
  ::close(fd);
  return r == 0 ? Status::Ok() : Status::IOError("cannot sync " + p.string());
}

// A temporary name beside `final`, hidden, not yet existing; created (0600) to prove the
// folder is writable.
Result<fs::path> ReserveTemp(const fs::path& final) {
  const fs::path dir = final.has_parent_path() ? final.parent_path() : fs::path(".");
  for (int i = 0; i < 100; ++i) {
    fs::path t = dir / ("." + final.filename().string() + ".part" + std::to_string(getpid()) + "-" + std::to_string(i));
    const int fd = ::open(t.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
      return t;
    }
    if (errno != EEXIST) {
      return Status::IOError("cannot write the export at " + final.string() + ": " + std::strerror(errno));
    }
  }
  return Status::IOError("cannot create a temporary file beside " + final.string());
}

// Removes the temporary files unless released.
struct TempGuard {
  std::vector<fs::path> paths;
  ~TempGuard() {
    std::error_code ec;
    for (const auto& p : paths) fs::remove(p, ec);
  }
};

}  // namespace

Result<ExportManifest> ExportFootage(Store* store, FaceAnalyzer* analyzer, const ExportRequest& req,
                                     const ExportOptions& options, const Actor& by, int64_t now_ms) {
  if (req.to_ms <= req.from_ms) {
    return Status::InvalidArgument("the range is empty: --to (" + FormatUtcMs(req.to_ms) + ") must be after --from (" +
                                   FormatUtcMs(req.from_ms) + ")");
  }
  if (req.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("an export needs a reason (recorded in its manifest and the audit log)");
  }
  if (req.out.empty()) return Status::InvalidArgument("no output file given");
  std::error_code ec;
  if (fs::exists(req.out, ec) || fs::exists(ManifestPath(req.out), ec)) {
    return Status::FailedPrecondition(req.out.string() + " already exists: an export never overwrites a file");
  }
  auto dep = store->GetDeployment(req.deployment_id);
  if (!dep.ok()) return dep.status();
  auto cams = store->ListCameras(req.deployment_id);
  if (!cams.ok()) return cams.status();
  const Camera* cam = nullptr;
  for (const Camera& c : *cams) {
    if (c.name == req.camera) cam = &c;
  }
  if (cam == nullptr) {
    return Status::InvalidArgument("deployment " + std::to_string(req.deployment_id) + " has no camera named " +
                                   req.camera);
  }

  // The subject: the alert's face, embedded with the analyzer's recogniser.
  std::vector<float> subject;
  if (req.subject_alert) {
    auto alert = store->GetAlert(*req.subject_alert);
    if (!alert.ok()) return alert.status();
    if (alert->deployment_id != req.deployment_id || alert->camera != cam->name) {
      return Status::InvalidArgument("alert " + std::to_string(alert->id) + " was raised on camera " + alert->camera +
                                     " of deployment " + std::to_string(alert->deployment_id) + ", not on camera " +
                                     cam->name + " of deployment " + std::to_string(req.deployment_id));
    }
    if (alert->media_purged) {
      return Status::FailedPrecondition("alert " + std::to_string(alert->id) +
                                        "'s face was deleted by retention: its subject cannot be followed");
    }
    auto crop = store->GetAlertMedia(alert->id, AlertMedia::kCrop, by);
    if (!crop.ok()) return crop.status();
    cv::Mat img = cv::imdecode(cv::Mat(1, static_cast<int>(crop->size()), CV_8U, crop->data()), cv::IMREAD_COLOR);
    if (img.empty()) return Status::Corrupt("alert " + std::to_string(alert->id) + "'s face cannot be decoded");
    Embedder& emb = analyzer->embedder();
    if (img.size() != emb.input_size()) cv::resize(img, img, emb.input_size(), 0, 0, cv::INTER_AREA);
    cv::Mat e;
    Status s = emb.Embed({img}, &e);
    WipeMat(&img);
    if (!s.ok()) return s;
    subject.assign(e.ptr<float>(0), e.ptr<float>(0) + e.cols);
    WipeMat(&e);
  }

  auto key = store->FootageKey(req.deployment_id, by);
  if (!key.ok()) return key.status();
  const auto segments = SegmentsInRange(CameraFootageDir(options.footage_root, req.deployment_id, cam->id),
                                        req.from_ms, req.to_ms);
  if (segments.empty()) {
    return Status::NotFound("no recorded footage of camera " + cam->name + " between " + FormatUtcMs(req.from_ms) +
                            " and " + FormatUtcMs(req.to_ms));
  }
  auto temp = ReserveTemp(req.out);
  if (!temp.ok()) return temp.status();
  TempGuard guard;
  guard.paths.push_back(*temp);

  // Pass 1: detect, track and embed every face of every frame.
  Tracker tracker;
  std::vector<std::vector<FaceBox>> frames;
  std::vector<int64_t> times;
  std::map<int64_t, float> track_best;  // track -> best similarity to the subject
  std::vector<AnalyzedFace> faces;
  std::vector<Face> dets;
  std::vector<float> quality;
  std::vector<TrackedFace> tracked;
  cv::Size frame_size;
  AnalyzeOptions ao;
  ao.embed = !subject.empty();
  ao.embed_all = true;
  ao.flip_average = false;
  Status pass1 = ForEachFrame(segments, *key, req.from_ms, req.to_ms, [&](const cv::Mat& bgr, int64_t t) -> Status {
    if (frame_size.area() == 0) frame_size = bgr.size();
    const int64_t f = static_cast<int64_t>(frames.size());
    int central = -1;
    LFR_RETURN_IF_ERROR(analyzer->Analyze(bgr, ao, &faces, &central));
    dets.clear();
    quality.clear();
    for (const auto& af : faces) {
      dets.push_back(af.face);
      quality.push_back(0.5f);
    }
    tracker.Update(f, dets, quality, &tracked);
    std::vector<FaceBox> boxes;
    std::set<int64_t> seen;
    for (const TrackedFace& tf : tracked) {
      AnalyzedFace& af = faces[tf.detection];
      FaceBox b;
      b.box = af.face.box;
      b.track = tf.track_id;
      if (!subject.empty() && !af.embedding.empty()) {
        const float* e = af.embedding.ptr<float>(0);
        b.similarity = CosineSimilarity(e, subject.data(), static_cast<int>(subject.size()));
        b.track = tracker.ReportEmbedding(tf.track_id, f, 0.5f, e, af.embedding.cols);
        float& best = track_best.try_emplace(b.track, -1.0f).first->second;
        best = std::max(best, b.similarity);
      }
      seen.insert(b.track);
      boxes.push_back(b);
    }
    for (const TrackInfo& ti : tracker.Live()) {
      if (seen.count(ti.id) == 0) boxes.push_back(FaceBox{ti.box, ti.id, -1, false});
    }
    for (auto& af : faces) {
      WipeMat(&af.aligned);
      WipeMat(&af.embedding);
    }
    frames.push_back(std::move(boxes));
    times.push_back(t);
    if (options.progress) options.progress(static_cast<int64_t>(frames.size()));
    return Status::Ok();
  });
  if (!pass1.ok()) return pass1;
  if (frames.empty()) {
    return Status::NotFound("no recorded frame of camera " + cam->name + " between " + FormatUtcMs(req.from_ms) +
                            " and " + FormatUtcMs(req.to_ms));
  }
  std::set<int64_t> subject_tracks;
  for (const auto& [track, best] : track_best) {
    if (best >= options.subject_similarity) subject_tracks.insert(track);
  }

  // Pass 2: blur and encode.
  double fps = 25;
  if (times.size() > 1 && times.back() > times.front()) {
    fps = 1000.0 * static_cast<double>(times.size() - 1) / static_cast<double>(times.back() - times.front());
  }
  Mp4Writer writer;
  LFR_RETURN_IF_ERROR(writer.Open(*temp, frame_size.width, frame_size.height, fps, options.crf));
  ExportManifest m;
  size_t i = 0;
  cv::Mat work;
  Status pass2 = ForEachFrame(segments, *key, req.from_ms, req.to_ms, [&](const cv::Mat& bgr, int64_t t) -> Status {
    if (i >= frames.size() || times[i] != t || bgr.size() != frame_size) {
      return Status::Internal("the footage changed while it was exported");
    }
    bgr.copyTo(work);
    std::vector<cv::Rect2f> clear_boxes;
    for (const FaceBox& b : frames[i]) {
      const bool clear = b.detected && subject_tracks.count(b.track) > 0 && b.similarity >= options.keep_similarity;
      const bool subject_missed = !b.detected && subject_tracks.count(b.track) > 0;
      if (clear) {
        ++m.subject_faces;
        clear_boxes.push_back(b.box);
      } else if (!subject_missed) {
        BlurBox(&work, b.box, options.face_margin);
        ++m.faces_blurred;
      }
    }
    // Check the redacted frame itself: whatever the detector still finds there that is not
    // the subject's clear face (a face that only scores once its neighbours are gone, a
    // hand) is blurred too, until it finds nothing else (at most 3 rounds).
    for (int round = 0; round < 3; ++round) {
      LFR_RETURN_IF_ERROR(analyzer->detector().Detect(work, &dets));
      int found = 0;
      for (const Face& f : dets) {
        const bool subject = std::any_of(clear_boxes.begin(), clear_boxes.end(),
                                         [&](const cv::Rect2f& c) { return BoxIoU(c, f.box) > 0.3f; });
        if (subject) continue;
        BlurBox(&work, f.box, options.face_margin);
        ++m.faces_blurred;
        ++found;
      }
      if (found == 0) break;
    }
    Status s = writer.Write(work, t - times.front());
    ++i;
    return s;
  });
  WipeMat(&work);
  if (!pass2.ok()) return pass2;
  if (i != frames.size()) return Status::Internal("the footage changed while it was exported");
  LFR_RETURN_IF_ERROR(writer.Finish());
  LFR_RETURN_IF_ERROR(FsyncPath(*temp));
  auto digest = Sha256File(*temp);  // models/store.h
  if (!digest.ok()) return digest.status();
  const auto size = fs::file_size(*temp, ec);
  if (ec) return Status::IOError("cannot read back " + temp->string());

  m.deployment_id = req.deployment_id;
  m.camera_id = cam->id;
  m.camera = cam->name;
  m.from_ms = req.from_ms;
  m.to_ms = req.to_ms;
  m.first_frame_ms = times.front();
  m.last_frame_ms = times.back();
  m.file = fs::absolute(req.out).lexically_normal().string();
  m.sha256 = *digest;
  m.bytes = static_cast<int64_t>(size);
  m.exported_by = by.name;
  m.exported_ms = now_ms;
  m.reason = req.reason;
  m.subject_alert = req.subject_alert;
  m.frames = static_cast<int64_t>(frames.size());
  m.segments = static_cast<int64_t>(segments.size());
  m.codec = writer.codec_name();

  // The manifest beside the file, then both renamed into place, then the audit row.
  auto mtemp = ReserveTemp(ManifestPath(req.out));
  if (!mtemp.ok()) return mtemp.status();
  guard.paths.push_back(*mtemp);
  {
    std::ofstream o(*mtemp, std::ios::trunc);
    o << m.ToJson().dump(2) << "\n";
    o.flush();
    if (!o) return Status::IOError("cannot write the manifest beside " + req.out.string());
  }
  LFR_RETURN_IF_ERROR(FsyncPath(*mtemp));
  if (fs::exists(req.out, ec)) {
    return Status::FailedPrecondition(req.out.string() + " appeared while exporting: not overwritten");
  }
  fs::rename(*temp, req.out, ec);
  if (ec) return Status::IOError("cannot move the export into place at " + req.out.string() + ": " + ec.message());
  guard.paths[0] = req.out;  // until the manifest and audit are done
  fs::rename(*mtemp, ManifestPath(req.out), ec);
  if (ec) return Status::IOError("cannot move the manifest into place: " + ec.message());
  guard.paths[1] = ManifestPath(req.out);
  const fs::path dir = req.out.has_parent_path() ? req.out.parent_path() : fs::path(".");
  LFR_RETURN_IF_ERROR(FsyncPath(dir));
  Status audited = store->Audit(by, "footage.export", "camera:" + std::to_string(cam->id), m.ToJson().dump());
  if (!audited.ok()) {
    return Status::IOError("the export could not be recorded in the audit log (removed): " + audited.message());
  }
  guard.paths.clear();
  return m;
}

#else  // !LFR_HAVE_LIBAV

Result<ExportManifest> ExportFootage(Store*, FaceAnalyzer*, const ExportRequest&, const ExportOptions&,
                                     const Actor&, int64_t) {
  return Status::FailedPrecondition("this build has no libav: footage cannot be exported");
}

#endif  // LFR_HAVE_LIBAV

}  // namespace lfr
