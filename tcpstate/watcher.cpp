#include "tcpstate/watcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace socklab {
namespace {

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The Debian package that brings each outside program.
std::string_view package_of(std::string_view program) {
  if (program == "ss") return "iproute2";
  if (program == "netstat") return "net-tools";
  return program;
}

// Is `name` an executable on PATH?
bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    if (access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
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

// The last line of bpftrace's stderr that is not its memlock warning.
std::string last_error_line(const std::string& text) {
  std::string best;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.find("RLIMIT_MEMLOCK") != std::string::npos) continue;
    best = line;
  }
  return best.empty() ? "exited without saying why" : best;
}

}  // namespace

std::string_view source_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::ss:
      return "ss";
    case SourceKind::netstat:
      return "netstat";
    case SourceKind::proc:
      return "proc";
    case SourceKind::bpftrace:
      return "bpftrace";
  }
  return "?";
}

std::string source_alternatives(SourceKind failed) {
  std::string out = "other sources: ";
  bool first = true;
  for (SourceKind k : {SourceKind::ss, SourceKind::netstat, SourceKind::proc}) {
    if (k == failed) continue;
    out += (first ? "--source " : ", --source ") + std::string(source_name(k));
    first = false;
  }
  return out;
}

Result<std::string> run_command(const std::vector<std::string>& argv) {
  if (!on_path(argv[0])) {
    return Result<std::string>::failure(argv[0] + " is not installed (Debian package " +
                                        std::string(package_of(argv[0])) + ")");
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return Result<std::string>::failure(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return Result<std::string>::failure(argv[0] + ": " + std::strerror(rc));
  }
  std::string text = read_all(out[0]);
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Result<std::string>::failure(
        argv[0] + " failed (exit status " +
        std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
  }
  return text;
}

Result<std::vector<SocketRow>> poll_source(SourceKind kind, bool timers) {
  using Rows = Result<std::vector<SocketRow>>;
  switch (kind) {
    case SourceKind::ss: {
      auto text = run_command({"ss", timers ? "-tano" : "-tan"});
      if (!text) return Rows::failure(text.error());
      auto rows = parse_ss(*text);
      return rows ? rows : Rows::failure("ss: " + rows.error());
    }
    case SourceKind::netstat: {
      auto text = run_command({"netstat", "-tanW"});
      if (!text) return Rows::failure(text.error());
      auto rows = parse_netstat(*text);
      return rows ? rows : Rows::failure("netstat: " + rows.error());
    }
    case SourceKind::proc:
    case SourceKind::bpftrace: {
      std::vector<SocketRow> all;
      for (const char* path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(path);
        if (!in) {
          if (std::string(path) == "/proc/net/tcp6") continue;  // a kernel without IPv6
          return Rows::failure(std::string(path) + ": " + std::strerror(errno));
        }
        std::stringstream text;
        text << in.rdbuf();
        auto rows = parse_proc_net_tcp(text.str());
        if (!rows) return Rows::failure(std::string(path) + ": " + rows.error());
        all.insert(all.end(), rows->begin(), rows->end());
      }
      return all;
    }
  }
  return Rows::failure("unknown source");
}

Result<std::unique_ptr<BpftraceProcess>> BpftraceProcess::start(double timeout_s) {
  using R = Result<std::unique_ptr<BpftraceProcess>>;
  const std::string others = source_alternatives(SourceKind::bpftrace);
  if (!on_path("bpftrace"))
    return R::failure("bpftrace is not installed (Debian package bpftrace); " + others);
  if (geteuid() != 0) {
    return R::failure("bpftrace needs root (it loads a program into the kernel): run as root, or use " +
                      others.substr(std::strlen("other sources: ")));
  }
  struct stat st {};
  if (stat("/sys/kernel/tracing/events/sock/inet_sock_set_state", &st) != 0 &&
      stat("/sys/kernel/debug/tracing/events/sock/inet_sock_set_state", &st) != 0) {
    return R::failure(
        "the tracepoint sock:inet_sock_set_state is not visible (tracefs not mounted? "
        "mount -t tracefs nodev /sys/kernel/tracing); " +
        others);
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return R::failure(std::string("pipe: ") + std::strerror(errno));
  FILE* err = std::tmpfile();
  if (!err) return R::failure(std::string("tmpfile: ") + std::strerror(errno));
  // Only our network namespace's sockets, as ss shows, where the kernel lets
  // bpftrace read a socket's namespace (BTF); every namespace's otherwise.
  struct stat ns {};
  const bool btf = stat("/sys/kernel/btf/vmlinux", &st) == 0;
  const std::string program = bpftrace_program(
      btf && stat("/proc/self/ns/net", &ns) == 0 ? static_cast<std::uint64_t>(ns.st_ino) : 0);
  pid_t pid = fork();
  if (pid < 0) return R::failure(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // The child: bpftrace, ended by the kernel if tcpstate dies first.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(out[1], STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    // A burst of connections on a busy machine can outrun bpftrace's reader:
    // a larger ring (1024 pages per CPU, 4 MiB) keeps the kernel from
    // dropping events before bpftrace prints them.
    setenv("BPFTRACE_PERF_RB_PAGES", "1024", 0);
    execlp("bpftrace", "bpftrace", "-B", "line", "-e", program.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::unique_ptr<BpftraceProcess> self(new BpftraceProcess(pid, out[0]));
  // Wait for the BEGIN probe's "READY" (compiling and loading takes seconds).
  const double deadline = monotonic_seconds() + timeout_s;
  std::string seen;
  for (;;) {
    const double left = deadline - monotonic_seconds();
    if (left <= 0) {
      std::fclose(err);
      return R::failure("bpftrace did not attach its probe within " +
                        std::to_string(static_cast<int>(timeout_s)) + " s");
    }
    pollfd p{out[0], POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    char c;
    ssize_t n = ready > 0 ? read(out[0], &c, 1) : 0;
    if (ready > 0 && n <= 0) {
      std::fflush(err);
      std::rewind(err);
      std::string text;
      char buf[4096];
      std::size_t got;
      while ((got = std::fread(buf, 1, sizeof buf, err)) > 0) text.append(buf, got);
      std::fclose(err);
      return R::failure("bpftrace: " + last_error_line(text) + "; " + others);
    }
    if (n == 1) {
      if (c == '\n') {
        if (seen == "READY") break;
        seen.clear();
      } else {
        seen += c;
      }
    }
  }
  std::fclose(err);  // bpftrace keeps its own descriptor of the file
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return self;
}

BpftraceProcess::~BpftraceProcess() {
  kill(pid_, SIGINT);  // bpftrace detaches its probe on SIGINT
  for (int i = 0; i < 300; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      close(out_fd_);
      return;
    }
    usleep(10000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  close(out_fd_);
}

std::vector<KernelTransition> BpftraceProcess::drain() {
  std::vector<KernelTransition> out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial_.append(buf, static_cast<std::size_t>(n));
  }
  std::size_t start = 0;
  for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (auto t = parse_bpftrace_line(std::string_view(partial_).substr(start, nl - start))) out.push_back(*t);
  }
  partial_.erase(0, start);
  return out;
}

void BpftraceProcess::settle(double quiet_s, double max_s) {
  const double deadline = monotonic_seconds() + max_s;
  char buf[65536];
  for (double left; (left = deadline - monotonic_seconds()) > 0;) {
    pollfd p{out_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min(left, quiet_s) * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;  // quiet for quiet_s: bpftrace has caught up
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) return;  // bpftrace ended
    partial_.append(buf, static_cast<std::size_t>(n));
  }
}

void Watcher::settle() {
  if (bpftrace_) bpftrace_->settle(0.3, 3.0);
}

Watcher::Watcher(SourceKind kind, SocketFilter filter, bool timers)
    : kind_(kind), filter_(std::move(filter)), timers_(timers), start_(monotonic_seconds()) {}

double Watcher::now() const { return monotonic_seconds() - start_; }

Result<std::unique_ptr<Watcher>> Watcher::open(SourceKind kind, SocketFilter filter, bool timers) {
  using R = Result<std::unique_ptr<Watcher>>;
  std::unique_ptr<Watcher> w(new Watcher(kind, std::move(filter), timers));
  if (kind == SourceKind::bpftrace) {
    auto bpf = BpftraceProcess::start();
    if (!bpf) return R::failure(bpf.error());
    w->bpftrace_ = std::move(bpf).value();
  } else {
    auto rows = poll_source(kind, timers);
    if (!rows) return R::failure(rows.error() + "; " + source_alternatives(kind));
  }
  return w;
}

Result<std::vector<Transition>> Watcher::poll() {
  using R = Result<std::vector<Transition>>;
  const double now_s = now();
  auto rows = poll_source(kind_, timers_);
  if (!rows) return R::failure(rows.error());
  std::vector<SocketRow> mine;
  for (auto& row : *rows) {
    if (filter_.matches(row)) mine.push_back(std::move(row));
  }
  std::vector<Transition> polled = diff_.update(mine, now_s);
  const std::string name(source_name(kind_));
  if (!bpftrace_) {
    for (auto& t : polled) t.source = name;
    return polled;
  }

  // bpftrace: the kernel's own transitions, exact to the nanosecond; /proc
  // adds TIME_WAIT, which the tracepoint reports as CLOSED (the socket is
  // replaced by a small timewait socket that has no state changes).
  std::vector<Transition> out;
  // connect() reports CLOSED -> SYN_SENT before the local port is chosen:
  // the socket's next transition names it.
  std::map<std::uint64_t, std::size_t> portless;
  for (const KernelTransition& k : bpftrace_->drain()) {
    if (auto p = portless.find(k.socket); p != portless.end() && k.local_port != 0) {
      out[p->second].local = k.local;
      portless.erase(p);
    }
    if (!filter_.matches(k.local, k.local_port, k.remote, k.remote_port)) continue;
    Transition t;
    t.time = static_cast<double>(k.nanoseconds) / 1e9 - start_;
    t.local = k.local;
    t.remote = k.remote;
    t.from = k.from;
    t.to = k.to;
    t.source = "bpftrace";
    if (auto e = entered_.find(k.socket); e != entered_.end()) t.seconds_in_from = t.time - e->second;
    if (k.to == TcpState::closed) {
      entered_.erase(k.socket);
      const bool closer =
          k.from == TcpState::fin_wait_1 || k.from == TcpState::fin_wait_2 || k.from == TcpState::closing;
      auto now_there = diff_.current().find(SnapshotDiff::key(k.local, k.remote));
      if (closer && now_there != diff_.current().end() &&
          now_there->second.row.state == TcpState::time_wait) {
        t.to = TcpState::time_wait;
      }
    } else {
      entered_[k.socket] = t.time;
    }
    if (k.local_port == 0 && k.remote_port != 0) portless[k.socket] = out.size();
    out.push_back(std::move(t));
  }
  for (auto& t : polled) {
    const bool time_wait_ends = t.from == TcpState::time_wait && !t.to;
    const bool unseen_time_wait =
        t.to == TcpState::time_wait && t.from != TcpState::time_wait &&
        std::none_of(out.begin(), out.end(), [&](const Transition& b) {
          return b.local == t.local && b.remote == t.remote && b.to == TcpState::time_wait;
        });
    if (t.initial || t.queues_only || time_wait_ends || unseen_time_wait) {
      t.source = "proc";
      out.push_back(std::move(t));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Transition& a, const Transition& b) { return a.time < b.time; });
  return out;
}

}  // namespace socklab
