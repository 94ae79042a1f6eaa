// The audit log's hash chain: the arithmetic that makes the log tamper-evident, separate
// from where the rows are stored (store/store.h persists them).
//
// Each row carries the hash of the previous row; its own hash is a keyed BLAKE2b-256
// (libsodium crypto_generichash) over the previous hash and the row's canonical encoding,
// keyed with a subkey of the master key. Editing any field of any row, deleting or
// reordering rows, or inserting a forged row breaks the chain at (or right after) that
// row; without the master key a forger cannot recompute the hashes. Truncating the tail is
// caught by comparing the chain head with the head recorded separately (AuditHead).
//
// Thread-safety: pure functions, thread-safe.
#ifndef LFR_PRIVACY_AUDIT_H_
#define LFR_PRIVACY_AUDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "privacy/crypto.h"

namespace lfr {

struct AuditEvent {
  int64_t seq = 0;          // 1, 2, 3, ... with no gaps
  int64_t time_ms = 0;      // UTC ms
  std::string actor;        // user name, "system", or "cli:<unix user>"
  std::string action;       // e.g. "deployment.create", "alert.decide", "retention.purge"
  std::string target;       // e.g. "deployment:3", "alert:17"
  std::string details;      // JSON object text; counts and ids, never face data
  std::string prev_hash;    // hex; 64 zeros for seq 1
  std::string hash;         // hex
};

// The chain key: MasterKey::Derive(1, "lfraudit").
SecretBytes AuditChainKey(const MasterKey& master);

// The hash of e given e.prev_hash (hex, 64 characters).
std::string AuditHash(const SecretBytes& chain_key, const AuditEvent& e);

// Fills e->prev_hash from prev (nullptr for the first row) and e->hash.
void ChainAuditEvent(const SecretBytes& chain_key, const AuditEvent* prev, AuditEvent* e);

struct AuditHead {
  int64_t seq = 0;
  std::string hash;  // hex, "" when the log is empty
};

struct AuditVerification {
  bool ok = true;
  int64_t rows = 0;                   // rows checked
  std::optional<int64_t> first_bad;   // seq of the first broken row (or the expected
                                      //   seq where rows are missing)
  std::string reason;                 // e.g. "row 17: hash does not match its contents"
};

// Checks rows (in seq order as stored) and, when head is given, that the chain ends there.
AuditVerification VerifyAuditChain(const SecretBytes& chain_key,
                                   const std::vector<AuditEvent>& rows,
                                   const std::optional<AuditHead>& head);

}  // namespace lfr

#endif  // LFR_PRIVACY_AUDIT_H_
