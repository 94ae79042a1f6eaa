#include "models/catalog.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "models/catalog_data.h"

namespace lfr {

using nlohmann::json;

const char* RoleName(ModelRole r) {
  switch (r) {
    case ModelRole::kDetector: return "detector";
    case ModelRole::kRecogniser: return "recogniser";
  }
  return "unknown";
}

uint64_t ModelSpec::total_size() const {
  uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  return total;
}

const ModelSpec* Catalog::Find(const std::string& id) const {
  for (const auto& m : models_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

namespace {

// The card formats each role can run.
bool FormatFitsRole(const std::string& format, ModelRole role) {
  if (role == ModelRole::kDetector) return format == "yunet" || format == "scrfd";
  return format == "onnx" || format == "caffe";
}
bool KnownFormat(const std::string& format) {
  return FormatFitsRole(format, ModelRole::kDetector) ||
         FormatFitsRole(format, ModelRole::kRecogniser);
}

bool IsLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Ids and file names become path components of the store, so they must be plain names:
// no separators, not "." or "..", and not hidden (the store's temp files start with '.').
bool IsPlainName(const std::string& s) {
  if (s.empty() || s[0] == '.') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

// A relative path inside the mirror folder: no absolute paths, no "..".
bool IsSafeRelativePath(const std::string& s) {
  if (s.empty() || s[0] == '/') return false;
  std::stringstream parts(s);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return s.back() != '/';
}

// Thrown inside the parser with the field path; turned into an InvalidArgument naming the
// entry. Never escapes this file.
struct FieldError {
  std::string message;  // "files[0].sha256 is not 64 hex digits"
};

[[noreturn]] void Bad(const std::string& field, const std::string& what) {
  throw FieldError{field + " " + what};
}

const json& Required(const json& obj, const std::string& key, const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) Bad(field, "is missing");
  return *it;
}

std::string GetString(const json& obj, const std::string& key, const std::string& prefix,
                      bool required, bool non_empty) {
  const std::string field = prefix + key;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) Bad(field, "is missing");
    return "";
  }
  if (!it->is_string()) Bad(field, "must be a string");
  std::string v = it->get<std::string>();
  if (non_empty && v.empty()) Bad(field, "must not be empty");
  return v;
}

int64_t GetInt(const json& obj, const std::string& key, const std::string& prefix, bool required,
               int64_t fallback) {
  const std::string field = prefix + key;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) Bad(field, "is missing");
    return fallback;
  }
  if (!it->is_number_integer()) Bad(field, "must be an integer");
  return it->get<int64_t>();
}

float GetFloat(const json& obj, const std::string& key, const std::string& prefix, float fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_number()) Bad(prefix + key, "must be a number");
  return it->get<float>();
}

bool GetBool(const json& obj, const std::string& key, const std::string& prefix, bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) Bad(prefix + key, "must be true or false");
  return it->get<bool>();
}

ModelFile ParseFile(const json& j, const std::string& prefix) {
  if (!j.is_object()) Bad(prefix.substr(0, prefix.size() - 1), "must be an object");
  ModelFile f;
  f.name = GetString(j, "name", prefix, true, true);
  if (!IsPlainName(f.name)) {
    Bad(prefix + "name", "\"" + f.name + "\" must be a plain file name (no '/', not starting with '.')");
  }
  const json& size = Required(j, "size", prefix + "size");
  if (!size.is_number_integer()) Bad(prefix + "size", "must be an integer");
  if (!size.is_number_unsigned() || size.get<uint64_t>() == 0) Bad(prefix + "size", "must be > 0");
  f.size = size.get<uint64_t>();
  f.sha256 = GetString(j, "sha256", prefix, true, false);
  if (!IsLowerHex64(f.sha256)) Bad(prefix + "sha256", "is not 64 hex digits");
  if (auto it = j.find("urls"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) Bad(prefix + "urls", "must be an array of strings");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& u = (*it)[i];
      const std::string field = prefix + "urls[" + std::to_string(i) + "]";
      if (!u.is_string() || u.get<std::string>().empty()) Bad(field, "must be a non-empty string");
      f.urls.push_back(u.get<std::string>());
    }
  }
  f.mirror_path = GetString(j, "mirror_path", prefix, false, false);
  if (f.mirror_path.empty()) f.mirror_path = f.name;
  if (!IsSafeRelativePath(f.mirror_path)) {
    Bad(prefix + "mirror_path", "\"" + f.mirror_path + "\" must be a relative path without '..'");
  }
  f.source_note = GetString(j, "source_note", prefix, false, false);
  if (auto it = j.find("derived_from"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) Bad(prefix + "derived_from", "must be an array of files");
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string sub = prefix + "derived_from[" + std::to_string(i) + "].";
      if ((*it)[i].contains("derived_from")) Bad(sub + "derived_from", "must not be nested");
      f.derived_from.push_back(ParseFile((*it)[i], sub));
    }
  }
  return f;
}

ModelCard ParseCard(const json& j, ModelRole role) {
  const std::string p = "card.";
  if (!j.is_object()) Bad("card", "must be an object");
  ModelCard c;
  c.format = GetString(j, "format", p, true, true);
  if (!KnownFormat(c.format)) {
    Bad(p + "format", "\"" + c.format + "\" is unknown (expected yunet, scrfd, onnx or caffe)");
  }
  if (!FormatFitsRole(c.format, role)) {
    Bad(p + "format", "\"" + c.format + "\" cannot run a " + RoleName(role));
  }
  const bool recogniser = role == ModelRole::kRecogniser;
  int64_t w = GetInt(j, "input_width", p, recogniser, 0);
  int64_t h = GetInt(j, "input_height", p, recogniser, 0);
  if (recogniser && w <= 0) Bad(p + "input_width", "must be > 0 for a recogniser");
  if (recogniser && h <= 0) Bad(p + "input_height", "must be > 0 for a recogniser");
  if (w < 0 || w > 16384) Bad(p + "input_width", "is out of range");
  if (h < 0 || h > 16384) Bad(p + "input_height", "is out of range");
  c.input_width = static_cast<int>(w);
  c.input_height = static_cast<int>(h);
  c.swap_rb = GetBool(j, "swap_rb", p, false);
  if (auto it = j.find("mean"); it != j.end() && !it->is_null()) {
    if (!it->is_array() || it->size() != 3) Bad(p + "mean", "must be an array of 3 numbers");
    for (size_t i = 0; i < 3; ++i) {
      if (!(*it)[i].is_number()) Bad(p + "mean", "must be an array of 3 numbers");
      c.mean[i] = (*it)[i].get<float>();
    }
  }
  c.scale = GetFloat(j, "scale", p, 1.0f);
  c.output_blob = GetString(j, "output_blob", p, false, false);
  c.verify_threshold = GetFloat(j, "verify_threshold", p, 0.0f);
  c.score_threshold = GetFloat(j, "score_threshold", p, 0.0f);
  c.nms_threshold = GetFloat(j, "nms_threshold", p, 0.0f);
  int64_t mb = GetInt(j, "max_batch", p, false, 0);
  if (mb < 0 || mb > 4096) Bad(p + "max_batch", "must be 0 (any) to 4096");
  c.max_batch = static_cast<int>(mb);
  if (recogniser) {
    int64_t e = GetInt(j, "embedding_size", p, true, 0);
    if (e <= 0 || e > 65536) Bad(p + "embedding_size", "must be > 0 for a recogniser");
    c.embedding_size = static_cast<int>(e);
    const json& t = Required(j, "alignment_template", p + "alignment_template");
    if (!t.is_array() || t.size() != 5) {
      Bad(p + "alignment_template", "must be 5 [x, y] points");
    }
    for (const json& pt : t) {
      if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number() || !pt[1].is_number()) {
        Bad(p + "alignment_template", "must be 5 [x, y] points");
      }
      c.alignment_template.push_back({pt[0].get<float>(), pt[1].get<float>()});
    }
  }
  return c;
}

ModelSpec ParseModel(const json& j) {
  ModelSpec m;
  m.id = GetString(j, "id", "", true, true);
  if (!IsPlainName(m.id)) Bad("id", "must be a plain name (letters, digits, '.', '_', '-')");
  const std::string role = GetString(j, "role", "", true, true);
  if (role == "detector") {
    m.role = ModelRole::kDetector;
  } else if (role == "recogniser") {
    m.role = ModelRole::kRecogniser;
  } else {
    Bad("role", "\"" + role + "\" is unknown (expected detector or recogniser)");
  }
  int64_t priority = GetInt(j, "priority", "", false, 0);
  if (priority < -1000000 || priority > 1000000) Bad("priority", "is out of range");
  m.priority = static_cast<int>(priority);
  m.description = GetString(j, "description", "", false, false);
  m.licence = GetString(j, "licence", "", true, true);
  m.licence_note = GetString(j, "licence_note", "", true, true);
  const json& files = Required(j, "files", "files");
  if (!files.is_array()) Bad("files", "must be an array");
  if (files.empty()) Bad("files", "must not be empty");
  std::set<std::string> names;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string prefix = "files[" + std::to_string(i) + "].";
    m.files.push_back(ParseFile(files[i], prefix));
    if (!names.insert(m.files.back().name).second) {
      Bad(prefix + "name", "\"" + m.files.back().name + "\" is used twice");
    }
  }
  m.card = ParseCard(Required(j, "card", "card"), m.role);
  return m;
}

}  // namespace

Result<Catalog> Catalog::Parse(const std::string& json_text) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument(std::string("catalogue is not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) return Status::InvalidArgument("catalogue must be a JSON object");
  if (auto f = doc.find("format"); f != doc.end()) {
    if (!f->is_number_integer() || f->get<int64_t>() != 1) {
      return Status::InvalidArgument("catalogue format " + f->dump() +
                                     " is not supported (this build reads format 1)");
    }
  }
  auto models = doc.find("models");
  if (models == doc.end() || !models->is_array()) {
    return Status::InvalidArgument("catalogue has no \"models\" array");
  }
  Catalog catalog;
  std::set<std::string> ids;
  for (size_t i = 0; i < models->size(); ++i) {
    const json& entry = (*models)[i];
    // Name the entry by its id when it has a usable one, else by its position.
    std::string name = "catalogue entry #" + std::to_string(i);
    if (entry.is_object()) {
      if (auto id = entry.find("id"); id != entry.end() && id->is_string() &&
                                      !id->get<std::string>().empty()) {
        name = "catalogue entry \"" + id->get<std::string>() + "\"";
      }
    } else {
      return Status::InvalidArgument(name + " must be an object");
    }
    try {
      ModelSpec spec = ParseModel(entry);
      if (!ids.insert(spec.id).second) {
        return Status::InvalidArgument(name + ": id is a duplicate (ids must be unique)");
      }
      catalog.models_.push_back(std::move(spec));
    } catch (const FieldError& e) {
      return Status::InvalidArgument(name + ": " + e.message);
    } catch (const json::exception& e) {  // e.g. a number out of range for its type
      return Status::InvalidArgument(name + ": " + e.what());
    }
  }
  return catalog;
}

Result<Catalog> Catalog::Load() {
  const char* path = std::getenv("LFR_CATALOG");
  if (path == nullptr || *path == '\0') return Parse(kBuiltinCatalogJson);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(std::string("cannot open catalogue ") + path + " (LFR_CATALOG)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError(std::string("cannot read catalogue ") + path);
  auto catalog = Parse(text.str());
  if (!catalog.ok()) {
    return Status::InvalidArgument(std::string(path) + ": " + catalog.status().message());
  }
  return catalog;
}

}  // namespace lfr
