#include "tcpstate/ladder_run.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "capture/captured_command.hpp"
#include "capture/pcap_source.hpp"
#include "capture/segment.hpp"
#include "common/error.hpp"
#include "common/stop_signals.hpp"
#include "tcpstate/cli_options.hpp"
#include "tcpstate/ladder_printer.hpp"

namespace socklab {
namespace {

// Said whenever a capture cannot be made here.
constexpr auto capture_alternatives =
    "run it with sudo, read a saved capture with --read FILE, or use the two-host lab (./socklab lab)";

// The BPF filter: libpcap keeps only these packets, in the kernel.
std::string ladder_filter(const LadderOptions& o) {
  std::string filter = o.read.empty() ? "tcp" : "";
  auto also = [&filter](const std::string& part) { filter += (filter.empty() ? "" : " and ") + part; };
  if (!o.read.empty() && (o.port != 0 || o.host)) also("tcp");
  if (o.port != 0) also("port " + std::to_string(o.port));
  if (o.host) also("host " + o.host->to_string());
  return filter;
}

// Where the ladder's packets come from: a saved file, a live capture, or the
// private namespace of `-- COMMAND` (whose capture `run` holds).
struct LadderSource {
  std::unique_ptr<PcapSource> own;
  std::unique_ptr<CapturedCommand> run;

  PcapSource& capture() { return run ? run->capture() : *own; }
  PcapSource::Next next(CaptureRecord& record) {
    return run ? run->next(record, 100) : own->next(record, 100);
  }
};

// The source, filtered; the reason, with what to do instead, if it cannot be
// opened.
LadderSource open_ladder_source(const LadderOptions& o, const Tracer& tracer) {
  const std::string filter = ladder_filter(o);
  LadderSource source;
  if (!o.command.empty()) {
    auto run = CapturedCommand::open(filter, tracer);
    if (!run) throw StepError("-- " + o.command[0], run.error() + "; " + capture_alternatives);
    source.run = std::move(run.value());
    return source;
  }
  if (!o.read.empty()) {
    auto file = PcapSource::open_file(o.read, filter);
    if (!file) throw StepError("read " + o.read, file.error());
    source.own = std::move(file.value());
    return source;
  }
  const std::string interface = o.interface.empty() ? "lo" : o.interface;
  auto live = PcapSource::open_live(interface, filter);
  if (!live) {
    std::string why = live.error();
    if (why.starts_with("permission denied"))
      why +=
          "; run the programs under it with tcpstate ladder -- COMMAND (a private network namespace), or " +
          std::string(capture_alternatives);
    throw StepError("capture on " + interface, why);
  }
  trace_live_capture(tracer, interface, filter);
  source.own = std::move(live.value());
  return source;
}

// Reads, decodes and draws until the source ends, a signal, --duration or
// --count; the capture's error, if it failed (drawn what came before).
std::string draw_ladder(LadderSource& source, LadderPrinter& printer, SkipCounts& skips,
                        const LadderOptions& o, const StopSignals& stop) {
  PcapSource& capture = source.capture();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  CaptureRecord record;
  while (!stop.requested() && !std::ferror(stdout)) {
    if (capture.live() && o.duration > 0 && elapsed() >= o.duration) break;
    const PcapSource::Next next = source.next(record);
    if (next == PcapSource::Next::end) break;
    if (next == PcapSource::Next::error) return capture.error();
    if (next == PcapSource::Next::quiet) {
      printer.flush();
      capture.flush_file();
      continue;
    }
    capture.save(record);
    const Decoded decoded =
        decode_segment(capture.link(), record.data, record.caplen, record.wirelen, record.time);
    if (skips.count(decoded) && !printer.add(*decoded.segment, capture.live())) break;
  }
  return "";
}

// Capture (or read), decode, follow, draw: one segment at a time, so memory
// stays flat however long the capture.
}  // namespace

int ladder(const LadderOptions& o, bool quiet, const Tracer& tracer) {
  LadderSource source = open_ladder_source(o, tracer);  // [1] unshare, [2] capture, [3] filter
  PcapSource& capture = source.capture();
  if (!o.write.empty()) {
    if (auto w = capture.write_to(o.write); !w) throw StepError("write " + o.write, w.error());
  }
  if (source.run) {
    if (auto started = source.run->start(o.command); !started) throw StepError("run", started.error());
  }
  const StopSignals stop;  // SIGINT/SIGTERM: draw what came, end the command
  const bool terminal = !o.json && isatty(STDOUT_FILENO);
  const std::string interface = source.run || o.interface.empty() ? "lo" : o.interface;
  if (terminal && capture.live() && !quiet)
    std::fprintf(stderr, "tcpstate: capturing on %s%s\n", interface.c_str(),
                 source.run ? ", a private network namespace, until the command ends" : " (Ctrl-C ends)");
  LadderPrinter printer(o, terminal);
  SkipCounts skips;
  const std::string failure = draw_ladder(source, printer, skips, o, stop);
  printer.flush();
  if (source.run) source.run->stop();  // we stopped first: end the command and what it started
  const std::string step = o.read.empty() ? "capture on " + interface : "read " + o.read;
  if (!failure.empty()) throw StepError(step, failure);
  if (const auto summary = skips.summary(); !summary.empty() && !quiet)
    std::fprintf(stderr, "%s\n", format_error(program, step, summary).c_str());
  if (const auto lost = capture.dropped(); lost > 0 && !quiet)
    std::fprintf(stderr, "%s\n",
                 format_error(program, step,
                              std::to_string(lost) + " packets dropped by the kernel (too fast to draw)")
                     .c_str());
  return source.run ? source.run->exit_status().value_or(0) : 0;
}

}  // namespace socklab
