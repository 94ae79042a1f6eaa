#include "store/watchlist_csv.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "match/watchlist.h"
#include "store/text_fields.h"

namespace lfr {
namespace fs = std::filesystem;

Status SplitCsv(const std::string& text, std::vector<std::pair<int, std::vector<std::string>>>* records) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, any = false;
  int line = 1, record_line = 1;
  auto end_record = [&] {
    fields.push_back(std::move(field));
    field.clear();
    const bool blank = fields.size() == 1 && fields[0].empty() && !any;
    if (!blank) records->emplace_back(record_line, std::move(fields));
    fields.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\r') {
      // ignored (CRLF line ends)
    } else if (c == '\n') {
      end_record();
      ++line;
      record_line = line;
    } else {
      field += c;
    }
  }
  if (quoted) return Status::InvalidArgument("CSV line " + std::to_string(record_line) + ": unterminated quote");
  if (!field.empty() || !fields.empty() || any) end_record();
  return Status::Ok();
}

namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

Result<std::vector<ImportItem>> ParseWatchlistCsv(const std::string& text, const fs::path& base_dir) {
  std::vector<std::pair<int, std::vector<std::string>>> records;
  // Spreadsheet programs start UTF-8 CSV files with a byte-order mark: not part of the header.
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  const bool bom = std::string_view(text).substr(0, kBom.size()) == kBom;
  LFR_RETURN_IF_ERROR(SplitCsv(bom ? text.substr(kBom.size()) : text, &records));
  if (records.empty()) return Status::InvalidArgument("CSV is empty: expected a header row");
  std::map<std::string, size_t> col;
  const auto& header = records[0].second;
  for (size_t i = 0; i < header.size(); ++i) col[Trim(header[i])] = i;
  for (const char* need : {"image", "reference"}) {
    if (!col.count(need)) {
      return Status::InvalidArgument(std::string("CSV header has no \"") + need +
                                     "\" column (columns: image,reference,name,category,reason,image_source)");
    }
  }
  std::vector<ImportItem> out;
  for (size_t r = 1; r < records.size(); ++r) {
    const auto& [line, fields] = records[r];
    if (fields.size() != header.size()) {
      return Status::InvalidArgument("CSV line " + std::to_string(line) + ": " + std::to_string(fields.size()) +
                                     " fields, the header has " + std::to_string(header.size()));
    }
    auto get = [&](const char* name) { return col.count(name) ? Trim(fields[col[name]]) : std::string(); };
    ImportItem item;
    item.line = line;
    const std::string image = get("image");
    item.meta.reference = get("reference");
    if (image.empty() || item.meta.reference.empty()) {
      return Status::InvalidArgument("CSV line " + std::to_string(line) + ": image and reference must not be empty");
    }
    item.meta.display_name = get("name");
    item.meta.category = get("category");
    item.meta.reason = get("reason");
    item.meta.image_source = get("image_source");
    // The same bounds and cleaning as the API, refused here with the line, before any
    // image is enrolled.
    const std::string where = "CSV line " + std::to_string(line) + ", column ";
    LFR_RETURN_IF_ERROR(CheckText(image, where + "'image'", kMaxCsvPathChars));
    LFR_RETURN_IF_ERROR(CheckEntryText(item.meta, where));
    item.image = fs::path(image).is_absolute() ? fs::path(image) : base_dir / image;
    out.push_back(std::move(item));
  }
  if (out.empty()) return Status::InvalidArgument("CSV has a header but no rows");
  return out;
}

Result<std::vector<ImportItem>> ReadWatchlistCsv(const fs::path& csv) {
  std::error_code ec;
  if (!fs::exists(csv, ec)) return Status::NotFound("CSV file " + csv.string() + " does not exist");
  const uintmax_t size = fs::file_size(csv, ec);
  if (!ec && size > kMaxCsvBytes) {
    return Status::InvalidArgument(csv.string() + ": " + std::to_string(size) + " bytes is more than the " +
                                   std::to_string(kMaxCsvBytes >> 20) + " MiB a watchlist CSV may have");
  }
  std::ifstream f(csv, std::ios::binary);
  if (!f) return Status::IOError("cannot read " + csv.string());
  std::stringstream ss;
  ss << f.rdbuf();
  auto items = ParseWatchlistCsv(ss.str(), csv.parent_path());
  if (!items.ok()) return Status::InvalidArgument(csv.string() + ": " + items.status().message());
  return items;
}

Result<std::vector<ImportItem>> ListWatchlistFolder(const fs::path& dir, const WatchlistEntry& defaults) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::NotFound("watchlist folder " + dir.string() + " does not exist");
  if (!fs::is_directory(dir, ec)) return Status::InvalidArgument(dir.string() + " is not a folder");
  std::vector<ImportItem> out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || !IsImageFile(e.path())) continue;
    ImportItem item;
    item.image = e.path();
    item.meta = defaults;
    item.meta.reference = e.path().stem().string();
    item.meta.display_name = item.meta.reference;
    std::replace(item.meta.display_name.begin(), item.meta.display_name.end(), '_', ' ');
    out.push_back(std::move(item));
  }
  if (ec) return Status::IOError("cannot list " + dir.string() + ": " + ec.message());
  if (out.empty()) return Status::InvalidArgument("watchlist folder " + dir.string() + " holds no images");
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.image < b.image; });
  return out;
}

}  // namespace lfr
