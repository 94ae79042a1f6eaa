// `lfr eval verify` and `lfr eval identify`: OpenLFR measuring itself on the public LFW and
// FairFace data ($LFR_DATA), through the same FaceAnalyzer the live system runs. See
// docs/ACCURACY.md for the runs and src/eval/ for the protocols and metrics.
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>

#include "cli/cli.h"
#include "cli/common.h"
#include "eval/closed_set.h"
#include "eval/det_plot.h"
#include "eval/exclusions.h"
#include "eval/line_plot.h"
#include "eval/extract.h"
#include "eval/identify.h"
#include "eval/lfw.h"
#include "eval/metrics.h"
#include "match/calibration.h"
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
  // identify
  std::string sizes = "100,1000,5000";
  uint64_t seed = 1;
  int max_probes = 10;
  int enrol_images = 1;
  int reserve = 1;
  bool quality_gate = false;
  bool no_enrolment_rules = false;
  bool no_fairface = false;
  std::string write_calibration;
  std::string det_plot;
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
  if (a.subcommand == "identify") {
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
// list (src/eval/exclusions.csv).
Result<Exclusions> LoadExclusions(const EvalArgs& a) {
  if (a.no_exclusions) return Exclusions();
  if (!a.exclusions.empty()) return Exclusions::Load(a.exclusions);
  return Exclusions::BuiltIn();
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

std::string ExclusionLine(const Exclusions& ex, int64_t dropped, const std::string& what) {
  if (ex.size() == 0) return "exclusions: none (--no-exclusions)\n";
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
      id.images.push_back({paths[*k].string(), std::move((*results)[*k])});
    }
    ids->push_back(std::move(id));
  }
}

// ---------------------------------------------------------------- verify

void RunVerify(const EvalArgs& a, Context& ctx) {
  auto root = DataRoot(a, "lfw/pairs.txt");
  if (!root.ok()) return Fail(ctx, root.status());
  const fs::path lfw = *root / "lfw";
  auto pairs = LoadLfwPairs(lfw / "pairs.txt");
  if (!pairs.ok()) return Fail(ctx, pairs.status());
  auto exclusions = LoadExclusions(a);
  if (!exclusions.ok()) return Fail(ctx, exclusions.status());
  int64_t pairs_excluded = 0;
  {
    std::vector<LfwPair> kept;
    for (const auto& p : pairs->pairs) {
      if (exclusions->Excludes(LfwImagePath(lfw, p.a)) || exclusions->Excludes(LfwImagePath(lfw, p.b))) {
        ++pairs_excluded;
      } else {
        kept.push_back(p);
      }
    }
    pairs->pairs = std::move(kept);
  }
  auto ex = MakeExtractor(a, ctx);
  if (!ex.ok()) return FailModel(ctx, ex.status());
  const auto t0 = std::chrono::steady_clock::now();

  // Every distinct image of the protocol, once.
  std::map<LfwImageRef, size_t> index;
  std::vector<fs::path> paths;
  for (const auto& p : pairs->pairs) {
    for (const LfwImageRef* r : {&p.a, &p.b}) {
      if (index.emplace(*r, paths.size()).second) paths.push_back(LfwImagePath(lfw, *r));
    }
  }
  std::vector<ImageResult> results;
  ExtractStats st;
  Status s = (*ex)->Run(paths, "verify: embedding", &results, &st);
  if (!s.ok()) return Fail(ctx, s);

  const bool flip = !a.no_flip;
  std::vector<VerificationPair> vp;
  int pairs_with_failure = 0;
  std::vector<float> genuine, impostor;
  for (const auto& p : pairs->pairs) {
    const ImageResult& ra = results[index[p.a]];
    const ImageResult& rb = results[index[p.b]];
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
  const VerificationResult cv = CrossValidate(vp, pairs->folds);
  const ThresholdChoice far3 = ThresholdForRate(impostor, 1e-3);
  const Rate tar_miss = RateBelow(genuine, far3.threshold);
  const double tar = genuine.empty() ? 0.0 : 1.0 - tar_miss.value();
  const Interval tar_ci = ClopperPearson(tar_miss.trials - tar_miss.events, tar_miss.trials);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (a.json) {
    nlohmann::json folds = nlohmann::json::array();
    for (const auto& f : cv.folds) {
      folds.push_back({{"accuracy", f.accuracy}, {"threshold", f.threshold}, {"pairs", f.pairs}});
    }
    nlohmann::json j = {
        {"protocol", "LFW View 2, pairs.txt, 10-fold, threshold chosen on 9 folds"},
        {"accuracy", cv.mean_accuracy},
        {"accuracy_std", cv.std_accuracy},
        {"pairs", vp.size()},
        {"mated_pairs", genuine.size()},
        {"nonmated_pairs", impostor.size()},
        {"folds", folds},
        {"failures_to_enrol", st.no_face},
        {"pairs_with_failure", pairs_with_failure},
        {"pairs_excluded", pairs_excluded},
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
    *ctx.out << j.dump(2) << "\n";
    return;
  }
  std::ostream& o = *ctx.out;
  o << "LFW View 2 verification: " << vp.size() << " pairs (" << pairs->folds << " folds x "
    << pairs->per_fold << " mated + " << pairs->per_fold << " non-mated), detector "
    << (*ex)->detector_id() << ", recogniser " << (*ex)->recogniser_id()
    << (flip ? " (face + mirror averaged)" : " (face only)") << "\n";
  o << "accuracy " << Pct(cv.mean_accuracy) << " +/- " << Pct(cv.std_accuracy)
    << " (mean +/- std over folds; threshold chosen on the other 9 folds)\n";
  o << "TAR " << Pct(tar) << " [" << Pct(tar_ci.lo) << ", " << Pct(tar_ci.hi) << "] at FAR <= 1e-3 (threshold "
    << Num(far3.threshold) << "; " << impostor.size() << " non-mated pairs allow " << far3.allowed
    << " false accepts)\n";
  o << ExclusionLine(*exclusions, pairs_excluded, "pairs");
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

void RunIdentify(const EvalArgs& a, Context& ctx) {
  auto sizes = ParseSizes(a.sizes);
  if (!sizes.ok()) return Fail(ctx, sizes.status());
  auto root = DataRoot(a, "lfw/images");
  if (!root.ok()) return Fail(ctx, root.status());
  const fs::path lfw = *root / "lfw";
  auto people = ScanLfwPeople(lfw);
  if (!people.ok()) return Fail(ctx, people.status());
  auto exclusions = LoadExclusions(a);
  if (!exclusions.ok()) return Fail(ctx, exclusions.status());
  int64_t excluded = ExcludeLfw(*exclusions, lfw, &*people);
  std::map<std::string, std::string> sex;
  if (auto labels = LoadLfwSexLabels(lfw / "labels" / "lfw_identity_sex_from_gender_lists.csv"); labels.ok()) {
    sex = std::move(labels).value();
  } else {
    *ctx.err << "lfr: warning: " << labels.status().message() << " (FNIR by sex not available)\n";
  }
  std::vector<FairFaceImage> fairface;
  if (!a.no_fairface) {
    auto ff = LoadFairFace(*root / "fairface-dev");
    if (!ff.ok()) return Fail(ctx, ff.status());
    for (auto& f : *ff) {
      if (exclusions->Excludes(f.path)) ++excluded;
      else fairface.push_back(std::move(f));
    }
  }
  auto ex = MakeExtractor(a, ctx);
  if (!ex.ok()) return FailModel(ctx, ex.status());
  const auto t0 = std::chrono::steady_clock::now();

  std::vector<fs::path> paths = LfwPaths(lfw, *people);
  for (const auto& f : fairface) paths.push_back(f.path);
  std::vector<ImageResult> results;
  ExtractStats st;
  Status s = (*ex)->Run(paths, "identify: embedding", &results, &st);
  if (!s.ok()) return Fail(ctx, s);

  std::vector<EvalIdentity> ids;
  size_t k = 0;
  AppendLfwIdentities(*people, paths, sex, &results, &k, &ids);
  for (const auto& f : fairface) {
    EvalIdentity id;
    id.name = "fairface:" + f.path.filename().string();
    id.source = "fairface";
    id.sex = f.gender;
    id.group = f.group();
    id.images.push_back({paths[k].string(), std::move(results[k])});
    ++k;
    ids.push_back(std::move(id));
  }

  IdentifyOptions io;
  io.watchlist_sizes = *sizes;
  io.seed = a.seed;
  io.max_probes_per_person = a.max_probes;
  io.enrol_images = a.enrol_images;
  io.reserve = a.reserve;
  io.flip = !a.no_flip;
  io.quality_gate = a.quality_gate;
  io.enrolment_rules = !a.no_enrolment_rules;
  auto res = RunIdentification(ids, io);
  if (!res.ok()) return Fail(ctx, res.status());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

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
         "every pair of face images of different identities in LFW and FairFace-dev; "
         "FPIR(t, N) = 1 - (1 - FMR(t))^N (independent comparisons). The validation entries are FPIRs "
         "measured directly with `lfr eval identify` at the same thresholds."},
        {"provenance",
         {{"command", CommandLine(a)},
          {"data", "LFW (13,233 images, 5,749 people) + FairFace-dev (2,100 images): $LFR_DATA"},
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
    po.title = "Open-set identification on LFW + FairFace, " + (*ex)->recogniser_id() + " (seed " +
               std::to_string(a.seed) + ")";
    Status ps = WriteDetPlots(a.det_plot, series, po);
    if (!ps.ok()) return Fail(ctx, ps);
  }

  if (a.json) {
    nlohmann::json sizes_json = nlohmann::json::array();
    for (const auto& r : *res) sizes_json.push_back(SizeResultToJson(r));
    nlohmann::json j = {
        {"protocol", "open-set 1:N, rank 1; watchlist from LFW people with >= 2 images, one enrolment "
                     "image each; mated probes capped per person; non-mated: LFW people not enrolled + "
                     "FairFace-dev"},
        {"seed", a.seed},
        {"max_probes_per_person", a.max_probes},
        {"enrol_images", a.enrol_images},
        {"reserve", std::max(a.reserve, a.enrol_images)},
        {"flip_average", io.flip},
        {"quality_gate", io.quality_gate},
        {"fairface", !a.no_fairface},
        {"excluded_images", excluded},
        {"exclusions", exclusions->origin()},
        {"detector", (*ex)->detector_id()},
        {"recogniser", (*ex)->recogniser_id()},
        {"images", ExtractJson(st)},
        {"seconds", secs},
        {"command", CommandLine(a)},
        {"results", sizes_json},
    };
    *ctx.out << j.dump(2) << "\n";
    return;
  }
  std::ostream& o = *ctx.out;
  o << "Open-set identification (rank 1), detector " << (*ex)->detector_id() << ", recogniser "
    << (*ex)->recogniser_id() << (io.flip ? " (face + mirror averaged)" : " (face only)")
    << ", seed " << a.seed << ", enrolment images " << a.enrol_images
    << (io.quality_gate ? ", quality-gated probes" : "")
    << (io.enrolment_rules ? ", enrolment by the product's rules" : ", every enrolment image with a face used") << "\n";
  o << ExclusionLine(*exclusions, excluded, "images");
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
      << r.nonmated_fairface << " FairFace; " << r.nonmated_not_searched << " not searched)\n";
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
      PrintGroups(o, "FNIR by sex (LFW mated)", p.fnir_by_sex, p.fnir_sex_max_min);
      PrintGroups(o, "FPIR by race x gender (FairFace non-mated)", p.fpir_by_group, p.fpir_group_max_min);
    }
  }
  o << "\n" << Num(secs, 1) << " s\n";
}

// ---------------------------------------------------------------- closed-set

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
      "eval", "Measure accuracy on public data ($LFR_DATA): LFW verification, open-set and closed-set identification, "
              "demographic differentials, threshold calibration (docs/ACCURACY.md).");
  eval->require_subcommand(1);

  auto va = std::make_shared<EvalArgs>();
  CLI::App* verify = eval->add_subcommand(
      "verify", "LFW View 2: 6,000 pairs, 10-fold accuracy (threshold chosen on 9 folds), TAR at FAR 1e-3, "
                "failures to detect.");
  AddCommon(verify, va.get());
  va->subcommand = "verify";
  verify->callback([va, &ctx] { RunVerify(*va, ctx); });

  auto ia = std::make_shared<EvalArgs>();
  ia->subcommand = "identify";
  CLI::App* identify = eval->add_subcommand(
      "identify", "Open-set 1:N on LFW + FairFace: FNIR at FPIR 1e-2/1e-3/smallest, thresholds, rank-1, "
                  "95 % intervals, FNIR by sex and FPIR by race x gender, DET curves, calibration tables.");
  AddCommon(identify, ia.get());
  identify->add_option("--watchlist-size", ia->sizes, "Comma-separated watchlist sizes")->capture_default_str();
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
  identify->callback([ia, &ctx] { RunIdentify(*ia, ctx); });

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
