#include "microheal/sweep/slurm_script.hpp"

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
  if (!job.time_limit.empty())
    out << "#SBATCH --time=" << job.time_limit << '\n';
  out << "#SBATCH --output=" << (job.directory / "slurm" / "%A_%a.out").string() << '\n'
      << "set -euo pipefail\n"
      << "export OMP_NUM_THREADS=" << threads << '\n'
      << "exec " << shell_quoted(job.executable.string()) << " sweep "
      << shell_quoted(job.sweep_file.string()) << " -o " << shell_quoted(job.directory.string())
      << " --case-index \"${SLURM_ARRAY_TASK_ID}\" --threads-per-job \"" << threads << "\"\n";
  return out.str();
}

}  // namespace microheal::sweep
