// A live camera that goes away and comes back: an MJPEG-over-HTTP camera (what many IP
// cameras serve) simulated on loopback. The reader keeps reconnecting with capped back-off
// for as long as it runs (more attempts than the old limit of ten), revives when the
// stream returns, reports every health change, clears its error once up, and restarts on
// request. Also: the source policy applied when the camera opens.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "pipeline/camera.h"
#include "pipeline/frame_queue.h"
#include "pipeline/source_policy.h"

namespace lfr {
namespace {
using namespace std::chrono_literals;

// Serves multipart/x-mixed-replace JPEG frames on 127.0.0.1:port; each connection gets
// `frames_per_connection` frames, then is closed. Down() stops listening (connections are
// refused); Up() listens again on the same port.
class MjpegCamera {
 public:
  explicit MjpegCamera(int frames_per_connection) : frames_(frames_per_connection) {
    cv::Mat img(120, 160, CV_8UC3, cv::Scalar(60, 60, 60));
    cv::rectangle(img, cv::Rect(40, 30, 50, 50), cv::Scalar(220, 220, 220), -1);
    cv::imencode(".jpg", img, jpeg_);
  }
  ~MjpegCamera() { Down(); }
  bool Up() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd_, 8) != 0) return false;
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    stop_ = false;
    thread_ = std::thread([this] { Serve(); });
    return true;
  }
  void Down() {
    stop_ = true;
    if (fd_ >= 0) {
      shutdown(fd_, SHUT_RDWR);
      close(fd_);
      fd_ = -1;
    }
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void Serve() {
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      char buf[2048];
      (void)!read(c, buf, sizeof(buf));  // the request; contents do not matter
      std::string head =
          "HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=frame\r\n"
          "Cache-Control: no-cache\r\n\r\n";
      bool ok = send(c, head.data(), head.size(), MSG_NOSIGNAL) > 0;
      for (int i = 0; ok && i < frames_ && !stop_; ++i) {
        std::string part = "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                           std::to_string(jpeg_.size()) + "\r\n\r\n";
        part.append(reinterpret_cast<const char*>(jpeg_.data()), jpeg_.size());
        part += "\r\n";
        ok = send(c, part.data(), part.size(), MSG_NOSIGNAL) > 0;
        std::this_thread::sleep_for(5ms);
      }
      close(c);
    }
  }
  const int frames_;
  std::vector<uchar> jpeg_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// Takes frames off the queue in the background; records health changes.
struct Harness {
  FrameQueue queue;
  std::atomic<int64_t> taken{0};
  std::atomic<bool> stop{false};
  std::thread consumer;
  std::mutex mu;
  std::vector<std::pair<CameraHealth, std::string>> changes;  // health, public error

  void StartConsumer() {
    consumer = std::thread([this] {
      Frame f;
      while (!stop) {
        if (queue.Take(&f, 50ms)) ++taken;
      }
    });
  }
  void Listen(CameraReader* r) {
    r->SetHealthListener([this](const std::string&, CameraHealth h, const CameraStatus& s) {
      std::lock_guard<std::mutex> lock(mu);
      changes.push_back({h, s.public_error});
    });
  }
  int Count(CameraHealth h) {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const auto& c : changes) n += c.first == h;
    return n;
  }
  ~Harness() {
    stop = true;
    if (consumer.joinable()) consumer.join();
  }
};

// Polls until pred() holds or 30 s passed (a bound for a stuck test, not a timing claim).
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 3000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

CameraOptions FastRetry() {
  CameraOptions o;
  o.backoff_initial_s = 0.01;
  o.backoff_max_s = 0.04;
  o.open_timeout_ms = 2000;
  o.read_timeout_ms = 2000;
  return o;
}

TEST(CameraReconnect, AStreamThatGoesAwayAndComesBackRevivesTheCameraAfterManyAttempts) {
  MjpegCamera cam(20);
  ASSERT_TRUE(cam.Up());
  const std::string uri = "http://127.0.0.1:" + std::to_string(cam.port()) + "/video.mjpg";
  Harness h;
  CameraOptions o = FastRetry();
  EXPECT_LT(o.max_reconnects, 0) << "the default is to keep trying for as long as the camera runs";
  CameraReader reader("gate", *ParseSource(uri), o, &h.queue);
  h.Listen(&reader);
  h.StartConsumer();
  ASSERT_TRUE(reader.Start().ok());
  ASSERT_TRUE(Eventually([&] { return reader.status().frames_read >= 10; })) << reader.status().error;
  EXPECT_EQ(reader.status().health, CameraHealth::kUp);

  // The camera goes away: connections refused. Far more than ten attempts fail.
  cam.Down();
  ASSERT_TRUE(Eventually([&] { return reader.status().reconnects >= 25; }));
  CameraStatus down = reader.status();
  EXPECT_EQ(down.health, CameraHealth::kReconnecting) << "never failed for good";
  EXPECT_FALSE(down.error.empty());
  EXPECT_NE(down.error.find("127.0.0.1"), std::string::npos) << "the detail, for the log";
  EXPECT_EQ(down.public_error.find("127.0.0.1"), std::string::npos) << "no address for API clients";
  EXPECT_FALSE(down.last_error_time.empty());

  // It comes back on the same port: the camera revives by itself.
  const int64_t before = reader.status().frames_read;
  ASSERT_TRUE(cam.Up());
  ASSERT_TRUE(Eventually([&] {
    CameraStatus s = reader.status();
    return s.health == CameraHealth::kUp && s.frames_read > before + 5;
  }));
  CameraStatus up = reader.status();
  EXPECT_TRUE(up.error.empty()) << "the error is cleared once up: " << up.error;
  EXPECT_TRUE(up.public_error.empty());
  EXPECT_FALSE(up.last_error_time.empty()) << "when the last problem was is kept";
  EXPECT_GT(h.taken.load(), 10);

  // Every change was reported: up, reconnecting, up again.
  EXPECT_GE(h.Count(CameraHealth::kUp), 2);
  EXPECT_GE(h.Count(CameraHealth::kReconnecting), 1);
  EXPECT_EQ(h.Count(CameraHealth::kFailed), 0);
  reader.Stop();
  reader.Join();
}

TEST(CameraReconnect, RestartReopensAtOnceWithTheBackoffReset) {
  Harness h;
  CameraOptions o = FastRetry();
  o.backoff_initial_s = 60;  // without a restart the next attempt would be a minute away
  MjpegCamera cam(1000000);
  ASSERT_TRUE(cam.Up());
  const int port = cam.port();
  cam.Down();
  CameraReader reader("gate", *ParseSource("http://127.0.0.1:" + std::to_string(port) + "/"), o, &h.queue);
  h.Listen(&reader);
  h.StartConsumer();
  ASSERT_TRUE(reader.Start().ok());
  ASSERT_TRUE(Eventually([&] { return reader.status().health == CameraHealth::kReconnecting; }));
  ASSERT_TRUE(cam.Up());
  ASSERT_EQ(cam.port(), port);
  EXPECT_TRUE(reader.Restart());
  ASSERT_TRUE(Eventually([&] { return reader.status().frames_read > 3; }))
      << "reopened on request, not after the 60 s back-off";
  EXPECT_EQ(reader.status().health, CameraHealth::kUp);
  EXPECT_GE(h.Count(CameraHealth::kStarting), 2) << "start, then the restart";
  reader.Stop();
  reader.Join();
  EXPECT_FALSE(reader.Restart()) << "not running any more";
}

TEST(CameraReconnect, TheSourcePolicyIsAppliedWhenTheCameraOpens) {
  MjpegCamera cam(10);
  ASSERT_TRUE(cam.Up());
  const std::string uri = "http://127.0.0.1:" + std::to_string(cam.port()) + "/";
  Harness h;
  CameraOptions o = FastRetry();
  o.source_policy = std::make_shared<const SourcePolicy>();  // loopback not allowed
  CameraReader refused("gate", *ParseSource(uri), o, &h.queue);
  h.Listen(&refused);
  Status s = refused.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(refused.status().health, CameraHealth::kFailed);
  EXPECT_EQ(refused.status().public_error, kSourceUnavailable);
  EXPECT_EQ(cam.connections(), 0) << "nothing was opened";
  refused.Join();

  FrameQueue q2;
  SourcePolicy allow;
  allow.allow_loopback = true;
  o.source_policy = std::make_shared<const SourcePolicy>(allow);
  CameraReader allowed("gate", *ParseSource(uri), o, &q2);
  ASSERT_TRUE(allowed.Start().ok());
  Frame f;
  EXPECT_TRUE(q2.Take(&f, 20000ms));
  allowed.Stop();
  allowed.Join();
}

}  // namespace
}  // namespace lfr
