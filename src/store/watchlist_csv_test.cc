// Import lists: the CSV dialect (quotes, any column order, relative paths, errors with line
// numbers) and folders of Name.jpg.
#include "store/watchlist_csv.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(WatchlistCsv, ParsesQuotedFieldsInAnyColumnOrder) {
  const std::string csv =
      "reference,image,name,category,reason,image_source\r\n"
      "PNC-1,a.jpg,\"Doe, Jane\",wanted: theft,\"warrant \"\"W1\"\"\",custody 2024\r\n"
      "\n"
      "PNC-2,/abs/b.png,John Smith,missing person,\"line one\nline two\",\n";
  auto items = ParseWatchlistCsv(csv, "/base");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  const ImportItem& a = (*items)[0];
  EXPECT_EQ(a.image, fs::path("/base/a.jpg"));
  EXPECT_EQ(a.meta.reference, "PNC-1");
  EXPECT_EQ(a.meta.display_name, "Doe, Jane");
  EXPECT_EQ(a.meta.category, "wanted: theft");
  EXPECT_EQ(a.meta.reason, "warrant \"W1\"");
  EXPECT_EQ(a.meta.image_source, "custody 2024");
  EXPECT_EQ(a.line, 2);
  const ImportItem& b = (*items)[1];
  EXPECT_EQ(b.image, fs::path("/abs/b.png"));
  EXPECT_EQ(b.meta.reason, "line one\nline two");
  EXPECT_EQ(b.meta.image_source, "");
  EXPECT_EQ(b.line, 4);
}

TEST(WatchlistCsv, OptionalColumnsMayBeAbsent) {
  auto items = ParseWatchlistCsv("image,reference\nx.jpg,R1\n", "/d");
  ASSERT_TRUE(items.ok());
  EXPECT_EQ((*items)[0].meta.category, "");
  EXPECT_EQ((*items)[0].meta.display_name, "");
}

TEST(WatchlistCsv, ErrorsNameTheLine) {
  auto no_col = ParseWatchlistCsv("image,name\nx.jpg,A\n", "/d");
  ASSERT_FALSE(no_col.ok());
  EXPECT_THAT(no_col.status().message(), HasSubstr("\"reference\""));
  auto short_row = ParseWatchlistCsv("image,reference\nx.jpg,R1\ny.jpg\n", "/d");
  ASSERT_FALSE(short_row.ok());
  EXPECT_THAT(short_row.status().message(), HasSubstr("line 3"));
  auto quote = ParseWatchlistCsv("image,reference\n\"x.jpg,R1\n", "/d");
  ASSERT_FALSE(quote.ok());
  EXPECT_THAT(quote.status().message(), HasSubstr("unterminated"));
  auto empty_ref = ParseWatchlistCsv("image,reference\nx.jpg, \n", "/d");
  ASSERT_FALSE(empty_ref.ok());
  EXPECT_THAT(empty_ref.status().message(), HasSubstr("line 2"));
  EXPECT_FALSE(ParseWatchlistCsv("", "/d").ok());
  EXPECT_FALSE(ParseWatchlistCsv("image,reference\n", "/d").ok());
  EXPECT_EQ(ReadWatchlistCsv("/no/such.csv").status().code(), Status::Code::kNotFound);
}

// What spreadsheet programs write: a UTF-8 byte-order mark before the header.
TEST(WatchlistCsv, AByteOrderMarkIsAccepted) {
  auto items = ParseWatchlistCsv("\xEF\xBB\xBFimage,reference,name\r\nx.jpg,R1,Zoë Brontë\r\n", "/d");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_EQ((*items)[0].image, fs::path("/d/x.jpg"));
  EXPECT_EQ((*items)[0].meta.display_name, "Zoë Brontë");
}

TEST(WatchlistCsv, InvalidUtf8IsRefusedNamingLineAndColumn) {
  auto bad = ParseWatchlistCsv("image,reference,name\nx.jpg,R1,Ann\ny.jpg,R2,Bj\xF6rn\n", "/d");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "CSV line 3, column 'name': not valid UTF-8 (at byte 3)");
  auto path = ParseWatchlistCsv("image,reference\n\xFF.jpg,R1\n", "/d");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().message(), "CSV line 2, column 'image': not valid UTF-8 (at byte 1)");
}

TEST(WatchlistCsv, FieldsAreBoundedAndCleanedLikeTheApi) {
  const std::string huge(8 << 20, 'A');  // an 8 MiB display name
  auto big = ParseWatchlistCsv("image,reference,name\nx.jpg,R1," + huge + "\n", "/d");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(), "CSV line 2, column 'name': longer than 200 characters");
  static const char kNul[] = "image,reference,category\nx.jpg,R1,wan\0ted\n";
  auto nul = ParseWatchlistCsv(std::string(kNul, sizeof kNul - 1), "/d");
  ASSERT_FALSE(nul.ok());
  EXPECT_THAT(nul.status().message(), HasSubstr("CSV line 2, column 'category': contains a control character (U+0000)"));
  auto bidi = ParseWatchlistCsv("image,reference\nx.jpg,PNC\u202E1-CBA\n", "/d");
  ASSERT_FALSE(bidi.ok());
  EXPECT_THAT(bidi.status().message(), HasSubstr("CSV line 2, column 'reference': contains a bidirectional override"));
  auto newline_name = ParseWatchlistCsv("image,reference,name\nx.jpg,R1,\"Ann\nBob\"\n", "/d");
  ASSERT_FALSE(newline_name.ok());
  EXPECT_THAT(newline_name.status().message(), HasSubstr("column 'name': contains a control character (U+000A)"));
  auto long_reason = ParseWatchlistCsv("image,reference,reason\nx.jpg,R1," + std::string(2001, 'r') + "\n", "/d");
  ASSERT_FALSE(long_reason.ok());
  EXPECT_EQ(long_reason.status().message(), "CSV line 2, column 'reason': longer than 2000 characters");
}

TEST(WatchlistCsv, AFileAboveTheSizeLimitIsRefusedUnread) {
  const fs::path csv = lfr::testing::TempDir("wl-csv") / "huge.csv";
  { std::ofstream(csv) << "image,reference\n"; }
  fs::resize_file(csv, kMaxCsvBytes + 1);  // sparse: no disk used
  auto r = ReadWatchlistCsv(csv);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("more than the 64 MiB a watchlist CSV may have"));
}

TEST(WatchlistFolder, OneImagePerPersonNamedAfterTheFile) {
  const fs::path dir = lfr::testing::TempDir("wl-folder");
  for (const char* f : {"Jane_Doe.jpg", "John_Smith.PNG", "notes.txt"}) std::ofstream(dir / f) << "x";
  fs::create_directory(dir / "sub");
  WatchlistEntry defaults;
  defaults.category = "wanted: theft";
  defaults.reason = "warrant";
  auto items = ListWatchlistFolder(dir, defaults);
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].meta.reference, "Jane_Doe");
  EXPECT_EQ((*items)[0].meta.display_name, "Jane Doe");
  EXPECT_EQ((*items)[0].meta.category, "wanted: theft");
  EXPECT_EQ((*items)[1].meta.reference, "John_Smith");
  EXPECT_EQ(ListWatchlistFolder(dir / "nope", defaults).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(ListWatchlistFolder(dir / "sub", defaults).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace lfr
