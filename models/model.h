/*
 * model.h — the model file (`.spkm`, doc/formats.md "Model file") in memory: a folded
 * Meta-SpikeFormer as a small program of operations over accumulation sites and spiking
 * populations, with float weights.
 *
 * How it is used: spk_model_load() reads and validates a file; the quantizer (quant.h) turns
 * the float program into integers and the reference inference (ref.h) executes either form.
 * Everything downstream trusts a loaded model: every index is in range, every shape chains,
 * every constraint of doc/formats.md holds, every weight is finite. The loader is the one
 * place that checks them.
 *
 * Weight layout in memory differs from the file on purpose: a binary input spike (c, y, x)
 * adds one weight per output channel to each output position in its receptive field, so
 * CONV and ENCODER weights are stored [c_in][ky][kx][c_out] (one contiguous row over the
 * output channels per input tap), and LINEAR weights [c_in][classes]. Sites are stored
 * channel-last by the executors for the same reason.
 *
 * Ownership: spk_model_load()/spk_model_parse() return a model owned by the caller, freed
 * with spk_model_destroy(); it holds no reference to the file or buffer it came from.
 *
 * Errors by whose fault: a bad file is the user's, so the loader returns NULL and writes
 * "FILE: where: what" into the caller's buffer (e.g. "m.spkm: op 12 (CONV 'block3.q'):
 * src_pop 99 out of range"); it never prints and never crashes on any input.
 */
#ifndef SPK_MODEL_H
#define SPK_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define SPK_MODEL_MAGIC "SPKMODEL"
#define SPK_MODEL_VERSION 1u
#define SPK_MODEL_HEADER_BYTES 32u	/* SPK_CONTAINER_HEADER_BYTES */
#define SPK_MODEL_MAX_RAW (1u << 30)	/* payload_raw_bytes limit */
#define SPK_MODEL_MAX_STR 4096u		/* bytes of a str field */
#define SPK_MODEL_MAX_DIM 65535u	/* a site's height or width, a kernel */
#define SPK_MODEL_MAX_NEURONS (1u << 28)	/* channels·height·width of one site */

enum spk_op_type {
	SPK_OP_ENCODER = 1,
	SPK_OP_FIRE = 2,
	SPK_OP_CONV = 3,
	SPK_OP_ATTN = 4,
	SPK_OP_LINEAR = 5,
};

enum spk_pop_kind {
	SPK_POP_NEURON = 0,	/* one neuron per site element */
	SPK_POP_MEAN = 1,	/* one neuron per channel, reading the spatial mean */
};

struct spk_site {
	char *name;
	uint32_t channels, height, width;
};

struct spk_pop {
	char *name;
	uint32_t site;
	enum spk_pop_kind kind;
	double threshold;
};

struct spk_op {
	enum spk_op_type type;
	char *name;
	uint32_t pop;			/* FIRE */
	uint32_t src_pop;		/* CONV, LINEAR */
	uint32_t q_pop, k_pop, v_pop;	/* ATTN */
	uint32_t dst_site;		/* ENCODER, CONV, ATTN */
	uint32_t kernel, stride, pad;	/* ENCODER, CONV */
	uint32_t heads;			/* ATTN */
	double scale;			/* ATTN */
	/* Derived shapes: input (image or source site) and output (destination site / classes). */
	uint32_t c_in, h_in, w_in;
	uint32_t c_out, h_out, w_out;
	/*
	 * ENCODER, CONV: weight[c_in][kernel][kernel][c_out], bias[c_out].
	 * LINEAR: weight[c_in][classes], bias[classes]. NULL for the other types.
	 */
	float *weight;
	float *bias;
};

struct spk_model {
	char *config;
	char *dataset;
	uint32_t time_steps;
	uint32_t in_channels, in_height, in_width;
	uint32_t classes;
	double *mean, *std;		/* [in_channels] */
	double float_accuracy;		/* NaN if not measured */
	uint32_t n_sites, n_pops, n_ops;
	struct spk_site *sites;
	struct spk_pop *pops;
	struct spk_op *ops;
	uint32_t payload_crc32;		/* from the header: identifies the model's content */
};

/*
 * Reads and validates a model file. Returns the model, or NULL with "FILE: ..." in err
 * (err may be NULL).
 */
struct spk_model *spk_model_load(const char *path, char *err, size_t errlen);

/* The file's envelope (util/container.h): magic, version, limits, zlib level. */
struct spk_container;
extern const struct spk_container spk_model_format;

/* As spk_model_load, from the bytes of a whole file in memory; name stands for the file. */
struct spk_model *spk_model_parse(const void *file, size_t len, const char *name,
				  char *err, size_t errlen);

/* Frees m and everything it owns. NULL is allowed. */
void spk_model_destroy(struct spk_model *m);

/* "ENCODER", "FIRE", ... ("?" for a value outside the enum). */
const char *spk_op_type_name(enum spk_op_type t);

/* Neurons of a population: channels·height·width of its site, or channels for SPK_POP_MEAN. */
size_t spk_model_pop_neurons(const struct spk_model *m, uint32_t pop);

/* channels·height·width of a site. */
size_t spk_model_site_size(const struct spk_model *m, uint32_t site);

#endif
