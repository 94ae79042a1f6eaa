// Pq4 scan: OpenLFR's own SIMD scan of 4-bit product-quantiser codes for one probe — the
// proposer of the PQ fast-scan gallery index (RerankFaceIndex, search/index.h).
//
// Why: Debian's FAISS (1.7.3, the only one packaged) is built for baseline x86-64, so its
// IndexPQFastScan runs the fast-scan kernel through FAISS's *emulated* SIMD (no AVX2
// shuffles): ~67 ms per probe at 1M faces on an idle core of this machine, where the aim is
// <= 20 ms (docs/PERFORMANCE.md, "Gallery search"). FAISS still trains the quantiser, encodes
// and packs the codes (faiss::pq4_pack_codes layout), computes and quantises the probe's
// look-up table (IndexFastScan::compute_quantized_LUT) and serialises the index; only the
// scan over the packed codes and the top-k of its scores are done here. The AVX2 kernel is
// compiled with a per-function target attribute (pq4_scan_avx2.cc) and chosen at run time
// (ResolveScanKernel), so the binary stays portable: a CPU without AVX2 uses FAISS's own
// search, as does LFR_PQ4_SCAN=faiss.
//
// The data (FAISS's layout for bbs = 32): rows are grouped in blocks of 32; a block holds, for
// each pair of sub-quantisers (2j, 2j+1), 32 bytes: 16 bytes of sub-quantiser 2j's 4-bit codes
// for the block's 32 rows, then 16 of 2j+1's (rows i and i+16 share a byte, low and high
// nibble, in FAISS's permuted order). A block is 16 * nsq bytes; the last one may be padded.
//
// Units: a look-up table (LUT) holds nsq x 16 uint8 entries, row m = the quantised
// contribution of sub-quantiser m's 16 centroids to the score (as compute_quantized_LUT
// writes it: inner product, higher = more similar). A row's score is the uint16 sum of its
// nsq entries — exact integer arithmetic, the same sum FAISS's kernel computes; FAISS turns
// it into a float as score / a + b with the LUT's normalisers (a, b).
//
// Thread-safety: all functions are pure (they read the codes and LUT, write only their
// outputs) and may run concurrently on the same codes; the caller keeps the codes unchanged
// while a scan runs (RerankFaceIndex holds its read lock). Pq4TopK with threads > 1 runs
// threads - 1 extra std::threads for the duration of the call.
#ifndef LFR_SEARCH_PQ4_SCAN_H_
#define LFR_SEARCH_PQ4_SCAN_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace lfr::search {

// Packed codes as faiss::IndexFastScan holds them (codes.get(), ntotal, M2) with bbs = 32.
struct Pq4Packed {
  const uint8_t* codes = nullptr;  // ceil(n / 32) blocks of 16 * nsq bytes (any alignment)
  int64_t n = 0;                   // rows; padding rows of the last block are never returned
  int nsq = 0;                     // sub-quantisers, even (FAISS's M2)
};

struct Pq4Hit {
  int64_t row = 0;      // position in the packed codes (IndexIDMap::id_map[row] is the id)
  uint16_t score = 0;   // quantised score, higher is better
};

// Which scan serves a fast-scan search.
enum class ScanKernel {
  kAuto,   // kAvx2 when the CPU has AVX2 and LFR_PQ4_SCAN is not "faiss"; else kFaiss
  kAvx2,   // this file's AVX2 kernel (falls back to kFaiss on a CPU without AVX2)
  kFaiss,  // FAISS's own IndexPQFastScan::search (its build's SIMD level)
};
std::string_view ScanKernelName(ScanKernel k);  // "auto", "avx2", "faiss"

// True when this CPU can run the AVX2 kernel (__builtin_cpu_supports("avx2")).
bool CpuSupportsAvx2();
// The kernel that serves a request: never kAuto, never kAvx2 without cpu_has_avx2. env is
// the value of LFR_PQ4_SCAN (nullptr when unset); "faiss" forces the fallback for kAuto.
ScanKernel ResolveScanKernel(ScanKernel requested, const char* env, bool cpu_has_avx2);
// The same with getenv("LFR_PQ4_SCAN") and this CPU.
ScanKernel ResolveScanKernel(ScanKernel requested);

// Whether the kernel handles codes of nsq sub-quantisers: even, 2..256 (the uint16 sum of
// nsq entries of at most 255 must not overflow).
bool Pq4ScanSupports(int nsq);

// Sub-quantiser sq's 4-bit code of a row, read from / written into the packed layout above.
// (FAISS 1.7.3's own pq4_get/set_packed_element disagree with its pq4_pack_codes for
// nsq > 16 — so its IndexFastScan::remove_ids scrambles 512-d x 64 codes; see Pq4SwapRemove.)
uint8_t Pq4GetCode(const Pq4Packed& codes, int64_t row, int sq);
void Pq4SetCode(uint8_t* codes, int nsq, int64_t row, int sq, uint8_t code);

// Removes rows (ascending, unique, each < n) from n packed rows: from the highest down, each
// is overwritten by the current last row, whose codes are then zeroed (FAISS's add ORs new
// codes into the last block, so vacated codes must be 0), and ids (one per row, e.g.
// IndexIDMap::id_map) follows the same moves and shrinks to the new n, which is returned.
// The caller then trims the code buffer to ceil(n / 32) blocks. Cost: O(rows.size() * nsq).
int64_t Pq4SwapRemove(uint8_t* codes, int64_t n, int nsq, std::span<const int64_t> rows, std::vector<int64_t>* ids);

// Every row's score, out[0..n). The reference is plain C++ over Pq4GetCode, for tests; the
// AVX2 one requires CpuSupportsAvx2() and Pq4ScanSupports(nsq).
void Pq4ScoresReference(const Pq4Packed& codes, const uint8_t* lut, uint16_t* out);
void Pq4ScoresAvx2(const Pq4Packed& codes, const uint8_t* lut, uint16_t* out);

// The k best rows (all n if k >= n), highest score first, ties by smaller row: exactly the
// first k of all rows sorted that way. threads >= 2 splits the blocks between that many
// threads (this one and threads - 1 started for the call). Requires CpuSupportsAvx2() and
// Pq4ScanSupports(nsq); k >= 1.
std::vector<Pq4Hit> Pq4TopKAvx2(const Pq4Packed& codes, const uint8_t* lut, int64_t k, int threads = 1);

}  // namespace lfr::search

#endif  // LFR_SEARCH_PQ4_SCAN_H_
