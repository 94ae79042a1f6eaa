// Conversion of a decoded libav frame to an 8-bit BGR cv::Mat, shared by every reader of
// video (pipeline/av_source, footage/segment).
//
// sws_scale's SIMD converters write whole blocks of pixels: for an output width that is not a
// multiple of 16 they write past the end of each row, and so past the end of the last row of
// a tightly allocated image (a heap overrun: `lfr watch` on a 250-pixel-wide MJPEG clip
// aborted in malloc). ScaleToBgr converts such widths into a scratch image with padded rows
// and a spare row, then copies them out; other widths go straight into *out.
//
// Ownership: the caller owns ctx (made for this frame's size and format and `size` as the
// output), *scratch (reused between calls) and *out (re-created as size x CV_8UC3 when its
// size differs). Thread-safety: none; one set of arguments per thread.
#ifndef LFR_PIPELINE_BGR_CONVERT_H_
#define LFR_PIPELINE_BGR_CONVERT_H_

#include <opencv2/core.hpp>

struct SwsContext;
struct AVFrame;

namespace lfr {

void ScaleToBgr(SwsContext* ctx, const AVFrame* frame, cv::Size size, cv::Mat* scratch, cv::Mat* out);

}  // namespace lfr

#endif  // LFR_PIPELINE_BGR_CONVERT_H_
