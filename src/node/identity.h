// An edge node's identity (issue 11): an X25519 key pair (libsodium crypto_box) made once
// on the node by `lfr node init`. The public key is what a supervisor registers for the
// node at the control room (Store::RegisterNode); what the control room sends the node
// that must stay secret (a deployment's watchlist) is sealed to it, and only this node's
// secret key opens it.
//
// The key file ($LFR_HOME/node.key by default): "lfr-node-key-1", the public key and the
// secret key in hex, one per line; created with mode 0600 and never overwritten
// (AlreadyExists-like FailedPrecondition). The secret key is held in SecretBytes (wiped
// when freed). Errors: NotFound (no file), Corrupt (not a key file, or the two keys do not
// belong together), IOError (cannot write). Thread-safety: free functions.
#ifndef LFR_NODE_IDENTITY_H_
#define LFR_NODE_IDENTITY_H_

#include <filesystem>
#include <string>

#include "privacy/crypto.h"
#include "util/status.h"

namespace lfr::node {

struct NodeIdentity {
  std::string public_key;  // 32 raw bytes
  SecretBytes secret_key;  // 32 bytes
};

std::filesystem::path DefaultIdentityPath();  // HomeDir()/node.key

// Makes a new key pair and writes it to path (whose folder must exist).
Result<NodeIdentity> CreateNodeIdentity(const std::filesystem::path& path);
Result<NodeIdentity> LoadNodeIdentity(const std::filesystem::path& path);

std::string ToHex(const std::string& bytes);
// 64 hex digits to 32 bytes; InvalidArgument otherwise.
Result<std::string> PublicKeyFromHex(const std::string& hex);

}  // namespace lfr::node

#endif  // LFR_NODE_IDENTITY_H_
