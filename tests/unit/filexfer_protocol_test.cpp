#include "filexfer/protocol.hpp"

#include <doctest/doctest.h>

using namespace socklab::filexfer;

namespace {
std::span<const char> bytes(const std::string& s) { return {s.data(), s.size()}; }
}  // namespace

TEST_CASE("protocol messages") {
  SUBCASE("every message decodes to what was encoded") {
    CHECK(decode_hello(bytes(encode(Hello{}))).value == Hello{});
    CHECK(decode_hello(bytes(encode(Hello{2, 300, 1ULL << 40}))).value == Hello{2, 300, 1ULL << 40});
    CHECK(decode_hello(bytes(encode(Hello{1, 0, 0}))).value == Hello{1, 0, 0});
    const Directory dir{"photos/empty"};
    CHECK(std::get<Directory>(decode_file_or_end(bytes(encode(dir))).value) == dir);
    Sha256 have{};
    have.fill(0x5a);
    CHECK(decode_answer(bytes(encode(Answer{false, 0, {}, have}))).value == Answer{false, 0, {}, have});
    const FileHeader h{"report.pdf", 1234567890123ULL};
    auto f = decode_file_or_end(bytes(encode(h)));
    REQUIRE(f.complete());
    CHECK(std::get<FileHeader>(f.value) == h);
    CHECK(f.used == encode(h).size());
    CHECK(std::holds_alternative<End>(decode_file_or_end(bytes(encode(End{}))).value));
    CHECK(decode_answer(bytes(encode(Answer{true, 42, {}}))).value == Answer{true, 42, {}});
    CHECK(decode_answer(bytes(encode(Answer{false, 0, "name: empty"}))).value ==
          Answer{false, 0, "name: empty"});
    Trailer t;
    t.sha256.fill(0xab);
    CHECK(decode_trailer(bytes(encode(t))).value == t);
    CHECK(decode_verdict(bytes(encode(Verdict{true, {}}))).value == Verdict{true, {}});
    CHECK(decode_verdict(bytes(encode(Verdict{false, "sha256: mismatch"}))).value ==
          Verdict{false, "sha256: mismatch"});
  }
  SUBCASE("the header's bytes are as documented") {
    CHECK(encode(Hello{1, 0, 0}) == std::string("\0SLFT\x01", 6));
    CHECK(encode(Hello{2, 1, 258}) == std::string("\0SLFT\x02"
                                                  "\0\0\0\0\0\0\0\x01"
                                                  "\0\0\0\0\0\0\x01\x02",
                                                  22));
    CHECK(encode(Directory{"a/b"}) == std::string("D\x00\x03"
                                                  "a/b",
                                                  6));
    CHECK(encode(FileHeader{"ab", 258}) == std::string("F\x00\x02"
                                                       "ab\x00\x00\x00\x00\x00\x00\x01\x02",
                                                       13));
    CHECK(encode(Answer{true, 1, {}}) == std::string("A\x00\x00\x00\x00\x00\x00\x00\x01", 9));
  }
  SUBCASE("a message cut short asks for more bytes") {
    const std::string h = encode(FileHeader{"name", 5});
    for (std::size_t n = 0; n < h.size(); ++n) {
      CHECK(decode_file_or_end(bytes(h.substr(0, n))).status ==
            Decoded<std::variant<FileHeader, Directory, End>>::Status::incomplete);
    }
  }
  SUBCASE("leaves the bytes after a message alone") {
    const std::string two = encode(FileHeader{"a", 1}) + "xyz";
    CHECK(decode_file_or_end(bytes(two)).used == two.size() - 3);
  }
  SUBCASE("rejects a path length of 0 or above 4095") {
    CHECK(decode_file_or_end(bytes(std::string("F\x00\x00", 3))).error ==
          "header: path length 0 is not 1-4095");
    CHECK(decode_file_or_end(bytes(std::string("F\x10\x00", 3))).error ==
          "header: path length 4096 is not 1-4095");
    CHECK(decode_file_or_end(bytes(std::string("D\x00\x00", 3))).error ==
          "header: path length 0 is not 1-4095");
  }
  SUBCASE("rejects an unknown message type") {
    CHECK(decode_file_or_end(bytes("X")).error ==
          "header: expected a file header 'F', a directory 'D' or the end 'E', got byte 0x58");
    CHECK(decode_answer(bytes("ok")).error == "answer: expected 'A', 'R' or 'S', got byte 0x6f");
  }
  SUBCASE("rejects a wrong magic or version") {
    CHECK(decode_hello(bytes("hello")).error == "not the socklab protocol");
    CHECK(decode_hello(bytes(std::string("\0SLFT\x04", 6))).error ==
          "protocol version 4 (this recvfile speaks versions 1 to 3)");
  }
  SUBCASE("version 3: a group of 1-32 offers, each a FILE or a DIR") {
    CHECK(encode(Hello{3, 2, 5}).substr(0, 6) == std::string("\0SLFT\x03", 6));
    CHECK(decode_hello(bytes(encode(Hello{3, 2, 5}))).value == Hello{3, 2, 5});
    CHECK(encode(Group{2}) == std::string("G\x00\x02", 3));
    CHECK(std::get<Group>(decode_group_or_end(bytes(encode(Group{32}))).value) == Group{32});
    CHECK(std::holds_alternative<End>(decode_group_or_end(bytes("E")).value));
    CHECK(decode_group_or_end(bytes("G\x00")).status ==
          Decoded<std::variant<Group, End>>::Status::incomplete);
    CHECK(decode_group_or_end(bytes(std::string("G\x00\x00", 3))).error ==
          "header: a group of 0 offers is not 1-32");
    CHECK(decode_group_or_end(bytes(std::string("G\x00\x21", 3))).error ==
          "header: a group of 33 offers is not 1-32");
    CHECK(decode_group_or_end(bytes("F")).error ==
          "header: expected a group 'G' or the end 'E', got byte 0x46");
    const FileHeader h{"a/b.txt", 9};
    CHECK(std::get<FileHeader>(decode_offer(bytes(encode(h))).value) == h);
    CHECK(std::get<Directory>(decode_offer(bytes(encode(Directory{"a/empty"}))).value) ==
          Directory{"a/empty"});
    CHECK(decode_offer(bytes(encode(h).substr(0, 5))).status ==
          Decoded<std::variant<FileHeader, Directory>>::Status::incomplete);
    CHECK(decode_offer(bytes("E")).error ==
          "header: the end 'E' inside a group (its offers are not all here)");
    CHECK(decode_offer(bytes("G")).error ==
          "header: expected a file header 'F' or a directory 'D', got byte 0x47");
  }
  SUBCASE("rejects a reason longer than 1024 bytes and a bad verdict status") {
    CHECK(decode_answer(bytes(std::string("R\x04\x01", 3))).invalid());
    CHECK(decode_verdict(bytes(std::string("V\x02\x00\x00", 4))).error ==
          "verdict: status byte must be 0 or 1");
  }
  SUBCASE("while waiting for an answer, an earlier file's verdict may come first") {
    const std::string two = encode(Verdict{true, {}}) + encode(Answer{true, 7, {}});
    auto first = decode_answer_or_verdict(bytes(two));
    REQUIRE(first.complete());
    CHECK(std::get<Verdict>(first.value) == Verdict{true, {}});
    auto second = decode_answer_or_verdict(bytes(two.substr(first.used)));
    CHECK(std::get<Answer>(second.value) == Answer{true, 7, {}});
    CHECK(decode_answer_or_verdict(bytes(encode(Answer{false, 0, "size: big"}))).value ==
          std::variant<Answer, Verdict>(Answer{false, 0, "size: big"}));
    CHECK(decode_answer_or_verdict(bytes("V")).status ==
          Decoded<std::variant<Answer, Verdict>>::Status::incomplete);
    CHECK(decode_answer_or_verdict(bytes("x")).error ==
          "answer: expected 'A', 'R', 'S' or 'V', got byte 0x78");
    CHECK(decode_answer_or_verdict(bytes(std::string("V\x05\x00\x00", 4))).error ==
          "verdict: status byte must be 0 or 1");
  }
  SUBCASE("every message cut short asks for more, never decodes") {
    using S = Decoded<Answer>::Status;
    CHECK(decode_hello(bytes(std::string("\0SL", 3))).status == Decoded<Hello>::Status::incomplete);
    CHECK(decode_answer(bytes(encode(Answer{true, 1, {}}).substr(0, 8))).status == S::incomplete);
    CHECK(decode_answer(bytes(encode(Answer{false, 0, "exists: x"}).substr(0, 5))).status == S::incomplete);
    CHECK(decode_trailer(bytes(encode(Trailer{}).substr(0, 32))).status ==
          Decoded<Trailer>::Status::incomplete);
    CHECK(decode_verdict(bytes(encode(Verdict{false, "why"}).substr(0, 6))).status ==
          Decoded<Verdict>::Status::incomplete);
  }
  SUBCASE("rejects a wrong type byte for every message") {
    CHECK(decode_trailer(bytes("xyz")).error == "trailer: expected 'H', got byte 0x78");
    CHECK(decode_verdict(bytes("A")).error == "verdict: expected 'V', got byte 0x41");
    CHECK(decode_hello(bytes(std::string("\0SLFX\x01", 6))).error == "not the socklab protocol");
  }
  SUBCASE("rejects a verdict reason over 1024 bytes and cuts an encoded one to 1024") {
    CHECK(decode_verdict(bytes(std::string("V\x01\x04\x01", 4))).error ==
          "verdict: reason of 1025 bytes is too long");
    const std::string long_reason(2000, 'r');
    auto d = decode_verdict(bytes(encode(Verdict{false, long_reason})));
    REQUIRE(d.complete());
    CHECK(d.value.reason == long_reason.substr(0, 1024));
  }
  SUBCASE("prints a digest as sha256sum does") {
    Sha256 d{};
    d[0] = 0x0f;
    d[31] = 0xa0;
    CHECK(to_hex(d) == "0f" + std::string(60, '0') + "a0");
  }
}
