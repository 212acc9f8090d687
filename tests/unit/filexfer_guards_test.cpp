#include "filexfer/guards.hpp"

#include <doctest/doctest.h>

using namespace socklab::filexfer;

TEST_CASE("check_name") {
  SUBCASE("accepts plain names, spaces and UTF-8") {
    CHECK(check_name("report.pdf"));
    CHECK(check_name("my notes v2.txt"));
    CHECK(check_name("\xe6\x96\x87\xe4\xbb\xb6.txt"));
    CHECK(check_name(std::string(255, 'a')));
  }
  SUBCASE("refuses paths and the directory names") {
    CHECK(check_name("../etc/passwd").error() == "name: contains '/' (only a bare file name is accepted)");
    CHECK(check_name("a/b").error() == "name: contains '/' (only a bare file name is accepted)");
    CHECK(check_name("/etc/passwd").error() == "name: contains '/' (only a bare file name is accepted)");
    CHECK(check_name("..").error() == "name: '..' is a directory, not a file name");
    CHECK(check_name(".").error() == "name: '.' is a directory, not a file name");
  }
  SUBCASE("refuses empty, too long, NUL and control bytes") {
    CHECK(check_name("").error() == "name: empty");
    CHECK(check_name(std::string(256, 'a')).error() == "name: 256 bytes, more than 255");
    CHECK(check_name(std::string("a\0b", 3)).error() == "name: contains a NUL byte");
    CHECK(check_name("a\nb").error() == "name: contains the control byte 0x0a");
    CHECK(check_name("a\x7f").error() == "name: contains the control byte 0x7f");
  }
  SUBCASE("refuses escape sequences, C1 controls and invalid UTF-8") {
    CHECK(check_name("\x1b]0;owned\x07.txt").error() == "name: contains the control byte 0x1b");
    CHECK(check_name("a\xc2\x9b"
                     "2J")
              .error() == "name: contains the control character U+009B");
    CHECK(check_name("a\x9b"
                     "2J")
              .error() == "name: not valid UTF-8 at byte 1 (0x9b)");
    CHECK(check_name("\xc0\xaf").error() == "name: not valid UTF-8 at byte 0 (0xc0)");       // overlong '/'
    CHECK(check_name("x\xed\xa0\x80").error() == "name: not valid UTF-8 at byte 1 (0xed)");  // a surrogate
    CHECK(check_name("x\xe6\x96").error() == "name: not valid UTF-8 at byte 1 (0xe6)");      // cut short
  }
  SUBCASE("refuses direction overrides that make a name read differently") {
    CHECK(check_name("photo\xe2\x80\xaegpj.exe").error() ==
          "name: contains the direction control U+202E (it changes how the name reads)");
  }
  SUBCASE("refuses hidden names, where part files live") {
    CHECK(check_name(".bashrc").error() == "name: starts with '.' (hidden names are refused)");
  }
  SUBCASE("names the part file after the name and size") {
    CHECK(part_name("a.txt", 42) == ".a.txt.42.part");
    CHECK(part_name("a.txt", std::nullopt) == ".a.txt.classic.part");  // the classic protocol: no size
    CHECK(part_name(std::string(250, 'x'), std::nullopt).size() <= 255);
  }
  SUBCASE("keeps the part name of a long name within 255 bytes, the same each time") {
    const std::string long_name(255, 'x');
    CHECK(part_name(long_name, 7).size() <= 255);
    CHECK(part_name(long_name, 7) == part_name(long_name, 7));
    CHECK(part_name(long_name, 7) != part_name(std::string(254, 'x'), 7));
  }
}

TEST_CASE("parse_cidr and allowed") {
  auto addr = [](const char* s) { return asio::ip::make_address(s); };
  SUBCASE("matches inside the prefix only") {
    const Cidr c = *parse_cidr("10.1.0.0/16");
    CHECK(c.contains(addr("10.1.200.3")));
    CHECK_FALSE(c.contains(addr("10.2.0.1")));
    CHECK_FALSE(c.contains(addr("::1")));
  }
  SUBCASE("a bare address is a /32 or /128") {
    CHECK(parse_cidr("127.0.0.1")->prefix == 32);
    CHECK(parse_cidr("::1")->prefix == 128);
  }
  SUBCASE("odd prefixes cut inside a byte") {
    const Cidr c = *parse_cidr("192.168.0.0/23");
    CHECK(c.contains(addr("192.168.1.255")));
    CHECK_FALSE(c.contains(addr("192.168.2.0")));
  }
  SUBCASE("an IPv4 peer on an IPv6 socket matches as IPv4") {
    CHECK(parse_cidr("127.0.0.0/8")->contains(addr("::ffff:127.0.0.1")));
  }
  SUBCASE("no --allow lets everyone in; otherwise any match does") {
    CHECK(allowed({}, addr("8.8.8.8")));
    const std::vector<Cidr> list{*parse_cidr("10.0.0.0/8"), *parse_cidr("::1")};
    CHECK(allowed(list, addr("::1")));
    CHECK_FALSE(allowed(list, addr("127.0.0.1")));
  }
  SUBCASE("says what is wrong with a bad range") {
    CHECK(parse_cidr("10.0.0.0/33").error() == "prefix '33' is not 0-32");
    CHECK(parse_cidr("nonsense/8").error() == "'nonsense' is not an IP address");
    CHECK(parse_cidr("10.0.0.0/").error() == "prefix '' is not 0-32");
  }
}

TEST_CASE("check_space") {
  SUBCASE("accepts what fits exactly") { CHECK(check_space(100, 100)); }
  SUBCASE("refuses one byte more and says both numbers") {
    CHECK(check_space(101, 100).error() == "space: 101 more bytes do not fit in the 100 bytes free");
  }
}

TEST_CASE("resume_offset") {
  SUBCASE("continues after the bytes the part holds") { CHECK(resume_offset(400000, 1 << 20) == 400000); }
  SUBCASE("starts at 0 without a part") { CHECK(resume_offset(0, 10) == 0); }
  SUBCASE("a complete part is only hashed and checked") { CHECK(resume_offset(10, 10) == 10); }
  SUBCASE("a part longer than the file starts over") { CHECK(resume_offset(11, 10) == 0); }
}

TEST_CASE("check_path") {
  SUBCASE("accepts a bare name and a relative path of plain names") {
    CHECK(check_path("a.txt"));
    CHECK(check_path("photos/2024/a.jpg"));
  }
  SUBCASE("refuses what would leave the receive directory") {
    CHECK(check_path("/etc/passwd").error() ==
          "path: absolute (only paths beneath the receive directory are accepted)");
    CHECK(check_path("../x").error() ==
          "path: a '..' component (it would climb out of the receive directory)");
    CHECK(check_path("a/../../x").error() ==
          "path: a '..' component (it would climb out of the receive directory)");
  }
  SUBCASE("refuses empty components, hidden components and a bad component by the name guard") {
    CHECK(check_path("a//b").error() == "path: an empty component ('//' or a trailing '/')");
    CHECK(check_path("a/").error() == "path: an empty component ('//' or a trailing '/')");
    CHECK(check_path("a/.git/config").error() ==
          "name: starts with '.' (hidden names are refused) (component 2 of the path)");
    CHECK(check_path("a/b\nc").error() == "name: contains the control byte 0x0a (component 2 of the path)");
  }
  SUBCASE("bounds length and depth") {
    std::string deep = "d";
    for (int i = 1; i < 64; ++i) deep += "/d";
    CHECK(check_path(deep));
    CHECK(check_path(deep + "/d").error() == "path: more than 64 levels deep");
    CHECK(check_path(std::string(4096, 'x')).error() == "path: 4096 bytes, more than 4095");
  }
}
