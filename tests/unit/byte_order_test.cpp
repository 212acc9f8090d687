#include "common/byte_order.hpp"

#include <doctest/doctest.h>

TEST_CASE("byte_order") {
  SUBCASE("puts the most significant byte first") {
    std::string out;
    socklab::put_u16(out, 0x0102);
    socklab::put_u64(out, 0x0304050607080910);
    CHECK(out == std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x10", 10));
  }
  SUBCASE("reads back what it wrote, at any offset") {
    std::string out = "x";
    socklab::put_u64(out, 0xfedcba9876543210);
    socklab::put_u16(out, 0xffff);
    CHECK(socklab::get_u64(out, 1) == 0xfedcba9876543210);
    CHECK(socklab::get_u16(out, 9) == 0xffff);
  }
  SUBCASE("keeps only the low bytes asked for") {
    std::string out;
    socklab::put_big_endian(out, 0x123456, 2);
    CHECK(out == "\x34\x56");
    CHECK(socklab::get_big_endian(out, 0, 2) == 0x3456);
  }
}
