#include "eval/closed_set.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include <opencv2/core.hpp>

namespace lfr::eval {
namespace {

struct Probe {
  int person = 0;
  int64_t record = -1;  // its own gallery row; -1 when it has no face
};

}  // namespace

Result<ClosedSetResult> RunClosedSet(const std::vector<EvalIdentity>& people, const ClosedSetOptions& o) {
  if (o.max_rank < 1) return Status::InvalidArgument("max rank must be at least 1");
  if (o.max_probes_per_person < 1) return Status::InvalidArgument("probes per person must be at least 1");
  ClosedSetResult r;
  // The gallery: one row per image with a face.
  std::vector<int> owner;                 // gallery row -> person index
  std::vector<const std::vector<float>*> rows;
  std::vector<std::vector<int64_t>> image_row(people.size());  // person, image -> row or -1
  for (size_t p = 0; p < people.size(); ++p) {
    if (people[p].source != "lfw") continue;
    bool any = false;
    for (const auto& img : people[p].images) {
      const auto& e = o.flip ? img.result.flip : img.result.plain;
      if (!img.result.found || e.empty()) {
        image_row[p].push_back(-1);
        ++r.gallery_no_face;
        continue;
      }
      image_row[p].push_back(static_cast<int64_t>(rows.size()));
      rows.push_back(&e);
      owner.push_back(static_cast<int>(p));
      any = true;
    }
    if (any) ++r.gallery_people;
  }
  r.gallery_records = static_cast<int64_t>(rows.size());

  // The probes: people with two or more images, capped per person.
  std::mt19937_64 rng(o.seed);
  std::vector<Probe> probes;
  for (size_t p = 0; p < people.size(); ++p) {
    if (people[p].source != "lfw" || people[p].images.size() < 2) continue;
    std::vector<size_t> order(people[p].images.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(std::min<size_t>(order.size(), o.max_probes_per_person));
    for (size_t i : order) probes.push_back({static_cast<int>(p), image_row[p][i]});
    ++r.people_probed;
  }
  if (probes.empty()) return Status::InvalidArgument("no LFW person with two or more images: nothing to probe");
  r.probes = static_cast<int64_t>(probes.size());
  std::vector<int64_t> at_rank(o.max_rank + 1, 0);  // at_rank[k]: first mate exactly at rank k

  const int dim = rows.empty() ? 0 : static_cast<int>(rows[0]->size());
  cv::Mat gallery(static_cast<int>(rows.size()), std::max(dim, 1), CV_32F, cv::Scalar(0));
  for (size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<int>(rows[i]->size()) != dim) {
      return Status::InvalidArgument("embeddings of different dimensions in one evaluation");
    }
    std::copy(rows[i]->begin(), rows[i]->end(), gallery.ptr<float>(static_cast<int>(i)));
  }
  // Searched probes in blocks: scores = block x gallery^T.
  std::vector<const Probe*> searched;
  for (const auto& pr : probes) {
    if (pr.record < 0) ++r.probes_no_face;
    else searched.push_back(&pr);
  }
  constexpr int kBlock = 256;
  cv::Mat block, scores;
  for (size_t b = 0; b < searched.size(); b += kBlock) {
    const int n = static_cast<int>(std::min<size_t>(kBlock, searched.size() - b));
    block.create(n, dim, CV_32F);
    for (int i = 0; i < n; ++i) gallery.row(static_cast<int>(searched[b + i]->record)).copyTo(block.row(i));
    cv::gemm(block, gallery, 1.0, cv::noArray(), 0.0, scores, cv::GEMM_2_T);
    for (int i = 0; i < n; ++i) {
      const Probe& pr = *searched[b + i];
      const float* s = scores.ptr<float>(i);
      float best_mate = -std::numeric_limits<float>::infinity();
      bool mate = false;
      for (int64_t g = 0; g < r.gallery_records; ++g) {
        if (owner[g] == pr.person && g != pr.record) {
          best_mate = std::max(best_mate, s[g]);
          mate = true;
        }
      }
      if (!mate) {
        ++r.probes_mate_not_enrolled;
        continue;
      }
      int64_t rank = 1;
      for (int64_t g = 0; g < r.gallery_records && rank <= o.max_rank; ++g) {
        if (owner[g] != pr.person && s[g] >= best_mate) ++rank;
      }
      if (rank <= o.max_rank) ++at_rank[rank];
    }
  }
  int64_t hits = 0;
  for (int k = 1; k <= o.max_rank; ++k) {
    hits += at_rank[k];
    r.cmc.push_back({hits, r.probes});
  }
  return r;
}

nlohmann::json ClosedSetResultToJson(const ClosedSetResult& r) {
  nlohmann::json cmc = nlohmann::json::array();
  for (const auto& rate : r.cmc) cmc.push_back(rate.value());
  nlohmann::json j = {{"gallery_records", r.gallery_records},
                      {"gallery_people", r.gallery_people},
                      {"gallery_no_face", r.gallery_no_face},
                      {"people_probed", r.people_probed},
                      {"probes", r.probes},
                      {"probes_no_face", r.probes_no_face},
                      {"probes_mate_not_enrolled", r.probes_mate_not_enrolled},
                      {"cmc", cmc}};
  for (int k : {1, 5, 10, 20}) {
    if (k <= static_cast<int>(r.cmc.size())) j["rank" + std::to_string(k)] = RateToJson(r.cmc[k - 1]);
  }
  return j;
}

}  // namespace lfr::eval
