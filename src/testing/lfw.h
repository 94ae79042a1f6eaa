// LFW images for tests of retrospective search (CLI and API): same-person pairs from the head
// of LFW's pairs.txt and distractors, by path under the shared data's lfw/images, and a
// file's bytes.
#ifndef LFR_TESTING_LFW_H_
#define LFR_TESTING_LFW_H_

#include <filesystem>
#include <string>

namespace lfr::testing {

// A same-person pair: (name, gallery image number, probe image number).
struct LfwPair {
  const char* name;
  int gallery, probe;
};
inline constexpr LfwPair kLfwPairs[] = {{"Abel_Pacheco", 1, 4},          {"Akhmed_Zakayev", 1, 3},
                                        {"Amber_Tamblyn", 1, 2},         {"Anders_Fogh_Rasmussen", 1, 3},
                                        {"Angela_Bassett", 1, 5},        {"Ann_Veneman", 3, 5}};
// Other people, one image each (number 1), as distractors in a gallery.
inline constexpr const char* kLfwDistractors[] = {"AJ_Cook",     "AJ_Lamas",        "Aaron_Eckhart",
                                                  "Aaron_Guiel", "Aaron_Patterson", "Aaron_Peirsol"};

// images/<name>/<name>_<nnnn>.jpg under the LFW images folder.
std::filesystem::path LfwImage(const std::filesystem::path& images, const std::string& name, int n);
// The whole file ("" if unreadable).
std::string ReadFileBytes(const std::filesystem::path& path);

}  // namespace lfr::testing

#endif  // LFR_TESTING_LFW_H_
