// A fresh directory under /tmp for one test, removed with everything in it
// when the test ends; `fd` is open on it, for the *at() calls under test.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

struct TempDir {
  std::string path;
  int fd = -1;
  /// `prefix` names the test, e.g. "socklab-part" makes /tmp/socklab-part-XXXXXX.
  explicit TempDir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    path = ::mkdtemp(pattern.data());
    fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
  }
  ~TempDir() {
    ::close(fd);
    [[maybe_unused]] int ignored = std::system(("rm -rf " + path).c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The whole content of the file `name` below the directory ("" if none).
  std::string read(const std::string& name) const {
    std::ifstream in(path + "/" + name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};
