/*
 * fuzz_model.c — libFuzzer harness of the model-file reader (models/model.h,
 * spk_model_parse(), what spk_model_load() calls on a file's bytes). First byte: the mode of
 * fuzz.h (odd: the whole file; even: the payload, wrapped into a valid envelope).
 */
#include "config.h"

#include "models/model.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	void *owned;
	size_t n;
	const uint8_t *file = fuzz_file_bytes(&spk_model_format, data, size, &n, &owned);
	struct spk_model *m;

	if (file == NULL)
		return 0;
	m = spk_model_parse(file, n, "fuzz.spkm", err, sizeof(err));
	if (m != NULL) {
		/* What every user of a loaded model asks first. */
		for (uint32_t p = 0; p < m->n_pops; p++)
			(void)spk_model_pop_neurons(m, p);
		for (uint32_t s = 0; s < m->n_sites; s++)
			(void)spk_model_site_size(m, s);
		for (uint32_t o = 0; o < m->n_ops; o++)
			(void)spk_op_type_name(m->ops[o].type);
	}
	spk_model_destroy(m);
	free(owned);
	return 0;
}
