// Fuzz target: filexfer/guards' check_name and part_name, the guard between
// a stranger's file name and our directory.
// Property beyond "no crash": anything accepted is one safe path component
// (1-255 bytes, no '/', no NUL or control byte, not "." or "..", no leading
// '.'), and its part file name is hidden, at most 255 bytes, without '/'.
// A refusal always names the guard ("name: ...").
// fuzz-links: filexfer/guards.cpp

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "filexfer/guards.hpp"
#include "fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  if (auto refused = socklab::filexfer::check_name(name)) {
    FUZZ_CHECK(refused->starts_with("name: "), "a refusal names its guard");
    return 0;
  }
  FUZZ_CHECK(!name.empty() && name.size() <= 255, "an accepted name is 1-255 bytes");
  FUZZ_CHECK(name != "." && name != "..", "an accepted name is not a directory name");
  FUZZ_CHECK(name.front() != '.', "an accepted name is not hidden");
  for (unsigned char c : name) {
    FUZZ_CHECK(c != '/' && c >= 0x20 && c != 0x7f, "an accepted name has no '/', NUL or control byte");
  }
  const std::string part = socklab::filexfer::part_name(name, size * 977);
  FUZZ_CHECK(part.size() <= 255 && part.front() == '.', "a part name is hidden and at most 255 bytes");
  FUZZ_CHECK(part.find('/') == std::string::npos, "a part name stays in the directory");
  FUZZ_CHECK(socklab::filexfer::check_name(part).has_value(), "a part name can never be a name a sender may use");
  return 0;
}
