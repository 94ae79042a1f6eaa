#include "report/notice.h"

#include <cctype>
#include <sstream>

#include "report/format.h"
#include "util/escape.h"

namespace lfr::report {
namespace {

constexpr size_t kWrap = 78;
const char kNotSet[] = "[not set]";

// A notice, independent of how it is rendered: a title, an introduction and headed
// sections of paragraphs and list items.
struct Section {
  std::string heading;
  std::vector<std::string> paragraphs;
  std::vector<std::string> items;  // rendered as a list after the paragraphs
};
struct Notice {
  std::string title;
  std::string intro;
  std::vector<Section> sections;
};

std::string OrNotSet(const std::string& s) { return s.empty() ? kNotSet : s; }
std::string When(int64_t ms) { return ms == 0 ? kNotSet : internal::UkDateTime(ms); }

std::string Where(const DeploymentSpec& s) {
  if (s.location.empty() && s.site.empty()) return kNotSet;
  if (s.site.empty()) return s.location;
  if (s.location.empty()) return s.site;
  return s.location + ", " + s.site;
}

Notice BuildNotice(const Deployment& d, const std::vector<Camera>& cameras) {
  const DeploymentSpec& s = d.spec;
  Notice n;
  n.title = "Live Facial Recognition: advance notice";
  const bool times_set = s.planned_start_ms != 0 && s.planned_end_ms != 0;
  const std::string when = times_set ? internal::UkWhen(s.planned_start_ms, s.planned_end_ms)
                                     : "from " + When(s.planned_start_ms) + " to " + When(s.planned_end_ms);
  n.intro = "Police will use Live Facial Recognition (LFR) at " + Where(s) + " " + when + ".";

  Section where{"Where", {Where(s) + "."}, {}};
  if (cameras.empty()) {
    where.paragraphs.push_back("Camera positions: " + std::string(kNotSet));
  } else {
    where.paragraphs.push_back(cameras.size() == 1 ? "One camera will be used:"
                                                   : std::to_string(cameras.size()) + " cameras will be used:");
    for (const auto& c : cameras) where.items.push_back(c.position.empty() ? c.name : c.name + ": " + c.position);
  }
  n.sections.push_back(std::move(where));
  std::string when_sentence = when + ".";
  when_sentence[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(when_sentence[0])));
  n.sections.push_back({"When", {when_sentence}, {}});
  n.sections.push_back({"Why", {OrNotSet(s.purpose)}, {}});
  n.sections.push_back({"Legal basis", {OrNotSet(s.legal_basis)}, {}});
  n.sections.push_back({"Authorised by", {OrNotSet(s.authorising_officer)}, {}});
  n.sections.push_back(
      {"How it works",
       {"The cameras film people passing through the area. The system compares each face it sees with a "
        "watchlist of people sought by the police for this deployment. When a face is similar to someone on "
        "the watchlist, the system alerts an officer, who decides whether to speak to the person. The system "
        "does not make that decision."},
       {}});

  Section data{"What happens to your data", {}, {}};
  data.items.push_back(
      "If your face does not match anyone on the watchlist, its image and biometric data are deleted "
      "immediately and automatically. They are never stored.");
  data.items.push_back(
      "If the system raises an alert, the alert data (the image of the face and the match) is deleted "
      "automatically within 24 hours.");
  data.items.push_back("The watchlist images are deleted when the deployment ends.");
  std::string recording;
  for (const auto& c : cameras) {
    if (c.record_footage) recording += (recording.empty() ? "" : ", ") + c.name;
  }
  data.items.push_back(recording.empty()
                           ? "No video footage is recorded."
                           : "Video footage is recorded by these cameras: " + recording +
                                 ". It is kept for at most 31 days and then deleted automatically.");
  data.paragraphs.push_back("Only the number of faces seen is kept, never the faces themselves.");
  n.sections.push_back(std::move(data));
  n.sections.push_back({"Questions", {"To ask about this deployment: " + OrNotSet(s.contact)}, {}});
  n.sections.push_back({"Deployment reference", {OrNotSet(s.name)}, {}});
  return n;
}

// Greedy word wrap at kWrap columns; the first line starts with first, the rest with rest.
void Wrap(std::ostringstream& out, const std::string& text, const std::string& first, const std::string& rest) {
  std::istringstream words(text);
  std::string word, line = first;
  bool empty_line = true;
  while (words >> word) {
    if (!empty_line && line.size() + 1 + word.size() > kWrap) {
      out << line << '\n';
      line = rest;
      empty_line = true;
    }
    line += (empty_line ? "" : " ") + word;
    empty_line = false;
  }
  out << line << '\n';
}

const char kCss[] = R"(
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; color: #1f1f1f; max-width: 46rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
h1 { font-size: 1.6rem; border-bottom: 3px solid #1f1f1f; padding-bottom: .3rem; }
h2 { font-size: 1.15rem; margin: 1.4rem 0 .3rem; }
p.intro { font-size: 1.1rem; font-weight: 600; }
@media print { body { max-width: none; margin: 0; font-size: 11pt; } section { break-inside: avoid; } }
)";

}  // namespace

std::string RenderNoticeText(const Deployment& deployment, const std::vector<Camera>& cameras) {
  const Notice n = BuildNotice(deployment, cameras);
  std::ostringstream out;
  out << n.title << '\n' << std::string(n.title.size(), '=') << "\n\n";
  Wrap(out, n.intro, "", "");
  for (const auto& s : n.sections) {
    out << '\n' << s.heading << '\n' << std::string(s.heading.size(), '-') << '\n';
    for (const auto& p : s.paragraphs) Wrap(out, p, "", "");
    for (const auto& item : s.items) Wrap(out, item, "  - ", "    ");
  }
  return out.str();
}

std::string RenderNoticeHtml(const Deployment& deployment, const std::vector<Camera>& cameras) {
  const Notice n = BuildNotice(deployment, cameras);
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" << EscapeHtml(n.title)
      << ": " << EscapeHtml(deployment.spec.name) << "</title>\n<style>" << kCss << "</style>\n</head>\n<body>\n<h1>"
      << EscapeHtml(n.title) << "</h1>\n<p class=\"intro\">" << EscapeHtml(n.intro) << "</p>\n";
  for (const auto& s : n.sections) {
    out << "<section>\n<h2>" << EscapeHtml(s.heading) << "</h2>\n";
    for (const auto& p : s.paragraphs) out << "<p>" << EscapeHtml(p) << "</p>\n";
    if (!s.items.empty()) {
      out << "<ul>\n";
      for (const auto& item : s.items) out << "<li>" << EscapeHtml(item) << "</li>\n";
      out << "</ul>\n";
    }
    out << "</section>\n";
  }
  out << "</body>\n</html>\n";
  return out.str();
}

std::string RenderPublishedNoticeHtml(const std::string& deployment_name,
                                      const std::vector<NoticeRevision>& revisions, int shown) {
  if (revisions.empty()) return "";
  const NoticeRevision* current = &revisions.back();
  const NoticeRevision* r = current;
  for (const auto& rev : revisions) {
    if (rev.revision == shown) r = &rev;
  }
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Advance notice: "
      << EscapeHtml(deployment_name) << " (revision " << r->revision << ")</title>\n<style>" << kCss
      << "pre.notice{white-space:pre-wrap;font-family:inherit;font-size:inherit}</style>\n</head>\n<body>\n"
      << "<p class=\"intro\">Advance notice of " << EscapeHtml(deployment_name) << ": revision " << r->revision
      << ", published " << EscapeHtml(internal::UkDateTime(r->published_ms)) << ".";
  if (r != current) {
    out << " This is an earlier revision; the current one is <a href=\"?revision=" << current->revision
        << "\">revision " << current->revision << "</a>, published "
        << EscapeHtml(internal::UkDateTime(current->published_ms)) << ".";
  }
  out << "</p>\n<pre class=\"notice\">" << EscapeHtml(r->text) << "</pre>\n";
  if (revisions.size() > 1) {
    out << "<section>\n<h2>Revisions of this notice</h2>\n<ul>\n";
    for (auto it = revisions.rbegin(); it != revisions.rend(); ++it) {
      out << "<li><a href=\"?revision=" << it->revision << "\">Revision " << it->revision << "</a>, published "
          << EscapeHtml(internal::UkDateTime(it->published_ms)) << (&*it == current ? " (current)" : "")
          << "</li>\n";
    }
    out << "</ul>\n</section>\n";
  }
  out << "</body>\n</html>\n";
  return out.str();
}

std::vector<std::string> NoticeProblems(const Deployment& d, const std::vector<Camera>& cameras) {
  const DeploymentSpec& s = d.spec;
  std::vector<std::string> problems;
  const std::pair<const std::string*, const char*> required[] = {
      {&s.location, "no location"},
      {&s.site, "no site"},
      {&s.purpose, "no purpose (why LFR is used)"},
      {&s.legal_basis, "no legal basis"},
      {&s.authorising_officer, "no authorising officer"},
      {&s.contact, "no contact for questions"},
  };
  for (const auto& [field, problem] : required) {
    if (field->find_first_not_of(" \t\r\n") == std::string::npos) problems.emplace_back(problem);
  }
  if (s.planned_start_ms == 0 || s.planned_end_ms == 0) {
    problems.emplace_back("planned start or end not set");
  } else if (s.planned_end_ms <= s.planned_start_ms) {
    problems.emplace_back("planned end is not after planned start");
  }
  if (cameras.empty()) problems.emplace_back("no cameras");
  return problems;
}

}  // namespace lfr::report
