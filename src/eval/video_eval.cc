#include "eval/video_eval.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace lfr::eval {
namespace {

constexpr std::uintmax_t kMaxAnnotationBytes = 4 << 20;  // a clip's passes fit in far less

Status Bad(const std::filesystem::path& file, const std::string& what) {
  return Status::InvalidArgument(file.string() + ": " + what);
}

std::filesystem::path Resolve(const std::string& p, const std::filesystem::path& file,
                              const std::filesystem::path& data_root) {
  const std::filesystem::path path(p);
  if (path.is_absolute()) return path;
  return (data_root.empty() ? file.parent_path() : data_root) / path;
}

bool Time(const nlohmann::json& j, const char* key, double* out) {
  if (!j.contains(key) || !j[key].is_number()) return false;
  *out = j[key].get<double>();
  return std::isfinite(*out) && *out >= 0;
}

double Median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

Result<VideoAnnotations> LoadVideoAnnotations(const std::filesystem::path& file,
                                              const std::filesystem::path& data_root) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return Status::NotFound("annotation file " + file.string() + " does not exist");
  }
  if (std::filesystem::file_size(file, ec) > kMaxAnnotationBytes) return Bad(file, "larger than 4 MiB");
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad(file, "not a JSON object");
  if (!j.contains("format") || j["format"] != kVideoAnnotationsFormat) {
    return Bad(file, std::string("\"format\" must be \"") + kVideoAnnotationsFormat + "\"");
  }
  VideoAnnotations a;
  a.file = file;
  for (const char* key : {"video", "watchlist"}) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty()) {
      return Bad(file, std::string("\"") + key + "\" must name a path");
    }
  }
  a.video = Resolve(j["video"].get<std::string>(), file, data_root);
  a.watchlist = Resolve(j["watchlist"].get<std::string>(), file, data_root);
  if (j.contains("description") && j["description"].is_string()) a.description = j["description"];
  if (!j.contains("passes") || !j["passes"].is_array()) return Bad(file, "\"passes\" must be a list (empty: nobody listed appears)");
  for (size_t i = 0; i < j["passes"].size(); ++i) {
    const nlohmann::json& p = j["passes"][i];
    const std::string where = "passes[" + std::to_string(i) + "]";
    if (!p.is_object()) return Bad(file, where + " is not an object");
    AnnotatedPass pass;
    if (!p.contains("subject") || !p["subject"].is_string() || p["subject"].get<std::string>().empty()) {
      return Bad(file, where + ".subject must be a listed person's name");
    }
    pass.subject = p["subject"];
    if (!Time(p, "start_s", &pass.start_s)) return Bad(file, where + ".start_s must be a time >= 0 (seconds)");
    if (!Time(p, "end_s", &pass.end_s)) return Bad(file, where + ".end_s must be a time >= 0 (seconds)");
    if (pass.end_s < pass.start_s) return Bad(file, where + " ends before it starts");
    if (p.contains("note") && p["note"].is_string()) pass.note = p["note"];
    a.passes.push_back(std::move(pass));
  }
  return a;
}

int64_t VideoScore::identified() const {
  return std::count_if(passes.begin(), passes.end(), [](const PassOutcome& p) { return p.identified; });
}

VideoScore ScoreVideo(const VideoAnnotations& annotations, const std::vector<ScoredAlert>& alerts, double video_s,
                      int64_t faces_seen, double tolerance_s) {
  VideoScore s;
  s.clip = annotations.video.filename().string();
  s.video_s = video_s;
  s.faces_seen = faces_seen;
  for (const AnnotatedPass& p : annotations.passes) s.passes.push_back({p, false, -1});
  std::vector<ScoredAlert> sorted = alerts;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const ScoredAlert& a, const ScoredAlert& b) { return a.time_s < b.time_s; });
  for (const ScoredAlert& a : sorted) {
    bool is_true = false;
    for (PassOutcome& o : s.passes) {
      if (o.pass.subject != a.subject) continue;
      if (a.time_s < o.pass.start_s - tolerance_s || a.time_s > o.pass.end_s + tolerance_s) continue;
      is_true = true;
      if (!o.identified) {  // alerts are in time order: the first one counts
        o.identified = true;
        o.time_to_alert_s = std::max(0.0, a.time_s - o.pass.start_s);
      }
    }
    (is_true ? s.true_alerts : s.false_alerts).push_back(a);
  }
  return s;
}

VideoTotals TotalVideoScores(const std::vector<VideoScore>& clips) {
  VideoTotals t;
  std::vector<double> times;
  for (const VideoScore& c : clips) {
    t.passes += static_cast<int64_t>(c.passes.size());
    t.identified += c.identified();
    t.true_alerts += static_cast<int64_t>(c.true_alerts.size());
    t.false_alerts += static_cast<int64_t>(c.false_alerts.size());
    t.faces_seen += c.faces_seen;
    t.video_s += c.video_s;
    for (const PassOutcome& p : c.passes) {
      if (p.identified) times.push_back(p.time_to_alert_s);
    }
  }
  t.tpir_ci = ClopperPearson(t.identified, t.passes);
  t.median_time_to_alert_s = Median(times);
  t.max_time_to_alert_s = times.empty() ? -1 : *std::max_element(times.begin(), times.end());
  return t;
}

nlohmann::json VideoScoreToJson(const VideoScore& s) {
  nlohmann::json passes = nlohmann::json::array(), t = nlohmann::json::array(), f = nlohmann::json::array();
  for (const PassOutcome& p : s.passes) {
    nlohmann::json j = {{"subject", p.pass.subject}, {"start_s", p.pass.start_s}, {"end_s", p.pass.end_s},
                        {"identified", p.identified}};
    if (p.identified) j["time_to_alert_s"] = p.time_to_alert_s;
    if (!p.pass.note.empty()) j["note"] = p.pass.note;
    passes.push_back(std::move(j));
  }
  for (const auto* list : {&s.true_alerts, &s.false_alerts}) {
    for (const ScoredAlert& a : *list) {
      (list == &s.true_alerts ? t : f).push_back({{"subject", a.subject}, {"time_s", a.time_s}, {"score", a.score}});
    }
  }
  return {{"clip", s.clip},     {"threshold", s.threshold}, {"video_s", s.video_s},     {"faces_seen", s.faces_seen},
          {"passes", passes},   {"true_alerts", t},         {"false_alerts", f},
          {"identified", s.identified()}};
}

nlohmann::json VideoTotalsToJson(const VideoTotals& t) {
  return {{"passes", t.passes},
          {"identified", t.identified},
          {"tpir", t.tpir()},
          {"tpir_ci95", {t.tpir_ci.lo, t.tpir_ci.hi}},
          {"median_time_to_alert_s", t.median_time_to_alert_s},
          {"max_time_to_alert_s", t.max_time_to_alert_s},
          {"true_alerts", t.true_alerts},
          {"false_alerts", t.false_alerts},
          {"video_s", t.video_s},
          {"faces_seen", t.faces_seen},
          {"false_alerts_per_hour", t.false_alerts_per_hour()},
          {"false_alerts_per_1000_faces", t.false_alerts_per_1000_faces()}};
}

}  // namespace lfr::eval
