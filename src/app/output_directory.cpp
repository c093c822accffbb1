#include "output_directory.hpp"

#include <unistd.h>

#include <system_error>

#include "microheal/core/error.hpp"
#include "microheal/io/atomic_file.hpp"
#include "microheal/io/field_writer.hpp"

namespace microheal::app {

namespace fs = std::filesystem;

bool OutputDirectory::non_empty() const {
  std::error_code error;
  if (!fs::is_directory(_root, error))
    return false;
  for (const fs::directory_entry& entry : fs::directory_iterator(_root, error)) {
    if (entry.path().filename() != lock_name)
      return true;
  }
  return false;
}

bool OutputDirectory::has_checkpoint() const {
  std::error_code error;
  return fs::is_regular_file(checkpoint(), error);
}

void OutputDirectory::check(DirectoryMode mode) const {
  const std::string where = "output directory '" + _root.string() + "'";
  std::error_code error;
  if (fs::exists(_root, error) && !fs::is_directory(_root, error))
    throw core::InputError(where + " is not a directory");
  if (non_empty() && mode == DirectoryMode::fresh) {
    throw core::InputError(where +
                           " is not empty; pass --overwrite to replace the results in it or "
                           "--resume to continue the run from its checkpoint");
  }
  // The nearest existing ancestor must be writable, or the run would fail only after setup.
  fs::path probe = fs::absolute(_root, error);
  while (!probe.empty() && !fs::exists(probe, error) && probe != probe.parent_path())
    probe = probe.parent_path();
  if (::access(probe.c_str(), W_OK | X_OK) != 0)
    throw core::InputError(where + " cannot be created or written ('" + probe.string() +
                           "' is not writable)");
}

void OutputDirectory::create() const {
  std::error_code error;
  fs::create_directories(_root, error);
  if (error) {
    throw core::RunError("cannot create the output directory '" + _root.string() +
                         "': " + error.message());
  }
}

void OutputDirectory::remove_run_files() const {
  std::error_code error;
  for (const std::string_view name :
       {manifest_name, metrics_name, timeseries_name, profile_name, scenario_name, punctures_name,
        checkpoint_name, previous_checkpoint_name, failure_name,
        io::FieldSeriesWriter::series_file_name, io::FieldSeriesWriter::xdmf_file_name}) {
    fs::remove(path(name), error);
  }
  const fs::path fields = path(io::FieldSeriesWriter::fields_dir_name);
  if (!fs::is_directory(fields, error))
    return;
  for (const fs::directory_entry& entry : fs::directory_iterator(fields, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("f_") && name.ends_with(".hdf"))
      fs::remove(entry.path(), error);
  }
  fs::remove(fields, error);  // only when empty now
}

void OutputDirectory::write(std::string_view name, std::string_view contents) const {
  io::write_file_atomically(path(name), contents);
}

}  // namespace microheal::app
