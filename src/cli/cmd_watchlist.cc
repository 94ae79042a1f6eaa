// `lfr watchlist add|import|list|remove`: a deployment's watchlist in the store. Enrolment
// checks each image (exactly one usable face, quality, possible duplicate) before the store
// seals it; an import stops at the first error that would affect every later image (cap,
// closed deployment, disk), and each entry is its own transaction, so an interrupted
// import leaves only complete entries.
#include <iomanip>
#include <memory>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/store_common.h"
#include "eval/progress.h"
#include "store/enrolment.h"
#include "store/watchlist_csv.h"
#include "store/watchlist_forecast.h"
#include "util/paths.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

struct WatchlistArgs {
  std::string deployment;
  WatchlistEntry meta;
  std::string image;
  std::string folder, csv;
  bool json = false;
  bool all = false;
  bool allow_duplicate = false;
  std::string accept_hub;  // the supervisor's reason for enrolling a forecast hub
  std::string entry_id;
};

// The deployment and an enroller using its recogniser. Fails (and sets the exit code) with
// nullptr when something is missing.
struct EnrolSession {
  std::unique_ptr<Store> store;
  Deployment deployment;
  std::unique_ptr<FaceAnalyzer> analyzer;
  std::unique_ptr<WatchlistEnroller> enroller;
};

std::unique_ptr<EnrolSession> StartEnrolment(const std::string& deployment, Context& ctx) {
  auto session = std::make_unique<EnrolSession>();
  session->store = OpenCliStore(ctx);
  if (!session->store) return nullptr;
  auto d = session->store->FindDeployment(deployment);
  if (!d.ok()) {
    Fail(ctx, d.status());
    return nullptr;
  }
  session->deployment = *d;
  if (d->status == DeploymentStatus::kClosed) {
    Fail(ctx, Status::FailedPrecondition("deployment " + std::to_string(d->id) + " (" + d->spec.name +
                                         ") is closed: its watchlist cannot change"));
    return nullptr;
  }
  auto models = OpenStore();
  if (!models.ok()) {
    Fail(ctx, models.status());
    return nullptr;
  }
  auto rec = models->Locate(d->recogniser_id);
  auto analyzer = rec.ok() ? FaceAnalyzer::FromStore(*models, "", d->recogniser_id)
                           : Result<std::unique_ptr<FaceAnalyzer>>(rec.status());
  if (!analyzer.ok()) {
    *ctx.err << "lfr: deployment " << d->id << " uses recogniser " << d->recogniser_id << ": "
             << analyzer.status().message() << "\n";
    ctx.exit_code = kExitMissingModel;
    return nullptr;
  }
  session->analyzer = std::move(analyzer).value();
  auto enroller = WatchlistEnroller::Create(session->store.get(), d->id, session->analyzer.get(),
                                            rec->spec->card.verify_threshold, CliActor());
  if (!enroller.ok()) {
    Fail(ctx, enroller.status());
    return nullptr;
  }
  session->enroller = std::move(enroller).value();
  // Every entry is checked against the background cohort for being a hub (or enrolled with
  // a warning that it was not, when none is installed).
  if (Status s = session->enroller->SetHubPolicy(HubPolicyFor(*d, HomeDir())); !s.ok()) {
    Fail(ctx, s);
    return nullptr;
  }
  return session;
}

// A rejection, with how to confirm an exact duplicate or accept a forecast hub.
std::string Rejection(const EnrolmentOutcome& o) {
  if (o.exact_duplicate_of) return o.rejection + " (--allow-duplicate)";
  if (o.hub_check && o.hub_check->refused) {
    return o.rejection + " (`lfr watchlist add ... --accept-hub REASON` enrols it anyway, audited)";
  }
  return o.rejection;
}

// Plainly, when entries are not checked for hubs.
void WarnHubsUnchecked(Context& ctx, const std::string& why) {
  *ctx.err << "lfr: warning: not checked for hubs (entries that would alert on many strangers): " << why
           << "\n";
}

void PrintWarnings(Context& ctx, const std::string& what, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) *ctx.err << "lfr: warning: " << what << ": " << w << "\n";
}

void RunAdd(const WatchlistArgs& a, Context& ctx) {
  auto s = StartEnrolment(a.deployment, ctx);
  if (!s) return;
  auto outcome = s->enroller->Enrol(a.image, a.meta, a.allow_duplicate, a.accept_hub);
  if (!outcome.ok()) return Fail(ctx, outcome.status());
  if (!outcome->entry) {
    if (outcome->hub_check && outcome->hub_check->refused) {
      return Fail(ctx, Status::FailedPrecondition(a.image + " (" + a.meta.reference + ") not enrolled: " +
                                                  Rejection(*outcome)));
    }
    return Fail(ctx, Status::InvalidArgument(a.image + " (" + a.meta.reference + ") not enrolled: " +
                                             Rejection(*outcome)));
  }
  PrintWarnings(ctx, a.meta.reference, outcome->warnings);
  if (outcome->hub_check && !outcome->hub_check->checked) WarnHubsUnchecked(ctx, outcome->hub_check->not_checked);
  const WatchlistEntry& e = *outcome->entry;
  if (a.json) {
    json j = EntryJson(e, true);
    if (outcome->hub_check) j["hub_check"] = HubVerdictJson(*outcome->hub_check);
    *ctx.out << j.dump() << "\n";
  } else {
    *ctx.out << "added entry " << e.id << " (" << e.reference << ") to deployment " << e.deployment_id
             << ", quality " << std::fixed << std::setprecision(2) << e.quality << "\n";
    if (outcome->hub_check && outcome->hub_check->checked) {
      const HubVerdict& v = *outcome->hub_check;
      const EntryForecast& ef = v.forecast.entries[0];
      *ctx.out << "forecast: " << ef.cohort_hits << " of " << v.forecast.cohort_size
               << " strangers of the background cohort would alert on it at " << std::setprecision(3)
               << v.forecast.threshold << (ef.hub ? " (a hub, accepted)" : " (not a hub)") << "; the whole list "
               << v.forecast.faces_alerting << " (" << std::setprecision(2) << 100.0 * v.forecast.rate
               << " %, at most " << 100.0 * v.forecast.rate_upper95 << " %)\n";
    }
  }
}

void RunImport(const WatchlistArgs& a, Context& ctx) {
  if (a.folder.empty() == a.csv.empty()) {
    return Fail(ctx, Status::InvalidArgument("give exactly one of a FOLDER or --csv FILE"));
  }
  if (!a.folder.empty() && (a.meta.category.empty() || a.meta.reason.empty())) {
    return Fail(ctx, Status::InvalidArgument("a folder import needs --category and --reason (they apply to every image)"));
  }
  auto items = a.csv.empty() ? ListWatchlistFolder(a.folder, a.meta) : ReadWatchlistCsv(a.csv);
  if (!items.ok()) return Fail(ctx, items.status());
  auto s = StartEnrolment(a.deployment, ctx);
  if (!s) return;
  if (const std::string why = s->enroller->HubCheckMissing(); !why.empty()) WarnHubsUnchecked(ctx, why);
  const int64_t total = static_cast<int64_t>(items->size());
  int64_t enrolled = 0, duplicates = 0;
  std::vector<std::string> rejections, warnings;
  Status stopped;
  {
    eval::ProgressBar bar(ctx.quiet ? nullptr : ctx.err, "import", total);
    for (const ImportItem& item : *items) {
      auto outcome = s->enroller->Enrol(item.image, item.meta, a.allow_duplicate);
      if (!outcome.ok()) {
        stopped = outcome.status();
        break;
      }
      const std::string where = item.image.filename().string() +
                                (item.line > 0 ? " (line " + std::to_string(item.line) + ")" : "");
      if (outcome->entry) {
        ++enrolled;
        if (outcome->entry->duplicate_of) ++duplicates;
        for (const auto& w : outcome->warnings) warnings.push_back(where + " " + item.meta.reference + ": " + w);
      } else {
        rejections.push_back(where + " " + item.meta.reference + ": " + Rejection(*outcome));
      }
      bar.Add();
    }
  }
  for (const auto& r : rejections) *ctx.err << "lfr: rejected " << r << "\n";
  for (const auto& w : warnings) *ctx.err << "lfr: warning: " << w << "\n";
  const std::string source = a.csv.empty() ? a.folder : a.csv;
  // The import as one audit row too (each entry already has its own).
  Status audited = s->store->Audit(CliActor(), "watchlist.import", "deployment:" + std::to_string(s->deployment.id),
                                   json{{"source", a.csv.empty() ? "folder" : "csv"},
                                        {"images", total},
                                        {"enrolled", enrolled},
                                        {"rejected", rejections.size()},
                                        {"possible_duplicates", duplicates},
                                        {"completed", stopped.ok()}}
                                       .dump());
  if (!stopped.ok()) {
    *ctx.err << "lfr: watchlist import stopped after enrolling " << enrolled << " of " << total << " images from "
             << source << "\n";
    return Fail(ctx, stopped);
  }
  if (!audited.ok()) return Fail(ctx, audited);
  *ctx.err << "lfr: watchlist import: enrolled " << enrolled << " of " << total << " images into deployment "
           << s->deployment.id << " (" << rejections.size() << " rejected, " << duplicates
           << " possible duplicates)\n";
  if (a.json) {
    *ctx.out << json{{"deployment", s->deployment.id}, {"images", total}, {"enrolled", enrolled},
                     {"rejected", rejections}, {"possible_duplicates", duplicates}}
                    .dump()
             << "\n";
  }
  if (enrolled == 0) Fail(ctx, Status::InvalidArgument("no image of " + source + " could be enrolled"));
}

void RunList(const WatchlistArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(a.deployment);
  if (!d.ok()) return Fail(ctx, d.status());
  auto entries = store->ListWatchlist(d->id, a.all);
  if (!entries.ok()) return Fail(ctx, entries.status());
  // The list shows people's names: who looked is on record.
  Status audited = store->Audit(CliActor(), "watchlist.list", "deployment:" + std::to_string(d->id),
                                json{{"entries", entries->size()}}.dump());
  if (!audited.ok()) return Fail(ctx, audited);
  if (a.json) return PrintJsonList(ctx, "entries", *entries, [](const WatchlistEntry& e) { return EntryJson(e, true); }, json{{"deployment", d->id}});
  *ctx.out << "deployment " << d->id << " (" << d->spec.name << "): " << entries->size() << " entries\n";
  for (const auto& e : *entries) {
    *ctx.out << std::left << std::setw(5) << e.id << " " << std::setw(16) << e.reference << " "
             << std::setw(24) << (e.shredded ? "(shredded)" : e.display_name) << " " << e.category << " | "
             << e.reason << std::fixed << std::setprecision(2) << " | quality " << e.quality;
    if (e.duplicate_of) *ctx.out << " | possible duplicate of " << *e.duplicate_of;
    if (e.removed) *ctx.out << " | removed";
    *ctx.out << "\n";
  }
}

void RunRemove(const WatchlistArgs& a, Context& ctx) {
  auto id = ParseId(a.entry_id, "entry id");
  if (!id.ok()) return Fail(ctx, id.status());
  auto store = OpenCliStore(ctx);
  if (!store) return;
  Status s = store->RemoveWatchlistEntry(*id, CliActor());
  if (!s.ok()) return Fail(ctx, s);
  *ctx.out << "removed entry " << *id << ": its image and embedding are deleted, its record kept\n";
}

void AddMetaOptions(CLI::App* cmd, WatchlistEntry* meta, bool per_image) {
  if (per_image) {
    cmd->add_option("--reference", meta->reference, "Force reference (e.g. PNC id), unique in the deployment")
        ->required();
    cmd->add_option("--name", meta->display_name, "Display name (sealed at rest)");
  }
  cmd->add_option("--category", meta->category, "Category / offence, e.g. \"wanted: violence\"");
  cmd->add_option("--reason", meta->reason, "Why this person is on this watchlist");
  cmd->add_option("--image-source", meta->image_source, "Where the image comes from, e.g. \"custody 2024-05-01\"");
}

}  // namespace

void RegisterWatchlistCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<WatchlistArgs>();
  CLI::App* wl = app.add_subcommand(
      "watchlist",
      "A deployment's watchlist: add people (one image each, exactly one usable face, not a hub of the "
      "background cohort), import many, list, remove, forecast its false alerts. Images and embeddings are "
      "encrypted with the deployment's key.");
  wl->require_subcommand(1);

  CLI::App* add = wl->add_subcommand(
      "add", "Enrol one person from an image. The entry is scored against the background cohort (`lfr cohort "
             "build`) at the deployment's threshold and refused if it would be a hub, unless --accept-hub; "
             "without a cohort it is enrolled with a warning that it was not checked");
  add->add_option("deployment", a->deployment, "Deployment id or name")->required();
  add->add_option("image", a->image, "The person's image (one face)")->required();
  AddMetaOptions(add, &a->meta, true);
  add->get_option("--category")->required();
  add->get_option("--reason")->required();
  add->add_flag("--json", a->json, "Print the entry as JSON");
  add->add_option("--accept-hub", a->accept_hub,
                  "Enrol the photo even if the forecast says it would be a hub (close to many strangers of the "
                  "background cohort at the deployment's threshold); REASON is recorded with the entry and audited")
      ->type_name("REASON");
  add->add_flag("--allow-duplicate", a->allow_duplicate,
                "Enrol even if the same face (similarity >= 0.98, e.g. the same photo) is already on the "
                "watchlist under another reference; without it such an image is refused");
  add->callback([a, &ctx] { RunAdd(*a, ctx); });

  CLI::App* import = wl->add_subcommand(
      "import",
      "Enrol many people: a FOLDER of Name.jpg images (one person each; --category and --reason apply to "
      "all) or --csv FILE with columns image,reference,name,category,reason,image_source. Shows progress, "
      "then each rejected image with its reason (forecast hubs included: enrol those one at a time with "
      "`add --accept-hub`). Exit 0 if any image was enrolled.");
  import->add_option("deployment", a->deployment, "Deployment id or name")->required();
  import->add_option("folder", a->folder, "Folder of Name.jpg images");
  import->add_option("--csv", a->csv, "CSV file (image paths relative to it)");
  AddMetaOptions(import, &a->meta, false);
  import->add_flag("--json", a->json, "Print a JSON summary on stdout");
  import->add_flag("--allow-duplicate", a->allow_duplicate,
                   "Enrol images whose face is already on the watchlist under another reference "
                   "(similarity >= 0.98); without it they are rejected");
  import->callback([a, &ctx] { RunImport(*a, ctx); });

  CLI::App* list = wl->add_subcommand("list", "List a deployment's watchlist (names and metadata, no images; audited)");
  list->add_option("deployment", a->deployment, "Deployment id or name")->required();
  list->add_flag("--all", a->all, "Include removed entries");
  list->add_flag("--json", a->json, "JSON output");
  list->callback([a, &ctx] { RunList(*a, ctx); });

  CLI::App* remove = wl->add_subcommand("remove", "Remove an entry: its image and embedding are deleted now");
  remove->add_option("entry", a->entry_id, "Entry id (see `watchlist list`)")->required();
  remove->callback([a, &ctx] { RunRemove(*a, ctx); });

  RegisterWatchlistForecastCommand(wl, ctx);
}

}  // namespace lfr::cli
