#include "testing/lfw.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace lfr::testing {

std::filesystem::path LfwImage(const std::filesystem::path& images, const std::string& name, int n) {
  char file[256];
  std::snprintf(file, sizeof file, "%s_%04d.jpg", name.c_str(), n);
  return images / name / file;
}

std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace lfr::testing
