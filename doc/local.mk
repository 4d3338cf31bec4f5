# %D%/ — documentation, installed under $(docdir).
dist_doc_DATA += %D%/arch-file.md %D%/development.md %D%/formats.md %D%/semantics.md \
	%D%/reference.md %D%/architecture.md %D%/mapper.md %D%/simulator.md %D%/energy.md \
	%D%/validation.md %D%/rtl.md
# Measured simulator speed, what was optimised and what limits it (make bench-chip).
dist_doc_DATA += %D%/performance.md
# The file readers' fuzzing: harnesses, findings, long runs (tests/fuzz/).
dist_doc_DATA += %D%/robustness.md
# Every command's refusals, messages and exit statuses (tests/cli/errors.sh runs its tables).
dist_doc_DATA += %D%/errors.md
# The timeline and critical path of `spikechip sim` (doc/report.md), with a small example timeline.
dist_doc_DATA += %D%/report.md %D%/timeline-example.json
# ... and the HTML report of the shipped model (spikechip report), with the sim JSON it shows.
dist_doc_DATA += %D%/report-example.html %D%/report-example.json
# `spikechip noc`: synthetic traffic patterns on an arch's network, measured saturation.
dist_doc_DATA += %D%/noc.md
# `spikechip sweep` (design-space exploration) and the worked sweep of the default chip: its
# sweep files, merged results, HTML page and picture (doc/dse/).
dist_doc_DATA += %D%/dse.md
dsedocdir = $(docdir)/dse
dist_dsedoc_DATA = %D%/dse/default-chip.ini %D%/dse/baseline.ini %D%/dse/efficient.ini \
	%D%/dse/default-chip-results.csv %D%/dse/baseline-results.csv \
	%D%/dse/efficient-results.csv %D%/dse/default-chip.html %D%/dse/default-chip.png
