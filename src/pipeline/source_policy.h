// Which camera sources a server may open: an allow-list, so that a camera URI cannot be
// used to read the server's files or probe its network (issue: /etc/passwd, /dev/zero,
// file:///etc/shadow and http://127.0.0.1:PORT were accepted, and the error text told
// them apart).
//
// Allowed:
//   rtsp://, rtsps://, http://, https://  streams whose host is not a loopback, link-local,
//                                         unspecified, broadcast or multicast address
//                                         (names are resolved and every address checked),
//                                         unless allow_loopback;
//   /dev/videoN, v4l2:N                   video devices (if the path exists it must be a
//                                         character device);
//   a video file path                     an absolute path that, with symlinks and ".."
//                                         resolved, lies inside one of video_dirs and is a
//                                         regular file if it exists. The resolved path is
//                                         what gets opened.
// Refused: everything else: file://, udp://, tcp://, rtmp://, other /dev paths, relative
// paths, files outside the folders, any file when no folder is configured.
//
// The caller logs CheckSource's detail and tells API clients only kSourceUnavailable
// (pipeline/camera.h), the same text as for a source that cannot be opened: no oracle.
//
// Limits: a stream host is checked when the camera is added and again each time it is
// opened, but FFmpeg resolves the name itself (a DNS answer that changes in between is not
// caught) and follows HTTP redirects; the opened URL is restricted to its own protocol
// family (no file:// from a playlist, see av_source.cc).
//
// Thread-safety: SourcePolicy is a value; CheckSource is reentrant.
#ifndef LFR_PIPELINE_SOURCE_POLICY_H_
#define LFR_PIPELINE_SOURCE_POLICY_H_

#include <string>
#include <vector>

#include "pipeline/camera.h"
#include "util/status.h"

namespace lfr {

struct SourcePolicy {
  std::vector<std::string> video_dirs;  // folders video files may be read from
  bool allow_loopback = false;          // allow loopback / link-local / unspecified hosts
};

// LFR_CAMERA_DIRS (folders separated by ':') and LFR_CAMERA_ALLOW_LOOPBACK=1, added to
// `base`.
SourcePolicy SourcePolicyFromEnv(SourcePolicy base = {});

// The source to open (a file's location resolved), or InvalidArgument whose message is
// the detail for the server log (never for API clients). resolve_names = false skips the
// DNS lookup of stream host names (IP literals and "localhost" are still checked).
Result<SourceSpec> CheckSource(const std::string& uri, const SourcePolicy& policy,
                               bool resolve_names = true);

}  // namespace lfr

#endif  // LFR_PIPELINE_SOURCE_POLICY_H_
