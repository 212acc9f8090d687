// The SHA-256 both sides compute: OpenSSL through Hasher must give what
// sha256sum prints, however the bytes are cut into updates; hash_file, the
// one loop that hashes a file on disk (both sides use it).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "filexfer/protocol.hpp"
#include "filexfer/sha256.hpp"
#include "temp_dir.hpp"

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

TEST_CASE("hash_file") {
  TempDir dir("socklab-hash");
  const std::string content(3 * 4096 + 17, 'x');
  { std::ofstream(dir.path + "/f", std::ios::binary) << content; }
  const int fd = ::openat(dir.fd, "f", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  std::vector<char> buffer(4096);  // smaller than the file: several reads

  SUBCASE("hashes the first `size` bytes, however the buffer cuts them") {
    Hasher whole;
    hash_file(whole, fd, content.size(), buffer, "f");
    CHECK(to_hex(whole.finish()) == sha_hex(content, content.size()));
    Hasher first;
    hash_file(first, fd, 5000, buffer, "f");
    CHECK(to_hex(first.finish()) == sha_hex(content.substr(0, 5000), 5000));
  }
  SUBCASE("a file shorter than the size asked for fails the read") {
    Hasher h;
    try {
      hash_file(h, fd, content.size() + 1, buffer, "f");
      FAIL("no error");
    } catch (const socklab::StepError& e) {
      CHECK(e.step() == "read f");
      CHECK(e.reason() == "the file got shorter while it was being read");
    }
  }
  SUBCASE("stops when a newer transfer takes over") {
    const std::atomic<bool> stop{true};
    Hasher h;
    try {
      hash_file(h, fd, content.size(), buffer, "f", &stop);
      FAIL("no error");
    } catch (const socklab::StepError& e) {
      CHECK(e.reason() == "a newer transfer of the same file took over");
    }
  }
  ::close(fd);
}
