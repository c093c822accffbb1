// `microheal sweep --mpi` (built when CMake finds MPI): dynamic hand-out of case indices by rank 0.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <thread>

#include "microheal/core/error.hpp"
#include "stop_signals.hpp"
#include "sweep_mpi.hpp"

namespace microheal::app {

namespace {

constexpr int tag_report = 1;  // worker -> rank 0: a finished case, or empty: ready for work
constexpr int tag_work = 2;    // rank 0 -> worker: a case index, or -1: no more work
// Rank 0 polls for reports rather than blocking: Open MPI's blocking receive spins a core, which
// the workers need. A report waits at most this long, against cases of seconds to hours.
constexpr auto poll_interval = std::chrono::milliseconds(5);

/// MPI_Init_thread .. MPI_Finalize. Only the main thread calls MPI (cases use OpenMP inside).
class MpiSession {
 public:
  MpiSession() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &_size);
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  MpiSession(MpiSession&&) = delete;
  MpiSession& operator=(MpiSession&&) = delete;
  ~MpiSession() { MPI_Finalize(); }

  int rank() const { return _rank; }
  int size() const { return _size; }

 private:
  int _rank = 0;
  int _size = 1;
};

std::string encode(const CaseReport& report) {
  std::ostringstream out;
  out.precision(17);
  out << report.index << ' ' << static_cast<int>(report.outcome) << ' ' << report.recorded_ok << ' '
      << report.wall_seconds << '\n'
      << report.error;
  return out.str();
}

CaseReport decode(const std::string& text) {
  std::istringstream in(text);
  CaseReport report;
  int outcome = 0;
  in >> report.index >> outcome >> report.recorded_ok >> report.wall_seconds;
  report.outcome = static_cast<CaseOutcome>(outcome);
  in.get();  // the newline
  report.error.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return report;
}

void send_text(const std::string& text, int destination) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, destination, tag_report,
           MPI_COMM_WORLD);
}

void send_index(long long index, int destination) {
  MPI_Send(&index, 1, MPI_LONG_LONG, destination, tag_work, MPI_COMM_WORLD);
}

CaseReport run_guarded(const MpiSweepSteps& steps, std::size_t index) {
  try {
    return steps.run_case(index);
  } catch (const std::exception& e) {
    // The record could not be written: the case stays pending and runs again next time.
    CaseReport report;
    report.index = index;
    report.outcome = CaseOutcome::failed;
    report.error = std::string("not recorded: ") + e.what();
    return report;
  }
}

void worker(const MpiSweepSteps& steps) {
  try {
    steps.worker_prepare();
  } catch (const std::exception& e) {
    // Rank 0 checked the same files a moment ago; a rank that cannot read them (another file
    // system, a node without the directory) would leave rank 0 waiting for it for ever.
    std::fprintf(stderr, "error: rank cannot load the sweep: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  send_text({}, 0);
  while (true) {
    long long index = -1;
    MPI_Recv(&index, 1, MPI_LONG_LONG, 0, tag_work, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (index < 0)
      return;
    send_text(encode(run_guarded(steps, static_cast<std::size_t>(index))), 0);
  }
}

void dispatch(const MpiSweepSteps& steps, const std::vector<std::size_t>& pending, int ranks,
              const StopSignals& signals) {
  std::size_t next = 0;
  int active = ranks - 1;
  while (active > 0) {
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, tag_report, MPI_COMM_WORLD, &arrived, &status);
    if (arrived == 0) {
      std::this_thread::sleep_for(poll_interval);
      continue;
    }
    int length = 0;
    MPI_Get_count(&status, MPI_CHAR, &length);
    std::string text(static_cast<std::size_t>(length), '\0');
    MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, tag_report, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    if (!text.empty())
      steps.case_finished(decode(text), status.MPI_SOURCE);
    // After a stop request no case starts: each rank gets "done" as it reports (its running case
    // saw the same signal from mpirun and stopped with its checkpoint).
    if (next < pending.size() && !signals.requested()) {
      send_index(static_cast<long long>(pending[next++]), status.MPI_SOURCE);
    } else {
      send_index(-1, status.MPI_SOURCE);
      --active;
    }
  }
}

int run_ranks(const MpiSweepSteps& steps, const MpiSession& mpi, std::exception_ptr& failure) {
  std::vector<std::size_t> pending;
  int code = 0;
  if (mpi.rank() == 0) {
    try {
      pending = steps.coordinator_prepare(mpi.size());
    } catch (const core::InputError&) {
      failure = std::current_exception();
      code = 2;
    } catch (const std::exception&) {
      failure = std::current_exception();
      code = 1;
    }
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (code != 0)
    return code;
  // mpirun passes SIGINT and SIGTERM on to every rank: each finishes or stops its case and rank 0
  // hands out no more.
  const StopSignals signals;
  if (mpi.rank() != 0) {
    worker(steps);
    return 0;
  }
  if (mpi.size() == 1) {
    for (const std::size_t index : pending) {
      if (signals.requested())
        break;
      steps.case_finished(run_guarded(steps, index), 0);
    }
  } else {
    dispatch(steps, pending, mpi.size(), signals);
  }
  const int finish_code = steps.coordinator_finish();
  return signals.requested() ? stopped_exit_code : finish_code;
}

}  // namespace

bool mpi_available() {
  return true;
}

int run_sweep_with_mpi(const MpiSweepSteps& steps) {
  std::exception_ptr failure;
  int code = 0;
  {
    const MpiSession mpi;
    code = run_ranks(steps, mpi, failure);
  }
  if (failure)
    std::rethrow_exception(failure);
  return code;
}

}  // namespace microheal::app
