// The audit hash chain: any edit, deletion, reordering or truncation is found, at the right row.
#include "privacy/audit.h"

#include <gtest/gtest.h>

namespace lfr {
namespace {

class AuditChainTest : public ::testing::Test {
 protected:
  // (Re)builds a fresh six-row chain.
  void SetUp() override {
    rows_.clear();
    std::vector<uint8_t> raw(32, 3);
    key_ = AuditChainKey(MasterKey::FromBytes(raw.data()));
    for (int i = 1; i <= 6; ++i) {
      AuditEvent e;
      e.seq = i;
      e.time_ms = 1795599688000 + i * 1000;
      e.actor = i % 2 ? "cli:alice" : "system";
      e.action = "alert.decide";
      e.target = "alert:" + std::to_string(i);
      e.details = R"({"state":"true"})";
      ChainAuditEvent(key_, rows_.empty() ? nullptr : &rows_.back(), &e);
      rows_.push_back(e);
    }
  }
  AuditHead Head() const { return {rows_.back().seq, rows_.back().hash}; }
  AuditVerification Verify() const { return VerifyAuditChain(key_, rows_, Head()); }
  SecretBytes key_;
  std::vector<AuditEvent> rows_;
};

TEST_F(AuditChainTest, AnIntactChainVerifies) {
  EXPECT_EQ(rows_[0].prev_hash, std::string(64, '0'));
  EXPECT_EQ(rows_[1].prev_hash, rows_[0].hash);
  EXPECT_EQ(rows_[0].hash.size(), 64u);
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.rows, 6);
  EXPECT_FALSE(v.first_bad.has_value());
  EXPECT_TRUE(VerifyAuditChain(key_, {}, AuditHead{}).ok);
}

TEST_F(AuditChainTest, EditingAnyFieldOfAnyRowNamesThatRow) {
  using Edit = void (*)(AuditEvent&);
  const std::pair<const char*, Edit> edits[] = {
      {"time", [](AuditEvent& e) { e.time_ms += 1; }},
      {"actor", [](AuditEvent& e) { e.actor = "cli:mallory"; }},
      {"action", [](AuditEvent& e) { e.action = "alert.view"; }},
      {"target", [](AuditEvent& e) { e.target = "alert:99"; }},
      {"details", [](AuditEvent& e) { e.details = R"({"state":"false"})"; }},
      {"prev_hash", [](AuditEvent& e) { e.prev_hash[0] = e.prev_hash[0] == 'a' ? 'b' : 'a'; }},
      {"hash", [](AuditEvent& e) { e.hash[5] = e.hash[5] == 'a' ? 'b' : 'a'; }},
  };
  for (int k = 1; k <= 6; ++k) {
    for (const auto& [field, edit] : edits) {
      SetUp();
      auto head = Head();
      edit(rows_[k - 1]);
      AuditVerification v = VerifyAuditChain(key_, rows_, head);
      EXPECT_FALSE(v.ok) << field << " of row " << k;
      ASSERT_TRUE(v.first_bad.has_value());
      EXPECT_EQ(*v.first_bad, k) << field << ": " << v.reason;
    }
  }
}

TEST_F(AuditChainTest, AForgerWithoutTheKeyCannotRehashAnEdit) {
  auto head = Head();
  rows_[2].details = R"({"state":"false"})";
  // Recompute the chain from row 3 on with a different key (the forger's best effort).
  std::vector<uint8_t> other(32, 9);
  SecretBytes forged = AuditChainKey(MasterKey::FromBytes(other.data()));
  for (size_t i = 2; i < rows_.size(); ++i) ChainAuditEvent(forged, &rows_[i - 1], &rows_[i]);
  AuditVerification v = VerifyAuditChain(key_, rows_, head);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 3);
}

TEST_F(AuditChainTest, DeletingAMiddleRowNamesIt) {
  rows_.erase(rows_.begin() + 3);  // seq 4
  AuditVerification v = VerifyAuditChain(key_, rows_, std::nullopt);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 4);
  EXPECT_NE(v.reason.find("missing"), std::string::npos) << v.reason;
}

TEST_F(AuditChainTest, DeletingTheLastRowsIsCaughtByTheHead) {
  auto head = Head();
  rows_.pop_back();
  rows_.pop_back();
  EXPECT_TRUE(VerifyAuditChain(key_, rows_, std::nullopt).ok);  // the chain alone cannot tell
  AuditVerification v = VerifyAuditChain(key_, rows_, head);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 5);
  EXPECT_NE(v.reason.find("deleted from the end"), std::string::npos) << v.reason;
  // Every row deleted.
  AuditVerification all = VerifyAuditChain(key_, {}, head);
  EXPECT_FALSE(all.ok);
  EXPECT_EQ(all.first_bad, 1);
}

TEST_F(AuditChainTest, ReorderedRowsAreFound) {
  std::swap(rows_[1], rows_[2]);
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 2);
  // Swapping the contents but keeping the sequence numbers in place breaks the hashes.
  SetUp();
  std::swap(rows_[1].target, rows_[2].target);
  v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 2);
}

TEST_F(AuditChainTest, ARowAppendedOutsideTheStoreIsFound) {
  auto head = Head();
  AuditEvent extra;
  extra.seq = 7;
  extra.actor = "x";
  ChainAuditEvent(key_, &rows_.back(), &extra);
  rows_.push_back(extra);
  AuditVerification v = VerifyAuditChain(key_, rows_, head);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 7);
}

}  // namespace
}  // namespace lfr
