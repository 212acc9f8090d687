// A run's code: the secret a receiver prints and a sender types, from which
// both derive the TLS key (secure/tls_channel). 19 random characters (95
// bits from the OS's random generator) and one check character, written as
// four groups of five: "k7m2x-9qdfa-3w8hn-bt4ze". Why 95 bits is enough is
// in notes/private-transfer-design.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace socklab::secure {

/// Characters in a code, check character included (dashes and spaces do not count).
inline constexpr std::size_t code_length = 20;
/// Bits of the code that are random (the check character adds none).
inline constexpr int code_entropy_bits = 95;
/// The environment variable a sender or receiver reads its code from.
inline constexpr const char* code_environment_variable = "SOCKLAB_CODE";

/// A well-formed code (its check character matches). Only generate() and
/// parse() make one, so a Code in hand is always well-formed.
class Code {
 public:
  /// A new code from the OS's random generator (OpenSSL's RAND_bytes);
  /// fails only if that generator fails.
  static Result<Code> generate();
  /// A typed code: case does not matter, dashes and spaces are ignored, and
  /// o, i, l are read as 0, 1, 1. The error names what is wrong: the length,
  /// a character outside the alphabet, or a check character that does not
  /// match (a typing mistake).
  static Result<Code> parse(std::string_view typed);

  /// The code as people read it: four dashed groups of five, lower case.
  std::string text() const;
  /// The 20 characters without dashes: what the key is derived from.
  const std::string& canonical() const { return canonical_; }

  bool operator==(const Code&) const = default;

 private:
  explicit Code(std::string canonical) : canonical_(std::move(canonical)) {}
  std::string canonical_;
};

/// The code kept in the file `path` (its first line). Refused when the file
/// can be read by its group or by others (mode & 077), with the chmod that
/// fixes it; every error is one line naming the file.
Result<Code> code_from_file(const std::string& path);

/// The code in SOCKLAB_CODE: an empty optional when the variable is unset or
/// empty, an error naming the variable when it does not parse.
Result<std::optional<Code>> code_from_environment();

}  // namespace socklab::secure
