#include "eval/embedding_cache.h"

#include <sys/stat.h>

#include <cstring>

#include <sodium.h>

namespace lfr::eval {
namespace fs = std::filesystem;

namespace {

// Layout 2 records carry the enrolment verdict, layout 3 also the version of the enrolment
// rules that gave it. A file of an older layout is read (layout 1: verdicts unknown; layout
// 2: verdicts of rules version 1) and rewritten as layout 3; its embeddings are kept.
constexpr char kMagic1[8] = {'L', 'F', 'R', 'E', 'C', 'A', 'C', '1'};
constexpr char kMagic2[8] = {'L', 'F', 'R', 'E', 'C', 'A', 'C', '2'};
constexpr char kMagic[8] = {'L', 'F', 'R', 'E', 'C', 'A', 'C', '3'};
constexpr uint32_t kRecordMagic = 0x52434546;  // "FECR"

uint64_t Fnv1a(const std::string& bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

template <typename T>
void Put(std::string* s, const T& v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
bool Get(const std::string& s, size_t* pos, T* v) {
  if (*pos + sizeof(T) > s.size()) return false;
  std::memcpy(v, s.data() + *pos, sizeof(T));
  *pos += sizeof(T);
  return true;
}

}  // namespace

std::string EmbeddingCache::ConfigDigest(const std::string& config) {
  unsigned char out[16];
  crypto_generichash(out, sizeof(out), reinterpret_cast<const unsigned char*>(config.data()),
                     config.size(), nullptr, 0);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : out) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

bool EmbeddingCache::Stat(const fs::path& p, std::string* abs, Key* key) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  if (ec) return false;
  struct stat st;
  if (::stat(a.c_str(), &st) != 0) return false;
  *abs = a.lexically_normal().string();
  key->size = static_cast<uint64_t>(st.st_size);
  key->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return true;
}

Result<std::unique_ptr<EmbeddingCache>> EmbeddingCache::Open(const fs::path& dir,
                                                             const std::string& config) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": cannot create cache folder: " + ec.message());
  std::unique_ptr<EmbeddingCache> c(new EmbeddingCache());
  c->file_ = dir / (ConfigDigest(config) + ".lfrcache");
  c->config_ = config;
  LFR_RETURN_IF_ERROR(c->Load());
  return c;
}

EmbeddingCache::~EmbeddingCache() {
  if (fp_ != nullptr) std::fclose(fp_);
}

std::string EmbeddingCache::Header(int layout) const {
  std::string header(layout == 1 ? kMagic1 : layout == 2 ? kMagic2 : kMagic, sizeof(kMagic));
  Put(&header, static_cast<uint32_t>(config_.size()));
  header += config_;
  return header;
}

std::string EmbeddingCache::Record(const std::string& abs, const Key& key, const ImageResult& r) {
  // body: path_len u32, path, size u64, mtime i64, found u8, faces i32, det f32, quality
  // f32, passed u8, verdict u8 (0 unknown, 1 enrolable, 2 refused), rules u32 (the
  // enrolment rules' version), refusal_len u32, refusal, dim u32, flip[dim], plain[dim].
  // Layout 1 had no verdict, rules and refusal; layout 2 no rules.
  std::string body;
  Put(&body, static_cast<uint32_t>(abs.size()));
  body += abs;
  Put(&body, key.size);
  Put(&body, key.mtime_ns);
  Put(&body, static_cast<uint8_t>(r.found ? 1 : 0));
  Put(&body, r.faces);
  Put(&body, r.detector_score);
  Put(&body, r.quality_score);
  Put(&body, static_cast<uint8_t>(r.quality_passed ? 1 : 0));
  Put(&body, static_cast<uint8_t>(!r.enrol_known ? 0 : r.enrolable ? 1 : 2));
  Put(&body, kEnrolmentRulesVersion);
  Put(&body, static_cast<uint32_t>(r.enrol_refusal.size()));
  body += r.enrol_refusal;
  Put(&body, static_cast<uint32_t>(r.flip.size()));
  body.append(reinterpret_cast<const char*>(r.flip.data()), r.flip.size() * sizeof(float));
  body.append(reinterpret_cast<const char*>(r.plain.data()), r.plain.size() * sizeof(float));
  std::string rec;
  Put(&rec, kRecordMagic);
  Put(&rec, static_cast<uint32_t>(body.size()));
  rec += body;
  Put(&rec, Fnv1a(body));
  return rec;
}

Status EmbeddingCache::Load() {
  std::string data;
  if (std::FILE* in = std::fopen(file_.c_str(), "rb")) {
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), in)) > 0) data.append(buf, n);
    std::fclose(in);
  }
  const std::string header = Header(3);
  int layout = 0;
  for (int l : {1, 2, 3}) {
    const std::string h = Header(l);
    if (data.size() >= h.size() && data.compare(0, h.size(), h) == 0) layout = l;
  }
  size_t good_end = 0;
  if (layout != 0) {
    size_t pos = header.size();
    good_end = pos;
    while (pos < data.size()) {
      uint32_t magic = 0, len = 0;
      if (!Get(data, &pos, &magic) || magic != kRecordMagic || !Get(data, &pos, &len)) break;
      if (pos + len + sizeof(uint64_t) > data.size()) break;
      const std::string body = data.substr(pos, len);
      pos += len;
      uint64_t sum = 0;
      Get(data, &pos, &sum);
      if (sum != Fnv1a(body)) break;
      size_t p = 0;
      uint32_t path_len = 0;
      if (!Get(body, &p, &path_len) || p + path_len > body.size()) break;
      std::string path = body.substr(p, path_len);
      p += path_len;
      Key key;
      ImageResult r;
      uint8_t found = 0, passed = 0, verdict = 0;
      uint32_t dim = 0, refusal_len = 0, rules = 1;
      if (!Get(body, &p, &key.size) || !Get(body, &p, &key.mtime_ns) || !Get(body, &p, &found) ||
          !Get(body, &p, &r.faces) || !Get(body, &p, &r.detector_score) ||
          !Get(body, &p, &r.quality_score) || !Get(body, &p, &passed)) {
        break;
      }
      if (layout >= 2) {
        if (!Get(body, &p, &verdict) || verdict > 2 || (layout >= 3 && !Get(body, &p, &rules)) ||
            !Get(body, &p, &refusal_len) || p + refusal_len > body.size()) {
          break;
        }
        r.enrol_refusal = body.substr(p, refusal_len);
        p += refusal_len;
      }
      if (!Get(body, &p, &dim) || p + 2ULL * dim * sizeof(float) != body.size()) break;
      r.found = found != 0;
      r.quality_passed = passed != 0;
      // A verdict of other enrolment rules is unknown today: worked out again (cheaply).
      r.enrol_known = verdict != 0 && rules == kEnrolmentRulesVersion;
      r.enrolable = verdict == 1;
      r.flip.resize(dim);
      r.plain.resize(dim);
      std::memcpy(r.flip.data(), body.data() + p, dim * sizeof(float));
      std::memcpy(r.plain.data(), body.data() + p + dim * sizeof(float), dim * sizeof(float));
      entries_[path] = {key, std::move(r)};
      good_end = pos;
    }
  }
  if (layout == 1 || layout == 2) {
    // Upgrade: every good record rewritten in layout 3, atomically (a verdict of other rules
    // rewritten as unknown).
    const fs::path tmp = file_.string() + ".tmp";
    std::string out = header;
    for (const auto& [path, entry] : entries_) out += Record(path, entry.first, entry.second);
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) return Status::IOError(tmp.string() + ": cannot create cache file");
    const bool written = std::fwrite(out.data(), 1, out.size(), f) == out.size() && std::fflush(f) == 0;
    std::fclose(f);
    std::error_code ec;
    if (written) fs::rename(tmp, file_, ec);
    if (!written || ec) {
      fs::remove(tmp, ec);
      return Status::IOError(file_.string() + ": cannot upgrade the cache file");
    }
  } else if (good_end == 0) {
    // New file, or another layout/config: start it afresh.
    fp_ = std::fopen(file_.c_str(), "wb");
    if (fp_ == nullptr) return Status::IOError(file_.string() + ": cannot create cache file");
    if (std::fwrite(header.data(), 1, header.size(), fp_) != header.size() || std::fflush(fp_) != 0) {
      return Status::IOError(file_.string() + ": cannot write cache header");
    }
    return Status::Ok();
  } else if (good_end < data.size()) {
    // Drop a torn tail so new records follow the last good one.
    std::error_code ec;
    fs::resize_file(file_, good_end, ec);
    if (ec) return Status::IOError(file_.string() + ": cannot truncate damaged tail: " + ec.message());
  }
  fp_ = std::fopen(file_.c_str(), "ab");
  if (fp_ == nullptr) return Status::IOError(file_.string() + ": cannot open cache for appending");
  return Status::Ok();
}

bool EmbeddingCache::Lookup(const fs::path& image, ImageResult* out) const {
  std::string abs;
  Key key;
  if (!Stat(image, &abs, &key)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(abs);
  if (it == entries_.end() || it->second.first.size != key.size ||
      it->second.first.mtime_ns != key.mtime_ns) {
    return false;
  }
  *out = it->second.second;
  return true;
}

Status EmbeddingCache::Insert(const fs::path& image, const ImageResult& r) {
  std::string abs;
  Key key;
  if (!Stat(image, &abs, &key)) return Status::NotFound(image.string() + ": cannot stat");
  if (r.flip.size() != r.plain.size()) {
    return Status::InvalidArgument("cache: flip and plain embeddings differ in size");
  }
  const std::string rec = Record(abs, key, r);
  std::lock_guard<std::mutex> lock(mu_);
  if (std::fwrite(rec.data(), 1, rec.size(), fp_) != rec.size() || std::fflush(fp_) != 0) {
    return Status::IOError(file_.string() + ": cannot append to cache");
  }
  entries_[abs] = {key, r};
  return Status::Ok();
}

size_t EmbeddingCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace lfr::eval
