// GET /api/system: facts about this installation every logged-in user should see. Today:
// the licence of the recogniser in use (new deployments' default, and that of each planned
// or active deployment), with a warning when it is licensed for research or non-commercial
// use only — such a model must not be used operationally, and the console says so on
// every page.
#include <algorithm>
#include <cctype>

#include "models/catalog.h"
#include "server/api.h"

namespace lfr::server {

bool ResearchOnlyLicence(const std::string& licence) {
  std::string l = licence;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  return l.rfind("research", 0) == 0 || l.find("non-commercial") != std::string::npos ||
         l.find("noncommercial") != std::string::npos || l.find("-nc") != std::string::npos;
}

namespace {

nlohmann::json ModelLicenceJson(const Catalog* catalog, const std::string& id) {
  const ModelSpec* m = catalog ? catalog->Find(id) : nullptr;
  if (m == nullptr) {
    return {{"id", id}, {"licence", nullptr}, {"licence_note", "not in the model catalogue"}, {"research_only", false}};
  }
  return {{"id", id}, {"licence", m->licence}, {"licence_note", m->licence_note},
          {"research_only", ResearchOnlyLicence(m->licence)}};
}

}  // namespace

void RegisterSystemRoutes(Api& api) {
  api.http->Get("/api/system", [&api](const httplib::Request& req, httplib::Response& res) {
    auto caller = api.Authenticate(req, res, false);
    if (!caller) return;
    auto catalog = Catalog::Load();
    const Catalog* cat = catalog.ok() ? &*catalog : nullptr;
    nlohmann::json warnings = nlohmann::json::array();
    nlohmann::json recogniser = nullptr;
    if (!api.options->recogniser_id.empty()) {
      recogniser = ModelLicenceJson(cat, api.options->recogniser_id);
      if (recogniser["research_only"].get<bool>()) {
        warnings.push_back("The recogniser for new deployments, " + api.options->recogniser_id + ", is licensed for " +
                           "research or non-commercial use only (" + recogniser["licence"].get<std::string>() +
                           "): do not use it operationally.");
      }
    }
    nlohmann::json deployments = nlohmann::json::array();
    if (caller->can(Permission::kReadDeployments)) {
      auto list = api.store->ListDeployments();
      if (!list.ok()) return SendStatus(res, list.status());
      for (const Deployment& d : *list) {
        if (d.status == DeploymentStatus::kClosed) continue;
        // Need-to-know: an operator hears of active deployments only.
        if (caller->session.role == Role::kOperator && d.status != DeploymentStatus::kActive) continue;
        nlohmann::json m = ModelLicenceJson(cat, d.recogniser_id);
        if (!m["research_only"].get<bool>()) continue;
        deployments.push_back({{"id", d.id}, {"name", d.spec.name}, {"status", DeploymentStatusName(d.status)},
                               {"recogniser", m}});
        warnings.push_back("Deployment " + d.spec.name + " (" + DeploymentStatusName(d.status) + ") uses " +
                           d.recogniser_id + ", licensed for research or non-commercial use only (" +
                           m["licence"].get<std::string>() + "): do not use it operationally.");
      }
    }
    SendJson(res, 200, {{"recogniser", recogniser},
                        {"research_only_deployments", deployments},
                        {"licence_warnings", warnings}});
  });
}

}  // namespace lfr::server
