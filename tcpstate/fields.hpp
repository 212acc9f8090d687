// What every socket-table parser needs: a line split into its
// whitespace-separated fields, and a field read as a whole number.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

namespace socklab {

/// The fields of `line`, split at spaces, tabs and CRs.
inline std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

/// `text` as a number in `base`, when all of it is one that fits in Int.
template <class Int>
std::optional<Int> number(std::string_view text, int base = 10) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace socklab
