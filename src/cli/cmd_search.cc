// `lfr search IMAGE --gallery G --case REF --reason WHY [--top 20] [--face N] [--json]`:
// a retrospective search of one probe image against a gallery (search/retrospective.h), and
// `lfr search review|show|list`: the reviewers' decisions on its candidates. The probe is
// read into memory and never written anywhere; the search record and its audit row hold its
// SHA-256.
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/gallery_common.h"
#include "cli/store_common.h"
#include "gallery/gallery_json.h"
#include "search/retrospective.h"
#include "util/clock.h"
#include "util/secure.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

struct SearchArgs {
  std::string image;
  std::string gallery;
  SearchRequest request;
  std::string search_id;
  int candidate = 0;
  std::string decision;
  std::string note;
  int limit = 50;
  bool json = false;
};

// Reads the probe into memory (never copied to disk). InvalidArgument above the size limit.
Result<std::string> ReadProbe(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::NotFound("probe " + path + " does not exist");
  if (!fs::is_regular_file(path, ec)) return Status::InvalidArgument("probe " + path + " is not a file");
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxProbeBytes) {
    return Status::InvalidArgument("probe " + path + ": " + std::to_string(size >> 20) + " MiB is more than the " +
                                   std::to_string(kMaxProbeBytes >> 20) + " MiB a probe may have");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::IOError("cannot read " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void PrintCandidates(std::ostream& o, const SearchRecord& s) {
  o << std::left << std::setw(5) << "rank" << std::setw(8) << "score" << std::setw(8) << "record"
    << std::setw(24) << "reference" << "review\n";
  for (const auto& c : s.candidates) {
    o << std::left << std::setw(5) << c.rank << std::setw(8) << std::fixed << std::setprecision(4) << c.score
      << std::setw(8) << c.record_id << std::setw(24) << c.reference << c.status << "\n";
  }
}

void RunSearch(const SearchArgs& a, Context& ctx) {
  if (a.image.empty()) return Fail(ctx, Status::InvalidArgument("give the probe IMAGE to search with"));
  if (a.gallery.empty()) return Fail(ctx, Status::InvalidArgument("give the --gallery to search"));
  if (a.request.case_reference.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Fail(ctx, Status::InvalidArgument("a search needs a case reference (--case)"));
  }
  if (a.request.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Fail(ctx, Status::InvalidArgument("a search needs a reason (--reason)"));
  }
  auto probe = ReadProbe(a.image);
  if (!probe.ok()) return Fail(ctx, probe.status());
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  auto g = FindGalleryOrFail(galleries, a.gallery, ctx);
  if (!g) return;
  auto analyzer = OpenGalleryAnalyzer(*g, ctx);
  if (!analyzer) return;
  // The gallery's sealed index ($LFR_HOME/galleries), opened for this search; a missing one
  // is rebuilt (and a large gallery's approximate index waited for) and saved.
  search::GalleryIndexes indexes(galleries, search::DefaultGalleryIndexDir(), {}, /*wait_for_builds=*/true);
  RetrospectiveSearch search(galleries, &indexes, analyzer->analyzer.get(), g->recogniser_id);
  auto out = search.Run(*probe, *g, a.request, CliActor());
  WipeBytes(probe->data(), probe->size());
  if (!out.ok()) return Fail(ctx, out.status());
  const SearchRecord& s = out->record;
  if (a.json) {
    *ctx.out << SearchOutcomeJson(*out, *g).dump() << "\n";
    return;
  }
  std::ostream& o = *ctx.out;
  o << "probe: " << out->faces.size() << " face(s); SHA-256 " << s.probe_sha256 << " (the image is not stored)\n";
  for (const auto& f : out->faces) {
    o << "  face " << f.number << ": " << BoxText(f.box) << ", quality " << std::fixed << std::setprecision(2)
      << f.quality.score << ", " << std::setprecision(0) << f.quality.inter_eye_px << " px between the eyes"
      << (f.number == out->searched ? "  <- searched" : "") << "\n";
  }
  if (out->faces.size() > 1 && a.request.face == 0) {
    *ctx.err << "lfr: the probe shows " << out->faces.size()
             << " faces; the largest (face 1) was searched - pick another with --face N\n";
  }
  const ProbeFace& searched = out->faces[out->searched - 1];
  for (const auto& w : searched.warnings) {
    *ctx.err << "lfr: warning: face " << searched.number << " is below what a reviewer should rely on: " << w << "\n";
  }
  o << "search " << s.id << " of gallery " << g->id << " (" << g->spec.name << "), case " << s.case_reference
    << ": " << s.candidates.size() << " candidate(s) - intelligence leads for review, not identifications\n";
  PrintCandidates(o, s);
  if (!s.candidates.empty()) {
    o << "review: lfr search review " << s.id << " --candidate N --decision possible|excluded [--note TEXT]\n";
  }
}

void PrintSearch(std::ostream& o, const SearchRecord& s) {
  o << "search " << s.id << " of gallery " << s.gallery_id << " at " << FormatUtcMs(s.time_ms) << " by "
    << s.searched_by << "\n"
    << "  case:     " << s.case_reference << "\n"
    << "  reason:   " << s.reason << "\n"
    << "  probe:    SHA-256 " << s.probe_sha256 << ", face " << s.face_searched << " of " << s.faces_found
    << ", quality " << std::fixed << std::setprecision(2) << s.probe_quality << "\n";
  if (!s.probe_warnings.empty()) o << "  warning:  " << s.probe_warnings << "\n";
  o << "  outcome:  " << s.outcome << "\n";
  PrintCandidates(o, s);
  for (const auto& r : s.reviews) {
    o << "  review of candidate " << r.rank << " by " << r.reviewer << " at " << FormatUtcMs(r.time_ms) << ": "
      << ReviewDecisionName(r.decision) << (r.note.empty() ? "" : " - " + r.note) << "\n";
  }
}

void RunReview(const SearchArgs& a, Context& ctx) {
  auto id = ParseId(a.search_id, "search id");
  if (!id.ok()) return Fail(ctx, id.status());
  ReviewDecision decision;
  if (!ParseReviewDecision(a.decision, &decision)) {
    return Fail(ctx, Status::InvalidArgument("--decision must be possible or excluded, got \"" + a.decision + "\""));
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  auto s = galleries->ReviewSearchCandidate(*id, a.candidate, decision, a.note, CliActor());
  if (!s.ok()) return Fail(ctx, s.status());
  if (a.json) {
    *ctx.out << SearchJson(*s).dump() << "\n";
    return;
  }
  for (const auto& c : s->candidates) {
    if (c.rank != a.candidate) continue;
    *ctx.out << "candidate " << c.rank << " (" << c.reference << ") of search " << s->id << ": "
             << ReviewDecisionName(decision) << " recorded; candidate is " << c.status << "\n";
  }
  *ctx.out << "search outcome: " << s->outcome << "\n";
}

void RunShow(const SearchArgs& a, Context& ctx) {
  auto id = ParseId(a.search_id, "search id");
  if (!id.ok()) return Fail(ctx, id.status());
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  auto s = galleries->GetSearch(*id);
  if (!s.ok()) return Fail(ctx, s.status());
  if (a.json) {
    *ctx.out << SearchJson(*s).dump() << "\n";
    return;
  }
  PrintSearch(*ctx.out, *s);
}

void RunList(const SearchArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  std::optional<int64_t> gid;
  if (!a.gallery.empty()) {
    auto g = FindGalleryOrFail(galleries, a.gallery, ctx);
    if (!g) return;
    gid = g->id;
  }
  auto list = galleries->ListSearches(gid, a.limit);
  if (!list.ok()) return Fail(ctx, list.status());
  if (a.json) return PrintJsonList(ctx, "searches", *list, [](const SearchRecord& s) { return SearchJson(s); });
  for (const auto& s : *list) {
    *ctx.out << std::left << std::setw(5) << s.id << " " << FormatUtcMs(s.time_ms).substr(0, 16) << "  gallery "
             << s.gallery_id << "  case " << s.case_reference << "  by " << s.searched_by << "  "
             << s.candidates.size() << " candidate(s)  " << s.outcome << "\n";
  }
}

}  // namespace

void RegisterSearchCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SearchArgs>();
  CLI::App* search = app.add_subcommand(
      "search",
      "Retrospective facial recognition: search a gallery with one probe image (a still from CCTV, a doorbell, "
      "body-worn video) under a case reference and a reason. Lists the probe's faces with their quality (and "
      "says plainly when a face is below what a reviewer should rely on), searches the largest (or --face N), "
      "and prints the ranked candidates with score and record reference: intelligence leads for trained "
      "reviewers, never identifications. The probe is never stored: the search record and the audit log hold "
      "its SHA-256. Exit 2 for bad input (missing case or reason, not an image, oversize, no face).");
  search->add_option("image", a->image, "Probe image");
  search->add_option("--gallery", a->gallery, "Gallery id or name");
  search->add_option("--case", a->request.case_reference, "Case reference (required)");
  search->add_option("--reason", a->request.reason, "Why this search is made (required)");
  search->add_option("--top", a->request.top, "How many candidates (1..200, default 20)");
  search->add_option("--face", a->request.face, "Which face of the probe to search (1 = largest, the default)");
  search->add_flag("--json", a->json, "JSON output");

  CLI::App* review = search->add_subcommand(
      "review",
      "Record a reviewer's decision on one candidate of a search. Where the gallery's policy asks for two "
      "reviewers, a second, different reviewer decides independently; the search's outcome (\"possible match - "
      "intelligence only\", \"no candidate\") follows from the decisions.");
  review->add_option("search", a->search_id, "Search id")->required();
  review->add_option("--candidate", a->candidate, "Candidate rank (1 = best)")->required();
  review->add_option("--decision", a->decision, "possible or excluded")->required();
  review->add_option("--note", a->note, "Why (kept with the decision)");
  review->add_flag("--json", a->json, "Print the search as JSON");
  review->callback([a, &ctx] { RunReview(*a, ctx); });

  CLI::App* show = search->add_subcommand("show", "A search's record: case, reason, probe hash, candidates, reviews");
  show->add_option("search", a->search_id, "Search id")->required();
  show->add_flag("--json", a->json, "JSON output");
  show->callback([a, &ctx] { RunShow(*a, ctx); });

  CLI::App* list = search->add_subcommand("list", "Recent searches, newest first");
  list->add_option("--gallery", a->gallery, "Only this gallery's");
  list->add_option("--limit", a->limit, "At most this many (default 50)");
  list->add_flag("--json", a->json, "JSON output");
  list->callback([a, &ctx] { RunList(*a, ctx); });

  search->callback([a, search, review, show, list, &ctx] {
    if (review->parsed() || show->parsed() || list->parsed()) return;
    RunSearch(*a, ctx);
  });
}

}  // namespace lfr::cli
