// `lfr models list [--json]` and `lfr models fetch [ID...] [--all]`.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "models/catalog.h"
#include "models/store.h"
#include "util/paths.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;

struct ModelsOptions {
  bool json = false;
  std::vector<std::string> ids;
  bool all = false;
};

// A fresh catalogue and store per invocation: the environment (LFR_HOME,
// LFR_MODEL_MIRROR, LFR_CATALOG) is read each time the command runs.
struct Loaded {
  Catalog catalog;
  std::unique_ptr<ModelStore> store;
};

Result<std::unique_ptr<Loaded>> LoadStore() {
  auto catalog = Catalog::Load();
  if (!catalog.ok()) return catalog.status();
  auto loaded = std::make_unique<Loaded>();
  loaded->catalog = std::move(catalog).value();
  loaded->store = std::make_unique<ModelStore>(&loaded->catalog, ModelStoreDir(), ModelMirrorDir());
  return loaded;
}

std::string Megabytes(uint64_t bytes) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1e6;
  return s.str();
}

// Whether every file of the model has a download URL (else only a mirror can supply it).
bool downloadable(const ModelSpec& m) {
  for (const auto& f : m.files) {
    if (f.urls.empty()) return false;
  }
  return true;
}

void RunList(Context& ctx, const ModelsOptions& opts) {
  auto loaded = LoadStore();
  if (!loaded.ok()) return Fail(ctx, loaded.status());
  const ModelStore& store = *loaded.value()->store;
  const Catalog& catalog = loaded.value()->catalog;
  std::ostream& out = *ctx.out;

  auto default_id = [&](ModelRole role) -> std::string {
    auto m = store.DefaultFor(role);
    return m.ok() ? m->spec->id : "";
  };
  const std::string det = default_id(ModelRole::kDetector);
  const std::string rec = default_id(ModelRole::kRecogniser);

  if (opts.json) {
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : catalog.models()) {
      models.push_back({{"id", m.id},
                        {"role", RoleName(m.role)},
                        {"installed", store.IsInstalled(m)},
                        {"size_bytes", m.total_size()},
                        {"licence", m.licence},
                        {"licence_note", m.licence_note},
                        {"priority", m.priority},
                        {"mirror_only", !downloadable(m)},
                        {"description", m.description}});
    }
    nlohmann::json doc = {{"store", store.root().string()},
                          {"models", models},
                          {"default_detector", det.empty() ? nlohmann::json() : nlohmann::json(det)},
                          {"default_recogniser", rec.empty() ? nlohmann::json() : nlohmann::json(rec)}};
    out << doc.dump(2) << "\n";
    return;
  }

  size_t id_width = 2;
  size_t licence_width = 7;
  for (const auto& m : catalog.models()) {
    id_width = std::max(id_width, m.id.size());
    licence_width = std::max(licence_width, m.licence.size());
  }
  auto row = [&](const std::string& id, const std::string& role, const std::string& installed,
                 const std::string& size, const std::string& licence, const std::string& priority) {
    out << std::left << std::setw(static_cast<int>(id_width)) << id << "  " << std::setw(10) << role
        << "  " << std::setw(9) << installed << "  " << std::right << std::setw(8) << size << "  "
        << std::left << std::setw(static_cast<int>(licence_width)) << licence << "  " << std::right
        << std::setw(8) << priority << "\n";
  };
  row("ID", "ROLE", "INSTALLED", "SIZE_MB", "LICENCE", "PRIORITY");
  for (const auto& m : catalog.models()) {
    row(m.id, RoleName(m.role), store.IsInstalled(m) ? "yes" : "no", Megabytes(m.total_size()),
        m.licence, std::to_string(m.priority));
  }
  out << "\n";
  out << "store: " << store.root().string() << "\n";
  out << "default detector: " << (det.empty() ? "none installed" : det) << "\n";
  out << "default recogniser: " << (rec.empty() ? "none installed" : rec) << "\n";
  if (det.empty() || rec.empty()) out << "(run `lfr models fetch` to install the default set)\n";
  out << "\nlicences:\n";
  for (const auto& m : catalog.models()) out << "  " << m.id << ": " << m.licence_note << "\n";
}

// Shows a download/copy's progress on stderr: a percentage updated in place on a terminal,
// else one line when the model is complete.
class ProgressPrinter {
 public:
  ProgressPrinter(Context& ctx, std::string id)
      : ctx_(ctx), id_(std::move(id)), tty_(ctx.err == &std::cerr && ::isatty(STDERR_FILENO)) {}
  ~ProgressPrinter() {
    if (tty_ && last_percent_ >= 0) *ctx_.err << "\n" << std::flush;
  }

  void operator()(uint64_t done, uint64_t total) {
    if (ctx_.quiet || total == 0) return;
    int percent = static_cast<int>(done * 100 / total);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    if (tty_) {
      *ctx_.err << "\r" << id_ << ": " << percent << "% of " << Megabytes(total) << " MB"
                << std::flush;
    } else if (done == total) {
      *ctx_.err << id_ << ": 100% of " << Megabytes(total) << " MB\n";
    }
  }

 private:
  Context& ctx_;
  std::string id_;
  bool tty_;
  int last_percent_ = -1;
};

// The models `lfr models fetch` installs without ids: with a mirror, every model the
// mirror has; else (or if the mirror has none) the highest-priority detector and recogniser.
std::vector<const ModelSpec*> DefaultSet(const Catalog& catalog) {
  std::vector<const ModelSpec*> chosen;
  if (auto mirror = ModelMirrorDir()) {
    for (const auto& m : catalog.models()) {
      bool all_there = true;
      for (const auto& f : m.files) {
        std::error_code ec;
        all_there = all_there && fs::is_regular_file(*mirror / f.mirror_path, ec);
      }
      if (all_there) chosen.push_back(&m);
    }
    if (!chosen.empty()) return chosen;
  }
  // Without a mirror only models that can be downloaded are candidates: a derived file
  // (no URL, e.g. the EdgeFace ONNX) would fail, so the default set skips it.
  for (ModelRole role : {ModelRole::kDetector, ModelRole::kRecogniser}) {
    const ModelSpec* best = nullptr;
    for (const auto& m : catalog.models()) {
      if (m.role == role && downloadable(m) && (best == nullptr || m.priority > best->priority)) best = &m;
    }
    if (best != nullptr) chosen.push_back(best);
  }
  return chosen;
}

void RunFetch(Context& ctx, const ModelsOptions& opts) {
  auto loaded = LoadStore();
  if (!loaded.ok()) return Fail(ctx, loaded.status());
  const ModelStore& store = *loaded.value()->store;
  const Catalog& catalog = loaded.value()->catalog;

  if (opts.all && !opts.ids.empty()) {
    return Fail(ctx, Status::InvalidArgument("give model ids or --all, not both"));
  }
  std::vector<const ModelSpec*> todo;
  if (opts.all) {
    for (const auto& m : catalog.models()) todo.push_back(&m);
  } else if (opts.ids.empty()) {
    todo = DefaultSet(catalog);
  } else {
    // Check every id before fetching anything.
    for (const auto& id : opts.ids) {
      const ModelSpec* m = catalog.Find(id);
      if (m == nullptr) {
        return Fail(ctx, Status::InvalidArgument("unknown model id \"" + id +
                                                 "\" (lfr models list shows the catalogue)"));
      }
      todo.push_back(m);
    }
  }

  std::ostream& out = *ctx.out;
  if (auto mirror = ModelMirrorDir(); mirror && !ctx.quiet) {
    *ctx.err << "using model mirror " << mirror->string() << "\n";
  }
  for (const ModelSpec* m : todo) {
    const bool was_installed = store.IsInstalled(*m);
    Status s;
    {
      ProgressPrinter printer(ctx, m->id);
      s = store.Fetch(*m, [&printer](uint64_t done, uint64_t total) { printer(done, total); });
    }
    if (!s.ok()) {
      Fail(ctx, s);  // keep going: the other models may still install
      continue;
    }
    out << m->id << ": " << (was_installed ? "already installed" : "installed") << " in "
        << (store.root() / m->id).string() << "\n";
    out << "  licence " << m->licence << ": " << m->licence_note << "\n";
  }
}

}  // namespace

void RegisterModelsCommand(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ModelsOptions>();
  CLI::App* models = app.add_subcommand(
      "models", "List and install face models (stored in $LFR_HOME/models)");
  models->require_subcommand(1);

  CLI::App* list = models->add_subcommand(
      "list", "Show every catalogue model, whether it is installed, and the defaults");
  list->add_flag("--json", opts->json, "Print JSON instead of a table");
  list->callback([&ctx, opts] { RunList(ctx, *opts); });

  CLI::App* fetch = models->add_subcommand(
      "fetch",
      "Install models, verifying size and SHA-256. Without ids: every model in the mirror "
      "(LFR_MODEL_MIRROR), else the default detector and recogniser");
  fetch->add_option("ids", opts->ids, "Model ids (see `lfr models list`)");
  fetch->add_flag("--all", opts->all, "Fetch every model in the catalogue");
  fetch->callback([&ctx, opts] { RunFetch(ctx, *opts); });
}

}  // namespace lfr::cli
