// Free text typed by people (names, references, reasons, notes, places, notice text):
// bounded and clean before it is stored, shown in the console or printed on a report.
//
// CheckText refuses, with InvalidArgument naming the field (never echoing the text):
//   - bytes that are not valid UTF-8 (overlong forms and surrogates included);
//   - more than max_chars characters (Unicode code points, not bytes);
//   - control characters (Unicode category Cc: NUL and the other C0 controls, DEL, C1),
//     except tab, line feed and carriage return in multi-line fields;
//   - the bidirectional embedding, override and isolate characters U+202A-U+202E and
//     U+2066-U+2069, which make text display in another order than it is stored (a
//     name that reads differently on screen than in the audit trail).
// Character classes come from utf8proc's Unicode tables. Thread-safe (pure functions).
#ifndef LFR_UTIL_TEXT_H_
#define LFR_UTIL_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "util/status.h"

namespace lfr {

enum class TextKind {
  kLine,       // one line: no control characters at all
  kMultiLine,  // a paragraph: tab, LF and CR allowed
};

// Per-field limits, in characters, shared by the API, the CLI and the store.
namespace text_limits {
constexpr size_t kName = 200;          // people's and cameras' names, user names
constexpr size_t kReference = 200;     // watchlist references
constexpr size_t kCategory = 200;      // watchlist categories
constexpr size_t kImageSource = 500;   // where a watchlist photo comes from
constexpr size_t kPlace = 500;         // sites, locations, camera positions
constexpr size_t kReason = 2000;       // why someone is on a watchlist
constexpr size_t kNote = 2000;         // decision notes, override reasons
constexpr size_t kPurpose = 4000;      // a deployment's purpose
constexpr size_t kLegalBasis = 2000;
constexpr size_t kContact = 1000;
constexpr size_t kNotice = 20000;      // advance notice text
}  // namespace text_limits

// OK, or InvalidArgument "<what>: <problem>", e.g. "field 'name': longer than 200
// characters" or "field 'note': contains a control character (U+0000) at character 4".
Status CheckText(std::string_view text, std::string_view what, size_t max_chars,
                 TextKind kind = TextKind::kLine);

// Whether text is valid UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace lfr

#endif  // LFR_UTIL_TEXT_H_
