/*
 * core.c — the synapse core (see core.h; the contract is doc/architecture.md §6 and §9).
 *
 * Three engines share the core's state and talk only through registered state:
 *
 *   receive  takes the packet at the head of the input FIFO when it is free (arrival <= x),
 *            returns its credits, and applies it: a spike adds kernel rows into accumulators
 *            (n SOPs, busy max(1, ceil(n / adders)) cycles), a graded event adds into one
 *            element or writes one encoder-register element, a token counts for the pieces its
 *            route writes, a release counts for one of our routes (1 cycle each);
 *   fire     picks, among the readers that may fire, the lowest (phase, step, piece); updates
 *            neuron_updates elements per cycle in element order, stalling a cycle when the
 *            output queue (as registered at the start of the cycle) cannot take the group's
 *            entries; queues the end-of-step marker with the last group; the piece's last
 *            reader clears the accumulator and releases the routes that wrote the piece;
 *   send     offers one packet per cycle: pending releases first, else the next packet of the
 *            output queue's head entry: one per "send" of its reader, in routing-table order
 *            (a send is a unicast route, or with tree multicast a whole group of routes sent
 *            as one packet from its first route's position).
 *
 * eval(x) runs send, fire, receive in that order on purpose: send sees only queue entries from
 * earlier cycles; fire reads the queue occupancy registered at the start of the cycle (taken
 * before send pops) and token/release counters that receive has not yet touched in this cycle;
 * what receive applies is seen from x + 1. That is the two-phase rule, with the commit folded
 * into the order.
 *
 * NI wake-ups (spk_core_set_ni_wake()). A core whose packet the NI refused in x would offer it
 * again, and be refused, in every cycle until the NI frees; a fire stalled behind the full
 * queue in x, with nothing received in x, would stall identically until the queue drains. With
 * wake-ups on, both sleep (the caller wakes the core when its NI frees), and the next
 * evaluation adds the refusals and stalls of the cycles slept through, so the counts are those
 * of a core evaluated every cycle.
 *
 * Storage. Spike additions go into a piece's 32-bit accumulators, kept channel-last (index
 * (r·width + x)·gs + c) so that a kernel row of the piece's g channels adds to contiguous words,
 * eight lanes per vector add (add_row(); gs is g, or g padded with zero weights to whole
 * vectors when that saves three or more scalar adds per row). Everything else is in the
 * contract's element order ((c·rows + r)·width + x), the order the fire engine walks and axons
 * count: the 64-bit accumulators (graded adds, and the 32-bit words folded in before they could
 * overflow, acc32_reserve()), the encoder register and the membranes. So a graded event's axon
 * is its index, and the fire engine reads those three sequentially, the 32-bit words at stride
 * gs. It reads the sum of both accumulators: exact. A piece without graded inputs or folds
 * since its last reset has all-zero 64-bit words (acc_live false), which the fire engine then
 * neither reads nor clears. Membranes are stored 64-bit and saturated to membrane_bits. The LIF
 * arithmetic is models/semantics.h, the one the reference inference and the image executor use.
 *
 * Per-event work. What a spike needs is computed at setup: its route is found through a bucket
 * table over the axon ranges (spike_range()); its element index is split into channel, row and
 * column by multiplications (struct spk_divisor, no divide instruction); for each projection, the
 * output rows and columns an input row or column reaches come with the offsets of their first
 * kernel tap and accumulator (struct span), and the next output is a fixed step away in both.
 * The fire engine steps channel and position instead of dividing. The records the hot paths
 * read (struct spk_core, in_route, proj, piece, reader) start with one cache line holding what
 * they read per event.
 *
 * Flow control (doc/architecture.md §9): a reader fires step s only when each of its routes has
 * been released for s − 1, so no queued packet ever waits for a release and the queue drains as
 * fast as the NI takes packets. The 1-bit tag of every packet is checked against the step the
 * core expects; a mismatch, or a spike arriving for a projection whose earlier readers have not
 * fired (phase causality), is a broken invariant of the chip image and asserts.
 */
#include "config.h"

#include "sim/core.h"
#include "util/divisor.h"

#include "models/semantics.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- state ------------------------------------------------------------------------------------- */

enum qkind { Q_SPIKE = 0, Q_GRADED = 1, Q_MARKER = 2 };

struct qentry {
	uint8_t kind;
	uint32_t reader;
	uint32_t off;			/* spike: element index; graded: site channel */
	int32_t value;
	uint64_t step;
};

/* An axon range [lo, hi) and what it maps to. */
struct range {
	uint32_t lo, hi;
	uint32_t index;			/* spike: in-route; graded: piece */
	uint32_t enc;			/* graded: 1 for the encoder register */
};

/*
 * Layout. The per-event state is grouped at the start of each record, in one cache line (64 bytes,
 * records and arrays of them aligned to it: calloc_lines()): what the receive engine reads for a
 * spike in struct in_route, proj and piece, what the send and fire engines read in struct reader,
 * and what every evaluation reads in struct spk_core. The rest follows.
 */
#define LINE 64

struct piece {
	/* hot: take_spike(), fire() */
	_Alignas(LINE) int32_t *acc32;	/* [rows·W·gs] channel-last: spike additions since the
					   last fold */
	int64_t *acc;			/* [elems] element order: graded adds, folded spike sums */
	uint64_t step_q;		/* the step the piece is on */
	uint32_t g, W, rows, elems;
	uint32_t gs;			/* acc32's words per position: g, or g rounded up to a
					   multiple of 8 (zero lanes) when g % 8 >= 3 (add_row()) */
	uint32_t adds32;		/* spike-projection events added into acc32 since then */
	bool acc_live;			/* acc may hold a non-zero word (false: all zero, so the
					   fire engine reads and clears acc32 only) */
	bool has_enc;
	uint32_t c0, y0, H;
	struct spk_divisor w_div;		/* W (spike traces) */
	uint32_t enc_phase;
	uint64_t acc_writes;		/* graded adds and folds into acc, ever */
	int64_t *enc;			/* [elems] element order, or NULL */
	uint32_t *order;		/* [n_readers] reader indices, phase order */
	uint32_t n_readers;
	uint32_t *wr;			/* SPIKE and ATTN in-routes writing it */
	uint32_t n_wr;
	uint32_t *encr;			/* ENCODER in-routes writing its register */
	uint32_t n_encr;
	uint32_t tokens_q;		/* tokens of step_q counted */
	uint32_t enc_tokens_q;		/* ENCODER tokens of the current image */
};

/* The outputs one input row or column reaches, and where their kernel taps and accumulators
 * start (take_spike()). */
struct span {
	uint32_t lo, hi;		/* output rows (absolute, in the piece) or columns */
	uint32_t w_off;			/* the first one's tap: kernel row·k·gs or column·gs */
	uint32_t a_off;			/* its accumulators: (row − y0)·W·gs or column·gs */
};

struct proj {
	/* hot: take_spike() */
	_Alignas(LINE) int16_t *w;	/* [c_in][k][k][gs] */
	struct span *ry;		/* [h_in] */
	struct span *rx;		/* [w_in] */
	size_t w_ch;			/* k·k·gs: one input channel's weights */
	size_t w_dy, w_dx;		/* stride·k·gs, stride·gs: from one output's taps to the
					   next one's */
	uint32_t piece;
	int32_t before;			/* last reader of the piece with a lower phase, or -1 */
	uint32_t phase, c_in, h_in, w_in, k, stride, pad;
	int32_t *bias;			/* [g] */
};

/* One packet of a queue entry: a unicast route, or a multicast group (its first route). */
struct rsend {
	uint32_t route;
	uint32_t mc;			/* NoC group, 0 = unicast */
};

struct reader {
	/* hot: send(), fire() */
	_Alignas(LINE) struct rsend *sends;	/* what one queue entry sends, in order */
	int64_t *bias;			/* [g] biases of the projections before it */
	int64_t *th2;			/* [g] 2·θ (per-neuron) */
	int64_t *v;			/* [elems] membranes (per-neuron), element order */
	uint32_t n_sends;
	uint32_t piece, pop;		/* pop: the population (image index) */
	uint32_t n_routes;
	bool mean, last, need_enc;
	uint32_t phase;
	int32_t prev;			/* the piece's previous reader in phase order, or -1 */
	uint32_t need;			/* tokens of the piece's counter it needs */
	uint32_t *routes;		/* routing-table entries it sends on (release gate) */
	uint64_t fired_q;		/* steps fired */
};

struct in_route {
	/* hot: take_spike() */
	_Alignas(LINE) struct spk_divisor plane, width;	/* SPIKE: rows·width and width of the
							   source block */
	uint32_t c0, y0;		/* SPIKE: its first channel and row */
	uint32_t *projs;		/* SPIKE: projections reading its population */
	uint32_t n_projs;
	struct spk_unit_in_route cfg;
	uint32_t *pieces;		/* pieces it writes (token counting, releases) */
	int32_t *before;		/* per piece: its last reader before the route writes it */
	uint32_t n_pieces;
	uint64_t tokens_q;		/* tokens received: steps (images for ENCODER) */
	uint32_t done;			/* pieces finished with the current step */
};

struct spk_core {
	/* hot: every evaluation (eval, update_next) */
	_Alignas(LINE) uint64_t last_x;	/* last evaluated cycle, UINT64_MAX before cycle 0 */
	uint64_t next_q;
	uint64_t blocked_q;		/* ni_wake: cycle the NI refused a packet, the send engine
					   sleeping until woken; else UINT64_MAX */
	uint64_t busy_until_q;		/* first cycle the receive engine may take a packet */
	uint64_t took_x;		/* last cycle the receive engine took a packet */
	uint64_t stall_x;		/* last cycle the fire engine stalled (queue full) */
	uint64_t stalled_q;		/* ni_wake: the fire engine sleeps, stalled since this cycle
					   behind a queue that only the NI can drain; or UINT64_MAX */
	int32_t fire_q;			/* reader firing, or -1 */
	int32_t pick_q;			/* reader that may start in the next cycle, or -1 */

	/* hot: the queues */
	_Alignas(LINE) struct spk_unit_fifo fifo;	/* the input FIFO */
	struct qentry *q;		/* [output_queue] ring */
	struct spk_unit_queue oq;	/* its ring (unit.h); cap = output_queue */
	uint32_t send_pos_q;		/* next send (route or group) of the head entry */
	bool dirty;			/* fire-relevant state changed: recompute pick_q */
	bool ni_wake;			/* spk_core_set_ni_wake() */

	/* hot: sending, and finding what a spike reaches */
	_Alignas(LINE) struct spk_unit_releases rel;	/* releases of incoming routes, due */
	struct reader *readers;
	struct spk_unit_route *routes;
	struct in_route *in;
	uint32_t tile;
	uint32_t graded_flits;

	struct range *spike_ranges;
	/* The spike ranges by axon bucket: bucket b (axons [b << spike_shift, (b + 1) <<
	 * spike_shift)) starts its search at range spike_bucket[b] (spike_range()). */
	uint32_t *spike_bucket;
	uint32_t spike_shift, spike_end;	/* spike_end: the last range's hi */
	struct piece *pieces;
	struct proj *projs;
	struct spk_divisor adders;		/* [core] adders (a spike's busy cycles) */

	/* Fire engine. */
	uint64_t fire_step_q;
	uint32_t fire_elem_q;		/* next element */
	uint32_t fire_ch_q, fire_pos_q;	/* its channel and position in the channel's plane */
	bool fire_first_q;		/* the step is an image's first (membranes start at 0) */
	int64_t mean_sum_q;		/* running sum of the current channel (mean reader) */
	uint64_t fire_writes0;		/* the firing piece's acc_writes when the fire began */
	/* The last queue-room count of a group (fire()): valid while the fire is at the same
	 * (reader, step, element) and no packet was taken since (nothing it reads changed). */
	int32_t need_reader;		/* or -1 */
	uint64_t need_step, need_taken;
	uint32_t need_elem, need_entries;
	int64_t vmin, vmax;

	struct spk_core_config cfg;	/* sizes; the arrays are the core's own copies below */
	uint32_t T;
	struct spk_unit_in_route *in_cfg;	/* [n_in] the incoming routes as configured */
	/* The configuration's other arrays as given (spk_core_get_config(): the RTL core's load) */
	struct spk_core_piece *pieces_cfg;
	struct spk_core_proj *projs_cfg;	/* w and bias: copies below */
	struct spk_core_reader *readers_cfg;	/* theta: copies below */
	uint32_t *route_mc_cfg;			/* or NULL */
	uint64_t *released_q;		/* [n_routes] releases received (steps) */
	struct range *graded_ranges;
	uint32_t n_spike_ranges, n_graded_ranges;

	_Alignas(LINE) struct spk_core_stats st;
	/* By layer (spk_core_layer_counts()): SOPs per projection, data packets per routing
	 * entry, receive-busy cycles per incoming route (spikes, tokens), per graded range and per
	 * routing entry (its releases). One add per packet, beside the stats. */
	uint64_t *proj_sops;		/* [n_projs] */
	uint64_t *route_ev;		/* [n_routes] */
	uint64_t *in_busy;		/* [n_in] */
	uint64_t *graded_busy;		/* [n_graded_ranges] */
	uint64_t *rel_busy;		/* [n_routes] */
};

/* ---- create / destroy -------------------------------------------------------------------------- */

/* A copy of c->cfg's arrays as given (c->cfg still points at the caller's). 0 or -ENOMEM. */
static int keep_config(struct spk_core *c)
{
	const struct spk_core_config *cfg = &c->cfg;

	c->pieces_cfg = calloc(cfg->n_pieces + 1, sizeof(*c->pieces_cfg));
	c->projs_cfg = calloc(cfg->n_projs + 1, sizeof(*c->projs_cfg));
	c->readers_cfg = calloc(cfg->n_readers + 1, sizeof(*c->readers_cfg));
	if (c->pieces_cfg == NULL || c->projs_cfg == NULL || c->readers_cfg == NULL)
		return -ENOMEM;
	memcpy(c->pieces_cfg, cfg->pieces, cfg->n_pieces * sizeof(*cfg->pieces));
	for (uint32_t i = 0; i < cfg->n_projs; i++) {
		const struct spk_core_proj *p = &cfg->projs[i];
		uint32_t g = cfg->pieces[p->piece].channels;
		size_t nw = (size_t)p->c_in * p->kernel * p->kernel * g;
		int16_t *w = malloc(nw * sizeof(*w) + 1);
		int32_t *b = malloc(g * sizeof(*b) + 1);

		c->projs_cfg[i] = *p;
		c->projs_cfg[i].w = w;
		c->projs_cfg[i].bias = b;
		if (w == NULL || b == NULL)
			return -ENOMEM;
		memcpy(w, p->w, nw * sizeof(*w));
		memcpy(b, p->bias, g * sizeof(*b));
	}
	for (uint32_t i = 0; i < cfg->n_readers; i++) {
		const struct spk_core_reader *r = &cfg->readers[i];
		uint32_t g = cfg->pieces[r->piece].channels;

		c->readers_cfg[i] = *r;
		if (r->theta != NULL) {
			int64_t *th = malloc(g * sizeof(*th));

			c->readers_cfg[i].theta = th;
			if (th == NULL)
				return -ENOMEM;
			memcpy(th, r->theta, g * sizeof(*th));
		}
	}
	if (cfg->route_mc != NULL) {
		c->route_mc_cfg = malloc((cfg->n_routes + 1) * sizeof(*c->route_mc_cfg));
		if (c->route_mc_cfg == NULL)
			return -ENOMEM;
		memcpy(c->route_mc_cfg, cfg->route_mc, cfg->n_routes * sizeof(*cfg->route_mc));
	}
	return 0;
}

void spk_core_destroy(struct spk_core *c)
{
	if (c == NULL)
		return;
	if (c->projs_cfg != NULL)
		for (uint32_t i = 0; i < c->cfg.n_projs; i++) {
			free((void *)c->projs_cfg[i].w);
			free((void *)c->projs_cfg[i].bias);
		}
	if (c->readers_cfg != NULL)
		for (uint32_t i = 0; i < c->cfg.n_readers; i++)
			free((void *)c->readers_cfg[i].theta);
	free(c->pieces_cfg);
	free(c->projs_cfg);
	free(c->readers_cfg);
	free(c->route_mc_cfg);
	if (c->pieces != NULL)
		for (uint32_t i = 0; i < c->cfg.n_pieces; i++) {
			free(c->pieces[i].acc);
			free(c->pieces[i].acc32);
			free(c->pieces[i].enc);
			free(c->pieces[i].order);
			free(c->pieces[i].wr);
			free(c->pieces[i].encr);
		}
	if (c->projs != NULL)
		for (uint32_t i = 0; i < c->cfg.n_projs; i++) {
			free(c->projs[i].w);
			free(c->projs[i].bias);
			free(c->projs[i].ry);
			free(c->projs[i].rx);
		}
	if (c->readers != NULL)
		for (uint32_t i = 0; i < c->cfg.n_readers; i++) {
			free(c->readers[i].bias);
			free(c->readers[i].th2);
			free(c->readers[i].v);
			free(c->readers[i].routes);
			free(c->readers[i].sends);
		}
	if (c->in != NULL)
		for (uint32_t i = 0; i < c->cfg.n_in; i++) {
			free(c->in[i].projs);
			free(c->in[i].pieces);
			free(c->in[i].before);
		}
	free(c->pieces);
	free(c->projs);
	free(c->readers);
	free(c->in);
	free(c->in_cfg);
	free(c->routes);
	free(c->released_q);
	free(c->spike_ranges);
	free(c->spike_bucket);
	free(c->graded_ranges);
	free(c->proj_sops);
	free(c->route_ev);
	free(c->in_busy);
	free(c->graded_busy);
	free(c->rel_busy);
	spk_unit_fifo_fini(&c->fifo);
	free(c->q);
	spk_unit_releases_fini(&c->rel);
	free(c);
}

/*
 * Along one axis, for each input position i < n_in: the output positions [lo, hi) it reaches,
 * clipped to [clo, chi), and the offsets of the first one's kernel tap (kernel index
 * i + pad − lo·s, times wstep words) and accumulator (lo − clo, times astep words).
 */
static void reach(struct span *r, uint32_t n_in, uint32_t k, uint32_t s, uint32_t pad,
		  uint32_t clo, uint32_t chi, uint32_t wstep, uint32_t astep)
{
	for (uint32_t i = 0; i < n_in; i++) {
		struct span *sp = &r[i];

		spk_sem_reach(i, k, s, pad, clo, chi, &sp->lo, &sp->hi);
		sp->w_off = sp->lo < sp->hi ? (i + pad - sp->lo * s) * wstep : 0;
		sp->a_off = sp->lo < sp->hi ? (sp->lo - clo) * astep : 0;
	}
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The range holding axon a, or NULL. */
static const struct range *range_find(const struct range *r, uint32_t n, uint32_t a)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r[mid].hi <= a)
			lo = mid + 1;
		else if (r[mid].lo > a)
			hi = mid;
		else
			return &r[mid];
	}
	return NULL;
}

/*
 * The spike ranges get a bucket table, so that a spike's route is found in a step or two
 * instead of a binary search: buckets no larger than the smallest range (at most two ranges
 * meet in one), unless that would take more than SPIKE_BUCKETS_MAX buckets. Returns -ENOMEM
 * or 0.
 */
#define SPIKE_BUCKETS_MAX 1024u

static int spike_buckets(struct spk_core *c)
{
	const struct range *r = c->spike_ranges;
	const uint32_t n = c->n_spike_ranges;
	uint32_t min = UINT32_MAX, sh = 0, nb;

	c->spike_end = n > 0 ? r[n - 1].hi : 0;
	for (uint32_t i = 0; i < n; i++)
		if (r[i].hi - r[i].lo < min)
			min = r[i].hi - r[i].lo;
	while (sh < 31 && (UINT32_C(2) << sh) <= min)
		sh++;
	while (sh < 31 && ((c->spike_end - 1) >> sh) >= SPIKE_BUCKETS_MAX)
		sh++;
	nb = n > 0 ? ((c->spike_end - 1) >> sh) + 1 : 0;
	c->spike_shift = sh;
	c->spike_bucket = malloc((nb + 1) * sizeof(*c->spike_bucket));
	if (c->spike_bucket == NULL)
		return -ENOMEM;
	for (uint32_t b = 0, i = 0; b < nb; b++) {
		while (r[i].hi <= b << sh)	/* stops: the last hi is beyond every bucket */
			i++;
		c->spike_bucket[b] = i;
	}
	return 0;
}

/* The spike range holding axon a (asserted: a spike no route of this core covers is a broken
 * invariant). */
static inline const struct range *spike_range(const struct spk_core *c, uint32_t a)
{
	const struct range *r;

	assert(a < c->spike_end);
	r = &c->spike_ranges[c->spike_bucket[a >> c->spike_shift]];
	while (r->hi <= a)
		r++;
	assert(r->lo <= a);
	return r;
}

/* Sorts ranges and checks they do not overlap; 0 or -EINVAL. */
static int ranges_sort(struct range *r, uint32_t n)
{
	qsort(r, n, sizeof(*r), range_cmp);
	for (uint32_t i = 1; i < n; i++)
		if (r[i].lo < r[i - 1].hi)
			return -EINVAL;
	return 0;
}

/* calloc() of records aligned to cache lines (struct spk_core and its arrays of records). */
static void *calloc_lines(size_t n, size_t size)
{
	size_t bytes = (n * size + LINE - 1) / LINE * LINE;
	void *p = aligned_alloc(LINE, bytes);

	if (p != NULL)
		memset(p, 0, bytes);
	return p;
}

static int push_u32(uint32_t **a, uint32_t *n, uint32_t v)
{
	uint32_t *p = realloc(*a, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p[(*n)++] = v;
	*a = p;
	return 0;
}

static bool contains(const uint32_t *a, uint32_t n, uint32_t v)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] == v)
			return true;
	return false;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto out_free; } while (0)
#define NOMEM() BAD("out of memory for the synapse core's state")

static int copy_pieces(struct spk_core *c, char *err, size_t errlen)
{
	const struct spk_core_config *cfg = &c->cfg;

	for (uint32_t i = 0; i < cfg->n_pieces; i++) {
		const struct spk_core_piece *cp = &cfg->pieces[i];
		struct piece *p = &c->pieces[i];
		uint64_t elems = (uint64_t)cp->channels * cp->rows * cp->width;

		if (cp->channels == 0 || cp->rows == 0 || cp->width == 0 || elems > UINT32_MAX / 2 ||
		    cp->y0 + cp->rows > cp->height)
			BAD("piece %u: empty or inconsistent block", i);
		p->c0 = cp->c0;
		p->g = cp->channels;
		p->y0 = cp->y0;
		p->rows = cp->rows;
		p->W = cp->width;
		p->H = cp->height;
		p->elems = (uint32_t)elems;
		spk_divisor_init(&p->w_div, p->W);
		/* a row whose g % 8 last weights would take three or more scalar adds is cheaper as
		 * one more vector of eight lanes, the surplus ones zero weights into zero words */
		p->gs = p->g % 8 >= 3 ? (p->g + 7) / 8 * 8 : p->g;
		p->has_enc = cp->enc_axon != UINT32_MAX;
		p->enc_phase = cp->enc_phase;
		p->acc = calloc(elems, sizeof(int64_t));
		p->acc32 = calloc((size_t)cp->rows * cp->width * p->gs, sizeof(int32_t));
		if (p->acc == NULL || p->acc32 == NULL)
			NOMEM();
		if (p->has_enc && (p->enc = calloc(elems, sizeof(int64_t))) == NULL)
			NOMEM();
	}
	return 0;
out_free:
	return -EINVAL;
}

static int copy_projs(struct spk_core *c, char *err, size_t errlen)
{
	const struct spk_core_config *cfg = &c->cfg;

	for (uint32_t i = 0; i < cfg->n_projs; i++) {
		const struct spk_core_proj *cp = &cfg->projs[i];
		struct proj *p = &c->projs[i];
		const struct piece *pc;
		size_t n;

		if (cp->piece >= cfg->n_pieces)
			BAD("projection %u: piece %u out of range", i, cp->piece);
		pc = &c->pieces[cp->piece];
		if (cp->kernel == 0 || cp->stride == 0 || cp->c_in == 0 || cp->h_in == 0 ||
		    cp->w_in == 0 || cp->w == NULL || cp->bias == NULL)
			BAD("projection %u: empty kernel or input", i);
		p->piece = cp->piece;
		p->phase = cp->phase;
		p->c_in = cp->c_in;
		p->h_in = cp->h_in;
		p->w_in = cp->w_in;
		p->k = cp->kernel;
		p->stride = cp->stride;
		p->pad = cp->pad;
		if ((uint64_t)cp->kernel * cp->kernel * pc->gs > UINT32_MAX)
			BAD("projection %u: kernel too large", i);
		n = (size_t)cp->c_in * cp->kernel * cp->kernel;		/* taps */
		p->w = calloc(n * pc->gs, sizeof(*p->w));
		p->bias = malloc(pc->g * sizeof(*p->bias));
		p->ry = malloc((size_t)cp->h_in * sizeof(*p->ry));
		p->rx = malloc((size_t)cp->w_in * sizeof(*p->rx));
		if (p->w == NULL || p->bias == NULL || p->ry == NULL || p->rx == NULL)
			NOMEM();
		for (size_t t = 0; t < n; t++)	/* rows of gs weights, the surplus zero */
			memcpy(p->w + t * pc->gs, cp->w + t * pc->g, pc->g * sizeof(*p->w));
		memcpy(p->bias, cp->bias, pc->g * sizeof(*p->bias));
		reach(p->ry, cp->h_in, cp->kernel, cp->stride, cp->pad, pc->y0, pc->y0 + pc->rows,
		      cp->kernel * pc->gs, pc->W * pc->gs);
		reach(p->rx, cp->w_in, cp->kernel, cp->stride, cp->pad, 0, pc->W, pc->gs, pc->gs);
		p->w_ch = (size_t)cp->kernel * cp->kernel * pc->gs;
		p->w_dy = (size_t)cp->stride * cp->kernel * pc->gs;
		p->w_dx = (size_t)cp->stride * pc->gs;
	}
	return 0;
out_free:
	return -EINVAL;
}

/* Readers: copies, per-piece phase order, prev/last links. */
static int copy_readers(struct spk_core *c, char *err, size_t errlen)
{
	const struct spk_core_config *cfg = &c->cfg;

	for (uint32_t i = 0; i < cfg->n_readers; i++) {
		const struct spk_core_reader *cr = &cfg->readers[i];
		struct reader *r = &c->readers[i];
		struct piece *pc;
		uint32_t j;

		if (cr->piece >= cfg->n_pieces)
			BAD("reader %u: piece %u out of range", i, cr->piece);
		pc = &c->pieces[cr->piece];
		if (!cr->mean && cr->theta == NULL)
			BAD("reader %u: per-neuron reader without thresholds", i);
		r->piece = cr->piece;
		r->phase = cr->phase;
		r->pop = cr->pop;
		r->mean = cr->mean;
		r->bias = calloc(pc->g, sizeof(*r->bias));
		if (r->bias == NULL)
			NOMEM();
		if (!r->mean) {
			r->th2 = malloc(pc->g * sizeof(*r->th2));
			r->v = calloc(pc->elems, sizeof(*r->v));
			if (r->th2 == NULL || r->v == NULL)
				NOMEM();
			for (uint32_t k = 0; k < pc->g; k++)
				r->th2[k] = 2 * cr->theta[k];
		}
		/* insert into the piece's phase order */
		if (push_u32(&pc->order, &pc->n_readers, i) < 0)
			NOMEM();
		for (j = pc->n_readers - 1; j > 0 && c->readers[pc->order[j - 1]].phase > r->phase;
		     j--)
			pc->order[j] = pc->order[j - 1];
		pc->order[j] = i;
		if (j > 0 && c->readers[pc->order[j - 1]].phase == r->phase)
			BAD("reader %u: two readers of piece %u at phase %u", i, r->piece, r->phase);
	}
	for (uint32_t i = 0; i < cfg->n_pieces; i++) {
		struct piece *pc = &c->pieces[i];

		if (pc->n_readers == 0)
			BAD("piece %u: no reader (a site's last step must be a reader)", i);
		for (uint32_t j = 0; j < pc->n_readers; j++) {
			struct reader *r = &c->readers[pc->order[j]];

			r->prev = j == 0 ? -1 : (int32_t)pc->order[j - 1];
			r->last = j + 1 == pc->n_readers;
			r->need_enc = pc->has_enc && pc->enc_phase < r->phase;
		}
	}
	/* biases of the projections before each reader; the reader before each projection */
	for (uint32_t i = 0; i < cfg->n_projs; i++) {
		struct proj *p = &c->projs[i];
		const struct piece *pc = &c->pieces[p->piece];

		p->before = -1;
		for (uint32_t j = 0; j < pc->n_readers; j++) {
			struct reader *r = &c->readers[pc->order[j]];

			if (r->phase == p->phase)
				BAD("projection %u: same phase as reader %u", i, pc->order[j]);
			if (r->phase < p->phase) {
				p->before = (int32_t)pc->order[j];
				continue;
			}
			for (uint32_t k = 0; k < pc->g; k++)
				r->bias[k] += p->bias[k];
		}
	}
	return 0;
out_free:
	return -EINVAL;
}

/* The phase at which in-route r writes piece pi (the first of its projections there). */
static uint32_t write_phase(const struct spk_core *c, const struct in_route *r, uint32_t pi)
{
	uint32_t ph = UINT32_MAX;

	if (r->cfg.kind == SPK_IN_ATTN)
		return r->cfg.phase;
	for (uint32_t j = 0; j < r->n_projs; j++) {
		const struct proj *p = &c->projs[r->projs[j]];

		if (p->piece == pi && p->phase < ph)
			ph = p->phase;
	}
	return ph;
}

static int copy_in_routes(struct spk_core *c, char *err, size_t errlen)
{
	const struct spk_core_config *cfg = &c->cfg;
	uint32_t ns = 0, ng = 0;

	for (uint32_t i = 0; i < cfg->n_in; i++) {
		const struct spk_unit_in_route *cr = &cfg->in[i];
		struct in_route *r = &c->in[i];

		r->cfg = *cr;
		c->in_cfg[i] = *cr;
		switch (cr->kind) {
		case SPK_IN_SPIKE:
			if (cr->channels == 0 || cr->rows == 0 || cr->width == 0 ||
			    (uint64_t)cr->channels * cr->rows * cr->width > UINT32_MAX - cr->axon_base)
				BAD("incoming route %u: empty or too large source block", i);
			for (uint32_t j = 0; j < cfg->n_projs; j++) {
				const struct spk_core_proj *p = &cfg->projs[j];

				if (p->pop != cr->pop)
					continue;
				if (cr->c0 + cr->channels > p->c_in || cr->y0 + cr->rows > p->h_in ||
				    cr->width != p->w_in)
					BAD("incoming route %u: source block outside the input of "
					    "projection %u", i, j);
				if (push_u32(&r->projs, &r->n_projs, j) < 0)
					NOMEM();
				if (!contains(r->pieces, r->n_pieces, p->piece) &&
				    push_u32(&r->pieces, &r->n_pieces, p->piece) < 0)
					NOMEM();
			}
			if (r->n_pieces == 0)
				BAD("incoming route %u: no projection here reads population %u", i,
				    cr->pop);
			if ((uint64_t)cr->rows * cr->width > UINT32_C(1) << 31)
				BAD("incoming route %u: source block too large", i);
			spk_divisor_init(&r->plane, cr->rows * cr->width);
			spk_divisor_init(&r->width, cr->width);
			r->c0 = cr->c0;
			r->y0 = cr->y0;
			c->spike_ranges[ns++] = (struct range){
				cr->axon_base,
				cr->axon_base + cr->channels * cr->rows * cr->width, i, 0 };
			break;
		case SPK_IN_ATTN:
		case SPK_IN_ENCODER:
			if (cr->piece >= cfg->n_pieces)
				BAD("incoming route %u: piece %u out of range", i, cr->piece);
			if (cr->kind == SPK_IN_ENCODER && !c->pieces[cr->piece].has_enc)
				BAD("incoming route %u: piece %u has no encoder register", i,
				    cr->piece);
			if (cr->kind == SPK_IN_ATTN)
				for (uint32_t k = 0; k < c->pieces[cr->piece].n_readers; k++)
					if (c->readers[c->pieces[cr->piece].order[k]].phase ==
					    cr->phase)
						BAD("incoming route %u: same phase as a reader", i);
			if (push_u32(&r->pieces, &r->n_pieces, cr->piece) < 0)
				NOMEM();
			break;
		default:
			BAD("incoming route %u: kind %d is not for a synapse core", i, (int)cr->kind);
		}
		for (uint32_t j = 0; j < r->n_pieces; j++) {
			struct piece *pc = &c->pieces[r->pieces[j]];

			if (cr->kind == SPK_IN_ENCODER) {
				if (push_u32(&pc->encr, &pc->n_encr, i) < 0)
					NOMEM();
			} else if (push_u32(&pc->wr, &pc->n_wr, i) < 0) {
				NOMEM();
			}
		}
	}
	c->n_spike_ranges = ns;
	if (ranges_sort(c->spike_ranges, ns) < 0)
		BAD("incoming spike routes with overlapping axon ranges");
	if (spike_buckets(c) < 0)
		NOMEM();
	for (uint32_t i = 0; i < cfg->n_pieces; i++) {
		const struct piece *p = &c->pieces[i];
		const struct spk_core_piece *cp = &cfg->pieces[i];

		if ((uint64_t)cp->acc_axon + p->elems > UINT32_MAX ||
		    (p->has_enc && (uint64_t)cp->enc_axon + p->elems > UINT32_MAX))
			BAD("piece %u: graded axons out of range", i);
		c->graded_ranges[ng++] = (struct range){ cp->acc_axon, cp->acc_axon + p->elems, i,
							  0 };
		if (p->has_enc)
			c->graded_ranges[ng++] = (struct range){ cp->enc_axon,
								  cp->enc_axon + p->elems, i, 1 };
	}
	c->n_graded_ranges = ng;
	if (ranges_sort(c->graded_ranges, ng) < 0)
		BAD("pieces with overlapping graded axon ranges");
	/* Tokens each reader needs: (route, piece) pairs written before its phase. */
	for (uint32_t i = 0; i < cfg->n_readers; i++) {
		struct reader *rd = &c->readers[i];
		const struct piece *pc = &c->pieces[rd->piece];

		for (uint32_t j = 0; j < pc->n_wr; j++)
			if (write_phase(c, &c->in[pc->wr[j]], rd->piece) < rd->phase)
				rd->need++;
	}
	/* A route's projections into a piece may not straddle a reader: one token closes them. */
	for (uint32_t i = 0; i < cfg->n_in; i++) {
		struct in_route *r = &c->in[i];

		r->before = malloc((r->n_pieces + 1) * sizeof(*r->before));
		if (r->before == NULL)
			NOMEM();
		for (uint32_t j = 0; j < r->n_pieces; j++) {
			const struct piece *pc = &c->pieces[r->pieces[j]];
			uint32_t ph = r->cfg.kind == SPK_IN_ENCODER ? pc->enc_phase :
				      write_phase(c, r, r->pieces[j]);

			r->before[j] = -1;
			for (uint32_t k = 0; k < pc->n_readers; k++)
				if (c->readers[pc->order[k]].phase < ph)
					r->before[j] = (int32_t)pc->order[k];
		}

		for (uint32_t j = 0; j < r->n_projs; j++) {
			const struct proj *p = &c->projs[r->projs[j]];
			uint32_t first = write_phase(c, r, p->piece);
			const struct piece *pc = &c->pieces[p->piece];

			for (uint32_t k = 0; k < pc->n_readers; k++) {
				uint32_t ph = c->readers[pc->order[k]].phase;

				if (first < ph && ph < p->phase)
					BAD("incoming route %u: population %u is read by "
					    "projections on both sides of reader %u", i,
					    r->cfg.pop, pc->order[k]);
			}
		}
	}
	return 0;
out_free:
	return -EINVAL;
}

/* A grouped route, sorted by (group, route) to check the groups. */
struct mc_route {
	uint32_t mc, reader, route;
};

static int cmp_mc_route(const void *x, const void *y)
{
	const struct mc_route *a = x, *b = y;

	if (a->mc != b->mc)
		return a->mc < b->mc ? -1 : 1;
	return a->route < b->route ? -1 : a->route > b->route;
}

/*
 * What the send engine needs of the multicast groups (route_mc): it sends a group once, at its
 * first route in its reader's table order, so a group belongs to one reader, and a per-neuron
 * one (a spatial-mean reader's partial sums are graded packets, always unicast). The chip's
 * groups are so by construction (spk_image_mc_groups(): SPIKE routes only, grouped per reader);
 * the check stays for the configurations tests and other tops write by hand, which the core
 * refuses with a message rather than miscounting packets. That a group reaches each tile once
 * is not checked here: the core does not depend on it, spk_image_mc_groups() guarantees it,
 * and the NoC refuses such a group (spk_noc_add_group()).
 */
static int check_groups(const struct spk_core_config *cfg, char *err, size_t errlen)
{
	struct mc_route *m = malloc((cfg->n_routes + 1) * sizeof(*m));
	uint32_t n = 0;
	int rc = 0;

	if (m == NULL) {
		snprintf(err, errlen, "out of memory for the synapse core's state");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->n_routes; i++)
		if (cfg->route_mc[i] != 0)
			m[n++] = (struct mc_route){ cfg->route_mc[i], cfg->routes[i].source, i };
	qsort(m, n, sizeof(*m), cmp_mc_route);
	for (uint32_t k = 0; k < n && rc == 0; k++) {
		const struct mc_route *a = k > 0 && m[k - 1].mc == m[k].mc ? &m[k - 1] : NULL;

		if (cfg->readers[m[k].reader].mean) {
			snprintf(err, errlen, "route %u: a spatial-mean reader's route in "
				 "multicast group %u", m[k].route, m[k].mc);
			rc = -EINVAL;
		} else if (a != NULL && a->reader != m[k].reader) {
			snprintf(err, errlen, "routes %u and %u: multicast group %u spans two "
				 "readers", a->route, m[k].route, m[k].mc);
			rc = -EINVAL;
		}
	}
	free(m);
	return rc;
}

static int copy_routes(struct spk_core *c, char *err, size_t errlen)
{
	const struct spk_core_config *cfg = &c->cfg;

	for (uint32_t i = 0; i < cfg->n_routes; i++) {
		const struct spk_unit_route *r = &cfg->routes[i];

		if (r->source >= cfg->n_readers)
			BAD("route %u: reader %u out of range", i, r->source);
		c->routes[i] = *r;
		if (push_u32(&c->readers[r->source].routes, &c->readers[r->source].n_routes, i) < 0)
			NOMEM();
	}
	if (cfg->route_mc != NULL && check_groups(cfg, err, errlen) < 0)
		goto out_free;
	/* What a queue entry sends: each unicast route, and each group at its first route. */
	for (uint32_t i = 0; i < cfg->n_readers; i++) {
		struct reader *r = &c->readers[i];

		r->sends = malloc((r->n_routes + 1) * sizeof(*r->sends));
		if (r->sends == NULL)
			NOMEM();
		for (uint32_t j = 0; j < r->n_routes; j++) {
			uint32_t g = cfg->route_mc != NULL ? cfg->route_mc[r->routes[j]] : 0;
			bool seen = false;

			for (uint32_t k = 0; k < r->n_sends && g != 0 && !seen; k++)
				seen = r->sends[k].mc == g;
			if (!seen)
				r->sends[r->n_sends++] = (struct rsend){ r->routes[j], g };
		}
	}
	return 0;
out_free:
	return -EINVAL;
}

static void update_next(struct spk_core *c, uint64_t x);

struct spk_core *spk_core_create(const struct spk_core_config *cfg, char *err, size_t errlen)
{
	struct spk_core *c = calloc_lines(1, sizeof(*c));
	char dummy[8];

	if (err == NULL) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (c == NULL) {
		snprintf(err, errlen, "out of memory for the synapse core's state");
		return NULL;
	}
	c->cfg = *cfg;
	if (cfg->time_steps == 0 || cfg->adders == 0 || cfg->neuron_updates == 0 ||
	    cfg->input_fifo == 0 || cfg->output_queue == 0 || cfg->flit_bits == 0 ||
	    cfg->membrane_bits < 2 || cfg->membrane_bits > 62)
		BAD("bad sizes (time steps, adders, neuron updates, queues, widths)");
	if (cfg->adders > UINT32_C(1) << 31)
		BAD("bad sizes (adders)");
	if (cfg->output_queue <= cfg->neuron_updates)
		BAD("output_queue (%u) must exceed neuron_updates (%u)", cfg->output_queue,
		    cfg->neuron_updates);
	c->T = cfg->time_steps;
	c->tile = cfg->tile;
	c->oq.cap = cfg->output_queue;
	spk_divisor_init(&c->adders, cfg->adders);
	c->vmax = spk_sem_vmax(cfg->membrane_bits);
	c->vmin = -c->vmax - 1;
	c->graded_flits = spk_noc_packet_flits(cfg->flit_bits, SPK_PACKET_GRADED);
	if (c->graded_flits > cfg->input_fifo)
		BAD("input_fifo (%u flits) cannot hold a graded packet (%u flits)",
		    cfg->input_fifo, c->graded_flits);
	c->pieces = calloc_lines(cfg->n_pieces + 1, sizeof(*c->pieces));
	c->projs = calloc_lines(cfg->n_projs + 1, sizeof(*c->projs));
	c->readers = calloc_lines(cfg->n_readers + 1, sizeof(*c->readers));
	c->in = calloc_lines(cfg->n_in + 1, sizeof(*c->in));
	c->in_cfg = calloc(cfg->n_in + 1, sizeof(*c->in_cfg));
	c->routes = calloc(cfg->n_routes + 1, sizeof(*c->routes));
	c->released_q = calloc(cfg->n_routes + 1, sizeof(*c->released_q));
	c->spike_ranges = calloc(cfg->n_in + 1, sizeof(*c->spike_ranges));
	c->graded_ranges = calloc(2 * (size_t)cfg->n_pieces + 1, sizeof(*c->graded_ranges));
	c->q = calloc(cfg->output_queue, sizeof(*c->q));
	c->proj_sops = calloc(cfg->n_projs + 1, sizeof(*c->proj_sops));
	c->route_ev = calloc(cfg->n_routes + 1, sizeof(*c->route_ev));
	c->in_busy = calloc(cfg->n_in + 1, sizeof(*c->in_busy));
	c->graded_busy = calloc(2 * (size_t)cfg->n_pieces + 1, sizeof(*c->graded_busy));
	c->rel_busy = calloc(cfg->n_routes + 1, sizeof(*c->rel_busy));
	if (c->pieces == NULL || c->projs == NULL || c->readers == NULL || c->in == NULL ||
	    c->in_cfg == NULL || c->routes == NULL || c->released_q == NULL ||
	    c->spike_ranges == NULL || c->proj_sops == NULL || c->route_ev == NULL ||
	    c->in_busy == NULL || c->graded_busy == NULL || c->rel_busy == NULL ||
	    c->graded_ranges == NULL || c->q == NULL ||
	    spk_unit_fifo_init(&c->fifo, cfg->input_fifo) < 0 ||
	    spk_unit_releases_init(&c->rel, cfg->n_in) < 0)
		NOMEM();
	if (copy_pieces(c, err, errlen) < 0 || copy_projs(c, err, errlen) < 0 ||
	    copy_readers(c, err, errlen) < 0 || copy_in_routes(c, err, errlen) < 0 ||
	    copy_routes(c, err, errlen) < 0)
		goto out_free;
	for (uint32_t i = 0; i < cfg->n_readers; i++)
		if (c->readers[i].mean && c->readers[i].n_routes == 0)
			BAD("reader %u: a spatial-mean reader without a route to the readout", i);
	if (keep_config(c) < 0)
		NOMEM();
	/* the arrays now belong to the core */
	c->cfg.pieces = NULL;
	c->cfg.projs = NULL;
	c->cfg.readers = NULL;
	c->cfg.in = NULL;
	c->cfg.routes = NULL;
	c->cfg.route_mc = NULL;
	c->fire_q = -1;
	c->pick_q = -1;
	c->need_reader = -1;
	c->dirty = true;
	c->last_x = UINT64_MAX;
	c->next_q = UINT64_MAX;
	c->blocked_q = UINT64_MAX;
	c->stalled_q = UINT64_MAX;
	c->stall_x = UINT64_MAX;
	c->took_x = UINT64_MAX;
	update_next(c, UINT64_MAX);	/* a reader that needs nothing may fire in cycle 0 */
	return c;
out_free:
	spk_core_destroy(c);
	return NULL;
}

#undef BAD
#undef NOMEM

/* ---- fire engine ------------------------------------------------------------------------------- */

static bool may_fire(const struct spk_core *c, const struct reader *r)
{
	const struct piece *p = &c->pieces[r->piece];
	const uint64_t s = r->fired_q;

	if (p->step_q != s || (r->prev >= 0 && c->readers[r->prev].fired_q <= s) ||
	    p->tokens_q < r->need || (r->need_enc && p->enc_tokens_q < p->n_encr))
		return false;
	for (uint32_t j = 0; j < r->n_routes; j++)
		if (c->released_q[r->routes[j]] < s)
			return false;
	return true;
}

/* The reader that may fire with the lowest (phase, step, piece), or -1. */
static int32_t pick(const struct spk_core *c)
{
	int32_t best = -1;

	for (uint32_t i = 0; i < c->cfg.n_readers; i++) {
		const struct reader *r = &c->readers[i], *b;

		if (!may_fire(c, r))
			continue;
		b = best < 0 ? NULL : &c->readers[best];
		if (b == NULL || r->phase < b->phase ||
		    (r->phase == b->phase && (r->fired_q < b->fired_q ||
					      (r->fired_q == b->fired_q && r->piece < b->piece))))
			best = (int32_t)i;
	}
	return best;
}

static void queue_push(struct spk_core *c, uint8_t kind, uint32_t reader, uint32_t off,
		       int32_t value, uint64_t step)
{
	struct qentry *e = &c->q[spk_unit_queue_push(&c->oq, &c->st.queue_peak)];

	e->kind = kind;
	e->reader = reader;
	e->off = off;
	e->value = value;
	e->step = step;
}

/* Reader r has fired step s (its last group went out in this cycle). */
static void fire_done(struct spk_core *c, struct reader *r, uint64_t s)
{
	struct piece *p = &c->pieces[r->piece];

	r->fired_q = s + 1;
	c->st.fires++;
	c->dirty = true;
	if (!r->last)
		return;
	/* The piece moves on: its routes may send step s + 1. */
	p->step_q = s + 1;
	p->tokens_q = 0;
	for (uint32_t j = 0; j < p->n_wr; j++) {
		struct in_route *ir = &c->in[p->wr[j]];

		if (++ir->done == ir->n_pieces) {
			ir->done = 0;
			spk_unit_releases_push(&c->rel, p->wr[j], s);
		}
	}
	if (p->has_enc && s % c->T == c->T - 1) {
		/* End of the image: the register takes the next image's values. */
		memset(p->enc, 0, p->elems * sizeof(*p->enc));
		p->enc_tokens_q = 0;
		for (uint32_t j = 0; j < p->n_encr; j++)
			spk_unit_releases_push(&c->rel, p->encr[j], s / c->T);
	}
}

static inline int32_t clamp32(struct spk_core *c, int64_t v)
{
	if (v > INT32_MAX || v < INT32_MIN) {
		c->st.graded_clamped++;
		return v > INT32_MAX ? INT32_MAX : INT32_MIN;
	}
	return (int32_t)v;
}

/*
 * The fire engine walks a group in runs: the elements e, e + 1, ... of one channel ch, at
 * positions pos, pos + 1, ... of its plane, until the group or the plane ends. Membranes, the
 * 64-bit accumulators and the encoder register are in element order (index e + j); the 32-bit
 * accumulators are channel-last (a32 points at (pos, ch), stride gs).
 */
static inline uint32_t run_len(uint32_t e, uint32_t e1, uint32_t pos, uint32_t plane)
{
	return e1 - e < plane - pos ? e1 - e : plane - pos;
}

/* X of the run's element j: its accumulators (a64 NULL while not live), the biases of the
 * projections before the reader, and the encoder register (NULL if the reader does not need it). */
static inline int64_t run_input(const int32_t *a32, uint32_t gs, const int64_t *a64,
				const int64_t *enc, int64_t bias, uint32_t j)
{
	return bias + a32[(size_t)j * gs] + (a64 != NULL ? a64[j] : 0) + (enc != NULL ? enc[j] : 0);
}

/* The piece's last reader clears the run's accumulators. */
static inline void run_clear(int32_t *a32, uint32_t gs, int64_t *a64, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++)
		a32[(size_t)j * gs] = 0;
	if (a64 != NULL)
		memset(a64, 0, n * sizeof(*a64));
}

/* One cycle of the fire engine; qfree = output-queue space registered at the start of x. */
static void fire(struct spk_core *c, uint64_t x, uint32_t qfree, const struct spk_unit_port *port)
{
	struct reader *r;
	struct piece *p;
	uint32_t e0, e1, plane, need = 0, ri;
	uint64_t s;
	bool first_t, last_group, routed, live;

	if (c->fire_q < 0) {
		if (c->pick_q < 0)
			return;
		c->fire_q = c->pick_q;
		c->fire_step_q = c->readers[c->pick_q].fired_q;
		c->fire_elem_q = 0;
		c->fire_ch_q = 0;
		c->fire_pos_q = 0;
		c->fire_first_q = c->fire_step_q % c->T == 0;
		c->mean_sum_q = 0;
		c->fire_writes0 = c->pieces[c->readers[c->pick_q].piece].acc_writes;
		c->pick_q = -1;
	}
	ri = (uint32_t)c->fire_q;
	r = &c->readers[ri];
	p = &c->pieces[r->piece];
	s = c->fire_step_q;
	first_t = c->fire_first_q;
	plane = p->rows * p->W;
	e0 = c->fire_elem_q;
	e1 = e0 + c->cfg.neuron_updates < p->elems ? e0 + c->cfg.neuron_updates : p->elems;
	last_group = e1 == p->elems;
	routed = r->n_routes > 0;
	live = p->acc_live;

	/* What the group puts into the queue (at most one entry per element and the marker: no
	 * need to count when that much is free). */
	if (routed && qfree < e1 - e0 + 1) {
		if (c->need_reader == c->fire_q && c->need_step == s && c->need_elem == e0 &&
		    c->need_taken == c->st.packets_in) {
			/* stalled before on the same group, with the same accumulators */
			need = c->need_entries;
		} else if (r->mean) {
			/* one graded event per channel whose last element is in the group */
			for (uint32_t q = c->fire_pos_q + (e1 - e0); q >= plane; q -= plane)
				need++;
		} else {
			for (uint32_t e = e0, ch = c->fire_ch_q, pos = c->fire_pos_q, n; e < e1;
			     e += n, pos += n, ch += pos == plane, pos = pos == plane ? 0 : pos) {
				const int32_t *a32 = p->acc32 + (size_t)pos * p->gs + ch;
				const int64_t *a64 = live ? p->acc + e : NULL;
				const int64_t *en = r->need_enc ? p->enc + e : NULL;

				n = run_len(e, e1, pos, plane);
				for (uint32_t j = 0; j < n; j++) {
					int64_t v = first_t ? 0 : r->v[e + j];

					need += spk_sem_lif(&v, run_input(a32, p->gs, a64, en,
									  r->bias[ch], j),
							    r->th2[ch], c->vmin, c->vmax);
				}
			}
		}
		c->need_reader = c->fire_q;
		c->need_step = s;
		c->need_elem = e0;
		c->need_taken = c->st.packets_in;
		c->need_entries = need;
		need += last_group;
		if (need > qfree) {
			c->st.fire_stalls++;
			c->stall_x = x;
			return;
		}
	}

	uint32_t e, ch, pos, n;

	for (e = e0, ch = c->fire_ch_q, pos = c->fire_pos_q; e < e1;
	     e += n, pos += n, ch += pos == plane, pos = pos == plane ? 0 : pos) {
		int32_t *a32 = p->acc32 + (size_t)pos * p->gs + ch;
		int64_t *a64 = live ? p->acc + e : NULL;
		const int64_t *en = r->need_enc ? p->enc + e : NULL;
		const int64_t bias = r->bias[ch];

		n = run_len(e, e1, pos, plane);
		if (r->mean) {
			int64_t sum = c->mean_sum_q;

			for (uint32_t j = 0; j < n; j++)
				sum += run_input(a32, p->gs, a64, en, bias, j);
			if (r->last)
				run_clear(a32, p->gs, a64, n);
			c->mean_sum_q = sum;
			if (pos + n == plane) {
				queue_push(c, Q_GRADED, ri, p->c0 + ch, clamp32(c, sum), s);
				c->mean_sum_q = 0;
			}
			continue;
		}

		int64_t *v = r->v + e;
		const int64_t th2 = r->th2[ch];

		for (uint32_t j = 0; j < n; j++) {
			int64_t vj = first_t ? 0 : v[j];	/* 0 at an image's start */
			bool spiked = spk_sem_lif(&vj, run_input(a32, p->gs, a64, en, bias, j), th2,
						  c->vmin, c->vmax);

			v[j] = vj;
			if (!spiked)
				continue;
			c->st.spikes_out++;
			if (routed)
				queue_push(c, Q_SPIKE, ri, e + j, 0, s);
			if (port != NULL && port->spike != NULL) {
				uint32_t y = spk_div_by(pos + j, &p->w_div), xx = pos + j - y * p->W;

				port->spike(port->ctx, r->pop, s,
					    ((p->c0 + ch) * p->H + p->y0 + y) * p->W + xx);
			}
		}
		if (r->last)
			run_clear(a32, p->gs, a64, n);
	}
	c->st.ev.neuron_updates += e1 - e0;
	c->st.fire_cycles++;
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_FIRE, SPK_WORK_FIRE, x, 1, r->phase, s, false, NULL,
				0);
	c->fire_elem_q = e1;
	c->fire_ch_q = ch;
	c->fire_pos_q = pos;
	if (!last_group)
		return;
	if (routed)
		queue_push(c, Q_MARKER, ri, 0, 0, s);
	/* The last reader cleared every element of acc unless an add came in behind it while it
	 * fired (the receive engine runs between groups): then acc stays live. */
	if (r->last && p->acc_writes == c->fire_writes0)
		p->acc_live = false;
	c->fire_q = -1;
	fire_done(c, r, s);
}

/* ---- work reports (port->work: timeline, critical path; the cold path) ------------------------- */

/* The layer (phase) of what the send engine offers next: the head entry's reader; none for a
 * release. */
static uint32_t head_layer(const struct spk_core *c)
{
	if (c->rel.len > 0 || c->oq.len == 0)
		return UINT32_MAX;
	return c->readers[c->q[c->oq.head].reader].phase;
}

/* The layer an in-route's packets serve: the first projection reading it, the ATTN step, or
 * the ENCODER step of the pieces it writes. */
static uint32_t in_layer(const struct spk_core *c, const struct in_route *ir)
{
	if (ir->n_projs > 0)
		return c->projs[ir->projs[0]].phase;
	if (ir->cfg.kind == SPK_IN_ATTN)
		return ir->cfg.phase;
	if (ir->cfg.kind == SPK_IN_ENCODER && ir->n_pieces > 0)
		return c->pieces[ir->pieces[0]].enc_phase;
	return UINT32_MAX;
}

/* The receive engine took packet pk (arrived in `arrival`) in cycle x, busy `cycles`. */
static __attribute__((cold, noinline)) void report_receive(const struct spk_core *c, uint64_t x,
							   uint64_t cycles,
							   const struct spk_packet *pk,
							   uint64_t arrival,
							   const struct spk_unit_port *port)
{
	uint32_t layer = UINT32_MAX;
	uint64_t step = UINT64_MAX;
	uint8_t kind = SPK_WORK_SPIKE;

	switch (pk->kind) {
	case SPK_PACKET_SPIKE: {
		const struct in_route *ir = &c->in[spike_range(c, pk->axon)->index];

		layer = in_layer(c, ir);
		if (ir->n_projs > 0)
			step = c->pieces[c->projs[ir->projs[0]].piece].step_q;
		break;
	}
	case SPK_PACKET_GRADED: {
		const struct range *rg = range_find(c->graded_ranges, c->n_graded_ranges, pk->axon);
		const struct piece *p = &c->pieces[rg->index];

		kind = SPK_WORK_GRADED;
		step = p->step_q;
		if (rg->enc) {
			layer = p->enc_phase;
			step = p->step_q / c->T * c->T;
		}
		for (uint32_t j = 0; !rg->enc && j < p->n_wr; j++)
			if (c->in[p->wr[j]].cfg.kind == SPK_IN_ATTN)
				layer = c->in[p->wr[j]].cfg.phase;
		break;
	}
	case SPK_PACKET_TOKEN: {
		const struct in_route *ir = &c->in[pk->axon];

		kind = SPK_WORK_TOKEN;
		layer = in_layer(c, ir);
		step = ir->cfg.kind == SPK_IN_ENCODER ? (ir->tokens_q - 1) * c->T : ir->tokens_q - 1;
		break;
	}
	default:
		kind = SPK_WORK_RELEASE;
		layer = c->readers[c->routes[pk->axon].source].phase;
		step = c->released_q[pk->axon] - 1;
		break;
	}
	spk_unit_report(port, SPK_ENGINE_RECEIVE, kind, x, cycles, layer, step, true, pk, arrival);
}

/* ---- send engine ------------------------------------------------------------------------------- */

/* The NI refused a packet in cycle x. */
static void refused(struct spk_core *c, uint64_t x, const struct spk_unit_port *port)
{
	c->st.send_refused++;
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_REFUSED, x, 1, head_layer(c),
				UINT64_MAX, false, NULL, 0);
	if (c->ni_wake)
		c->blocked_q = x;
}

static void send(struct spk_core *c, uint64_t x, const struct spk_unit_port *port)
{
	if (c->rel.len > 0) {
		if (spk_unit_releases_send(&c->rel, c->in_cfg, c->tile, port, &c->st.ev, x) < 0)
			refused(c, x, port);
		return;
	}
	if (c->oq.len == 0)
		return;

	struct spk_packet pk = { .src = c->tile, .flits = 1 };
	const struct qentry *e = &c->q[c->oq.head];
	const struct reader *r = &c->readers[e->reader];
	const struct rsend *sd = &r->sends[c->send_pos_q];
	const struct spk_unit_route *rt = &c->routes[sd->route];

	pk.dst = rt->dst_tile;		/* a multicast packet's members are the NoC's */
	pk.tag = (uint8_t)(e->step & 1);
	pk.mc = sd->mc;
	switch (e->kind) {
	case Q_SPIKE:
		pk.kind = SPK_PACKET_SPIKE;
		/* a group's members add their own axon base to the element index */
		pk.axon = (sd->mc != 0 ? 0 : rt->axon_base) + e->off;
		break;
	case Q_GRADED:
		pk.kind = SPK_PACKET_GRADED;
		pk.flits = (uint16_t)c->graded_flits;
		pk.axon = rt->axon_base + e->off;
		pk.value = e->value;
		break;
	default:
		pk.kind = SPK_PACKET_TOKEN;
		pk.axon = sd->mc != 0 ? 0 : rt->dst_route;	/* members: their route index */
		break;
	}
	if (port->send(port->ctx, &pk) != 0) {
		refused(c, x, port);
		return;
	}
	c->st.ev.packets_out++;
	if (e->kind != Q_MARKER)
		c->route_ev[sd->route]++;	/* a group's packet: at its first route */
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_SEND, x, 1, r->phase, e->step, false,
				&pk, 0);
	if (++c->send_pos_q == r->n_sends) {
		c->send_pos_q = 0;
		spk_unit_queue_pop(&c->oq);
	}
}

/* ---- receive engine ---------------------------------------------------------------------------- */

/*
 * The spike additions go into 32-bit accumulators, which vector adds handle eight lanes at a time
 * (a 64-bit accumulator would take a widening that -O2 leaves scalar). They stay exact: every
 * spike-projection event adds at most one int16 weight to each element, so after at most
 * ADDS32_MAX events |acc32| <= ADDS32_MAX · 2^15 < 2^31; before the next one the piece's acc32 is
 * folded into its 64-bit acc. What the fire engine reads, acc + acc32, is the exact sum.
 */
#define ADDS32_MAX 65535u

typedef int16_t i16x8 __attribute__((vector_size(16)));
typedef int32_t i32x8 __attribute__((vector_size(32)));

/*
 * a[o] += w[o] for o < gs: one kernel row into gs contiguous accumulators (the hot loop). Loads
 * and stores go through memcpy: rows need no alignment. A row of g % 8 >= 3 weights is padded
 * to whole vectors (struct piece gs). Rows never overlap: a vector that spilled into the next
 * position's words (adding zeros) would make the next row's loads wait for its stores, which a
 * CPU cannot forward to a load at another offset.
 */
static inline void add_row(int32_t *restrict a, const int16_t *restrict w, uint32_t gs)
{
	uint32_t o = 0;

	for (; o + 8 <= gs; o += 8) {
		i16x8 w8;
		i32x8 a8;

		memcpy(&w8, w + o, sizeof(w8));
		memcpy(&a8, a + o, sizeof(a8));
		a8 += __builtin_convertvector(w8, i32x8);
		memcpy(a + o, &a8, sizeof(a8));
	}
	for (; o < gs; o++)
		a[o] += w[o];
}

/* Makes room for one more spike-projection event in piece p's 32-bit accumulators. */
static inline void acc32_reserve(struct piece *p)
{
	if (p->adds32 == ADDS32_MAX) {
		const uint32_t plane = p->rows * p->W;

		for (uint32_t pos = 0; pos < plane; pos++)
			for (uint32_t ch = 0; ch < p->g; ch++) {
				int32_t *a = &p->acc32[(size_t)pos * p->gs + ch];

				p->acc[(size_t)ch * plane + pos] += *a;
				*a = 0;
			}
		p->adds32 = 0;
		p->acc_live = true;
		p->acc_writes++;
	}
	p->adds32++;
}

/* Adds the kernel rows of spike axon a; returns the SOPs, and its incoming route in *route. */
static uint64_t take_spike(struct spk_core *c, const struct spk_packet *pk, uint32_t *route)
{
	const struct range *rg = spike_range(c, pk->axon);
	const struct in_route *ir = &c->in[rg->index];
	uint32_t e, pos, ch, y, xx;
	uint64_t sops = 0;

	e = pk->axon - rg->lo;
	ch = spk_div_by(e, &ir->plane);
	pos = e - ch * ir->plane.d;
	y = spk_div_by(pos, &ir->width);
	xx = pos - y * ir->width.d;
	ch += ir->c0;
	y += ir->y0;
	for (uint32_t j = 0; j < ir->n_projs; j++) {
		const struct proj *pr = &c->projs[ir->projs[j]];
		struct piece *p = &c->pieces[pr->piece];
		const struct span *sy = &pr->ry[y], *sx = &pr->rx[xx];
		/* in locals: the accumulator stores could alias the records' 32-bit words */
		const uint32_t g = p->g, gs = p->gs;
		const uint32_t ylo = sy->lo, yhi = sy->hi, xlo = sx->lo, xhi = sx->hi;
		const size_t a_dy = (size_t)p->W * gs, w_dy = pr->w_dy, w_dx = pr->w_dx;
		const int16_t *const w = pr->w;
		int32_t *const acc32 = p->acc32;
		/* output (oy, ox) takes tap (y + pad − oy·stride, xx + pad − ox·stride) of input
		 * channel ch: the next output along an axis is stride taps back */
		size_t wo = ch * pr->w_ch + sy->w_off + sx->w_off;
		size_t ao = (size_t)sy->a_off + sx->a_off;

		assert((p->step_q & 1) == pk->tag);
		/* phase causality: the piece's readers before this projection fired this step */
		assert(pr->before < 0 || c->readers[pr->before].fired_q > p->step_q);
		acc32_reserve(p);
		for (uint32_t oy = ylo; oy < yhi; oy++, wo -= w_dy, ao += a_dy) {
			size_t w1 = wo, a1 = ao;

			for (uint32_t ox = xlo; ox < xhi; ox++, w1 -= w_dx, a1 += gs)
				add_row(acc32 + a1, w + w1, gs);
		}
		const uint64_t n = (uint64_t)(yhi - ylo) * (xhi - xlo) * g;

		c->proj_sops[ir->projs[j]] += n;
		sops += n;
	}
	*route = rg->index;
	return sops;
}

/* Takes a graded event; returns its graded range (index in graded_ranges). */
static uint32_t take_graded(struct spk_core *c, const struct spk_packet *pk)
{
	const struct range *rg = range_find(c->graded_ranges, c->n_graded_ranges, pk->axon);
	struct piece *p;
	uint32_t i;

	assert(rg != NULL);		/* an address outside every piece */
	p = &c->pieces[rg->index];
	i = pk->axon - rg->lo;		/* the element: acc and enc are in element order */
	if (rg->enc) {
		assert(((p->step_q / c->T) & 1) == pk->tag);
		p->enc[i] = pk->value;
		return (uint32_t)(rg - c->graded_ranges);
	}
	assert((p->step_q & 1) == pk->tag);
	p->acc[i] += pk->value;
	p->acc_live = true;
	p->acc_writes++;
	c->st.ev.graded_adds++;
	return (uint32_t)(rg - c->graded_ranges);
}

static void take_token(struct spk_core *c, const struct spk_packet *pk)
{
	struct in_route *ir;

	assert(pk->axon < c->cfg.n_in);
	ir = &c->in[pk->axon];
	assert((ir->tokens_q & 1) == pk->tag);
	for (uint32_t j = 0; j < ir->n_pieces; j++) {
		struct piece *p = &c->pieces[ir->pieces[j]];

		if (ir->cfg.kind == SPK_IN_ENCODER) {
			assert(p->step_q / c->T == ir->tokens_q);
			p->enc_tokens_q++;
		} else {
			assert(p->step_q == ir->tokens_q);
			/* phase causality: the readers before this writer fired this step */
			assert(ir->before[j] < 0 ||
			       c->readers[ir->before[j]].fired_q > p->step_q);
			p->tokens_q++;
		}
	}
	ir->tokens_q++;
	c->dirty = true;
}

static void receive(struct spk_core *c, uint64_t x, const struct spk_unit_port *port)
{
	const struct spk_unit_fifo_slot *f = spk_unit_fifo_ready(&c->fifo, x);
	struct spk_packet pk;
	uint64_t cycles = 1;

	if (x < c->busy_until_q || f == NULL)
		return;
	pk = f->pkt;
	spk_unit_fifo_pop(&c->fifo, port);
	c->took_x = x;
	c->st.packets_in++;
	switch (pk.kind) {
	case SPK_PACKET_SPIKE: {
		uint32_t route;
		uint64_t sops = take_spike(c, &pk, &route);

		c->st.spikes_in++;
		c->st.ev.sops += sops;
		/* ceil(sops / adders), at least 1 */
		if (sops == 0)
			cycles = 1;
		else if (sops <= UINT32_MAX)
			cycles = (uint64_t)spk_div_by((uint32_t)(sops - 1), &c->adders) + 1;
		else
			cycles = (sops + c->cfg.adders - 1) / c->cfg.adders;
		c->in_busy[route] += cycles;
		break;
	}
	case SPK_PACKET_GRADED:
		c->st.graded_in++;
		c->graded_busy[take_graded(c, &pk)]++;
		break;
	case SPK_PACKET_TOKEN:
		c->st.tokens_in++;
		c->in_busy[pk.axon]++;
		take_token(c, &pk);
		break;
	default:
		c->st.releases_in++;
		c->rel_busy[pk.axon]++;
		assert(pk.axon < c->cfg.n_routes);
		assert((c->released_q[pk.axon] & 1) == pk.tag);
		c->released_q[pk.axon]++;
		c->dirty = true;
		break;
	}
	c->busy_until_q = x + cycles;
	c->st.receive_busy += cycles;
	if (spk_unit_reporting(port))
		report_receive(c, x, cycles, &pk, f->arrival, port);	/* f: still the slot */
}

/* ---- cycle ------------------------------------------------------------------------------------- */

/* Next cycle with work, from the state committed at the end of cycle x (UINT64_MAX: before 0). */
static void update_next(struct spk_core *c, uint64_t x)
{
	const uint64_t nx = x + 1;	/* wraps to 0 for the state before cycle 0 */
	uint64_t next = UINT64_MAX;

	if (c->fire_q < 0 && c->dirty) {
		c->pick_q = pick(c);
		c->dirty = false;
	}
	/*
	 * A refused send waits to be woken (ni_wake). So does a fire that stalled in x behind the
	 * queue if the send was refused in x and nothing was taken in x: until the NI takes a
	 * packet, it would stall again in every cycle (same queue, same accumulators).
	 */
	if (c->fire_q >= 0 && c->blocked_q == x && c->stall_x == x && c->took_x != x)
		c->stalled_q = x;
	if (((c->oq.len > 0 || c->rel.len > 0) && c->blocked_q == UINT64_MAX) ||
	    (c->fire_q >= 0 && c->stalled_q == UINT64_MAX) || c->pick_q >= 0)
		next = nx;
	if (c->fifo.len > 0) {
		uint64_t a = spk_unit_fifo_next(&c->fifo);
		uint64_t t = a > c->busy_until_q ? a : c->busy_until_q;

		if (t < nx)
			t = nx;
		if (t < next)
			next = t;
	}
	c->next_q = next;
}

void spk_core_deliver(struct spk_core *c, const struct spk_packet *p, uint64_t arrival)
{
	assert(arrival >= c->last_x + 1);	/* last_x + 1 wraps to 0 before cycle 0 */
	spk_unit_fifo_deliver(&c->fifo, p, arrival, c->busy_until_q, &c->next_q);
}

void spk_core_eval(struct spk_core *c, uint64_t x, const struct spk_unit_port *port)
{
	uint32_t qfree = c->oq.cap - c->oq.len;

	assert(x >= c->last_x + 1);
	assert(x <= c->next_q);		/* the caller skipped a cycle with work */
	if (c->blocked_q != UINT64_MAX) {
		/* woken (its NI may take a packet, or other work): it would have offered its
		 * packet in every cycle it slept through, and been refused */
		if (spk_unit_reporting(port) && x > c->blocked_q + 1)
			spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_REFUSED, c->blocked_q + 1,
					x - c->blocked_q - 1, head_layer(c), UINT64_MAX, false, NULL,
					0);
		spk_unit_woken(x, &c->blocked_q, &c->stalled_q, &c->st.send_refused,
			       &c->st.fire_stalls);
	} else if (x < c->next_q) {	/* nothing to do */
		c->last_x = x;
		return;
	}
	send(c, x, port);
	fire(c, x, qfree, port);
	receive(c, x, port);
	c->last_x = x;
	update_next(c, x);
}

uint64_t spk_core_next_cycle(const struct spk_core *c)
{
	return c->next_q;
}

void spk_core_set_ni_wake(struct spk_core *c, bool on)
{
	c->ni_wake = on;
}

bool spk_core_quiet(const struct spk_core *c)
{
	return c->fifo.len == 0 && c->oq.len == 0 && c->rel.len == 0 && c->fire_q < 0;
}

void spk_core_occupancy(const struct spk_core *c, uint32_t *fifo_flits, uint32_t *queue)
{
	*fifo_flits = c->fifo.flits;
	*queue = c->oq.len;
}

void spk_core_get_stats(const struct spk_core *c, struct spk_core_stats *st)
{
	*st = c->st;
	st->fifo_peak = c->fifo.peak;
}

void spk_core_get_config(const struct spk_core *c, struct spk_core_config *cfg)
{
	*cfg = c->cfg;
	cfg->pieces = c->pieces_cfg;
	cfg->projs = c->projs_cfg;
	cfg->readers = c->readers_cfg;
	cfg->in = c->in_cfg;
	cfg->routes = c->routes;
	cfg->route_mc = c->route_mc_cfg;
}

/* The layer of a graded range's events: the ENCODER step for the encoder register, else the
 * ATTN step writing the piece (as report_receive() names them). */
static uint32_t graded_layer(const struct spk_core *c, const struct range *rg)
{
	const struct piece *p = &c->pieces[rg->index];

	if (rg->enc)
		return p->enc_phase;
	for (uint32_t j = 0; j < p->n_wr; j++)
		if (c->in[p->wr[j]].cfg.kind == SPK_IN_ATTN)
			return c->in[p->wr[j]].cfg.phase;
	return UINT32_MAX;
}

void spk_core_layer_counts(const struct spk_core *c, uint32_t n_layers, uint64_t *ops,
			   uint64_t *busy, uint64_t *route_ev)
{
	uint32_t l;

	for (uint32_t i = 0; i < c->cfg.n_projs; i++) {
		assert(c->projs[i].phase < n_layers);
		ops[c->projs[i].phase] += c->proj_sops[i];
	}
	for (uint32_t i = 0; i < c->cfg.n_in; i++) {
		l = in_layer(c, &c->in[i]);
		busy[l < n_layers ? l : n_layers] += c->in_busy[i];
	}
	for (uint32_t i = 0; i < c->n_graded_ranges; i++) {
		l = graded_layer(c, &c->graded_ranges[i]);
		busy[l < n_layers ? l : n_layers] += c->graded_busy[i];
	}
	for (uint32_t i = 0; i < c->cfg.n_routes; i++) {
		l = c->readers[c->routes[i].source].phase;
		busy[l < n_layers ? l : n_layers] += c->rel_busy[i];
		route_ev[i] += c->route_ev[i];
	}
}

uint64_t spk_core_reader_steps(const struct spk_core *c, uint32_t r)
{
	assert(r < c->cfg.n_readers);
	return c->readers[r].fired_q;
}
