/*
 * image.c — the chip image: serialisation, the validating reader, and the checks both share;
 * see image.h for what an image means and doc/formats.md ("Chip image") for the bytes.
 *
 * One set of checks serves the reader and the mapper: the reader parses the network section,
 * checks it and derives what the tiles need (step shapes, site readers), then parses tile by
 * tile, checking every range that sizes an array before it allocates it; once all tiles are in,
 * it checks what refers across tiles (routing destinations). spk_image_finish() runs the same
 * checks over an image the mapper built in memory, so an image that is written can be read.
 *
 * The reader is a bounds-checked cursor over the decompressed payload (as models/model.c):
 * every count is compared with the bytes left before anything is allocated, so a corrupt count
 * cannot make it allocate gigabytes, and a truncated payload is a message naming the record.
 */
#include "config.h"

#include "mapper/image.h"
#include "arch/arch_params.h"
#include "util/container.h"
#include "util/le.h"
#include "util/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STR 4096u
#define MAX_DIM 65535u
#define MAX_SITE (1u << 28)

/* ---- error messages ------------------------------------------------------------------------ */

struct ectx {
	const char *file;	/* NULL: no file prefix (builder) */
	char *err;
	size_t errlen;
	char where[160];	/* the record being read or checked */
};

static int efail(struct ectx *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int efail(struct ectx *e, const char *fmt, ...)
{
	va_list ap;
	int k = 0;

	if (e->err == NULL || e->errlen == 0)
		return -EINVAL;
	if (e->file != NULL)
		k = snprintf(e->err, e->errlen, "%s: ", e->file);
	if (k >= 0 && (size_t)k < e->errlen && e->where[0] != '\0')
		k += snprintf(e->err + k, e->errlen - (size_t)k, "%s: ", e->where);
	if (k >= 0 && (size_t)k < e->errlen) {
		va_start(ap, fmt);
		vsnprintf(e->err + k, e->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void where(struct ectx *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void where(struct ectx *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->where, sizeof(e->where), fmt, ap);
	va_end(ap);
}

static void where_tile(struct ectx *e, const struct spk_image *img, uint32_t t, const char *what,
		       uint32_t i)
{
	if (what == NULL)
		where(e, "tile %u (x %u, y %u)", t, t % img->mesh_x, t / img->mesh_x);
	else
		where(e, "tile %u (x %u, y %u): %s %u", t, t % img->mesh_x, t / img->mesh_x, what, i);
}

/* ---- names and small helpers ----------------------------------------------------------------- */

const char *spk_image_tile_kind_name(enum spk_tile_kind k)
{
	switch (k) {
	case SPK_TILE_CORE: return "core";
	case SPK_TILE_ATTENTION: return "attention";
	case SPK_TILE_ENCODER: return "encoder";
	case SPK_TILE_READOUT: return "readout";
	}
	return "?";
}

const char *spk_image_step_type_name(enum spk_step_type t)
{
	switch (t) {
	case SPK_STEP_ENCODER: return "ENCODER";
	case SPK_STEP_FIRE: return "FIRE";
	case SPK_STEP_CONV: return "CONV";
	case SPK_STEP_ATTN: return "ATTN";
	case SPK_STEP_LINEAR: return "LINEAR";
	}
	return "?";
}

uint32_t spk_image_slots_per_element(uint32_t n_readers, uint32_t n_means, bool encoder)
{
	uint32_t s = (n_readers <= 1 && n_means == 0) ? 1 : 1 + n_readers;

	return s + (encoder ? 1 : 0);
}

size_t spk_image_piece_size(const struct spk_image *img, const struct spk_image_piece *p)
{
	return (size_t)(p->c1 - p->c0) * (p->y1 - p->y0) * img->sites[p->site].width;
}

/* ---- axons and tree multicast groups --------------------------------------------------------- */

static uint32_t site_means(const struct spk_image *img, uint32_t s);

uint32_t spk_image_piece_axon(const struct spk_image *img, const struct spk_image_piece *p,
			      bool enc)
{
	uint32_t spe;

	if (!enc)
		return p->slot_base;
	spe = spk_image_slots_per_element(img->n_site_readers[p->site], site_means(img, p->site),
					  img->site_encoder[p->site]);
	return p->slot_base + (spe - 1) * (uint32_t)spk_image_piece_size(img, p);
}

uint32_t spk_image_mean_axon(const struct spk_image *img, const struct spk_image_tile *t,
			     uint32_t pop)
{
	uint32_t base = 0;

	for (uint32_t m = 0; m < t->n_means; m++) {
		if (t->means[m].pop == pop)
			return base;
		base += img->sites[img->pops[t->means[m].pop].site].channels;
	}
	return UINT32_MAX;
}

/* A SPIKE route of one tile as the grouping sorts it: reader (local, source), destination,
 * entry. */
struct mc_key {
	uint32_t local, source, dst, e;
};

static int cmp_mc_key(const void *x, const void *y)
{
	const struct mc_key *a = x, *b = y;

	if (a->local != b->local)
		return a->local < b->local ? -1 : 1;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	if (a->dst != b->dst)
		return a->dst < b->dst ? -1 : 1;
	return a->e < b->e ? -1 : a->e > b->e;
}

void spk_image_mc_fini(struct spk_image_mc *mc)
{
	free(mc->groups);
	free(mc->route_group);
	free(mc->flat_);
	memset(mc, 0, sizeof(*mc));
}

/*
 * Per tile: the SPIKE routes sorted by (reader, destination, entry) give each route its rank
 * among the reader's earlier routes to the same tile. The tiles holding a reader's groups form
 * a prefix g1..gm for every tile (a route to t joins the first group without t), so a route of
 * rank k belongs to the reader's k-th group, which it opens if the reader has k groups so far.
 */
int spk_image_mc_groups(const struct spk_image *img, struct spk_image_mc *mc)
{
	uint32_t max_routes = 0, total = 0, cap = 0;
	struct mc_key *key = NULL;
	uint32_t *rank = NULL, *rid = NULL, *opened = NULL, *slot = NULL, *count = NULL;
	int rc = -ENOMEM;

	memset(mc, 0, sizeof(*mc));
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		total += img->tiles[t].n_routes;
		if (img->tiles[t].n_routes > max_routes)
			max_routes = img->tiles[t].n_routes;
	}
	/* route_group's storage, then member's (at most one member per route) */
	mc->flat_ = calloc(2 * (size_t)total + 1, sizeof(*mc->flat_));
	mc->route_group = calloc(img->n_tiles + 1, sizeof(*mc->route_group));
	key = malloc((max_routes + 1) * sizeof(*key));
	rank = malloc((max_routes + 1) * sizeof(*rank));
	rid = malloc((max_routes + 1) * sizeof(*rid));
	opened = malloc((max_routes + 1) * sizeof(*opened));
	slot = malloc((max_routes + 1) * sizeof(*slot));
	count = malloc((max_routes + 1) * sizeof(*count));
	if (mc->flat_ == NULL || mc->route_group == NULL || key == NULL || rank == NULL ||
	    rid == NULL || opened == NULL || slot == NULL || count == NULL)
		goto out_free;
	mc->member = mc->flat_ + total;
	for (uint32_t t = 0, off = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tl = &img->tiles[t];
		uint32_t *rg = mc->flat_ + off, n = 0, g0 = mc->n_groups;

		mc->route_group[t] = rg;
		off += tl->n_routes;
		if (tl->kind != SPK_TILE_CORE)
			continue;
		for (uint32_t e = 0; e < tl->n_routes; e++)
			if (tl->routes[e].kind == SPK_ROUTE_SPIKE)
				key[n++] = (struct mc_key){ tl->routes[e].local,
							    tl->routes[e].source,
							    tl->routes[e].dst_tile, e };
		if (n == 0)
			continue;
		qsort(key, n, sizeof(*key), cmp_mc_key);
		/* rank among the same reader's routes to the same tile; the reader is named by
		 * the position of its first key (its groups' slots start there) */
		for (uint32_t i = 0, r0 = 0, k = 0; i < n; i++) {
			if (i > 0 && (key[i].local != key[i - 1].local ||
				      key[i].source != key[i - 1].source))
				r0 = i;
			k = (i > 0 && i != r0 && key[i].dst == key[i - 1].dst) ? k + 1 : 0;
			rank[key[i].e] = k;
			rid[key[i].e] = r0;
			opened[i] = 0;
		}
		/* groups open in table order */
		for (uint32_t e = 0; e < tl->n_routes; e++) {
			uint32_t r0 = rid[e];

			if (tl->routes[e].kind != SPK_ROUTE_SPIKE)
				continue;
			if (rank[e] == opened[r0]) {
				struct spk_image_mc_group *ng;

				if (mc->n_groups == cap) {
					cap = cap ? 2 * cap : 64;
					ng = realloc(mc->groups, cap * sizeof(*ng));
					if (ng == NULL)
						goto out_free;
					mc->groups = ng;
				}
				ng = &mc->groups[mc->n_groups++];
				ng->tile = t;
				ng->n = 0;
				ng->max_elem = (uint32_t)spk_image_piece_size(
					img, &tl->pieces[tl->routes[e].local]) - 1;
				slot[r0 + opened[r0]++] = mc->n_groups;
			}
			rg[e] = slot[r0 + rank[e]];
			mc->groups[rg[e] - 1].n++;
		}
		/* members, in table order */
		for (uint32_t g = g0; g < mc->n_groups; g++) {
			mc->groups[g].first = g == 0 ? 0 : mc->groups[g - 1].first +
							    mc->groups[g - 1].n;
			count[g - g0] = 0;
		}
		for (uint32_t e = 0; e < tl->n_routes; e++) {
			struct spk_image_mc_group *gr;

			if (rg[e] == 0)
				continue;
			gr = &mc->groups[rg[e] - 1];
			mc->member[gr->first + count[rg[e] - 1 - g0]++] = e;
		}
	}
	rc = 0;
out_free:
	free(key);
	free(rank);
	free(rid);
	free(opened);
	free(slot);
	free(count);
	if (rc < 0)
		spk_image_mc_fini(mc);
	return rc;
}

static uint32_t bits_for(uint64_t n)
{
	uint32_t b = 0;

	while (b < 64 && (UINT64_C(1) << b) < n)
		b++;
	return b;
}

uint32_t spk_image_mc_address_bits(uint32_t mesh_x, uint32_t mesh_y, uint32_t groups)
{
	uint32_t xy = bits_for(mesh_x) + bits_for(mesh_y), g = bits_for((uint64_t)groups + 1);

	return xy > g ? xy : g;
}

/* The largest payload one entry's packets carry in tree mode, and what it is (for messages). */
static uint64_t route_payload(const struct spk_image *img, const struct spk_image_mc *mc,
			      uint32_t t, uint32_t e, uint32_t dst_route, const char **what)
{
	const struct spk_image_route *r = &img->tiles[t].routes[e];
	const struct spk_image_tile *dt = &img->tiles[r->dst_tile];
	uint64_t v = e, w;

	*what = "a release's route index";		/* the destination names the entry */
	if (mc->route_group[t][e] != 0) {
		w = mc->groups[mc->route_group[t][e] - 1].max_elem;
		if (w > v) {
			v = w;
			*what = "a multicast spike's element index";
		}
		return v;
	}
	if (dst_route > v) {
		v = dst_route;
		*what = "a token's route index";
	}
	switch (r->kind) {
	case SPK_ROUTE_SPIKE:		/* never unicast from a core in tree mode */
		break;
	case SPK_ROUTE_MEAN:
		w = (uint64_t)spk_image_mean_axon(img, dt, r->source) +
		    img->sites[img->pops[r->source].site].channels - 1;
		if (w > v) {
			v = w;
			*what = "a partial sum's axon";
		}
		break;
	case SPK_ROUTE_ATTN:
	case SPK_ROUTE_ENCODER: {
		const struct spk_image_piece *dp = &dt->pieces[r->dst_piece];
		uint32_t width = img->sites[dp->site].width;

		w = spk_image_piece_axon(img, dp, r->kind == SPK_ROUTE_ENCODER) +
		    ((uint64_t)(r->c1 - 1 - dp->c0) * (dp->y1 - dp->y0) + (r->y1 - 1 - dp->y0)) *
		    width + width - 1;
		if (w > v) {
			v = w;
			*what = r->kind == SPK_ROUTE_ATTN ? "an attention output's axon" :
							    "an encoder output's axon";
		}
		break;
	}
	}
	return v;
}

int spk_image_check_mc_payload(const struct spk_image *img, const struct spk_arch *a,
			       const struct spk_image_mc *mc, char *err, size_t errlen)
{
	uint32_t *n_in = calloc(img->n_tiles + 1, sizeof(*n_in));
	uint32_t abits, hdr, worst_t = 0, worst_e = 0;
	const char *worst_what = NULL, *what;
	uint64_t worst = 0;
	int payload;

	if (n_in == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (mc->n_groups > SPK_IMAGE_MC_MAX_GROUPS) {
		snprintf(err, errlen, "[noc] multicast = tree: the chip needs %u multicast groups, "
			 "the NoC's group ids hold at most %u; use [noc] multicast = source",
			 mc->n_groups, SPK_IMAGE_MC_MAX_GROUPS);
		free(n_in);
		return -ENOSPC;
	}
	/* incoming routes are numbered in (source tile, entry) order at each destination */
	for (uint32_t t = 0; t < img->n_tiles; t++)
		for (uint32_t e = 0; e < img->tiles[t].n_routes; e++) {
			uint64_t v = route_payload(img, mc, t, e,
						   n_in[img->tiles[t].routes[e].dst_tile]++, &what);

			if (worst_what == NULL || v > worst) {
				worst = v;
				worst_what = what;
				worst_t = t;
				worst_e = e;
			}
		}
	free(n_in);
	abits = spk_image_mc_address_bits(img->mesh_x, img->mesh_y, mc->n_groups);
	hdr = 4 + abits;
	payload = a->noc.flit_bits - (int)hdr;
	if (worst_what == NULL || (payload >= 0 && bits_for(worst + 1) <= (uint32_t)payload))
		return 0;
	snprintf(err, errlen, "[noc] multicast = tree: a head flit of [noc] flit_bits = %d holds "
		 "%d payload bits (2 kind + 1 multicast + %u address (max(%u + %u mesh bits, %u "
		 "for %u groups)) + 1 tag), but tile %u (%u,%u) entry %u sends %s %llu (%u bits); it "
		 "would fit with [noc] flit_bits >= %u (or [noc] multicast = source)",
		 a->noc.flit_bits, payload < 0 ? 0 : payload, abits, bits_for(img->mesh_x),
		 bits_for(img->mesh_y), bits_for((uint64_t)mc->n_groups + 1), mc->n_groups,
		 worst_t, worst_t % img->mesh_x, worst_t / img->mesh_x, worst_e, worst_what,
		 (unsigned long long)worst, bits_for(worst + 1), hdr + bits_for(worst + 1));
	return -ENOSPC;
}

const struct spk_image_tile *spk_image_tile_at(const struct spk_image *img, uint32_t x, uint32_t y)
{
	if (x >= img->mesh_x || y >= img->mesh_y)
		return NULL;
	return &img->tiles[(size_t)y * img->mesh_x + x];
}

bool spk_image_arch_value(const struct spk_image *img, const char *name, int64_t *value)
{
	for (uint32_t i = 0; i < img->n_arch; i++) {
		if (strcmp(img->arch[i].name, name) == 0) {
			*value = img->arch[i].value;
			return true;
		}
	}
	return false;
}

static uint32_t site_means(const struct spk_image *img, uint32_t s)
{
	uint32_t n = 0;

	for (uint32_t p = 0; p < img->n_pops; p++)
		if (img->pops[p].site == s && img->pops[p].kind == 1)
			n++;
	return n;
}

/* Bytes of one stored weight. */
static size_t wbytes(const struct spk_image *img)
{
	return img->weight_bits <= 8 ? 1 : 2;
}

/* ---- destroy / alloc ------------------------------------------------------------------------- */

static void free_tile(struct spk_image_tile *t)
{
	for (uint32_t i = 0; i < t->n_pieces && t->pieces != NULL; i++)
		free(t->pieces[i].theta);
	for (uint32_t i = 0; i < t->n_projs && t->projs != NULL; i++) {
		free(t->projs[i].w);
		free(t->projs[i].bias);
	}
	if (t->encoder != NULL) {
		free(t->encoder->w);
		free(t->encoder->zero);
		free(t->encoder->mult);
		free(t->encoder->bias);
		free(t->encoder);
	}
	for (uint32_t i = 0; i < t->n_means && t->means != NULL; i++)
		free(t->means[i].theta);
	if (t->head != NULL) {
		free(t->head->w);
		free(t->head->bias);
		free(t->head);
	}
	free(t->pieces);
	free(t->projs);
	free(t->attn);
	free(t->means);
	free(t->routes);
}

void spk_image_destroy(struct spk_image *img)
{
	if (img == NULL)
		return;
	free(img->model_config);
	free(img->model_dataset);
	for (uint32_t i = 0; i < img->n_arch && img->arch != NULL; i++)
		free(img->arch[i].name);
	free(img->arch);
	for (uint32_t i = 0; i < img->n_sites && img->sites != NULL; i++)
		free(img->sites[i].name);
	for (uint32_t i = 0; i < img->n_pops && img->pops != NULL; i++)
		free(img->pops[i].name);
	for (uint32_t i = 0; i < img->n_steps && img->steps != NULL; i++)
		free(img->steps[i].name);
	free(img->sites);
	free(img->pops);
	free(img->steps);
	if (img->site_readers != NULL)
		for (uint32_t i = 0; i < img->n_sites; i++)
			free(img->site_readers[i]);
	free(img->site_readers);
	free(img->n_site_readers);
	free(img->site_encoder);
	for (uint32_t i = 0; i < img->n_tiles && img->tiles != NULL; i++)
		free_tile(&img->tiles[i]);
	free(img->tiles);
	free(img);
}

struct spk_image *spk_image_alloc(void)
{
	return calloc(1, sizeof(struct spk_image));
}

/* ---- checks shared by the reader and the builder ------------------------------------------- */

static int arch_int(struct ectx *e, struct spk_image *img, const char *name, int64_t lo,
		    int64_t hi, int64_t *out)
{
	if (!spk_image_arch_value(img, name, out))
		return efail(e, "arch parameter %s is not recorded", name);
	if (*out < lo || *out > hi)
		return efail(e, "arch parameter %s = %lld is outside %lld..%lld", name,
			     (long long)*out, (long long)lo, (long long)hi);
	return 0;
}

static int check_arch(struct ectx *e, struct spk_image *img)
{
	int64_t v;

	where(e, "arch");
	for (uint32_t i = 0; i < img->n_arch; i++)
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(img->arch[i].name, img->arch[j].name) == 0)
				return efail(e, "parameter %s recorded twice", img->arch[i].name);
	if (arch_int(e, img, "chip.mesh_x", 1, 256, &v) < 0)
		return -EINVAL;
	img->mesh_x = (uint32_t)v;
	if (arch_int(e, img, "chip.mesh_y", 1, 256, &v) < 0)
		return -EINVAL;
	img->mesh_y = (uint32_t)v;
	if (arch_int(e, img, "core.weight_bits", 2, 16, &v) < 0)
		return -EINVAL;
	img->weight_bits = (int)v;
	if (arch_int(e, img, "core.membrane_bits", 2, 32, &v) < 0)
		return -EINVAL;
	img->membrane_bits = (int)v;
	if (arch_int(e, img, "attention.counter_bits", 2, 32, &v) < 0)
		return -EINVAL;
	img->counter_bits = (int)v;
	e->where[0] = '\0';
	return 0;
}

/* Output size of a conv: -1 if the input is smaller than the kernel. */
static int64_t conv_out(uint32_t in, uint32_t k, uint32_t s, uint32_t pad)
{
	int64_t span = (int64_t)in + 2 * (int64_t)pad;

	if (span < k || s == 0)
		return -1;
	return (span - k) / s + 1;
}

static int check_pop_ref(struct ectx *e, const struct spk_image *img, uint32_t p, const char *what,
			 uint32_t kind)
{
	if (p >= img->n_pops)
		return efail(e, "%s %u out of range (%u populations)", what, p, img->n_pops);
	if (img->pops[p].kind != kind)
		return efail(e, "%s %u ('%s') is of kind %u, expected %u", what, p,
			     img->pops[p].name, img->pops[p].kind, kind);
	return 0;
}

/* Checks the network section and derives step shapes, pop sizes and site readers. */
static int check_network(struct ectx *e, struct spk_image *img)
{
	if (img->time_steps < 1 || img->time_steps > 65536 || img->in_channels < 1 ||
	    img->in_height < 1 || img->in_width < 1 || img->classes < 1 ||
	    img->in_height > MAX_DIM || img->in_width > MAX_DIM ||
	    (uint64_t)img->in_channels * img->in_height * img->in_width > MAX_SITE)
		return efail(e, "model shape T %u, input %ux%ux%u, %u classes is out of range",
			     img->time_steps, img->in_channels, img->in_height, img->in_width,
			     img->classes);
	for (uint32_t s = 0; s < img->n_sites; s++) {
		const struct spk_image_site *st = &img->sites[s];

		where(e, "site %u ('%s')", s, st->name);
		if (st->channels < 1 || st->height < 1 || st->width < 1 || st->height > MAX_DIM ||
		    st->width > MAX_DIM ||
		    (uint64_t)st->channels * st->height * st->width > MAX_SITE)
			return efail(e, "shape %ux%ux%u is out of range", st->channels, st->height,
				     st->width);
	}
	for (uint32_t p = 0; p < img->n_pops; p++) {
		struct spk_image_pop *pp = &img->pops[p];

		where(e, "pop %u ('%s')", p, pp->name);
		if (pp->site >= img->n_sites)
			return efail(e, "site %u out of range (%u sites)", pp->site, img->n_sites);
		if (pp->kind > 1)
			return efail(e, "kind %u is not 0 or 1", pp->kind);
		pp->neurons = pp->kind == 1 ? img->sites[pp->site].channels :
			(uint32_t)((uint64_t)img->sites[pp->site].channels *
				   img->sites[pp->site].height * img->sites[pp->site].width);
	}
	img->n_site_readers = calloc(img->n_sites ? img->n_sites : 1, sizeof(uint32_t));
	img->site_readers = calloc(img->n_sites ? img->n_sites : 1, sizeof(uint32_t *));
	img->site_encoder = calloc(img->n_sites ? img->n_sites : 1, sizeof(bool));
	if (img->n_site_readers == NULL || img->site_readers == NULL || img->site_encoder == NULL)
		return efail(e, "out of memory");
	for (uint32_t p = 0; p < img->n_pops; p++)
		if (img->pops[p].kind == 0)
			img->n_site_readers[img->pops[p].site]++;
	for (uint32_t s = 0; s < img->n_sites; s++) {
		img->site_readers[s] = malloc((img->n_site_readers[s] + 1) * sizeof(uint32_t));
		if (img->site_readers[s] == NULL)
			return efail(e, "out of memory");
		img->n_site_readers[s] = 0;
	}
	for (uint32_t p = 0; p < img->n_pops; p++)
		if (img->pops[p].kind == 0) {
			uint32_t s = img->pops[p].site;

			img->site_readers[s][img->n_site_readers[s]++] = p;
		}
	for (uint32_t i = 0; i < img->n_steps; i++) {
		struct spk_image_step *st = &img->steps[i];
		const struct spk_image_site *d;

		where(e, "step %u (%s '%s')", i, spk_image_step_type_name(st->type), st->name);
		if (st->type < SPK_STEP_ENCODER || st->type > SPK_STEP_LINEAR)
			return efail(e, "type %u is not 1..5", (unsigned)st->type);
		if (st->type == SPK_STEP_FIRE) {
			if (st->pop >= img->n_pops)
				return efail(e, "pop %u out of range (%u populations)", st->pop,
					     img->n_pops);
			continue;
		}
		if (st->type == SPK_STEP_LINEAR) {
			if (check_pop_ref(e, img, st->src_pop, "src_pop", 1) < 0)
				return -EINVAL;
			st->c_in = img->sites[img->pops[st->src_pop].site].channels;
			st->h_in = st->w_in = 1;
			st->c_out = img->classes;
			st->h_out = st->w_out = 1;
			continue;
		}
		if (st->dst_site >= img->n_sites)
			return efail(e, "dst_site %u out of range (%u sites)", st->dst_site,
				     img->n_sites);
		d = &img->sites[st->dst_site];
		st->c_out = d->channels;
		st->h_out = d->height;
		st->w_out = d->width;
		if (st->type == SPK_STEP_ATTN) {
			const uint32_t qkv[3] = { st->q_pop, st->k_pop, st->v_pop };

			for (int k = 0; k < 3; k++) {
				const struct spk_image_site *s;

				if (check_pop_ref(e, img, qkv[k], "q/k/v pop", 0) < 0)
					return -EINVAL;
				s = &img->sites[img->pops[qkv[k]].site];
				if (s->channels != d->channels || s->height != d->height ||
				    s->width != d->width)
					return efail(e, "pop %u's site is %ux%ux%u, dst_site %ux%ux%u",
						     qkv[k], s->channels, s->height, s->width,
						     d->channels, d->height, d->width);
			}
			if (st->heads < 1 || d->channels % st->heads != 0)
				return efail(e, "heads %u does not divide %u channels", st->heads,
					     d->channels);
			st->c_in = d->channels;
			st->h_in = d->height;
			st->w_in = d->width;
			continue;
		}
		/* ENCODER, CONV */
		if (st->type == SPK_STEP_ENCODER) {
			st->c_in = img->in_channels;
			st->h_in = img->in_height;
			st->w_in = img->in_width;
			img->site_encoder[st->dst_site] = true;
		} else {
			const struct spk_image_site *s;

			if (check_pop_ref(e, img, st->src_pop, "src_pop", 0) < 0)
				return -EINVAL;
			s = &img->sites[img->pops[st->src_pop].site];
			st->c_in = s->channels;
			st->h_in = s->height;
			st->w_in = s->width;
		}
		if (st->kernel < 1 || st->kernel > MAX_DIM || st->stride < 1 ||
		    st->stride > MAX_DIM || st->pad > MAX_DIM)
			return efail(e, "kernel %u, stride %u, pad %u out of range", st->kernel,
				     st->stride, st->pad);
		if (conv_out(st->h_in, st->kernel, st->stride, st->pad) != st->h_out ||
		    conv_out(st->w_in, st->kernel, st->stride, st->pad) != st->w_out)
			return efail(e, "input %ux%u through kernel %u stride %u pad %u does not "
				     "give the destination's %ux%u", st->h_in, st->w_in, st->kernel,
				     st->stride, st->pad, st->h_out, st->w_out);
		if ((uint64_t)st->c_in * st->kernel * st->kernel > MAX_SITE)
			return efail(e, "%u x %u x %u inputs per neuron is too many", st->c_in,
				     st->kernel, st->kernel);
		if (st->type == SPK_STEP_CONV &&
		    (uint64_t)st->c_in * st->kernel * st->kernel *
		    ((UINT64_C(1) << (img->weight_bits - 1)) - 1) > INT32_MAX)
			return efail(e, "%u x %u x %u inputs per neuron at %d-bit weights could "
				     "overflow the 32-bit accumulator", st->c_in, st->kernel,
				     st->kernel, img->weight_bits);
	}
	e->where[0] = '\0';
	return 0;
}

static int check_piece(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
		       const struct spk_image_piece *p)
{
	const struct spk_image_site *s;
	uint64_t want;
	int64_t neurons;

	where_tile(e, img, t, "piece", i);
	if (p->site >= img->n_sites)
		return efail(e, "site %u out of range (%u sites)", p->site, img->n_sites);
	s = &img->sites[p->site];
	if (p->c0 >= p->c1 || p->c1 > s->channels || p->y0 >= p->y1 || p->y1 > s->height)
		return efail(e, "block channels [%u, %u) x rows [%u, %u) is not inside site '%s' "
			     "(%ux%ux%u)", p->c0, p->c1, p->y0, p->y1, s->name, s->channels,
			     s->height, s->width);
	want = (uint64_t)(p->c1 - p->c0) * (p->y1 - p->y0) * s->width *
	       spk_image_slots_per_element(img->n_site_readers[p->site], site_means(img, p->site),
					   img->site_encoder[p->site]);
	if (p->slots != want)
		return efail(e, "%u neuron slots recorded, the block needs %llu", p->slots,
			     (unsigned long long)want);
	if (spk_image_arch_value(img, "core.neurons", &neurons) &&
	    (uint64_t)p->slot_base + p->slots > (uint64_t)neurons)
		return efail(e, "neuron slots [%u, %llu) exceed the core's %lld", p->slot_base,
			     (unsigned long long)p->slot_base + p->slots, (long long)neurons);
	return 0;
}

static int check_proj(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
		      const struct spk_image_tile *tile, const struct spk_image_proj *pr)
{
	where_tile(e, img, t, "projection", i);
	if (pr->step >= img->n_steps || img->steps[pr->step].type != SPK_STEP_CONV)
		return efail(e, "step %u is not a CONV step", pr->step);
	if (pr->piece >= tile->n_pieces)
		return efail(e, "piece %u out of range (%u pieces)", pr->piece, tile->n_pieces);
	if (tile->pieces[pr->piece].site != img->steps[pr->step].dst_site)
		return efail(e, "step %u writes site %u, piece %u holds site %u", pr->step,
			     img->steps[pr->step].dst_site, pr->piece, tile->pieces[pr->piece].site);
	return 0;
}

static int check_attn(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
		      const struct spk_image_attn *a)
{
	const struct spk_image_step *st;
	uint64_t d, bytes;
	int64_t kv_kib;

	where_tile(e, img, t, "attention op", i);
	if (a->step >= img->n_steps || img->steps[a->step].type != SPK_STEP_ATTN)
		return efail(e, "step %u is not an ATTN step", a->step);
	st = &img->steps[a->step];
	d = st->c_out / st->heads;
	bytes = (st->heads * d * d * (uint64_t)img->counter_bits + 7) / 8;
	if (a->kv_bytes != bytes)
		return efail(e, "kv_bytes %u, the step needs %llu", a->kv_bytes,
			     (unsigned long long)bytes);
	if (spk_image_arch_value(img, "attention.kv_kib", &kv_kib) &&
	    (uint64_t)a->kv_base + a->kv_bytes > (uint64_t)kv_kib * 1024)
		return efail(e, "KV region [%u, %llu) exceeds the unit's %lld KiB", a->kv_base,
			     (unsigned long long)a->kv_base + a->kv_bytes, (long long)kv_kib);
	return 0;
}

static int check_encoder(struct ectx *e, const struct spk_image *img, uint32_t t,
			 const struct spk_image_encoder *en)
{
	where_tile(e, img, t, "encoder", 0);
	if (en->step >= img->n_steps || img->steps[en->step].type != SPK_STEP_ENCODER)
		return efail(e, "step %u is not the ENCODER step", en->step);
	if (en->c0 >= en->c1 || en->c1 > img->steps[en->step].c_out)
		return efail(e, "channels [%u, %u) not inside the encoder's %u", en->c0, en->c1,
			     img->steps[en->step].c_out);
	return 0;
}

static int check_mean(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
		      const struct spk_image_mean *mn)
{
	where_tile(e, img, t, "mean population", i);
	return check_pop_ref(e, img, mn->pop, "pop", 1);
}

static int check_head(struct ectx *e, const struct spk_image *img, uint32_t t,
		      const struct spk_image_head *h)
{
	where_tile(e, img, t, "head", 0);
	if (h->step >= img->n_steps || img->steps[h->step].type != SPK_STEP_LINEAR)
		return efail(e, "step %u is not the LINEAR step", h->step);
	if (!(h->scale > 0) || !isfinite(h->scale))
		return efail(e, "scale %g is not finite and positive", h->scale);
	return 0;
}

/*
 * Value ranges that keep every later sum exact in 64 bits (and one CONV's or the encoder's in
 * 32): what the quantizer produces always passes; a damaged file does not reach the executor.
 */
#define THETA_MAX (INT64_C(1) << 60)
#define ENC_BIAS_MAX (INT64_C(1) << 40)
#define HEAD_BIAS_MAX (INT64_C(1) << 46)
#define ZERO_MAX (1 << 21)

static int check_thetas(struct ectx *e, const int64_t *th, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (th[i] < 1 || th[i] > THETA_MAX)
			return efail(e, "threshold [%zu] = %lld is outside 1..2^60", i,
				     (long long)th[i]);
	return 0;
}

static int check_encoder_values(struct ectx *e, const struct spk_image *img,
				const struct spk_image_encoder *en)
{
	const struct spk_image_step *st = &img->steps[en->step];
	const uint32_t g = en->c1 - en->c0;
	const int64_t qmax = (INT64_C(1) << (img->weight_bits - 1)) - 1;
	int64_t dev = 0;

	for (uint32_t i = 0; i < st->c_in; i++) {
		int64_t z = en->zero[i];

		if (z < -ZERO_MAX || z > ZERO_MAX)
			return efail(e, "zero point %u = %lld is outside ±2^21", i, (long long)z);
		if ((z < 0 ? -z : z) > dev)
			dev = z < 0 ? -z : z;
		if ((255 - z < 0 ? z - 255 : 255 - z) > dev)
			dev = 255 - z < 0 ? z - 255 : 255 - z;
	}
	if ((uint64_t)st->c_in * st->kernel * st->kernel * (uint64_t)qmax * (uint64_t)dev >
	    INT32_MAX)
		return efail(e, "%u x %u x %u taps at %d-bit weights and pixel deviations up to %lld "
			     "could overflow the 32-bit accumulator", st->c_in, st->kernel,
			     st->kernel, img->weight_bits, (long long)dev);
	for (uint32_t i = 0; i < g; i++) {
		if (en->mult[i] < 0 || en->mult[i] >= INT64_C(2147483647))
			return efail(e, "multiplier %u = %lld is outside 0..2^31-2", i,
				     (long long)en->mult[i]);
		if (en->bias[i] < -ENC_BIAS_MAX || en->bias[i] > ENC_BIAS_MAX)
			return efail(e, "bias %u = %lld is outside ±2^40", i, (long long)en->bias[i]);
	}
	return 0;
}

static int check_head_values(struct ectx *e, const struct spk_image *img,
			     const struct spk_image_head *h)
{
	for (uint32_t k = 0; k < img->classes; k++)
		if (h->bias[k] < -HEAD_BIAS_MAX || h->bias[k] > HEAD_BIAS_MAX)
			return efail(e, "bias %u = %lld is outside ±2^46", k, (long long)h->bias[k]);
	return 0;
}

static bool within(uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
	return a0 < a1 && b0 <= a0 && a1 <= b1;
}

static int check_route(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
		       const struct spk_image_route *r)
{
	const struct spk_image_tile *tile = &img->tiles[t], *dst;
	const struct spk_image_piece *dp;

	where_tile(e, img, t, "route", i);
	if (r->dst_tile >= img->n_tiles)
		return efail(e, "destination tile %u out of range (%u tiles)", r->dst_tile,
			     img->n_tiles);
	dst = &img->tiles[r->dst_tile];
	switch (r->kind) {
	case SPK_ROUTE_SPIKE:
	case SPK_ROUTE_MEAN:
		if (tile->kind != SPK_TILE_CORE)
			return efail(e, "a %s tile has no pieces to send from",
				     spk_image_tile_kind_name(tile->kind));
		if (check_pop_ref(e, img, r->source, "source pop",
				  r->kind == SPK_ROUTE_SPIKE ? 0 : 1) < 0)
			return -EINVAL;
		if (r->local >= tile->n_pieces ||
		    tile->pieces[r->local].site != img->pops[r->source].site)
			return efail(e, "local piece %u does not hold site %u of pop %u", r->local,
				     img->pops[r->source].site, r->source);
		if (r->kind == SPK_ROUTE_MEAN && dst->kind != SPK_TILE_READOUT)
			return efail(e, "partial sums go to a %s tile, not a readout",
				     spk_image_tile_kind_name(dst->kind));
		if (r->kind == SPK_ROUTE_SPIKE && dst->kind != SPK_TILE_CORE &&
		    dst->kind != SPK_TILE_ATTENTION)
			return efail(e, "spikes go to a %s tile", spk_image_tile_kind_name(dst->kind));
		return 0;
	case SPK_ROUTE_ATTN:
	case SPK_ROUTE_ENCODER:
		if (r->kind == SPK_ROUTE_ATTN) {
			if (tile->kind != SPK_TILE_ATTENTION || r->local >= tile->n_attn ||
			    tile->attn[r->local].step != r->source)
				return efail(e, "ATTN route from step %u, local op %u: not an op of "
					     "this tile", r->source, r->local);
		} else if (tile->kind != SPK_TILE_ENCODER || tile->encoder == NULL ||
			   tile->encoder->step != r->source) {
			return efail(e, "ENCODER route from step %u: not this tile's encoder",
				     r->source);
		}
		if (dst->kind != SPK_TILE_CORE || r->dst_piece >= dst->n_pieces)
			return efail(e, "destination piece %u is not a piece of tile %u", r->dst_piece,
				     r->dst_tile);
		dp = &dst->pieces[r->dst_piece];
		if (dp->site != img->steps[r->source].dst_site)
			return efail(e, "destination piece holds site %u, step %u writes site %u",
				     dp->site, r->source, img->steps[r->source].dst_site);
		if (!within(r->c0, r->c1, dp->c0, dp->c1) || !within(r->y0, r->y1, dp->y0, dp->y1))
			return efail(e, "block [%u, %u) x [%u, %u) is not inside the destination "
				     "piece", r->c0, r->c1, r->y0, r->y1);
		if (r->kind == SPK_ROUTE_ENCODER &&
		    !(r->c0 >= tile->encoder->c0 && r->c1 <= tile->encoder->c1))
			return efail(e, "channels [%u, %u) are not the encoder's [%u, %u)", r->c0,
				     r->c1, tile->encoder->c0, tile->encoder->c1);
		return 0;
	}
	return efail(e, "kind %u is not 1..4", (unsigned)r->kind);
}

struct rkey {
	uint32_t kind, source, local, dst;
};

static int cmp_rkey(const void *x, const void *y)
{
	const struct rkey *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	if (a->local != b->local)
		return a->local < b->local ? -1 : 1;
	return a->dst < b->dst ? -1 : a->dst > b->dst;
}

/* A spike or partial sum reaches a destination at most once: no two SPIKE or MEAN entries of a
 * tile share (source, local piece, destination tile). */
static int check_duplicates(struct ectx *e, const struct spk_image *img, uint32_t t)
{
	const struct spk_image_tile *tile = &img->tiles[t];
	struct rkey *k = malloc((tile->n_routes + 1) * sizeof(*k));
	uint32_t n = 0;
	int rc = 0;

	if (k == NULL)
		return efail(e, "out of memory");
	for (uint32_t i = 0; i < tile->n_routes; i++) {
		const struct spk_image_route *r = &tile->routes[i];

		if (r->kind == SPK_ROUTE_SPIKE || r->kind == SPK_ROUTE_MEAN)
			k[n++] = (struct rkey){ r->kind, r->source, r->local,
						r->kind == SPK_ROUTE_MEAN ? 0 : r->dst_tile };
	}
	qsort(k, n, sizeof(*k), cmp_rkey);
	for (uint32_t i = 1; i < n && rc == 0; i++)
		if (cmp_rkey(&k[i - 1], &k[i]) == 0) {
			where_tile(e, img, t, NULL, 0);
			rc = efail(e, "two routing entries send pop %u of piece %u to %s %u",
				   k[i].source, k[i].local,
				   k[i].kind == SPK_ROUTE_MEAN ? "a readout, entry kind" : "tile",
				   k[i].kind == SPK_ROUTE_MEAN ? (uint32_t)SPK_ROUTE_MEAN : k[i].dst);
		}
	free(k);
	return rc;
}

/* Checks everything in the tiles (the builder path: the reader checks these as it parses). */
static int check_tiles(struct ectx *e, const struct spk_image *img, bool contents)
{
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tile = &img->tiles[t];

		if (!contents)
			goto routes;
		where_tile(e, img, t, NULL, 0);
		if (tile->kind < SPK_TILE_CORE || tile->kind > SPK_TILE_READOUT)
			return efail(e, "kind %u is not 1..4", (unsigned)tile->kind);
		for (uint32_t i = 0; i < tile->n_pieces; i++) {
			const struct spk_image_piece *p = &tile->pieces[i];

			if (check_piece(e, img, t, i, p) < 0 ||
			    check_thetas(e, p->theta,
					 (size_t)img->n_site_readers[p->site] * (p->c1 - p->c0)) < 0)
				return -EINVAL;
		}
		for (uint32_t i = 0; i < tile->n_projs; i++)
			if (check_proj(e, img, t, i, tile, &tile->projs[i]) < 0)
				return -EINVAL;
		for (uint32_t i = 0; i < tile->n_attn; i++)
			if (check_attn(e, img, t, i, &tile->attn[i]) < 0)
				return -EINVAL;
		if (tile->encoder != NULL && (check_encoder(e, img, t, tile->encoder) < 0 ||
					      check_encoder_values(e, img, tile->encoder) < 0))
			return -EINVAL;
		for (uint32_t i = 0; i < tile->n_means; i++) {
			const struct spk_image_mean *mn = &tile->means[i];

			if (check_mean(e, img, t, i, mn) < 0 ||
			    check_thetas(e, mn->theta, img->pops[mn->pop].neurons) < 0)
				return -EINVAL;
		}
		if (tile->head != NULL && (check_head(e, img, t, tile->head) < 0 ||
					   check_head_values(e, img, tile->head) < 0))
			return -EINVAL;
routes:
		for (uint32_t i = 0; i < tile->n_routes; i++)
			if (check_route(e, img, t, i, &tile->routes[i]) < 0)
				return -EINVAL;
		if (check_duplicates(e, img, t) < 0)
			return -EINVAL;
	}
	e->where[0] = '\0';
	return 0;
}

int spk_image_finish(struct spk_image *img, char *err, size_t errlen)
{
	struct ectx e = { .err = err, .errlen = errlen };

	if (check_arch(&e, img) < 0 || check_network(&e, img) < 0)
		return -EINVAL;
	if (img->n_tiles != img->mesh_x * img->mesh_y)
		return efail(&e, "%u tiles for a %ux%u mesh", img->n_tiles, img->mesh_x,
			     img->mesh_y);
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		img->tiles[t].x = t % img->mesh_x;
		img->tiles[t].y = t / img->mesh_x;
	}
	return check_tiles(&e, img, true);
}

int spk_image_check_arch(const struct spk_image *img, const struct spk_arch *a, char *err,
			 size_t errlen)
{
	for (uint32_t i = 0; i < img->n_arch; i++) {
		const struct spk_arch_param *p = spk_arch_param_find_dotted(img->arch[i].name);
		int64_t have;

		if (p == NULL || p->type != SPK_PARAM_INT) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "the image records arch parameter '%s', which "
					 "this spikechip does not know (a newer image?)",
					 img->arch[i].name);
			return -EINVAL;
		}
		have = *(const int *)((const char *)a + p->offset);
		if (have != img->arch[i].value) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "compiled for [%s] %s = %lld, the architecture "
					 "has %lld", p->section, p->key,
					 (long long)img->arch[i].value, (long long)have);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- writer ---------------------------------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t n, cap;
	bool oom;
};

static void *wgrow(struct wbuf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->cap - b->n < n) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap - b->n < n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->n += n;
	return b->p + b->n - n;
}

static void put_u32(struct wbuf *b, uint32_t v)
{
	uint8_t *p = wgrow(b, 4);

	if (p != NULL)
		spk_le32_put(p, v);
}

static void put_u64(struct wbuf *b, uint64_t v)
{
	uint8_t *p = wgrow(b, 8);

	if (p != NULL)
		spk_le64_put(p, v);
}

static void put_i64(struct wbuf *b, int64_t v)
{
	put_u64(b, (uint64_t)v);
}

static void put_f64(struct wbuf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	put_u64(b, u);
}

static void put_str(struct wbuf *b, const char *s)
{
	size_t n = strlen(s);
	uint8_t *p;

	put_u32(b, (uint32_t)n);
	p = wgrow(b, n);
	if (p != NULL)
		memcpy(p, s, n);
}

static void put_i32s(struct wbuf *b, const int32_t *v, size_t n)
{
	uint8_t *p = wgrow(b, 4 * n);

	if (p != NULL)
		for (size_t i = 0; i < n; i++)
			spk_le32_put(p + 4 * i, (uint32_t)v[i]);
}

static void put_i64s(struct wbuf *b, const int64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_i64(b, v[i]);
}

static void put_weights(struct wbuf *b, const struct spk_image *img, const int16_t *w, size_t n)
{
	size_t wb = wbytes(img);
	uint8_t *p = wgrow(b, wb * n);

	if (p == NULL)
		return;
	if (wb == 1) {
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)(int8_t)w[i];
	} else {
		for (size_t i = 0; i < n; i++) {
			p[2 * i] = (uint8_t)((uint16_t)w[i]);
			p[2 * i + 1] = (uint8_t)((uint16_t)w[i] >> 8);
		}
	}
}

static void put_step(struct wbuf *b, const struct spk_image_step *st)
{
	put_u32(b, (uint32_t)st->type);
	put_str(b, st->name);
	switch (st->type) {
	case SPK_STEP_ENCODER:
		put_u32(b, st->dst_site);
		put_u32(b, st->kernel);
		put_u32(b, st->stride);
		put_u32(b, st->pad);
		break;
	case SPK_STEP_FIRE:
		put_u32(b, st->pop);
		break;
	case SPK_STEP_CONV:
		put_u32(b, st->src_pop);
		put_u32(b, st->dst_site);
		put_u32(b, st->kernel);
		put_u32(b, st->stride);
		put_u32(b, st->pad);
		break;
	case SPK_STEP_ATTN:
		put_u32(b, st->q_pop);
		put_u32(b, st->k_pop);
		put_u32(b, st->v_pop);
		put_u32(b, st->dst_site);
		put_u32(b, st->heads);
		break;
	case SPK_STEP_LINEAR:
		put_u32(b, st->src_pop);
		break;
	}
}

static void put_tile(struct wbuf *b, const struct spk_image *img, const struct spk_image_tile *t)
{
	put_u32(b, (uint32_t)t->kind);
	put_u32(b, t->n_routes);
	for (uint32_t i = 0; i < t->n_routes; i++) {
		const struct spk_image_route *r = &t->routes[i];

		put_u32(b, (uint32_t)r->kind);
		put_u32(b, r->source);
		put_u32(b, r->local);
		put_u32(b, r->dst_tile);
		put_u32(b, r->dst_piece);
		put_u32(b, r->c0);
		put_u32(b, r->c1);
		put_u32(b, r->y0);
		put_u32(b, r->y1);
	}
	switch (t->kind) {
	case SPK_TILE_CORE:
		put_u32(b, t->n_pieces);
		for (uint32_t i = 0; i < t->n_pieces; i++) {
			const struct spk_image_piece *p = &t->pieces[i];

			put_u32(b, p->site);
			put_u32(b, p->c0);
			put_u32(b, p->c1);
			put_u32(b, p->y0);
			put_u32(b, p->y1);
			put_u32(b, p->slot_base);
			put_u32(b, p->slots);
			put_i64s(b, p->theta, (size_t)img->n_site_readers[p->site] * (p->c1 - p->c0));
		}
		put_u32(b, t->n_projs);
		for (uint32_t i = 0; i < t->n_projs; i++) {
			const struct spk_image_proj *pr = &t->projs[i];
			const struct spk_image_step *st = &img->steps[pr->step];
			const struct spk_image_piece *p = &t->pieces[pr->piece];
			size_t g = p->c1 - p->c0;

			put_u32(b, pr->step);
			put_u32(b, pr->piece);
			put_weights(b, img, pr->w, (size_t)st->c_in * st->kernel * st->kernel * g);
			put_i32s(b, pr->bias, g);
		}
		break;
	case SPK_TILE_ATTENTION:
		put_u32(b, t->n_attn);
		for (uint32_t i = 0; i < t->n_attn; i++) {
			put_u32(b, t->attn[i].step);
			put_u32(b, t->attn[i].kv_base);
			put_u32(b, t->attn[i].kv_bytes);
		}
		break;
	case SPK_TILE_ENCODER:
		put_u32(b, t->encoder != NULL);
		if (t->encoder != NULL) {
			const struct spk_image_encoder *en = t->encoder;
			const struct spk_image_step *st = &img->steps[en->step];
			size_t g = en->c1 - en->c0;

			put_u32(b, en->step);
			put_u32(b, en->c0);
			put_u32(b, en->c1);
			put_weights(b, img, en->w, (size_t)st->c_in * st->kernel * st->kernel * g);
			put_i32s(b, en->zero, st->c_in);
			put_i64s(b, en->mult, g);
			put_i64s(b, en->bias, g);
		}
		break;
	case SPK_TILE_READOUT:
		put_u32(b, t->n_means);
		for (uint32_t i = 0; i < t->n_means; i++) {
			const struct spk_image_mean *mn = &t->means[i];

			put_u32(b, mn->pop);
			put_i64s(b, mn->theta, img->sites[img->pops[mn->pop].site].channels);
		}
		put_u32(b, t->head != NULL);
		if (t->head != NULL) {
			const struct spk_image_step *st = &img->steps[t->head->step];

			put_u32(b, t->head->step);
			put_weights(b, img, t->head->w, (size_t)st->c_in * img->classes);
			put_i64s(b, t->head->bias, img->classes);
			put_f64(b, t->head->scale);
		}
		break;
	}
}

static void put_payload(struct wbuf *b, const struct spk_image *img)
{
	put_str(b, img->model_config);
	put_str(b, img->model_dataset);
	put_u32(b, img->model_crc32);
	put_u32(b, img->time_steps);
	put_u32(b, img->in_channels);
	put_u32(b, img->in_height);
	put_u32(b, img->in_width);
	put_u32(b, img->classes);
	put_u32(b, img->n_arch);
	for (uint32_t i = 0; i < img->n_arch; i++) {
		put_str(b, img->arch[i].name);
		put_i64(b, img->arch[i].value);
	}
	put_u32(b, img->seed);
	put_u32(b, img->n_sites);
	put_u32(b, img->n_pops);
	put_u32(b, img->n_steps);
	for (uint32_t i = 0; i < img->n_sites; i++) {
		put_str(b, img->sites[i].name);
		put_u32(b, img->sites[i].channels);
		put_u32(b, img->sites[i].height);
		put_u32(b, img->sites[i].width);
	}
	for (uint32_t i = 0; i < img->n_pops; i++) {
		put_str(b, img->pops[i].name);
		put_u32(b, img->pops[i].site);
		put_u32(b, img->pops[i].kind);
	}
	for (uint32_t i = 0; i < img->n_steps; i++)
		put_step(b, &img->steps[i]);
	put_u32(b, img->n_tiles);
	for (uint32_t t = 0; t < img->n_tiles; t++)
		put_tile(b, img, &img->tiles[t]);
}

/* The envelope (util/container.h). Level 1: weights of random-looking integers gain little
 * from higher levels. */
const struct spk_container spk_image_format = {
	.magic = SPK_IMAGE_MAGIC,
	.version = SPK_IMAGE_VERSION,
	.what = "a chip image",
	.max_raw = SPK_IMAGE_MAX_RAW,
	.max_file = (size_t)SPK_IMAGE_MAX_RAW + (SPK_IMAGE_MAX_RAW >> 4),
	.level = 1,
};

void *spk_image_serialize(const struct spk_image *img, size_t *len, char *err, size_t errlen)
{
	struct wbuf b = { 0 };
	uint8_t *file = NULL;

	put_payload(&b, img);
	if (b.oom)
		snprintf(err, errlen, "out of memory serialising the image");
	else
		file = spk_container_wrap(&spk_image_format, b.p, b.n, len, err, errlen);
	free(b.p);
	return file;
}

int spk_image_write(const struct spk_image *img, const char *path, char *err, size_t errlen)
{
	struct wbuf b = { 0 };
	int rc;

	put_payload(&b, img);
	if (b.oom) {
		snprintf(err, errlen, "%s: out of memory serialising the image", path);
		rc = -ENOMEM;
	} else {
		rc = spk_container_write(&spk_image_format, b.p, b.n, path, err, errlen);
	}
	free(b.p);
	return rc;
}

/* ---- reader ---------------------------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, off;
	struct ectx *e;
};

static int need(struct rd *r, uint64_t bytes, const char *what)
{
	if (r->n - r->off >= bytes)
		return 0;
	return efail(r->e, "payload truncated at byte %zu reading %s (%llu bytes needed, %zu "
		     "left)", r->off, what, (unsigned long long)bytes, r->n - r->off);
}

static int rd_u32(struct rd *r, uint32_t *v, const char *what)
{
	if (need(r, 4, what) < 0)
		return -EINVAL;
	*v = spk_le32_get(r->p + r->off);
	r->off += 4;
	return 0;
}

static int rd_i64(struct rd *r, int64_t *v, const char *what)
{
	uint64_t u;

	if (need(r, 8, what) < 0)
		return -EINVAL;
	u = spk_le64_get(r->p + r->off);
	*v = (int64_t)u;
	r->off += 8;
	return 0;
}

static int rd_f64(struct rd *r, double *v, const char *what)
{
	int64_t u;

	if (rd_i64(r, &u, what) < 0)
		return -EINVAL;
	memcpy(v, &u, sizeof(*v));
	return 0;
}

static int rd_str(struct rd *r, char **out, const char *what)
{
	uint32_t len;
	char *s;

	if (rd_u32(r, &len, what) < 0)
		return -EINVAL;
	if (len > MAX_STR)
		return efail(r->e, "%s is %u bytes long (at most %u)", what, len, MAX_STR);
	if (need(r, len, what) < 0)
		return -EINVAL;
	if (memchr(r->p + r->off, '\0', len) != NULL)
		return efail(r->e, "%s contains a NUL byte", what);
	s = malloc((size_t)len + 1);
	if (s == NULL)
		return efail(r->e, "out of memory");
	memcpy(s, r->p + r->off, len);
	s[len] = '\0';
	r->off += len;
	*out = s;
	return 0;
}

/* A count of records of at least min_bytes each: no more than the bytes left allow. */
static int rd_count(struct rd *r, uint32_t *n, size_t min_bytes, const char *what)
{
	if (rd_u32(r, n, what) < 0)
		return -EINVAL;
	if ((uint64_t)*n * min_bytes > r->n - r->off)
		return efail(r->e, "%s %u needs at least %llu bytes, %zu left", what, *n,
			     (unsigned long long)*n * min_bytes, r->n - r->off);
	return 0;
}

static void *rd_calloc(struct rd *r, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		efail(r->e, "out of memory");
	return p;
}

static int rd_i32s(struct rd *r, int32_t **out, size_t n, const char *what)
{
	if (need(r, 4 * (uint64_t)n, what) < 0)
		return -EINVAL;
	*out = rd_calloc(r, n, sizeof(int32_t));
	if (*out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		(*out)[i] = (int32_t)spk_le32_get(r->p + r->off + 4 * i);
	r->off += 4 * n;
	return 0;
}

static int rd_i64s(struct rd *r, int64_t **out, size_t n, const char *what)
{
	if (need(r, 8 * (uint64_t)n, what) < 0)
		return -EINVAL;
	*out = rd_calloc(r, n, sizeof(int64_t));
	if (*out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		rd_i64(r, &(*out)[i], what);
	return 0;
}

static int rd_weights(struct rd *r, const struct spk_image *img, int16_t **out, uint64_t n,
		      const char *what)
{
	size_t wb = wbytes(img);
	int32_t qmax = (int32_t)((1u << (img->weight_bits - 1)) - 1);
	const uint8_t *p;

	if (need(r, wb * n, what) < 0)
		return -EINVAL;
	*out = rd_calloc(r, (size_t)n, sizeof(int16_t));
	if (*out == NULL)
		return -ENOMEM;
	p = r->p + r->off;
	for (size_t i = 0; i < n; i++) {
		int16_t v = wb == 1 ? (int16_t)(int8_t)p[i] :
			(int16_t)(uint16_t)(p[2 * i] | p[2 * i + 1] << 8);

		if (v > qmax || v < -qmax)
			return efail(r->e, "%s [%zu] = %d is outside ±%d (%d-bit weights)", what, i,
				     v, qmax, img->weight_bits);
		(*out)[i] = v;
	}
	r->off += wb * n;
	return 0;
}

static int rd_step(struct rd *r, struct spk_image_step *st)
{
	uint32_t type, *f[5];
	const char *names[5];
	int n = 0;

	if (rd_u32(r, &type, "type") < 0 || rd_str(r, &st->name, "name") < 0)
		return -EINVAL;
	st->type = (enum spk_step_type)type;
	switch (type) {
	case SPK_STEP_ENCODER:
		f[n] = &st->dst_site; names[n++] = "dst_site";
		f[n] = &st->kernel; names[n++] = "kernel";
		f[n] = &st->stride; names[n++] = "stride";
		f[n] = &st->pad; names[n++] = "pad";
		break;
	case SPK_STEP_FIRE:
		f[n] = &st->pop; names[n++] = "pop";
		break;
	case SPK_STEP_CONV:
		f[n] = &st->src_pop; names[n++] = "src_pop";
		f[n] = &st->dst_site; names[n++] = "dst_site";
		f[n] = &st->kernel; names[n++] = "kernel";
		f[n] = &st->stride; names[n++] = "stride";
		f[n] = &st->pad; names[n++] = "pad";
		break;
	case SPK_STEP_ATTN:
		f[n] = &st->q_pop; names[n++] = "q_pop";
		f[n] = &st->k_pop; names[n++] = "k_pop";
		f[n] = &st->v_pop; names[n++] = "v_pop";
		f[n] = &st->dst_site; names[n++] = "dst_site";
		f[n] = &st->heads; names[n++] = "heads";
		break;
	case SPK_STEP_LINEAR:
		f[n] = &st->src_pop; names[n++] = "src_pop";
		break;
	default:
		return efail(r->e, "type %u is not 1..5", type);
	}
	for (int i = 0; i < n; i++)
		if (rd_u32(r, f[i], names[i]) < 0)
			return -EINVAL;
	return 0;
}

static int rd_core(struct rd *r, struct spk_image *img, uint32_t t, struct spk_image_tile *tile)
{
	if (rd_count(r, &tile->n_pieces, 28, "piece count") < 0)
		return -EINVAL;
	tile->pieces = rd_calloc(r, tile->n_pieces, sizeof(*tile->pieces));
	if (tile->pieces == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_pieces; i++) {
		struct spk_image_piece *p = &tile->pieces[i];

		where_tile(r->e, img, t, "piece", i);
		if (rd_u32(r, &p->site, "site") < 0 || rd_u32(r, &p->c0, "c0") < 0 ||
		    rd_u32(r, &p->c1, "c1") < 0 || rd_u32(r, &p->y0, "y0") < 0 ||
		    rd_u32(r, &p->y1, "y1") < 0 || rd_u32(r, &p->slot_base, "slot_base") < 0 ||
		    rd_u32(r, &p->slots, "slots") < 0)
			return -EINVAL;
		if (check_piece(r->e, img, t, i, p) < 0 ||
		    rd_i64s(r, &p->theta, (size_t)img->n_site_readers[p->site] * (p->c1 - p->c0),
			    "thresholds") < 0 ||
		    check_thetas(r->e, p->theta,
				 (size_t)img->n_site_readers[p->site] * (p->c1 - p->c0)) < 0)
			return -EINVAL;
	}
	where_tile(r->e, img, t, NULL, 0);
	if (rd_count(r, &tile->n_projs, 8, "projection count") < 0)
		return -EINVAL;
	tile->projs = rd_calloc(r, tile->n_projs, sizeof(*tile->projs));
	if (tile->projs == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_projs; i++) {
		struct spk_image_proj *pr = &tile->projs[i];
		const struct spk_image_step *st;
		uint64_t g;

		where_tile(r->e, img, t, "projection", i);
		if (rd_u32(r, &pr->step, "step") < 0 || rd_u32(r, &pr->piece, "piece") < 0 ||
		    check_proj(r->e, img, t, i, tile, pr) < 0)
			return -EINVAL;
		st = &img->steps[pr->step];
		g = tile->pieces[pr->piece].c1 - tile->pieces[pr->piece].c0;
		if (rd_weights(r, img, &pr->w, (uint64_t)st->c_in * st->kernel * st->kernel * g,
			       "weights") < 0 ||
		    rd_i32s(r, &pr->bias, (size_t)g, "biases") < 0)
			return -EINVAL;
	}
	return 0;
}

static int rd_attention(struct rd *r, struct spk_image *img, uint32_t t,
			struct spk_image_tile *tile)
{
	if (rd_count(r, &tile->n_attn, 12, "attention op count") < 0)
		return -EINVAL;
	tile->attn = rd_calloc(r, tile->n_attn, sizeof(*tile->attn));
	if (tile->attn == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_attn; i++) {
		struct spk_image_attn *a = &tile->attn[i];

		where_tile(r->e, img, t, "attention op", i);
		if (rd_u32(r, &a->step, "step") < 0 || rd_u32(r, &a->kv_base, "kv_base") < 0 ||
		    rd_u32(r, &a->kv_bytes, "kv_bytes") < 0 || check_attn(r->e, img, t, i, a) < 0)
			return -EINVAL;
	}
	return 0;
}

static int rd_encoder(struct rd *r, struct spk_image *img, uint32_t t,
		      struct spk_image_tile *tile)
{
	struct spk_image_encoder *en;
	const struct spk_image_step *st;
	uint32_t used;
	uint64_t g;

	if (rd_u32(r, &used, "encoder used flag") < 0)
		return -EINVAL;
	if (used > 1)
		return efail(r->e, "encoder used flag %u is not 0 or 1", used);
	if (!used)
		return 0;
	en = tile->encoder = rd_calloc(r, 1, sizeof(*en));
	if (en == NULL)
		return -ENOMEM;
	where_tile(r->e, img, t, "encoder", 0);
	if (rd_u32(r, &en->step, "step") < 0 || rd_u32(r, &en->c0, "c0") < 0 ||
	    rd_u32(r, &en->c1, "c1") < 0 || check_encoder(r->e, img, t, en) < 0)
		return -EINVAL;
	st = &img->steps[en->step];
	g = en->c1 - en->c0;
	if (rd_weights(r, img, &en->w, (uint64_t)st->c_in * st->kernel * st->kernel * g,
		       "weights") < 0 ||
	    rd_i32s(r, &en->zero, st->c_in, "zero points") < 0 ||
	    rd_i64s(r, &en->mult, (size_t)g, "multipliers") < 0 ||
	    rd_i64s(r, &en->bias, (size_t)g, "biases") < 0)
		return -EINVAL;
	if (check_encoder_values(r->e, img, en) < 0)
		return -EINVAL;
	return 0;
}

static int rd_readout(struct rd *r, struct spk_image *img, uint32_t t,
		      struct spk_image_tile *tile)
{
	uint32_t has_head;

	if (rd_count(r, &tile->n_means, 4, "mean population count") < 0)
		return -EINVAL;
	tile->means = rd_calloc(r, tile->n_means, sizeof(*tile->means));
	if (tile->means == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_means; i++) {
		struct spk_image_mean *mn = &tile->means[i];

		where_tile(r->e, img, t, "mean population", i);
		if (rd_u32(r, &mn->pop, "pop") < 0 || check_mean(r->e, img, t, i, mn) < 0 ||
		    rd_i64s(r, &mn->theta, img->sites[img->pops[mn->pop].site].channels,
			    "thresholds") < 0 ||
		    check_thetas(r->e, mn->theta, img->pops[mn->pop].neurons) < 0)
			return -EINVAL;
	}
	where_tile(r->e, img, t, NULL, 0);
	if (rd_u32(r, &has_head, "head flag") < 0)
		return -EINVAL;
	if (has_head > 1)
		return efail(r->e, "head flag %u is not 0 or 1", has_head);
	if (has_head) {
		struct spk_image_head *h = tile->head = rd_calloc(r, 1, sizeof(*h));

		if (h == NULL)
			return -ENOMEM;
		where_tile(r->e, img, t, "head", 0);
		if (rd_u32(r, &h->step, "step") < 0)
			return -EINVAL;
		if (h->step >= img->n_steps || img->steps[h->step].type != SPK_STEP_LINEAR)
			return efail(r->e, "step %u is not the LINEAR step", h->step);
		if (rd_weights(r, img, &h->w, (uint64_t)img->steps[h->step].c_in * img->classes,
			       "weights") < 0 ||
		    rd_i64s(r, &h->bias, img->classes, "biases") < 0 ||
		    rd_f64(r, &h->scale, "scale") < 0 || check_head(r->e, img, t, h) < 0 ||
		    check_head_values(r->e, img, h) < 0)
			return -EINVAL;
	}
	return 0;
}

static int rd_tile(struct rd *r, struct spk_image *img, uint32_t t)
{
	struct spk_image_tile *tile = &img->tiles[t];
	uint32_t kind;

	where_tile(r->e, img, t, NULL, 0);
	tile->x = t % img->mesh_x;
	tile->y = t / img->mesh_x;
	if (rd_u32(r, &kind, "kind") < 0)
		return -EINVAL;
	if (kind < SPK_TILE_CORE || kind > SPK_TILE_READOUT)
		return efail(r->e, "kind %u is not 1..4", kind);
	tile->kind = (enum spk_tile_kind)kind;
	if (rd_count(r, &tile->n_routes, 36, "route count") < 0)
		return -EINVAL;
	tile->routes = rd_calloc(r, tile->n_routes, sizeof(*tile->routes));
	if (tile->routes == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_routes; i++) {
		struct spk_image_route *rt = &tile->routes[i];
		uint32_t k;

		where_tile(r->e, img, t, "route", i);
		if (rd_u32(r, &k, "kind") < 0 || rd_u32(r, &rt->source, "source") < 0 ||
		    rd_u32(r, &rt->local, "local") < 0 || rd_u32(r, &rt->dst_tile, "dst_tile") < 0 ||
		    rd_u32(r, &rt->dst_piece, "dst_piece") < 0 || rd_u32(r, &rt->c0, "c0") < 0 ||
		    rd_u32(r, &rt->c1, "c1") < 0 || rd_u32(r, &rt->y0, "y0") < 0 ||
		    rd_u32(r, &rt->y1, "y1") < 0)
			return -EINVAL;
		rt->kind = (enum spk_route_kind)k;
	}
	where_tile(r->e, img, t, NULL, 0);
	switch (tile->kind) {
	case SPK_TILE_CORE:
		return rd_core(r, img, t, tile);
	case SPK_TILE_ATTENTION:
		return rd_attention(r, img, t, tile);
	case SPK_TILE_ENCODER:
		return rd_encoder(r, img, t, tile);
	case SPK_TILE_READOUT:
		return rd_readout(r, img, t, tile);
	}
	return -EINVAL;
}

static int rd_payload(struct rd *r, struct spk_image *img)
{
	struct ectx *e = r->e;

	where(e, "model identity");
	if (rd_str(r, &img->model_config, "model config") < 0 ||
	    rd_str(r, &img->model_dataset, "model dataset") < 0 ||
	    rd_u32(r, &img->model_crc32, "model_crc32") < 0 ||
	    rd_u32(r, &img->time_steps, "time_steps") < 0 ||
	    rd_u32(r, &img->in_channels, "in_channels") < 0 ||
	    rd_u32(r, &img->in_height, "in_height") < 0 ||
	    rd_u32(r, &img->in_width, "in_width") < 0 || rd_u32(r, &img->classes, "classes") < 0)
		return -EINVAL;
	where(e, "arch");
	if (rd_count(r, &img->n_arch, 12, "arch parameter count") < 0)
		return -EINVAL;
	if (img->n_arch > SPK_IMAGE_MAX_ARCH)
		return efail(e, "%u arch parameters (at most %u)", img->n_arch, SPK_IMAGE_MAX_ARCH);
	img->arch = rd_calloc(r, img->n_arch, sizeof(*img->arch));
	if (img->arch == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < img->n_arch; i++) {
		where(e, "arch parameter %u", i);
		if (rd_str(r, &img->arch[i].name, "name") < 0 ||
		    rd_i64(r, &img->arch[i].value, "value") < 0)
			return -EINVAL;
	}
	where(e, "network");
	if (rd_u32(r, &img->seed, "seed") < 0 || rd_count(r, &img->n_sites, 16, "site count") < 0)
		return -EINVAL;
	img->sites = rd_calloc(r, img->n_sites, sizeof(*img->sites));
	if (img->sites == NULL || rd_count(r, &img->n_pops, 12, "population count") < 0)
		return -EINVAL;
	img->pops = rd_calloc(r, img->n_pops, sizeof(*img->pops));
	if (img->pops == NULL || rd_count(r, &img->n_steps, 12, "step count") < 0)
		return -EINVAL;
	img->steps = rd_calloc(r, img->n_steps, sizeof(*img->steps));
	if (img->steps == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < img->n_sites; i++) {
		where(e, "site %u", i);
		if (rd_str(r, &img->sites[i].name, "name") < 0 ||
		    rd_u32(r, &img->sites[i].channels, "channels") < 0 ||
		    rd_u32(r, &img->sites[i].height, "height") < 0 ||
		    rd_u32(r, &img->sites[i].width, "width") < 0)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < img->n_pops; i++) {
		where(e, "pop %u", i);
		if (rd_str(r, &img->pops[i].name, "name") < 0 ||
		    rd_u32(r, &img->pops[i].site, "site") < 0 ||
		    rd_u32(r, &img->pops[i].kind, "kind") < 0)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < img->n_steps; i++) {
		where(e, "step %u", i);
		if (rd_step(r, &img->steps[i]) < 0)
			return -EINVAL;
	}
	e->where[0] = '\0';
	if (check_arch(e, img) < 0 || check_network(e, img) < 0)
		return -EINVAL;
	where(e, "tiles");
	if (rd_u32(r, &img->n_tiles, "tile count") < 0)
		return -EINVAL;
	if (img->n_tiles != img->mesh_x * img->mesh_y)
		return efail(e, "%u tiles for the %ux%u mesh the image was compiled for",
			     img->n_tiles, img->mesh_x, img->mesh_y);
	img->tiles = rd_calloc(r, img->n_tiles, sizeof(*img->tiles));
	if (img->tiles == NULL)
		return -ENOMEM;
	for (uint32_t t = 0; t < img->n_tiles; t++)
		if (rd_tile(r, img, t) < 0)
			return -EINVAL;
	e->where[0] = '\0';
	if (r->off != r->n)
		return efail(e, "%zu bytes left over after the last tile (payload byte %zu)",
			     r->n - r->off, r->off);
	return check_tiles(e, img, false);
}

struct spk_image *spk_image_parse(const void *file, size_t len, const char *name, char *err,
				  size_t errlen)
{
	struct ectx e = { .file = name, .err = err, .errlen = errlen };
	struct spk_image *img = NULL;
	uint8_t *raw;
	size_t rawlen;
	struct rd r;

	if (spk_container_unwrap(&spk_image_format, file, len, name, &raw, &rawlen, NULL, err,
				 errlen) < 0)
		return NULL;
	img = spk_image_alloc();
	if (img == NULL) {
		efail(&e, "out of memory");
		goto out_free;
	}
	r = (struct rd){ .p = raw, .n = rawlen, .e = &e };
	if (rd_payload(&r, img) < 0) {
		spk_image_destroy(img);
		img = NULL;
	}
out_free:
	free(raw);
	return img;
}

struct spk_image *spk_image_load(const char *path, char *err, size_t errlen)
{
	struct spk_image *img;
	uint8_t *buf;
	size_t len;

	if (spk_read_file(path, spk_image_format.max_file, spk_image_format.what, &buf, &len, err,
			  errlen) < 0)
		return NULL;
	img = spk_image_parse(buf, len, path, err, errlen);
	free(buf);
	return img;
}
