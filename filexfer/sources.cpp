#include "filexfer/sources.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/error.hpp"
#include "filexfer/steps.hpp"

namespace socklab::filexfer {

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") return p;  // the root has no last component
  const auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

namespace {

bool excluded(const std::vector<std::string>& exclude, const std::string& name, const std::string& wire) {
  for (const auto& glob : exclude) {
    // A pattern with a '/' matches the whole path on the wire, else the last name.
    const bool path_glob = glob.find('/') != std::string::npos;
    if (::fnmatch(glob.c_str(), path_glob ? wire.c_str() : name.c_str(), path_glob ? FNM_PATHNAME : 0) == 0)
      return true;
  }
  return false;
}

// "DIR/NAME", built in one string.
std::string join(const std::string& dir, const std::string& name) {
  std::string path;
  path.reserve(dir.size() + 1 + name.size());
  path += dir;
  path += '/';
  path += name;
  return path;
}

void skip(Plan& plan, const std::string& path, const std::string& why) {
  plan.skipped.push_back({path, why});
}

// A file to send, once: the same file named twice is sent once; two
// different files that would arrive under one name are refused up front.
void add_file(Plan& plan, Source s, const struct stat& st) {
  const auto [it, fresh] = plan.seen.emplace(s.name, std::pair{st.st_dev, st.st_ino});
  if (!fresh) {
    if (it->second == std::pair{st.st_dev, st.st_ino}) return;
    throw StepError("args", "two different files would both arrive as " + s.name + "; send them apart");
  }
  plan.sources.push_back(std::move(s));
}

// The regular files beneath directory `fd` (owned), in name order, never
// following a symlink: those, devices and sockets are skipped with a line.
// An empty directory goes as one, so the receiver makes it too.
void walk(Plan& plan, const std::vector<std::string>& exclude, int fd, const std::string& path,
          const std::string& wire, const Tracer& tracer) {
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    throw StepError("open " + path, std::strerror(errno));
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  const std::size_t before = plan.sources.size();
  for (const auto& name : names) {
    const std::string here = join(path, name);
    const std::string there = join(wire, name);
    if (excluded(exclude, name, there)) continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      skip(plan, here, std::strerror(errno));
    } else if (S_ISLNK(st.st_mode)) {
      skip(plan, here, "a symlink (never followed)");
    } else if (name.front() == '.') {
      skip(plan, here, "a hidden name (recvfile refuses them; they are where it keeps part files)");
    } else if (S_ISDIR(st.st_mode)) {
      const int sub = ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        skip(plan, here, std::strerror(errno));
        continue;
      }
      walk(plan, exclude, sub, here, there, tracer);
    } else if (S_ISREG(st.st_mode)) {
      add_file(plan, {here, there, static_cast<std::uint64_t>(st.st_size), false}, st);
    } else {
      skip(plan, here, "not a regular file (a device, socket or pipe)");
    }
  }
  ::closedir(dir);
  if (plan.sources.size() == before) plan.sources.push_back({path, wire, 0, true});
}

}  // namespace

void add_path(Plan& plan, const std::string& path, const std::vector<std::string>& exclude, bool classic,
              const Tracer& tracer) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw StepError("stat " + path, std::strerror(errno));
  std::string name = base_name(path);
  if (S_ISDIR(st.st_mode)) {
    if (classic) {
      throw StepError("stat " + path,
                      "a directory: the course's protocol carries bare file names only "
                      "(send its files one by one, or leave out --classic)");
    }
    if (name == "." || name == ".." || name == "/") {
      char* real = ::realpath(path.c_str(), nullptr);
      name = real ? base_name(real) : name;
      std::free(real);
      if (name == "/") throw StepError("stat " + path, "the root directory has no name to send it under");
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw StepError("open " + path, std::strerror(errno));
    const std::size_t before = plan.sources.size();
    std::string here = path;
    while (here.size() > 1 && here.back() == '/') here.pop_back();
    walk(plan, exclude, fd, here, name, tracer);
    tracer.step(2, "stat",
                path + ": a directory, " + std::to_string(plan.sources.size() - before) + " entries",
                file_calls::stat);
    return;
  }
  if (!S_ISREG(st.st_mode)) throw StepError("stat " + path, "not a regular file or directory");
  if (excluded(exclude, name, name)) return;
  add_file(plan, {path, name, static_cast<std::uint64_t>(st.st_size), false}, st);
  tracer.step(2, "stat", path + ": name " + name + ", " + bytes_text(static_cast<std::uint64_t>(st.st_size)),
              file_calls::stat);
}

}  // namespace socklab::filexfer
