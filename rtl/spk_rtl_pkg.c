/*
 * spk_rtl_pkg.c — the build's package generator: `spk-rtl-pkg FILE` prints spk_noc_pkg for an
 * architecture file, exactly as `spikechip arch rtl-params FILE` does (the same function). The
 * build needs it before spikechip exists (spikechip links the Verilated network, whose package
 * this writes), so it is a small program of its own. Not installed.
 */
#include "config.h"

#include "arch/arch.h"
#include "rtl/rtl_params.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	struct spk_arch a;
	struct spk_rtl_params p;
	char err[1024];

	if (argc != 2) {
		fprintf(stderr, "usage: spk-rtl-pkg ARCH.ini > spk_noc_pkg.sv\n");
		return 2;
	}
	if (spk_arch_load(&a, argv[1], err, sizeof(err)) < 0 ||
	    spk_rtl_params_from_arch(&p, &a, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "spk-rtl-pkg: %s: %s\n", argv[1], err);
		return 2;
	}
	return spk_rtl_params_write_pkg(stdout, &p, argv[1]) < 0 ? 1 : 0;
}
