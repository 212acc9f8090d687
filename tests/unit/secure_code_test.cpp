// secure/code: making, typing and loading a run's code.
#include "secure/code.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <string>

#include "temp_dir.hpp"

namespace sec = socklab::secure;

namespace {

// A file `name` in `dir` holding `text`, with permission bits `mode`.
std::string write_file(const TempDir& dir, const std::string& name, const std::string& text, mode_t mode) {
  std::string path = dir.path + "/" + name;
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

}  // namespace

TEST_CASE("Code") {
  auto code = sec::Code::generate();
  REQUIRE(code);

  SUBCASE("is four dashed groups of five characters from the alphabet") {
    const std::string text = code->text();
    REQUIRE(text.size() == 23);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (i % 6 == 5) {
        CHECK(text[i] == '-');
      } else {
        CHECK(std::string_view("0123456789abcdefghjkmnpqrstvwxyz").find(text[i]) != std::string_view::npos);
      }
    }
    CHECK(code->canonical().size() == sec::code_length);
  }

  SUBCASE("parses back from its text, in any case, with spaces instead of dashes") {
    std::string shouted;
    for (char c : code->text()) shouted += c == '-' ? ' ' : static_cast<char>(std::toupper(c));
    auto again = sec::Code::parse(shouted);
    REQUIRE(again);
    CHECK(*again == *code);
    auto bare = sec::Code::parse(code->canonical());
    REQUIRE(bare);
    CHECK(*bare == *code);
  }

  SUBCASE("reads o, i and l as 0, 1 and 1") {
    std::string typed = code->canonical();
    std::string looks_alike = typed;
    for (char& c : looks_alike) {
      if (c == '0') c = 'O';
      if (c == '1') c = 'l';
    }
    auto again = sec::Code::parse(looks_alike);
    REQUIRE(again);
    CHECK(*again == *code);
  }

  SUBCASE("differs from run to run") {
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) seen.insert(sec::Code::generate()->canonical());
    CHECK(seen.size() == 50);
  }

  SUBCASE("refuses a wrong length, naming it") {
    auto r = sec::Code::parse("abcde-fghjk");
    REQUIRE_FALSE(r);
    CHECK(r.error() == "the code has 10 characters, it needs 20 (dashes and spaces do not count)");
    CHECK(sec::Code::parse(code->canonical() + "x").error() ==
          "the code has 21 characters, it needs 20 (dashes and spaces do not count)");
  }

  SUBCASE("refuses a character outside the alphabet, naming it and where it is") {
    auto r = sec::Code::parse("abcde-fghuk-mnpqr-stvwx");
    REQUIRE_FALSE(r);
    CHECK(r.error() == "the code has a character that is not in its alphabet: 'u' (character 9)");
    CHECK(sec::Code::parse("abc\x01").error() ==
          "the code has a character that is not in its alphabet: 0x01 (character 4)");
  }

  SUBCASE("catches a mistyped character with the check character") {
    int caught = 0;
    // Changing one character: the check catches it unless the new check
    // character happens to match (1 in 32); over 20 tries most are caught.
    for (int i = 0; i < 20; ++i) {
      std::string typed = sec::Code::generate()->canonical();
      typed[3] = typed[3] == 'a' ? 'b' : 'a';
      auto r = sec::Code::parse(typed);
      if (!r) {
        CHECK(r.error() == "the code does not check: a character is mistyped");
        ++caught;
      }
    }
    CHECK(caught >= 15);
  }
}

TEST_CASE("code_from_file") {
  TempDir dir("socklab-code");
  auto code = sec::Code::generate();
  REQUIRE(code);

  SUBCASE("reads the code from a file only its owner can read") {
    auto path = write_file(dir, "code", code->text() + "\n", 0600);
    auto r = sec::code_from_file(path);
    REQUIRE(r);
    CHECK(*r == *code);
  }

  SUBCASE("refuses a file its group or others can read, with the chmod that fixes it") {
    auto path = write_file(dir, "code", code->text() + "\n", 0644);
    auto r = sec::code_from_file(path);
    REQUIRE_FALSE(r);
    CHECK(r.error() == path + ": others can read the code (mode 0644): chmod 600 " + path);
    ::chmod(path.c_str(), 0640);
    CHECK(sec::code_from_file(path).error() ==
          path + ": others can read the code (mode 0640): chmod 600 " + path);
    ::chmod(path.c_str(), 0602);
    CHECK_FALSE(sec::code_from_file(path));
  }

  SUBCASE("names a missing file, an empty one and a bad code in one line") {
    CHECK(sec::code_from_file(dir.path + "/none").error() == dir.path + "/none: No such file or directory");
    auto empty = write_file(dir, "empty", "\n", 0600);
    CHECK(sec::code_from_file(empty).error() == empty + ": the file holds no code");
    auto bad = write_file(dir, "bad", "abcde\n", 0600);
    CHECK(sec::code_from_file(bad).error() ==
          bad + ": the code has 5 characters, it needs 20 (dashes and spaces do not count)");
    CHECK(sec::code_from_file(dir.path).error() == dir.path + ": not a regular file");
  }
}

TEST_CASE("code_from_environment") {
  ::unsetenv("SOCKLAB_CODE");
  auto unset = sec::code_from_environment();
  REQUIRE(unset);
  CHECK_FALSE(unset->has_value());

  auto code = sec::Code::generate();
  ::setenv("SOCKLAB_CODE", code->text().c_str(), 1);
  auto set = sec::code_from_environment();
  REQUIRE(set);
  REQUIRE(set->has_value());
  CHECK(**set == *code);

  ::setenv("SOCKLAB_CODE", "abc", 1);
  CHECK(sec::code_from_environment().error() ==
        "SOCKLAB_CODE: the code has 3 characters, it needs 20 (dashes and spaces do not count)");
  ::unsetenv("SOCKLAB_CODE");
}
