/*
 * trace.h — spike traces (`.spkt`): which neurons spiked, per image, per timestep, per
 * population.
 *
 * A trace is what the reference inference (integer or float) and the chip simulator produce so
 * that `spikechip trace diff` can compare them spike for spike (doc/validation.md, rung 3). The file
 * format is specified in doc/formats.md ("Spike trace"); in short: a common header whose payload
 * describes the trace (producer, model CRC, T, the population table), then one independently
 * zlib-compressed chunk per image, then an end record. A trace of thousands of images is
 * written streaming: the writer holds one image in memory, never the whole trace.
 *
 * A neuron is named by its population and its *flat index* within the population (C order
 * over the population's site shape, channel slowest: `(c·H + y)·W + x`). Within one
 * (image, timestep, population) the ids are strictly ascending in the file; the writer sorts
 * what it is given and refuses duplicates.
 *
 * Writer — create/close (or abort):
 *
 *	w = spk_trace_writer_create(path, "sim", model_crc, T, n_pops, names, sizes, err, len);
 *	for each image:  spk_trace_writer_begin_image(w, image);
 *	                 spk_trace_writer_add(w, t, pop, ids, n);   (any order; once per slot)
 *	                 spk_trace_writer_end_image(w);
 *	spk_trace_writer_close(w, err, len);    (or spk_trace_writer_abort(w))
 *
 * The writer writes `PATH.tmp.<pid>` and renames it over PATH in close(), so a reader never
 * sees a partial trace. close() and abort() always free the writer; abort() and a failed
 * close() remove the temporary file. A (t, pop) slot not added in an image is empty.
 *
 * Reader — open/close:
 *
 *	r = spk_trace_reader_open(path, err, len);
 *	for (k = 0; k < spk_trace_reader_images(r); k++) {
 *		if (spk_trace_reader_load(r, k) < 0) ... spk_trace_reader_error(r) ...
 *		ids = spk_trace_reader_spikes(r, t, pop, &n);
 *	}
 *	spk_trace_reader_close(r);
 *
 * open() validates the structure of the whole file — header, population table, every chunk
 * header, the end record, no trailing bytes — by reading the headers and seeking over the
 * payloads, and keeps a small index (24 bytes per image), so load(k) is random access.
 * load() validates that chunk's payload (CRC, decompression, id counts, ranges, order).
 *
 * Errors: functions named as actions return 0 or a negative errno (-EINVAL for a malformed
 * file or a misuse of the API, -EIO for an I/O failure, -ENOMEM); constructors return NULL.
 * Every failure comes with a message naming the file and, for a malformed file, what is
 * wrong and where (image index and byte offset): in the caller's err buffer for the
 * constructors and close(), else from spk_trace_writer_error()/spk_trace_reader_error().
 * Nothing here prints.
 */
#ifndef SPK_TRACE_H
#define SPK_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits a writer enforces and a reader checks (doc/formats.md). */
#define SPK_TRACE_MAX_PRODUCER 64	/* bytes of the producer string */
#define SPK_TRACE_MAX_NAME 256		/* bytes of a population name */
#define SPK_TRACE_MAX_STEPS 65536	/* T */
#define SPK_TRACE_MAX_POPS 65536	/* populations */
#define SPK_TRACE_MAX_SLOTS (1u << 24)	/* T × populations */
#define SPK_TRACE_MAX_RAW (1u << 30)	/* uncompressed bytes of one chunk or the description */

typedef struct spk_trace_writer spk_trace_writer;
typedef struct spk_trace_reader spk_trace_reader;

/* ---- writer ---------------------------------------------------------------------------- */

/*
 * Starts a trace. `producer` says what made it ("ref-int", "ref-float", "sim", "rtl": 1 to 64
 * printable ASCII bytes); `model_crc` identifies the model (spk_file_crc32() of the model
 * file; 0 = not recorded). Population names are 1..256 printable bytes without spaces, unique;
 * sizes are at least 1. The arrays are copied. Returns NULL with a message in err on a bad
 * argument or when the temporary file cannot be created.
 */
spk_trace_writer *spk_trace_writer_create(const char *path, const char *producer,
					  uint32_t model_crc, uint32_t time_steps,
					  uint32_t n_pops, const char *const names[],
					  const uint32_t sizes[], char *err, size_t errlen);

/* Opens the chunk of `image`; image indices must be strictly increasing over the trace. */
int spk_trace_writer_begin_image(spk_trace_writer *w, uint32_t image);

/*
 * Records that neurons ids[0..n) of population `pop` spiked at timestep `t` of the open image.
 * The ids may come in any order (they are copied and sorted); each must be below the
 * population's size and appear once. Each (t, pop) may be added at most once per image.
 */
int spk_trace_writer_add(spk_trace_writer *w, uint32_t t, uint32_t pop,
			 const uint32_t *ids, size_t n);

/* Compresses the open image and appends it to the file. */
int spk_trace_writer_end_image(spk_trace_writer *w);

/*
 * Writes the end record, flushes, and renames the temporary file over the path. An image
 * still open is an error. Frees w in every case; on failure no file is left at the temporary
 * path and the path itself is untouched.
 */
int spk_trace_writer_close(spk_trace_writer *w, char *err, size_t errlen);

/* Discards the trace: removes the temporary file and frees w. NULL is allowed. */
void spk_trace_writer_abort(spk_trace_writer *w);

/*
 * The message of the last failed call on w ("" if none). A writer that failed once stays
 * failed (every later call returns the same error): abort it.
 */
const char *spk_trace_writer_error(const spk_trace_writer *w);

/* ---- reader ---------------------------------------------------------------------------- */

/* Opens and structurally validates a trace. NULL with a message in err on any problem. */
spk_trace_reader *spk_trace_reader_open(const char *path, char *err, size_t errlen);

/* Frees r. NULL is allowed. */
void spk_trace_reader_close(spk_trace_reader *r);

/* The description, valid until close. */
const char *spk_trace_reader_path(const spk_trace_reader *r);
const char *spk_trace_reader_producer(const spk_trace_reader *r);
uint32_t spk_trace_reader_model_crc(const spk_trace_reader *r);
uint32_t spk_trace_reader_time_steps(const spk_trace_reader *r);
uint32_t spk_trace_reader_pops(const spk_trace_reader *r);
const char *spk_trace_reader_pop_name(const spk_trace_reader *r, uint32_t pop);
uint32_t spk_trace_reader_pop_size(const spk_trace_reader *r, uint32_t pop);

/* Finds a population by name; false if there is none. */
bool spk_trace_reader_find_pop(const spk_trace_reader *r, const char *name, uint32_t *pop);

/* Number of image chunks, the image index of chunk k, and all spikes in the file. */
size_t spk_trace_reader_images(const spk_trace_reader *r);
uint32_t spk_trace_reader_image_index(const spk_trace_reader *r, size_t k);
uint64_t spk_trace_reader_total_spikes(const spk_trace_reader *r);

/* Spikes of chunk k according to its header (no decompression needed). */
uint32_t spk_trace_reader_image_spikes(const spk_trace_reader *r, size_t k);

/* Finds the chunk of an image index; false if the trace does not hold that image. */
bool spk_trace_reader_find_image(const spk_trace_reader *r, uint32_t image, size_t *k);

/* Reads, decompresses and validates chunk k, making it the current image. */
int spk_trace_reader_load(spk_trace_reader *r, size_t k);

/*
 * The ids (ascending) of the neurons of `pop` that spiked at timestep `t` in the current
 * image, and their number in *n. Valid until the next load() or close(). A load() must have
 * succeeded.
 */
const uint32_t *spk_trace_reader_spikes(const spk_trace_reader *r, uint32_t t, uint32_t pop,
					size_t *n);

/* The message of the last failed call on r ("" if none). */
const char *spk_trace_reader_error(const spk_trace_reader *r);

#endif
