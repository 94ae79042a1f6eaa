#include "server/router.h"

namespace lfr::server {

Router& Router::Add(const std::string& method, const std::string& pattern, Handler h, Precheck precheck) {
  Route r;
  r.method = method;
  r.pattern = pattern;
  r.re = std::regex(pattern);
  r.handler = std::move(h);
  r.precheck = std::move(precheck);
  routes_.push_back(std::move(r));
  return *this;
}

Router& Router::Stream(const std::string& pattern, Admit admit, Denied denied) {
  Route r;
  r.method = "GET";
  r.pattern = pattern;
  r.re = std::regex(pattern);
  r.stream = true;
  r.admit = std::move(admit);
  r.denied = std::move(denied);
  routes_.push_back(std::move(r));
  return *this;
}

Router& Router::Guard(const std::string& pattern, Precheck check) {
  guards_.emplace_back(std::regex(pattern), std::move(check));
  return *this;
}

const Router::Route* Router::Find(const std::string& method, const std::string& path,
                                  bool* path_known) const {
  *path_known = false;
  for (const Route& r : routes_) {
    if (!std::regex_match(path, r.re)) continue;
    if (r.method == method) return &r;
    *path_known = true;
  }
  return nullptr;
}

std::vector<const Router::Precheck*> Router::GuardsFor(const std::string& path) const {
  std::vector<const Precheck*> out;
  for (const auto& [re, check] : guards_) {
    if (std::regex_match(path, re)) out.push_back(&check);
  }
  return out;
}

}  // namespace lfr::server
