#include "microheal/sweep/sweep_directory.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "microheal/core/error.hpp"
#include "microheal/io/atomic_file.hpp"

namespace microheal::sweep {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string file_text(const fs::path& path, std::string_view what) {
  std::optional<std::string> text = read_text(path);
  if (!text)
    throw core::InputError("cannot read " + std::string(what) + " '" + path.string() + "'");
  return *text;
}

/// The lines of @p text that are not comments (the header says who wrote the file and when).
std::vector<std::string> body_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("#"))
      lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> all_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

/// "line N: 'now' now, 'before' before", or nothing when equal.
std::optional<std::string> first_difference(const std::vector<std::string>& now,
                                            const std::vector<std::string>& before) {
  for (std::size_t i = 0; i < std::max(now.size(), before.size()); ++i) {
    const std::string a = i < now.size() ? now[i] : "(end)";
    const std::string b = i < before.size() ? before[i] : "(end)";
    if (a != b)
      return "'" + a + "' now, '" + b + "' before";
  }
  return std::nullopt;
}

}  // namespace

std::string SweepDirectory::resolved_text(const SweepSpec& spec) {
  return to_toml(spec, base_name,
                 {"The sweep run in this directory, every setting spelled out (written by",
                  "microheal sweep; `microheal sweep collect` and `analyze` read it). The base",
                  "scenario is the copy next to it."});
}

void SweepDirectory::check(const SweepSpec& spec) const {
  const std::string where = "sweep directory '" + _root.string() + "'";
  std::error_code error;
  if (fs::exists(_root, error) && !fs::is_directory(_root, error))
    throw core::InputError(where + " is not a directory");
  const bool non_empty = fs::is_directory(_root, error) && !fs::is_empty(_root, error);
  if (non_empty) {
    const std::optional<std::string> stored = read_text(path(sweep_name));
    if (!stored) {
      throw core::InputError(where +
                             " is not empty and holds no sweep (no sweep.toml); give a new or "
                             "empty directory, or the directory of this sweep to continue it");
    }
    if (const auto diff = first_difference(body_lines(resolved_text(spec)), body_lines(*stored))) {
      throw core::InputError(where + " holds another sweep (" + path(sweep_name).string() + ": " +
                             *diff +
                             "); run this sweep into a new directory, or run the stored one "
                             "again to finish it");
    }
    const std::optional<std::string> base = read_text(path(base_name));
    const std::string current = file_text(spec.base, "the base scenario");
    if (base) {
      if (const auto diff = first_difference(all_lines(current), all_lines(*base))) {
        throw core::InputError(where + ": the base scenario '" + spec.base.string() +
                               "' differs from the copy its cases ran from (" +
                               path(base_name).string() + ": " + *diff +
                               "); run into a new directory, or restore the base scenario");
      }
    }
  }
  // The nearest existing ancestor must be writable, or the sweep would fail only after starting.
  fs::path probe = fs::absolute(_root, error);
  while (!probe.empty() && !fs::exists(probe, error) && probe != probe.parent_path())
    probe = probe.parent_path();
  if (::access(probe.c_str(), W_OK | X_OK) != 0) {
    throw core::InputError(where + " cannot be created or written ('" + probe.string() +
                           "' is not writable)");
  }
}

void SweepDirectory::prepare(const SweepSpec& spec) const {
  std::error_code error;
  for (const fs::path& dir : {_root, path(cases_name), path(slurm_name)}) {
    fs::create_directories(dir, error);
    if (error)
      throw core::RunError("cannot create '" + dir.string() + "': " + error.message());
  }
  if (!fs::exists(path(base_name), error))
    io::write_file_atomically(path(base_name), file_text(spec.base, "the base scenario"));
  if (!fs::exists(path(sweep_name), error))
    io::write_file_atomically(path(sweep_name), resolved_text(spec));
}

SweepSpec SweepDirectory::load() const {
  std::error_code error;
  if (!fs::is_regular_file(path(sweep_name), error)) {
    throw core::InputError("'" + _root.string() +
                           "' holds no sweep (no sweep.toml): give the -o directory of a "
                           "`microheal sweep` run");
  }
  return load_sweep(path(sweep_name));
}

std::vector<std::optional<CaseRecord>> SweepDirectory::read_records(const Design& design) const {
  std::vector<std::optional<CaseRecord>> records;
  records.reserve(design.cases.size());
  for (const Case& c : design.cases) {
    std::optional<CaseRecord> record = read_case_record(case_directory(c.id));
    if (record && record->id != c.id) {
      throw core::InputError(case_directory(c.id).string() + "/" + std::string(case_record_name) +
                             " belongs to case " + record->id + ", not " + c.id);
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace microheal::sweep
