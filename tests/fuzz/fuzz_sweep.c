/*
 * fuzz_sweep.c — libFuzzer harness of the sweep-file reader (dse/spec.h): the bytes go through a
 * file and spk_sweep_spec_load(), as `spikechip sweep` reads its SPEC; a file that loads has
 * its first points resolved and labelled, as --list does.
 */
#include "config.h"

#include "dse/spec.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spk_sweep_spec *s;
	struct spk_arch a;
	char err[2048], label[2048];

	s = spk_sweep_spec_load(fuzz_write(data, size, ".ini"), err, sizeof(err));
	if (s == NULL)
		return 0;
	for (uint32_t k = 0; k < s->n_points && k < 256; k++) {
		(void)spk_sweep_point_arch(s, k, &a, err, sizeof(err));
		spk_sweep_point_label(s, k, label, sizeof(label));
	}
	spk_sweep_spec_free(s);
	return 0;
}
