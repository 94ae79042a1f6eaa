#include "util/text.h"

#include <cstdint>
#include <cstdio>

#include <utf8proc.h>

namespace lfr {
namespace {

std::string CodePoint(int32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

bool IsBidiControl(int32_t cp) {
  switch (utf8proc_get_property(cp)->bidi_class) {
    case UTF8PROC_BIDI_CLASS_LRE:
    case UTF8PROC_BIDI_CLASS_LRO:
    case UTF8PROC_BIDI_CLASS_RLE:
    case UTF8PROC_BIDI_CLASS_RLO:
    case UTF8PROC_BIDI_CLASS_PDF:
    case UTF8PROC_BIDI_CLASS_LRI:
    case UTF8PROC_BIDI_CLASS_RLI:
    case UTF8PROC_BIDI_CLASS_FSI:
    case UTF8PROC_BIDI_CLASS_PDI:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status CheckText(std::string_view text, std::string_view what, size_t max_chars, TextKind kind) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  size_t left = text.size();
  size_t chars = 0;
  while (left > 0) {
    int32_t cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(left), &cp);
    if (n <= 0) {
      return Status::InvalidArgument(std::string(what) + ": not valid UTF-8 (at byte " +
                                     std::to_string(text.size() - left + 1) + ")");
    }
    ++chars;
    if (chars > max_chars) {
      return Status::InvalidArgument(std::string(what) + ": longer than " + std::to_string(max_chars) +
                                     " characters");
    }
    if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CC &&
        !(kind == TextKind::kMultiLine && (cp == '\t' || cp == '\n' || cp == '\r'))) {
      return Status::InvalidArgument(std::string(what) + ": contains a control character (" +
                                     CodePoint(cp) + ") at character " + std::to_string(chars) +
                                     (kind == TextKind::kLine ? "; it must be one line" : ""));
    }
    if (IsBidiControl(cp)) {
      return Status::InvalidArgument(std::string(what) +
                                     ": contains a bidirectional override or isolate character (" +
                                     CodePoint(cp) + ") at character " + std::to_string(chars) +
                                     ", which makes text display differently from what is stored");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  size_t left = text.size();
  while (left > 0) {
    int32_t cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(left), &cp);
    if (n <= 0) return false;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace lfr
