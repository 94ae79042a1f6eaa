#include "search/index.h"

#include <sodium.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPQFastScan.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>
#include <faiss/utils/fp16.h>
#include <omp.h>

#include "search/pq4_scan.h"

namespace lfr::search {
namespace {

constexpr char kMagic[8] = {'L', 'F', 'R', 'F', 'I', 'D', 'X', '1'};
// 2: fast-scan codes are known good. Version 1 fast-scan blobs may hold codes scrambled by
// FAISS 1.7.3's remove_ids (RerankFaceIndex::Remove), so they are re-encoded on opening.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kKindExact = 1;
constexpr uint32_t kKindIvfPq = 2;
constexpr uint32_t kKindPqFastScan = 3;
constexpr int64_t kChunk = 4096;

Status CheckVectors(int dim, std::span<const int64_t> ids, std::span<const float> vectors) {
  if (vectors.size() != ids.size() * static_cast<size_t>(dim)) {
    return Status::InvalidArgument("face index: " + std::to_string(ids.size()) + " ids need " +
                                   std::to_string(ids.size() * dim) + " floats, got " +
                                   std::to_string(vectors.size()));
  }
  std::unordered_set<int64_t> seen;
  seen.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0) return Status::InvalidArgument("face index: negative id " + std::to_string(ids[i]));
    if (!seen.insert(ids[i]).second) {
      return Status::InvalidArgument("face index: id " + std::to_string(ids[i]) + " given twice");
    }
    const float* v = vectors.data() + i * dim;
    double n2 = 0;
    for (int j = 0; j < dim; ++j) {
      if (!std::isfinite(v[j])) {
        return Status::InvalidArgument("face index: vector of id " + std::to_string(ids[i]) + " is not finite");
      }
      n2 += double(v[j]) * v[j];
    }
    if (std::fabs(std::sqrt(n2) - 1.0) > 1e-3) {
      return Status::InvalidArgument("face index: vector of id " + std::to_string(ids[i]) +
                                     " is not unit-norm (norm " + std::to_string(std::sqrt(n2)) + ")");
    }
  }
  return Status::Ok();
}

Status CheckQuery(int dim, std::span<const float> query, int k) {
  if (query.size() != static_cast<size_t>(dim)) {
    return Status::InvalidArgument("face index: query has " + std::to_string(query.size()) +
                                   " values, the index " + std::to_string(dim));
  }
  if (k < 1) return Status::InvalidArgument("face index: k must be >= 1");
  return Status::Ok();
}

// One probe is searched on the calling thread: FAISS would otherwise open an OpenMP team for
// a single query, and on a loaded machine waking (and waiting for) the idle team member
// costs milliseconds per search. Concurrent probes run on their callers' threads instead.
class SingleThreadedOmp {
 public:
  SingleThreadedOmp() : prev_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SingleThreadedOmp() { omp_set_num_threads(prev_); }

 private:
  int prev_;
};

void SortHits(std::vector<SearchHit>* hits) {
  std::sort(hits->begin(), hits->end(), [](const SearchHit& a, const SearchHit& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
}

// faiss::IOReader over bytes in memory (no copy).
struct SpanReader : faiss::IOReader {
  explicit SpanReader(std::span<const uint8_t> b) : bytes(b) { name = "sealed face index"; }
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0) return 0;
    const size_t avail = (bytes.size() - pos) / size;
    const size_t n = std::min(avail, nitems);
    std::memcpy(ptr, bytes.data() + pos, n * size);
    pos += n * size;
    return n;
  }
  std::span<const uint8_t> bytes;
  size_t pos = 0;
};

template <typename T>
void WritePod(faiss::IOWriter* w, const T& v) {
  (*w)(&v, sizeof(T), 1);
}
template <typename T>
bool ReadPod(faiss::IOReader* r, T* v) {
  return (*r)(v, sizeof(T), 1) == 1;
}

}  // namespace

// =======================================================================================
// ExactFaceIndex

struct ExactFaceIndex::Impl {
  std::unique_ptr<faiss::IndexIDMap2> map;
};

ExactFaceIndex::ExactFaceIndex(int dim) : dim_(dim), impl_(std::make_unique<Impl>()) {
  impl_->map = std::make_unique<faiss::IndexIDMap2>(new faiss::IndexFlatIP(dim));
  impl_->map->own_fields = true;
}
ExactFaceIndex::~ExactFaceIndex() = default;

int64_t ExactFaceIndex::size() const {
  std::shared_lock lock(mu_);
  return impl_->map->ntotal;
}

std::string ExactFaceIndex::Describe() const { return "exact (FAISS IndexFlatIP)"; }

int64_t ExactFaceIndex::MemoryBytes() const {
  std::shared_lock lock(mu_);
  const int64_t n = impl_->map->ntotal;
  // Vectors, the id array, and the reverse hash map (~32 B per entry).
  return n * dim_ * 4 + n * 8 + n * 32;
}

Status ExactFaceIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  LFR_RETURN_IF_ERROR(CheckVectors(dim_, ids, vectors));
  std::unique_lock lock(mu_);
  for (int64_t id : ids) {
    if (impl_->map->rev_map.count(id)) {
      return Status::InvalidArgument("face index: id " + std::to_string(id) + " is already in the index");
    }
  }
  if (ids.empty()) return Status::Ok();
  try {
    impl_->map->add_with_ids(static_cast<int64_t>(ids.size()), vectors.data(), ids.data());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face index: FAISS add failed: ") + e.what());
  }
  return Status::Ok();
}

Result<int64_t> ExactFaceIndex::Remove(std::span<const int64_t> ids) {
  std::unique_lock lock(mu_);
  std::vector<int64_t> present;
  for (int64_t id : ids) {
    if (impl_->map->rev_map.count(id)) present.push_back(id);
  }
  if (present.empty()) return int64_t{0};
  std::sort(present.begin(), present.end());
  present.erase(std::unique(present.begin(), present.end()), present.end());
  try {
    faiss::IDSelectorBatch sel(present.size(), present.data());
    return static_cast<int64_t>(impl_->map->remove_ids(sel));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face index: FAISS remove failed: ") + e.what());
  }
}

bool ExactFaceIndex::Contains(int64_t id) const {
  std::shared_lock lock(mu_);
  return impl_->map->rev_map.count(id) > 0;
}

Result<std::vector<SearchHit>> ExactFaceIndex::Search(std::span<const float> query, int k) const {
  LFR_RETURN_IF_ERROR(CheckQuery(dim_, query, k));
  std::shared_lock lock(mu_);
  const int64_t kk = std::min<int64_t>(k, impl_->map->ntotal);
  std::vector<SearchHit> hits;
  if (kk == 0) return hits;
  std::vector<float> d(kk);
  std::vector<int64_t> l(kk);
  try {
    SingleThreadedOmp one_thread;
    impl_->map->search(1, query.data(), kk, d.data(), l.data());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face index: FAISS search failed: ") + e.what());
  }
  for (int64_t i = 0; i < kk; ++i) {
    if (l[i] >= 0) hits.push_back({l[i], d[i]});
  }
  SortHits(&hits);
  return hits;
}

Status ExactFaceIndex::ForEach(const VectorSink& sink) const {
  std::shared_lock lock(mu_);
  const auto* flat = static_cast<const faiss::IndexFlat*>(impl_->map->index);
  const float* xb = flat->get_xb();
  const int64_t n = impl_->map->ntotal;
  for (int64_t i = 0; i < n; i += kChunk) {
    const int64_t m = std::min(kChunk, n - i);
    LFR_RETURN_IF_ERROR(sink({impl_->map->id_map.data() + i, static_cast<size_t>(m)},
                             {xb + i * dim_, static_cast<size_t>(m * dim_)}));
  }
  return Status::Ok();
}

Status ExactFaceIndex::WriteTo(faiss::IOWriter* w) const {
  std::shared_lock lock(mu_);
  WritePod(w, kKindExact);
  WritePod(w, int32_t{dim_});
  faiss::write_index(impl_->map.get(), w);
  return Status::Ok();
}

Result<std::unique_ptr<ExactFaceIndex>> ExactFaceIndex::ReadFrom(faiss::IOReader* r, int dim) {
  std::unique_ptr<faiss::Index> raw(faiss::read_index(r));
  auto* map = dynamic_cast<faiss::IndexIDMap2*>(raw.get());
  if (!map || map->d != dim || !dynamic_cast<faiss::IndexFlatIP*>(map->index)) {
    return Status::Corrupt("face index blob: not an exact index of dimension " + std::to_string(dim));
  }
  raw.release();
  auto out = std::make_unique<ExactFaceIndex>(dim);
  out->impl_->map.reset(map);
  out->impl_->map->own_fields = true;
  return out;
}

// =======================================================================================
// RerankFaceIndex

struct RerankFaceIndex::Impl {
  // The proposer: IndexIVFPQ, or IndexIDMap over IndexPQFastScan. `ivf` is the former when
  // that is the proposer (nullptr otherwise); `pq` is the product quantiser of either.
  std::unique_ptr<faiss::Index> proposer;
  faiss::IndexIVFPQ* ivf = nullptr;
  faiss::ProductQuantizer* pq = nullptr;
  // Fast-scan only: the id map and the codes it holds (scanned by pq4_scan.h when chosen).
  faiss::IndexIDMap* id_map = nullptr;
  faiss::IndexPQFastScan* fast_scan = nullptr;
  ScanKernel scan = ScanKernel::kFaiss;  // resolved: kAvx2 or kFaiss
  int scan_threads = 0;                  // 0 = by size (ScanThreadsFor)
  int nprobe = 1;
  int shortlist = 0;
  bool fp16 = false;
  // The re-rank store: row r holds the face with id row_id[r].
  std::vector<int64_t> row_id;
  std::unordered_map<int64_t, int64_t> row_of;
  std::vector<float> f32;
  std::vector<uint16_t> f16;

  void Row(int64_t r, int dim, float* out) const {
    if (fp16) {
      const uint16_t* s = f16.data() + r * dim;
      for (int j = 0; j < dim; ++j) out[j] = faiss::decode_fp16(s[j]);
    } else {
      std::memcpy(out, f32.data() + r * dim, sizeof(float) * dim);
    }
  }
  float Dot(int64_t r, int dim, const float* q) const {
    if (!fp16) return faiss::fvec_inner_product(f32.data() + r * dim, q, dim);
    const uint16_t* s = f16.data() + r * dim;
    float acc = 0;
    for (int j = 0; j < dim; ++j) acc += faiss::decode_fp16(s[j]) * q[j];
    return acc;
  }
};

int64_t DefaultShortlist(Proposer p, int k, int64_t n) {
  return p == Proposer::kPqFastScan ? std::max<int64_t>({int64_t{200} * k, 4000, n / 1250})
                                    : std::max<int64_t>(int64_t{16} * k, 256);
}

namespace {
// The largest m <= want that divides dim (PQ needs M | dim).
int DividingM(int dim, int want) {
  for (int m = std::clamp(want, 1, dim); m >= 1; --m) {
    if (dim % m == 0) return m;
  }
  return 1;
}
// A quarter of the cells: the exact top-20 of a face probe is mostly impostors from the
// tail of the score distribution, which k-means cells do not localise well; recall@20 of
// 99 % of exact needs a wide scan (measured: `lfr bench search --nprobe ...`, and
// FaceIndexIvfPq tests). PQ codes make the scan cheap; the shortlist is re-ranked exactly.
int DefaultNprobe(int nlist) { return std::clamp(nlist / 4, std::min(32, nlist), 4096); }
}  // namespace

RerankFaceIndex::RerankFaceIndex(int dim, int nlist, const ApproxOptions& options)
    : dim_(dim),
      proposer_(options.proposer),
      nlist_(options.proposer == Proposer::kIvfPq ? std::max(1, nlist) : 0),
      impl_(std::make_unique<Impl>()) {
  if (proposer_ == Proposer::kIvfPq) {
    const int m = DividingM(dim, options.pq_bytes > 0 ? options.pq_bytes : std::max(1, dim / 4));
    // L2 on unit vectors ranks exactly like inner product; FAISS's IVF-PQ is best tuned for
    // L2 (k-means cells, residual codes). The re-rank computes the inner product exactly.
    auto ivf = std::make_unique<faiss::IndexIVFPQ>(new faiss::IndexFlatL2(dim), dim, nlist_, m, 8);
    ivf->own_fields = true;
    ivf->cp.seed = static_cast<int>(options.seed);
    ivf->cp.niter = 10;  // k-means iterations for the cells (FAISS default 25)
    ivf->pq.cp.seed = static_cast<int>(options.seed + 1);
    // Training sizes are chosen by BuildFaceIndex (a small gallery trains on all it has):
    // FAISS's "please provide at least 39 points per centroid" warnings would only be noise.
    ivf->cp.min_points_per_centroid = 1;
    ivf->pq.cp.min_points_per_centroid = 1;
    // The PQ codes only order the shortlist, which is re-ranked exactly: 10 k-means
    // iterations per sub-quantiser (FAISS's default is 25) cost nothing in recall and are
    // 2.5x quicker.
    ivf->pq.cp.niter = 10;
    ivf->set_direct_map_type(faiss::DirectMap::Hashtable);
    impl_->ivf = ivf.get();
    impl_->pq = &ivf->pq;
    impl_->proposer = std::move(ivf);
    impl_->nprobe = options.nprobe > 0 ? std::min(options.nprobe, nlist_) : DefaultNprobe(nlist_);
  } else {
    // Two 4-bit sub-quantisers a byte; FAISS fast-scan needs an even count.
    int m = DividingM(dim, 2 * (options.pq_bytes > 0 ? options.pq_bytes : std::max(1, dim / 16)));
    while (m > 2 && (m % 2 != 0 || dim % m != 0)) --m;
    // Inner product: the look-up tables estimate the cosine itself (the reconstruction's
    // norm varies, so L2 on codes would rank differently).
    auto* fs = new faiss::IndexPQFastScan(dim, m, 4, faiss::METRIC_INNER_PRODUCT);
    fs->pq.cp.seed = static_cast<int>(options.seed + 1);
    fs->pq.cp.niter = 10;
    fs->pq.cp.min_points_per_centroid = 1;
    impl_->pq = &fs->pq;
    auto map = std::make_unique<faiss::IndexIDMap>(fs);
    map->own_fields = true;
    impl_->fast_scan = fs;
    impl_->id_map = map.get();
    impl_->proposer = std::move(map);
  }
  impl_->shortlist = options.shortlist;
  impl_->fp16 = options.float16_store;
  impl_->scan = ResolveScanKernel(ScanKernel::kAuto);
}
RerankFaceIndex::~RerankFaceIndex() = default;

Status RerankFaceIndex::Train(std::span<const float> vectors) {
  const int64_t n = static_cast<int64_t>(vectors.size() / dim_);
  const int64_t need = proposer_ == Proposer::kIvfPq ? nlist_ : 16;
  if (vectors.size() % dim_ != 0 || n < need) {
    return Status::InvalidArgument("face index: training needs at least " + std::to_string(need) +
                                   " vectors of dimension " + std::to_string(dim_));
  }
  std::unique_lock lock(mu_);
  try {
    impl_->proposer->train(n, vectors.data());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face index: FAISS training failed: ") + e.what());
  }
  return Status::Ok();
}

bool RerankFaceIndex::trained() const {
  std::shared_lock lock(mu_);
  return impl_->proposer->is_trained;
}

void RerankFaceIndex::SetSearchParameters(int nprobe, int shortlist) {
  std::unique_lock lock(mu_);
  if (nprobe > 0 && impl_->ivf) impl_->nprobe = std::min(nprobe, nlist_);
  impl_->shortlist = std::max(0, shortlist);
}
int RerankFaceIndex::nprobe() const {
  std::shared_lock lock(mu_);
  return impl_->ivf ? impl_->nprobe : 0;
}
int RerankFaceIndex::shortlist() const {
  std::shared_lock lock(mu_);
  return impl_->shortlist;
}

void RerankFaceIndex::SetScan(ScanKernel kernel, int threads) {
  std::unique_lock lock(mu_);
  impl_->scan = ResolveScanKernel(kernel);
  impl_->scan_threads = std::max(0, threads);
}

namespace {
// Our kernel needs FAISS's 32-row blocks of 4-bit codes and a uint16 sum that cannot overflow.
bool Avx2ScanUsable(const faiss::IndexPQFastScan* fs) {
  return fs != nullptr && fs->bbs == 32 && fs->ksub == 16 && Pq4ScanSupports(static_cast<int>(fs->M2));
}
}  // namespace

ScanKernel RerankFaceIndex::scan_kernel() const {
  std::shared_lock lock(mu_);
  return impl_->scan == ScanKernel::kAvx2 && Avx2ScanUsable(impl_->fast_scan) ? ScanKernel::kAvx2
                                                                            : ScanKernel::kFaiss;
}

int RerankFaceIndex::ScanThreadsFor(int64_t n) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return n >= kParallelScanFrom ? std::min(cores, 2) : 1;
}

int64_t RerankFaceIndex::size() const {
  std::shared_lock lock(mu_);
  return static_cast<int64_t>(impl_->row_id.size());
}

std::string RerankFaceIndex::Describe() const {
  std::shared_lock lock(mu_);
  std::ostringstream s;
  if (impl_->ivf) {
    s << "IVF-PQ (nlist " << nlist_ << ", " << impl_->pq->M << " B/face, nprobe " << impl_->nprobe << ")";
  } else {
    const bool ours = impl_->scan == ScanKernel::kAvx2 && Avx2ScanUsable(impl_->fast_scan);
    const int64_t n = static_cast<int64_t>(impl_->row_id.size());
    const int threads = impl_->scan_threads > 0 ? impl_->scan_threads : ScanThreadsFor(n);
    s << "PQ fast-scan (" << impl_->pq->M << "x4 bit, " << impl_->pq->M / 2 << " B/face, exhaustive, "
      << (ours ? "AVX2 scan" + (threads > 1 ? " on " + std::to_string(threads) + " threads" : std::string())
               : std::string("FAISS scan"))
      << ")";
  }
  s << " + exact re-rank of "
    << (impl_->shortlist > 0 ? std::to_string(impl_->shortlist)
                             : (impl_->ivf ? "max(16k, 256)" : "max(200k, 4000, n/1250)"))
    << " from " << (impl_->fp16 ? "float16" : "float32") << " vectors";
  return s.str();
}

int64_t RerankFaceIndex::MemoryBytes() const {
  std::shared_lock lock(mu_);
  const int64_t n = static_cast<int64_t>(impl_->row_id.size());
  const faiss::ProductQuantizer& pq = *impl_->pq;
  int64_t proposer = 0;
  if (impl_->ivf) {
    proposer = n * (impl_->ivf->code_size + 8)           // inverted lists: code + id
               + n * 32                                  // id -> list hash map
               + int64_t{nlist_} * dim_ * 4;             // cells
  } else {
    proposer = (n + 31) / 32 * 32 * pq.M / 2             // packed 4-bit codes
               + n * 8;                                  // id map
  }
  proposer += static_cast<int64_t>(pq.centroids.size()) * 4;
  const int64_t store = n * dim_ * (impl_->fp16 ? 2 : 4) + n * 8 + n * 32;  // rows, row_id, row_of
  return proposer + store;
}

void RerankFaceIndex::Reserve(int64_t n) {
  if (n <= 0) return;
  std::unique_lock lock(mu_);
  const size_t faces = static_cast<size_t>(n);
  impl_->row_id.reserve(faces);
  impl_->row_of.reserve(faces);
  if (impl_->fp16) {
    impl_->f16.reserve(faces * dim_);
  } else {
    impl_->f32.reserve(faces * dim_);
  }
  if (impl_->id_map) impl_->id_map->id_map.reserve(faces);
}

Status RerankFaceIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  LFR_RETURN_IF_ERROR(CheckVectors(dim_, ids, vectors));
  std::unique_lock lock(mu_);
  if (!impl_->proposer->is_trained) return Status::FailedPrecondition("face index: the index is not trained");
  for (int64_t id : ids) {
    if (impl_->row_of.count(id)) {
      return Status::InvalidArgument("face index: id " + std::to_string(id) + " is already in the index");
    }
  }
  if (ids.empty()) return Status::Ok();
  try {
    impl_->proposer->add_with_ids(static_cast<int64_t>(ids.size()), vectors.data(), ids.data());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face index: FAISS add failed: ") + e.what());
  }
  const int64_t base = static_cast<int64_t>(impl_->row_id.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    impl_->row_id.push_back(ids[i]);
    impl_->row_of[ids[i]] = base + static_cast<int64_t>(i);
  }
  if (impl_->fp16) {
    for (float v : vectors) impl_->f16.push_back(faiss::encode_fp16(v));
  } else {
    impl_->f32.insert(impl_->f32.end(), vectors.begin(), vectors.end());
  }
  return Status::Ok();
}

Result<int64_t> RerankFaceIndex::Remove(std::span<const int64_t> ids) {
  std::unique_lock lock(mu_);
  std::vector<int64_t> present;
  for (int64_t id : ids) {
    if (impl_->row_of.count(id)) present.push_back(id);
  }
  std::sort(present.begin(), present.end());
  present.erase(std::unique(present.begin(), present.end()), present.end());
  if (present.empty()) return int64_t{0};
  try {
    // IVF: the direct map finds each id's list. Fast-scan: one pass over the codes, which
    // FAISS compacts in order (the id map follows), overwriting the removed faces' codes.
    if (impl_->ivf) {
      faiss::IDSelectorArray sel(present.size(), present.data());
      impl_->proposer->remove_ids(sel);
    } else {
      // Not FAISS 1.7.3's IndexFastScan::remove_ids: its element accessors disagree with its
      // own packing beyond 16 sub-quantisers, so it scrambled the codes of every face after
      // the first removed one (512-d: 64 sub-quantisers), and it left stale codes in the last
      // block that a later add ORs into. The last face moves into each hole instead.
      faiss::IndexPQFastScan& fs = *impl_->fast_scan;
      std::vector<int64_t>& id_map = impl_->id_map->id_map;
      const std::unordered_set<int64_t> gone(present.begin(), present.end());
      std::vector<int64_t> rows;
      for (int64_t r = 0; r < fs.ntotal; ++r) {
        if (gone.count(id_map[r])) rows.push_back(r);
      }
      const int64_t n = Pq4SwapRemove(fs.codes.get(), fs.ntotal, static_cast<int>(fs.M2), rows, &id_map);
      fs.ntotal = n;
      fs.ntotal2 = (n + 31) / 32 * 32;
      fs.codes.resize(fs.ntotal2 * fs.M2 / 2);
      impl_->id_map->ntotal = n;
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face index: FAISS remove failed: ") + e.what());
  }
  // Swap-remove each row from the re-rank store.
  Impl& m = *impl_;
  for (int64_t id : present) {
    const int64_t r = m.row_of[id];
    const int64_t last = static_cast<int64_t>(m.row_id.size()) - 1;
    if (r != last) {
      m.row_id[r] = m.row_id[last];
      m.row_of[m.row_id[r]] = r;
      if (m.fp16) {
        std::copy_n(m.f16.begin() + last * dim_, dim_, m.f16.begin() + r * dim_);
      } else {
        std::copy_n(m.f32.begin() + last * dim_, dim_, m.f32.begin() + r * dim_);
      }
    }
    m.row_id.pop_back();
    m.row_of.erase(id);
    if (m.fp16) {
      sodium_memzero(m.f16.data() + last * dim_, sizeof(uint16_t) * dim_);
      m.f16.resize(last * dim_);
    } else {
      sodium_memzero(m.f32.data() + last * dim_, sizeof(float) * dim_);
      m.f32.resize(last * dim_);
    }
  }
  return static_cast<int64_t>(present.size());
}

bool RerankFaceIndex::Contains(int64_t id) const {
  std::shared_lock lock(mu_);
  return impl_->row_of.count(id) > 0;
}

Result<std::vector<SearchHit>> RerankFaceIndex::Search(std::span<const float> query, int k) const {
  LFR_RETURN_IF_ERROR(CheckQuery(dim_, query, k));
  std::shared_lock lock(mu_);
  const int64_t n = static_cast<int64_t>(impl_->row_id.size());
  std::vector<SearchHit> hits;
  if (n == 0) return hits;
  const int64_t want = impl_->shortlist > 0 ? std::max<int64_t>(impl_->shortlist, k)
                                            : DefaultShortlist(proposer_, k, n);
  const int64_t kk = std::min(want, n);
  std::vector<float> d(kk);
  std::vector<int64_t> l(kk);
  try {
    SingleThreadedOmp one_thread;
    if (impl_->ivf) {
      faiss::SearchParametersIVF params;
      params.nprobe = impl_->nprobe;
      impl_->ivf->search(1, query.data(), kk, d.data(), l.data(), &params);
    } else if (impl_->scan == ScanKernel::kAvx2 && Avx2ScanUsable(impl_->fast_scan)) {
      // FAISS makes the probe's quantised look-up table; our kernel scans the codes.
      const faiss::IndexPQFastScan& fs = *impl_->fast_scan;
      std::vector<uint8_t> lut(fs.M2 * fs.ksub);
      float normalizers[2];
      fs.compute_quantized_LUT(1, query.data(), lut.data(), normalizers);
      const int threads = impl_->scan_threads > 0 ? impl_->scan_threads : ScanThreadsFor(n);
      const std::vector<Pq4Hit> top =
          Pq4TopKAvx2({fs.codes.get(), static_cast<int64_t>(fs.ntotal), static_cast<int>(fs.M2)}, lut.data(), kk,
                      threads);
      std::fill(l.begin(), l.end(), -1);
      for (size_t i = 0; i < top.size(); ++i) l[i] = impl_->id_map->id_map[top[i].row];
    } else {
      impl_->proposer->search(1, query.data(), kk, d.data(), l.data());
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face index: FAISS search failed: ") + e.what());
  }
  hits.reserve(kk);
  for (int64_t i = 0; i < kk; ++i) {
    if (l[i] < 0) continue;
    auto it = impl_->row_of.find(l[i]);
    if (it == impl_->row_of.end()) continue;
    hits.push_back({l[i], impl_->Dot(it->second, dim_, query.data())});
  }
  SortHits(&hits);
  if (hits.size() > static_cast<size_t>(k)) hits.resize(k);
  return hits;
}

Status RerankFaceIndex::ForEach(const VectorSink& sink) const {
  std::shared_lock lock(mu_);
  const int64_t n = static_cast<int64_t>(impl_->row_id.size());
  std::vector<float> buf;
  for (int64_t i = 0; i < n; i += kChunk) {
    const int64_t m = std::min(kChunk, n - i);
    if (impl_->fp16) {
      buf.resize(m * dim_);
      for (int64_t r = 0; r < m; ++r) impl_->Row(i + r, dim_, buf.data() + r * dim_);
      LFR_RETURN_IF_ERROR(sink({impl_->row_id.data() + i, static_cast<size_t>(m)}, buf));
    } else {
      LFR_RETURN_IF_ERROR(sink({impl_->row_id.data() + i, static_cast<size_t>(m)},
                               {impl_->f32.data() + i * dim_, static_cast<size_t>(m * dim_)}));
    }
  }
  sodium_memzero(buf.data(), buf.size() * sizeof(float));
  return Status::Ok();
}

Status RerankFaceIndex::WriteTo(faiss::IOWriter* w) const {
  std::shared_lock lock(mu_);
  WritePod(w, proposer_ == Proposer::kIvfPq ? kKindIvfPq : kKindPqFastScan);
  WritePod(w, int32_t{dim_});
  WritePod(w, int32_t{nlist_});
  WritePod(w, int32_t{impl_->nprobe});
  WritePod(w, int32_t{impl_->shortlist});
  WritePod(w, uint8_t{impl_->fp16});
  faiss::write_index(impl_->proposer.get(), w);
  const uint64_t n = impl_->row_id.size();
  WritePod(w, n);
  (*w)(impl_->row_id.data(), sizeof(int64_t), n);
  if (impl_->fp16) {
    (*w)(impl_->f16.data(), sizeof(uint16_t), n * dim_);
  } else {
    (*w)(impl_->f32.data(), sizeof(float), n * dim_);
  }
  return Status::Ok();
}

Result<std::unique_ptr<RerankFaceIndex>> RerankFaceIndex::ReadFrom(faiss::IOReader* r, int dim, Proposer proposer,
                                                                    bool recode) {
  int32_t nlist = 0, nprobe = 0, shortlist = 0;
  uint8_t fp16 = 0;
  const bool ivf_kind = proposer == Proposer::kIvfPq;
  if (!ReadPod(r, &nlist) || !ReadPod(r, &nprobe) || !ReadPod(r, &shortlist) || !ReadPod(r, &fp16) ||
      (ivf_kind && (nlist < 1 || nprobe < 1)) || shortlist < 0 || fp16 > 1) {
    return Status::Corrupt("face index blob: bad header");
  }
  std::unique_ptr<faiss::Index> raw(faiss::read_index(r));
  ApproxOptions o;
  o.proposer = proposer;
  o.nprobe = nprobe;
  o.shortlist = shortlist;
  o.float16_store = fp16 != 0;
  auto out = std::make_unique<RerankFaceIndex>(dim, nlist, o);
  Impl& m = *out->impl_;
  if (ivf_kind) {
    auto* ivf = dynamic_cast<faiss::IndexIVFPQ*>(raw.get());
    if (!ivf || ivf->d != dim || static_cast<int32_t>(ivf->nlist) != nlist || !ivf->is_trained) {
      return Status::Corrupt("face index blob: not an IVF-PQ index of dimension " + std::to_string(dim));
    }
    if (ivf->direct_map.type != faiss::DirectMap::Hashtable) ivf->set_direct_map_type(faiss::DirectMap::Hashtable);
    m.ivf = ivf;
    m.pq = &ivf->pq;
  } else {
    auto* map = dynamic_cast<faiss::IndexIDMap*>(raw.get());
    auto* fs = map ? dynamic_cast<faiss::IndexPQFastScan*>(map->index) : nullptr;
    if (!fs || map->d != dim || !fs->is_trained || fs->metric_type != faiss::METRIC_INNER_PRODUCT || fs->bbs != 32) {
      return Status::Corrupt("face index blob: not a PQ fast-scan index of dimension " + std::to_string(dim));
    }
    map->own_fields = true;
    m.ivf = nullptr;
    m.pq = &fs->pq;
    m.fast_scan = fs;
    m.id_map = map;
  }
  m.proposer = std::move(raw);
  uint64_t n = 0;
  if (!ReadPod(r, &n) || n != static_cast<uint64_t>(m.proposer->ntotal)) {
    return Status::Corrupt("face index blob: re-rank store does not match the proposer");
  }
  m.row_id.resize(n);
  if ((*r)(m.row_id.data(), sizeof(int64_t), n) != n) return Status::Corrupt("face index blob: truncated");
  bool ok = true;
  if (m.fp16) {
    m.f16.resize(n * dim);
    ok = (*r)(m.f16.data(), sizeof(uint16_t), n * dim) == n * dim;
  } else {
    m.f32.resize(n * dim);
    ok = (*r)(m.f32.data(), sizeof(float), n * dim) == n * dim;
  }
  if (!ok) return Status::Corrupt("face index blob: truncated");
  m.row_of.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (!m.row_of.emplace(m.row_id[i], static_cast<int64_t>(i)).second) {
      return Status::Corrupt("face index blob: duplicate id");
    }
  }
  if (recode && !ivf_kind) {
    // Encode the codes afresh from the re-rank store (same quantiser, so the same codes for
    // faces never moved by a removal), in the store's row order.
    m.id_map->reset();
    std::vector<float> chunk;
    for (uint64_t i = 0; i < n; i += kChunk) {
      const uint64_t c = std::min<uint64_t>(kChunk, n - i);
      chunk.resize(c * dim);
      for (uint64_t j = 0; j < c; ++j) m.Row(static_cast<int64_t>(i + j), dim, chunk.data() + j * dim);
      m.id_map->add_with_ids(static_cast<int64_t>(c), chunk.data(), m.row_id.data() + i);
    }
    sodium_memzero(chunk.data(), chunk.size() * sizeof(float));
    out->recoded_on_open_ = true;
  }
  return out;
}

// =======================================================================================
// Building

namespace {

int ChooseNlist(int64_t n) {
  // ~sqrt(n) cells, capped at 4096: k-means training and assigning every face to its cell
  // cost n * nlist * dim, which must stay minutes, not hours, on a small machine; at least 1
  // and never more than n / 39 (FAISS warns below).
  int64_t c = static_cast<int64_t>(std::sqrt(static_cast<double>(n)));
  c = std::min<int64_t>(c, 4096);
  c = std::min<int64_t>(c, std::max<int64_t>(1, n / 39));
  return static_cast<int>(std::max<int64_t>(1, c));
}

}  // namespace

Result<std::unique_ptr<FaceIndex>> BuildFaceIndex(int dim, const VectorSource& source,
                                                  const FaceIndexOptions& options) {
  if (dim < 1) return Status::InvalidArgument("face index: dimension must be >= 1");
  // Pass 1: count, fill an exact index while the count stays below exact_below, and keep a
  // uniform reservoir sample for training in case it does not.
  auto exact = std::make_unique<ExactFaceIndex>(dim);
  const int64_t reservoir_cap = options.approx.train_size > 0 ? options.approx.train_size : 8192 * 32;
  std::vector<float> sample;
  int64_t n = 0;
  std::mt19937_64 rng(options.approx.seed);
  Status s = source([&](std::span<const int64_t> ids, std::span<const float> vectors) -> Status {
    if (vectors.size() != ids.size() * static_cast<size_t>(dim)) {
      return Status::InvalidArgument("face index: source gave a chunk of the wrong length");
    }
    if (exact) {
      if (n + static_cast<int64_t>(ids.size()) < options.exact_below) {
        LFR_RETURN_IF_ERROR(exact->Add(ids, vectors));
      } else {
        exact.reset();
      }
    }
    for (size_t i = 0; i < ids.size(); ++i, ++n) {
      const float* v = vectors.data() + i * dim;
      if (n < reservoir_cap) {
        sample.insert(sample.end(), v, v + dim);
      } else {
        const int64_t j = std::uniform_int_distribution<int64_t>(0, n)(rng);
        if (j < reservoir_cap) std::copy_n(v, dim, sample.begin() + j * dim);
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (exact) {
    sodium_memzero(sample.data(), sample.size() * sizeof(float));
    return std::unique_ptr<FaceIndex>(std::move(exact));
  }
  // Pass 2: train on the sample, then add everything.
  const ApproxOptions& ao = options.approx;
  const int nlist = ao.proposer != Proposer::kIvfPq ? 0 : ao.nlist > 0 ? ao.nlist : ChooseNlist(n);
  auto ivf = std::make_unique<RerankFaceIndex>(dim, nlist, ao);
  int64_t train_n = ao.train_size > 0 ? ao.train_size
                    : ao.proposer == Proposer::kIvfPq ? std::max<int64_t>(int64_t{32} * nlist, 20000)
                                                      : 65536;
  train_n = std::min<int64_t>(train_n, static_cast<int64_t>(sample.size() / dim));
  s = ivf->Train({sample.data(), static_cast<size_t>(train_n * dim)});
  sodium_memzero(sample.data(), sample.size() * sizeof(float));
  sample.clear();
  sample.shrink_to_fit();
  if (!s.ok()) return s;
  ivf->Reserve(n);
  s = source([&](std::span<const int64_t> ids, std::span<const float> vectors) -> Status {
    return ivf->Add(ids, vectors);
  });
  if (!s.ok()) return s;
  return std::unique_ptr<FaceIndex>(std::move(ivf));
}

Result<std::unique_ptr<FaceIndex>> BuildFaceIndex(int dim, std::span<const int64_t> ids,
                                                  std::span<const float> vectors,
                                                  const FaceIndexOptions& options) {
  if (vectors.size() != ids.size() * static_cast<size_t>(dim)) {
    return Status::InvalidArgument("face index: ids and vectors differ in length");
  }
  return BuildFaceIndex(
      dim,
      [&](const VectorSink& sink) -> Status {
        for (size_t i = 0; i < ids.size(); i += kChunk) {
          const size_t m = std::min<size_t>(kChunk, ids.size() - i);
          LFR_RETURN_IF_ERROR(sink(ids.subspan(i, m), vectors.subspan(i * dim, m * dim)));
        }
        return Status::Ok();
      },
      options);
}

// =======================================================================================
// Sealing

Result<std::vector<uint8_t>> SealFaceIndex(const FaceIndex& index, const SecretBytes& key, std::string_view aad) {
  faiss::VectorIOWriter w;
  // One allocation up front, so no unwiped copies are left behind by the vector growing.
  w.data.reserve(static_cast<size_t>(index.MemoryBytes()) + (1 << 20));
  Status s;
  try {
    w.data.insert(w.data.end(), kMagic, kMagic + sizeof(kMagic));
    WritePod(&w, kFormatVersion);
    s = index.WriteTo(&w);  // kind tag, dimension, then the index itself
  } catch (const std::exception& e) {
    s = Status::Internal(std::string("face index: serialisation failed: ") + e.what());
  }
  Result<std::vector<uint8_t>> sealed = s.ok() ? Seal(key, w.data, aad) : Result<std::vector<uint8_t>>(s);
  sodium_memzero(w.data.data(), w.data.size());
  return sealed;
}

namespace {

// The index after the plaintext's magic and version, from any reader.
Result<std::unique_ptr<FaceIndex>> ReadIndex(faiss::IOReader* r) {
  char magic[8];
  uint32_t version = 0, kind = 0;
  int32_t dim = 0;
  if ((*r)(magic, 1, 8) != 8 || std::memcmp(magic, kMagic, 8) != 0 || !ReadPod(r, &version) ||
      version < 1 || version > kFormatVersion || !ReadPod(r, &kind) || !ReadPod(r, &dim) || dim < 1 || dim > 65536) {
    return Status::Corrupt("face index blob: not an OpenLFR face index of a known format");
  }
  try {
    if (kind == kKindExact) {
      auto idx = ExactFaceIndex::ReadFrom(r, dim);
      if (!idx.ok()) return idx.status();
      return std::unique_ptr<FaceIndex>(std::move(*idx));
    }
    if (kind == kKindIvfPq || kind == kKindPqFastScan) {
      auto idx = RerankFaceIndex::ReadFrom(r, dim, kind == kKindIvfPq ? Proposer::kIvfPq : Proposer::kPqFastScan,
                                           /*recode=*/version < 2);
      if (!idx.ok()) return idx.status();
      return std::unique_ptr<FaceIndex>(std::move(*idx));
    }
  } catch (const std::exception& e) {
    return Status::Corrupt(std::string("face index blob: malformed: ") + e.what());
  }
  return Status::Corrupt("face index blob: unknown index kind " + std::to_string(kind));
}

constexpr size_t kStreamChunk = size_t{1} << 20;
using StreamState = crypto_secretstream_xchacha20poly1305_state;

// faiss::IOWriter that seals what it is given in kStreamChunk pieces (secretstream, the aad
// bound to every piece) and writes them to a file descriptor; Finish seals the last piece
// with the FINAL tag. The plaintext buffer is wiped after each piece.
struct SealingWriter : faiss::IOWriter {
  SealingWriter(int fd, const SecretBytes& key, std::string_view aad) : fd(fd), aad(aad) {
    uint8_t header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&st, header, key.data());
    Put(header, sizeof(header));
    plain.reserve(kStreamChunk);
    out.resize(kStreamChunk + crypto_secretstream_xchacha20poly1305_ABYTES);
  }
  ~SealingWriter() override {
    sodium_memzero(plain.data(), plain.capacity());
    sodium_memzero(&st, sizeof(st));
  }
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    const auto* p = static_cast<const uint8_t*>(ptr);
    size_t left = size * nitems;
    while (left > 0 && error.empty()) {
      const size_t n = std::min(left, kStreamChunk - plain.size());
      plain.insert(plain.end(), p, p + n);
      p += n;
      left -= n;
      if (plain.size() == kStreamChunk) Push(0);
    }
    if (!error.empty()) throw faiss::FaissException(error);
    return nitems;
  }
  void Push(unsigned char tag) {
    unsigned long long len = 0;
    crypto_secretstream_xchacha20poly1305_push(&st, out.data(), &len, plain.data(), plain.size(),
                                               reinterpret_cast<const unsigned char*>(aad.data()), aad.size(), tag);
    sodium_memzero(plain.data(), plain.size());
    plain.clear();
    Put(out.data(), static_cast<size_t>(len));
  }
  void Put(const uint8_t* p, size_t n) {
    while (n > 0 && error.empty()) {
      const ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        error = std::string("writing the sealed index: ") + std::strerror(errno);
        return;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  int fd;
  std::string aad;
  StreamState st{};
  std::vector<uint8_t> plain, out;
  std::string error;
};

// faiss::IOReader over a file sealed by SealingWriter: opens one piece at a time. A piece
// that fails authentication, or a stream that ends before its FINAL piece, throws.
struct OpeningReader : faiss::IOReader {
  OpeningReader(int fd, const SecretBytes& key, std::string_view aad) : fd(fd), aad(aad) {
    uint8_t header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    if (Get(header, sizeof(header)) != sizeof(header) ||
        crypto_secretstream_xchacha20poly1305_init_pull(&st, header, key.data()) != 0) {
      bad = true;
    }
    in.resize(kStreamChunk + crypto_secretstream_xchacha20poly1305_ABYTES);
    plain.resize(kStreamChunk);
  }
  ~OpeningReader() override {
    sodium_memzero(plain.data(), plain.size());
    sodium_memzero(&st, sizeof(st));
  }
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0) return 0;
    auto* p = static_cast<uint8_t*>(ptr);
    size_t want = size * nitems, got = 0;
    while (got < want) {
      if (pos == have) {
        if (final || !Pull()) break;
      }
      const size_t n = std::min(want - got, have - pos);
      std::memcpy(p + got, plain.data() + pos, n);
      pos += n;
      got += n;
    }
    return got / size;
  }
  bool Pull() {
    if (bad) throw faiss::FaissException("sealed index failed authentication");
    const size_t n = Get(in.data(), in.size());
    unsigned long long len = 0;
    unsigned char tag = 0;
    if (n < crypto_secretstream_xchacha20poly1305_ABYTES ||
        crypto_secretstream_xchacha20poly1305_pull(&st, plain.data(), &len, &tag, in.data(), n,
                                                   reinterpret_cast<const unsigned char*>(aad.data()),
                                                   aad.size()) != 0) {
      bad = true;
      throw faiss::FaissException("sealed index failed authentication");
    }
    have = static_cast<size_t>(len);
    pos = 0;
    final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    return true;
  }
  size_t Get(uint8_t* p, size_t n) {
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::read(fd, p + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }
  // The whole stream was read and authentic: the FINAL piece seen and nothing after it.
  bool Complete() {
    if (bad || !final || pos != have) return false;
    uint8_t extra;
    return Get(&extra, 1) == 0;
  }
  int fd;
  std::string aad;
  StreamState st{};
  std::vector<uint8_t> in, plain;
  size_t have = 0, pos = 0;
  bool final = false, bad = false;
};

}  // namespace

Result<std::unique_ptr<FaceIndex>> OpenSealedFaceIndex(std::span<const uint8_t> sealed, const SecretBytes& key,
                                                       std::string_view aad) {
  auto plain = Open(key, sealed, aad);
  if (!plain.ok()) {
    return Status::Corrupt("face index blob failed authentication (tampered, truncated, or sealed under "
                           "another key): refusing it");
  }
  SpanReader r(plain->span());
  return ReadIndex(&r);
}

Status SealFaceIndexToFd(const FaceIndex& index, const SecretBytes& key, std::string_view aad, int fd) {
  SealingWriter w(fd, key, aad);
  try {
    w(kMagic, 1, sizeof(kMagic));
    WritePod(&w, kFormatVersion);
    LFR_RETURN_IF_ERROR(index.WriteTo(&w));
    w.Push(crypto_secretstream_xchacha20poly1305_TAG_FINAL);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("face index: sealing failed: ") + e.what());
  }
  if (!w.error.empty()) return Status::IOError(w.error);
  return Status::Ok();
}

Result<std::unique_ptr<FaceIndex>> OpenSealedFaceIndexFd(int fd, const SecretBytes& key, std::string_view aad) {
  OpeningReader r(fd, key, aad);
  Result<std::unique_ptr<FaceIndex>> out = Status::Corrupt("face index");
  try {
    out = ReadIndex(&r);
  } catch (const std::exception&) {
    out = Status::Corrupt("face index");
  }
  if (!out.ok() || !r.Complete()) {
    return Status::Corrupt("sealed face index failed authentication (tampered, truncated, or sealed under "
                           "another key): refusing it");
  }
  return out;
}

// =======================================================================================
// ManagedFaceIndex

ManagedFaceIndex::ManagedFaceIndex(int dim, FaceIndexOptions options, bool auto_rebuild)
    : dim_(dim), options_(options), auto_rebuild_(auto_rebuild), current_(std::make_shared<ExactFaceIndex>(dim)) {}

ManagedFaceIndex::ManagedFaceIndex(std::unique_ptr<FaceIndex> initial, FaceIndexOptions options, bool auto_rebuild)
    : dim_(initial->dim()), options_(options), auto_rebuild_(auto_rebuild), current_(std::move(initial)) {}

ManagedFaceIndex::~ManagedFaceIndex() {
  cancel_ = true;
  JoinBuilder();
}

void ManagedFaceIndex::JoinBuilder() {
  std::thread t;
  {
    std::lock_guard lock(build_mu_);
    t = std::move(builder_);
  }
  if (t.joinable()) t.join();
}

Status ManagedFaceIndex::StartRebuild(VectorSource source) {
  std::unique_lock lock(mu_);
  if (logging_) return Status::FailedPrecondition("face index: a rebuild is already running");
  // building_ is false: a previous builder has left mu_ for good, so joining cannot deadlock.
  JoinBuilder();
  logging_ = true;
  log_.clear();
  building_ = true;
  std::lock_guard block(build_mu_);
  builder_ = std::thread(&ManagedFaceIndex::BuildThread, this, std::move(source));
  return Status::Ok();
}

void ManagedFaceIndex::BuildThread(VectorSource source) {
  // Without a source: a copy of the current index's vectors, taken under its read lock in
  // one short pass, so that writers (and the searches queued behind them) are not held up
  // for the whole build.
  std::vector<int64_t> copy_ids;
  std::vector<float> copy_vectors;
  if (!source) {
    std::shared_ptr<FaceIndex> snapshot;
    {
      std::shared_lock lock(mu_);
      snapshot = current_;
    }
    copy_ids.reserve(snapshot->size());
    copy_vectors.reserve(snapshot->size() * dim_);
    Status s = snapshot->ForEach([&](std::span<const int64_t> ids, std::span<const float> v) {
      copy_ids.insert(copy_ids.end(), ids.begin(), ids.end());
      copy_vectors.insert(copy_vectors.end(), v.begin(), v.end());
      return Status::Ok();
    });
    (void)s;  // the sink never fails
    source = [&](const VectorSink& sink) -> Status {
      for (size_t i = 0; i < copy_ids.size(); i += kChunk) {
        const size_t m = std::min<size_t>(kChunk, copy_ids.size() - i);
        LFR_RETURN_IF_ERROR(sink({copy_ids.data() + i, m}, {copy_vectors.data() + i * dim_, m * dim_}));
      }
      return Status::Ok();
    };
  }
  VectorSource cancellable = [&](const VectorSink& sink) -> Status {
    return source([&](std::span<const int64_t> ids, std::span<const float> v) -> Status {
      if (cancel_) return Status::Unavailable("face index: rebuild cancelled");
      return sink(ids, v);
    });
  };
  auto built = BuildFaceIndex(dim_, cancellable, options_);
  sodium_memzero(copy_vectors.data(), copy_vectors.size() * sizeof(float));
  Status result = built.status();
  {
    std::unique_lock lock(mu_);
    if (built.ok()) {
      std::shared_ptr<FaceIndex> next = std::move(*built);
      for (const LogEntry& e : log_) {
        auto removed = next->Remove(e.ids);
        if (!removed.ok()) {
          result = removed.status();
          break;
        }
        if (e.add) {
          Status s = next->Add(e.ids, e.vectors);
          if (!s.ok()) {
            result = s;
            break;
          }
        }
      }
      if (result.ok()) current_ = std::move(next);
    }
    for (LogEntry& e : log_) sodium_memzero(e.vectors.data(), e.vectors.size() * sizeof(float));
    log_.clear();
    logging_ = false;
    {
      std::lock_guard block(build_mu_);
      build_status_ = result;
    }
    building_ = false;
  }
}

Status ManagedFaceIndex::WaitForBuild() {
  JoinBuilder();
  return last_build_status();
}

Status ManagedFaceIndex::last_build_status() const {
  std::lock_guard lock(build_mu_);
  return build_status_;
}

void ManagedFaceIndex::Reset(std::unique_ptr<FaceIndex> index) {
  JoinBuilder();
  std::unique_lock lock(mu_);
  current_ = std::move(index);
}

int64_t ManagedFaceIndex::size() const {
  std::shared_lock lock(mu_);
  return current_->size();
}

std::string ManagedFaceIndex::Describe() const {
  std::shared_lock lock(mu_);
  return current_->Describe() + (logging_ ? " (rebuilding in the background)" : "");
}

int64_t ManagedFaceIndex::MemoryBytes() const {
  std::shared_lock lock(mu_);
  return current_->MemoryBytes();
}

Status ManagedFaceIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  bool start = false;
  {
    std::unique_lock lock(mu_);
    LFR_RETURN_IF_ERROR(current_->Add(ids, vectors));
    if (logging_) log_.push_back({true, {ids.begin(), ids.end()}, {vectors.begin(), vectors.end()}});
    start = auto_rebuild_ && !logging_ && current_->size() >= options_.exact_below &&
            dynamic_cast<ExactFaceIndex*>(current_.get()) != nullptr;
  }
  if (start) {
    Status s = StartRebuild(nullptr);
    // Another thread may have started one in between: that is fine.
    if (!s.ok() && s.code() != Status::Code::kFailedPrecondition) return s;
  }
  return Status::Ok();
}

Result<int64_t> ManagedFaceIndex::Remove(std::span<const int64_t> ids) {
  std::unique_lock lock(mu_);
  auto r = current_->Remove(ids);
  if (r.ok() && logging_) log_.push_back({false, {ids.begin(), ids.end()}, {}});
  return r;
}

bool ManagedFaceIndex::Contains(int64_t id) const {
  std::shared_lock lock(mu_);
  return current_->Contains(id);
}

Result<std::vector<SearchHit>> ManagedFaceIndex::Search(std::span<const float> query, int k) const {
  std::shared_lock lock(mu_);
  return current_->Search(query, k);
}

Status ManagedFaceIndex::ForEach(const VectorSink& sink) const {
  std::shared_lock lock(mu_);
  return current_->ForEach(sink);
}

Status ManagedFaceIndex::WriteTo(faiss::IOWriter* w) const {
  std::shared_lock lock(mu_);
  return current_->WriteTo(w);
}

}  // namespace lfr::search
