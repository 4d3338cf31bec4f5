/*
 * sweep.c — a sweep's points, run and merged; see sweep.h.
 *
 * Results are read back from the commands' own JSON reports (`map --report`, `sim --json`)
 * with jansson, so a point's figures are exactly what a user running the two commands by hand
 * would read.
 */
#include "config.h"

#include "dse/sweep.h"
#include "cli/commands.h"
#include "mapper/emit.h"
#include "rtl/rtl_area.h"
#include "arch/arch_params.h"
#include "util/jsonw.h"
#include "util/outfile.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

/* ---- the metrics of a point ------------------------------------------------------------------ */

enum {
	M_IMAGES, M_ACCURACY, M_MISMATCHES,
	M_LAT_MEAN, M_LAT_P50, M_LAT_P99, M_LAT_MEAN_US, M_LAT_P50_US, M_LAT_P99_US,
	M_THROUGHPUT, M_ENERGY, M_DYNAMIC, M_STATIC,
	M_E_SYN, M_E_WREAD, M_E_NEURON, M_E_SPIKES, M_E_ROUTER, M_E_LINKS, M_E_ATTN, M_E_ENC,
	M_PJ_SOP, M_PJ_SOP_TOTAL, M_SOPS, M_TILES, M_CORES, M_SYN_KIB, M_STALL, M_AREA,
	N_METRICS
};

/* Names as the merged files have them; src: the path in sim's JSON report, or NULL (derived). */
static const struct {
	const char *name, *src;
} metrics[N_METRICS] = {
	[M_IMAGES] = { "images", "images" },
	[M_ACCURACY] = { "accuracy", "accuracy" },
	[M_MISMATCHES] = { "mismatches", "mismatches" },
	[M_LAT_MEAN] = { "latency_mean_cycles", "latency_cycles_mean" },
	[M_LAT_P50] = { "latency_p50_cycles", NULL },
	[M_LAT_P99] = { "latency_p99_cycles", NULL },
	[M_LAT_MEAN_US] = { "latency_mean_us", "latency_us_mean" },
	[M_LAT_P50_US] = { "latency_p50_us", NULL },
	[M_LAT_P99_US] = { "latency_p99_us", NULL },
	[M_THROUGHPUT] = { "throughput_images_per_s", "throughput_images_per_s" },
	[M_ENERGY] = { "energy_uj_per_image", "energy_uj_per_image" },
	[M_DYNAMIC] = { "dynamic_uj_per_image", "energy_dynamic_uj_per_image" },
	[M_STATIC] = { "static_uj_per_image", "energy_breakdown_uj_per_image.static" },
	[M_E_SYN] = { "synaptic_adds_uj", "energy_breakdown_uj_per_image.synaptic_adds" },
	[M_E_WREAD] = { "weight_reads_uj", "energy_breakdown_uj_per_image.weight_reads" },
	[M_E_NEURON] = { "neuron_updates_uj", "energy_breakdown_uj_per_image.neuron_updates" },
	[M_E_SPIKES] = { "spikes_uj", "energy_breakdown_uj_per_image.spikes" },
	[M_E_ROUTER] = { "router_hops_uj", "energy_breakdown_uj_per_image.router_hops" },
	[M_E_LINKS] = { "links_uj", "energy_breakdown_uj_per_image.links" },
	[M_E_ATTN] = { "attention_uj", "energy_breakdown_uj_per_image.attention" },
	[M_E_ENC] = { "encoder_uj", "energy_breakdown_uj_per_image.encoder" },
	[M_PJ_SOP] = { "pj_per_sop", "pj_per_sop" },
	[M_PJ_SOP_TOTAL] = { "pj_per_sop_total", "pj_per_sop_total" },
	[M_SOPS] = { "sops_per_image", "sops_per_image" },
	[M_TILES] = { "tiles_used", NULL },
	[M_CORES] = { "synapse_cores_used", NULL },
	[M_SYN_KIB] = { "synapse_kib_used", NULL },
	[M_STALL] = { "noc_stall_share", NULL },
	[M_AREA] = { "area_mm2", NULL },	/* filled by the merge, for --pareto area */
};

static const char *const objective_names[SPK_OBJ_COUNT] = {
	"energy", "latency", "accuracy", "area"
};

/* ---- small helpers --------------------------------------------------------------------------- */

static int mkdir_p(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	spk_fmt(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
			spk_fmt(err, errlen, "%s: cannot create: %s", buf, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
		spk_fmt(err, errlen, "%s: cannot create: %s", buf, strerror(errno));
		return -1;
	}
	return 0;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Runs fn(argc, argv) with stdout and stderr appended to log; its exit status. */
static int run_logged(int (*fn)(int, char **), int argc, char **argv, const char *log)
{
	int saved_out, saved_err, fd, rc;

	fflush(stdout);
	fflush(stderr);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	return rc;
}

/*
 * The last "spikechip: ..." line of a log, without the prefix (the command's error), with the
 * sweep's directory "DIR/" left out of the paths it names: a result does not depend on where
 * the sweep ran.
 */
static void last_error(const char *dir, const char *log, char *buf, size_t len)
{
	char line[2048], *p, *at;
	size_t dlen = strlen(dir), used = 0;
	FILE *f = fopen(log, "r");

	spk_fmt(buf, len, "see %s", log);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "spikechip: ", 11) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		buf[0] = '\0';
		used = 0;
		for (p = line + 11; (at = strstr(p, dir)) != NULL && at[dlen] == '/'; p = at + dlen + 1) {
			spk_fmt(buf + used, len - used, "%.*s", (int)(at - p), p);
			used = strlen(buf);
		}
		spk_fmt(buf + used, len - used, "%s", p);
	}
	fclose(f);
}

static json_t *load_json(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	if (j == NULL)
		spk_fmt(err, errlen, "%s:%d: %s", path, je.line, je.text);
	return j;
}

/* A number at a dotted path of j; false if absent or not a number. */
static bool json_num(const json_t *j, const char *path, double *v)
{
	char buf[128], *p, *dot;

	spk_fmt(buf, sizeof(buf), "%s", path);
	for (p = buf; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
		*dot = '\0';
		j = json_object_get(j, p);
	}
	j = json_object_get(j, p);
	if (!json_is_number(j))
		return false;
	*v = json_number_value(j);
	return true;
}

/* A point's architecture as a complete file (`arch show` form); 0, or -1 with err. */
static int write_arch(const char *path, const struct spk_sweep_spec *s, const struct spk_arch *a,
		      char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		spk_fmt(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	spk_arch_print(f, s->arch, a);
	if (fclose(f) != 0) {
		spk_fmt(err, errlen, "%s: cannot write", path);
		return -1;
	}
	return 0;
}

/* ---- the output directory -------------------------------------------------------------------- */

int spk_sweep_prepare_dir(const struct spk_sweep_spec *s, const char *dir, char *err,
			  size_t errlen)
{
	static const char *const subs[] = { "images", "work", "points" };
	char path[PATH_MAX];
	uint8_t *have = NULL;
	size_t len;

	if (strlen(dir) > PATH_MAX - 256) {
		spk_fmt(err, errlen, "--out %.64s...: a path longer than %d characters", dir,
			PATH_MAX - 256);
		return -1;
	}
	if (mkdir_p(dir, err, errlen) < 0)
		return -1;
	spk_fmt(path, sizeof(path), "%s/sweep.ini", dir);
	if (exists(path)) {
		int rc = spk_read_file(path, 1 << 20, "a sweep file", &have, &len, err, errlen);

		if (rc < 0)
			return -1;
		if (len != s->text_len || memcmp(have, s->text, len) != 0) {
			free(have);
			spk_fmt(err, errlen, "--out %s holds the results of another sweep file (%s "
				 "differs from %s); give a new directory, or the same file", dir,
				 path, s->path);
			return -1;
		}
		free(have);
	} else if (spk_outfile_write(path, s->text, s->text_len, err, errlen) < 0) {
		return -1;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		spk_fmt(path, sizeof(path), "%s/%s", dir, subs[i]);
		if (mkdir_p(path, err, errlen) < 0)
			return -1;
	}
	return 0;
}

bool spk_sweep_point_done(const char *dir, uint32_t k)
{
	char path[PATH_MAX];

	spk_fmt(path, sizeof(path), "%s/points/%u.json", dir, k);
	return exists(path);
}

/* ---- images ---------------------------------------------------------------------------------- */

/* The text that identifies point k's image, and its 16-hex-digit key; -1 if the model is gone. */
static int image_key(const struct spk_sweep_spec *s, uint32_t k, const struct spk_arch *a,
		     char *text, size_t tlen, char *key, size_t klen)
{
	uint32_t idx[SPK_SWEEP_MAX_AXES], model, crc = 0;
	const char *const *names;
	size_t n, used;
	char value[128], err[256];
	int w;

	spk_sweep_point_indices(s, k, &model, idx);
	if (spk_file_crc32(s->models[model], &crc, err, sizeof(err)) < 0)
		return -1;
	used = (size_t)snprintf(text, tlen, "model %s crc32 %08x\nseed %llu\n", s->models[model],
				crc, (unsigned long long)s->seed);
	names = spk_emit_recorded_params(&n);
	for (size_t i = 0; i < n && used < tlen; i++) {
		spk_arch_param_format(spk_arch_param_find_dotted(names[i]), a, value, sizeof(value));
		w = snprintf(text + used, tlen - used, "%s %s\n", names[i], value);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used < tlen) {
		spk_arch_param_format(spk_arch_param_find_dotted("noc.multicast"), a, value,
				      sizeof(value));
		w = snprintf(text + used, tlen - used, "noc.multicast %s\n", value);
		used += w > 0 ? (size_t)w : 0;
	}
	if (a->noc.multicast == SPK_MULTICAST_TREE && used < tlen)
		spk_fmt(text + used, tlen - used, "noc.flit_bits %d\n", a->noc.flit_bits);
	spk_fmt(key, klen, "%08lx%08lx",
		 crc32(0, (const Bytef *)text, (uInt)strlen(text)),
		 adler32(1, (const Bytef *)text, (uInt)strlen(text)));
	return 0;
}

void spk_sweep_point_image_key(const struct spk_sweep_spec *s, uint32_t k, char *key, size_t len)
{
	struct spk_arch a;
	char text[4096], err[512];

	key[0] = '\0';
	if (spk_sweep_point_arch(s, k, &a, err, sizeof(err)) == 0)
		image_key(s, k, &a, text, sizeof(text), key, len);
}

/*
 * Point k's image: maps it unless DIR/images holds it (or its no-fit record). *nofit gets the
 * mapper's message when the model does not fit. 0, or -1 with err.
 */
static int ensure_image(const struct spk_sweep_spec *s, const char *dir, uint32_t k,
			const struct spk_arch *a, char *image, size_t ilen, char *nofit,
			size_t nlen, char *err, size_t errlen)
{
	char text[4096], key[40], path[PATH_MAX], archf[PATH_MAX], report[PATH_MAX];
	char log[PATH_MAX], seed[32], keyfile[PATH_MAX];
	uint32_t idx[SPK_SWEEP_MAX_AXES], model;
	uint8_t *have = NULL;
	size_t len;
	int rc;

	nofit[0] = '\0';
	spk_sweep_point_indices(s, k, &model, idx);
	if (image_key(s, k, a, text, sizeof(text), key, sizeof(key)) < 0) {
		spk_fmt(err, errlen, "%s: cannot read the model", s->models[model]);
		return -1;
	}
	spk_fmt(image, ilen, "%s/images/%s.spki", dir, key);
	spk_fmt(keyfile, sizeof(keyfile), "%s/images/%s.key", dir, key);
	if (exists(keyfile)) {
		if (spk_read_file(keyfile, 1 << 16, "a key file", &have, &len, err, errlen) < 0)
			return -1;
		rc = len == strlen(text) && memcmp(have, text, len) == 0;
		free(have);
		if (!rc) {
			spk_fmt(err, errlen, "%s: another mapping has this key (a hash collision); "
				 "start the sweep in a new directory", keyfile);
			return -1;
		}
	} else if (spk_outfile_write(keyfile, text, strlen(text), err, errlen) < 0) {
		return -1;
	}
	spk_fmt(path, sizeof(path), "%s/images/%s.nofit", dir, key);
	if (exists(path)) {
		if (spk_read_file(path, 1 << 16, "a no-fit record", &have, &len, err, errlen) < 0)
			return -1;
		spk_fmt(nofit, nlen, "%.*s", (int)len, (const char *)have);
		free(have);
		return 0;
	}
	if (exists(image))
		return 0;

	/* The architecture file the mapper reads: this point's (its mapping keys are the key). */
	spk_fmt(archf, sizeof(archf), "%s/images/%s.ini", dir, key);
	if (write_arch(archf, s, a, err, errlen) < 0)
		return -1;
	spk_fmt(report, sizeof(report), "%s/images/%s.map.json", dir, key);
	spk_fmt(log, sizeof(log), "%s/images/%s.map.log", dir, key);
	spk_fmt(seed, sizeof(seed), "%llu", (unsigned long long)s->seed);
	{
		char *argv[] = { "map", "--model", s->models[model], "--arch", archf, "--out", image,
				 "--report", report, "--seed", seed, NULL };

		rc = run_logged(spk_map_main, 11, argv, log);
	}
	if (rc == SPK_EXIT_NOFIT) {
		last_error(dir, log, nofit, nlen);
		return spk_outfile_write(path, nofit, strlen(nofit), err, errlen) < 0 ? -1 : 0;
	}
	if (rc != 0) {
		char why[1024];

		last_error(dir, log, why, sizeof(why));
		spk_fmt(err, errlen, "mapping point %u failed: %s (log: %s)", k, why, log);
		return -1;
	}
	return 0;
}

int spk_sweep_map_point(const struct spk_sweep_spec *s, const char *dir, uint32_t k, char *err,
			size_t errlen)
{
	struct spk_arch a;
	char image[PATH_MAX], nofit[1024];

	if (spk_sweep_point_arch(s, k, &a, nofit, sizeof(nofit)) < 0)
		return 0;
	return ensure_image(s, dir, k, &a, image, sizeof(image), nofit, sizeof(nofit), err,
			    errlen);
}

/* ---- one point ------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile q (0..1] of sorted v[n]. */
static double percentile(const double *v, size_t n, double q)
{
	size_t r = (size_t)ceil(q * (double)n);

	return v[r > 0 ? r - 1 : 0];
}

/* The metrics of a simulated point from sim's and map's reports; 0 or -1 with err. */
static int read_metrics(const char *sim_json, const char *map_json, double *m, bool *have,
			char *err, size_t errlen)
{
	json_t *sj = load_json(sim_json, err, errlen), *mj, *lat;
	double clock = 0, stall = 0, flits = 0, v = 0;
	double *sorted;
	size_t n;

	if (sj == NULL)
		return -1;
	mj = load_json(map_json, err, errlen);
	if (mj == NULL) {
		json_decref(sj);
		return -1;
	}
	for (int i = 0; i < N_METRICS; i++) {
		have[i] = metrics[i].src != NULL && json_num(sj, metrics[i].src, &m[i]);
		if (metrics[i].src != NULL && !have[i] && i != M_ACCURACY) {
			spk_fmt(err, errlen, "%s: no number '%s'", sim_json, metrics[i].src);
			goto fail;
		}
	}
	json_num(sj, "clock_mhz", &clock);
	lat = json_object_get(json_object_get(sj, "per_image"), "latency_cycles");
	n = json_array_size(lat);
	if (n == 0 || clock <= 0) {
		spk_fmt(err, errlen, "%s: no per-image latencies or clock", sim_json);
		goto fail;
	}
	sorted = malloc(n * sizeof(*sorted));
	if (sorted == NULL) {
		spk_fmt(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = json_number_value(json_array_get(lat, i));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	m[M_LAT_P50] = percentile(sorted, n, 0.50);
	m[M_LAT_P99] = percentile(sorted, n, 0.99);
	free(sorted);
	m[M_LAT_P50_US] = m[M_LAT_P50] / clock;
	m[M_LAT_P99_US] = m[M_LAT_P99] / clock;
	have[M_LAT_P50] = have[M_LAT_P99] = have[M_LAT_P50_US] = have[M_LAT_P99_US] = true;
	json_num(sj, "noc.stall_cycles", &stall);
	json_num(sj, "noc.router_flits", &flits);
	m[M_STALL] = stall + flits > 0 ? stall / (stall + flits) : 0;
	have[M_STALL] = true;
	have[M_TILES] = json_num(mj, "tiles_used", &m[M_TILES]);
	have[M_CORES] = json_num(mj, "synapse_cores_used", &m[M_CORES]);
	have[M_SYN_KIB] = json_num(mj, "synapse_bytes_used", &v);
	m[M_SYN_KIB] = v / 1024.0;
	json_decref(sj);
	json_decref(mj);
	return 0;
fail:
	json_decref(sj);
	json_decref(mj);
	return -1;
}

static void write_point(const struct spk_sweep_spec *s, uint32_t k, const char *status,
			const char *message, const char *image, const double *m, const bool *have,
			double wall, struct spk_jsonw *j)
{
	uint32_t idx[SPK_SWEEP_MAX_AXES], model;
	char label[2048];

	spk_sweep_point_indices(s, k, &model, idx);
	spk_sweep_point_label(s, k, label, sizeof(label));
	spk_jsonw_object(j);
	spk_jsonw_key_uint(j, "point", k);
	spk_jsonw_key_uint(j, "grid_index", s->points[k]);
	spk_jsonw_key_str(j, "label", label);
	spk_jsonw_key(j, "values");
	spk_jsonw_object(j);
	for (uint32_t i = 0; i < s->n_axes; i++)
		for (uint32_t p = 0; p < s->axes[i].n_params; p++) {
			const struct spk_sweep_param *sp = &s->axes[i].params[p];
			char name[80];

			spk_fmt(name, sizeof(name), "%s.%s", sp->section, sp->key);
			spk_jsonw_key_str(j, name, sp->values[idx[i]]);
		}
	spk_jsonw_end(j);
	spk_jsonw_key_str(j, "model", s->models[model]);
	spk_jsonw_key_str(j, "image", image);
	spk_jsonw_key_str(j, "status", status);
	spk_jsonw_key_str(j, "message", message);
	spk_jsonw_key(j, "metrics");
	if (m == NULL) {
		spk_jsonw_null(j);
	} else {
		spk_jsonw_object(j);
		for (int i = 0; i < N_METRICS; i++) {
			if (have[i])
				spk_jsonw_key_real(j, metrics[i].name, m[i]);
			else
				spk_jsonw_key_null(j, metrics[i].name);
		}
		spk_jsonw_end(j);
	}
	spk_jsonw_key_real(j, "wall_s", wall);
	spk_jsonw_end(j);
}

static int record_point(const struct spk_sweep_spec *s, const char *dir, uint32_t k,
			const char *status, const char *message, const char *image,
			const double *m, const bool *have, double wall, char *err, size_t errlen)
{
	struct spk_outfile of;
	struct spk_jsonw j;
	char path[PATH_MAX], rel[PATH_MAX] = "";

	if (image != NULL && image[0] != '\0') {	/* relative to DIR: the directory may move */
		char tmp[PATH_MAX];

		spk_fmt(tmp, sizeof(tmp), "%s", image);
		spk_fmt(rel, sizeof(rel), "images/%s", basename(tmp));
	}
	spk_fmt(path, sizeof(path), "%s/points/%u.json", dir, k);
	if (spk_outfile_open(&of, path, err, errlen) < 0)
		return -1;
	spk_jsonw_init(&j, of.f);
	write_point(s, k, status, message, rel[0] != '\0' ? rel : NULL, m, have, wall, &j);
	spk_jsonw_finish(&j);
	return spk_outfile_commit(&of, err, errlen) < 0 ? -1 : 0;
}

int spk_sweep_run_point(const struct spk_sweep_spec *s, const char *dir, uint32_t k,
			uint32_t sim_jobs, char *err, size_t errlen)
{
	char msg[1024], image[PATH_MAX], work[PATH_MAX], archf[PATH_MAX], log[PATH_MAX];
	char simjson[PATH_MAX], seg[PATH_MAX], mapjson[PATH_MAX], images[16], jobs[16];
	uint32_t idx[SPK_SWEEP_MAX_AXES], model;
	double m[N_METRICS], t0 = spk_now();
	bool have[N_METRICS];
	struct spk_arch a;
	int rc;

	if (spk_sweep_point_done(dir, k))
		return 0;
	spk_sweep_point_indices(s, k, &model, idx);
	if (spk_sweep_point_arch(s, k, &a, msg, sizeof(msg)) < 0)
		return record_point(s, dir, k, "invalid", msg, NULL, NULL, NULL, spk_now() - t0,
				    err, errlen);
	if (ensure_image(s, dir, k, &a, image, sizeof(image), msg, sizeof(msg), err, errlen) < 0)
		return -1;
	if (msg[0] != '\0')
		return record_point(s, dir, k, "infeasible", msg, NULL, NULL, NULL,
				    spk_now() - t0, err, errlen);

	spk_fmt(work, sizeof(work), "%s/work/%u", dir, k);
	if (mkdir_p(work, err, errlen) < 0)
		return -1;
	spk_fmt(archf, sizeof(archf), "%s/arch.ini", work);
	if (write_arch(archf, s, &a, err, errlen) < 0)
		return -1;
	spk_fmt(log, sizeof(log), "%s/sim.log", work);
	spk_fmt(simjson, sizeof(simjson), "%s/sim.json", work);
	spk_fmt(seg, sizeof(seg), "%s/segments", work);
	spk_fmt(images, sizeof(images), "%u", s->images);
	spk_fmt(jobs, sizeof(jobs), "%u", sim_jobs > 0 ? sim_jobs : 1);
	{
		char *argv[24] = { "sim", image, "--arch", archf, "--model", s->models[model],
				   "--images", images, "--check", "--jobs", jobs, "--json", simjson,
				   "--resume", seg };
		int argc = 15;

		if (s->data[0] != '\0') {
			argv[argc++] = "--data";
			argv[argc++] = (char *)s->data;
		}
		if (s->labels[0] != '\0') {
			argv[argc++] = "--labels";
			argv[argc++] = (char *)s->labels;
		}
		argv[argc] = NULL;
		rc = run_logged(spk_sim_main, argc, argv, log);
	}
	/* The mapping report of this point's image. */
	spk_fmt(mapjson, sizeof(mapjson), "%.*s.map.json", (int)(strlen(image) - 5), image);
	if (rc != 0 && rc != SPK_EXIT_FAIL) {
		last_error(dir, log, msg, sizeof(msg));
		return record_point(s, dir, k, "failed", msg, image, NULL, NULL, spk_now() - t0,
				    err, errlen);
	}
	if (read_metrics(simjson, mapjson, m, have, msg, sizeof(msg)) < 0) {
		char why[1024];

		last_error(dir, log, why, sizeof(why));
		spk_fmt(msg + strlen(msg), sizeof(msg) - strlen(msg), " (%s)", why);
		return record_point(s, dir, k, "failed", msg, image, NULL, NULL, spk_now() - t0,
				    err, errlen);
	}
	if (rc == SPK_EXIT_FAIL) {
		last_error(dir, log, msg, sizeof(msg));
		return record_point(s, dir, k, m[M_MISMATCHES] > 0 ? "mismatch" : "failed", msg,
				    image, m, have, spk_now() - t0, err, errlen);
	}
	return record_point(s, dir, k, "ok", "", image, m, have, spk_now() - t0, err, errlen);
}

void spk_sweep_point_summary(const char *dir, uint32_t k, char *buf, size_t len)
{
	char path[PATH_MAX], err[512];
	json_t *j, *m;
	double acc, lat, e;
	const char *status;

	spk_fmt(path, sizeof(path), "%s/points/%u.json", dir, k);
	j = load_json(path, err, sizeof(err));
	if (j == NULL) {
		spk_fmt(buf, len, "no result (%s)", err);
		return;
	}
	status = json_string_value(json_object_get(j, "status"));
	m = json_object_get(j, "metrics");
	if (json_is_object(m) && json_num(m, "latency_mean_cycles", &lat) &&
	    json_num(m, "energy_uj_per_image", &e)) {
		char a[32] = "accuracy n/a";

		if (json_num(m, "accuracy", &acc))
			spk_fmt(a, sizeof(a), "accuracy %.2f %%", 100 * acc);
		spk_fmt(buf, len, "%s: %s, latency %.4g M cycles, %.4g uJ/image%s%s",
			 status != NULL ? status : "?", a, lat / 1e6, e,
			 strcmp(status != NULL ? status : "", "ok") != 0 ? "; " : "",
			 strcmp(status != NULL ? status : "", "ok") != 0 ?
			 json_string_value(json_object_get(j, "message")) : "");
	} else {
		spk_fmt(buf, len, "%s: %s", status != NULL ? status : "?",
			 json_string_value(json_object_get(j, "message")) ?: "");
	}
	json_decref(j);
}

/* ---- merging --------------------------------------------------------------------------------- */

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_real(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "%.10g", json_number_value(v));
}

/* The objective values of point p (minimised: accuracy negated); false if one is missing. */
static bool objectives(const json_t *p, const enum spk_sweep_objective *obj, uint32_t n,
		       double *out)
{
	const json_t *m = json_object_get(p, "metrics");

	for (uint32_t i = 0; i < n; i++) {
		double v;

		switch (obj[i]) {
		case SPK_OBJ_ENERGY:
			if (!json_num(m, "energy_uj_per_image", &v))
				return false;
			out[i] = v;
			break;
		case SPK_OBJ_LATENCY:
			if (!json_num(m, "latency_mean_us", &v))
				return false;
			out[i] = v;
			break;
		case SPK_OBJ_ACCURACY:
			if (!json_num(m, "accuracy", &v))
				return false;
			out[i] = -v;
			break;
		case SPK_OBJ_AREA:
			if (!json_num(m, "area_mm2", &v))
				return false;
			out[i] = v;
			break;
		default:
			return false;
		}
	}
	return true;
}

/*
 * Fills the metric area_mm2 of every point with status ok: the chip area of its architecture
 * (rtl/rtl_area.h; the network synthesised once per distinct network, then cached). 0, or -1
 * with the message in err.
 */
static int fill_area(const struct spk_sweep_spec *s, json_t **pts, bool quiet, char *err,
		     size_t errlen)
{
	for (uint32_t k = 0; k < s->n_points; k++) {
		json_t *m = pts[k] != NULL ? json_object_get(pts[k], "metrics") : NULL;
		const char *st = pts[k] != NULL ?
				 json_string_value(json_object_get(pts[k], "status")) : NULL;
		struct spk_chip_area ca;
		struct spk_arch a;
		char msg[1024];

		if (!json_is_object(m) || st == NULL || strcmp(st, "ok") != 0)
			continue;
		if (!quiet && isatty(STDERR_FILENO))
			fprintf(stderr, "\rsweep: area of point %u/%u (yosys for each new network)...",
				k + 1, s->n_points);
		if (spk_sweep_point_arch(s, k, &a, msg, sizeof(msg)) < 0 ||
		    spk_chip_area(&a, &ca, msg, sizeof(msg)) < 0) {
			spk_fmt(err, errlen, "point %u: area: %s", k, msg);
			return -1;
		}
		json_object_set_new(m, "area_mm2", json_real(ca.total_mm2));
	}
	if (!quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\n");
	return 0;
}

/* front[i] = 1 for the non-dominated points with status ok and every objective, else 0. */
static void pareto_front(json_t **pts, uint32_t n, const enum spk_sweep_objective *obj,
			 uint32_t n_obj, int *front)
{
	double *v = calloc((size_t)n * (n_obj > 0 ? n_obj : 1), sizeof(double));

	for (uint32_t i = 0; i < n; i++) {
		const char *st = pts[i] != NULL ?
				 json_string_value(json_object_get(pts[i], "status")) : NULL;

		front[i] = v != NULL && st != NULL && strcmp(st, "ok") == 0 &&
			   objectives(pts[i], obj, n_obj, v + (size_t)i * n_obj);
	}
	for (uint32_t i = 0; i < n && v != NULL; i++) {
		if (front[i] != 1)
			continue;
		for (uint32_t q = 0; q < n; q++) {
			bool le = true, lt = false;

			if (q == i || front[q] == 0)
				continue;
			for (uint32_t o = 0; o < n_obj; o++) {
				double a = v[(size_t)q * n_obj + o], b = v[(size_t)i * n_obj + o];

				le = le && a <= b;
				lt = lt || a < b;
			}
			if (le && lt) {
				front[i] = 2;	/* dominated, but may still dominate others */
				break;
			}
		}
	}
	for (uint32_t i = 0; i < n; i++)
		front[i] = front[i] == 1;
	free(v);
}

int spk_sweep_merge(const struct spk_sweep_spec *s, const char *dir,
		    const enum spk_sweep_objective *pareto, uint32_t n_pareto, bool quiet,
		    char *err, size_t errlen)
{
	json_t **pts = calloc(s->n_points, sizeof(*pts));
	int *front = calloc(s->n_points, sizeof(*front));
	struct spk_outfile csv = { 0 }, js = { 0 };
	char path[PATH_MAX];
	struct spk_jsonw j;
	uint32_t missing = 0, counts[5] = { 0 };
	static const char *const statuses[5] = { "ok", "invalid", "infeasible", "mismatch",
						 "failed" };
	int rc = -1;

	if (pts == NULL || front == NULL) {
		spk_fmt(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t k = 0; k < s->n_points; k++) {
		if (!spk_sweep_point_done(dir, k)) {
			missing++;
			continue;
		}
		spk_fmt(path, sizeof(path), "%s/points/%u.json", dir, k);
		pts[k] = load_json(path, err, errlen);
		if (pts[k] == NULL)
			goto out;
		for (int i = 0; i < 5; i++)
			if (strcmp(json_string_value(json_object_get(pts[k], "status")) ?: "",
				   statuses[i]) == 0)
				counts[i]++;
	}
	for (uint32_t i = 0; i < n_pareto; i++)
		if (pareto[i] == SPK_OBJ_AREA && fill_area(s, pts, quiet, err, errlen) < 0)
			goto out;
	if (n_pareto > 0)
		pareto_front(pts, s->n_points, pareto, n_pareto, front);

	/* results.csv */
	spk_fmt(path, sizeof(path), "%s/results.csv", dir);
	if (spk_outfile_open(&csv, path, err, errlen) < 0)
		goto out;
	fputs("point,status", csv.f);
	if (s->n_models > 1)
		fputs(",model", csv.f);
	for (uint32_t i = 0; i < s->n_axes; i++)
		for (uint32_t p = 0; p < s->axes[i].n_params; p++)
			fprintf(csv.f, ",%s.%s", s->axes[i].params[p].section,
				s->axes[i].params[p].key);
	for (int i = 0; i < N_METRICS; i++)
		fprintf(csv.f, ",%s", metrics[i].name);
	fputs(",pareto,message,wall_s\n", csv.f);
	for (uint32_t k = 0; k < s->n_points; k++) {
		const json_t *p = pts[k], *vals = json_object_get(p, "values");
		const json_t *m = json_object_get(p, "metrics");

		if (p == NULL)
			continue;
		fprintf(csv.f, "%u,%s", k, json_string_value(json_object_get(p, "status")) ?: "");
		if (s->n_models > 1) {
			fputc(',', csv.f);
			csv_field(csv.f, json_string_value(json_object_get(p, "model")) ?: "");
		}
		for (uint32_t i = 0; i < s->n_axes; i++)
			for (uint32_t q = 0; q < s->axes[i].n_params; q++) {
				char name[80];

				spk_fmt(name, sizeof(name), "%s.%s", s->axes[i].params[q].section,
					 s->axes[i].params[q].key);
				fputc(',', csv.f);
				csv_field(csv.f, json_string_value(json_object_get(vals, name)) ?: "");
			}
		for (int i = 0; i < N_METRICS; i++) {
			fputc(',', csv.f);
			csv_real(csv.f, json_object_get(m, metrics[i].name));
		}
		fprintf(csv.f, ",%s,", n_pareto > 0 ? (front[k] ? "1" : "0") : "");
		csv_field(csv.f, json_string_value(json_object_get(p, "message")) ?: "");
		fputc(',', csv.f);
		csv_real(csv.f, json_object_get(p, "wall_s"));
		fputc('\n', csv.f);
	}
	if (spk_outfile_commit(&csv, err, errlen) < 0)
		goto out;

	/* results.json */
	spk_fmt(path, sizeof(path), "%s/results.json", dir);
	if (spk_outfile_open(&js, path, err, errlen) < 0)
		goto out;
	spk_jsonw_init(&j, js.f);
	spk_jsonw_object(&j);
	spk_jsonw_key_str(&j, "sweep", s->path);
	spk_jsonw_key_str(&j, "arch", s->arch);
	spk_jsonw_key_uint(&j, "images", s->images);
	spk_jsonw_key_uint(&j, "grid", s->grid);
	spk_jsonw_key_uint(&j, "points", s->n_points);
	spk_jsonw_key_uint(&j, "missing", missing);
	spk_jsonw_key(&j, "status");
	spk_jsonw_object(&j);
	for (int i = 0; i < 5; i++)
		spk_jsonw_key_uint(&j, statuses[i], counts[i]);
	spk_jsonw_end(&j);
	spk_jsonw_key(&j, "axes");
	spk_jsonw_array(&j);
	for (uint32_t i = 0; i < s->n_axes; i++) {
		spk_jsonw_object(&j);
		spk_jsonw_key_str(&j, "name", s->axes[i].name);
		spk_jsonw_key(&j, "params");
		spk_jsonw_array(&j);
		for (uint32_t p = 0; p < s->axes[i].n_params; p++) {
			char name[80];

			spk_fmt(name, sizeof(name), "%s.%s", s->axes[i].params[p].section,
				 s->axes[i].params[p].key);
			spk_jsonw_string(&j, name);
		}
		spk_jsonw_end(&j);
		spk_jsonw_key_uint(&j, "values", s->axes[i].n_values);
		spk_jsonw_end(&j);
	}
	spk_jsonw_end(&j);
	spk_jsonw_key(&j, "pareto_objectives");
	spk_jsonw_array(&j);
	for (uint32_t i = 0; i < n_pareto; i++)
		spk_jsonw_string(&j, objective_names[pareto[i]]);
	spk_jsonw_end(&j);
	spk_jsonw_key(&j, "results");
	spk_jsonw_array(&j);
	for (uint32_t k = 0; k < s->n_points; k++) {
		const char *key;
		json_t *v;

		if (pts[k] == NULL)
			continue;
		spk_jsonw_object(&j);
		json_object_foreach(pts[k], key, v) {
			if (strcmp(key, "wall_s") == 0)
				continue;
			if (strcmp(key, "values") == 0 || strcmp(key, "metrics") == 0) {
				const char *k2;
				json_t *v2;

				spk_jsonw_key(&j, key);
				if (!json_is_object(v)) {
					spk_jsonw_null(&j);
					continue;
				}
				spk_jsonw_object(&j);
				json_object_foreach(v, k2, v2) {
					if (json_is_number(v2))
						spk_jsonw_key_real(&j, k2, json_number_value(v2));
					else if (json_is_string(v2))
						spk_jsonw_key_str(&j, k2, json_string_value(v2));
					else
						spk_jsonw_key_null(&j, k2);
				}
				spk_jsonw_end(&j);
			} else if (json_is_integer(v)) {
				spk_jsonw_key_int(&j, key, json_integer_value(v));
			} else if (json_is_number(v)) {
				spk_jsonw_key_real(&j, key, json_number_value(v));
			} else if (json_is_string(v)) {
				spk_jsonw_key_str(&j, key, json_string_value(v));
			} else {
				spk_jsonw_key_null(&j, key);
			}
		}
		if (n_pareto > 0)
			spk_jsonw_key_bool(&j, "pareto", front[k]);
		else
			spk_jsonw_key_null(&j, "pareto");
		spk_jsonw_key_real(&j, "wall_s",
				   json_number_value(json_object_get(pts[k], "wall_s")));
		spk_jsonw_end(&j);
	}
	spk_jsonw_end(&j);
	spk_jsonw_end(&j);
	spk_jsonw_finish(&j);
	if (spk_outfile_commit(&js, err, errlen) < 0)
		goto out;

	if (!quiet) {
		printf("sweep %s: %u points: %u ok, %u invalid, %u infeasible, %u mismatch, "
		       "%u failed, %u missing\n", s->path, s->n_points, counts[0], counts[1],
		       counts[2], counts[3], counts[4], missing);
		printf("results: %s/results.csv, %s/results.json\n", dir, dir);
	}
	if (!quiet && n_pareto > 0) {
		printf("\nPareto front (");
		for (uint32_t i = 0; i < n_pareto; i++)
			printf("%s%s", i > 0 ? ", " : "", objective_names[pareto[i]]);
		printf("):\n  %5s  %12s  %12s  %9s  %10s  %s\n", "point", "uJ/image",
		       "latency us", "accuracy", "area mm^2", "values");
		for (uint32_t k = 0; k < s->n_points; k++) {
			const json_t *m;
			double e = NAN, l = NAN, a = NAN, ar = NAN;

			if (!front[k])
				continue;
			m = json_object_get(pts[k], "metrics");
			json_num(m, "energy_uj_per_image", &e);
			json_num(m, "latency_mean_us", &l);
			json_num(m, "accuracy", &a);
			json_num(m, "area_mm2", &ar);
			printf("  %5u  %12.4g  %12.4g  %8.2f%%  %10.4g  %s\n", k, e, l, 100 * a, ar,
			       json_string_value(json_object_get(pts[k], "label")) ?: "");
		}
	}
	rc = (int)missing;
out:
	if (rc < 0) {
		spk_outfile_abort(&csv);
		spk_outfile_abort(&js);
	}
	for (uint32_t k = 0; pts != NULL && k < s->n_points; k++)
		json_decref(pts[k]);
	free(pts);
	free(front);
	return rc;
}

/* ---- estimating a point's needs -------------------------------------------------------------- */

int spk_sweep_estimate(const struct spk_sweep_spec *s, const char *dir, uint64_t *rss_bytes,
		       double *seconds_per_image, char *err, size_t errlen)
{
	char (*seen)[40] = calloc(s->n_points, sizeof(*seen));
	uint32_t n_seen = 0;

	*rss_bytes = 0;
	*seconds_per_image = 0;
	if (seen == NULL) {
		spk_fmt(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t k = 0; k < s->n_points; k++) {
		char key[40], work[PATH_MAX], archf[PATH_MAX], log[PATH_MAX], image[PATH_MAX];
		char nofit[1024], simjson[PATH_MAX];
		struct spk_arch a;
		struct rusage ru;
		bool dup = false;
		double t0;
		pid_t pid;
		int st;

		if (spk_sweep_point_arch(s, k, &a, nofit, sizeof(nofit)) < 0)
			continue;
		spk_sweep_point_image_key(s, k, key, sizeof(key));
		for (uint32_t i = 0; i < n_seen && !dup; i++)
			dup = strcmp(seen[i], key) == 0;
		if (dup)
			continue;
		spk_fmt(seen[n_seen++], sizeof(seen[0]), "%s", key);
		if (ensure_image(s, dir, k, &a, image, sizeof(image), nofit, sizeof(nofit), err,
				 errlen) < 0) {
			free(seen);
			return -1;
		}
		if (nofit[0] != '\0')
			continue;
		spk_fmt(work, sizeof(work), "%s/work/estimate-%s", dir, key);
		if (mkdir_p(work, err, errlen) < 0) {
			free(seen);
			return -1;
		}
		spk_fmt(archf, sizeof(archf), "%s/arch.ini", work);
		spk_fmt(log, sizeof(log), "%s/sim.log", work);
		spk_fmt(simjson, sizeof(simjson), "%s/sim.json", work);
		if (write_arch(archf, s, &a, err, errlen) < 0) {
			free(seen);
			return -1;
		}
		t0 = spk_now();
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid == 0) {
			uint32_t idx[SPK_SWEEP_MAX_AXES], model;
			char *argv[16] = { "sim", image, "--arch", archf, "--images", "1",
					   "--jobs", "1", "--json", simjson };
			int argc = 10;

			spk_sweep_point_indices(s, k, &model, idx);
			argv[argc++] = "--model";
			argv[argc++] = s->models[model];
			if (s->data[0] != '\0') {
				argv[argc++] = "--data";
				argv[argc++] = (char *)s->data;
			}
			argv[argc] = NULL;
			_exit(run_logged(spk_sim_main, argc, argv, log) == 0 ? 0 : 1);
		}
		if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			spk_fmt(err, errlen, "estimating point %u: the one-image simulation failed "
				 "(log: %s)", k, log);
			free(seen);
			return -1;
		}
		if ((uint64_t)ru.ru_maxrss * 1024 > *rss_bytes)
			*rss_bytes = (uint64_t)ru.ru_maxrss * 1024;
		if (spk_now() - t0 > *seconds_per_image)
			*seconds_per_image = spk_now() - t0;
	}
	free(seen);
	return 0;
}
