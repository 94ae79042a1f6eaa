#include "pipeline/bgr_convert.h"

#ifdef LFR_HAVE_LIBAV
#include <cstring>

extern "C" {
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

namespace lfr {

void ScaleToBgr(SwsContext* ctx, const AVFrame* frame, cv::Size size, cv::Mat* scratch, cv::Mat* out) {
  out->create(size, CV_8UC3);
  if (size.width % 16 == 0) {
    uint8_t* dst[4] = {out->data, nullptr, nullptr, nullptr};
    int dst_step[4] = {static_cast<int>(out->step[0]), 0, 0, 0};
    sws_scale(ctx, frame->data, frame->linesize, 0, frame->height, dst, dst_step);
    return;
  }
  const int row = size.width * 3;
  const int step = (row + 63) / 64 * 64 + 64;
  scratch->create(size.height + 1, step, CV_8UC1);
  uint8_t* dst[4] = {scratch->data, nullptr, nullptr, nullptr};
  int dst_step[4] = {step, 0, 0, 0};
  sws_scale(ctx, frame->data, frame->linesize, 0, frame->height, dst, dst_step);
  for (int y = 0; y < size.height; ++y) std::memcpy(out->ptr(y), scratch->ptr(y), static_cast<size_t>(row));
}

}  // namespace lfr
#endif  // LFR_HAVE_LIBAV
