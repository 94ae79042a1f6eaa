// Escaping text for HTML and XML (SVG) documents.
//
// Thread-safe (pure functions).
#ifndef LFR_UTIL_ESCAPE_H_
#define LFR_UTIL_ESCAPE_H_

#include <string>
#include <string_view>

namespace lfr {

// s with & < > " ' replaced by entities, so it is safe both as element text and inside a
// quoted attribute value of HTML or XML. Other bytes (UTF-8 included) are kept as they are.
std::string EscapeHtml(std::string_view s);

}  // namespace lfr

#endif  // LFR_UTIL_ESCAPE_H_
