/*
 * encoder_load.h — the encoder's configuration (struct spk_encoder_config, sim/encoder.h) as the
 * writes of rtl/encoder.sv's load port: what the chip co-simulation and the lock-step test
 * (tests/rtl/encoder_lockstep.cpp) call once per encoder, after reset, before the first image.
 * The address map is rtl/encoder.sv's header (and doc/rtl.md "encoder").
 *
 * struct spk_rtl_encoder_params names the RTL's module parameters (and the NoC's, from the
 * package the model was built with); the loader refuses a configuration that does not fit
 * them, naming what and the limit. spk_rtl_encoder_params_default() gives the parameters the
 * build's models use (rtl/encoder.sv's defaults) for a NoC.
 *
 * Ownership: plain values; the loader keeps nothing.
 */
#ifndef SPK_RTL_ENCODER_LOAD_H
#define SPK_RTL_ENCODER_LOAD_H

#include <stddef.h>
#include <stdint.h>

struct spk_encoder_config;
struct spk_rtl_params;

struct spk_rtl_encoder_params {
	uint32_t fifo_flits;		/* FifoFlits: must equal the config's input_fifo */
	uint32_t out_queue;		/* OutQueue: most output_queue entries */
	uint32_t macs;			/* Macs: most MACs per cycle */
	uint32_t max_pixels;		/* MaxPixels: most c_in·h_in·w_in */
	uint32_t pix_banks;		/* PixBanks: image n's pixels go to bank n mod pix_banks */
	uint32_t max_weights;		/* MaxWeights: most c_in·kernel²·channels */
	uint32_t max_cin;		/* MaxCin */
	uint32_t max_channels;		/* MaxChannels */
	uint32_t routes;		/* Routes: most ENCODER routes */
	uint32_t dim_bits;		/* DimBits: h_in ... w_out below 2^dim_bits */
	/* the NoC (spk_noc_pkg) */
	uint32_t mesh_x;		/* tiles per row: tile t is at (t % mesh_x, t / mesh_x) */
	uint32_t mesh_y;
	uint32_t y_bits;		/* address = x · 2^y_bits + y */
	uint32_t payload_bits;
	uint32_t flit_bits;		/* must equal the config's flit_bits */
};

/* Region of a load address (load_addr_i[31:28]) and the geometry registers' indices. */
enum {
	SPK_RTL_ENC_GEOM = 0, SPK_RTL_ENC_ZERO = 1, SPK_RTL_ENC_MULT = 2, SPK_RTL_ENC_BIAS = 3,
	SPK_RTL_ENC_WEIGHT = 4, SPK_RTL_ENC_ROUTE = 5, SPK_RTL_ENC_PIXELS = 6,
};
#define SPK_RTL_ENC_ADDR(region, i) ((uint32_t)(region) << 28 | (uint32_t)(i))
/* Pixel word w of the image in bank b. */
#define SPK_RTL_ENC_PIXEL_ADDR(b, w) \
	SPK_RTL_ENC_ADDR(SPK_RTL_ENC_PIXELS, (uint32_t)(b) << 24 | (uint32_t)(w))

/* The defaults of rtl/encoder.sv for the NoC noc. */
void spk_rtl_encoder_params_default(struct spk_rtl_encoder_params *p,
				    const struct spk_rtl_params *noc);

/*
 * Turns cfg into load-port writes, write(ctx, addr, data) each, in address order within a
 * region. 0, or -1 with a message in err naming what does not fit p (then some writes may have
 * been made).
 */
int spk_rtl_encoder_load(const struct spk_encoder_config *cfg,
			 const struct spk_rtl_encoder_params *p,
			 void (*write)(void *ctx, uint32_t addr, uint64_t data), void *ctx,
			 char *err, size_t errlen);

/*
 * The pixel words of an image ([c_in][h_in][w_in] bytes, n of them) for the load port: word i
 * (address SPK_RTL_ENC_PIXEL_ADDR(bank, i)) holds pixels 8i..8i+7, pixel 8i in the low byte.
 * Image n (from 0 after reset) goes to bank n mod pix_banks, written after image n − pix_banks
 * is done (rtl/encoder.sv "Image port").
 */
uint64_t spk_rtl_encoder_pixel_word(const uint8_t *px, size_t n, size_t i);

#endif
