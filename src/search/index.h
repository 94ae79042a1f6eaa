// FaceIndex: nearest-neighbour search over a gallery of face embeddings (retrospective
// search, issue 10), in the style of FAISS's Index: one abstract interface, implementations
// named by what they are.
//
//   ExactFaceIndex        FAISS IndexFlatIP inside IndexIDMap2: every probe is compared with
//                         every face. Exact; cost grows linearly with the gallery.
//   RerankFaceIndex       A quantised proposer puts forward a shortlist that is re-ranked
//                         exactly against the original vectors, kept beside it in memory
//                         (float32, or float16 when asked). Two proposers:
//                          - PQ fast-scan (the default): FAISS IndexPQFastScan, 4-bit product
//                            codes scanned exhaustively with SIMD look-up tables (by OpenLFR's
//                            AVX2 kernel, search/pq4_scan.h, where the CPU has AVX2; else by
//                            FAISS). No cells, so no true neighbour is out of reach; it is
//                            missed only when its coarse score falls outside the shortlist.
//                          - IVF-PQ: FAISS IndexIVFPQ (k-means cells, 8-bit product codes),
//                            only nprobe cells scanned. Misses true neighbours outside them;
//                            kept for comparison (`lfr bench search --index ivf-pq`).
//                         Approximate; scores of returned hits are exact.
//   ManagedFaceIndex      Thread-safe holder of the current index: chooses exact or
//                         approximate by size (BuildFaceIndex), rebuilds in a background
//                         thread and swaps the result in, applying adds/removes made meanwhile.
//
// Units and conventions: vectors are float32 of dim() values, unit L2 norm (|norm - 1| <=
// 1e-3, else InvalidArgument); score = cosine similarity = inner product, in [-1, 1],
// higher is more similar. Ids are the caller's (e.g. gallery record/face ids), >= 0 and
// unique within an index. Search returns at most k hits, best first; a removed id is never
// returned.
//
// Ownership: an index owns copies of the vectors given to Add; callers keep theirs.
//
// Thread-safety: ExactFaceIndex and RerankFaceIndex are internally locked with a
// reader/writer lock: any number of concurrent Search/Contains/size calls, while Add/Remove
// take the lock exclusively (searches wait for a write to finish, and see it all or not at
// all). ManagedFaceIndex adds the background rebuild on top with the same guarantees.
//
// Privacy: an index holds biometric data (face embeddings). It exists unsealed only in
// memory: the only way to serialise one is SealFaceIndex (XChaCha20-Poly1305 under a key the
// caller owns, e.g. the gallery's key); the plaintext serialisation buffers are wiped. An
// index must never be written to disk by other means.
//
// Errors: InvalidArgument for bad input (wrong length, non-unit vector, negative or
// duplicate id, k < 1); Corrupt from OpenSealedFaceIndex when the blob is tampered, was
// sealed under another key/aad or is not an index (the CLI maps Corrupt to exit 3); a
// missing blob is the caller's NotFound, and the caller rebuilds (BuildFaceIndex).
#ifndef LFR_SEARCH_INDEX_H_
#define LFR_SEARCH_INDEX_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "privacy/crypto.h"
#include "search/pq4_scan.h"
#include "util/status.h"

namespace faiss {
struct IOWriter;
struct IOReader;
}  // namespace faiss

namespace lfr::search {

struct SearchHit {
  int64_t id = -1;
  float score = 0.0f;  // cosine similarity of the probe and this face, exact
};

// Receives vectors in chunks: ids.size() ids and ids.size() * dim floats. A non-OK return
// stops the iteration and is passed back.
using VectorSink = std::function<Status(std::span<const int64_t> ids, std::span<const float> vectors)>;
// Streams every vector of a gallery into the sink (in chunks of any size). It may be called
// more than once by one build (a sampling pass, then an adding pass) and must give the same
// data each time, or data at least as recent (see ManagedFaceIndex::StartRebuild).
using VectorSource = std::function<Status(const VectorSink& sink)>;

class FaceIndex {
 public:
  virtual ~FaceIndex() = default;
  FaceIndex(const FaceIndex&) = delete;
  FaceIndex& operator=(const FaceIndex&) = delete;

  virtual int dim() const = 0;
  virtual int64_t size() const = 0;
  // What it is and its parameters, e.g. "exact (FAISS IndexFlatIP)" or
  // "IVF-PQ (nlist 4096, 32 B/face, nprobe 64) + exact re-rank of 256".
  virtual std::string Describe() const = 0;
  // Bytes of memory the index holds (vectors, codes, id maps; approximate).
  virtual int64_t MemoryBytes() const = 0;

  // Adds ids.size() faces; vectors holds ids.size() * dim() floats, row by row. All or
  // nothing: InvalidArgument (nothing added) on a length mismatch, a vector that is not
  // unit-norm or not finite, an id < 0, an id given twice or already present.
  virtual Status Add(std::span<const int64_t> ids, std::span<const float> vectors) = 0;
  // Removes the faces with these ids; ids not present are ignored. Returns how many were
  // removed. A removed id is never returned by a later Search.
  virtual Result<int64_t> Remove(std::span<const int64_t> ids) = 0;
  virtual bool Contains(int64_t id) const = 0;
  // At most k hits (fewer if the index is smaller), best first, ties by smaller id.
  // InvalidArgument if query.size() != dim() or k < 1.
  virtual Result<std::vector<SearchHit>> Search(std::span<const float> query, int k) const = 0;
  // Streams every (id, vector) held, in chunks (float16 stores give float16-rounded
  // vectors). Holds the read lock throughout: the sink must not call back into the index.
  virtual Status ForEach(const VectorSink& sink) const = 0;

 protected:
  FaceIndex() = default;

 private:
  friend Result<std::vector<uint8_t>> SealFaceIndex(const FaceIndex&, const SecretBytes&, std::string_view);
  friend Status SealFaceIndexToFd(const FaceIndex&, const SecretBytes&, std::string_view, int);
  friend class ManagedFaceIndex;
  // Writes the plaintext serialisation (format tag first). Only SealFaceIndex calls it.
  virtual Status WriteTo(faiss::IOWriter* w) const = 0;
};

// ---------------------------------------------------------------------------------------
class ExactFaceIndex final : public FaceIndex {
 public:
  explicit ExactFaceIndex(int dim);
  ~ExactFaceIndex() override;

  int dim() const override { return dim_; }
  int64_t size() const override;
  std::string Describe() const override;
  int64_t MemoryBytes() const override;
  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  Result<int64_t> Remove(std::span<const int64_t> ids) override;
  bool Contains(int64_t id) const override;
  Result<std::vector<SearchHit>> Search(std::span<const float> query, int k) const override;
  Status ForEach(const VectorSink& sink) const override;

  // Reads what WriteTo wrote (after the format tag). Corrupt on malformed data.
  static Result<std::unique_ptr<ExactFaceIndex>> ReadFrom(faiss::IOReader* r, int dim);

 private:
  Status WriteTo(faiss::IOWriter* w) const override;
  struct Impl;
  const int dim_;
  std::unique_ptr<Impl> impl_;
  mutable std::shared_mutex mu_;
};

// ---------------------------------------------------------------------------------------
enum class Proposer {
  kPqFastScan,  // exhaustive 4-bit PQ fast-scan (default)
  kIvfPq,       // IVF cells + 8-bit PQ, nprobe cells scanned
};

// The shortlist re-ranked exactly when ApproxOptions::shortlist is 0, for top-k of n faces.
// Fast-scan: max(200 k, 4000, n / 1250): it grows with the gallery, because ten times the
// faces need about twice the shortlist for the same recall@20 (docs/PERFORMANCE.md, `lfr
// bench search`: 4,000 gives 0.994 at 1M but 0.989 at 10M; 8,000 gives 0.995 at 10M, p95
// 57 ms). IVF-PQ: max(16 k, 256).
int64_t DefaultShortlist(Proposer p, int k, int64_t n);

struct ApproxOptions {
  Proposer proposer = Proposer::kPqFastScan;
  int pq_bytes = 0;        // bytes per face code; 0 = dim / 16 (fast-scan: 2 sub-quantisers of 4
                           // bits a byte, 8 dimensions each) or dim / 4 (IVF-PQ: one 8-bit
                           // sub-quantiser a byte)
  int shortlist = 0;       // candidates re-ranked exactly; 0 = the proposer's default
                           // (fast-scan max(200 k, 4000, n / 1250) for n faces: recall@20 0.994 at 4000 on 1M
                           // faces, 0.995 at 8000 on 10M; IVF-PQ max(16 k, 256)), measured
                           // by `lfr bench search` (docs/PERFORMANCE.md)
  bool float16_store = false;  // keep the re-rank vectors as float16 (half the memory)
  int64_t train_size = 0;  // vectors used to train; 0 = min(n, 65536) (IVF: >= 32 * nlist)
  uint64_t seed = 1234;    // sampling and k-means seed (builds are reproducible)
  // IVF-PQ only.
  int nlist = 0;           // k-means cells; 0 = chosen from the build size (~sqrt(n), <= 4096)
  int nprobe = 0;          // cells visited per probe; 0 = nlist / 4 (at least min(32, nlist))
};

class RerankFaceIndex final : public FaceIndex {
 public:
  // An untrained index; Train before Add (Add on an untrained index: FailedPrecondition).
  // nlist is used by the IVF-PQ proposer only.
  RerankFaceIndex(int dim, int nlist, const ApproxOptions& options);
  ~RerankFaceIndex() override;

  // Trains the proposer (IVF cells and/or the product quantiser) on n = vectors.size() / dim
  // unit vectors (InvalidArgument if n < nlist, or n < 16 for fast-scan).
  Status Train(std::span<const float> vectors);
  bool trained() const;
  Proposer proposer() const { return proposer_; }
  int nlist() const { return nlist_; }
  // Search parameters; may be changed at any time (takes the write lock). nprobe <= 0 keeps
  // the current one (ignored by fast-scan); shortlist 0 = the proposer's default.
  void SetSearchParameters(int nprobe, int shortlist);
  int nprobe() const;
  int shortlist() const;
  // Fast-scan only: which scan proposes the shortlist (search/pq4_scan.h) and on how many
  // threads. A new or opened index uses ResolveScanKernel(kAuto): OpenLFR's AVX2 kernel when
  // the CPU has AVX2 and LFR_PQ4_SCAN is not "faiss", else FAISS's own search. Both give the
  // same quantised scores, so the same shortlist up to the order of equal scores. threads 0 =
  // by size (ScanThreadsFor); the FAISS scan is always one thread. Not persisted.
  void SetScan(ScanKernel kernel, int threads = 0);
  // The scan a fast-scan Search uses now: kAvx2 or kFaiss (kFaiss for IVF-PQ too).
  ScanKernel scan_kernel() const;
  // Threads the AVX2 scan uses by default for n faces: 2 (on a 2+ core machine) from
  // kParallelScanFrom faces, else 1 (docs/PERFORMANCE.md, "Gallery search").
  static int ScanThreadsFor(int64_t n);
  static constexpr int64_t kParallelScanFrom = 2000000;

  int dim() const override { return dim_; }
  int64_t size() const override;
  std::string Describe() const override;
  int64_t MemoryBytes() const override;
  // Reserves room for n faces in all (re-rank vectors, row maps, ids), so that adding them
  // does not grow by doubling: at 10M faces a doubling float16 store briefly held twice its
  // 10 GB. A hint only; Add works without it. Takes the writer lock.
  void Reserve(int64_t n);
  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  Result<int64_t> Remove(std::span<const int64_t> ids) override;
  bool Contains(int64_t id) const override;
  Result<std::vector<SearchHit>> Search(std::span<const float> query, int k) const override;
  Status ForEach(const VectorSink& sink) const override;

  // recode: re-encode the fast-scan codes from the re-rank store (blobs of format 1).
  static Result<std::unique_ptr<RerankFaceIndex>> ReadFrom(faiss::IOReader* r, int dim, Proposer proposer,
                                                           bool recode = false);
  // True when opening re-encoded the codes (a blob of an older format): save it again.
  bool recoded_on_open() const { return recoded_on_open_; }

 private:
  Status WriteTo(faiss::IOWriter* w) const override;
  struct Impl;
  const int dim_;
  const Proposer proposer_;
  const int nlist_;
  bool recoded_on_open_ = false;
  std::unique_ptr<Impl> impl_;
  mutable std::shared_mutex mu_;
};

// ---------------------------------------------------------------------------------------
// Below this many faces BuildFaceIndex makes an ExactFaceIndex, at or above it the
// approximate RerankFaceIndex (PQ fast-scan). Measured with EdgeFace (512-d) by `lfr bench
// search` (docs/PERFORMANCE.md): at 100,000 faces the fast-scan index answers ~8x faster than
// the exact scan at recall@20 0.994; below it the exact scan costs at most ~51 M
// multiply-adds per probe (a few ms on an idle core) and nothing justifies losing recall.
constexpr int64_t kDefaultExactBelow = 100000;

struct FaceIndexOptions {
  int64_t exact_below = kDefaultExactBelow;
  ApproxOptions approx;
};

// Builds the index for all vectors the source gives (calls it once for an exact index,
// twice for an approximate one: a sampling pass to train, then an adding pass). The same
// errors as Add (e.g. a duplicate id) plus whatever the source returns.
Result<std::unique_ptr<FaceIndex>> BuildFaceIndex(int dim, const VectorSource& source,
                                                  const FaceIndexOptions& options = {});
// Convenience: from vectors in memory (ids.size() * dim floats).
Result<std::unique_ptr<FaceIndex>> BuildFaceIndex(int dim, std::span<const int64_t> ids,
                                                  std::span<const float> vectors,
                                                  const FaceIndexOptions& options = {});

// ---------------------------------------------------------------------------------------
// Persistence, sealed only. The blob is Seal(key, format tag || kind || dim || FAISS
// serialisation || re-rank store, aad): use an aad that names what the blob is for (e.g.
// "gallery:12:index") so it cannot be swapped for another gallery's. The plaintext buffer is
// wiped after sealing. IOError/Internal on failure.
Result<std::vector<uint8_t>> SealFaceIndex(const FaceIndex& index, const SecretBytes& key,
                                           std::string_view aad);
// Opens a blob from SealFaceIndex into memory. Corrupt when authentication fails (tampered,
// truncated, other key or aad) or the content is not a face index of a known format.
Result<std::unique_ptr<FaceIndex>> OpenSealedFaceIndex(std::span<const uint8_t> sealed,
                                                       const SecretBytes& key, std::string_view aad);

// The same, streamed to and from a file descriptor in sealed 1 MiB pieces (libsodium
// secretstream, the aad bound to every piece, a FINAL tag on the last): neither the whole
// plaintext nor the whole ciphertext is ever in memory, so a 10M-face index (~11 GB) can be
// saved and opened beside itself on a 24 GB machine. Each plaintext piece is wiped. Opening
// gives Corrupt for a tampered, truncated, extended or foreign stream (other key or aad);
// sealing gives IOError when the descriptor cannot be written.
Status SealFaceIndexToFd(const FaceIndex& index, const SecretBytes& key, std::string_view aad, int fd);
Result<std::unique_ptr<FaceIndex>> OpenSealedFaceIndexFd(int fd, const SecretBytes& key, std::string_view aad);

// ---------------------------------------------------------------------------------------
// The index a gallery searches: holds the current FaceIndex, rebuilds in the background and
// keeps up to date.
//
// StartRebuild builds a new index (BuildFaceIndex: exact or approximate by size) in a
// background thread while the current one keeps serving searches, adds and removes. Adds and
// removes made while it builds are applied to the current index at once and logged; when the
// build is done they are replayed onto the new index (an add of an id the build already has
// replaces it, a remove of an absent id is a no-op), and the new index is swapped in under
// the write lock. So the source may read the gallery at any moment after StartRebuild, and
// the final index equals the gallery. If the build fails the current index stays, and
// WaitForBuild/last_build_status report the error.
//
// With auto_rebuild, an Add that takes an exact index to options.exact_below faces starts a
// rebuild from the index's own vectors (ForEach), so a gallery crosses to the approximate
// index without the caller doing anything.
//
// Thread-safety: every method may be called from any thread. The destructor waits for a
// running build (the build checks for cancellation between chunks).
class ManagedFaceIndex final : public FaceIndex {
 public:
  // Starts empty (an ExactFaceIndex), or with an index built or opened by the caller.
  ManagedFaceIndex(int dim, FaceIndexOptions options, bool auto_rebuild = true);
  ManagedFaceIndex(std::unique_ptr<FaceIndex> initial, FaceIndexOptions options, bool auto_rebuild = true);
  ~ManagedFaceIndex() override;

  // FailedPrecondition if a build is already running. source == nullptr: rebuild from the
  // current index's own vectors.
  Status StartRebuild(VectorSource source = nullptr);
  bool building() const { return building_.load(); }
  // Blocks until no build is running; returns the last build's status (OK if none ran).
  Status WaitForBuild();
  Status last_build_status() const;
  // Replaces the current index (e.g. one just opened from a sealed blob). Waits for a running
  // build first.
  void Reset(std::unique_ptr<FaceIndex> index);

  int dim() const override { return dim_; }
  int64_t size() const override;
  std::string Describe() const override;
  int64_t MemoryBytes() const override;
  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  Result<int64_t> Remove(std::span<const int64_t> ids) override;
  bool Contains(int64_t id) const override;
  Result<std::vector<SearchHit>> Search(std::span<const float> query, int k) const override;
  Status ForEach(const VectorSink& sink) const override;

 private:
  Status WriteTo(faiss::IOWriter* w) const override;
  struct LogEntry {
    bool add = false;
    std::vector<int64_t> ids;
    std::vector<float> vectors;
  };
  void BuildThread(VectorSource source);
  void JoinBuilder();

  const int dim_;
  const FaceIndexOptions options_;
  const bool auto_rebuild_;
  // Guards current_ (the pointer) and log_. The index itself has its own lock.
  mutable std::shared_mutex mu_;
  std::shared_ptr<FaceIndex> current_;
  std::vector<LogEntry> log_;
  bool logging_ = false;  // under mu_: a build is running and writes are logged
  std::atomic<bool> building_{false};
  std::atomic<bool> cancel_{false};
  mutable std::mutex build_mu_;  // guards builder_ and build_status_
  std::thread builder_;
  Status build_status_;
};

}  // namespace lfr::search

#endif  // LFR_SEARCH_INDEX_H_
