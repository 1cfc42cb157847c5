#include "common/json_escape.h"

#include <array>
#include <cstdint>

namespace flare {
namespace {

enum ByteClass : uint8_t { kPlain, kEscape, kMultiByte };

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> classes{};
  for (int b = 0; b < 256; ++b) {
    if (b < 0x20 || b == '"' || b == '\\')
      classes[b] = kEscape;
    else if (b >= 0x80)
      classes[b] = kMultiByte;
    else
      classes[b] = kPlain;
  }
  return classes;
}
constexpr std::array<uint8_t, 256> kClasses = MakeClasses();

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

void AppendEscape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out.append("\\\"");
      return;
    case '\\':
      out.append("\\\\");
      return;
    case '\b':
      out.append("\\b");
      return;
    case '\f':
      out.append("\\f");
      return;
    case '\n':
      out.append("\\n");
      return;
    case '\r':
      out.append("\\r");
      return;
    case '\t':
      out.append("\\t");
      return;
    default: {
      char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(escape, sizeof escape);
    }
  }
}

// The well-formed UTF-8 sequences of Unicode's table 3-7: how many continuation bytes follow
// `lead`, and the range the first of them must fall in (the later ones are 80..BF).
// 0 continuation bytes: `lead` cannot start a sequence.
struct Sequence {
  int continuation;
  unsigned char low;
  unsigned char high;
};
constexpr Sequence SequenceOf(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {1, 0x80, 0xBF};
  if (lead == 0xE0) return {2, 0xA0, 0xBF};  // no overlong forms
  if (lead == 0xED) return {2, 0x80, 0x9F};  // no surrogates
  if (lead >= 0xE1 && lead <= 0xEF) return {2, 0x80, 0xBF};
  if (lead == 0xF0) return {3, 0x90, 0xBF};  // no overlong forms
  if (lead >= 0xF1 && lead <= 0xF3) return {3, 0x80, 0xBF};
  if (lead == 0xF4) return {3, 0x80, 0x8F};  // nothing past U+10FFFF
  return {0, 0, 0};
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  out.push_back('"');
  size_t plain = 0;  // start of the bytes not yet appended, all of them valid as they are
  size_t i = 0;
  while (i < size) {
    uint8_t cls = kClasses[bytes[i]];
    if (cls == kPlain) {
      ++i;
      continue;
    }
    if (cls == kEscape) {
      out.append(text.data() + plain, i - plain);
      AppendEscape(out, bytes[i]);
      plain = ++i;
      continue;
    }
    Sequence seq = SequenceOf(bytes[i]);
    size_t next = i + 1;
    int matched = 0;
    for (; matched < seq.continuation && next < size; ++matched, ++next) {
      unsigned char low = matched == 0 ? seq.low : 0x80;
      unsigned char high = matched == 0 ? seq.high : 0xBF;
      if (bytes[next] < low || bytes[next] > high) break;
    }
    if (seq.continuation > 0 && matched == seq.continuation) {
      i = next;
      continue;
    }
    // Like nlohmann's replace handler: the broken sequence becomes one U+FFFD; a bad lead
    // byte is dropped, a sequence cut off by the end of the text is one U+FFFD, and the byte
    // that broke a sequence is read again as the start of what follows.
    out.append(text.data() + plain, i - plain);
    out.append(kReplacement);
    i = next;  // past a bad lead byte; else the byte that broke the sequence, or the end
    plain = i;
  }
  out.append(text.data() + plain, size - plain);
  out.push_back('"');
}

}  // namespace flare
