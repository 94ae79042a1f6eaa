// Test helpers for footage tests (header only, used by src/footage/*_test.cc): feeding a
// video file's packets to a PacketTap as the libav reader would, collecting byte samples
// of the source's packets, and scanning files for them.
#ifndef LFR_FOOTAGE_FOOTAGE_TESTING_H_
#define LFR_FOOTAGE_FOOTAGE_TESTING_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "footage/recorder.h"
#include "pipeline/packet_tap.h"
#include "util/clock.h"

namespace lfr::footage_testing {

// Sends every video packet of the file at path to tap (OnStreamStart, OnPacket…,
// OnStreamEnd); after_packet(n) is called after the n-th packet (1-based) and may return
// false to stop early (no OnStreamEnd then). Returns the packets sent, -1 if unreadable.
inline int64_t FeedFile(const std::filesystem::path& path, PacketTap* tap,
                        const std::function<bool(int64_t)>& after_packet = {}) {
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return -1;
  if (avformat_find_stream_info(fmt, nullptr) < 0) {
    avformat_close_input(&fmt);
    return -1;
  }
  const int s = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (s < 0) {
    avformat_close_input(&fmt);
    return -1;
  }
  AVStream* st = fmt->streams[s];
  tap->OnStreamStart(*st->codecpar, st->time_base.num, st->time_base.den);
  AVPacket* pkt = av_packet_alloc();
  int64_t n = 0;
  bool stopped = false;
  while (av_read_frame(fmt, pkt) >= 0) {
    if (pkt->stream_index == s) {
      tap->OnPacket(*pkt);
      ++n;
      if (after_packet && !after_packet(n)) {
        stopped = true;
        av_packet_unref(pkt);
        break;
      }
    }
    av_packet_unref(pkt);
  }
  if (!stopped) tap->OnStreamEnd();
  av_packet_free(&pkt);
  avformat_close_input(&fmt);
  return n;
}

// Byte samples ("needles") of a stream's compressed video: 12 bytes from the middle of
// each large packet, the bytes a recording of it would contain if it were not sealed.
class NeedleTap : public PacketTap {
 public:
  explicit NeedleTap(PacketTap* next = nullptr) : next_(next) {}
  void OnStreamStart(const AVCodecParameters& p, int n, int d) override {
    if (next_) next_->OnStreamStart(p, n, d);
  }
  void OnPacket(const AVPacket& p) override {
    if (p.size >= 400 && needles.size() < 200) {
      needles.emplace_back(reinterpret_cast<const char*>(p.data) + p.size / 2, 12);
    }
    ++packets;
    if (next_) next_->OnPacket(p);
  }
  void OnStreamEnd() override {
    if (next_) next_->OnStreamEnd();
  }
  std::vector<std::string> needles;
  int64_t packets = 0;

 private:
  PacketTap* next_;
};

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// How many of the needles occur in haystack.
inline int CountFound(const std::string& haystack, const std::vector<std::string>& needles) {
  int found = 0;
  for (const auto& n : needles) found += haystack.find(n) != std::string::npos;
  return found;
}

// Every regular file under dir (recursively).
inline std::vector<std::filesystem::path> FilesUnder(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Records the video file at clip as camera (deployment_id, camera_id) "camera_name" into
// footage_root under key, as if its packets arrived live 33 ms apart on clock (which
// advances), in segments of segment_ms of stream time. Returns the recorder's status.
inline RecorderStatus RecordFile(const std::filesystem::path& clip, const std::filesystem::path& footage_root,
                                 int64_t deployment_id, int64_t camera_id, const std::string& camera_name,
                                 const SecretBytes& key, ManualClock* clock, int64_t segment_ms = 3000) {
  RecorderOptions ro;
  ro.footage_root = footage_root;
  ro.deployment_id = deployment_id;
  ro.camera_id = camera_id;
  ro.camera_name = camera_name;
  ro.segment_ms = segment_ms;
  ro.clock = clock;
  FootageRecorder rec(ro, key);
  FeedFile(clip, &rec, [clock](int64_t) {
    clock->Advance(33);
    return true;
  });
  return rec.status();
}

// A free loopback port (bound then released; a server listens on it next). -1 on failure.
inline int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  close(fd);
  return ok ? ntohs(a.sin_port) : -1;
}

// Debian's ffmpeg serving a video file as a live MPEG-TS stream over HTTP on loopback
// (http://127.0.0.1:port/live.ts, packets copied, at `rate` x real time) for one client.
// Returns the child's pid (reap it with waitpid).
inline pid_t ServeClipLive(const std::filesystem::path& clip, int port, const char* rate = "1") {
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.ts";
    execlp("ffmpeg", "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-readrate", rate, "-i",
           clip.c_str(), "-an", "-c", "copy", "-f", "mpegts", "-listen", "1", url.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

}  // namespace lfr::footage_testing

#endif  // LFR_FOOTAGE_FOOTAGE_TESTING_H_
