/*
 * test_trace_gen.c — a test-only tool: writes a spike trace described in text, so that the
 * shell tests of `spikechip trace` (tests/cli/trace.sh) can make small traces by hand.
 *
 *   test_trace_gen OUT.spkt < description
 *
 * The description, one directive per line ('#' starts a comment):
 *
 *   trace PRODUCER MODEL_CRC STEPS     first; MODEL_CRC in any base strtoul accepts
 *   pop NAME SIZE                      one per population, in order
 *   image INDEX                        starts an image (ends the previous one)
 *   spikes T POP ID...                 ids that spiked at timestep T in population POP (name)
 *
 * It goes through the public writer, so it also exercises spk_trace_writer_* from outside.
 * Exit status 0, or 2 with a message on a bad description or a writer error.
 */
#include "config.h"

#include "traces/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POPS 64
#define MAX_IDS 100000

static int die(const char *what, unsigned line)
{
	fprintf(stderr, "test_trace_gen: line %u: %s\n", line, what);
	return 2;
}

int main(int argc, char **argv)
{
	static uint32_t ids[MAX_IDS];
	char line[65536], producer[128] = "", err[1024];
	char *names[MAX_POPS];
	uint32_t sizes[MAX_POPS], n_pops = 0, steps = 0, crc = 0;
	spk_trace_writer *w = NULL;
	bool in_image = false;
	unsigned lineno = 0;
	int ret = 2;

	if (argc != 2) {
		fprintf(stderr, "usage: test_trace_gen OUT.spkt < description\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *tok = strtok(line, " \t\n"), *s;

		lineno++;
		if (tok == NULL || tok[0] == '#')
			continue;
		if (strcmp(tok, "trace") == 0) {
			char *p = strtok(NULL, " \t\n"), *c = strtok(NULL, " \t\n");
			char *t = strtok(NULL, " \t\n");

			if (p == NULL || c == NULL || t == NULL || strlen(p) >= sizeof(producer))
				return die("trace PRODUCER MODEL_CRC STEPS", lineno);
			strcpy(producer, p);
			crc = (uint32_t)strtoul(c, NULL, 0);
			steps = (uint32_t)strtoul(t, NULL, 0);
		} else if (strcmp(tok, "pop") == 0) {
			char *n = strtok(NULL, " \t\n"), *z = strtok(NULL, " \t\n");

			if (n == NULL || z == NULL || n_pops == MAX_POPS || w != NULL)
				return die("pop NAME SIZE (before any image)", lineno);
			names[n_pops] = strdup(n);
			sizes[n_pops++] = (uint32_t)strtoul(z, NULL, 0);
		} else if (strcmp(tok, "image") == 0) {
			s = strtok(NULL, " \t\n");
			if (s == NULL)
				return die("image INDEX", lineno);
			if (w == NULL) {
				w = spk_trace_writer_create(argv[1], producer, crc, steps, n_pops,
							    (const char *const *)names, sizes,
							    err, sizeof(err));
				if (w == NULL)
					return die(err, lineno);
			}
			if ((in_image && spk_trace_writer_end_image(w) < 0) ||
			    spk_trace_writer_begin_image(w, (uint32_t)strtoul(s, NULL, 0)) < 0)
				goto out_writer;
			in_image = true;
		} else if (strcmp(tok, "spikes") == 0) {
			char *t = strtok(NULL, " \t\n"), *pop = strtok(NULL, " \t\n");
			uint32_t p;
			size_t n = 0;

			if (t == NULL || pop == NULL || !in_image)
				return die("spikes T POP ID... (inside an image)", lineno);
			for (p = 0; p < n_pops && strcmp(names[p], pop) != 0; p++)
				;
			if (p == n_pops)
				return die("unknown population", lineno);
			while ((s = strtok(NULL, " \t\n")) != NULL && n < MAX_IDS)
				ids[n++] = (uint32_t)strtoul(s, NULL, 0);
			if (spk_trace_writer_add(w, (uint32_t)strtoul(t, NULL, 0), p, ids, n) < 0)
				goto out_writer;
		} else {
			return die("unknown directive", lineno);
		}
	}
	if (w == NULL) {
		w = spk_trace_writer_create(argv[1], producer, crc, steps, n_pops,
					    (const char *const *)names, sizes, err, sizeof(err));
		if (w == NULL)
			return die(err, lineno);
	}
	if (in_image && spk_trace_writer_end_image(w) < 0)
		goto out_writer;
	if (spk_trace_writer_close(w, err, sizeof(err)) < 0)
		return die(err, lineno);
	ret = 0;
	goto out_names;
out_writer:
	fprintf(stderr, "test_trace_gen: line %u: %s\n", lineno, spk_trace_writer_error(w));
	spk_trace_writer_abort(w);
out_names:
	for (uint32_t i = 0; i < n_pops; i++)
		free(names[i]);
	return ret;
}
