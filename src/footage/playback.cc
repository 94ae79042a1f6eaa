#include "footage/playback.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#ifdef LFR_HAVE_LIBAV
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}
#endif

#include "footage/segment.h"
#include "pipeline/av_log.h"
#include "util/secure.h"

namespace lfr {
namespace fs = std::filesystem;

namespace {
constexpr int64_t kContinuousMs = 75 * 1000;  // a segment is about a minute, cut at a key frame

#ifdef LFR_HAVE_LIBAV
// The stream time of a packet (pts, else dts), in its time base.
int64_t PacketTs(const AVPacket* p) { return p->pts != AV_NOPTS_VALUE ? p->pts : p->dts; }
#endif

// How long the segment lasts by its timestamps (ms); nullopt if unreadable.
std::optional<int64_t> SegmentDurationMs(const fs::path& p, const SecretBytes& key) {
#ifdef LFR_HAVE_LIBAV
  auto ts = UnsealSegment(p, key);
  if (!ts.ok()) return std::nullopt;
  auto d = DemuxSegment(*ts);
  if (!d.ok() || (*d)->packets().empty()) return std::nullopt;
  int64_t lo = INT64_MAX, hi = INT64_MIN, dur = 0;
  for (const AVPacket* pkt : (*d)->packets()) {
    const int64_t t = PacketTs(pkt);
    if (t == AV_NOPTS_VALUE) continue;
    lo = std::min(lo, t);
    if (t >= hi) {
      hi = t;
      dur = pkt->duration;
    }
  }
  if (lo > hi) return std::nullopt;
  const double tb = static_cast<double>((*d)->time_base_num()) / (*d)->time_base_den();
  return static_cast<int64_t>(std::llround(static_cast<double>(hi - lo + std::max<int64_t>(dur, 0)) * tb * 1000.0));
#else
  return std::nullopt;
#endif
}
}  // namespace

std::vector<SegmentSpan> ListSegmentSpans(const fs::path& camera_dir, const SecretBytes& key) {
  std::vector<SegmentSpan> out;
  const auto paths = ListSegments(camera_dir);
  for (size_t i = 0; i < paths.size(); ++i) {
    auto id = ParseSegmentPath(paths[i]);
    if (!id) continue;
    SegmentSpan s;
    s.path = paths[i];
    s.start_ms = id->start_ms;
    std::error_code ec;
    const auto size = fs::file_size(paths[i], ec);
    s.bytes = ec ? 0 : static_cast<int64_t>(size);
    std::optional<int64_t> next;
    if (i + 1 < paths.size()) {
      if (auto n = ParseSegmentPath(paths[i + 1])) next = n->start_ms;
    }
    if (next && *next > s.start_ms && *next - s.start_ms <= kContinuousMs) {
      s.end_ms = *next;
    } else {
      s.end_ms = s.start_ms + SegmentDurationMs(paths[i], key).value_or(0);
    }
    out.push_back(std::move(s));
  }
  return out;
}

#ifdef LFR_HAVE_LIBAV
namespace {

int AppendToString(void* opaque, uint8_t* buf, int n) {
  static_cast<std::string*>(opaque)->append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
  return n;
}

struct Picked {
  const AVPacket* packet;
  int64_t dts90, pts90;  // output times, 1/90000 s
  int64_t utc_ms;
};

}  // namespace

Result<std::string> RemuxToFragmentedMp4(const std::vector<SegmentSpan>& spans, const SecretBytes& key,
                                         int64_t from_ms, int64_t to_ms) {
  if (to_ms <= from_ms) return Status::InvalidArgument("the range is empty: 'to' must be after 'from'");
  if (to_ms - from_ms > kMaxPlaybackMs) {
    return Status::InvalidArgument("a played range is at most " + std::to_string(kMaxPlaybackMs / 60000) +
                                   " minutes; export longer ranges");
  }
  RouteLibavLog();
  std::vector<std::unique_ptr<DemuxedSegment>> demuxed;
  std::vector<Picked> packets;
  const AVRational k90{1, 90000};
  int64_t last_dts = INT64_MIN;
  for (const SegmentSpan& s : spans) {
    if (s.start_ms >= to_ms || (s.end_ms > s.start_ms && s.end_ms <= from_ms)) continue;
    auto ts = UnsealSegment(s.path, key);
    if (!ts.ok()) {
      return Status::Corrupt("footage segment " + s.path.filename().string() +
                             " cannot be opened (tampered, truncated or not this camera's): " + ts.status().message());
    }
    auto d = DemuxSegment(*ts);
    if (!d.ok()) return d.status();
    if (!demuxed.empty()) {
      const AVCodecParameters& a = demuxed.front()->params();
      const AVCodecParameters& b = (*d)->params();
      if (a.codec_id != b.codec_id || a.width != b.width || a.height != b.height) {
        break;  // the camera changed format: play up to here
      }
    }
    const AVRational tb{(*d)->time_base_num(), (*d)->time_base_den()};
    std::optional<int64_t> first;
    int64_t offset90 = s.start_ms * 90;  // segment time 0 in the output's clock
    for (const AVPacket* p : (*d)->packets()) {
      const int64_t t = PacketTs(p);
      if (t == AV_NOPTS_VALUE) continue;
      if (!first) first = t;
      const int64_t rel_pts = av_rescale_q(t - *first, tb, k90);
      const int64_t rel_dts = p->dts != AV_NOPTS_VALUE ? av_rescale_q(p->dts - *first, tb, k90) : rel_pts;
      const int64_t utc = (offset90 + rel_pts) / 90;
      if (utc >= to_ms) break;
      int64_t dts = offset90 + rel_dts;
      if (dts <= last_dts) {  // wall-clock names overlap a little: keep time monotonic
        offset90 += last_dts + 1 - dts;
        dts = last_dts + 1;
      }
      last_dts = dts;
      packets.push_back({p, dts, offset90 + rel_pts, utc});
    }
    demuxed.push_back(std::move(d).value());
  }
  // Start at the last key frame at or before `from` (else the first key frame after it).
  std::optional<size_t> start;
  for (size_t i = 0; i < packets.size(); ++i) {
    if (!(packets[i].packet->flags & AV_PKT_FLAG_KEY)) continue;
    if (packets[i].utc_ms <= from_ms || !start) start = i;
    if (packets[i].utc_ms > from_ms) break;
  }
  if (!start || demuxed.empty()) return Status::NotFound("no recorded footage in this range");

  const AVCodecParameters& params = demuxed.front()->params();
  if (params.extradata_size <= 0) return Status::FailedPrecondition("the recorded stream carries no codec header");
  AVFormatContext* fmt = nullptr;
  if (avformat_alloc_output_context2(&fmt, nullptr, "mp4", nullptr) < 0 || fmt == nullptr) {
    return Status::Internal("cannot create an MP4 muxer");
  }
  std::string out;
  constexpr int kBuf = 64 * 1024;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBuf));
  AVIOContext* io = buffer ? avio_alloc_context(buffer, kBuf, 1, &out, nullptr, &AppendToString, nullptr) : nullptr;
  auto cleanup = [&] {
    if (io != nullptr) {
      WipeBytes(io->buffer, static_cast<size_t>(io->buffer_size));
      av_freep(&io->buffer);
      avio_context_free(&io);
    } else {
      av_free(buffer);
    }
    avformat_free_context(fmt);
  };
  AVStream* st = io ? avformat_new_stream(fmt, nullptr) : nullptr;
  if (st == nullptr || avcodec_parameters_copy(st->codecpar, &params) < 0) {
    cleanup();
    return Status::Internal("out of memory");
  }
  st->codecpar->codec_tag = 0;
  st->time_base = k90;
  fmt->pb = io;
  fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
  int r = avformat_write_header(fmt, &opts);
  av_dict_free(&opts);
  if (r < 0) {
    cleanup();
    return Status::FailedPrecondition("the recorded codec cannot be played in MP4");
  }
  AVPacket* pkt = av_packet_alloc();
  const int64_t base = packets[*start].dts90;
  Status result;
  for (size_t i = *start; i < packets.size() && pkt != nullptr; ++i) {
    if (av_packet_ref(pkt, packets[i].packet) < 0) {
      result = Status::Internal("out of memory");
      break;
    }
    pkt->stream_index = st->index;
    pkt->dts = packets[i].dts90 - base;
    pkt->pts = std::max(packets[i].pts90 - base, pkt->dts);
    pkt->duration = av_rescale_q(pkt->duration, AVRational{demuxed.front()->time_base_num(),
                                                           demuxed.front()->time_base_den()}, k90);
    av_packet_rescale_ts(pkt, k90, st->time_base);
    pkt->pos = -1;
    if (av_write_frame(fmt, pkt) < 0) {
      av_packet_unref(pkt);
      result = Status::Internal("cannot remux the recorded packets");
      break;
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  if (result.ok() && av_write_trailer(fmt) < 0) result = Status::Internal("cannot finish the MP4");
  if (result.ok()) avio_flush(io);
  cleanup();
  if (!result.ok()) {
    WipeBytes(out.data(), out.size());
    return result;
  }
  return out;
}

#else  // !LFR_HAVE_LIBAV

Result<std::string> RemuxToFragmentedMp4(const std::vector<SegmentSpan>&, const SecretBytes&, int64_t, int64_t) {
  return Status::FailedPrecondition("this build has no libav: footage cannot be played");
}

#endif  // LFR_HAVE_LIBAV

}  // namespace lfr
