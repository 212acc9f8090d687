#include "filexfer/run_progress.hpp"

#include <cstdio>

#include "common/progress.hpp"

namespace socklab::filexfer {
namespace {

std::string clock_text(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  }
  return text;
}

}  // namespace

RunProgress::RunProgress(std::ostream& out, bool enabled, std::uint64_t files, std::uint64_t bytes)
    : out_(out), enabled_(enabled), files_(files), bytes_(bytes), start_(std::chrono::steady_clock::now()) {}

double RunProgress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string RunProgress::run_line(const RunTotals& run, std::uint64_t files, std::uint64_t bytes,
                                  double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(run.moved) / seconds : 0;
  std::string text = "file " + std::to_string(std::min(run.files + 1, files)) + " of " +
                     std::to_string(files) + ", " + human_bytes(static_cast<double>(run.bytes)) + " of " +
                     human_bytes(static_cast<double>(bytes)) + ", " + human_bytes(rate) + "/s";
  if (rate > 0 && run.bytes < bytes)
    text += ", ETA " + clock_text(static_cast<double>(bytes - run.bytes) / rate);
  if (run.skipped) text += ", " + std::to_string(run.skipped) + " there already";
  if (run.failed) text += ", " + std::to_string(run.failed) + " failed";
  return text;
}

std::string RunProgress::summary(const RunTotals& run, double seconds) {
  char time[64];
  std::snprintf(time, sizeof time, "%.2f s", seconds);
  const double rate = seconds > 0 ? static_cast<double>(run.moved) / seconds : 0;
  return std::to_string(run.files) + (run.files == 1 ? " file, " : " files, ") +
         human_bytes(static_cast<double>(run.moved)) + " moved in " + time + " (" + human_bytes(rate) +
         "/s); " + std::to_string(run.skipped) + " there already, " + std::to_string(run.failed) + " failed";
}

void RunProgress::update(const std::string& name, std::uint64_t done, std::uint64_t size,
                         const RunTotals& run, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (name != file_) {
    file_ = name;
    file_start_ = now;
  }
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double file_seconds = std::chrono::duration<double>(now - file_start_).count();
  // "\r\033[1A" goes back to the start of the first line; "\033[K" clears to the end of a line.
  out_ << (drawn_ ? "\r\033[1A" : "") << Progress::line(name, done, size, file_seconds) << "\033[K\n"
       << run_line(run, files_, bytes_, seconds()) << "\033[K" << std::flush;
  drawn_ = true;
}

void RunProgress::clear() {
  if (!drawn_) return;
  out_ << "\r\033[K\033[1A\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace socklab::filexfer
