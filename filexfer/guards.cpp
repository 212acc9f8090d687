#include "filexfer/guards.hpp"

#include <charconv>
#include <cstdio>

namespace socklab::filexfer {

namespace {

// The next UTF-8 character of `text` from `at`: its code point and length,
// or length 0 when the bytes there are not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF included).
struct Utf8Char {
  char32_t code = 0;
  std::size_t length = 0;
};
Utf8Char next_utf8(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t code = 0;
  char32_t minimum = 0;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, code = lead & 0x1f, minimum = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, code = lead & 0x0f, minimum = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, code = lead & 0x07, minimum = 0x10000;
  } else {
    return {};
  }
  if (at + length > text.size()) return {};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return {};
    code = (code << 6) | (byte(i) & 0x3f);
  }
  if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return {};
  return {code, length};
}

std::string hex_byte(unsigned value) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", value);
  return text;
}

std::string code_point(char32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "U+%04X", static_cast<unsigned>(value));
  return text;
}

}  // namespace

Result<void> check_name(std::string_view name) {
  if (name.empty()) return Failure{"name: empty"};
  if (name.size() > 255) return Failure{"name: " + std::to_string(name.size()) + " bytes, more than 255"};
  if (name == "." || name == "..")
    return Failure{"name: '" + std::string(name) + "' is a directory, not a file name"};
  for (std::size_t at = 0; at < name.size();) {
    const unsigned char c = static_cast<unsigned char>(name[at]);
    if (c == '/') return Failure{"name: contains '/' (only a bare file name is accepted)"};
    if (c == 0) return Failure{"name: contains a NUL byte"};
    if (c < 0x20 || c == 0x7f) return Failure{"name: contains the control byte " + hex_byte(c)};
    const Utf8Char u = next_utf8(name, at);
    if (u.length == 0)
      return Failure{"name: not valid UTF-8 at byte " + std::to_string(at) + " (" + hex_byte(c) + ")"};
    if (u.code >= 0x80 && u.code <= 0x9f)
      return Failure{"name: contains the control character " + code_point(u.code)};
    if ((u.code >= 0x202a && u.code <= 0x202e) || (u.code >= 0x2066 && u.code <= 0x2069) ||
        u.code == 0x200e || u.code == 0x200f) {
      return Failure{"name: contains the direction control " + code_point(u.code) +
                     " (it changes how the name reads)"};
    }
    at += u.length;
  }
  if (name.front() == '.') return Failure{"name: starts with '.' (hidden names are refused)"};
  return {};
}

Result<void> check_path(std::string_view path) {
  if (path.empty()) return Failure{"path: empty"};
  if (path.size() > 4095) return Failure{"path: " + std::to_string(path.size()) + " bytes, more than 4095"};
  if (path.front() == '/')
    return Failure{"path: absolute (only paths beneath the receive directory are accepted)"};
  std::size_t depth = 0;
  for (std::size_t at = 0; at <= path.size();) {
    const std::size_t slash = std::min(path.find('/', at), path.size());
    const std::string_view part = path.substr(at, slash - at);
    if (part.empty()) return Failure{"path: an empty component ('//' or a trailing '/')"};
    if (part == "..") return Failure{"path: a '..' component (it would climb out of the receive directory)"};
    if (++depth > max_depth) return Failure{"path: more than " + std::to_string(max_depth) + " levels deep"};
    if (auto name = check_name(part); !name) {
      if (depth == 1 && slash == path.size()) return name;  // a bare name: the name guard's words
      return Failure{name.error() + " (component " + std::to_string(depth) + " of the path)"};
    }
    at = slash + 1;
  }
  return {};
}

Result<void> check_space(std::uint64_t needed, std::uint64_t available) {
  if (needed <= available) return {};
  return Failure{"space: " + std::to_string(needed) + " more bytes do not fit in the " +
                 std::to_string(available) + " bytes free"};
}

std::uint64_t resume_offset(std::uint64_t part_size, std::uint64_t size) {
  return part_size > size ? 0 : part_size;
}

namespace {

// ".STEM.TAG.part", appended piece by piece: `"." + std::string(...)` makes
// GCC 12 at -O3 warn of an overlapping memcpy that cannot happen (a
// -Wrestrict false positive, fatal with -Werror).
std::string hidden_part(std::string_view stem, std::string_view tag) {
  std::string part;
  part.reserve(stem.size() + tag.size() + 7);
  part += '.';
  part += stem;
  part += '.';
  part += tag;
  part += ".part";
  return part;
}

}  // namespace

std::string part_name(std::string_view name, std::optional<std::uint64_t> size) {
  const std::string tag = size ? std::to_string(*size) : "classic";
  std::string part = hidden_part(name, tag);
  if (part.size() <= 255) return part;
  // A long name leaves no room for the additions (a file name is at most
  // 255 bytes): use the name's 64-bit FNV-1a hash instead, still the same
  // for the same name, so a resume finds it.
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hidden_part(hex, tag);
}

namespace {

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

template <class Bytes>
bool prefix_equal(const Bytes& a, const Bytes& b, unsigned prefix) {
  for (std::size_t i = 0; i < a.size() && prefix > 0; ++i) {
    const unsigned bits = prefix >= 8 ? 8 : prefix;
    const unsigned mask = (0xffu << (8 - bits)) & 0xffu;
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

}  // namespace

bool Cidr::contains(const asio::ip::address& address) const {
  const asio::ip::address a = unmapped(address);
  if (a.is_v4() != network.is_v4()) return false;
  if (a.is_v4()) return prefix_equal(a.to_v4().to_bytes(), network.to_v4().to_bytes(), prefix);
  return prefix_equal(a.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
}

Result<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string addr_text(text.substr(0, slash));
  std::error_code ec;
  const asio::ip::address address = asio::ip::make_address(addr_text, ec);
  if (ec) return Result<Cidr>::failure("'" + addr_text + "' is not an IP address");
  const unsigned max = address.is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto [end, err] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || err != std::errc() || end != p.data() + p.size() || prefix > max) {
      return Result<Cidr>::failure("prefix '" + std::string(p) + "' is not 0-" + std::to_string(max));
    }
  }
  return Cidr{unmapped(address), prefix};
}

bool allowed(const std::vector<Cidr>& allow, const asio::ip::address& address) {
  if (allow.empty()) return true;
  for (const Cidr& c : allow) {
    if (c.contains(address)) return true;
  }
  return false;
}

}  // namespace socklab::filexfer
