/*
 * spk_rtl_pkg.c — the build's package generator: `spk-rtl-pkg FILE` prints spk_noc_pkg for an
 * architecture file, exactly as `spikechip arch rtl-params FILE` does (the same function). The
 * build needs it before spikechip exists (spikechip links the Verilated network, whose package
 * this writes), so it is a small program of its own. Not installed. With --header it writes the
 * same parameters as a C header (spk_rtl_params_write_header()).
 */
#include "config.h"

#include "arch/arch.h"
#include "rtl/rtl_params.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct spk_arch a;
	struct spk_rtl_params p;
	char err[1024];

	int header = argc == 3 && strcmp(argv[1], "--header") == 0;
	const char *file = argv[argc - 1];

	if (argc != 2 + header) {
		fprintf(stderr, "usage: spk-rtl-pkg [--header] ARCH.ini > spk_noc_pkg.sv\n");
		return 2;
	}
	if (spk_arch_load(&a, file, err, sizeof(err)) < 0 ||
	    spk_rtl_params_from_arch(&p, &a, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "spk-rtl-pkg: %s: %s\n", file, err);
		return 2;
	}
	if (header)
		return spk_rtl_params_write_header(stdout, &p, file) < 0 ? 1 : 0;
	return spk_rtl_params_write_pkg(stdout, &p, file) < 0 ? 1 : 0;
}
