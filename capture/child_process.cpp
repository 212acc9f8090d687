#include "capture/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace socklab {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int e) { return std::strerror(e); }

// The Debian package that brings each outside program.
std::string package_of(const std::string& program) {
  if (program == "ss") return "iproute2";
  if (program == "netstat") return "net-tools";
  return program;
}

// Where a child's stdout and stderr go (-1: ours), and whether the kernel
// ends it when we die.
struct ChildSetup {
  int stdout_fd = -1;
  int stderr_fd = -1;
  bool dies_with_us = false;
  std::vector<std::pair<std::string, std::string>> environment;
};

// fork + exec, the one way socklab starts a program. A pipe that a
// successful exec closes tells the parent whether exec worked, and why not.
Result<pid_t> spawn(const std::vector<std::string>& argv, const ChildSetup& setup) {
  // Everything the child needs is built before fork: after it, only calls
  // that are safe in a child of a (possibly) threaded process.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> added;
  for (const auto& [name, value] : setup.environment) {
    if (std::getenv(name.c_str()) == nullptr) added.push_back(name + "=" + value);  // the user's wins
  }
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  for (auto& a : added) env.push_back(a.data());
  env.push_back(nullptr);

  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) return Failure{"pipe: " + errno_text(errno)};
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(status_pipe[0]);
    close(status_pipe[1]);
    return Failure{"fork: " + errno_text(e)};
  }
  if (pid == 0) {
    if (setup.dies_with_us) prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (setup.stdout_fd >= 0) dup2(setup.stdout_fd, STDOUT_FILENO);
    if (setup.stderr_fd >= 0) dup2(setup.stderr_fd, STDERR_FILENO);
    // We catch SIGINT/SIGTERM and ignore SIGPIPE; the child starts afresh.
    struct sigaction plain {};
    plain.sa_handler = SIG_DFL;
    for (int s : {SIGINT, SIGTERM, SIGPIPE}) sigaction(s, &plain, nullptr);
    execvpe(args[0], args.data(), env.data());
    const int e = errno;
    (void)!write(status_pipe[1], &e, sizeof e);
    _exit(127);
  }
  close(status_pipe[1]);
  int e = 0;
  ssize_t n;
  while ((n = read(status_pipe[0], &e, sizeof e)) < 0 && errno == EINTR) {
  }
  close(status_pipe[0]);
  if (n == sizeof e) {
    waitpid(pid, nullptr, 0);
    return Failure{argv[0] + ": " + errno_text(e)};
  }
  return pid;
}

std::string read_all(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// poll() on one descriptor for at most `seconds`; > 0 when it is readable.
int wait_readable(int fd, double seconds) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(std::max(seconds, 0.0) * 1000) + 1);
}

}  // namespace

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    // AT_EACCESS: checked as exec will check it, with the effective user and
    // capabilities (plain access() uses the real ones).
    if (faccessat(AT_FDCWD, (dir + "/" + program).c_str(), X_OK, AT_EACCESS) == 0) return true;
  }
  return false;
}

Result<std::string> run_command(const std::vector<std::string>& argv) {
  if (!on_path(argv[0]))
    return Failure{argv[0] + " is not installed (Debian package " + package_of(argv[0]) + ")"};
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Failure{"pipe: " + errno_text(errno)};
  const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  auto pid = spawn(argv, {out[1], null, false, {}});
  close(out[1]);
  if (null >= 0) close(null);
  if (!pid) {
    close(out[0]);
    return Failure{pid.error()};
  }
  std::string text = read_all(out[0]);
  close(out[0]);
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (const int code = shell_status(status); code != 0)
    return Failure{argv[0] + " failed (exit status " + std::to_string(code) + ")"};
  return text;
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::start(
    const std::vector<std::string>& argv,
    const std::vector<std::pair<std::string, std::string>>& environment) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Failure{"pipe: " + errno_text(errno)};
  std::FILE* err = std::tmpfile();
  if (!err) {
    const int e = errno;
    close(out[0]);
    close(out[1]);
    return Failure{"tmpfile: " + errno_text(e)};
  }
  auto pid = spawn(argv, {out[1], fileno(err), true, environment});
  close(out[1]);
  if (!pid) {
    close(out[0]);
    std::fclose(err);
    return Failure{pid.error()};
  }
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<ChildProcess>(new ChildProcess(*pid, out[0], err));
}

ChildProcess::~ChildProcess() { stop(SIGTERM, 3.0); }

bool ChildProcess::read_some() {
  char buf[65536];
  for (;;) {
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return false;
    if (n < 0) return true;  // EAGAIN: nothing more for now
    partial_.append(buf, static_cast<std::size_t>(n));
  }
}

ChildProcess::Wait ChildProcess::next_line(std::string& line, double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    if (const std::size_t nl = partial_.find('\n'); nl != std::string::npos) {
      line = partial_.substr(0, nl);
      partial_.erase(0, nl + 1);
      return Wait::line;
    }
    const double left = std::chrono::duration<double>(deadline - Clock::now()).count();
    if (left <= 0) return Wait::timeout;
    const int ready = wait_readable(out_fd_, left);
    if (ready < 0 && errno == EINTR) continue;
    if (ready > 0 && !read_some() && partial_.find('\n') == std::string::npos) return Wait::ended;
  }
}

std::vector<std::string> ChildProcess::lines() {
  read_some();
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(partial_.substr(start, nl - start));
  partial_.erase(0, start);
  return out;
}

void ChildProcess::wait_quiet(double quiet_s, double max_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(max_s);
  for (double left; (left = std::chrono::duration<double>(deadline - Clock::now()).count()) > 0;) {
    const int ready = wait_readable(out_fd_, std::min(left, quiet_s));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;    // quiet for quiet_s: it has caught up
    if (!read_some()) return;  // it ended
  }
}

std::string ChildProcess::error_text() const {
  // pread: the child shares the file's offset, so ours must not move it.
  std::string text;
  char buf[4096];
  ssize_t n;
  for (off_t at = 0; (n = pread(fileno(err_), buf, sizeof buf, at)) > 0; at += n)
    text.append(buf, static_cast<std::size_t>(n));
  return text;
}

void ChildProcess::stop(int signal, double grace_s) {
  if (pid_ <= 0) return;
  kill(pid_, signal);
  const auto deadline = Clock::now() + std::chrono::duration<double>(grace_s);
  bool reaped = false;
  while (!(reaped = waitpid(pid_, nullptr, WNOHANG) == pid_) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!reaped) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(out_fd_);
  std::fclose(err_);
  pid_ = -1;
}

int shell_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

Result<pid_t> start_command(const std::vector<std::string>& argv) { return spawn(argv, {}); }

void adopt_orphans() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

std::vector<ProcessEntry> process_table() {
  namespace fs = std::filesystem;
  std::vector<ProcessEntry> table;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // "pid (comm) state ppid ...": comm may hold spaces, so read after ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    ProcessEntry e;
    e.pid = std::stoi(name);
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &e.state, &e.ppid) == 2) table.push_back(e);
  }
  return table;
}

void end_leftovers(int grace_ms) {
  const pid_t self = getpid();
  auto children = [self] {
    std::vector<pid_t> found;
    for (const ProcessEntry& e : process_table())
      if (e.ppid == self) found.push_back(e.pid);
    return found;
  };
  for (pid_t p : children()) kill(p, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::milliseconds(grace_ms);
  while (true) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (children().empty()) return;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (pid_t p : children()) kill(p, SIGKILL);
  while (waitpid(-1, nullptr, 0) > 0) {
  }
}

}  // namespace socklab
