/*
 * mc.c — tree multicast over a chip image (doc/architecture.md §6, "Multicast groups"): the
 * groups of SPIKE routes one packet serves, derived the same way by the mapper (to check the head
 * flit can carry them) and by the chip top (to program the NoC's group tables), and the
 * head-flit payload check; see image.h (spk_image_mc_groups(), spk_image_check_mc_payload()).
 */
#include "config.h"

#include "image/image.h"
#include "image/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
