// The SHA-256 both sides compute: OpenSSL through Hasher must give what
// sha256sum prints, however the bytes are cut into updates.
#include <doctest/doctest.h>

#include <string>

#include "filexfer/protocol.hpp"
#include "filexfer/sha256.hpp"

using namespace socklab::filexfer;

namespace {

std::string sha_hex(const std::string& data, std::size_t piece) {
  Hasher h;
  for (std::size_t at = 0; at < data.size(); at += piece)
    h.update({data.data() + at, std::min(piece, data.size() - at)});
  return to_hex(h.finish());
}

}  // namespace

TEST_CASE("Hasher gives the SHA-256 that sha256sum prints") {
  // FIPS 180-2's examples, as `printf abc | sha256sum` prints them.
  CHECK(sha_hex("", 1) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string abc = "abc";
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (const std::size_t piece : {1UL, 2UL, 64UL}) {
    CAPTURE(piece);
    CHECK(sha_hex(abc, piece) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha_hex(two_blocks, piece) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  }
  CHECK(sha_hex(std::string(1'000'000, 'a'), 4096) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
