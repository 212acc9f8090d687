#include "tcpstate/bpftrace_source.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <sstream>

#include "tcpstate/fields.hpp"
#include "tcpstate/socket_table.hpp"

namespace socklab {
namespace {

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

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string bpftrace_program(std::uint64_t netns_inode) {
  // One line per state change of a TCP socket (protocol 6); family 2 is
  // AF_INET. skaddr identifies the socket from its first to its last state.
  std::string filter = "args->protocol == 6";
  if (netns_inode != 0) {
    filter += " && ((struct sock *)args->skaddr)->__sk_common.skc_net.net->ns.inum == " +
              std::to_string(netns_inode);
  }
  // BEGIN runs once every probe is attached: "READY" says events are flowing
  // ("Attaching 1 probe..." comes before the probe is really in place).
  return "BEGIN { printf(\"READY\\n\"); }\ntracepoint:sock:inet_sock_set_state /" + filter + R"(/ {
  if (args->family == 2) {
    printf("T %llu %llx %s %u %s %u %d %d\n", nsecs, (uint64)args->skaddr, ntop(args->saddr), args->sport,
           ntop(args->daddr), args->dport, args->oldstate, args->newstate);
  } else {
    printf("T %llu %llx %s %u %s %u %d %d\n", nsecs, (uint64)args->skaddr, ntop(args->saddr_v6), args->sport,
           ntop(args->daddr_v6), args->dport, args->oldstate, args->newstate);
  }
}
)";
}

std::optional<KernelTransition> parse_bpftrace_line(std::string_view line) {
  auto f = fields(line);
  if (f.size() != 9 || f[0] != "T") return std::nullopt;
  KernelTransition t;
  auto ns = number<std::uint64_t>(f[1]);
  auto sk = number<std::uint64_t>(f[2], 16);
  auto sport = number<std::uint16_t>(f[4]);
  auto dport = number<std::uint16_t>(f[6]);
  auto old_n = number<int>(f[7]);
  auto new_n = number<int>(f[8]);
  if (!ns || !sk || !sport || !dport || !old_n || !new_n) return std::nullopt;
  auto local = normalise_endpoint(f[3], f[4]);
  auto remote = normalise_endpoint(f[5], f[6]);
  auto from = state_from_kernel(*old_n);
  auto to = state_from_kernel(*new_n);
  if (!local || !remote || !from || !to) return std::nullopt;
  t.nanoseconds = *ns;
  t.socket = *sk;
  t.local = *local;
  t.remote = *remote;
  t.local_port = *sport;
  t.remote_port = *dport;
  t.from = *from;
  t.to = *to;
  return t;
}

Result<std::unique_ptr<BpftraceSource>> BpftraceSource::start(const std::string& others, double timeout_s) {
  using R = Result<std::unique_ptr<BpftraceSource>>;
  if (!on_path("bpftrace"))
    return R::failure("bpftrace is not installed (Debian package bpftrace); other sources: " + others);
  if (geteuid() != 0)
    return R::failure("bpftrace needs root (it loads a program into the kernel): run as root, or use " +
                      others);
  struct stat st {};
  if (stat("/sys/kernel/tracing/events/sock/inet_sock_set_state", &st) != 0 &&
      stat("/sys/kernel/debug/tracing/events/sock/inet_sock_set_state", &st) != 0) {
    return R::failure(
        "the tracepoint sock:inet_sock_set_state is not visible (tracefs not mounted? "
        "mount -t tracefs nodev /sys/kernel/tracing); other sources: " +
        others);
  }
  // Only our network namespace's sockets, as ss shows, where the kernel lets
  // bpftrace read a socket's namespace (BTF); every namespace's otherwise.
  struct stat ns {};
  const bool btf = stat("/sys/kernel/btf/vmlinux", &st) == 0;
  const std::string program = bpftrace_program(
      btf && stat("/proc/self/ns/net", &ns) == 0 ? static_cast<std::uint64_t>(ns.st_ino) : 0);
  // -B line: a line is printed as soon as it is complete. A burst of
  // connections on a busy machine can outrun bpftrace's reader: a larger
  // ring (1024 pages per CPU, 4 MiB) keeps the kernel from dropping events
  // before bpftrace prints them.
  auto child =
      ChildProcess::start({"bpftrace", "-B", "line", "-e", program}, {{"BPFTRACE_PERF_RB_PAGES", "1024"}});
  if (!child) return R::failure(child.error() + "; other sources: " + others);
  std::unique_ptr<BpftraceSource> self(new BpftraceSource(std::move(child).value()));
  // The BEGIN probe's "READY" (compiling and loading takes seconds).
  const double deadline = monotonic_seconds() + timeout_s;
  for (std::string line; line != "READY";) {
    switch (self->child_->next_line(line, deadline - monotonic_seconds())) {
      case ChildProcess::Wait::line:
        break;
      case ChildProcess::Wait::timeout:
        return R::failure("bpftrace did not attach its probe within " +
                          std::to_string(static_cast<int>(timeout_s)) + " s");
      case ChildProcess::Wait::ended:
        return R::failure("bpftrace: " + last_error_line(self->child_->error_text()) +
                          "; other sources: " + others);
    }
  }
  return self;
}

BpftraceSource::~BpftraceSource() { child_->stop(SIGINT, 3.0); }

std::vector<KernelTransition> BpftraceSource::drain() {
  std::vector<KernelTransition> out;
  for (const std::string& line : child_->lines()) {
    if (auto t = parse_bpftrace_line(line)) out.push_back(*t);
  }
  return out;
}

void BpftraceSource::settle(double quiet_s, double max_s) { child_->wait_quiet(quiet_s, max_s); }

}  // namespace socklab
