#include "eval/exclusions.h"

#include <gtest/gtest.h>

namespace lfr::eval {
namespace {

TEST(ExclusionsTest, TheBuiltInListParsesAndNamesLfwAndFairFaceImages) {
  const Exclusions e = Exclusions::BuiltIn();
  EXPECT_GE(e.size(), 20u);  // an unparseable built-in list would be empty
  EXPECT_TRUE(e.Excludes("/data/lfw/images/Bart_Hendricks/Bart_Hendricks_0001.jpg"));
  EXPECT_TRUE(e.Excludes("/data/fairface-dev/images/32698.jpg"));
  EXPECT_FALSE(e.Excludes("/data/fairface-dev/images/4357.jpg"));  // the other of the pair stays
  EXPECT_FALSE(e.Excludes("/data/lfw/images/Carolina_Moraes/Carolina_Moraes_0002.jpg"));  // twins: two people
  for (const auto& [file, reason] : e.files()) EXPECT_FALSE(reason.empty()) << file;
}

TEST(ExclusionsTest, BadListsAreRefusedWithTheLine) {
  auto no_header = Exclusions::Parse("a.jpg,why\n", "x.csv");
  EXPECT_EQ(no_header.status().code(), Status::Code::kInvalidArgument);
  auto folder = Exclusions::Parse("# comment\nfile,reason\nlfw/a.jpg,why\n", "x.csv");
  ASSERT_EQ(folder.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(folder.status().message().find("x.csv line 3"), std::string::npos) << folder.status().message();
  EXPECT_EQ(Exclusions::Parse("file,reason\nno-comma\n", "x").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Exclusions::Load("/nonexistent/exclusions.csv").status().code(), Status::Code::kNotFound);
  auto ok = Exclusions::Parse("file,reason\r\na.jpg,why, with a comma\r\n", "x");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->files().at("a.jpg"), "why, with a comma");
}

}  // namespace
}  // namespace lfr::eval
