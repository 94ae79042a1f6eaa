// Images left out of an evaluation because their label is wrong or they duplicate another
// identity (LFW's known label errors, FairFace faces that appear twice). The built-in list
// is src/eval/exclusions.csv, compiled into the binary; it says how each entry was found.
//
// Format: CSV with a header "file,reason"; lines starting with '#' and blank lines are
// ignored; `file` is an image's file name (LFW names carry the person's name and number,
// so they are unique across both data sets). Thread-compatible value type.
#ifndef LFR_EVAL_EXCLUSIONS_H_
#define LFR_EVAL_EXCLUSIONS_H_

#include <filesystem>
#include <map>
#include <string>

#include "util/status.h"

namespace lfr::eval {

class Exclusions {
 public:
  // An empty list (nothing excluded).
  Exclusions() = default;
  // InvalidArgument naming the line when the text is not "file,reason" lines.
  static Result<Exclusions> Parse(const std::string& csv, const std::string& origin);
  // NotFound / IOError for the file, else as Parse.
  static Result<Exclusions> Load(const std::filesystem::path& file);
  // The list compiled in (src/eval/exclusions.csv).
  static Exclusions BuiltIn();

  bool Excludes(const std::filesystem::path& image) const {
    return files_.count(image.filename().string()) > 0;
  }
  size_t size() const { return files_.size(); }
  const std::string& origin() const { return origin_; }
  const std::map<std::string, std::string>& files() const { return files_; }

 private:
  std::map<std::string, std::string> files_;  // file name -> reason
  std::string origin_ = "none";
};

}  // namespace lfr::eval

#endif  // LFR_EVAL_EXCLUSIONS_H_
