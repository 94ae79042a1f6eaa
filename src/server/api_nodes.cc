// GET /api/nodes: the fleet's registered edge nodes with their state as the control room
// last heard it (fleet/node_registry.h): up or down, when last heard, load, outbox and
// cameras. Without a bus (`lfr serve --bus`) the registered nodes are listed with
// "bus": "not configured" and no state.
#include "fleet/node_registry.h"
#include "node/identity.h"
#include "server/api.h"
#include "util/clock.h"

namespace lfr::server {

void RegisterNodeRoutes(Api& api) {
  api.Route("GET", "/api/nodes", Permission::kReadDeployments,
            [&api](const httplib::Request&, httplib::Response& res, const Caller&) {
              auto nodes = api.store->ListNodes();
              if (!nodes.ok()) return SendStatus(res, nodes.status());
              std::map<std::string, fleet::NodeView> state;
              if (api.nodes != nullptr) {
                for (auto& v : api.nodes->Nodes()) state[v.name] = std::move(v);
              }
              nlohmann::json out = nlohmann::json::array();
              for (const FleetNode& n : *nodes) {
                nlohmann::json j = {{"name", n.name},
                                    {"public_key", node::ToHex(n.public_key)},
                                    {"registered", FormatUtcMs(n.registered_ms)},
                                    {"revoked", n.revoked_ms != 0 ? FormatUtcMs(n.revoked_ms) : ""}};
                auto it = state.find(n.name);
                if (api.nodes != nullptr && n.revoked_ms == 0) {
                  const bool heard = it != state.end() && it->second.last_heard_ms >= 0;
                  j["up"] = heard && it->second.up;
                  j["last_heard"] = heard ? FormatUtcMs(it->second.last_heard_ms) : "";
                  if (heard) {
                    const bus::Heartbeat& h = it->second.last;
                    j["cpu_load"] = h.cpu_load;
                    j["outbox"] = h.outbox;
                    nlohmann::json cams = nlohmann::json::array();
                    for (const auto& c : h.cameras) cams.push_back({{"name", c.name}, {"health", c.health}});
                    j["cameras"] = cams;
                  }
                }
                out.push_back(std::move(j));
              }
              SendJson(res, 200, {{"bus", api.nodes != nullptr ? "configured" : "not configured"}, {"nodes", out}});
            });
}

}  // namespace lfr::server
