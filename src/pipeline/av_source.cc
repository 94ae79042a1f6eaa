#include "pipeline/av_source.h"

#include <cstring>

#include "pipeline/av_log.h"
#include "pipeline/bgr_convert.h"
#include "pipeline/camera.h"
#include "pipeline/packet_tap.h"

#ifdef LFR_HAVE_LIBAV

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

#include "util/secure.h"

namespace lfr {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxBadPackets = 100;      // corrupt packets in a row before giving up
constexpr int64_t kMaxIndexJump = 64;    // larger timestamp jumps are not trusted

std::string AvError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof(buf));
  return buf;
}

// Decoder frame buffers come from FFmpeg's default pool; each is wrapped so that it is
// wiped when the decoder releases it (back to the pool, or freed at close): pixels of
// passers-by do not outlive the frame in decoder memory either.
void WipeAndRelease(void* opaque, uint8_t* /*data*/) {
  AVBufferRef* inner = static_cast<AVBufferRef*>(opaque);
  WipeBytes(inner->data, inner->size);
  av_buffer_unref(&inner);
}

int WipingGetBuffer(AVCodecContext* ctx, AVFrame* frame, int flags) {
  const int r = avcodec_default_get_buffer2(ctx, frame, flags);
  if (r < 0) return r;
  for (AVBufferRef*& buf : frame->buf) {
    if (buf == nullptr) continue;
    AVBufferRef* outer = av_buffer_create(buf->data, buf->size, WipeAndRelease, buf, 0);
    if (outer == nullptr) {
      av_frame_unref(frame);
      return AVERROR(ENOMEM);
    }
    buf = outer;
  }
  return 0;
}

class LibavFrameSource final : public FrameSource {
 public:
  LibavFrameSource(const SourceSpec& source, const CameraOptions& options,
                   const std::atomic<bool>* stop)
      : source_(source), options_(options), stop_(stop) {
    RouteLibavLog();  // FFmpeg's messages through spdlog, rate-limited
    frame_ = av_frame_alloc();
    packet_ = av_packet_alloc();
  }
  ~LibavFrameSource() override {
    Close();
    av_frame_free(&frame_);
    av_packet_free(&packet_);
  }

  bool Open(SourceInfo* info, std::string* error) override;
  bool IsOpen() const override { return format_ != nullptr; }
  void SetWanted(int every, int64_t phase) override {
    every_ = std::max(1, every);
    phase_ = phase;
    UpdateSkip();
  }
  bool Next(cv::Mat* image, cv::Mat* working) override;
  bool SeekToKeyFrame(double seconds, int64_t* index) override;
  void Close() override;
  const std::string& error() const override { return error_; }
  DecoderBackend backend() const override { return DecoderBackend::kLibav; }

 private:
  static int Interrupt(void* self) {
    auto* s = static_cast<LibavFrameSource*>(self);
    if (s->stop_ != nullptr && s->stop_->load()) return 1;
    return s->deadline_ != Clock::time_point{} && Clock::now() > s->deadline_ ? 1 : 0;
  }
  void ArmDeadline(int timeout_ms) {
    deadline_ = source_.kind == SourceKind::kStream && timeout_ms > 0
                    ? Clock::now() + std::chrono::milliseconds(timeout_ms)
                    : Clock::time_point{};
  }
  void UpdateSkip() {
    skip_ = options_.skip_nonref && every_ > 1 && source_.kind == SourceKind::kFile &&
            start_pts_ != AV_NOPTS_VALUE && fps_ > 0;
  }
  bool Wanted(int64_t k) const { return (phase_ + k) % every_ == 0; }
  // Display index of a timestamp in this session; -1 if unknown.
  int64_t IndexOf(int64_t pts) const {
    if (pts == AV_NOPTS_VALUE) return -1;
    return std::llround(static_cast<double>(pts - start_pts_) * time_base_ * fps_);
  }
  // Index of a decoded frame: its timestamp's, unless that is unknown or implausible.
  int64_t FrameIndex() const {
    if (!skip_) return next_k_;
    const int64_t k = IndexOf(frame_->best_effort_timestamp);
    return k < next_k_ || k > next_k_ + kMaxIndexJump ? next_k_ : k;
  }
  // Sends the next video packet (or the end of stream) to the decoder. false on error.
  bool Feed();
  bool Convert(cv::Mat* image, cv::Mat* working);

  const SourceSpec source_;
  const CameraOptions options_;
  const std::atomic<bool>* stop_;
  std::string error_;

  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  SwsContext* to_bgr_ = nullptr;
  SwsContext* to_working_ = nullptr;
  cv::Mat scratch_;  // padded conversion target for widths sws_scale overruns (ScaleToBgr)
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
  int stream_ = -1;
  Clock::time_point deadline_{};

  double fps_ = 0, time_base_ = 0;
  int64_t start_pts_ = AV_NOPTS_VALUE;
  int every_ = 1;
  int64_t phase_ = 0;
  bool skip_ = false;         // leave unwanted non-reference frames undecoded
  int64_t next_k_ = 0;        // display index of the next frame Next() returns
  int64_t end_k_ = 0;         // 1 + the largest display index among the packets read
  bool pending_ = false;      // frame_ holds a decoded frame not yet returned
  int64_t pending_k_ = 0;
  bool eof_sent_ = false, drained_ = false;
  bool held_packet_ = false;  // packet_ holds a read packet Feed() must send first (seek)
  int bad_packets_ = 0;
};

bool LibavFrameSource::Open(SourceInfo* info, std::string* error) {
  Close();
  error_.clear();
  format_ = avformat_alloc_context();
  if (format_ == nullptr) {
    *error = "out of memory";
    return false;
  }
  format_->interrupt_callback = {&LibavFrameSource::Interrupt, this};
  ArmDeadline(options_.open_timeout_ms);
  // "file:" so that a path with a colon is not taken for a protocol.
  const std::string url =
      source_.kind == SourceKind::kFile ? "file:" + source_.location : source_.location;
  // Only the source's own protocol family: a playlist or redirect cannot make FFmpeg read
  // local files (file:, concat:, pipe:) or other protocols for a network camera.
  AVDictionary* open_opts = nullptr;
  const bool rtsp = source_.location.rfind("rtsp", 0) == 0;
  av_dict_set(&open_opts, "protocol_whitelist",
              source_.kind == SourceKind::kFile ? "file"
              : rtsp ? "rtsp,rtsps,rtp,srtp,udp,tcp,tls,http,https,httpproxy"
                     : "http,https,tcp,tls,crypto,httpproxy",
              0);
  int r = avformat_open_input(&format_, url.c_str(), nullptr, &open_opts);  // frees on failure
  av_dict_free(&open_opts);
  auto fail = [&](const std::string& why) {
    *error = why;
    Close();
    return false;
  };
  if (r < 0) return fail(AvError(r));
  if ((r = avformat_find_stream_info(format_, nullptr)) < 0) return fail(AvError(r));
  const AVCodec* codec = nullptr;
  stream_ = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream_ < 0 || codec == nullptr) {
    return fail(stream_ == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video codec"
                                                     : "no video stream");
  }
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_) format_->streams[i]->discard = AVDISCARD_ALL;
  }
  AVStream* st = format_->streams[stream_];
  codec_ = avcodec_alloc_context3(codec);
  if (codec_ == nullptr) return fail("out of memory");
  if ((r = avcodec_parameters_to_context(codec_, st->codecpar)) < 0) return fail(AvError(r));
  codec_->thread_count = std::max(0, options_.decoder_threads);
  if (options_.skip_loop_filter) codec_->skip_loop_filter = AVDISCARD_ALL;
  if (codec->capabilities & AV_CODEC_CAP_DR1) codec_->get_buffer2 = &WipingGetBuffer;
  if ((r = avcodec_open2(codec_, codec, nullptr)) < 0) return fail(AvError(r));

  AVRational rate = st->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = av_guess_frame_rate(format_, st, nullptr);
  fps_ = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
  if (!std::isfinite(fps_) || fps_ > 1000) fps_ = 0;
  time_base_ = av_q2d(st->time_base);
  start_pts_ = st->start_time;
  next_k_ = end_k_ = 0;
  pending_ = eof_sent_ = drained_ = false;
  bad_packets_ = 0;
  UpdateSkip();
  info->fps = fps_;
  info->width = codec_->width;
  info->height = codec_->height;
  ArmDeadline(options_.read_timeout_ms);
  if (options_.packet_tap) {
    options_.packet_tap->OnStreamStart(*st->codecpar, st->time_base.num, st->time_base.den);
  }
  return true;
}

bool LibavFrameSource::SeekToKeyFrame(double seconds, int64_t* index) {
  if (!IsOpen() || source_.kind != SourceKind::kFile || fps_ <= 0 || time_base_ <= 0 ||
      next_k_ != 0 || pending_ || held_packet_) {
    return false;
  }
  const int64_t base = start_pts_ == AV_NOPTS_VALUE ? 0 : start_pts_;
  const int64_t target = base + std::llround(seconds / time_base_);
  if (av_seek_frame(format_, stream_, target, AVSEEK_FLAG_BACKWARD) < 0) return false;
  avcodec_flush_buffers(codec_);
  // The first video key frame from there: where decoding starts. (Containers without an
  // index may land anywhere; a key frame later than asked for would leave frames out.)
  while (true) {
    const int r = av_read_frame(format_, packet_);
    if (r < 0) return false;
    if (packet_->stream_index == stream_ && (packet_->flags & AV_PKT_FLAG_KEY) != 0) break;
    av_packet_unref(packet_);
  }
  const int64_t pts = packet_->pts != AV_NOPTS_VALUE ? packet_->pts : packet_->dts;
  if (pts == AV_NOPTS_VALUE || pts > target + std::llround(0.5 / (fps_ * time_base_))) {
    av_packet_unref(packet_);
    return false;
  }
  if (start_pts_ == AV_NOPTS_VALUE) start_pts_ = 0;
  UpdateSkip();
  held_packet_ = true;
  next_k_ = end_k_ = std::max<int64_t>(0, IndexOf(pts));
  *index = next_k_;
  return true;
}

bool LibavFrameSource::Feed() {
  while (true) {
    ArmDeadline(options_.read_timeout_ms);
    int r = 0;
    if (held_packet_) {
      held_packet_ = false;
    } else {
      r = av_read_frame(format_, packet_);
    }
    if (r < 0) {
      if (r != AVERROR_EOF && source_.kind != SourceKind::kFile) {
        error_ = stop_ != nullptr && stop_->load() ? "stopped"
                 : r == AVERROR_EXIT                ? "read timed out"
                                                    : "read failed: " + AvError(r);
        return false;
      }
      // End of file (a truncated file ends here too): flush the frames the decoder holds.
      avcodec_send_packet(codec_, nullptr);
      eof_sent_ = true;
      return true;
    }
    if (packet_->stream_index != stream_) {
      av_packet_unref(packet_);
      continue;
    }
    if (options_.packet_tap) options_.packet_tap->OnPacket(*packet_);  // before decoding
    const int64_t k = skip_ ? IndexOf(packet_->pts) : -1;
    if (k >= 0) end_k_ = std::max(end_k_, k + 1);
    codec_->skip_frame = k >= 0 && !Wanted(k) ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    const int s = avcodec_send_packet(codec_, packet_);
    av_packet_unref(packet_);
    if (s < 0 && s != AVERROR(EAGAIN)) {
      if (++bad_packets_ >= kMaxBadPackets) {
        error_ = "decoder error: " + AvError(s);
        return false;
      }
    }
    return true;
  }
}

bool LibavFrameSource::Next(cv::Mat* image, cv::Mat* working) {
  if (!IsOpen()) return false;
  while (true) {
    if (pending_) {
      // Frames before the decoded one that were left undecoded: one step each, no pixels.
      if (pending_k_ > next_k_ && image == nullptr) {
        ++next_k_;
        if (working != nullptr) working->release();
        return true;
      }
      pending_ = false;
      next_k_ = std::max(next_k_, pending_k_) + 1;
      bool ok = true;
      if (image != nullptr) {
        ok = Convert(image, working);
      } else if (working != nullptr) {
        working->release();
      }
      av_frame_unref(frame_);
      return ok;
    }
    if (drained_) {
      if (next_k_ < end_k_ && image == nullptr) {  // undecoded frames at the very end
        ++next_k_;
        return true;
      }
      return false;
    }
    const int r = avcodec_receive_frame(codec_, frame_);
    if (r == 0) {
      bad_packets_ = 0;
      pending_k_ = FrameIndex();
      pending_ = true;
    } else if (r == AVERROR_EOF || (r == AVERROR(EAGAIN) && eof_sent_)) {
      drained_ = true;
    } else if (r == AVERROR(EAGAIN)) {
      if (!Feed()) return false;
    } else {
      error_ = "decoder error: " + AvError(r);
      return false;
    }
  }
}


bool LibavFrameSource::Convert(cv::Mat* image, cv::Mat* working) {
  const int w = frame_->width, h = frame_->height;
  const auto fmt = static_cast<AVPixelFormat>(frame_->format);
  // SWS_BICUBIC as OpenCV's FFmpeg backend uses (at equal size it is the exact converter).
  to_bgr_ = sws_getCachedContext(to_bgr_, w, h, fmt, w, h, AV_PIX_FMT_BGR24, SWS_BICUBIC,
                                 nullptr, nullptr, nullptr);
  if (to_bgr_ == nullptr) {
    error_ = "cannot convert pixel format " + std::to_string(frame_->format) + " to BGR";
    return false;
  }
  ScaleToBgr(to_bgr_, frame_, {w, h}, &scratch_, image);
  if (working == nullptr) return true;
  const cv::Size ws = WorkingSize({w, h}, options_.working_long_side);
  if (ws.width == 0) {
    working->release();
    return true;
  }
  to_working_ = sws_getCachedContext(to_working_, w, h, fmt, ws.width, ws.height,
                                     AV_PIX_FMT_BGR24, SWS_AREA, nullptr, nullptr, nullptr);
  if (to_working_ == nullptr) {
    working->release();
    return true;  // the detector downscales the full frame instead
  }
  ScaleToBgr(to_working_, frame_, ws, &scratch_, working);
  return true;
}

void LibavFrameSource::Close() {
  if (frame_ != nullptr) av_frame_unref(frame_);
  if (packet_ != nullptr) av_packet_unref(packet_);
  pending_ = false;
  held_packet_ = false;
  sws_freeContext(to_bgr_);
  sws_freeContext(to_working_);
  to_bgr_ = to_working_ = nullptr;
  avcodec_free_context(&codec_);  // releases (and so wipes) the decoder's frame buffers
  if (format_ != nullptr && stream_ >= 0 && options_.packet_tap) options_.packet_tap->OnStreamEnd();
  if (format_ != nullptr) avformat_close_input(&format_);
  format_ = nullptr;
  stream_ = -1;
  deadline_ = {};
}

}  // namespace

bool HaveLibav() { return true; }

std::unique_ptr<FrameSource> MakeLibavFrameSource(const SourceSpec& source,
                                                  const CameraOptions& options,
                                                  const std::atomic<bool>* stop) {
  return std::make_unique<LibavFrameSource>(source, options, stop);
}

}  // namespace lfr

#else  // !LFR_HAVE_LIBAV

namespace lfr {

bool HaveLibav() { return false; }

std::unique_ptr<FrameSource> MakeLibavFrameSource(const SourceSpec&, const CameraOptions&,
                                                  const std::atomic<bool>*) {
  return nullptr;
}

}  // namespace lfr

#endif  // LFR_HAVE_LIBAV
