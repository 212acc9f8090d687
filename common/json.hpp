// One JSON object per line, for --json output that scripts read.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace socklab {

/// A JSON value whose keys keep the order they were added in, so --json
/// lines read like the text output.
using Json = nlohmann::ordered_json;

/// `value` as one line of JSON text. Bytes that are not UTF-8 (a file name
/// from a hostile peer) become U+FFFD instead of passing through.
std::string json_text(const Json& value);

}  // namespace socklab
