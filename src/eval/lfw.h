// The public evaluation data sets as `lfr eval` reads them: LFW (Labeled Faces in the
// Wild: images/<Person>/<Person>_NNNN.jpg, pairs.txt, the sex labels) and the FairFace
// development crops (labels.csv). Parsers reject malformed files with a message naming the
// file and line. No face data is kept here, only names and paths.
//
// Pure functions over files; thread-safe.
#ifndef LFR_EVAL_LFW_H_
#define LFR_EVAL_LFW_H_

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "util/status.h"

namespace lfr::eval {

// One LFW image: a person and the image number (1-based, as in pairs.txt).
struct LfwImageRef {
  std::string person;
  int number = 0;
  bool operator<(const LfwImageRef& o) const {
    return person != o.person ? person < o.person : number < o.number;
  }
  bool operator==(const LfwImageRef& o) const = default;
};

// <root>/images/<person>/<person>_<number, 4 digits>.jpg
std::filesystem::path LfwImagePath(const std::filesystem::path& root, const LfwImageRef& ref);

// One pair of the View 2 protocol.
struct LfwPair {
  int fold = 0;  // 0-based
  bool same = false;
  LfwImageRef a, b;
};
struct LfwPairs {
  int folds = 0;
  int per_fold = 0;  // mated pairs per fold (= non-mated pairs per fold)
  std::vector<LfwPair> pairs;
};
// Parses pairs.txt ("<folds> <n>" then per fold n mated "name i j" lines and n non-mated
// "name1 i name2 j" lines). `what` names the file in messages.
Result<LfwPairs> ParseLfwPairs(const std::string& text, const std::string& what);
Result<LfwPairs> LoadLfwPairs(const std::filesystem::path& pairs_txt);

// One person and the numbers of their images, as found on disk.
struct LfwPerson {
  std::string name;
  std::vector<int> images;  // ascending
};
// Scans <root>/images: every person folder and its <person>_NNNN.jpg files, sorted by
// name. NotFound if the folder is missing; InvalidArgument if it holds no people.
Result<std::vector<LfwPerson>> ScanLfwPeople(const std::filesystem::path& root);

// Sex per person from lfw/labels/lfw_identity_sex_from_gender_lists.csv (columns person,
// ..., majority_label): "M", "F" or "unknown" as the file says.
Result<std::map<std::string, std::string>> LoadLfwSexLabels(const std::filesystem::path& csv);

// One FairFace development crop; every image is treated as a different person.
struct FairFaceImage {
  std::filesystem::path path;  // absolute
  std::string age, gender, race;
  std::string group() const { return race + " " + gender; }
};
// Reads <root>/labels.csv (file,age,gender,race; file relative to root).
Result<std::vector<FairFaceImage>> LoadFairFace(const std::filesystem::path& root);

// Reads a whole file; NotFound / IOError naming it.
Result<std::string> ReadTextFile(const std::filesystem::path& path);

}  // namespace lfr::eval

#endif  // LFR_EVAL_LFW_H_
