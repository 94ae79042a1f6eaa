// Encryption of face data at rest: the master key, per-deployment keys and sealed blobs.
//
// Every face image and embedding OpenLFR stores is sealed with XChaCha20-Poly1305-IETF
// (libsodium) under a random 256-bit key that belongs to one deployment (a DEK). The DEK is
// stored only wrapped (sealed) by the master key. Closing a deployment deletes its wrapped
// DEK: without it nothing sealed under it can be opened again, wherever copies of the
// ciphertext survive (free pages, WAL, backups) — crypto-shredding.
//
// The master key is 32 random bytes, read from (in order):
//   LFR_MASTER_KEY       64 hex characters (for containers / secret managers), or
//   a key file           64 hex characters and a newline, mode 0600, owned by the user;
//                        default $LFR_HOME/master.key.
// A key file readable by group or others is refused (FailedPrecondition naming the file and
// the chmod that fixes it). A missing key is NotFound; malformed contents are Corrupt.
//
// Secret bytes (keys, opened plaintext) live in SecretBytes: memory locked against swap
// where the OS allows (sodium_mlock) and zeroed on destruction.
//
// Thread-safety: MasterKey and SecretBytes are immutable after construction and safe to
// use from several threads; the free functions are thread-safe.
#ifndef LFR_PRIVACY_CRYPTO_H_
#define LFR_PRIVACY_CRYPTO_H_

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace lfr {

// Initialises libsodium once (idempotent, thread-safe). Internal error if it cannot.
Status InitCrypto();

// An owned buffer of secret bytes: locked against swap (best effort), wiped on destruction
// and on move-from. Not copyable.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n);  // n zero bytes
  SecretBytes(const uint8_t* p, size_t n);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data_, size_}; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  void Release();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

constexpr size_t kKeyBytes = 32;

// A fresh random 32-byte key.
SecretBytes RandomKey();

// SHA-256 of bytes as 64 lower-case hex digits (e.g. to record that a text or an image
// existed without keeping it).
std::string Sha256Hex(std::string_view bytes);

// Seals plaintext under key (32 bytes) with associated data aad (authenticated, not
// stored: the same aad must be given to Open, e.g. "entry:17:embedding" so a blob cannot be
// swapped into another row). Output: 24-byte random nonce || ciphertext || 16-byte tag.
Result<std::vector<uint8_t>> Seal(const SecretBytes& key, std::span<const uint8_t> plaintext,
                                  std::string_view aad);
// Opens a blob from Seal. Corrupt if the key, aad or bytes are wrong (authentication fails).
Result<SecretBytes> Open(const SecretBytes& key, std::span<const uint8_t> sealed,
                         std::string_view aad);

class MasterKey {
 public:
  // LFR_MASTER_KEY if set, else the key file at path (see above for the errors).
  static Result<MasterKey> Load(const std::filesystem::path& path);
  // Creates a new random key file at path with mode 0600 (IOError if it cannot, or
  // FailedPrecondition if a file already exists there). Does not overwrite.
  static Result<MasterKey> Create(const std::filesystem::path& path);
  // From 32 raw bytes (tests).
  static MasterKey FromBytes(const uint8_t* bytes);
  // An independent copy (its own locked, wiped buffer), e.g. for a store that keeps the key.
  MasterKey Clone() const;

  // Wraps a data key for storage (Seal under the master key, aad "dek:" + label).
  Result<std::vector<uint8_t>> Wrap(const SecretBytes& dek, std::string_view label) const;
  // Corrupt when the blob was not wrapped by this master key with this label (a wrong
  // master key shows up here first).
  Result<SecretBytes> Unwrap(std::span<const uint8_t> wrapped, std::string_view label) const;
  // A 32-byte subkey for one purpose (libsodium crypto_kdf; context is 8 characters,
  // e.g. "lfraudit"). The same master key and context always give the same subkey.
  SecretBytes Derive(uint64_t subkey_id, const char context[8]) const;

 private:
  explicit MasterKey(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

// $LFR_HOME/master.key.
std::filesystem::path DefaultMasterKeyPath();

}  // namespace lfr

#endif  // LFR_PRIVACY_CRYPTO_H_
