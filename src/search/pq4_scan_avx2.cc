// The AVX2 kernel of search/pq4_scan.h. Only the functions marked LFR_TARGET_AVX2 use AVX2
// (a per-function target attribute, not a per-file -mavx2: inline functions and templates
// this file instantiates, e.g. std::vector's, stay baseline x86-64 code, so the linker can
// never hand an AVX2 copy of them to code that runs on a CPU without it). They are called
// only after CpuSupportsAvx2() (pq4_scan.cc).
//
// The technique is the usual 4-bit fast-scan one (André et al., "Quicker ADC"; FAISS's
// pq4_fast_scan): a sub-quantiser's 16-entry LUT fits one 128-bit lane, so one pshufb looks
// up 16 rows' codes at once; two sub-quantisers share a 256-bit register (lanes), the low and
// high nibbles of a byte are rows i and i + 16. The uint8 results are summed in uint16 lanes
// two bytes at a time (a lane holds row m's entry in its low byte and row m + 8's in its
// high one); the high bytes are summed separately and subtracted back out at the end.
#include <immintrin.h>

#include <algorithm>

#include "search/pq4_scan.h"
#include "search/pq4_scan_internal.h"

#define LFR_TARGET_AVX2 __attribute__((target("avx2")))

namespace lfr::search {
namespace {

constexpr int64_t kBlock = 32;  // rows per block (FAISS bbs)

// Lanes 0-7 = a's two halves added, lanes 8-15 = b's: the even and odd sub-quantisers'
// partial sums of one 16-row group.
LFR_TARGET_AVX2 inline __m256i Combine2x2(__m256i a, __m256i b) {
  return _mm256_add_epi16(_mm256_permute2x128_si256(a, b, 0x21), _mm256_blend_epi32(a, b, 0xF0));
}

// One block's 32 scores: rows 0-15 in *d0, rows 16-31 in *d1 (uint16 lanes in row order).
LFR_TARGET_AVX2 inline void ScoreBlock(const uint8_t* block, const uint8_t* lut, int pairs, __m256i* d0,
                                       __m256i* d1) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (int j = 0; j < pairs; ++j) {
    // LUT rows 2j and 2j+1 are adjacent: lane 0 = sub-quantiser 2j, lane 1 = 2j+1, matching
    // the code bytes' lanes.
    const __m256i t = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lut + 32 * j));
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32 * j));
    const __m256i lo = _mm256_and_si256(c, low4);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(c, 4), low4);
    const __m256i r0 = _mm256_shuffle_epi8(t, lo);  // rows 0-15
    const __m256i r1 = _mm256_shuffle_epi8(t, hi);  // rows 16-31
    a0 = _mm256_add_epi16(a0, r0);
    a1 = _mm256_add_epi16(a1, _mm256_srli_epi16(r0, 8));
    a2 = _mm256_add_epi16(a2, r1);
    a3 = _mm256_add_epi16(a3, _mm256_srli_epi16(r1, 8));
  }
  // a0 summed (low byte + 256 * high byte) per lane; taking 256 * (sum of high bytes) back
  // out leaves the low bytes' sum (modulo 2^16, exact since the sum is < 2^16).
  a0 = _mm256_sub_epi16(a0, _mm256_slli_epi16(a1, 8));
  a2 = _mm256_sub_epi16(a2, _mm256_slli_epi16(a3, 8));
  *d0 = Combine2x2(a0, a1);
  *d1 = Combine2x2(a2, a3);
}

LFR_TARGET_AVX2 void ScoresAvx2(const Pq4Packed& codes, const uint8_t* lut, uint16_t* out) {
  const int pairs = codes.nsq / 2;
  const int64_t block_bytes = 16 * static_cast<int64_t>(codes.nsq);
  const int64_t blocks = (codes.n + kBlock - 1) / kBlock;
  alignas(32) uint16_t d[kBlock];
  for (int64_t b = 0; b < blocks; ++b) {
    __m256i d0, d1;
    ScoreBlock(codes.codes + b * block_bytes, lut, pairs, &d0, &d1);
    _mm256_store_si256(reinterpret_cast<__m256i*>(d), d0);
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + 16), d1);
    const int64_t m = std::min<int64_t>(kBlock, codes.n - b * kBlock);
    for (int64_t j = 0; j < m; ++j) out[b * kBlock + j] = d[j];
  }
}

LFR_TARGET_AVX2 void ScanBlocksAvx2(const Pq4Packed& codes, const uint8_t* lut, int64_t b0, int64_t b1,
                                    internal::Pq4Reservoir* res) {
  const int pairs = codes.nsq / 2;
  const int64_t block_bytes = 16 * static_cast<int64_t>(codes.nsq);
  alignas(32) uint16_t d[kBlock];
  for (int64_t b = b0; b < b1; ++b) {
    __m256i d0, d1;
    ScoreBlock(codes.codes + b * block_bytes, lut, pairs, &d0, &d1);
    // Rows scoring >= min_accept (unsigned): max(d, t) == d.
    const __m256i t = _mm256_set1_epi16(static_cast<short>(res->min_accept()));
    const __m256i m0 = _mm256_cmpeq_epi16(_mm256_max_epu16(d0, t), d0);
    const __m256i m1 = _mm256_cmpeq_epi16(_mm256_max_epu16(d1, t), d1);
    // One bit per row: pack the 16-bit masks to bytes, then undo packs' lane interleave.
    uint32_t mask = static_cast<uint32_t>(
        _mm256_movemask_epi8(_mm256_permute4x64_epi64(_mm256_packs_epi16(m0, m1), 0xD8)));
    const int64_t valid = codes.n - b * kBlock;
    if (valid < kBlock) mask &= (uint32_t{1} << valid) - 1;  // the padding of the last block
    if (mask == 0) continue;
    _mm256_store_si256(reinterpret_cast<__m256i*>(d), d0);
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + 16), d1);
    while (mask != 0) {
      const int j = __builtin_ctz(mask);
      mask &= mask - 1;
      res->Add(b * kBlock + j, d[j]);
    }
  }
}

}  // namespace

// The entry points are baseline functions that call the AVX2 ones (a target attribute on a
// function declared without one in a header would make it a C++ multiversioned function).
void Pq4ScoresAvx2(const Pq4Packed& codes, const uint8_t* lut, uint16_t* out) { ScoresAvx2(codes, lut, out); }

namespace internal {
void Pq4ScanBlocksAvx2(const Pq4Packed& codes, const uint8_t* lut, int64_t b0, int64_t b1, Pq4Reservoir* out) {
  ScanBlocksAvx2(codes, lut, b0, b1, out);
}
}  // namespace internal

}  // namespace lfr::search
