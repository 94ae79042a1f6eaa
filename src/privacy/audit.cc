#include "privacy/audit.h"

#include <sodium.h>

namespace lfr {

namespace {

constexpr size_t kHashBytes = 32;
const std::string kZeroHash(2 * kHashBytes, '0');

void PutU64(crypto_generichash_state* st, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  crypto_generichash_update(st, b, sizeof b);
}

// Length-prefixed, so no two different rows encode the same way.
void PutString(crypto_generichash_state* st, const std::string& s) {
  PutU64(st, s.size());
  crypto_generichash_update(st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

}  // namespace

SecretBytes AuditChainKey(const MasterKey& master) { return master.Derive(1, "lfraudit"); }

std::string AuditHash(const SecretBytes& chain_key, const AuditEvent& e) {
  (void)InitCrypto();
  crypto_generichash_state st;
  crypto_generichash_init(&st, chain_key.data(), chain_key.size(), kHashBytes);
  PutString(&st, "openlfr-audit-v1");
  PutString(&st, e.prev_hash);
  PutU64(&st, static_cast<uint64_t>(e.seq));
  PutU64(&st, static_cast<uint64_t>(e.time_ms));
  PutString(&st, e.actor);
  PutString(&st, e.action);
  PutString(&st, e.target);
  PutString(&st, e.details);
  uint8_t out[kHashBytes];
  crypto_generichash_final(&st, out, sizeof out);
  char hex[2 * kHashBytes + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

void ChainAuditEvent(const SecretBytes& chain_key, const AuditEvent* prev, AuditEvent* e) {
  e->prev_hash = prev == nullptr ? kZeroHash : prev->hash;
  e->hash = AuditHash(chain_key, *e);
}

AuditVerification VerifyAuditChain(const SecretBytes& chain_key, const std::vector<AuditEvent>& rows,
                                   const std::optional<AuditHead>& head) {
  AuditVerification v;
  auto broken = [&v](int64_t seq, std::string why) {
    v.ok = false;
    v.first_bad = seq;
    v.reason = "row " + std::to_string(seq) + ": " + std::move(why);
    return v;
  };
  std::string prev_hash = kZeroHash;
  for (size_t i = 0; i < rows.size(); ++i) {
    const AuditEvent& e = rows[i];
    const int64_t expected = static_cast<int64_t>(i) + 1;
    if (e.seq != expected) {
      if (e.seq > expected) {
        return broken(expected, "missing (the next row is " + std::to_string(e.seq) + ")");
      }
      return broken(expected, "out of order (found row " + std::to_string(e.seq) + " in its place)");
    }
    if (e.prev_hash != prev_hash) {
      return broken(e.seq, "does not link to the row before it (previous-hash mismatch)");
    }
    if (AuditHash(chain_key, e) != e.hash) {
      return broken(e.seq, "hash does not match its contents (edited, or forged without the key)");
    }
    prev_hash = e.hash;
    ++v.rows;
  }
  if (head) {
    const int64_t last = rows.empty() ? 0 : rows.back().seq;
    if (last < head->seq) {
      return broken(last + 1, "missing: the log ends at row " + std::to_string(last) +
                                  " but its recorded head is row " + std::to_string(head->seq) +
                                  " (rows deleted from the end)");
    }
    if (last > head->seq) {
      return broken(head->seq + 1, "beyond the recorded head (row " + std::to_string(head->seq) +
                                       "): added outside OpenLFR");
    }
    if (last > 0 && rows.back().hash != head->hash) {
      return broken(last, "hash differs from the recorded head");
    }
  }
  return v;
}

}  // namespace lfr
