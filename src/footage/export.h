// Redacted evidence export: a time range of one camera's recorded footage as a standard MP4
// (H.264, yuv420p, "faststart" index: plays in ordinary players and browsers) in which every
// face is blurred except, when one is chosen, the subject of an alert — with a manifest as
// the chain of custody.
//
// How faces are found: the range is decoded from its sealed segments (footage/segment.h)
// and faces are detected on EVERY frame (not at the live pipeline's cadence), tracked
// (track/tracker.h) and embedded. A track is the subject's when one of its faces matches
// the alert's face (its aligned crop, embedded with the same recogniser) with cosine
// similarity >= ExportOptions::subject_similarity; the tracker then follows him through the
// range, before and after the matching frame (two passes: the first detects, tracks and
// decides, the second blurs and encodes). When in doubt, blur: a face of the subject's
// track is left clear only if its own similarity is at least keep_similarity, and the box a
// track predicts on a frame where the detector missed its face is blurred too (not the
// subject's). Blurring is total: the box (grown by face_margin) becomes one flat colour, the
// mean of the ring around it, so nothing of the face, its skin tone or shading survives and
// the detector finds no face there (softer blurs still read as faces to the detector). Each
// redacted frame is then run through the detector again and whatever it still finds that is
// not the subject's clear face is blurred too (a face that scores only once its neighbours
// are gone, a hand taken for a face), until it finds nothing else.
//
// Output: written to a hidden temporary name beside `out` and renamed only when complete
// (nothing half-written is left); the manifest ("<out>.manifest.json", the same way) holds
// camera, deployment, range, the SHA-256 of the MP4, who exported it and why, the subject
// alert, frame and blurred-face counts; it is also recorded in the audit log as
// "footage.export" (target camera:<id>). An existing `out` is never overwritten.
//
// Errors: InvalidArgument (empty or reversed range, no reason, unknown camera, an alert of
// another deployment or camera); NotFound (no footage in the range, no such alert);
// FailedPrecondition (the alert's face was deleted by retention, `out` exists, no H.264
// encoder in this build); Corrupt (a segment fails to unseal: tampered or truncated);
// IOError (the output cannot be written). Nothing is left at `out` on any error.
//
// Privacy: decoded frames and face embeddings exist only in memory and are wiped after use;
// the only plaintext written is the redacted MP4 itself.
//
// Thread-safety: ExportFootage may run on any thread; the analyzer passed in is used by it
// alone for the duration of the call.
#ifndef LFR_FOOTAGE_EXPORT_H_
#define LFR_FOOTAGE_EXPORT_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "util/status.h"
#include "vision/analyzer.h"

namespace lfr {

struct ExportRequest {
  int64_t deployment_id = 0;
  std::string camera;                  // camera name in the deployment
  int64_t from_ms = 0, to_ms = 0;      // UTC ms, [from, to)
  std::optional<int64_t> subject_alert;  // the alert whose subject stays unblurred
  std::string reason;                  // why (required; recorded in the manifest and audit)
  std::filesystem::path out;           // the MP4 to write (must not exist)
};

struct ExportOptions {
  std::filesystem::path footage_root;  // $LFR_HOME/footage
  float subject_similarity = 0.45f;    // cosine: a track is the subject's
  float keep_similarity = 0.4f;        // cosine: below it even a subject-track face is blurred
  float face_margin = 0.35f;           // blurred box grown by this fraction of its size, each side
  int crf = 23;                        // x264 quality
  // Progress: frames analysed so far in pass 1 (called every frame; may be empty).
  std::function<void(int64_t frames)> progress;
};

struct ExportManifest {
  int64_t deployment_id = 0;
  int64_t camera_id = 0;
  std::string camera;
  int64_t from_ms = 0, to_ms = 0;        // as requested
  int64_t first_frame_ms = 0, last_frame_ms = 0;  // what the file holds
  std::string file;                      // absolute path of the MP4
  std::string sha256;                    // hex, of the MP4's bytes
  int64_t bytes = 0;
  std::string exported_by;
  int64_t exported_ms = 0;
  std::string reason;
  std::optional<int64_t> subject_alert;
  int64_t frames = 0;
  int64_t faces_blurred = 0;             // face boxes blurred, summed over frames
  int64_t subject_faces = 0;             // subject faces left clear, summed over frames
  int64_t segments = 0;                  // sealed segments read
  std::string codec;                     // e.g. "h264 (libx264)"
  nlohmann::json ToJson() const;
};

// The detector options an export detects with: frames downscaled to working_long_side
// (0 = full resolution; 1280 keeps faces of a 1080p camera down to about 20 px) and a score
// threshold below the live default (0.45): when in doubt, blur.
DetectorOptions ExportDetectorOptions(int working_long_side = 1280);

// The manifest's path for an export at `out`.
std::filesystem::path ManifestPath(const std::filesystem::path& out);

// Exports as described above. store: for the camera, alert, footage key and audit;
// analyzer: detector and recogniser (the deployment's recogniser when a subject is chosen,
// since the alert's crop is compared in its space). now_ms: the export's time.
Result<ExportManifest> ExportFootage(Store* store, FaceAnalyzer* analyzer, const ExportRequest& request,
                                     const ExportOptions& options, const Actor& by, int64_t now_ms);

}  // namespace lfr

#endif  // LFR_FOOTAGE_EXPORT_H_
