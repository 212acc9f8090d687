// socklab-check: grades a student's own server at the wire. The program runs
// in a network namespace of our own, captured from its first packet; each
// check is a client of ours talking to it, and what came back, the socket
// table and the ladder are the evidence. Lesson: notes/concurrent-tcp-server.md
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "check/exercises.hpp"
#include "check/proc_net_tcp.hpp"
#include "check/student_run.hpp"
#include "check/verdict.hpp"
#include "common/cli.hpp"
#include "socklab_version.hpp"

namespace {

using namespace socklab;
using Clock = std::chrono::steady_clock;

constexpr const char* program = "socklab-check";

struct Options {
  std::string exercise;
  bool list = false;
  bool json = false;
  bool verbose = false;
  std::uint16_t port = 0;  // 0: the first socket the program listens on
  std::string only;
  double listen_timeout = 10;  // `go run` compiles first
  double timeout = 60;         // the whole run
  std::vector<std::string> command;
};

class Printer {
 public:
  Printer(const Options& o, VerdictStyle style) : options_(o), style_(style) {}
  void print(const CheckResult& r) {
    tally_.add(r.verdict);
    if (options_.json)
      std::cout << result_json(r) << "\n";
    else
      std::cout << result_text(r, style_);
    std::cout.flush();
  }
  int finish() {
    if (options_.json)
      std::cout << summary_json(options_.exercise, tally_) << "\n";
    else
      std::cout << summary_text(options_.exercise, tally_, style_);
    return tally_.fail > 0 ? 1 : 0;
  }

 private:
  const Options& options_;
  VerdictStyle style_;
  Tally tally_;
};

int list_exercises() {
  for (const auto& e : exercises()) std::cout << e.name << "  " << e.summary << "  (" << e.lesson << ")\n";
  return 0;
}

int list_checks(const Exercise& e) {
  std::cout << listens_id << "  " << (e.udp ? binds_sentence : listens_sentence) << "\n";
  for (const auto& c : e.checks) std::cout << c.id << "  " << c.sentence << "\n";
  return 0;
}

// The last lines the program printed, as evidence.
void add_output(std::vector<std::string>& evidence, const StudentRun& run) {
  const std::string out = run.output(400);
  if (out.empty()) return;
  evidence.push_back("the program printed:");
  std::size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    evidence.push_back("  " + out.substr(start, end - start));
    start = end + 1;
  }
}

// Waits for the program's listening socket: the first in the namespace's
// table (ours are clients only), or the one on --port.
CheckResult wait_listening(const Options& o, const Exercise& exercise, StudentRun& run,
                           CheckContext& context) {
  const char* sentence = exercise.udp ? binds_sentence : listens_sentence;
  CheckResult r{listens_id, sentence, Verdict::pass, {}, ""};
  const std::string table = exercise.udp ? "/proc/net/udp" : "/proc/net/tcp";
  const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int>(o.listen_timeout * 1000));
  while (true) {
    auto tcp = exercise.udp ? StudentRun::udp_table(false) : StudentRun::tcp_table(false);
    auto tcp6 = exercise.udp ? StudentRun::udp_table(true) : StudentRun::tcp_table(true);
    if (o.port != 0) {
      std::erase_if(tcp, [&](const TcpRow& row) { return row.local_port != o.port; });
      std::erase_if(tcp6, [&](const TcpRow& row) { return row.local_port != o.port; });
    }
    if (auto row = exercise.udp ? first_bound(tcp, tcp6) : first_listening(tcp, tcp6)) {
      const bool v6 = row->local_ip.find(':') != std::string::npos;
      context.port = row->local_port;
      context.host = row->local_ip;
      if (row->local_ip == "0.0.0.0") context.host = "127.0.0.1";
      if (row->local_ip == "::") context.host = "::1";
      r.sentence = std::string(exercise.udp ? "the program binds UDP " : "the program listens on TCP ") +
                   row_endpoint(row->local_ip, row->local_port);
      r.evidence.push_back(table + (v6 ? "6" : "") + ": " + row->line);
      return r;
    }
    if (auto status = run.exit_status()) {
      r.verdict = Verdict::fail;
      r.sentence = std::string(sentence) + ": it ended first";
      r.evidence.push_back("the program ended with exit status " + std::to_string(*status) +
                           " without listening");
      add_output(r.evidence, run);
      r.hint =
          "notes/concurrent-tcp-server.md: a server listens (net.Listen(\"tcp\", \"127.0.0.1:8001\")) "
          "and then accepts in a loop until it is stopped";
      return r;
    }
    if (Clock::now() >= deadline) {
      r.verdict = Verdict::fail;
      r.sentence =
          "the program listens on a TCP port: none after " + CLI::detail::to_string(o.listen_timeout) + " s";
      r.evidence.push_back(o.port
                               ? "no socket of the program's on port " + std::to_string(o.port)
                               : std::string(exercise.udp ? "no bound UDP socket" : "no listening socket") +
                                     " in the program's network namespace");
      r.evidence.push_back("the program was still running: it was ended");
      add_output(r.evidence, run);
      r.hint = "notes/concurrent-tcp-server.md: net.Listen comes first, before any read of stdin or a file";
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int grade(const Options& o, const Exercise& exercise) {
  VerdictStyle style;
  style.colour = isatty(1) && std::getenv("NO_COLOR") == nullptr;
  style.verbose = o.verbose;
  Printer printer(o, style);

  auto run = StudentRun::open();
  if (!run) {
    std::cerr << program << ": " << run.error() << "\n";
    return 1;
  }
  if (auto started = run.value()->start(o.command); !started) {
    std::cerr << program << ": " << o.command.front() << ": " << started.error() << "\n";
    return 1;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int>(o.timeout * 1000));
  CheckContext context;
  context.run = run.value().get();
  const CheckResult listening = wait_listening(o, exercise, *run.value(), context);
  printer.print(listening);  // every other check needs it
  for (const auto& check : exercise.checks) {
    if (!o.only.empty() && o.only != check.id) continue;
    CheckResult r{check.id, check.sentence, Verdict::warn, {}, ""};
    if (listening.verdict != Verdict::pass) {
      r.evidence.push_back("not run: the program does not listen");
    } else if (Clock::now() + std::chrono::milliseconds(check.limit_ms) > deadline) {
      r.evidence.push_back("not run: the run's limit of " + CLI::detail::to_string(o.timeout) + " s");
    } else if (auto status = run.value()->exit_status()) {
      r.verdict = Verdict::fail;
      r.evidence.push_back("not run: the program ended (exit status " + std::to_string(*status) + ")");
      add_output(r.evidence, *run.value());
    } else {
      r = check.run(context);
    }
    printer.print(r);
  }
  run.value()->end();
  return printer.finish();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Grades your own program at the wire: runs COMMAND in a private network namespace, talks to it,\n"
      "and says, check by check, what it did (the bytes, the socket table, the captured segments).\n"
      "Lesson: notes/concurrent-tcp-server.md",
      program};
  app.set_version_flag("--version", std::string(program) + " (socklab) " SOCKLAB_VERSION);
  app.add_option("exercise", o.exercise, "the exercise (--list names them)");
  app.add_flag("--list", o.list, "list the exercises, or with EXERCISE its checks");
  app.add_flag("--json", o.json, "one JSON object per check, then a summary object");
  app.add_flag("--verbose", o.verbose, "evidence of passing checks too");
  app.add_option("--port", o.port, "the port the program listens on (default: the first it listens on)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--only", o.only, "run only this check (and the listening one it needs)");
  app.add_option("--listen-timeout", o.listen_timeout, "seconds the program has to start listening")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  app.add_option("--timeout", o.timeout, "seconds the whole run may take")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  app.add_option("command", o.command, "the program to grade, after --")->expected(-1);
  if (auto status = parse_command_line(app, argc, argv)) return *status;

  if (o.exercise.empty()) {
    if (o.list) return list_exercises();
    return usage_error(app, "which exercise? (--list names them)");
  }
  const Exercise* exercise = find_exercise(o.exercise);
  if (!exercise) return usage_error(app, "no exercise '" + o.exercise + "' (--list names them)");
  if (o.list) return list_checks(*exercise);
  if (!o.only.empty() && o.only != listens_id) {
    bool known = false;
    for (const auto& c : exercise->checks) known = known || c.id == o.only;
    if (!known)
      return usage_error(app, "no check '" + o.only + "' in " + o.exercise + " (EXERCISE --list names them)");
  }
  if (o.command.empty())
    return usage_error(app, "no command to grade: socklab check " + o.exercise + " -- COMMAND...");
  try {
    return grade(o, *exercise);
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 1;
  }
}
