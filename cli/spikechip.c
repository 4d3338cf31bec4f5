/*
 * spikechip.c — the one binary: git-style dispatch to subcommands.
 *
 *   spikechip [--version | --help] <command> [options]
 *   spikechip help [<command>]
 *
 * An unknown command or option is a clear message and exit status 2. Each subcommand lives in
 * the module that owns its meaning (cli/commands.h) and prints its own --help.
 */
#include "config.h"

#include "cli/commands.h"
#include "util/util.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", spk_run_main, "the main job: model on the default chip over Fashion-MNIST test images" },
	{ "arch", spk_arch_main, "show, check and document chip architecture files" },
	{ "trace", spk_trace_main, "dump, summarise and compare spike traces (.spkt)" },
	{ "ref", spk_ref_main, "reference inference (integer or float64): accuracy, activity, energy" },
	{ "map", spk_map_main, "compile a model onto a chip: chip image (.spki) and mapping report" },
	{ "sim", spk_sim_main, "simulate a chip image cycle by cycle: accuracy, latency, energy" },
	{ "energy", spk_energy_main, "dynamic energy of a chip image from its spikes, without cycles" },
	{ "sweep", spk_sweep_main, "design-space exploration: sweep architectures, Pareto fronts" },
	{ "noc", spk_noc_main, "synthetic traffic on an arch's network: latency and throughput against load" },
	{ "report", spk_report_main, "an HTML page with figures of a sim JSON report or a sweep" },
	{ "rtl", spk_rtl_main, "RTL tools: replay a unit's recorded port traffic into its RTL" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip [--version] [--help] <command> [<options>]\n"
		"\n"
		"spikechip compiles a trained Meta-SpikeFormer onto a modeled neuromorphic chip and\n"
		"simulates it cycle by cycle.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"  %-8s %s\n"
		"\n"
		"'spikechip <command> --help' (or 'spikechip help <command>') describes a command.\n",
		"help", "show this text, or a command's help");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	spk_error("'%s' is not a spikechip command; see 'spikechip help'", name);
	return SPK_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return SPK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return SPK_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("spikechip %s\n", PACKAGE_VERSION);
		return SPK_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		char *help_argv[] = { NULL, "--help", NULL };

		if (argc == 2) {
			usage(stdout);
			return SPK_EXIT_OK;
		}
		if (argc > 3) {
			spk_error("help: too many arguments");
			return SPK_EXIT_USAGE;
		}
		cmd = find_command(argv[2]);
		if (cmd == NULL)
			return unknown_command(argv[2]);
		help_argv[0] = argv[2];
		return cmd->main(2, help_argv);
	}
	if (argv[1][0] == '-') {
		spk_error("unknown option '%s'; see 'spikechip --help'", argv[1]);
		return SPK_EXIT_USAGE;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL)
		return unknown_command(argv[1]);
	return cmd->main(argc - 1, argv + 1);
}
