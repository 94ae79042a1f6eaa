#include "match/matcher.h"

#include <algorithm>

namespace lfr {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LFR_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LFR_SIMD_CLONES
#endif

// Four rows at a time, eight lanes per row: the fixed-size inner loops vectorise, and the
// probe is loaded once per four rows.
LFR_SIMD_CLONES
void DotProductsImpl(const float* __restrict matrix, int n, int dim,
                     const float* __restrict q, float* __restrict out) {
  const int d8 = dim & ~7;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const float* r0 = matrix + static_cast<size_t>(i) * dim;
    const float* r1 = r0 + dim;
    const float* r2 = r1 + dim;
    const float* r3 = r2 + dim;
    float a0[8] = {0}, a1[8] = {0}, a2[8] = {0}, a3[8] = {0};
    for (int j = 0; j < d8; j += 8) {
      for (int l = 0; l < 8; ++l) {
        const float qv = q[j + l];
        a0[l] += r0[j + l] * qv;
        a1[l] += r1[j + l] * qv;
        a2[l] += r2[j + l] * qv;
        a3[l] += r3[j + l] * qv;
      }
    }
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int l = 0; l < 8; ++l) {
      s0 += a0[l];
      s1 += a1[l];
      s2 += a2[l];
      s3 += a3[l];
    }
    for (int j = d8; j < dim; ++j) {
      s0 += r0[j] * q[j];
      s1 += r1[j] * q[j];
      s2 += r2[j] * q[j];
      s3 += r3[j] * q[j];
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (; i < n; ++i) {
    const float* r = matrix + static_cast<size_t>(i) * dim;
    float a[8] = {0};
    for (int j = 0; j < d8; j += 8) {
      for (int l = 0; l < 8; ++l) a[l] += r[j + l] * q[j + l];
    }
    float s = 0;
    for (int l = 0; l < 8; ++l) s += a[l];
    for (int j = d8; j < dim; ++j) s += r[j] * q[j];
    out[i] = s;
  }
}

}  // namespace

void DotProducts(const float* matrix, int n, int dim, const float* query, float* out) {
  DotProductsImpl(matrix, n, dim, query, out);
}

void Matcher::Search(const float* probe, int k, std::vector<MatchHit>* hits,
                     std::vector<float>* scratch) const {
  hits->clear();
  const Watchlist& wl = *watchlist_;
  const int n = wl.rows();
  if (n == 0 || k <= 0) return;
  std::vector<float> local;
  std::vector<float>& scores = scratch ? *scratch : local;
  scores.resize(n);
  DotProducts(wl.data(), n, wl.dim(), probe, scores.data());
  // Top-k distinct subjects by a bounded insertion (k is small: 1..10).
  for (int r = 0; r < n; ++r) {
    const float s = scores[r];
    if (static_cast<int>(hits->size()) == k && s <= hits->back().score) continue;
    const int subject = wl.row_subject(r);
    auto same = std::find_if(hits->begin(), hits->end(),
                             [subject](const MatchHit& h) { return h.subject == subject; });
    if (same != hits->end()) {
      if (s <= same->score) continue;
      hits->erase(same);
    }
    MatchHit h{subject, r, s};
    auto pos = std::upper_bound(hits->begin(), hits->end(), h,
                                [](const MatchHit& a, const MatchHit& b) { return a.score > b.score; });
    hits->insert(pos, h);
    if (static_cast<int>(hits->size()) > k) hits->pop_back();
  }
}

void TrackScoreFusion::Add(const std::vector<MatchHit>& hits) {
  ++observations_;
  for (const MatchHit& h : hits) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.subject == h.subject; });
    if (it == entries_.end()) {
      entries_.push_back({h.subject, {}});
      it = entries_.end() - 1;
    }
    auto& best = it->best;
    best.insert(std::upper_bound(best.begin(), best.end(), h.score, std::greater<float>()), h.score);
    if (static_cast<int>(best.size()) > std::max(1, options_.top_k)) best.pop_back();
  }
}

float TrackScoreFusion::Fused(int subject) const {
  for (const Entry& e : entries_) {
    if (e.subject != subject || e.best.empty()) continue;
    // Mean of the best min(top_k, observations) scores; a search in which the subject was
    // not among the hits contributes 0 (its score was below every hit, i.e. unremarkable).
    const int slots = std::max(1, std::min(options_.top_k, observations_));
    float sum = 0;
    for (int i = 0; i < slots && i < static_cast<int>(e.best.size()); ++i) sum += e.best[i];
    return sum / static_cast<float>(slots);
  }
  return -2.0f;
}

std::vector<int> TrackScoreFusion::Subjects() const {
  std::vector<int> out;
  for (const Entry& e : entries_) out.push_back(e.subject);
  return out;
}

}  // namespace lfr
