/*
 * arch_cmd.c — `spikechip arch`: show, check and document architecture files.
 *
 *   spikechip arch show [FILE|PRESET]    the resolved architecture, as an INI file that reads back,
 *                                        each value marked with where it came from, then the
 *                                        derived totals as comments
 *   spikechip arch check FILE|PRESET...  validate; "FILE: ok" per file
 *   spikechip arch doc                   doc/arch-file.md, generated from the parameter table
 *
 * A PRESET is the name of a shipped file (arch/NAME.ini, found through spk_data_path) and is
 * used when no file of that name exists. A bad file, option or argument is one message on stderr
 * and exit status 2 (SPK_EXIT_USAGE); nothing here asserts on user input.
 */
#include "config.h"

#include "arch/arch.h"
#include "arch/arch_params.h"
#include "cli/commands.h"
#include "rtl/rtl_area.h"
#include "util/outfile.h"
#include "util/util.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The shipped presets, in the order doc/arch-file.md lists them. */
static const struct {
	const char *name;
	const char *purpose;
} presets[] = {
	{ "small", "a tiny chip for fast tests and small networks" },
	{ "default", "the default chip, sized for the Fashion-MNIST Meta-SpikeFormer "
		     "(widths 32, 64, 96, 128; 28x28 input)" },
	{ "large", "sized for the 55M Meta-SpikeFormer (widths 128, 256, 512, 640) on 224x224 "
		   "images" },
	{ "loihi", "the default chip with Loihi's per-operation energies (Davies et al., IEEE "
		   "Micro 2018; doc/energy.md): images mapped for default run on it unchanged" },
	{ "efficient", "the default chip with the worked sweep's choices (doc/dse.md): 64 adders, "
		       "8-flit buffers, 1-stage routers, tree multicast; 3.5x lower latency and "
		       "half the energy per image of default on the shipped model" },
};

#define N_PRESETS (sizeof(presets) / sizeof(presets[0]))

static void arch_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip arch <subcommand> [<args>]\n"
		"\n"
		"Chip architecture files: INI files with sections [chip] [core] [noc] [attention]\n"
		"[encoder] [energy]. Every parameter has a default; a file names only what it changes.\n"
		"\n"
		"subcommands:\n"
		"  show [FILE|PRESET]     print the resolved architecture and its derived totals\n"
		"  check FILE|PRESET...   validate architecture files (prints \"FILE: ok\")\n"
		"  doc                    print the parameter reference (doc/arch-file.md) as markdown\n"
		"  rtl-params FILE|PRESET write the SystemVerilog package of the RTL (doc/rtl.md)\n"
		"\n"
		"PRESET is the name of a shipped architecture: small, default, large, loihi,\n"
		"efficient.\n"
		"A bad file is reported as FILE:LINE: message, with exit status 2.\n"
		"'spikechip arch <subcommand> --help' describes a subcommand.\n");
}

static void show_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip arch show [--area [--json FILE]] [FILE|PRESET]\n"
		"\n"
		"Prints the resolved architecture (default: the shipped 'default' preset): every\n"
		"parameter, marked with the line of the file that set it or 'default', then the\n"
		"derived totals (tiles, neurons, synapse memory, peak synaptic ops, NoC bisection\n"
		"bandwidth, static power). The output is itself a valid architecture file.\n"
		"\n"
		"options:\n"
		"  --area       add the area at 45 nm of every block and of the chip: memory (the\n"
		"               SRAM bits the architecture names x [area] sram_um2_per_bit) and\n"
		"               logic (yosys NAND2 equivalents x [area] nand2_um2): the router and\n"
		"               network interface synthesised for this architecture (up to a minute\n"
		"               the first time, then cached), the units from rtl/unit_logic.txt\n"
		"               (doc/rtl.md \"Area\")\n"
		"  --json FILE  with --area: also write the area as JSON to FILE\n"
		"  -h, --help   show this help\n");
}

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip arch check FILE|PRESET...\n"
		"\n"
		"Validates each architecture file and prints \"FILE: ok\". The first problem in a\n"
		"file is reported as FILE:LINE: message; the exit status is then 2.\n"
		"\n"
		"options:\n"
		"  -h, --help   show this help\n");
}

static void doc_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip arch doc\n"
		"\n"
		"Prints the architecture-file reference as markdown, generated from the parameter\n"
		"table: the committed doc/arch-file.md is this output.\n"
		"\n"
		"options:\n"
		"  -h, --help   show this help\n");
}

/*
 * Options of a subcommand: only --help. Returns the index of the first operand, or -1 after
 * printing the help (*status = 0) or an error (*status = 2).
 */
static int parse_options(int argc, char **argv, void (*usage)(FILE *), int *status)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			*status = SPK_EXIT_OK;
			return -1;
		}
		spk_error("arch %s: unknown option '%s'; see 'spikechip arch %s --help'",
			  argv[0], argv[i], argv[0]);
		*status = SPK_EXIT_USAGE;
		return -1;
	}
	return i;
}


static int load(const char *arg, struct spk_arch *a, char *path, size_t len)
{
	char err[1024];

	spk_arch_resolve(arg, path, len);
	if (spk_arch_load(a, path, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return SPK_EXIT_USAGE;
	}
	return SPK_EXIT_OK;
}

static void print_totals(FILE *f, const struct spk_arch *a)
{
	struct spk_arch_totals t;

	spk_arch_get_totals(a, &t);
	fprintf(f, "\n; derived totals\n");
	fprintf(f, ";   tiles              %d = %d x %d: %d synapse cores, %d attention, "
		"%d encoder, %d readout\n", t.tiles, a->chip.mesh_x, a->chip.mesh_y,
		t.synapse_cores, a->attention.units, a->encoder.units, a->chip.readout_units);
	fprintf(f, ";   neurons            %lld (%d cores x %d)\n", t.neurons, t.synapse_cores,
		a->core.neurons);
	fprintf(f, ";   synapse memory     %lld KiB = %.2f MiB (%d cores x %d KiB), "
		"%lld weights of %d bits\n", t.synapse_kib, t.synapse_kib / 1024.0,
		t.synapse_cores, a->core.synapse_kib, t.weights, a->core.weight_bits);
	fprintf(f, ";   peak synaptic ops  %.6g GSOP/s (%d cores x %d adds/cycle x %.6g MHz)\n",
		t.peak_gsops, t.synapse_cores, a->core.adders, a->chip.clock_mhz);
	fprintf(f, ";   NoC bisection      %.6g Gbit/s per direction (%d links x %d bits x "
		"%.6g MHz)\n", t.bisection_gbps, t.bisection_links, a->noc.flit_bits,
		a->chip.clock_mhz);
	fprintf(f, ";   static power       %.6g mW (%d tiles x %.6g mW)\n", t.static_mw, t.tiles,
		a->energy.static_mw);
	fprintf(f, ";   one synaptic op    %.6g pJ (add %.6g pJ + %d bits x %.6g pJ/bit weight "
		"read)\n", t.sop_pj, a->energy.syn_add_pj, a->core.weight_bits,
		a->energy.weight_read_pj);
}

void spk_arch_print(FILE *f, const char *path, const struct spk_arch *a)
{
	const char *section = "";

	fprintf(f, "; %s, resolved: every parameter, with the line of the file that set it\n"
		"; or 'default'. This output is itself a valid architecture file.\n", path);
	for (size_t i = 0; i < spk_arch_n_params; i++) {
		const struct spk_arch_param *p = &spk_arch_params[i];
		char kv[SPK_ARCH_TEXT_MAX + 64], value[SPK_ARCH_TEXT_MAX + 16], from[32];

		if (strcmp(p->section, section) != 0) {
			section = p->section;
			fprintf(f, "\n[%s]\n", section);
		}
		spk_arch_param_format(p, a, value, sizeof(value));
		snprintf(kv, sizeof(kv), "%s = %s", p->key, value);
		if (a->src_line[i] > 0)
			snprintf(from, sizeof(from), "line %d", a->src_line[i]);
		else if (a->src_line[i] == SPK_ARCH_SET_BY_CALLER)
			snprintf(from, sizeof(from), "set");
		else
			snprintf(from, sizeof(from), "default");
		if (*p->unit != '\0')
			fprintf(f, "%-32s ; %-9s %s\n", kv, from, p->unit);
		else
			fprintf(f, "%-32s ; %s\n", kv, from);
	}
	print_totals(f, a);
}

/* Thousands separated by commas, for areas and bit counts in µm² and bits. */
static const char *grouped(double v, char *buf, size_t len)
{
	char digits[64];
	size_t n, o = 0;

	snprintf(digits, sizeof(digits), "%.0f", v);
	n = strlen(digits);
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0 && digits[i - 1] != '-')
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* `arch show --area`: every block's area and the chip's (rtl/rtl_area.h). */
static int print_area(FILE *f, const struct spk_arch *a, const char *json)
{
	struct spk_chip_area ca;
	char err[1024], b1[32], b2[32], b3[32];

	if (isatty(STDERR_FILENO))
		fprintf(stderr, "arch show: synthesising the network with yosys (up to a minute the "
			"first time; cached)...\n");
	if (spk_chip_area(a, &ca, err, sizeof(err)) < 0) {
		spk_error("arch show --area: %s", err);
		return SPK_EXIT_USAGE;
	}
	fprintf(f, "\n; area at 45 nm (doc/rtl.md \"Area\"): memory = SRAM bits x %.6g um^2/bit, "
		"logic =\n; yosys NAND2 equivalents x %.6g um^2 (%s)\n", a->area.sram_um2_per_bit,
		a->area.nand2_um2, a->area.source);
	fprintf(f, ";   %-16s %5s %14s %14s %14s %12s\n", "block", "count", "memory bits",
		"memory um^2", "logic um^2", "all, mm^2");
	for (int b = 0; b < SPK_AREA_BLOCKS; b++) {
		const struct spk_area_block_figures *k = &ca.block[b];

		fprintf(f, ";   %-16s %5d %14s %14s %14s %12.4f\n", k->name, k->count,
			grouped(k->sram_bits, b1, sizeof(b1)), grouped(k->sram_um2, b2, sizeof(b2)),
			k->logic_nand2 >= 0 ? grouped(k->logic_um2, b3, sizeof(b3)) : "not known",
			k->count * (k->sram_um2 + k->logic_um2) / 1e6);
	}
	fprintf(f, ";   %-16s %5s %14s %14.4g %14.4g %12.4f  (mm^2)\n", "chip", "", "",
		ca.sram_mm2, ca.logic_mm2, ca.total_mm2);
	if (ca.logic_unknown > 0)
		fprintf(f, "; the chip's figure leaves out the logic of %d block kind%s (not known, "
			"below)\n", ca.logic_unknown, ca.logic_unknown == 1 ? "" : "s");
	fprintf(f, "; memory per synapse core: %s %s + %s %s + %s %s bits\n",
		spk_area_memory_names[SPK_MEM_SYNAPSE],
		grouped(ca.memory_bits[SPK_MEM_SYNAPSE], b1, sizeof(b1)),
		spk_area_memory_names[SPK_MEM_NEURON],
		grouped(ca.memory_bits[SPK_MEM_NEURON], b2, sizeof(b2)),
		spk_area_memory_names[SPK_MEM_ROUTES],
		grouped(ca.memory_bits[SPK_MEM_ROUTES], b3, sizeof(b3)));
	fprintf(f, "; logic:\n");
	for (int b = 0; b < SPK_AREA_BLOCKS; b++)
		fprintf(f, ";   %-16s %s\n", ca.block[b].name, ca.block[b].logic_from);
	if (json != NULL) {
		struct spk_outfile o;
		struct spk_jsonw j;

		if (spk_outfile_open(&o, json, err, sizeof(err)) < 0) {
			spk_error("arch show: --json: %s", err);
			return SPK_EXIT_USAGE;
		}
		spk_jsonw_init(&j, o.f);
		spk_jsonw_object(&j);
		spk_jsonw_key(&j, "area");
		spk_chip_area_json(&j, a, &ca);
		spk_jsonw_end(&j);
		spk_jsonw_finish(&j);
		if (spk_outfile_commit(&o, err, sizeof(err)) < 0) {
			spk_error("arch show: --json: %s", err);
			return SPK_EXIT_FAIL;
		}
	}
	return SPK_EXIT_OK;
}

static int cmd_show(int argc, char **argv)
{
	char path[PATH_MAX];
	struct spk_arch a;
	int status, first;
	const char *json = NULL;
	bool area = false;

	/* --area and --json FILE anywhere before the operand (--help is parse_options()'s) */
	for (int i = 1; i < argc; i++) {
		int used = 0;

		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--area") == 0) {
			area = true;
			used = 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			if (i + 1 >= argc) {
				spk_error("arch show: --json needs a FILE; see 'spikechip arch show "
					  "--help'");
				return SPK_EXIT_USAGE;
			}
			json = argv[i + 1];
			used = 2;
		} else if (strncmp(argv[i], "--json=", 7) == 0) {
			json = argv[i] + 7;
			used = 1;
		}
		if (used > 0) {
			memmove(argv + i, argv + i + used, (size_t)(argc - i - used) * sizeof(*argv));
			argc -= used;
			i--;
		}
	}
	if (json != NULL && !area) {
		spk_error("arch show: --json writes the area: give --area too");
		return SPK_EXIT_USAGE;
	}
	first = parse_options(argc, argv, show_usage, &status);
	if (first < 0)
		return status;
	if (argc - first > 1) {
		spk_error("arch show: one file at a time (got %d); see 'spikechip arch show --help'",
			  argc - first);
		return SPK_EXIT_USAGE;
	}
	status = load(first < argc ? argv[first] : "default", &a, path, sizeof(path));
	if (status != SPK_EXIT_OK)
		return status;
	spk_arch_print(stdout, path, &a);
	return area ? print_area(stdout, &a, json) : SPK_EXIT_OK;
}

static int cmd_check(int argc, char **argv)
{
	char path[PATH_MAX];
	struct spk_arch a;
	int status, first, worst = SPK_EXIT_OK;

	first = parse_options(argc, argv, check_usage, &status);
	if (first < 0)
		return status;
	if (first == argc) {
		spk_error("arch check: no file given; see 'spikechip arch check --help'");
		return SPK_EXIT_USAGE;
	}
	for (int i = first; i < argc; i++) {
		status = load(argv[i], &a, path, sizeof(path));
		if (status == SPK_EXIT_OK)
			printf("%s: ok\n", path);
		else
			worst = status;
	}
	return worst;
}

/* Markdown table cell: '|' would end the cell. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static int print_presets(FILE *f)
{
	struct spk_arch archs[N_PRESETS], def;
	struct spk_arch_totals t[N_PRESETS + 1];
	char path[PATH_MAX], v[SPK_ARCH_TEXT_MAX + 16], d[SPK_ARCH_TEXT_MAX + 16];

	for (size_t k = 0; k < N_PRESETS; k++)
		if (load(presets[k].name, &archs[k], path, sizeof(path)) != SPK_EXIT_OK)
			return SPK_EXIT_USAGE;
	spk_arch_init_defaults(&def);

	fprintf(f, "## Presets\n\n"
		"Shipped in `arch/` (installed under `$(pkgdatadir)/arch`); give the name instead of\n"
		"a file, e.g. `spikechip arch show large`. Each file comments its choices.\n\n");
	for (size_t k = 0; k < N_PRESETS; k++)
		fprintf(f, "- `%s`: %s.\n", presets[k].name, presets[k].purpose);
	fprintf(f, "\nParameters where a preset differs from the built-in default, and the totals:\n\n"
		"| parameter | built-in |");
	for (size_t k = 0; k < N_PRESETS; k++)
		fprintf(f, " %s |", presets[k].name);
	fprintf(f, "\n|---|---|");
	for (size_t k = 0; k < N_PRESETS; k++)
		fprintf(f, "---|");
	fputc('\n', f);
	for (size_t i = 0; i < spk_arch_n_params; i++) {
		const struct spk_arch_param *p = &spk_arch_params[i];
		bool differs = false;

		spk_arch_param_format(p, &def, d, sizeof(d));
		for (size_t k = 0; k < N_PRESETS; k++) {
			spk_arch_param_format(p, &archs[k], v, sizeof(v));
			differs = differs || strcmp(v, d) != 0;
		}
		if (!differs)
			continue;
		fprintf(f, "| [%s] %s | ", p->section, p->key);
		md_cell(f, d);
		fprintf(f, " |");
		for (size_t k = 0; k < N_PRESETS; k++) {
			spk_arch_param_format(p, &archs[k], v, sizeof(v));
			fputc(' ', f);
			md_cell(f, v);
			fprintf(f, " |");
		}
		fputc('\n', f);
	}
	spk_arch_get_totals(&def, &t[0]);
	for (size_t k = 0; k < N_PRESETS; k++)
		spk_arch_get_totals(&archs[k], &t[k + 1]);
	/* One row of totals: built-in defaults, then each preset; expr reads t[k]. */
#define TOTALS_ROW(label, fmt, expr) do { \
		fprintf(f, "| *%s* |", label); \
		for (size_t k = 0; k <= N_PRESETS; k++) \
			fprintf(f, " " fmt " |", expr); \
		fputc('\n', f); \
	} while (0)
	TOTALS_ROW("synapse cores", "%d", t[k].synapse_cores);
	TOTALS_ROW("neurons", "%lld", t[k].neurons);
	TOTALS_ROW("synapse memory (MiB)", "%.6g", t[k].synapse_kib / 1024.0);
	TOTALS_ROW("peak GSOP/s", "%.6g", t[k].peak_gsops);
	TOTALS_ROW("bisection (Gbit/s)", "%.6g", t[k].bisection_gbps);
	TOTALS_ROW("static power (mW)", "%.6g", t[k].static_mw);
#undef TOTALS_ROW
	fputc('\n', f);
	return SPK_EXIT_OK;
}

static void print_params(FILE *f)
{
	char buf[SPK_ARCH_TEXT_MAX + 64];

	fprintf(f, "## Parameters\n\n"
		"Generated from the table in `arch/arch_params.c`, the single source of every\n"
		"parameter: name, unit, built-in default, accepted range and meaning.\n");
	for (size_t s = 0; s < spk_arch_n_sections; s++) {
		const struct spk_arch_section *sec = &spk_arch_sections[s];

		fprintf(f, "\n### [%s]\n\n%c%s.\n\n", sec->name,
			sec->meaning[0] >= 'a' && sec->meaning[0] <= 'z' ?
				sec->meaning[0] - 'a' + 'A' : sec->meaning[0],
			sec->meaning + 1);
		fprintf(f, "| key | unit | default | range | meaning |\n|---|---|---|---|---|\n");
		for (size_t i = 0; i < spk_arch_n_params; i++) {
			const struct spk_arch_param *p = &spk_arch_params[i];

			if (strcmp(p->section, sec->name) != 0)
				continue;
			fprintf(f, "| `%s` | ", p->key);
			md_cell(f, *p->unit != '\0' ? p->unit : "-");
			fprintf(f, " | ");
			spk_arch_param_format_default(p, buf, sizeof(buf));
			md_cell(f, buf);
			fprintf(f, " | ");
			spk_arch_param_format_range(p, buf, sizeof(buf));
			md_cell(f, buf);
			fprintf(f, " | ");
			md_cell(f, p->meaning);
			fprintf(f, " |\n");
		}
	}
}

static int cmd_doc(int argc, char **argv)
{
	FILE *f = stdout;
	int status, first;

	first = parse_options(argc, argv, doc_usage, &status);
	if (first < 0)
		return status;
	if (first < argc) {
		spk_error("arch doc: unexpected argument '%s'", argv[first]);
		return SPK_EXIT_USAGE;
	}

	fprintf(f,
		"# Architecture files\n"
		"\n"
		"<!-- Generated by `spikechip arch doc` from arch/arch_params.c; do not edit by hand.\n"
		"     After changing the table or a preset: spikechip arch doc > doc/arch-file.md -->\n"
		"\n"
		"An architecture file describes the chip that `spikechip` maps a network onto and\n"
		"simulates (doc/architecture.md): a 2-D mesh of tiles, each a router plus a unit (synapse\n"
		"core, attention unit, encoder or readout), the sizes and speeds of those units, and\n"
		"what each event costs in energy. Every parameter has a built-in default, so a file\n"
		"names only what it changes.\n"
		"\n"
		"    spikechip arch show default        # every parameter, where it came from, totals\n"
		"    spikechip arch check my-chip.ini   # validate: prints \"my-chip.ini: ok\"\n"
		"    spikechip arch doc                 # this page\n"
		"\n"
		"## File syntax\n"
		"\n"
		"```ini\n"
		"; my-chip.ini: the default chip on a 6x6 mesh, with fewer attention units\n"
		"[chip]\n"
		"mesh_x = 6\n"
		"mesh_y = 6\n"
		"\n"
		"[attention]\n"
		"units = 4        ; inline comment\n"
		"```\n"
		"\n"
		"- Sections `[chip] [core] [noc] [attention] [encoder] [energy]`, each at most once, in\n"
		"  any order. Every key belongs to a section.\n"
		"- One `key = value` per line; each key at most once. Lines starting with `;` or `#`\n"
		"  are comments, and `;` after a blank starts an inline comment. Leading blanks are\n"
		"  ignored (there are no continuation lines). A line holds at most 198 characters.\n"
		"- Integers are decimal (`4096`); reals are decimal or exponent notation (`0.16`,\n"
		"  `2e-3`); choices are lowercase words (`xy`); text runs to the end of the line.\n"
		"- The first mistake stops the load with `FILE:LINE: message` naming the section, key\n"
		"  and problem: unknown section or key, missing value, wrong type, out of range, bad\n"
		"  choice, duplicate key or section, text outside a section, malformed line, broken\n"
		"  rule (below), unreadable file. `spikechip arch` then exits with status 2.\n"
		"- `spikechip arch show` prints a file that reads back to the same architecture.\n"
		"\n");
	if (print_presets(f) != SPK_EXIT_OK)
		return SPK_EXIT_USAGE;
	fprintf(f,
		"## Derived totals\n"
		"\n"
		"`spikechip arch show` ends with totals that follow from the parameters:\n"
		"\n"
		"- **synapse cores** = mesh_x x mesh_y - attention units - encoder units -\n"
		"  readout_units; **neurons** = synapse cores x neurons; **synapse memory** = synapse\n"
		"  cores x synapse_kib, and the weights it holds at weight_bits.\n"
		"- **peak synaptic ops** = synapse cores x adders x clock (GSOP/s).\n"
		"- **NoC bisection bandwidth** = links across the narrower cut of the mesh\n"
		"  (min(mesh_x, mesh_y), or 0 for a single tile) x flit_bits x clock, in Gbit/s, in\n"
		"  each direction.\n"
		"- **static power** = tiles x static_mw; **one synaptic op** = syn_add_pj +\n"
		"  weight_bits x weight_read_pj (the synapse core's own cost of one SOP, NoC excluded).\n"
		"  For comparison, the paper's formula charges E_AC = 0.9 pJ per SOP and E_MAC = 4.6 pJ\n"
		"  per first-layer MAC (32-bit float, 45 nm); those are not architecture parameters.\n"
		"\n"
		"## Rules between parameters\n"
		"\n"
		"Checked once the whole file is read; a broken rule is reported on the line of the\n"
		"parameter, among those the rule ties together, that the file set last.\n"
		"\n");
	for (size_t r = 0; r < spk_arch_n_rules; r++)
		fprintf(f, "- %s.\n", spk_arch_rules[r].text);
	fputc('\n', f);
	print_params(f);
	return SPK_EXIT_OK;
}

int spk_arch_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = {
		{ "show", cmd_show },
		{ "check", cmd_check },
		{ "doc", cmd_doc },
		{ "rtl-params", spk_rtl_params_main },
	};

	if (argc < 2) {
		arch_usage(stderr);
		return SPK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		arch_usage(stdout);
		return SPK_EXIT_OK;
	}
	if (argv[1][0] == '-') {
		spk_error("arch: unknown option '%s'; see 'spikechip arch --help'", argv[1]);
		return SPK_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	spk_error("arch: '%s' is not an arch subcommand (show, check, doc, rtl-params); "
		  "see 'spikechip arch --help'", argv[1]);
	return SPK_EXIT_USAGE;
}
