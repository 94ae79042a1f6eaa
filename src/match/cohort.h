// BackgroundCohort and the watchlist false-alert forecast: before a deployment starts, how
// often would each watchlist entry alert on a stranger, and which entries are "hubs"?
//
// One bad watchlist photo (a face lying sideways, a crop of a mouth or of background) can be
// the nearest entry to a large share of all faces and cause most of a deployment's false
// alerts. The cohort is a set of unit embeddings of public faces of strangers from many
// demographic groups, made with the same recogniser as the watchlist (`lfr cohort build`:
// the FairFace development crops in $LFR_DATA/fairface-dev, 2,100 faces, 150 per race x
// gender group, FairFace being CC BY 4.0; built at install time, never shipped in the
// repository). Each entry is scored against every cohort face:
//  * cohort_hits: cohort faces scoring >= the deployment's threshold with this entry, and
//    its rate (hits / cohort size): the entry's forecast false-alert rate per face seen;
//  * hubness: the mean of the entry's `top_k` highest cohort similarities. A hub sits close
//    to many faces at once. The cohort's own leave-one-out hubness (each cohort face against
//    the others), computed when the cohort is built, is the reference population; an entry
//    whose robust z-score (median, 1.4826 x MAD) is >= hub_z is flagged, as is an entry with
//    at least min_hits_for_hub cohort hits and hub_rate_factor times the median entry's.
//  * the whole list: the share of cohort faces that would alert on any entry, with a
//    Wilson 95 % upper bound (a cohort of 2,100 cannot resolve rates far below 1 in 1,000:
//    the bound says how far it can).
//
// Privacy: the cohort holds embeddings of public research data only, never of people seen
// by a camera; watchlist embeddings passed in are read, not kept. File format: a JSON header
// line (format, model id, model SHA-256, dim, count, reference hubness statistics, groups)
// then count x dim little-endian float32. Load() refuses a cohort of another recogniser
// (FailedPrecondition) and a truncated or malformed file (Corrupt, naming the file).
//
// Thread-safety: immutable after construction; Forecast() is const and may run concurrently.
#ifndef LFR_MATCH_COHORT_H_
#define LFR_MATCH_COHORT_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/status.h"

namespace lfr {

struct ForecastOptions {
  int top_k = 20;                 // cohort similarities averaged into hubness
  double hub_z = 4.0;             // robust z-score of hubness from which an entry is a hub
  int min_hits_for_hub = 3;       // ... or this many cohort hits at the threshold
  double hub_rate_factor = 5.0;   //     and this many times the median entry's hits
};

struct EntryForecast {
  int index = 0;                  // position in the entries passed to Forecast()
  int64_t cohort_hits = 0;        // cohort faces scoring >= threshold with this entry
  double rate = 0;                // cohort_hits / cohort size
  float top_score = -1;           // its highest cohort similarity
  float hubness = 0;              // mean of its top_k cohort similarities
  double hub_z = 0;               // robust z-score of hubness against the cohort's own
  bool hub = false;
  std::string reason;             // why it is flagged ("" if not)
};

struct WatchlistForecast {
  float threshold = 0;
  int64_t cohort_size = 0;
  int64_t faces_alerting = 0;     // cohort faces scoring >= threshold with any entry
  double rate = 0;                // faces_alerting / cohort_size
  double rate_upper95 = 0;        // Wilson 95 % upper bound of rate
  int hubs = 0;
  std::vector<EntryForecast> entries;  // in input order
};

class BackgroundCohort {
 public:
  // rows: count x dim unit vectors; groups: one label per row (e.g. "Black Female") or
  // empty. Computes the reference hubness statistics (O(count^2 x dim)). InvalidArgument
  // for a dim < 1, fewer than top_k + 2 rows or a size mismatch.
  static Result<BackgroundCohort> FromRows(std::string model_id, std::string model_sha256, int dim,
                                           std::vector<float> rows, std::vector<std::string> groups,
                                           int top_k = ForecastOptions{}.top_k);
  // Reads a cohort file; if model_id is non-empty, FailedPrecondition unless it was built
  // with that recogniser (and, when model_sha256 is non-empty, those exact weights).
  static Result<BackgroundCohort> Load(const std::filesystem::path& path,
                                       const std::string& model_id = "",
                                       const std::string& model_sha256 = "");
  // Writes atomically (temporary file, then rename). IOError naming the path.
  Status Save(const std::filesystem::path& path) const;

  // entries: n x dim unit vectors (dim must be the cohort's: InvalidArgument otherwise).
  Result<WatchlistForecast> Forecast(const float* entries, int n, int dim, float threshold,
                                     const ForecastOptions& options = {}) const;

  const std::string& model_id() const { return model_id_; }
  const std::string& model_sha256() const { return model_sha256_; }
  int dim() const { return dim_; }
  int64_t size() const { return static_cast<int64_t>(groups_.size()); }
  int top_k() const { return top_k_; }
  double reference_median() const { return ref_median_; }
  double reference_mad() const { return ref_mad_; }

 private:
  std::string model_id_, model_sha256_;
  int dim_ = 0;
  int top_k_ = 20;
  std::vector<float> rows_;
  std::vector<std::string> groups_;
  double ref_median_ = 0, ref_mad_ = 0;  // leave-one-out hubness of the cohort's own faces
};

// The default cohort file of a recogniser: $LFR_HOME/cohort/<model id>.cohort.
std::filesystem::path DefaultCohortPath(const std::filesystem::path& lfr_home, const std::string& model_id);

}  // namespace lfr

#endif  // LFR_MATCH_COHORT_H_
