/*
 * report_cmd.c — `spikechip report RESULT.json|SWEEP_DIR --html OUT.html`: one self-contained
 * HTML page of a run (the JSON report of `spikechip sim --json`) or of a sweep (the directory of
 * `spikechip sweep --out`), with its figures as inline SVG (doc/report.md "The HTML report").
 *
 * The page is made by report/report.py, installed with the other data files and found through
 * spk_data_path() like them; this command checks its options and runs it with python3 (the
 * standard library only). What the script refuses (a missing input, a file that is neither a
 * report nor a sweep, an output it cannot write) is the user's: "report: PATH: what" and exit
 * status 2, and no output file (it writes beside OUT and renames).
 */
#include "config.h"

#include "cli/commands.h"
#include "util/util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip report RESULT.json|SWEEP_DIR --html OUT.html\n"
		"\n"
		"One self-contained HTML page (inline SVG figures, no network, no outside scripts or\n"
		"fonts) of a simulation or of a sweep (doc/report.md):\n"
		"  RESULT.json   the JSON report of 'spikechip sim --json': summary; energy by event\n"
		"                kind, whole chip and per layer; firing rates, SOPs, spikes and busy\n"
		"                cycles per layer; mesh maps of unit utilisation, link flits and NI\n"
		"                refusals, labelled with the layers on each tile; the latency\n"
		"                histogram; the critical path when the run had --critical-path\n"
		"  SWEEP_DIR     the directory of 'spikechip sweep --out': the Pareto plots (energy\n"
		"                against latency, accuracy against energy) and a sortable table\n"
		"\n"
		"options:\n"
		"  --html OUT.html  the page to write (replaced whole, or left as it was on error)\n"
		"  -h, --help       show this help\n"
		"\n"
		"Needs python3 (its standard library). Exit status 2: a bad option, a missing or\n"
		"unreadable input, neither a sim report nor a sweep directory, an unwritable output.\n");
}

int spk_report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "html", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	char script[PATH_MAX];
	int c, status;
	pid_t pid;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return SPK_EXIT_OK;
		default:
			return spk_opt_fail("report", c, argv[optind - 1]);
		}
	}
	if (optind == argc) {
		spk_error("report: missing RESULT.json or SWEEP_DIR; see 'spikechip report --help'");
		return SPK_EXIT_USAGE;
	}
	if (optind + 1 < argc)
		return spk_opt_extra("report", argv[optind + 1]);
	if (out == NULL) {
		spk_error("report: missing --html OUT.html; see 'spikechip report --help'");
		return SPK_EXIT_USAGE;
	}
	if (spk_data_path("report/report.py", script, sizeof(script)) < 0) {
		spk_error("report: cannot find the page writer %s (a broken installation)", script);
		return SPK_EXIT_FAIL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		spk_error("report: cannot start python3: %s", strerror(errno));
		return SPK_EXIT_FAIL;
	}
	if (pid == 0) {
		char *args[] = { "python3", script, argv[optind], (char *)out, NULL };

		execvp(args[0], args);
		fprintf(stderr, "spikechip: report: cannot run python3: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			spk_error("report: waiting for python3: %s", strerror(errno));
			return SPK_EXIT_FAIL;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return SPK_EXIT_OK;
	if (WIFEXITED(status) && WEXITSTATUS(status) == SPK_EXIT_USAGE)
		return SPK_EXIT_USAGE;
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 127))
		spk_error("report: the page writer %s failed (status %d)", script,
			  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return SPK_EXIT_FAIL;
}
