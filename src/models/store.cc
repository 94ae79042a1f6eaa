#include "models/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <curl/curl.h>
#include <sodium.h>

namespace lfr {
namespace fs = std::filesystem;

namespace {

constexpr size_t kChunk = 1 << 16;

// sodium_init() and curl_global_init() must run once before use; a function-local static
// makes that thread-safe.
void InitLibraries() {
  static const bool done = [] {
    if (sodium_init() < 0) std::abort();  // only fails if no entropy source exists at all
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

std::string Errno(int err) { return std::strerror(err); }

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.resize(n * 2);
  return out;
}

// A temporary file beside the final one, deleted unless Commit() renamed it into place.
// Hashes and counts everything written through it.
class PartialFile {
 public:
  ~PartialFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  Status Open(const fs::path& dir, const std::string& name) {
    std::array<unsigned char, 8> rnd;
    randombytes_buf(rnd.data(), rnd.size());
    fs::path p = dir / ("." + name + ".partial-" + std::to_string(::getpid()) + "-" +
                        Hex(rnd.data(), rnd.size()));
    fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IOError("cannot create " + p.string() + ": " + Errno(errno));
    path_ = std::move(p);
    crypto_hash_sha256_init(&hash_);
    return Status::Ok();
  }

  // Returns false and records the error on failure.
  bool Write(const char* data, size_t n) {
    crypto_hash_sha256_update(&hash_, reinterpret_cast<const unsigned char*>(data), n);
    written_ += n;
    while (n > 0) {
      ssize_t w = ::write(fd_, data, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        error_ = Status::IOError("cannot write " + path_.string() + ": " + Errno(errno));
        return false;
      }
      data += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  // Flushes to disk and closes; the hash is final afterwards.
  Status Finish() {
    if (!error_.ok()) return error_;
    if (::fsync(fd_) != 0) {
      return Status::IOError("cannot write " + path_.string() + ": " + Errno(errno));
    }
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return Status::IOError("cannot write " + path_.string() + ": " + Errno(errno));
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&hash_, digest);
    sha256_ = Hex(digest, sizeof digest);
    return Status::Ok();
  }

  // Atomically moves the file to its final name.
  Status Commit(const fs::path& final_path) {
    if (::rename(path_.c_str(), final_path.c_str()) != 0) {
      return Status::IOError("cannot rename " + path_.string() + " to " + final_path.string() +
                             ": " + Errno(errno));
    }
    path_.clear();
    return Status::Ok();
  }

  uint64_t written() const { return written_; }
  const std::string& sha256() const { return sha256_; }
  const Status& error() const { return error_; }

 private:
  int fd_ = -1;
  fs::path path_;
  crypto_hash_sha256_state hash_;
  uint64_t written_ = 0;
  std::string sha256_;
  Status error_;
};

// One attempt at getting a file from one source.
struct Attempt {
  Status status;
  // True when the source simply did not have the file (so trying others is normal).
  bool unavailable = false;
};

Attempt Unavailable(std::string message) { return {Status::Unavailable(std::move(message)), true}; }

// What a source reports back while writing: done bytes of the current file.
using FileProgress = std::function<void(uint64_t done)>;

Attempt CopyFromMirror(const fs::path& src, PartialFile& out, const FileProgress& progress) {
  int fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("mirror " + src.string() + ": " + Errno(errno));
  std::string buf(kChunk, '\0');
  Attempt result;
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      result = {Status::IOError("cannot read mirror file " + src.string() + ": " + Errno(errno))};
      break;
    }
    if (n == 0) break;
    if (!out.Write(buf.data(), static_cast<size_t>(n))) {
      result = {out.error()};
      break;
    }
    if (progress) progress(out.written());
  }
  ::close(fd);
  return result;
}

struct DownloadState {
  PartialFile* out;
  uint64_t limit;        // the catalogue size; more than this is refused early
  bool too_large = false;
  const FileProgress* progress;
};

size_t WriteCallback(char* data, size_t size, size_t nmemb, void* user) {
  auto* st = static_cast<DownloadState*>(user);
  size_t n = size * nmemb;
  if (st->out->written() + n > st->limit) {
    st->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  return st->out->Write(data, n) ? n : 0;
}

int XferInfoCallback(void* user, curl_off_t /*dltotal*/, curl_off_t dlnow, curl_off_t /*ultotal*/,
                     curl_off_t /*ulnow*/) {
  auto* st = static_cast<DownloadState*>(user);
  if (*st->progress && dlnow > 0) (*st->progress)(static_cast<uint64_t>(dlnow));
  return 0;
}

Attempt Download(const std::string& url, const ModelFile& file, PartialFile& out,
                 const FileProgress& progress) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return {Status::Internal("libcurl could not start a transfer")};
  DownloadState st{&out, file.size, false, &progress};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  // Abort if slower than 1 KiB/s for a minute (a stalled connection).
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "openlfr/" LFR_VERSION);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteCallback);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, XferInfoCallback);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &st);
  CURLcode rc = curl_easy_perform(curl);
  long http = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) return {};
  if (st.too_large) {
    return {Status::Corrupt(file.name + " from " + url + ": more than the catalogue's " +
                            std::to_string(file.size) + " bytes; refusing it")};
  }
  if (!out.error().ok()) return {out.error()};
  if (rc == CURLE_HTTP_RETURNED_ERROR && http >= 400) {
    return Unavailable(url + ": HTTP " + std::to_string(http));
  }
  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
  return Unavailable(url + ": " + detail);
}

// Checks a finished temp file against the catalogue; `from` names the source.
Status CheckFetched(const ModelFile& file, const PartialFile& out, const std::string& from) {
  if (out.written() != file.size) {
    return Status::Corrupt(file.name + " from " + from + ": size " + std::to_string(out.written()) +
                           " bytes does not match the catalogue's " + std::to_string(file.size) +
                           "; refusing it");
  }
  if (out.sha256() != file.sha256) {
    return Status::Corrupt(file.name + " from " + from + ": sha256 " + out.sha256() +
                           " does not match the catalogue's " + file.sha256 + "; refusing it");
  }
  return Status::Ok();
}

bool HasSize(const fs::path& p, uint64_t size) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return false;
  auto actual = fs::file_size(p, ec);
  return !ec && actual == size;
}

std::string FetchHint(const std::string& id) { return "run: lfr models fetch " + id; }

// Fetches one file into dir from the first source that has a good copy.
Status FetchFile(const std::string& id, const ModelFile& file, const fs::path& dir,
                 const std::optional<fs::path>& mirror, const FileProgress& progress) {
  const fs::path final_path = dir / file.name;
  // Sources in order: the mirror (if it has the file), then every URL.
  struct Source {
    std::string label;  // "mirror /m/x.onnx" or the URL
    std::optional<fs::path> mirror_file;
    std::string url;
  };
  std::vector<Source> sources;
  std::vector<std::string> problems;  // one per failed source, in order
  if (mirror) {
    fs::path m = *mirror / file.mirror_path;
    std::error_code ec;
    if (fs::is_regular_file(m, ec)) {
      sources.push_back({"mirror " + m.string(), m, ""});
    } else {
      problems.push_back("mirror " + m.string() + ": no such file");
    }
  }
  for (const auto& url : file.urls) sources.push_back({url, std::nullopt, url});

  bool corrupt = false;
  for (const auto& source : sources) {
    PartialFile out;
    LFR_RETURN_IF_ERROR(out.Open(dir, file.name));
    Attempt a = source.mirror_file ? CopyFromMirror(*source.mirror_file, out, progress)
                                   : Download(source.url, file, out, progress);
    if (a.status.ok()) {
      // A local I/O error (disk full, permissions) will not go away with another source.
      LFR_RETURN_IF_ERROR(out.Finish());
      a.status = CheckFetched(file, out, source.label);
    }
    if (a.status.ok()) return out.Commit(final_path);
    if (a.status.code() == Status::Code::kIOError) return a.status;
    if (a.status.code() == Status::Code::kCorrupt) corrupt = true;
    problems.push_back(a.status.message());
  }  // ~PartialFile removes the temp file of a failed attempt

  // A file with no download URL (a derived file) can only come from a mirror: say so, and
  // where the file comes from, rather than a bare "not found".
  std::string no_url;
  if (file.urls.empty()) {
    no_url = file.name + " of model \"" + id + "\" has no download URL";
    if (!file.source_note.empty()) no_url += " (" + file.source_note + ")";
    no_url += "; put it at <mirror>/" + file.mirror_path + " and set LFR_MODEL_MIRROR=<mirror>";
    if (!file.derived_from.empty()) {
      const ModelFile& up = file.derived_from.front();
      no_url += "; it is derived from " + up.name + " (" + std::to_string(up.size) +
                " bytes, sha256 " + up.sha256 + ")";
      if (!up.urls.empty()) no_url += ", " + up.urls.front();
    }
  }
  if (sources.empty() && problems.empty()) {
    if (!no_url.empty()) return Status::NotFound(no_url + "; no mirror is set");
    return Status::NotFound(file.name + " of model \"" + id +
                            "\": the catalogue lists no URL and no mirror is set (LFR_MODEL_MIRROR)");
  }
  std::string msg;
  if (problems.size() == 1 && corrupt) {
    msg = problems.front();  // already "<file> from <source>: ...; refusing it"
  } else if (problems.size() == 1) {
    msg = "could not fetch " + file.name + " of model \"" + id + "\": " + problems.front();
  } else {
    msg = "could not fetch " + file.name + " of model \"" + id + "\"; tried:";
    for (const auto& p : problems) msg += "\n  " + p;
  }
  if (!no_url.empty()) msg += "\n" + no_url;
  if (corrupt) return Status::Corrupt(msg);
  if (file.urls.empty()) return Status::NotFound(msg);
  return Status::Unavailable(msg);
}

}  // namespace

Result<std::string> Sha256File(const fs::path& path) {
  InitLibraries();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = "cannot open " + path.string() + ": " + Errno(err);
    if (err == ENOENT) return Status::NotFound(msg);
    return Status::IOError(msg);
  }
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::string buf(kChunk, '\0');
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status::IOError("cannot read " + path.string() + ": " + Errno(err));
    }
    if (n == 0) break;
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buf.data()),
                              static_cast<unsigned long long>(n));
  }
  ::close(fd);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  return Hex(digest, sizeof digest);
}

ModelStore::ModelStore(const Catalog* catalog, fs::path root, std::optional<fs::path> mirror)
    : catalog_(catalog), root_(std::move(root)), mirror_(std::move(mirror)) {
  InitLibraries();
}

bool ModelStore::IsInstalled(const ModelSpec& spec) const {
  for (const auto& f : spec.files) {
    if (!HasSize(root_ / spec.id / f.name, f.size)) return false;
  }
  return true;
}

Result<InstalledModel> ModelStore::Locate(const std::string& id) const {
  const ModelSpec* spec = catalog_->Find(id);
  if (spec == nullptr) {
    return Status::NotFound("unknown model id \"" + id +
                            "\" (lfr models list shows the catalogue)");
  }
  if (!IsInstalled(*spec)) {
    return Status::NotFound("model \"" + id + "\" is not installed; " + FetchHint(id));
  }
  InstalledModel m;
  m.spec = spec;
  std::error_code ec;
  for (const auto& f : spec->files) {
    fs::path p = root_ / spec->id / f.name;
    fs::path abs = fs::absolute(p, ec);
    m.files.push_back(ec ? p : abs);
  }
  return m;
}

Result<InstalledModel> ModelStore::DefaultFor(ModelRole role) const {
  const ModelSpec* best = nullptr;
  const ModelSpec* best_known = nullptr;  // for the hint when none is installed
  for (const auto& spec : catalog_->models()) {
    if (spec.role != role) continue;
    if (best_known == nullptr || spec.priority > best_known->priority) best_known = &spec;
    if ((best == nullptr || spec.priority > best->priority) && IsInstalled(spec)) best = &spec;
  }
  if (best != nullptr) return Locate(best->id);
  std::string msg = std::string("no ") + RoleName(role) + " model is installed";
  if (best_known != nullptr) msg += "; " + FetchHint(best_known->id);
  return Status::NotFound(msg);
}

Status ModelStore::Fetch(const ModelSpec& spec, const FetchProgress& progress) const {
  const fs::path dir = root_ / spec.id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());

  const uint64_t total = spec.total_size();
  uint64_t base = 0;  // bytes of files already in place
  for (const auto& file : spec.files) {
    const fs::path final_path = dir / file.name;
    bool good = false;
    if (HasSize(final_path, file.size)) {
      auto sha = Sha256File(final_path);
      if (!sha.ok()) return sha.status();
      good = sha.value() == file.sha256;  // else re-fetch over the bad copy
    }
    if (!good) {
      FileProgress file_progress;
      if (progress) {
        file_progress = [&progress, base, total](uint64_t done) { progress(base + done, total); };
      }
      LFR_RETURN_IF_ERROR(FetchFile(spec.id, file, dir, mirror_, file_progress));
    }
    base += file.size;
  }
  return Status::Ok();
}

Status ModelStore::Verify(const ModelSpec& spec) const {
  for (const auto& f : spec.files) {
    fs::path p = root_ / spec.id / f.name;
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      return Status::NotFound("model \"" + spec.id + "\" is not installed (" + p.string() +
                              " is missing); " + FetchHint(spec.id));
    }
    auto size = fs::file_size(p, ec);
    if (ec) return Status::IOError("cannot stat " + p.string() + ": " + ec.message());
    if (size != f.size) {
      return Status::Corrupt("installed file " + p.string() + " has " + std::to_string(size) +
                             " bytes, the catalogue says " + std::to_string(f.size) + "; " +
                             FetchHint(spec.id));
    }
    auto sha = Sha256File(p);
    if (!sha.ok()) return sha.status();
    if (sha.value() != f.sha256) {
      return Status::Corrupt("installed file " + p.string() + ": sha256 " + sha.value() +
                             " does not match the catalogue's " + f.sha256 + "; " +
                             FetchHint(spec.id));
    }
  }
  return Status::Ok();
}

}  // namespace lfr
