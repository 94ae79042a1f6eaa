#include "search/gallery_index.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/paths.h"

namespace lfr::search {
namespace {

namespace fs = std::filesystem;

constexpr char kFileMagic[8] = {'L', 'F', 'R', 'G', 'I', 'D', 'X', '1'};

std::string Aad(int64_t gallery_id, uint64_t version) {
  return "gallery:" + std::to_string(gallery_id) + ":index:" + std::to_string(version);
}

Status WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(std::string("writing the gallery index: ") + std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

fs::path DefaultGalleryIndexDir() { return HomeDir() / "galleries"; }

GalleryIndexes::GalleryIndexes(GalleryStore* store, fs::path dir, FaceIndexOptions options, bool wait_for_builds)
    : store_(store), dir_(std::move(dir)), options_(options), wait_for_builds_(wait_for_builds) {}

fs::path GalleryIndexes::PathFor(int64_t gallery_id) const {
  return dir_ / ("gallery-" + std::to_string(gallery_id) + ".index");
}

Result<std::unique_ptr<FaceIndex>> GalleryIndexes::Build(const Gallery& gallery, int dim, const Actor& by) {
  auto embeddings = store_->LoadGalleryEmbeddings(gallery.id, by);
  if (!embeddings.ok()) return embeddings.status();
  if (dim == 0 && !embeddings->empty()) dim = static_cast<int>((*embeddings)[0].embedding.size() / sizeof(float));
  if (dim == 0) return std::unique_ptr<FaceIndex>();
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  ids.reserve(embeddings->size());
  vectors.reserve(embeddings->size() * dim);
  for (const GalleryEmbedding& g : *embeddings) {
    if (g.embedding.size() != static_cast<size_t>(dim) * sizeof(float)) continue;  // another recogniser's
    const auto* v = reinterpret_cast<const float*>(g.embedding.data());
    ids.push_back(g.record_id);
    vectors.insert(vectors.end(), v, v + dim);
  }
  embeddings->clear();  // SecretBytes wipe themselves
  auto exact = std::make_unique<ExactFaceIndex>(dim);
  Status s = exact->Add(ids, vectors);
  sodium_memzero(vectors.data(), vectors.size() * sizeof(float));
  if (!s.ok()) return s;
  return std::unique_ptr<FaceIndex>(std::move(exact));
}

Result<std::unique_ptr<FaceIndex>> GalleryIndexes::OpenFile(const Gallery& gallery, const SecretBytes& key,
                                                            uint64_t* version) const {
  const fs::path path = PathFor(gallery.id);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot read " + path.string() + ": " + std::strerror(errno));
  const std::string refuse = "the sealed search index of gallery " + gallery.spec.name + " (" + path.string() + ")";
  const std::string remedy = "; refusing it. If it was not tampered with, `lfr gallery reindex " + gallery.spec.name +
                             "` deletes and rebuilds it";
  char magic[sizeof(kFileMagic)];
  const bool head_ok = ::read(fd, magic, sizeof(magic)) == static_cast<ssize_t>(sizeof(magic)) &&
                       std::memcmp(magic, kFileMagic, sizeof(magic)) == 0 &&
                       ::read(fd, version, sizeof(*version)) == static_cast<ssize_t>(sizeof(*version));
  if (!head_ok) {
    ::close(fd);
    return Status::Corrupt(refuse + " is not an OpenLFR gallery index" + remedy);
  }
  auto opened = OpenSealedFaceIndexFd(fd, key, Aad(gallery.id, *version));
  ::close(fd);
  if (!opened.ok()) {
    return Status::Corrupt(refuse + " failed authentication (tampered, truncated, or not this gallery's)" + remedy);
  }
  return opened;
}

Result<GalleryIndexes::Entry*> GalleryIndexes::Load(const Gallery& gallery, int dim, const Actor& by) {
  auto it = entries_.find(gallery.id);
  if (it != entries_.end()) return &it->second;
  auto key = store_->GalleryIndexKey(gallery.id);
  if (!key.ok()) return key.status();
  Entry e;
  const fs::path path = PathFor(gallery.id);
  std::error_code ec;
  if (fs::exists(path, ec)) {
    uint64_t version = 0;
    auto opened = OpenFile(gallery, *key, &version);
    if (!opened.ok()) return opened.status();
    if ((*opened)->dim() != dim) {
      return Status::InvalidArgument("gallery " + gallery.spec.name + " holds " + std::to_string((*opened)->dim()) +
                                     "-d embeddings; the probe's is " + std::to_string(dim) + "-d");
    }
    // An index of an older format was repaired on opening: save it in the current one.
    const auto* rr = dynamic_cast<const RerankFaceIndex*>(opened->get());
    e.saved = !(rr && rr->recoded_on_open());
    e.index = std::make_shared<ManagedFaceIndex>(std::move(opened).value(), options_);
    e.version = static_cast<int64_t>(version);
  } else {
    // Missing: rebuilt from the store. The gallery was read before its embeddings, so the
    // index holds at least what that version had.
    auto built = Build(gallery, dim, by);
    if (!built.ok()) return built.status();
    const bool large = (*built)->size() >= options_.exact_below;
    e.index = std::make_shared<ManagedFaceIndex>(std::move(built).value(), options_);
    e.version = gallery.index_version;
    if (large) LFR_RETURN_IF_ERROR(e.index->StartRebuild(nullptr));
  }
  return &entries_.emplace(gallery.id, std::move(e)).first->second;
}

Status GalleryIndexes::CatchUp(const Gallery& gallery, Entry* e, const Actor& by) {
  if (e->version == gallery.index_version) return Status::Ok();
  auto live = store_->ListGalleryRecordIds(gallery.id);
  if (!live.ok()) return live.status();
  std::vector<int64_t> missing;
  for (int64_t id : *live) {
    if (!e->index->Contains(id)) missing.push_back(id);
  }
  if (e->index->size() != static_cast<int64_t>(live->size() - missing.size())) {
    std::vector<int64_t> gone;
    LFR_RETURN_IF_ERROR(e->index->ForEach([&](std::span<const int64_t> ids, std::span<const float>) {
      for (int64_t id : ids) {
        if (!std::binary_search(live->begin(), live->end(), id)) gone.push_back(id);
      }
      return Status::Ok();
    }));
    auto removed = e->index->Remove(gone);
    if (!removed.ok()) return removed.status();
  }
  if (!missing.empty()) {
    auto embeddings = store_->LoadGalleryEmbeddings(gallery.id, by);
    if (!embeddings.ok()) return embeddings.status();
    const int dim = e->index->dim();
    std::vector<int64_t> ids;
    std::vector<float> vectors;
    for (const GalleryEmbedding& g : *embeddings) {
      if (g.embedding.size() != static_cast<size_t>(dim) * sizeof(float)) continue;
      if (!std::binary_search(missing.begin(), missing.end(), g.record_id)) continue;
      const auto* v = reinterpret_cast<const float*>(g.embedding.data());
      ids.push_back(g.record_id);
      vectors.insert(vectors.end(), v, v + dim);
    }
    embeddings->clear();
    Status s = e->index->Add(ids, vectors);
    sodium_memzero(vectors.data(), vectors.size() * sizeof(float));
    LFR_RETURN_IF_ERROR(s);
  }
  e->version = gallery.index_version;
  e->saved = false;
  return Status::Ok();
}

Status GalleryIndexes::SaveLocked(int64_t gallery_id, Entry* e) {
  if (e->index->building()) return Status::Ok();  // saved once the build is in
  auto key = store_->GalleryIndexKey(gallery_id);
  if (!key.ok()) return key.status();
  const uint64_t version = static_cast<uint64_t>(e->version);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  const fs::path path = PathFor(gallery_id);
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot write " + tmp.string() + ": " + std::strerror(errno));
  Status s = WriteAll(fd, reinterpret_cast<const uint8_t*>(kFileMagic), sizeof(kFileMagic));
  if (s.ok()) s = WriteAll(fd, reinterpret_cast<const uint8_t*>(&version), sizeof(version));
  if (s.ok()) s = SealFaceIndexToFd(*e->index, *key, Aad(gallery_id, version), fd);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IOError("cannot sync " + tmp.string() + ": " + std::strerror(errno));
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::IOError("cannot rename " + tmp.string() + ": " + std::strerror(errno));
  }
  if (!s.ok()) {
    fs::remove(tmp, ec);
    return s;
  }
  e->saved = true;
  return Status::Ok();
}

Result<std::shared_ptr<ManagedFaceIndex>> GalleryIndexes::Get(const Gallery& gallery, int dim, const Actor& by) {
  if (gallery.deleted) {
    return Status::FailedPrecondition("gallery " + gallery.spec.name + " was deleted");
  }
  std::lock_guard lock(mu_);
  auto e = Load(gallery, dim, by);
  if (!e.ok()) return e.status();
  if ((*e)->index->dim() != dim) {
    return Status::InvalidArgument("gallery " + gallery.spec.name + " holds " + std::to_string((*e)->index->dim()) +
                                   "-d embeddings; the probe's is " + std::to_string(dim) + "-d");
  }
  LFR_RETURN_IF_ERROR(CatchUp(gallery, *e, by));
  if (wait_for_builds_ && (*e)->index->building()) {
    LFR_RETURN_IF_ERROR((*e)->index->WaitForBuild());
    (*e)->saved = false;
  }
  if (!(*e)->saved) {
    // A build that finished since the last save is saved now; a failed save is not a failed
    // search (the index in memory is current), it is tried again next time.
    (void)SaveLocked(gallery.id, *e);
  }
  return (*e)->index;
}

Status GalleryIndexes::Refresh(const Gallery& gallery, const Actor& by) {
  if (gallery.deleted) return Forget(gallery.id);
  std::lock_guard lock(mu_);
  auto it = entries_.find(gallery.id);
  Entry* e = nullptr;
  if (it != entries_.end()) {
    e = &it->second;
  } else {
    std::error_code ec;
    if (!fs::exists(PathFor(gallery.id), ec)) return Status::Ok();  // built on the next search
    auto key = store_->GalleryIndexKey(gallery.id);
    if (!key.ok()) return key.status();
    uint64_t version = 0;
    auto opened = OpenFile(gallery, *key, &version);
    if (!opened.ok()) return opened.status();
    Entry fresh;
    fresh.index = std::make_shared<ManagedFaceIndex>(std::move(opened).value(), options_);
    fresh.version = static_cast<int64_t>(version);
    fresh.saved = true;
    e = &entries_.emplace(gallery.id, std::move(fresh)).first->second;
  }
  LFR_RETURN_IF_ERROR(CatchUp(gallery, e, by));
  if (wait_for_builds_ && e->index->building()) {
    LFR_RETURN_IF_ERROR(e->index->WaitForBuild());
    e->saved = false;
  }
  if (!e->saved) return SaveLocked(gallery.id, e);
  return Status::Ok();
}

Status GalleryIndexes::Forget(int64_t gallery_id) {
  std::shared_ptr<ManagedFaceIndex> dropped;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(gallery_id);
    if (it != entries_.end()) {
      dropped = std::move(it->second.index);
      entries_.erase(it);
    }
  }
  std::error_code ec;
  fs::remove(PathFor(gallery_id).string() + ".tmp", ec);
  fs::remove(PathFor(gallery_id), ec);
  if (ec) return Status::IOError("cannot delete " + PathFor(gallery_id).string() + ": " + ec.message());
  return Status::Ok();
}

Result<int64_t> GalleryIndexes::Reindex(const Gallery& gallery, const Actor& by) {
  if (gallery.deleted) return Status::FailedPrecondition("gallery " + gallery.spec.name + " was deleted");
  LFR_RETURN_IF_ERROR(Forget(gallery.id));
  std::lock_guard lock(mu_);
  auto built = Build(gallery, 0, by);
  if (!built.ok()) return built.status();
  if (!*built) return int64_t{0};
  Entry e;
  const bool large = (*built)->size() >= options_.exact_below;
  e.index = std::make_shared<ManagedFaceIndex>(std::move(built).value(), options_);
  e.version = gallery.index_version;
  if (large) {
    LFR_RETURN_IF_ERROR(e.index->StartRebuild(nullptr));
    LFR_RETURN_IF_ERROR(e.index->WaitForBuild());
  }
  Entry* in = &entries_.emplace(gallery.id, std::move(e)).first->second;
  LFR_RETURN_IF_ERROR(SaveLocked(gallery.id, in));
  return in->index->size();
}

Status GalleryIndexes::Save(int64_t gallery_id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(gallery_id);
  if (it == entries_.end()) return Status::NotFound("no index of gallery " + std::to_string(gallery_id) + " in memory");
  if (it->second.index->building()) LFR_RETURN_IF_ERROR(it->second.index->WaitForBuild());
  return SaveLocked(gallery_id, &it->second);
}

}  // namespace lfr::search
