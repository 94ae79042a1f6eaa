// Watchlist: the people an LFR deployment is looking for, as a contiguous row-major float
// matrix of unit-norm embeddings (one row per enrolled image) plus the subject each row
// belongs to. A subject may have several rows (a folder of images per person).
//
// Enrolment (EnrolImages / EnrolDirectory) runs the still-image path (FaceAnalyzer) on each
// image and rejects, with a reason, images with no face, more than one face, or a face that
// fails the quality gate. A watchlist image is by definition of a wanted person, but the
// aligned crops and intermediate buffers are still wiped once the embedding is taken.
//
// Ownership: a Watchlist owns its matrix and wipes it on destruction/Clear.
// Thread-safety: const methods may be called concurrently (the live pipeline shares one
// Watchlist between camera workers); mutation needs external synchronisation.
#ifndef LFR_MATCH_WATCHLIST_H_
#define LFR_MATCH_WATCHLIST_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/status.h"
#include "vision/analyzer.h"

namespace lfr {

class Watchlist {
 public:
  explicit Watchlist(int dim = 0) : dim_(dim) {}
  ~Watchlist();
  Watchlist(const Watchlist&) = delete;
  Watchlist& operator=(const Watchlist&) = delete;
  Watchlist(Watchlist&& other) noexcept;
  Watchlist& operator=(Watchlist&& other) noexcept;

  // Appends one row for subject `name` (created if new). embedding: dim() floats, expected
  // unit norm (re-normalised here; InvalidArgument if its norm is ~0 or not finite).
  // Returns the subject index.
  Result<int> Add(const std::string& name, const float* embedding);
  // Wipes and empties the matrix (keeps dim).
  void Clear();

  int dim() const { return dim_; }
  int rows() const { return static_cast<int>(row_subject_.size()); }
  int subjects() const { return static_cast<int>(names_.size()); }
  const std::string& subject_name(int subject) const { return names_[subject]; }
  int row_subject(int row) const { return row_subject_[row]; }
  // Row-major rows() x dim() matrix; valid until the next mutation.
  const float* data() const { return matrix_.data(); }
  const float* row(int r) const { return matrix_.data() + static_cast<size_t>(r) * dim_; }
  // Subject index by name, -1 if absent.
  int FindSubject(const std::string& name) const;

 private:
  int dim_;
  std::vector<float> matrix_;
  std::vector<int> row_subject_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, int> index_;  // name -> subject
};

struct EnrolmentRejection {
  std::filesystem::path image;
  std::string subject;
  std::string reason;  // e.g. "no face found", "3 faces found (need exactly one)",
                       // "face fails the quality gate: eyes 9.5 px apart (< 16)"
};

struct EnrolmentReport {
  int images_enrolled = 0;
  int subjects_enrolled = 0;
  std::vector<EnrolmentRejection> rejected;
};

struct EnrolOptions {
  bool flip_average = true;
  // Another face makes a photo ambiguous (refused: "2 faces found (need exactly one)") when
  // it could be the person meant: it passes the quality gate, its box lies wholly inside
  // the image, and it is at least this fraction of the largest face's width. Smaller faces
  // (people far behind the subject), faces cut by the frame's edge and faces that fail the
  // gate (turned away, blurred) are ignored: the subject is the largest face, which must
  // also be the central one. Of 1,680 LFW photos (the first of each person with two or more)
  // this refuses 71, where counting every face of at least 0.35 of the largest's width
  // refused 254, mostly for bystanders cut off by the edge of LFW's crop (docs/ACCURACY.md).
  float ambiguous_face_ratio = 0.5f;
};

// The version of the rules PickEnrolmentFace applies; raised whenever they change, so that
// verdicts kept from older rules (the evaluation cache) are worked out again.
// 1: every face >= 0.35 of the largest's width counted. 2: only usable faces wholly in the
// image and >= 0.5 of the largest's width.
inline constexpr uint32_t kEnrolmentRulesVersion = 2;

// The rules every watchlist enrolment applies (EnrolImages here, the store's enrolment in
// store/enrolment.h): given FaceAnalyzer::Analyze's output for one image (with the central
// face embedded), returns the index of its one usable face, or -1 with *why set to the
// reason it has none: "no face found", "N faces found (need exactly one)", "the face is not
// central in the image", "face fails the quality gate: <reasons>", "face could not be
// embedded".
// `image` is the analysed image's size (pixels), to tell faces cut by its edge.
int PickEnrolmentFace(const std::vector<AnalyzedFace>& faces, int central, cv::Size image,
                      const EnrolOptions& options, std::string* why);

// "reason; reason" from a quality report ("" if it passed).
std::string QualityReasons(const QualityReport& q);

// Whether a path looks like an image file by its extension (.jpg .jpeg .png .bmp .webp .tif .tiff).
bool IsImageFile(const std::filesystem::path& p);

// One subject and the images that show them.
using SubjectImages = std::pair<std::string, std::vector<std::filesystem::path>>;

// Lists a watchlist folder: every image file directly in `dir` is one subject named after
// the file stem ("Jane_Doe.jpg" -> "Jane_Doe"); every sub-folder is one subject named after
// the folder, holding its images. Sorted by subject name. NotFound if dir does not exist,
// InvalidArgument if it is not a folder or holds no image.
Result<std::vector<SubjectImages>> ListWatchlistDir(const std::filesystem::path& dir);

// Enrols the subjects into *watchlist (whose dim must be 0 or the embedder's dim).
// Unreadable images and rejected faces are reported, not fatal; a hard error (model
// failure) is returned as a Status. progress (optional) is called after each image with
// (images done, images total).
Result<EnrolmentReport> EnrolImages(const std::vector<SubjectImages>& subjects,
                                    FaceAnalyzer& analyzer, const EnrolOptions& options,
                                    Watchlist* watchlist,
                                    const std::function<void(int, int)>& progress = nullptr);

}  // namespace lfr

#endif  // LFR_MATCH_WATCHLIST_H_
