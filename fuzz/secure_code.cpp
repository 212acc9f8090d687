// Fuzz target: secure/code's Code::parse, which reads what a user types, a
// --code-file holds or SOCKLAB_CODE says.
// Property beyond "no crash": a code accepted is 20 alphabet characters,
// prints as four dashed groups of five and parses back from that text to
// itself; a refusal is one non-empty line.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "secure/code.hpp"

namespace sec = socklab::secure;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view typed(reinterpret_cast<const char*>(data), size);
  auto code = sec::Code::parse(typed);
  if (!code) {
    FUZZ_CHECK(!code.error().empty(), "a refused code says why");
    FUZZ_CHECK(code.error().find('\n') == std::string::npos, "a refusal is one line");
    return 0;
  }
  const std::string& canonical = code->canonical();
  FUZZ_CHECK(canonical.size() == sec::code_length, "a code has 20 characters");
  FUZZ_CHECK(canonical.find_first_not_of("0123456789abcdefghjkmnpqrstvwxyz") == std::string::npos,
             "a code is made of its alphabet");
  const std::string text = code->text();
  FUZZ_CHECK(text.size() == 23 && text[5] == '-' && text[11] == '-' && text[17] == '-',
             "a code prints as four dashed groups of five");
  auto again = sec::Code::parse(text);
  FUZZ_CHECK(again.ok() && *again == *code, "a printed code parses back to itself");
  return 0;
}
