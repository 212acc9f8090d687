#include "tcpstate/watcher.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "capture/child_process.hpp"
#include "tcpstate/transition_merge.hpp"

namespace socklab {
namespace {

// The poll sources other than `failed`: "--source netstat, --source proc".
std::string other_sources(SourceKind failed) {
  std::string out;
  for (SourceKind k : {SourceKind::ss, SourceKind::netstat, SourceKind::proc}) {
    if (k == failed) continue;
    out += (out.empty() ? "--source " : ", --source ") + std::string(source_name(k));
  }
  return out;
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

std::string source_alternatives(SourceKind failed) { return "other sources: " + other_sources(failed); }

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
    auto bpf = BpftraceSource::start(other_sources(kind));
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
  // bpftrace's events first, then the table: every event drained happened
  // before the table was read, so a socket that went FIN_WAIT_2 -> CLOSED
  // into TIME_WAIT is already in the table as TIME_WAIT.
  std::vector<KernelTransition> kernel;
  if (bpftrace_) kernel = bpftrace_->drain();
  auto rows = poll_source(kind_, timers_);
  if (!rows) return R::failure(rows.error());
  std::vector<SocketRow> mine;
  for (auto& row : *rows) {
    if (filter_.matches(row)) mine.push_back(std::move(row));
  }
  std::vector<Transition> polled = diff_.update(mine, now_s);
  if (bpftrace_) return merge_transitions(from_kernel(kernel), std::move(polled), diff_.current());
  for (auto& t : polled) t.source = source_name(kind_);
  return polled;
}

std::vector<Transition> Watcher::from_kernel(const std::vector<KernelTransition>& kernel) {
  std::vector<Transition> out;
  // connect() reports CLOSED -> SYN_SENT before the local port is chosen:
  // the socket's next transition names it.
  std::map<std::uint64_t, std::size_t> portless;
  for (const KernelTransition& k : kernel) {
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
    if (auto e = entered_.find(k.socket); e != entered_.end()) t.seconds_in_from = t.time - e->second;
    if (k.to == TcpState::closed) {
      entered_.erase(k.socket);
    } else {
      entered_[k.socket] = t.time;
    }
    if (k.local_port == 0 && k.remote_port != 0) portless[k.socket] = out.size();
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace socklab
