#include "check/verdict.hpp"

#include <nlohmann/json.hpp>

namespace socklab {
namespace {

const char* label(Verdict v) {
  switch (v) {
    case Verdict::pass:
      return "PASS";
    case Verdict::fail:
      return "FAIL";
    case Verdict::warn:
      return "WARN";
  }
  return "?";
}

const char* colour_of(Verdict v) {
  switch (v) {
    case Verdict::pass:
      return "\033[32m";
    case Verdict::fail:
      return "\033[31m";
    case Verdict::warn:
      return "\033[33m";
  }
  return "";
}

constexpr const char* reset = "\033[0m";

}  // namespace

const char* verdict_key(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass:
      return "pass";
    case Verdict::fail:
      return "fail";
    case Verdict::warn:
      return "warn";
  }
  return "?";
}

std::string result_text(const CheckResult& result, const VerdictStyle& style) {
  std::string out;
  if (style.colour) out += colour_of(result.verdict);
  out += label(result.verdict);
  if (style.colour) out += reset;
  out += "  " + result.check + "  " + result.sentence + "\n";
  if (result.verdict == Verdict::pass && !style.verbose) return out;
  for (const auto& line : result.evidence) out += "      " + line + "\n";
  if (!result.hint.empty() && result.verdict != Verdict::pass) out += "      hint: " + result.hint + "\n";
  return out;
}

std::string result_json(const CheckResult& result) {
  nlohmann::ordered_json j;
  j["check"] = result.check;
  j["verdict"] = verdict_key(result.verdict);
  j["sentence"] = result.sentence;
  j["evidence"] = result.evidence;
  j["hint"] = result.hint;
  // Bytes a student's program sent are not always UTF-8: show them, never throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Tally::add(Verdict v) {
  switch (v) {
    case Verdict::pass:
      ++pass;
      break;
    case Verdict::fail:
      ++fail;
      break;
    case Verdict::warn:
      ++warn;
      break;
  }
}

std::string summary_text(const std::string& exercise, const Tally& tally, const VerdictStyle& style) {
  std::string out;
  const bool ok = tally.fail == 0;
  if (style.colour) out += ok ? colour_of(Verdict::pass) : colour_of(Verdict::fail);
  out += exercise + ": " + std::to_string(tally.pass) + " of " + std::to_string(tally.total()) +
         " checks pass, " + std::to_string(tally.fail) + (tally.fail == 1 ? " fails, " : " fail, ") +
         std::to_string(tally.warn) + " warn";
  if (style.colour) out += reset;
  return out + "\n";
}

std::string summary_json(const std::string& exercise, const Tally& tally) {
  nlohmann::ordered_json j;
  j["summary"] = true;
  j["exercise"] = exercise;
  j["score"] = std::to_string(tally.pass) + "/" + std::to_string(tally.total());
  j["pass"] = tally.pass;
  j["fail"] = tally.fail;
  j["warn"] = tally.warn;
  return j.dump();
}

}  // namespace socklab
