// Fuzz target: filexfer/guards' check_name, check_path and part_name, the
// guards between a stranger's file name or path and our directory.
// Property beyond "no crash": anything accepted is one safe path component
// (1-255 bytes, no '/', no NUL or control byte, not "." or "..", no leading
// '.'), valid UTF-8 by the C library's own decoder (mbrtowc in C.UTF-8) with
// no C1 control or direction override, and its part file name is hidden, at
// most 255 bytes, without '/'.
// An accepted path is relative, at most 4095 bytes and 64 components, and
// every component is an accepted name.
// A refusal always names the guard ("name: ..." or "path: ...").

#include <algorithm>
#include <clocale>
#include <cstddef>
#include <cstdint>
#include <cwchar>
#include <string>
#include <string_view>

#include "filexfer/guards.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

void check_path_property(std::string_view path) {
  if (auto safe = socklab::filexfer::check_path(path); !safe) {
    FUZZ_CHECK(safe.error().starts_with("name: ") || safe.error().starts_with("path: "),
               "a path refusal names its guard");
    return;
  }
  FUZZ_CHECK(!path.empty() && path.size() <= 4095 && path.front() != '/', "an accepted path is relative");
  std::size_t depth = 0;
  for (std::size_t at = 0; at <= path.size();) {
    const std::size_t slash = std::min(path.find('/', at), path.size());
    FUZZ_CHECK(socklab::filexfer::check_name(path.substr(at, slash - at)).ok(),
               "each component is a safe name");
    ++depth;
    at = slash + 1;
  }
  FUZZ_CHECK(depth <= socklab::filexfer::max_depth, "an accepted path is at most 64 levels deep");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  check_path_property(name);
  if (auto safe = socklab::filexfer::check_name(name); !safe) {
    FUZZ_CHECK(safe.error().starts_with("name: "), "a refusal names its guard");
    return 0;
  }
  FUZZ_CHECK(!name.empty() && name.size() <= 255, "an accepted name is 1-255 bytes");
  FUZZ_CHECK(name != "." && name != "..", "an accepted name is not a directory name");
  FUZZ_CHECK(name.front() != '.', "an accepted name is not hidden");
  for (unsigned char c : name) {
    FUZZ_CHECK(c != '/' && c >= 0x20 && c != 0x7f, "an accepted name has no '/', NUL or control byte");
  }
  static const bool utf8_locale = std::setlocale(LC_CTYPE, "C.UTF-8") != nullptr;
  if (utf8_locale) {
    std::mbstate_t state{};
    for (std::size_t at = 0; at < name.size();) {
      wchar_t wc = 0;
      const std::size_t used = std::mbrtowc(&wc, name.data() + at, name.size() - at, &state);
      FUZZ_CHECK(used != static_cast<std::size_t>(-1) && used != static_cast<std::size_t>(-2) && used != 0,
                 "an accepted name is valid UTF-8");
      FUZZ_CHECK(!(wc >= 0x80 && wc <= 0x9f), "an accepted name has no C1 control");
      FUZZ_CHECK(
          !(wc >= 0x202a && wc <= 0x202e) && !(wc >= 0x2066 && wc <= 0x2069) && wc != 0x200e && wc != 0x200f,
          "an accepted name has no direction control");
      at += used;
    }
  }
  const std::string part = socklab::filexfer::part_name(name, size * 977);
  FUZZ_CHECK(part.size() <= 255 && part.front() == '.', "a part name is hidden and at most 255 bytes");
  FUZZ_CHECK(part.find('/') == std::string::npos, "a part name stays in the directory");
  FUZZ_CHECK(!socklab::filexfer::check_name(part).ok(), "a part name can never be a name a sender may use");
  return 0;
}
