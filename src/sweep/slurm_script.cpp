#include "microheal/sweep/slurm_script.hpp"

#include <algorithm>
#include <array>
#include <regex>
#include <sstream>

#include "microheal/core/version.hpp"

namespace microheal::sweep {

std::string array_ranges(std::span<const std::size_t> indices) {
  std::string out;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1)
      ++j;
    if (!out.empty())
      out += ',';
    out += std::to_string(indices[i]);
    if (j > i) {
      out += '-';
      out += std::to_string(indices[j]);
    }
    i = j + 1;
  }
  return out;
}

std::string shell_quoted(const std::string& text) {
  std::string out(1, '\'');
  for (const char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

bool is_slurm_time(const std::string& text) {
  const std::regex format(R"(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2})");
  return std::regex_match(text, format);
}

long slurm_time_seconds(const std::string& text) {
  long days = 0;
  std::string rest = text;
  if (const std::size_t dash = text.find('-'); dash != std::string::npos) {
    days = std::stol(text.substr(0, dash));
    rest = text.substr(dash + 1);
  }
  std::vector<long> parts;
  std::istringstream in(rest);
  for (std::string part; std::getline(in, part, ':');)
    parts.push_back(std::stol(part));
  constexpr long minute = 60;
  constexpr long hour = 60 * minute;
  constexpr long day = 24 * hour;
  long seconds = days * day;
  if (days > 0) {
    // D-H, D-H:M, D-H:M:S
    const std::array<long, 3> unit{hour, minute, 1};
    for (std::size_t n = 0; n < parts.size() && n < unit.size(); ++n)
      seconds += parts[n] * unit[n];
    return seconds;
  }
  // M, M:S, H:M:S
  if (parts.size() == 1)
    return parts[0] * minute;
  if (parts.size() == 2)
    return parts[0] * minute + parts[1];
  return parts[0] * hour + parts[1] * minute + parts[2];
}

long stop_warning_seconds(long time_limit_s) {
  constexpr long shortest = 30;
  constexpr long longest = 300;
  return std::clamp(time_limit_s / 4, shortest, longest);
}

std::string slurm_script(const SlurmJob& job) {
  std::ostringstream out;
  const std::string threads = "${SLURM_CPUS_PER_TASK:-" + std::to_string(job.cpus_per_task) + "}";
  out << "#!/bin/bash\n"
      << "# Slurm job array for the microheal sweep " << job.sweep_file.string() << ":\n"
      << "# " << job.cases.size() << " of its " << job.total_cases
      << " cases, one array task per case (written by microheal " << core::version << ").\n"
      << "#   submit:   sbatch " << job.script.string() << '\n'
      << "#   progress: ls " << (job.directory / "cases").string() << "/*/case.json | wc -l\n"
      << "#   results:  microheal sweep collect " << job.directory.string()
      << "   (summary.csv, summary.h5)\n"
      << "# A task whose case is already done exits at once, so resubmitting is safe.\n"
      << "#SBATCH --job-name=" << job.job_name << '\n'
      << "#SBATCH --array=" << array_ranges(job.cases) << '\n'
      << "#SBATCH --ntasks=1\n"
      << "#SBATCH --cpus-per-task=" << job.cpus_per_task << '\n';
  if (!job.partition.empty())
    out << "#SBATCH --partition=" << job.partition << '\n';
  if (!job.time_limit.empty()) {
    out << "#SBATCH --time=" << job.time_limit << '\n'
        << "# SIGTERM before the limit: the case saves its checkpoint and the next submission "
           "resumes it\n"
        << "#SBATCH --signal=B:TERM@" << stop_warning_seconds(slurm_time_seconds(job.time_limit))
        << '\n';
  }
  out << "#SBATCH --output=" << (job.directory / "slurm" / "%A_%a.out").string() << '\n'
      << "set -euo pipefail\n"
      << "export OMP_NUM_THREADS=" << threads << '\n'
      << "exec " << shell_quoted(job.executable.string()) << " sweep "
      << shell_quoted(job.sweep_file.string()) << " -o " << shell_quoted(job.directory.string())
      << " --case-index \"${SLURM_ARRAY_TASK_ID}\" --threads-per-job \"" << threads << "\"\n";
  return out.str();
}

}  // namespace microheal::sweep
