#include "pipeline/source_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <sstream>

namespace lfr {
namespace fs = std::filesystem;
namespace {

Status Refuse(const std::string& uri, const std::string& why) {
  return Status::InvalidArgument("camera source " + uri + " refused: " + why);
}

bool BadV4(uint32_t a) {  // host byte order
  const uint32_t first = a >> 24;
  return first == 127 || first == 0 ||           // loopback, "this network"/unspecified
         (a >> 16) == ((169u << 8) | 254u) ||    // link-local 169.254/16
         first >= 224;                           // multicast, reserved, broadcast
}

bool BadV6(const in6_addr& a) {
  if (IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_LINKLOCAL(&a) ||
      IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_SITELOCAL(&a)) {
    return true;
  }
  if (IN6_IS_ADDR_V4MAPPED(&a) || IN6_IS_ADDR_V4COMPAT(&a)) {
    uint32_t v4;
    std::memcpy(&v4, a.s6_addr + 12, 4);
    return BadV4(ntohl(v4));
  }
  return false;
}

// "" if the host is acceptable, else why not.
std::string CheckHost(const std::string& host, bool resolve) {
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "localhost" || lower.ends_with(".localhost") || lower == "localhost.") {
    return "host " + host + " is the server itself";
  }
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return BadV4(ntohl(v4.s_addr)) ? "address " + host + " is loopback, link-local or unspecified" : "";
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return BadV6(v6) ? "address " + host + " is loopback, link-local or unspecified" : "";
  }
  if (!resolve) return "";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return "";  // not resolvable now: opening it will fail (and be retried) like any outage
  }
  std::string why;
  for (addrinfo* p = res; p != nullptr && why.empty(); p = p->ai_next) {
    char text[INET6_ADDRSTRLEN] = {0};
    if (p->ai_family == AF_INET) {
      const auto* sa = reinterpret_cast<const sockaddr_in*>(p->ai_addr);
      if (BadV4(ntohl(sa->sin_addr.s_addr))) {
        inet_ntop(AF_INET, &sa->sin_addr, text, sizeof(text));
        why = "host " + host + " resolves to " + text + " (loopback, link-local or unspecified)";
      }
    } else if (p->ai_family == AF_INET6) {
      const auto* sa = reinterpret_cast<const sockaddr_in6*>(p->ai_addr);
      if (BadV6(sa->sin6_addr)) {
        inet_ntop(AF_INET6, &sa->sin6_addr, text, sizeof(text));
        why = "host " + host + " resolves to " + text + " (loopback, link-local or unspecified)";
      }
    }
  }
  freeaddrinfo(res);
  return why;
}

// The host of scheme://[userinfo@]host[:port][/...]; "" if malformed.
std::string HostOf(const std::string& uri, std::string* why) {
  const size_t start = uri.find("://") + 3;
  size_t end = uri.find_first_of("/?#", start);
  if (end == std::string::npos) end = uri.size();
  std::string authority = uri.substr(start, end - start);
  if (const size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  std::string host, port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) {
      *why = "malformed IPv6 address";
      return "";
    }
    host = authority.substr(1, close - 1);
    const std::string rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        *why = "malformed address";
        return "";
      }
      port = rest.substr(1);
    }
    if (const size_t pct = host.find('%'); pct != std::string::npos) {
      *why = "scoped IPv6 addresses are link-local";
      return "";
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    *why = "no host";
    return "";
  }
  if (!port.empty() && (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
                        std::stoi(port) == 0 || std::stoi(port) > 65535)) {
    *why = "malformed port";
    return "";
  }
  for (unsigned char c : host) {
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':')) {
      *why = "malformed host name";
      return "";
    }
  }
  return host;
}

bool Inside(const fs::path& file, const fs::path& dir) {
  auto f = file.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++f) {
    if (d->empty()) continue;  // trailing separator
    if (f == file.end() || *f != *d) return false;
  }
  return f != file.end();
}

}  // namespace

SourcePolicy SourcePolicyFromEnv(SourcePolicy base) {
  if (const char* dirs = std::getenv("LFR_CAMERA_DIRS"); dirs != nullptr) {
    std::stringstream in(dirs);
    for (std::string d; std::getline(in, d, ':');) {
      if (!d.empty()) base.video_dirs.push_back(d);
    }
  }
  if (const char* lb = std::getenv("LFR_CAMERA_ALLOW_LOOPBACK"); lb != nullptr && std::string(lb) == "1") {
    base.allow_loopback = true;
  }
  return base;
}

Result<SourceSpec> CheckSource(const std::string& uri, const SourcePolicy& policy, bool resolve_names) {
  auto spec = ParseSource(uri);
  if (!spec.ok()) return Refuse(uri, spec.status().message());
  SourceSpec s = *spec;
  for (char c : uri) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return Refuse("(with control characters)", "control characters");
  }
  auto starts = [&](const char* p) { return uri.rfind(p, 0) == 0; };
  switch (s.kind) {
    case SourceKind::kStream: {
      if (!(starts("rtsp://") || starts("rtsps://") || starts("http://") || starts("https://"))) {
        return Refuse(uri, "only rtsp, rtsps, http and https streams are allowed");
      }
      std::string why;
      const std::string host = HostOf(uri, &why);
      if (host.empty()) return Refuse(uri, why);
      if (!policy.allow_loopback) {
        why = CheckHost(host, resolve_names);
        if (!why.empty()) {
          return Refuse(uri, why + " (allow with --camera-allow-loopback or LFR_CAMERA_ALLOW_LOOPBACK=1)");
        }
      }
      return s;
    }
    case SourceKind::kDevice: {
      static const std::regex device("/dev/video[0-9]{1,3}");
      if (!std::regex_match(s.location, device)) return Refuse(uri, "only /dev/videoN devices are allowed");
      struct stat st{};
      if (stat(s.location.c_str(), &st) == 0 && !S_ISCHR(st.st_mode)) {
        return Refuse(uri, s.location + " is not a character device");
      }
      return s;
    }
    case SourceKind::kFile: {
      if (starts("file:")) return Refuse(uri, "file:// URIs are not allowed (give the path)");
      if (policy.video_dirs.empty()) {
        return Refuse(uri, "video files are not allowed: no camera folder is configured "
                           "(--camera-dir DIR or LFR_CAMERA_DIRS)");
      }
      const fs::path given(s.location);
      if (!given.is_absolute()) return Refuse(uri, "the path must be absolute");
      std::error_code ec;
      const fs::path real = fs::weakly_canonical(given, ec);
      if (ec) return Refuse(uri, "cannot resolve the path: " + ec.message());
      bool inside = false;
      for (const std::string& d : policy.video_dirs) {
        std::error_code dec;
        const fs::path dir = fs::weakly_canonical(fs::absolute(d, dec), dec);
        if (!dec && Inside(real, dir)) inside = true;
      }
      if (!inside) return Refuse(uri, real.string() + " is not inside a configured camera folder");
      if (fs::exists(real, ec) && !fs::is_regular_file(real, ec)) {
        return Refuse(uri, real.string() + " is not a regular file");
      }
      s.location = real.string();
      return s;
    }
  }
  return Refuse(uri, "unsupported");
}

}  // namespace lfr
