#include "match/cohort.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "match/matcher.h"

namespace lfr {
namespace {

constexpr int kFormat = 1;

Status DimMismatch(int dim, int cohort_dim, const std::string& model_id) {
  return Status::InvalidArgument("the watchlist's embeddings have " + std::to_string(dim) +
                                 " dimensions, the cohort (" + model_id + ") " + std::to_string(cohort_dim) +
                                 ": build a cohort with the watchlist's recogniser");
}

// Mean of the k largest values of *v (partially reorders it).
float TopMean(std::vector<float>* v, int k) {
  k = std::min<int>(k, static_cast<int>(v->size()));
  if (k <= 0) return 0;
  std::nth_element(v->begin(), v->begin() + (k - 1), v->end(), std::greater<float>());
  double s = 0;
  for (int i = 0; i < k; ++i) s += (*v)[i];
  return static_cast<float>(s / k);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + m, v.end());
  double hi = v[m];
  if (v.size() % 2 == 1) return hi;
  return 0.5 * (hi + *std::max_element(v.begin(), v.begin() + m));
}

// Wilson score upper bound at 95 % (z = 1.96) for k successes in n.
double WilsonUpper95(int64_t k, int64_t n) {
  if (n <= 0) return 1.0;
  const double z = 1.959963984540054, p = static_cast<double>(k) / n, nn = static_cast<double>(n);
  const double centre = p + z * z / (2 * nn);
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn));
  return std::min(1.0, (centre + half) / (1 + z * z / nn));
}

}  // namespace

Result<BackgroundCohort> BackgroundCohort::FromRows(std::string model_id, std::string model_sha256,
                                                    int dim, std::vector<float> rows,
                                                    std::vector<std::string> groups, int top_k) {
  if (dim < 1) return Status::InvalidArgument("cohort: dimension must be at least 1");
  if (top_k < 1) return Status::InvalidArgument("cohort: top_k must be at least 1");
  if (rows.size() % static_cast<size_t>(dim) != 0) {
    return Status::InvalidArgument("cohort: " + std::to_string(rows.size()) +
                                   " floats are not rows of " + std::to_string(dim));
  }
  const int64_t n = static_cast<int64_t>(rows.size() / static_cast<size_t>(dim));
  if (groups.empty()) groups.assign(static_cast<size_t>(n), "");
  if (static_cast<int64_t>(groups.size()) != n) {
    return Status::InvalidArgument("cohort: " + std::to_string(groups.size()) + " group labels for " +
                                   std::to_string(n) + " faces");
  }
  if (n < top_k + 2) {
    return Status::InvalidArgument("cohort: " + std::to_string(n) + " faces are too few (at least " +
                                   std::to_string(top_k + 2) + ")");
  }
  BackgroundCohort c;
  c.model_id_ = std::move(model_id);
  c.model_sha256_ = std::move(model_sha256);
  c.dim_ = dim;
  c.top_k_ = top_k;
  c.rows_ = std::move(rows);
  c.groups_ = std::move(groups);
  // Reference: each cohort face's hubness against the others (leave-one-out).
  std::vector<double> hub(static_cast<size_t>(n));
  std::vector<float> all(static_cast<size_t>(n)), sims(static_cast<size_t>(n - 1));
  for (int64_t i = 0; i < n; ++i) {
    DotProducts(c.rows_.data(), static_cast<int>(n), dim, &c.rows_[static_cast<size_t>(i * dim)], all.data());
    std::copy(all.begin(), all.begin() + i, sims.begin());
    std::copy(all.begin() + i + 1, all.end(), sims.begin() + i);
    hub[static_cast<size_t>(i)] = TopMean(&sims, top_k);
  }
  c.ref_median_ = Median(hub);
  std::vector<double> dev(hub.size());
  for (size_t i = 0; i < hub.size(); ++i) dev[i] = std::fabs(hub[i] - c.ref_median_);
  c.ref_mad_ = Median(dev);
  return c;
}

EntryForecast BackgroundCohort::Score(const float* entry, float threshold, const ForecastOptions& options,
                                      std::vector<float>* sims) const {
  const int64_t m = size();
  sims->resize(static_cast<size_t>(m));
  DotProducts(rows_.data(), static_cast<int>(m), dim_, entry, sims->data());
  EntryForecast ef;
  for (float s : *sims) {
    if (s >= threshold) ++ef.cohort_hits;
    ef.top_score = std::max(ef.top_score, s);
  }
  ef.rate = m ? static_cast<double>(ef.cohort_hits) / static_cast<double>(m) : 0;
  std::vector<float> work = *sims;
  ef.hubness = TopMean(&work, options.top_k);
  ef.hub_z = (ef.hubness - ref_median_) / (1.4826 * std::max(ref_mad_, 1e-6));
  return ef;
}

int FlagHubs(std::vector<EntryForecast*> entries, double median_hits, int64_t cohort_size,
             const ForecastOptions& options) {
  int hubs = 0;
  for (EntryForecast* ef : entries) {
    std::ostringstream why;
    if (ef->hub_z >= options.hub_z) {
      why.precision(3);
      why << "close to many strangers at once (mean of its " << options.top_k
          << " nearest cohort faces " << ef->hubness << ", " << ef->hub_z
          << " robust SDs above the cohort's own)";
    }
    if (ef->cohort_hits >= options.min_hits_for_hub &&
        static_cast<double>(ef->cohort_hits) >= options.hub_rate_factor * std::max(median_hits, 1.0)) {
      if (!why.str().empty()) why << "; ";
      why << ef->cohort_hits << " of " << cohort_size << " strangers would alert on it at this threshold";
    }
    ef->reason = why.str();
    ef->hub = !ef->reason.empty();
    hubs += ef->hub ? 1 : 0;
  }
  return hubs;
}

Result<WatchlistForecast> BackgroundCohort::Forecast(const float* entries, int n, int dim,
                                                     float threshold,
                                                     const ForecastOptions& options) const {
  if (dim != dim_) return DimMismatch(dim, dim_, model_id_);
  if (n < 0 || (n > 0 && entries == nullptr)) return Status::InvalidArgument("forecast: no entries");
  WatchlistForecast f;
  f.threshold = threshold;
  f.cohort_size = size();
  const int64_t m = size();
  std::vector<float> best(static_cast<size_t>(m), -2.0f);
  std::vector<float> sims;
  for (int e = 0; e < n; ++e) {
    EntryForecast ef = Score(entries + static_cast<size_t>(e) * static_cast<size_t>(dim), threshold, options, &sims);
    ef.index = e;
    for (size_t j = 0; j < sims.size(); ++j) best[j] = std::max(best[j], sims[j]);
    f.entries.push_back(ef);
  }
  // The median entry's hits: an entry far above the others at the threshold is a hub too.
  std::vector<double> hits;
  std::vector<EntryForecast*> all;
  for (auto& ef : f.entries) {
    hits.push_back(static_cast<double>(ef.cohort_hits));
    all.push_back(&ef);
  }
  f.hubs = FlagHubs(all, Median(hits), m, options);
  for (float b : best) f.faces_alerting += (n > 0 && b >= threshold) ? 1 : 0;
  f.rate = m ? static_cast<double>(f.faces_alerting) / static_cast<double>(m) : 0;
  f.rate_upper95 = WilsonUpper95(f.faces_alerting, m);
  return f;
}

HubCheck::HubCheck(const BackgroundCohort* cohort, ForecastOptions options)
    : cohort_(cohort), options_(options), best_(static_cast<size_t>(cohort->size()), -2.0f) {}

Status HubCheck::AddEntry(const float* entry, int dim) {
  if (dim != cohort_->dim()) return DimMismatch(dim, cohort_->dim(), cohort_->model_id());
  std::vector<float> sims;
  cohort_->Score(entry, 2.0f, options_, &sims);
  for (size_t j = 0; j < sims.size(); ++j) best_[j] = std::max(best_[j], sims[j]);
  const size_t keep = std::min(kKeep, sims.size());
  std::partial_sort(sims.begin(), sims.begin() + static_cast<std::ptrdiff_t>(keep), sims.end(),
                    std::greater<float>());
  sims.resize(keep);
  sims.shrink_to_fit();
  top_.push_back(std::move(sims));
  return Status::Ok();
}

Result<WatchlistForecast> HubCheck::Judge(const float* candidate, int dim, float threshold) const {
  if (dim != cohort_->dim()) return DimMismatch(dim, cohort_->dim(), cohort_->model_id());
  const int64_t m = cohort_->size();
  WatchlistForecast f;
  f.threshold = threshold;
  f.cohort_size = m;
  std::vector<float> sims;
  EntryForecast ef = cohort_->Score(candidate, threshold, options_, &sims);
  ef.index = entries();
  std::vector<double> hits;
  for (const auto& top : top_) {
    // top is descending: the hits are the leading run at or above the threshold.
    hits.push_back(static_cast<double>(
        std::upper_bound(top.begin(), top.end(), threshold, std::greater<float>()) - top.begin()));
  }
  hits.push_back(static_cast<double>(ef.cohort_hits));
  f.hubs = FlagHubs({&ef}, Median(hits), m, options_);
  f.entries.push_back(ef);
  for (size_t j = 0; j < sims.size(); ++j) f.faces_alerting += std::max(best_[j], sims[j]) >= threshold ? 1 : 0;
  f.rate = m ? static_cast<double>(f.faces_alerting) / static_cast<double>(m) : 0;
  f.rate_upper95 = WilsonUpper95(f.faces_alerting, m);
  return f;
}

Status BackgroundCohort::Save(const std::filesystem::path& path) const {
  nlohmann::json h = {{"format", kFormat},
                      {"model_id", model_id_},
                      {"model_sha256", model_sha256_},
                      {"dim", dim_},
                      {"count", size()},
                      {"top_k", top_k_},
                      {"reference_median", ref_median_},
                      {"reference_mad", ref_mad_},
                      {"groups", groups_}};
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    const std::string line = h.dump() + "\n";
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    out.write(reinterpret_cast<const char*>(rows_.data()),
              static_cast<std::streamsize>(rows_.size() * sizeof(float)));
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return Status::IOError("cannot write the cohort file " + tmp.string() + " (disk full?)");
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot write the cohort file " + path.string() + ": " + ec.message());
  return Status::Ok();
}

Result<BackgroundCohort> BackgroundCohort::Load(const std::filesystem::path& path,
                                                const std::string& model_id,
                                                const std::string& model_sha256) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::NotFound("no background cohort at " + path.string() +
                            " (build it with `lfr cohort build`)");
  }
  std::string line;
  std::getline(in, line);
  const auto h = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  auto corrupt = [&](const std::string& why) {
    return Status::Corrupt("the cohort file " + path.string() + " is damaged (" + why +
                           "): rebuild it with `lfr cohort build`");
  };
  if (!h.is_object() || h.value("format", 0) != kFormat || !h["dim"].is_number_integer() ||
      !h["count"].is_number_integer() || !h["model_id"].is_string() || !h["groups"].is_array()) {
    return corrupt("bad header");
  }
  const std::string id = h["model_id"], sha = h.value("model_sha256", "");
  if (!model_id.empty() && id != model_id) {
    return Status::FailedPrecondition("the cohort at " + path.string() + " was built with " + id +
                                      ", not " + model_id + ": build one with `lfr cohort build`");
  }
  if (!model_sha256.empty() && !sha.empty() && sha != model_sha256) {
    return Status::FailedPrecondition("the cohort at " + path.string() +
                                      " was built with other weights of " + id + ": rebuild it");
  }
  const int64_t dim = h["dim"], count = h["count"];
  if (dim < 1 || dim > 4096 || count < 0 || count > 10'000'000 ||
      static_cast<int64_t>(h["groups"].size()) != count) {
    return corrupt("implausible size");
  }
  std::vector<float> rows(static_cast<size_t>(dim * count));
  in.read(reinterpret_cast<char*>(rows.data()), static_cast<std::streamsize>(rows.size() * sizeof(float)));
  if (in.gcount() != static_cast<std::streamsize>(rows.size() * sizeof(float))) return corrupt("truncated");
  if (in.peek() != std::char_traits<char>::eof()) return corrupt("trailing bytes");
  for (float v : rows) {
    if (!std::isfinite(v)) return corrupt("not a number in the embeddings");
  }
  BackgroundCohort c;
  c.model_id_ = id;
  c.model_sha256_ = sha;
  c.dim_ = static_cast<int>(dim);
  c.top_k_ = h.value("top_k", ForecastOptions{}.top_k);
  c.rows_ = std::move(rows);
  for (const auto& g : h["groups"]) c.groups_.push_back(g.is_string() ? g.get<std::string>() : "");
  c.ref_median_ = h.value("reference_median", 0.0);
  c.ref_mad_ = h.value("reference_mad", 0.0);
  return c;
}

std::filesystem::path DefaultCohortPath(const std::filesystem::path& lfr_home, const std::string& model_id) {
  return lfr_home / "cohort" / (model_id + ".cohort");
}

}  // namespace lfr
