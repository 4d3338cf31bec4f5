/*
 * test_noc.c — unit tests of the network on chip (sim/noc.c) against doc/architecture.md §2–5:
 * zero-load latency over every distance equals the formula, packets follow the XY path (per-link
 * counters), credit flow control never overflows a buffer under a saturated hot spot, round-robin
 * arbitration shares an output within one flit, uniform random traffic at several loads is all
 * delivered (no deadlock), runs are deterministic, and — the main check — the event-driven model
 * gives every packet the same injection and arrival cycle as a naive model, written here from the
 * contract, that evaluates every router every cycle with whole-state copies (_d = f(_q)), and the
 * same statistics. Tree multicast (§2–4) is in both: the naive model keeps the contract's
 * per-input left_q and group masks of its own, and random traffic mixes multi-flit unicast
 * packets with multicast packets of random groups; directed tests check each copy's latency,
 * the links of a tree, a copy to the source's own tile, a worm delaying one branch only, and the
 * group registration errors.
 */
#include "config.h"

#include "sim/noc.h"
#include "util/rng.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---------------------------------------------------------------------------------------- */
/* Traffic: a list of packets with creation cycles, offered by per-tile FIFO sources.        */

struct tpkt {
	uint32_t src, dst;		/* dst: unicast only */
	uint16_t flits;
	uint8_t kind;
	uint32_t mc;			/* 0, or the group (traffic.g[mc - 1], the NoC's id) */
	uint32_t axon;
	uint64_t create;		/* first cycle it may be offered */
	uint32_t eject_delay;		/* cycles the consumer keeps it before freeing its flits */
	size_t copy0;			/* its first copy in traffic.carr (one per member) */
	/* results */
	uint64_t inject, arrival;	/* arrival: unicast only */
	int delivered;
};

#define TG_MAX 64

/* A multicast group: a source and its members (in registration order). */
struct tgroup {
	uint32_t src, n;
	struct spk_noc_member m[TG_MAX];
};

struct traffic {
	uint32_t tiles;
	size_t n;
	struct tpkt *p;
	uint32_t n_groups;
	struct tgroup *g;
	/* arrival cycle of every copy: a unicast packet has one, a multicast one per member */
	size_t n_copies;
	uint64_t *carr;
	/* per tile: packet indices in creation order, and the next one to offer */
	size_t **q;
	size_t *qn, *qhead;
};

static void traffic_free(struct traffic *t)
{
	for (uint32_t i = 0; i < t->tiles; i++)
		free(t->q[i]);
	free(t->q);
	free(t->qn);
	free(t->qhead);
	free(t->p);
	free(t->g);
	free(t->carr);
	memset(t, 0, sizeof(*t));
}

/* The copy of packet i delivered at tile r (the member's index for a multicast packet). */
static size_t copy_of(const struct traffic *t, size_t i, uint32_t r)
{
	const struct tpkt *p = &t->p[i];

	if (p->mc == 0) {
		assert_int_equal(r, p->dst);
		return p->copy0;
	}
	for (uint32_t j = 0; j < t->g[p->mc - 1].n; j++)
		if (t->g[p->mc - 1].m[j].tile == r)
			return p->copy0 + j;
	fail_msg("packet %zu delivered at tile %u, not a member of group %u", i, r, p->mc);
	return 0;
}

/* Builds the per-tile queues (packets must be sorted by creation within a tile). */
static void traffic_index(struct traffic *t)
{
	t->q = calloc(t->tiles, sizeof(*t->q));
	t->qn = calloc(t->tiles, sizeof(*t->qn));
	t->qhead = calloc(t->tiles, sizeof(*t->qhead));
	assert_non_null(t->q);
	for (size_t i = 0; i < t->n; i++)
		t->qn[t->p[i].src]++;
	for (uint32_t s = 0; s < t->tiles; s++) {
		t->q[s] = malloc((t->qn[s] + 1) * sizeof(**t->q));
		assert_non_null(t->q[s]);
		t->qn[s] = 0;
	}
	t->n_copies = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct tpkt *p = &t->p[i];

		t->q[p->src][t->qn[p->src]++] = i;
		p->delivered = 0;
		p->inject = p->arrival = UINT64_MAX;
		p->copy0 = t->n_copies;
		t->n_copies += p->mc != 0 ? t->g[p->mc - 1].n : 1;
	}
	t->carr = malloc((t->n_copies + 1) * sizeof(*t->carr));
	assert_non_null(t->carr);
	for (uint32_t s = 0; s < t->tiles; s++)
		t->qhead[s] = 0;
}

static void traffic_reset(struct traffic *t)
{
	for (size_t i = 0; i < t->n; i++) {
		t->p[i].delivered = 0;
		t->p[i].inject = t->p[i].arrival = UINT64_MAX;
	}
	for (size_t c = 0; c < t->n_copies; c++)
		t->carr[c] = UINT64_MAX;
	for (uint32_t s = 0; s < t->tiles; s++)
		t->qhead[s] = 0;
}

/*
 * Random traffic: each tile creates a packet with probability `rate` per cycle for `cycles`
 * cycles, in bursts when `bursty` (long idle gaps, to exercise time jumps), to a uniform random
 * other tile, 1..max_flits flits, consumer delay 0..max_delay. With n_groups > 0, that many
 * multicast groups of random sources and 1..max_members random distinct members (the source may
 * be one) are made first, and a tile that is the source of some group sends, with probability
 * p_mc, a one-flit spike or token to one of them instead.
 */
static void traffic_mixed(struct traffic *t, uint32_t tiles, double rate, uint64_t cycles,
			  uint32_t max_flits, uint32_t max_delay, int bursty, uint32_t n_groups,
			  uint32_t max_members, double p_mc, uint64_t seed)
{
	struct spk_rng rng;
	size_t cap = 1024;
	uint32_t *perm = malloc(tiles * sizeof(*perm)), *mine = malloc(n_groups * sizeof(*mine) + 1);

	assert_non_null(perm);
	assert_non_null(mine);
	memset(t, 0, sizeof(*t));
	spk_rng_seed(&rng, seed);
	t->tiles = tiles;
	t->p = malloc(cap * sizeof(*t->p));
	assert_non_null(t->p);
	t->n_groups = n_groups;
	t->g = calloc(n_groups + 1, sizeof(*t->g));
	assert_non_null(t->g);
	for (uint32_t k = 0; k < n_groups; k++) {
		struct tgroup *g = &t->g[k];
		uint32_t most = max_members < tiles ? max_members : tiles;

		g->src = spk_rng_below(&rng, tiles);
		g->n = 1 + spk_rng_below(&rng, most < TG_MAX ? most : TG_MAX);
		for (uint32_t i = 0; i < tiles; i++)
			perm[i] = i;
		for (uint32_t j = 0; j < g->n; j++) {
			uint32_t r = j + spk_rng_below(&rng, tiles - j), v = perm[r];

			perm[r] = perm[j];
			perm[j] = v;
			g->m[j].tile = v;
			g->m[j].axon_base = spk_rng_below(&rng, 1000);
			g->m[j].route = spk_rng_below(&rng, 100);
		}
	}
	for (uint64_t c = 0; c < cycles; c++) {
		if (bursty && (c / 64) % 3 != 0)
			continue;	/* two idle windows out of three */
		for (uint32_t s = 0; s < tiles; s++) {
			struct tpkt *p;
			uint32_t n_mine = 0;

			if (spk_rng_double(&rng) >= rate)
				continue;
			if (t->n == cap) {
				cap *= 2;
				t->p = realloc(t->p, cap * sizeof(*t->p));
				assert_non_null(t->p);
			}
			p = &t->p[t->n++];
			memset(p, 0, sizeof(*p));
			p->src = s;
			p->create = c;
			for (uint32_t k = 0; k < n_groups; k++)
				if (t->g[k].src == s)
					mine[n_mine++] = k;
			if (n_mine > 0 && spk_rng_double(&rng) < p_mc) {
				p->mc = 1 + mine[spk_rng_below(&rng, n_mine)];
				p->kind = spk_rng_below(&rng, 2) ? SPK_PACKET_TOKEN : SPK_PACKET_SPIKE;
				p->axon = spk_rng_below(&rng, 500);
				p->flits = 1;
			} else {
				p->dst = tiles > 1 ? spk_rng_below(&rng, tiles - 1) : 0;
				if (tiles > 1 && p->dst >= s)
					p->dst++;
				p->flits = (uint16_t)(1 + spk_rng_below(&rng, max_flits));
				p->kind = p->flits > 1 ? SPK_PACKET_GRADED : SPK_PACKET_SPIKE;
				p->axon = spk_rng_below(&rng, 500);
			}
			p->eject_delay = max_delay > 0 ? spk_rng_below(&rng, max_delay + 1) : 0;
		}
	}
	free(perm);
	free(mine);
	traffic_index(t);
}

static void traffic_random(struct traffic *t, uint32_t tiles, double rate, uint64_t cycles,
			   uint32_t max_flits, uint32_t max_delay, int bursty, uint64_t seed)
{
	traffic_mixed(t, tiles, rate, cycles, max_flits, max_delay, bursty, 0, 0, 0.0, seed);
}

/* Pending consumer credit returns, kept sorted by cycle (small: a linear insert is fine). */
struct credit_ret {
	uint64_t cycle;
	uint32_t tile, flits;
};

struct credits {
	struct credit_ret *r;
	size_t n, cap;
};

static void credits_add(struct credits *c, uint64_t cycle, uint32_t tile, uint32_t flits)
{
	size_t i;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->r = realloc(c->r, c->cap * sizeof(*c->r));
		assert_non_null(c->r);
	}
	for (i = c->n; i > 0 && c->r[i - 1].cycle > cycle; i--)
		c->r[i] = c->r[i - 1];
	c->r[i].cycle = cycle;
	c->r[i].tile = tile;
	c->r[i].flits = flits;
	c->n++;
}

/* Removes the returns due at `cycle` (none may be earlier), calling give(tile, flits). */
static void credits_due(struct credits *c, uint64_t cycle,
			void (*give)(void *ctx, uint32_t tile, uint32_t flits), void *ctx)
{
	size_t k = 0;

	while (k < c->n && c->r[k].cycle <= cycle) {
		assert_true(c->r[k].cycle == cycle);
		give(ctx, c->r[k].tile, c->r[k].flits);
		k++;
	}
	if (k > 0) {
		memmove(c->r, c->r + k, (c->n - k) * sizeof(*c->r));
		c->n -= k;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* The naive reference: every router, every cycle, whole-state copies.                       */

#define NV_PORTS 5
#define NV_MAXB 16

struct nv_flit {
	size_t pkt;			/* index into the traffic */
	int idx;			/* flit index within the packet */
	uint64_t ready;
};

struct nv_router {
	struct nv_flit buf[NV_PORTS][NV_MAXB];	/* buf[p][0] is the oldest */
	int count[NV_PORTS];
	int credit[NV_PORTS];
	int owner[NV_PORTS];		/* -1: free */
	int route[NV_PORTS];
	int rr[NV_PORTS];
	int left[NV_PORTS];		/* left_q: a multicast head's outputs still to serve */
	/* flit on the link into input p this cycle */
	int link_valid[NV_PORTS];
	struct nv_flit link[NV_PORTS];
	/* network interface */
	long ni_pkt;			/* -1: idle */
	int ni_next;
	int ni_credit;
};

/* A copy delivered in the cycle being evaluated: its consumer frees it later. */
struct nv_deliv {
	size_t pkt;
	uint32_t tile;
};

struct naive {
	uint32_t mx, my, n, B, P;
	uint32_t eject_cap;		/* 0: unlimited */
	struct nv_router *q, *d;
	uint64_t now;
	struct traffic *t;
	uint64_t refused;
	uint32_t *pending_credit;	/* given back by units this cycle */
	uint8_t *mask;			/* [g·n + r]: group g + 1's outputs at router r */
	struct nv_deliv *dl;		/* [n] deliveries of the current cycle */
	uint32_t n_dl;
	/* statistics, as the contract counts them */
	struct spk_noc_stats st;
	uint64_t *link_count;		/* [n·5] */
};

/* XY, written out from the contract: x first, then y; ports L E W N S = 0 1 2 3 4. */
static int nv_route(const struct naive *nv, uint32_t here, uint32_t dst)
{
	int hx = (int)(here % nv->mx), hy = (int)(here / nv->mx);
	int dx = (int)(dst % nv->mx), dy = (int)(dst / nv->mx);

	if (dx != hx)
		return dx > hx ? 1 : 2;
	if (dy != hy)
		return dy > hy ? 4 : 3;
	return 0;
}

static uint32_t nv_neighbour(const struct naive *nv, uint32_t r, int port)
{
	switch (port) {
	case 1: return r + 1;
	case 2: return r - 1;
	case 3: return r - nv->mx;
	case 4: return r + nv->mx;
	}
	return r;
}

static int nv_opposite(int port)
{
	static const int opp[NV_PORTS] = { 0, 2, 1, 4, 3 };

	return opp[port];
}

static void nv_init(struct naive *nv, uint32_t mx, uint32_t my, uint32_t B, uint32_t P,
		    uint32_t eject_cap, struct traffic *t)
{
	assert_true(B <= NV_MAXB);
	memset(nv, 0, sizeof(*nv));
	nv->mx = mx;
	nv->my = my;
	nv->n = mx * my;
	nv->B = B;
	nv->P = P;
	nv->eject_cap = eject_cap;
	nv->t = t;
	nv->q = calloc(nv->n, sizeof(*nv->q));
	nv->d = calloc(nv->n, sizeof(*nv->d));
	nv->pending_credit = calloc(nv->n, sizeof(*nv->pending_credit));
	nv->mask = calloc((size_t)t->n_groups * nv->n + 1, 1);
	nv->dl = calloc(nv->n, sizeof(*nv->dl));
	nv->link_count = calloc((size_t)nv->n * NV_PORTS, sizeof(*nv->link_count));
	assert_non_null(nv->q);
	assert_non_null(nv->d);
	assert_non_null(nv->mask);
	assert_non_null(nv->dl);
	assert_non_null(nv->link_count);
	for (uint32_t r = 0; r < nv->n; r++) {
		for (int p = 0; p < NV_PORTS; p++) {
			nv->q[r].credit[p] = (int)B;
			nv->q[r].owner[p] = -1;
		}
		nv->q[r].credit[0] = (int)eject_cap;
		nv->q[r].ni_pkt = -1;
		nv->q[r].ni_credit = (int)B;
	}
	/* the group tables: every router on the XY path from the source to each member */
	for (uint32_t g = 0; g < t->n_groups; g++) {
		for (uint32_t j = 0; j < t->g[g].n; j++) {
			uint32_t r = t->g[g].src, m = t->g[g].m[j].tile;
			int o;

			do {
				o = nv_route(nv, r, m);
				nv->mask[(size_t)g * nv->n + r] |= (uint8_t)(1u << o);
				r = nv_neighbour(nv, r, o);
			} while (o != 0);
		}
	}
}

static void nv_fini(struct naive *nv)
{
	free(nv->q);
	free(nv->d);
	free(nv->pending_credit);
	free(nv->mask);
	free(nv->dl);
	free(nv->link_count);
}

static int nv_inject(struct naive *nv, size_t i)
{
	struct nv_router *r = &nv->q[nv->t->p[i].src];

	if (r->ni_pkt >= 0 || r->ni_credit <= 0) {
		nv->refused++;
		return -1;
	}
	r->ni_pkt = (long)i;
	r->ni_next = 0;
	nv->t->p[i].inject = nv->now;
	nv->st.packets_injected++;
	nv->st.flits_injected += nv->t->p[i].flits;
	return 0;
}

static void nv_give(void *ctx, uint32_t tile, uint32_t flits)
{
	struct naive *nv = ctx;

	nv->pending_credit[tile] += flits;
}

/* A flit that has become the head of input p of router r: a multicast one starts with left_q =
 * its group's mask there. */
static void nv_new_head(const struct naive *nv, struct nv_router *d, uint32_t r, int p)
{
	const struct tpkt *pk;

	if (d->count[p] == 0)
		return;
	pk = &nv->t->p[d->buf[p][0].pkt];
	if (pk->mc != 0) {
		d->left[p] = nv->mask[(size_t)(pk->mc - 1) * nv->n + r];
		assert_true(d->left[p] != 0);
	}
}

static void nv_append(const struct naive *nv, struct nv_router *d, uint32_t r, int p,
		      struct nv_flit f)
{
	assert_true(d->count[p] < (int)nv->B);
	d->buf[p][d->count[p]++] = f;
	if (d->count[p] == 1)
		nv_new_head(nv, d, r, p);
}

/* The copy of flit f that left router r's output o in cycle x. */
static void nv_count(struct naive *nv, uint32_t r, int o, const struct nv_flit *f, uint64_t x)
{
	const struct tpkt *pk = &nv->t->p[f->pkt];

	nv->st.router_flits++;
	nv->link_count[(size_t)r * NV_PORTS + (size_t)o]++;
	if (o != 0) {
		nv->st.link_flits++;
		return;
	}
	nv->st.flits_delivered++;
	if (f->idx == pk->flits - 1) {
		uint64_t lat = x + 1 - pk->inject;
		int sx = (int)(pk->src % nv->mx), sy = (int)(pk->src / nv->mx);
		int rx = (int)(r % nv->mx), ry = (int)(r / nv->mx);

		nv->st.packets_delivered++;
		nv->st.latency_sum += lat;
		if (lat > nv->st.latency_max)
			nv->st.latency_max = lat;
		nv->st.hops += (uint64_t)(abs(sx - rx) + abs(sy - ry));
		nv->t->carr[copy_of(nv->t, f->pkt, r)] = x + 1;
		nv->dl[nv->n_dl].pkt = f->pkt;
		nv->dl[nv->n_dl].tile = r;
		nv->n_dl++;
	}
}

/* One cycle: d = f(q), then q = d. */
static void nv_cycle(struct naive *nv)
{
	const uint64_t x = nv->now;
	struct traffic *t = nv->t;

	memcpy(nv->d, nv->q, nv->n * sizeof(*nv->q));
	for (uint32_t r = 0; r < nv->n; r++)
		for (int p = 0; p < NV_PORTS; p++)
			nv->d[r].link_valid[p] = 0;
	nv->n_dl = 0;

	for (uint32_t r = 0; r < nv->n; r++) {
		const struct nv_router *q = &nv->q[r];
		struct nv_router *d = &nv->d[r];
		int req[NV_PORTS], grant[NV_PORTS];	/* req: bit mask of outputs */

		/* requests */
		for (int p = 0; p < NV_PORTS; p++) {
			const struct nv_flit *h = &q->buf[p][0];

			req[p] = 0;
			if (q->count[p] == 0 || h->ready > x)
				continue;
			if (t->p[h->pkt].mc != 0) {
				for (int o = 0; o < NV_PORTS; o++)
					if ((q->left[p] >> o & 1) && q->owner[o] < 0)
						req[p] |= 1 << o;
			} else if (h->idx == 0) {
				int o = nv_route(nv, r, t->p[h->pkt].dst);

				if (q->owner[o] < 0)
					req[p] = 1 << o;
			} else {
				req[p] = 1 << q->route[p];
			}
		}
		/* arbitration */
		for (int o = 0; o < NV_PORTS; o++) {
			int unlimited = o == 0 && nv->eject_cap == 0;

			grant[o] = -1;
			if (!unlimited && q->credit[o] <= 0)
				continue;
			if (q->owner[o] >= 0) {
				if (req[q->owner[o]] >> o & 1)
					grant[o] = q->owner[o];
				continue;
			}
			for (int k = 0; k < NV_PORTS; k++) {
				int p = (q->rr[o] + k) % NV_PORTS;

				if (req[p] >> o & 1) {
					grant[o] = p;
					break;
				}
			}
		}
		/* traversal, input by input: a copy on every granting output; the flit leaves
		 * when nothing is left to send */
		for (int p = 0; p < NV_PORTS; p++) {
			const struct nv_flit f = q->buf[p][0];
			const struct tpkt *pk;
			int got = 0, leaves;

			for (int o = 0; o < NV_PORTS; o++)
				if (grant[o] == p)
					got |= 1 << o;
			if (q->count[p] > 0 && f.ready <= x && got == 0) {
				nv->st.stall_cycles++;
				continue;
			}
			if (got == 0)
				continue;
			pk = &t->p[f.pkt];
			for (int o = 0; o < NV_PORTS; o++) {
				if (!(got >> o & 1))
					continue;
				if (!(o == 0 && nv->eject_cap == 0))
					d->credit[o]--;
				if (f.idx == 0) {
					d->rr[o] = (p + 1) % NV_PORTS;
					if (pk->flits > 1) {
						d->owner[o] = p;
						d->route[p] = o;
					}
				} else if (f.idx == pk->flits - 1) {
					d->owner[o] = -1;
				}
				nv_count(nv, r, o, &f, x);
				if (o != 0) {
					uint32_t nb = nv_neighbour(nv, r, o);

					nv->d[nb].link_valid[nv_opposite(o)] = 1;
					nv->d[nb].link[nv_opposite(o)] = f;
				}
			}
			if (pk->mc != 0) {
				d->left[p] = q->left[p] & ~got;
				leaves = d->left[p] == 0;
			} else {
				leaves = 1;
			}
			if (!leaves) {
				nv->st.stall_cycles++;
				continue;
			}
			memmove(&d->buf[p][0], &d->buf[p][1], (size_t)(d->count[p] - 1) * sizeof(f));
			d->count[p]--;
			nv_new_head(nv, d, r, p);
			/* credit upstream of input p */
			if (p == 0)
				d->ni_credit++;
			else
				nv->d[nv_neighbour(nv, r, p)].credit[nv_opposite(p)]++;
		}
		/* buffer write: link flits arriving this cycle */
		for (int p = 1; p < NV_PORTS; p++) {
			if (q->link_valid[p]) {
				struct nv_flit f = q->link[p];

				f.ready = x + nv->P;
				nv_append(nv, d, r, p, f);
			}
		}
		/* the NI drives its next flit onto the local input this cycle */
		if (q->ni_pkt >= 0 && q->ni_credit > 0) {
			struct nv_flit f;

			f.pkt = (size_t)q->ni_pkt;
			f.idx = q->ni_next;
			f.ready = x + nv->P;
			nv_append(nv, d, r, 0, f);
			d->ni_credit--;
			if (q->ni_next + 1 == t->p[q->ni_pkt].flits)
				d->ni_pkt = -1;
			else
				d->ni_next = q->ni_next + 1;
		}
		for (int p = 0; p < NV_PORTS; p++)
			if ((uint32_t)d->count[p] > nv->st.buffer_peak)
				nv->st.buffer_peak = (uint32_t)d->count[p];
	}
	/* credits units gave back in cycle x */
	for (uint32_t r = 0; r < nv->n; r++) {
		nv->d[r].credit[0] += (int)nv->pending_credit[r];
		nv->pending_credit[r] = 0;
	}
	{
		struct nv_router *tmp = nv->q;

		nv->q = nv->d;
		nv->d = tmp;
	}
	nv->now = x + 1;
}

/* Runs the traffic through the naive model. */
static void nv_run(struct naive *nv, uint64_t max_cycles)
{
	struct traffic *t = nv->t;
	struct credits cr = { 0 };
	size_t done = 0;

	traffic_reset(t);
	while (done < t->n_copies) {
		assert_true(nv->now < max_cycles);
		credits_due(&cr, nv->now, nv_give, nv);
		for (uint32_t s = 0; s < t->tiles; s++) {
			size_t h = t->qhead[s];

			if (h < t->qn[s] && t->p[t->q[s][h]].create <= nv->now &&
			    nv_inject(nv, t->q[s][h]) == 0)
				t->qhead[s]++;
		}
		nv_cycle(nv);
		/* consumers: copies that arrived become usable in cycle now */
		for (uint32_t k = 0; k < nv->n_dl; k++) {
			struct tpkt *p = &t->p[nv->dl[k].pkt];

			done++;
			if (p->mc == 0)
				p->arrival = nv->now;
			if (nv->eject_cap > 0)
				credits_add(&cr, nv->now + p->eject_delay, nv->dl[k].tile, p->flits);
		}
	}
	nv->st.inject_refused = nv->refused;
	free(cr.r);
}

/* ---------------------------------------------------------------------------------------- */
/* The event-driven model under the same traffic and consumers.                                */

static void noc_give(void *ctx, uint32_t tile, uint32_t flits)
{
	spk_noc_eject_credit(ctx, tile, flits);
}

/*
 * Offers the traffic to noc (created by the caller, no groups yet: the traffic's are registered
 * here), advancing as far as possible between events. Checks every delivery: arrival == now,
 * injection cycle, source, destination (a multicast copy at one of its group's members, once),
 * the payload (a copy's translated by the member's NI), deliveries of one cycle in tile order.
 */
static void noc_run_traffic(struct spk_noc *noc, struct traffic *t, uint32_t eject_cap,
			    uint64_t max_cycles)
{
	struct credits cr = { 0 };
	struct spk_noc_delivery dv[64];
	size_t done = 0;
	uint64_t last_cycle = UINT64_MAX;
	uint32_t last_tile = 0;

	for (uint32_t g = 0; g < t->n_groups; g++) {
		uint32_t id = 0;

		assert_int_equal(spk_noc_add_group(noc, t->g[g].src, t->g[g].m, t->g[g].n, &id), 0);
		assert_int_equal(id, g + 1);
	}
	traffic_reset(t);
	while (done < t->n_copies) {
		uint64_t now = spk_noc_now(noc), next = UINT64_MAX;
		size_t k;

		assert_true(now < max_cycles);
		credits_due(&cr, now, noc_give, noc);
		for (uint32_t s = 0; s < t->tiles; s++) {
			size_t h = t->qhead[s];
			struct tpkt *p;
			struct spk_packet pk;

			if (h >= t->qn[s])
				continue;
			p = &t->p[t->q[s][h]];
			if (p->create > now) {
				if (p->create < next)
					next = p->create;
				continue;
			}
			memset(&pk, 0, sizeof(pk));
			pk.src = p->src;
			pk.dst = p->dst;
			pk.flits = p->flits;
			pk.kind = p->kind;
			pk.mc = p->mc;
			pk.axon = p->axon;
			pk.tag = (uint8_t)(t->q[s][h] & 1);
			pk.id = t->q[s][h];
			if (spk_noc_inject(noc, &pk) == 0) {
				p->inject = now;
				t->qhead[s]++;
				if (h + 1 < t->qn[s]) {
					uint64_t c = t->p[t->q[s][h + 1]].create;

					c = c > now + 1 ? c : now + 1;
					if (c < next)
						next = c;
				}
			} else {
				next = now + 1;
			}
		}
		if (cr.n > 0 && cr.r[0].cycle < next)
			next = cr.r[0].cycle;
		if (next == UINT64_MAX)
			next = max_cycles;
		spk_noc_run(noc, next, SPK_NOC_STOP_AT_DELIVERY);
		while ((k = spk_noc_collect(noc, dv, 64)) > 0) {
			for (size_t j = 0; j < k; j++) {
				struct tpkt *p = &t->p[dv[j].pkt.id];
				uint32_t r = dv[j].pkt.dst;
				size_t c = copy_of(t, dv[j].pkt.id, r);
				uint32_t axon = p->axon;

				assert_int_equal(dv[j].arrival_cycle, spk_noc_now(noc));
				assert_int_equal(dv[j].inject_cycle, p->inject);
				assert_int_equal(dv[j].pkt.src, p->src);
				assert_int_equal(dv[j].pkt.mc, p->mc);
				assert_int_equal(dv[j].pkt.kind, p->kind);
				assert_int_equal(dv[j].pkt.flits, p->flits);
				assert_int_equal(dv[j].pkt.tag, dv[j].pkt.id & 1);
				if (p->mc != 0) {
					const struct spk_noc_member *m =
						&t->g[p->mc - 1].m[c - p->copy0];

					axon = p->kind == SPK_PACKET_SPIKE ? m->axon_base + p->axon
									   : m->route;
				}
				assert_int_equal(dv[j].pkt.axon, axon);
				assert_int_equal(t->carr[c], UINT64_MAX);
				/* one cycle's deliveries in tile order */
				if (dv[j].arrival_cycle == last_cycle)
					assert_true(r > last_tile);
				last_cycle = dv[j].arrival_cycle;
				last_tile = r;
				t->carr[c] = dv[j].arrival_cycle;
				if (p->mc == 0) {
					p->delivered = 1;
					p->arrival = dv[j].arrival_cycle;
				}
				done++;
				if (eject_cap > 0)
					credits_add(&cr, dv[j].arrival_cycle + p->eject_delay, r,
						    p->flits);
			}
		}
	}
	assert_true(spk_noc_idle(noc));
	free(cr.r);
}

static struct spk_noc *make_noc(uint32_t mx, uint32_t my, uint32_t B, uint32_t P,
				uint32_t eject_cap)
{
	struct spk_noc_config cfg = {
		.mesh_x = mx, .mesh_y = my, .buffer_flits = B, .router_stages = P,
		.flit_bits = 32, .eject_flits = eject_cap,
	};
	struct spk_noc *noc = spk_noc_create(&cfg);

	assert_non_null(noc);
	return noc;
}

static uint32_t manhattan(uint32_t mx, uint32_t a, uint32_t b)
{
	int ax = (int)(a % mx), ay = (int)(a / mx), bx = (int)(b % mx), by = (int)(b / mx);

	return (uint32_t)(abs(ax - bx) + abs(ay - by));
}

/* ---------------------------------------------------------------------------------------- */

/* One packet alone in the network: arrival - inject = (H+1)(P+1) + F - 1. */
static void test_zero_load_latency(void **state)
{
	static const uint32_t cfgs[][2] = { { 1, 1 }, { 1, 3 }, { 2, 4 }, { 3, 5 }, { 4, 4 } };

	(void)state;
	for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
		uint32_t P = cfgs[c][0], B = cfgs[c][1];
		struct spk_noc *noc = make_noc(4, 3, B, P, 0);

		for (uint32_t s = 0; s < 12; s++) {
			for (uint32_t d = 0; d < 12; d++) {
				for (uint16_t F = 1; F <= 3; F += 2) {
					struct spk_packet pk = { .src = s, .dst = d, .flits = F };
					struct spk_noc_delivery dv;
					struct spk_noc_stats st0, st1;
					uint32_t H = manhattan(4, s, d);
					uint64_t t0;

					if (F > 1 && B < P + 2)
						continue;	/* flits spaced by the credit loop */
					spk_noc_run(noc, spk_noc_now(noc) + 7, 0);
					spk_noc_get_stats(noc, &st0);
					t0 = spk_noc_now(noc);
					assert_int_equal(spk_noc_inject(noc, &pk), 0);
					spk_noc_run(noc, t0 + 1000, SPK_NOC_STOP_AT_DELIVERY);
					assert_int_equal(spk_noc_collect(noc, &dv, 1), 1);
					assert_int_equal(dv.inject_cycle, t0);
					assert_int_equal(dv.arrival_cycle - t0,
							 (H + 1) * (P + 1) + F - 1);
					assert_true(spk_noc_idle(noc));
					spk_noc_get_stats(noc, &st1);
					assert_int_equal(st1.router_flits - st0.router_flits, F * (H + 1));
					assert_int_equal(st1.link_flits - st0.link_flits, F * H);
					assert_int_equal(st1.stall_cycles, 0);
					/* Event-driven: a single flit costs one evaluation per router,
					 * in the cycle it leaves it. */
					if (F == 1)
						assert_int_equal(st1.router_evals - st0.router_evals, H + 1);
				}
			}
		}
		spk_noc_destroy(noc);
	}
}

/* Per-link counters equal the XY path: all of x first, then y. */
static void test_xy_path(void **state)
{
	const uint32_t mx = 5, my = 4, n = mx * my;
	struct spk_noc *noc = make_noc(mx, my, 4, 2, 0);
	uint64_t *before = malloc((size_t)n * 5 * sizeof(*before));

	(void)state;
	assert_non_null(before);
	for (uint32_t s = 0; s < n; s++) {
		for (uint32_t d = 0; d < n; d++) {
			struct spk_packet pk = { .src = s, .dst = d, .flits = 2 };
			const uint64_t *now;
			uint64_t *expect = calloc((size_t)n * 5, sizeof(*expect));
			uint32_t x = s % mx, y = s / mx, dx = d % mx, dy = d / mx;
			struct spk_noc_delivery dv;

			assert_non_null(expect);
			memcpy(before, spk_noc_link_counts(noc), (size_t)n * 5 * sizeof(*before));
			while (x != dx) {
				int port = dx > x ? 1 : 2;

				expect[(y * mx + x) * 5 + (uint32_t)port] = 2;
				x = dx > x ? x + 1 : x - 1;
			}
			while (y != dy) {
				int port = dy > y ? 4 : 3;

				expect[(y * mx + x) * 5 + (uint32_t)port] = 2;
				y = dy > y ? y + 1 : y - 1;
			}
			expect[d * 5 + 0] = 2;		/* ejected at d */
			assert_int_equal(spk_noc_inject(noc, &pk), 0);
			spk_noc_run(noc, spk_noc_now(noc) + 1000, SPK_NOC_STOP_AT_DELIVERY);
			assert_int_equal(spk_noc_collect(noc, &dv, 1), 1);
			now = spk_noc_link_counts(noc);
			for (size_t i = 0; i < (size_t)n * 5; i++)
				assert_int_equal(now[i] - before[i], expect[i]);
			free(expect);
		}
	}
	free(before);
	spk_noc_destroy(noc);
}

/*
 * Every tile sends 3-flit packets to one tile as fast as it can while that tile's unit frees its
 * 4-flit input slowly: buffers fill up to B and never beyond (the model asserts it too), and
 * everything is delivered once the sources stop.
 */
static void test_hot_spot(void **state)
{
	const uint32_t mx = 4, my = 4, n = mx * my, hot = 5, B = 3;
	struct spk_noc *noc = make_noc(mx, my, B, 2, 4);
	struct credits cr = { 0 };
	struct spk_noc_delivery dv[16];
	struct spk_noc_stats st;
	uint64_t sent = 0, got = 0;

	(void)state;
	while (spk_noc_now(noc) < 20000 || got < sent) {
		uint64_t now = spk_noc_now(noc);
		size_t k;

		assert_true(now < 200000);
		credits_due(&cr, now, noc_give, noc);
		for (uint32_t s = 0; s < n && now < 20000; s++) {
			struct spk_packet pk = { .src = s, .dst = hot, .flits = 3, .id = sent };

			if (s != hot && spk_noc_inject(noc, &pk) == 0)
				sent++;
		}
		spk_noc_run(noc, now + 1, 0);
		while ((k = spk_noc_collect(noc, dv, 16)) > 0) {
			for (size_t j = 0; j < k; j++) {
				assert_int_equal(dv[j].pkt.dst, hot);
				credits_add(&cr, dv[j].arrival_cycle + 2, hot, 3);	/* slow unit */
				got++;
			}
		}
	}
	spk_noc_get_stats(noc, &st);
	assert_int_equal(st.buffer_peak, B);
	assert_true(st.inject_refused > 0);
	{
		/* the per-tile refusals add up; the hot tile never offered a packet */
		const uint64_t *ref = spk_noc_ni_refused(noc);
		uint64_t sum = 0;

		for (uint32_t t = 0; t < n; t++)
			sum += ref[t];
		assert_int_equal(sum, st.inject_refused);
		assert_int_equal(ref[hot], 0);
	}
	assert_true(st.stall_cycles > 0);
	assert_int_equal(st.packets_delivered, sent);
	assert_int_equal(st.flits_delivered, 3 * sent);
	assert_int_equal(st.flits_injected, 3 * sent);
	/* The hot tile's unit takes one 3-flit packet every 5 cycles (the network holds at most
	 * n·5·B/3 + n more). */
	assert_true(sent <= 20000 / 5 + 100);
	assert_true(sent >= 20000 / 5 - 100);
	assert_true(spk_noc_idle(noc));
	free(cr.r);
	spk_noc_destroy(noc);
}

/*
 * Sources that always have a packet, contending for one output: round robin shares it within
 * one packet. Two sources (west and east inputs of the middle router, to the south), then three
 * (plus that router's own unit).
 */
static void fairness(uint32_t n_src, uint16_t flits)
{
	const uint32_t mx = 3, my = 3;
	const uint32_t srcs[3] = { 3, 5, 4 };	/* (0,1), (2,1), (1,1) */
	const uint32_t dst = 7;			/* (1,2): all turn south at (1,1) */
	struct spk_noc *noc = make_noc(mx, my, 4, 2, 0);
	uint64_t got[3] = { 0 };
	struct spk_noc_delivery dv[8];

	while (spk_noc_now(noc) < 30000) {
		size_t k;

		for (uint32_t i = 0; i < n_src; i++) {
			struct spk_packet pk = { .src = srcs[i], .dst = dst, .flits = flits, .id = i };

			(void)spk_noc_inject(noc, &pk);
		}
		spk_noc_run(noc, spk_noc_now(noc) + 1, 0);
		/* Counted once all sources contend (the local one starts a hop ahead). */
		while ((k = spk_noc_collect(noc, dv, 8)) > 0)
			for (size_t j = 0; j < k && spk_noc_now(noc) > 1000; j++)
				got[dv[j].pkt.id]++;
	}
	for (uint32_t i = 0; i < n_src; i++) {
		for (uint32_t j = 0; j < n_src; j++) {
			int64_t diff = (int64_t)got[i] - (int64_t)got[j];

			assert_true(diff >= -1 && diff <= 1);
		}
		/* the shared link is busy: each gets about 1/n of it */
		assert_true(got[i] * flits * n_src >= 29000 - 100);
	}
	spk_noc_destroy(noc);
}

static void test_round_robin_fairness(void **state)
{
	(void)state;
	fairness(2, 1);
	fairness(3, 1);
	fairness(2, 3);
}

/* Uniform random traffic at several loads, past saturation too: everything arrives. */
static void test_uniform_random(void **state)
{
	static const double rates[] = { 0.02, 0.1, 0.3, 0.6 };

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct traffic t;
		struct spk_noc *noc = make_noc(8, 8, 4, 2, 0);
		struct spk_noc_stats st;
		uint64_t flits = 0, hops = 0;

		traffic_random(&t, 64, rates[i], 1500, 1, 0, 0, 1000 + i);
		noc_run_traffic(noc, &t, 0, 2000000);
		spk_noc_get_stats(noc, &st);
		for (size_t j = 0; j < t.n; j++) {
			uint32_t H = manhattan(8, t.p[j].src, t.p[j].dst);

			assert_true(t.p[j].arrival - t.p[j].inject >= (H + 1) * 3u);
			flits += t.p[j].flits;
			hops += H;
		}
		assert_int_equal(st.packets_delivered, t.n);
		assert_int_equal(st.flits_delivered, flits);
		assert_int_equal(st.hops, hops);
		assert_true(st.buffer_peak <= 4);
		spk_noc_destroy(noc);
		traffic_free(&t);
	}
}

/* Same traffic, same seed: identical statistics, link counters and arrival cycles. */
static void test_determinism(void **state)
{
	struct traffic t;
	struct spk_noc_stats st[2];
	uint64_t *links[2], *arr[2];

	(void)state;
	traffic_random(&t, 36, 0.25, 2000, 4, 3, 0, 77);
	for (int k = 0; k < 2; k++) {
		struct spk_noc *noc = make_noc(6, 6, 4, 2, 6);

		noc_run_traffic(noc, &t, 6, 2000000);
		spk_noc_get_stats(noc, &st[k]);
		links[k] = malloc(36 * 5 * sizeof(uint64_t));
		arr[k] = malloc(t.n * sizeof(uint64_t));
		assert_non_null(links[k]);
		assert_non_null(arr[k]);
		memcpy(links[k], spk_noc_link_counts(noc), 36 * 5 * sizeof(uint64_t));
		for (size_t j = 0; j < t.n; j++)
			arr[k][j] = t.p[j].arrival;
		spk_noc_destroy(noc);
	}
	assert_memory_equal(&st[0], &st[1], sizeof(st[0]));
	assert_memory_equal(links[0], links[1], 36 * 5 * sizeof(uint64_t));
	assert_memory_equal(arr[0], arr[1], t.n * sizeof(uint64_t));
	for (int k = 0; k < 2; k++) {
		free(links[k]);
		free(arr[k]);
	}
	traffic_free(&t);
}

/* One configuration of a comparison with the naive model. */
struct nv_case {
	uint32_t mx, my, B, P, eject_cap, max_flits, max_delay;
	double rate;
	int bursty;
	uint32_t n_groups, max_members;	/* multicast groups (0: unicast traffic only) */
	double p_mc;
};

#define CMP_STAT(f)								\
	do {									\
		if (st.f != nv.st.f)						\
			fail_msg("%s: " #f " naive %llu, event-driven %llu", what,	\
				 (unsigned long long)nv.st.f,			\
				 (unsigned long long)st.f);			\
	} while (0)

/*
 * Runs the case's random traffic (seed) through the naive model and the event-driven one:
 * same injection cycle for every packet, same arrival cycle for every copy (the event-driven
 * side checks tile and payload of each), same statistics and per-link counts.
 */
static void check_equals_naive(const struct nv_case *k, uint64_t seed, const char *what)
{
	uint32_t n = k->mx * k->my;
	struct traffic t;
	struct naive nv;
	struct spk_noc *noc;
	struct spk_noc_stats st;
	uint64_t *inj, *arr;

	traffic_mixed(&t, n, k->rate, 1200, k->max_flits, k->max_delay, k->bursty, k->n_groups,
		      k->max_members, k->p_mc, seed);
	assert_true(t.n > 50);
	nv_init(&nv, k->mx, k->my, k->B, k->P, k->eject_cap, &t);
	nv_run(&nv, 1000000);
	inj = malloc(t.n * sizeof(*inj));
	arr = malloc(t.n_copies * sizeof(*arr));
	assert_non_null(inj);
	assert_non_null(arr);
	for (size_t j = 0; j < t.n; j++)
		inj[j] = t.p[j].inject;
	memcpy(arr, t.carr, t.n_copies * sizeof(*arr));

	noc = make_noc(k->mx, k->my, k->B, k->P, k->eject_cap);
	noc_run_traffic(noc, &t, k->eject_cap, 1000000);
	for (size_t j = 0; j < t.n; j++) {
		const struct tpkt *p = &t.p[j];
		uint32_t copies = p->mc != 0 ? t.g[p->mc - 1].n : 1;

		for (uint32_t c = 0; c < copies; c++) {
			if (p->inject == inj[j] && t.carr[p->copy0 + c] == arr[p->copy0 + c])
				continue;
			fail_msg("%s: packet %zu (%u -> %u%s, group %u copy %u, %u flits, created "
				 "%llu): naive inject %llu arrival %llu, event-driven %llu %llu",
				 what, j, p->src, p->mc ? t.g[p->mc - 1].m[c].tile : p->dst,
				 p->mc ? " multicast" : "", p->mc, c, p->flits,
				 (unsigned long long)p->create, (unsigned long long)inj[j],
				 (unsigned long long)arr[p->copy0 + c],
				 (unsigned long long)p->inject,
				 (unsigned long long)t.carr[p->copy0 + c]);
		}
	}
	spk_noc_get_stats(noc, &st);
	CMP_STAT(packets_injected);
	CMP_STAT(packets_delivered);
	CMP_STAT(flits_injected);
	CMP_STAT(flits_delivered);
	CMP_STAT(inject_refused);
	CMP_STAT(hops);
	CMP_STAT(router_flits);
	CMP_STAT(link_flits);
	CMP_STAT(latency_sum);
	CMP_STAT(latency_max);
	CMP_STAT(stall_cycles);
	CMP_STAT(buffer_peak);
	assert_int_equal(st.packets_delivered, t.n_copies);
	assert_memory_equal(spk_noc_link_counts(noc), nv.link_count,
			    (size_t)n * NV_PORTS * sizeof(uint64_t));
	/* The event-driven model skipped work (bursty traffic leaves the mesh idle). */
	assert_true(st.cycles_evaluated <= st.cycles);
	assert_true(st.router_evals < st.cycles_evaluated * n || !k->bursty);
	spk_noc_destroy(noc);
	nv_fini(&nv);
	free(inj);
	free(arr);
	traffic_free(&t);
}

/* Event-driven model == naive model, packet for packet, over several configurations. */
static void test_event_driven_equals_naive(void **state)
{
	static const struct nv_case cfgs[] = {
		{ 4, 4, 2, 1, 0, 1, 0, 0.3, 0, 0, 0, 0 },
		{ 4, 4, 4, 2, 0, 4, 0, 0.15, 1, 0, 0, 0 },
		{ 3, 5, 3, 3, 5, 3, 4, 0.2, 1, 0, 0, 0 },
		{ 5, 3, 5, 2, 2, 2, 6, 0.4, 0, 0, 0, 0 },
		{ 1, 6, 2, 4, 0, 3, 0, 0.1, 1, 0, 0, 0 },
		{ 6, 6, 4, 2, 8, 5, 2, 0.5, 0, 0, 0, 0 },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
		char what[64];

		snprintf(what, sizeof(what), "unicast config %zu", c);
		check_equals_naive(&cfgs[c], 500 + c, what);
	}
}

/*
 * The same with tree multicast: multi-flit unicast packets and multicast spikes and tokens of
 * random groups (random member sets, the source among them at times), random injection, bounded
 * and unbounded unit inputs, throttled (B < P + 2) and default buffers and pipelines, several
 * seeds each.
 */
static void test_multicast_equals_naive(void **state)
{
	static const struct nv_case cfgs[] = {
		/* default preset: B = 4, P = 2 */
		{ 4, 4, 4, 2, 0, 3, 0, 0.2, 0, 12, 16, 0.5 },
		{ 5, 4, 4, 2, 6, 4, 3, 0.3, 1, 20, 8, 0.4 },
		/* throttled: B < P + 2 */
		{ 4, 4, 2, 1, 3, 2, 2, 0.25, 0, 10, 16, 0.6 },
		{ 3, 5, 2, 3, 0, 3, 0, 0.2, 1, 8, 6, 0.5 },
		/* slow consumers and large groups at a high load */
		{ 6, 6, 3, 2, 4, 4, 6, 0.4, 0, 30, 36, 0.3 },
		/* a line, and one tile */
		{ 1, 7, 4, 2, 3, 3, 1, 0.3, 0, 6, 7, 0.5 },
		{ 1, 1, 2, 1, 1, 1, 2, 0.5, 0, 2, 1, 0.5 },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
		for (uint64_t seed = 0; seed < 3; seed++) {
			char what[64];

			snprintf(what, sizeof(what), "multicast config %zu seed %llu", c,
				 (unsigned long long)seed);
			check_equals_naive(&cfgs[c], 900 + 10 * c + seed, what);
		}
	}
}

/* Back-pressure at injection: a busy NI, then no credit when the network is full. */
static void test_inject_backpressure(void **state)
{
	struct spk_noc *noc = make_noc(2, 1, 2, 1, 3);
	struct spk_packet big = { .src = 0, .dst = 1, .flits = 3 };
	struct spk_packet one = { .src = 0, .dst = 1, .flits = 1 };
	struct spk_noc_delivery dv;
	struct spk_noc_stats st;
	int accepted = 0, delivered = 0;

	(void)state;
	assert_true(spk_noc_can_inject(noc, 0));
	assert_int_equal(spk_noc_inject(noc, &big), 0);
	/* The NI sends one flit per cycle: busy for three cycles. */
	assert_int_equal(spk_noc_inject(noc, &one), -EAGAIN);
	spk_noc_run(noc, spk_noc_now(noc) + 1, 0);
	assert_false(spk_noc_can_inject(noc, 0));
	/* Tile 1's unit takes the big packet (3 flits, its whole input) and keeps it: the network
	 * behind it fills up and the NI refuses. */
	for (int i = 0; i < 50; i++) {
		if (spk_noc_inject(noc, &one) == 0)
			accepted++;
		spk_noc_run(noc, spk_noc_now(noc) + 1, 0);
	}
	assert_true(accepted > 0 && accepted < 10);
	assert_false(spk_noc_can_inject(noc, 0));
	assert_int_equal(spk_noc_pending(noc), 1);
	spk_noc_get_stats(noc, &st);
	assert_true(st.inject_refused > 40);
	assert_int_equal(spk_noc_ni_refused(noc)[0], st.inject_refused);	/* the only sender */
	assert_true(st.buffer_peak <= 2);
	/* The unit frees each packet as it is collected: everything drains. */
	for (int i = 0; i < 200 && !spk_noc_idle(noc); i++) {
		while (spk_noc_collect(noc, &dv, 1) == 1) {
			spk_noc_eject_credit(noc, 1, dv.pkt.flits);
			delivered++;
		}
		spk_noc_run(noc, spk_noc_now(noc) + 1, 0);
	}
	while (spk_noc_collect(noc, &dv, 1) == 1)
		delivered++;
	assert_true(spk_noc_idle(noc));
	assert_int_equal(delivered, accepted + 1);
	spk_noc_destroy(noc);
}

/* Packet sizes, config from the arch, energy of the counted events, idle behaviour. */
static void test_config_and_energy(void **state)
{
	struct spk_arch a;
	struct spk_noc_config cfg;
	struct spk_noc *noc;
	struct spk_noc_stats st;
	struct spk_packet pk = { .src = 0, .dst = 15, .flits = 2 };
	struct spk_noc_delivery dv;

	(void)state;
	assert_int_equal(spk_noc_packet_flits(32, SPK_PACKET_SPIKE), 1);
	assert_int_equal(spk_noc_packet_flits(32, SPK_PACKET_GRADED), 2);
	assert_int_equal(spk_noc_packet_flits(16, SPK_PACKET_GRADED), 3);
	assert_int_equal(spk_noc_packet_flits(12, SPK_PACKET_GRADED), 4);
	assert_int_equal(spk_noc_packet_flits(8, SPK_PACKET_TOKEN), 1);

	memset(&a, 0, sizeof(a));
	a.chip.mesh_x = 4;
	a.chip.mesh_y = 4;
	a.noc.buffer_flits = 4;
	a.noc.router_stages = 2;
	a.noc.flit_bits = 32;
	a.core.input_fifo = 64;
	a.energy.router_pj = 3;
	a.energy.link_pj = 1;
	a.noc.multicast = SPK_MULTICAST_TREE;
	assert_int_equal(spk_noc_config_from_arch(&cfg, &a), 0);	/* the model does both */
	a.noc.multicast = SPK_MULTICAST_SOURCE;
	assert_int_equal(spk_noc_config_from_arch(&cfg, &a), 0);
	assert_int_equal(cfg.eject_flits, 64);
	noc = spk_noc_create(&cfg);
	assert_non_null(noc);

	/* An empty network: no work, time jumps straight to the limit. */
	assert_int_equal(spk_noc_next_cycle(noc), UINT64_MAX);
	spk_noc_run(noc, 1000000000, SPK_NOC_STOP_AT_DELIVERY);
	assert_int_equal(spk_noc_now(noc), 1000000000);
	spk_noc_get_stats(noc, &st);
	assert_int_equal(st.cycles_evaluated, 0);

	assert_int_equal(spk_noc_inject(noc, &pk), 0);
	/* the head flit is in; the NI sends the second one next cycle */
	assert_int_equal(spk_noc_next_cycle(noc), spk_noc_now(noc) + 1);
	spk_noc_run(noc, UINT64_MAX, SPK_NOC_STOP_AT_DELIVERY);
	assert_int_equal(spk_noc_collect(noc, &dv, 1), 1);
	spk_noc_eject_credit(noc, 15, 2);
	spk_noc_get_stats(noc, &st);
	/* 6 hops: 7 routers, 6 links, 2 flits */
	assert_int_equal(st.router_flits, 14);
	assert_int_equal(st.link_flits, 12);
	assert_int_equal(st.hops, 6);
	assert_true(st.busiest_link_flits == 2);
	assert_true(st.busiest_link % 5 != 0);
	assert_true(spk_noc_energy_pj(&st, &a.energy) == 14 * 3.0 + 12 * 1.0);
	assert_int_equal(st.latency_max, 7 * 3 + 1);
	assert_int_equal(st.latency_sum, 7 * 3 + 1);
	spk_noc_destroy(noc);
}

/* ---------------------------------------------------------------------------------------- */
/* Tree multicast, directed.                                                                 */

/* Runs until the network is idle, collecting every delivery into dv (max n). Returns how many. */
static size_t run_collect(struct spk_noc *noc, struct spk_noc_delivery *dv, size_t n)
{
	size_t k = 0;

	for (int i = 0; i < 100000 && !spk_noc_idle(noc); i++) {
		spk_noc_run(noc, UINT64_MAX, SPK_NOC_STOP_AT_DELIVERY);
		k += spk_noc_collect(noc, dv + k, n - k);
	}
	assert_true(spk_noc_idle(noc));
	return k;
}

/*
 * One multicast packet alone in the network: each copy arrives after the unicast latency of its
 * member's distance, L = (H + 1)(P + 1), translated by the member's NI. Groups of every tile
 * (the tree spans the mesh: n − 1 links, n − 1 + n router flits) and random subsets, from every
 * source, throttled and default buffers.
 */
static void test_multicast_latency(void **state)
{
	static const uint32_t cfgs[][2] = { { 1, 1 }, { 2, 4 }, { 3, 2 }, { 4, 4 } };
	const uint32_t mx = 4, my = 3, n = mx * my;
	struct spk_rng rng;

	(void)state;
	spk_rng_seed(&rng, 42);
	for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
		uint32_t P = cfgs[c][0], B = cfgs[c][1];
		struct spk_noc *noc = make_noc(mx, my, B, P, 0);
		struct spk_noc_member all[12][12], some[12][12];
		uint32_t n_some[12], id;

		for (uint32_t s = 0; s < n; s++) {
			for (uint32_t t = 0; t < n; t++) {
				all[s][t].tile = t;
				all[s][t].axon_base = 100 * s + t;
				all[s][t].route = 7 * t + s;
			}
			assert_int_equal(spk_noc_add_group(noc, s, all[s], n, &id), 0);
			assert_int_equal(id, 2 * s + 1);
			n_some[s] = 0;
			for (uint32_t t = 0; t < n; t++) {
				if (spk_rng_below(&rng, 3) != 0)
					continue;
				some[s][n_some[s]].tile = n - 1 - t;	/* registered out of order */
				some[s][n_some[s]].axon_base = 1000 + t;
				some[s][n_some[s]].route = 50 + t;
				n_some[s]++;
			}
			if (n_some[s] == 0)
				some[s][n_some[s]++] = all[s][(s + 5) % n];
			assert_int_equal(spk_noc_add_group(noc, s, some[s], n_some[s], &id), 0);
			assert_int_equal(id, 2 * s + 2);
		}
		for (uint32_t s = 0; s < n; s++) {
			for (uint32_t which = 0; which < 2; which++) {
				const struct spk_noc_member *m = which == 0 ? all[s] : some[s];
				uint32_t k = which == 0 ? n : n_some[s];
				struct spk_packet pk = {
					.src = s, .flits = 1, .mc = 2 * s + 1 + which, .axon = 3,
					.kind = (uint8_t)(which == 0 ? SPK_PACKET_SPIKE : SPK_PACKET_TOKEN),
				};
				struct spk_noc_delivery dv[12];
				struct spk_noc_stats st0, st1;
				uint64_t t0, hops = 0;
				int seen[12] = { 0 };

				spk_noc_run(noc, spk_noc_now(noc) + 5, 0);
				spk_noc_get_stats(noc, &st0);
				t0 = spk_noc_now(noc);
				assert_int_equal(spk_noc_inject(noc, &pk), 0);
				assert_int_equal(run_collect(noc, dv, 12), k);
				for (uint32_t j = 0; j < k; j++) {
					uint32_t t = dv[j].pkt.dst, H = manhattan(mx, s, t), i;

					for (i = 0; i < k && m[i].tile != t; i++)
						;
					assert_true(i < k);
					assert_int_equal(seen[t]++, 0);
					assert_int_equal(dv[j].inject_cycle, t0);
					assert_int_equal(dv[j].arrival_cycle - t0, (H + 1) * (P + 1));
					assert_int_equal(dv[j].pkt.axon, which == 0 ? m[i].axon_base + 3
										    : m[i].route);
					assert_int_equal(dv[j].pkt.mc, pk.mc);
					assert_int_equal(dv[j].pkt.src, s);
					hops += H;
				}
				spk_noc_get_stats(noc, &st1);
				assert_int_equal(st1.packets_injected - st0.packets_injected, 1);
				assert_int_equal(st1.flits_injected - st0.flits_injected, 1);
				assert_int_equal(st1.packets_delivered - st0.packets_delivered, k);
				assert_int_equal(st1.flits_delivered - st0.flits_delivered, k);
				assert_int_equal(st1.hops - st0.hops, hops);
				assert_int_equal(st1.latency_sum - st0.latency_sum,
						 hops * (P + 1) + k * (P + 1));
				assert_int_equal(st1.stall_cycles, 0);
				if (which == 0) {
					assert_int_equal(st1.link_flits - st0.link_flits, n - 1);
					assert_int_equal(st1.router_flits - st0.router_flits, 2 * n - 1);
				}
			}
		}
		spk_noc_destroy(noc);
	}
}

/*
 * The links of one tree, by hand. 4x4 mesh, source (1,1) = 5, members 7 (3,1), 13 (1,3),
 * 15 (3,3) and 5 itself. XY paths: 5 -E-> 6 -E-> 7; 5 -S-> 9 -S-> 13; 5 -E-> 6 -E-> 7 -S-> 11
 * -S-> 15. Tree edges: 5E 6E 5S 9S 7S 11S (6 link flits, where 3 unicast packets would take
 * 8), ejections at 5 7 13 15: 10 router flits.
 */
static void test_multicast_tree_links(void **state)
{
	const struct spk_noc_member m[] = {
		{ .tile = 15, .axon_base = 1 }, { .tile = 7, .axon_base = 2 },
		{ .tile = 13, .axon_base = 3 }, { .tile = 5, .axon_base = 4 },
	};
	struct spk_noc *noc = make_noc(4, 4, 4, 2, 0);
	struct spk_packet pk = { .src = 5, .flits = 1, .mc = 1, .axon = 10 };
	struct spk_noc_delivery dv[4];
	struct spk_noc_stats st;
	uint64_t expect[16 * 5] = { 0 };
	const uint64_t *lc;
	uint32_t id;

	(void)state;
	assert_int_equal(spk_noc_add_group(noc, 5, m, 4, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(spk_noc_inject(noc, &pk), 0);
	assert_int_equal(run_collect(noc, dv, 4), 4);
	expect[5 * 5 + SPK_PORT_EAST] = expect[6 * 5 + SPK_PORT_EAST] = 1;
	expect[5 * 5 + SPK_PORT_SOUTH] = expect[9 * 5 + SPK_PORT_SOUTH] = 1;
	expect[7 * 5 + SPK_PORT_SOUTH] = expect[11 * 5 + SPK_PORT_SOUTH] = 1;
	expect[5 * 5] = expect[7 * 5] = expect[13 * 5] = expect[15 * 5] = 1;
	lc = spk_noc_link_counts(noc);
	for (size_t i = 0; i < 16 * 5; i++)
		assert_int_equal(lc[i], expect[i]);
	spk_noc_get_stats(noc, &st);
	assert_int_equal(st.link_flits, 6);
	assert_int_equal(st.router_flits, 10);
	assert_int_equal(st.hops, 2 + 2 + 4 + 0);
	assert_int_equal(st.packets_injected, 1);
	assert_int_equal(st.packets_delivered, 4);
	/* one cycle apart per hop; the source's own copy first, then 7 and 13 together */
	assert_int_equal(dv[0].pkt.dst, 5);
	assert_int_equal(dv[0].pkt.axon, 14);
	assert_int_equal(dv[1].pkt.dst, 7);
	assert_int_equal(dv[2].pkt.dst, 13);
	assert_int_equal(dv[1].arrival_cycle, dv[2].arrival_cycle);
	assert_int_equal(dv[1].pkt.axon, 12);
	assert_int_equal(dv[2].pkt.axon, 13);
	assert_int_equal(dv[3].pkt.dst, 15);
	assert_int_equal(dv[3].pkt.axon, 11);
	spk_noc_destroy(noc);
}

/* A group of the source's own tile only: the copy turns round in the source router, L = P + 1. */
static void test_multicast_self(void **state)
{
	const struct spk_noc_member m = { .tile = 4, .axon_base = 20, .route = 9 };
	struct spk_noc *noc = make_noc(3, 3, 4, 2, 1);
	struct spk_packet pk = { .src = 4, .flits = 1, .mc = 1, .kind = SPK_PACKET_TOKEN,
				 .tag = 1, .id = 77 };
	struct spk_noc_delivery dv;
	struct spk_noc_stats st;
	uint32_t id;

	(void)state;
	assert_int_equal(spk_noc_add_group(noc, 4, &m, 1, &id), 0);
	assert_int_equal(spk_noc_inject(noc, &pk), 0);
	assert_int_equal(run_collect(noc, &dv, 1), 1);
	assert_int_equal(dv.arrival_cycle, 3);
	assert_int_equal(dv.pkt.dst, 4);
	assert_int_equal(dv.pkt.axon, 9);		/* a token: the member's route */
	assert_int_equal(dv.pkt.kind, SPK_PACKET_TOKEN);
	assert_int_equal(dv.pkt.tag, 1);
	assert_int_equal(dv.pkt.id, 77);
	spk_noc_get_stats(noc, &st);
	assert_int_equal(st.router_flits, 1);
	assert_int_equal(st.link_flits, 0);
	assert_int_equal(st.hops, 0);
	/* the unit's input (1 flit) is full until it frees the copy */
	assert_int_equal(spk_noc_inject(noc, &pk), 0);
	spk_noc_run(noc, 20, 0);
	assert_int_equal(spk_noc_pending(noc), 0);
	spk_noc_eject_credit(noc, 4, 1);
	assert_int_equal(run_collect(noc, &dv, 1), 1);
	assert_int_equal(dv.arrival_cycle, 22);	/* freed in 20, usable from 21 */
	spk_noc_get_stats(noc, &st);
	assert_true(st.stall_cycles > 0);
	spk_noc_destroy(noc);
}

/* Registration errors: no member, a repeated tile, a tile or source outside the mesh. */
static void test_add_group_errors(void **state)
{
	struct spk_noc *noc = make_noc(3, 2, 4, 2, 0);
	struct spk_noc_member m[3] = { { .tile = 1 }, { .tile = 5 }, { .tile = 1 } };
	uint32_t id = 99;

	(void)state;
	assert_int_equal(spk_noc_add_group(noc, 0, m, 0, &id), -EINVAL);
	assert_int_equal(spk_noc_add_group(noc, 0, m, 3, &id), -EINVAL);
	m[2].tile = 6;
	assert_int_equal(spk_noc_add_group(noc, 0, m, 3, &id), -EINVAL);
	m[2].tile = 2;
	assert_int_equal(spk_noc_add_group(noc, 6, m, 3, &id), -EINVAL);
	assert_int_equal(id, 99);
	/* the failures left nothing behind: the first group is 1 */
	assert_int_equal(spk_noc_add_group(noc, 0, m, 3, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(spk_noc_add_group(noc, 5, m, 1, &id), 0);
	assert_int_equal(id, 2);
	spk_noc_destroy(noc);
}

/*
 * A unicast worm owning an output delays only that branch. 3x1 mesh, P = 2, B = 4: an 8-flit
 * packet 0 -> 2 injected in cycle 0 holds router 1's east output from cycle 5 (its head) to 12
 * (its tail). A multicast from tile 1 to tiles 0 and 2, injected in cycle 4, is ready at router
 * 1 in cycle 6: its west copy leaves at once and arrives after L = 2(P + 1) (cycle 10); its east
 * copy waits for the tail, leaves in cycle 13 and arrives one cycle after the worm (17). The
 * flit stalls in cycles 6..12: 7 stall cycles.
 */
static void test_multicast_worm_branch(void **state)
{
	const struct spk_noc_member m[] = { { .tile = 0, .axon_base = 0 }, { .tile = 2, .axon_base = 0 } };
	struct spk_noc *noc = make_noc(3, 1, 4, 2, 0);
	struct spk_packet worm = { .src = 0, .dst = 2, .flits = 8, .kind = SPK_PACKET_GRADED };
	struct spk_packet mc = { .src = 1, .flits = 1, .mc = 1, .id = 1 };
	struct spk_noc_delivery dv[3];
	struct spk_noc_stats st;
	uint32_t id;

	(void)state;
	assert_int_equal(spk_noc_add_group(noc, 1, m, 2, &id), 0);
	assert_int_equal(spk_noc_inject(noc, &worm), 0);
	spk_noc_run(noc, 4, 0);
	assert_int_equal(spk_noc_inject(noc, &mc), 0);
	assert_int_equal(run_collect(noc, dv, 3), 3);
	/* arrival order: west copy (10), worm (16), east copy (17) */
	assert_int_equal(dv[0].pkt.id, 1);
	assert_int_equal(dv[0].pkt.dst, 0);
	assert_int_equal(dv[0].arrival_cycle, 4 + 2 * 3);
	assert_int_equal(dv[1].pkt.id, 0);
	assert_int_equal(dv[1].arrival_cycle, 2 * 3 + 3 + 7);
	assert_int_equal(dv[2].pkt.id, 1);
	assert_int_equal(dv[2].pkt.dst, 2);
	assert_int_equal(dv[2].arrival_cycle, dv[1].arrival_cycle + 1);
	spk_noc_get_stats(noc, &st);
	assert_int_equal(st.stall_cycles, 7);
	assert_int_equal(st.link_flits, 2 * 8 + 2);
	spk_noc_destroy(noc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_load_latency),
		cmocka_unit_test(test_xy_path),
		cmocka_unit_test(test_hot_spot),
		cmocka_unit_test(test_round_robin_fairness),
		cmocka_unit_test(test_uniform_random),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_event_driven_equals_naive),
		cmocka_unit_test(test_multicast_equals_naive),
		cmocka_unit_test(test_inject_backpressure),
		cmocka_unit_test(test_config_and_energy),
		cmocka_unit_test(test_multicast_latency),
		cmocka_unit_test(test_multicast_tree_links),
		cmocka_unit_test(test_multicast_self),
		cmocka_unit_test(test_add_group_errors),
		cmocka_unit_test(test_multicast_worm_branch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
