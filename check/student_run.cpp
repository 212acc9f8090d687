#include "check/student_run.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "capture/child_process.hpp"

namespace socklab {
namespace {

using Clock = std::chrono::steady_clock;

// Every process whose parent chain reaches us (zombies too, unless `live_only`).
std::vector<pid_t> descendants(bool live_only = false) {
  std::map<pid_t, pid_t> parent;
  std::map<pid_t, char> states;
  for (const ProcessEntry& e : process_table()) {
    parent[e.pid] = e.ppid;
    states[e.pid] = e.state;
  }
  const pid_t self = getpid();
  std::vector<pid_t> found;
  for (const auto& [pid, ppid] : parent) {
    pid_t p = ppid;
    for (int depth = 0; depth < 64 && p > 1; ++depth) {
      if (p == self) {
        if (!live_only || states[pid] != 'Z') found.push_back(pid);
        break;
      }
      auto it = parent.find(p);
      if (it == parent.end()) break;
      p = it->second;
    }
  }
  return found;
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void end_process_tree(int grace_ms) {
  for (pid_t p : descendants()) kill(p, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::milliseconds(grace_ms);
  while (true) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    auto left = descendants();
    if (left.empty()) return;
    if (Clock::now() >= deadline) {
      // Ignoring SIGTERM does not keep a program alive: SIGKILL cannot be caught.
      for (pid_t p : left) kill(p, SIGKILL);
      for (int i = 0; i < 200 && !descendants().empty(); ++i) {
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<std::unique_ptr<StudentRun>> StudentRun::open() {
  auto command = CapturedCommand::open("tcp or udp", Tracer());
  if (!command) return Failure{command.error()};
  std::unique_ptr<StudentRun> run(new StudentRun(std::move(command.value())));
  run->reader_ = std::thread([r = run.get()] { r->read_capture(); });
  return run;
}

void StudentRun::read_capture() {
  CaptureRecord record;
  while (!stopping_) {
    const auto next = command_->next(record, 50);
    if (auto status = command_->exit_status()) exit_status_ = *status;
    if (next == PcapSource::Next::error) return;
    if (next != PcapSource::Next::record) continue;
    const Decoded d =
        decode_segment(command_->capture().link(), record.data, record.caplen, record.wirelen, record.time);
    if (!d.segment) continue;
    std::lock_guard lock(mutex_);
    segments_.push_back(*d.segment);
  }
}

Result<void> StudentRun::start(const std::vector<std::string>& command) {
  // The program's output goes to an unnamed file: never between our lines.
  char path[] = "/tmp/socklab-check-XXXXXX";
  output_fd_ = mkstemp(path);
  if (output_fd_ < 0) return Failure{"cannot make a temporary file for the program's output"};
  unlink(path);
  std::fflush(stdout);
  std::cout.flush();
  std::cerr.flush();
  const int saved[3] = {fcntl(0, F_DUPFD_CLOEXEC, 3), fcntl(1, F_DUPFD_CLOEXEC, 3),
                        fcntl(2, F_DUPFD_CLOEXEC, 3)};
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  dup2(null, 0);
  dup2(output_fd_, 1);
  dup2(output_fd_, 2);
  auto started = command_->start(command);
  for (int fd = 0; fd < 3; ++fd) {
    dup2(saved[fd], fd);
    close(saved[fd]);
  }
  close(null);
  return started;
}

std::optional<int> StudentRun::exit_status() const {
  int s = exit_status_;
  if (s >= 0) return s;
  if (!descendants(true).empty()) return std::nullopt;
  // Nothing of it runs any more: the capture thread reaps it within its
  // poll (50 ms) and the leftovers' grace; wait that long for the status.
  for (int i = 0; i < 150 && (s = exit_status_) < 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (s < 0) return std::nullopt;
  return s;
}

std::vector<Segment> StudentRun::segments() const {
  std::lock_guard lock(mutex_);
  return segments_;
}

std::string StudentRun::output(std::size_t max) const {
  if (output_fd_ < 0) return "";
  const off_t size = lseek(output_fd_, 0, SEEK_END);
  const off_t from = size > static_cast<off_t>(max) ? size - static_cast<off_t>(max) : 0;
  std::string text(static_cast<std::size_t>(size - from), '\0');
  const ssize_t n = pread(output_fd_, text.data(), text.size(), from);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return text;
}

std::vector<TcpRow> StudentRun::tcp_table(bool v6) {
  return parse_proc_net_tcp(read_file(v6 ? "/proc/net/tcp6" : "/proc/net/tcp"), v6);
}

std::vector<TcpRow> StudentRun::udp_table(bool v6) {
  return parse_proc_net_tcp(read_file(v6 ? "/proc/net/udp6" : "/proc/net/udp"), v6);
}

void StudentRun::end() {
  if (ended_) return;
  ended_ = true;
  stopping_ = true;
  if (reader_.joinable()) reader_.join();
  end_process_tree(1000);
  command_->stop();
}

StudentRun::~StudentRun() {
  end();
  if (output_fd_ >= 0) close(output_fd_);
}

}  // namespace socklab
