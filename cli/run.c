/*
 * run.c — `spikechip run`, the main job: the shipped model on the default chip over the
 * Fashion-MNIST test images, ending in a report of accuracy, cycles, energy and pJ/SOP.
 *
 * It chains the stages of the pipeline (doc/development.md), each through its own subcommand:
 *
 *   1. the architecture is resolved and validated (`spikechip arch check`);
 *   2. the model is compiled onto it (`spikechip map`);
 *   3. the chip image is simulated cycle by cycle on the first N test images, every image's
 *      spikes compared with the integer reference as it goes (`spikechip sim --check`), ending
 *      in the report of accuracy, latency, throughput, energy and pJ/SOP. The images run in
 *      segments of 100 over --jobs processes (default: one per online CPU; sim caps it at
 *      the number of segments); the report is the same for every number of jobs. With
 *      --resume DIR every finished segment is kept in DIR, and the same command run again
 *      after an interruption simulates only the segments still missing.
 *
 * The model is the shipped one (models/fmnist_t4.spkm) once training has produced it; until
 * then, the small random-weight test fixture stands in, and the output says that its
 * accuracy is meaningless. The chip image goes to a temporary file that is removed afterwards.
 */
#include "config.h"

#include "cli/commands.h"
#include "util/tmpfiles.h"
#include "util/util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_SHIPPED_MODEL "models/fmnist_t4.spkm"
#define RUN_STAND_IN_MODEL "tests/data/fixtures/tiny-fmnist-t2.spkm"
#define RUN_DEFAULT_IMAGES "1000"
#define RUN_ALL_IMAGES "10000"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip run [--model FILE] [--arch FILE] [--images N|all] [--json FILE]\n"
		"                     [--jobs N] [--engine native|systemc] [--resume DIR]\n"
		"\n"
		"The main job: compile a Meta-SpikeFormer onto a chip (spikechip map), simulate the\n"
		"chip cycle by cycle over the Fashion-MNIST test images, checking every image spike for\n"
		"spike against the integer reference (spikechip sim --check), and report accuracy,\n"
		"latency, throughput, energy and pJ/SOP.\n"
		"\n"
		"options:\n"
		"  --model FILE   model file (default: the shipped %s; in a tree\n"
		"                 without it, the random-weight fixture %s)\n"
		"  --arch FILE    chip architecture, INI file or preset name (default: default)\n"
		"  --images N     the first N test images (default: " RUN_DEFAULT_IMAGES "; all: the\n"
		"                 whole test set of " RUN_ALL_IMAGES ")\n"
		"  --json FILE    also write the simulation report as JSON\n"
		"  --jobs N       simulate over N processes (default: the online CPUs, at most one\n"
		"                 per segment of 100 images); the results do not depend on N\n"
		"  --engine NAME  simulation engine: native (default) or systemc (the same results\n"
		"                 through the SystemC kernel, slower)\n"
		"  --resume DIR   keep every finished segment's result in DIR; run the same command\n"
		"                 again after an interruption and it goes on where it stopped\n"
		"                 (spikechip sim --resume)\n"
		"  -h, --help     show this help\n",
		RUN_SHIPPED_MODEL, RUN_STAND_IN_MODEL);
}

int spk_run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "model", required_argument, NULL, 'm' },
		{ "images", required_argument, NULL, 'n' },
		{ "json", required_argument, NULL, 'j' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "engine", required_argument, NULL, 'e' },
		{ "resume", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char arch_path[PATH_MAX], model_path[PATH_MAX], image_path[PATH_MAX];
	const char *tmpdir = getenv("TMPDIR");
	const char *arch = NULL, *model = NULL, *images = RUN_DEFAULT_IMAGES, *json = NULL;
	const char *engine = "native", *resume = NULL;
	char jobs[16];
	long online = sysconf(_SC_NPROCESSORS_ONLN), v;
	bool stand_in = false;
	uint32_t n;
	int c, fd, rc, sc;

	snprintf(jobs, sizeof(jobs), "%ld", online < 1 ? 1 : online > 1024 ? 1024 : online);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			arch = optarg;
			break;
		case 'm':
			model = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 'r':
			resume = optarg;
			break;
		case 'e':
			if (spk_sim_opt_engine("run", optarg, &sc) != 0)
				return SPK_EXIT_USAGE;
			engine = optarg;
			break;
		case 'J':
			if (spk_sim_opt_jobs("run", optarg, &v) != 0)
				return SPK_EXIT_USAGE;
			snprintf(jobs, sizeof(jobs), "%ld", v);
			break;
		case 'n':
			if (strcmp(optarg, "all") == 0) {
				images = RUN_ALL_IMAGES;
				break;
			}
			if (spk_opt_images("run", "--images", optarg, &n) != 0)
				return SPK_EXIT_USAGE;
			images = optarg;
			break;
		case 'h':
			run_usage(stdout);
			return SPK_EXIT_OK;
		default:
			return spk_opt_fail("run", c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return spk_opt_extra("run", argv[optind]);
	if (arch == NULL) {
		if (spk_data_path("arch/default.ini", arch_path, sizeof(arch_path)) < 0) {
			spk_error("run: cannot find the default architecture (looked for %s); "
				  "set SPIKECHIP_DATA to the spikechip source directory", arch_path);
			return SPK_EXIT_USAGE;
		}
		arch = arch_path;
	}
	if (model == NULL) {
		if (spk_data_path(RUN_SHIPPED_MODEL, model_path, sizeof(model_path)) < 0) {
			if (spk_data_path(RUN_STAND_IN_MODEL, model_path, sizeof(model_path)) < 0) {
				spk_error("run: cannot find a model (looked for %s); use --model FILE",
					  model_path);
				return SPK_EXIT_USAGE;
			}
			stand_in = true;
		}
		model = model_path;
	}

	printf("spikechip run: stage 1 of 3 — architecture (%s)\n\n", arch);
	{
		char *arch_argv[] = { "arch", "check", (char *)arch, NULL };

		rc = spk_arch_main(3, arch_argv);
	}
	if (rc != SPK_EXIT_OK)
		return rc;

	printf("\nspikechip run: stage 2 of 3 — compile %s\n", model);
	if (stand_in)
		printf("  note: the shipped model %s was not found; this is the random-weight\n"
		       "  test fixture, so its accuracy is at chance level.\n", RUN_SHIPPED_MODEL);
	printf("\n");
	fflush(stdout);
	snprintf(image_path, sizeof(image_path), "%s/spikechip-run-XXXXXX",
		 tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp");
	fd = mkstemp(image_path);
	if (fd < 0) {
		spk_error("run: cannot create a temporary chip image %s", image_path);
		return SPK_EXIT_FAIL;
	}
	close(fd);
	spk_tmpfile_add(image_path);
	{
		char *map_argv[] = { "map", "--model", (char *)model, "--arch", (char *)arch,
				     "--out", image_path, NULL };

		rc = spk_map_main(7, map_argv);
	}
	if (rc == SPK_EXIT_OK) {
		char *sim_argv[] = { "sim", image_path, "--arch", (char *)arch, "--model", (char *)model,
				     "--images", (char *)images, "--check", "--jobs", jobs,
				     "--engine", (char *)engine, NULL, NULL, NULL, NULL, NULL };
		int sim_argc = 13;

		if (json != NULL) {
			sim_argv[sim_argc++] = "--json";
			sim_argv[sim_argc++] = (char *)json;
		}
		if (resume != NULL) {
			sim_argv[sim_argc++] = "--resume";
			sim_argv[sim_argc++] = (char *)resume;
		}
		printf("\nspikechip run: stage 3 of 3 — simulate the chip cycle by cycle on %s test "
		       "images, each checked spike for spike against the integer reference\n\n",
		       images);
		fflush(stdout);
		rc = spk_sim_main(sim_argc, sim_argv);
	}
	unlink(image_path);
	spk_tmpfile_drop(image_path);
	return rc;
}
