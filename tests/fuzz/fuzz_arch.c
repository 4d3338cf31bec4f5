/*
 * fuzz_arch.c — libFuzzer harness of the architecture-file reader (arch/arch.h). First byte:
 * odd, the rest goes through a file and spk_arch_load() (fopen, line reader); even, through
 * spk_arch_load_string() (the text up to its first NUL). A file that loads is checked again
 * and its totals computed, as `spikechip arch` does.
 */
#include "config.h"

#include "arch/arch.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spk_arch a;
	struct spk_arch_totals t;
	char err[1024];
	char *text;
	int rc;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		rc = spk_arch_load(&a, fuzz_write(data + 1, size - 1, ".ini"), err, sizeof(err));
	} else {
		text = malloc(size);
		if (text == NULL)
			abort();
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		rc = spk_arch_load_string(&a, text, "fuzz.ini", err, sizeof(err));
		free(text);
	}
	if (rc == 0) {
		(void)spk_arch_check(&a, err, sizeof(err));
		spk_arch_get_totals(&a, &t);
	}
	return 0;
}
