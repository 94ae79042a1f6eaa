// `lfr user add|list|passwd|disable|enable`: console accounts from the command line (the
// first admin, or a reset when every admin is locked out). Passwords are read from stdin
// with --password-stdin, or generated and printed once.
#include <iostream>

#include "cli/cli.h"
#include "cli/store_common.h"
#include "server/auth.h"

namespace lfr::cli {
namespace {

struct UserArgs {
  std::string name;
  std::string role = "operator";
  bool password_stdin = false;
  bool json = false;
};

// The password to set: one line from stdin, or a generated one (printed).
Result<std::string> NewPassword(const UserArgs& args, Context& ctx, bool* generated) {
  *generated = !args.password_stdin;
  if (!args.password_stdin) return server::GeneratePassword();
  std::string line;
  if (!std::getline(std::cin, line)) return Status::InvalidArgument("--password-stdin: nothing on stdin");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  LFR_RETURN_IF_ERROR(server::CheckPasswordPolicy(line));
  return line;
}

void Add(const UserArgs& args, Context& ctx) {
  Role role;
  if (!ParseRole(args.role, &role)) {
    return Fail(ctx, Status::InvalidArgument("--role '" + args.role +
                                             "' is not one of admin, supervisor, operator, auditor, investigator"));
  }
  if (args.name.empty() || args.name.find_first_of(" \t/:") != std::string::npos) {
    return Fail(ctx, Status::InvalidArgument("user name '" + args.name + "': no spaces, slashes or colons"));
  }
  bool generated = false;
  auto password = NewPassword(args, ctx, &generated);
  if (!password.ok()) return Fail(ctx, password.status());
  auto hash = server::HashPassword(*password);
  if (!hash.ok()) return Fail(ctx, hash.status());
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto u = store->CreateUser(args.name, role, *hash, CliActor());
  if (!u.ok()) return Fail(ctx, u.status());
  *ctx.out << "created user " << u->name << " (" << RoleName(u->role) << ")";
  if (generated) *ctx.out << " with password " << *password << " (shown once)";
  *ctx.out << "\n";
}

void Update(const UserArgs& args, Context& ctx, const std::string& what) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto u = store->GetUser(args.name);
  if (!u.ok()) return Fail(ctx, u.status());
  User user = *u;
  bool generated = false;
  std::string password;
  if (what == "passwd") {
    auto p = NewPassword(args, ctx, &generated);
    if (!p.ok()) return Fail(ctx, p.status());
    password = *p;
    auto hash = server::HashPassword(password);
    if (!hash.ok()) return Fail(ctx, hash.status());
    user.password_hash = *hash;
  } else {
    user.disabled = what == "disable";
  }
  if (Status s = store->UpdateUser(user, CliActor()); !s.ok()) return Fail(ctx, s);
  *ctx.out << "user " << user.name << ": ";
  if (what == "passwd") {
    *ctx.out << "password changed" << (generated ? " to " + password + " (shown once)" : "");
  } else {
    *ctx.out << (user.disabled ? "disabled" : "enabled");
  }
  *ctx.out << " (takes effect at the next login; running sessions of a server end when it restarts)\n";
}

void List(const UserArgs& args, Context& ctx) {
  auto store = OpenCliStore(ctx);
  if (!store) return;
  auto users = store->ListUsers();
  if (!users.ok()) return Fail(ctx, users.status());
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const User& u : *users) {
      out.push_back({{"name", u.name}, {"role", RoleName(u.role)}, {"disabled", u.disabled},
                     {"created", FormatUtcMs(u.created_ms)}});
    }
    *ctx.out << out.dump() << "\n";
    return;
  }
  for (const User& u : *users) {
    *ctx.out << u.name << "\t" << RoleName(u.role) << (u.disabled ? "\tdisabled" : "") << "\n";
  }
  if (users->empty()) *ctx.out << "no users yet (lfr user add NAME --role admin)\n";
}

}  // namespace

void RegisterUserCommand(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<UserArgs>();
  CLI::App* cmd = app.add_subcommand("user", "Console accounts: add, list, passwd, disable, enable");
  cmd->require_subcommand(1);
  auto add_password = [args](CLI::App* c) {
    c->add_flag("--password-stdin", args->password_stdin,
                "Read the password (12+ characters) from one line of stdin; default: generate and print one");
  };
  CLI::App* add = cmd->add_subcommand("add", "Create a user");
  add->add_option("name", args->name, "User name")->required();
  add->add_option("--role", args->role, "admin, supervisor, operator, auditor or investigator")->capture_default_str();
  add_password(add);
  add->callback([args, &ctx] { Add(*args, ctx); });
  CLI::App* list = cmd->add_subcommand("list", "List users and their roles");
  list->add_flag("--json", args->json, "As JSON");
  list->callback([args, &ctx] { List(*args, ctx); });
  CLI::App* passwd = cmd->add_subcommand("passwd", "Set a user's password");
  passwd->add_option("name", args->name, "User name")->required();
  add_password(passwd);
  passwd->callback([args, &ctx] { Update(*args, ctx, "passwd"); });
  for (const char* what : {"disable", "enable"}) {
    CLI::App* c = cmd->add_subcommand(what, std::string(what == std::string("disable") ? "Disable" : "Enable") +
                                                " a user's login");
    c->add_option("name", args->name, "User name")->required();
    c->callback([args, &ctx, what] { Update(*args, ctx, what); });
  }
}

}  // namespace lfr::cli
