// The camera source allow-list: schemes, hosts, devices, files inside the camera folders
// (symlinks and ".." resolved), and that a refusal carries its detail for the log.
#include "pipeline/source_policy.h"

#include <fstream>

#include <gtest/gtest.h>

#include "testing/cli_run.h"
#include "testing/shared.h"

namespace lfr {
namespace {
namespace fs = std::filesystem;

bool Allowed(const std::string& uri, const SourcePolicy& p) { return CheckSource(uri, p, false).ok(); }

TEST(SourcePolicy, StreamsNeedAnAllowedSchemeAndAHostThatIsNotTheServer) {
  SourcePolicy p;
  EXPECT_TRUE(Allowed("rtsp://10.0.0.5/stream", p));
  EXPECT_TRUE(Allowed("rtsps://cam.example.org:322/live", p));
  EXPECT_TRUE(Allowed("http://user:pw@192.168.1.20:8080/video.mjpg", p));
  EXPECT_TRUE(Allowed("https://[2001:db8::7]/live", p));
  for (const char* bad : {"http://127.0.0.1:22/", "http://127.1.2.3/", "rtsp://localhost/x", "http://LOCALHOST:80",
                          "http://0.0.0.0:8080/", "http://169.254.169.254/latest/meta-data", "http://[::1]:80/",
                          "http://[::]/", "http://[fe80::1%25eth0]/", "http://[::ffff:127.0.0.1]/",
                          "http://224.0.0.1/", "http://255.255.255.255/", "udp://10.0.0.5:1234",
                          "tcp://10.0.0.5:1234", "rtmp://10.0.0.5/live", "gopher://x", "http:///nohost",
                          "http://10.0.0.5:99999/", "http://evil.example/x\n"}) {
    auto r = CheckSource(bad, p, false);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
  }
  // The detail names the reason, for the server log.
  auto lo = CheckSource("http://127.0.0.1:22/", p, false);
  ASSERT_FALSE(lo.ok());
  EXPECT_NE(lo.status().message().find("loopback"), std::string::npos) << lo.status().message();
  p.allow_loopback = true;
  EXPECT_TRUE(Allowed("http://127.0.0.1:8554/cam", p));
  EXPECT_FALSE(Allowed("tcp://127.0.0.1:8554", p)) << "the scheme list still applies";
}

TEST(SourcePolicy, NamesThatResolveToLoopbackAreRefused) {
  SourcePolicy p;
  // "localhost" is refused by name; "ip6-localhost"/numeric forms go through the resolver.
  auto r = CheckSource("http://2130706433/", p, true);  // 127.0.0.1 as one number
  EXPECT_FALSE(r.ok());
}

TEST(SourcePolicy, DevicesAreOnlyVideoDevices) {
  SourcePolicy p;
  EXPECT_TRUE(Allowed("v4l2:0", p));
  EXPECT_TRUE(Allowed("/dev/video3", p) || fs::exists("/dev/video3"));
  for (const char* bad : {"/dev/zero", "/dev/sda", "/dev/video0/../zero", "/dev/videox", "/dev/video1234"}) {
    EXPECT_FALSE(Allowed(bad, p)) << bad;
  }
}

TEST(SourcePolicy, FilesOnlyInsideTheCameraFoldersWithLinksResolved) {
  const fs::path root = lfr::testing::TempDir("policy");
  const fs::path dir = root / "videos";
  const fs::path other = root / "private";
  fs::create_directories(dir / "sub");
  fs::create_directories(other);
  std::ofstream(dir / "sub" / "clip.mp4") << "x";
  std::ofstream(other / "secret.mp4") << "x";
  fs::create_symlink(other / "secret.mp4", dir / "link.mp4");
  fs::create_symlink(dir / "sub" / "clip.mp4", other / "in.mp4");

  SourcePolicy none;
  EXPECT_FALSE(Allowed((dir / "sub" / "clip.mp4").string(), none)) << "no folder configured: no file";

  SourcePolicy p;
  p.video_dirs = {dir.string() + "/"};
  auto ok = CheckSource((dir / "sub" / "clip.mp4").string(), p);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->location, fs::canonical(dir / "sub" / "clip.mp4").string());
  EXPECT_TRUE(Allowed((dir / "planned-later.mp4").string(), p)) << "may be copied in before the start";
  // A link into the folder opens the real file; a link out of it is refused.
  auto in = CheckSource((other / "in.mp4").string(), p);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->location, fs::canonical(dir / "sub" / "clip.mp4").string());
  for (const std::string& bad :
       {(dir / "link.mp4").string(), (dir / ".." / "private" / "secret.mp4").string(), std::string("/etc/passwd"),
        std::string("/root"), "file://" + (dir / "sub" / "clip.mp4").string(), std::string("file:///etc/shadow"),
        (dir / "sub").string(), dir.string(), std::string("videos/sub/clip.mp4"), root.string() + "/videos2/x.mp4"}) {
    auto r = CheckSource(bad, p);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(SourcePolicy, FromEnvironment) {
  lfr::testing::ScopedEnv dirs("LFR_CAMERA_DIRS", "/srv/a::/srv/b");
  lfr::testing::ScopedEnv lb("LFR_CAMERA_ALLOW_LOOPBACK", "1");
  SourcePolicy p = SourcePolicyFromEnv({{"/srv/c"}, false});
  EXPECT_EQ(p.video_dirs, (std::vector<std::string>{"/srv/c", "/srv/a", "/srv/b"}));
  EXPECT_TRUE(p.allow_loopback);
}

}  // namespace
}  // namespace lfr
