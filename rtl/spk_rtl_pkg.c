/*
 * spk_rtl_pkg.c — the build's package generator: `spk-rtl-pkg FILE` prints spk_noc_pkg for an
 * architecture file, exactly as `spikechip arch rtl-params FILE` does (the same function). The
 * build needs it before spikechip exists (spikechip links the Verilated network, whose package
 * this writes), so it is a small program of its own. Not installed. With --header it writes the
 * same parameters as a C header (spk_rtl_params_write_header()). With --crc it prints a file's
 * CRC-32 as 8 hex digits: the key of a bring-your-own unit's build directory (rtl/byo.mk), the
 * one spikechip computes for `--rtl core=PATH.sv`.
 */
#include "config.h"

#include "arch/arch.h"
#include "rtl/rtl_params.h"
#include "util/util.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct spk_arch a;
	struct spk_rtl_params p;
	char err[1024];

	int header = argc == 3 && strcmp(argv[1], "--header") == 0;

	if (argc == 3 && strcmp(argv[1], "--crc") == 0) {
		uint32_t crc = 0;	/* spk_file_crc32() goes on from *crc */

		if (spk_file_crc32(argv[2], &crc, err, sizeof(err)) < 0) {
			fprintf(stderr, "spk-rtl-pkg: %s\n", err);
			return 2;
		}
		printf("%08x\n", (unsigned)crc);
		return 0;
	}
	const char *file = argv[argc - 1];

	if (argc != 2 + header) {
		fprintf(stderr, "usage: spk-rtl-pkg [--header] ARCH.ini > spk_noc_pkg.sv | --crc FILE\n");
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
