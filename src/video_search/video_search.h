// Forensic search of recorded video: when do the people on a list appear in it?
//
// Input: "units" of recorded video, each searched on its own — a video file, or one sealed
// footage segment of a deployment's camera (footage/segment.h), unsealed into anonymous
// memory (memfd) and never written to disk in plaintext. Each unit runs through the live
// pipeline's own code (pipeline/pipeline.h: the libav reader with only the frames detection
// needs converted, non-reference frames it will not look at left undecoded, a downscaled
// working copy for the detector; detect every n-th frame with the tracker between; the
// quality gate; embeddings only where the tracker asks; 1:N search; score fusion along the
// track) as fast as the CPU allows (not paced). Instead of "one alert per track", every
// match of a track at or above the threshold is collected (AlertPolicyOptions::every_match)
// and folded into one Appearance per track and subject: first and last time, best face.
// Appearances of the same subject on the same source that overlap or are less than
// merge_gap_s apart (a track broken by an occlusion, a segment boundary) are merged.
//
// Privacy: exactly as in live use. Only faces that matched a listed subject at or above
// the threshold leave the pipeline; nothing about any other face is kept, logged or
// written. Appearances are alert-like data (a listed person was here, then): the caller
// seals what it persists (video_search/resume.h). The best face's crop is copied out only
// when VideoSearchOptions::keep_crops is set, and only for appearances.
//
// Units: times of files are seconds from the file's first frame; times of segments are
// also given as UTC ms (segment start + media time), so a deployment's results are
// wall-clock times. Scores are cosine similarities, the threshold the fused score the
// live pipeline alerts at (pipeline/pipeline.h PipelineOptions::threshold).
//
// Threads: VideoSearch::Run uses `threads` worker threads, each running one unit at a
// time (a one-camera Pipeline: its reader thread decodes, its worker detects) with the
// networks it loaded for its first unit; OpenCV's pool and each decoder get
// max(1, cores / threads) threads. SplitFiles cuts long files into parts at key frames
// when there are fewer files than threads. Callbacks (on_unit, on_progress) are called
// serialised, never concurrently. RequestStop() is thread-safe (e.g. from a signal
// watcher); units cut short by it are not reported as done.
//
// Ownership: the watchlist and the footage keys units point to must outlive Run().
#ifndef LFR_VIDEO_SEARCH_VIDEO_SEARCH_H_
#define LFR_VIDEO_SEARCH_VIDEO_SEARCH_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "match/watchlist.h"
#include "models/store.h"
#include "pipeline/pipeline.h"
#include "privacy/crypto.h"
#include "util/status.h"

namespace lfr {

// One piece of recorded video.
struct VideoUnit {
  std::string source;            // what results name: the camera's name, or the file path
  std::filesystem::path path;    // the file or the sealed segment
  std::string key;               // stable identity, for resuming ("file:..." / "segment:...")
  int64_t start_utc_ms = -1;     // segments: UTC ms of the first frame; files: -1
  const SecretBytes* footage_key = nullptr;  // segments: to unseal (not owned); files: null
  double duration_s = 0;         // known or estimated length (progress); 0 = unknown
  double fps = 0;                // files: the nominal frame rate (ProbeVideoFile)
  // Benchmarks: read the file again and again until this many frames are searched (the
  // cost of loading the models per unit is then spread over a long run); 0 = once.
  int64_t loop_frames = 0;
  // A part of a file (SplitFiles): from the key frame at part_start_s to part_end_s (media
  // seconds of the file) plus the overlap; part_end_s = 0: the whole file. Appearance times
  // and frames stay the file's.
  double part_start_s = 0, part_end_s = 0, part_overlap_s = 0;
};

// The file a unit key belongs to: the key without a part's "#part:..." suffix.
std::string FileKeyOf(const std::string& unit_key);

// Key frame times of a video file (media seconds from its first frame), from a pass over
// its packets (nothing is decoded). InvalidArgument if it cannot be read.
Result<std::vector<double>> KeyFrameTimes(const std::filesystem::path& path);

// When there are fewer units than threads, cuts video files (not segments, not looping
// units) into parts at key frames so that every thread has work: each file into up to
// ceil(threads / units) parts of at least min_part_s, each part running overlap_s past the
// next one's start so that a track crossing the cut is seen whole by one of them (its
// appearances are merged back by MergeAppearances). Files with too few key frames stay
// whole. Deterministic for the same files and threads (--resume relies on it).
std::vector<VideoUnit> SplitFiles(std::vector<VideoUnit> units, int threads, double min_part_s = 10.0,
                                  double overlap_s = 1.0);

// A listed person seen in one unit (merged: on one source).
struct Appearance {
  std::string source;
  std::string subject;           // the list's subject (watchlist name, entry or record reference)
  double start_s = 0, end_s = 0; // media seconds of the unit (merged: of the first unit)
  // Media seconds of the first match at or above the threshold: when the live system would
  // have alerted (start_s is when the track began, which may be earlier).
  double first_match_s = 0;
  int64_t start_utc_ms = -1, end_utc_ms = -1;  // segments only
  // The best face: the highest single-search score among the track's matches.
  float best_score = 0, best_fused = 0, best_quality = -1;
  double best_time_s = 0;
  int64_t best_utc_ms = -1;
  int64_t best_frame = 0;
  float threshold = 0;
  int matches = 0;               // matched searches folded in
  std::string unit_key;          // the unit of the best face
  cv::Mat best_crop;             // aligned crop of the best face; only with keep_crops
};

nlohmann::json AppearanceToJson(const Appearance& a);  // without the crop
Result<Appearance> AppearanceFromJson(const nlohmann::json& j);

// Merges appearances of the same subject on the same source that overlap or are at most
// gap_s apart (UTC times where both have them, else media times within one file); the
// merged one keeps the earliest start, latest end, the best face and the summed matches.
// Output ordered by source, then start.
std::vector<Appearance> MergeAppearances(std::vector<Appearance> in, double gap_s);

// Where a unit's time went (benchmarks, docs/PERFORMANCE.md): wall-clock milliseconds
// summed per pipeline stage, and counts. Decode covers only the frames handed to the
// detector (decoding and colour conversion); frames decoded only as references are not
// timed one by one (they are in the reader thread's CPU time).
struct UnitStats {
  double open_ms = 0;            // unsealing, probing, creating the pipeline (models)
  double decode_ms = 0, detect_ms = 0, analyse_ms = 0, embed_ms = 0, match_ms = 0;
  double reader_cpu_ms = 0;      // the reader thread's CPU time (all decoding)
  int64_t detector_runs = 0, faces = 0, faces_passed_quality = 0, embeddings = 0, tracks = 0;
};

// The outcome of one unit, reported when it has been searched to its end.
struct UnitOutcome {
  std::string key, source;
  double media_s = 0;            // seconds of video searched
  int64_t frames = 0;
  std::vector<Appearance> appearances;  // per track and subject (not merged)
  UnitStats stats;
};

struct VideoSearchProgress {
  double media_done_s = 0, media_total_s = 0;  // total: the units' duration_s
  int units_done = 0, units_total = 0;
  double elapsed_s = 0;                        // wall clock since Run started
};

// The search's defaults: the live pipeline's efficient configuration (detect every 3rd
// frame at a 480-pixel working size, docs/PERFORMANCE.md), lossless file reading, no
// deblocking filter (CameraOptions::skip_loop_filter), no adaptive cadence, every match
// passed on.
PipelineOptions VideoSearchPipelineDefaults();

struct VideoSearchOptions {
  PipelineOptions pipeline = VideoSearchPipelineDefaults();  // its threshold is the list's
  int threads = 1;               // units searched at once
  // Threads of each unit's video decoder (FFmpeg frame threads): 0 = max(1, cores /
  // threads), so that a unit searched alone also decodes on the cores its worker leaves idle.
  int decoder_threads = 0;
  bool keep_crops = false;       // copy the best face's crop into each Appearance
  double merge_gap_s = 2.0;
  // Segments: only appearances overlapping [from, to) (UTC ms) are reported.
  int64_t from_utc_ms = std::numeric_limits<int64_t>::min();
  int64_t to_utc_ms = std::numeric_limits<int64_t>::max();
};

// Reads a video file's header: NotFound if absent, InvalidArgument ("... is not a readable
// video: ...") if it has no decodable video stream. Does not decode frames.
Result<VideoUnit> ProbeVideoFile(const std::filesystem::path& path);

// A deployment camera's sealed segments with a start in [from_ms, to_ms), oldest first,
// plus the one that began before from_ms and may run into it. duration_s: with the key, the
// segment's span as playback reads it (ListSegmentSpans: the next segment's start, or the last
// segment's own timestamps); without it, the next segment's start, else 60 s.
struct FootageCamera {
  int64_t id = 0;
  std::string name;
};
std::vector<VideoUnit> FootageUnits(const std::filesystem::path& footage_root, int64_t deployment_id,
                                    const std::vector<FootageCamera>& cameras, int64_t from_ms,
                                    int64_t to_ms, const SecretBytes* footage_key);

class VideoSearch {
 public:
  // The models are loaded once per search thread and reused for every unit it searches;
  // watchlist must outlive the search.
  VideoSearch(InstalledModel detector, InstalledModel recogniser, const Watchlist* watchlist,
              VideoSearchOptions options);

  using UnitCallback = std::function<Status(const UnitOutcome&)>;
  using ProgressCallback = std::function<void(const VideoSearchProgress&)>;
  // Searches the units (those for which skip(key) is true are counted as done and not
  // searched). on_unit is called after each unit that was searched to its end; an error
  // it returns stops the search. on_progress (optional) about twice a second and at the
  // end. Returns the first error: a unit that cannot be opened or decoded (InvalidArgument,
  // naming its source), a segment that does not unseal (Corrupt), a model or callback error.
  // Units already running finish; no new one starts after an error or RequestStop().
  Status Run(const std::vector<VideoUnit>& units, const std::function<bool(const std::string&)>& skip,
             const UnitCallback& on_unit, const ProgressCallback& on_progress = {});
  void RequestStop();
  bool stopped() const { return stop_.load(); }

 private:
  // models: the search thread's networks, reused from unit to unit (empty at first).
  Result<UnitOutcome> SearchUnit(const VideoUnit& unit, std::atomic<double>* media_now,
                                 std::vector<WorkerModels>* models);

  InstalledModel detector_, recogniser_;
  const Watchlist* watchlist_;
  VideoSearchOptions options_;
  std::atomic<bool> stop_{false};
  std::mutex running_mu_;
  std::vector<Pipeline*> running_;
};

}  // namespace lfr

#endif  // LFR_VIDEO_SEARCH_VIDEO_SEARCH_H_
