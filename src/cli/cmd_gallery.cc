// `lfr gallery create|import|list|show|remove-record|delete|due|reindex`: the reference
// galleries that retrospective searches run against (store/gallery_store.h). An import checks
// each image (exactly one usable face, quality, possible duplicate) and stages it; nothing is
// live until the whole import is committed, so an error or a kill leaves the gallery as it
// was. Import and removal bring the gallery's sealed search index up to date
// (search/gallery_index.h); delete deletes it; reindex rebuilds it.
#include <iomanip>
#include <memory>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/gallery_common.h"
#include "cli/store_common.h"
#include "eval/progress.h"
#include "gallery/gallery_json.h"
#include "gallery/import.h"
#include "search/gallery_index.h"
#include "util/clock.h"

namespace lfr::cli {
namespace {
using nlohmann::json;

struct GalleryArgs {
  GallerySpec spec;
  std::string recogniser_id;
  std::string gallery;
  std::string folder, csv;
  GalleryRecord defaults;  // capture_date, source for a folder import
  std::string record_id;
  std::string reason;
  bool json = false;
  bool all = false;
  bool yes = false;
};

void RunCreate(const GalleryArgs& a, Context& ctx) {
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
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  auto g = galleries->CreateGallery(a.spec, rec->spec->id, CliActor());
  if (!g.ok()) return Fail(ctx, g.status());
  if (a.json) {
    *ctx.out << GalleryJson(*g).dump() << "\n";
  } else {
    *ctx.out << "created gallery " << g->id << " (" << g->spec.name << "), recogniser " << g->recogniser_id
             << ", " << g->spec.reviewers_required << " reviewer(s) per candidate\n"
             << "next: lfr gallery import " << g->id << " FOLDER (or --csv FILE)\n";
  }
}

// Brings the gallery's sealed index up to date after a change. The change itself is done and
// the next search catches the index up anyway, so a failure here is a warning, not an error.
void RefreshIndex(GalleryStore* galleries, int64_t gallery_id, Context& ctx) {
  auto g = galleries->FindGallery(std::to_string(gallery_id));
  if (!g.ok()) return;
  search::GalleryIndexes indexes(galleries, search::DefaultGalleryIndexDir(), {}, /*wait_for_builds=*/true);
  Status s = indexes.Refresh(*g, CliActor());
  if (!s.ok()) *ctx.err << "lfr: warning: the gallery's search index was not updated: " << s.message() << "\n";
}

void RunImport(const GalleryArgs& a, Context& ctx) {
  if (a.folder.empty() == a.csv.empty()) {
    return Fail(ctx, Status::InvalidArgument("give exactly one of a FOLDER or --csv FILE"));
  }
  auto items = a.csv.empty() ? ListGalleryFolder(a.folder, a.defaults) : ReadGalleryCsv(a.csv);
  if (!items.ok()) return Fail(ctx, items.status());
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  auto g = FindGalleryOrFail(galleries, a.gallery, ctx);
  if (!g) return;
  auto analyzer = OpenGalleryAnalyzer(*g, ctx);
  if (!analyzer) return;
  Result<GalleryImportSummary> sum = Status::Internal("not run");
  {
    eval::ProgressBar bar(ctx.quiet ? nullptr : ctx.err, "import", static_cast<int64_t>(items->size()));
    sum = ImportGalleryItems(galleries, *g, analyzer->analyzer.get(), analyzer->verify_threshold, *items,
                             a.csv.empty() ? "folder" : "csv", CliActor(), [&bar] { bar.Add(); });
    bar.Finish();
  }
  if (!sum.ok()) return Fail(ctx, sum.status());
  if (sum->imported > 0) RefreshIndex(galleries, g->id, ctx);
  for (const auto& r : sum->rejections) *ctx.err << "lfr: rejected " << r << "\n";
  for (const auto& w : sum->warnings) *ctx.err << "lfr: warning: " << w << "\n";
  *ctx.err << "lfr: gallery import: imported " << sum->imported << " of " << sum->images << " images into gallery "
           << g->id << " (" << sum->rejections.size() << " rejected, " << sum->possible_duplicates
           << " possible duplicates)\n";
  if (a.json) {
    *ctx.out << json{{"gallery", g->id},          {"images", sum->images},
                     {"imported", sum->imported}, {"rejected", sum->rejections},
                     {"possible_duplicates", sum->possible_duplicates}, {"warnings", sum->warnings}}
                    .dump()
             << "\n";
  }
}

void PrintGalleryLine(std::ostream& o, const Gallery& g) {
  o << std::left << std::setw(4) << g.id << " " << std::setw(24) << g.spec.name << " " << std::setw(8)
    << g.records << " records  owner " << g.spec.owner << (g.deleted ? "  (deleted)" : "") << "\n";
}

void RunList(const GalleryArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  auto list = galleries->ListGalleries();
  if (!list.ok()) return Fail(ctx, list.status());
  if (a.json) return PrintJsonList(ctx, "galleries", *list, [](const Gallery& g) { return GalleryJson(g); });
  if (list->empty()) *ctx.out << "no galleries (create one with lfr gallery create)\n";
  for (const auto& g : *list) PrintGalleryLine(*ctx.out, g);
}

void PrintRecordLine(std::ostream& o, const GalleryRecord& r) {
  o << std::left << std::setw(6) << r.id << " " << std::setw(20) << r.reference << " captured "
    << (r.capture_date.empty() ? "-" : r.capture_date) << ", review due " << FormatUtcMs(r.review_due_ms).substr(0, 10)
    << std::fixed << std::setprecision(2) << ", quality " << r.quality;
  if (!r.source.empty()) o << ", " << r.source;
  if (r.duplicate_of) o << " | possible duplicate of " << *r.duplicate_of;
  if (r.removed) o << " | removed by " << r.removed_by << ": " << r.removal_reason;
  o << "\n";
}

void RunShow(const GalleryArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  auto g = FindGalleryOrFail(galleries, a.gallery, ctx);
  if (!g) return;
  auto records = galleries->ListGalleryRecords(g->id, a.all, CliActor());  // audited
  if (!records.ok()) return Fail(ctx, records.status());
  if (a.json) {
    return PrintJsonList(ctx, "records", *records, [](const GalleryRecord& r) { return GalleryRecordJson(r); },
                         json{{"gallery", GalleryJson(*g)}});
  }
  const GallerySpec& s = g->spec;
  *ctx.out << "gallery " << g->id << " (" << s.name << ")" << (g->deleted ? " - DELETED" : "") << "\n"
           << "  purpose:            " << s.purpose << "\n"
           << "  legal basis:        " << s.legal_basis << "\n"
           << "  owner:              " << s.owner << "\n"
           << "  recogniser:         " << g->recogniser_id << "\n"
           << "  review period:      " << s.review_days << " days after capture\n"
           << "  reviewers:          " << s.reviewers_required << " per candidate\n"
           << "  search records:     kept " << s.search_retention_days << " days\n"
           << "  created:            " << FormatUtcMs(g->created_ms) << " by " << g->created_by << "\n"
           << "  records:            " << g->records << "\n";
  for (const auto& r : *records) PrintRecordLine(*ctx.out, r);
}

void RunRemoveRecord(const GalleryArgs& a, Context& ctx) {
  auto id = ParseId(a.record_id, "record id");
  if (!id.ok()) return Fail(ctx, id.status());
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  Status s = galleries->RemoveGalleryRecord(*id, a.reason, CliActor());
  if (!s.ok()) return Fail(ctx, s);
  if (auto r = galleries->GetGalleryRecord(*id); r.ok()) RefreshIndex(galleries, r->gallery_id, ctx);
  *ctx.out << "removed record " << *id << ": its image and embedding are deleted, its record kept\n";
}

void RunDelete(const GalleryArgs& a, Context& ctx) {
  if (!a.yes) {
    return Fail(ctx, Status::InvalidArgument("deleting a gallery destroys every image and embedding in it; "
                                             "add --yes to confirm"));
  }
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  auto g = FindGalleryOrFail(galleries, a.gallery, ctx);
  if (!g) return;
  Status s = galleries->DeleteGallery(g->id, CliActor());
  if (!s.ok()) return Fail(ctx, s);
  search::GalleryIndexes indexes(galleries, search::DefaultGalleryIndexDir());
  if (Status f = indexes.Forget(g->id); !f.ok()) *ctx.err << "lfr: warning: " << f.message() << "\n";
  *ctx.out << "deleted gallery " << g->id << " (" << g->spec.name
           << "): its key, images and embeddings are destroyed; its record and search records are kept\n";
}

void RunDue(const GalleryArgs& a, Context& ctx) {
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
  auto due = galleries->ListDueGalleryRecords(gid, SystemClock()->NowMs());
  if (!due.ok()) return Fail(ctx, due.status());
  if (a.json) return PrintJsonList(ctx, "records", *due, [](const GalleryRecord& r) { return GalleryRecordJson(r); });
  *ctx.out << due->size() << " record(s) past their review date\n";
  for (const auto& r : *due) {
    *ctx.out << "gallery " << r.gallery_id << ": ";
    PrintRecordLine(*ctx.out, r);
  }
}

}  // namespace

void RunReindex(const GalleryArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  GalleryStore* galleries = Galleries(store.get(), ctx);
  if (!galleries) return;
  auto g = FindGalleryOrFail(galleries, a.gallery, ctx);
  if (!g) return;
  search::GalleryIndexes indexes(galleries, search::DefaultGalleryIndexDir(), {}, /*wait_for_builds=*/true);
  auto n = indexes.Reindex(*g, CliActor());
  if (!n.ok()) return Fail(ctx, n.status());
  *ctx.out << "rebuilt the search index of gallery " << g->id << " (" << g->spec.name << "): " << *n
           << " faces, sealed in " << indexes.PathFor(g->id).string() << "\n";
}

void RegisterGalleryCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<GalleryArgs>();
  CLI::App* gal = app.add_subcommand(
      "gallery",
      "Reference galleries for retrospective search (e.g. custody images): create, import, list, show, "
      "remove a record, delete, list records due for review, rebuild the search index. Images, embeddings "
      "and the search index are encrypted with the gallery's own key; every import, view and removal is "
      "audited.");
  gal->require_subcommand(1);

  CLI::App* create = gal->add_subcommand("create", "Create a gallery");
  create->add_option("name", a->spec.name, "Unique name, e.g. custody-images")->required();
  create->add_option("--purpose", a->spec.purpose, "Why the gallery is searched")->required();
  create->add_option("--legal-basis", a->spec.legal_basis, "The law and policy it is held under")->required();
  create->add_option("--owner", a->spec.owner, "The accountable officer or unit")->required();
  create->add_option("--review-days", a->spec.review_days,
                     "A record's review date: this many days after its capture (or import) date (default 2190)");
  create->add_option("--reviewers", a->spec.reviewers_required,
                     "Reviewers per candidate: 1, or 2 for a second, independent review (default 1)");
  create->add_option("--search-retention-days", a->spec.search_retention_days,
                     "How long search records are kept (default 365)");
  create->add_option("--recogniser", a->recogniser_id, "Recogniser model id (default: the default recogniser)");
  create->add_flag("--json", a->json, "Print the gallery as JSON");
  create->callback([a, &ctx] { RunCreate(*a, ctx); });

  CLI::App* import = gal->add_subcommand(
      "import",
      "Import reference images: a FOLDER (each image one record, its reference the file name without "
      "extension) or --csv FILE with columns image,reference,capture_date,source. Each image needs exactly "
      "one usable face; rejected images are listed with the reason, possible duplicates (the same face under "
      "two references) are warned of. Nothing is imported unless the whole import completes. Exit 0 if any "
      "image was imported.");
  import->add_option("gallery", a->gallery, "Gallery id or name")->required();
  import->add_option("folder", a->folder, "Folder of images");
  import->add_option("--csv", a->csv, "CSV file (image paths relative to it)");
  import->add_option("--capture-date", a->defaults.capture_date, "Capture date of a folder's images (YYYY-MM-DD)");
  import->add_option("--source", a->defaults.source, "Source of a folder's images, e.g. \"custody suite CF1\"");
  import->add_flag("--json", a->json, "Print a JSON summary on stdout");
  import->callback([a, &ctx] { RunImport(*a, ctx); });

  CLI::App* list = gal->add_subcommand("list", "List the galleries");
  list->add_flag("--json", a->json, "JSON output");
  list->callback([a, &ctx] { RunList(*a, ctx); });

  CLI::App* show = gal->add_subcommand("show", "A gallery's details and records (metadata, no images; audited)");
  show->add_option("gallery", a->gallery, "Gallery id or name")->required();
  show->add_flag("--all", a->all, "Include removed records");
  show->add_flag("--json", a->json, "JSON output");
  show->callback([a, &ctx] { RunShow(*a, ctx); });

  CLI::App* remove = gal->add_subcommand("remove-record", "Remove a record: its image and embedding are deleted now");
  remove->add_option("record", a->record_id, "Record id (see `gallery show`)")->required();
  remove->add_option("--reason", a->reason, "Why (e.g. \"no further action: not retained\")")->required();
  remove->callback([a, &ctx] { RunRemoveRecord(*a, ctx); });

  CLI::App* del = gal->add_subcommand("delete", "Delete a gallery: its key, images and embeddings are destroyed");
  del->add_option("gallery", a->gallery, "Gallery id or name")->required();
  del->add_flag("--yes", a->yes, "Confirm");
  del->callback([a, &ctx] { RunDelete(*a, ctx); });

  CLI::App* due = gal->add_subcommand("due", "List records past their review date (one gallery or all)");
  due->add_option("gallery", a->gallery, "Gallery id or name (default: all)");
  due->add_flag("--json", a->json, "JSON output");
  due->callback([a, &ctx] { RunDue(*a, ctx); });

  CLI::App* reindex = gal->add_subcommand(
      "reindex",
      "Delete the gallery's sealed search index and rebuild it from its records (e.g. after a search refused "
      "a tampered index, exit 3). Searches rebuild a missing index by themselves.");
  reindex->add_option("gallery", a->gallery, "Gallery id or name")->required();
  reindex->callback([a, &ctx] { RunReindex(*a, ctx); });
}

}  // namespace lfr::cli
