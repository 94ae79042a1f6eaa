// Test helpers for tests that need the shared models or data (../shared or the
// LFR_MODEL_MIRROR / LFR_DATA / LFR_HOME folders).
//
// When something is missing the test is skipped with a message, unless
// LFR_REQUIRE_SHARED=1 (CI sets it), in which case it fails. Use the macros so the
// skip/fail happens in the test body:
//
//   LFR_REQUIRE_MODEL(model, "yunet-2022mar");    // declares InstalledModel model
//   LFR_REQUIRE_DATA(dir, "lfw/pairs.txt");        // declares std::filesystem::path dir
#ifndef LFR_TESTING_SHARED_H_
#define LFR_TESTING_SHARED_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "models/store.h"

namespace lfr::testing {

bool RequireShared();
// The catalogue (loaded once, lives for the process).
const Catalog& TestCatalog();
// A store that resolves models from LFR_HOME's store if installed there, else directly
// from the mirror folder (LFR_MODEL_MIRROR or ../shared/models). nullopt if neither has it.
std::optional<InstalledModel> FindModel(const std::string& id);
// LFR_DATA (or ../shared/data) joined with rel, if that exists.
std::optional<std::filesystem::path> FindData(const std::string& rel);
// The shared data root, if present.
std::optional<std::filesystem::path> DataRoot();
// A fresh empty temporary directory, removed at process exit.
std::filesystem::path TempDir(const std::string& tag);
// A fresh LFR_HOME-style folder whose models/ holds the given models, installed by linking
// the mirror's (or the store's) files; nullopt if one of them is not available.
std::optional<std::filesystem::path> HomeWithModels(const std::string& tag,
                                                    const std::vector<std::string>& model_ids);

}  // namespace lfr::testing

#define LFR_MISSING_SHARED_(what)                                              \
  do {                                                                         \
    if (::lfr::testing::RequireShared()) {                                     \
      FAIL() << "required shared file missing (LFR_REQUIRE_SHARED=1): " << (what); \
    } else {                                                                   \
      GTEST_SKIP() << "shared file missing: " << (what);                       \
    }                                                                          \
  } while (0)

#define LFR_REQUIRE_MODEL(var, id)                                   \
  auto var##_opt_ = ::lfr::testing::FindModel(id);                   \
  if (!var##_opt_) LFR_MISSING_SHARED_(std::string("model ") + (id)); \
  const ::lfr::InstalledModel& var = *var##_opt_

#define LFR_REQUIRE_DATA(var, rel)                                   \
  auto var##_opt_ = ::lfr::testing::FindData(rel);                   \
  if (!var##_opt_) LFR_MISSING_SHARED_(std::string("data ") + (rel)); \
  const std::filesystem::path var = *var##_opt_

#endif  // LFR_TESTING_SHARED_H_
