#include "util/secure.h"

#include <sodium.h>

namespace lfr {

void WipeBytes(void* p, size_t len) {
  if (p != nullptr && len > 0) sodium_memzero(p, len);
}

void WipeMat(cv::Mat* m) {
  if (m == nullptr || m->empty()) return;
  // Only wipe if we hold the last reference; otherwise another owner still uses the data
  // and will wipe it when it is done. (Mats sharing data share one refcount.)
  if (m->u == nullptr || m->u->refcount <= 1) {
    if (m->isContinuous()) {
      WipeBytes(m->data, m->total() * m->elemSize());
    } else {
      const size_t row_bytes = m->cols * m->elemSize();
      for (int r = 0; r < m->rows; ++r) WipeBytes(m->ptr(r), row_bytes);
    }
  }
  m->release();
}

void WipeMats(std::vector<cv::Mat>* ms) {
  for (auto& m : *ms) WipeMat(&m);
  ms->clear();
}

}  // namespace lfr
