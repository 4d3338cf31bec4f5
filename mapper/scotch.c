/*
 * scotch.c — the first placement by Scotch (F. Pellegrini, Inria; Debian libscotch-dev): the
 * nodes and their traffic are Scotch's "process graph", the mesh its "target architecture"
 * (SCOTCH_archMesh2), and SCOTCH_graphMap() minimises Σ edge weight x target distance, the
 * hop-traffic of source replication, by dual recursive bipartitioning (graph and mesh cut in
 * halves together, so heavily communicating nodes end up in the same small region). The target
 * is the smallest centred rectangle of the mesh that holds the used nodes (target_rect()).
 * See place.h for the contract.
 *
 * What Scotch does not promise, this file does: one node per tile. Scotch balances vertex
 * loads over target vertices, which mostly gives one node per tile but may put two on one;
 * those move to the nearest free tile.
 *
 * Determinism: Scotch runs in a context with SCOTCH_OPTIONNUMDETERMINISTIC set and its random
 * generator seeded from map->seed (Debian's build is sequential); the graph's edge weights are
 * integers scaled the same way on every machine. Same map and seed, same placement.
 *
 * SCOTCH_Num is the library's integer (int in Debian's default libscotch): weights are
 * scaled so that their total stays below 2^24, each at least 1.
 */
#include "config.h"

#include "mapper/place.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scotch.h>

#define SCOTCH_WEIGHT_TOTAL 16777216.0	/* 2^24 */
/* Allowed imbalance of vertex loads between target domains: a little slack lets Scotch keep
 * heavy neighbours together (0.05 placed the shipped model best among 0, 0.05, 0.2). */
#define SCOTCH_BALANCE 0.05

/*
 * The target: the smallest centred rectangle of about the mesh's aspect that holds n nodes.
 * Mapping onto the whole mesh would spread a small network over all of it (Scotch balances
 * the load over every target vertex), leaving holes between communicating nodes.
 */
static void target_rect(uint32_t W, uint32_t H, uint32_t n, uint32_t *sw, uint32_t *sh)
{
	uint32_t w = (uint32_t)ceil(sqrt((double)n * W / H)), h;

	w = w < 1 ? 1 : w > W ? W : w;
	h = (n + w - 1) / w;
	h = h < 1 ? 1 : h > H ? H : h;
	while (w * h < n && w < W)
		w++;
	*sw = w;
	*sh = h;
}

/* The free tile nearest (ring order, as place.c) to tile t; occ[tile] != UINT32_MAX is taken. */
static uint32_t nearest_free(uint32_t W, uint32_t H, const uint32_t *occ, uint32_t t)
{
	int32_t x = (int32_t)(t % W), y = (int32_t)(t / W), maxd = (int32_t)(W + H);

	for (int32_t d = 0; d <= maxd; d++)
		for (int32_t dy = -d; dy <= d; dy++) {
			int32_t dx = d - (dy < 0 ? -dy : dy);

			for (int s = 0; s < (dx == 0 ? 1 : 2); s++) {
				int32_t px = x + (s == 0 ? dx : -dx), py = y + dy;
				uint32_t u;

				if (px < 0 || py < 0 || px >= (int32_t)W || py >= (int32_t)H)
					continue;
				u = (uint32_t)py * W + (uint32_t)px;
				if (occ[u] == UINT32_MAX)
					return u;
			}
		}
	return UINT32_MAX;	/* not reached: there are as many tiles as nodes */
}

int spk_place_scotch(const struct spk_map *map, const uint32_t *off, const uint32_t *nb,
		     const uint64_t *w, const uint32_t *used, uint32_t n_used, uint32_t *pos)
{
	const uint32_t W = (uint32_t)map->arch.chip.mesh_x, H = (uint32_t)map->arch.chip.mesh_y;
	const uint32_t N = map->n_nodes;
	uint32_t sw = W, sh = H, ox = 0, oy = 0;
	SCOTCH_Num *vert = NULL, *edge = NULL, *load = NULL, *part = NULL;
	uint32_t *index = NULL, *occ = NULL, n_edges = 0;
	SCOTCH_Graph graph, cgraph;
	SCOTCH_Arch arch;
	SCOTCH_Strat strat;
	SCOTCH_Context ctx;
	double total = 0;
	int rc = -ENOMEM, stage = 0;

	/* the used nodes form the graph (vertex i = used[i]); others are placed afterwards */
	target_rect(W, H, n_used, &sw, &sh);
	ox = (W - sw) / 2;
	oy = (H - sh) / 2;
	index = malloc(N * sizeof(*index));
	occ = malloc(N * sizeof(*occ));
	vert = malloc(((size_t)n_used + 1) * sizeof(*vert));
	part = malloc(((size_t)n_used + 1) * sizeof(*part));
	if (index == NULL || occ == NULL || vert == NULL || part == NULL)
		goto out_free;
	for (uint32_t i = 0; i < N; i++) {
		index[i] = UINT32_MAX;
		occ[i] = pos[i] = UINT32_MAX;
	}
	for (uint32_t i = 0; i < n_used; i++)
		index[used[i]] = i;
	for (uint32_t i = 0; i < n_used; i++)
		for (uint32_t k = off[used[i]]; k < off[used[i] + 1]; k++)
			if (index[nb[k]] != UINT32_MAX) {
				n_edges++;
				total += (double)w[k];
			}
	edge = malloc(((size_t)n_edges + 1) * sizeof(*edge));
	load = malloc(((size_t)n_edges + 1) * sizeof(*load));
	if (edge == NULL || load == NULL)
		goto out_free;
	n_edges = 0;
	for (uint32_t i = 0; i < n_used; i++) {
		vert[i] = (SCOTCH_Num)n_edges;
		for (uint32_t k = off[used[i]]; k < off[used[i] + 1]; k++) {
			double v;

			if (index[nb[k]] == UINT32_MAX)
				continue;
			v = nearbyint((double)w[k] / total * SCOTCH_WEIGHT_TOTAL);
			edge[n_edges] = (SCOTCH_Num)index[nb[k]];
			load[n_edges++] = v < 1 ? 1 : (SCOTCH_Num)v;
		}
	}
	vert[n_used] = (SCOTCH_Num)n_edges;

	rc = -EIO;
	if (SCOTCH_graphInit(&graph) != 0)
		goto out_free;
	stage = 1;
	if (SCOTCH_graphBuild(&graph, 0, (SCOTCH_Num)n_used, vert, NULL, NULL, NULL,
			      (SCOTCH_Num)n_edges, edge, load) != 0)
		goto out_scotch;
	if (SCOTCH_archInit(&arch) != 0)
		goto out_scotch;
	stage = 2;
	if (SCOTCH_archMesh2(&arch, (SCOTCH_Num)sw, (SCOTCH_Num)sh) != 0)
		goto out_scotch;
	if (SCOTCH_stratInit(&strat) != 0)
		goto out_scotch;
	stage = 3;
	if (SCOTCH_stratGraphMapBuild(&strat, SCOTCH_STRATQUALITY, (SCOTCH_Num)(sw * sh),
				      SCOTCH_BALANCE) != 0)
		goto out_scotch;
	if (SCOTCH_contextInit(&ctx) != 0)
		goto out_scotch;
	stage = 4;
	if (SCOTCH_contextOptionSetNum(&ctx, SCOTCH_OPTIONNUMDETERMINISTIC, 1) != 0 ||
	    SCOTCH_contextOptionSetNum(&ctx, SCOTCH_OPTIONNUMRANDOMFIXEDSEED, 1) != 0)
		goto out_scotch;
	SCOTCH_contextRandomSeed(&ctx, (SCOTCH_Num)(map->seed & 0x7fffffff));
	if (SCOTCH_graphInit(&cgraph) != 0)
		goto out_scotch;
	stage = 5;
	if (SCOTCH_contextBindGraph(&ctx, &graph, &cgraph) != 0)
		goto out_scotch;
	if (SCOTCH_graphMap(&cgraph, &arch, &strat, part) != 0)
		goto out_scotch;

	/* one node per tile: a node on a taken tile moves to the nearest free one */
	for (uint32_t i = 0; i < n_used; i++) {
		uint32_t t = (uint32_t)part[i];

		t = t < sw * sh ? (t / sw + oy) * W + t % sw + ox : N;
		if (t >= N || occ[t] != UINT32_MAX)
			t = nearest_free(W, H, occ, t < N ? t : 0);
		pos[used[i]] = t;
		occ[t] = used[i];
	}
	for (uint32_t u = 0, t = 0; u < N; u++) {
		if (pos[u] != UINT32_MAX)
			continue;
		while (occ[t] != UINT32_MAX)
			t++;
		pos[u] = t;
		occ[t] = u;
	}
	rc = 0;
out_scotch:
	switch (stage) {
	case 5: SCOTCH_graphExit(&cgraph); /* fall through */
	case 4: SCOTCH_contextExit(&ctx); /* fall through */
	case 3: SCOTCH_stratExit(&strat); /* fall through */
	case 2: SCOTCH_archExit(&arch); /* fall through */
	case 1: SCOTCH_graphExit(&graph); /* fall through */
	default: break;
	}
out_free:
	free(index);
	free(occ);
	free(vert);
	free(edge);
	free(load);
	free(part);
	return rc;
}
