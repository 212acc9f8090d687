// Beneath: directories opened beneath the receive directory, never through a
// symlink, with openat2 and with the O_NOFOLLOW walk older kernels get.
#include "filexfer/beneath.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

using namespace socklab::filexfer;

namespace {

// A fresh directory with: outside/, in/, in/link -> ../outside, in/file.
struct Scratch {
  std::string top;
  int in_fd = -1;
  Scratch() {
    char pattern[] = "/tmp/socklab-beneath-XXXXXX";
    top = ::mkdtemp(pattern);
    ::mkdir((top + "/outside").c_str(), 0755);
    ::mkdir((top + "/in").c_str(), 0755);
    [[maybe_unused]] int ignored = ::symlink("../outside", (top + "/in/link").c_str());
    ::close(::open((top + "/in/file").c_str(), O_CREAT | O_WRONLY, 0644));
    in_fd = ::open((top + "/in").c_str(), O_RDONLY | O_DIRECTORY);
  }
  ~Scratch() {
    ::close(in_fd);
    [[maybe_unused]] int ignored = std::system(("rm -rf " + top).c_str());
  }
  bool exists(const std::string& path) const {
    struct stat st {};
    return ::lstat((top + "/" + path).c_str(), &st) == 0;
  }
};

}  // namespace

// The same checks for both ways of opening (doctest SUBCASEs would not
// run twice inside one loop).
void check_beneath(bool openat2) {
  {
    Scratch s;
    Beneath beneath(s.in_fd, openat2);
    REQUIRE(beneath.directory("a/b/c", true));  // makes missing directories, each beneath its parent
    CHECK(s.exists("in/a/b/c"));
    CHECK(beneath.directory("a/b/c", false));
    CHECK(beneath.sync_changed());
  }
  {
    Scratch s;
    Beneath beneath(s.in_fd, openat2);  // never goes through a symlink, at any depth
    CHECK(beneath.directory("link", true).error() == "symlink: link is a symlink here (never followed)");
    CHECK(beneath.directory("link/x", true).error() == "symlink: link is a symlink here (never followed)");
    CHECK_FALSE(s.exists("outside/x"));
    CHECK(beneath.directory("file/x", true).error() == "clash: file is a file here, a directory is needed");
    CHECK(beneath.has_openat2() == openat2);
  }
}

TEST_CASE("Beneath with openat2 (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)") { check_beneath(true); }

TEST_CASE("Beneath with the O_NOFOLLOW walk of older kernels") { check_beneath(false); }

TEST_CASE("split_path") {
  CHECK(split_path("a/b/c") == std::pair<std::string_view, std::string_view>{"a/b", "c"});
  CHECK(split_path("c") == std::pair<std::string_view, std::string_view>{"", "c"});
}
