#include "common/cli.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "socklab_version.hpp"

using socklab::CommonFlags;
using socklab::Family;

namespace {

// What parse_command_line returned and printed for one command line.
struct Parsed {
  std::optional<int> status;
  std::string out, err;
};

// Runs parse_command_line on "prog ARGS..." with std::cout and std::cerr
// captured (CLI11 prints --help and --version to std::cout).
Parsed parse(CLI::App& app, std::initializer_list<std::string> args) {
  std::vector<std::string> words{"prog"};
  words.insert(words.end(), args);
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  Parsed p;
  p.status = socklab::parse_command_line(app, static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

}  // namespace

TEST_CASE("parse_command_line") {
  CLI::App app("a test program", "prog");
  CommonFlags flags;
  socklab::add_common_flags(app, flags);

  SUBCASE("returns nothing to go on when the line is good") {
    auto p = parse(app, {"--trace", "-q"});
    CHECK_FALSE(p.status);
    CHECK(flags.trace);
    CHECK(flags.quiet);
    CHECK(p.out.empty());
    CHECK(p.err.empty());
  }
  SUBCASE("leaves the flags off when they are not given") {
    CHECK_FALSE(parse(app, {}).status);
    CHECK_FALSE(flags.trace);
    CHECK_FALSE(flags.quiet);
  }
  SUBCASE("takes --quiet as the long name of -q") {
    CHECK_FALSE(parse(app, {"--quiet"}).status);
    CHECK(flags.quiet);
  }
  SUBCASE("prints the version on stdout and returns 0") {
    auto p = parse(app, {"--version"});
    CHECK(p.status == 0);
    CHECK(p.out == "prog (socklab) " SOCKLAB_VERSION "\n");
    CHECK(p.err.empty());
  }
  SUBCASE("prints the help on stdout and returns 0") {
    auto p = parse(app, {"--help"});
    CHECK(p.status == 0);
    CHECK(p.out.rfind("a test program\nUsage: prog [OPTIONS]", 0) == 0);
    CHECK(p.out.find("--trace") != std::string::npos);
    CHECK(p.out.find("print every socket step to stderr, with the Go and C call it matches") !=
          std::string::npos);
    CHECK(p.err.empty());
  }
  SUBCASE("returns 2 and names the program for an unknown option") {
    auto p = parse(app, {"--bogus"});
    CHECK(p.status == 2);
    CHECK(p.out.empty());
    CHECK(p.err ==
          "prog: The following argument was not expected: --bogus\n"
          "Run 'prog --help' for the options.\n");
  }
}

TEST_CASE("usage_error") {
  CLI::App app("a test program", "prog");
  std::ostringstream err;
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  const int status = socklab::usage_error(app, "need at least one PATH");
  std::cerr.rdbuf(old_err);
  CHECK(status == 2);
  CHECK(err.str() ==
        "prog: need at least one PATH\n"
        "Run 'prog --help' for the options.\n");
}

TEST_CASE("add_family_flags") {
  CLI::App app("a test program", "prog");
  Family family = Family::any;
  socklab::add_family_flags(app, family);

  SUBCASE("leaves the family alone without -4 or -6") {
    CHECK_FALSE(parse(app, {}).status);
    CHECK(family == Family::any);
  }
  SUBCASE("-4 asks for IPv4") {
    CHECK_FALSE(parse(app, {"-4"}).status);
    CHECK(family == Family::v4);
  }
  SUBCASE("-6 asks for IPv6") {
    CHECK_FALSE(parse(app, {"-6"}).status);
    CHECK(family == Family::v6);
  }
  SUBCASE("refuses -4 with -6") {
    auto p = parse(app, {"-4", "-6"});
    CHECK(p.status == 2);
    CHECK(p.err == "prog: -4 excludes -6\nRun 'prog --help' for the options.\n");
  }
}

TEST_CASE("add_listen_option") {
  CLI::App app("a test program", "prog");
  socklab::HostPort listen{"", 8001};
  socklab::add_listen_option(app, listen);

  SUBCASE("keeps the default when not given") {
    CHECK_FALSE(parse(app, {}).status);
    CHECK(listen == socklab::HostPort{"", 8001});
  }
  SUBCASE("parses -l HOST:PORT into the address") {
    CHECK_FALSE(parse(app, {"-l", "127.0.0.1:0"}).status);
    CHECK(listen == socklab::HostPort{"127.0.0.1", 0});
  }
  SUBCASE("parses --listen [IPv6]:PORT") {
    CHECK_FALSE(parse(app, {"--listen", "[::1]:9000"}).status);
    CHECK(listen == socklab::HostPort{"::1", 9000});
  }
  SUBCASE("gives a host alone the default port") {
    CHECK_FALSE(parse(app, {"-l", "localhost"}).status);
    CHECK(listen == socklab::HostPort{"localhost", 8001});
  }
  SUBCASE("refuses a bad address with the parser's reason and exit 2") {
    auto p = parse(app, {"-l", "70000"});
    CHECK(p.status == 2);
    CHECK(p.err ==
          "prog: --listen: port 70000 is out of range (0-65535)\n"
          "Run 'prog --help' for the options.\n");
  }
  SUBCASE("shows the default and the form in the help") {
    auto p = parse(app, {"--help"});
    CHECK(p.status == 0);
    CHECK(p.out.find("address to listen on, [HOST:]PORT (port 0: any free port)") != std::string::npos);
    CHECK(p.out.find("  -l,--listen [HOST:]PORT=:8001\n") != std::string::npos);
  }
}

TEST_CASE("add_peer_option") {
  CLI::App app("a test program", "prog");
  socklab::HostPort peer{};
  socklab::add_peer_option(app, "peer", peer, 8006, "the server")->required();

  SUBCASE("parses HOST:PORT and [IPv6]:PORT into the address") {
    CHECK_FALSE(parse(app, {"127.0.0.1:9"}).status);
    CHECK(peer == socklab::HostPort{"127.0.0.1", 9});
    CHECK_FALSE(parse(app, {"[::1]:8001"}).status);
    CHECK(peer == socklab::HostPort{"::1", 8001});
  }
  SUBCASE("gives a host alone the default port") {
    CHECK_FALSE(parse(app, {"localhost"}).status);
    CHECK(peer == socklab::HostPort{"localhost", 8006});
  }
  SUBCASE("refuses port 0, which no peer listens on") {
    auto p = parse(app, {"localhost:0"});
    CHECK(p.status == 2);
    CHECK(p.err ==
          "prog: peer: port 0 cannot be a peer's port (use 1-65535)\n"
          "Run 'prog --help' for the options.\n");
  }
  SUBCASE("refuses a missing host") {
    CHECK(parse(app, {":8001"}).err.find("prog: peer: empty host in ':8001'\n") == 0);
  }
  SUBCASE("shows the form in the help") {
    CHECK(parse(app, {"--help"}).out.find("peer HOST[:PORT] REQUIRED") != std::string::npos);
  }
}
