#include "tcpstate/ladder_printer.hpp"

#include <cstdio>
#include <cstdlib>

namespace socklab {
namespace {

void emit(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

}  // namespace

LadderPrinter::LadderPrinter(const LadderOptions& options, bool terminal)
    : options_(options),
      view_({options.all, terminal && std::getenv("NO_COLOR") == nullptr, options.follow == 0}),
      tracker_(options.absolute) {}

bool LadderPrinter::add(const Segment& segment, bool live) {
  const LadderLine line = tracker_.feed(segment);
  if (options_.follow != 0 && line.conn->id != options_.follow) return true;
  emit(options_.json ? ladder_json(line) + "\n" : view_.add(line));
  if (live) std::fflush(stdout);
  return options_.count == 0 || ++shown_ < options_.count;
}

void LadderPrinter::flush() {
  emit(view_.flush());
  std::fflush(stdout);
}

}  // namespace socklab
