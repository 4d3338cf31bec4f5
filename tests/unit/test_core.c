/*
 * test_core.c — unit tests of the synapse core (sim/core.c) against doc/architecture.md §6, §9,
 * §10 and doc/semantics.md §3: hand-computed cycles for small cases (spikes taking
 * ceil(SOPs / adders) cycles, the fire engine's groups, the send engine's order with releases
 * first), back-pressure (a full input FIFO holds the network back exactly as the credits say; a
 * full output queue stalls the fire engine, cycle for cycle), idleness (event mode evaluates only
 * the cycles with work and gives the same records as evaluating every cycle), energy counts, bad
 * configurations; and bit-exact results against a naive computation of doc/semantics.md on
 * random small configurations (encoder register, two projections, attention adds, per-neuron
 * and spatial-mean readers, several images).
 */
#include "config.h"

#include "sim/core.h"
#include "test_core_harness.h"
#include "util/rng.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void core_deliver(void *u, const struct spk_packet *p, uint64_t a)
{
	spk_core_deliver(u, p, a);
}

static void core_eval(void *u, uint64_t x, const struct spk_unit_port *port)
{
	spk_core_eval(u, x, port);
}

static uint64_t core_next(const void *u)
{
	return spk_core_next_cycle(u);
}

static struct spk_packet pkt(int kind, uint32_t axon, uint8_t tag)
{
	struct spk_packet p = { .src = 1, .dst = 3, .flits = 1, .kind = (uint8_t)kind, .tag = tag,
				.axon = axon };

	if (kind == SPK_PACKET_GRADED)
		p.flits = 2;	/* 32-bit flits */
	return p;
}

/* ---- a small hand-checked core ------------------------------------------------------------------
 * One piece: 2 channels x 2 x 2 of a site. A 1x1 projection reads population 7 (c_in channels,
 * 2 x 2) with weights 5 (channel 0) and 7 (channel 1); every input spike costs 2 SOPs. One
 * per-neuron reader (population 8) with θ = 1 (channel 0) and 100 (channel 1), one SPIKE route
 * to tile 5 (axon base 100). Input axons start at 50.
 */
struct small {
	struct spk_core_piece piece;
	struct spk_core_proj proj;
	struct spk_core_reader reader;
	struct spk_unit_in_route in;
	struct spk_unit_route route;
	struct spk_core_config cfg;
	int16_t w[4];
	int32_t bias[2];
	int64_t theta[2];
};

static void small_init(struct small *s, uint32_t c_in, uint32_t adders, uint32_t updates,
		       uint32_t fifo, uint32_t queue)
{
	memset(s, 0, sizeof(*s));
	s->w[0] = 5;
	s->w[1] = 7;
	s->w[2] = 5;
	s->w[3] = 7;
	s->theta[0] = 1;
	s->theta[1] = 100;
	s->piece = (struct spk_core_piece){ .c0 = 0, .channels = 2, .y0 = 0, .rows = 2,
					    .height = 2, .width = 2, .acc_axon = 0,
					    .enc_axon = UINT32_MAX };
	s->proj = (struct spk_core_proj){ .piece = 0, .phase = 1, .pop = 7, .c_in = c_in,
					  .h_in = 2, .w_in = 2, .kernel = 1, .stride = 1,
					  .pad = 0, .w = s->w, .bias = s->bias };
	s->reader = (struct spk_core_reader){ .piece = 0, .phase = 2, .pop = 8,
					      .theta = s->theta };
	s->in = (struct spk_unit_in_route){ .kind = SPK_IN_SPIKE, .src_tile = 1, .src_route = 4,
					    .pop = 7, .axon_base = 50, .c0 = 0, .channels = c_in,
					    .y0 = 0, .rows = 2, .width = 2 };
	s->route = (struct spk_unit_route){ .source = 0, .dst_tile = 5, .dst_route = 0,
					    .axon_base = 100 };
	s->cfg = (struct spk_core_config){
		.tile = 3, .time_steps = 4, .adders = adders, .neuron_updates = updates,
		.input_fifo = fifo, .output_queue = queue, .flit_bits = 32, .membrane_bits = 16,
		.n_pieces = 1, .pieces = &s->piece, .n_projs = 1, .projs = &s->proj,
		.n_readers = 1, .readers = &s->reader, .n_in = 1, .in = &s->in,
		.n_routes = 1, .routes = &s->route };
}

static struct spk_core *make(const struct spk_core_config *cfg)
{
	char err[256];
	struct spk_core *c = spk_core_create(cfg, err, sizeof(err));

	if (c == NULL)
		fail_msg("spk_core_create: %s", err);
	return c;
}

struct want {
	uint64_t cycle;
	int kind;
	uint32_t dst, axon;
	uint8_t tag;
};

static void expect_sent(const struct harness *h, const struct want *w, size_t n)
{
	if (h->n_sent != n) {
		for (size_t i = 0; i < h->n_sent; i++)
			print_message("sent %zu: cycle %llu kind %d dst %u axon %u tag %u\n", i,
				      (unsigned long long)h->sent[i].cycle, h->sent[i].p.kind,
				      h->sent[i].p.dst, h->sent[i].p.axon, h->sent[i].p.tag);
		fail_msg("%zu packets sent, expected %zu", h->n_sent, n);
	}
	for (size_t i = 0; i < n; i++) {
		const struct h_rec *r = &h->sent[i];

		if (r->cycle != w[i].cycle || r->p.kind != w[i].kind || r->p.dst != w[i].dst ||
		    r->p.axon != w[i].axon || r->p.tag != w[i].tag)
			fail_msg("packet %zu: cycle %llu kind %d dst %u axon %u tag %u, expected "
				 "cycle %llu kind %d dst %u axon %u tag %u", i,
				 (unsigned long long)r->cycle, r->p.kind, r->p.dst, r->p.axon,
				 r->p.tag, (unsigned long long)w[i].cycle, w[i].kind, w[i].dst,
				 w[i].axon, w[i].tag);
		assert_int_equal(r->p.src, 3);
	}
}

/*
 * Three spikes and a token arrive in cycle 10. adders = 1: each spike's 2 SOPs take 2 cycles
 * (taken 10, 12, 14); the token is taken in 16 and counts from 17, when the fire engine updates
 * elements 0–3 (channel 0: three spikes) and then 4–7 in 18 with the marker. The send engine
 * sends spike 0 in 18, the release (pushed in 18, first in line) in 19, spikes 1 and 2, then the
 * token in 22. A second step fires the fourth position from its membrane of the first.
 */
static void test_cycles_spikes(void **state)
{
	struct small s;
	struct spk_core *c;
	struct harness h;
	struct spk_core_stats st;
	struct spk_packet p;

	(void)state;
	for (int dense = 0; dense < 2; dense++) {
		small_init(&s, 1, 1, 4, 16, 8);
		c = make(&s.cfg);
		assert_int_equal(spk_core_next_cycle(c), UINT64_MAX);	/* idle until an event */
		h_init(&h, c, 16, core_deliver, core_eval, core_next);
		h.dense = dense;
		h.auto_release = true;
		h.release_delay = 3;
		for (uint32_t a = 50; a < 53; a++) {
			p = pkt(SPK_PACKET_SPIKE, a, 0);
			h_push(&h, &p, 10);
		}
		p = pkt(SPK_PACKET_TOKEN, 0, 0);
		h_push(&h, &p, 10);
		h_settle(&h, 1000);
		static const struct want w1[] = {
			{ 18, SPK_PACKET_SPIKE, 5, 100, 0 },
			{ 19, SPK_PACKET_RELEASE, 1, 4, 0 },
			{ 20, SPK_PACKET_SPIKE, 5, 101, 0 },
			{ 21, SPK_PACKET_SPIKE, 5, 102, 0 },
			{ 22, SPK_PACKET_TOKEN, 5, 0, 0 },
		};
		expect_sent(&h, w1, 5);
		assert_int_equal(h.n_credits, 5);	/* the release back is taken in 25 */
		static const uint64_t credit_at[] = { 10, 12, 14, 16, 25 };
		for (int i = 0; i < 5; i++) {
			assert_int_equal(h.credits[i].cycle, credit_at[i]);
			assert_int_equal(h.credits[i].flits, 1);
		}
		assert_int_equal(h.n_spikes, 3);
		for (uint32_t i = 0; i < 3; i++) {
			assert_int_equal(h.spikes[i].pop, 8);
			assert_int_equal(h.spikes[i].step, 0);
			assert_int_equal(h.spikes[i].neuron, i);	/* channel 0, (y, x) */
			assert_int_equal(h.spikes[i].cycle, 17);
		}
		if (!dense)	/* only the cycles with work: 10 12 14 16 17 18 19 20 21 22 25 */
			assert_int_equal(h.evals, 11);
		assert_int_equal(spk_core_next_cycle(c), UINT64_MAX);
		assert_true(spk_core_quiet(c));
		assert_int_equal(spk_core_reader_steps(c, 0), 1);
		spk_core_get_stats(c, &st);
		assert_int_equal(st.ev.sops, 6);
		assert_int_equal(st.ev.neuron_updates, 8);
		assert_int_equal(st.ev.packets_out, 5);
		assert_int_equal(st.ev.graded_adds, 0);
		assert_int_equal(st.packets_in, 5);	/* 3 spikes, a token, the release back */
		assert_int_equal(st.receive_busy, 2 + 2 + 2 + 1 + 1);
		assert_int_equal(st.fire_cycles, 2);
		assert_int_equal(st.fire_stalls, 0);
		assert_int_equal(st.spikes_out, 3);

		/* Step 1 (tag 1): position (1, 1) spikes from its own input alone; channel 1 keeps
		 * charging (V = 3 from 7 >> 1, then 3 + 0 >> 1 = 1 elsewhere). */
		p = pkt(SPK_PACKET_SPIKE, 53, 1);
		h_push(&h, &p, 40);
		p = pkt(SPK_PACKET_TOKEN, 0, 1);
		h_push(&h, &p, 40);
		h_settle(&h, 1000);
		static const struct want w2[] = {
			{ 44, SPK_PACKET_SPIKE, 5, 103, 1 },
			{ 45, SPK_PACKET_RELEASE, 1, 4, 1 },
			{ 46, SPK_PACKET_TOKEN, 5, 0, 1 },
		};
		expect_sent(&h, (const struct want[]){ w1[0], w1[1], w1[2], w1[3], w1[4], w2[0],
						       w2[1], w2[2] }, 8);
		assert_int_equal(h.n_spikes, 4);
		assert_int_equal(h.spikes[3].neuron, 3);
		assert_int_equal(h.spikes[3].step, 1);
		assert_int_equal(h.spikes[3].cycle, 43);
		h_fini(&h);
		spk_core_destroy(c);
	}
}

/*
 * adders = 3 with a 3x3 kernel (pad 1) on a 2x2 piece: a corner spike reaches all 4 outputs
 * (4 x 2 = 8 SOPs, 3 cycles); with adders = 8 the same spike takes 1 cycle, and with 16 still 1.
 */
static void test_cycles_adders(void **state)
{
	static const struct { uint32_t adders; uint64_t token_taken; } cases[] = {
		{ 1, 10 + 8 + 8 }, { 3, 10 + 3 + 3 }, { 8, 10 + 1 + 1 }, { 16, 10 + 1 + 1 },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct small s;
		struct spk_core *c;
		struct harness h;
		struct spk_core_stats st;
		struct spk_packet p;
		int16_t w[9 * 2];

		small_init(&s, 1, cases[k].adders, 4, 16, 8);
		for (int i = 0; i < 18; i++)
			w[i] = (int16_t)(i + 1);
		s.proj.kernel = 3;
		s.proj.pad = 1;
		s.proj.w = w;
		c = make(&s.cfg);
		h_init(&h, c, 16, core_deliver, core_eval, core_next);
		p = pkt(SPK_PACKET_SPIKE, 50, 0);		/* (0, 0) */
		h_push(&h, &p, 10);
		p = pkt(SPK_PACKET_SPIKE, 53, 0);		/* (1, 1) */
		h_push(&h, &p, 10);
		p = pkt(SPK_PACKET_TOKEN, 0, 0);
		h_push(&h, &p, 10);
		h_settle(&h, 1000);
		assert_int_equal(h.n_credits, 3);
		assert_int_equal(h.credits[2].cycle, cases[k].token_taken);
		/* the fire engine starts the cycle after: its first group's spikes in that cycle */
		assert_true(h.n_spikes > 0);
		assert_int_equal(h.spikes[0].cycle, cases[k].token_taken + 1);
		spk_core_get_stats(c, &st);
		assert_int_equal(st.ev.sops, 16);
		h_fini(&h);
		spk_core_destroy(c);
	}
}

/*
 * Output queue of 3, groups of 2, the NI refusing everything before cycle 30. Four spikes
 * (taken 10, 12, 14, 16) and the token (18): group 1 (two spikes) goes in 19; group 2 (two
 * spikes) finds one free entry and stalls in 20–30; in 30 the first spike leaves, in 31 the
 * queue as registered has room for two: group 2 goes; groups 3 and 4 (channel 1, no spikes, then
 * the marker) in 32 and 33; the release pushed in 33 goes first in 34, the token in 35.
 */
static void test_queue_backpressure(void **state)
{
	struct small s;
	struct spk_core *c;
	struct harness h;
	struct spk_core_stats st;
	struct spk_packet p;

	(void)state;
	for (int dense = 0; dense < 2; dense++) {
		small_init(&s, 1, 1, 2, 16, 3);
		c = make(&s.cfg);
		h_init(&h, c, 16, core_deliver, core_eval, core_next);
		h.dense = dense;
		h.refuse_until = 30;
		for (uint32_t a = 50; a < 54; a++) {
			p = pkt(SPK_PACKET_SPIKE, a, 0);
			h_push(&h, &p, 10);
		}
		p = pkt(SPK_PACKET_TOKEN, 0, 0);
		h_push(&h, &p, 10);
		h_settle(&h, 1000);
		static const struct want w[] = {
			{ 30, SPK_PACKET_SPIKE, 5, 100, 0 },
			{ 31, SPK_PACKET_SPIKE, 5, 101, 0 },
			{ 32, SPK_PACKET_SPIKE, 5, 102, 0 },
			{ 33, SPK_PACKET_SPIKE, 5, 103, 0 },
			{ 34, SPK_PACKET_RELEASE, 1, 4, 0 },
			{ 35, SPK_PACKET_TOKEN, 5, 0, 0 },
		};
		expect_sent(&h, w, 6);
		assert_int_equal(h.n_spikes, 4);
		assert_int_equal(h.spikes[0].cycle, 19);
		assert_int_equal(h.spikes[1].cycle, 19);
		assert_int_equal(h.spikes[2].cycle, 31);
		assert_int_equal(h.spikes[3].cycle, 31);
		spk_core_get_stats(c, &st);
		assert_int_equal(st.fire_stalls, 11);		/* 20 .. 30 */
		assert_int_equal(st.fire_cycles, 4);
		assert_int_equal(st.send_refused, 10);		/* 20 .. 29 */
		assert_int_equal(h.refused, 10);
		assert_int_equal(st.queue_peak, 2);	/* the send engine pops before the push */
		assert_int_equal(st.ev.neuron_updates, 8);	/* stalled cycles update nothing */
		h_fini(&h);
		spk_core_destroy(c);
	}
}

/*
 * Input FIFO of 3 flits, six spikes queued for cycle 10, 2 cycles each: three arrive in 10; each
 * one taken gives its credit back in that cycle and the next spike arrives in the next cycle
 * (11, 13, 15). A graded event (2 flits) waits until two flits are free.
 */
static void test_fifo_backpressure(void **state)
{
	struct small s;
	struct spk_core *c;
	struct harness h;
	struct spk_core_stats st;
	struct spk_packet p;

	(void)state;
	for (int dense = 0; dense < 2; dense++) {
		small_init(&s, 2, 1, 4, 3, 8);
		c = make(&s.cfg);
		h_init(&h, c, 3, core_deliver, core_eval, core_next);
		h.dense = dense;
		for (uint32_t a = 50; a < 56; a++) {
			p = pkt(SPK_PACKET_SPIKE, a, 0);
			h_push(&h, &p, 10);
		}
		p = pkt(SPK_PACKET_GRADED, 2, 0);	/* element 2 of the piece */
		p.value = -9;
		h_push(&h, &p, 10);
		h_settle(&h, 1000);
		static const uint64_t arrive[] = { 10, 10, 10, 11, 13, 15, 19 };
		static const uint64_t credit[] = { 10, 12, 14, 16, 18, 20, 22 };
		assert_int_equal(h.n_delivered, 7);
		assert_int_equal(h.n_credits, 7);
		for (int i = 0; i < 7; i++) {
			assert_int_equal(h.delivered[i].cycle, arrive[i]);
			assert_int_equal(h.credits[i].cycle, credit[i]);
		}
		assert_int_equal(h.credits[6].flits, 2);
		spk_core_get_stats(c, &st);
		assert_int_equal(st.fifo_peak, 3);
		assert_int_equal(st.ev.sops, 12);
		assert_int_equal(st.ev.graded_adds, 1);
		assert_int_equal(st.graded_in, 1);
		assert_int_equal(h.n_sent, 0);			/* no token: nothing fired */
		assert_int_equal(spk_core_next_cycle(c), UINT64_MAX);
		h_fini(&h);
		spk_core_destroy(c);
	}
}

/*
 * A spatial-mean reader: its partial sums (site values: spikes' weights, biases, attention
 * adds) per channel, one graded event per channel queued when the channel's last element is
 * read; the readout's route is released like any other.
 */
static void test_mean_reader(void **state)
{
	struct small s;
	struct spk_core *c;
	struct harness h;
	struct spk_core_stats st;
	struct spk_packet p;
	struct spk_unit_route route;
	struct spk_unit_in_route in[2];

	(void)state;
	small_init(&s, 1, 4, 3, 16, 8);
	s.bias[0] = -1;
	s.bias[1] = 2;
	s.reader.mean = true;
	s.reader.theta = NULL;
	route = (struct spk_unit_route){ .source = 0, .dst_tile = 9, .dst_route = 0,
					 .axon_base = 40 };
	s.cfg.routes = &route;
	in[0] = s.in;
	in[1] = (struct spk_unit_in_route){ .kind = SPK_IN_ATTN, .src_tile = 2, .src_route = 6,
					    .piece = 0, .phase = 0 };
	s.cfg.in = in;
	s.cfg.n_in = 2;
	c = make(&s.cfg);
	h_init(&h, c, 16, core_deliver, core_eval, core_next);
	h.auto_release = true;
	h.release_delay = 1;
	p = pkt(SPK_PACKET_SPIKE, 50, 0);
	h_push(&h, &p, 5);
	p = pkt(SPK_PACKET_SPIKE, 53, 0);
	h_push(&h, &p, 5);
	p = pkt(SPK_PACKET_GRADED, 6, 0);	/* channel 1, (1, 0) */
	p.value = 100;
	h_push(&h, &p, 5);
	p = pkt(SPK_PACKET_TOKEN, 1, 0);
	h_push(&h, &p, 5);
	p = pkt(SPK_PACKET_TOKEN, 0, 0);
	h_push(&h, &p, 5);
	h_settle(&h, 1000);
	/* taken 5, 6, 7 (graded), 8, 9; groups of 3 in 10, 11, 12: channel 0 ends in 11 (element
	 * 3), channel 1 in 12 with the marker. Channel 0: 5 + 5 + 4 x (-1) = 6; channel 1:
	 * 7 + 7 + 100 + 4 x 2 = 122. */
	assert_int_equal(h.n_sent, 5);
	assert_int_equal(h.sent[0].cycle, 12);
	assert_int_equal(h.sent[0].p.kind, SPK_PACKET_GRADED);
	assert_int_equal(h.sent[0].p.flits, 2);
	assert_int_equal(h.sent[0].p.axon, 40);
	assert_int_equal(h.sent[0].p.value, 6);
	/* the two releases (pushed in 12) go first, then channel 1 and the token */
	assert_int_equal(h.sent[1].p.kind, SPK_PACKET_RELEASE);
	assert_int_equal(h.sent[1].p.axon, 4);
	assert_int_equal(h.sent[2].p.kind, SPK_PACKET_RELEASE);
	assert_int_equal(h.sent[2].p.axon, 6);
	assert_int_equal(h.sent[2].p.dst, 2);
	assert_int_equal(h.sent[3].cycle, 15);
	assert_int_equal(h.sent[3].p.axon, 41);
	assert_int_equal(h.sent[3].p.value, 122);
	assert_int_equal(h.sent[4].p.kind, SPK_PACKET_TOKEN);
	assert_int_equal(h.sent[4].cycle, 16);
	assert_int_equal(h.n_spikes, 0);
	spk_core_get_stats(c, &st);
	assert_int_equal(st.ev.neuron_updates, 8);
	assert_int_equal(st.ev.graded_adds, 1);
	assert_int_equal(st.ev.sops, 4);
	assert_int_equal(st.ev.packets_out, 5);
	h_fini(&h);
	spk_core_destroy(c);
}

/* A reader waits for its route's release of the previous step before it fires again. */
static void test_release_gates_fire(void **state)
{
	struct small s;
	struct spk_core *c;
	struct harness h;
	struct spk_packet p;

	(void)state;
	small_init(&s, 1, 4, 8, 16, 9);
	c = make(&s.cfg);
	h_init(&h, c, 16, core_deliver, core_eval, core_next);
	p = pkt(SPK_PACKET_TOKEN, 0, 0);
	h_push(&h, &p, 0);
	h_settle(&h, 100);
	assert_int_equal(spk_core_reader_steps(c, 0), 1);	/* fired in 1, token out in 2 */
	p = pkt(SPK_PACKET_TOKEN, 0, 1);
	h_push(&h, &p, 10);
	h_settle(&h, 100);
	assert_int_equal(spk_core_reader_steps(c, 0), 1);	/* route 0 not released for 0 */
	assert_int_equal(spk_core_next_cycle(c), UINT64_MAX);
	p = pkt(SPK_PACKET_RELEASE, 0, 0);
	h_push(&h, &p, 50);
	h_settle(&h, 100);
	assert_int_equal(spk_core_reader_steps(c, 0), 2);
	assert_int_equal(h.spikes == NULL ? 0 : h.n_spikes, 0);
	/* fired in 51 (release taken in 50); the release of the input route goes first in 52,
	 * the token in 53 */
	assert_int_equal(h.sent[h.n_sent - 2].cycle, 52);
	assert_int_equal(h.sent[h.n_sent - 2].p.kind, SPK_PACKET_RELEASE);
	assert_int_equal(h.sent[h.n_sent - 1].cycle, 53);
	assert_int_equal(h.sent[h.n_sent - 1].p.kind, SPK_PACKET_TOKEN);
	assert_int_equal(h.sent[h.n_sent - 1].p.tag, 1);
	h_fini(&h);
	spk_core_destroy(c);
}

/* A reader whose spikes go nowhere queues nothing, but its piece still releases its routes. */
static void test_reader_without_routes(void **state)
{
	(void)state;
	for (int dense = 0; dense < 2; dense++) {
		struct small s;
		struct spk_core *c;
		struct harness h;
		struct spk_packet p;
		struct spk_core_stats st;

		small_init(&s, 1, 1, 8, 16, 9);
		s.cfg.n_routes = 0;
		c = make(&s.cfg);
		h_init(&h, c, 16, core_deliver, core_eval, core_next);
		h.dense = dense;
		p = pkt(SPK_PACKET_SPIKE, 50, 0);
		h_push(&h, &p, 10);
		p = pkt(SPK_PACKET_TOKEN, 0, 0);
		h_push(&h, &p, 10);
		h_settle(&h, 100);
		/* spike 10–11, token 12, fire 13 (one group of 8), the release in 14 */
		static const struct want w[] = { { 14, SPK_PACKET_RELEASE, 1, 4, 0 } };
		expect_sent(&h, w, 1);
		assert_int_equal(h.n_spikes, 1);
		assert_int_equal(h.spikes[0].cycle, 13);
		spk_core_get_stats(c, &st);
		assert_int_equal(st.queue_peak, 0);
		assert_int_equal(spk_core_next_cycle(c), UINT64_MAX);
		h_fini(&h);
		spk_core_destroy(c);
	}
}

/*
 * The fire engine's choice among ready readers: the lowest phase first, then the lowest step.
 * Every element spikes (bias 5, θ 1), so the first spike of a fire marks its first cycle.
 */
static uint64_t first_spike(const struct harness *h, uint32_t pop, uint64_t step)
{
	for (size_t i = 0; i < h->n_spikes; i++)
		if (h->spikes[i].pop == pop && h->spikes[i].step == step)
			return h->spikes[i].cycle;
	return UINT64_MAX;
}

static void test_fire_order(void **state)
{
	static const int16_t w[2] = { 0, 0 };
	static const int32_t bias[2] = { 5, 5 };
	static const int64_t theta[2] = { 1, 1 };
	struct spk_core_piece pc[3];
	struct spk_core_proj pj[3];
	struct spk_core_reader rd[3];
	struct spk_unit_in_route in[3];
	struct spk_core_config cfg;
	struct spk_core *c;
	struct harness h;
	struct spk_packet p;

	(void)state;
	for (int i = 0; i < 3; i++) {
		pc[i] = (struct spk_core_piece){ .c0 = 0, .channels = 2, .y0 = 0, .rows = 2,
						 .height = 2, .width = 2, .acc_axon = 8 * i,
						 .enc_axon = UINT32_MAX };
		pj[i] = (struct spk_core_proj){ .piece = i, .phase = 0, .pop = 7, .c_in = 1,
						.h_in = 2, .w_in = 2, .kernel = 1, .stride = 1,
						.w = w, .bias = bias };
		rd[i] = (struct spk_core_reader){ .piece = i, .pop = 30 + i, .theta = theta };
		in[i] = (struct spk_unit_in_route){ .kind = SPK_IN_SPIKE, .src_tile = 1,
						    .src_route = i, .pop = 7, .axon_base = 50 + 10 * i,
						    .channels = 1, .rows = 2, .width = 2 };
	}
	cfg = (struct spk_core_config){ .tile = 3, .time_steps = 4, .adders = 1,
					.neuron_updates = 8, .input_fifo = 8, .output_queue = 9,
					.flit_bits = 32, .membrane_bits = 16, .n_pieces = 2,
					.pieces = pc, .n_projs = 2, .projs = pj, .n_readers = 2,
					.readers = rd, .n_in = 1, .in = in };
	/* One route writes both pieces; their readers (phases 7 and 3) are ready together. */
	rd[0].phase = 7;
	rd[1].phase = 3;
	c = make(&cfg);
	h_init(&h, c, 8, core_deliver, core_eval, core_next);
	p = pkt(SPK_PACKET_TOKEN, 0, 0);
	h_push(&h, &p, 10);
	h_settle(&h, 100);
	assert_int_equal(first_spike(&h, 31, 0), 11);	/* phase 3 first */
	assert_int_equal(first_spike(&h, 30, 0), 12);
	assert_int_equal(h.n_sent, 1);			/* the route released once, for both */
	assert_int_equal(h.sent[0].cycle, 13);
	h_fini(&h);
	spk_core_destroy(c);

	/* Three pieces on three routes, one element per cycle: Z (phase 1) keeps the engine busy
	 * while X (phase 3, step 1) and Y (phase 3, step 0) become ready; Y goes first. */
	for (int i = 0; i < 3; i++) {
		pj[i].pop = 7 + 2 * i;
		in[i].pop = 7 + 2 * i;
		pj[i].phase = i == 2 ? 0 : 2;
		rd[i].phase = i == 2 ? 1 : 3;
	}
	cfg.neuron_updates = 1;
	cfg.output_queue = 2;
	cfg.n_pieces = cfg.n_projs = cfg.n_readers = cfg.n_in = 3;
	c = make(&cfg);
	h_init(&h, c, 8, core_deliver, core_eval, core_next);
	p = pkt(SPK_PACKET_TOKEN, 0, 0);
	h_push(&h, &p, 10);				/* X step 0: 11–18 */
	h_settle(&h, 100);
	assert_int_equal(first_spike(&h, 30, 0), 11);
	p = pkt(SPK_PACKET_TOKEN, 2, 0);		/* Z, taken in 30 */
	h_push(&h, &p, 30);
	p = pkt(SPK_PACKET_TOKEN, 0, 1);		/* X step 1, taken in 31 */
	h_push(&h, &p, 30);
	p = pkt(SPK_PACKET_TOKEN, 1, 0);		/* Y step 0, taken in 32 */
	h_push(&h, &p, 30);
	h_settle(&h, 200);
	assert_int_equal(first_spike(&h, 32, 0), 31);	/* Z: 31–38 */
	assert_int_equal(first_spike(&h, 31, 0), 39);	/* Y (step 0): 39–46 */
	assert_int_equal(first_spike(&h, 30, 1), 47);	/* X (step 1): 47–54 */
	h_fini(&h);
	spk_core_destroy(c);
}

static void test_bad_config(void **state)
{
	struct small s;
	char err[256];
	struct spk_core_reader r2;
	struct spk_core_reader rr[2];

	(void)state;
	small_init(&s, 1, 1, 4, 16, 8);
	s.in.pop = 9;		/* nothing here reads it */
	assert_null(spk_core_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "no projection here reads population 9"));
	small_init(&s, 1, 1, 4, 16, 8);
	s.route.source = 3;
	assert_null(spk_core_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "route 0: reader 3 out of range"));
	small_init(&s, 1, 1, 4, 16, 8);
	r2 = s.reader;
	rr[0] = s.reader;
	rr[1] = r2;
	s.cfg.readers = rr;
	s.cfg.n_readers = 2;
	assert_null(spk_core_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "two readers of piece 0 at phase 2"));
	small_init(&s, 1, 1, 4, 16, 4);
	assert_null(spk_core_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "output_queue (4) must exceed neuron_updates (4)"));
	small_init(&s, 1, 1, 4, 1, 8);
	assert_null(spk_core_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot hold a graded packet"));
	small_init(&s, 1, 1, 4, 16, 8);
	s.reader.mean = true;
	s.cfg.n_routes = 0;
	assert_null(spk_core_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "without a route to the readout"));
}

/* ---- random configurations against doc/semantics.md ---------------------------------------------- */

/*
 * One core, one or two pieces of one site (the block split by channels or rows). Program, in
 * phase order: 0 ENCODER (optional, per image), 1 CONV A, 2 FIRE R1 (per-neuron), 3 ATTN adds
 * (optional, one route per piece), 4 CONV B (its spikes optional: without them only its biases
 * count), 5 R2 (per-neuron or spatial mean), 6 M3 (optional spatial mean). A's and B's spikes come
 * on one or two routes each (split by rows), shared by both pieces.
 */
#define IMAGES 2
#define MAXP 2

struct rconv {			/* one CONV step, in the model's own layout */
	uint32_t pop, phase, c_in, h_in, w_in, k, s, pad;
	int16_t *w;		/* [C][c_in][k][k] */
	int32_t *bias;		/* [C] */
	uint8_t *spikes;	/* [steps][c_in·h_in·w_in] */
	int16_t *wp[MAXP];	/* each piece's slice [c_in][k][k][g] */
	int32_t *bp[MAXP];	/* [g] */
	uint32_t n_routes;	/* 1 or 2 source blocks (by rows) */
	uint32_t split;		/* first row of the second block */
	uint32_t route0;	/* index of its first in-route */
};

struct rpiece {
	uint32_t c0, g, y0, rows, elems;
	uint32_t acc_axon, enc_axon;
	uint32_t in_enc, in_attn;		/* in-route indices */
	uint32_t r1, r2, r3;			/* reader indices (r3: UINT32_MAX if none) */
	uint32_t *attn_elem;			/* [steps][n_attn] element of the piece */
	int32_t *attn_val;
};

struct scenario {
	struct spk_rng rng;
	uint32_t C, H, W, T, steps, np, n_attn, delay;
	bool enc, attn, conv_b, r2_mean, mean3;
	struct rconv a, b;
	int64_t *E;		/* [IMAGES][C·H·W] */
	int64_t th1[8], th2[8];	/* per site channel */
	struct rpiece pc[MAXP];
	/* the core's configuration */
	struct spk_core_piece pieces[MAXP];
	struct spk_core_proj projs[2 * MAXP];
	struct spk_core_reader readers[3 * MAXP];
	struct spk_unit_in_route in[4 + 2 * MAXP];
	struct spk_unit_route routes[4 * MAXP];
	struct spk_core_config cfg;
};

static uint32_t rnd(struct scenario *sc, uint32_t n)
{
	return spk_rng_below(&sc->rng, n);
}

static int32_t rnd_in(struct scenario *sc, int32_t lo, int32_t hi)
{
	return lo + (int32_t)rnd(sc, (uint32_t)(hi - lo + 1));
}

static void make_conv(struct scenario *sc, struct rconv *cv, uint32_t pop, uint32_t phase)
{
	uint32_t n;

	cv->pop = pop;
	cv->phase = phase;
	cv->k = rnd(sc, 2) ? 3 : 1;
	cv->s = rnd(sc, 2) + 1;
	cv->pad = cv->k == 3 ? rnd(sc, 2) : 0;
	cv->c_in = rnd(sc, 3) + 1;
	/* (h_in + 2 pad − k) / s + 1 = H */
	cv->h_in = (sc->H - 1) * cv->s + cv->k - 2 * cv->pad + rnd(sc, cv->s);
	cv->w_in = (sc->W - 1) * cv->s + cv->k - 2 * cv->pad + rnd(sc, cv->s);
	n = sc->C * cv->c_in * cv->k * cv->k;
	cv->w = malloc(n * sizeof(*cv->w));
	cv->bias = malloc(sc->C * sizeof(*cv->bias));
	cv->spikes = malloc((size_t)sc->steps * cv->c_in * cv->h_in * cv->w_in);
	for (uint32_t i = 0; i < n; i++)
		cv->w[i] = (int16_t)rnd_in(sc, -127, 127);
	for (uint32_t i = 0; i < sc->C; i++)
		cv->bias[i] = rnd_in(sc, -60, 60);
	for (size_t i = 0; i < (size_t)sc->steps * cv->c_in * cv->h_in * cv->w_in; i++)
		cv->spikes[i] = rnd(sc, 100) < 30;
	cv->n_routes = cv->h_in > 1 ? rnd(sc, 2) + 1 : 1;
	cv->split = cv->n_routes == 2 ? rnd(sc, cv->h_in - 1) + 1 : cv->h_in;
}

/* The piece's slice of a conv: [c_in][k][k][g]. */
static void slice_conv(struct scenario *sc, struct rconv *cv, uint32_t p)
{
	const struct rpiece *pc = &sc->pc[p];

	cv->wp[p] = malloc((size_t)cv->c_in * cv->k * cv->k * pc->g * sizeof(*cv->wp[p]));
	cv->bp[p] = malloc(pc->g * sizeof(*cv->bp[p]));
	for (uint32_t ci = 0; ci < cv->c_in; ci++)
		for (uint32_t ky = 0; ky < cv->k; ky++)
			for (uint32_t kx = 0; kx < cv->k; kx++)
				for (uint32_t o = 0; o < pc->g; o++)
					cv->wp[p][((ci * cv->k + ky) * cv->k + kx) * pc->g + o] =
						cv->w[(((pc->c0 + o) * cv->c_in + ci) * cv->k + ky) *
						      cv->k + kx];
	for (uint32_t o = 0; o < pc->g; o++)
		cv->bp[p][o] = cv->bias[pc->c0 + o];
}

static void free_conv(struct scenario *sc, struct rconv *cv)
{
	free(cv->w);
	free(cv->bias);
	free(cv->spikes);
	for (uint32_t p = 0; p < sc->np; p++) {
		free(cv->wp[p]);
		free(cv->bp[p]);
	}
}

static void add_conv_routes(struct scenario *sc, struct rconv *cv, uint32_t *n_in, uint32_t base)
{
	cv->route0 = *n_in;
	for (uint32_t r = 0; r < cv->n_routes; r++) {
		uint32_t y0 = r == 0 ? 0 : cv->split, y1 = r == 0 ? cv->split : cv->h_in;

		sc->in[(*n_in)++] = (struct spk_unit_in_route){
			.kind = SPK_IN_SPIKE, .src_tile = 20 + *n_in, .src_route = 30 + *n_in,
			.pop = cv->pop, .axon_base = base, .c0 = 0, .channels = cv->c_in, .y0 = y0,
			.rows = y1 - y0, .width = cv->w_in };
		base += cv->c_in * (y1 - y0) * cv->w_in + 7;
	}
}

static void scenario_init(struct scenario *sc, uint64_t seed)
{
	uint32_t n_in = 0, n_routes = 0, c0, g, y0, rows;

	memset(sc, 0, sizeof(*sc));
	spk_rng_seed(&sc->rng, seed);
	sc->C = rnd(sc, 4) + 1;
	sc->H = rnd(sc, 4) + 2;
	sc->W = rnd(sc, 4) + 2;
	c0 = rnd(sc, sc->C);
	g = rnd(sc, sc->C - c0) + 1;
	y0 = rnd(sc, sc->H);
	rows = rnd(sc, sc->H - y0) + 1;
	sc->T = rnd(sc, 3) + 1;
	sc->steps = IMAGES * sc->T;
	sc->enc = rnd(sc, 2);
	sc->attn = rnd(sc, 2);
	sc->conv_b = rnd(sc, 2);
	sc->r2_mean = rnd(sc, 2);
	sc->mean3 = !sc->r2_mean && rnd(sc, 2);
	sc->delay = rnd(sc, 6);
	sc->n_attn = 6;
	/* the block, in one or two pieces */
	sc->np = 1;
	sc->pc[0] = (struct rpiece){ .c0 = c0, .g = g, .y0 = y0, .rows = rows };
	if ((g > 1 || rows > 1) && rnd(sc, 2)) {
		sc->np = 2;
		sc->pc[1] = sc->pc[0];
		if (g > 1 && (rows == 1 || rnd(sc, 2))) {
			sc->pc[0].g = rnd(sc, g - 1) + 1;
			sc->pc[1].c0 = c0 + sc->pc[0].g;
			sc->pc[1].g = g - sc->pc[0].g;
		} else {
			sc->pc[0].rows = rnd(sc, rows - 1) + 1;
			sc->pc[1].y0 = y0 + sc->pc[0].rows;
			sc->pc[1].rows = rows - sc->pc[0].rows;
		}
	}
	make_conv(sc, &sc->a, 10, 1);
	make_conv(sc, &sc->b, 11, 4);
	sc->E = calloc((size_t)IMAGES * sc->C * sc->H * sc->W, sizeof(*sc->E));
	for (size_t i = 0; i < (size_t)IMAGES * sc->C * sc->H * sc->W; i++)
		sc->E[i] = rnd(sc, 3) == 0 ? 0 : rnd_in(sc, -300, 300);
	for (uint32_t c = 0; c < sc->C; c++) {
		sc->th1[c] = rnd_in(sc, 1, 300);
		sc->th2[c] = rnd_in(sc, 1, 300);
	}
	add_conv_routes(sc, &sc->a, &n_in, 1000);
	if (sc->conv_b)
		add_conv_routes(sc, &sc->b, &n_in, 5000);
	for (uint32_t p = 0; p < sc->np; p++) {
		struct rpiece *pc = &sc->pc[p];
		uint32_t rd = 3 * p, nr = 0;

		pc->elems = pc->g * pc->rows * sc->W;
		pc->acc_axon = 300 + 1000 * p;
		pc->enc_axon = sc->enc ? pc->acc_axon + 2 * pc->elems : UINT32_MAX;
		pc->attn_elem = malloc((size_t)sc->steps * sc->n_attn * sizeof(*pc->attn_elem));
		pc->attn_val = malloc((size_t)sc->steps * sc->n_attn * sizeof(*pc->attn_val));
		for (uint32_t i = 0; i < sc->steps * sc->n_attn; i++) {
			pc->attn_elem[i] = rnd(sc, pc->elems);
			pc->attn_val[i] = rnd_in(sc, 1, 40);
		}
		slice_conv(sc, &sc->a, p);
		slice_conv(sc, &sc->b, p);
		sc->pieces[p] = (struct spk_core_piece){ .c0 = pc->c0, .channels = pc->g,
							 .y0 = pc->y0, .rows = pc->rows,
							 .height = sc->H, .width = sc->W,
							 .acc_axon = pc->acc_axon,
							 .enc_axon = pc->enc_axon, .enc_phase = 0 };
		sc->projs[2 * p] = (struct spk_core_proj){
			.piece = p, .phase = 1, .pop = 10, .c_in = sc->a.c_in, .h_in = sc->a.h_in,
			.w_in = sc->a.w_in, .kernel = sc->a.k, .stride = sc->a.s, .pad = sc->a.pad,
			.w = sc->a.wp[p], .bias = sc->a.bp[p] };
		sc->projs[2 * p + 1] = (struct spk_core_proj){
			.piece = p, .phase = 4, .pop = 11, .c_in = sc->b.c_in, .h_in = sc->b.h_in,
			.w_in = sc->b.w_in, .kernel = sc->b.k, .stride = sc->b.s, .pad = sc->b.pad,
			.w = sc->b.wp[p], .bias = sc->b.bp[p] };
		/* readers listed out of phase order on purpose: R2, R1, M3 */
		pc->r2 = rd + nr;
		sc->readers[rd + nr++] = (struct spk_core_reader){
			.piece = p, .phase = 5, .pop = sc->r2_mean ? 22 : 21, .mean = sc->r2_mean,
			.theta = sc->r2_mean ? NULL : sc->th2 + pc->c0 };
		pc->r1 = rd + nr;
		sc->readers[rd + nr++] = (struct spk_core_reader){
			.piece = p, .phase = 2, .pop = 20, .theta = sc->th1 + pc->c0 };
		pc->r3 = UINT32_MAX;
		if (sc->mean3) {
			pc->r3 = rd + nr;
			sc->readers[rd + nr++] = (struct spk_core_reader){
				.piece = p, .phase = 6, .pop = 23, .mean = true };
		} else {	/* keep reader indices dense: an unused slot gets a copy of R1 */
			sc->readers[rd + nr] = sc->readers[pc->r1];
		}
		pc->in_enc = pc->in_attn = UINT32_MAX;
		if (sc->enc) {
			pc->in_enc = n_in;
			sc->in[n_in++] = (struct spk_unit_in_route){
				.kind = SPK_IN_ENCODER, .src_tile = 40, .src_route = 2 + p,
				.piece = p };
		}
		if (sc->attn) {
			pc->in_attn = n_in;
			sc->in[n_in++] = (struct spk_unit_in_route){
				.kind = SPK_IN_ATTN, .src_tile = 41, .src_route = 3 + p, .piece = p,
				.phase = 3 };
		}
	}
	/* routes: R1 to two tiles, R2 to one, M3 to the readout; axon bases tell them apart */
	for (uint32_t p = 0; p < sc->np; p++) {
		const struct rpiece *pc = &sc->pc[p];

		sc->routes[n_routes] = (struct spk_unit_route){ .source = pc->r1, .dst_tile = 7,
								.dst_route = n_routes,
								.axon_base = 10000 * p };
		n_routes++;
		sc->routes[n_routes] = (struct spk_unit_route){ .source = pc->r1, .dst_tile = 8,
								.dst_route = n_routes,
								.axon_base = 10000 * p + 100 };
		n_routes++;
		sc->routes[n_routes] = (struct spk_unit_route){ .source = pc->r2, .dst_tile = 9,
								.dst_route = n_routes,
								.axon_base = 10000 * p + 1000 };
		n_routes++;
		if (sc->mean3) {
			sc->routes[n_routes] = (struct spk_unit_route){
				.source = pc->r3, .dst_tile = 9, .dst_route = n_routes,
				.axon_base = 10000 * p + 2000 };
			n_routes++;
		}
	}
	/* reader slots: with M3, 3 per piece; without, the spare copies of R1 are dropped */
	if (!sc->mean3 && sc->np == 2) {
		sc->readers[2] = sc->readers[3];
		sc->readers[3] = sc->readers[4];
		sc->pc[1].r2 = 2;
		sc->pc[1].r1 = 3;
		for (uint32_t i = 0; i < n_routes; i++)
			if (sc->routes[i].source >= 3)
				sc->routes[i].source--;
	}
	sc->cfg = (struct spk_core_config){
		.tile = 3, .time_steps = sc->T, .adders = rnd(sc, 8) + 1,
		.neuron_updates = rnd(sc, 5) + 1, .input_fifo = rnd(sc, 6) + 2,
		.output_queue = 0, .flit_bits = 32, .membrane_bits = rnd(sc, 2) ? 16 : 8,
		.n_pieces = sc->np, .pieces = sc->pieces, .n_projs = 2 * sc->np,
		.projs = sc->projs, .n_readers = sc->np * (sc->mean3 ? 3 : 2),
		.readers = sc->readers, .n_in = n_in, .in = sc->in, .n_routes = n_routes,
		.routes = sc->routes };
	sc->cfg.output_queue = sc->cfg.neuron_updates + 1 + rnd(sc, 4);
}

static void scenario_fini(struct scenario *sc)
{
	free_conv(sc, &sc->a);
	free_conv(sc, &sc->b);
	free(sc->E);
	for (uint32_t p = 0; p < sc->np; p++) {
		free(sc->pc[p].attn_elem);
		free(sc->pc[p].attn_val);
	}
}

static bool in_block(const struct scenario *sc, uint32_t c, uint32_t y)
{
	for (uint32_t p = 0; p < sc->np; p++)
		if (c >= sc->pc[p].c0 && c < sc->pc[p].c0 + sc->pc[p].g && y >= sc->pc[p].y0 &&
		    y < sc->pc[p].y0 + sc->pc[p].rows)
			return true;
	return false;
}

/* site += the CONV's contribution at step s, by its definition (doc/semantics.md §2, §8). */
static uint64_t naive_conv(const struct scenario *sc, const struct rconv *cv, uint32_t s,
			   int64_t *site)
{
	const uint8_t *sp = cv->spikes + (size_t)s * cv->c_in * cv->h_in * cv->w_in;
	uint64_t sops = 0;

	for (uint32_t o = 0; o < sc->C; o++)
		for (uint32_t oy = 0; oy < sc->H; oy++)
			for (uint32_t ox = 0; ox < sc->W; ox++) {
				int64_t acc = cv->bias[o];

				for (uint32_t ci = 0; ci < cv->c_in; ci++)
					for (uint32_t ky = 0; ky < cv->k; ky++)
						for (uint32_t kx = 0; kx < cv->k; kx++) {
							int64_t iy = (int64_t)oy * cv->s - cv->pad + ky;
							int64_t ix = (int64_t)ox * cv->s - cv->pad + kx;

							if (iy < 0 || ix < 0 || iy >= cv->h_in ||
							    ix >= cv->w_in ||
							    !sp[(ci * cv->h_in + iy) * cv->w_in + ix])
								continue;
							acc += cv->w[((o * cv->c_in + ci) * cv->k +
								      ky) * cv->k + kx];
							if (in_block(sc, o, oy))
								sops++;
						}
				site[(o * sc->H + oy) * sc->W + ox] += acc;
			}
	return sops;
}

struct naive_out {
	uint32_t *spikes;	/* (pop << 24 | step << 16 | neuron), sorted */
	size_t n_spikes;
	int64_t *means;		/* [np][2 (R2, M3)][steps][C] */
	uint64_t sops;
	uint64_t attn_adds;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void naive_lif(const struct scenario *sc, const int64_t *site, int64_t *v,
		      const int64_t *th, uint32_t pop, uint32_t s, int64_t vmin, int64_t vmax,
		      struct naive_out *out)
{
	for (uint32_t c = 0; c < sc->C; c++)
		for (uint32_t y = 0; y < sc->H; y++)
			for (uint32_t x = 0; x < sc->W; x++) {
				uint32_t id = (c * sc->H + y) * sc->W + x;
				int64_t a = (s % sc->T == 0 ? 0 : v[id]) + site[id];

				if (!in_block(sc, c, y))
					continue;
				if (a >= 2 * th[c]) {
					v[id] = 0;
					out->spikes[out->n_spikes++] = pop << 24 | s << 16 | id;
				} else {
					int64_t hh = a >= 0 ? a / 2 : -((-a + 1) / 2);

					v[id] = hh < vmin ? vmin : hh > vmax ? vmax : hh;
				}
			}
}

static void naive_mean(const struct scenario *sc, const int64_t *site, uint32_t which,
		       uint32_t s, struct naive_out *out)
{
	for (uint32_t p = 0; p < sc->np; p++) {
		const struct rpiece *pc = &sc->pc[p];

		for (uint32_t c = pc->c0; c < pc->c0 + pc->g; c++) {
			int64_t sum = 0;

			for (uint32_t y = pc->y0; y < pc->y0 + pc->rows; y++)
				for (uint32_t x = 0; x < sc->W; x++)
					sum += site[(c * sc->H + y) * sc->W + x];
			out->means[((p * 2 + which) * sc->steps + s) * sc->C + c] = sum;
		}
	}
}

static void naive_run(const struct scenario *sc, struct naive_out *out)
{
	size_t n = (size_t)sc->C * sc->H * sc->W;
	int64_t *site = malloc(n * sizeof(*site));
	int64_t *v1 = calloc(n, sizeof(*v1)), *v2 = calloc(n, sizeof(*v2));
	int64_t vmax = (INT64_C(1) << (sc->cfg.membrane_bits - 1)) - 1, vmin = -vmax - 1;

	out->spikes = malloc((size_t)sc->steps * 2 * n * sizeof(*out->spikes));
	out->means = calloc((size_t)MAXP * 2 * sc->steps * sc->C, sizeof(*out->means));
	out->n_spikes = 0;
	out->sops = out->attn_adds = 0;
	for (uint32_t s = 0; s < sc->steps; s++) {
		memset(site, 0, n * sizeof(*site));
		if (sc->enc)		/* phase 0 */
			for (size_t i = 0; i < n; i++)
				site[i] += sc->E[(s / sc->T) * n + i];
		out->sops += naive_conv(sc, &sc->a, s, site);			/* phase 1 */
		naive_lif(sc, site, v1, sc->th1, 20, s, vmin, vmax, out);	/* phase 2 */
		if (sc->attn)		/* phase 3 */
			for (uint32_t p = 0; p < sc->np; p++) {
				const struct rpiece *pc = &sc->pc[p];

				for (uint32_t i = 0; i < sc->n_attn; i++) {
					uint32_t e = pc->attn_elem[s * sc->n_attn + i];
					uint32_t plane = pc->rows * sc->W, c = pc->c0 + e / plane;
					uint32_t y = pc->y0 + e % plane / sc->W, x = e % sc->W;

					site[(c * sc->H + y) * sc->W + x] +=
						pc->attn_val[s * sc->n_attn + i];
					out->attn_adds++;
				}
			}
		if (sc->conv_b)		/* phase 4 */
			out->sops += naive_conv(sc, &sc->b, s, site);
		else			/* no route brings its spikes: only the biases */
			for (uint32_t o = 0; o < sc->C; o++)
				for (uint32_t i = 0; i < sc->H * sc->W; i++)
					site[o * sc->H * sc->W + i] += sc->b.bias[o];
		if (sc->r2_mean)	/* phase 5 */
			naive_mean(sc, site, 0, s, out);
		else
			naive_lif(sc, site, v2, sc->th2, 21, s, vmin, vmax, out);
		if (sc->mean3)		/* phase 6 */
			naive_mean(sc, site, 1, s, out);
	}
	qsort(out->spikes, out->n_spikes, sizeof(*out->spikes), cmp_u32);
	free(site);
	free(v1);
	free(v2);
}

/* The spikes of one CONV at step s as packets of its routes, each route's token last. */
static void push_conv(struct scenario *sc, const struct rconv *cv, uint32_t s,
		      struct spk_packet *buf, size_t *n)
{
	const uint8_t *sp = cv->spikes + (size_t)s * cv->c_in * cv->h_in * cv->w_in;

	for (uint32_t r = 0; r < cv->n_routes; r++) {
		const struct spk_unit_in_route *ir = &sc->in[cv->route0 + r];

		for (uint32_t ci = 0; ci < cv->c_in; ci++)
			for (uint32_t y = ir->y0; y < ir->y0 + ir->rows; y++)
				for (uint32_t x = 0; x < cv->w_in; x++)
					if (sp[(ci * cv->h_in + y) * cv->w_in + x])
						buf[(*n)++] = pkt(SPK_PACKET_SPIKE,
								  ir->axon_base +
								  (ci * ir->rows + y - ir->y0) *
								  ir->width + x, s & 1);
		buf[(*n)++] = pkt(SPK_PACKET_TOKEN, cv->route0 + r, s & 1);
	}
}

/* Delivers buf[0..n) shuffled, every token after every other packet. */
static void push_shuffled(struct scenario *sc, struct harness *h, struct spk_packet *buf,
			  size_t n)
{
	uint64_t cycle = h->now + rnd(sc, 4);

	for (size_t i = n; i > 1; i--) {
		size_t j = rnd(sc, (uint32_t)i);
		struct spk_packet t = buf[i - 1];

		buf[i - 1] = buf[j];
		buf[j] = t;
	}
	for (size_t i = 0, k = 0; i < n; i++)
		if (buf[i].kind != SPK_PACKET_TOKEN) {
			struct spk_packet t = buf[k];

			buf[k++] = buf[i];
			buf[i] = t;
		}
	for (size_t i = 0; i < n; i++) {
		h_push(h, &buf[i], cycle);
		cycle += rnd(sc, 3) == 0;
	}
}

/* Drives the scenario's core through every step; records in h. */
static void drive(struct scenario *sc, struct spk_core *c, struct harness *h)
{
	struct spk_packet *buf = malloc(8192 * sizeof(*buf));

	for (uint32_t s = 0; s < sc->steps; s++) {
		size_t n = 0;

		if (sc->enc && s % sc->T == 0) {
			uint32_t img = s / sc->T;

			for (uint32_t p = 0; p < sc->np; p++) {
				const struct rpiece *pc = &sc->pc[p];
				uint32_t plane = pc->rows * sc->W;

				for (uint32_t e = 0; e < pc->elems; e++) {
					uint32_t ch = pc->c0 + e / plane;
					uint32_t y = pc->y0 + e % plane / sc->W;
					int64_t v = sc->E[(size_t)img * sc->C * sc->H * sc->W +
							  (ch * sc->H + y) * sc->W + e % sc->W];

					if (v != 0) {
						buf[n] = pkt(SPK_PACKET_GRADED, pc->enc_axon + e,
							     img & 1);
						buf[n++].value = (int32_t)v;
					}
				}
				buf[n++] = pkt(SPK_PACKET_TOKEN, pc->in_enc, img & 1);
			}
			for (size_t i = 0; i < n; i++)
				h_push(h, &buf[i], h->now + i / 3);
			n = 0;
		}
		push_conv(sc, &sc->a, s, buf, &n);
		push_shuffled(sc, h, buf, n);
		h_settle(h, 100000);
		for (uint32_t p = 0; p < sc->np; p++)
			assert_int_equal(spk_core_reader_steps(c, sc->pc[p].r1), s + 1);
		n = 0;
		if (sc->attn)
			for (uint32_t p = 0; p < sc->np; p++) {
				const struct rpiece *pc = &sc->pc[p];

				for (uint32_t i = 0; i < sc->n_attn; i++) {
					buf[n] = pkt(SPK_PACKET_GRADED,
						     pc->acc_axon + pc->attn_elem[s * sc->n_attn + i],
						     s & 1);
					buf[n++].value = pc->attn_val[s * sc->n_attn + i];
				}
				buf[n++] = pkt(SPK_PACKET_TOKEN, pc->in_attn, s & 1);
			}
		if (sc->conv_b)
			push_conv(sc, &sc->b, s, buf, &n);
		if (n > 0)
			push_shuffled(sc, h, buf, n);
		h_settle(h, 100000);
		for (uint32_t p = 0; p < sc->np; p++) {
			assert_int_equal(spk_core_reader_steps(c, sc->pc[p].r2), s + 1);
			if (sc->pc[p].r3 != UINT32_MAX)
				assert_int_equal(spk_core_reader_steps(c, sc->pc[p].r3), s + 1);
		}
	}
	free(buf);
}

static void check_against_naive(struct scenario *sc, const struct harness *h,
				const struct spk_core *c)
{
	struct naive_out nv;
	uint32_t *got = malloc((h->n_spikes + 1) * sizeof(*got));
	struct spk_core_stats st;
	size_t n_tokens = 0, n_rel = 0, n_spk = 0, n_means = 0, seen[MAXP][2] = { { 0 } };
	uint64_t updates = 0;

	naive_run(sc, &nv);
	for (size_t i = 0; i < h->n_spikes; i++)
		got[i] = h->spikes[i].pop << 24 | (uint32_t)h->spikes[i].step << 16 |
			 h->spikes[i].neuron;
	qsort(got, h->n_spikes, sizeof(*got), cmp_u32);
	assert_int_equal(h->n_spikes, nv.n_spikes);
	assert_memory_equal(got, nv.spikes, nv.n_spikes * sizeof(*got));
	for (size_t i = 0; i < h->n_sent; i++) {
		const struct spk_packet *p = &h->sent[i].p;

		switch (p->kind) {
		case SPK_PACKET_GRADED: {
			/* partial sums: the route (piece, R2 or M3) by its axon base */
			uint32_t pi = p->axon / 10000, which = p->axon % 10000 / 1000 - 1;
			uint32_t ch = p->axon % 1000;
			const struct rpiece *pc = &sc->pc[pi];
			size_t k = seen[pi][which]++;
			uint32_t s = (uint32_t)(k / pc->g);

			assert_true(pi < sc->np && which < 2 && s < sc->steps);
			assert_int_equal(ch, pc->c0 + k % pc->g);	/* channel order */
			assert_int_equal(p->tag, s & 1);
			assert_int_equal(p->value,
					 nv.means[((pi * 2 + which) * sc->steps + s) * sc->C + ch]);
			n_means++;
			break;
		}
		case SPK_PACKET_TOKEN:
			n_tokens++;
			break;
		case SPK_PACKET_RELEASE:
			n_rel++;
			break;
		default:
			n_spk++;
		}
	}
	/* every mean reader sent every step's channels */
	assert_int_equal(n_means, (size_t)sc->steps * (sc->r2_mean + sc->mean3) *
			 (sc->pc[0].g + (sc->np > 1 ? sc->pc[1].g : 0)));
	/* every spike went out on each of its reader's routes (R1: 2, R2: 1) */
	size_t want_spk = 0;

	for (size_t i = 0; i < h->n_spikes; i++)
		want_spk += h->spikes[i].pop == 20 ? 2 : 1;
	assert_int_equal(n_spk, want_spk);
	/* every route closes every step; every incoming route is released every step (encoder
	 * routes every image), spike routes once for both pieces */
	assert_int_equal(n_tokens, (size_t)sc->steps * sc->cfg.n_routes);
	assert_int_equal(n_rel, (size_t)sc->steps * (sc->a.n_routes +
						    (sc->conv_b ? sc->b.n_routes : 0) +
						    (sc->attn ? sc->np : 0)) +
			 (sc->enc ? (size_t)IMAGES * sc->np : 0));
	spk_core_get_stats(c, &st);
	for (uint32_t p = 0; p < sc->np; p++)
		updates += (uint64_t)sc->steps * (sc->mean3 ? 3 : 2) * sc->pc[p].elems;
	assert_int_equal(st.ev.sops, nv.sops);
	assert_int_equal(st.ev.graded_adds, nv.attn_adds);
	assert_int_equal(st.ev.neuron_updates, updates);
	assert_int_equal(st.ev.packets_out, h->n_sent);
	assert_int_equal(st.graded_clamped, 0);
	free(got);
	free(nv.spikes);
	free(nv.means);
}

static bool same_packet(const struct spk_packet *a, const struct spk_packet *b)
{
	return a->src == b->src && a->dst == b->dst && a->flits == b->flits &&
	       a->kind == b->kind && a->tag == b->tag && a->axon == b->axon &&
	       a->value == b->value;
}

static void test_random_vs_naive(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct scenario sc;
		struct harness h[2];

		for (int dense = 0; dense < 2; dense++) {
			struct spk_core *c;

			scenario_init(&sc, seed);
			c = make(&sc.cfg);
			h_init(&h[dense], c, sc.cfg.input_fifo, core_deliver, core_eval,
			       core_next);
			h[dense].dense = dense;
			h[dense].auto_release = true;
			h[dense].release_delay = sc.delay;
			drive(&sc, c, &h[dense]);
			check_against_naive(&sc, &h[dense], c);
			assert_true(spk_core_quiet(c));
			spk_core_destroy(c);
			scenario_fini(&sc);
		}
		/* evaluating only the cycles with work gives exactly the same run */
		assert_int_equal(h[0].n_sent, h[1].n_sent);
		for (size_t i = 0; i < h[0].n_sent; i++) {
			assert_int_equal(h[0].sent[i].cycle, h[1].sent[i].cycle);
			assert_true(same_packet(&h[0].sent[i].p, &h[1].sent[i].p));
		}
		assert_int_equal(h[0].n_spikes, h[1].n_spikes);
		for (size_t i = 0; i < h[0].n_spikes; i++) {
			assert_int_equal(h[0].spikes[i].pop, h[1].spikes[i].pop);
			assert_int_equal(h[0].spikes[i].step, h[1].spikes[i].step);
			assert_int_equal(h[0].spikes[i].neuron, h[1].spikes[i].neuron);
			assert_int_equal(h[0].spikes[i].cycle, h[1].spikes[i].cycle);
		}
		assert_int_equal(h[0].n_credits, h[1].n_credits);
		for (size_t i = 0; i < h[0].n_credits; i++) {
			assert_int_equal(h[0].credits[i].flits, h[1].credits[i].flits);
			assert_int_equal(h[0].credits[i].cycle, h[1].credits[i].cycle);
		}
		assert_true(h[0].evals <= h[1].evals);
		h_fini(&h[0]);
		h_fini(&h[1]);
	}
}

static void test_energy(void **state)
{
	struct spk_unit_events ev = { .sops = 10, .graded_adds = 3, .neuron_updates = 4,
				      .packets_out = 5, .attention_ops = 6, .encoder_macs = 7 };
	struct spk_unit_events sum = { 0 };
	struct spk_arch a;

	(void)state;
	spk_arch_init_defaults(&a);
	a.energy.syn_add_pj = 0.5;
	a.energy.weight_read_pj = 0.25;
	a.energy.neuron_update_pj = 2;
	a.energy.spike_out_pj = 3;
	a.energy.attention_op_pj = 0.125;
	a.energy.encoder_mac_pj = 4;
	/* 10 x (0.5 + 8 x 0.25) + 3 x 0.5 + 4 x 2 + 5 x 3 + 6 x 0.125 + 7 x 4 */
	assert_true(spk_unit_energy_pj(&ev, &a.energy, 8) == 25 + 1.5 + 8 + 15 + 0.75 + 28);
	spk_unit_events_add(&sum, &ev);
	spk_unit_events_add(&sum, &ev);
	assert_int_equal(sum.sops, 20);
	assert_int_equal(sum.encoder_macs, 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycles_spikes),
		cmocka_unit_test(test_cycles_adders),
		cmocka_unit_test(test_queue_backpressure),
		cmocka_unit_test(test_fifo_backpressure),
		cmocka_unit_test(test_mean_reader),
		cmocka_unit_test(test_release_gates_fire),
		cmocka_unit_test(test_reader_without_routes),
		cmocka_unit_test(test_fire_order),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_random_vs_naive),
		cmocka_unit_test(test_energy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
