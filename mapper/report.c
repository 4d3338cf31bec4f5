/*
 * report.c — the mapping report; see report.h.
 *
 * Layer groups for the mesh map: a site's name up to its block ("block3.2", "ConvBlock1_1.0",
 * "downsample2"), numbered in program order and drawn as 0-9a-z (cycling). Attention units are
 * 'A', encoders 'E', the readout 'R', idle synapse cores '.', idle units ':'.
 *
 * Link loads: every routing entry's events follow its XY path (x first, then y) with source
 * replication, adding to each directed link on the way.
 */
#include "config.h"

#include "mapper/report.h"
#include "mapper/partition.h"
#include "mapper/place.h"
#include "mapper/traffic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char symbols[] = "0123456789abcdefghijklmnopqrstuvwxyz";

enum { DIR_E, DIR_W, DIR_N, DIR_S };

struct totals {
	uint32_t tiles_used, cores_used, attn_used, enc_used, readout_used;
	uint64_t slots, slots_total, syn, syn_total, routes, route_max, kv, kv_total;
	uint64_t neurons;
	uint64_t axons_max;		/* the most source neurons whose spikes reach one tile */
};

/* Source neurons whose spikes can reach each node (a[n_nodes], zeroed): Σ over SPIKE entries
 * into it of the sending piece's block. A destination-indexed axon needs that many ids. */
static void axons_in(const struct spk_map *map, uint64_t *a)
{
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		const struct spk_map_node *n = &map->nodes[i];

		for (uint32_t k = 0; k < n->n_routes; k++) {
			const struct spk_map_route *r = &map->routes[n->first_route + k];

			if (r->kind == SPK_ROUTE_SPIKE)
				a[r->dst] += spk_map_piece_elems(map, &map->pieces[n->items[r->local]]);
		}
	}
}

/* The totals; axons is axons_in()'s. */
static void get_totals(const struct spk_map *map, const uint64_t *axons, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		const struct spk_map_node *n = &map->nodes[i];

		if (n->used)
			t->tiles_used++;
		t->routes += n->n_routes;
		if (n->n_routes > t->route_max)
			t->route_max = n->n_routes;
		switch (n->kind) {
		case SPK_TILE_CORE:
			t->cores_used += n->used;
			t->slots += n->slots;
			t->syn += n->bytes;
			break;
		case SPK_TILE_ATTENTION:
			t->attn_used += n->used;
			t->kv += n->bytes;
			break;
		case SPK_TILE_ENCODER:
			t->enc_used += n->used;
			break;
		case SPK_TILE_READOUT:
			t->readout_used += n->used;
			break;
		}
	}
	t->slots_total = (uint64_t)map->n_syn * map->arch.core.neurons;
	t->syn_total = (uint64_t)map->n_syn * map->arch.core.synapse_kib * 1024;
	t->kv_total = (uint64_t)map->n_attn * map->arch.attention.kv_kib * 1024;
	for (uint32_t p = 0; p < map->m->n_pops; p++)
		t->neurons += spk_model_pop_neurons(map->m, p);
	for (uint32_t i = 0; i < map->n_nodes; i++)
		if (axons[i] > t->axons_max)
			t->axons_max = axons[i];
}

/* Length of a site name's group prefix. */
static size_t group_len(const char *name)
{
	const char *dot = strchr(name, '.'), *q;

	if (dot == NULL)
		return strlen(name);
	for (q = dot + 1; *q >= '0' && *q <= '9'; q++)
		;
	if (q > dot + 1 && (*q == '.' || *q == '\0'))
		return (size_t)(q - name);
	return (size_t)(dot - name);
}

/* Group index of every used core ([n_nodes], UINT32_MAX for others); returns the group count
 * and fills names[g] with the first site of each group (up to max groups tracked). */
static uint32_t core_groups(const struct spk_map *map, uint32_t *group, const char **names,
			    uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < map->n_nodes; i++) {
		const struct spk_map_node *nd = &map->nodes[i];
		const char *name;
		size_t len;
		uint32_t g;

		group[i] = UINT32_MAX;
		if (nd->kind != SPK_TILE_CORE || !nd->used)
			continue;
		name = map->m->sites[map->pieces[nd->items[0]].site].name;
		len = group_len(name);
		for (g = 0; g < n && g < max; g++)
			if (strlen(names[g]) >= len && group_len(names[g]) == len &&
			    strncmp(names[g], name, len) == 0)
				break;
		if (g == n || g == max) {
			if (n < max)
				names[n] = name;
			g = n++;
		}
		group[i] = g;
	}
	return n;
}

/* The ASCII map: mesh_y rows of mesh_x symbols, row y at rows + y·(mesh_x + 1), each ended by
 * a NUL; group is core_groups()'s. */
static void mesh_rows(const struct spk_map *map, const uint32_t *group, char *rows)
{
	const uint32_t W = (uint32_t)map->arch.chip.mesh_x, H = (uint32_t)map->arch.chip.mesh_y;

	for (uint32_t y = 0; y < H; y++) {
		for (uint32_t x = 0; x < W; x++) {
			uint32_t node = map->tile_node[y * W + x];
			const struct spk_map_node *n = &map->nodes[node];
			char c;

			switch (n->kind) {
			case SPK_TILE_CORE:
				c = n->used ? symbols[group[node] % (sizeof(symbols) - 1)] : '.';
				break;
			case SPK_TILE_ATTENTION:
				c = n->used ? 'A' : ':';
				break;
			case SPK_TILE_ENCODER:
				c = n->used ? 'E' : ':';
				break;
			default:
				c = n->used ? 'R' : ':';
				break;
			}
			rows[(size_t)y * (W + 1) + x] = c;
		}
		rows[(size_t)y * (W + 1) + W] = '\0';
	}
}

/* Adds `v` to every directed link of the XY path from tile a to tile b. */
static void add_path(double *links, uint32_t W, uint32_t a, uint32_t b, double v)
{
	uint32_t x = a % W, y = a / W, bx = b % W, by = b / W;

	while (x != bx) {
		uint32_t t = y * W + x;

		links[4 * t + (bx > x ? DIR_E : DIR_W)] += v;
		x = bx > x ? x + 1 : x - 1;
	}
	while (y != by) {
		uint32_t t = y * W + x;

		links[4 * t + (by > y ? DIR_S : DIR_N)] += v;
		y = by > y ? y + 1 : y - 1;
	}
}

/* Expected (events per timestep) and measured (per image) link loads: [4·tiles] each. */
static void link_loads(const struct spk_map *map, const struct spk_map_report_info *info,
		       double *expected, double *measured)
{
	const uint32_t W = (uint32_t)map->arch.chip.mesh_x;

	for (uint32_t i = 0; i < map->n_nodes; i++) {
		const struct spk_map_node *n = &map->nodes[i];

		for (uint32_t k = 0; k < n->n_routes; k++) {
			const struct spk_map_route *r = &map->routes[n->first_route + k];
			uint32_t dst = map->nodes[r->dst].tile;

			add_path(expected, W, n->tile, dst, (double)r->weight / SPK_MAP_WEIGHT_UNIT);
			if (measured != NULL && info->exec != NULL && info->verify_images > 0)
				add_path(measured, W, n->tile, dst,
					 (double)spk_exec_route_events(info->exec, n->tile, k) /
					 info->verify_images);
		}
	}
}

/*
 * What a report computes before it writes a byte. Everything is allocated here, up front, so a
 * report is written whole or not at all: an allocation that fails is an error the caller
 * reports (no section is silently left out).
 */
enum { PL_FINAL, PL_INITIAL, PL_RANDOM, PL_N };
static const char *const pl_key[PL_N] = { "final", "initial", "random" };
static const char *const pl_text[PL_N] = { "final", "before swaps", "random" };

struct scratch {
	struct spk_traffic tr;		/* expected traffic, per placement: */
	uint32_t *pos[PL_N];		/* [n_nodes] node -> tile */
	struct spk_traffic_stats chip[PL_N];
	struct spk_traffic_stats *layers[PL_N];	/* [tr.n_layers] */
	double *expected, *measured;	/* [4·n_nodes] link loads (link_loads()) */
	uint32_t *group;		/* [n_nodes] core_groups() */
	const char **names;		/* [n_nodes] */
	uint32_t n_groups;
	char *mesh;			/* mesh_rows() */
	uint64_t *axons;		/* [n_nodes] axons_in() */
};

static void scratch_fini(struct scratch *sc)
{
	for (int k = 0; k < PL_N; k++) {
		free(sc->pos[k]);
		free(sc->layers[k]);
	}
	spk_traffic_fini(&sc->tr);
	free(sc->expected);
	free(sc->measured);
	free(sc->group);
	free(sc->names);
	free(sc->mesh);
	free(sc->axons);
}

static int scratch_init(struct scratch *sc, const struct spk_map *map,
			const struct spk_map_report_info *info)
{
	const size_t n = map->n_nodes;
	const size_t W = (size_t)map->arch.chip.mesh_x, H = (size_t)map->arch.chip.mesh_y;

	memset(sc, 0, sizeof(*sc));
	sc->expected = calloc(4 * n, sizeof(*sc->expected));
	sc->measured = calloc(4 * n, sizeof(*sc->measured));
	sc->group = malloc(n * sizeof(*sc->group));
	sc->names = malloc(n * sizeof(*sc->names));
	sc->mesh = malloc(H * (W + 1));
	sc->axons = calloc(n, sizeof(*sc->axons));
	if (spk_traffic_init(&sc->tr, map, map->tree) < 0)
		goto out_nomem;
	for (int k = 0; k < PL_N; k++) {
		sc->pos[k] = malloc((n + 1) * sizeof(*sc->pos[k]));
		sc->layers[k] = calloc(sc->tr.n_layers + 1, sizeof(*sc->layers[k]));
		if (sc->pos[k] == NULL || sc->layers[k] == NULL)
			goto out_nomem;
	}
	if (sc->expected == NULL || sc->measured == NULL || sc->group == NULL ||
	    sc->names == NULL || sc->mesh == NULL || sc->axons == NULL)
		goto out_nomem;
	for (size_t i = 0; i < n; i++)
		sc->pos[PL_FINAL][i] = map->nodes[i].tile;
	memcpy(sc->pos[PL_INITIAL], map->tile_initial, n * sizeof(*map->tile_initial));
	spk_place_random(map, sc->pos[PL_RANDOM]);
	for (int k = 0; k < PL_N; k++)
		if (spk_traffic_measure(&sc->tr, sc->pos[k], &sc->chip[k], sc->layers[k]) < 0)
			goto out_nomem;
	link_loads(map, info, sc->expected, sc->measured);
	sc->n_groups = core_groups(map, sc->group, sc->names, map->n_nodes);
	mesh_rows(map, sc->group, sc->mesh);
	axons_in(map, sc->axons);
	return 0;
out_nomem:
	scratch_fini(sc);
	return -ENOMEM;
}

static void link_end(uint32_t W, uint32_t t, int dir, uint32_t *x, uint32_t *y)
{
	*x = t % W;
	*y = t / W;
	switch (dir) {
	case DIR_E: (*x)++; break;
	case DIR_W: (*x)--; break;
	case DIR_N: (*y)--; break;
	default: (*y)++; break;
	}
}

static const char *dir_name(int d)
{
	return d == DIR_E ? "E" : d == DIR_W ? "W" : d == DIR_N ? "N" : "S";
}

/* Per population: distinct cores of its site, its routing entries. */
static void pop_usage(const struct spk_map *map, uint32_t p, uint32_t *cores, uint32_t *routes)
{
	const struct spk_map_site *st = &map->sites[map->m->pops[p].site];
	uint32_t n = 0;

	*cores = 0;
	for (uint32_t k = 0; k < st->n_pieces; k++) {
		uint32_t node = map->pieces[st->first_piece + k].node;
		bool seen = false;

		for (uint32_t j = 0; j < k; j++)
			if (map->pieces[st->first_piece + j].node == node)
				seen = true;
		*cores += !seen;
	}
	for (uint32_t k = 0; k < map->n_routes; k++) {
		const struct spk_map_route *r = &map->routes[k];

		if ((r->kind == SPK_ROUTE_SPIKE || r->kind == SPK_ROUTE_MEAN) && r->source == p)
			n++;
	}
	*routes = n;
}

static uint64_t site_syn_bytes(const struct spk_map *map, uint32_t s)
{
	const struct spk_map_site *st = &map->sites[s];
	uint64_t b = 0;

	for (uint32_t k = 0; k < st->n_pieces; k++)
		b += map->pieces[st->first_piece + k].syn_bytes;
	return b;
}

static double pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0;
}

static void human(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.3gG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else
		snprintf(buf, len, "%.4g", v);
}

static void print_links(FILE *f, const struct spk_map *map, const double *load,
			const char *what)
{
	const uint32_t W = (uint32_t)map->arch.chip.mesh_x, L = 4 * map->n_nodes;
	uint32_t top[10], n_top = 0, used = 0;
	double sum = 0, max = 0;

	for (uint32_t l = 0; l < L; l++) {
		if (load[l] <= 0)
			continue;
		used++;
		sum += load[l];
		if (load[l] > max)
			max = load[l];
		/* keep the 10 largest, larger first, lower index first among equals */
		if (n_top < 10 || load[l] > load[top[n_top - 1]]) {
			uint32_t k = n_top < 10 ? n_top++ : 9;

			while (k > 0 && load[top[k - 1]] < load[l]) {
				top[k] = top[k - 1];
				k--;
			}
			top[k] = l;
		}
	}
	fprintf(f, "%s: %u links carry traffic, %.4g events in total, mean %.4g, max %.4g\n",
		what, used, sum, used ? sum / used : 0, max);
	for (uint32_t k = 0; k < n_top; k++) {
		uint32_t t = top[k] / 4, x2, y2;
		int d = (int)(top[k] % 4);

		link_end(W, t, d, &x2, &y2);
		fprintf(f, "  (%u,%u) -> (%u,%u) %s  %.4g\n", t % W, t / W, x2, y2, dir_name(d),
			load[top[k]]);
	}
}

static void describe_node(FILE *f, const struct spk_map *map, const struct spk_map_node *n)
{
	switch (n->kind) {
	case SPK_TILE_CORE:
		for (uint32_t k = 0; k < n->n_items; k++) {
			const struct spk_map_piece *p = &map->pieces[n->items[k]];

			fprintf(f, "%s%s[c%u..%u,y%u..%u]", k ? " " : "",
				map->m->sites[p->site].name, p->c0, p->c1 - 1, p->y0, p->y1 - 1);
		}
		break;
	case SPK_TILE_ATTENTION:
		for (uint32_t k = 0; k < n->n_items; k++)
			fprintf(f, "%s%s", k ? " " : "", map->m->ops[n->items[k]].name);
		break;
	case SPK_TILE_ENCODER:
		if (n->used)
			fprintf(f, "%s[c%u..%u]", map->m->ops[0].name, n->c0, n->c1 - 1);
		break;
	case SPK_TILE_READOUT:
		if (n->used)
			fprintf(f, "mean populations and %s", map->m->ops[map->m->n_ops - 1].name);
		break;
	}
}

static const char *placer_name(enum spk_map_placer p)
{
	return p == SPK_PLACER_SCOTCH ? "scotch" : "greedy";
}

static const char *split_name(enum spk_map_split s)
{
	return s == SPK_SPLIT_AUTO ? "auto" : "channels";
}

/* Synapse bytes beyond one copy of the site's kernels: what its row bands replicate. */
static uint64_t site_replicated_bytes(const struct spk_map *map, uint32_t s)
{
	uint64_t all = site_syn_bytes(map, s);
	uint64_t one = spk_partition_bytes(map, s, map->m->sites[s].channels);

	return all > one ? all - one : 0;
}

static const char *cost_name(enum spk_map_cost c)
{
	return c == SPK_COST_MAXLINK ? "maxlink" : c == SPK_COST_TREE ? "tree" : "sum";
}

static double per_image(const struct spk_map *map, uint64_t w)
{
	return (double)w * map->m->time_steps / SPK_MAP_WEIGHT_UNIT;
}

static double hops_per_packet(const struct spk_traffic_stats *s)
{
	return s->packets ? (double)s->hop_traffic / (double)s->packets : 0;
}

/* "load (x1,y1)->(x2,y2)" of the busiest link, or "-". */
static void busiest(char *buf, size_t len, const struct scratch *sc, const struct spk_map *map,
		    const struct spk_traffic_stats *s)
{
	uint32_t x1, y1, x2, y2;

	if (s->max_link_id == UINT32_MAX) {
		snprintf(buf, len, "-");
		return;
	}
	spk_traffic_link_ends(&sc->tr, s->max_link_id, &x1, &y1, &x2, &y2);
	snprintf(buf, len, "%.4g (%u,%u)->(%u,%u)", per_image(map, s->max_link), x1, y1, x2, y2);
}

/* The expected traffic: whole chip for the three placements, then per layer. */
static void print_traffic(FILE *f, const struct spk_map *map,
			  const struct spk_map_report_info *info, const struct scratch *sc)
{
	char b1[64];

	fprintf(f, "\nexpected traffic per image (split %s, placer %s, cost %s, %s multicast; "
		"firing rates ", split_name(map->split_chosen ? SPK_SPLIT_AUTO : SPK_SPLIT_CHANNELS),
		placer_name(map->placer), cost_name(map->cost_kind), map->tree ? "tree" : "source");
	if (info->profile_path != NULL)
		fprintf(f, "from %s)\n", info->profile_path);
	else
		fprintf(f, "assumed %u %%)\n", SPK_MAP_RATE_BP / 100);
	fprintf(f, "  %-14s %12s %12s %12s %12s  %s\n", "placement", "packets", "deliveries",
		"hops/packet", "hop-traffic", "busiest link (load, tiles)");
	for (int k = 0; k < PL_N; k++) {
		const struct spk_traffic_stats *s = &sc->chip[k];

		busiest(b1, sizeof(b1), sc, map, s);
		fprintf(f, "  %-14s %12.4g %12.4g %12.3f %12.4g  %s\n", pl_text[k],
			per_image(map, s->packets), per_image(map, s->deliveries),
			hops_per_packet(s), per_image(map, s->hop_traffic), b1);
	}
	fprintf(f, "per layer (final placement; hops/packet also before swaps and random)\n");
	fprintf(f, "  %-40s %10s %8s %8s %8s %11s  %s\n", "layer", "packets", "hops/pk",
		"(before)", "(random)", "hop-traffic", "busiest link");
	for (uint32_t l = 0; l < sc->tr.n_layers; l++) {
		const struct spk_traffic_stats *s = &sc->layers[PL_FINAL][l];

		if (s->deliveries == 0)
			continue;
		busiest(b1, sizeof(b1), sc, map, s);
		fprintf(f, "  %-40.40s %10.4g %8.2f %8.2f %8.2f %11.4g  %s\n",
			spk_traffic_layer_name(&sc->tr, l), per_image(map, s->packets),
			hops_per_packet(s), hops_per_packet(&sc->layers[PL_INITIAL][l]),
			hops_per_packet(&sc->layers[PL_RANDOM][l]), per_image(map, s->hop_traffic),
			b1);
	}
}

/* One placement's figures as a JSON object (per image). */
static void json_traffic(struct spk_jsonw *j, const struct spk_map *map, const struct scratch *sc,
			 const struct spk_traffic_stats *s)
{
	uint32_t x1, y1, x2, y2;

	spk_jsonw_object(j);
	spk_jsonw_key_real(j, "packets_per_image", per_image(map, s->packets));
	spk_jsonw_key_real(j, "deliveries_per_image", per_image(map, s->deliveries));
	spk_jsonw_key_real(j, "hops_per_packet", hops_per_packet(s));
	spk_jsonw_key_real(j, "hop_traffic_per_image", per_image(map, s->hop_traffic));
	spk_jsonw_key(j, "busiest_link");
	if (s->max_link_id == UINT32_MAX) {
		spk_jsonw_null(j);
	} else {
		spk_traffic_link_ends(&sc->tr, s->max_link_id, &x1, &y1, &x2, &y2);
		spk_jsonw_object(j);
		spk_jsonw_key(j, "from");
		spk_jsonw_array_inline(j);
		spk_jsonw_uint(j, x1);
		spk_jsonw_uint(j, y1);
		spk_jsonw_end(j);
		spk_jsonw_key(j, "to");
		spk_jsonw_array_inline(j);
		spk_jsonw_uint(j, x2);
		spk_jsonw_uint(j, y2);
		spk_jsonw_end(j);
		spk_jsonw_key_real(j, "packets_per_image", per_image(map, s->max_link));
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
}

static void json_traffic_section(struct spk_jsonw *j, const struct spk_map *map,
				 const struct scratch *sc)
{
	spk_jsonw_key(j, "traffic");
	spk_jsonw_object(j);
	for (int k = 0; k < PL_N; k++) {
		spk_jsonw_key(j, pl_key[k]);
		json_traffic(j, map, sc, &sc->chip[k]);
	}
	spk_jsonw_key(j, "layers");
	spk_jsonw_array(j);
	for (uint32_t l = 0; l < sc->tr.n_layers; l++) {
		if (sc->layers[PL_FINAL][l].deliveries == 0)
			continue;
		spk_jsonw_object(j);
		spk_jsonw_key_str(j, "name", spk_traffic_layer_name(&sc->tr, l));
		spk_jsonw_key_str(j, "kind", l < map->m->n_pops ? "population" : "op");
		for (int k = 0; k < PL_N; k++) {
			spk_jsonw_key(j, pl_key[k]);
			json_traffic(j, map, sc, &sc->layers[k][l]);
		}
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_end(j);
}

int spk_map_report_text(FILE *f, const struct spk_map *map,
			const struct spk_map_report_info *info)
{
	const struct spk_model *m = map->m;
	const struct spk_arch *a = &map->arch;
	const uint32_t W = (uint32_t)a->chip.mesh_x, H = (uint32_t)a->chip.mesh_y;
	struct totals t;
	struct scratch sc;
	char b1[32], b2[32];

	if (scratch_init(&sc, map, info) < 0)
		return -ENOMEM;
	get_totals(map, sc.axons, &t);
	fprintf(f, "spikechip map: %s onto %s -> %s (seed %u)\n", info->model_path,
		info->arch_path, info->image_path != NULL ? info->image_path : "(no image)",
		map->seed);
	fprintf(f, "model      config '%s', T %u, %u populations, %u operations, %llu neurons\n",
		m->config, m->time_steps, m->n_pops, m->n_ops, (unsigned long long)t.neurons);
	fprintf(f, "chip       %ux%u mesh: %u synapse cores (%d neurons, %d KiB, %d routes each), "
		"%u attention, %u encoder, %u readout\n", W, H, map->n_syn, a->core.neurons,
		a->core.synapse_kib, a->core.route_entries, map->n_attn, map->n_enc,
		map->n_readout);
	fprintf(f, "tiles      %u of %u used: synapse cores %u of %u, attention %u of %u, "
		"encoder %u of %u, readout %u of %u\n", t.tiles_used, map->n_nodes, t.cores_used,
		map->n_syn, t.attn_used, map->n_attn, t.enc_used, map->n_enc, t.readout_used,
		map->n_readout);
	human(b1, sizeof(b1), (double)t.slots);
	human(b2, sizeof(b2), (double)t.slots_total);
	fprintf(f, "neurons    %llu mapped; neuron slots %s of %s (%.1f %%), %u pieces\n",
		(unsigned long long)t.neurons, b1, b2, pct(t.slots, t.slots_total), map->n_pieces);
	fprintf(f, "synapses   %.2f MiB of %.2f MiB (%.1f %%) at %d-bit weights\n",
		(double)t.syn / 1048576.0, (double)t.syn_total / 1048576.0, pct(t.syn, t.syn_total),
		a->core.weight_bits);
	fprintf(f, "KV memory  %llu of %llu bytes (%.1f %%)\n", (unsigned long long)t.kv,
		(unsigned long long)t.kv_total, pct(t.kv, t.kv_total));
	fprintf(f, "routes     %llu entries, at most %llu on a tile (table size %d); at most %llu "
		"source neurons send to one tile\n", (unsigned long long)t.routes,
		(unsigned long long)t.route_max, a->core.route_entries,
		(unsigned long long)t.axons_max);
	fprintf(f, "placement  hop-weighted expected traffic %.4g -> %.4g events x hops per "
		"timestep after %llu improving swaps\n",
		(double)map->cost_constructive / SPK_MAP_WEIGHT_UNIT,
		(double)map->cost / SPK_MAP_WEIGHT_UNIT, (unsigned long long)map->place_moves);
	fprintf(f, "time       mapping %.3f s; image %zu bytes\n", info->map_seconds,
		info->image_bytes);
	print_traffic(f, map, info, &sc);

	fprintf(f, "\npopulations (synapse memory is that of the kernels writing the site it reads; "
		"* = a stream shared with other readers; split: channel groups x row bands, each band\n"
		"a copy of its channels' kernels, the copies' bytes beside)\n");
	fprintf(f, "%4s  %-42s %9s %7s %6s %12s %7s %9s %12s\n", "#", "name", "neurons", "pieces",
		"cores", "synapse B", "routes", "split", "copies B");
	for (uint32_t p = 0; p < m->n_pops; p++) {
		const uint32_t s = m->pops[p].site;
		const struct spk_map_site *st = &map->sites[s];
		uint32_t cores, routes;

		pop_usage(map, p, &cores, &routes);
		char split[24];

		snprintf(split, sizeof(split), "%ux%u", st->groups, st->bands);
		fprintf(f, "%4u  %-42.42s %9zu %7u %6u %11llu%s %7u %9s %12llu\n", p,
			m->pops[p].name, spk_model_pop_neurons(m, p), st->n_pieces, cores,
			(unsigned long long)site_syn_bytes(map, s),
			st->n_readers + st->n_means > 1 ? "*" : " ", routes, split,
			(unsigned long long)site_replicated_bytes(map, s));
	}

	fprintf(f, "\ntiles (x,y kind: neuron slots, memory, routes; what it holds)\n");
	for (uint32_t y = 0; y < H; y++) {
		for (uint32_t x = 0; x < W; x++) {
			const struct spk_map_node *n = &map->nodes[map->tile_node[y * W + x]];

			if (!n->used)
				continue;
			fprintf(f, "  (%u,%u) %-9s", x, y, spk_image_tile_kind_name(n->kind));
			if (n->kind == SPK_TILE_CORE)
				fprintf(f, " %5.1f%% slots %5.1f%% syn", pct(n->slots, a->core.neurons),
					pct(n->bytes, (uint64_t)a->core.synapse_kib * 1024));
			else if (n->kind == SPK_TILE_ATTENTION)
				fprintf(f, " %5.1f%% KV          ",
					pct(n->bytes, (uint64_t)a->attention.kv_kib * 1024));
			else if (n->kind == SPK_TILE_ENCODER)
				fprintf(f, " %5.1f%% weights     ",
					pct(n->bytes, (uint64_t)a->encoder.weight_kib * 1024));
			else
				fprintf(f, " %6llu B          ", (unsigned long long)n->bytes);
			fprintf(f, " %4u routes  ", n->n_routes);
			describe_node(f, map, n);
			fputc('\n', f);
		}
	}

	fprintf(f, "\nmesh (x right, y down)\n");
	for (uint32_t y = 0; y < H; y++)
		fprintf(f, "  %s\n", sc.mesh + (size_t)y * (W + 1));
	fprintf(f, "legend: A attention unit, E encoder, R readout, . idle core, : idle "
		"unit; cores by layer group:\n");
	for (uint32_t g = 0; g < sc.n_groups; g++)
		fprintf(f, "  %c %.*s\n", symbols[g % (sizeof(symbols) - 1)],
			(int)group_len(sc.names[g]), sc.names[g]);

	fputc('\n', f);
	print_links(f, map, sc.expected, info->profile_path != NULL ?
		    "expected link traffic (events per timestep, profiled firing rates, source "
		    "replication)" : "expected link traffic (events per timestep, firing rate 15 %, "
		    "source replication)");
	if (info->exec != NULL && info->verify_images > 0)
		print_links(f, map, sc.measured, "measured link traffic (events per image)");
	if (info->verify_images > 0) {
		fprintf(f, "\nverify     %u images in %.2f s: %s\n", info->verify_images,
			info->verify_seconds, info->verify_passed ?
			"chip image = integer reference, spike for spike" : "DIVERGES");
		if (!info->verify_passed && info->verify_divergence != NULL)
			fprintf(f, "           %s\n", info->verify_divergence);
		if (info->verify_labelled)
			fprintf(f, "accuracy   %.2f %% (%u of %u) on the chip image\n",
				pct(info->verify_correct, info->verify_images), info->verify_correct,
				info->verify_images);
	}
	scratch_fini(&sc);
	return 0;
}

static void json_block(struct spk_jsonw *j, const char *key, uint32_t a, uint32_t b)
{
	spk_jsonw_key(j, key);
	spk_jsonw_array_inline(j);
	spk_jsonw_uint(j, a);
	spk_jsonw_uint(j, b);
	spk_jsonw_end(j);
}

int spk_map_report_json(struct spk_jsonw *j, const struct spk_map *map,
			const struct spk_map_report_info *info)
{
	const struct spk_model *m = map->m;
	const struct spk_arch *a = &map->arch;
	const uint32_t W = (uint32_t)a->chip.mesh_x, H = (uint32_t)a->chip.mesh_y;
	const bool meas = info->exec != NULL && info->verify_images > 0;
	struct totals t;
	struct scratch sc;

	if (scratch_init(&sc, map, info) < 0)
		return -ENOMEM;
	get_totals(map, sc.axons, &t);
	spk_jsonw_object(j);
	spk_jsonw_key_str(j, "model", info->model_path);
	spk_jsonw_key_str(j, "config", m->config);
	spk_jsonw_key_str(j, "arch", info->arch_path);
	spk_jsonw_key(j, "image");
	if (info->image_path != NULL)
		spk_jsonw_string(j, info->image_path);
	else
		spk_jsonw_null(j);
	spk_jsonw_key_uint(j, "image_bytes", info->image_bytes);
	spk_jsonw_key_uint(j, "seed", map->seed);
	spk_jsonw_key_uint(j, "mesh_x", W);
	spk_jsonw_key_uint(j, "mesh_y", H);
	spk_jsonw_key_uint(j, "tiles_total", map->n_nodes);
	spk_jsonw_key_uint(j, "tiles_used", t.tiles_used);
	spk_jsonw_key_uint(j, "synapse_cores_total", map->n_syn);
	spk_jsonw_key_uint(j, "synapse_cores_used", t.cores_used);
	spk_jsonw_key_uint(j, "attention_units_used", t.attn_used);
	spk_jsonw_key_uint(j, "encoder_units_used", t.enc_used);
	spk_jsonw_key_uint(j, "neurons_mapped", t.neurons);
	spk_jsonw_key_uint(j, "neuron_slots_used", t.slots);
	spk_jsonw_key_uint(j, "neuron_slots_total", t.slots_total);
	spk_jsonw_key_uint(j, "synapse_bytes_used", t.syn);
	spk_jsonw_key_uint(j, "synapse_bytes_total", t.syn_total);
	spk_jsonw_key_uint(j, "kv_bytes_used", t.kv);
	spk_jsonw_key_uint(j, "route_entries_used", t.routes);
	spk_jsonw_key_uint(j, "route_entries_max_per_tile", t.route_max);
	spk_jsonw_key_uint(j, "axons_in_max_per_tile", t.axons_max);
	spk_jsonw_key_uint(j, "pieces", map->n_pieces);
	spk_jsonw_key_real(j, "placement_cost_constructive",
			   (double)map->cost_constructive / SPK_MAP_WEIGHT_UNIT);
	spk_jsonw_key_real(j, "placement_cost", (double)map->cost / SPK_MAP_WEIGHT_UNIT);
	spk_jsonw_key_uint(j, "placement_swaps", map->place_moves);
	spk_jsonw_key_real(j, "assumed_firing_rate", SPK_MAP_RATE_BP / 10000.0);
	spk_jsonw_key(j, "profile");
	if (info->profile_path != NULL)
		spk_jsonw_string(j, info->profile_path);
	else
		spk_jsonw_null(j);
	spk_jsonw_key_str(j, "split", split_name(map->split));
	spk_jsonw_key_str(j, "split_used",
			  split_name(map->split_chosen ? SPK_SPLIT_AUTO : SPK_SPLIT_CHANNELS));
	spk_jsonw_key_str(j, "placer", placer_name(map->placer));
	spk_jsonw_key_str(j, "cost", cost_name(map->cost_kind));
	spk_jsonw_key_str(j, "multicast", map->tree ? "tree" : "source");
	spk_jsonw_key_real(j, "map_seconds", info->map_seconds);
	json_traffic_section(j, map, &sc);

	spk_jsonw_key(j, "populations");
	spk_jsonw_array(j);
	for (uint32_t p = 0; p < m->n_pops; p++) {
		const uint32_t s = m->pops[p].site;
		const struct spk_map_site *st = &map->sites[s];
		uint32_t cores, routes;

		pop_usage(map, p, &cores, &routes);
		spk_jsonw_object(j);
		spk_jsonw_key_str(j, "name", m->pops[p].name);
		spk_jsonw_key_str(j, "site", m->sites[s].name);
		spk_jsonw_key_uint(j, "neurons", spk_model_pop_neurons(m, p));
		spk_jsonw_key_uint(j, "pieces", m->pops[p].kind == SPK_POP_MEAN ? 0 : st->n_pieces);
		spk_jsonw_key_uint(j, "cores", m->pops[p].kind == SPK_POP_MEAN ? 0 : cores);
		spk_jsonw_key_bool(j, "on_readout", m->pops[p].kind == SPK_POP_MEAN);
		spk_jsonw_key_uint(j, "neuron_slots", m->pops[p].kind == SPK_POP_MEAN ? 0 :
				   (uint64_t)spk_model_site_size(m, s));
		spk_jsonw_key_uint(j, "synapse_bytes", site_syn_bytes(map, s));
		spk_jsonw_key_uint(j, "synapse_shared_by", st->n_readers + st->n_means);
		spk_jsonw_key_uint(j, "route_entries", routes);
		spk_jsonw_key(j, "groups_x_bands");
		spk_jsonw_array_inline(j);
		spk_jsonw_uint(j, st->groups);
		spk_jsonw_uint(j, st->bands);
		spk_jsonw_end(j);
		spk_jsonw_key_uint(j, "synapse_bytes_replicated", site_replicated_bytes(map, s));
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);

	spk_jsonw_key(j, "tiles");
	spk_jsonw_array(j);
	for (uint32_t tile = 0; tile < map->n_nodes; tile++) {
		const struct spk_map_node *n = &map->nodes[map->tile_node[tile]];
		uint64_t in = sc.axons[map->tile_node[tile]];

		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "x", tile % W);
		spk_jsonw_key_uint(j, "y", tile / W);
		spk_jsonw_key_str(j, "kind", spk_image_tile_kind_name(n->kind));
		spk_jsonw_key_bool(j, "used", n->used);
		spk_jsonw_key_uint(j, "route_entries", n->n_routes);
		spk_jsonw_key_real(j, "route_utilisation", (double)n->n_routes / a->core.route_entries);
		spk_jsonw_key_uint(j, "axons_in", in);
		switch (n->kind) {
		case SPK_TILE_CORE:
			spk_jsonw_key_uint(j, "neuron_slots", n->slots);
			spk_jsonw_key_real(j, "neuron_utilisation", (double)n->slots / a->core.neurons);
			spk_jsonw_key_uint(j, "synapse_bytes", n->bytes);
			spk_jsonw_key_real(j, "synapse_utilisation",
					   (double)n->bytes / ((double)a->core.synapse_kib * 1024));
			spk_jsonw_key(j, "pieces");
			spk_jsonw_array(j);
			for (uint32_t k = 0; k < n->n_items; k++) {
				const struct spk_map_piece *p = &map->pieces[n->items[k]];

				spk_jsonw_object(j);
				spk_jsonw_key_str(j, "site", m->sites[p->site].name);
				json_block(j, "channels", p->c0, p->c1);
				json_block(j, "rows", p->y0, p->y1);
				spk_jsonw_key_uint(j, "neuron_slots", p->slots);
				spk_jsonw_key_uint(j, "synapse_bytes", p->syn_bytes);
				spk_jsonw_end(j);
			}
			spk_jsonw_end(j);
			break;
		case SPK_TILE_ATTENTION:
			spk_jsonw_key_uint(j, "kv_bytes", n->bytes);
			spk_jsonw_key_real(j, "kv_utilisation",
					   (double)n->bytes / ((double)a->attention.kv_kib * 1024));
			spk_jsonw_key(j, "ops");
			spk_jsonw_array(j);
			for (uint32_t k = 0; k < n->n_items; k++)
				spk_jsonw_string(j, m->ops[n->items[k]].name);
			spk_jsonw_end(j);
			break;
		case SPK_TILE_ENCODER:
			spk_jsonw_key_uint(j, "weight_bytes", n->bytes);
			if (n->used)
				json_block(j, "channels", n->c0, n->c1);
			break;
		case SPK_TILE_READOUT:
			spk_jsonw_key_uint(j, "bytes", n->bytes);
			break;
		}
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);

	spk_jsonw_key(j, "mesh");
	spk_jsonw_array(j);
	for (uint32_t y = 0; y < H; y++)
		spk_jsonw_string(j, sc.mesh + (size_t)y * (W + 1));
	spk_jsonw_end(j);

	spk_jsonw_key(j, "links");
	spk_jsonw_array(j);
	for (uint32_t l = 0; l < 4 * map->n_nodes; l++) {
		uint32_t x2, y2;

		if (sc.expected[l] <= 0 && sc.measured[l] <= 0)
			continue;
		link_end(W, l / 4, (int)(l % 4), &x2, &y2);
		spk_jsonw_object(j);
		spk_jsonw_key(j, "from");
		spk_jsonw_array_inline(j);
		spk_jsonw_uint(j, (l / 4) % W);
		spk_jsonw_uint(j, (l / 4) / W);
		spk_jsonw_end(j);
		spk_jsonw_key(j, "to");
		spk_jsonw_array_inline(j);
		spk_jsonw_uint(j, x2);
		spk_jsonw_uint(j, y2);
		spk_jsonw_end(j);
		spk_jsonw_key_real(j, "expected_events_per_timestep", sc.expected[l]);
		if (meas)
			spk_jsonw_key_real(j, "measured_events_per_image", sc.measured[l]);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);

	spk_jsonw_key(j, "verify");
	if (info->verify_images == 0) {
		spk_jsonw_null(j);
	} else {
		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "images", info->verify_images);
		spk_jsonw_key_bool(j, "passed", info->verify_passed);
		spk_jsonw_key(j, "first_divergence");
		if (info->verify_passed || info->verify_divergence == NULL)
			spk_jsonw_null(j);
		else
			spk_jsonw_string(j, info->verify_divergence);
		spk_jsonw_key_real(j, "seconds", info->verify_seconds);
		spk_jsonw_key(j, "correct");
		if (info->verify_labelled)
			spk_jsonw_uint(j, info->verify_correct);
		else
			spk_jsonw_null(j);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	scratch_fini(&sc);
	return 0;
}
