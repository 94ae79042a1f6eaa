// Retrospective facial recognition over HTTP (issue 10): the galleries (supervisors manage
// them; investigators and auditors read their metadata) and the searches (investigators
// run and review them; supervisors and auditors read every search's record). The handlers
// call the same services as `lfr gallery` and `lfr search` (store/gallery_store.h,
// search/retrospective.h, gallery/import.h through server/retrospective_service.h).
//
// The probe of a search arrives in the request body (multipart field "image", or JSON
// "image_base64"), is decoded in memory and never stored: the search record and its audit
// row keep its SHA-256. Bad input — a missing gallery, case reference or reason, an unknown
// gallery, an image above the pixel limit, not an image, no face, a face number the probe
// does not have — is refused (4xx with the reason) before anything is recorded. A probe
// with several faces is not refused: as in the CLI, the largest is searched unless "face"
// names another, and the answer lists every face (and says which was searched).
//
// Need-to-know: an investigator sees the searches it made and, in galleries whose policy
// asks for two reviewers, the searches awaiting (or holding) its independent review.
#include <sodium.h>

#include <filesystem>

#include "gallery/gallery_json.h"
#include "search/retrospective.h"
#include "server/api.h"
#include "server/retrospective_service.h"
#include "vision/image_io.h"

namespace lfr::server {
namespace {
using nlohmann::json;

GalleryStore* Galleries(Api& api, httplib::Response& res) {
  GalleryStore* g = api.store->galleries();
  if (g == nullptr) SendError(res, 503, "this store holds no galleries");
  return g;
}

// A form field of a multipart upload, "" if absent.
std::string Field(const httplib::Request& req, const char* name) {
  return req.has_file(name) ? req.get_file_value(name).content : "";
}

// The gallery of the first path group (or the error response sent).
std::optional<Gallery> LoadGallery(Api& api, const httplib::Request& req, httplib::Response& res) {
  GalleryStore* galleries = Galleries(api, res);
  if (galleries == nullptr) return std::nullopt;
  auto id = ParseId(req.matches[1], "gallery id");
  if (!id.ok()) {
    SendStatus(res, id.status());
    return std::nullopt;
  }
  auto g = galleries->FindGallery(std::to_string(*id));
  if (!g.ok()) {
    SendStatus(res, g.status());
    return std::nullopt;
  }
  return *g;
}

// Investigators: their own searches, and those of two-reviewer galleries awaiting (or
// holding) their independent review. Everyone else with the permission: every search.
bool MaySeeSearch(Api& api, const Caller& caller, const SearchRecord& s) {
  if (caller.session.role != Role::kInvestigator || s.searched_by == caller.actor.name) return true;
  auto g = api.store->galleries()->FindGallery(std::to_string(s.gallery_id));
  if (!g.ok() || g->spec.reviewers_required < 2) return false;
  for (const SearchReview& r : s.reviews) {
    if (r.reviewer == caller.actor.name) return true;
  }
  return s.outcome == kOutcomePending;
}

std::optional<SearchRecord> LoadSearch(Api& api, const httplib::Request& req, httplib::Response& res,
                                       const Caller& caller) {
  GalleryStore* galleries = Galleries(api, res);
  if (galleries == nullptr) return std::nullopt;
  auto id = ParseId(req.matches[1], "search id");
  if (!id.ok()) {
    SendStatus(res, id.status());
    return std::nullopt;
  }
  auto s = galleries->GetSearch(*id);
  if (!s.ok()) {
    SendStatus(res, s.status());
    return std::nullopt;
  }
  if (!MaySeeSearch(api, caller, *s)) {
    SendError(res, 403, "investigators see only their own searches (and those awaiting their second review)");
    return std::nullopt;
  }
  return *s;
}

// ---- Galleries ------------------------------------------------------------------------

Result<GallerySpec> ParseGallerySpec(const json& body) {
  GallerySpec spec;
  for (const auto& [field, out, max] :
       {std::tuple<const char*, std::string*, size_t>{"name", &spec.name, text_limits::kName},
        {"purpose", &spec.purpose, text_limits::kPurpose},
        {"legal_basis", &spec.legal_basis, text_limits::kLegalBasis},
        {"owner", &spec.owner, text_limits::kName}}) {
    auto v = RequiredString(body, field, max);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  for (const auto& [field, out, lo, hi] :
       {std::tuple<const char*, int*, int64_t, int64_t>{"review_days", &spec.review_days, 1, 36500},
        {"reviewers_required", &spec.reviewers_required, 1, 2},
        {"search_retention_days", &spec.search_retention_days, 1, 36500}}) {
    auto v = OptionalInt(body, field, lo, hi);
    if (!v.ok()) return v.status();
    if (v->has_value()) *out = static_cast<int>(**v);
  }
  return spec;
}

void CreateGallery(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  GalleryStore* galleries = Galleries(api, res);
  if (galleries == nullptr) return;
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  auto spec = ParseGallerySpec(*body);
  if (!spec.ok()) return SendStatus(res, spec.status());
  if (api.options->recogniser_id.empty()) {
    return SendError(res, 503, "no recogniser model is installed: run `lfr models fetch`");
  }
  auto g = galleries->CreateGallery(*spec, api.options->recogniser_id, caller.actor);
  if (!g.ok()) return SendStatus(res, g.status());
  SendJson(res, 201, GalleryJson(*g));
}

// Multipart: one or more files in field "images" (each one record, its reference the file
// name without extension, as a folder import), optional capture_date and source for all.
void ImportGallery(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto g = LoadGallery(api, req, res);
  if (!g) return;
  if (!req.is_multipart_form_data() || !req.has_file("images")) {
    return SendError(res, 400, "upload the images as multipart/form-data, one or more files in field 'images' "
                               "(each file's name without extension is its record reference), with optional "
                               "fields capture_date (YYYY-MM-DD) and source");
  }
  std::vector<GalleryImportItem> items;
  auto [first, last] = req.files.equal_range("images");
  for (auto it = first; it != last; ++it) {
    const httplib::MultipartFormData& part = it->second;
    GalleryImportItem item;
    item.image = std::filesystem::path(part.filename).filename();
    item.meta.reference = item.image.stem().string();
    item.meta.capture_date = Field(req, "capture_date");
    item.meta.source = Field(req, "source");
    item.bytes = part.content;
    if (item.bytes.empty()) return SendError(res, 400, "file '" + part.filename + "' in field 'images' is empty");
    items.push_back(std::move(item));
  }
  if (api.retrospective == nullptr) {
    return SendError(res, 503, "gallery imports are not available (no models loaded)");
  }
  auto sum = api.retrospective->Import(*g, items, "upload", caller.actor);
  if (!sum.ok()) return SendStatus(res, sum.status());
  SendJson(res, 200, {{"gallery", g->id},
                      {"images", sum->images},
                      {"imported", sum->imported},
                      {"rejected", sum->rejections},
                      {"possible_duplicates", sum->possible_duplicates},
                      {"warnings", sum->warnings}});
}

void RegisterGalleryRoutes(Api& api) {
  api.Route("GET", "/api/galleries", Permission::kReadGalleries,
            [&api](const httplib::Request&, httplib::Response& res, const Caller&) {
              GalleryStore* galleries = Galleries(api, res);
              if (galleries == nullptr) return;
              auto list = galleries->ListGalleries();
              if (!list.ok()) return SendStatus(res, list.status());
              json out = json::array();
              for (const Gallery& g : *list) out.push_back(GalleryJson(g));
              SendJson(res, 200, {{"galleries", out}});
            });
  api.Route("POST", "/api/galleries", Permission::kManageGalleries,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              CreateGallery(api, req, res, c);
            });
  api.Route("GET", R"(/api/galleries/(\d+))", Permission::kReadGalleries,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller&) {
              if (auto g = LoadGallery(api, req, res)) SendJson(res, 200, GalleryJson(*g));
            });
  api.Route("GET", R"(/api/galleries/(\d+)/records)", Permission::kManageGalleries,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              auto g = LoadGallery(api, req, res);
              if (!g) return;
              auto records = api.store->galleries()->ListGalleryRecords(g->id, req.get_param_value("removed") == "1",
                                                                        c.actor);
              if (!records.ok()) return SendStatus(res, records.status());
              json out = json::array();
              for (const GalleryRecord& r : *records) out.push_back(GalleryRecordJson(r));
              SendJson(res, 200, {{"gallery", GalleryJson(*g)}, {"records", out}});
            });
  api.Route("POST", R"(/api/galleries/(\d+)/import)", Permission::kManageGalleries,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              ImportGallery(api, req, res, c);
            });
  api.Route("DELETE", R"(/api/galleries/(\d+))", Permission::kManageGalleries,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              auto g = LoadGallery(api, req, res);
              if (!g) return;
              if (Status s = api.store->galleries()->DeleteGallery(g->id, c.actor); !s.ok()) {
                return SendStatus(res, s);
              }
              if (api.retrospective) (void)api.retrospective->GalleryDeleted(g->id);
              SendJson(res, 200, {{"deleted", true}, {"gallery", g->id}});
            });
  api.Route("POST", R"(/api/gallery-records/(\d+)/removal)", Permission::kManageGalleries,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              GalleryStore* galleries = Galleries(api, res);
              if (galleries == nullptr) return;
              auto id = ParseId(req.matches[1], "record id");
              if (!id.ok()) return SendStatus(res, id.status());
              auto body = JsonBody(req);
              if (!body.ok()) return SendStatus(res, body.status());
              auto reason = RequiredString(*body, "reason", text_limits::kNote, TextKind::kMultiLine);
              if (!reason.ok()) return SendStatus(res, reason.status());
              if (Status s = galleries->RemoveGalleryRecord(*id, *reason, c.actor); !s.ok()) {
                return SendStatus(res, s);
              }
              auto r = galleries->GetGalleryRecord(*id);
              if (!r.ok()) return SendStatus(res, r.status());
              // The face leaves the index in memory now (searches also check the version).
              if (api.retrospective) (void)api.retrospective->GalleryChanged(r->gallery_id, c.actor);
              SendJson(res, 200, GalleryRecordJson(*r));
            });
}

// ---- Searches ---------------------------------------------------------------------------

// A search request from a multipart form (image, gallery, case, reason, face, top) or a
// JSON body (image_base64 and the same fields).
struct SearchForm {
  std::string image, gallery;
  SearchRequest request;
};

Result<int> IntField(const std::string& text, const char* field, int lo, int hi) {
  auto v = ParseId(text, field);
  if (!v.ok() || *v < lo || *v > hi) {
    return Status::InvalidArgument(std::string("field '") + field + "' must be a number from " +
                                   std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<int>(*v);
}

Result<SearchForm> ParseSearchForm(const httplib::Request& req) {
  SearchForm f;
  std::string face, top;
  if (req.is_multipart_form_data()) {
    f.image = Field(req, "image");
    f.gallery = Field(req, "gallery");
    f.request.case_reference = Field(req, "case");
    f.request.reason = Field(req, "reason");
    face = Field(req, "face");
    top = Field(req, "top");
    for (const auto& [field, value, max] :
         {std::tuple<const char*, const std::string*, size_t>{"gallery", &f.gallery, text_limits::kName},
          {"case", &f.request.case_reference, text_limits::kReference},
          {"reason", &f.request.reason, text_limits::kNote}}) {
      LFR_RETURN_IF_ERROR(CheckText(*value, std::string("field '") + field + "'", max));
    }
  } else {
    auto body = JsonBody(req);
    if (!body.ok()) {
      return Status::InvalidArgument("send the probe as multipart/form-data (fields image, gallery, case, reason, "
                                     "optional face and top) or as JSON with image_base64: " +
                                     body.status().message());
    }
    auto image = OptionalString(*body, "image_base64", size_t{64} << 20, TextKind::kMultiLine);
    if (!image.ok()) return image.status();
    if (image->has_value()) {
      const std::string& b64 = **image;
      f.image.resize(b64.size() / 4 * 3 + 3);
      size_t len = 0;
      if (sodium_base642bin(reinterpret_cast<unsigned char*>(f.image.data()), f.image.size(), b64.data(),
                            b64.size(), " \r\n", &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
        return Status::InvalidArgument("field 'image_base64' is not base64");
      }
      f.image.resize(len);
    }
    for (const auto& [field, out, max] :
         {std::tuple<const char*, std::string*, size_t>{"gallery", &f.gallery, text_limits::kName},
          {"case", &f.request.case_reference, text_limits::kReference},
          {"reason", &f.request.reason, text_limits::kNote}}) {
      auto v = OptionalString(*body, field, max);
      if (!v.ok()) return v.status();
      *out = v->value_or("");
    }
    for (const auto& [field, out] : {std::pair<const char*, std::string*>{"face", &face}, {"top", &top}}) {
      auto v = OptionalInt(*body, field, 0, 1000000);
      if (!v.ok()) return v.status();
      if (v->has_value()) *out = std::to_string(**v);
    }
  }
  auto blank = [](const std::string& v) { return v.find_first_not_of(" \t\r\n") == std::string::npos; };
  if (f.image.empty()) return Status::InvalidArgument("field 'image' (the probe image) is required");
  if (blank(f.gallery)) return Status::InvalidArgument("field 'gallery' (the gallery to search) is required");
  if (blank(f.request.case_reference)) return Status::InvalidArgument("field 'case' (the case reference) is required");
  if (blank(f.request.reason)) return Status::InvalidArgument("field 'reason' (why this search is made) is required");
  if (!face.empty()) {
    auto n = IntField(face, "face", 1, 1000);
    if (!n.ok()) return n.status();
    f.request.face = *n;
  }
  if (!top.empty()) {
    auto n = IntField(top, "top", 1, kMaxSearchTop);
    if (!n.ok()) return n.status();
    f.request.top = *n;
  }
  return f;
}

void RunSearch(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  GalleryStore* galleries = Galleries(api, res);
  if (galleries == nullptr) return;
  auto form = ParseSearchForm(req);
  if (!form.ok()) return SendStatus(res, form.status());
  auto g = galleries->FindGallery(form->gallery);
  if (!g.ok()) return SendStatus(res, g.status());
  // Above the pixel limit: refused from the header, before anything is decoded.
  if (Status s = CheckImagePixels(form->image, "the probe"); !s.ok()) {
    return SendJson(res, 422, {{"error", s.message()}});
  }
  if (api.retrospective == nullptr) return SendError(res, 503, "searches are not available (no models loaded)");
  auto out = api.retrospective->Search(form->image, *g, form->request, caller.actor);
  sodium_memzero(form->image.data(), form->image.size());
  if (!out.ok()) return SendStatus(res, out.status());
  json j = SearchOutcomeJson(*out, *g);
  if (out->faces.size() > 1 && form->request.face == 0) {
    j["notice"] = "the probe shows " + std::to_string(out->faces.size()) +
                  " faces; the largest (face 1) was searched - pick another with the field 'face'";
  }
  SendJson(res, 201, j);
}

// The candidate of the second path group (rank) of a visible search.
std::optional<SearchCandidate> LoadCandidate(const SearchRecord& s, const httplib::Request& req,
                                             httplib::Response& res) {
  auto rank = ParseId(req.matches[2], "candidate rank");
  if (!rank.ok()) {
    SendStatus(res, rank.status());
    return std::nullopt;
  }
  for (const SearchCandidate& c : s.candidates) {
    if (c.rank == *rank) return c;
  }
  SendError(res, 404, "search " + std::to_string(s.id) + " has no candidate " + std::to_string(*rank));
  return std::nullopt;
}

void ReviewCandidate(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  auto s = LoadSearch(api, req, res, caller);
  if (!s) return;
  auto c = LoadCandidate(*s, req, res);
  if (!c) return;
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  auto decision_text = RequiredString(*body, "decision", 20);
  if (!decision_text.ok()) return SendStatus(res, decision_text.status());
  ReviewDecision decision;
  if (!ParseReviewDecision(*decision_text, &decision)) {
    return SendError(res, 400, "field 'decision': '" + *decision_text + "' is not one of possible, excluded");
  }
  auto note = OptionalString(*body, "note", text_limits::kNote, TextKind::kMultiLine);
  if (!note.ok()) return SendStatus(res, note.status());
  auto reviewed = api.store->galleries()->ReviewSearchCandidate(s->id, c->rank, decision, note->value_or(""),
                                                                caller.actor);
  if (!reviewed.ok()) return SendStatus(res, reviewed.status());
  SendJson(res, 200, SearchJson(*reviewed));
}

void ListSearches(Api& api, const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  GalleryStore* galleries = Galleries(api, res);
  if (galleries == nullptr) return;
  std::optional<int64_t> gallery;
  if (req.has_param("gallery")) {
    auto id = ParseId(req.get_param_value("gallery"), "query parameter 'gallery'");
    if (!id.ok()) return SendStatus(res, id.status());
    gallery = *id;
  }
  int limit = 50;
  if (req.has_param("limit")) {
    auto n = IntField(req.get_param_value("limit"), "limit", 1, 1000);
    if (!n.ok()) return SendStatus(res, n.status());
    limit = *n;
  }
  // Investigators' need-to-know filter runs after the store's limit: read more, keep `limit`.
  const int read = caller.session.role == Role::kInvestigator ? 10000 : limit;
  auto list = galleries->ListSearches(gallery, read);
  if (!list.ok()) return SendStatus(res, list.status());
  json out = json::array();
  for (const SearchRecord& s : *list) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (MaySeeSearch(api, caller, s)) out.push_back(SearchJson(s));
  }
  SendJson(res, 200, {{"searches", out}});
}

void RegisterSearchRoutes(Api& api) {
  api.Route("POST", "/api/searches", Permission::kSearchGalleries,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              RunSearch(api, req, res, c);
            });
  api.Route("GET", "/api/searches", Permission::kReadSearches,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              ListSearches(api, req, res, c);
            });
  api.Route("GET", R"(/api/searches/(\d+))", Permission::kReadSearches,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              if (auto s = LoadSearch(api, req, res, c)) SendJson(res, 200, SearchJson(*s));
            });
  api.Route("GET", R"(/api/searches/(\d+)/candidates/(\d+)/image)", Permission::kSearchGalleries,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              auto s = LoadSearch(api, req, res, c);
              if (!s) return;
              auto cand = LoadCandidate(*s, req, res);
              if (!cand) return;
              auto img = api.store->galleries()->GetGalleryRecordImage(cand->record_id, c.actor);
              if (!img.ok()) return SendStatus(res, img.status());
              SendFaceImage(res, std::string(img->view()));
            });
  api.Route("POST", R"(/api/searches/(\d+)/candidates/(\d+)/review)", Permission::kReviewCandidates,
            [&api](const httplib::Request& req, httplib::Response& res, const Caller& c) {
              ReviewCandidate(api, req, res, c);
            });
}

}  // namespace

void RegisterRetrospectiveRoutes(Api& api) {
  RegisterGalleryRoutes(api);
  RegisterSearchRoutes(api);
}

}  // namespace lfr::server
