#include "video_search/resume.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>

namespace lfr {
namespace {

Status WriteFileSynced(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot write " + path.string() + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Status::IOError("cannot write " + path.string() + ": " + why);
    }
    off += static_cast<size_t>(n);
  }
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::IOError("cannot sync " + path.string());
  return Status::Ok();
}

int64_t MtimeMs(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

}  // namespace

Result<SearchState> SearchState::Open(const std::filesystem::path& dir, const nlohmann::json& job,
                                      SecretBytes key, bool resume, int64_t now_ms) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  // Appearances are alert-like data: states abandoned for longer than alerts are kept go.
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() == ".state" && now_ms - MtimeMs(p) > kStateMaxAgeMs) std::filesystem::remove(p, ec);
  }
  SearchState s;
  const std::string sha = Sha256Hex(job.dump());
  s.path_ = dir / (sha + ".state");
  s.aad_ = "video-search:" + sha;
  s.key_ = std::move(key);
  s.state_ = {{"job", job}, {"units", nlohmann::json::array()}};
  if (resume && std::filesystem::exists(s.path_, ec)) {
    std::ifstream in(s.path_, std::ios::binary);
    std::vector<uint8_t> sealed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto plain = lfr::Open(s.key_, sealed, s.aad_);
    if (!plain.ok()) {
      return Status::Corrupt("the saved state of this search (" + s.path_.string() +
                             ") does not open: tampered with, or written under another master key");
    }
    try {
      s.state_ = nlohmann::json::parse(plain->view());
      for (const auto& u : s.state_.at("units")) {
        s.done_.insert(u.at("key").get<std::string>());
        s.media_s_ += u.at("media_s").get<double>();
        s.frames_ += u.at("frames").get<int64_t>();
        for (const auto& a : u.at("appearances")) {
          auto ok = AppearanceFromJson(a);
          if (!ok.ok()) return ok.status();
        }
      }
    } catch (const std::exception& e) {
      return Status::Corrupt("the saved state of this search (" + s.path_.string() + ") is unreadable: " + e.what());
    }
    s.resumed_ = true;
  }
  return s;
}

Status SearchState::Record(const UnitOutcome& unit) {
  nlohmann::json apps = nlohmann::json::array();
  for (const auto& a : unit.appearances) apps.push_back(AppearanceToJson(a));
  state_["units"].push_back(
      {{"key", unit.key}, {"media_s", unit.media_s}, {"frames", unit.frames}, {"appearances", std::move(apps)}});
  done_.insert(unit.key);
  media_s_ += unit.media_s;
  frames_ += unit.frames;
  return Write();
}

Status SearchState::Write() {
  const std::string text = state_.dump();
  auto sealed = Seal(key_, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()), aad_);
  if (!sealed.ok()) return sealed.status();
  const auto tmp = path_.string() + ".tmp";
  Status w = WriteFileSynced(tmp, *sealed);
  if (!w.ok()) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return w;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec) return Status::IOError("cannot replace " + path_.string() + ": " + ec.message());
  return Status::Ok();
}

std::vector<Appearance> SearchState::Appearances() const {
  std::vector<Appearance> out;
  for (const auto& u : state_["units"]) {
    for (const auto& a : u["appearances"]) {
      auto r = AppearanceFromJson(a);
      if (r.ok()) out.push_back(std::move(r).value());
    }
  }
  return out;
}

Status SearchState::Remove() {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  if (ec) return Status::IOError("cannot remove " + path_.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace lfr
