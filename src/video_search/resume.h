// The resume state of a forensic video search (video_search/video_search.h): which units
// have been searched to their end and the appearances of listed people found in them, so
// that an interrupted search continued with the same command skips what was done.
//
// What it holds: the job's description (sources, list, time range, threshold — no face
// data), per finished unit its key, seconds and frames searched, and its appearances
// (subject, times, best face's scores; never a crop). Nothing about faces that matched
// nobody is in it, as nothing about them leaves the pipeline.
//
// On disk: <dir>/<SHA-256 of the job>.state, sealed (privacy/crypto.h Seal, XChaCha20-
// Poly1305, aad "video-search:<job sha>") under the caller's key (the CLI: a subkey of
// the master key), mode 0600, rewritten whole through a temporary file and a rename at
// each unit, so a kill leaves the previous or the next state, never half of one.
// Appearances are alert-like data: a state older than kStateMaxAgeMs (24 h, the alert
// retention) is deleted by the next Open() in that folder, and Remove() deletes the state
// when the search completes.
//
// Thread-safety: one thread at a time (VideoSearch serialises its callbacks).
#ifndef LFR_VIDEO_SEARCH_RESUME_H_
#define LFR_VIDEO_SEARCH_RESUME_H_

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "privacy/crypto.h"
#include "util/status.h"
#include "video_search/video_search.h"

namespace lfr {

inline constexpr int64_t kStateMaxAgeMs = 24LL * 3600 * 1000;

class SearchState {
 public:
  // The state of `job` in dir (created 0700 if absent). resume = true loads a state left
  // by an earlier run of the same job (Corrupt if it does not open under key: tampered or
  // another master key); resume = false starts afresh (an earlier state is replaced at
  // the first Record). Deletes states in dir older than kStateMaxAgeMs first (now_ms: UTC).
  static Result<SearchState> Open(const std::filesystem::path& dir, const nlohmann::json& job,
                                  SecretBytes key, bool resume, int64_t now_ms);

  bool Done(const std::string& unit_key) const { return done_.count(unit_key) > 0; }
  int units_done() const { return static_cast<int>(done_.size()); }
  bool resumed() const { return resumed_; }
  // Records a finished unit and writes the state (IOError if it cannot).
  Status Record(const UnitOutcome& unit);
  // The appearances of every unit recorded so far (not merged).
  std::vector<Appearance> Appearances() const;
  double media_s() const { return media_s_; }
  int64_t frames() const { return frames_; }
  // Deletes the state file (the search completed).
  Status Remove();
  const std::filesystem::path& path() const { return path_; }

 private:
  SearchState() = default;
  Status Write();
  std::filesystem::path path_;
  std::string aad_;
  SecretBytes key_;
  nlohmann::json state_;
  std::set<std::string> done_;
  bool resumed_ = false;
  double media_s_ = 0;
  int64_t frames_ = 0;
};

}  // namespace lfr

#endif  // LFR_VIDEO_SEARCH_RESUME_H_
