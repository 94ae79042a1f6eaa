#include "server/http.h"

#include <charconv>

#include <sodium.h>

namespace lfr::server {

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk: return 200;
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kFailedPrecondition: return 409;
    case Status::Code::kUnavailable: return 503;
    case Status::Code::kIOError: return 507;
    case Status::Code::kCorrupt:
    case Status::Code::kInternal: return 500;
  }
  return 500;
}

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, status, {{"error", message}});
}

void SendStatus(httplib::Response& res, const Status& s) {
  SendError(res, HttpStatusFor(s), s.message());
}

Result<nlohmann::json> JsonBody(const httplib::Request& req) {
  const std::string type = req.get_header_value("Content-Type");
  if (type.rfind("application/json", 0) != 0) {
    return Status::InvalidArgument("expected a JSON body (Content-Type: application/json), got '" +
                                   (type.empty() ? std::string("none") : type) + "'");
  }
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("the body is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  return j;
}

namespace {
std::string Field(const char* f) { return std::string("field '") + f + "'"; }
}  // namespace

Result<std::string> RequiredString(const nlohmann::json& o, const char* field, size_t max_len,
                                   TextKind kind) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return Status::InvalidArgument(Field(field) + " is required");
  if (!it->is_string()) return Status::InvalidArgument(Field(field) + ": expected a string");
  std::string v = it->get<std::string>();
  if (v.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument(Field(field) + ": must not be empty");
  }
  LFR_RETURN_IF_ERROR(CheckText(v, Field(field), max_len, kind));
  return v;
}

Result<std::optional<std::string>> OptionalString(const nlohmann::json& o, const char* field,
                                                  size_t max_len, TextKind kind) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Status::InvalidArgument(Field(field) + ": expected a string");
  std::string v = it->get<std::string>();
  LFR_RETURN_IF_ERROR(CheckText(v, Field(field), max_len, kind));
  return std::optional<std::string>(std::move(v));
}

Result<std::optional<int64_t>> OptionalInt(const nlohmann::json& o, const char* field, int64_t min,
                                           int64_t max) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return Status::InvalidArgument(Field(field) + ": expected an integer");
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max) {
    return Status::InvalidArgument(Field(field) + ": must be between " + std::to_string(min) +
                                   " and " + std::to_string(max));
  }
  return std::optional<int64_t>(v);
}

Result<std::optional<bool>> OptionalBool(const nlohmann::json& o, const char* field) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return Status::InvalidArgument(Field(field) + ": expected true or false");
  return std::optional<bool>(it->get<bool>());
}

Result<int64_t> ParseId(const std::string& text, const char* what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) {
    return Status::InvalidArgument(std::string(what) + " '" + text + "' is not a number");
  }
  return v;
}

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    const size_t b = part.find_first_not_of(' ');
    if (b != std::string::npos) part = part.substr(b);
    if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 && part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
    pos = end + 1;
  }
  return "";
}

std::string InlineStyleCsp(const std::string& html) {
  std::string hashes;
  size_t pos = 0;
  while ((pos = html.find("<style>", pos)) != std::string::npos) {
    const size_t begin = pos + 7;
    const size_t end = html.find("</style>", begin);
    if (end == std::string::npos) break;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(html.data() + begin), end - begin);
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
    hashes += std::string(" 'sha256-") + b64 + "'";
    pos = end;
  }
  return "default-src 'none'; img-src 'self' data:; style-src" + (hashes.empty() ? std::string(" 'none'") : hashes) +
         "; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
}

void SendStyledHtml(httplib::Response& res, const std::string& html) {
  res.headers.erase("Content-Security-Policy");
  res.set_header("Content-Security-Policy", InlineStyleCsp(html));
  res.set_content(html, "text/html; charset=utf-8");
}

}  // namespace lfr::server
