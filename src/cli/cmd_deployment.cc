// `lfr deployment create|list|show|start|close|notice` and `lfr deployment camera add|remove`:
// the life of a deployment (planned -> active -> closed) in the store.
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_common.h"
#include "report/notice.h"
#include "pipeline/camera.h"
#include "pipeline/source_policy.h"
#include "util/clock.h"

namespace lfr::cli {
namespace {
using nlohmann::json;

struct DeploymentArgs {
  // create
  DeploymentSpec spec;
  std::string start, end, recogniser_id;
  // show/start/close/notice/camera
  std::string id;
  bool json = false;
  bool yes = false;
  std::string notice_text, notice_file;
  std::string override_reason;
  std::string camera_name, camera_uri, camera_position;
  std::vector<std::string> camera_dirs;
  bool camera_allow_loopback = false;
  bool record_footage = false;
};

void RunCreate(DeploymentArgs& a, Context& ctx) {
  if (!ParseUtcMs(a.start, &a.spec.planned_start_ms)) {
    return Fail(ctx, Status::InvalidArgument("--start \"" + a.start + "\" is not a UTC time like 2026-12-05T14:00"));
  }
  if (!ParseUtcMs(a.end, &a.spec.planned_end_ms)) {
    return Fail(ctx, Status::InvalidArgument("--end \"" + a.end + "\" is not a UTC time like 2026-12-05T22:00"));
  }
  auto models = OpenStore();
  if (!models.ok()) return Fail(ctx, models.status());
  auto rec = a.recogniser_id.empty() ? models->DefaultFor(ModelRole::kRecogniser) : models->Locate(a.recogniser_id);
  if (!rec.ok()) {
    *ctx.err << "lfr: " << rec.status().message() << "\n";
    ctx.exit_code = kExitMissingModel;
    return;
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->CreateDeployment(a.spec, rec->spec->id, CliActor());
  if (!d.ok()) return Fail(ctx, d.status());
  if (a.json) {
    *ctx.out << DeploymentJson(*d).dump() << "\n";
  } else {
    *ctx.out << "created deployment " << d->id << " (" << d->spec.name << "), planned, recogniser "
             << d->recogniser_id << "\n"
             << "next: add cameras (lfr deployment camera add " << d->id
             << " NAME URI), the watchlist (lfr watchlist add/import " << d->id << "), then lfr deployment start "
             << d->id << "\n";
  }
}

void PrintDeploymentLine(std::ostream& o, const Deployment& d) {
  o << std::left << std::setw(4) << d.id << " " << std::setw(8) << DeploymentStatusName(d.status) << " "
    << d.spec.name << "  (" << d.spec.site << " / " << d.spec.location << ", "
    << FormatUtcMs(d.spec.planned_start_ms).substr(0, 16) << " - "
    << FormatUtcMs(d.spec.planned_end_ms).substr(0, 16) << ")\n";
}

void RunList(const DeploymentArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto list = store->ListDeployments();
  if (!list.ok()) return Fail(ctx, list.status());
  if (a.json) return PrintJsonList(ctx, "deployments", *list, DeploymentJson);
  if (list->empty()) *ctx.out << "no deployments (create one with `lfr deployment create`)\n";
  for (const auto& d : *list) PrintDeploymentLine(*ctx.out, d);
}

void RunShow(const DeploymentArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(a.id);
  if (!d.ok()) return Fail(ctx, d.status());
  auto cams = store->ListCameras(d->id);
  auto comp = store->WatchlistComposition(d->id);
  auto entries = store->ListWatchlist(d->id, true);
  AlertQuery q;
  q.deployment_id = d->id;
  q.limit = -1;
  auto alerts = store->ListAlerts(q);
  auto seen = store->FacesSeen(d->id);
  for (const Status* s : {&cams.status(), &comp.status(), &entries.status(), &alerts.status(), &seen.status()}) {
    if (!s->ok()) return Fail(ctx, *s);
  }
  std::map<std::string, int64_t> by_state;
  for (const auto& al : *alerts) by_state[AlertStateName(al.state)]++;
  int64_t faces = 0;
  for (const auto& r : *seen) faces += r.faces;
  int64_t live = 0, removed = 0;
  for (const auto& e : *entries) (e.removed ? removed : live)++;
  if (a.json) {
    json j = DeploymentJson(*d);
    j["cameras"] = json::array();
    for (const auto& c : *cams) j["cameras"].push_back(CameraJson(c));
    j["watchlist"] = {{"entries", live}, {"removed", removed}, {"categories", json::object()}};
    for (const auto& c : *comp) j["watchlist"]["categories"][c.category] = c.entries;
    j["alerts"] = by_state;
    j["faces_seen"] = faces;
    *ctx.out << j.dump() << "\n";
    return;
  }
  std::ostream& o = *ctx.out;
  o << "deployment " << d->id << ": " << d->spec.name << " [" << DeploymentStatusName(d->status) << "]\n"
    << "  site / location:     " << d->spec.site << " / " << d->spec.location << "\n"
    << "  planned:             " << FormatUtcMs(d->spec.planned_start_ms) << " - "
    << FormatUtcMs(d->spec.planned_end_ms) << "\n"
    << "  purpose:             " << d->spec.purpose << "\n"
    << "  legal basis:         " << d->spec.legal_basis << "\n"
    << "  authorising officer: " << d->spec.authorising_officer << "\n"
    << "  threshold:           " << d->spec.threshold << " (recogniser " << d->recogniser_id << ")\n"
    << "  created:             " << FormatUtcMs(d->created_ms) << " by " << d->created_by << "\n";
  if (d->started_ms) o << "  started:             " << FormatUtcMs(d->started_ms) << "\n";
  if (d->closed_ms) o << "  closed:              " << FormatUtcMs(d->closed_ms) << " by " << d->closed_by << "\n";
  if (!d->spec.contact.empty()) o << "  public contact:      " << d->spec.contact << "\n";
  o << "  advance notice:      "
    << (d->notice_published_ms ? "published " + FormatUtcMs(d->notice_published_ms) + " (revision " +
                                     std::to_string(d->notice_revision) + ")"
                               : std::string("not published"))
    << "\n";
  if (!d->start_overridden.empty()) {
    o << "  started despite:     " << d->start_overridden << "\n"
      << "  override reason:     " << d->start_override_reason << "\n";
  }
  o << "  cameras (" << cams->size() << "):\n";
  for (const auto& c : *cams) {
    o << "    " << c.id << " " << c.name << "  " << c.uri << (c.record_footage ? "  (records footage)" : "") << "\n";
  }
  o << "  watchlist: " << live << " entries (cap " << d->spec.watchlist_cap << ")";
  if (removed) o << ", " << removed << " removed";
  o << "\n";
  for (const auto& c : *comp) o << "    " << c.entries << "  " << c.category << "\n";
  o << "  alerts: " << alerts->size();
  for (const auto& [state, n] : by_state) o << ", " << n << " " << state;
  o << "\n  faces seen (new tracks): " << faces << "\n";
}

void RunStart(const DeploymentArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(a.id);
  if (!d.ok()) return Fail(ctx, d.status());
  auto started = store->StartDeployment(d->id, CliActor(), a.override_reason);
  if (!started.ok()) return Fail(ctx, started.status());
  if (!started->start_overridden.empty()) {
    *ctx.err << "lfr: started under override (" << started->start_overridden
             << "): the reason is in the audit log and the results report\n";
  } else if (!a.override_reason.empty()) {
    *ctx.err << "lfr: nothing needed overriding (notice published, within the planned window): "
                "--override-reason was not recorded\n";
  }
  *ctx.out << "deployment " << d->id << " (" << d->spec.name << ") is active: run `lfr watch --deployment "
           << d->id << "`\n";
}

void RunClose(const DeploymentArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(a.id);
  if (!d.ok()) return Fail(ctx, d.status());
  if (d->status == DeploymentStatus::kClosed) {
    return Fail(ctx, Status::FailedPrecondition("deployment " + std::to_string(d->id) + " is already closed"));
  }
  if (!a.yes) {
    return Fail(ctx, Status::InvalidArgument(
                         "closing deployment " + std::to_string(d->id) + " (" + d->spec.name +
                         ") shreds it: its key, every watchlist image, embedding and name, and every alert "
                         "image are destroyed and cannot be recovered (the references, categories, reasons "
                         "and counts stay on record). Run again with --yes to close it."));
  }
  auto report = store->CloseDeployment(d->id, CliActor());
  if (!report.ok()) return Fail(ctx, report.status());
  *ctx.out << "closed deployment " << d->id << " (" << d->spec.name << "): " << report->entries_shredded
           << " watchlist entries and " << report->alerts_purged << " alerts' images destroyed\n";
}

void RunNotice(const DeploymentArgs& a, Context& ctx) {
  if (!a.notice_text.empty() && !a.notice_file.empty()) {
    return Fail(ctx, Status::InvalidArgument("give the notice as at most one of --text or --file"));
  }
  std::string text = a.notice_text;
  if (!a.notice_file.empty()) {
    std::ifstream f(a.notice_file);
    if (!f) return Fail(ctx, Status::NotFound("cannot read notice file " + a.notice_file));
    std::stringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(a.id);
  if (!d.ok()) return Fail(ctx, d.status());
  if (text.empty()) {  // the standard notice, generated from the deployment's record
    auto cams = store->ListCameras(d->id);
    if (!cams.ok()) return Fail(ctx, cams.status());
    const auto problems = report::NoticeProblems(*d, *cams);
    if (!problems.empty()) {
      std::string msg = "the notice for " + d->spec.name + " is incomplete, not published:";
      for (const auto& p : problems) msg += "\n  - " + p;
      return Fail(ctx, Status::FailedPrecondition(msg));
    }
    text = report::RenderNoticeText(*d, *cams);
  }
  Status s = store->PublishNotice(d->id, text, CliActor());
  if (!s.ok()) return Fail(ctx, s);
  *ctx.out << "published the advance notice of deployment " << d->id << "\n";
}

void RunCameraAdd(const DeploymentArgs& a, Context& ctx) {
  SourcePolicy policy = SourcePolicyFromEnv({a.camera_dirs, a.camera_allow_loopback});
  auto src = CheckSource(a.camera_uri, policy);
  if (!src.ok()) {
    return Fail(ctx, Status::InvalidArgument(std::string(kSourceUnavailable) + ": " + src.status().message()));
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(a.id);
  if (!d.ok()) return Fail(ctx, d.status());
  Camera c;
  c.deployment_id = d->id;
  c.name = a.camera_name;
  c.uri = a.camera_uri;
  c.position = a.camera_position;
  c.record_footage = a.record_footage;
  auto added = store->AddCamera(c, CliActor());
  if (!added.ok()) return Fail(ctx, added.status());
  *ctx.out << "added camera " << added->id << " (" << added->name << ") to deployment " << d->id << "\n";
}

void RunCameraRemove(const DeploymentArgs& a, Context& ctx) {
  auto id = ParseId(a.id, "camera id");
  if (!id.ok()) return Fail(ctx, id.status());
  auto store = OpenCliStore(ctx);
  if (!store) return;
  Status s = store->RemoveCamera(*id, CliActor());
  if (!s.ok()) return Fail(ctx, s);
  *ctx.out << "removed camera " << *id << "\n";
}

}  // namespace

void RegisterDeploymentCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<DeploymentArgs>();
  CLI::App* dep = app.add_subcommand(
      "deployment",
      "Deployments: where, when, why and under whose authority LFR is used; planned -> active -> closed. "
      "Closing one destroys its key, watchlist faces and alert images (crypto-shredding).");
  dep->require_subcommand(1);

  CLI::App* create = dep->add_subcommand("create", "Plan a deployment (it starts as planned)");
  create->add_option("--name", a->spec.name, "Unique name, e.g. Cardiff-2026-12-05-Principality")->required();
  create->add_option("--site", a->spec.site, "Site, e.g. \"Cardiff city centre\"")->required();
  create->add_option("--location", a->spec.location, "Location within the site")->required();
  create->add_option("--start", a->start, "Planned start, UTC: 2026-12-05T14:00 (or ...:00Z, or a date)")->required();
  create->add_option("--end", a->end, "Planned end, UTC")->required();
  create->add_option("--purpose", a->spec.purpose, "Why LFR is used here")->required();
  create->add_option("--legal-basis", a->spec.legal_basis, "The legal basis and policy relied on")->required();
  create->add_option("--authorising-officer", a->spec.authorising_officer, "Rank and name")->required();
  create->add_option("--threshold", a->spec.threshold,
                     "Alert threshold: a fused score (0.6) or \"fpir:1/6000\" (resolved for the watchlist size)")
      ->capture_default_str();
  create->add_option("--cap", a->spec.watchlist_cap, "Most entries the watchlist may hold")->capture_default_str();
  create->add_option("--contact", a->spec.contact, "How the public can ask questions (for the notice)");
  create->add_option("--recogniser", a->recogniser_id,
                     "Recogniser model id (default: the installed one with the highest priority)");
  create->add_flag("--json", a->json, "Print the deployment as JSON");
  create->callback([a, &ctx] { RunCreate(*a, ctx); });

  CLI::App* list = dep->add_subcommand("list", "List deployments");
  list->add_flag("--json", a->json, "JSON output");
  list->callback([a, &ctx] { RunList(*a, ctx); });

  CLI::App* show = dep->add_subcommand("show", "A deployment's details, cameras, watchlist composition and counts");
  show->add_option("deployment", a->id, "Deployment id or name")->required();
  show->add_flag("--json", a->json, "JSON output");
  show->callback([a, &ctx] { RunShow(*a, ctx); });

  CLI::App* start = dep->add_subcommand(
      "start", "planned -> active (needs a camera and a watchlist entry, a published advance notice, and "
               "the time to be within the planned window; refused with exit 5 otherwise)");
  start->add_option("deployment", a->id, "Deployment id or name")->required();
  start->add_option("--override-reason", a->override_reason,
                    "Start anyway without a published notice or outside the planned window, and say why "
                    "(e.g. advance publication would defeat the purpose); audited and shown in the report");
  start->callback([a, &ctx] { RunStart(*a, ctx); });

  CLI::App* close = dep->add_subcommand(
      "close", "Close a deployment and shred its face data: key, watchlist images, embeddings, names and "
               "alert images are destroyed; the composition (references, categories, reasons, counts) stays");
  close->add_option("deployment", a->id, "Deployment id or name")->required();
  close->add_flag("--yes", a->yes, "Confirm: nothing shredded can be recovered");
  close->callback([a, &ctx] { RunClose(*a, ctx); });

  CLI::App* notice = dep->add_subcommand(
      "notice", "Publish the advance public notice of a deployment: the standard one generated from "
                "its record (see `lfr notice DEP` to read it first), or your own --text/--file");
  notice->add_option("deployment", a->id, "Deployment id or name")->required();
  notice->add_option("--text", a->notice_text, "Your own notice text instead of the standard one");
  notice->add_option("--file", a->notice_file, "A file holding your own notice text");
  notice->callback([a, &ctx] { RunNotice(*a, ctx); });

  CLI::App* camera = dep->add_subcommand("camera", "A deployment's cameras");
  camera->require_subcommand(1);
  CLI::App* cadd = camera->add_subcommand("add", "Add a camera to a planned or active deployment");
  cadd->add_option("deployment", a->id, "Deployment id or name")->required();
  cadd->add_option("name", a->camera_name, "Camera name, unique in the deployment (e.g. gate-a)")->required();
  cadd->add_option("uri", a->camera_uri,
                   "rtsp(s)://... or http(s)://... (not a loopback or link-local address), /dev/videoN, "
                   "v4l2:N, or the absolute path of a video file inside a camera folder")->required();
  cadd->add_option("--camera-dir", a->camera_dirs,
                   "A folder video-file cameras may be in (repeat; also LFR_CAMERA_DIRS=DIR:DIR; "
                   "`lfr serve` must be given the same folders to open them)");
  cadd->add_flag("--camera-allow-loopback", a->camera_allow_loopback,
                 "Allow stream hosts on loopback or link-local addresses (also LFR_CAMERA_ALLOW_LOOPBACK=1)");
  cadd->add_option("--position", a->camera_position, "Where it points (free text)");
  cadd->add_flag("--record-footage", a->record_footage,
                 "Record this camera's video while the deployment runs (lfr watch --deployment, lfr serve): "
                 "copied without re-encoding into sealed one-minute segments under $LFR_HOME/footage, "
                 "deleted after 31 days (or LFR_FOOTAGE_RETENTION). Network and file cameras only");
  cadd->callback([a, &ctx] { RunCameraAdd(*a, ctx); });
  CLI::App* cremove = camera->add_subcommand("remove", "Remove a camera (by camera id, see `deployment show`)");
  cremove->add_option("camera", a->id, "Camera id")->required();
  cremove->callback([a, &ctx] { RunCameraRemove(*a, ctx); });
}

}  // namespace lfr::cli
