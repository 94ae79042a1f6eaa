// Wiping face data from memory.
//
// Faces of people who match nobody must leave no trace: buffers that held their pixels or
// embeddings are overwritten (sodium_memzero, which the compiler may not elide) before the
// memory is released. Thread-safe as long as the caller owns the object being wiped.
#ifndef LFR_UTIL_SECURE_H_
#define LFR_UTIL_SECURE_H_

#include <vector>

#include <opencv2/core.hpp>

namespace lfr {

// Zeroes the pixels/values of m (every row, continuous or not) and releases it.
void WipeMat(cv::Mat* m);
void WipeMats(std::vector<cv::Mat>* ms);
// Zeroes len bytes at p.
void WipeBytes(void* p, size_t len);

}  // namespace lfr

#endif  // LFR_UTIL_SECURE_H_
