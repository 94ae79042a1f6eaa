#include "node/identity.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/paths.h"

namespace lfr::node {
namespace {

constexpr char kMagic[] = "lfr-node-key-1";

}  // namespace

std::filesystem::path DefaultIdentityPath() { return HomeDir() / "node.key"; }

std::string ToHex(const std::string& bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  hex.pop_back();
  return hex;
}

Result<std::string> PublicKeyFromHex(const std::string& hex) {
  std::string out(crypto_box_PUBLICKEYBYTES, '\0');
  size_t len = 0;
  if (hex.size() != 2 * crypto_box_PUBLICKEYBYTES ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(), nullptr, &len,
                     nullptr) != 0 ||
      len != crypto_box_PUBLICKEYBYTES) {
    return Status::InvalidArgument("a node's public key is 64 hex digits (as `lfr node init` prints it)");
  }
  return out;
}

Result<NodeIdentity> CreateNodeIdentity(const std::filesystem::path& path) {
  if (sodium_init() < 0) return Status::Internal("libsodium could not be initialised");
  NodeIdentity id;
  id.public_key.assign(crypto_box_PUBLICKEYBYTES, '\0');
  id.secret_key = SecretBytes(crypto_box_SECRETKEYBYTES);
  crypto_box_keypair(reinterpret_cast<unsigned char*>(id.public_key.data()), id.secret_key.data());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status::FailedPrecondition(path.string() + " already exists: a node keeps its key (remove the file only "
                                        "to make a new identity, which must then be registered again)");
    }
    return Status::IOError("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  std::string secret_hex(2 * crypto_box_SECRETKEYBYTES + 1, '\0');
  sodium_bin2hex(secret_hex.data(), secret_hex.size(), id.secret_key.data(), id.secret_key.size());
  secret_hex.pop_back();
  const std::string text = std::string(kMagic) + "\n" + ToHex(id.public_key) + "\n" + secret_hex + "\n";
  sodium_memzero(secret_hex.data(), secret_hex.size());
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  sodium_memzero(const_cast<char*>(text.data()), text.size());
  ::close(fd);
  if (!ok) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return Status::IOError("cannot write " + path.string());
  }
  return id;
}

Result<NodeIdentity> LoadNodeIdentity(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound("no node key at " + path.string() + " (make one with `lfr node init`)");
  }
  std::ifstream in(path);
  std::string magic, pub_hex, sec_hex;
  std::getline(in, magic);
  std::getline(in, pub_hex);
  std::getline(in, sec_hex);
  auto corrupt = [&](const std::string& why) {
    sodium_memzero(sec_hex.data(), sec_hex.size());
    return Status::Corrupt(path.string() + " is not a node key file: " + why);
  };
  if (magic != kMagic) return corrupt("it does not start with " + std::string(kMagic));
  auto pub = PublicKeyFromHex(pub_hex);
  if (!pub.ok()) return corrupt("bad public key");
  NodeIdentity id;
  id.public_key = *pub;
  id.secret_key = SecretBytes(crypto_box_SECRETKEYBYTES);
  size_t len = 0;
  if (sec_hex.size() != 2 * crypto_box_SECRETKEYBYTES ||
      sodium_hex2bin(id.secret_key.data(), id.secret_key.size(), sec_hex.data(), sec_hex.size(), nullptr, &len,
                     nullptr) != 0 ||
      len != crypto_box_SECRETKEYBYTES) {
    return corrupt("bad secret key");
  }
  sodium_memzero(sec_hex.data(), sec_hex.size());
  unsigned char derived[crypto_box_PUBLICKEYBYTES];
  crypto_scalarmult_base(derived, id.secret_key.data());
  const bool match = sodium_memcmp(derived, id.public_key.data(), sizeof derived) == 0;
  if (!match) return Status::Corrupt(path.string() + ": the public and secret keys do not belong together");
  return id;
}

}  // namespace lfr::node
