// Crypto-shredding. On both backends: once a deployment is closed, nothing the database
// still holds (every wrapped key left, with the master key) opens any of its sealed face
// data — which is the guarantee, since PostgreSQL may keep deleted rows' bytes in dead
// tuples and WAL segments for a while (docs/ARCHITECTURE.md). On SQLite, checked on the
// bytes of the files as well: neither lfr.db nor its WAL/SHM holds its people's names or
// embeddings in any form — not in plaintext (they never were), not as ciphertext, and not
// its wrapped data key — while another deployment's sealed data is still found there (so
// the scan works).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "testing/store_fixture.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using namespace lfr::testing;  // NOLINT: fixtures and builders

using Bytes = std::vector<uint8_t>;

class CryptoShredTest : public StoreFixture {
 protected:
  // lfr.db, lfr.db-wal and lfr.db-shm, concatenated (those that exist).
  std::string FileBytes() {
    std::string all;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::ifstream f(db_path_.string() + suffix, std::ios::binary);
      if (!f) continue;
      std::stringstream ss;
      ss << f.rdbuf();
      all += ss.str();
    }
    return all;
  }
  static bool Contains(const std::string& hay, const void* needle, size_t n) {
    return hay.find(std::string(static_cast<const char*>(needle), n)) != std::string::npos;
  }
  // A 32-byte window of a sealed blob from its middle (ciphertext) and its first 32 bytes
  // (nonce and the start of the ciphertext): either surviving anywhere counts.
  static bool ContainsBlob(const std::string& hay, const Bytes& blob) {
    if (blob.size() < 64) return Contains(hay, blob.data(), blob.size());
    return Contains(hay, blob.data(), 32) || Contains(hay, blob.data() + blob.size() / 2, 32);
  }
  std::vector<Bytes> SealedBlobsOf(int64_t dep) {
    auto raw = Raw();
    const std::string d = std::to_string(dep);
    std::vector<Bytes> out;
    for (const std::string& sql :
         {"SELECT wrapped_dek FROM deployments WHERE id = " + d,
          "SELECT display_name FROM watchlist_entries WHERE deployment_id = " + d,
          "SELECT embedding FROM entry_faces JOIN watchlist_entries e ON e.id = entry_id WHERE e.deployment_id = " + d,
          "SELECT image FROM entry_faces JOIN watchlist_entries e ON e.id = entry_id WHERE e.deployment_id = " + d,
          "SELECT crop FROM alert_media JOIN alerts a ON a.id = alert_id WHERE a.deployment_id = " + d,
          "SELECT thumbnail FROM alert_media JOIN alerts a ON a.id = alert_id WHERE a.deployment_id = " + d}) {
      for (auto& b : raw->Blobs(sql)) out.push_back(std::move(b));
    }
    return out;
  }
};

class CryptoShredBothTest : public BackendStoreFixture {};

TEST_P(CryptoShredBothTest, NothingTheDatabaseStillHoldsOpensAClosedDeploymentsFaceData) {
  const int64_t a = ActiveDeployment("A");
  const int64_t b = ActiveDeployment("B");
  const int64_t entry = store_->ListWatchlist(a, false)->at(0).id;
  auto alert = store_->RecordAlert(AlertFor(a, entry), kSystem);
  ASSERT_TRUE(alert.ok()) << alert.status().ToString();
  ASSERT_TRUE(store_->FootageKey(a, kCli).ok());  // a footage key outlives the close, by design
  // The sealed forms as an attacker with an old copy of the files might find them.
  auto raw = Raw();
  const std::string e = std::to_string(entry), al = std::to_string(alert->id);
  struct Sealed {
    Bytes blob;
    std::string aad;
  };
  std::vector<Sealed> sealed;
  for (const auto& [sql, aad] : std::vector<std::pair<std::string, std::string>>{
           {"SELECT display_name FROM watchlist_entries WHERE id = " + e, "entry:" + e + ":name"},
           {"SELECT embedding FROM entry_faces WHERE entry_id = " + e, "entry:" + e + ":embedding"},
           {"SELECT image FROM entry_faces WHERE entry_id = " + e, "entry:" + e + ":image"},
           {"SELECT crop FROM alert_media WHERE alert_id = " + al, "alert:" + al + ":crop"},
           {"SELECT thumbnail FROM alert_media WHERE alert_id = " + al, "alert:" + al + ":thumbnail"}}) {
    auto blobs = raw->Blobs(sql);
    ASSERT_EQ(blobs.size(), 1u) << sql;
    sealed.push_back({blobs[0], aad});
  }
  // The positive control: the deployment's key, unwrapped, opens them now.
  const std::string label = "deployment:" + std::to_string(a);
  auto wrapped_now = raw->Blobs("SELECT wrapped_dek FROM deployments WHERE id = " + std::to_string(a));
  ASSERT_EQ(wrapped_now.size(), 1u);
  auto dek = master_.Unwrap(wrapped_now[0], label);
  ASSERT_TRUE(dek.ok());
  for (const auto& s : sealed) EXPECT_TRUE(Open(*dek, s.blob, s.aad).ok()) << s.aad;

  ASSERT_TRUE(store_->CloseDeployment(a, kCli).ok());

  // After: the sealed rows are gone from the tables, and no key left in the database —
  // whatever its row, whatever label — opens any of them.
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM entry_faces JOIN watchlist_entries w ON w.id = entry_id "
                        "WHERE w.deployment_id = " + std::to_string(a)),
            "0");
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM alert_media WHERE alert_id = " + al), "0");
  EXPECT_EQ(raw->Scalar("SELECT count(*) FROM watchlist_entries WHERE display_name IS NOT NULL AND deployment_id = " +
                        std::to_string(a)),
            "0");
  std::vector<Bytes> keys_left;
  for (const char* sql : {"SELECT wrapped_dek FROM deployments", "SELECT wrapped_dek FROM galleries",
                          "SELECT wrapped_key FROM footage_keys"}) {
    for (auto& k : raw->Blobs(sql)) keys_left.push_back(std::move(k));
  }
  EXPECT_EQ(keys_left.size(), 2u);  // deployment B's key and A's footage key
  int opened = 0;
  for (const Bytes& wrapped : keys_left) {
    for (const std::string& any_label : {label, std::string("deployment:") + std::to_string(b),
                                         std::string("footage:") + std::to_string(a)}) {
      auto key = master_.Unwrap(wrapped, any_label);
      if (!key.ok()) continue;
      for (const auto& s : sealed) opened += Open(*key, s.blob, s.aad).ok();
    }
  }
  EXPECT_EQ(opened, 0) << "a key left in the database opens the closed deployment's face data";
  EXPECT_EQ(store_->LoadEmbeddings(a, kCli).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(store_->GetAlertMedia(alert->id, AlertMedia::kCrop, kCli).status().code(), Status::Code::kNotFound);
  if (backend() == Backend::kPostgres) {
    // The tables that held the data were VACUUMed after the close (best effort, on top).
    EXPECT_EQ(raw->Scalar("SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'entry_faces' "
                          "AND last_vacuum IS NOT NULL"),
              "1");
  }
}

LFR_STORE_BACKENDS(CryptoShredBothTest);

TEST_F(CryptoShredTest, AClosedDeploymentLeavesNoNameEmbeddingKeyOrCiphertextInTheDatabaseOrWal) {
  // Deployment A is closed; deployment B stays, as the scan's positive control.
  const int64_t a = ActiveDeployment("A");
  const int64_t b = ActiveDeployment("B");
  std::vector<std::string> names;
  std::vector<std::vector<float>> embeddings;
  for (int i = 0; i < 6; ++i) {
    WatchlistEntryInput in = Entry(a, "A-" + std::to_string(i), 100 + i);
    in.meta.display_name = "Zebediah Quartermaine-Oyelaran " + std::to_string(i);
    in.image_jpeg.assign(20000, static_cast<uint8_t>(i));  // spills into overflow pages
    names.push_back(in.meta.display_name);
    embeddings.push_back(in.embedding);
    ASSERT_TRUE(store_->AddWatchlistEntry(in, kCli).ok());
  }
  const int64_t entry = store_->ListWatchlist(a, false)->at(1).id;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store_->RecordAlert(AlertFor(a, entry), kSystem).ok());
  const int64_t b_entry = store_->ListWatchlist(b, false)->at(0).id;
  ASSERT_TRUE(store_->RecordAlert(AlertFor(b, b_entry), kSystem).ok());

  const std::vector<Bytes> a_sealed = SealedBlobsOf(a);
  const std::vector<Bytes> b_sealed = SealedBlobsOf(b);
  ASSERT_EQ(a_sealed.size(), 1u + 7 + 7 + 7 + 4 + 4);  // key, 7 names/embeddings/images, 4 crops/thumbs
  ASSERT_EQ(b_sealed.size(), 1u + 1 + 1 + 1 + 1 + 1);

  // Before: names and embeddings never reach the disk in plaintext; the sealed forms do.
  std::string before = FileBytes();
  for (const auto& n : names) EXPECT_FALSE(Contains(before, n.data(), n.size())) << n;
  for (const auto& e : embeddings) EXPECT_FALSE(Contains(before, e.data(), 64)) << "plaintext embedding";
  for (const auto& blob : a_sealed) ASSERT_TRUE(ContainsBlob(before, blob)) << "scan cannot see stored data";

  ASSERT_TRUE(store_->CloseDeployment(a, kCli).ok());

  // After, with the store still open, and again once it is closed.
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "store open" : "store closed");
    const std::string after = FileBytes();
    ASSERT_FALSE(after.empty());
    for (const auto& n : names) EXPECT_FALSE(Contains(after, n.data(), n.size())) << n;
    for (const auto& e : embeddings) EXPECT_FALSE(Contains(after, e.data(), 64));
    int survivors = 0;
    for (const auto& blob : a_sealed) survivors += ContainsBlob(after, blob);
    EXPECT_EQ(survivors, 0) << survivors << " sealed blobs or key of the closed deployment survive";
    EXPECT_FALSE(ContainsBlob(after, a_sealed[0])) << "the wrapped data key survives";
    for (const auto& blob : b_sealed) EXPECT_TRUE(ContainsBlob(after, blob)) << "positive control lost";
    store_.reset();
  }
  // The WAL was checkpointed and truncated: it holds no old page at all.
  std::error_code ec;
  EXPECT_EQ(fs::exists(db_path_.string() + "-wal") ? fs::file_size(db_path_.string() + "-wal", ec) : 0u, 0u);
  // And the shredded deployment is still on record.
  Reopen();
  auto entries = store_->ListWatchlist(a, true);
  ASSERT_EQ(entries->size(), 7u);
  EXPECT_TRUE((*entries)[0].shredded);
  EXPECT_EQ((*entries)[0].reference, "PNC-1");
}

TEST_F(CryptoShredTest, ARemovedEntryAndPurgedAlertsLeaveNoCiphertextBehind) {
  const int64_t a = ActiveDeployment("A");
  WatchlistEntryInput in = Entry(a, "GONE", 7);
  in.image_jpeg.assign(9000, 0x42);
  auto gone = store_->AddWatchlistEntry(in, kCli);
  ASSERT_TRUE(gone.ok());
  auto alert = store_->RecordAlert(AlertFor(a, gone->id), kSystem);
  ASSERT_TRUE(alert.ok());
  std::vector<Bytes> sealed;
  {
    RawDb raw(db_path_);  // SQLite: the fixture's default backend
    const std::string id = std::to_string(gone->id), al = std::to_string(alert->id);
    for (const std::string& sql : {"SELECT display_name FROM watchlist_entries WHERE id = " + id,
                                   "SELECT embedding FROM entry_faces WHERE entry_id = " + id,
                                   "SELECT image FROM entry_faces WHERE entry_id = " + id,
                                   "SELECT crop FROM alert_media WHERE alert_id = " + al,
                                   "SELECT thumbnail FROM alert_media WHERE alert_id = " + al}) {
      for (auto& b : raw.Blobs(sql)) sealed.push_back(std::move(b));
    }
  }
  ASSERT_EQ(sealed.size(), 5u);
  ASSERT_TRUE(store_->RemoveWatchlistEntry(gone->id, kCli).ok());
  clock_.Advance(25 * kMsPerHour);
  ASSERT_EQ(store_->PurgeAlertData(clock_.NowMs() - 24 * kMsPerHour, kSystem)->alerts_purged, 1);
  const std::string after = FileBytes();
  for (const auto& blob : sealed) EXPECT_FALSE(ContainsBlob(after, blob));
}

}  // namespace
}  // namespace lfr
