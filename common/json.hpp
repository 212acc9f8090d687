// One JSON object per line, for --json output that scripts read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace socklab {

/// A JSON value whose keys keep the order they were added in, so --json
/// lines read like the text output.
using Json = nlohmann::ordered_json;

/// `value` as one line of JSON text. Bytes that are not UTF-8 (a file name
/// from a hostile peer) become U+FFFD instead of passing through.
std::string json_text(const Json& value);

/// Builds one flat JSON object: JsonLine().add("sent", 10).str() == {"sent":10}
class JsonLine {
 public:
  JsonLine& add(std::string_view key, std::string_view value);
  JsonLine& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  JsonLine& add(std::string_view key, const std::string& value) { return add(key, std::string_view(value)); }
  JsonLine& add(std::string_view key, double value);
  JsonLine& add(std::string_view key, std::int64_t value);
  JsonLine& add(std::string_view key, std::uint64_t value);
  JsonLine& add(std::string_view key, int value) { return add(key, static_cast<std::int64_t>(value)); }
  JsonLine& add(std::string_view key, unsigned value) { return add(key, static_cast<std::uint64_t>(value)); }
  JsonLine& add(std::string_view key, bool value);
  /// Adds `raw` unquoted: a nested object or array already in JSON.
  JsonLine& add_raw(std::string_view key, std::string_view raw);
  /// The object, without a newline.
  std::string str() const { return body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_ = "{";
};

/// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace socklab
