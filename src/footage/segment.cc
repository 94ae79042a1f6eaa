#include "footage/segment.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#ifdef LFR_HAVE_LIBAV
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}
#endif

#include "pipeline/bgr_convert.h"
#include "util/secure.h"

namespace lfr {
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'L', 'F', 'R', 'S', 'E', 'G', '0', '1'};
constexpr size_t kChunk = 64 * 1024;
constexpr size_t kHeader = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kABytes = crypto_secretstream_xchacha20poly1305_ABYTES;

std::string Errno(int e) { return std::strerror(e); }

bool AllDigits(const std::string& s) {
  return !s.empty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void FsyncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string SegmentAad(const SegmentId& id) {
  return "lfrseg:" + std::to_string(id.deployment_id) + ":" + std::to_string(id.camera_id) + ":" +
         std::to_string(id.start_ms);
}

fs::path CameraFootageDir(const fs::path& root, int64_t deployment_id, int64_t camera_id) {
  return root / std::to_string(deployment_id) / std::to_string(camera_id);
}

fs::path SegmentPath(const fs::path& root, const SegmentId& id) {
  return CameraFootageDir(root, id.deployment_id, id.camera_id) / (std::to_string(id.start_ms) + kSegmentExtension);
}

std::optional<SegmentId> ParseSegmentPath(const fs::path& path) {
  if (path.extension() != kSegmentExtension) return std::nullopt;
  const std::string start = path.stem().string();
  const std::string cam = path.parent_path().filename().string();
  const std::string dep = path.parent_path().parent_path().filename().string();
  if (!AllDigits(start) || !AllDigits(cam) || !AllDigits(dep)) return std::nullopt;
  return SegmentId{std::stoll(dep), std::stoll(cam), std::stoll(start)};
}

std::vector<fs::path> ListSegments(const fs::path& camera_dir) {
  std::vector<std::pair<int64_t, fs::path>> found;
  std::error_code ec;
  for (auto it = fs::directory_iterator(camera_dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (auto id = ParseSegmentPath(it->path())) found.emplace_back(id->start_ms, it->path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

int SweepIncompleteSegments(const fs::path& camera_dir) {
  int n = 0;
  std::error_code ec;
  std::vector<fs::path> parts;
  for (auto it = fs::directory_iterator(camera_dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == kPartExtension) parts.push_back(it->path());
  }
  for (const auto& p : parts) {
    std::error_code rec;
    if (fs::remove(p, rec)) ++n;
  }
  return n;
}

// ---- sealing writer ----

struct SealedSegmentFile::State {
  crypto_secretstream_xchacha20poly1305_state st;
  ~State() { sodium_memzero(&st, sizeof(st)); }
};

Result<std::unique_ptr<SealedSegmentFile>> SealedSegmentFile::Create(const fs::path& final_path,
                                                                     const SecretBytes& key, std::string aad,
                                                                     const SegmentFileOpener& opener) {
  LFR_RETURN_IF_ERROR(InitCrypto());
  if (key.size() != crypto_secretstream_xchacha20poly1305_KEYBYTES) {
    return Status::InvalidArgument("footage key must be 32 bytes");
  }
  std::unique_ptr<SealedSegmentFile> f(new SealedSegmentFile());
  f->final_path_ = final_path;
  f->temp_path_ = final_path.parent_path() / ("." + final_path.filename().string() + kPartExtension);
  f->aad_ = std::move(aad);
  f->plain_ = SecretBytes(kChunk);
  f->state_ = std::make_unique<State>();
  std::error_code ec;
  fs::create_directories(final_path.parent_path(), ec);
  if (ec) return Status::IOError("cannot create footage folder " + final_path.parent_path().string() + ": " + ec.message());
  f->fd_ = opener ? opener(f->temp_path_)
                  : ::open(f->temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (f->fd_ < 0) return Status::IOError("cannot create footage segment " + f->temp_path_.string() + ": " + Errno(errno));
  uint8_t header[kHeader];
  crypto_secretstream_xchacha20poly1305_init_push(&f->state_->st, header, key.data());
  Status s = f->WriteAll(reinterpret_cast<const uint8_t*>(kMagic), sizeof(kMagic));
  if (s.ok()) s = f->WriteAll(header, sizeof(header));
  if (!s.ok()) {
    f->Abort();
    return s;
  }
  return f;
}

SealedSegmentFile::~SealedSegmentFile() {
  if (!done_) Abort();
}

Status SealedSegmentFile::WriteAll(const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("cannot write footage segment " + temp_path_.string() + ": " + Errno(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
    bytes_written_ += w;
  }
  return Status::Ok();
}

Status SealedSegmentFile::SealChunk(bool final) {
  std::vector<uint8_t> out(4 + filled_ + kABytes);
  unsigned long long clen = 0;
  crypto_secretstream_xchacha20poly1305_push(
      &state_->st, out.data() + 4, &clen, plain_.data(), filled_, reinterpret_cast<const uint8_t*>(aad_.data()),
      aad_.size(), final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
  const uint32_t len = static_cast<uint32_t>(clen);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(len >> (8 * i));
  WipeBytes(plain_.data(), filled_);
  filled_ = 0;
  return WriteAll(out.data(), out.size());
}

Status SealedSegmentFile::Write(const uint8_t* data, size_t n) {
  if (done_ || fd_ < 0) return Status::FailedPrecondition("footage segment already closed");
  while (n > 0) {
    const size_t take = std::min(n, kChunk - filled_);
    std::memcpy(plain_.data() + filled_, data, take);
    filled_ += take;
    data += take;
    n -= take;
    if (filled_ == kChunk) LFR_RETURN_IF_ERROR(SealChunk(false));
  }
  return Status::Ok();
}

Status SealedSegmentFile::Finish() {
  if (done_ || fd_ < 0) return Status::FailedPrecondition("footage segment already closed");
  Status s = SealChunk(true);
  if (s.ok() && ::fsync(fd_) != 0) s = Status::IOError("cannot sync footage segment " + temp_path_.string() + ": " + Errno(errno));
  if (s.ok() && ::close(fd_) != 0) s = Status::IOError("cannot close footage segment " + temp_path_.string() + ": " + Errno(errno));
  fd_ = -1;
  if (s.ok()) {
    std::error_code ec;
    fs::rename(temp_path_, final_path_, ec);
    if (ec) s = Status::IOError("cannot finish footage segment " + final_path_.string() + ": " + ec.message());
  }
  if (!s.ok()) {
    Abort();
    return s;
  }
  FsyncDir(final_path_.parent_path());
  done_ = true;
  return Status::Ok();
}

void SealedSegmentFile::Abort() {
  if (done_) return;
  done_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  WipeBytes(plain_.data(), plain_.size());
  filled_ = 0;
  std::error_code ec;
  fs::remove(temp_path_, ec);
}

// ---- unsealing ----

Result<SecretBytes> UnsealSegment(const fs::path& path, const SecretBytes& key, std::optional<std::string> aad) {
  LFR_RETURN_IF_ERROR(InitCrypto());
  if (!aad) {
    auto id = ParseSegmentPath(path);
    if (!id) return Status::Corrupt(path.string() + " is not a footage segment (.../<deployment>/<camera>/<start>.lfrseg)");
    aad = SegmentAad(*id);
  }
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::NotFound("no footage segment " + path.string());
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Status::IOError("cannot read footage segment " + path.string());
  const std::string bad = "footage segment " + path.string() + " is incomplete, damaged or not sealed under this key";
  if (file.size() < sizeof(kMagic) + kHeader || std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) {
    return Status::Corrupt(bad);
  }
  // First pass: the chunk lengths give the plaintext size (one locked buffer).
  size_t pos = sizeof(kMagic) + kHeader, total = 0;
  while (pos < file.size()) {
    if (file.size() - pos < 4) return Status::Corrupt(bad);
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(file[pos + i]) << (8 * i);
    pos += 4;
    if (len < kABytes || len - kABytes > kChunk || file.size() - pos < len) return Status::Corrupt(bad);
    total += len - kABytes;
    pos += len;
  }
  SecretBytes out(total);
  crypto_secretstream_xchacha20poly1305_state st;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&st, file.data() + sizeof(kMagic), key.data()) != 0) {
    return Status::Corrupt(bad);
  }
  pos = sizeof(kMagic) + kHeader;
  size_t at = 0;
  bool final = false;
  while (pos < file.size()) {
    if (final) {
      sodium_memzero(&st, sizeof(st));
      return Status::Corrupt(bad);  // bytes after the final chunk
    }
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(file[pos + i]) << (8 * i);
    pos += 4;
    unsigned long long mlen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&st, out.data() + at, &mlen, &tag, file.data() + pos, len,
                                                   reinterpret_cast<const uint8_t*>(aad->data()), aad->size()) != 0) {
      sodium_memzero(&st, sizeof(st));
      return Status::Corrupt(bad);
    }
    at += mlen;
    pos += len;
    final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  }
  sodium_memzero(&st, sizeof(st));
  if (!final) return Status::Corrupt(bad);  // truncated: no final chunk
  return out;
}

#ifdef LFR_HAVE_LIBAV

namespace {

std::string AvError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof(buf));
  return buf;
}

}  // namespace

// ---- muxing ----

struct SegmentWriter::Impl {
  std::unique_ptr<SealedSegmentFile> file;
  AVFormatContext* fmt = nullptr;
  AVIOContext* io = nullptr;
  AVPacket* pkt = nullptr;
  AVRational in_tb{1, 90000};
  Status io_error;  // the first write error of the sealing writer
  bool header_written = false;

  // Non-seekable output: every byte the muxer writes is sealed (SealedSegmentFile::Write).
#if LIBAVFORMAT_VERSION_MAJOR >= 61
  static int WriteCb(void* opaque, const uint8_t* buf, int size) {
#else
  static int WriteCb(void* opaque, uint8_t* buf, int size) {
#endif
    auto* self = static_cast<Impl*>(opaque);
    if (!self->io_error.ok()) return AVERROR(EIO);
    Status s = self->file->Write(buf, static_cast<size_t>(size));
    if (!s.ok()) {
      self->io_error = s;
      return AVERROR(EIO);
    }
    return size;
  }

  void Free() {
    if (fmt != nullptr) {
      avformat_free_context(fmt);
      fmt = nullptr;
    }
    if (io != nullptr) {
      WipeBytes(io->buffer, static_cast<size_t>(io->buffer_size));
      av_freep(&io->buffer);
      avio_context_free(&io);
    }
    av_packet_free(&pkt);
  }
  ~Impl() {
    Free();
    if (file) file->Abort();
  }
};

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Open(const AVCodecParameters& params, int time_base_num,
                                                           int time_base_den, std::unique_ptr<SealedSegmentFile> file) {
  const AVOutputFormat* ofmt = av_guess_format("mpegts", nullptr, nullptr);
  if (ofmt == nullptr) return Status::FailedPrecondition("this FFmpeg has no MPEG-TS muxer: footage cannot be recorded");
  // The video codecs MPEG-TS defines a stream type for (FFmpeg's mpegts muxer would write
  // others as private data no player reads).
  const AVCodecID id = params.codec_id;
  if (id != AV_CODEC_ID_H264 && id != AV_CODEC_ID_HEVC && id != AV_CODEC_ID_MPEG4 &&
      id != AV_CODEC_ID_MPEG2VIDEO && id != AV_CODEC_ID_MPEG1VIDEO) {
    return Status::FailedPrecondition(std::string("the camera's codec ") + avcodec_get_name(params.codec_id) +
                                      " cannot be recorded (MPEG-TS)");
  }
  std::unique_ptr<SegmentWriter> w(new SegmentWriter());
  w->impl_ = std::make_unique<Impl>();
  Impl& m = *w->impl_;
  m.file = std::move(file);
  m.in_tb = AVRational{time_base_num > 0 ? time_base_num : 1, time_base_den > 0 ? time_base_den : 90000};
  m.pkt = av_packet_alloc();
  int r = avformat_alloc_output_context2(&m.fmt, ofmt, nullptr, nullptr);
  if (r < 0 || m.fmt == nullptr || m.pkt == nullptr) return Status::Internal("cannot open the MPEG-TS muxer");
  constexpr int kIoBuffer = 32 * 1024;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBuffer));
  if (buffer == nullptr) return Status::Internal("out of memory");
  m.io = avio_alloc_context(buffer, kIoBuffer, 1, &m, nullptr, &Impl::WriteCb, nullptr);
  if (m.io == nullptr) {
    av_free(buffer);
    return Status::Internal("out of memory");
  }
  m.io->seekable = 0;
  m.fmt->pb = m.io;
  m.fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVStream* st = avformat_new_stream(m.fmt, nullptr);
  if (st == nullptr) return Status::Internal("out of memory");
  if ((r = avcodec_parameters_copy(st->codecpar, &params)) < 0) return Status::Internal(AvError(r));
  st->codecpar->codec_tag = 0;
  st->time_base = m.in_tb;
  if ((r = avformat_write_header(m.fmt, nullptr)) < 0) {
    if (!m.io_error.ok()) return m.io_error;
    return Status::FailedPrecondition("cannot start a footage segment: " + AvError(r));
  }
  m.header_written = true;
  return w;
}

SegmentWriter::~SegmentWriter() = default;

Status SegmentWriter::Write(const AVPacket& packet) {
  if (!impl_ || !impl_->file) return Status::FailedPrecondition("footage segment already closed");
  Impl& m = *impl_;
  if (!m.io_error.ok()) return m.io_error;
  int r = av_packet_ref(m.pkt, &packet);
  if (r < 0) return Status::Internal(AvError(r));
  m.pkt->stream_index = 0;
  m.pkt->pos = -1;
  av_packet_rescale_ts(m.pkt, m.in_tb, m.fmt->streams[0]->time_base);
  r = av_write_frame(m.fmt, m.pkt);
  av_packet_unref(m.pkt);
  if (!m.io_error.ok()) return m.io_error;
  if (r < 0) return Status::InvalidArgument("packet not recorded: " + AvError(r));
  ++packets_;
  return Status::Ok();
}

Status SegmentWriter::Finish() {
  if (!impl_ || !impl_->file) return Status::FailedPrecondition("footage segment already closed");
  Impl& m = *impl_;
  if (m.io_error.ok()) {
    av_write_frame(m.fmt, nullptr);  // flush the muxer's queued data
    av_write_trailer(m.fmt);
    avio_flush(m.io);
  }
  Status s = m.io_error;
  m.Free();
  if (s.ok()) s = m.file->Finish();
  if (!s.ok()) m.file->Abort();
  m.file.reset();
  return s;
}

void SegmentWriter::Abort() {
  if (!impl_) return;
  impl_->Free();
  if (impl_->file) impl_->file->Abort();
  impl_->file.reset();
}

// ---- reading ----

namespace {

struct MemReader {
  const uint8_t* data;
  size_t size, pos = 0;
  static int Read(void* opaque, uint8_t* buf, int n) {
    auto* r = static_cast<MemReader*>(opaque);
    if (r->pos >= r->size) return AVERROR_EOF;
    const size_t take = std::min(static_cast<size_t>(n), r->size - r->pos);
    std::memcpy(buf, r->data + r->pos, take);
    r->pos += take;
    return static_cast<int>(take);
  }
};

// An MPEG-TS demuxer over bytes in memory.
class MemDemuxer {
 public:
  explicit MemDemuxer(const SecretBytes& ts) : reader_{ts.data(), ts.size()} {}
  ~MemDemuxer() {
    if (fmt_ != nullptr) avformat_close_input(&fmt_);
    if (io_ != nullptr) {
      WipeBytes(io_->buffer, static_cast<size_t>(io_->buffer_size));
      av_freep(&io_->buffer);
      avio_context_free(&io_);
    }
  }
  Status Open() {
    constexpr int kIoBuffer = 32 * 1024;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBuffer));
    if (buffer == nullptr) return Status::Internal("out of memory");
    io_ = avio_alloc_context(buffer, kIoBuffer, 0, &reader_, &MemReader::Read, nullptr, nullptr);
    if (io_ == nullptr) {
      av_free(buffer);
      return Status::Internal("out of memory");
    }
    fmt_ = avformat_alloc_context();
    if (fmt_ == nullptr) return Status::Internal("out of memory");
    fmt_->pb = io_;
    fmt_->flags |= AVFMT_FLAG_CUSTOM_IO;
    const AVInputFormat* ts = av_find_input_format("mpegts");
    int r = avformat_open_input(&fmt_, nullptr, ts, nullptr);  // frees fmt_ on failure
    if (r < 0) return Status::Corrupt("unsealed footage is not MPEG-TS: " + AvError(r));
    if ((r = avformat_find_stream_info(fmt_, nullptr)) < 0) return Status::Corrupt("unreadable footage: " + AvError(r));
    stream_ = av_find_best_stream(fmt_, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (stream_ < 0) return Status::Corrupt("footage segment without a video stream");
    return Status::Ok();
  }
  AVFormatContext* fmt() { return fmt_; }
  int stream() const { return stream_; }

 private:
  MemReader reader_;
  AVIOContext* io_ = nullptr;
  AVFormatContext* fmt_ = nullptr;
  int stream_ = -1;
};

}  // namespace

DemuxedSegment::~DemuxedSegment() {
  for (AVPacket*& p : packets_) av_packet_free(&p);
  avcodec_parameters_free(&params_);
}

Result<std::unique_ptr<DemuxedSegment>> DemuxSegment(const SecretBytes& ts) {
  MemDemuxer d(ts);
  LFR_RETURN_IF_ERROR(d.Open());
  std::unique_ptr<DemuxedSegment> out(new DemuxedSegment());
  AVStream* st = d.fmt()->streams[d.stream()];
  out->params_ = avcodec_parameters_alloc();
  if (out->params_ == nullptr || avcodec_parameters_copy(out->params_, st->codecpar) < 0) {
    return Status::Internal("out of memory");
  }
  out->tb_num_ = st->time_base.num;
  out->tb_den_ = st->time_base.den;
  while (true) {
    AVPacket* p = av_packet_alloc();
    if (p == nullptr) return Status::Internal("out of memory");
    if (av_read_frame(d.fmt(), p) < 0) {
      av_packet_free(&p);
      break;
    }
    if (p->stream_index != d.stream()) {
      av_packet_free(&p);
      continue;
    }
    out->packets_.push_back(p);
  }
  return out;
}

Result<int64_t> DecodeSegment(const SecretBytes& ts, const std::function<bool(const cv::Mat&, double)>& on_frame) {
  MemDemuxer d(ts);
  LFR_RETURN_IF_ERROR(d.Open());
  AVStream* st = d.fmt()->streams[d.stream()];
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (codec == nullptr) return Status::FailedPrecondition("no decoder for the recorded codec");
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  AVPacket* pkt = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  SwsContext* sws = nullptr;
  cv::Mat bgr, scratch;
  int64_t n = 0;
  bool stop = false;
  Status result;
  auto cleanup = [&] {
    if (!bgr.empty()) WipeBytes(bgr.data, bgr.total() * bgr.elemSize());
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
  };
  if (ctx == nullptr || pkt == nullptr || frame == nullptr || avcodec_parameters_to_context(ctx, st->codecpar) < 0 ||
      avcodec_open2(ctx, codec, nullptr) < 0) {
    cleanup();
    return Status::Internal("cannot open a decoder for the recorded codec");
  }
  const double tb = av_q2d(st->time_base);
  auto drain = [&] {
    while (!stop && avcodec_receive_frame(ctx, frame) == 0) {
      const int w = frame->width, h = frame->height;
      sws = sws_getCachedContext(sws, w, h, static_cast<AVPixelFormat>(frame->format), w, h, AV_PIX_FMT_BGR24,
                                 SWS_BICUBIC, nullptr, nullptr, nullptr);
      if (sws == nullptr) {
        result = Status::Internal("cannot convert the recorded pixel format");
        stop = true;
        break;
      }
      ScaleToBgr(sws, frame, {w, h}, &scratch, &bgr);
      const int64_t t = frame->best_effort_timestamp;
      ++n;
      if (!on_frame(bgr, t == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(t) * tb)) stop = true;
      av_frame_unref(frame);
    }
  };
  while (!stop && av_read_frame(d.fmt(), pkt) >= 0) {
    if (pkt->stream_index == d.stream()) avcodec_send_packet(ctx, pkt);
    av_packet_unref(pkt);
    drain();
  }
  if (!stop) {
    avcodec_send_packet(ctx, nullptr);
    drain();
  }
  cleanup();
  if (!result.ok()) return result;
  return n;
}

#else  // !LFR_HAVE_LIBAV

struct SegmentWriter::Impl {};
Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Open(const AVCodecParameters&, int, int,
                                                           std::unique_ptr<SealedSegmentFile>) {
  return Status::FailedPrecondition("this build has no libav: footage cannot be recorded");
}
SegmentWriter::~SegmentWriter() = default;
Status SegmentWriter::Write(const AVPacket&) { return Status::FailedPrecondition("no libav"); }
Status SegmentWriter::Finish() { return Status::FailedPrecondition("no libav"); }
void SegmentWriter::Abort() {}
DemuxedSegment::~DemuxedSegment() = default;
Result<std::unique_ptr<DemuxedSegment>> DemuxSegment(const SecretBytes&) {
  return Status::FailedPrecondition("this build has no libav: footage cannot be read");
}
Result<int64_t> DecodeSegment(const SecretBytes&, const std::function<bool(const cv::Mat&, double)>&) {
  return Status::FailedPrecondition("this build has no libav: footage cannot be read");
}

#endif  // LFR_HAVE_LIBAV

}  // namespace lfr
