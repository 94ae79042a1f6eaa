// `lfr node`: the fleet's edge nodes (issue 11). On a node: `init` makes its key pair,
// `run NAME --central URL` links it to the control room (heartbeats, store and forward).
// At the control room (the store): `register NAME --public-key HEX` (audited), `list`,
// `revoke NAME`. The node's cameras come with the rest of issue 11.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/store_common.h"
#include "node/edge_link.h"
#include "node/identity.h"
#include "util/paths.h"
#include "util/clock.h"

namespace lfr::cli {
namespace {

struct NodeArgs {
  std::string name, public_key, key_file;
  bool json = false, yes = false;
  std::string central, central_ca;
  int heartbeat_ms = 2000;
};

std::atomic<bool> g_node_stop{false};
extern "C" void OnNodeSignal(int) { g_node_stop = true; }

// Runs the node's link to the control room until SIGINT/SIGTERM: heartbeats and store and
// forward (node/edge_link.h). Its cameras come with the rest of issue 11.
void Run(const NodeArgs& a, Context& ctx) {
  const std::filesystem::path key = a.key_file.empty() ? node::DefaultIdentityPath() : std::filesystem::path(a.key_file);
  auto id = node::LoadNodeIdentity(key);
  if (!id.ok()) return Fail(ctx, id.status());
  node::EdgeLinkOptions o;
  o.bus.url = a.central;
  o.bus.ca_file = a.central_ca;
  o.node = a.name;
  o.heartbeat_ms = a.heartbeat_ms;
  std::error_code ec;
  std::filesystem::create_directories(HomeDir(), ec);
  o.outbox_file = HomeDir() / "outbox.db";
  auto link = node::EdgeLink::Start(o);
  if (!link.ok()) return Fail(ctx, link.status());
  *ctx.out << "node " << a.name << ": linked to " << a.central << " (public key " << node::ToHex(id->public_key)
           << "; Ctrl-C stops)" << std::endl;
  g_node_stop = false;
  auto old_int = std::signal(SIGINT, OnNodeSignal);
  auto old_term = std::signal(SIGTERM, OnNodeSignal);
  while (!g_node_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  (*link)->Stop();
  *ctx.out << "node " << a.name << ": stopped (" << (*link)->heartbeats_sent() << " heartbeats sent)" << std::endl;
}

void Init(const NodeArgs& a, Context& ctx) {
  const std::filesystem::path path = a.key_file.empty() ? node::DefaultIdentityPath() : std::filesystem::path(a.key_file);
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  auto id = node::CreateNodeIdentity(path);
  if (!id.ok()) return Fail(ctx, id.status());
  *ctx.out << "node key pair written to " << path.string() << " (mode 0600; keep it on this machine)\n"
           << "public key: " << node::ToHex(id->public_key) << "\n"
           << "register it at the control room: lfr node register NAME --public-key "
           << node::ToHex(id->public_key) << "\n";
}

void Register(const NodeArgs& a, Context& ctx) {
  auto key = node::PublicKeyFromHex(a.public_key);
  if (!key.ok()) return Fail(ctx, key.status());
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto n = store->RegisterNode(a.name, *key, CliActor());
  if (!n.ok()) return Fail(ctx, n.status());
  *ctx.out << "registered node " << n->name << " (public key " << a.public_key << ")\n";
}

void List(const NodeArgs& a, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto nodes = store->ListNodes();
  if (!nodes.ok()) return Fail(ctx, nodes.status());
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const FleetNode& n : *nodes) {
      nlohmann::json j = {{"name", n.name}, {"public_key", node::ToHex(n.public_key)},
                          {"registered_by", n.registered_by}, {"registered", FormatUtcMs(n.registered_ms)}};
      if (n.revoked_ms != 0) j["revoked"] = FormatUtcMs(n.revoked_ms);
      out.push_back(std::move(j));
    }
    *ctx.out << out.dump() << "\n";
    return;
  }
  for (const FleetNode& n : *nodes) {
    *ctx.out << n.name << "\t" << node::ToHex(n.public_key) << "\t" << FormatUtcMs(n.registered_ms)
             << (n.revoked_ms != 0 ? "\trevoked " + FormatUtcMs(n.revoked_ms) : "") << "\n";
  }
  if (nodes->empty()) *ctx.out << "no nodes registered (lfr node register NAME --public-key HEX)\n";
}

void Revoke(const NodeArgs& a, Context& ctx) {
  if (!a.yes) return Fail(ctx, Status::InvalidArgument("revoking node " + a.name + " cannot be undone: add --yes"));
  auto store = OpenCliStore(ctx);
  if (!store) return;
  if (Status s = store->RevokeNode(a.name, CliActor()); !s.ok()) return Fail(ctx, s);
  *ctx.out << "node " << a.name << " revoked (its key is not used again; the name is not reused)\n";
}

}  // namespace

void RegisterNodeCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<NodeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "node", "Edge nodes of a fleet: init and run (on the node), register, list, revoke (at the control room)");
  cmd->require_subcommand(1);
  CLI::App* init = cmd->add_subcommand("init", "Make this node's key pair ($LFR_HOME/node.key) and print its public key");
  init->add_option("--key-file", a->key_file, "Where to write the key pair (default: $LFR_HOME/node.key)");
  init->callback([a, &ctx] { Init(*a, ctx); });
  CLI::App* reg = cmd->add_subcommand("register", "Register a node by the public key its `lfr node init` printed (audited)");
  reg->add_option("name", a->name, "Node name: letters, digits, - and _")->required();
  reg->add_option("--public-key", a->public_key, "The node's public key (64 hex digits)")->required();
  reg->callback([a, &ctx] { Register(*a, ctx); });
  CLI::App* run = cmd->add_subcommand(
      "run", "Run this node's link to the control room until Ctrl-C: a heartbeat every 2 s (the console's Nodes page "
             "shows it up or down) and store and forward of what it sends ($LFR_HOME/outbox.db)");
  run->add_option("name", a->name, "This node's registered name")->required();
  run->add_option("--central", a->central, "The control room's message server: nats://[user:password@]host:port or tls://…")
      ->required();
  run->add_option("--central-ca", a->central_ca, "CA certificate for a tls:// message server");
  run->add_option("--key-file", a->key_file, "This node's key pair (default: $LFR_HOME/node.key)");
  run->add_option("--heartbeat-ms", a->heartbeat_ms, "Milliseconds between heartbeats")
      ->check(CLI::Range(100, 60000))
      ->capture_default_str();
  run->callback([a, &ctx] { Run(*a, ctx); });
  CLI::App* list = cmd->add_subcommand("list", "Registered nodes");
  list->add_flag("--json", a->json, "As JSON");
  list->callback([a, &ctx] { List(*a, ctx); });
  CLI::App* revoke = cmd->add_subcommand("revoke", "Revoke a node: its key is not used again (audited)");
  revoke->add_option("name", a->name, "Node name")->required();
  revoke->add_flag("--yes", a->yes, "Confirm");
  revoke->callback([a, &ctx] { Revoke(*a, ctx); });
}

}  // namespace lfr::cli
