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
// HubCheck applies the same rule at enrolment, one candidate at a time, without re-scoring
// the whole list (store/enrolment.h refuses a flagged entry unless a supervisor accepts it).
//
// Thread-safety: a BackgroundCohort is immutable after construction; Forecast() is const and
// may run concurrently. A HubCheck is not thread-safe (one per enroller).
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

// The hub check's verdict on one enrolment (store/enrolment.h, the API's upload response).
struct HubVerdict {
  bool checked = false;
  std::string not_checked;      // why not, when not (no cohort installed, no threshold, ...)
  WatchlistForecast forecast;   // when checked: entries[0] is the new entry; the list's
                                //   figures include it
  bool refused = false;         // a hub not accepted: nothing was stored
  std::string accepted_reason;  // a hub enrolled anyway with this reason (audited)
  bool hub() const { return checked && !forecast.entries.empty() && forecast.entries[0].hub; }
};

class BackgroundCohort {
 public:
  friend class HubCheck;
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

  // One entry's hits, top score, hubness and z at threshold; *sims gets its similarity to
  // every cohort face (cohort order).
  EntryForecast Score(const float* entry, float threshold, const ForecastOptions& options,
                      std::vector<float>* sims) const;
};

// Sets hub and reason on each entry by the forecast's rule (hub_z, or min_hits_for_hub hits
// and hub_rate_factor x median_hits); returns how many are hubs. cohort_size: for the text.
int FlagHubs(std::vector<EntryForecast*> entries, double median_hits, int64_t cohort_size,
             const ForecastOptions& options);

// Enrolment's view of the forecast: is one candidate entry a hub of the watchlist it is
// about to join? Keeps, per entry already on the list, its highest cohort similarities
// (the top 512, sorted: hits above 512 count as 512, which moves the median entry only when
// a quarter of a 2,100-face cohort alerts on the typical entry) and, per cohort face, its
// best similarity to any entry, so Judge() costs one pass over the cohort at any threshold.
// The cohort must outlive the HubCheck. Holds similarities, never embeddings.
class HubCheck {
 public:
  explicit HubCheck(const BackgroundCohort* cohort, ForecastOptions options = {});
  // An entry already on the watchlist (dim must be the cohort's: InvalidArgument otherwise).
  Status AddEntry(const float* entry, int dim);
  // The candidate's forecast as if it joined the list (entries[0], index = entries so far),
  // flagged by Forecast()'s rule, and the whole list's figures with it.
  Result<WatchlistForecast> Judge(const float* candidate, int dim, float threshold) const;
  int entries() const { return static_cast<int>(top_.size()); }
  const BackgroundCohort& cohort() const { return *cohort_; }

 private:
  static constexpr size_t kKeep = 512;
  const BackgroundCohort* cohort_;
  ForecastOptions options_;
  std::vector<std::vector<float>> top_;  // per entry: its kKeep highest similarities, descending
  std::vector<float> best_;              // per cohort face: best similarity over the entries
};

// The default cohort file of a recogniser: $LFR_HOME/cohort/<model id>.cohort.
std::filesystem::path DefaultCohortPath(const std::filesystem::path& lfr_home, const std::string& model_id);

}  // namespace lfr

#endif  // LFR_MATCH_COHORT_H_
