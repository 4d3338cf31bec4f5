# %D%/ — `spikechip report`: the HTML page of a run or a sweep (doc/report.md "The HTML report").
# The C side checks the options and runs %D%/report.py, installed with the data files.
noinst_LTLIBRARIES += %D%/libreport.la
%C%_libreport_la_SOURCES = %D%/report_cmd.c
reportdatadir = $(pkgdatadir)/report
dist_reportdata_DATA = %D%/report.py

# tests/cli/report.sh: the pages of a sim report and of a sweep in headless Chromium (no console
# message, every figure present and non-empty, the table sorted by the browser; a screenshot kept
# in the build directory); a broken page is caught.
TESTS += tests/cli/report.sh
EXTRA_DIST += tests/cli/report.sh tests/cli/report_dom.py
# The screenshots it keeps (a shell glob: rm -f expands it).
CLEANFILES += tests/cli/report-*.png
