// `lfr eval verify`, `lfr eval identify` and `lfr eval report` (the equitability report,
// eval/equitability.h): OpenLFR measuring itself on the public LFW and
// FairFace data ($LFR_DATA), or on a force's own data set (--dataset, --non-mated; see
// eval/dataset.h), through the same FaceAnalyzer the live system runs. The LFW + FairFace
// identification run is itself built as a data set, so both take one path. See
// docs/ACCURACY.md for the runs and src/eval/ for the protocols and metrics.
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/cli.h"
#include "cli/common.h"
#include "eval/closed_set.h"
#include "eval/dataset.h"
#include "eval/equitability.h"
#include "eval/det_plot.h"
#include "eval/exclusions.h"
#include "eval/line_plot.h"
#include "eval/extract.h"
#include "eval/identify.h"
#include "eval/lfw.h"
#include "eval/metrics.h"
#include "match/calibration.h"
#include "models/catalog.h"
#include "util/paths.h"

namespace lfr::cli {
namespace {
namespace fs = std::filesystem;
using namespace lfr::eval;

struct EvalArgs {
  std::string data;             // "" = DataDir()
  std::string cache;            // "" = $LFR_HOME/cache/eval
  bool no_cache = false;
  bool json = false;
  bool no_flip = false;
  int threads = 1;
  std::string recogniser_id;
  std::string exclusions;        // "" = the built-in list
  bool no_exclusions = false;
  DetectFlags flags;
  // a force's own data (eval/dataset.h); "" = LFW (+ FairFace)
  std::string dataset;
  std::string non_mated;
  std::string write_dataset;
  std::vector<std::string> group_by;
  // verify --dataset
  int pairs = 3000;
  int max_pairs_per_identity = 10;
  // identify
  std::string sizes = "100,1000,5000";
  bool sizes_given = false;
  uint64_t seed = 1;
  int max_probes = 10;
  int enrol_images = 1;
  int reserve = 1;
  bool quality_gate = false;
  bool no_enrolment_rules = false;
  bool no_fairface = false;
  std::string write_calibration;
  std::string det_plot;
  // report
  std::string out;
  std::string target_fpir = "1e-3";
  std::string thresholds = "0.20:0.80:0.05";
  int min_searches = 20;
  std::string title;
  // closed-set
  int max_rank = 50;
  std::string cmc_plot;
  std::string subcommand;         // "verify" or "identify", for provenance
};

std::string Pct(double v, int prec = 2) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << 100.0 * v << " %";
  return s.str();
}

std::string Num(double v, int prec = 4) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << v;
  return s.str();
}

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The data root: --data, else LFR_DATA / ../shared/data. NotFound with a clear message.
Result<fs::path> DataRoot(const EvalArgs& a, const std::string& needed) {
  std::optional<fs::path> root = a.data.empty() ? DataDir() : std::optional<fs::path>(a.data);
  if (!root) {
    return Status::NotFound("no evaluation data: set LFR_DATA or pass --data DIR (a folder with " +
                            needed + ")");
  }
  std::error_code ec;
  if (!fs::is_directory(*root, ec)) {
    return Status::NotFound("evaluation data folder " + root->string() + " does not exist");
  }
  if (!fs::exists(*root / needed, ec)) {
    return Status::NotFound("evaluation data folder " + root->string() + " has no " + needed);
  }
  return *root;
}

Result<std::unique_ptr<FaceExtractor>> MakeExtractor(const EvalArgs& a, Context& ctx) {
  auto store = OpenStore();
  if (!store.ok()) return store.status();
  ExtractOptions eo;
  eo.detector_id = a.flags.detector_id;
  eo.recogniser_id = a.recogniser_id;
  eo.detector = a.flags.ToOptions();
  eo.threads = a.threads;
  if (!a.no_cache) eo.cache_dir = a.cache.empty() ? HomeDir() / "cache" / "eval" : fs::path(a.cache);
  eo.progress = ctx.quiet ? nullptr : ctx.err;
  return FaceExtractor::Create(*store, eo);
}

void FailModel(Context& ctx, const Status& s) {
  *ctx.err << "lfr: " << s.message() << "\n";
  ctx.exit_code = s.code() == Status::Code::kIOError ? kExitInternal : kExitMissingModel;
}

// The command as it could be retyped (the options that change results; paths of outputs
// and caches are left out).
std::string CommandLine(const EvalArgs& a) {
  std::string s = "lfr eval " + a.subcommand;
  if (a.subcommand == "closed-set") {
    s += " --seed " + std::to_string(a.seed);
    if (a.max_probes != 10) s += " --max-probes " + std::to_string(a.max_probes);
  }
  if (!a.dataset.empty()) s += " --dataset " + a.dataset;
  if (!a.non_mated.empty()) s += " --non-mated " + a.non_mated;
  for (size_t i = 0; i < a.group_by.size(); ++i) s += (i ? "," : " --group-by ") + a.group_by[i];
  if (a.subcommand == "verify" && !a.dataset.empty()) {
    s += " --seed " + std::to_string(a.seed) + " --pairs " + std::to_string(a.pairs);
    if (a.max_pairs_per_identity != 10) s += " --max-pairs-per-identity " + std::to_string(a.max_pairs_per_identity);
  }
  if (a.subcommand == "report") {
    s += " --target-fpir " + a.target_fpir + " --thresholds " + a.thresholds;
    if (a.min_searches != 20) s += " --min-searches " + std::to_string(a.min_searches);
  }
  if (a.subcommand == "identify" || a.subcommand == "report") {
    s += " --watchlist-size " + a.sizes + " --seed " + std::to_string(a.seed);
    if (a.max_probes != 10) s += " --max-probes " + std::to_string(a.max_probes);
    if (a.enrol_images != 1) s += " --enrol-images " + std::to_string(a.enrol_images);
    if (a.reserve != 1) s += " --reserve " + std::to_string(a.reserve);
    if (a.quality_gate) s += " --quality-gate";
    if (a.no_enrolment_rules) s += " --no-enrolment-rules";
    if (a.no_fairface) s += " --no-fairface";
  }
  if (a.no_flip) s += " --no-flip";
  if (a.no_exclusions) s += " --no-exclusions";
  else if (!a.exclusions.empty()) s += " --exclusions " + a.exclusions;
  if (!a.recogniser_id.empty()) s += " --recogniser " + a.recogniser_id;
  if (!a.flags.detector_id.empty()) s += " --detector " + a.flags.detector_id;
  if (a.flags.working_long_side != 640) s += " --working-size " + std::to_string(a.flags.working_long_side);
  return s;
}

nlohmann::json ExtractJson(const ExtractStats& st) {
  return {{"images", st.images}, {"from_cache", st.cached}, {"computed", st.computed},
          {"no_face", st.no_face}, {"seconds", st.seconds}};
}

// The images to leave out: --exclusions FILE, none with --no-exclusions, else the built-in
// list (src/eval/exclusions.csv) for the public data; none for a --dataset (the built-in
// list names LFW and FairFace files).
Result<Exclusions> LoadExclusions(const EvalArgs& a) {
  if (a.no_exclusions) return Exclusions();
  if (!a.exclusions.empty()) return Exclusions::Load(a.exclusions);
  if (!a.dataset.empty()) return Exclusions();
  return Exclusions::BuiltIn();
}

// Drops the excluded images of a data set (and identities left with none); returns how many.
int64_t ExcludeFromDataset(const Exclusions& ex, Dataset* d) {
  if (ex.size() == 0) return 0;
  int64_t dropped = 0;
  std::vector<DatasetIdentity> kept;
  for (auto& id : d->identities) {
    std::vector<DatasetImage> images;
    for (auto& im : id.images) {
      if (ex.Excludes(im.path)) ++dropped;
      else images.push_back(std::move(im));
    }
    id.images = std::move(images);
    if (!id.images.empty()) kept.push_back(std::move(id));
  }
  d->identities = std::move(kept);
  std::vector<DatasetImage> nonmated;
  for (auto& im : d->nonmated) {
    if (ex.Excludes(im.path)) ++dropped;
    else nonmated.push_back(std::move(im));
  }
  d->nonmated = std::move(nonmated);
  return dropped;
}

// Loads --dataset (and --non-mated), applies the exclusions and checks the protocol's needs
// (min_images per identity for at least one, min_identities in all).
Result<Dataset> LoadUserDataset(const EvalArgs& a, const Exclusions& ex, int min_images, int min_identities,
                                int64_t* excluded) {
  auto d = LoadDataset(a.dataset, nullptr, a.group_by);
  if (!d.ok()) return d.status();
  if (!a.non_mated.empty()) LFR_RETURN_IF_ERROR(LoadNonMated(a.non_mated, &*d, nullptr, a.group_by));
  *excluded = ExcludeFromDataset(ex, &*d);
  LFR_RETURN_IF_ERROR(CheckProtocol(*d, min_images, min_identities));
  return d;
}

// "data set X (folder, 12 identities, 40 images; non-mated set Y, 30 images; columns sex, ethnicity)".
std::string DescribeDataset(const Dataset& d) {
  std::string s = "data set " + d.origin + " (" + d.layout + ", " + std::to_string(d.identities.size()) +
                  " identities, " + std::to_string(d.identity_images()) + " images";
  if (!d.nonmated_origin.empty()) {
    s += "; non-mated set " + d.nonmated_origin + ", " + std::to_string(d.nonmated.size()) + " images";
  }
  s += "; demographic columns ";
  if (d.columns.empty()) s += "none";
  for (size_t i = 0; i < d.columns.size(); ++i) s += (i ? ", " : "") + d.columns[i];
  return s + ")";
}

nlohmann::json DatasetJson(const Dataset& d) {
  return {{"origin", d.origin}, {"layout", d.layout}, {"identities", d.identities.size()},
          {"identity_images", d.identity_images()}, {"nonmated_origin", d.nonmated_origin},
          {"nonmated_images", d.nonmated.size()}, {"columns", d.columns}};
}

// Drops the excluded images of each LFW person (and people left with none); returns how
// many images were dropped.
int64_t ExcludeLfw(const Exclusions& ex, const fs::path& lfw, std::vector<LfwPerson>* people) {
  int64_t dropped = 0;
  std::vector<LfwPerson> kept;
  for (auto& p : *people) {
    std::vector<int> images;
    for (int n : p.images) {
      if (ex.Excludes(LfwImagePath(lfw, {p.name, n}))) ++dropped;
      else images.push_back(n);
    }
    p.images = std::move(images);
    if (!p.images.empty()) kept.push_back(std::move(p));
  }
  *people = std::move(kept);
  return dropped;
}

std::string ExclusionLine(const Exclusions& ex, int64_t dropped, const std::string& what, bool dataset = false) {
  if (ex.size() == 0) {
    return dataset ? "exclusions: none (--exclusions FILE leaves images of this data set out)\n"
                   : "exclusions: none (--no-exclusions)\n";
  }
  return "exclusions: " + std::to_string(dropped) + " " + what + " left out, listed in " + ex.origin() +
         " (label errors and duplicates; --no-exclusions keeps them)\n";
}

// The image paths of LFW people, person by person in image-number order.
std::vector<fs::path> LfwPaths(const fs::path& lfw, const std::vector<LfwPerson>& people) {
  std::vector<fs::path> paths;
  for (const auto& p : people) {
    for (int n : p.images) paths.push_back(LfwImagePath(lfw, {p.name, n}));
  }
  return paths;
}

// One identity per LFW person, taking its images' results from (*results)[*k] on, in
// LfwPaths' order, and advancing *k; sex from the labels ("unknown" when not listed).
void AppendLfwIdentities(const std::vector<LfwPerson>& people, const std::vector<fs::path>& paths,
                         const std::map<std::string, std::string>& sex, std::vector<ImageResult>* results,
                         size_t* k, std::vector<EvalIdentity>* ids) {
  for (const auto& p : people) {
    EvalIdentity id;
    id.name = p.name;
    id.source = "lfw";
    auto it = sex.find(p.name);
    id.sex = it == sex.end() ? "unknown" : it->second;
    for (size_t j = 0; j < p.images.size(); ++j, ++*k) {
      id.images.push_back({paths[*k].string(), std::move((*results)[*k]), {}});
    }
    ids->push_back(std::move(id));
  }
}

// ---------------------------------------------------------------- verify

void RunVerify(const EvalArgs& a, Context& ctx) {
  auto exclusions = LoadExclusions(a);
  if (!exclusions.ok()) return Fail(ctx, exclusions.status());
  // The pairs as indices into `paths`: LFW's pairs.txt, or drawn from --dataset.
  std::vector<fs::path> paths;
  std::vector<DatasetPair> pairs;
  int folds = 10, per_fold = 0;
  int64_t pairs_excluded = 0;
  std::optional<Dataset> dataset;
  if (!a.dataset.empty()) {
    int64_t excluded = 0;
    auto d = LoadUserDataset(a, *exclusions, 2, 2, &excluded);
    if (!d.ok()) return Fail(ctx, d.status());
    PairOptions po;
    po.pairs = a.pairs;
    po.max_pairs_per_identity = a.max_pairs_per_identity;
    po.seed = a.seed;
    auto drawn = DrawVerificationPairs(*d, po);
    if (!drawn.ok()) return Fail(ctx, drawn.status());
    pairs = std::move(drawn).value();
    paths = DatasetPaths(*d);
    pairs_excluded = excluded;  // images, for a data set
    dataset = std::move(d).value();
  } else {
    auto root = DataRoot(a, "lfw/pairs.txt");
    if (!root.ok()) return Fail(ctx, root.status());
    const fs::path lfw = *root / "lfw";
    auto lfw_pairs = LoadLfwPairs(lfw / "pairs.txt");
    if (!lfw_pairs.ok()) return Fail(ctx, lfw_pairs.status());
    folds = lfw_pairs->folds;
    per_fold = lfw_pairs->per_fold;
    // Every distinct image of the protocol, once.
    std::map<LfwImageRef, int> index;
    for (const auto& p : lfw_pairs->pairs) {
      if (exclusions->Excludes(LfwImagePath(lfw, p.a)) || exclusions->Excludes(LfwImagePath(lfw, p.b))) {
        ++pairs_excluded;
        continue;
      }
      DatasetPair dp{p.fold, p.same, 0, 0};
      int* slot[2] = {&dp.a, &dp.b};
      const LfwImageRef* refs[2] = {&p.a, &p.b};
      for (int k = 0; k < 2; ++k) {
        auto [it, fresh] = index.emplace(*refs[k], static_cast<int>(paths.size()));
        if (fresh) paths.push_back(LfwImagePath(lfw, *refs[k]));
        *slot[k] = it->second;
      }
      pairs.push_back(dp);
    }
  }
  auto ex = MakeExtractor(a, ctx);
  if (!ex.ok()) return FailModel(ctx, ex.status());
  const auto t0 = std::chrono::steady_clock::now();

  std::vector<ImageResult> results;
  ExtractStats st;
  Status s = (*ex)->Run(paths, "verify: embedding", &results, &st);
  if (!s.ok()) return Fail(ctx, s);

  const bool flip = !a.no_flip;
  std::vector<VerificationPair> vp;
  int pairs_with_failure = 0;
  std::vector<float> genuine, impostor;
  for (const auto& p : pairs) {
    const ImageResult& ra = results[p.a];
    const ImageResult& rb = results[p.b];
    VerificationPair v;
    v.fold = p.fold;
    v.same = p.same;
    if (ra.found && rb.found) {
      const auto& ea = flip ? ra.flip : ra.plain;
      const auto& eb = flip ? rb.flip : rb.plain;
      double dot = 0;
      for (size_t d = 0; d < ea.size(); ++d) dot += static_cast<double>(ea[d]) * eb[d];
      v.score = static_cast<float>(dot);
    } else {
      ++pairs_with_failure;  // scored kNoScore: always "different person"
    }
    (p.same ? genuine : impostor).push_back(v.score);
    vp.push_back(v);
  }
  const VerificationResult cv = CrossValidate(vp, folds);
  const ThresholdChoice far3 = ThresholdForRate(impostor, 1e-3);
  const Rate tar_miss = RateBelow(genuine, far3.threshold);
  const double tar = genuine.empty() ? 0.0 : 1.0 - tar_miss.value();
  const Interval tar_ci = ClopperPearson(tar_miss.trials - tar_miss.events, tar_miss.trials);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string protocol =
      dataset ? "pairs drawn from the data set (seed " + std::to_string(a.seed) + "): " +
                    std::to_string(genuine.size()) + " mated (at most " + std::to_string(a.max_pairs_per_identity) +
                    " per identity) + " + std::to_string(impostor.size()) + " non-mated, " + std::to_string(folds) +
                    "-fold, threshold chosen on " + std::to_string(folds - 1) + " folds"
              : "LFW View 2, pairs.txt, 10-fold, threshold chosen on 9 folds";

  if (a.json) {
    nlohmann::json folds_json = nlohmann::json::array();
    for (const auto& f : cv.folds) {
      folds_json.push_back({{"accuracy", f.accuracy}, {"threshold", f.threshold}, {"pairs", f.pairs}});
    }
    nlohmann::json j = {
        {"protocol", protocol},
        {"accuracy", cv.mean_accuracy},
        {"accuracy_std", cv.std_accuracy},
        {"pairs", vp.size()},
        {"mated_pairs", genuine.size()},
        {"nonmated_pairs", impostor.size()},
        {"folds", folds_json},
        {"failures_to_enrol", st.no_face},
        {"pairs_with_failure", pairs_with_failure},
        {"exclusions", exclusions->origin()},
        {"failure_scoring", "an image with no detected face gives its pairs similarity -inf: "
                            "called 'different person' (wrong for mated pairs, right for non-mated)"},
        {"tar_at_far_1e-3", tar},
        {"tar_at_far_1e-3_ci95", {tar_ci.lo, tar_ci.hi}},
        {"threshold_at_far_1e-3", far3.threshold},
        {"far_at_threshold", RateToJson(far3.achieved)},
        {"detector", (*ex)->detector_id()},
        {"recogniser", (*ex)->recogniser_id()},
        {"flip_average", flip},
        {"images", ExtractJson(st)},
        {"seconds", secs},
        {"command", CommandLine(a)},
    };
    if (dataset) {
      j["dataset"] = DatasetJson(*dataset);
      j["seed"] = a.seed;
      j["excluded_images"] = pairs_excluded;
    } else {
      j["pairs_excluded"] = pairs_excluded;
    }
    *ctx.out << j.dump(2) << "\n";
    return;
  }
  std::ostream& o = *ctx.out;
  if (dataset) {
    o << "Verification on " << DescribeDataset(*dataset) << ": " << vp.size() << " pairs (" << genuine.size()
      << " mated, at most " << a.max_pairs_per_identity << " per identity, + " << impostor.size()
      << " non-mated, drawn with seed " << a.seed << "; " << folds << " folds)";
  } else {
    o << "LFW View 2 verification: " << vp.size() << " pairs (" << folds << " folds x " << per_fold << " mated + "
      << per_fold << " non-mated)";
  }
  o << ", detector " << (*ex)->detector_id() << ", recogniser " << (*ex)->recogniser_id()
    << (flip ? " (face + mirror averaged)" : " (face only)") << "\n";
  o << "accuracy " << Pct(cv.mean_accuracy) << " +/- " << Pct(cv.std_accuracy)
    << " (mean +/- std over folds; threshold chosen on the other " << folds - 1 << " folds)\n";
  o << "TAR " << Pct(tar) << " [" << Pct(tar_ci.lo) << ", " << Pct(tar_ci.hi) << "] at FAR <= 1e-3 (threshold "
    << Num(far3.threshold) << "; " << impostor.size() << " non-mated pairs allow " << far3.allowed
    << " false accepts)\n";
  o << ExclusionLine(*exclusions, pairs_excluded, dataset ? "images" : "pairs", dataset.has_value());
  o << "failures to detect: " << st.no_face << " of " << st.images << " images, in "
    << pairs_with_failure << " pairs, scored as 'different person' (never dropped)\n";
  o << "images: " << st.cached << " from cache, " << st.computed << " embedded; " << Num(secs, 1) << " s\n";
}

// ---------------------------------------------------------------- identify

Result<std::vector<int>> ParseSizes(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(' ');
    const auto e = item.find_last_not_of(' ');
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    bool digits = !item.empty() && item.size() <= 9;
    for (char c : item) digits = digits && c >= '0' && c <= '9';
    if (!digits || std::stoi(item) < 1) {
      return Status::InvalidArgument("--watchlist-size: '" + item +
                                     "' is not a positive whole number (expected e.g. 100,1000,5000)");
    }
    out.push_back(std::stoi(item));
  }
  if (out.empty()) return Status::InvalidArgument("--watchlist-size: no sizes given (expected e.g. 100,1000,5000)");
  return out;
}

void PrintGroups(std::ostream& o, const std::string& title, const std::vector<GroupRate>& groups,
                 double ratio) {
  o << "    " << title << ":";
  if (ratio > 0) o << " max/min " << Num(ratio, 2);
  else o << " max/min undefined (a group has no events)";
  o << "\n";
  for (const auto& g : groups) {
    const Interval ci = g.rate.ci();
    o << "      " << std::left << std::setw(24) << g.group << std::right << " " << std::setw(4)
      << g.rate.events << "/" << std::setw(5) << g.rate.trials << " = " << std::setw(9)
      << Num(g.rate.value(), 5) << " [" << Num(ci.lo, 5) << ", " << Num(ci.hi, 5) << "]";
    if (!g.resolvable) o << "  (too few searches to resolve)";
    o << "\n";
  }
}

// One open-set identification run as `lfr eval identify` and `lfr eval report` make it:
// the data set loaded (--dataset or LFW + FairFace, exclusions applied), embedded, and
// RunIdentification at the given sizes (empty: the standard sizes the data supports).
struct IdentifyRun {
  Dataset data;
  int64_t excluded = 0;
  bool own = false;
  std::string data_name, nonmated_name;
  Exclusions exclusions;
  std::unique_ptr<FaceExtractor> ex;
  ExtractStats st;
  std::vector<EvalIdentity> ids;
  IdentifyOptions io;
  std::vector<SizeResult> res;
  double secs = 0;
  EvalArgs args;  // as run (the sizes a --dataset run chose), for provenance
};

// Runs it; on failure reports to ctx (exit code set) and returns nullptr.
std::unique_ptr<IdentifyRun> RunIdentifyProtocol(const EvalArgs& a, Context& ctx, std::vector<int> sizes) {
  auto run = std::make_unique<IdentifyRun>();
  auto fail = [&](const Status& s) {
    Fail(ctx, s);
    return std::unique_ptr<IdentifyRun>();
  };
  auto exclusions = LoadExclusions(a);
  if (!exclusions.ok()) return fail(exclusions.status());
  run->exclusions = std::move(exclusions).value();
  const int reserve = std::max(a.reserve, a.enrol_images);
  // The data set: --dataset (+ --non-mated), or LFW (identities) + FairFace (non-mated).
  Dataset& data = run->data;
  int64_t& excluded = run->excluded;
  const bool own = run->own = !a.dataset.empty();
  if (own) {
    auto d = LoadUserDataset(a, run->exclusions, reserve + 1, 2, &excluded);
    if (!d.ok()) return fail(d.status());
    data = std::move(d).value();
    if (sizes.empty()) {
      // The standard sizes the data supports as mated watchlists, else all it has.
      int eligible = 0;
      for (const auto& id : data.identities) eligible += static_cast<int>(id.images.size()) > reserve;
      for (int n : {100, 1000, 5000}) {
        if (n <= eligible) sizes.push_back(n);
      }
      if (sizes.empty()) sizes.push_back(eligible);
    }
  } else {
    if (sizes.empty()) sizes = {100, 1000, 5000};
    auto root = DataRoot(a, "lfw/images");
    if (!root.ok()) return fail(root.status());
    const fs::path lfw = *root / "lfw";
    auto people = ScanLfwPeople(lfw);
    if (!people.ok()) return fail(people.status());
    std::map<std::string, std::string> sex;
    if (auto labels = LoadLfwSexLabels(lfw / "labels" / "lfw_identity_sex_from_gender_lists.csv"); labels.ok()) {
      sex = std::move(labels).value();
    } else {
      *ctx.err << "lfr: warning: " << labels.status().message() << " (FNIR by sex not available)\n";
    }
    std::vector<FairFaceImage> fairface;
    if (!a.no_fairface) {
      auto ff = LoadFairFace(*root / "fairface-dev");
      if (!ff.ok()) return fail(ff.status());
      fairface = std::move(ff).value();
    }
    data = LfwFairFaceDataset(lfw, *people, sex, fairface);
    excluded = ExcludeFromDataset(run->exclusions, &data);
  }
  std::string sizes_text;
  for (int n : sizes) sizes_text += (sizes_text.empty() ? "" : ",") + std::to_string(n);
  run->args = a;
  run->args.sizes = sizes_text;
  if (!a.write_dataset.empty()) {
    Status w = WriteDatasetCsv(data, a.write_dataset);
    if (!w.ok()) return fail(w);
  }
  auto ex = MakeExtractor(a, ctx);
  if (!ex.ok()) {
    FailModel(ctx, ex.status());
    return nullptr;
  }
  run->ex = std::move(ex).value();
  const auto t0 = std::chrono::steady_clock::now();

  const std::vector<fs::path> paths = DatasetPaths(data);
  std::vector<ImageResult> results;
  Status s = run->ex->Run(paths, "identify: embedding", &results, &run->st);
  if (!s.ok()) return fail(s);
  run->ids = ToEvalIdentities(data, &results);
  run->data_name = own ? "data set " + data.origin : a.no_fairface ? "LFW" : "LFW + FairFace";
  run->nonmated_name = own ? "from the non-mated set" : "FairFace";

  IdentifyOptions& io = run->io;
  io.watchlist_sizes = sizes;
  io.seed = a.seed;
  io.max_probes_per_person = a.max_probes;
  io.enrol_images = a.enrol_images;
  io.reserve = a.reserve;
  io.flip = !a.no_flip;
  io.quality_gate = a.quality_gate;
  io.enrolment_rules = !a.no_enrolment_rules;
  auto res = RunIdentification(run->ids, io);
  if (!res.ok()) return fail(res.status());
  run->res = std::move(res).value();
  run->secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

void RunIdentify(const EvalArgs& a, Context& ctx) {
  std::vector<int> sizes;  // empty: the standard sizes the data supports (RunIdentifyProtocol)
  if (a.dataset.empty() || a.sizes_given) {
    auto parsed = ParseSizes(a.sizes);
    if (!parsed.ok()) return Fail(ctx, parsed.status());
    sizes = std::move(parsed).value();
  }
  std::unique_ptr<IdentifyRun> run = RunIdentifyProtocol(a, ctx, sizes);
  if (!run) return;
  const Dataset& data = run->data;
  const int64_t excluded = run->excluded;
  const bool own = run->own;
  const Exclusions* exclusions = &run->exclusions;
  const std::unique_ptr<FaceExtractor>* ex = &run->ex;
  const std::vector<SizeResult>* res = &run->res;
  const std::vector<EvalIdentity>& ids = run->ids;
  const IdentifyOptions& io = run->io;
  const EvalArgs& args = run->args;
  const ExtractStats& st = run->st;
  const double secs = run->secs;
  const std::string& data_name = run->data_name;
  const std::string& nonmated_name = run->nonmated_name;
  nlohmann::json calibration_json;
  if (!a.write_calibration.empty()) {
    const auto tc = std::chrono::steady_clock::now();
    const ImpostorTail tail = ComputeImpostorTail(ids, io.flip);
    nlohmann::json validation = nlohmann::json::array();
    for (const auto& r : *res) {
      for (const auto& p : r.points) {
        if (!p.choice.resolvable) continue;
        validation.push_back({{"watchlist_size", r.watchlist_size},
                              {"threshold", p.choice.threshold},
                              {"measured_fpir", p.choice.achieved.value()},
                              {"measured_fpir_events", p.choice.achieved.events},
                              {"nonmated_searches", p.choice.achieved.trials}});
      }
    }
    calibration_json = {
        {"format", 1},
        {"model_id", (*ex)->recogniser_id()},
        {"model_sha256", (*ex)->recogniser_sha256()},
        {"detector", (*ex)->detector_id()},
        {"flip_average", io.flip},
        {"method",
         "Per-comparison impostor score tail (false match rate FMR(t) = count_ge / comparisons) over "
         "every pair of face images of different identities in " + (own ? "the data set" : std::string("LFW and FairFace-dev")) + "; "
         "FPIR(t, N) = 1 - (1 - FMR(t))^N (independent comparisons). The validation entries are FPIRs "
         "measured directly with `lfr eval identify` at the same thresholds."},
        {"provenance",
         {{"command", CommandLine(args)},
          {"data", own ? DescribeDataset(data)
                       : std::string("LFW (13,233 images, 5,749 people) + FairFace-dev (2,100 images): $LFR_DATA")},
          {"seed", a.seed},
          {"date", UtcNow()},
          {"lfr_version", LFR_VERSION}}},
        {"comparisons", tail.comparisons},
        {"max_impostor_score", tail.max_score},
        {"grid_start", tail.start},
        {"grid_step", tail.step},
        {"count_ge", tail.count_ge},
        {"validation", validation},
    };
    // Check the independence model against what was measured directly.
    if (auto table = CalibrationTable::Parse(calibration_json.dump()); table.ok()) {
      for (auto& v : calibration_json["validation"]) {
        v["predicted_fpir"] = table->FpirAt(v["threshold"].get<float>(), v["watchlist_size"].get<int>());
      }
    }
    std::ofstream out(a.write_calibration);
    out << calibration_json.dump(1) << "\n";
    if (!out) return Fail(ctx, Status::IOError(a.write_calibration + ": cannot write calibration table"));
    *ctx.err << "lfr: highest-scoring impostor pairs (different names, same score scale):\n";
    for (const auto& p : tail.top) {
      *ctx.err << "  " << Num(p.score, 4) << "  " << fs::path(p.a).filename().string() << "  "
               << fs::path(p.b).filename().string() << "\n";
    }
    *ctx.err << "lfr: wrote calibration table " << a.write_calibration << " (" << tail.comparisons
             << " impostor comparisons, "
             << Num(std::chrono::duration<double>(std::chrono::steady_clock::now() - tc).count(), 1)
             << " s)\n";
  }
  if (!a.det_plot.empty()) {
    std::vector<DetSeries> series;
    for (const auto& r : *res) series.push_back({"N=" + std::to_string(r.watchlist_size), r.det});
    DetPlotOptions po;
    po.title = "Open-set identification on " + data_name + ", " + (*ex)->recogniser_id() + " (seed " +
               std::to_string(a.seed) + ")";
    Status ps = WriteDetPlots(a.det_plot, series, po);
    if (!ps.ok()) return Fail(ctx, ps);
  }

  if (a.json) {
    nlohmann::json sizes_json = nlohmann::json::array();
    for (const auto& r : *res) sizes_json.push_back(SizeResultToJson(r));
    nlohmann::json j = {
        {"protocol", own ? "open-set 1:N, rank 1; watchlist from the data set's identities with more images than "
                           "the enrolment reserve; mated probes capped per identity; non-mated: identities not "
                           "enrolled + the non-mated set"
                         : "open-set 1:N, rank 1; watchlist from LFW people with >= 2 images, one enrolment "
                           "image each; mated probes capped per person; non-mated: LFW people not enrolled + "
                           "FairFace-dev"},
        {"dataset", DatasetJson(data)},
        {"seed", a.seed},
        {"max_probes_per_person", a.max_probes},
        {"enrol_images", a.enrol_images},
        {"reserve", std::max(a.reserve, a.enrol_images)},
        {"flip_average", io.flip},
        {"quality_gate", io.quality_gate},
        {"fairface", !own && !a.no_fairface},
        {"excluded_images", excluded},
        {"exclusions", exclusions->origin()},
        {"detector", (*ex)->detector_id()},
        {"recogniser", (*ex)->recogniser_id()},
        {"images", ExtractJson(st)},
        {"seconds", secs},
        {"command", CommandLine(args)},
        {"results", sizes_json},
    };
    *ctx.out << j.dump(2) << "\n";
    return;
  }
  std::ostream& o = *ctx.out;
  o << "Open-set identification (rank 1) on " << (own ? DescribeDataset(data) : data_name) << ", detector " << (*ex)->detector_id() << ", recogniser "
    << (*ex)->recogniser_id() << (io.flip ? " (face + mirror averaged)" : " (face only)")
    << ", seed " << a.seed << ", enrolment images " << a.enrol_images
    << (io.quality_gate ? ", quality-gated probes" : "")
    << (io.enrolment_rules ? ", enrolment by the product's rules" : ", every enrolment image with a face used") << "\n";
  o << ExclusionLine(*exclusions, excluded, "images", own);
  o << "images: " << st.images << " (" << st.no_face << " without a detected face; " << st.cached
    << " from cache, " << st.computed << " embedded)\n";
  for (const auto& r : *res) {
    o << "\nwatchlist " << r.watchlist_size << ": " << r.mated_people << " mated people + " << r.filler
      << " filler; failures to enrol " << r.failures_to_enrol << "\n";
    if (io.enrolment_rules) {
      o << "  enrolment images the product would refuse: " << r.enrolment_refused;
      const char* sep = " (";
      for (const auto& [why, n] : r.enrolment_refusals) {
        o << sep << why << ": " << n;
        sep = "; ";
      }
      o << (r.enrolment_refusals.empty() ? "" : ")") << "\n";
    }
    o << "  searches: " << r.mated_searches << " mated (" << r.mated_not_searched << " not searched: no face"
      << (io.quality_gate ? "/quality" : "") << "), " << r.nonmated_searches << " non-mated ("
      << r.nonmated_fairface << " " << nonmated_name << "; " << r.nonmated_not_searched << " not searched)\n";
    const Interval r1 = r.rank1.ci();
    o << "  rank-1 (investigation, no threshold): " << Pct(r.rank1.value()) << " [" << Pct(r1.lo) << ", "
      << Pct(r1.hi) << "]\n";
    for (const auto& p : r.points) {
      const Interval fn = p.fnir.ci(), fp = p.choice.achieved.ci();
      o << "  FPIR target " << (p.name == "min" ? "1/" + std::to_string(r.nonmated_searches) + " (smallest)" : p.name)
        << ": ";
      if (!p.choice.resolvable) {
        o << "cannot be resolved with " << r.nonmated_searches << " non-mated searches\n";
        continue;
      }
      o << "threshold " << Num(p.choice.threshold) << ", FNIR " << Num(p.fnir.value()) << " ["
        << Num(fn.lo) << ", " << Num(fn.hi) << "] (" << p.fnir.events << "/" << p.fnir.trials << "), FPIR "
        << Num(p.choice.achieved.value(), 5) << " [" << Num(fp.lo, 5) << ", " << Num(fp.hi, 5) << "] ("
        << p.choice.achieved.events << "/" << p.choice.achieved.trials << ")\n";
      for (const auto& d : p.differentials) {
        PrintGroups(o, (d.rate == "fnir" ? "FNIR by " : "FPIR by ") + d.column +
                           (d.rate == "fnir" ? " (mated searches)" : " (non-mated searches)"),
                    d.groups, d.max_min);
      }
    }
  }
  o << "\n" << Num(secs, 1) << " s\n";
}

// ---------------------------------------------------------------- closed-set

// "1e-3", "0.001" or "1/6000" -> the rate; InvalidArgument unless 0 < rate < 1.
Result<double> ParseRate(const std::string& text) {
  double v = 0;
  try {
    size_t used = 0;
    if (const size_t slash = text.find('/'); slash != std::string::npos) {
      const double num = std::stod(text.substr(0, slash), &used);
      if (used != slash) throw std::invalid_argument(text);
      const std::string den_text = text.substr(slash + 1);
      const double den = std::stod(den_text, &used);
      if (used != den_text.size() || den <= 0) throw std::invalid_argument(text);
      v = num / den;
    } else {
      v = std::stod(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
    }
  } catch (const std::exception&) {
    return Status::InvalidArgument("--target-fpir: '" + text + "' is not a rate (e.g. 1e-3, 0.001 or 1/6000)");
  }
  if (!(v > 0 && v < 1)) return Status::InvalidArgument("--target-fpir: " + text + " must lie between 0 and 1");
  return v;
}

// "LO:HI:STEP" or "a,b,c" -> ascending thresholds in [-1, 1]; InvalidArgument otherwise.
Result<std::vector<float>> ParseThresholds(const std::string& text) {
  std::vector<float> out;
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("--thresholds: '" + text + "' " + why + " (e.g. 0.2:0.8:0.05 or 0.3,0.4,0.5)");
  };
  try {
    if (text.find(':') != std::string::npos) {
      std::vector<double> p;
      std::stringstream ss(text);
      std::string part;
      while (std::getline(ss, part, ':')) {
        size_t used = 0;
        p.push_back(std::stod(part, &used));
        if (used != part.size()) return bad("is not LO:HI:STEP");
      }
      if (p.size() != 3 || !(p[2] > 0) || !(p[1] >= p[0])) return bad("is not LO:HI:STEP with LO <= HI and STEP > 0");
      const int n = static_cast<int>(std::floor((p[1] - p[0]) / p[2] + 1e-6)) + 1;
      if (n > 1000) return bad("has more than 1,000 thresholds");
      for (int k = 0; k < n; ++k) out.push_back(static_cast<float>(p[0] + k * p[2]));
    } else {
      std::stringstream ss(text);
      std::string part;
      while (std::getline(ss, part, ',')) {
        size_t used = 0;
        out.push_back(std::stof(part, &used));
        if (used != part.size()) return bad("is not a list of numbers");
      }
    }
  } catch (const std::exception&) {
    return bad("is not a list of numbers");
  }
  if (out.empty()) return bad("is empty");
  for (size_t k = 0; k < out.size(); ++k) {
    if (!(out[k] >= -1 && out[k] <= 1)) return bad("has a threshold outside [-1, 1]");
    if (k > 0 && !(out[k] > out[k - 1])) return bad("is not ascending");
  }
  return out;
}

// lfr eval report: the equitability report (eval/equitability.h) of one identification run
// at the deployment's watchlist size.
void RunReport(const EvalArgs& a, Context& ctx) {
  auto target = ParseRate(a.target_fpir);
  if (!target.ok()) return Fail(ctx, target.status());
  auto thresholds = ParseThresholds(a.thresholds);
  if (!thresholds.ok()) return Fail(ctx, thresholds.status());
  auto sizes = ParseSizes(a.sizes);
  if (!sizes.ok()) return Fail(ctx, sizes.status());
  if (sizes->size() != 1) {
    return Fail(ctx, Status::InvalidArgument("--watchlist-size: the report is for one watchlist size (the deployment's)"));
  }
  std::unique_ptr<IdentifyRun> run = RunIdentifyProtocol(a, ctx, *sizes);
  if (!run) return;
  const SizeResult& r = run->res.front();
  EquitabilityOptions eo;
  eo.target_fpir = *target;
  eo.thresholds = *thresholds;
  eo.min_searches = a.min_searches;
  auto report = BuildEquitabilityReport(r, eo);
  if (!report.ok()) return Fail(ctx, report.status());

  ReportDescription d;
  if (!a.title.empty()) d.title = a.title;
  d.data = run->own ? DescribeDataset(run->data)
                    : std::string("LFW (people with their images, sex labels from the LFW gender lists)") +
                          (a.no_fairface ? "" : " + FairFace-dev (one image per person; sex, race and age labels)") +
                          ": " + std::to_string(run->st.images) + " images, " + std::to_string(run->st.no_face) +
                          " without a detected face";
  d.protocol = "Open-set 1:N identification at rank 1. A watchlist of " + std::to_string(r.watchlist_size) + " (" +
               std::to_string(r.mated_people) + " people with further images + " + std::to_string(r.filler) +
               " filler), " + std::to_string(a.enrol_images) + " enrolment image(s) each" +
               (run->io.enrolment_rules ? ", chosen by the product's enrolment rules" : "") +
               "; searches of the other images of the people on it (at most " + std::to_string(a.max_probes) +
               " each) and of people not on it. Seed " + std::to_string(a.seed) + ".";
  d.detector = run->ex->detector_id();
  d.recogniser = run->ex->recogniser_id() + (run->io.flip ? " (face + mirror averaged)" : "");
  if (auto catalog = Catalog::Load(); catalog.ok()) {
    if (const ModelSpec* m = catalog->Find(run->ex->recogniser_id())) {
      d.recogniser_licence = m->licence + (m->licence_note.empty() ? "" : ": " + m->licence_note);
    }
  }
  d.command = CommandLine(run->args);
  d.date = UtcNow();
  d.version = LFR_VERSION;
  d.notes.push_back(ExclusionLine(run->exclusions, run->excluded, "images", run->own));
  if (run->io.enrolment_rules) {
    std::string refused = "Failures to enrol: " + std::to_string(r.failures_to_enrol) +
                          "; enrolment images the product refused: " + std::to_string(r.enrolment_refused);
    const char* sep = " (";
    for (const auto& [why, n] : r.enrolment_refusals) {
      refused += sep + why + ": " + std::to_string(n);
      sep = "; ";
    }
    d.notes.push_back(refused + (r.enrolment_refusals.empty() ? "" : ")"));
  }
  d.notes.push_back("Searches not made (no face found" + std::string(run->io.quality_gate ? " or below the quality gate" : "") +
                    "): " + std::to_string(r.mated_not_searched) + " mated (counted as misses), " +
                    std::to_string(r.nonmated_not_searched) + " non-mated.");
  Status w = WriteEquitabilityReport(a.out, *report, d);
  if (!w.ok()) return Fail(ctx, w);

  const EquitabilityReport& e = *report;
  if (a.json) {
    *ctx.out << EquitabilityJson(e, d).dump(2) << "\n";
    return;
  }
  std::ostream& o = *ctx.out;
  o << "Equitability report: " << (fs::path(a.out) / "index.html").string() << "\n";
  o << "watchlist " << e.watchlist_size << ", " << e.mated_searches << " mated and " << e.nonmated_searches
    << " non-mated searches, recogniser " << d.recogniser << "\n";
  if (e.operating.choice.resolvable) {
    o << "threshold for FPIR " << a.target_fpir << ": " << Num(e.operating.choice.threshold) << " (FPIR "
      << Num(e.operating.choice.achieved.value(), 5) << ", FNIR " << Num(e.operating.fnir.value()) << ")\n";
  } else {
    o << "FPIR " << a.target_fpir << " cannot be resolved with " << e.nonmated_searches << " non-mated searches\n";
  }
  o << "max/min FPIR ratio between groups there: "
    << (e.fpir_max_min > 0 ? Num(e.fpir_max_min, 2) + " (by " + e.fpir_max_min_column + ")"
                           : std::string("undefined (a group with no false positive)"))
    << "\n";
  auto text = [](const std::optional<float>& t) { return t ? Num(*t, 2) : std::string("none in the range"); };
  o << "lowest threshold from which no group differs significantly: " << text(e.lowest_equitable)
    << " (FPIR alone " << text(e.lowest_equitable_fpir) << ", FNIR alone " << text(e.lowest_equitable_fnir) << ")\n";
}


void RunClosedSetEval(const EvalArgs& a, Context& ctx) {
  auto root = DataRoot(a, "lfw/images");
  if (!root.ok()) return Fail(ctx, root.status());
  const fs::path lfw = *root / "lfw";
  auto people = ScanLfwPeople(lfw);
  if (!people.ok()) return Fail(ctx, people.status());
  auto exclusions = LoadExclusions(a);
  if (!exclusions.ok()) return Fail(ctx, exclusions.status());
  const int64_t excluded = ExcludeLfw(*exclusions, lfw, &*people);
  auto ex = MakeExtractor(a, ctx);
  if (!ex.ok()) return FailModel(ctx, ex.status());
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<fs::path> paths = LfwPaths(lfw, *people);
  std::vector<ImageResult> results;
  ExtractStats st;
  Status s = (*ex)->Run(paths, "closed-set: embedding", &results, &st);
  if (!s.ok()) return Fail(ctx, s);
  std::vector<EvalIdentity> ids;
  size_t k = 0;
  AppendLfwIdentities(*people, paths, {}, &results, &k, &ids);
  ClosedSetOptions co;
  co.max_probes_per_person = a.max_probes;
  co.max_rank = a.max_rank;
  co.flip = !a.no_flip;
  co.seed = a.seed;
  auto res = RunClosedSet(ids, co);
  if (!res.ok()) return Fail(ctx, res.status());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (!a.cmc_plot.empty()) {
    PlotSeries line{"LFW, " + std::to_string(res->gallery_records) + " records", {}};
    for (size_t r = 0; r < res->cmc.size(); ++r) line.points.emplace_back(r + 1.0, res->cmc[r].value());
    LinePlotOptions po;
    po.title = "Closed-set identification (CMC) on all of LFW, " + (*ex)->recogniser_id();
    // The y axis starts a little below rank 1: in steps of 0.01 when rank 1 is above 0.9.
    const double lowest = res->cmc.empty() ? 0.0 : res->cmc.front().value();
    const bool fine = lowest > 0.9;
    const double y0 = fine ? std::floor((lowest - 0.005) * 100.0) / 100.0 : std::max(0.0, std::floor(lowest * 10.0) / 10.0);
    po.x = {"rank", 0.0, static_cast<double>(a.max_rank), false, a.max_rank <= 20 ? 1.0 : 5.0};
    po.y = {"identification rate (mate within the top k)", y0, 1.0, false, fine ? 0.001 * std::ceil((1.0 - y0) * 100.0 - 1e-6) : 0.1};
    po.legend_at_bottom = true;
    Status ps = WriteLinePlots(a.cmc_plot, {line}, po);
    if (!ps.ok()) return Fail(ctx, ps);
  }
  if (a.json) {
    nlohmann::json j = ClosedSetResultToJson(*res);
    j["protocol"] = "closed-set 1:N: gallery = every LFW image with a face (one record per image); probes = "
                    "images of people with >= 2 images, capped per person, each searched without its own record; "
                    "rank of the best-scoring mate, ties against it";
    j["seed"] = a.seed;
    j["max_probes_per_person"] = a.max_probes;
    j["flip_average"] = !a.no_flip;
    j["excluded_images"] = excluded;
    j["exclusions"] = exclusions->origin();
    j["detector"] = (*ex)->detector_id();
    j["recogniser"] = (*ex)->recogniser_id();
    j["images"] = ExtractJson(st);
    j["seconds"] = secs;
    j["command"] = CommandLine(a);
    *ctx.out << j.dump(2) << "\n";
    return;
  }
  std::ostream& o = *ctx.out;
  o << "Closed-set identification on all of LFW, detector " << (*ex)->detector_id() << ", recogniser "
    << (*ex)->recogniser_id() << (a.no_flip ? " (face only)" : " (face + mirror averaged)") << ", seed " << a.seed
    << "\n";
  o << ExclusionLine(*exclusions, excluded, "images");
  o << "gallery: " << res->gallery_records << " records of " << res->gallery_people << " people ("
    << res->gallery_no_face << " images without a detected face left out)\n";
  o << "probes: " << res->probes << " images of " << res->people_probed << " people (at most " << a.max_probes
    << " each), each searched without its own record; " << res->probes_no_face << " without a face and "
    << res->probes_mate_not_enrolled << " whose mates have no face count as misses at every rank\n";
  for (int r : {1, 5, 10, 20, 50}) {
    if (r > static_cast<int>(res->cmc.size())) break;
    const Interval ci = res->cmc[r - 1].ci();
    o << "  rank-" << std::left << std::setw(3) << r << std::right << " " << Pct(res->cmc[r - 1].value()) << " ["
      << Pct(ci.lo) << ", " << Pct(ci.hi) << "] (" << res->cmc[r - 1].events << "/" << res->cmc[r - 1].trials
      << ")\n";
  }
  if (!a.cmc_plot.empty()) o << "CMC curve: " << a.cmc_plot << ".png, " << a.cmc_plot << ".svg\n";
  o << Num(secs, 1) << " s\n";
}

void AddCommon(CLI::App* cmd, EvalArgs* a) {
  cmd->add_option("--data", a->data, "Evaluation data folder with lfw/ and fairface-dev/ (default: $LFR_DATA)");
  cmd->add_option("--cache", a->cache,
                  "Embedding cache folder for this public test data (default: $LFR_HOME/cache/eval)");
  cmd->add_flag("--no-cache", a->no_cache, "Do not read or write the embedding cache");
  cmd->add_flag("--json", a->json, "Print JSON");
  cmd->add_flag("--no-flip", a->no_flip, "Use face-only embeddings instead of face + mirror averages");
  cmd->add_option("--threads", a->threads, "Worker threads for embedding (each runs OpenCV single-threaded)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--recogniser", a->recogniser_id, "Recogniser model id (default: highest-priority installed)");
  cmd->add_option("--exclusions", a->exclusions,
                  "CSV (file,reason) of images to leave out (default: the built-in list of LFW label errors and "
                  "duplicates, src/eval/exclusions.csv)");
  cmd->add_flag("--no-exclusions", a->no_exclusions, "Leave no image out (the figures before the exclusion list)");
  AddDetectFlags(cmd, &a->flags);
}

// --dataset and --non-mated: a force's own data instead of $LFR_DATA's LFW (+ FairFace).
void AddDataset(CLI::App* cmd, EvalArgs* a) {
  auto* ds = cmd->add_option(
      "--dataset", a->dataset,
      "Evaluate on your own data instead of LFW: a folder with one sub-folder per identity (its images inside), or "
      "a CSV with a header and columns image,identity and optional sex, ethnicity (or race), age_band (image paths "
      "relative to the CSV's folder or absolute). Figures by group come from the demographic columns it has");
  cmd->add_option("--non-mated", a->non_mated,
                  "With --dataset: people on no watchlist, each image a different person: a folder of images or a "
                  "CSV with image and the same optional sex, ethnicity, age_band columns")
      ->needs(ds);
}

// --seed and --max-probes, for the protocols that sample probes.
void AddSampling(CLI::App* cmd, EvalArgs* a) {
  cmd->add_option("--seed", a->seed, "Sampling seed (recorded in the output)")->capture_default_str();
  cmd->add_option("--max-probes", a->max_probes, "Probe images per person at most")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
}

}  // namespace

void RegisterEvalCommand(CLI::App& app, Context& ctx) {
  CLI::App* eval = app.add_subcommand(
      "eval", "Measure accuracy on public data ($LFR_DATA) or your own (--dataset): LFW verification, open-set and "
              "closed-set identification, demographic differentials, threshold calibration (docs/ACCURACY.md).");
  eval->require_subcommand(1);
  RegisterEvalVideoCommand(eval, ctx);

  auto va = std::make_shared<EvalArgs>();
  CLI::App* verify = eval->add_subcommand(
      "verify", "LFW View 2: 6,000 pairs, 10-fold accuracy (threshold chosen on 9 folds), TAR at FAR 1e-3, "
                "failures to detect. With --dataset: the same figures on mated and non-mated pairs drawn from your "
                "data (seeded, deterministic).");
  AddCommon(verify, va.get());
  va->subcommand = "verify";
  AddDataset(verify, va.get());
  verify->add_option("--seed", va->seed, "With --dataset: the seed the pairs are drawn with (recorded in the output)")
      ->capture_default_str();
  verify->add_option("--pairs", va->pairs,
                     "With --dataset: mated pairs to draw (as many non-mated pairs of images of different identities; "
                     "10 folds, pair k in fold k mod 10)")
      ->check(CLI::Range(10, 10000000))
      ->capture_default_str();
  verify->add_option("--max-pairs-per-identity", va->max_pairs_per_identity,
                     "With --dataset: mated pairs of one identity at most (all its pairs if it has no more)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  verify->callback([va, &ctx] { RunVerify(*va, ctx); });

  auto ia = std::make_shared<EvalArgs>();
  ia->subcommand = "identify";
  CLI::App* identify = eval->add_subcommand(
      "identify", "Open-set 1:N on LFW + FairFace, or on your own data (--dataset, --non-mated): FNIR at FPIR "
                  "1e-2/1e-3/smallest, thresholds, rank-1, 95 % intervals, FNIR and FPIR per group of every "
                  "demographic column (LFW: sex; FairFace: sex, ethnicity, age band), DET curves, calibration "
                  "tables.");
  AddCommon(identify, ia.get());
  auto* sizes_opt = identify->add_option("--watchlist-size", ia->sizes,
                                         "Comma-separated watchlist sizes (with --dataset the default is those of "
                                         "100,1000,5000 the data set has enough identities for, else all it has)")
                        ->capture_default_str();
  AddDataset(identify, ia.get());
  identify->add_option("--group-by", ia->group_by,
                       "With a CSV --dataset: further columns to give FNIR and FPIR by at every operating point, "
                       "besides sex, ethnicity and age_band (comma-separated names, e.g. camera,yaw_band); the "
                       "identity CSV must have them")
      ->delimiter(',')
      ->needs(identify->get_option("--dataset"));
  identify->add_option("--write-dataset", ia->write_dataset,
                       "Write the run's data set (after exclusions) as DIR/identities.csv and DIR/non-mated.csv, the "
                       "--dataset/--non-mated format: the LFW + FairFace run fed back through --dataset gives the "
                       "same figures");
  AddSampling(identify, ia.get());
  identify->add_option("--enrol-images", ia->enrol_images, "Images averaged into each enrolment")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  identify->add_option("--reserve", ia->reserve,
                       "Images per person reserved for enrolment before the probes start (>= --enrol-images; "
                       "fix it to compare enrolment counts on the same probes)")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  identify->add_flag("--quality-gate", ia->quality_gate, "Do not search probes that fail the quality gate");
  identify->add_flag("--no-enrolment-rules", ia->no_enrolment_rules,
                     "Enrol every image with a face, not only those `lfr watchlist add` would accept (one usable, "
                     "central face through the quality gate and its landmark checks): the figures before issue 14");
  identify->add_flag("--no-fairface", ia->no_fairface, "Leave out the FairFace non-mated probes");
  identify->add_option("--write-calibration", ia->write_calibration,
                       "Write the recogniser's calibration table (models/calibration/<id>.json) to this file");
  identify->add_option("--det-plot", ia->det_plot, "Write the DET curves to PREFIX.png and PREFIX.svg");
  identify->callback([ia, sizes_opt, &ctx] {
    ia->sizes_given = sizes_opt->count() > 0;
    RunIdentify(*ia, ctx);
  });

  auto ra = std::make_shared<EvalArgs>();
  ra->subcommand = "report";
  ra->sizes = "1000";
  CLI::App* rep = eval->add_subcommand(
      "report",
      "The equitability report a force can publish (HTML, printable, with report.json and a DET per group as "
      "PNG/SVG): the data described, FNIR and FPIR per demographic group with 95 % intervals over a range of "
      "thresholds, the lowest threshold from which no group differs significantly, and the threshold for a "
      "target FPIR at the deployment's watchlist size with the groups' max/min FPIR ratio there.");
  AddCommon(rep, ra.get());
  AddDataset(rep, ra.get());
  AddSampling(rep, ra.get());
  rep->add_option("--out", ra->out, "Folder to write index.html, report.json and det-<column>.png/.svg into")
      ->required();
  rep->add_option("--watchlist-size", ra->sizes, "The deployment's watchlist size")->capture_default_str();
  rep->add_option("--target-fpir", ra->target_fpir, "The operating point: FPIR at that size (1e-3, 0.001, 1/6000)")
      ->capture_default_str();
  rep->add_option("--thresholds", ra->thresholds, "Thresholds of the tables: LO:HI:STEP or a,b,c (ascending)")
      ->capture_default_str();
  rep->add_option("--min-searches", ra->min_searches, "Groups with fewer searches are shown but not compared")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  rep->add_option("--title", ra->title, "The report's title");
  rep->add_option("--enrol-images", ra->enrol_images, "Images averaged into each enrolment")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  rep->add_option("--reserve", ra->reserve, "Images per person reserved for enrolment before the probes start")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  rep->add_flag("--quality-gate", ra->quality_gate, "Do not search probes that fail the quality gate");
  rep->add_flag("--no-fairface", ra->no_fairface, "Leave out the FairFace non-mated probes");
  rep->callback([ra, &ctx] { RunReport(*ra, ctx); });

  auto ca = std::make_shared<EvalArgs>();
  ca->subcommand = "closed-set";
  CLI::App* closed = eval->add_subcommand(
      "closed-set", "Closed-set identification (retrospective search's question) with all of LFW as the gallery: "
                    "rank-1/5/10/20 with 95 % intervals and the CMC curve, exact scoring.");
  AddCommon(closed, ca.get());
  AddSampling(closed, ca.get());
  closed->add_option("--max-rank", ca->max_rank, "Highest rank of the CMC curve")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  closed->add_option("--cmc-plot", ca->cmc_plot, "Write the CMC curve to PREFIX.png and PREFIX.svg");
  closed->callback([ca, &ctx] { RunClosedSetEval(*ca, ctx); });
}

}  // namespace lfr::cli
