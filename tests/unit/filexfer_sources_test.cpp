// What sendfile finds to send from its command line: files, directory
// trees in name order, what is left out and why.
#include "filexfer/sources.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "temp_dir.hpp"

using namespace socklab::filexfer;

namespace {

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::vector<std::string> wire_names(const Plan& plan) {
  std::vector<std::string> names;
  for (const auto& s : plan.sources) names.push_back(s.name + (s.directory ? "/" : ""));
  return names;
}

}  // namespace

TEST_CASE("add_path") {
  TempDir dir("socklab-sources");
  const std::string root = dir.path;
  const socklab::Tracer tracer;
  REQUIRE(::mkdir((root + "/album").c_str(), 0755) == 0);
  REQUIRE(::mkdir((root + "/album/empty").c_str(), 0755) == 0);
  REQUIRE(::mkdir((root + "/album/sub").c_str(), 0755) == 0);
  write_file(root + "/album/b.jpg", "bb");
  write_file(root + "/album/a.jpg", "a");
  write_file(root + "/album/sub/c.txt", "ccc");
  write_file(root + "/album/.hidden", "h");
  REQUIRE(::symlink("/etc/passwd", (root + "/album/link").c_str()) == 0);
  write_file(root + "/one.txt", "12345");
  Plan plan;

  SUBCASE("a file goes under its bare name, with its size") {
    add_path(plan, root + "/one.txt", {}, false, tracer);
    REQUIRE(plan.sources.size() == 1);
    CHECK(plan.sources[0].name == "one.txt");
    CHECK(plan.sources[0].path == root + "/one.txt");
    CHECK(plan.sources[0].size == 5);
    CHECK_FALSE(plan.sources[0].directory);
  }
  SUBCASE("a directory goes as its tree, in name order; an empty directory as one") {
    add_path(plan, root + "/album/", {}, false, tracer);
    CHECK(wire_names(plan) ==
          std::vector<std::string>{"album/a.jpg", "album/b.jpg", "album/empty/", "album/sub/c.txt"});
  }
  SUBCASE("symlinks and hidden names inside a tree are left out, each with why") {
    add_path(plan, root + "/album", {}, false, tracer);
    REQUIRE(plan.skipped.size() == 2);
    CHECK(plan.skipped[0].first == root + "/album/.hidden");
    CHECK(plan.skipped[0].second ==
          "a hidden name (recvfile refuses them; they are where it keeps part files)");
    CHECK(plan.skipped[1].first == root + "/album/link");
    CHECK(plan.skipped[1].second == "a symlink (never followed)");
  }
  SUBCASE("--exclude matches a name, or the wire path when it holds a '/'") {
    add_path(plan, root + "/album", {"*.jpg", "album/sub/*"}, false, tracer);
    CHECK(wire_names(plan) == std::vector<std::string>{"album/empty/", "album/sub/"});
  }
  SUBCASE("the same file named twice is sent once") {
    add_path(plan, root + "/one.txt", {}, false, tracer);
    add_path(plan, root + "/./one.txt", {}, false, tracer);
    CHECK(plan.sources.size() == 1);
  }
  SUBCASE("refuses two different files under one name") {
    REQUIRE(::mkdir((root + "/other").c_str(), 0755) == 0);
    write_file(root + "/other/one.txt", "x");
    add_path(plan, root + "/one.txt", {}, false, tracer);
    try {
      add_path(plan, root + "/other/one.txt", {}, false, tracer);
      FAIL("no error");
    } catch (const socklab::StepError& e) {
      CHECK(e.reason() == "two different files would both arrive as one.txt; send them apart");
    }
  }
  SUBCASE("refuses a directory with --classic, the root, and a path that is not there") {
    CHECK_THROWS_WITH_AS(add_path(plan, root + "/album", {}, true, tracer),
                         ("stat " + root +
                          "/album: a directory: the course's protocol carries bare file names only "
                          "(send its files one by one, or leave out --classic)")
                             .c_str(),
                         socklab::StepError);
    CHECK_THROWS_WITH_AS(add_path(plan, "/", {}, false, tracer),
                         "stat /: the root directory has no name to send it under", socklab::StepError);
    CHECK_THROWS_WITH_AS(add_path(plan, root + "/none", {}, false, tracer),
                         ("stat " + root + "/none: No such file or directory").c_str(), socklab::StepError);
  }
}

TEST_CASE("base_name") {
  CHECK(base_name("a/b/c.txt") == "c.txt");
  CHECK(base_name("a/b/") == "b");
  CHECK(base_name("c.txt") == "c.txt");
  CHECK(base_name("/") == "/");
}
