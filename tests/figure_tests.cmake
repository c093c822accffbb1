# Figures, movies and the HTML report (issue 6): scripts/plot-run, render-fields, plot-sweep,
# report and gallery end to end on a tiny 2D run (the teaching scenario cut to 2 days, 5 output
# times), run by Debian's /usr/bin/python3 (matplotlib, numpy, h5py). They check the files each
# script writes, the pictures' pixel sizes and that they are not blank, one movie frame per
# output time (ffprobe), the HTML report in headless Chromium, and the errors for missing or
# wrong directories. A missing tool (pvbatch, xvfb-run, ffmpeg, chromium) fails the test with a
# message naming scripts/setup-deps; nothing is skipped.
foreach(check "plot_run;plot-run" "render;render-fields" "report;report" "gallery;gallery")
  list(GET check 0 script)
  list(GET check 1 name)
  add_test(NAME "integration: figures ${name}"
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/figures_${script}.py
                   $<TARGET_FILE:microheal> ${PROJECT_SOURCE_DIR})
  set_tests_properties("integration: figures ${name}" PROPERTIES LABELS "integration"
                                                                 TIMEOUT 300)
endforeach()
# plot-sweep reads a sweep directory; the test writes synthetic ones (no microheal needed).
add_test(NAME "integration: figures plot-sweep"
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/figures_sweep.py
                 ${PROJECT_SOURCE_DIR})
set_tests_properties("integration: figures plot-sweep" PROPERTIES LABELS "integration"
                                                                  TIMEOUT 120)
