// Review of recorded footage: a camera's segments as time spans (for the console's
// timeline), and a time range remuxed to fragmented MP4 in memory for browsers to play.
//
// Browsers do not play MPEG-TS; the recorded packets are copied (no decoding, no
// re-encoding) from the unsealed segments into a fragmented MP4 ("empty_moov",
// a fragment per key frame) written to memory only: no plaintext byte reaches the disk.
// Playback starts at the key frame at or before `from` (so the first frame decodes) and
// ends before `to`; times are continuous across segments.
//
// Thread-safety: the functions are thread-safe. Privacy: the MP4 bytes are the camera's
// unredacted video; callers send them to an authorised, audited viewer and drop them.
#ifndef LFR_FOOTAGE_PLAYBACK_H_
#define LFR_FOOTAGE_PLAYBACK_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "privacy/crypto.h"
#include "util/status.h"

namespace lfr {

struct SegmentSpan {
  std::filesystem::path path;
  int64_t start_ms = 0;  // UTC ms of its first packet
  int64_t end_ms = 0;    // UTC ms after its last frame
  int64_t bytes = 0;     // sealed size on disk
};

// The sealed segments of camera_dir, oldest first, with their spans. A segment's end is the
// next segment's start when that follows within 75 s (recording was continuous); otherwise
// (a gap, the last segment) it is read from the segment's timestamps, which needs the key.
// A segment that cannot be unsealed then is listed with end = start (and left for the
// reader to report as damaged).
std::vector<SegmentSpan> ListSegmentSpans(const std::filesystem::path& camera_dir, const SecretBytes& key);

// Ranges longer than this are refused by RemuxToFragmentedMp4 (memory).
inline constexpr int64_t kMaxPlaybackMs = 10 * 60 * 1000;

// The packets of [from_ms, to_ms) of `spans` (one camera's, oldest first) as a fragmented
// MP4 in memory. InvalidArgument: empty range or longer than kMaxPlaybackMs; NotFound: no
// footage in the range; Corrupt: a segment fails to unseal (tampered or truncated);
// FailedPrecondition: the codec cannot be carried in MP4 or the build has no libav.
Result<std::string> RemuxToFragmentedMp4(const std::vector<SegmentSpan>& spans, const SecretBytes& key,
                                         int64_t from_ms, int64_t to_ms);

}  // namespace lfr

#endif  // LFR_FOOTAGE_PLAYBACK_H_
