/*
 * arch.h — the resolved chip architecture: every size, speed and per-event energy that the mapper
 * and the simulator read, as one plain struct with typed fields (doc/architecture.md,
 * doc/energy.md).
 *
 * Where values come from: spk_arch_init_defaults() fills in the built-in defaults, and
 * spk_arch_load() reads an INI architecture file over them, so a file names only what it changes.
 * The one table of parameters (name, section, unit, default, range, meaning, field) lives in
 * arch_params.c and is the single source of the loader, `spikechip arch show` and
 * doc/arch-file.md; a field added here without a row there is never set from a file.
 *
 * Ownership: the caller allocates struct spk_arch (it holds no pointers, copy it freely) and there
 * is nothing to free. A loaded struct has passed every range and consistency check; a struct the
 * caller edits by hand should be re-validated with spk_arch_check() before it is used.
 *
 * Errors by whose fault: a bad file is the user's, so the loader returns a negative errno-style
 * code and writes "FILE:LINE: [section] key: problem" (or "FILE: problem" when no line applies)
 * into the caller's buffer; it never prints. The caller decides how to report it.
 */
#ifndef SPK_ARCH_H
#define SPK_ARCH_H

#include <stddef.h>
#include <stdio.h>

/* Upper bound on the number of rows in the parameter table (checked at compile time). */
#define SPK_ARCH_MAX_PARAMS 64
/* Size of a text parameter's buffer, terminating NUL included. */
#define SPK_ARCH_TEXT_MAX 96

/* [noc] routing. */
enum spk_routing {
	SPK_ROUTING_XY = 0,		/* dimension order: all of x, then y */
};

/* [noc] multicast: how one spike reaches several destination cores. */
enum spk_multicast {
	SPK_MULTICAST_SOURCE = 0,	/* the source core sends one unicast packet per destination */
	SPK_MULTICAST_TREE = 1,		/* routers fork the packet along an XY tree */
};

struct spk_arch_chip {
	int mesh_x;			/* tiles along x */
	int mesh_y;			/* tiles along y */
	double clock_mhz;		/* one clock for every tile and router */
	int readout_units;		/* readout tiles */
};

struct spk_arch_core {
	int neurons;			/* neuron state entries per synapse core */
	int synapse_kib;		/* synapse (kernel) memory per core */
	int weight_bits;		/* signed weight width */
	int membrane_bits;		/* membrane width, saturating */
	int adders;			/* synaptic additions per cycle */
	int neuron_updates;		/* neurons updated per cycle in the fire phase */
	int input_fifo;			/* input event FIFO depth, events */
	int output_queue;		/* output spike queue depth, spikes */
	int route_entries;		/* routing table entries */
};

struct spk_arch_noc {
	int flit_bits;			/* flit and link width */
	int buffer_flits;		/* input buffer per router port, flits (= credits) */
	int router_stages;		/* router pipeline depth, cycles */
	enum spk_routing routing;
	enum spk_multicast multicast;
};

struct spk_arch_attention {
	int units;			/* attention tiles */
	int lanes;			/* additions per cycle */
	int kv_kib;			/* KV counter memory per unit */
	int counter_bits;		/* KV counter and Q.KV accumulator width */
};

struct spk_arch_encoder {
	int units;			/* encoder tiles */
	int macs;			/* multiply-accumulates per cycle per encoder */
	int weight_kib;			/* first-layer weight memory per encoder */
};

struct spk_arch_energy {
	double syn_add_pj;		/* one synaptic addition */
	double weight_read_pj;		/* per bit of synapse memory read */
	double neuron_update_pj;	/* one neuron's fire-phase update */
	double spike_out_pj;		/* one spike emitted (table lookup, packet build) */
	double router_pj;		/* one flit through one router */
	double link_pj;			/* one flit over one link */
	double attention_op_pj;		/* one attention addition */
	double encoder_mac_pj;		/* one encoder multiply-accumulate */
	double static_mw;		/* leakage per tile, any kind */
	char source[SPK_ARCH_TEXT_MAX];	/* where the figures come from */
};

struct spk_arch_area {
	double nand2_um2;		/* one NAND2 gate (logic by synthesis, in NAND2 equivalents) */
	double sram_um2_per_bit;	/* one bit of an SRAM macro, periphery included */
	char source[SPK_ARCH_TEXT_MAX];	/* where the figures come from */
};

struct spk_arch {
	struct spk_arch_chip chip;
	struct spk_arch_core core;
	struct spk_arch_noc noc;
	struct spk_arch_attention attention;
	struct spk_arch_encoder encoder;
	struct spk_arch_energy energy;
	struct spk_arch_area area;
	/*
	 * Provenance, indexed like spk_arch_params[]: the line of the file that set the parameter,
	 * 0 for a built-in default, SPK_ARCH_SET_BY_CALLER for spk_arch_set().
	 */
	int src_line[SPK_ARCH_MAX_PARAMS];
};

#define SPK_ARCH_SET_BY_CALLER (-1)

/* Totals that follow from the parameters (spk_arch_get_totals). */
struct spk_arch_totals {
	int tiles;			/* mesh_x * mesh_y */
	int synapse_cores;		/* tiles that are neither attention, encoder nor readout */
	long long neurons;		/* synapse_cores * neurons */
	long long synapse_kib;		/* synapse_cores * synapse_kib */
	long long weights;		/* weights the synapse memory holds at weight_bits */
	double peak_gsops;		/* synapse_cores * adders * clock, 1e9 additions/s */
	int bisection_links;		/* links across the narrower cut of the mesh */
	double bisection_gbps;		/* bisection_links * flit_bits * clock, per direction */
	double static_mw;		/* tiles * static_mw */
	double sop_pj;			/* one synaptic op: add + weight_bits weight-bit reads */
};

/* Fills *a with the built-in defaults (all of them from the parameter table). Returns 0. */
int spk_arch_init_defaults(struct spk_arch *a);

/*
 * Turns a FILE argument, or the name of a shipped preset when no such file exists (a bare name
 * without '/' or ".ini", found as arch/NAME.ini through spk_data_path), into the path to load.
 * A name that is neither stays as given, so the loader's "cannot open" message names what the
 * user typed. Writes at most len bytes into path.
 */
void spk_arch_resolve(const char *arg, char *path, size_t len);

/*
 * Resolves an architecture file: defaults, then every key the file gives, then the consistency
 * rules. Returns 0, -EIO (unreadable file) or -EINVAL (bad content); on failure *a holds the
 * defaults and err holds "FILE:LINE: message" (err may be NULL). The first error wins.
 */
int spk_arch_load(struct spk_arch *a, const char *path, char *err, size_t errlen);

/* As spk_arch_load, from INI text in memory; name stands for the file name in messages. */
int spk_arch_load_string(struct spk_arch *a, const char *text, const char *name,
			 char *err, size_t errlen);

/*
 * Sets one parameter from its text form, with the checks a file gets (type, range, choices),
 * and marks it SPK_ARCH_SET_BY_CALLER. For sweeps and command-line overrides; run
 * spk_arch_check() after the last one. Returns 0 or -EINVAL with "[section] key: problem" in err.
 */
int spk_arch_set(struct spk_arch *a, const char *section, const char *key, const char *value,
		 char *err, size_t errlen);

/*
 * Checks ranges and the rules that tie parameters together (mesh large enough for the tile kinds,
 * membranes at least as wide as weights, ...). Returns 0, or -EINVAL with "[section] key: problem"
 * in err, naming the parameter that was set last.
 */
int spk_arch_check(const struct spk_arch *a, char *err, size_t errlen);

/*
 * Writes a as a complete architecture file: every parameter, commented with the line of path
 * that set it (or "set", "default"), then the derived totals as comments (`arch show`).
 * Defined in arch_cmd.c.
 */
void spk_arch_print(FILE *f, const char *path, const struct spk_arch *a);

/* Computes the derived totals of a (checked) architecture. */
void spk_arch_get_totals(const struct spk_arch *a, struct spk_arch_totals *t);

#endif
