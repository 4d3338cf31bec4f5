/*
 * sim_segments.c — `spikechip sim` in segments (see sim_cmd.c's essay for why a segment is the
 * unit of independence): running segment k on a fresh chip and packing its results in a blob
 * (sim/jobs.h's run, in the parent or a worker), merging the blobs in segment order (its
 * merge) so the report and trace are the same bytes for every --jobs N, copying a worker's part
 * trace into the trace, and --resume DIR: the segment result files (sim/segfile.h) a run keeps
 * and takes back instead of simulating again.
 */
#include "config.h"

#include "sim/sim_cmd.h"
#include "sim/systemc/sc_chip.h"
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* The parent's progress bar over all jobs. */
void spk_sim_jobs_progress(void *ctx, uint64_t done)
{
	struct sim_run *r = ctx;

	if (r->show)
		spk_progress_show(&r->bar, (uint32_t)done, done == r->n - r->done_images);
}

static void seg_range(const struct sim_run *r, uint32_t k, uint32_t *first, uint32_t *n)
{
	*first = k * r->seg;
	*n = r->n - *first < r->seg ? r->n - *first : r->seg;
}

/* Segment k's part trace (in the parts' directory) and result file (in the --resume one). */
static void seg_path(char *buf, size_t len, const char *dir, uint32_t k, const char *ext)
{
	snprintf(buf, len, "%s/seg-%05u.%s", dir, k, ext);
}

/* What segment k's result file must record to stand for segment k of this run. */
static void seg_key(const struct sim_run *r, uint32_t k, struct spk_segfile_key *key)
{
	*key = r->key;
	key->segment = k;
	seg_range(r, k, &key->first, &key->n);
	key->pixels_crc32 = (uint32_t)crc32(0L, r->pixels + (size_t)key->first * r->image_bytes,
					    (uInt)(key->n * r->image_bytes));
}

/*
 * The blob of a segment found done in the --resume directory, as spk_sim_run_segment() makes it. No
 * progress ticks: the progress bar counts the images to simulate.
 */
static int done_blob(struct sim_run *r, uint32_t k, void **blobp, size_t *lenp, char *err,
		     size_t errlen)
{
	const struct spk_segfile *s = r->done[k];
	uint32_t n = s->key.n, n_links = s->key.n_tiles * 5;
	size_t len = blob_len(n, s->key.n_tiles, s->key.layer_words);
	struct seg_blob *b = malloc(len);
	struct spk_chip_result *res;

	if (b == NULL) {
		snprintf(err, errlen, "segment %u: out of memory", k);
		return SPK_EXIT_FAIL;
	}
	*b = (struct seg_blob){ .first = s->key.first, .n = n, .n_links = n_links,
				.n_tiles = s->key.n_tiles, .layer_words = s->key.layer_words,
				.st = s->st };
	res = (struct spk_chip_result *)(b + 1);
	memcpy(res, s->res, n * sizeof(*res));
	memcpy(res + n, s->links, ((size_t)s->key.n_tiles * SPK_SEGFILE_TILE_WORDS +
				   s->key.layer_words) * sizeof(uint64_t));
	*blobp = b;
	*lenp = len;
	return 0;
}

/*
 * With one's own RTL core (sim_run.byo): the segment's cycles with the C models, from a run of
 * the native engine on a fresh chip (no hooks: its spikes are not checked or traced). 0, or
 * exit status 1 with a message.
 */
static int c_model_cycles(const struct sim_run *r, const uint8_t *px, uint32_t n,
			  uint64_t *cycles, char *err, size_t errlen)
{
	char cerr[ERRLEN] = "";
	struct spk_chip *c = spk_chip_create(r->img, r->arch, cerr, sizeof(cerr));
	struct spk_chip_result *res = calloc(n, sizeof(*res));
	struct spk_chip_stats st;
	int rc = -ENOMEM;

	if (c != NULL && res != NULL)
		rc = spk_chip_run(c, px, n, res, cerr, sizeof(cerr));
	if (rc == 0) {
		spk_chip_get_stats(c, &st);
		*cycles = st.cycles;
	} else {
		snprintf(err, errlen, "the run with the C models' cores: %s",
			 cerr[0] != '\0' ? cerr : strerror(-rc));
	}
	free(res);
	spk_chip_destroy(c);
	return rc == 0 ? 0 : SPK_EXIT_FAIL;
}

/*
 * Runs segment k on a fresh chip (sim/jobs.h's run): its results, statistics, per-link
 * counts and per-unit busy cycles in one blob; its spikes to the trace or, in a worker, to
 * the segment's part trace. A divergence or a failed run is exit status 1 with the message.
 */
int spk_sim_run_segment(void *ctx, struct spk_jobs_worker *w, uint32_t k, void **blobp,
			size_t *lenp, char *err, size_t errlen)
{
	struct sim_run *r = ctx;
	const struct spk_image *img = r->img;
	uint32_t first, n, n_links = img->n_tiles * 5;
	struct spk_chip *chip;
	struct seg_blob *b;
	struct spk_chip_result *res;
	const uint8_t *px;
	size_t len;
	char cerr[ERRLEN] = "";
	int rc, ret = SPK_EXIT_FAIL;

	spk_test_stop("worker", k);
	if (r->done != NULL && r->done[k] != NULL)
		return done_blob(r, k, blobp, lenp, err, errlen);
	seg_range(r, k, &first, &n);
	len = blob_len(n, img->n_tiles, r->layer_words);
	b = calloc(1, len);
	chip = spk_chip_create(img, r->arch, cerr, sizeof(cerr));
	if (b == NULL || chip == NULL) {
		snprintf(err, errlen, "segment %u: %s", k, chip == NULL ? cerr : "out of memory");
		goto out;
	}
	if ((r->ref != NULL || r->trace_out != NULL) && spk_chip_record(chip, true) < 0) {
		snprintf(err, errlen, "segment %u: out of memory", k);
		goto out;
	}
	r->tw = r->trace_out;
	if (r->trace_out != NULL && r->part_dir != NULL) {
		char path[PATH_MAX];

		seg_path(path, sizeof(path), r->part_dir, k, "spkt");
		if ((r->tw = spk_sim_open_trace(path, img)) == NULL) {
			snprintf(err, errlen, "cannot write the part trace %s", path);
			goto out;
		}
	}
	spk_chip_set_max_cycles(chip, r->max_cycles);
	if (r->tl != NULL)
		spk_chip_set_timeline(chip, r->tl);
	if (r->cp != NULL) {
		spk_critpath_begin(r->cp, first);
		spk_chip_set_critpath(chip, r->cp);
	}
	r->chip = chip;
	r->base = first;
	r->worker = w;
	r->divergence[0] = '\0';
	spk_chip_set_image_hook(chip, spk_sim_image_hook, r);
	res = (struct spk_chip_result *)(b + 1);
	px = r->pixels + (size_t)first * r->image_bytes;
	rc = r->systemc ? spk_chip_run_systemc(chip, px, n, res, cerr, sizeof(cerr)) :
			  spk_chip_run(chip, px, n, res, cerr, sizeof(cerr));
	if (rc < 0) {
		snprintf(err, errlen, "%s", rc == -EDEADLK || rc == -EBUSY || rc == -EINVAL ||
			 rc == -EPROTO || rc == -ETIME ? cerr : r->divergence[0] ? r->divergence :
			 strerror(-rc));
		goto out;
	}
	b->first = first;
	b->n = n;
	b->n_links = n_links;
	b->n_tiles = img->n_tiles;
	b->layer_words = r->layer_words;
	spk_chip_get_stats(chip, &b->st);
	if (r->byo && c_model_cycles(r, px, n, &b->c_cycles, err, errlen) != 0)
		goto out;
	memcpy(res + n, spk_chip_link_counts(chip), n_links * sizeof(uint64_t));
	spk_chip_get_unit_busy(chip, (uint64_t *)(res + n) + n_links);
	memcpy((uint64_t *)(res + n) + n_links + img->n_tiles, spk_chip_ni_refused(chip),
	       img->n_tiles * sizeof(uint64_t));
	/* RTL units: no per-layer counts (the words stay 0, images 0 among them) */
	(void)spk_chip_layer_counts(chip, img, (uint64_t *)(res + n) + n_links + 2 * img->n_tiles);
	if (r->tw != r->trace_out) {
		spk_trace_writer *tw = r->tw;

		r->tw = NULL;
		if (spk_trace_writer_close(tw, cerr, sizeof(cerr)) < 0) {
			snprintf(err, errlen, "%s", cerr);
			goto out;
		}
	}
	if (r->resume != NULL) {
		struct spk_segfile_key key;
		char path[PATH_MAX];

		seg_key(r, k, &key);
		seg_path(path, sizeof(path), r->resume, k, "spkr");
		if (spk_segfile_write(path, &key, &b->st, res, (const uint64_t *)(res + n), err,
				      errlen) < 0)
			goto out;
	}
	*blobp = b;
	*lenp = len;
	b = NULL;
	ret = 0;
out:
	if (r->tw != r->trace_out)
		spk_trace_writer_abort(r->tw);
	r->tw = NULL;
	r->chip = NULL;
	spk_chip_destroy(chip);
	free(b);
	return ret;
}

/* Copies a segment's part trace into the trace, image by image, and removes it. */
static int copy_part(struct sim_run *r, uint32_t k, char *err, size_t errlen)
{
	char path[PATH_MAX];
	spk_trace_reader *rd;
	int ret = SPK_EXIT_FAIL;

	seg_path(path, sizeof(path), r->part_dir, k, "spkt");
	rd = spk_trace_reader_open(path, err, errlen);
	if (rd == NULL)
		return SPK_EXIT_FAIL;
	for (size_t c = 0; c < spk_trace_reader_images(rd); c++) {
		if (spk_trace_reader_load(rd, c) < 0) {
			snprintf(err, errlen, "%s", spk_trace_reader_error(rd));
			goto out;
		}
		if (spk_trace_writer_begin_image(r->trace_out, spk_trace_reader_image_index(rd, c)) < 0)
			goto out_writer;
		for (uint32_t t = 0; t < r->img->time_steps; t++)
			for (uint32_t p = 0; p < r->img->n_pops; p++) {
				size_t n;
				const uint32_t *ids = spk_trace_reader_spikes(rd, t, p, &n);

				if (n > 0 && spk_trace_writer_add(r->trace_out, t, p, ids, n) < 0)
					goto out_writer;
			}
		if (spk_trace_writer_end_image(r->trace_out) < 0)
			goto out_writer;
	}
	ret = 0;
	goto out;
out_writer:
	snprintf(err, errlen, "%s", spk_trace_writer_error(r->trace_out));
out:
	spk_trace_reader_close(rd);
	if (r->resume == NULL)
		unlink(path);
	return ret;
}

static void add_noc(struct spk_noc_stats *s, const struct spk_noc_stats *a)
{
	s->cycles += a->cycles;
	s->cycles_evaluated += a->cycles_evaluated;
	s->router_evals += a->router_evals;
	s->packets_injected += a->packets_injected;
	s->packets_delivered += a->packets_delivered;
	s->flits_injected += a->flits_injected;
	s->flits_delivered += a->flits_delivered;
	s->inject_refused += a->inject_refused;
	s->hops += a->hops;
	s->router_flits += a->router_flits;
	s->link_flits += a->link_flits;
	s->latency_sum += a->latency_sum;
	s->latency_max = a->latency_max > s->latency_max ? a->latency_max : s->latency_max;
	s->stall_cycles += a->stall_cycles;
	s->buffer_peak = a->buffer_peak > s->buffer_peak ? a->buffer_peak : s->buffer_peak;
}

/*
 * Merges segment k (sim/jobs.h's merge, called in segment order): results into place, counts
 * summed, the energy computed again from the summed counts (spk_chip_energy_of(), as
 * `spikechip energy` computes it: the same doubles whatever the segments), maxima kept, the
 * busiest link and unit recomputed from the summed per-link and per-unit counts, the segment's
 * steady-state class-out intervals added, its part trace copied.
 */
int spk_sim_merge_segment(void *ctx, uint32_t k, const void *blob, size_t len, char *err,
			  size_t errlen)
{
	struct sim_run *r = ctx;
	const struct seg_blob *b = blob;
	const struct spk_chip_result *res = (const struct spk_chip_result *)(b + 1);
	const uint64_t *links = (const uint64_t *)(res + b->n), *busy = links + b->n_links;
	const uint64_t *refused = busy + b->n_tiles, *layers = refused + b->n_tiles;
	struct spk_chip_stats *t = &r->total;
	uint32_t first, n;

	seg_range(r, k, &first, &n);
	if (len < sizeof(*b) || b->first != first || b->n != n || b->n_tiles != r->img->n_tiles ||
	    b->n_links != r->img->n_tiles * 5 || b->layer_words != r->layer_words ||
	    len != blob_len(n, b->n_tiles, b->layer_words)) {
		snprintf(err, errlen, "internal error: segment %u's result is malformed", k);
		return SPK_EXIT_FAIL;
	}
	memcpy(r->res + first, res, n * sizeof(*res));
	t->images += b->st.images;
	t->cycles += b->st.cycles;
	r->c_cycles += b->c_cycles;
	spk_unit_events_add(&t->ev, &b->st.ev);
	t->graded_clamped += b->st.graded_clamped;
	t->counter_overflows += b->st.counter_overflows;
	t->unit_evals += b->st.unit_evals;
	t->spikes += b->st.spikes;
	add_noc(&t->noc, &b->st.noc);
	spk_chip_energy_of(&t->energy, &t->ev, &t->noc, r->arch, r->img->n_tiles, t->cycles);
	t->noc.busiest_link = 0;
	t->noc.busiest_link_flits = 0;
	for (uint32_t i = 0; i < b->n_links; i++) {
		r->link_sum[i] += links[i];
		if (i % 5 != 0 && r->link_sum[i] > t->noc.busiest_link_flits) {
			t->noc.busiest_link_flits = r->link_sum[i];
			t->noc.busiest_link = i;
		}
	}
	t->busiest_tile = 0;
	t->busiest_cycles = 0;
	for (uint32_t i = 0; i < b->n_tiles; i++) {
		r->busy_sum[i] += busy[i];
		r->refused_sum[i] += refused[i];
		if (r->busy_sum[i] > t->busiest_cycles) {
			t->busiest_cycles = r->busy_sum[i];
			t->busiest_tile = i;
		}
	}
	if (layers[0] == 0)
		r->layers_lost = true;
	for (uint32_t i = 0; i < b->layer_words; i++)
		r->layer_sum[i] += layers[i];
	/* steady state of the segment: its second half when it has one */
	if (n >= 2) {
		uint32_t i0 = n >= 4 ? n / 2 : 0;

		r->seg_span_cycles += res[n - 1].out_cycle - res[i0].out_cycle;
		r->seg_span_n += n - 1 - i0;
	}
	if (r->part_dir != NULL && r->trace_out != NULL) {
		int rc = copy_part(r, k, err, errlen);

		if (rc != 0)
			return rc;
	}
	spk_test_stop("segment", k);
	return 0;
}

/*
 * --resume DIR: creates DIR if missing, and takes every segment result file of this run found
 * there (with its part trace, when the run writes a trace). A file that is corrupt or the
 * result of another run is the user's to sort out: exit 2 naming it, nothing simulated.
 */
int spk_sim_open_resume(struct sim_run *r, const struct sim_opts *o)
{
	char err[ERRLEN], path[PATH_MAX];
	struct stat sb;

	if (mkdir(o->resume, 0777) < 0 && errno != EEXIST) {
		spk_error("%s: cannot create the --resume directory: %s", o->resume,
			  strerror(errno));
		return SPK_EXIT_USAGE;
	}
	if (stat(o->resume, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		spk_error("%s: --resume needs a directory, and this is not one", o->resume);
		return SPK_EXIT_USAGE;
	}
	r->resume = o->resume;
	r->key.segment_images = o->segment;
	r->key.n_tiles = r->img->n_tiles;
	r->key.layer_words = r->layer_words;
	r->key.flags = (o->check ? SPK_SEGFILE_CHECKED : 0) | (o->trace ? SPK_SEGFILE_TRACED : 0) |
		       (o->systemc ? SPK_SEGFILE_SYSTEMC : 0);
	r->key.image_crc32 = r->key.arch_crc32 = 0;
	if (spk_file_crc32(o->image, &r->key.image_crc32, err, sizeof(err)) < 0 ||
	    spk_file_crc32(o->arch, &r->key.arch_crc32, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return SPK_EXIT_USAGE;
	}
	r->done = calloc(r->n_segs, sizeof(*r->done));
	if (r->done == NULL) {
		spk_error("sim: out of memory");
		return SPK_EXIT_USAGE;
	}
	for (uint32_t k = 0; k < r->n_segs; k++) {
		struct spk_segfile_key want;
		struct spk_segfile *s;

		seg_path(path, sizeof(path), o->resume, k, "spkr");
		if (access(path, F_OK) != 0)
			continue;
		s = spk_segfile_read(path, err, sizeof(err));
		if (s == NULL) {
			spk_error("%s; remove it to simulate segment %u again", err, k);
			return SPK_EXIT_USAGE;
		}
		r->done[k] = s;
		seg_key(r, k, &want);
		if (spk_segfile_match(&s->key, &want, err, sizeof(err)) < 0) {
			spk_error("%s: not a result of this run: %s; remove it, or give --resume "
				  "another directory", path, err);
			return SPK_EXIT_USAGE;
		}
		seg_path(path, sizeof(path), o->resume, k, "spkt");
		if (o->trace != NULL && access(path, R_OK) != 0) {
			spk_error("%s: segment %u's part trace is missing; remove its result "
				  "seg-%05u.spkr to simulate it again", path, k, k);
			return SPK_EXIT_USAGE;
		}
		r->n_done++;
		r->done_images += s->key.n;
		r->done_sops += s->st.ev.sops;
		r->done_cycles += s->st.cycles;
	}
	if (r->n_done > 0)
		fprintf(stderr, "sim: --resume %s: %u of %u segments already done, simulating the "
			"other %u\n", o->resume, r->n_done, r->n_segs, r->n_segs - r->n_done);
	return 0;
}

/* Removes the part traces' directory and whatever a stopped worker left in it. */
void spk_sim_remove_part_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}
