#include "privacy/crypto.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <sodium.h>

#include "util/paths.h"

namespace lfr {
namespace fs = std::filesystem;

static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kKeyBytes == crypto_kdf_KEYBYTES);

Status InitCrypto() {
  static const int rc = sodium_init();  // thread-safe once; 1 = already initialised
  if (rc < 0) return Status::Internal("libsodium failed to initialise");
  return Status::Ok();
}

// ---- SecretBytes -------------------------------------------------------------------------

SecretBytes::SecretBytes(size_t n) {
  if (n == 0) return;
  data_ = new uint8_t[n]();
  size_ = n;
  sodium_mlock(data_, size_);  // best effort: the OS may refuse (RLIMIT_MEMLOCK)
}

SecretBytes::SecretBytes(const uint8_t* p, size_t n) : SecretBytes(n) {
  if (n > 0) std::memcpy(data_, p, n);
}

SecretBytes::~SecretBytes() { Release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void SecretBytes::Release() {
  if (data_ != nullptr) {
    sodium_munlock(data_, size_);  // zeroes the bytes, then unlocks
    sodium_memzero(data_, size_);  // in case munlock could not run
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
}

SecretBytes RandomKey() {
  (void)InitCrypto();
  SecretBytes key(kKeyBytes);
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string Sha256Hex(std::string_view bytes) {
  (void)InitCrypto();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

// ---- Seal / Open -------------------------------------------------------------------------

namespace {
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;

const unsigned char* AadPtr(std::string_view aad) {
  return reinterpret_cast<const unsigned char*>(aad.data());
}
}  // namespace

Result<std::vector<uint8_t>> Seal(const SecretBytes& key, std::span<const uint8_t> plaintext,
                                  std::string_view aad) {
  LFR_RETURN_IF_ERROR(InitCrypto());
  if (key.size() != kKeyBytes) {
    return Status::InvalidArgument("sealing key must be " + std::to_string(kKeyBytes) + " bytes");
  }
  std::vector<uint8_t> out(kNonce + plaintext.size() + kTag);
  randombytes_buf(out.data(), kNonce);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kNonce, &written, plaintext.data(),
                                                 plaintext.size(), AadPtr(aad), aad.size(),
                                                 nullptr, out.data(), key.data()) != 0) {
    return Status::Internal("XChaCha20-Poly1305 encryption failed");
  }
  out.resize(kNonce + written);
  return out;
}

Result<SecretBytes> Open(const SecretBytes& key, std::span<const uint8_t> sealed,
                         std::string_view aad) {
  LFR_RETURN_IF_ERROR(InitCrypto());
  if (key.size() != kKeyBytes) {
    return Status::InvalidArgument("opening key must be " + std::to_string(kKeyBytes) + " bytes");
  }
  if (sealed.size() < kNonce + kTag) {
    return Status::Corrupt("sealed blob for " + std::string(aad) + " is too short (" +
                           std::to_string(sealed.size()) + " bytes)");
  }
  SecretBytes plain(sealed.size() - kNonce - kTag);
  unsigned long long written = 0;
  // A zero-length plaintext still needs a valid output pointer.
  uint8_t empty = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.empty() ? &empty : plain.data(), &written,
                                                 nullptr, sealed.data() + kNonce,
                                                 sealed.size() - kNonce, AadPtr(aad), aad.size(),
                                                 sealed.data(), key.data()) != 0) {
    return Status::Corrupt("sealed blob for " + std::string(aad) +
                           " failed authentication (wrong key, wrong row, or altered bytes)");
  }
  return plain;
}

// ---- MasterKey ---------------------------------------------------------------------------

namespace {

// Parses exactly 64 hex characters (surrounding whitespace allowed) into a key.
Result<SecretBytes> ParseHexKey(std::string_view text, const std::string& where) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  const std::string_view hex = text.substr(b, e - b);
  SecretBytes key(kKeyBytes);
  size_t bin_len = 0;
  const char* end = nullptr;
  if (hex.size() != 2 * kKeyBytes ||
      sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &bin_len, &end) != 0 ||
      bin_len != kKeyBytes || end != hex.data() + hex.size()) {
    return Status::Corrupt(where + " is not a master key: expected " +
                           std::to_string(2 * kKeyBytes) + " hex characters");
  }
  return key;
}

}  // namespace

Result<MasterKey> MasterKey::Load(const fs::path& path) {
  LFR_RETURN_IF_ERROR(InitCrypto());
  if (const char* env = std::getenv("LFR_MASTER_KEY"); env != nullptr && *env != '\0') {
    auto key = ParseHexKey(env, "LFR_MASTER_KEY");
    if (!key.ok()) return key.status();
    return MasterKey(std::move(key).value());
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Status::NotFound("no master key: " + path.string() +
                              " does not exist and LFR_MASTER_KEY is not set");
    }
    return Status::IOError("cannot read master key " + path.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::Corrupt("master key " + path.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::FailedPrecondition("master key " + path.string() + " is readable by others (mode " +
                                      mode + "); refusing to use it. Fix with: chmod 600 " +
                                      path.string());
  }
  if (st.st_uid != ::geteuid()) {
    return Status::FailedPrecondition("master key " + path.string() +
                                      " is owned by another user (uid " + std::to_string(st.st_uid) +
                                      "); refusing to use it");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::IOError("cannot read master key " + path.string() + ": " + std::strerror(errno));
  }
  SecretBytes text(256);
  ssize_t n = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n < 0) return Status::IOError("cannot read master key " + path.string());
  auto key = ParseHexKey(std::string_view(reinterpret_cast<const char*>(text.data()), n),
                         "master key file " + path.string());
  if (!key.ok()) return key.status();
  return MasterKey(std::move(key).value());
}

Result<MasterKey> MasterKey::Create(const fs::path& path) {
  LFR_RETURN_IF_ERROR(InitCrypto());
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return Status::IOError("cannot create folder " + path.parent_path().string() + ": " +
                             ec.message());
    }
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status::FailedPrecondition("master key " + path.string() +
                                        " already exists; not overwriting it");
    }
    return Status::IOError("cannot create master key " + path.string() + ": " + std::strerror(errno));
  }
  ::fchmod(fd, 0600);
  SecretBytes key = RandomKey();
  SecretBytes hex(2 * kKeyBytes + 2);
  sodium_bin2hex(reinterpret_cast<char*>(hex.data()), hex.size(), key.data(), key.size());
  hex.data()[2 * kKeyBytes] = '\n';
  const bool ok = ::write(fd, hex.data(), 2 * kKeyBytes + 1) == static_cast<ssize_t>(2 * kKeyBytes + 1) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Status::IOError("cannot write master key " + path.string() + ": " + std::strerror(err));
  }
  return MasterKey(std::move(key));
}

MasterKey MasterKey::FromBytes(const uint8_t* bytes) {
  (void)InitCrypto();
  return MasterKey(SecretBytes(bytes, kKeyBytes));
}

MasterKey MasterKey::Clone() const { return MasterKey(SecretBytes(key_.data(), key_.size())); }

Result<std::vector<uint8_t>> MasterKey::Wrap(const SecretBytes& dek, std::string_view label) const {
  return Seal(key_, dek.span(), "dek:" + std::string(label));
}

Result<SecretBytes> MasterKey::Unwrap(std::span<const uint8_t> wrapped, std::string_view label) const {
  auto dek = Open(key_, wrapped, "dek:" + std::string(label));
  if (!dek.ok()) {
    return Status::Corrupt("cannot unwrap the data key for " + std::string(label) +
                           ": wrong master key or altered key blob");
  }
  if (dek->size() != kKeyBytes) return Status::Corrupt("data key for " + std::string(label) + " has the wrong size");
  return dek;
}

SecretBytes MasterKey::Derive(uint64_t subkey_id, const char context[8]) const {
  SecretBytes sub(kKeyBytes);
  crypto_kdf_derive_from_key(sub.data(), sub.size(), subkey_id, context, key_.data());
  return sub;
}

fs::path DefaultMasterKeyPath() { return HomeDir() / "master.key"; }

}  // namespace lfr
