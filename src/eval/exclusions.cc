#include "eval/exclusions.h"

#include <fstream>
#include <sstream>

#include "eval/exclusions_data.h"

namespace lfr::eval {

Result<Exclusions> Exclusions::Parse(const std::string& csv, const std::string& origin) {
  Exclusions e;
  e.origin_ = origin;
  std::istringstream in(csv);
  std::string line;
  bool header = false;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      if (line.rfind("file,reason", 0) != 0) {
        return Status::InvalidArgument(origin + " line " + std::to_string(n) + ": expected the header 'file,reason'");
      }
      header = true;
      continue;
    }
    const auto comma = line.find(',');
    const std::string file = line.substr(0, comma);
    if (comma == std::string::npos || file.empty() || file.find('/') != std::string::npos) {
      return Status::InvalidArgument(origin + " line " + std::to_string(n) +
                                     ": expected 'file name,reason' (a file name, no folder)");
    }
    e.files_[file] = line.substr(comma + 1);
  }
  if (!header) return Status::InvalidArgument(origin + ": no 'file,reason' header");
  return e;
}

Result<Exclusions> Exclusions::Load(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return Status::NotFound(file.string() + ": no such exclusion file");
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return Status::IOError(file.string() + ": cannot read");
  return Parse(text.str(), file.string());
}

Exclusions Exclusions::BuiltIn() {
  auto e = Parse(kBuiltinExclusionsCsv, "built-in (src/eval/exclusions.csv)");
  return e.ok() ? std::move(e).value() : Exclusions();
}

}  // namespace lfr::eval
