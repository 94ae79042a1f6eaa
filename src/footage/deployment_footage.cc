#include "footage/deployment_footage.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "pipeline/camera.h"

namespace lfr {

Result<std::map<std::string, std::shared_ptr<FootageRecorder>>> MakeDeploymentRecorders(
    Store* store, int64_t deployment_id, const std::vector<Camera>& cameras,
    const std::filesystem::path& footage_root, RecordingAlarm on_alarm, Clock* clock) {
  std::map<std::string, std::shared_ptr<FootageRecorder>> out;
  const bool any = std::any_of(cameras.begin(), cameras.end(), [](const Camera& c) { return c.record_footage; });
  if (!any) return out;
  const Actor system{"system"};
  auto key = store->FootageKey(deployment_id, system);
  if (!key.ok()) return key.status();
  for (const Camera& c : cameras) {
    if (!c.record_footage) continue;
    auto source = ParseSource(c.uri);
    if (source.ok() && source->kind == SourceKind::kDevice) {
      // A V4L2 device gives decoded frames, no packets to copy: the alarm at once.
      const Status why = Status::FailedPrecondition("a video device cannot be recorded without re-encoding");
      spdlog::error("footage: camera {}: not recording: {}", c.name, why.message());
      Status s = store->Audit(system, "footage.stopped", "camera:" + std::to_string(c.id),
                              nlohmann::json{{"camera", c.name}, {"error", why.message()}}.dump());
      (void)s;
      if (on_alarm) on_alarm(c.name, why);
      continue;
    }
    RecorderOptions o;
    o.footage_root = footage_root;
    o.deployment_id = deployment_id;
    o.camera_id = c.id;
    o.camera_name = c.name;
    o.clock = clock;
    o.on_stopped = [store, system, id = c.id, name = c.name, on_alarm](const Status& why) {
      Status s = store->Audit(system, "footage.stopped", "camera:" + std::to_string(id),
                              nlohmann::json{{"camera", name}, {"error", why.message()}}.dump());
      (void)s;  // the log line is already written; the alarm must not fail the reader
      if (on_alarm) on_alarm(name, why);
    };
    out[c.name] = std::make_shared<FootageRecorder>(std::move(o), *key);
  }
  return out;
}

}  // namespace lfr
