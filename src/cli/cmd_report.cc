// `lfr report DEPLOYMENT` — the results report a force publishes (JSON, HTML or CSV) — and
// `lfr notice DEPLOYMENT` — the advance public notice, text or HTML (`lfr deployment notice`
// publishes it).
// Both print nothing personal: see report/report.h.
#include <fstream>

#include "cli/cli.h"
#include "cli/store_common.h"
#include "report/notice.h"
#include "report/report.h"
#include "util/clock.h"

namespace lfr::cli {
namespace {

struct ReportArgs {
  std::string deployment;
  std::string format = "html";
  std::string output;
  bool html = false;
};

void Write(Context& ctx, const std::string& output, const std::string& text, const std::string& what) {
  if (output.empty() || output == "-") {
    *ctx.out << text;
    return;
  }
  std::ofstream f(output, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Fail(ctx, Status::IOError("cannot write " + what + " to " + output));
  *ctx.err << "lfr: wrote " << what << " to " << output << "\n";
}

void RunReport(const ReportArgs& args, Context& ctx) {
  if (args.format != "html" && args.format != "json" && args.format != "csv") {
    return Fail(ctx, Status::InvalidArgument("--format '" + args.format + "' is not one of html, json, csv"));
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(args.deployment);
  if (!d.ok()) return Fail(ctx, d.status());
  auto input = report::GatherReportInput(*store, d->id, SystemClock()->NowMs());
  if (!input.ok()) return Fail(ctx, input.status());
  const report::DeploymentReport r = report::BuildReport(*input);
  // No export without its audit row.
  if (Status a = store->Audit(CliActor(), "report.export", "deployment:" + std::to_string(d->id),
                              nlohmann::json({{"format", args.format}}).dump());
      !a.ok()) {
    return Fail(ctx, a);
  }
  const std::string text = args.format == "html"   ? report::RenderReportHtml(r)
                           : args.format == "csv" ? report::RenderReportCsv(r)
                                                  : report::RenderReportJson(r) + "\n";
  Write(ctx, args.output, text, "the report");
}

void RunNotice(const ReportArgs& args, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(args.deployment);
  if (!d.ok()) return Fail(ctx, d.status());
  auto cams = store->ListCameras(d->id);
  if (!cams.ok()) return Fail(ctx, cams.status());
  const auto problems = report::NoticeProblems(*d, *cams);
  if (!problems.empty()) {
    std::string msg = "the notice for " + d->spec.name + " is incomplete:";
    for (const auto& p : problems) msg += "\n  - " + p;
    *ctx.err << "lfr: warning: " << msg << "\n";
  }
  Write(ctx, args.output, args.html ? report::RenderNoticeHtml(*d, *cams) : report::RenderNoticeText(*d, *cams),
        "the notice");
}

}  // namespace

void RegisterReportCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* report = app.add_subcommand(
      "report",
      "A deployment's results report: details, watchlist size by category (no names), faces seen, "
      "alerts, confirmed true/false alerts, engagements, arrests, false-alert rate, threshold and its "
      "calibrated FPIR, charts (HTML). Audited as an export.");
  report->add_option("deployment", args->deployment, "Deployment id or name")->required();
  report->add_option("--format", args->format, "html, json or csv")->capture_default_str();
  report->add_option("--output,-o", args->output, "Write to this file instead of stdout");
  report->callback([args, &ctx] { RunReport(*args, ctx); });

  CLI::App* notice = app.add_subcommand(
      "notice", "The advance public notice of a deployment: place, dates, purpose, legal basis, "
                "how to ask questions. Publish it with `lfr deployment notice DEP`.");
  notice->add_option("deployment", args->deployment, "Deployment id or name")->required();
  notice->add_flag("--html", args->html, "As an HTML page");
  notice->add_option("--output,-o", args->output, "Write to this file instead of stdout");
  notice->callback([args, &ctx] { RunNotice(*args, ctx); });
}

}  // namespace lfr::cli
