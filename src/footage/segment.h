// Recorded footage on disk: sealed segments, how they are written and how they are read.
//
// A segment is about a minute of one camera's video stream, its compressed packets copied
// as they arrived (no re-encoding) into an MPEG-TS container, sealed on the fly:
//
//   $LFR_HOME/footage/<deployment id>/<camera id>/<start UTC ms>.lfrseg
//
//   file   = "LFRSEG01" ‖ secretstream header (24 bytes) ‖ chunk…
//   chunk  = u32 little-endian ciphertext length ‖ ciphertext (plaintext ≤ 64 KiB + 17 bytes)
//
// Sealing: libsodium crypto_secretstream_xchacha20poly1305 under the deployment's footage
// key (Store::FootageKey), every chunk authenticated with the associated data
// SegmentAad(id) ("lfrseg:<deployment>:<camera>:<start ms>", so a file cannot be passed off
// as another camera's or time's); the last chunk carries TAG_FINAL, so a truncated file is
// told apart from a complete one. Chunks are sealed in memory before anything is written:
// no plaintext video byte reaches the disk.
//
// Why MPEG-TS: the output is written strictly forwards through a non-seekable AVIOContext
// (the sealing), and MPEG-TS needs no index or header patched at the end (MP4 needs a
// seekable output for its index; Matroska writes without one but loses its cues). It
// carries H.264/HEVC/MPEG-4/MPEG-2 as cameras send them; the muxer converts H.264/HEVC from MP4's
// length-prefixed form to Annex B by itself. Other codecs (MJPEG, MS-MPEG4, …) are refused.
//
// Crash safety: a segment is written under a hidden temporary name
// (".<start ms>.lfrseg.part") and renamed to its final name only after its final chunk is
// written and fsync'ed (and the folder fsync'ed after the rename). A process killed while
// writing leaves at most the .part file, which no reader opens (no final chunk) and which
// SweepIncompleteSegments (run when a camera starts recording) and retention remove.
//
// Reading (for review, export and forensic search): UnsealSegment gives back the whole
// MPEG-TS bytes in locked memory, DemuxSegment its packets with the stream parameters, and
// DecodeSegment its frames as BGR images.
//
// Thread-safety: a SealedSegmentFile / SegmentWriter is used by one thread at a time; the
// free functions are thread-safe.
#ifndef LFR_FOOTAGE_SEGMENT_H_
#define LFR_FOOTAGE_SEGMENT_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "privacy/crypto.h"
#include "util/status.h"

struct AVCodecParameters;
struct AVPacket;

namespace lfr {

inline constexpr const char* kSegmentExtension = ".lfrseg";
inline constexpr const char* kPartExtension = ".part";

// Which camera and time a segment holds (from its path).
struct SegmentId {
  int64_t deployment_id = 0;
  int64_t camera_id = 0;
  int64_t start_ms = 0;  // UTC ms when its first packet arrived
};

// The associated data every chunk of the segment is sealed with.
std::string SegmentAad(const SegmentId& id);
// root/<deployment>/<camera>.
std::filesystem::path CameraFootageDir(const std::filesystem::path& root, int64_t deployment_id,
                                       int64_t camera_id);
// root/<deployment>/<camera>/<start ms>.lfrseg.
std::filesystem::path SegmentPath(const std::filesystem::path& root, const SegmentId& id);
// The id of a path .../<deployment>/<camera>/<start ms>.lfrseg; nullopt for anything else
// (including .part files).
std::optional<SegmentId> ParseSegmentPath(const std::filesystem::path& path);
// The sealed segments of one camera, oldest first.
std::vector<std::filesystem::path> ListSegments(const std::filesystem::path& camera_dir);
// Removes the .part files (segments a killed process left unfinished) in camera_dir.
// Returns how many were removed.
int SweepIncompleteSegments(const std::filesystem::path& camera_dir);

// Opens a file for writing and returns its descriptor (or -1 with errno set). The default
// creates the file exclusively with mode 0600; tests inject e.g. /dev/full.
using SegmentFileOpener = std::function<int(const std::filesystem::path& path)>;

// The sealing writer of one segment file.
class SealedSegmentFile {
 public:
  // Creates the temporary file beside final_path. key: 32 bytes, copied.
  static Result<std::unique_ptr<SealedSegmentFile>> Create(const std::filesystem::path& final_path,
                                                           const SecretBytes& key, std::string aad,
                                                           const SegmentFileOpener& opener = {});
  ~SealedSegmentFile();  // Abort() unless finished
  SealedSegmentFile(const SealedSegmentFile&) = delete;
  SealedSegmentFile& operator=(const SealedSegmentFile&) = delete;

  // Appends plaintext (buffered; sealed and written a chunk at a time). IOError (with the
  // system's reason, e.g. "No space left on device") if a write fails; the file is then
  // unusable (call Abort()).
  Status Write(const uint8_t* data, size_t n);
  // Seals the last chunk as final, fsyncs, renames to the final name, fsyncs the folder.
  // On an error the temporary file is removed.
  Status Finish();
  // Removes the temporary file (nothing of the segment remains). Idempotent.
  void Abort();
  int64_t bytes_written() const { return bytes_written_; }  // ciphertext bytes on disk
  const std::filesystem::path& final_path() const { return final_path_; }

 private:
  SealedSegmentFile() = default;
  Status SealChunk(bool final);
  Status WriteAll(const uint8_t* p, size_t n);
  struct State;
  std::unique_ptr<State> state_;
  std::filesystem::path final_path_, temp_path_;
  std::string aad_;
  SecretBytes plain_;  // the chunk being filled
  size_t filled_ = 0;
  int fd_ = -1;
  bool done_ = false;
  int64_t bytes_written_ = 0;
};

// The plaintext (MPEG-TS bytes) of a sealed segment; the associated data from the path
// (ParseSegmentPath), or aad when given. NotFound if absent; Corrupt if it is not a
// complete segment sealed under this key for this camera and time (a truncated file, a
// .part file, a wrong key, a renamed file).
Result<SecretBytes> UnsealSegment(const std::filesystem::path& path, const SecretBytes& key,
                                  std::optional<std::string> aad = std::nullopt);

// Muxes copied packets of one video stream into MPEG-TS, written through a SealedSegmentFile.
class SegmentWriter {
 public:
  // params/time base: the source stream's (PacketTap::OnStreamStart). FailedPrecondition if
  // the codec cannot be carried in MPEG-TS or the build has no libav.
  static Result<std::unique_ptr<SegmentWriter>> Open(const AVCodecParameters& params, int time_base_num,
                                                     int time_base_den,
                                                     std::unique_ptr<SealedSegmentFile> file);
  ~SegmentWriter();  // aborts unless finished
  // Copies one packet (timestamps in the source's time base) into the segment. IOError if
  // writing the file failed (the segment is lost: Abort()); InvalidArgument if the muxer
  // refused this packet (e.g. timestamps out of order), the segment is still usable.
  Status Write(const AVPacket& packet);
  // Writes the container's end and finishes the file (SealedSegmentFile::Finish).
  Status Finish();
  void Abort();
  int64_t packets() const { return packets_; }

 private:
  SegmentWriter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t packets_ = 0;
};

// The packets of an unsealed segment, in file order, with the stream's parameters.
class DemuxedSegment {
 public:
  ~DemuxedSegment();
  DemuxedSegment(const DemuxedSegment&) = delete;
  DemuxedSegment& operator=(const DemuxedSegment&) = delete;
  const AVCodecParameters& params() const { return *params_; }
  int time_base_num() const { return tb_num_; }
  int time_base_den() const { return tb_den_; }
  const std::vector<AVPacket*>& packets() const { return packets_; }  // owned

 private:
  friend Result<std::unique_ptr<DemuxedSegment>> DemuxSegment(const SecretBytes& ts);
  DemuxedSegment() = default;
  AVCodecParameters* params_ = nullptr;
  int tb_num_ = 1, tb_den_ = 90000;
  std::vector<AVPacket*> packets_;
};

// Demuxes the MPEG-TS bytes of UnsealSegment in memory (nothing is written). Corrupt if
// they hold no video stream.
Result<std::unique_ptr<DemuxedSegment>> DemuxSegment(const SecretBytes& ts);

// Decodes the MPEG-TS bytes of UnsealSegment in memory and calls on_frame with each frame
// (8-bit BGR, a buffer reused and wiped at the end) and its time in seconds from the
// stream's timestamps; on_frame returns false to stop. Returns the frames decoded.
Result<int64_t> DecodeSegment(const SecretBytes& ts,
                              const std::function<bool(const cv::Mat& bgr, double seconds)>& on_frame);

}  // namespace lfr

#endif  // LFR_FOOTAGE_SEGMENT_H_
