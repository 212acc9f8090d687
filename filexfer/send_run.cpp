#include "filexfer/send_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "common/json.hpp"

namespace socklab::filexfer {
namespace {

constexpr auto program = "sendfile";
constexpr std::uint64_t big_file = 1 << 20;  // its end is always drawn

}  // namespace

std::string_view verdict_name(SendVerdict verdict) {
  switch (verdict) {
    case SendVerdict::good:
      return "good";
    case SendVerdict::bad:
      return "bad";
    case SendVerdict::refused:
      return "refused";
    case SendVerdict::skipped:
      return "skipped";
  }
  return "?";
}

Run::Run(RunOptions options, const std::vector<Source>& sources)
    : options_(options),
      progress_(std::cerr, isatty(STDERR_FILENO) && !options.quiet, count(sources), bytes(sources)) {}

void Run::moving(const Source& s, std::uint64_t done, std::uint64_t from) {
  if (&s != current_) {
    current_ = &s;
    ++started_;
  }
  RunTotals now = totals_;
  now.files = started_ - 1;  // the line says "file N of M" for the one moving now
  now.bytes += done;
  now.moved += done - from;
  // The end of a big file is always drawn; of small ones, at most ten a second.
  progress_.update(s.name, done, s.size, now, done == s.size && s.size >= big_file);
}

void Run::done(const Source& s, const Outcome& outcome) {
  progress_.clear();
  const SendVerdict v = outcome.verdict;
  if (&s != current_ && !s.directory && v != SendVerdict::good) {  // done without moving: counted here
    current_ = &s;
    ++started_;
  }
  const bool good = v == SendVerdict::good || v == SendVerdict::skipped;
  if (good && !s.directory) ++totals_.files;
  if (good) totals_.bytes += s.size;
  if (v == SendVerdict::skipped) ++totals_.skipped;
  if (!good) ++totals_.failed;
  totals_.moved += outcome.moved;
  print(s, outcome);
}

void Run::print(const Source& s, const Outcome& o) {
  if (options_.json) {
    Json j = {{"name", s.name}, {"verdict", std::string(verdict_name(o.verdict))}};
    if (s.directory) {
      j["directory"] = true;
    } else {
      j["size"] = s.size;
      j["resumed_from"] = o.resumed_from;
      j["sent_bytes"] = o.moved;
    }
    if (o.digest) j["sha256"] = to_hex(*o.digest);
    if (!o.reason.empty()) j["reason"] = o.reason;
    std::cout << json_text(j) << std::endl;
  } else if (o.verdict == SendVerdict::good && s.directory) {
    std::cout << "sent " << s.name << "/ (empty directory)" << std::endl;
  } else if (o.verdict == SendVerdict::good) {
    std::cout << "sent " << s.name << " " << s.size << " sha256=" << to_hex(*o.digest)
              << (options_.classic ? " (classic: the receiver cannot verify it)" : "") << std::endl;
  } else if (o.verdict == SendVerdict::skipped) {
    std::cout << "skipped " << s.name << " " << s.size << " sha256=" << to_hex(*o.digest)
              << " (the receiver has it: same size and SHA-256)" << std::endl;
  }
  if (o.verdict == SendVerdict::bad || o.verdict == SendVerdict::refused)
    std::cerr << program << ": " << s.name << ": " << o.reason << std::endl;
}

void Run::finish() {
  progress_.clear();
  const double seconds = progress_.seconds();
  if (options_.json) {
    const Json j = {{"summary",
                     {{"files", totals_.files},
                      {"bytes", totals_.bytes},
                      {"sent_bytes", totals_.moved},
                      {"skipped", totals_.skipped},
                      {"failed", totals_.failed},
                      {"seconds", seconds}}}};
    std::cout << json_text(j) << std::endl;
  }
  if (isatty(STDERR_FILENO) && !options_.quiet)
    std::cerr << program << ": " << RunProgress::summary(totals_, seconds) << std::endl;
}

std::uint64_t Run::count(const std::vector<Source>& sources) {
  return static_cast<std::uint64_t>(
      std::count_if(sources.begin(), sources.end(), [](const Source& s) { return !s.directory; }));
}

std::uint64_t Run::bytes(const std::vector<Source>& sources) {
  std::uint64_t n = 0;
  for (const auto& s : sources) n += s.size;
  return n;
}

}  // namespace socklab::filexfer
