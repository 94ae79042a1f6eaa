// `lfr node`: the fleet's edge nodes (issue 11). On a node: `init` makes its key pair. At
// the control room (the store): `register NAME --public-key HEX` (audited), `list`,
// `revoke NAME`. Running a node against the central server comes with the rest of issue 11.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/store_common.h"
#include "node/identity.h"
#include "util/clock.h"

namespace lfr::cli {
namespace {

struct NodeArgs {
  std::string name, public_key, key_file;
  bool json = false, yes = false;
};

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
  CLI::App* cmd = app.add_subcommand("node", "Edge nodes of a fleet: init (on the node), register, list, revoke (at the control room)");
  cmd->require_subcommand(1);
  CLI::App* init = cmd->add_subcommand("init", "Make this node's key pair ($LFR_HOME/node.key) and print its public key");
  init->add_option("--key-file", a->key_file, "Where to write the key pair (default: $LFR_HOME/node.key)");
  init->callback([a, &ctx] { Init(*a, ctx); });
  CLI::App* reg = cmd->add_subcommand("register", "Register a node by the public key its `lfr node init` printed (audited)");
  reg->add_option("name", a->name, "Node name: letters, digits, - and _")->required();
  reg->add_option("--public-key", a->public_key, "The node's public key (64 hex digits)")->required();
  reg->callback([a, &ctx] { Register(*a, ctx); });
  CLI::App* list = cmd->add_subcommand("list", "Registered nodes");
  list->add_flag("--json", a->json, "As JSON");
  list->callback([a, &ctx] { List(*a, ctx); });
  CLI::App* revoke = cmd->add_subcommand("revoke", "Revoke a node: its key is not used again (audited)");
  revoke->add_option("name", a->name, "Node name")->required();
  revoke->add_flag("--yes", a->yes, "Confirm");
  revoke->callback([a, &ctx] { Revoke(*a, ctx); });
}

}  // namespace lfr::cli
