// The receive directory and the directories beneath it, opened so that no
// path a sender names can lead outside it: every component is opened
// relative to its parent's descriptor without following a symlink
// (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where the kernel has
// it, one openat(O_NOFOLLOW) per component where it does not), and missing
// directories are made with mkdirat in that parent. Paths are checked by
// check_path (guards.hpp) first.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace socklab::filexfer {

class Beneath {
 public:
  /// `root_fd` is the receive directory (not owned). `use_openat2` false
  /// takes the component-by-component walk even where openat2 exists (tests).
  explicit Beneath(int root_fd, bool use_openat2 = true);
  ~Beneath();
  Beneath(const Beneath&) = delete;
  Beneath& operator=(const Beneath&) = delete;

  /// The descriptor of directory `dir` ("" is the root), owned by this
  /// object; with `create`, missing components are made (mode 0755). The
  /// error is a refusal: "symlink: DIR is a symlink here (never followed)"
  /// or "clash: DIR is a file here, a directory is needed"; a failing
  /// system call throws StepError.
  Result<int> directory(std::string_view dir, bool create);
  /// fsyncs each directory in which an entry was made since the last call,
  /// so new names survive a crash; returns false if one failed.
  bool sync_changed();
  /// Marks directory `fd` (from directory()) as holding a new entry.
  void changed(int fd);
  /// Whether openat2(2) was used (false: the kernel lacks it, the walk is used).
  bool has_openat2() const { return openat2_; }

 private:
  int open_component(int parent, const std::string& name);
  void forget_all();
  int root_;
  bool openat2_ = true;
  std::map<std::string, int, std::less<>> open_;  // "a/b" -> descriptor
  std::map<int, bool> changed_;                   // descriptors of directories to fsync
};

/// The directory part and the last component of "a/b/c" ("a/b", "c").
std::pair<std::string_view, std::string_view> split_path(std::string_view path);

}  // namespace socklab::filexfer
