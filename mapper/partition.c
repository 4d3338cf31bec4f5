/*
 * partition.c — sites -> pieces -> synapse cores; see partition.h.
 *
 * Cutting a site of C channels, H rows, W columns with e neuron slots per element, on cores of
 * N slots and S bytes of synapse memory:
 *   - rows per band: the most that hold one channel, r = ⌊N / (W·e)⌋ (0: does not fit);
 *     B = ⌈H / r⌉ bands, balanced (⌊b·H/B⌋ .. ⌊(b+1)·H/B⌋);
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

static int cut_site(struct spk_map *map, uint32_t s)
{
	const struct spk_site *site = &map->m->sites[s];
	struct spk_map_site *st = &map->sites[s];
	const uint64_t N = (uint64_t)map->arch.core.neurons;
	const uint64_t S = (uint64_t)map->arch.core.synapse_kib * 1024;
	const uint64_t row = (uint64_t)site->width * st->slots_per_elem;
	uint64_t rows, gn, gs, g, lo, hi;
	uint32_t B, G;
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
	rows = N / row;
	B = (uint32_t)((site->height + rows - 1) / rows);
	rows = (site->height + B - 1) / B;
	gn = N / (rows * row);
	/* the most channels whose synapse memory fits: bytes(g) is non-decreasing in g */
	lo = 1;
	hi = site->channels;
	while (lo < hi) {
		uint64_t mid = (lo + hi + 1) / 2;

		if (spk_partition_bytes(map, s, (uint32_t)mid) <= S)
			lo = mid;
		else
			hi = mid - 1;
	}
	gs = lo;
	g = gn < gs ? gn : gs;
	if (g > site->channels)
		g = site->channels;
	G = (uint32_t)((site->channels + g - 1) / g);
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
			if (!spk_partition_conv_rows(p->y0, p->y1, op->kernel, op->stride, op->pad,
						     op->h_out, &lo, &hi))
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

int spk_partition_run(struct spk_map *map)
{
	const struct spk_model *m = map->m;
	uint32_t *order = malloc(m->n_sites * sizeof(*order));
	int rc = 0;

	if (order == NULL)
		return -ENOMEM;
	for (uint32_t s = 0; s < m->n_sites; s++)
		order[s] = s;
	sort_sites(order, m->n_sites, map);
	for (uint32_t k = 0; k < m->n_sites && rc == 0; k++) {
		const struct spk_map_site *st = &map->sites[order[k]];

		/* A site nobody writes and nobody reads needs nothing. */
		if (st->first_op == UINT32_MAX && st->n_readers == 0 && st->n_means == 0)
			continue;
		rc = cut_site(map, order[k]);
	}
	free(order);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < map->n_pieces; i++)
		map->pieces[i].est_routes = estimate_routes(map, &map->pieces[i]);
	return pack(map);
}
