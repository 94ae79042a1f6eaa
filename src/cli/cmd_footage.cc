// `lfr footage list|export`: a camera's recorded segments, and the redacted evidence export
// (footage/export.h) with its manifest and audit row.
#include <iomanip>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_common.h"
#include "footage/export.h"
#include "footage/segment.h"
#include "store/retention.h"

namespace lfr::cli {
namespace {
using nlohmann::json;

struct FootageArgs {
  std::string deployment, camera, from, to, subject_alert, reason, out;
  int working_size = 1280;
  bool json = false;
};

Result<int64_t> ParseTime(const std::string& text, const std::string& flag) {
  int64_t ms = 0;
  if (ParseUtcMs(text, &ms)) return ms;
  return Status::InvalidArgument(flag + " must be a UTC time like 2026-12-05T14:03:00Z, got \"" + text + "\"");
}

// The deployment and its camera named `camera`.
Result<std::pair<Deployment, Camera>> FindCamera(Store* store, const FootageArgs& a) {
  auto dep = store->FindDeployment(a.deployment);
  if (!dep.ok()) return dep.status();
  auto cams = store->ListCameras(dep->id);
  if (!cams.ok()) return cams.status();
  for (const Camera& c : *cams) {
    if (c.name == a.camera) return std::make_pair(*dep, c);
  }
  return Status::InvalidArgument("deployment " + std::to_string(dep->id) + " has no camera named \"" + a.camera + "\"");
}

void RunList(const FootageArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto dc = FindCamera(store.get(), a);
  if (!dc.ok()) return Fail(ctx, dc.status());
  const auto segments = ListSegments(CameraFootageDir(DefaultFootageDir(), dc->first.id, dc->second.id));
  json arr = json::array();
  for (const auto& p : segments) {
    auto id = ParseSegmentPath(p);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(p, ec);
    if (a.json) {
      arr.push_back({{"start", FormatUtcMs(id->start_ms)}, {"start_ms", id->start_ms}, {"bytes", ec ? 0 : bytes}});
    } else {
      *ctx.out << FormatUtcMs(id->start_ms) << "  " << (ec ? 0 : bytes) << " bytes\n";
    }
  }
  if (a.json) *ctx.out << json{{"camera", dc->second.name}, {"segments", arr}}.dump() << "\n";
  if (!a.json && segments.empty()) *ctx.out << "no recorded footage of camera " << dc->second.name << "\n";
}

void RunExport(const FootageArgs& a, Context& ctx) {
  auto from = ParseTime(a.from, "--from");
  if (!from.ok()) return Fail(ctx, from.status());
  auto to = ParseTime(a.to, "--to");
  if (!to.ok()) return Fail(ctx, to.status());
  ExportRequest req;
  req.camera = a.camera;
  req.from_ms = *from;
  req.to_ms = *to;
  req.reason = a.reason;
  req.out = a.out;
  if (!a.subject_alert.empty()) {
    auto id = ParseId(a.subject_alert, "--subject-alert");
    if (!id.ok()) return Fail(ctx, id.status());
    req.subject_alert = *id;
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto dc = FindCamera(store.get(), a);
  if (!dc.ok()) return Fail(ctx, dc.status());
  req.deployment_id = dc->first.id;
  auto models = OpenStore();
  if (!models.ok()) return Fail(ctx, models.status());
  const DetectorOptions dopt = ExportDetectorOptions(a.working_size);
  auto analyzer = FaceAnalyzer::FromStore(*models, "", dc->first.recogniser_id, dopt);
  if (!analyzer.ok()) {
    *ctx.err << "lfr: " << analyzer.status().message() << "\n";
    ctx.exit_code = kExitMissingModel;
    return;
  }
  ExportOptions opt;
  opt.footage_root = DefaultFootageDir();
  if (!ctx.quiet) {
    opt.progress = [&ctx](int64_t frames) {
      if (frames % 250 == 0) *ctx.err << "lfr: export: " << frames << " frames analysed\n";
    };
  }
  auto m = ExportFootage(store.get(), analyzer->get(), req, opt, CliActor(), SystemClock()->NowMs());
  if (!m.ok()) return Fail(ctx, m.status());
  if (a.json) {
    *ctx.out << m->ToJson().dump() << "\n";
    return;
  }
  *ctx.out << "exported " << m->frames << " frames of camera " << m->camera << " (" << FormatUtcMs(m->first_frame_ms)
           << " - " << FormatUtcMs(m->last_frame_ms) << ") to " << m->file << "\n"
           << "  " << m->faces_blurred << " face(s) blurred, " << m->subject_faces << " subject face(s) left clear"
           << (m->subject_alert ? " (alert " + std::to_string(*m->subject_alert) + ")" : std::string(" (no subject)"))
           << "\n  sha256 " << m->sha256 << "\n  manifest " << ManifestPath(m->file).string()
           << " (recorded in the audit log as footage.export)\n";
}

}  // namespace

void RegisterFootageCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("footage", "Recorded footage: list a camera's segments, export redacted evidence");
  cmd->require_subcommand(1);
  auto a = std::make_shared<FootageArgs>();

  auto* list = cmd->add_subcommand("list", "The sealed segments recorded for a camera of a deployment");
  list->add_option("--deployment", a->deployment, "Deployment id or name")->required();
  list->add_option("--camera", a->camera, "Camera name")->required();
  list->add_flag("--json", a->json, "One JSON object");
  list->callback([a, &ctx] { RunList(*a, ctx); });

  auto* ex = cmd->add_subcommand(
      "export",
      "Export a time range of one camera's footage as an H.264 MP4 for disclosure: faces are detected on every "
      "frame and every face is blurred except, with --subject-alert, that alert's subject (followed by the "
      "tracker through the range). A manifest (camera, range, SHA-256 of the file, who, why, counts) is written "
      "beside it as FILE.manifest.json and recorded in the audit log (footage.export). Nothing is written on an "
      "error; an existing file is never overwritten.");
  ex->add_option("--deployment", a->deployment, "Deployment id or name")->required();
  ex->add_option("--camera", a->camera, "Camera name")->required();
  ex->add_option("--from", a->from, "Start, UTC (e.g. 2026-12-05T14:03:00Z)")->required();
  ex->add_option("--to", a->to, "End, UTC, exclusive")->required();
  ex->add_option("--subject-alert", a->subject_alert,
                 "Alert id whose subject stays unblurred (an alert of this camera); none: every face is blurred");
  ex->add_option("--reason", a->reason, "Why it is exported (e.g. the disclosure request); recorded")->required();
  ex->add_option("--out", a->out, "The MP4 file to write (must not exist)")->required();
  ex->add_option("--working-size", a->working_size,
                 "Long side (pixels) frames are downscaled to for face detection; 0 = full resolution")
      ->capture_default_str();
  ex->add_flag("--json", a->json, "Print the manifest as one JSON object");
  ex->callback([a, &ctx] { RunExport(*a, ctx); });
}

}  // namespace lfr::cli
