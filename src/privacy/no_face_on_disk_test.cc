// Faces that match nobody are never stored. A live `lfr watch --deployment` run over the
// three shared videos, whose watchlist holds one LFW person who appears in none of them,
// with LFR_HOME and TMPDIR pointed at fresh folders: afterwards no file under them, nor the
// run's own stdout/stderr, holds an image (JPEG/PNG/BMP/WebP/GIF signature) or anything
// shaped like an embedding (128 little-endian floats, at any byte offset, dense and of unit
// norm). The watchlist person's own image and embedding are in the store, sealed, so they
// do not show either. The run must have seen faces (counters > 0) and raised no alert, or
// the test proves nothing.
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "store/sqlite_store.h"
#include "testing/cli_run.h"
#include "testing/lfr_process.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;
using lfr::testing::ScopedEnv;

struct Finding {
  fs::path file;
  size_t offset;
  std::string what;
};

// Image file signatures, strict enough that random (encrypted) bytes do not match by chance.
std::optional<std::pair<size_t, std::string>> FindImageSignature(const std::string& b) {
  const auto u = [&b](size_t i) { return static_cast<uint8_t>(b[i]); };
  for (size_t i = 0; i + 18 <= b.size(); ++i) {
    if (u(i) == 0xFF && u(i + 1) == 0xD8 && u(i + 2) == 0xFF) {
      const uint8_t m = u(i + 3);
      if (m == 0xE0 || m == 0xE1 || m == 0xDB || m == 0xEE || m == 0xC0 || m == 0xC2 || m == 0xC4 || m == 0xFE) {
        return std::make_pair(i, std::string("JPEG"));
      }
    }
    if (b.compare(i, 8, "\x89PNG\r\n\x1a\n") == 0) return std::make_pair(i, std::string("PNG"));
    if (b.compare(i, 4, "RIFF") == 0 && b.compare(i + 8, 4, "WEBP") == 0) return std::make_pair(i, std::string("WebP"));
    if (b.compare(i, 6, "GIF87a") == 0 || b.compare(i, 6, "GIF89a") == 0) return std::make_pair(i, std::string("GIF"));
    if (u(i) == 'B' && u(i + 1) == 'M' && u(i + 6) == 0 && u(i + 7) == 0 && u(i + 8) == 0 && u(i + 9) == 0) {
      const uint32_t dib = u(i + 14) | u(i + 15) << 8 | u(i + 16) << 16 | static_cast<uint32_t>(u(i + 17)) << 24;
      if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 108 || dib == 124) {
        return std::make_pair(i, std::string("BMP"));
      }
    }
  }
  return std::nullopt;
}

// A run of 128 floats (512 bytes) at any byte offset that decodes as an embedding: every
// value finite and within [-1, 1], squared norm within 1e-3 of 1, and dense (at least 64
// values above 1e-4 in magnitude, which zero padding with a stray 1.0f is not).
std::optional<size_t> FindEmbeddingLike(const std::string& b) {
  constexpr size_t kDim = 128;
  for (size_t align = 0; align < 4; ++align) {
    if (b.size() < align + 4 * kDim) continue;
    const size_t n = (b.size() - align) / 4;
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) std::memcpy(&v[i], b.data() + align + 4 * i, 4);
    double sum = 0;
    int bad = 0, dense = 0;
    auto add = [&](float x, int sign) {
      if (!std::isfinite(x) || std::fabs(x) > 1.0f) {
        bad += sign;
      } else {
        sum += sign * double(x) * x;
        dense += sign * (std::fabs(x) > 1e-4f);
      }
    };
    for (size_t i = 0; i < n; ++i) {
      add(v[i], +1);
      if (i >= kDim) add(v[i - kDim], -1);
      if (i + 1 >= kDim && bad == 0 && dense >= 64 && std::fabs(sum - 1.0) < 1e-3) {
        return align + 4 * (i + 1 - kDim);
      }
    }
  }
  return std::nullopt;
}

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every regular file under the roots (symbolic links, e.g. to the models, are not
// followed: they are not written by the run).
std::vector<Finding> ScanForFaceData(const std::vector<fs::path>& roots, int* files_scanned) {
  std::vector<Finding> out;
  for (const auto& root : roots) {
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_symlink() || !it->is_regular_file()) continue;
      ++*files_scanned;
      const std::string bytes = Slurp(it->path());
      if (auto sig = FindImageSignature(bytes)) out.push_back({it->path(), sig->first, sig->second + " image"});
      if (auto emb = FindEmbeddingLike(bytes)) out.push_back({it->path(), *emb, "embedding-like floats"});
    }
  }
  return out;
}

TEST(NoFaceOnDiskScanner, FindsPlantedImagesAndEmbeddingsButNotRandomBytes) {
  const fs::path dir = lfr::testing::TempDir("scan-control");
  std::mt19937 rng(5);
  std::string noise(100000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  std::ofstream(dir / "noise.bin", std::ios::binary) << noise;
  int files = 0;
  EXPECT_TRUE(ScanForFaceData({dir}, &files).empty());
  // An embedding at an odd offset inside noise, and a JPEG and a PNG inside other files.
  std::normal_distribution<float> g;
  std::vector<float> e(128);
  double s = 0;
  for (float& x : e) {
    x = g(rng);
    s += double(x) * x;
  }
  for (float& x : e) x = static_cast<float>(x / std::sqrt(s));
  std::string planted = noise;
  planted.replace(12345, 512, reinterpret_cast<const char*>(e.data()), 512);
  std::ofstream(dir / "embedding.bin", std::ios::binary) << planted;
  std::vector<uint8_t> jpg, png;
  cv::Mat img(40, 40, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::imencode(".jpg", img, jpg);
  cv::imencode(".png", img, png);
  std::ofstream(dir / "a.dat", std::ios::binary) << "xx" << std::string(jpg.begin(), jpg.end());
  std::ofstream(dir / "b.dat", std::ios::binary) << std::string(png.begin(), png.end());
  files = 0;
  auto found = ScanForFaceData({dir}, &files);
  EXPECT_EQ(files, 4);
  std::map<std::string, size_t> what;
  for (const auto& f : found) what[f.file.filename().string() + " " + f.what] = f.offset;
  EXPECT_EQ(what.size(), 3u);
  EXPECT_EQ(what["embedding.bin embedding-like floats"], 12345u);
  EXPECT_EQ(what["a.dat JPEG image"], 2u);
  EXPECT_TRUE(what.count("b.dat PNG image"));
}

TEST(NoFaceOnDisk, ALiveRunOverTheSharedVideosLeavesNoFaceDataAnywhere) {
  auto home = lfr::testing::HomeWithModels("noface-home", {"yunet-2022mar", "mobilefacenet-arcface"});
  auto video = lfr::testing::FindData("video");
  auto person = lfr::testing::FindData("lfw/images/Aaron_Peirsol/Aaron_Peirsol_0001.jpg");
  if (!home || !video || !person) LFR_MISSING_SHARED_("models, video/ and lfw/images");
  ASSERT_TRUE(fs::exists(lfr::testing::LfrBinary())) << lfr::testing::LfrBinary();
  const fs::path tmp = lfr::testing::TempDir("noface-tmp");
  const fs::path logs = lfr::testing::TempDir("noface-logs");
  {
    ScopedEnv env_home("LFR_HOME", home->string());
    ScopedEnv env_key("LFR_MASTER_KEY", std::nullopt);
    ScopedEnv env_db("LFR_DB", std::nullopt);
    ScopedEnv env_dirs("LFR_CAMERA_DIRS", video->string());  // video-file cameras allowed there
    auto lfr = [](std::vector<std::string> args) {
      auto r = lfr::testing::RunLfr(std::move(args));
      EXPECT_EQ(r.code, 0) << r.err;
    };
    lfr({"deployment", "create", "--name", "NoMatch", "--site", "s", "--location", "l", "--start", "2026-12-05",
         "--end", "2026-12-06", "--purpose", "p", "--legal-basis", "b", "--authorising-officer", "o"});
    lfr({"deployment", "camera", "add", "1", "hamilton", (*video / "hamilton/short_hamilton_clip.mp4").string()});
    lfr({"deployment", "camera", "add", "1", "opera", (*video / "opera-house-walkers/video.mp4").string()});
    lfr({"deployment", "camera", "add", "1", "vtest", (*video / "vtest-tiny-faces/vtest.avi").string()});
    lfr({"watchlist", "add", "1", person->string(), "--reference", "AP-1", "--name", "Aaron Peirsol",
         "--category", "test", "--reason", "a person who is in none of the videos"});
    lfr({"deployment", "start", "1", "--override-reason", "test: no notice, window not now"});
  }
  // Live: files paced at their frame rate, 10 s at most per camera (the vtest clip is 80 s).
  lfr::testing::SpawnOptions o;
  o.env = {{"LFR_HOME", home->string()}, {"TMPDIR", tmp.string()}, {"LFR_CAMERA_DIRS", video->string()}};
  o.unset_env = {"LFR_MASTER_KEY", "LFR_DB", "LFR_ALERT_RETENTION"};
  o.stdout_file = logs / "watch.out";
  o.stderr_file = logs / "watch.err";
  auto run = lfr::testing::RunLfrProcess({"watch", "--deployment", "1", "--max-seconds", "10", "--json"}, o);
  ASSERT_EQ(run.code, 0) << run.err;

  // The run saw faces and raised no alert.
  auto key = MasterKey::Load(*home / "master.key");
  ASSERT_TRUE(key.ok());
  {
    auto store = OpenSqliteStore(*home / "lfr.db", *key);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_TRUE((*store)->ListAlerts({})->empty()) << run.out;
    int64_t faces = 0;
    auto seen = (*store)->FacesSeen(1);
    for (const auto& r : *seen) faces += r.faces;
    EXPECT_GT(faces, 0) << "no face was seen: the scan below would prove nothing";
    EXPECT_TRUE((*store)->VerifyAudit()->ok);
  }
  auto summary = nlohmann::json::parse(run.out.substr(run.out.rfind("{\"summary\"")))["summary"];
  int64_t passed_quality = 0;
  for (const auto& c : summary["cameras"]) passed_quality += c["faces_passed_quality"].get<int64_t>();
  EXPECT_GT(passed_quality, 0) << "no face was good enough to be searched";

  int files = 0;
  auto findings = ScanForFaceData({*home, tmp, logs}, &files);
  EXPECT_GE(files, 4);  // master.key, lfr.db, watch.out, watch.err at least
  for (const auto& f : findings) {
    ADD_FAILURE() << f.what << " in " << f.file << " at byte " << f.offset;
  }
}

}  // namespace
}  // namespace lfr
