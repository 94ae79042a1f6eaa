// Watchlist import lists: what `lfr watchlist import` enrols, from a CSV file with
// metadata or from a folder of images named after the people.
//
// CSV: UTF-8, comma-separated, RFC 4180 quoting ("a, b" and "say ""hi"""), a header row
// naming the columns in any order: image and reference are required; name, category,
// reason and image_source are optional columns (empty values are left for the store to
// judge — it requires category and reason). Image paths are relative to the CSV's folder
// unless absolute. Blank lines are skipped. A UTF-8 byte-order mark at the start (what
// spreadsheet programs write) is ignored. Every field is checked like the API's
// (store/text_fields.h: valid UTF-8, bounded length, no control or bidi-override
// characters); the first bad field refuses the whole file, naming its line and column.
//
// Folder: every image file directly in it is one person; reference and display name come
// from the file stem ("Jane_Doe.jpg" -> reference "Jane_Doe", name "Jane Doe"); category,
// reason and image_source are given for the whole folder. Sub-folders are ignored.
//
// Thread-safe (pure functions over their inputs and the file system).
#ifndef LFR_STORE_WATCHLIST_CSV_H_
#define LFR_STORE_WATCHLIST_CSV_H_

#include <filesystem>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace lfr {

constexpr size_t kMaxCsvBytes = size_t{64} << 20;  // 64 MiB, far above 100,000 rows
constexpr size_t kMaxCsvPathChars = 4096;

struct ImportItem {
  std::filesystem::path image;
  WatchlistEntry meta;  // reference, display_name, category, reason, image_source
  int line = 0;         // CSV line number (1-based), 0 for a folder
};

// Splits RFC 4180 CSV text into records of fields, each with the line it starts on (blank
// lines skipped). InvalidArgument for an unterminated quote. Shared with the gallery import
// (gallery/import.h).
Status SplitCsv(const std::string& text, std::vector<std::pair<int, std::vector<std::string>>>* records);

// InvalidArgument (with the line number) for a missing header column, an unterminated
// quote, a row with the wrong number of fields or an empty image/reference, or a field
// that is not valid UTF-8, too long or holds control or bidi-override characters.
Result<std::vector<ImportItem>> ParseWatchlistCsv(const std::string& text,
                                                  const std::filesystem::path& base_dir);
// Reads and parses a CSV file (NotFound / IOError for the file itself; InvalidArgument for
// a file larger than kMaxCsvBytes).
Result<std::vector<ImportItem>> ReadWatchlistCsv(const std::filesystem::path& csv);
// Lists a folder of Name.jpg images, sorted by name. NotFound if absent, InvalidArgument
// if it is not a folder or holds no image.
Result<std::vector<ImportItem>> ListWatchlistFolder(const std::filesystem::path& dir,
                                                    const WatchlistEntry& defaults);

}  // namespace lfr

#endif  // LFR_STORE_WATCHLIST_CSV_H_
