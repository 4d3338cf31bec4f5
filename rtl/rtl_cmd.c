/*
 * rtl_cmd.c — `spikechip arch rtl-params`: the SystemVerilog package spk_noc_pkg of an
 * architecture (rtl/rtl_params.h), for building the RTL of that chip (doc/rtl.md).
 *
 *   spikechip arch rtl-params FILE|PRESET [-o OUT.sv] [--groups N]
 *
 * The package goes to stdout, or atomically to OUT. An architecture the RTL does not support is
 * refused naming the parameter and the supported range (exit 2), and nothing is written.
 */
#include "config.h"

#include "arch/arch.h"
#include "util/outfile.h"
#include "rtl/rtl_params.h"
#include "util/util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip arch rtl-params FILE|PRESET [-o OUT.sv] [--groups N]\n"
		"\n"
		"Writes the SystemVerilog package spk_noc_pkg that builds the RTL network (rtl/) of an\n"
		"architecture: mesh, flit_bits, buffer_flits, router_stages, multicast, the units'\n"
		"input capacity, and the head-flit field widths derived from them (doc/rtl.md).\n"
		"\n"
		"options:\n"
		"  -o, --output OUT.sv   write the package to OUT.sv (atomically) instead of stdout\n"
		"  --groups N            group-table entries of a tree-multicast network (default:\n"
		"                        2^(address bits of mesh_x + mesh_y) - 1)\n"
		"  -h, --help            this help\n"
		"\n"
		"The RTL supports meshes of %d..%d tiles a side, flit_bits %d..%d, buffer_flits 1..%d,\n"
		"router_stages 1..%d and input_fifo 1..%d; other architectures are refused (exit 2).\n",
		SPK_RTL_MESH_MIN, SPK_RTL_MESH_MAX, SPK_RTL_FLIT_MIN, SPK_RTL_FLIT_MAX,
		SPK_RTL_BUFFER_MAX, SPK_RTL_STAGES_MAX, SPK_RTL_EJECT_MAX);
}

int spk_rtl_params_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "groups", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	long groups = 0;
	char path[PATH_MAX], err[1024];
	struct spk_arch a;
	struct spk_rtl_params p;
	struct spk_outfile of = { 0 };
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'g':
			if (spk_parse_long(optarg, 1, SPK_RTL_GROUPS_MAX, &groups) < 0) {
				spk_error("arch rtl-params: --groups '%s' is not a number of groups "
					  "(1..%d)", optarg, SPK_RTL_GROUPS_MAX);
				return SPK_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return SPK_EXIT_OK;
		default:
			return spk_opt_fail("arch rtl-params", c, argv[optind - 1]);
		}
	}
	if (argc - optind != 1) {
		spk_error("arch rtl-params: give one architecture FILE or PRESET; see 'spikechip arch "
			  "rtl-params --help'");
		return SPK_EXIT_USAGE;
	}
	spk_arch_resolve(argv[optind], path, sizeof(path));
	if (spk_arch_load(&a, path, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return SPK_EXIT_USAGE;
	}
	if (spk_rtl_params_from_arch(&p, &a, (uint32_t)groups, err, sizeof(err)) < 0) {
		spk_error("arch rtl-params: %s: %s", path, err);
		return SPK_EXIT_USAGE;
	}
	if (out == NULL)
		return spk_rtl_params_write_pkg(stdout, &p, path) < 0 ? SPK_EXIT_FAIL : SPK_EXIT_OK;
	if (spk_outfile_open(&of, out, err, sizeof(err)) < 0) {
		spk_error("arch rtl-params: %s", err);
		return SPK_EXIT_USAGE;
	}
	if (spk_rtl_params_write_pkg(of.f, &p, path) < 0) {
		spk_outfile_abort(&of);
		spk_error("arch rtl-params: %s: write failed", out);
		return SPK_EXIT_FAIL;
	}
	if (spk_outfile_commit(&of, err, sizeof(err)) < 0) {
		spk_error("arch rtl-params: %s", err);
		return SPK_EXIT_FAIL;
	}
	return SPK_EXIT_OK;
}
