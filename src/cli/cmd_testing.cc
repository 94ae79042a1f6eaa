// Hidden commands for tests that must crash a real `lfr` process mid-write (crash
// consistency). Registered only when LFR_ENABLE_TEST_COMMANDS=1, never shown in --help.
//
// `lfr test-alert-burst DEPLOYMENT --count N` records N synthetic alerts (noise images, not
// faces) for the deployment's first entry on its first camera, through the same
// StoreAlertSink path as the live pipeline, as fast as the store allows. Each is audited
// like any alert, as actor "test:alert-burst", so synthetic alerts are identifiable.
#include <cstdlib>
#include <memory>

#include <opencv2/core.hpp>

#include "cli/cli.h"
#include "cli/store_common.h"
#include "store/alert_sink.h"

namespace lfr::cli {
namespace {

struct BurstArgs {
  std::string deployment;
  int count = 1000;
};

void RunBurst(const BurstArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto d = store->FindDeployment(a.deployment);
  if (!d.ok()) return Fail(ctx, d.status());
  auto cams = store->ListCameras(d->id);
  auto entries = store->ListWatchlist(d->id, false);
  if (!cams.ok()) return Fail(ctx, cams.status());
  if (!entries.ok()) return Fail(ctx, entries.status());
  if (cams->empty() || entries->empty()) {
    return Fail(ctx, Status::FailedPrecondition("the deployment needs a camera and an entry"));
  }
  const WatchlistEntry& entry = entries->front();
  StoreAlertSink sink(store.get(), d->id, {{entry.reference, entry.id}}, Actor{"test:alert-burst"});
  cv::Mat crop(112, 112, CV_8UC3), frame(360, 640, CV_8UC3);
  cv::RNG rng(1);
  for (int i = 0; i < a.count; ++i) {
    rng.fill(crop, cv::RNG::UNIFORM, 0, 256);
    Alert al;
    al.camera = cams->front().name;
    al.track_id = i;
    al.subject = entry.reference;
    al.score = al.fused_score = 0.9f;
    al.threshold = 0.6f;
    Status s = sink.Emit(al, crop, frame);
    if (!s.ok()) return Fail(ctx, s);
  }
  *ctx.out << "recorded " << sink.alerts_recorded() << " synthetic alerts\n";
}

}  // namespace

void RegisterTestingCommands(CLI::App& app, Context& ctx) {
  const char* enabled = std::getenv("LFR_ENABLE_TEST_COMMANDS");
  if (enabled == nullptr || std::string(enabled) != "1") return;
  auto a = std::make_shared<BurstArgs>();
  CLI::App* burst = app.add_subcommand("test-alert-burst", "TESTING ONLY: record synthetic alerts quickly");
  burst->group("");  // hidden from --help
  burst->add_option("deployment", a->deployment, "Deployment id or name")->required();
  burst->add_option("--count", a->count, "How many alerts")->check(CLI::Range(1, 10000000));
  burst->callback([a, &ctx] { RunBurst(*a, ctx); });
}

}  // namespace lfr::cli
