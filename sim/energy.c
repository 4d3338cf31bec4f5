/*
 * energy.c — the chip's dynamic energy events without its cycles; see energy.h.
 *
 * What depends on the images — spikes per route, non-zero graded values, SOPs and attention
 * additions — comes from the functional executor (mapper/exec.h), which counts them as it runs,
 * or from the integer reference's run (energy_ref.h), which yields the same counts faster.
 * Everything else is a fixed number per timestep or per image that create() works out once from
 * the image: neuron updates per tile and step, encoder MACs, the sends of each routing entry, its
 * path (or tree) and which entries are released. spk_energy_counts() then multiplies and walks
 * the paths once per route, not once per packet, so counting costs nothing per image beyond the
 * executor's own run.
 */
#include "config.h"

#include "sim/energy.h"

#include "mapper/exec.h"
#include "sim/energy_ref.h"
#include "sim/router.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An XY tree of a multicast group: the (tile·5 + port) outputs its flit copies leave. */
struct tree {
	uint32_t n_out;			/* edges + members */
	uint32_t *out;			/* [n_out] */
	uint32_t edges, members;
	uint64_t hops;			/* Σ members' distances from the source */
};

/* Offsets in the raw block (energy.h, raw_layout()). */
#define RAW_TILE(t) spk_energy_raw_tile(t)
#define RAW_STEP(img, i) spk_energy_raw_step(img, i)
#define RAW_POP(img, p) spk_energy_raw_pop(img, p)
#define RAW_ROUTES(img) spk_energy_raw_routes(img)

struct spk_energy {
	const struct spk_image *img;
	const struct spk_arch *arch;
	struct spk_exec *x;		/* runs images: the executor, */
	struct spk_energy_ref *rc;	/* or the reference */
	bool tree;
	struct spk_image_mc mc;
	struct tree *trees;		/* [G] */
	uint32_t graded_flits;
	uint32_t *fire_step;		/* [n_pops] */
	/*
	 * The raw counts: images run here since the last take (run_images, the executor's counts,
	 * pop_spikes), and the totals taken or added so far (raw[], laid out as raw_layout() says).
	 */
	uint32_t run_images;
	uint64_t *pop_spikes;		/* [n_pops] */
	size_t raw_words;
	uint64_t *raw;
	const uint64_t *cur;		/* the raw counts being turned into counts (compute()) */
	uint32_t *route_base;		/* [n_tiles]: tile t's routes in the raw route block */
	uint8_t **released;		/* [n_tiles][n_routes]: the destination releases it */
	/* per timestep and per image, fixed by the image */
	uint64_t *tile_nu;		/* [n_tiles] neuron updates per timestep */
	uint64_t *step_nu;		/* [n_steps] */
	uint64_t *tile_macs;		/* [n_tiles] encoder MACs per image */
	uint64_t *step_macs;		/* [n_steps] */
	/* the result */
	struct spk_energy_counts c;
	struct spk_unit_events *tile_ev;
	uint64_t *links;
	struct spk_energy_step *step;
};

static size_t raw_layout(struct spk_energy *e);

void spk_energy_destroy(struct spk_energy *e)
{
	if (e == NULL)
		return;
	spk_exec_destroy(e->x);
	spk_energy_ref_destroy(e->rc);
	if (e->trees != NULL)
		for (uint32_t g = 0; g < e->mc.n_groups; g++)
			free(e->trees[g].out);
	free(e->trees);
	if (e->tree)
		spk_image_mc_fini(&e->mc);
	if (e->released != NULL)
		for (uint32_t t = 0; t < e->img->n_tiles; t++)
			free(e->released[t]);
	free(e->released);
	free(e->fire_step);
	free(e->pop_spikes);
	free(e->raw);
	free(e->route_base);
	free(e->tile_nu);
	free(e->step_nu);
	free(e->tile_macs);
	free(e->step_macs);
	free(e->tile_ev);
	free(e->links);
	free(e->step);
	free(e);
}

static int count_spikes(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct spk_energy *e = ctx;

	(void)t;
	(void)ids;
	e->pop_spikes[pop] += n;
	return 0;
}

static uint32_t distance(uint32_t mesh_x, uint32_t a, uint32_t b)
{
	uint32_t ax = a % mesh_x, ay = a / mesh_x, bx = b % mesh_x, by = b / mesh_x;

	return (ax > bx ? ax - bx : bx - ax) + (ay > by ? ay - by : by - ay);
}

/*
 * The XY tree of group g: the union of the XY paths from its source to its members (XY paths
 * from one source share their prefixes, so the union is a tree), each router output once, and
 * each member's local output. `seen` is scratch of n_tiles·5 zeroed bytes, left zeroed.
 */
static int make_tree(struct spk_energy *e, uint32_t g, uint8_t *seen)
{
	const struct spk_image *img = e->img;
	const struct spk_image_mc_group *gr = &e->mc.groups[g];
	const struct spk_image_tile *src = &img->tiles[gr->tile];
	struct tree *tr = &e->trees[g];
	uint32_t cap = gr->n * (img->mesh_x + img->mesh_y + 1) + 1;

	tr->out = malloc(cap * sizeof(*tr->out));
	if (tr->out == NULL)
		return -ENOMEM;
	for (uint32_t m = 0; m < gr->n; m++) {
		uint32_t dst = src->routes[e->mc.member[gr->first + m]].dst_tile, here = gr->tile;

		for (;;) {
			unsigned o = spk_router_xy(img->mesh_x, here, dst);
			uint32_t k = here * 5 + o;

			if (!seen[k]) {
				seen[k] = 1;
				tr->out[tr->n_out++] = k;
				if (o != SPK_PORT_LOCAL)
					tr->edges++;
			}
			if (o == SPK_PORT_LOCAL)
				break;
			here = spk_router_neighbour(img->mesh_x, here, o);
		}
		tr->members++;
		tr->hops += distance(img->mesh_x, gr->tile, dst);
	}
	for (uint32_t i = 0; i < tr->n_out; i++)
		seen[tr->out[i]] = 0;
	return 0;
}

/* Whether the unit on route r's destination tile releases it (it writes something there). */
static bool route_released(const struct spk_image *img, const struct spk_image_route *r)
{
	const struct spk_image_tile *d = &img->tiles[r->dst_tile];

	if (r->kind != SPK_ROUTE_SPIKE)
		return true;		/* MEAN, ATTN, ENCODER: always */
	if (d->kind == SPK_TILE_CORE) {
		for (uint32_t j = 0; j < d->n_projs; j++)
			if (img->steps[d->projs[j].step].src_pop == r->source)
				return true;
		return false;
	}
	if (d->kind == SPK_TILE_ATTENTION)
		for (uint32_t j = 0; j < d->n_attn; j++) {
			const struct spk_image_step *st = &img->steps[d->attn[j].step];

			if (st->q_pop == r->source || st->k_pop == r->source ||
			    st->v_pop == r->source)
				return true;
		}
	return false;
}

/* The fixed work: neuron updates per timestep, encoder MACs per image, releases. */
static int fixed_work(struct spk_energy *e)
{
	const struct spk_image *img = e->img;

	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tl = &img->tiles[t];

		e->released[t] = calloc(tl->n_routes + 1, 1);
		if (e->released[t] == NULL)
			return -ENOMEM;
		for (uint32_t k = 0; k < tl->n_routes; k++)
			e->released[t][k] = route_released(img, &tl->routes[k]);
		/* a core: every reader of every piece, per timestep */
		for (uint32_t l = 0; l < tl->n_pieces; l++) {
			const struct spk_image_piece *p = &tl->pieces[l];
			uint64_t elems = spk_image_piece_size(img, p);

			for (uint32_t k = 0; k < img->n_site_readers[p->site]; k++) {
				e->tile_nu[t] += elems;
				e->step_nu[e->fire_step[img->site_readers[p->site][k]]] += elems;
			}
			/* a mean reader per (piece, mean population) with a MEAN route */
			for (uint32_t k = 0; k < tl->n_routes; k++) {
				const struct spk_image_route *r = &tl->routes[k];
				bool first = true;

				if (r->kind != SPK_ROUTE_MEAN || r->local != l)
					continue;
				for (uint32_t j = 0; j < k; j++)
					if (tl->routes[j].kind == SPK_ROUTE_MEAN &&
					    tl->routes[j].local == l && tl->routes[j].source == r->source)
						first = false;
				if (first) {
					e->tile_nu[t] += elems;
					e->step_nu[e->fire_step[r->source]] += elems;
				}
			}
		}
		/* the readout: every channel of each mean population, per timestep */
		for (uint32_t m = 0; m < tl->n_means; m++) {
			uint32_t pop = tl->means[m].pop;

			e->tile_nu[t] += img->pops[pop].neurons;
			e->step_nu[e->fire_step[pop]] += img->pops[pop].neurons;
		}
		/* an encoder: k²·C_in MACs per element of its channels, per image */
		if (tl->encoder != NULL) {
			const struct spk_image_step *st = &img->steps[tl->encoder->step];
			uint64_t macs = (uint64_t)(tl->encoder->c1 - tl->encoder->c0) * st->h_out *
					st->w_out * st->kernel * st->kernel * st->c_in;

			e->tile_macs[t] += macs;
			e->step_macs[tl->encoder->step] += macs;
		}
	}
	return 0;
}

size_t spk_energy_raw_size(const struct spk_image *img)
{
	size_t n = RAW_ROUTES(img);

	for (uint32_t t = 0; t < img->n_tiles; t++)
		n += img->tiles[t].n_routes;
	return n;
}

/* A counter; with_exec: with the executor that runs images (spk_energy_run()). */
static struct spk_energy *create(const struct spk_image *img, const struct spk_arch *a,
				 bool with_exec, char *err, size_t errlen)
{
	struct spk_energy *e = calloc(1, sizeof(*e));
	uint8_t *seen = NULL;

	if (e == NULL)
		goto nomem;
	e->img = img;
	e->arch = a;
	e->graded_flits = spk_noc_packet_flits((uint32_t)a->noc.flit_bits, SPK_PACKET_GRADED);
	if (with_exec) {
		e->x = spk_exec_create(img, err, errlen);
		if (e->x == NULL) {
			spk_energy_destroy(e);
			return NULL;
		}
		spk_exec_set_spike_hook(e->x, count_spikes, e);
	}
	e->fire_step = calloc(img->n_pops + 1, sizeof(*e->fire_step));
	e->pop_spikes = calloc(img->n_pops + 1, sizeof(*e->pop_spikes));
	e->released = calloc(img->n_tiles, sizeof(*e->released));
	e->tile_nu = calloc(img->n_tiles, sizeof(*e->tile_nu));
	e->tile_macs = calloc(img->n_tiles, sizeof(*e->tile_macs));
	e->step_nu = calloc(img->n_steps + 1, sizeof(*e->step_nu));
	e->step_macs = calloc(img->n_steps + 1, sizeof(*e->step_macs));
	e->tile_ev = calloc(img->n_tiles, sizeof(*e->tile_ev));
	e->links = calloc((size_t)img->n_tiles * 5, sizeof(*e->links));
	e->step = calloc(img->n_steps + 1, sizeof(*e->step));
	e->route_base = calloc(img->n_tiles, sizeof(*e->route_base));
	if (e->route_base == NULL)
		goto nomem;
	e->raw_words = raw_layout(e);
	e->raw = calloc(e->raw_words, sizeof(*e->raw));
	if (e->raw == NULL || e->fire_step == NULL || e->pop_spikes == NULL || e->released == NULL ||
	    e->tile_nu == NULL || e->tile_macs == NULL || e->step_nu == NULL ||
	    e->step_macs == NULL || e->tile_ev == NULL || e->links == NULL || e->step == NULL)
		goto nomem;
	for (uint32_t i = 0; i < img->n_steps; i++)
		if (img->steps[i].type == SPK_STEP_FIRE)
			e->fire_step[img->steps[i].pop] = i;
	if (fixed_work(e) < 0)
		goto nomem;
	if (a->noc.multicast == SPK_MULTICAST_TREE) {
		if (spk_image_mc_groups(img, &e->mc) < 0)
			goto nomem;
		e->tree = true;
		if (spk_image_check_mc_payload(img, a, &e->mc, err, errlen) < 0) {
			spk_energy_destroy(e);
			return NULL;
		}
		e->trees = calloc(e->mc.n_groups + 1, sizeof(*e->trees));
		seen = calloc((size_t)img->n_tiles * 5, 1);
		if (e->trees == NULL || seen == NULL)
			goto nomem;
		for (uint32_t g = 0; g < e->mc.n_groups; g++)
			if (make_tree(e, g, seen) < 0)
				goto nomem;
		free(seen);
	}
	return e;
nomem:
	free(seen);
	snprintf(err, errlen, "out of memory for the energy counter");
	spk_energy_destroy(e);
	return NULL;
}

struct spk_energy *spk_energy_create(const struct spk_image *img, const struct spk_arch *a,
				     char *err, size_t errlen)
{
	return create(img, a, true, err, errlen);
}

struct spk_energy *spk_energy_create_counter(const struct spk_image *img,
					     const struct spk_arch *a, char *err, size_t errlen)
{
	return create(img, a, false, err, errlen);
}

struct spk_energy *spk_energy_create_ref(const struct spk_image *img, const struct spk_arch *a,
					 struct spk_energy_ref *rc, char *err, size_t errlen)
{
	struct spk_energy *e = create(img, a, false, err, errlen);

	if (e == NULL) {
		spk_energy_ref_destroy(rc);
		return NULL;
	}
	e->rc = rc;
	spk_energy_ref_set_spike_hook(rc, count_spikes, e);
	return e;
}

int spk_energy_run(struct spk_energy *e, const uint8_t *pixels)
{
	assert(e->x != NULL || e->rc != NULL);
	e->run_images++;
	return e->x != NULL ? spk_exec_run(e->x, pixels, NULL) : spk_energy_ref_run(e->rc, pixels);
}

/*
 * The raw block: images; per tile its SOPs and attention additions; per step its ops; per
 * population its spikes; per tile and routing entry its events. Returns its length in words and
 * sets route_base.
 */
static size_t raw_layout(struct spk_energy *e)
{
	const struct spk_image *img = e->img;
	size_t n = RAW_ROUTES(img);

	for (uint32_t t = 0; t < img->n_tiles; t++) {
		e->route_base[t] = (uint32_t)(n - RAW_ROUTES(img));
		n += img->tiles[t].n_routes;
	}
	return n;
}

size_t spk_energy_raw_words(const struct spk_energy *e)
{
	return e->raw_words;
}

void spk_energy_take(struct spk_energy *e, uint64_t *raw)
{
	const struct spk_image *img = e->img;
	uint64_t *r = raw;

	*r++ = e->run_images;
	if (e->x != NULL) {
		for (uint32_t t = 0; t < img->n_tiles; t++) {
			*r++ = spk_exec_tile_sops(e->x, t);
			*r++ = spk_exec_tile_attn_ops(e->x, t);
		}
		for (uint32_t i = 0; i < img->n_steps; i++)
			*r++ = spk_exec_step_ops(e->x, i);
	} else {
		for (uint32_t t = 0; t < img->n_tiles; t++) {
			*r++ = spk_energy_ref_tile_sops(e->rc, t);
			*r++ = spk_energy_ref_tile_attn_ops(e->rc, t);
		}
		for (uint32_t i = 0; i < img->n_steps; i++)
			*r++ = spk_energy_ref_step_ops(e->rc, i);
	}
	for (uint32_t p = 0; p < img->n_pops; p++)
		*r++ = e->pop_spikes[p];
	for (uint32_t t = 0; t < img->n_tiles; t++)
		for (uint32_t k = 0; k < img->tiles[t].n_routes; k++)
			*r++ = e->x != NULL ? spk_exec_route_events(e->x, t, k) :
					      spk_energy_ref_route_events(e->rc, t, k);
	if (e->x != NULL)
		spk_exec_clear_counts(e->x);
	else
		spk_energy_ref_clear_counts(e->rc);
	memset(e->pop_spikes, 0, img->n_pops * sizeof(*e->pop_spikes));
	e->run_images = 0;
}

void spk_energy_add(struct spk_energy *e, const uint64_t *raw)
{
	for (size_t i = 0; i < e->raw_words; i++)
		e->raw[i] += raw[i];
}

/* n unicast packets of f flits from tile a to tile b, sent by step i. */
static void unicast(struct spk_energy *e, uint32_t a, uint32_t b, uint64_t n, uint32_t f,
		    uint32_t i)
{
	struct spk_noc_stats *st = &e->c.noc;
	uint64_t h = distance(e->img->mesh_x, a, b), fl = n * f;

	if (n == 0)
		return;
	st->packets_injected += n;
	st->packets_delivered += n;
	st->flits_injected += fl;
	st->flits_delivered += fl;
	st->hops += n * h;
	st->router_flits += fl * (h + 1);
	st->link_flits += fl * h;
	e->step[i].router_flits += fl * (h + 1);
	e->step[i].link_flits += fl * h;
	for (uint32_t here = a;;) {
		unsigned o = spk_router_xy(e->img->mesh_x, here, b);

		e->links[here * 5 + o] += fl;
		if (o == SPK_PORT_LOCAL)
			break;
		here = spk_router_neighbour(e->img->mesh_x, here, o);
	}
}

/* n one-flit packets to multicast group g (1-based), sent by step i. */
static void multicast(struct spk_energy *e, uint32_t g, uint64_t n, uint32_t i)
{
	struct spk_noc_stats *st = &e->c.noc;
	const struct tree *tr = &e->trees[g - 1];

	if (n == 0)
		return;
	st->packets_injected += n;
	st->flits_injected += n;
	st->packets_delivered += n * tr->members;
	st->flits_delivered += n * tr->members;
	st->hops += n * tr->hops;
	st->router_flits += n * tr->n_out;
	st->link_flits += n * tr->edges;
	e->step[i].router_flits += n * tr->n_out;
	e->step[i].link_flits += n * tr->edges;
	for (uint32_t k = 0; k < tr->n_out; k++)
		e->links[tr->out[k]] += n;
}

/* The step a routing entry's packets belong to. */
static uint32_t route_step(const struct spk_energy *e, const struct spk_image_route *r)
{
	if (r->kind == SPK_ROUTE_SPIKE || r->kind == SPK_ROUTE_MEAN)
		return e->fire_step[r->source];
	return r->source;		/* ATTN, ENCODER: the step */
}

/* Packets of routing entry k of tile t: sends, tokens, releases; the graded adds they make. */
static void route_packets(struct spk_energy *e, uint32_t t, uint32_t k, uint64_t steps)
{
	const struct spk_image *img = e->img;
	const struct spk_image_route *r = &img->tiles[t].routes[k];
	const uint64_t ev = e->cur[RAW_ROUTES(img) + e->route_base[t] + k], images = e->cur[0];
	const uint32_t i = route_step(e, r);
	struct spk_unit_events *src = &e->tile_ev[t], *dst = &e->tile_ev[r->dst_tile];
	struct spk_unit_events *sev = &e->step[i].ev;
	uint64_t sends, tokens = r->kind == SPK_ROUTE_ENCODER ? images : steps;
	uint32_t g = e->tree ? e->mc.route_group[t][k] : 0;

	if (g != 0) {
		/* one packet per spike and one token per timestep for the whole group, sent at
		 * the position of the route that opened it */
		if (e->mc.member[e->mc.groups[g - 1].first] == k) {
			multicast(e, g, ev + tokens, i);
			sends = ev + tokens;
		} else {
			sends = 0;
		}
	} else {
		uint32_t f = r->kind == SPK_ROUTE_SPIKE ? 1 : e->graded_flits;

		unicast(e, t, r->dst_tile, ev, f, i);
		unicast(e, t, r->dst_tile, tokens, 1, i);
		sends = ev + tokens;
	}
	src->packets_out += sends;
	sev->packets_out += sends;
	if (r->kind == SPK_ROUTE_ATTN || r->kind == SPK_ROUTE_MEAN) {
		dst->graded_adds += ev;		/* added into an element on arrival */
		sev->graded_adds += ev;
	}
	if (e->released[t][k]) {
		dst->packets_out += tokens;	/* one release per token */
		sev->packets_out += tokens;
		unicast(e, r->dst_tile, t, tokens, 1, i);
	}
}

const struct spk_energy_counts *spk_energy_counts(struct spk_energy *e)
{
	if (e->run_images > 0) {	/* this process's own images, not yet taken */
		uint64_t *mine = malloc(e->raw_words * sizeof(*mine));

		if (mine == NULL)
			return NULL;
		spk_energy_take(e, mine);
		spk_energy_add(e, mine);
		free(mine);
	}
	return spk_energy_counts_of(e, e->raw);
}

const struct spk_energy_counts *spk_energy_counts_of(struct spk_energy *e, const uint64_t *raw)
{
	const struct spk_image *img = e->img;
	struct spk_energy_counts *c = &e->c;
	const uint64_t images = raw[0], steps = images * img->time_steps;

	e->cur = raw;

	memset(c, 0, sizeof(*c));
	memset(e->tile_ev, 0, img->n_tiles * sizeof(*e->tile_ev));
	memset(e->links, 0, (size_t)img->n_tiles * 5 * sizeof(*e->links));
	memset(e->step, 0, img->n_steps * sizeof(*e->step));
	c->images = (uint32_t)images;
	for (uint32_t i = 0; i < img->n_steps; i++) {
		const struct spk_image_step *st = &img->steps[i];
		struct spk_energy_step *s = &e->step[i];
		uint64_t ops = e->cur[RAW_STEP(img, i)];

		if (st->type == SPK_STEP_ATTN)
			s->ev.attention_ops = ops;
		else
			s->ev.sops = ops;
		s->ev.neuron_updates = e->step_nu[i] * steps;
		s->ev.encoder_macs = e->step_macs[i] * images;
		if (st->type == SPK_STEP_FIRE)
			s->spikes = e->cur[RAW_POP(img, st->pop)];
	}
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		struct spk_unit_events *u = &e->tile_ev[t];

		u->sops += e->cur[RAW_TILE(t)];
		u->attention_ops += e->cur[RAW_TILE(t) + 1];
		u->neuron_updates += e->tile_nu[t] * steps;
		u->encoder_macs += e->tile_macs[t] * images;
		for (uint32_t k = 0; k < img->tiles[t].n_routes; k++)
			route_packets(e, t, k, steps);
	}
	for (uint32_t t = 0; t < img->n_tiles; t++)
		spk_unit_events_add(&c->ev, &e->tile_ev[t]);
	for (uint32_t p = 0; p < img->n_pops; p++)
		c->spikes += e->cur[RAW_POP(img, p)];
	for (size_t l = 0; l < (size_t)img->n_tiles * 5; l++)
		if (l % 5 != SPK_PORT_LOCAL && e->links[l] > c->noc.busiest_link_flits) {
			c->noc.busiest_link_flits = e->links[l];
			c->noc.busiest_link = (uint32_t)l;
		}
	c->tile_ev = e->tile_ev;
	c->links = e->links;
	c->step = e->step;
	return c;
}
