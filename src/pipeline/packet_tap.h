// PacketTap: sees each compressed packet of a camera's video stream as it is demuxed,
// before it is decoded (the libav reader only; see pipeline/av_source.h). This is how a
// camera's stream is recorded without re-encoding (footage/recorder.h).
//
// Calls come from the camera's reader thread only, in stream order:
//   OnStreamStart (after each successful open, also after a reconnect) ─► OnPacket… ─►
//   OnStreamEnd (the session closed: end, error, reconnect or stop).
// The arguments are FFmpeg's and only borrowed for the call (copy with av_packet_ref /
// avcodec_parameters_copy to keep them). A tap must be quick and must not throw: it runs
// on the reader's time. A tap is shared (CameraOptions::packet_tap) and outlives the reader.
// Devices read through OpenCV (V4L2) have no compressed packets: no calls.
#ifndef LFR_PIPELINE_PACKET_TAP_H_
#define LFR_PIPELINE_PACKET_TAP_H_

struct AVCodecParameters;
struct AVPacket;

namespace lfr {

class PacketTap {
 public:
  virtual ~PacketTap() = default;
  // The video stream's codec parameters (codec, size, extradata) and its time base
  // (packet timestamps are in time_base_num / time_base_den seconds).
  virtual void OnStreamStart(const AVCodecParameters& params, int time_base_num, int time_base_den) = 0;
  // One packet of the video stream, its timestamps in the stream's time base.
  virtual void OnPacket(const AVPacket& packet) = 0;
  virtual void OnStreamEnd() = 0;
};

}  // namespace lfr

#endif  // LFR_PIPELINE_PACKET_TAP_H_
