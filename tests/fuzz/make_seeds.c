/*
 * make_seeds.c — writes the seeds of the binary formats that the repository holds no small
 * enough file of (doc/robustness.md): the payload of a tiny model (the unit test's 1x4x4,
 * 3-class network), that model compiled for two chips, and two segment result files. Each
 * seed starts with the harness's mode byte (tests/fuzz/fuzz.h): 0 and the payload ("wrap it"),
 * or, for the whole files (*.file), 1 and the file. The tracked seeds under corpus/ came
 * from it (the same bytes on every run); run it again only to regenerate them:
 *
 *	make tests/fuzz/make_seeds && tests/fuzz/make_seeds OUTDIR
 *	    (writes OUTDIR/model/, OUTDIR/image/, OUTDIR/segfile/)
 */
#include "config.h"

#include "arch/arch.h"
#include "image/image.h"
#include "mapper/emit.h"
#include "mapper/map.h"
#include "models/model.h"
#include "models/model_build.h"
#include "models/quant.h"
#include "sim/segfile.h"
#include "util/container.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void die(const char *what, const char *err)
{
	fprintf(stderr, "make_seeds: %s: %s\n", what, err);
	exit(1);
}

static void put(const char *dir, const char *sub, const char *name, unsigned char mode,
		const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(&mode, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die(path, "cannot write");
}

/* The network of tests/unit/test_model.c's build() without defects. */
static struct spk_model_build *tiny(void)
{
	static float w_enc[2 * 1 * 3 * 3], w_conv[2 * 2 * 3 * 3], w_1x1[2 * 2], w_lin[3 * 2];
	static const float b2[2] = { 0.5f, -0.25f }, b3[3] = { 0.1f, 0.2f, 0.3f };
	static const double mean1[1] = { 0.5 }, std1[1] = { 0.25 };
	struct spk_model_build *b;
	uint32_t s0, s1, s2, p0, p1, p2, p3;

	for (size_t i = 0; i < sizeof(w_enc) / sizeof(w_enc[0]); i++)
		w_enc[i] = (float)i / 8.0f - 1.0f;
	for (size_t i = 0; i < sizeof(w_conv) / sizeof(w_conv[0]); i++)
		w_conv[i] = (float)(i % 7) / 4.0f - 0.75f;
	for (size_t i = 0; i < 4; i++)
		w_1x1[i] = (float)i - 1.5f;
	for (size_t i = 0; i < 6; i++)
		w_lin[i] = (float)i / 2.0f - 1.0f;
	b = spk_model_build_create("tiny", "fashion-mnist", 2, 1, 4, 4, 3, mean1, std1, 0.75);
	s0 = spk_model_build_site(b, "enc", 2, 2, 2);
	s1 = spk_model_build_site(b, "res", 2, 2, 2);
	s2 = spk_model_build_site(b, "att", 2, 2, 2);
	spk_model_build_site(b, "odd", 2, 1, 1);
	p0 = spk_model_build_pop(b, "p0", s0, 0, 1.0);
	p1 = spk_model_build_pop(b, "p1", s1, 0, 1.0);
	p2 = spk_model_build_pop(b, "p2", s2, 0, 0.5);
	p3 = spk_model_build_pop(b, "p3", s1, 1, 1.0);
	spk_model_build_encoder(b, "enc", s0, 3, 2, 1, 2, w_enc, b2);
	spk_model_build_fire(b, "fire_p0", p0);
	spk_model_build_conv(b, "conv", p0, s1, 3, 1, 1, 2, 2, w_conv, b2);
	spk_model_build_fire(b, "fire_p1", p1);
	spk_model_build_attn(b, "attn", p0, p1, p1, s2, 2, 0.125);
	spk_model_build_fire(b, "fire_p2", p2);
	spk_model_build_conv(b, "proj", p2, s1, 1, 1, 0, 2, 2, w_1x1, b2);
	spk_model_build_fire(b, "fire_p3", p3);
	spk_model_build_linear(b, "head", p3, 2, w_lin, b3);
	return b;
}

/* The payload of a whole file of format fmt. */
static uint8_t *payload(const struct spk_container *fmt, const void *file, size_t len,
			size_t *n)
{
	uint8_t *raw;
	char err[512];

	if (spk_container_unwrap(fmt, file, len, "seed", &raw, n, NULL, err, sizeof(err)) < 0)
		die("unwrap", err);
	return raw;
}

static void image_seed(const char *dir, const struct spk_model *m, const char *mesh,
		       const char *multicast, const char *weight_bits)
{
	struct spk_arch a;
	struct spk_qmodel *q;
	struct spk_map *map;
	struct spk_image *img;
	char err[512], name[64];
	void *file;
	uint8_t *raw;
	size_t len, n;

	spk_arch_init_defaults(&a);
	if (spk_arch_set(&a, "chip", "mesh_x", mesh, err, sizeof(err)) < 0 ||
	    spk_arch_set(&a, "chip", "mesh_y", mesh, err, sizeof(err)) < 0 ||
	    spk_arch_set(&a, "noc", "multicast", multicast, err, sizeof(err)) < 0 ||
	    spk_arch_set(&a, "core", "weight_bits", weight_bits, err, sizeof(err)) < 0 ||
	    spk_arch_check(&a, err, sizeof(err)) < 0)
		die("arch", err);
	q = spk_quant_create(m, a.core.weight_bits, a.core.membrane_bits, err, sizeof(err));
	if (q == NULL)
		die("quantize", err);
	map = spk_map_create(m, q, &a, 1);
	if (map == NULL || spk_map_compile(map) < 0)
		die("map", "does not compile");
	img = spk_emit_image(map, 0x12345678u, err, sizeof(err));
	if (img == NULL)
		die("emit", err);
	file = spk_image_serialize(img, &len, err, sizeof(err));
	if (file == NULL)
		die("serialize", err);
	raw = payload(&spk_image_format, file, len, &n);
	snprintf(name, sizeof(name), "tiny-mesh%s-%s-w%s", mesh, multicast, weight_bits);
	put(dir, "image", name, 0, raw, n);
	strcat(name, ".file");
	put(dir, "image", name, 1, file, len);
	free(raw);
	free(file);
	spk_image_destroy(img);
	spk_map_destroy(map);
	spk_quant_destroy(q);
}

static void segfile_seed(const char *dir, const char *name, uint32_t n, uint32_t tiles)
{
	static const struct spk_container fmt = {
		.magic = SPK_SEGFILE_MAGIC, .version = SPK_SEGFILE_VERSION,
		.what = "a segment result file", .max_raw = UINT32_MAX, .max_file = SIZE_MAX,
	};
	struct spk_segfile_key key = { 1, 8, n, 8, tiles, 0x11111111u, 0x22222222u, 0x33333333u,
				       1 };
	struct spk_chip_stats st;
	struct spk_chip_result *res = calloc(n, sizeof(*res));
	uint64_t *t = calloc((size_t)tiles * SPK_SEGFILE_TILE_WORDS, sizeof(*t));
	char path[4096], err[512];
	uint8_t *file, *raw;
	size_t len, rn;
	FILE *f;

	memset(&st, 0, sizeof(st));
	st.images = n;
	st.cycles = 12345;
	for (uint32_t i = 0; i < n; i++)
		res[i] = (struct spk_chip_result){ .cls = i % 10, .in_cycle = 100 * i,
						   .out_cycle = 100 * i + 90 };
	for (size_t i = 0; i < (size_t)tiles * SPK_SEGFILE_TILE_WORDS; i++)
		t[i] = i;
	snprintf(path, sizeof(path), "%s/seg.tmp", dir);
	if (spk_segfile_write(path, &key, &st, res, t, err, sizeof(err)) < 0)
		die("segfile", err);
	f = fopen(path, "rb");
	file = malloc(1 << 20);
	len = fread(file, 1, 1 << 20, f);
	fclose(f);
	remove(path);
	raw = payload(&fmt, file, len, &rn);
	put(dir, "segfile", name, 0, raw, rn);
	snprintf(path, sizeof(path), "%s.file", name);
	put(dir, "segfile", path, 1, file, len);
	free(raw);
	free(file);
	free(res);
	free(t);
}

int main(int argc, char **argv)
{
	struct spk_model_build *b;
	struct spk_model *m;
	char err[512];
	void *p;
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds OUTDIR\n");
		return 2;
	}
	b = tiny();
	p = spk_model_build_payload(b, &n);
	put(argv[1], "model", "tiny", 0, p, n);
	free(p);
	p = spk_model_build_file(b, &n);
	put(argv[1], "model", "tiny.file", 1, p, n);
	free(p);
	m = spk_model_build_model(b, "tiny.spkm", err, sizeof(err));
	if (m == NULL)
		die("model", err);
	image_seed(argv[1], m, "4", "source", "8");
	image_seed(argv[1], m, "4", "tree", "4");
	spk_model_destroy(m);
	spk_model_build_destroy(b);
	segfile_seed(argv[1], "two-images-4-tiles", 2, 4);
	segfile_seed(argv[1], "one-image-1-tile", 1, 1);
	return 0;
}
