/*
 * test_core_harness.h — a test bench for one unit model (synapse core, attention unit, encoder,
 * readout) without the NoC: it plays the network interface and every other tile.
 *
 * Input side: packets queued with h_push() are delivered in order, each in its cycle or, when
 * the unit's input FIFO (as the network sees it: flits minus credits given back) has no room,
 * in the first later cycle that has, exactly as the NoC's ejection credits would allow.
 * Output side: every packet the unit offers is accepted unless the bench refuses it (refuse_until,
 * or the accept callback), and recorded with its cycle; with auto_release, a token on route r is
 * answered by a release of the same route and tag release_delay cycles later (the tests give
 * every route dst_route = its own index). Spikes reported through the port are recorded.
 *
 * Two ways to run: event mode evaluates the unit only in the cycles it asks for (next_cycle) and
 * in delivery cycles, as the chip top will; dense mode evaluates every cycle. Tests run both and
 * require identical records: a unit that sleeps through work, or does work when it said it was
 * idle, shows up as a difference.
 */
#ifndef TEST_CORE_HARNESS_H
#define TEST_CORE_HARNESS_H

#include "sim/core.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct h_rec {
	struct spk_packet p;
	uint64_t cycle;			/* offered and accepted (sent), or delivered (in) */
};

struct h_spike {
	uint32_t pop;
	uint64_t step;
	uint32_t neuron;
	uint64_t cycle;
};

struct h_credit {
	uint32_t flits;
	uint64_t cycle;
};

struct harness {
	void *unit;
	void (*deliver)(void *u, const struct spk_packet *p, uint64_t arrival);
	void (*eval)(void *u, uint64_t x, const struct spk_unit_port *port);
	uint64_t (*next)(const void *u);
	bool dense;
	uint64_t now;			/* the next cycle to evaluate */
	uint64_t evals;			/* cycles evaluated */
	uint64_t cur;			/* cycle being evaluated */
	/* input side */
	struct h_rec *in;		/* queued, sorted by cycle */
	size_t n_in, in_head, cap_in;
	uint32_t space;			/* free input flits as the network sees them */
	uint32_t space_back;		/* credits given back in the current cycle */
	struct h_rec *delivered;
	size_t n_delivered, cap_delivered;
	struct h_credit *credits;
	size_t n_credits, cap_credits;
	/* output side */
	uint64_t refuse_until;		/* refuse every offer in cycles < refuse_until */
	bool (*accept)(struct harness *h, const struct spk_packet *p);
	uint64_t refused;
	struct h_rec *sent;
	size_t n_sent, cap_sent;
	bool auto_release;
	uint64_t release_delay;
	struct h_spike *spikes;
	size_t n_spikes, cap_spikes;
	void *user;
};

#define H_GROW(arr, n, cap) do { \
	if ((n) == (cap)) { \
		(cap) = (cap) ? 2 * (cap) : 64; \
		(arr) = realloc((arr), (cap) * sizeof(*(arr))); \
		if ((arr) == NULL) abort(); \
	} \
} while (0)

/* Queues packet p for delivery in cycle `cycle` (or later if the input is full). */
static inline void h_push(struct harness *h, const struct spk_packet *p, uint64_t cycle)
{
	size_t i;

	H_GROW(h->in, h->n_in, h->cap_in);
	if (cycle < h->now)
		cycle = h->now;
	/* stable insert by cycle */
	for (i = h->n_in; i > h->in_head && h->in[i - 1].cycle > cycle; i--)
		h->in[i] = h->in[i - 1];
	h->in[i] = (struct h_rec){ *p, cycle };
	h->n_in++;
}

static int h_send(void *ctx, const struct spk_packet *p)
{
	struct harness *h = ctx;

	if (h->cur < h->refuse_until || (h->accept != NULL && !h->accept(h, p))) {
		h->refused++;
		return -EAGAIN;
	}
	H_GROW(h->sent, h->n_sent, h->cap_sent);
	h->sent[h->n_sent++] = (struct h_rec){ *p, h->cur };
	if (h->auto_release && p->kind == SPK_PACKET_TOKEN) {
		struct spk_packet r = { .src = p->dst, .dst = p->src, .flits = 1,
					.kind = SPK_PACKET_RELEASE, .tag = p->tag, .axon = p->axon };

		h_push(h, &r, h->cur + h->release_delay);
	}
	return 0;
}

static void h_credit_cb(void *ctx, uint32_t flits)
{
	struct harness *h = ctx;

	h->space_back += flits;
	H_GROW(h->credits, h->n_credits, h->cap_credits);
	h->credits[h->n_credits++] = (struct h_credit){ flits, h->cur };
}

static void h_spike_cb(void *ctx, uint32_t pop, uint64_t step, uint32_t neuron)
{
	struct harness *h = ctx;

	H_GROW(h->spikes, h->n_spikes, h->cap_spikes);
	h->spikes[h->n_spikes++] = (struct h_spike){ pop, step, neuron, h->cur };
}

static inline void h_init(struct harness *h, void *unit, uint32_t input_flits,
			  void (*deliver)(void *, const struct spk_packet *, uint64_t),
			  void (*eval)(void *, uint64_t, const struct spk_unit_port *),
			  uint64_t (*next)(const void *))
{
	memset(h, 0, sizeof(*h));
	h->unit = unit;
	h->deliver = deliver;
	h->eval = eval;
	h->next = next;
	h->space = input_flits;
}

static inline void h_fini(struct harness *h)
{
	free(h->in);
	free(h->delivered);
	free(h->credits);
	free(h->sent);
	free(h->spikes);
}

/* The cycle of the next delivery possible now, or UINT64_MAX. */
static inline uint64_t h_next_delivery(const struct harness *h)
{
	if (h->in_head == h->n_in || h->in[h->in_head].p.flits > h->space)
		return UINT64_MAX;
	return h->in[h->in_head].cycle > h->now ? h->in[h->in_head].cycle : h->now;
}

/* Runs cycles now, now + 1, ... below `until` (event or dense mode). Returns cycles evaluated. */
static inline uint64_t h_run(struct harness *h, uint64_t until)
{
	struct spk_unit_port port = { h_send, h_credit_cb, h_spike_cb, h, NULL };
	uint64_t n = 0;

	for (;;) {
		uint64_t x = h->next(h->unit), d = h_next_delivery(h);

		if (d < x)
			x = d;
		if (h->dense)
			x = h->now;
		if (x == UINT64_MAX || x >= until)
			break;
		while (h->in_head < h->n_in && h->in[h->in_head].cycle <= x &&
		       h->in[h->in_head].p.flits <= h->space) {
			struct h_rec *r = &h->in[h->in_head++];

			h->space -= r->p.flits;
			h->deliver(h->unit, &r->p, x);
			H_GROW(h->delivered, h->n_delivered, h->cap_delivered);
			h->delivered[h->n_delivered++] = (struct h_rec){ r->p, x };
		}
		h->cur = x;
		h->eval(h->unit, x, &port);
		h->space += h->space_back;
		h->space_back = 0;
		h->now = x + 1;
		h->evals++;
		n++;
	}
	return n;
}

/* Runs until the unit is idle and nothing is queued for it, or for at most limit cycles. */
static inline void h_settle(struct harness *h, uint64_t limit)
{
	uint64_t stop = h->now + limit;

	while (h->now < stop) {
		if (h->next(h->unit) == UINT64_MAX && h->in_head == h->n_in)
			return;
		if (h_run(h, h->dense ? h->now + 1 : stop) == 0)
			return;		/* stuck: input full and the unit idle */
	}
}

/* Packets sent of one kind, in order: copies into out (up to max), returns how many. */
static inline size_t h_sent_kind(const struct harness *h, int kind, struct h_rec *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n_sent; i++)
		if (h->sent[i].p.kind == kind) {
			if (n < max)
				out[n] = h->sent[i];
			n++;
		}
	return n;
}

#endif
