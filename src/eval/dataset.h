// An evaluation data set as `lfr eval identify|verify --dataset` reads it: a force's own
// photographs (or the public LFW + FairFace, which the default run turns into one such data
// set), so every figure `lfr eval` reports can be measured on the data a force deploys on.
//
// The identity set (people who may be on a watchlist) is either
//   * a folder with one sub-folder per identity, the images inside it (files ending .jpg,
//     .jpeg, .png, .bmp, .webp, any case; other files and deeper folders are ignored), the
//     identity named after the sub-folder; or
//   * a CSV file (UTF-8, RFC 4180 quoting, header row, columns in any order): `image` and
//     `identity` required; optional demographic columns `sex`, `ethnicity` (or `race`) and
//     `age_band`. Aliases: `file` for image, `gender` for sex, `age` for age_band (so
//     FairFace's labels.csv reads as it is). Other columns are ignored. Image paths are
//     relative to the CSV's folder unless absolute. An empty demographic value means "not
//     recorded": the image is left out of that column's groups, never guessed.
// The optional non-mated set (people who are on no watchlist; each image a different
// person) is a folder of images (directly inside) or a CSV with `image` and the same
// optional demographic columns.
//
// Loading checks that every image exists, that no image is listed twice (within a set or
// across the identity and non-mated sets; paths compared after making them absolute and
// normal), that the set is not empty and that a folder identity holds an image. Errors are
// a Status (NotFound for a missing file or folder, IOError for an unreadable one,
// InvalidArgument for the rest) whose message names the file, line and column, plus the
// kind (DatasetError) for callers and tests that branch on it.
//
// No image is opened here (the face pipeline does that, eval/extract.h) and no face data is
// kept: only names, paths and labels. Pure functions over files; thread-safe.
#ifndef LFR_EVAL_DATASET_H_
#define LFR_EVAL_DATASET_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "eval/embedding_cache.h"
#include "eval/identify.h"
#include "eval/lfw.h"
#include "util/status.h"

namespace lfr::eval {

// Canonical demographic column names (the CSV's aliases are mapped to these).
inline constexpr const char* kSex = "sex";
inline constexpr const char* kEthnicity = "ethnicity";
inline constexpr const char* kAgeBand = "age_band";

enum class DatasetError {
  kNone = 0,
  kMissingFile,     // the data set, or an image it lists, does not exist
  kMissingColumn,   // a required CSV column (image, identity) is not in the header
  kUnreadableCsv,   // cannot be read, unterminated quote, wrong number of fields, empty value
  kTooFewImages,    // no identity has the images the protocol needs (or a folder identity has none)
  kEmpty,           // no images at all
  kDuplicateImage,  // the same image listed twice
};
const char* DatasetErrorName(DatasetError e);

struct DatasetImage {
  std::filesystem::path path;   // absolute, normal
  Demographics demographics;    // canonical column -> value; absent or "" = not recorded
  int line = 0;                 // CSV line (1-based), 0 for a folder
};
struct DatasetIdentity {
  std::string name;
  std::vector<DatasetImage> images;  // folder: by file name; CSV: in file order
};
struct Dataset {
  std::string origin;             // the path given, for messages and provenance
  std::string layout;             // "folder" or "csv" ("lfw" for the built-in)
  std::vector<DatasetIdentity> identities;  // sorted by name
  std::vector<DatasetImage> nonmated;       // the non-mated set, in listing order
  std::string nonmated_origin;              // "" when there is none
  // Demographic columns present (in the identity set or the non-mated set), canonical
  // order: sex, ethnicity, age_band, then the --group-by columns by name.
  std::vector<std::string> columns;

  int64_t images() const;
  int64_t identity_images() const;
};

// Loads the identity set from a folder or a .csv file (see above). `error` (optional)
// receives the kind of a failure. group_by names further CSV columns to report figures by
// (`--group-by`: a camera, a custody suite, a quality band), read like the demographic
// ones under their lower-case names; the identity set must have each (kMissingColumn),
// and a folder data set cannot have any.
Result<Dataset> LoadDataset(const std::filesystem::path& path, DatasetError* error = nullptr,
                            const std::vector<std::string>& group_by = {});
// Loads the non-mated set into dataset->nonmated (and its columns into dataset->columns);
// an image already in the identity set is a kDuplicateImage error. A group_by column the
// non-mated CSV lacks is "not recorded" for its images.
Status LoadNonMated(const std::filesystem::path& path, Dataset* dataset, DatasetError* error = nullptr,
                    const std::vector<std::string>& group_by = {});
// Parses CSV text of an identity set (base_dir resolves relative paths; origin names the
// file in messages). Images are checked to exist.
Result<Dataset> ParseDatasetCsv(const std::string& text, const std::filesystem::path& base_dir,
                                const std::string& origin, DatasetError* error = nullptr,
                                const std::vector<std::string>& group_by = {});

// The protocol's needs: at least one identity with min_images images (identify: enrolment
// reserve + 1 probe; verify: 2 for a mated pair) and, for verify, two identities. An
// identity with fewer images serves only as non-mated probes / impostor images.
// InvalidArgument (kTooFewImages) naming the identities and their counts otherwise.
Status CheckProtocol(const Dataset& dataset, int min_images, int min_identities,
                     DatasetError* error = nullptr);

// The built-in public data as a data set: LFW's people (`people` from ScanLfwPeople, after
// exclusions) with the sex labels ("M"/"F" written Male/Female, FairFace's words; others
// kept, e.g. "unknown"), and FairFace-dev as the non-mated set (gender -> sex, race ->
// ethnicity, age -> age_band).
Dataset LfwFairFaceDataset(const std::filesystem::path& lfw_root, const std::vector<LfwPerson>& people,
                           const std::map<std::string, std::string>& sex,
                           const std::vector<FairFaceImage>& fairface);

// Every image of the data set in a fixed order: identities in order, each's images, then
// the non-mated set. The order ToEvalIdentities expects its results in.
std::vector<std::filesystem::path> DatasetPaths(const Dataset& dataset);
// The identities `RunIdentification` takes: one per identity (source "dataset"), one per
// non-mated image (source "non-mated"), each image with its demographics. results[i] is
// the pipeline's result for DatasetPaths()[i] (moved from).
std::vector<EvalIdentity> ToEvalIdentities(const Dataset& dataset, std::vector<ImageResult>* results);

// Writes the data set as CSV files a later `--dataset` / `--non-mated` run reads back:
// <dir>/identities.csv (image,identity,<columns>) and, if there is a non-mated set,
// <dir>/non-mated.csv (image,<columns>); absolute image paths. IOError naming the file.
Status WriteDatasetCsv(const Dataset& dataset, const std::filesystem::path& dir);

// Verification pairs drawn from a data set (indices into DatasetPaths()).
struct DatasetPair {
  int fold = 0;
  bool same = false;
  int a = 0, b = 0;
};
struct PairOptions {
  int pairs = 3000;              // mated pairs wanted (and as many non-mated)
  int folds = 10;
  int max_pairs_per_identity = 10;  // mated pairs of one identity at most
  uint64_t seed = 1;
};
// Mated pairs: for each identity with >= 2 images, up to max_pairs_per_identity distinct
// pairs of its images (all if it has no more; else a seeded sample), then a seeded shuffle
// of all of them and the first `pairs`. Non-mated pairs: as many, each two images of
// different identities (a non-mated set image counts as its own identity), drawn
// uniformly with a seeded std::mt19937_64, no pair twice. Pair k of each kind goes to
// fold k % folds, so the folds are balanced. The same data set, options and standard
// library give the same pairs. InvalidArgument (kTooFewImages) when there is no mated
// pair or fewer than two identities, or folds < 2, or fewer pairs than folds.
Result<std::vector<DatasetPair>> DrawVerificationPairs(const Dataset& dataset, const PairOptions& options,
                                                       DatasetError* error = nullptr);

}  // namespace lfr::eval

#endif  // LFR_EVAL_DATASET_H_
