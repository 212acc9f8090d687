// secure/code: generating, parsing and loading a run's code.
#include "secure/code.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace socklab::secure {
namespace {

// Crockford's base32 alphabet: digits and lower-case letters without i, l, o
// and u, so no two characters look or sound alike; 5 bits per character.
constexpr std::string_view alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr std::size_t random_length = code_length - 1;
constexpr std::size_t group = 5;

// The check character: the first 5 bits of SHA-256 over the 19 random
// characters. A typing mistake is caught here (31 times in 32) instead of
// costing the receiver one of its few guesses.
char check_character(std::string_view random_part) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(random_part.data(), random_part.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return alphabet[digest[0] >> 3];
}

// The alphabet character `c` stands for, or 0 when it is none.
char normalise(char c) {
  if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (c == 'o') return '0';
  if (c == 'i' || c == 'l') return '1';
  return alphabet.find(c) == std::string_view::npos ? 0 : c;
}

std::string printable(char c) {
  if (c >= 0x21 && c < 0x7f) return std::string("'") + c + "'";
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(c));
  return hex;
}

}  // namespace

Result<Code> Code::generate() {
  std::array<unsigned char, random_length> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    return Failure{"the system's random generator failed"};
  std::string canonical;
  // One random byte per character, its low 5 bits used: 32 divides 256, so
  // every character is equally likely.
  for (unsigned char b : bytes) canonical += alphabet[b & 31];
  canonical += check_character(canonical);
  return Code(std::move(canonical));
}

Result<Code> Code::parse(std::string_view typed) {
  std::string canonical;
  std::size_t position = 0;
  for (char c : typed) {
    if (c == '-' || c == ' ' || c == '\t') continue;
    ++position;
    char n = normalise(c);
    if (n == 0)
      return Failure{"the code has a character that is not in its alphabet: " + printable(c) +
                     " (character " + std::to_string(position) + ")"};
    canonical += n;
  }
  if (canonical.size() != code_length)
    return Failure{"the code has " + std::to_string(canonical.size()) + " characters, it needs " +
                   std::to_string(code_length) + " (dashes and spaces do not count)"};
  if (check_character(std::string_view(canonical).substr(0, random_length)) != canonical.back())
    return Failure{"the code does not check: a character is mistyped"};
  return Code(std::move(canonical));
}

std::string Code::text() const {
  std::string out;
  for (std::size_t i = 0; i < canonical_.size(); ++i) {
    if (i != 0 && i % group == 0) out += '-';
    out += canonical_[i];
  }
  return out;
}

Result<Code> code_from_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Failure{path + ": " + std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Failure{path + ": " + std::strerror(e)};
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Failure{path + ": not a regular file"};
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Failure{path + ": others can read the code (mode " + mode + "): chmod 600 " + path};
  }
  // A code is one short line; 256 bytes is more than any file of ours holds
  // and bounds what a wrong --code-file makes us read.
  std::array<char, 256> buf{};
  ssize_t n = ::read(fd, buf.data(), buf.size());
  int e = errno;
  ::close(fd);
  if (n < 0) return Failure{path + ": " + std::strerror(e)};
  std::string_view text(buf.data(), static_cast<std::size_t>(n));
  text = text.substr(0, text.find('\n'));
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.find_first_not_of(" \t") == std::string_view::npos)
    return Failure{path + ": the file holds no code"};
  auto code = Code::parse(text);
  if (!code) return Failure{path + ": " + code.error()};
  return code;
}

Result<std::optional<Code>> code_from_environment() {
  const char* value = std::getenv(code_environment_variable);
  if (value == nullptr || *value == '\0') return std::optional<Code>{};
  auto code = Code::parse(value);
  if (!code) return Failure{std::string(code_environment_variable) + ": " + code.error()};
  return std::optional<Code>(std::move(*code));
}

}  // namespace socklab::secure
