/*
 * test_arch.c — unit tests of the architecture loader (arch/arch.c) and its parameter table
 * (arch/arch_params.c): defaults, overrides, every kind of bad input with its line number, the
 * rules between parameters, derived totals, and the shipped presets.
 *
 * Most cases load INI text through spk_arch_load_string(); what only a file can show (unreadable,
 * NUL bytes, the file name in messages) goes through a temporary file under $TMPDIR. Presets are
 * read from $TOP_SRCDIR, which `make check` exports.
 */
#include "config.h"

#include "arch/arch.h"
#include "arch/arch_params.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char err[1024];

static const struct spk_arch_param *param(const char *section, const char *key)
{
	const struct spk_arch_param *p = spk_arch_param_find(section, key);

	assert_non_null(p);
	return p;
}

static int line_of(const struct spk_arch *a, const char *section, const char *key)
{
	return a->src_line[param(section, key) - spk_arch_params];
}

/* Loads text as "t.ini"; returns the loader's result, message in err. */
static int load(struct spk_arch *a, const char *text)
{
	err[0] = '\0';
	return spk_arch_load_string(a, text, "t.ini", err, sizeof(err));
}

/* Writes len bytes to a new temporary file; returns its malloc'd path. */
static char *temp_file(const char *bytes, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path = malloc(PATH_MAX);
	int fd;

	assert_non_null(path);
	snprintf(path, PATH_MAX, "%s/test_arch.XXXXXX", dir != NULL && *dir != '\0' ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	close(fd);
	return path;
}

/* The table itself: unique keys, known sections, defaults inside their ranges. */
static void test_table(void **state)
{
	(void)state;
	assert_true(spk_arch_n_params <= SPK_ARCH_MAX_PARAMS);
	for (size_t i = 0; i < spk_arch_n_params; i++) {
		const struct spk_arch_param *p = &spk_arch_params[i];

		assert_non_null(spk_arch_section_find(p->section));
		assert_ptr_equal(spk_arch_param_find(p->section, p->key), p);
		assert_true(strlen(p->meaning) > 10);
		switch (p->type) {
		case SPK_PARAM_INT:
			assert_true(p->min_int <= p->def_int && p->def_int <= p->max_int);
			assert_true(p->min_int >= INT_MIN && p->max_int <= INT_MAX);
			break;
		case SPK_PARAM_REAL:
			assert_true(p->min_real <= p->def_real && p->def_real <= p->max_real);
			break;
		case SPK_PARAM_ENUM:
			assert_non_null(p->choices);
			assert_true(p->def_int >= 0);
			for (long c = 0; c <= p->def_int; c++)
				assert_non_null(p->choices[c]);
			break;
		case SPK_PARAM_TEXT:
			assert_true(strlen(p->def_text) < p->size);
			break;
		}
	}
	for (size_t r = 0; r < spk_arch_n_rules; r++)
		for (size_t i = 0; spk_arch_rules[r].params[i] != NULL; i++)
			assert_non_null(spk_arch_param_find_dotted(spk_arch_rules[r].params[i]));
	/* The keys the issue names exist. */
	param("chip", "mesh_x");
	param("core", "route_entries");
	param("noc", "multicast");
	param("attention", "kv_kib");
	param("encoder", "macs");
	param("energy", "static_mw");
}

static void test_defaults(void **state)
{
	struct spk_arch a;

	(void)state;
	assert_int_equal(spk_arch_init_defaults(&a), 0);
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), 0);
	assert_int_equal(a.chip.mesh_x, 12);
	assert_int_equal(a.core.weight_bits, 8);
	assert_int_equal(a.noc.routing, SPK_ROUTING_XY);
	assert_int_equal(a.noc.multicast, SPK_MULTICAST_SOURCE);
	assert_true(a.energy.syn_add_pj == 0.1);
	assert_string_equal(a.energy.source, "Horowitz ISSCC 2014, 45 nm");
	for (size_t i = 0; i < spk_arch_n_params; i++)
		assert_int_equal(a.src_line[i], 0);

	/* An empty file, or one of comments only, is the defaults. */
	assert_int_equal(load(&a, ""), 0);
	assert_int_equal(a.core.neurons, 8192);
	assert_int_equal(load(&a, "; nothing\n# here\n\n"), 0);
	assert_int_equal(a.core.neurons, 8192);
}

static void test_overrides(void **state)
{
	struct spk_arch a;

	(void)state;
	assert_int_equal(load(&a, "[core]\nneurons = 1024\n\n[noc]\nmulticast = tree\n"
			     "[energy]\nlink_pj = 0.25\nsource = my notes\n"), 0);
	assert_int_equal(a.core.neurons, 1024);
	assert_int_equal(line_of(&a, "core", "neurons"), 2);
	assert_int_equal(a.noc.multicast, SPK_MULTICAST_TREE);
	assert_int_equal(line_of(&a, "noc", "multicast"), 5);
	assert_true(a.energy.link_pj == 0.25);
	assert_string_equal(a.energy.source, "my notes");
	assert_int_equal(line_of(&a, "energy", "source"), 8);
	/* Everything else keeps its default. */
	assert_int_equal(a.core.synapse_kib, 128);
	assert_int_equal(line_of(&a, "core", "synapse_kib"), 0);
	assert_int_equal(a.chip.mesh_x, 12);
}

/* BOM, CRLF, blanks, both comment styles, inline comments, indented keys, "key: value". */
static void test_syntax_forms(void **state)
{
	struct spk_arch a;

	(void)state;
	assert_int_equal(load(&a, "\xEF\xBB\xBF; bom\r\n# hash\r\n  [chip]  \r\n"
			     "\tmesh_x = 6 ; six\r\n    mesh_y=5\r\nclock_mhz: 2.5e2\r\n"), 0);
	assert_int_equal(a.chip.mesh_x, 6);
	assert_int_equal(line_of(&a, "chip", "mesh_x"), 4);
	assert_int_equal(a.chip.mesh_y, 5);
	assert_int_equal(line_of(&a, "chip", "mesh_y"), 5);
	assert_true(a.chip.clock_mhz == 250);
	/* An indented key right after another is a key of its own, not a continuation. */
	assert_int_equal(load(&a, "[core]\nneurons = 64\n  adders = 2\n"), 0);
	assert_int_equal(a.core.neurons, 64);
	assert_int_equal(a.core.adders, 2);
	/* No newline at the end of the file. */
	assert_int_equal(load(&a, "[core]\nneurons = 64"), 0);
	assert_int_equal(a.core.neurons, 64);
}

/* One kind of bad input: the text, the "t.ini:LINE:" the message must start with, a fragment. */
struct bad_case {
	const char *kind;
	const char *text;
	int line;
	const char *fragment;
};

static const struct bad_case bad_cases[] = {
	{ "unknown section", "[chip]\nmesh_x = 4\n[cores]\nneurons = 4\n", 3,
	  "unknown section [cores]" },
	{ "unknown empty section", "[chip]\n[routers]\n", 2, "unknown section [routers]" },
	{ "unknown key", "[core]\nneurons = 4\nneuron = 4\n", 3,
	  "[core] neuron: unknown key; [core] has neurons, synapse_kib" },
	{ "missing value", "[noc]\nflit_bits =\n", 2, "[noc] flit_bits: missing value" },
	{ "missing value, comment only", "[noc]\nflit_bits = ; none\n", 2,
	  "[noc] flit_bits: missing value" },
	{ "missing key", "[core]\n= 4\n", 2, "[core]: missing key name" },
	{ "not an integer", "[core]\n\nadders = many\n", 3, "[core] adders: 'many' is not an integer" },
	{ "fraction for an integer", "[chip]\nmesh_x = 2.5\n", 2, "'2.5' is not an integer" },
	{ "hex integer", "[chip]\nmesh_x = 0x10\n", 2, "'0x10' is not an integer" },
	{ "not a number", "[energy]\nlink_pj = cheap\n", 2, "[energy] link_pj: 'cheap' is not a number" },
	{ "number with unit", "[chip]\nclock_mhz = 500MHz\n", 2, "'500MHz' is not a number" },
	{ "integer out of range", "[core]\nweight_bits = 17\n", 2,
	  "[core] weight_bits: 17 is out of range 1 .. 16" },
	{ "huge integer", "[core]\nneurons = 99999999999999999999999\n", 2,
	  "99999999999999999999999 is out of range 1 .. 1048576" },
	{ "negative integer", "[attention]\nunits = -1\n", 2, "-1 is out of range 0 .. 4096" },
	{ "real out of range", "[energy]\nrouter_pj = -3\n", 2,
	  "[energy] router_pj: -3 is out of range 0 .. 1000000" },
	{ "infinite real", "[energy]\nrouter_pj = inf\n", 2, "inf is out of range" },
	{ "not-a-number real", "[chip]\nclock_mhz = nan\n", 2, "nan is out of range" },
	{ "bad choice", "[noc]\nrouting = west-first\n", 2,
	  "[noc] routing: 'west-first' is not one of: xy" },
	{ "choice in the wrong case", "[noc]\nmulticast = Tree\n", 2,
	  "'Tree' is not one of: source, tree" },
	{ "duplicate key", "[chip]\nmesh_x = 4\nmesh_y = 4\nmesh_x = 5\n", 4,
	  "[chip] mesh_x: given twice (first on line 2)" },
	{ "duplicate section", "[core]\nneurons = 4\n[noc]\n[core]\n", 4,
	  "section [core] given twice (first on line 1)" },
	{ "key outside a section", "; top\nmesh_x = 4\n[chip]\n", 2,
	  "'mesh_x' is outside any section" },
	{ "line without '='", "[chip]\nmesh_x 4\n", 2, "expected 'key = value'" },
	{ "section without ']'", "[chip]\nmesh_x = 4\n[core\n", 3, "section header without ']'" },
	{ "syntax error before a later error", "[chip]\nmesh_x\nbogus = 1\n", 2,
	  "expected 'key = value'" },
	{ "text too long", "[energy]\nsource = "
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890\n", 2, "[energy] source: text longer than 95" },
	{ "mesh too small", "[attention]\nunits = 2\n[chip]\nmesh_x = 2\nmesh_y = 2\n", 5,
	  "[chip] mesh_y: a 2x2 mesh has 4 tiles, too few for 2 attention + 1 encoder + 1 readout" },
	{ "mesh too small, blame the last line", "[attention]\nunits = 20\n[chip]\nmesh_x = 3\n"
	  "mesh_y = 3\n[encoder]\nunits = 2\n", 7, "[encoder] units: a 3x3 mesh" },
	{ "membrane narrower than weight", "[core]\nweight_bits = 12\nmembrane_bits = 10\n", 3,
	  "[core] membrane_bits: membrane_bits (10) is narrower than weight_bits (12)" },
	{ "membrane narrower than the default weight", "[core]\n\nmembrane_bits = 4\n", 3,
	  "[core] membrane_bits: membrane_bits (4) is narrower than weight_bits (8)" },
	{ "more updates than neurons", "[core]\nneuron_updates = 9\nneurons = 8\n", 3,
	  "[core] neurons: neuron_updates (9) exceeds neurons (8)" },
	{ "flit too narrow for the mesh", "[chip]\nmesh_x = 256\nmesh_y = 2\n[noc]\nflit_bits = 9\n",
	  5, "[noc] flit_bits: flit_bits (9) cannot hold a head flit: 2 kind + 8 + 1 destination "
	  "(a 256x2 mesh) + 1 tag + 13 axon bits (8192 neurons) = 25 bits" },
	{ "head flit without room for an axon", "[noc]\nflit_bits = 16\n", 2,
	  "[noc] flit_bits: flit_bits (16) cannot hold a head flit: 2 kind + 4 + 4 destination "
	  "(a 12x12 mesh) + 1 tag + 13 axon bits (8192 neurons) = 24 bits" },
	{ "head flit, more neurons", "[noc]\nflit_bits = 24\n[core]\nneurons = 16384\n", 4,
	  "[core] neurons: flit_bits (24) cannot hold a head flit" },
	{ "input FIFO shorter than a graded packet", "[chip]\nmesh_x = 4\nmesh_y = 4\n"
	  "[attention]\nunits = 2\n[core]\nneurons = 256\ninput_fifo = 2\n[noc]\nflit_bits = 16\n",
	  10, "[noc] flit_bits: input_fifo (2 flits) cannot hold a graded packet (3 flits of 16 bits)" },
	{ "output queue shorter than a fire group", "[core]\noutput_queue = 4\nneuron_updates = 4\n",
	  3, "[core] neuron_updates: output_queue (4) cannot take a fire group of neuron_updates (4) "
	  "spikes and its end-of-step marker" },
};

static void test_bad_input(void **state)
{
	struct spk_arch a, def;
	char prefix[32];

	(void)state;
	spk_arch_init_defaults(&def);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		int rc = load(&a, c->text);

		snprintf(prefix, sizeof(prefix), "t.ini:%d: ", c->line);
		if (rc != -EINVAL)
			fail_msg("%s: returned %d, expected -EINVAL", c->kind, rc);
		if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, c->fragment) == NULL)
			fail_msg("%s: message '%s', expected '%s...%s'", c->kind, err, prefix,
				 c->fragment);
		/* A failed load leaves the defaults. */
		assert_memory_equal(&a, &def, sizeof(a));
	}
}

/* A line inih's buffer cannot hold is an error of its own, not a split line. */
static void test_long_line(void **state)
{
	struct spk_arch a;
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "[chip]\nmesh_x = 4\n; %0300d\n", 7);
	assert_int_equal(load(&a, text), -EINVAL);
	assert_non_null(strstr(err, "t.ini:3: line longer than"));
}

static void test_files(void **state)
{
	static const char nul[] = "[chip]\nmesh_x = 4\nmesh_y\0 = 4\n";
	struct spk_arch a;
	char *path, want[PATH_MAX + 64];

	(void)state;
	/* A good file. */
	path = temp_file("[core]\nneurons = 512\n", 21);
	assert_int_equal(spk_arch_load(&a, path, err, sizeof(err)), 0);
	assert_int_equal(a.core.neurons, 512);
	unlink(path);
	free(path);

	/* A bad one: the message names the path and the line. */
	path = temp_file("[core]\n\nneurons = 0\n", 20);
	assert_int_equal(spk_arch_load(&a, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: [core] neurons: 0 is out of range", path);
	assert_non_null(strstr(err, want));
	unlink(path);
	free(path);

	/* A NUL byte: not a text file. */
	path = temp_file(nul, sizeof(nul) - 1);
	assert_int_equal(spk_arch_load(&a, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: NUL byte", path);
	assert_non_null(strstr(err, want));
	unlink(path);
	free(path);

	/* Unreadable: missing, a directory. */
	assert_int_equal(spk_arch_load(&a, "/nonexistent/arch.ini", err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "/nonexistent/arch.ini: cannot open: "));
	assert_int_equal(spk_arch_load(&a, "/", err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "/: cannot read: "));

	/* err may be NULL. */
	assert_int_equal(spk_arch_load(&a, "/nonexistent/arch.ini", NULL, 0), -EIO);
	assert_int_equal(spk_arch_load_string(&a, "[x]\n", "t.ini", NULL, 0), -EINVAL);
}

static void test_set_and_check(void **state)
{
	struct spk_arch a;

	(void)state;
	spk_arch_init_defaults(&a);
	assert_int_equal(spk_arch_set(&a, "core", "adders", "32", err, sizeof(err)), 0);
	assert_int_equal(a.core.adders, 32);
	assert_int_equal(line_of(&a, "core", "adders"), SPK_ARCH_SET_BY_CALLER);
	assert_int_equal(spk_arch_set(&a, "core", "adders", "0", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "[core] adders: 0 is out of range 1 .. 4096");
	assert_int_equal(spk_arch_set(&a, "core", "adder", "1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "[core] adder: unknown parameter");
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), 0);

	/* Equal widths are fine; a narrower membrane breaks a rule. */
	assert_int_equal(spk_arch_set(&a, "core", "weight_bits", "16", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), 0);
	assert_int_equal(spk_arch_set(&a, "core", "membrane_bits", "8", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "membrane_bits (8) is narrower than weight_bits (16)"));

	/* The rules' boundaries: a head flit of exactly flit_bits, an input FIFO of exactly one
	 * graded packet, an output queue of one group and its marker. */
	spk_arch_init_defaults(&a);
	assert_int_equal(spk_arch_set(&a, "noc", "flit_bits", "24", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), 0);	/* 3 + 4 + 4 + 13 */
	assert_int_equal(spk_arch_set(&a, "noc", "flit_bits", "23", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), -EINVAL);
	spk_arch_init_defaults(&a);
	assert_int_equal(spk_arch_set(&a, "core", "input_fifo", "2", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), 0);	/* 32-bit flits: 1 + 1 */
	assert_int_equal(spk_arch_set(&a, "core", "input_fifo", "1", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "input_fifo (1 flits) cannot hold a graded packet"));
	spk_arch_init_defaults(&a);
	assert_int_equal(spk_arch_set(&a, "core", "output_queue", "9", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), 0);	/* 8 spikes + marker */
	assert_int_equal(spk_arch_set(&a, "core", "output_queue", "8", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), -EINVAL);

	/* A hand-edited struct out of range. */
	spk_arch_init_defaults(&a);
	a.noc.buffer_flits = 0;
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "[noc] buffer_flits: 0 is out of range 1 .. 1024");
	spk_arch_init_defaults(&a);
	a.chip.clock_mhz = 0.5;
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "[chip] clock_mhz: 0.5 is out of range 1 .. 10000");
	spk_arch_init_defaults(&a);
	a.noc.multicast = (enum spk_multicast)7;
	assert_int_equal(spk_arch_check(&a, err, sizeof(err)), -EINVAL);
}

/* Every value prints in a form that reads back to the same value. */
static void test_format_round_trip(void **state)
{
	struct spk_arch a, b;
	char text[SPK_ARCH_TEXT_MAX + 32];

	(void)state;
	assert_int_equal(load(&a, "[chip]\nclock_mhz = 333.3333333333333\n[energy]\n"
			     "syn_add_pj = 1e-3\nweight_read_pj = 0.1234567890123\n"), 0);
	spk_arch_init_defaults(&b);
	for (size_t i = 0; i < spk_arch_n_params; i++) {
		const struct spk_arch_param *p = &spk_arch_params[i];

		spk_arch_param_format(p, &a, text, sizeof(text));
		assert_int_equal(spk_arch_set(&b, p->section, p->key, text, err, sizeof(err)), 0);
	}
	memcpy(b.src_line, a.src_line, sizeof(a.src_line));
	assert_memory_equal(&a, &b, sizeof(a));
	spk_arch_param_format(param("energy", "syn_add_pj"), &a, text, sizeof(text));
	assert_string_equal(text, "0.001");
	spk_arch_param_format(param("chip", "clock_mhz"), &a, text, sizeof(text));
	assert_string_equal(text, "333.3333333333333");
}

static void test_totals(void **state)
{
	struct spk_arch a;
	struct spk_arch_totals t;

	(void)state;
	assert_int_equal(load(&a, "[chip]\nmesh_x = 4\nmesh_y = 3\nclock_mhz = 250\n"
			     "[core]\nneurons = 100\nsynapse_kib = 2\nadders = 4\nweight_bits = 4\n"
			     "[attention]\nunits = 2\n[noc]\nflit_bits = 16\n"
			     "[energy]\nstatic_mw = 0.5\nsyn_add_pj = 0.25\nweight_read_pj = 0.5\n"),
			 0);
	spk_arch_get_totals(&a, &t);
	assert_int_equal(t.tiles, 12);
	assert_int_equal(t.synapse_cores, 8);	/* 12 - 2 attention - 1 encoder - 1 readout */
	assert_int_equal(t.neurons, 800);
	assert_int_equal(t.synapse_kib, 16);
	assert_int_equal(t.weights, 16 * 8192 / 4);
	assert_true(t.peak_gsops == 8.0);		/* 8 cores x 4 adds x 0.25 GHz */
	assert_int_equal(t.bisection_links, 3);	/* narrower cut of 4x3 */
	assert_true(t.bisection_gbps == 12.0);	/* 3 links x 16 bits x 0.25 GHz */
	assert_true(t.static_mw == 6.0);
	assert_true(t.sop_pj == 2.25);		/* 0.25 + 4 x 0.5 */

	/* A row of tiles, and a single tile: no link to cut. */
	assert_int_equal(load(&a, "[chip]\nmesh_x = 1\nmesh_y = 5\n[attention]\nunits = 0\n"), 0);
	spk_arch_get_totals(&a, &t);
	assert_int_equal(t.bisection_links, 1);
	assert_int_equal(t.synapse_cores, 3);
	assert_int_equal(load(&a, "[chip]\nmesh_x = 1\nmesh_y = 1\nreadout_units = 1\n"
			     "[attention]\nunits = 0\n"), -EINVAL);	/* encoder + readout + core */
	assert_int_equal(load(&a, "[chip]\nmesh_x = 3\nmesh_y = 1\n[attention]\nunits = 0\n"), 0);
	spk_arch_get_totals(&a, &t);
	assert_int_equal(t.bisection_links, 1);
}

static void load_preset(struct spk_arch *a, const char *name)
{
	const char *top = getenv("TOP_SRCDIR");
	char path[PATH_MAX];

	if (top == NULL || *top == '\0')
		top = ".";
	snprintf(path, sizeof(path), "%s/arch/%s.ini", top, name);
	if (spk_arch_load(a, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void test_presets(void **state)
{
	struct spk_arch a, def;
	struct spk_arch_totals t;

	(void)state;
	/* default.ini restates the built-in defaults. */
	spk_arch_init_defaults(&def);
	load_preset(&a, "default");
	memcpy(a.src_line, def.src_line, sizeof(a.src_line));
	assert_memory_equal(&a, &def, sizeof(a));
	spk_arch_get_totals(&a, &t);
	assert_in_range(t.neurons, 100000, 2000000);
	assert_in_range(t.synapse_cores, 64, 144);

	load_preset(&a, "small");
	spk_arch_get_totals(&a, &t);
	assert_in_range(t.tiles, 4, 25);

	/* Millions of neurons for the 55M model at 224x224. */
	load_preset(&a, "large");
	spk_arch_get_totals(&a, &t);
	assert_true(t.neurons >= 20000000);
	assert_true(t.synapse_kib * 1024 * 8 / a.core.weight_bits >= 135000000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_syntax_forms),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_set_and_check),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_totals),
		cmocka_unit_test(test_presets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
