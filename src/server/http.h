// Small helpers the HTTP API handlers share: JSON bodies with typed, named errors, and the
// mapping from Status to HTTP status codes. Internal to server/.
//
// Every error response is JSON {"error": "<message>"} with a 4xx/5xx code; messages name the
// field or thing that was wrong ("field 'name': expected a non-empty string").
#ifndef LFR_SERVER_HTTP_H_
#define LFR_SERVER_HTTP_H_

#include <cstdint>
#include <optional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "util/status.h"
#include "util/text.h"

namespace lfr::server {

// 400 InvalidArgument, 404 NotFound, 409 FailedPrecondition, 503 Unavailable, 507 IOError
// (disk full or read-only), 500 Corrupt/Internal.
int HttpStatusFor(const Status& s);

void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
void SendError(httplib::Response& res, int status, const std::string& message);
void SendStatus(httplib::Response& res, const Status& s);

// The request body as a JSON object. InvalidArgument if the Content-Type is not
// application/json, the body is not JSON, or it is not an object.
Result<nlohmann::json> JsonBody(const httplib::Request& req);

// Typed fields of a JSON object. Required*: InvalidArgument if absent, null or of the wrong
// type; Optional*: nullopt if absent or null, InvalidArgument if of the wrong type. Strings
// are checked with CheckText (util/text.h): more than max_len characters, control
// characters (tab and line breaks allowed in kMultiLine fields), bidi overrides and invalid
// UTF-8 are refused with a message naming the field.
Result<std::string> RequiredString(const nlohmann::json& o, const char* field, size_t max_len = 1000,
                                   TextKind kind = TextKind::kLine);
Result<std::optional<std::string>> OptionalString(const nlohmann::json& o, const char* field,
                                                  size_t max_len = 4000,
                                                  TextKind kind = TextKind::kLine);
Result<std::optional<int64_t>> OptionalInt(const nlohmann::json& o, const char* field,
                                           int64_t min, int64_t max);
Result<std::optional<bool>> OptionalBool(const nlohmann::json& o, const char* field);

// An integer path or query parameter; InvalidArgument naming it if not a decimal int64.
Result<int64_t> ParseId(const std::string& text, const char* what);

// The value of cookie `name` in the request's Cookie header, "" if absent.
std::string CookieValue(const httplib::Request& req, const std::string& name);

// The Content-Security-Policy for a self-contained HTML document (the results report, the
// public notice): its <style> blocks are allowed by their SHA-256 hashes and nothing else
// inline is (no script at all, images only from the server or data: URIs).
std::string InlineStyleCsp(const std::string& html);
// Sends such a document as text/html under InlineStyleCsp (replacing the server's default
// policy, whose style-src 'self' would block the inline style and render it unstyled).
void SendStyledHtml(httplib::Response& res, const std::string& html);

}  // namespace lfr::server

#endif  // LFR_SERVER_HTTP_H_
