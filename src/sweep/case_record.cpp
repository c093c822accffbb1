#include "microheal/sweep/case_record.hpp"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "microheal/core/error.hpp"
#include "microheal/io/atomic_file.hpp"

namespace microheal::sweep {

namespace {

// Member order is kept, so a record reads like the summary's columns.
using Json = nlohmann::ordered_json;

constexpr std::string_view record_format = "microheal-sweep-case";

[[noreturn]] void bad(std::string_view source, std::string_view what) {
  std::string message(source);
  message += ": not a microheal case record: ";
  message += what;
  throw core::InputError(message);
}

using Check = bool (Json::*)() const noexcept;

const Json& member(const Json& object, std::string_view key, Check is_kind,
                   std::string_view source) {
  const auto it = object.find(key);
  if (it == object.end() || !((*it).*is_kind)()) {
    std::string what = "missing or mistyped \"";
    what += key;
    what += '"';
    bad(source, what);
  }
  return *it;
}

/// JSON has no NaN or infinity: a value that is not finite is written as null.
Json number_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

}  // namespace

std::string_view status_name(CaseStatus status) {
  return status == CaseStatus::ok ? "ok" : "failed";
}

std::string case_record_json(const CaseRecord& r) {
  Json j;
  j["format"] = record_format;
  j["format_version"] = 1;
  j["id"] = r.id;
  j["index"] = r.index;
  j["status"] = status_name(r.status);
  j["error"] = r.error;
  j["wall_seconds"] = number_or_null(r.wall_seconds);
  j["threads"] = r.threads;
  j["host"] = r.host;
  j["finished"] = r.finished;
  j["assignments"] = r.assignments;
  Json metrics = Json::object();
  for (const MetricValue& m : r.metrics)
    metrics[m.name] = m.value ? number_or_null(*m.value) : Json(nullptr);
  j["metrics"] = std::move(metrics);
  // nlohmann writes doubles in their shortest round-trip form.
  return j.dump(2) + "\n";
}

CaseRecord parse_case_record(std::string_view text, std::string_view source) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // e.what() names the line and column: "[json.exception.parse_error.101] parse error at
    // line 3, column 5: ..."
    std::string message(source);
    message += ": not valid JSON: ";
    message += e.what();
    throw core::InputError(message);
  }
  if (!root.is_object())
    bad(source, "expected a JSON object");
  if (member(root, "format", &Json::is_string, source).get<std::string>() != record_format)
    bad(source, "\"format\" is not \"microheal-sweep-case\"");
  if (member(root, "format_version", &Json::is_number_integer, source).get<int>() != 1)
    bad(source, "unsupported \"format_version\" (expected 1)");
  CaseRecord r;
  r.id = member(root, "id", &Json::is_string, source).get<std::string>();
  r.index = member(root, "index", &Json::is_number_unsigned, source).get<std::size_t>();
  const auto status = member(root, "status", &Json::is_string, source).get<std::string>();
  if (status == "ok")
    r.status = CaseStatus::ok;
  else if (status == "failed")
    r.status = CaseStatus::failed;
  else
    bad(source, "\"status\" is neither \"ok\" nor \"failed\"");
  r.error = member(root, "error", &Json::is_string, source).get<std::string>();
  const auto wall = root.find("wall_seconds");
  r.wall_seconds = wall != root.end() && wall->is_number() ? wall->get<double>() : std::nan("");
  r.threads = member(root, "threads", &Json::is_number_integer, source).get<int>();
  r.host = member(root, "host", &Json::is_string, source).get<std::string>();
  r.finished = member(root, "finished", &Json::is_string, source).get<std::string>();
  for (const Json& item : member(root, "assignments", &Json::is_array, source)) {
    if (!item.is_string())
      bad(source, "\"assignments\" holds a non-string");
    r.assignments.push_back(item.get<std::string>());
  }
  for (const auto& [name, value] : member(root, "metrics", &Json::is_object, source).items()) {
    if (value.is_null())
      r.metrics.push_back({name, std::nullopt});
    else if (value.is_number())
      r.metrics.push_back({name, value.get<double>()});
    else
      bad(source, "a metric is neither a number nor null: " + name);
  }
  return r;
}

void write_case_record(const std::filesystem::path& case_directory, const CaseRecord& record) {
  io::write_file_atomically(case_directory / case_record_name, case_record_json(record));
}

std::optional<CaseRecord> read_case_record(const std::filesystem::path& case_directory) {
  const std::filesystem::path path = case_directory / case_record_name;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_case_record(text.str(), path.string());
}

}  // namespace microheal::sweep
