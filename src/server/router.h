// Router: the routing table of `lfr serve`, filled with cpp-httplib-shaped handlers and
// served by the event-driven transport (server/transport.h).
//
// Routes are declared like cpp-httplib's (Get/Post/Put/Patch/Delete with a regular
// expression for the whole path); handlers get an httplib::Request/Response used as plain
// data carriers: method, path (percent-decoded), headers, params (query string), matches
// (the path's regex groups), body, files (multipart/form-data parts) and remote_addr.
//
// Each route may carry a Precheck that the transport runs on the request HEADER, before a
// byte of the body is read: authenticated routes use it to refuse a request without a
// valid session before its body costs anything. Guards run before every route whose path
// they match (the /metrics access check). Stream routes (Server-Sent Events) are served by
// the transport itself, never by a worker thread.
//
// Thread-safety: declare every route before the transport starts; afterwards the table is
// only read (from any thread).
#ifndef LFR_SERVER_ROUTER_H_
#define LFR_SERVER_ROUTER_H_

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>

namespace lfr::server {

class Router {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // What a header-only check decided.
  enum class Gate {
    kPass,               // read the body and run the handler
    kAnswerNow,          // send the response the check wrote; no body, no handler
    kHandleWithoutBody,  // run the handler without reading the body (it answers the failure
                         // itself, e.g. 401 and an audit row); the connection then closes
  };
  // Runs on the I/O thread: must be quick and must not block (memory only).
  using Precheck = std::function<Gate(const httplib::Request&, httplib::Response&)>;
  // Admits an event stream (filling *session, the key per-session caps count by) or writes
  // the refusal into res and returns false. Runs on the I/O thread.
  using Admit = std::function<bool(const httplib::Request&, httplib::Response&, std::string* session)>;
  // Told (on a worker) about a refused stream, for the audit log.
  using Denied = std::function<void(const httplib::Request&, const httplib::Response&)>;

  struct Route {
    std::string method;
    std::string pattern;
    std::regex re;
    Handler handler;
    Precheck precheck;   // may be empty
    bool stream = false;
    Admit admit;
    Denied denied;
  };

  Router& Get(const std::string& pattern, Handler h) { return Add("GET", pattern, std::move(h)); }
  Router& Post(const std::string& pattern, Handler h) { return Add("POST", pattern, std::move(h)); }
  Router& Put(const std::string& pattern, Handler h) { return Add("PUT", pattern, std::move(h)); }
  Router& Patch(const std::string& pattern, Handler h) { return Add("PATCH", pattern, std::move(h)); }
  Router& Delete(const std::string& pattern, Handler h) { return Add("DELETE", pattern, std::move(h)); }
  Router& Add(const std::string& method, const std::string& pattern, Handler h, Precheck precheck = nullptr);
  // A GET route served as a Server-Sent Events stream by the transport.
  Router& Stream(const std::string& pattern, Admit admit, Denied denied);
  // A check run before any route whose whole path matches pattern.
  Router& Guard(const std::string& pattern, Precheck check);

  // The route for method and path, or null; *path_known tells whether another method
  // would have matched (405 rather than 404).
  const Route* Find(const std::string& method, const std::string& path, bool* path_known) const;
  // The guards whose pattern matches path.
  std::vector<const Precheck*> GuardsFor(const std::string& path) const;

 private:
  std::vector<Route> routes_;
  std::vector<std::pair<std::regex, Precheck>> guards_;
};

}  // namespace lfr::server

#endif  // LFR_SERVER_ROUTER_H_
