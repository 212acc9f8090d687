#include "capture/captured_command.hpp"

#include <sys/wait.h>

#include <csignal>

#include "capture/child_process.hpp"
#include "capture/private_network.hpp"

namespace socklab {
namespace {

// The calls --trace names: a namespace of our own, then libpcap opens a
// packet socket on the interface and attaches the compiled filter to it.
constexpr Call unshare_call{"syscall.Unshare", "unshare(CLONE_NEWNET)"};
constexpr Call capture_call{"pcap.OpenLive (gopacket)", "socket(AF_PACKET)+bind"};
constexpr Call filter_call{"handle.SetBPFFilter", "setsockopt(SO_ATTACH_FILTER)"};

// Grace for what the command left running: its last segments are still read.
constexpr int leftovers_grace_ms = 1000;

}  // namespace

void trace_live_capture(const Tracer& tracer, const std::string& interface, const std::string& filter) {
  tracer.step(2, "capture", "on " + interface + ": a packet socket sees every packet", capture_call);
  tracer.step(3, "filter", "'" + filter + "': the kernel drops every other packet", filter_call);
}

Result<std::unique_ptr<CapturedCommand>> CapturedCommand::open(const std::string& filter,
                                                               const Tracer& tracer) {
  if (auto ns = enter_private_network(); !ns)
    return Failure{"cannot make a private network namespace (" + ns.error() + ")"};
  tracer.step(1, "unshare", "a network namespace of our own, only lo in it", unshare_call);
  auto capture = PcapSource::open_live("lo", filter);
  if (!capture) return Failure{"capture on lo: " + capture.error()};
  trace_live_capture(tracer, "lo", filter);
  return std::unique_ptr<CapturedCommand>(new CapturedCommand(std::move(capture.value())));
}

Result<void> CapturedCommand::start(const std::vector<std::string>& command) {
  adopt_orphans();
  auto started = start_command(command);
  if (!started) return Failure{started.error()};
  pid_ = *started;
  return {};
}

CapturedCommand::~CapturedCommand() { stop(); }

void CapturedCommand::reap() {
  int status = 0;
  if (pid_ <= 0 || waitpid(pid_, &status, WNOHANG) != pid_) return;
  exit_status_ = shell_status(status);
  pid_ = -1;
  end_leftovers(leftovers_grace_ms);  // a server it started with '&', say
}

PcapSource::Next CapturedCommand::next(CaptureRecord& record, int timeout_ms) {
  reap();
  const PcapSource::Next next = capture_->next(record, timeout_ms);
  if (next == PcapSource::Next::quiet && exit_status_) return PcapSource::Next::end;
  return next;
}

void CapturedCommand::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  end_leftovers(leftovers_grace_ms);
}

}  // namespace socklab
