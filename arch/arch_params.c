/*
 * arch_params.c — the one table of architecture parameters, and the rules between them.
 *
 * Every row names the struct spk_arch field it fills through offsetof(), and the row macros
 * check the field's C type at compile time (a _Generic with no fallback), so the table cannot
 * drift from the struct. Defaults describe the default chip (arch/default.ini): a 12x12 mesh of
 * 45 nm tiles sized for the Fashion-MNIST Meta-SpikeFormer. The energies are 45 nm figures after
 * Horowitz, "Computing's energy problem", ISSCC 2014 (8-bit add 0.03 pJ, 32-bit add 0.1 pJ,
 * 8-bit multiply 0.2 pJ, 64-bit read from an 8 KB SRAM 10 pJ), the same source as the paper's
 * E_AC = 0.9 pJ and E_MAC = 4.6 pJ (32-bit float). doc/arch-file.md is generated from this
 * file: run `spikechip arch doc > doc/arch-file.md` after changing it.
 */
#include "config.h"

#include "arch/arch_params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct spk_arch_section spk_arch_sections[] = {
	{ "chip", "the mesh of tiles, its clock, and how many tiles are not synapse cores" },
	{ "core", "a synapse core: every tile that is not an attention, encoder or readout tile" },
	{ "noc", "the network on chip: one 5-port router per tile, links to the 4 neighbours" },
	{ "attention", "attention units: spike-driven Q (K^T V) with per-head KV counters" },
	{ "encoder", "the encoder: the multiply-accumulate unit for the first (pixel-reading) conv" },
	{ "energy", "per-event energies and static power, counted by the simulator" },
	{ "area", "area per logic gate and per SRAM bit, for `spikechip arch show --area`" },
};

const size_t spk_arch_n_sections = sizeof(spk_arch_sections) / sizeof(spk_arch_sections[0]);

static const char *const routing_choices[] = { "xy", NULL };
static const char *const multicast_choices[] = { "source", "tree", NULL };

/* The field a row fills; never evaluated, only its type and offset are used. */
#define FIELD(sec, k) (((struct spk_arch *)0)->sec.k)

#define INT(sec, k, u, def, lo, hi, what) { \
	.section = #sec, .key = #k, .type = SPK_PARAM_INT, .unit = u, \
	.offset = offsetof(struct spk_arch, sec.k), \
	.size = _Generic(FIELD(sec, k), int: sizeof(int)), \
	.def_int = def, .min_int = lo, .max_int = hi, .meaning = what }

#define REAL(sec, k, u, def, lo, hi, what) { \
	.section = #sec, .key = #k, .type = SPK_PARAM_REAL, .unit = u, \
	.offset = offsetof(struct spk_arch, sec.k), \
	.size = _Generic(FIELD(sec, k), double: sizeof(double)), \
	.def_real = def, .min_real = lo, .max_real = hi, .meaning = what }

/* Enum fields are written as an int: every enum here has int's size (checked below). */
#define ENUM(sec, k, list, def, what) { \
	.section = #sec, .key = #k, .type = SPK_PARAM_ENUM, .unit = "", \
	.offset = offsetof(struct spk_arch, sec.k), .size = sizeof(FIELD(sec, k)), \
	.def_int = def, .choices = list, .meaning = what }

#define TEXT(sec, k, def, what) { \
	.section = #sec, .key = #k, .type = SPK_PARAM_TEXT, .unit = "", \
	.offset = offsetof(struct spk_arch, sec.k), \
	.size = _Generic(FIELD(sec, k), char *: sizeof(FIELD(sec, k))), \
	.def_text = def, .meaning = what }

_Static_assert(sizeof(enum spk_routing) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum spk_multicast) == sizeof(int), "enum fields are stored as int");

/* Rows appear in this order in files written by `arch show` and in doc/arch-file.md. */
const struct spk_arch_param spk_arch_params[] = {
	/* [chip] */
	INT(chip, mesh_x, "tiles", 12, 1, 256, "tiles along x (columns of the mesh)"),
	INT(chip, mesh_y, "tiles", 12, 1, 256, "tiles along y (rows of the mesh)"),
	REAL(chip, clock_mhz, "MHz", 500, 1, 10000, "clock of every tile and router"),
	INT(chip, readout_units, "tiles", 1, 1, 256,
	    "readout tiles: reduce the last stream (spatial mean) and compute the classifier head"),

	/* [core] */
	INT(core, neurons, "neurons", 8192, 1, 1048576,
	    "neuron state entries (membranes) per synapse core"),
	INT(core, synapse_kib, "KiB", 128, 1, 1048576,
	    "synapse memory per core: the conv kernels of the output channels it hosts"),
	INT(core, weight_bits, "bits", 8, 1, 16, "width of a synaptic weight (signed)"),
	INT(core, membrane_bits, "bits", 16, 2, 32,
	    "width of a membrane potential; it saturates at this width"),
	INT(core, adders, "adds/cycle", 16, 1, 4096,
	    "synaptic additions per cycle while integrating input spikes"),
	INT(core, neuron_updates, "neurons/cycle", 8, 1, 4096,
	    "neurons updated per cycle in the fire phase (leak, threshold, reset)"),
	INT(core, input_fifo, "events", 64, 1, 65536, "depth of the input event FIFO"),
	INT(core, output_queue, "spikes", 64, 1, 65536, "depth of the output spike queue"),
	INT(core, route_entries, "entries", 256, 1, 1048576,
	    "routing table entries (spike source to destination cores)"),

	/* [noc] */
	INT(noc, flit_bits, "bits", 32, 8, 1024,
	    "width of a flit and of a link; a spike is one flit (destination, axon, timestep tag)"),
	INT(noc, buffer_flits, "flits", 4, 1, 1024,
	    "input buffer per router port; also the credits a sender holds"),
	INT(noc, router_stages, "cycles", 2, 1, 16,
	    "router pipeline depth: cycles from an input port to an output port"),
	ENUM(noc, routing, routing_choices, SPK_ROUTING_XY,
	     "routing: xy = dimension order, all of x first, then y (deadlock-free)"),
	ENUM(noc, multicast, multicast_choices, SPK_MULTICAST_SOURCE,
	     "multicast: source = the sender sends one copy per destination; "
	     "tree = routers fork one packet per multicast group along the XY tree (a smaller "
	     "head-flit payload, checked by map)"),

	/* [attention] */
	INT(attention, units, "tiles", 8, 0, 4096,
	    "attention tiles (one attention unit each); 0 for a network without attention"),
	INT(attention, lanes, "adds/cycle", 16, 1, 4096,
	    "additions per cycle for K^T V counting and Q (KV) accumulation"),
	INT(attention, kv_kib, "KiB", 8, 1, 65536, "KV counter memory per attention unit"),
	INT(attention, counter_bits, "bits", 16, 2, 32,
	    "width of a KV counter and of a Q (KV) accumulator"),

	/* [encoder] */
	INT(encoder, units, "tiles", 1, 1, 256, "encoder tiles"),
	INT(encoder, macs, "MACs/cycle", 64, 1, 65536,
	    "multiply-accumulates per cycle per encoder (pixels x weights)"),
	INT(encoder, weight_kib, "KiB", 8, 1, 65536, "first-layer weight memory per encoder"),

	/* [energy] */
	REAL(energy, syn_add_pj, "pJ", 0.1, 0, 1e6,
	     "one synaptic addition into a wide accumulator (32-bit add)"),
	REAL(energy, weight_read_pj, "pJ/bit", 0.16, 0, 1e6,
	     "reading one bit of synapse memory (8 KB SRAM bank: 10 pJ per 64 bits)"),
	REAL(energy, neuron_update_pj, "pJ", 3.0, 0, 1e6,
	     "one neuron's fire-phase update: membrane read, add, compare, shift, write"),
	REAL(energy, spike_out_pj, "pJ", 2.0, 0, 1e6,
	     "emitting one spike: routing-table read and packet build"),
	REAL(energy, router_pj, "pJ/flit", 3.0, 0, 1e6,
	     "one flit through one router (buffer write and read, arbitration, crossbar)"),
	REAL(energy, link_pj, "pJ/flit", 1.0, 0, 1e6,
	     "one flit over one link between neighbouring tiles"),
	REAL(energy, attention_op_pj, "pJ", 0.5, 0, 1e6,
	     "one attention addition (KV counter update or Q (KV) accumulation)"),
	REAL(energy, encoder_mac_pj, "pJ", 1.0, 0, 1e6,
	     "one encoder multiply-accumulate, 8-bit operands, fetch included"),
	REAL(energy, static_mw, "mW/tile", 1.0, 0, 1e6,
	     "static (leakage) power of one tile of any kind, router included"),
	TEXT(energy, source, "Horowitz ISSCC 2014, 45 nm",
	     "where the energy figures come from (free text, reported with the energy)"),

	/* [area] */
	REAL(area, nand2_um2, "um^2", 0.798, 1e-6, 1e6,
	     "one two-input NAND gate: logic synthesised by yosys is counted in NAND2 equivalents"),
	REAL(area, sram_um2_per_bit, "um^2/bit", 1.211, 1e-6, 1e6,
	     "one bit of SRAM, periphery included (OpenRAM on FreePDK45: 0.826 Mbit/mm^2)"),
	TEXT(area, source, "NanGate 45 nm OCL NAND2_X1, OpenRAM FreePDK45 SRAM",
	     "where the area figures come from (free text, reported with the area)"),
};

const size_t spk_arch_n_params = sizeof(spk_arch_params) / sizeof(spk_arch_params[0]);

_Static_assert(sizeof(spk_arch_params) / sizeof(spk_arch_params[0]) <= SPK_ARCH_MAX_PARAMS,
	       "raise SPK_ARCH_MAX_PARAMS in arch.h");

/* Bits to address n things (0 for one thing). */
static int address_bits(int n)
{
	int bits = 0;

	while ((1L << bits) < n)
		bits++;
	return bits;
}

static bool mesh_fits(const struct spk_arch *a, char *why, size_t len)
{
	long tiles = (long)a->chip.mesh_x * a->chip.mesh_y;
	long others = (long)a->attention.units + a->encoder.units + a->chip.readout_units;

	if (tiles > others)
		return true;
	snprintf(why, len, "a %dx%d mesh has %ld tiles, too few for %d attention + %d encoder + "
		 "%d readout tiles and at least one synapse core",
		 a->chip.mesh_x, a->chip.mesh_y, tiles, a->attention.units, a->encoder.units,
		 a->chip.readout_units);
	return false;
}

static bool membrane_holds_weight(const struct spk_arch *a, char *why, size_t len)
{
	if (a->core.membrane_bits >= a->core.weight_bits)
		return true;
	snprintf(why, len, "membrane_bits (%d) is narrower than weight_bits (%d); a membrane must "
		 "hold any one weight", a->core.membrane_bits, a->core.weight_bits);
	return false;
}

static bool updates_fit_core(const struct spk_arch *a, char *why, size_t len)
{
	if (a->core.neuron_updates <= a->core.neurons)
		return true;
	snprintf(why, len, "neuron_updates (%d) exceeds neurons (%d); a core cannot update more "
		 "neurons per cycle than it holds", a->core.neuron_updates, a->core.neurons);
	return false;
}

static bool flit_holds_head(const struct spk_arch *a, char *why, size_t len)
{
	int xb = address_bits(a->chip.mesh_x), yb = address_bits(a->chip.mesh_y);
	int ab = address_bits(a->core.neurons);

	if (a->noc.flit_bits >= 3 + xb + yb + ab)
		return true;
	snprintf(why, len, "flit_bits (%d) cannot hold a head flit: 2 kind + %d + %d destination "
		 "(a %dx%d mesh) + 1 tag + %d axon bits (%d neurons) = %d bits", a->noc.flit_bits,
		 xb, yb, a->chip.mesh_x, a->chip.mesh_y, ab, a->core.neurons, 3 + xb + yb + ab);
	return false;
}

static bool fifo_holds_packet(const struct spk_arch *a, char *why, size_t len)
{
	int longest = 1 + (32 + a->noc.flit_bits - 1) / a->noc.flit_bits;

	if (a->core.input_fifo >= longest)
		return true;
	snprintf(why, len, "input_fifo (%d flits) cannot hold a graded packet (%d flits of %d "
		 "bits); a unit frees whole packets, so that packet could never arrive",
		 a->core.input_fifo, longest, a->noc.flit_bits);
	return false;
}

static bool queue_holds_group(const struct spk_arch *a, char *why, size_t len)
{
	if (a->core.output_queue > a->core.neuron_updates)
		return true;
	snprintf(why, len, "output_queue (%d) cannot take a fire group of neuron_updates (%d) "
		 "spikes and its end-of-step marker", a->core.output_queue,
		 a->core.neuron_updates);
	return false;
}

const struct spk_arch_rule spk_arch_rules[] = {
	{ "mesh_x x mesh_y tiles hold the attention, encoder and readout tiles and at least one "
	  "synapse core",
	  { "chip.mesh_x", "chip.mesh_y", "attention.units", "encoder.units", "chip.readout_units",
	    NULL },
	  mesh_fits },
	{ "membrane_bits >= weight_bits: a membrane holds any one weight",
	  { "core.weight_bits", "core.membrane_bits", NULL },
	  membrane_holds_weight },
	{ "neuron_updates <= neurons: a core updates at most all its neurons in a cycle",
	  { "core.neurons", "core.neuron_updates", NULL },
	  updates_fit_core },
	{ "flit_bits >= 3 + address bits of mesh_x + address bits of mesh_y + address bits of "
	  "neurons: a head flit holds its kind (2 bits), destination tile, timestep tag (1 bit) "
	  "and an axon that can address any neuron of a core",
	  { "chip.mesh_x", "chip.mesh_y", "core.neurons", "noc.flit_bits", NULL },
	  flit_holds_head },
	{ "input_fifo >= 1 + ceil(32 / flit_bits): a unit's input FIFO holds the longest packet "
	  "(a graded event: a head flit and a 32-bit value)",
	  { "noc.flit_bits", "core.input_fifo", NULL },
	  fifo_holds_packet },
	{ "output_queue > neuron_updates: the output queue takes a whole fire group and its "
	  "end-of-step marker",
	  { "core.neuron_updates", "core.output_queue", NULL },
	  queue_holds_group },
};

const size_t spk_arch_n_rules = sizeof(spk_arch_rules) / sizeof(spk_arch_rules[0]);

const struct spk_arch_param *spk_arch_param_find(const char *section, const char *key)
{
	for (size_t i = 0; i < spk_arch_n_params; i++)
		if (strcmp(spk_arch_params[i].section, section) == 0 &&
		    strcmp(spk_arch_params[i].key, key) == 0)
			return &spk_arch_params[i];
	return NULL;
}

const struct spk_arch_param *spk_arch_param_find_dotted(const char *dotted)
{
	const char *dot = strchr(dotted, '.');

	if (dot == NULL)
		return NULL;
	for (size_t i = 0; i < spk_arch_n_params; i++) {
		const struct spk_arch_param *p = &spk_arch_params[i];
		size_t n = strlen(p->section);

		if ((size_t)(dot - dotted) == n && strncmp(dotted, p->section, n) == 0 &&
		    strcmp(dot + 1, p->key) == 0)
			return p;
	}
	return NULL;
}

const struct spk_arch_section *spk_arch_section_find(const char *name)
{
	for (size_t i = 0; i < spk_arch_n_sections; i++)
		if (strcmp(spk_arch_sections[i].name, name) == 0)
			return &spk_arch_sections[i];
	return NULL;
}

/* Integral values print as integers, others in the shortest %g form that reads back exactly. */
static void format_real(double v, char *buf, size_t len)
{
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

void spk_arch_param_format(const struct spk_arch_param *p, const struct spk_arch *a,
			   char *buf, size_t len)
{
	const char *field = (const char *)a + p->offset;
	double d;
	int i;

	switch (p->type) {
	case SPK_PARAM_INT:
		memcpy(&i, field, sizeof(i));
		snprintf(buf, len, "%d", i);
		break;
	case SPK_PARAM_REAL:
		memcpy(&d, field, sizeof(d));
		format_real(d, buf, len);
		break;
	case SPK_PARAM_ENUM:
		memcpy(&i, field, sizeof(i));
		snprintf(buf, len, "%s", p->choices[i]);
		break;
	case SPK_PARAM_TEXT:
		snprintf(buf, len, "%s", field);
		break;
	}
}

void spk_arch_param_format_default(const struct spk_arch_param *p, char *buf, size_t len)
{
	switch (p->type) {
	case SPK_PARAM_INT:
		snprintf(buf, len, "%ld", p->def_int);
		break;
	case SPK_PARAM_REAL:
		format_real(p->def_real, buf, len);
		break;
	case SPK_PARAM_ENUM:
		snprintf(buf, len, "%s", p->choices[p->def_int]);
		break;
	case SPK_PARAM_TEXT:
		snprintf(buf, len, "%s", p->def_text);
		break;
	}
}

void spk_arch_param_format_range(const struct spk_arch_param *p, char *buf, size_t len)
{
	char lo[32], hi[32];
	size_t used = 0;

	switch (p->type) {
	case SPK_PARAM_INT:
		snprintf(buf, len, "%ld .. %ld", p->min_int, p->max_int);
		break;
	case SPK_PARAM_REAL:
		format_real(p->min_real, lo, sizeof(lo));
		format_real(p->max_real, hi, sizeof(hi));
		snprintf(buf, len, "%s .. %s", lo, hi);
		break;
	case SPK_PARAM_ENUM:
		buf[0] = '\0';
		for (size_t i = 0; p->choices[i] != NULL && used < len; i++) {
			int n = snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "",
					 p->choices[i]);

			if (n < 0)
				break;
			used += (size_t)n;
		}
		break;
	case SPK_PARAM_TEXT:
		snprintf(buf, len, "text, up to %zu characters", p->size - 1);
		break;
	}
}
