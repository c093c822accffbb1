# Parameter sweeps (issue 5).
#
# Unit tests of the sweep module: sweep files and their errors, designs (factorial, Latin
# hypercube, Sobol/Saltelli) and case ids, case records, summaries, Sobol indices of the Ishigami
# function and main effects, Slurm scripts.
add_executable(microheal_sweep_tests unit/sweep/sweep_spec_test.cpp unit/sweep/design_test.cpp
                                     unit/sweep/summary_test.cpp unit/sweep/analysis_test.cpp)
target_link_libraries(microheal_sweep_tests PRIVATE microheal_catch_main microheal::sweep)
target_include_directories(microheal_sweep_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
microheal_target_defaults(microheal_sweep_tests)
catch_discover_tests(microheal_sweep_tests TEST_PREFIX "sweep: " PROPERTIES LABELS "unit"
                     ENVIRONMENT "OMP_NUM_THREADS=2")

# `microheal sweep` end to end on tiny 2D scenarios (Debian's /usr/bin/python3 has h5py; mpirun
# comes from openmpi-bin, scripts/setup-deps): the same summary with --jobs 1, --jobs 2 and under
# mpirun -np 2 and -np 1, a case failing at run time recorded while the others complete, collect
# and analyze (main effects, Sobol indices); kill -9 part-way and a re-run that runs only the
# missing cases; the Slurm job-array script (bash -n, --array, a task run by hand); bad sweep
# files and directories (exit 2, nothing written) and the example sweeps; a local and an MPI sweep
# stopped by a signal (cases stopped with their checkpoints, exit 75, the re-run finishes them).
foreach(check "local_mpi;local, MPI and analyze" "kill_resume;kill and resume" "slurm;Slurm array"
              "bad_input;bad input and examples" "stop;stopped by a signal")
  list(GET check 0 script)
  list(GET check 1 name)
  add_test(NAME "integration: sweep ${name}"
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/sweep_${script}.py
                   $<TARGET_FILE:microheal> ${PROJECT_SOURCE_DIR})
  set_tests_properties("integration: sweep ${name}" PROPERTIES LABELS "integration" TIMEOUT 300)
endforeach()

# `microheal sweep --emit-slurm` against a real Slurm 22.05 (slurm-wlm and munge from
# scripts/setup-deps): tests/integration/slurm_cluster.py starts a private one-node cluster as root
# (munged, slurmctld, slurmd with their own slurm.conf, munge key and ports in a scratch folder;
# nothing under /etc is written) and stops it at the end. "array": an array equals the local run;
# tasks cancelled (scancel) and signalled (scancel --batch --signal=TERM) mid-case stop with their
# cases pending, and the resubmitted script gives the uninterrupted summary (about 75 s, both
# cores). "time limit": with --emit-slurm --time 1 the task is stopped by the early warning signal,
# not killed at the limit (about 30 s; up to 90 s, as Slurm checks limits every 30 s). Not root,
# Slurm or munge missing, or a daemon failing to start: skipped (exit 77) with the reason. The lock
# keeps the two from competing for the two cores (and their clusters from starting together).
foreach(check "array;array, pre-emption and resubmission" "time-limit;time-limit warning")
  list(GET check 0 part)
  list(GET check 1 name)
  add_test(NAME "integration: sweep on a real Slurm, ${name}"
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/sweep_slurm_real.py
                   $<TARGET_FILE:microheal> ${PROJECT_SOURCE_DIR} ${part})
  set_tests_properties("integration: sweep on a real Slurm, ${name}"
                       PROPERTIES LABELS "integration" TIMEOUT 400 SKIP_RETURN_CODE 77
                                  RESOURCE_LOCK "slurm")
endforeach()
