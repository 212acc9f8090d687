#include "filexfer/receive_printer.hpp"

#include <unistd.h>

#include <iostream>
#include <utility>

#include "common/json.hpp"

namespace socklab::filexfer {

Printer::Printer(PrintOptions options)
    : options_(std::move(options)), terminal_(isatty(STDERR_FILENO) && !options_.quiet) {}

void Printer::file(const FileReport& r) {
  std::lock_guard lock(mutex_);
  clear_progress();
  const std::string where = options_.dir_text == "." ? r.path : options_.dir_text + "/" + r.path;
  if (options_.json) {
    file_json(r, where);
    return;
  }
  switch (r.kind) {
    case FileReport::Kind::received:
      std::cout << "received " << r.path << " " << r.size << " sha256=" << to_hex(r.sha256) << " -> " << where
                << (r.classic ? " (classic: unverified, no size or checksum was sent)" : "") << std::endl;
      break;
    case FileReport::Kind::have:
      std::cout << "have " << r.path << " " << r.size << " sha256=" << to_hex(r.sha256) << " (already there)"
                << std::endl;
      break;
    case FileReport::Kind::rejected:
      line("rejected " + r.path + " from " + r.peer + ": " + r.reason);
      break;
    case FileReport::Kind::refused:
      line("refused " + (r.path.empty() ? std::string("a file") : r.path) + " from " + r.peer +
           (r.classic ? " (classic)" : "") + ": " + r.reason);
      break;
    case FileReport::Kind::directory:
      line("made directory " + where);
      break;
  }
}

void Printer::file_json(const FileReport& r, const std::string& where) {
  static const char* kinds[] = {"received", "rejected", "refused", "have", "directory"};
  Json j = {{"peer", r.peer}, {"name", r.path}, {"verdict", kinds[static_cast<int>(r.kind)]}};
  if (r.kind != FileReport::Kind::directory) j["size"] = r.size;
  if (r.kind == FileReport::Kind::received || r.kind == FileReport::Kind::have)
    j["sha256"] = to_hex(r.sha256);
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.kind == FileReport::Kind::received) {
    j["resumed_from"] = r.resumed_from;
    j["path"] = where;
    if (r.classic) j["classic"] = true;
  }
  std::cout << json_text(j) << std::endl;
}

void Printer::log(std::string_view text) {
  std::lock_guard lock(mutex_);
  clear_progress();
  line(text);
}

void Printer::progress(const std::string& peer, const std::string& path, std::uint64_t done,
                       std::uint64_t size, const Hello& hello, std::uint64_t files_done,
                       std::uint64_t bytes_done) {
  std::lock_guard lock(mutex_);
  if (!terminal_) return;
  if (!progress_ || peer != peer_) {  // a version 1 sender announces no totals
    if (progress_) progress_->clear();
    progress_.emplace(std::cerr, true, hello.version >= 2 ? hello.files : files_done + 1,
                      hello.version >= 2 ? hello.bytes : bytes_done + size - done);
    peer_ = peer;
  }
  // The end of a big file is always drawn; of small ones, at most ten a second.
  progress_->update(path, done, size, {files_done, bytes_done, bytes_done, 0, 0},
                    done == size && size >= 1 << 20);
}

void Printer::connection(const ConnectionReport& c) {
  std::lock_guard lock(mutex_);
  clear_progress();
  peer_.clear();
  if (c.files + c.have + c.failed == 0) return;
  const RunTotals run{c.files, c.bytes, c.bytes, c.have, c.failed};
  if (options_.json) {
    const Json j = {{"summary",
                     {{"peer", c.peer},
                      {"files", c.files},
                      {"bytes", c.bytes},
                      {"have", c.have},
                      {"failed", c.failed},
                      {"seconds", c.seconds}}}};
    std::cout << json_text(j) << std::endl;
    return;
  }
  line("done " + c.peer + ": " + RunProgress::summary(run, c.seconds));
}

void Printer::line(std::string_view text) {
  if (options_.quiet) return;
  (options_.json ? std::cerr : std::cout) << text << std::endl;
}

void Printer::clear_progress() {
  if (progress_) progress_->clear();
}

}  // namespace socklab::filexfer
