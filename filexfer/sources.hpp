// What sendfile sends, found from its command line: each PATH a file, or a
// directory whose regular files go with their paths relative to the
// directory's parent. No I/O beyond stat and readdir; nothing printed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/trace.hpp"

namespace socklab::filexfer {

/// One thing to send: a file, with what os.Stat says about it, or an empty
/// directory.
struct Source {
  std::string path;  ///< where it is here
  std::string name;  ///< its path on the wire: the bare name, or "photos/a.jpg" inside a directory
  std::uint64_t size = 0;
  bool directory = false;
};

/// What a run found to send, and what it left out.
struct Plan {
  std::vector<Source> sources;
  std::vector<std::pair<std::string, std::string>> skipped;  ///< (path, why) of each entry left out
  std::map<std::string, std::pair<dev_t, ino_t>> seen;       ///< wire name -> the file it is
};

/// [2] os.Stat: adds `path` to `plan`: a file (followed if a symlink: the
/// user named it), or a directory's tree, walked in name order without
/// following any symlink inside it; symlinks, devices, sockets, pipes and
/// hidden names are skipped and noted; a directory with nothing to send
/// beneath it goes as an empty directory. `exclude` globs match a name, or
/// the wire path when they hold a '/'. The same file named twice is added
/// once; two different files under one wire name, a directory with
/// `classic`, or a path that cannot be read throw StepError.
void add_path(Plan& plan, const std::string& path, const std::vector<std::string>& exclude, bool classic,
              const Tracer& tracer);

/// The last component of a path ("a/b/" -> "b"), as the course's Name().
std::string base_name(const std::string& path);

}  // namespace socklab::filexfer
