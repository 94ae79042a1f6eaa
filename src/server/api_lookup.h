// Internal to server/: loading the record a route's path names, shared by the route files.
#ifndef LFR_SERVER_API_LOOKUP_H_
#define LFR_SERVER_API_LOOKUP_H_

#include <optional>

#include "server/api.h"

namespace lfr::server {

// The deployment named by the first path group, or nullopt with the error response sent
// (400 for a bad id, 404 for an unknown deployment).
std::optional<Deployment> LoadDeployment(Api& api, const httplib::Request& req, httplib::Response& res);

}  // namespace lfr::server

#endif  // LFR_SERVER_API_LOOKUP_H_
