// The final-name check both protocols make before they accept a file: what
// is there already decides, with one wording for each refusal.
#include "filexfer/target.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <vector>

#include "filexfer/sha256.hpp"
#include "temp_dir.hpp"

using namespace socklab::filexfer;

TEST_CASE("check_target") {
  TempDir dir("socklab-target");
  { std::ofstream(dir.path + "/have.txt") << "hello"; }
  REQUIRE(::mkdir((dir.path + "/sub").c_str(), 0755) == 0);
  REQUIRE(::symlink("/etc/passwd", (dir.path + "/link").c_str()) == 0);
  REQUIRE(::mkfifo((dir.path + "/fifo").c_str(), 0644) == 0);

  SUBCASE("a free name, or a file --overwrite replaces, is free") {
    CHECK(*check_target(dir.fd, "new.txt", "d/new.txt", 5, false) == Target::free);
    CHECK(*check_target(dir.fd, "have.txt", "have.txt", 9, true) == Target::free);
    CHECK(*check_target(dir.fd, "have.txt", "have.txt", std::nullopt, true) == Target::free);
  }
  SUBCASE("a file of the announced size may be the sender's already") {
    CHECK(*check_target(dir.fd, "have.txt", "have.txt", 5, false) == Target::same_size);
  }
  SUBCASE("refuses a file of another size, or any file when no size was announced") {
    const std::string there = "exists: have.txt is already there (--overwrite replaces it)";
    CHECK(check_target(dir.fd, "have.txt", "have.txt", 4, false).error() == there);
    CHECK(check_target(dir.fd, "have.txt", "have.txt", std::nullopt, false).error() == there);
  }
  SUBCASE("refuses a symlink, a directory and a special file, even with --overwrite") {
    for (const bool overwrite : {false, true}) {
      CHECK(check_target(dir.fd, "link", "a/link", 5, overwrite).error() ==
            "exists: a/link is a symlink here (never followed)");
      CHECK(check_target(dir.fd, "sub", "sub", std::nullopt, overwrite).error() ==
            "clash: sub is a directory here");
      CHECK(check_target(dir.fd, "fifo", "fifo", 0, overwrite).error() ==
            "exists: fifo is not a regular file here");
    }
  }
  SUBCASE("hash_target: the SHA-256 of what is there") {
    std::vector<char> buffer(2);
    const std::atomic<bool> stop{false};
    Hasher expected;
    expected.update({"hello", 5});
    CHECK(hash_target(dir.fd, "have.txt", "have.txt", 5, buffer, stop) == expected.finish());
  }
}
