#include "eval/dataset.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "store/watchlist_csv.h"

namespace lfr::eval {
namespace fs = std::filesystem;

namespace {

Status Err(DatasetError* out, DatasetError kind, Status s) {
  if (out) *out = kind;
  return s;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsImageFile(const fs::path& p) {
  const std::string ext = Lower(p.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp";
}

fs::path Normal(const fs::path& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  return (ec ? p : a).lexically_normal();
}

// The canonical name of a header column, or "" for one we do not read.
std::string Canonical(const std::string& header) {
  const std::string h = Lower(Trim(header));
  if (h == "image" || h == "file") return "image";
  if (h == "identity") return "identity";
  if (h == "sex" || h == "gender") return kSex;
  if (h == "ethnicity" || h == "race") return kEthnicity;
  if (h == "age_band" || h == "age") return kAgeBand;
  return "";
}

// Merges found into columns: sex, ethnicity, age_band first, then the --group-by columns
// by name.
void AddColumns(const std::vector<std::string>& found, std::vector<std::string>* columns) {
  std::set<std::string> all(columns->begin(), columns->end());
  all.insert(found.begin(), found.end());
  columns->clear();
  for (const char* c : {kSex, kEthnicity, kAgeBand}) {
    if (all.erase(c)) columns->push_back(c);
  }
  columns->insert(columns->end(), all.begin(), all.end());
}

struct CsvRow {
  int line = 0;
  fs::path image;
  std::string identity;
  Demographics demographics;
};

// Parses an identity-set CSV (need_identity) or a non-mated CSV; checks the images exist.
Status ParseRows(const std::string& text, const fs::path& base_dir, const std::string& origin, bool need_identity,
                 const std::vector<std::string>& group_by, std::vector<CsvRow>* rows,
                 std::vector<std::string>* columns, DatasetError* error) {
  std::vector<std::pair<int, std::vector<std::string>>> records;
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  const bool bom = std::string_view(text).substr(0, kBom.size()) == kBom;
  if (Status s = SplitCsv(bom ? text.substr(kBom.size()) : text, &records); !s.ok()) {
    return Err(error, DatasetError::kUnreadableCsv, Status::InvalidArgument(origin + ": " + s.message()));
  }
  const std::string expected = need_identity ? "image,identity and optional sex,ethnicity (or race),age_band"
                                             : "image and optional sex,ethnicity (or race),age_band";
  if (records.empty()) {
    return Err(error, DatasetError::kEmpty,
               Status::InvalidArgument(origin + ": the CSV is empty (expected a header row: " + expected + ")"));
  }
  const auto& header = records[0].second;
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string c = Canonical(header[i]);
    if (!c.empty() && !col.count(c)) col[c] = i;
  }
  std::vector<std::string> need = {"image"};
  if (need_identity) need.push_back("identity");
  for (const auto& n : need) {
    if (!col.count(n)) {
      std::string found;
      for (const auto& h : header) found += (found.empty() ? "" : ",") + Trim(h);
      return Err(error, DatasetError::kMissingColumn,
                 Status::InvalidArgument(origin + ": the header has no '" + n + "' column (header: " + found +
                                         "; expected " + expected + ")"));
    }
  }
  std::vector<std::string> demo_cols;
  for (const char* c : {kSex, kEthnicity, kAgeBand}) {
    if (col.count(c)) demo_cols.push_back(c);
  }
  // --group-by: further columns to report by, under their own (lower-case) names. The
  // identity set must have them; a non-mated set without one leaves it "not recorded".
  for (const auto& g : group_by) {
    const std::string name = Lower(Trim(g));
    if (name.empty() || col.count(name) || !Canonical(name).empty()) continue;
    for (size_t i = 0; i < header.size(); ++i) {
      if (Lower(Trim(header[i])) == name) {
        col[name] = i;
        break;
      }
    }
    if (col.count(name)) {
      demo_cols.push_back(name);
    } else if (need_identity) {
      std::string found;
      for (const auto& h : header) found += (found.empty() ? "" : ",") + Trim(h);
      return Err(error, DatasetError::kMissingColumn,
                 Status::InvalidArgument(origin + ": the header has no '" + name +
                                         "' column to group by (header: " + found + ")"));
    }
  }
  AddColumns(demo_cols, columns);
  for (size_t r = 1; r < records.size(); ++r) {
    const auto& [line, fields] = records[r];
    const std::string where = origin + " line " + std::to_string(line);
    if (fields.size() != header.size()) {
      return Err(error, DatasetError::kUnreadableCsv,
                 Status::InvalidArgument(where + ": " + std::to_string(fields.size()) + " fields, the header has " +
                                         std::to_string(header.size())));
    }
    CsvRow row;
    row.line = line;
    const std::string image = Trim(fields[col["image"]]);
    if (image.empty()) {
      return Err(error, DatasetError::kUnreadableCsv, Status::InvalidArgument(where + ": the image is empty"));
    }
    if (need_identity) {
      row.identity = Trim(fields[col["identity"]]);
      if (row.identity.empty()) {
        return Err(error, DatasetError::kUnreadableCsv, Status::InvalidArgument(where + ": the identity is empty"));
      }
    }
    for (const auto& c : demo_cols) row.demographics[c] = Trim(fields[col[c]]);
    row.image = Normal(fs::path(image).is_absolute() ? fs::path(image) : base_dir / image);
    std::error_code ec;
    if (!fs::is_regular_file(row.image, ec)) {
      return Err(error, DatasetError::kMissingFile,
                 Status::NotFound(where + ": image " + row.image.string() + " does not exist"));
    }
    rows->push_back(std::move(row));
  }
  if (rows->empty()) {
    return Err(error, DatasetError::kEmpty, Status::InvalidArgument(origin + ": the CSV has a header but no images"));
  }
  return Status::Ok();
}

Result<std::string> ReadCsv(const fs::path& csv, DatasetError* error) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(csv, ec);
  if (!ec && size > kMaxCsvBytes) {
    return Err(error, DatasetError::kUnreadableCsv,
               Status::InvalidArgument(csv.string() + ": " + std::to_string(size) + " bytes is more than the " +
                                       std::to_string(kMaxCsvBytes >> 20) + " MiB a data set CSV may have"));
  }
  std::ifstream in(csv, std::ios::binary);
  if (!in) return Err(error, DatasetError::kUnreadableCsv, Status::IOError(csv.string() + ": cannot be read"));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Err(error, DatasetError::kUnreadableCsv, Status::IOError(csv.string() + ": read error"));
  return ss.str();
}

// The image files directly in a folder, sorted by file name.
std::vector<fs::path> ImagesIn(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    std::error_code ec2;
    if (f.is_regular_file(ec2) && IsImageFile(f.path())) out.push_back(Normal(f.path()));
  }
  std::sort(out.begin(), out.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  return out;
}

// Refuses an image listed twice; `seen` maps path -> where it was first listed.
Status CheckDuplicate(const fs::path& image, const std::string& where, std::map<std::string, std::string>* seen,
                      DatasetError* error) {
  auto [it, fresh] = seen->emplace(image.string(), where);
  if (!fresh) {
    return Err(error, DatasetError::kDuplicateImage,
               Status::InvalidArgument(where + ": image " + image.string() + " is listed twice (also " + it->second +
                                       ")"));
  }
  return Status::Ok();
}

std::string Where(const std::string& origin, int line) {
  return line > 0 ? origin + " line " + std::to_string(line) : origin;
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

const char* DatasetErrorName(DatasetError e) {
  switch (e) {
    case DatasetError::kNone: return "none";
    case DatasetError::kMissingFile: return "missing file";
    case DatasetError::kMissingColumn: return "missing column";
    case DatasetError::kUnreadableCsv: return "unreadable CSV";
    case DatasetError::kTooFewImages: return "too few images";
    case DatasetError::kEmpty: return "empty data set";
    case DatasetError::kDuplicateImage: return "duplicate image";
  }
  return "unknown";
}

int64_t Dataset::identity_images() const {
  int64_t n = 0;
  for (const auto& id : identities) n += static_cast<int64_t>(id.images.size());
  return n;
}
int64_t Dataset::images() const { return identity_images() + static_cast<int64_t>(nonmated.size()); }

Result<Dataset> ParseDatasetCsv(const std::string& text, const fs::path& base_dir, const std::string& origin,
                                DatasetError* error, const std::vector<std::string>& group_by) {
  Dataset d;
  d.origin = origin;
  d.layout = "csv";
  std::vector<CsvRow> rows;
  LFR_RETURN_IF_ERROR(ParseRows(text, base_dir, origin, true, group_by, &rows, &d.columns, error));
  std::map<std::string, std::string> seen;
  std::map<std::string, size_t> index;
  for (auto& row : rows) {
    LFR_RETURN_IF_ERROR(CheckDuplicate(row.image, Where(origin, row.line), &seen, error));
    auto [it, fresh] = index.emplace(row.identity, d.identities.size());
    if (fresh) d.identities.push_back({row.identity, {}});
    d.identities[it->second].images.push_back({row.image, std::move(row.demographics), row.line});
  }
  std::sort(d.identities.begin(), d.identities.end(),
            [](const DatasetIdentity& a, const DatasetIdentity& b) { return a.name < b.name; });
  return d;
}

Result<Dataset> LoadDataset(const fs::path& path, DatasetError* error, const std::vector<std::string>& group_by) {
  if (error) *error = DatasetError::kNone;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Err(error, DatasetError::kMissingFile,
               Status::NotFound("data set " + path.string() +
                                " does not exist (expected a folder with one sub-folder per identity, or a CSV file)"));
  }
  if (!fs::is_directory(path, ec)) {
    auto text = ReadCsv(path, error);
    if (!text.ok()) return text.status();
    return ParseDatasetCsv(*text, Normal(path).parent_path(), path.string(), error, group_by);
  }
  if (!group_by.empty()) {
    return Err(error, DatasetError::kMissingColumn,
               Status::InvalidArgument("data set " + path.string() +
                                       " is a folder: grouping by a column (--group-by) needs a CSV data set"));
  }
  Dataset d;
  d.origin = path.string();
  d.layout = "folder";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    std::error_code ec2;
    if (e.is_directory(ec2)) dirs.push_back(e.path());
  }
  if (ec) {
    return Err(error, DatasetError::kMissingFile, Status::IOError(path.string() + ": cannot be listed: " + ec.message()));
  }
  std::sort(dirs.begin(), dirs.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  for (const auto& dir : dirs) {
    DatasetIdentity id;
    id.name = dir.filename().string();
    for (auto& p : ImagesIn(dir)) id.images.push_back({std::move(p), {}, 0});
    if (id.images.empty()) {
      return Err(error, DatasetError::kTooFewImages,
                 Status::InvalidArgument("identity '" + id.name + "' (" + dir.string() +
                                         ") holds no image (.jpg, .jpeg, .png, .bmp, .webp)"));
    }
    d.identities.push_back(std::move(id));
  }
  if (d.identities.empty()) {
    return Err(error, DatasetError::kEmpty,
               Status::InvalidArgument("data set " + path.string() +
                                       " has no identities (expected one sub-folder per identity with its images, "
                                       "or a CSV file image,identity)"));
  }
  return d;
}

Status LoadNonMated(const fs::path& path, Dataset* d, DatasetError* error, const std::vector<std::string>& group_by) {
  if (error) *error = DatasetError::kNone;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Err(error, DatasetError::kMissingFile,
               Status::NotFound("non-mated set " + path.string() +
                                " does not exist (expected a folder of images or a CSV file with an image column)"));
  }
  std::map<std::string, std::string> seen;
  for (const auto& id : d->identities) {
    for (const auto& im : id.images) seen.emplace(im.path.string(), Where(d->origin, im.line) + " (identity '" + id.name + "')");
  }
  std::vector<DatasetImage> images;
  if (fs::is_directory(path, ec)) {
    for (auto& p : ImagesIn(path)) images.push_back({std::move(p), {}, 0});
    if (images.empty()) {
      return Err(error, DatasetError::kEmpty,
                 Status::InvalidArgument("non-mated set " + path.string() + " holds no image"));
    }
  } else {
    auto text = ReadCsv(path, error);
    if (!text.ok()) return text.status();
    std::vector<CsvRow> rows;
    LFR_RETURN_IF_ERROR(
        ParseRows(*text, Normal(path).parent_path(), path.string(), false, group_by, &rows, &d->columns, error));
    for (auto& r : rows) images.push_back({std::move(r.image), std::move(r.demographics), r.line});
  }
  for (const auto& im : images) {
    LFR_RETURN_IF_ERROR(CheckDuplicate(im.path, Where(path.string(), im.line), &seen, error));
  }
  d->nonmated = std::move(images);
  d->nonmated_origin = path.string();
  return Status::Ok();
}

Status CheckProtocol(const Dataset& d, int min_images, int min_identities, DatasetError* error) {
  if (d.identities.empty()) {
    return Err(error, DatasetError::kEmpty, Status::InvalidArgument("data set " + d.origin + " has no identities"));
  }
  int enough = 0;
  for (const auto& id : d.identities) enough += static_cast<int>(id.images.size()) >= min_images;
  const int people = static_cast<int>(d.identities.size() + d.nonmated.size());
  if (enough == 0) {
    std::string list;
    for (size_t i = 0; i < d.identities.size() && i < 5; ++i) {
      list += (i ? ", " : "") + d.identities[i].name + " (" + std::to_string(d.identities[i].images.size()) + ")";
    }
    if (d.identities.size() > 5) list += ", ...";
    return Err(error, DatasetError::kTooFewImages,
               Status::InvalidArgument("data set " + d.origin + ": no identity has the " + std::to_string(min_images) +
                                       " images the protocol needs (images per identity: " + list + ")"));
  }
  if (people < min_identities) {
    return Err(error, DatasetError::kTooFewImages,
               Status::InvalidArgument("data set " + d.origin + ": " + std::to_string(people) +
                                       " identities; the protocol needs at least " + std::to_string(min_identities)));
  }
  return Status::Ok();
}

Dataset LfwFairFaceDataset(const fs::path& lfw_root, const std::vector<LfwPerson>& people,
                           const std::map<std::string, std::string>& sex, const std::vector<FairFaceImage>& fairface) {
  Dataset d;
  d.origin = (lfw_root / "images").string();
  d.layout = "lfw";
  d.columns = {kSex};
  for (const auto& p : people) {
    DatasetIdentity id;
    id.name = p.name;
    auto it = sex.find(p.name);
    std::string s = it == sex.end() ? "unknown" : it->second;
    if (s == "M") s = "Male";
    if (s == "F") s = "Female";
    for (int n : p.images) id.images.push_back({LfwImagePath(lfw_root, {p.name, n}), {{kSex, s}}, 0});
    d.identities.push_back(std::move(id));
  }
  for (const auto& f : fairface) {
    Demographics demo = {{kSex, f.gender}, {kEthnicity, f.race}};
    if (!f.age.empty()) demo[kAgeBand] = f.age;
    d.nonmated.push_back({f.path, std::move(demo), 0});
  }
  if (!fairface.empty()) {
    d.nonmated_origin = (fairface.front().path.parent_path().parent_path() / "labels.csv").string();
    AddColumns({kEthnicity, kAgeBand}, &d.columns);
  }
  return d;
}

std::vector<fs::path> DatasetPaths(const Dataset& d) {
  std::vector<fs::path> out;
  out.reserve(static_cast<size_t>(d.images()));
  for (const auto& id : d.identities) {
    for (const auto& im : id.images) out.push_back(im.path);
  }
  for (const auto& im : d.nonmated) out.push_back(im.path);
  return out;
}

std::vector<EvalIdentity> ToEvalIdentities(const Dataset& d, std::vector<ImageResult>* results) {
  std::vector<EvalIdentity> ids;
  size_t k = 0;
  for (const auto& di : d.identities) {
    EvalIdentity id;
    id.name = di.name;
    id.source = "dataset";
    for (const auto& im : di.images) id.images.push_back({im.path.string(), std::move((*results)[k++]), im.demographics});
    ids.push_back(std::move(id));
  }
  for (const auto& im : d.nonmated) {
    EvalIdentity id;
    id.name = "non-mated:" + im.path.string();
    id.source = "non-mated";
    id.images.push_back({im.path.string(), std::move((*results)[k++]), im.demographics});
    ids.push_back(std::move(id));
  }
  return ids;
}

Status WriteDatasetCsv(const Dataset& d, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": cannot create: " + ec.message());
  auto write = [&](const fs::path& file, bool identities) -> Status {
    std::ofstream out(file, std::ios::binary);
    out << "image" << (identities ? ",identity" : "");
    for (const auto& c : d.columns) out << "," << c;
    out << "\n";
    auto row = [&](const DatasetImage& im, const std::string* identity) {
      out << CsvField(Normal(im.path).string());
      if (identity) out << "," << CsvField(*identity);
      for (const auto& c : d.columns) {
        auto it = im.demographics.find(c);
        out << "," << CsvField(it == im.demographics.end() ? "" : it->second);
      }
      out << "\n";
    };
    if (identities) {
      for (const auto& id : d.identities) {
        for (const auto& im : id.images) row(im, &id.name);
      }
    } else {
      for (const auto& im : d.nonmated) row(im, nullptr);
    }
    out.close();
    if (!out) return Status::IOError(file.string() + ": cannot write");
    return Status::Ok();
  };
  LFR_RETURN_IF_ERROR(write(dir / "identities.csv", true));
  if (!d.nonmated.empty()) LFR_RETURN_IF_ERROR(write(dir / "non-mated.csv", false));
  return Status::Ok();
}

Result<std::vector<DatasetPair>> DrawVerificationPairs(const Dataset& d, const PairOptions& o, DatasetError* error) {
  if (o.folds < 2 || o.pairs < 1 || o.max_pairs_per_identity < 1) {
    return Status::InvalidArgument("verification pairs: folds must be >= 2, pairs and pairs per identity >= 1");
  }
  LFR_RETURN_IF_ERROR(CheckProtocol(d, 2, 2, error));
  // Flat image indices (DatasetPaths' order) and each image's owner.
  std::vector<int> owner;
  std::vector<int> offset;
  for (size_t i = 0; i < d.identities.size(); ++i) {
    offset.push_back(static_cast<int>(owner.size()));
    owner.insert(owner.end(), d.identities[i].images.size(), static_cast<int>(i));
  }
  for (size_t k = 0; k < d.nonmated.size(); ++k) owner.push_back(static_cast<int>(d.identities.size() + k));

  std::vector<std::pair<int, int>> mated;
  for (size_t i = 0; i < d.identities.size(); ++i) {
    const int64_t n = static_cast<int64_t>(d.identities[i].images.size());
    if (n < 2) continue;
    const int64_t all = n * (n - 1) / 2;
    const int base = offset[i];
    if (all <= o.max_pairs_per_identity) {
      for (int a = 0; a < n; ++a) {
        for (int b = a + 1; b < n; ++b) mated.emplace_back(base + a, base + b);
      }
      continue;
    }
    std::mt19937_64 rng(o.seed ^ Fnv1a(d.identities[i].name));
    std::uniform_int_distribution<int64_t> pick(0, n - 1);
    std::set<std::pair<int, int>> chosen;
    std::vector<std::pair<int, int>> in_order;
    while (static_cast<int>(chosen.size()) < o.max_pairs_per_identity) {
      int a = static_cast<int>(pick(rng)), b = static_cast<int>(pick(rng));
      if (a == b) continue;
      if (a > b) std::swap(a, b);
      if (chosen.emplace(base + a, base + b).second) in_order.emplace_back(base + a, base + b);
    }
    mated.insert(mated.end(), in_order.begin(), in_order.end());
  }
  {
    std::mt19937_64 rng(o.seed);
    std::shuffle(mated.begin(), mated.end(), rng);
  }
  if (static_cast<int>(mated.size()) > o.pairs) mated.resize(o.pairs);
  if (static_cast<int>(mated.size()) < o.folds) {
    return Err(error, DatasetError::kTooFewImages,
               Status::InvalidArgument("data set " + d.origin + " gives " + std::to_string(mated.size()) +
                                       " mated pairs, fewer than the " + std::to_string(o.folds) + " folds"));
  }
  std::vector<std::pair<int, int>> nonmated;
  {
    std::mt19937_64 rng(o.seed + 1);
    const int total = static_cast<int>(owner.size());
    std::uniform_int_distribution<int> pick(0, total - 1);
    std::set<std::pair<int, int>> chosen;
    const int64_t max_tries = 1000 + 100 * static_cast<int64_t>(mated.size());
    for (int64_t t = 0; t < max_tries && nonmated.size() < mated.size(); ++t) {
      int a = pick(rng), b = pick(rng);
      if (owner[a] == owner[b]) continue;
      if (a > b) std::swap(a, b);
      if (chosen.emplace(a, b).second) nonmated.emplace_back(a, b);
    }
  }
  std::vector<DatasetPair> out;
  for (size_t k = 0; k < mated.size(); ++k) {
    out.push_back({static_cast<int>(k % o.folds), true, mated[k].first, mated[k].second});
  }
  for (size_t k = 0; k < nonmated.size(); ++k) {
    out.push_back({static_cast<int>(k % o.folds), false, nonmated[k].first, nonmated[k].second});
  }
  return out;
}

}  // namespace lfr::eval
