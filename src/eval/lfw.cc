#include "eval/lfw.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace lfr::eval {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> SplitWs(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string tok;
  while (in >> tok) out.push_back(tok);
  return out;
}

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool ParsePositiveInt(const std::string& s, int* out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  *out = std::stoi(s);
  return *out > 0;
}

}  // namespace

Result<std::string> ReadTextFile(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NotFound(path.string() + ": no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string() + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError(path.string() + ": read error");
  return ss.str();
}

fs::path LfwImagePath(const fs::path& root, const LfwImageRef& ref) {
  char num[16];
  std::snprintf(num, sizeof(num), "%04d", ref.number);
  return root / "images" / ref.person / (ref.person + "_" + num + ".jpg");
}

Result<LfwPairs> ParseLfwPairs(const std::string& text, const std::string& what) {
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(what + ":" + std::to_string(line_no) + ": " + why);
  };
  LfwPairs out;
  while (std::getline(in, line)) {
    ++line_no;
    if (!SplitWs(line).empty()) break;
  }
  auto head = SplitWs(line);
  if (head.size() != 2 || !ParsePositiveInt(head[0], &out.folds) ||
      !ParsePositiveInt(head[1], &out.per_fold)) {
    return bad("expected a header '<folds> <pairs per fold>', got '" + line + "'");
  }
  for (int f = 0; f < out.folds; ++f) {
    for (int k = 0; k < 2 * out.per_fold; ++k) {
      if (!std::getline(in, line)) {
        return bad("file ends in fold " + std::to_string(f + 1) + " after " +
                   std::to_string(k) + " of " + std::to_string(2 * out.per_fold) + " pairs");
      }
      ++line_no;
      auto t = SplitWs(line);
      LfwPair p;
      p.fold = f;
      p.same = k < out.per_fold;
      if (p.same) {
        if (t.size() != 3 || !ParsePositiveInt(t[1], &p.a.number) ||
            !ParsePositiveInt(t[2], &p.b.number)) {
          return bad("expected a mated pair 'name n1 n2', got '" + line + "'");
        }
        p.a.person = p.b.person = t[0];
      } else {
        if (t.size() != 4 || !ParsePositiveInt(t[1], &p.a.number) ||
            !ParsePositiveInt(t[3], &p.b.number)) {
          return bad("expected a non-mated pair 'name1 n1 name2 n2', got '" + line + "'");
        }
        p.a.person = t[0];
        p.b.person = t[2];
      }
      out.pairs.push_back(std::move(p));
    }
  }
  return out;
}

Result<LfwPairs> LoadLfwPairs(const fs::path& pairs_txt) {
  auto text = ReadTextFile(pairs_txt);
  if (!text.ok()) return text.status();
  return ParseLfwPairs(*text, pairs_txt.string());
}

Result<std::vector<LfwPerson>> ScanLfwPeople(const fs::path& root) {
  const fs::path images = root / "images";
  std::error_code ec;
  if (!fs::is_directory(images, ec)) {
    return Status::NotFound(images.string() + ": no such folder (expected LFW's images/<Person>/)");
  }
  std::vector<LfwPerson> people;
  for (const auto& dir : fs::directory_iterator(images, ec)) {
    if (!dir.is_directory()) continue;
    LfwPerson p;
    p.name = dir.path().filename().string();
    const std::string prefix = p.name + "_";
    for (const auto& f : fs::directory_iterator(dir.path(), ec)) {
      const std::string fn = f.path().filename().string();
      if (fn.size() != prefix.size() + 8 || fn.compare(0, prefix.size(), prefix) != 0 ||
          fn.substr(fn.size() - 4) != ".jpg") {
        continue;
      }
      int n = 0;
      if (ParsePositiveInt(fn.substr(prefix.size(), 4), &n)) p.images.push_back(n);
    }
    if (p.images.empty()) continue;
    std::sort(p.images.begin(), p.images.end());
    people.push_back(std::move(p));
  }
  if (ec) return Status::IOError(images.string() + ": " + ec.message());
  if (people.empty()) return Status::InvalidArgument(images.string() + ": no person folders with images");
  std::sort(people.begin(), people.end(),
            [](const LfwPerson& a, const LfwPerson& b) { return a.name < b.name; });
  return people;
}

Result<std::map<std::string, std::string>> LoadLfwSexLabels(const fs::path& csv) {
  auto text = ReadTextFile(csv);
  if (!text.ok()) return text.status();
  std::istringstream in(*text);
  std::string line;
  int line_no = 0;
  int person_col = -1, label_col = -1;
  std::map<std::string, std::string> out;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    auto cols = SplitCsv(line);
    if (person_col < 0) {
      for (size_t i = 0; i < cols.size(); ++i) {
        if (cols[i] == "person") person_col = static_cast<int>(i);
        if (cols[i] == "majority_label") label_col = static_cast<int>(i);
      }
      if (person_col < 0 || label_col < 0) {
        return Status::InvalidArgument(csv.string() +
                                       ":1: expected a header with person and majority_label");
      }
      continue;
    }
    if (static_cast<int>(cols.size()) <= std::max(person_col, label_col)) {
      return Status::InvalidArgument(csv.string() + ":" + std::to_string(line_no) +
                                     ": too few columns");
    }
    out[cols[person_col]] = cols[label_col];
  }
  if (out.empty()) return Status::InvalidArgument(csv.string() + ": no labels");
  return out;
}

Result<std::vector<FairFaceImage>> LoadFairFace(const fs::path& root) {
  const fs::path csv = root / "labels.csv";
  auto text = ReadTextFile(csv);
  if (!text.ok()) return text.status();
  std::istringstream in(*text);
  std::string line;
  int line_no = 0;
  int c_file = -1, c_age = -1, c_gender = -1, c_race = -1;
  std::vector<FairFaceImage> out;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    auto cols = SplitCsv(line);
    if (c_file < 0) {
      for (size_t i = 0; i < cols.size(); ++i) {
        const int k = static_cast<int>(i);
        if (cols[i] == "file") c_file = k;
        if (cols[i] == "age") c_age = k;
        if (cols[i] == "gender") c_gender = k;
        if (cols[i] == "race") c_race = k;
      }
      if (c_file < 0 || c_gender < 0 || c_race < 0) {
        return Status::InvalidArgument(csv.string() + ":1: expected a header with file, gender, race");
      }
      continue;
    }
    if (static_cast<int>(cols.size()) <= std::max({c_file, c_age, c_gender, c_race})) {
      return Status::InvalidArgument(csv.string() + ":" + std::to_string(line_no) +
                                     ": too few columns");
    }
    FairFaceImage img;
    img.path = root / cols[c_file];
    if (c_age >= 0) img.age = cols[c_age];
    img.gender = cols[c_gender];
    img.race = cols[c_race];
    out.push_back(std::move(img));
  }
  if (out.empty()) return Status::InvalidArgument(csv.string() + ": no images listed");
  return out;
}

}  // namespace lfr::eval
