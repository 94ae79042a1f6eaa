#include "store/text_fields.h"

namespace lfr {
namespace {

struct Field {
  const char* name;
  std::string_view value;
  size_t max;
  TextKind kind = TextKind::kLine;
};

template <size_t N>
Status CheckAll(const Field (&fields)[N], std::string_view prefix) {
  for (const Field& f : fields) {
    LFR_RETURN_IF_ERROR(
        CheckText(f.value, std::string(prefix) + "'" + f.name + "'", f.max, f.kind));
  }
  return Status::Ok();
}

}  // namespace

Status CheckDeploymentText(const DeploymentSpec& s, std::string_view prefix) {
  using namespace text_limits;
  const Field fields[] = {{"name", s.name, kName},
                          {"site", s.site, kPlace},
                          {"location", s.location, kPlace},
                          {"purpose", s.purpose, kPurpose, TextKind::kMultiLine},
                          {"legal_basis", s.legal_basis, kLegalBasis, TextKind::kMultiLine},
                          {"authorising_officer", s.authorising_officer, kName},
                          {"threshold", s.threshold, 40},
                          {"contact", s.contact, kContact}};
  return CheckAll(fields, prefix);
}

Status CheckCameraText(const Camera& c, std::string_view prefix) {
  using namespace text_limits;
  const Field fields[] = {{"name", c.name, kName}, {"uri", c.uri, 2000}, {"position", c.position, kPlace}};
  return CheckAll(fields, prefix);
}

Status CheckEntryText(const WatchlistEntry& m, std::string_view prefix) {
  using namespace text_limits;
  const Field fields[] = {{"reference", m.reference, kReference},
                          {"name", m.display_name, kName},
                          {"category", m.category, kCategory},
                          {"reason", m.reason, kReason, TextKind::kMultiLine},
                          {"image_source", m.image_source, kImageSource}};
  return CheckAll(fields, prefix);
}

Status CheckDecisionText(const AlertDecision& d, std::string_view prefix) {
  const Field fields[] = {{"note", d.note, text_limits::kNote, TextKind::kMultiLine}};
  return CheckAll(fields, prefix);
}

Status CheckNoticeText(std::string_view text, std::string_view prefix) {
  const Field fields[] = {{"text", text, text_limits::kNotice, TextKind::kMultiLine}};
  return CheckAll(fields, prefix);
}

}  // namespace lfr
