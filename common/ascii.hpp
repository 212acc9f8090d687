// The course's upper-casing, for tcp-server --upper and udp-server --upper:
// ASCII letters a-z become A-Z; every other byte (digits, punctuation, the
// bytes of UTF-8 text) is sent back as it came.
#pragma once

#include <string>
#include <string_view>

namespace socklab {

/// `c` in upper case if it is an ASCII letter, else `c` itself.
inline char upper_ascii(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

/// Appends `data` to `out`, upper-cased.
inline void append_upper(std::string_view data, std::string& out) {
  for (char c : data) out += upper_ascii(c);
}

}  // namespace socklab
