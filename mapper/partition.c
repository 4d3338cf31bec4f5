/*
 * partition.c — sites -> pieces -> synapse cores; see partition.h.
 *
 * Cutting a site of C channels, H rows, W columns with e neuron slots per element, on cores of
 * N slots and S bytes of synapse memory into B bands:
 *   - the fewest bands: rows per band the most that hold one channel, r = ⌊N / (W·e)⌋ (0: does
 *     not fit), B = ⌈H / r⌉; the auto split may take more (choose_splits(), below); bands are
 *     balanced (⌊b·H/B⌋ .. ⌊(b+1)·H/B⌋);
 *   - channels per piece: g = min(⌊N / (⌈H/B⌉·W·e)⌋, the most whose synapse memory fits S, C);
 *     G = ⌈C / g⌉ groups, balanced the same way.
 * Pieces are listed group by group, band by band, sites in program order (first writer).
 *
 * Packing estimates each piece's routing entries from above (every consumer's destination pieces
 * counted separately), so a core holding several pieces never overflows its table; a piece alone
 * on its core is checked exactly by the route pass.
 */
#include "config.h"

#include "mapper/partition.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t spk_partition_bytes(const struct spk_map *map, uint32_t site, uint32_t g)
{
	const struct spk_map_site *st = &map->sites[site];

	return (g * st->kernel_bits + 7) / 8 + 4 * (uint64_t)g * st->param_words;
}

bool spk_partition_conv_rows(uint32_t y0, uint32_t y1, uint32_t k, uint32_t s, uint32_t p,
			     uint32_t h_out, uint32_t *lo, uint32_t *hi)
{
	/* oy·s − p ≤ y ≤ oy·s − p + k − 1 for some y in [y0, y1) */
	int64_t a = (int64_t)y0 + p - k + 1, b = (int64_t)y1 - 1 + p;
	int64_t l = a <= 0 ? 0 : (a + s - 1) / s, h = b / s;

	if (b < 0)
		return false;
	if (h > (int64_t)h_out - 1)
		h = (int64_t)h_out - 1;
	if (l > h)
		return false;
	*lo = (uint32_t)l;
	*hi = (uint32_t)h;
	return true;
}

bool spk_partition_conv_inrows(uint32_t y0, uint32_t y1, uint32_t k, uint32_t s, uint32_t p,
			       uint32_t h_in, uint32_t *lo, uint32_t *hi)
{
	/* input y reaches output oy when oy·s − p ≤ y ≤ oy·s − p + k − 1 */
	int64_t a = (int64_t)y0 * s - p, b = ((int64_t)y1 - 1) * s - p + k - 1;

	if (a < 0)
		a = 0;
	if (b > (int64_t)h_in - 1)
		b = (int64_t)h_in - 1;
	if (y1 <= y0 || a > b)
		return false;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return true;
}

bool spk_partition_reach(const struct spk_map *map, uint32_t pop, const struct spk_op *op,
			 uint32_t y0, uint32_t y1, uint32_t *lo, uint32_t *hi)
{
	const struct spk_model *m = map->m;
	const uint32_t x = m->pops[pop].site;
	const struct spk_map_site *d = &map->sites[op->dst_site];
	bool any = spk_partition_conv_rows(y0, y1, op->kernel, op->stride, op->pad, op->h_out, lo,
					   hi);

	for (uint32_t r = 0; r < d->n_readers; r++) {
		uint32_t q = d->readers[r];

		for (uint32_t c = 0; c < map->n_pop_consumers[q]; c++) {
			uint32_t pi = map->pop_consumers[q][c];
			const struct spk_op *back = &m->ops[pi];
			uint32_t l, h;

			if (back->type != SPK_OP_CONV || back->dst_site != x ||
			    map->op_reader_before[pi] != pop ||
			    !spk_partition_conv_inrows(y0, y1, back->kernel, back->stride, back->pad,
						       m->sites[op->dst_site].height, &l, &h))
				continue;
			if (!any || l < *lo)
				*lo = l;
			if (!any || h > *hi)
				*hi = h;
			any = true;
		}
	}
	return any;
}

static int add_piece(struct spk_map *map, const struct spk_map_piece *p)
{
	if (map->n_pieces == map->cap_pieces) {
		uint32_t cap = map->cap_pieces ? 2 * map->cap_pieces : 256;
		struct spk_map_piece *n = realloc(map->pieces, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		map->pieces = n;
		map->cap_pieces = cap;
	}
	map->pieces[map->n_pieces++] = *p;
	return 0;
}

/* Checks that one row of one channel fits a core's neuron slots and one channel's kernels its
 * synapse memory (the least any split needs). */
static int check_site(struct spk_map *map, uint32_t s)
{
	const struct spk_site *site = &map->m->sites[s];
	const struct spk_map_site *st = &map->sites[s];
	const uint64_t N = (uint64_t)map->arch.core.neurons;
	const uint64_t S = (uint64_t)map->arch.core.synapse_kib * 1024;
	const uint64_t row = (uint64_t)site->width * st->slots_per_elem;
	char fix[96];

	if (row > N) {
		snprintf(fix, sizeof(fix), "[core] neurons >= %llu", (unsigned long long)row);
		return spk_map_nofit(map, "neurons", "neuron slots", row, N, fix,
				     "layer '%s' (site '%s': one row of one channel, %u columns x "
				     "%u slots per element for its accumulator, %u reader(s)%s)",
				     spk_map_site_layer(map, s), site->name, site->width,
				     st->slots_per_elem, st->n_readers + st->n_means,
				     st->encoder ? " and the encoder's register" : "");
	}
	if (spk_partition_bytes(map, s, 1) > S) {
		uint64_t b = spk_partition_bytes(map, s, 1);

		snprintf(fix, sizeof(fix), "[core] synapse_kib >= %llu",
			 (unsigned long long)((b + 1023) / 1024));
		return spk_map_nofit(map, "synapse memory", "bytes", b, S, fix,
				     "layer '%s' (site '%s': the kernels and parameters of one output "
				     "channel, %u writer(s) at %d-bit weights)",
				     spk_map_site_layer(map, s), site->name, st->n_writers,
				     map->arch.core.weight_bits);
	}
	return 0;
}

/* The most output channels of site s whose synapse memory fits a core (bytes(g) is
 * non-decreasing in g). */
static uint32_t memory_channels(const struct spk_map *map, uint32_t s)
{
	const uint64_t S = (uint64_t)map->arch.core.synapse_kib * 1024;
	uint64_t lo = 1, hi = map->m->sites[s].channels;

	while (lo < hi) {
		uint64_t mid = (lo + hi + 1) / 2;

		if (spk_partition_bytes(map, s, (uint32_t)mid) <= S)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (uint32_t)lo;
}

/* The fewest row bands site s can have: as many rows per band as hold one channel. */
static uint32_t min_bands(const struct spk_map *map, uint32_t s)
{
	const struct spk_site *site = &map->m->sites[s];
	const uint64_t row = (uint64_t)site->width * map->sites[s].slots_per_elem;
	uint64_t rows = (uint64_t)map->arch.core.neurons / row;

	return (uint32_t)((site->height + rows - 1) / rows);
}

/* Channel groups of site s cut into B row bands: as many channels per piece as the neuron slots
 * of a band's rows and the synapse memory allow (gs: memory_channels()). */
static uint32_t split_groups(const struct spk_map *map, uint32_t s, uint32_t B, uint32_t gs)
{
	const struct spk_site *site = &map->m->sites[s];
	const uint64_t row = (uint64_t)site->width * map->sites[s].slots_per_elem;
	uint64_t rows = (site->height + B - 1) / B;
	uint64_t g = (uint64_t)map->arch.core.neurons / (rows * row);

	if (g > gs)
		g = gs;
	if (g > site->channels)
		g = site->channels;
	return (uint32_t)((site->channels + g - 1) / g);
}

static int cut_site(struct spk_map *map, uint32_t s, uint32_t G, uint32_t B)
{
	const struct spk_site *site = &map->m->sites[s];
	struct spk_map_site *st = &map->sites[s];

	st->groups = G;
	st->bands = B;
	st->first_piece = map->n_pieces;
	st->n_pieces = G * B;
	for (uint32_t gi = 0; gi < G; gi++) {
		for (uint32_t b = 0; b < B; b++) {
			struct spk_map_piece p = {
				.site = s,
				.c0 = (uint32_t)((uint64_t)gi * site->channels / G),
				.c1 = (uint32_t)((uint64_t)(gi + 1) * site->channels / G),
				.y0 = (uint32_t)((uint64_t)b * site->height / B),
				.y1 = (uint32_t)((uint64_t)(b + 1) * site->height / B),
				.node = UINT32_MAX,
			};

			p.slots = (uint32_t)(spk_map_piece_elems(map, &p) * st->slots_per_elem);
			p.syn_bytes = spk_partition_bytes(map, s, p.c1 - p.c0);
			if (add_piece(map, &p) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Upper bound on a piece's routing entries: Σ over its readers' consumers of their destinations. */
static uint32_t estimate_routes(const struct spk_map *map, const struct spk_map_piece *p)
{
	const struct spk_map_site *st = &map->sites[p->site];
	uint64_t n = st->n_means;

	for (uint32_t r = 0; r < st->n_readers; r++) {
		uint32_t pop = st->readers[r];

		for (uint32_t c = 0; c < map->n_pop_consumers[pop]; c++) {
			const struct spk_op *op = &map->m->ops[map->pop_consumers[pop][c]];
			const struct spk_map_site *d;
			uint32_t lo, hi;

			if (op->type == SPK_OP_ATTN) {
				n++;
				continue;
			}
			d = &map->sites[op->dst_site];
			if (!spk_partition_reach(map, pop, op, p->y0, p->y1, &lo, &hi))
				continue;
			for (uint32_t k = 0; k < d->n_pieces; k++) {
				const struct spk_map_piece *q = &map->pieces[d->first_piece + k];

				if (q->y0 <= hi && q->y1 > lo)
					n++;
			}
		}
	}
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Program order of sites: by the first op writing them, then by index. */
static bool site_before(const struct spk_map *map, uint32_t x, uint32_t y)
{
	uint32_t fx = map->sites[x].first_op, fy = map->sites[y].first_op;

	return fx != fy ? fx < fy : x < y;
}

/* Insertion sort (site counts are small, and sites come nearly in order). */
static void sort_sites(uint32_t *v, uint32_t n, const struct spk_map *map)
{
	for (uint32_t i = 1; i < n; i++) {
		uint32_t x = v[i], j = i;

		while (j > 0 && site_before(map, x, v[j - 1])) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

struct bin {
	uint64_t slots, bytes, routes;
	uint32_t first_piece;
};

static int pack(struct spk_map *map)
{
	const uint64_t N = (uint64_t)map->arch.core.neurons;
	const uint64_t S = (uint64_t)map->arch.core.synapse_kib * 1024;
	const uint64_t R = (uint64_t)map->arch.core.route_entries;
	struct bin *bins = NULL;
	uint32_t n_bins = 0, cap = 0, *core_of = malloc(map->n_pieces * sizeof(uint32_t));
	int rc = -ENOMEM;

	if (core_of == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < map->n_pieces; i++) {
		const struct spk_map_piece *p = &map->pieces[i];
		uint32_t start = n_bins > SPK_PARTITION_WINDOW ? n_bins - SPK_PARTITION_WINDOW : 0;
		uint32_t b;

		for (b = start; b < n_bins; b++)
			if (bins[b].slots + p->slots <= N && bins[b].bytes + p->syn_bytes <= S &&
			    bins[b].routes + p->est_routes <= R)
				break;
		if (b == n_bins) {
			if (n_bins == cap) {
				struct bin *nb;

				cap = cap ? 2 * cap : 64;
				nb = realloc(bins, cap * sizeof(*nb));
				if (nb == NULL)
					goto out_free;
				bins = nb;
			}
			bins[n_bins++] = (struct bin){ .first_piece = i };
		}
		bins[b].slots += p->slots;
		bins[b].bytes += p->syn_bytes;
		bins[b].routes += p->est_routes;
		core_of[i] = b;
	}
	if (n_bins > map->n_syn) {
		const struct spk_map_piece *p = &map->pieces[bins[map->n_syn].first_piece];
		uint64_t tiles = (uint64_t)n_bins + map->n_attn + map->n_enc + map->n_readout;
		uint32_t side = (uint32_t)ceil(sqrt((double)tiles));
		char fix[320];

		while ((uint64_t)side * side < tiles)
			side++;
		snprintf(fix, sizeof(fix), "[chip] mesh_x x mesh_y >= %llu tiles (e.g. mesh_x = "
			 "mesh_y = %u), or larger cores ([core] neurons, synapse_kib)",
			 (unsigned long long)tiles, side);
		rc = spk_map_nofit(map, "synapse cores (mesh too small)", "synapse cores", n_bins,
				   map->n_syn, fix, "the network (cores run out at layer '%s', site "
				   "'%s')", spk_map_site_layer(map, p->site),
				   map->m->sites[p->site].name);
		goto out_free;
	}
	map->n_cores = n_bins;
	for (uint32_t i = 0; i < map->n_pieces; i++) {
		struct spk_map_piece *p = &map->pieces[i];
		struct spk_map_node *n = &map->nodes[core_of[i]];

		p->node = core_of[i];
		p->local = n->n_items;
		p->slot_base = n->slots;
		if (spk_map_node_add(n, i) < 0)
			goto out_free;
		n->used = true;
		n->slots += p->slots;
		n->bytes += p->syn_bytes;
		if (n->n_items == 1)
			n->order = map->sites[p->site].first_op;
	}
	rc = 0;
out_free:
	free(core_of);
	free(bins);
	return rc;
}

/*
 * Choosing each site's split (map->split == SPK_SPLIT_AUTO).
 *
 * A spike travels once to every node its source piece routes to: the pieces of each consumer's
 * destination site whose rows the convolution of the source piece's rows reaches (route.c), a
 * packet each with source replication. A projection from a site cut into Bs bands (any groups) to
 * one cut into Gd groups x Bd bands therefore sends, per timestep,
 *     rate x channels x width x Σ_bands (rows of the band x destination bands its rows reach) x Gd
 * packets. Cutting both ends into bands that follow the image's rows brings that down to about
 * Gd x (1 + rows a kernel spans / rows per band); cutting only one end does not (a piece holding
 * every row of its channels reaches every band). The choice is made by coordinate descent over
 * the sites, from the fewest bands each needs: every site in turn takes the split that lowers
 * the expected packets of the projections it ends, given its neighbours' (fewer pieces on a
 * tie), as long as the pieces of all sites stay within the synapse cores; rounds repeat until
 * none changes. Bands replicate their channels' kernels (the price, in the report).
 */
struct split_edge {
	uint32_t src, dst;		/* sites */
	uint32_t pop;			/* the population reading src */
	const struct spk_op *op;	/* the CONV it feeds */
	uint64_t w;			/* expected spikes per source row per timestep, x 10^4 */
};

struct split_site {
	uint32_t n, cur;		/* candidate splits, the chosen one */
	uint32_t *G, *B;		/* groups, bands: B ascending */
	uint32_t n_edges, *edges;	/* projections it ends (either side) */
};

/* Row band of row y among B balanced bands of H rows (bands start at ⌊b·H/B⌋). */
static uint32_t band_of(uint32_t y, uint32_t B, uint32_t H)
{
	return (uint32_t)((((uint64_t)y + 1) * B + H - 1) / H - 1);
}

static uint64_t edge_packets(const struct spk_map *map, const struct split_edge *e,
			     uint32_t Bs, uint32_t Bd, uint32_t Gd)
{
	const uint32_t Hs = map->m->sites[e->src].height, Hd = map->m->sites[e->dst].height;
	uint64_t n = 0;

	for (uint32_t b = 0; b < Bs; b++) {
		uint32_t y0 = (uint32_t)((uint64_t)b * Hs / Bs), y1 = (uint32_t)((uint64_t)(b + 1) * Hs / Bs);
		uint32_t lo, hi;

		if (spk_partition_reach(map, e->pop, e->op, y0, y1, &lo, &hi))
			n += (uint64_t)(y1 - y0) * (band_of(hi, Bd, Hd) - band_of(lo, Bd, Hd) + 1);
	}
	return n * Gd * e->w;
}

/* Expected packets of the projections site s ends, with s split by its candidate i. */
static uint64_t site_packets(const struct spk_map *map, const struct split_site *ss,
			     const struct split_edge *edges, uint32_t s, uint32_t i)
{
	const struct split_site *x = &ss[s];
	uint64_t n = 0;

	for (uint32_t k = 0; k < x->n_edges; k++) {
		const struct split_edge *e = &edges[x->edges[k]];
		const struct split_site *a = &ss[e->src], *b = &ss[e->dst];
		uint32_t ia = e->src == s ? i : a->cur, ib = e->dst == s ? i : b->cur;

		n += edge_packets(map, e, a->B[ia], b->B[ib], b->G[ib]);
	}
	return n;
}

/* Candidate splits of site s: for every distinct band count from the least needed to one row
 * per band, the groups it needs. */
static int site_candidates(const struct spk_map *map, uint32_t s, struct split_site *x)
{
	const uint32_t H = map->m->sites[s].height, gs = memory_channels(map, s);
	uint32_t B0 = min_bands(map, s), last = 0;

	x->G = malloc(H * sizeof(*x->G));
	x->B = malloc(H * sizeof(*x->B));
	if (x->G == NULL || x->B == NULL)
		return -ENOMEM;
	for (uint32_t r = (H + B0 - 1) / B0; r >= 1; r--) {
		uint32_t B = (H + r - 1) / r;

		if (B == last)
			continue;
		last = B;
		x->B[x->n] = B;
		x->G[x->n] = split_groups(map, s, B, gs);
		x->n++;
	}
	return 0;
}

static int add_split_edge(struct split_site *ss, struct split_edge **edges, uint32_t *n_edges,
			  const struct split_edge *e)
{
	struct split_edge *ne = realloc(*edges, (*n_edges + 1) * sizeof(*ne));
	uint32_t *a, *b;

	if (ne == NULL)
		return -ENOMEM;
	*edges = ne;
	ne[*n_edges] = *e;
	a = realloc(ss[e->src].edges, (ss[e->src].n_edges + 1) * sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	ss[e->src].edges = a;
	a[ss[e->src].n_edges++] = *n_edges;
	if (e->dst != e->src) {
		b = realloc(ss[e->dst].edges, (ss[e->dst].n_edges + 1) * sizeof(*b));
		if (b == NULL)
			return -ENOMEM;
		ss[e->dst].edges = b;
		b[ss[e->dst].n_edges++] = *n_edges;
	}
	(*n_edges)++;
	return 0;
}

/* Does a CONV take the spikes of population pop to site s? */
static bool conv_feeds(const struct spk_map *map, uint32_t pop, uint32_t s)
{
	for (uint32_t c = 0; c < map->n_pop_consumers[pop]; c++) {
		const struct spk_op *op = &map->m->ops[map->pop_consumers[pop][c]];

		if (op->type == SPK_OP_CONV && op->dst_site == s)
			return true;
	}
	return false;
}

/*
 * Phase causality holds for any bands when a writer's input depends on the last reader before
 * it (r) through one site S that a conv of r writes (spk_partition_reach() routes back), or
 * through an attention unit whose Q, K and V sites are all such (it waits for all of them).
 * Otherwise the writer's site and its input's site keep the fewest bands.
 */
static void pin_unproven(const struct spk_map *map, struct split_site *ss)
{
	const struct spk_model *m = map->m;

	for (uint32_t i = 0; i < m->n_ops; i++) {
		const struct spk_op *op = &m->ops[i];
		uint32_t r = map->op_reader_before[i], s;
		bool ok;

		if (op->type != SPK_OP_CONV || r == UINT32_MAX)
			continue;
		s = m->pops[op->src_pop].site;
		ok = conv_feeds(map, r, s);
		if (!ok && map->sites[s].attn_op != UINT32_MAX) {
			const struct spk_op *at = &m->ops[map->sites[s].attn_op];

			ok = conv_feeds(map, r, m->pops[at->q_pop].site) &&
			     conv_feeds(map, r, m->pops[at->k_pop].site) &&
			     conv_feeds(map, r, m->pops[at->v_pop].site);
		}
		if (!ok) {
			ss[s].n = ss[s].n ? 1 : 0;
			ss[op->dst_site].n = ss[op->dst_site].n ? 1 : 0;
		}
	}
}

/* Chooses every used site's (groups, bands) into G[s], B[s]; sites in program order. */
static int choose_splits(struct spk_map *map, const uint32_t *order, uint32_t n_order,
			 uint32_t *G, uint32_t *B)
{
	const struct spk_model *m = map->m;
	struct split_site *ss = calloc(m->n_sites, sizeof(*ss));
	struct split_edge *edges = NULL;
	uint32_t n_edges = 0;
	uint64_t pieces = 0;
	int rc = -ENOMEM;

	if (ss == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < n_order; k++)
		if (site_candidates(map, order[k], &ss[order[k]]) < 0)
			goto out_free;
	pin_unproven(map, ss);
	for (uint32_t k = 0; k < n_order; k++) {
		uint32_t s = order[k];
		const struct spk_map_site *st = &map->sites[s];

		pieces += (uint64_t)ss[s].G[0] * ss[s].B[0];
		for (uint32_t r = 0; r < st->n_readers; r++) {
			uint32_t pop = st->readers[r];

			for (uint32_t c = 0; c < map->n_pop_consumers[pop]; c++) {
				const struct spk_op *op = &m->ops[map->pop_consumers[pop][c]];
				struct split_edge e = {
					.src = s, .dst = op->dst_site, .pop = pop, .op = op,
					.w = (uint64_t)spk_map_pop_rate(map, pop) * m->sites[s].channels *
					     m->sites[s].width,
				};

				if (op->type == SPK_OP_CONV && ss[e.dst].n > 0 &&
				    add_split_edge(ss, &edges, &n_edges, &e) < 0)
					goto out_free;
			}
		}
	}
	for (uint32_t round = 0; round < 32; round++) {
		bool changed = false;

		for (uint32_t k = 0; k < n_order; k++) {
			uint32_t s = order[k];
			struct split_site *x = &ss[s];
			uint32_t best = x->cur;
			uint64_t best_n = site_packets(map, ss, edges, s, x->cur);
			uint64_t have = (uint64_t)x->G[x->cur] * x->B[x->cur];

			for (uint32_t i = 0; i < x->n; i++) {
				uint64_t n = site_packets(map, ss, edges, s, i);
				uint64_t p = (uint64_t)x->G[i] * x->B[i];
				uint64_t bp = (uint64_t)x->G[best] * x->B[best];

				if (p > have && pieces - have + p > map->n_syn)
					continue;
				if (n < best_n || (n == best_n && p < bp)) {
					best = i;
					best_n = n;
				}
			}
			if (best != x->cur) {
				pieces = pieces - have + (uint64_t)x->G[best] * x->B[best];
				x->cur = best;
				changed = true;
			}
		}
		if (!changed)
			break;
	}
	for (uint32_t k = 0; k < n_order; k++) {
		G[order[k]] = ss[order[k]].G[ss[order[k]].cur];
		B[order[k]] = ss[order[k]].B[ss[order[k]].cur];
	}
	rc = 0;
out_free:
	for (uint32_t s = 0; s < m->n_sites; s++) {
		free(ss[s].G);
		free(ss[s].B);
		free(ss[s].edges);
	}
	free(ss);
	free(edges);
	return rc;
}

/* Cuts the sites (in program order) as G, B say, estimates routes and packs. */
static int cut_and_pack(struct spk_map *map, const uint32_t *order, uint32_t n_order,
			const uint32_t *G, const uint32_t *B)
{
	map->n_pieces = 0;
	for (uint32_t k = 0; k < n_order; k++)
		if (cut_site(map, order[k], G[order[k]], B[order[k]]) < 0)
			return -ENOMEM;
	for (uint32_t i = 0; i < map->n_pieces; i++)
		map->pieces[i].est_routes = estimate_routes(map, &map->pieces[i]);
	return pack(map);
}

int spk_partition_run(struct spk_map *map)
{
	const struct spk_model *m = map->m;
	uint32_t *order = malloc(m->n_sites * sizeof(*order));
	uint32_t *G = calloc(m->n_sites, sizeof(*G)), *B = calloc(m->n_sites, sizeof(*B));
	uint32_t n = 0;
	int rc = -ENOMEM;

	if (order == NULL || G == NULL || B == NULL)
		goto out_free;
	for (uint32_t s = 0; s < m->n_sites; s++) {
		const struct spk_map_site *st = &map->sites[s];

		/* A site nobody writes and nobody reads needs nothing. */
		if (st->first_op == UINT32_MAX && st->n_readers == 0 && st->n_means == 0)
			continue;
		order[n++] = s;
	}
	sort_sites(order, n, map);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t s = order[k];

		rc = check_site(map, s);
		if (rc < 0)
			goto out_free;
		B[s] = min_bands(map, s);
		G[s] = split_groups(map, s, B[s], memory_channels(map, s));
	}
	map->split_chosen = false;
	if (map->split == SPK_SPLIT_AUTO) {
		uint32_t *G1 = malloc(m->n_sites * sizeof(*G1)), *B1 = malloc(m->n_sites * sizeof(*B1));

		rc = G1 != NULL && B1 != NULL ? choose_splits(map, order, n, G1, B1) : -ENOMEM;
		/* The chosen splits, unless their pieces do not pack (then the fewest bands). */
		if (rc == 0)
			rc = cut_and_pack(map, order, n, G1, B1);
		free(G1);
		free(B1);
		if (rc == 0)
			map->split_chosen = true;
		if (rc != -ENOSPC)
			goto out_free;
	}
	rc = cut_and_pack(map, order, n, G, B);
out_free:
	free(order);
	free(G);
	free(B);
	return rc;
}
