// The libav FrameSource (see pipeline/frame_source.h): FFmpeg's libavformat, libavcodec
// and libswscale used directly for files and network streams.
//
// What it does that cv::VideoCapture 4.6 cannot:
//  - CameraOptions::decoder_threads decoder threads (default 1: with several cameras on
//    few cores, one single-threaded decoder per camera wastes nothing on thread hand-offs
//    and frame-threading delay);
//  - frames the reader will not convert (SetWanted: the pipeline's detect_every) are sent
//    to the decoder with skip_frame = AVDISCARD_NONREF, so a frame that no other frame
//    references (a B-frame in most H.264 files) is not decoded at all. Files only: a frame's
//    display index is computed from its timestamp, which a live stream does not guarantee;
//    IP cameras rarely send B-frames anyway. Undecoded frames still count as one Next()
//    each, in display order, so counts and pacing are the same as with full decoding;
//  - CameraOptions::skip_loop_filter: no H.264/HEVC deblocking (cheaper, blockier);
//  - colour conversion straight from the decoder's YUV: the full-resolution BGR frame and,
//    when CameraOptions::working_long_side asks for it, a downscaled BGR copy for the
//    detector (area filter), instead of converting at full size and downscaling the BGR.
//
// Open and read timeouts of streams and CameraReader::Stop() interrupt blocking I/O through
// FFmpeg's interrupt callback. Corrupt packets are skipped (as FFmpeg does); 100 in a row
// end the stream with an error.
//
// Privacy: the BGR buffers are the caller's (reused, wiped by CameraReader). The decoder's
// own picture buffers (decoded and reference frames) are wiped each time the decoder
// releases one, for every codec that lets the caller allocate them (AV_CODEC_CAP_DR1:
// H.264, HEVC, MPEG-4, MJPEG, ...); demuxer and bitstream buffers remain FFmpeg's.
#ifndef LFR_PIPELINE_AV_SOURCE_H_
#define LFR_PIPELINE_AV_SOURCE_H_

#include <atomic>
#include <memory>

#include "pipeline/frame_source.h"

namespace lfr {

// nullptr when the build has no libav (HaveLibav() is false).
std::unique_ptr<FrameSource> MakeLibavFrameSource(const SourceSpec& source,
                                                  const CameraOptions& options,
                                                  const std::atomic<bool>* stop);

}  // namespace lfr

#endif  // LFR_PIPELINE_AV_SOURCE_H_
