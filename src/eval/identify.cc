#include "eval/identify.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <tuple>

#include <opencv2/core.hpp>

namespace lfr::eval {
namespace {

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

const std::vector<float>& Emb(const ImageResult& r, bool flip) { return flip ? r.flip : r.plain; }

// The intersection column: "<ethnicity> <sex>" groups (FairFace's race x gender).
const char* const kIntersection = "ethnicity x sex";

// The person's image indices in the seeded per-person order.
std::vector<int> PersonOrder(const EvalIdentity& id, uint64_t seed) {
  std::vector<int> order(id.images.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed ^ Fnv1a(id.name));
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

struct Probe {
  int identity = -1;
  const ImageResult* image = nullptr;
  const EvalImage* source = nullptr;  // the image (path, demographics)
};

// The image's label in a column: its own demographics, else the identity's older fields
// (sex; the "ethnicity sex" group for the intersection). "" = not recorded.
std::string Label(const EvalIdentity& id, const EvalImage& im, const std::string& column) {
  if (column == kIntersection) {
    const std::string e = Label(id, im, "ethnicity"), x = Label(id, im, "sex");
    if (!e.empty() && !x.empty()) return e + " " + x;
    return im.demographics.count("ethnicity") ? "" : id.group;
  }
  auto it = im.demographics.find(column);
  if (it != im.demographics.end()) return it->second;
  return column == "sex" ? id.sex : "";
}

// The columns present among the probes, in the order sex, ethnicity, age_band, others by
// name, then the ethnicity x sex intersection if any probe has it.
std::vector<std::string> Columns(const std::vector<EvalIdentity>& ids) {
  std::set<std::string> seen;
  bool intersection = false;
  for (const auto& id : ids) {
    if (!id.sex.empty()) seen.insert("sex");
    if (!id.group.empty()) intersection = true;
    for (const auto& im : id.images) {
      for (const auto& [k, v] : im.demographics) {
        if (!v.empty()) seen.insert(k);
      }
    }
  }
  intersection = intersection || (seen.count("sex") && seen.count("ethnicity"));
  std::vector<std::string> out;
  for (const char* c : {"sex", "ethnicity", "age_band"}) {
    if (seen.erase(c)) out.push_back(c);
  }
  out.insert(out.end(), seen.begin(), seen.end());
  if (intersection) out.push_back(kIntersection);
  return out;
}

}  // namespace

std::string FormatRate(double r) {
  if (r > 0 && r < 1) {
    const double l = std::log10(r);
    if (std::fabs(l - std::round(l)) < 1e-9) return "1e" + std::to_string(static_cast<int>(std::round(l)));
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", r);
  return buf;
}

GroupRate MakeGroupRate(const std::string& group, const Rate& rate, double reference,
                        const std::string& what) {
  GroupRate g;
  g.group = group;
  g.rate = rate;
  const double needed = reference > 0 ? 3.0 / reference : 0.0;
  g.resolvable = reference > 0 && static_cast<double>(rate.trials) >= needed;
  if (!g.resolvable) {
    g.note = "too few searches to resolve: " + std::to_string(rate.trials) + " " + what +
             " searches cannot resolve a rate of " + FormatRate(reference) +
             (reference > 0 ? " (needs about " + std::to_string(static_cast<int64_t>(std::ceil(needed))) + ")"
                            : "") +
             "; observed " + std::to_string(rate.events) + "/" + std::to_string(rate.trials);
  }
  return g;
}

double GroupsMaxMin(const std::vector<GroupRate>& groups) {
  std::vector<double> v;
  for (const auto& g : groups) {
    if (g.rate.trials > 0 && g.group != "unknown") v.push_back(g.rate.value());
  }
  return MaxMinRatio(v);
}

nlohmann::json RateToJson(const Rate& r) {
  const Interval ci = r.ci();
  return {{"value", r.value()}, {"events", r.events}, {"trials", r.trials},
          {"ci95", {ci.lo, ci.hi}}};
}

std::string RefusalKind(const std::string& why) {
  // "face fails the quality gate: turned: yaw 52° (> 45°); blurred: ..." -> the gate and
  // its first reason's kind; "3 faces found (need exactly one)" -> "several faces found".
  const std::string gate = "face fails the quality gate: ";
  if (why.rfind(gate, 0) == 0) {
    std::string first = why.substr(gate.size());
    first = first.substr(0, first.find(';'));
    if (first.rfind("implausible landmarks", 0) == 0) return gate + "implausible landmarks";
    if (first.rfind("eyes ", 0) == 0) return gate + "small face (eyes too close)";
    const size_t colon = first.find(':');
    if (colon != std::string::npos) return gate + first.substr(0, colon);
    std::string kind = first.substr(0, first.find_first_of("0123456789"));
    while (!kind.empty() && kind.back() == ' ') kind.pop_back();
    return gate + kind;
  }
  if (why.find("faces found") != std::string::npos) return "several faces found";
  return why.empty() ? "unknown" : why;
}

Result<std::vector<SizeResult>> RunIdentification(const std::vector<EvalIdentity>& ids,
                                                  const IdentifyOptions& o) {
  if (o.watchlist_sizes.empty()) return Status::InvalidArgument("no watchlist sizes given");
  if (o.enrol_images < 1 || o.reserve < 1 || o.max_probes_per_person < 1 || o.min_images < 2) {
    return Status::InvalidArgument(
        "identify: enrol_images, reserve and max_probes_per_person must be >= 1, min_images >= 2");
  }
  const int reserve = std::max(o.reserve, o.enrol_images);
  const int min_images = std::max(o.min_images, reserve + 1);
  std::vector<int> eligible, others, fairface;
  for (int i = 0; i < static_cast<int>(ids.size()); ++i) {
    if (InNonMatedSet(ids[i])) {
      fairface.push_back(i);
    } else if (static_cast<int>(ids[i].images.size()) >= min_images) {
      eligible.push_back(i);
    } else {
      others.push_back(i);
    }
  }
  {
    std::mt19937_64 rng(o.seed);
    std::shuffle(eligible.begin(), eligible.end(), rng);
    std::mt19937_64 rng2(o.seed + 1);
    std::shuffle(others.begin(), others.end(), rng2);
  }
  int dim = 0;
  for (const auto& id : ids) {
    for (const auto& im : id.images) {
      if (im.result.found) dim = static_cast<int>(Emb(im.result, o.flip).size());
      if (dim > 0) break;
    }
    if (dim > 0) break;
  }
  if (dim == 0) return Status::InvalidArgument("identify: no image has an embedding");

  const std::vector<std::string> columns = Columns(ids);
  std::vector<SizeResult> results;
  for (int n : o.watchlist_sizes) {
    if (n < 1) return Status::InvalidArgument("watchlist size must be >= 1, got " + std::to_string(n));
    SizeResult r;
    r.watchlist_size = n;
    const int mated_n = std::min<int>(n, static_cast<int>(eligible.size()));
    r.mated_people = mated_n;
    std::vector<float> gallery;  // rows of dim
    std::vector<int> row_identity;
    std::set<int> enrolled;
    std::vector<Probe> mated_probes;
    // Mated watchlist entries.
    for (int k = 0; k < mated_n; ++k) {
      const int idx = eligible[k];
      const EvalIdentity& id = ids[idx];
      enrolled.insert(idx);
      const std::vector<int> order = PersonOrder(id, o.seed);
      std::vector<double> sum(dim, 0.0);
      int used = 0;
      for (int j = 0; j < reserve && used < o.enrol_images; ++j) {
        const ImageResult& im = id.images[order[j]].result;
        if (!im.found) continue;
        if (o.enrolment_rules && !im.enrolable) {
          ++r.enrolment_refused;
          ++r.enrolment_refusals[RefusalKind(im.enrol_refusal)];
          continue;
        }
        const auto& e = Emb(im, o.flip);
        for (int d = 0; d < dim; ++d) sum[d] += e[d];
        ++used;
      }
      if (used == 0) {
        ++r.failures_to_enrol;
      } else {
        double norm = 0;
        for (double v : sum) norm += v * v;
        norm = std::sqrt(norm);
        for (double v : sum) gallery.push_back(static_cast<float>(norm > 0 ? v / norm : 0.0));
        row_identity.push_back(idx);
      }
      for (int j = reserve; j < static_cast<int>(order.size()) && j < reserve + o.max_probes_per_person; ++j) {
        mated_probes.push_back({idx, &id.images[order[j]].result, &id.images[order[j]]});
      }
    }
    // Filler.
    int filler_needed = n - mated_n;
    for (size_t k = 0; k < others.size() && filler_needed > 0; ++k) {
      const EvalIdentity& id = ids[others[k]];
      for (const auto& im : id.images) {
        if (!im.result.found) continue;
        if (o.enrolment_rules && !im.result.enrolable) {
          ++r.enrolment_refused;
          ++r.enrolment_refusals[RefusalKind(im.result.enrol_refusal)];
          continue;
        }
        const auto& e = Emb(im.result, o.flip);
        gallery.insert(gallery.end(), e.begin(), e.end());
        row_identity.push_back(others[k]);
        enrolled.insert(others[k]);
        ++r.filler;
        --filler_needed;
        break;
      }
    }
    if (filler_needed > 0) {
      return Status::InvalidArgument(
          "watchlist size " + std::to_string(n) + " is larger than the data supports (" +
          std::to_string(mated_n + r.filler) + " enrollable identities after keeping non-mated probes)");
    }
    // Non-mated probes.
    std::vector<Probe> nonmated_probes;
    for (int idx = 0; idx < static_cast<int>(ids.size()); ++idx) {
      if (enrolled.count(idx)) continue;
      const EvalIdentity& id = ids[idx];
      if (InNonMatedSet(id)) {
        for (const auto& im : id.images) nonmated_probes.push_back({idx, &im.result, &im});
        r.nonmated_fairface += static_cast<int64_t>(id.images.size());
      } else {
        const std::vector<int> order = PersonOrder(id, o.seed);
        for (int j = 0; j < static_cast<int>(order.size()) && j < o.max_probes_per_person; ++j) {
          nonmated_probes.push_back({idx, &id.images[order[j]].result, &id.images[order[j]]});
        }
      }
    }
    // Search: top-1 over the gallery for every searchable probe.
    const int rows = static_cast<int>(row_identity.size());
    cv::Mat G(rows, dim, CV_32F, gallery.data());
    auto search = [&](const std::vector<Probe>& probes, std::vector<float>* top,
                      std::vector<int>* top_identity, int64_t* not_searched) {
      top->assign(probes.size(), kNoScore);
      top_identity->assign(probes.size(), -1);
      std::vector<int> searchable;
      for (size_t i = 0; i < probes.size(); ++i) {
        const ImageResult& im = *probes[i].image;
        if (!im.found || (o.quality_gate && !im.quality_passed)) {
          ++*not_searched;
          continue;
        }
        searchable.push_back(static_cast<int>(i));
      }
      if (rows == 0) return;
      const int chunk = 1024;
      cv::Mat P, S;
      for (size_t b = 0; b < searchable.size(); b += chunk) {
        const int m = static_cast<int>(std::min<size_t>(chunk, searchable.size() - b));
        P.create(m, dim, CV_32F);
        for (int i = 0; i < m; ++i) {
          const auto& e = Emb(*probes[searchable[b + i]].image, o.flip);
          std::copy(e.begin(), e.end(), P.ptr<float>(i));
        }
        cv::gemm(P, G, 1.0, cv::noArray(), 0.0, S, cv::GEMM_2_T);
        for (int i = 0; i < m; ++i) {
          const float* s = S.ptr<float>(i);
          int best = 0;
          for (int j = 1; j < rows; ++j) {
            if (s[j] > s[best]) best = j;
          }
          (*top)[searchable[b + i]] = s[best];
          (*top_identity)[searchable[b + i]] = row_identity[best];
        }
      }
    };
    std::vector<float> m_top, nm_top;
    std::vector<int> m_id, nm_id;
    search(mated_probes, &m_top, &m_id, &r.mated_not_searched);
    search(nonmated_probes, &nm_top, &nm_id, &r.nonmated_not_searched);
    r.mated_searches = static_cast<int64_t>(mated_probes.size());
    r.nonmated_searches = static_cast<int64_t>(nonmated_probes.size());
    std::vector<float> m_score(mated_probes.size(), kNoScore);
    r.rank1.trials = r.mated_searches;
    for (size_t i = 0; i < mated_probes.size(); ++i) {
      if (m_id[i] == mated_probes[i].identity) {
        m_score[i] = m_top[i];
        ++r.rank1.events;
      }
    }
    r.nonmated_top = nm_top;
    r.mated_scores = m_score;
    for (const std::string& column : columns) {
      for (const bool mated : {true, false}) {
        const std::vector<Probe>& probes = mated ? mated_probes : nonmated_probes;
        std::vector<std::string> labels(probes.size());
        bool any = false;
        for (size_t i = 0; i < probes.size(); ++i) {
          labels[i] = Label(ids[probes[i].identity], *probes[i].source, column);
          any = any || !labels[i].empty();
        }
        if (any) (mated ? r.mated_labels : r.nonmated_labels)[column] = std::move(labels);
      }
    }
    r.det = DetCurve(m_score, nm_top, o.det_points);

    std::vector<std::pair<std::string, double>> targets;
    for (double t : o.target_fpirs) targets.emplace_back(FormatRate(t), t);
    if (r.nonmated_searches > 0) targets.emplace_back("min", 1.0 / static_cast<double>(r.nonmated_searches));
    for (const auto& [name, target] : targets) {
      OperatingPoint p;
      p.name = name;
      p.target_fpir = target;
      p.choice = ThresholdForRate(nm_top, target);
      const float t = p.choice.threshold;
      p.fnir = RateBelow(m_score, t);
      // Demographics: every column, FNIR over the mated searches, FPIR over the non-mated.
      const double fnir_ref = p.fnir.value();
      const double fpir_ref = p.choice.achieved.value() > 0 ? p.choice.achieved.value() : target;
      for (const std::string& column : columns) {
        for (const bool mated : {true, false}) {
          const std::vector<Probe>& probes = mated ? mated_probes : nonmated_probes;
          const std::vector<float>& scores = mated ? m_score : nm_top;
          std::map<std::string, std::vector<float>> by;
          for (size_t i = 0; i < probes.size(); ++i) {
            const std::string g = Label(ids[probes[i].identity], *probes[i].source, column);
            if (!g.empty()) by[g].push_back(scores[i]);
          }
          if (by.empty()) continue;
          Differential d;
          d.column = column;
          d.rate = mated ? "fnir" : "fpir";
          for (const auto& [g, v] : by) {
            d.groups.push_back(mated ? MakeGroupRate(g, RateBelow(v, t), fnir_ref, "mated")
                                     : MakeGroupRate(g, RateAtOrAbove(v, t), fpir_ref, "non-mated"));
          }
          d.max_min = GroupsMaxMin(d.groups);
          if (mated && column == "sex") {
            p.fnir_by_sex = d.groups;
            p.fnir_sex_max_min = d.max_min;
          }
          if (!mated && column == kIntersection) {
            p.fpir_by_group = d.groups;
            p.fpir_group_max_min = d.max_min;
          }
          p.differentials.push_back(std::move(d));
        }
      }
      {
        std::map<std::string, std::vector<float>> by_sex_lfw;  // identity-set non-mated probes
        for (size_t i = 0; i < nonmated_probes.size(); ++i) {
          const EvalIdentity& id = ids[nonmated_probes[i].identity];
          if (InNonMatedSet(id)) continue;
          const std::string g = Label(id, *nonmated_probes[i].source, "sex");
          if (!g.empty()) by_sex_lfw[g].push_back(nm_top[i]);
        }
        for (const auto& [g, v] : by_sex_lfw) {
          p.fpir_by_sex_lfw.push_back(MakeGroupRate(g, RateAtOrAbove(v, t), fpir_ref, "non-mated"));
        }
      }
      r.points.push_back(std::move(p));
    }
    results.push_back(std::move(r));
  }
  return results;
}

nlohmann::json GroupsToJson(const std::vector<GroupRate>& groups) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& g : groups) {
    nlohmann::json j = RateToJson(g.rate);
    j["group"] = g.group;
    j["resolvable"] = g.resolvable;
    if (!g.note.empty()) j["note"] = g.note;
    a.push_back(std::move(j));
  }
  return a;
}

namespace {
nlohmann::json RatioJson(double r) { return r > 0 ? nlohmann::json(r) : nlohmann::json(nullptr); }
nlohmann::json DifferentialsToJson(const std::vector<Differential>& ds) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& d : ds) {
    a.push_back({{"column", d.column}, {"rate", d.rate}, {"groups", GroupsToJson(d.groups)},
                 {"max_min_ratio", RatioJson(d.max_min)}});
  }
  return a;
}
}  // namespace

nlohmann::json SizeResultToJson(const SizeResult& r) {
  nlohmann::json j;
  j["watchlist_size"] = r.watchlist_size;
  j["mated_people"] = r.mated_people;
  j["filler"] = r.filler;
  j["failures_to_enrol"] = r.failures_to_enrol;
  j["enrolment_refused"] = r.enrolment_refused;
  j["enrolment_refusals"] = r.enrolment_refusals;
  j["mated_searches"] = r.mated_searches;
  j["nonmated_searches"] = r.nonmated_searches;
  j["nonmated_fairface_searches"] = r.nonmated_fairface;
  j["mated_not_searched"] = r.mated_not_searched;
  j["nonmated_not_searched"] = r.nonmated_not_searched;
  j["rank1"] = r.rank1.value();
  j["rank1_detail"] = RateToJson(r.rank1);
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : r.points) {
    const bool finite = std::isfinite(p.choice.threshold) &&
                        p.choice.threshold > -std::numeric_limits<float>::max();
    nlohmann::json pj = {
        {"name", p.name},
        {"target_fpir", p.target_fpir},
        {"resolvable", p.choice.resolvable},
        {"threshold", finite ? nlohmann::json(p.choice.threshold) : nlohmann::json(nullptr)},
        {"fpir", RateToJson(p.choice.achieved)},
        {"fnir", RateToJson(p.fnir)},
        {"fnir_by_sex", GroupsToJson(p.fnir_by_sex)},
        {"fnir_sex_max_min_ratio", RatioJson(p.fnir_sex_max_min)},
        {"fpir_by_fairface_group", GroupsToJson(p.fpir_by_group)},
        {"fpir_fairface_group_max_min_ratio", RatioJson(p.fpir_group_max_min)},
        {"fpir_by_sex_lfw", GroupsToJson(p.fpir_by_sex_lfw)},
        {"differentials", DifferentialsToJson(p.differentials)},
    };
    if (!p.choice.resolvable) {
      pj["note"] = std::to_string(r.nonmated_searches) + " non-mated searches cannot resolve FPIR " +
                   FormatRate(p.target_fpir) + " (smallest observable non-zero rate is 1/" +
                   std::to_string(r.nonmated_searches) + ")";
    }
    points.push_back(pj);
    // Flat keys for scripts: fnir_at_fpir_1e-3, threshold_at_fpir_1e-3, ...
    if (p.name != "min") {
      j["fnir_at_fpir_" + p.name] = p.choice.resolvable ? nlohmann::json(p.fnir.value()) : nlohmann::json(nullptr);
      j["threshold_at_fpir_" + p.name] =
          p.choice.resolvable && finite ? nlohmann::json(p.choice.threshold) : nlohmann::json(nullptr);
    } else {
      j["smallest_fpir"] = p.target_fpir;
      j["fnir_at_smallest_fpir"] = p.fnir.value();
      j["threshold_at_smallest_fpir"] = finite ? nlohmann::json(p.choice.threshold) : nlohmann::json(nullptr);
    }
  }
  j["operating_points"] = points;
  nlohmann::json det = nlohmann::json::array();
  for (const auto& d : r.det) det.push_back({d.threshold, d.fpir, d.fnir});
  j["det"] = {{"columns", {"threshold", "fpir", "fnir"}}, {"points", det}};
  return j;
}

ImpostorTail ComputeImpostorTail(const std::vector<EvalIdentity>& ids, bool flip, double start,
                                 double step, int top_pairs) {
  ImpostorTail t;
  t.start = start;
  t.step = step;
  std::vector<int> owner;
  std::vector<const std::string*> path;
  std::vector<float> data;
  int dim = 0;
  for (int i = 0; i < static_cast<int>(ids.size()); ++i) {
    for (const auto& im : ids[i].images) {
      if (!im.result.found) continue;
      const auto& e = Emb(im.result, flip);
      dim = static_cast<int>(e.size());
      data.insert(data.end(), e.begin(), e.end());
      owner.push_back(i);
      path.push_back(&im.path);
    }
  }
  // Min-heap of the best pairs so far: (score, i, j).
  std::vector<std::tuple<float, int, int>> heap;
  auto cmp = [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); };
  const int n = static_cast<int>(owner.size());
  if (n < 2 || dim == 0) return t;
  const int bins = static_cast<int>(std::ceil((1.0 - start) / step)) + 2;
  std::vector<int64_t> hist(bins, 0);
  cv::Mat X(n, dim, CV_32F, data.data());
  const int chunk = 512;
  cv::Mat S;
  for (int b = 0; b < n; b += chunk) {
    const int m = std::min(chunk, n - b);
    // Rows b..b+m against columns b..n (upper triangle incl. the block's own square).
    cv::Mat cols = X.rowRange(b, n);
    cv::gemm(X.rowRange(b, b + m), cols, 1.0, cv::noArray(), 0.0, S, cv::GEMM_2_T);
    for (int i = 0; i < m; ++i) {
      const float* s = S.ptr<float>(i);
      const int oi = owner[b + i];
      for (int j = i + 1; j < n - b; ++j) {
        if (owner[b + j] == oi) continue;
        ++t.comparisons;
        const float v = s[j];
        if (v > t.max_score) t.max_score = v;
        if (top_pairs > 0 && (static_cast<int>(heap.size()) < top_pairs || v > std::get<0>(heap.front()))) {
          heap.emplace_back(v, b + i, b + j);
          std::push_heap(heap.begin(), heap.end(), cmp);
          if (static_cast<int>(heap.size()) > top_pairs) {
            std::pop_heap(heap.begin(), heap.end(), cmp);
            heap.pop_back();
          }
        }
        if (v < start) continue;
        int k = static_cast<int>((v - start) / step);
        k = std::min(k, bins - 1);
        ++hist[k];
      }
    }
  }
  // count_ge[k] = #{s >= start + k*step}; trim after the first zero.
  std::vector<int64_t> ge(bins, 0);
  int64_t acc = 0;
  for (int k = bins - 1; k >= 0; --k) {
    acc += hist[k];
    ge[k] = acc;
  }
  int last = 0;
  while (last < bins && ge[last] > 0) ++last;
  ge.resize(std::min(bins, last + 1));
  t.count_ge = std::move(ge);
  std::sort(heap.begin(), heap.end(), cmp);  // highest first
  for (const auto& [v, i, j] : heap) t.top.push_back({v, *path[i], *path[j]});
  return t;
}

}  // namespace lfr::eval
