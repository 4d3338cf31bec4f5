/*
 * run.c — `spikechip run`, the main job: the shipped model on the default chip over the
 * Fashion-MNIST test images, ending in a report of accuracy, cycles, energy and pJ/SOP.
 *
 * The pipeline is being built stage by stage (DESIGN.md §1). Until the simulator exists this
 * command runs the furthest stage that does exist and says so plainly, rather than pretending.
 * Today that is the architecture stage: the chip description is resolved and validated.
 */
#include "config.h"

#include "cli/commands.h"
#include "util/util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip run [--arch FILE]\n"
		"\n"
		"The main job: map the shipped Meta-SpikeFormer onto a chip and simulate it over the\n"
		"Fashion-MNIST test images.\n"
		"\n"
		"Status: the model exporter, mapper and simulator are not written yet, so this runs the\n"
		"furthest stage of the pipeline that exists: it resolves and validates the architecture.\n"
		"\n"
		"options:\n"
		"  --arch FILE   chip architecture (default: the shipped arch/default.ini)\n"
		"  -h, --help    show this help\n");
}

int spk_run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char arch_path[PATH_MAX];
	const char *arch = NULL;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			arch = optarg;
			break;
		case 'h':
			run_usage(stdout);
			return SPK_EXIT_OK;
		case ':':
			spk_error("run: option '%s' needs a value", argv[optind - 1]);
			return SPK_EXIT_USAGE;
		default:
			spk_error("run: unknown option '%s'; see 'spikechip run --help'", argv[optind - 1]);
			return SPK_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		spk_error("run: unexpected argument '%s'", argv[optind]);
		return SPK_EXIT_USAGE;
	}
	if (arch == NULL) {
		if (spk_data_path("arch/default.ini", arch_path, sizeof(arch_path)) < 0) {
			spk_error("run: cannot find the default architecture (looked for %s); "
				  "set SPIKECHIP_DATA to the spikechip source directory", arch_path);
			return SPK_EXIT_USAGE;
		}
		arch = arch_path;
	}

	printf("spikechip run: stage 1 of the pipeline — architecture (%s)\n\n", arch);
	{
		char *arch_argv[] = { "arch", "show", (char *)arch, NULL };

		rc = spk_arch_main(3, arch_argv);
	}
	if (rc != SPK_EXIT_OK)
		return rc;
	printf("\nspikechip run: this is the furthest stage that exists today. Model export, the\n"
	       "mapper and the cycle-accurate simulator are still to come (see README.md, \"Status\").\n");
	return SPK_EXIT_OK;
}
