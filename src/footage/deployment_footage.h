// Recording a deployment's cameras: a FootageRecorder (footage/recorder.h) for each camera
// that records footage (Camera::record_footage, `lfr deployment camera add
// --record-footage`), under the deployment's footage key (Store::FootageKey), writing to
// <footage root>/<deployment id>/<camera id>/. `lfr watch --deployment` and `lfr serve`
// hand them to the pipeline as the cameras' packet taps (CameraSpec::packet_tap).
//
// The alarm when a camera's recording stops (disk full, write error, codec): an error in
// the log ("footage: camera X: recording stopped: …"), an audit row "footage.stopped"
// (target camera:<id>, details {camera, error}), then on_alarm (e.g. a live event). Live
// matching of that camera goes on. A camera that is a video device (V4L2: decoded frames,
// no packets to copy) gets no recorder and the alarm at once.
#ifndef LFR_FOOTAGE_DEPLOYMENT_FOOTAGE_H_
#define LFR_FOOTAGE_DEPLOYMENT_FOOTAGE_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "footage/recorder.h"
#include "store/store.h"

namespace lfr {

using RecordingAlarm = std::function<void(const std::string& camera, const Status& why)>;

// Recorders by camera name, for the cameras of `cameras` that record footage (none: an
// empty map, and no footage key is made). store must outlive the recorders. Errors: those
// of Store::FootageKey (e.g. the deployment is closed).
Result<std::map<std::string, std::shared_ptr<FootageRecorder>>> MakeDeploymentRecorders(
    Store* store, int64_t deployment_id, const std::vector<Camera>& cameras,
    const std::filesystem::path& footage_root, RecordingAlarm on_alarm = {}, Clock* clock = nullptr);

}  // namespace lfr

#endif  // LFR_FOOTAGE_DEPLOYMENT_FOOTAGE_H_
