// Fuzz target: filexfer/protocol's decoders, which read what a stranger
// sends (recvfile: hello, group, file header, trailer; sendfile: answer, verdict).
// Property beyond "no crash": whatever decodes encodes back to exactly the
// bytes it used (parse(encode(x)) == x), and never uses more bytes than given.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "filexfer/protocol.hpp"
#include "fuzz/fuzz_check.hpp"

namespace fx = socklab::filexfer;

namespace {

template <class Decoded, class Encode>
void round_trip(const Decoded& d, std::span<const char> in, Encode encode, const char* what) {
  if (!d.complete()) return;
  FUZZ_CHECK(d.used <= in.size(), what);
  const std::string again = encode(d.value);
  FUZZ_CHECK(again.size() == d.used, what);
  FUZZ_CHECK(std::string_view(in.data(), d.used) == again, what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const char> in(reinterpret_cast<const char*>(data), size);
  round_trip(
      fx::decode_hello(in), in, [](const auto& v) { return fx::encode(v); }, "hello round trip");
  round_trip(
      fx::decode_answer(in), in, [](const auto& v) { return fx::encode(v); }, "answer round trip");
  round_trip(
      fx::decode_trailer(in), in, [](const auto& v) { return fx::encode(v); }, "trailer round trip");
  round_trip(
      fx::decode_verdict(in), in, [](const auto& v) { return fx::encode(v); }, "verdict round trip");
  round_trip(
      fx::decode_file_or_end(in), in,
      [](const auto& v) { return std::visit([](const auto& m) { return fx::encode(m); }, v); },
      "file header round trip");
  round_trip(
      fx::decode_group_or_end(in), in,
      [](const auto& v) { return std::visit([](const auto& m) { return fx::encode(m); }, v); },
      "group round trip");
  round_trip(
      fx::decode_offer(in), in,
      [](const auto& v) { return std::visit([](const auto& m) { return fx::encode(m); }, v); },
      "offer round trip");
  round_trip(
      fx::decode_answer_or_verdict(in), in,
      [](const auto& v) { return std::visit([](const auto& m) { return fx::encode(m); }, v); },
      "answer or verdict round trip");
  auto h = fx::decode_file_or_end(in);
  if (h.complete() && std::holds_alternative<fx::FileHeader>(h.value)) {
    const auto& name = std::get<fx::FileHeader>(h.value).name;
    FUZZ_CHECK(!name.empty() && name.size() <= fx::max_path, "a decoded path is 1-4095 bytes");
  }
  return 0;
}
