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
