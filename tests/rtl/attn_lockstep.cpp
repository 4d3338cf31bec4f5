// attn_lockstep.cpp — the Verilated attention unit (rtl/attn.sv) and its C model (sim/attn.c)
// in lock step: the same packets arriving in the same cycles, the same NI acceptances; every
// cycle the packet offered to the NI (valid and every field) and the input-FIFO credits given
// back compared, every statistic compared every 1024 cycles and at the end (doc/rtl.md "attn").
//
// A run is several random configurations (--configs, default one per 25,000 cycles, at least 5),
// each loaded into the C model
// (spk_attn_create) and, after a reset, into the RTL through its load port by the loader the
// chip co-simulation uses (rtl/attn_load.h). Each configuration is 1 to MaxOps ops of random
// shapes (channels, heads, height, width within MaxChannels and MaxTokens; populations shared
// between ops and between an op's Q, K and V at times), incoming routes that cut each
// population into blocks, ATTN routes that cut each op's output into blocks, in random table
// order. Around the unit, small models of the flow control of doc/architecture.md §9:
//   - one source per incoming route: per step, a random subset of its block's neurons spike
//     (each at most once), in random order, then its token; the next step only after the
//     unit's release of this one;
//   - one destination per ATTN route: after the unit's token of a step reached it (the NI took
//     it), its release comes back 1 to D cycles later;
//   - the NI delivers at most one packet a cycle, only within the credits the unit returned,
//     choosing among the sources and the releases at random with probability p_in; it takes
//     the unit's offer with probability p_ready.
// The configurations rotate through five load levels: light; back-pressure (ops of one wide
// head, so spikes are slow; a busy input, an NI that refuses three offers in four, slow
// releases: the output queue fills and the compute engine stalls, the input FIFO fills); counter_bits = 2 (KV counts and
// outputs beyond it: counter_overflows); sparse (4 % of the neurons spike: tokens without a Q
// spike, all-zero rows, steps with only a marker); mixed (counter_bits = 3).
//
// The first divergence: cycle, signal, expected (C model), got (RTL), the stimulus of the last
// cycles; exit 1. A run that completed too few steps, or never refused, stalled, overflowed,
// filled the input FIFO or filled the output queue, fails too (not vacuous). Exit 0 with a summary.
//
// usage: attn_lockstep [--cycles N] [--seed S] [--configs K]   (SPK_RTL_UNIT_CYCLES: cycles)
#include "Vattn.h"
#include "spk_noc_pkg.h"

extern "C" {
#include "rtl/rtl_params.h"
#include "sim/attn.h"
#include "util/rng.h"
}

#include "rtl/attn_load.h"

#include <verilated.h>

#include "tests/rtl/lockstep.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#ifndef ATTN_MaxOps
#error "build with the RTL's parameters: -DATTN_MaxOps=3 ... (rtl/attn.mk)"
#endif

namespace {

struct rng {
	uint64_t s;
	uint64_t next() { return spk_rng_splitmix(&s); }
	uint32_t below(uint32_t n) { return n == 0 ? 0 : (uint32_t)(next() % n); }
	bool chance(unsigned pct) { return below(100) < pct; }
};

struct offer {			// what the C model offered in a cycle
	bool valid;
	spk_packet pk;
};

struct source {			// upstream of an incoming route
	uint64_t step;		// the step it sends (or last sent, while waiting)
	bool waiting;		// its token went: waits for the release of `step - 1`
	std::deque<uint32_t> spikes;	// axons still to send this step
	bool token_left;	// the token of this step still to send
};

struct pending_rel {		// a destination's release on its way back
	uint64_t ready;
	uint32_t route;
	uint8_t tag;
};

struct level {
	const char *name;
	unsigned p_in, p_ready, density, rel_delay;
	int counter_bits;
	bool wide;		// every op one head of MaxChannels channels: slow spikes
};

const level levels[5] = {
	{ "light", 35, 95, 30, 8, 16, false },
	{ "back-pressure", 95, 25, 70, 60, 16, true },
	{ "overflow", 60, 70, 60, 4, 2, false },
	{ "sparse", 50, 80, 4, 10, 16, false },
	{ "mixed", 70, 60, 45, 20, 3, false },
};

struct port_ctx {
	offer off;
	uint32_t credit;
	bool ready;
	int sends;
};

int c_send(void *ctx, const spk_packet *p)
{
	port_ctx *c = (port_ctx *)ctx;

	c->sends++;
	c->off.valid = true;
	c->off.pk = *p;
	return c->ready ? 0 : -EAGAIN;
}

void c_credit(void *ctx, uint32_t flits)
{
	((port_ctx *)ctx)->credit += flits;
}

void load_write(void *ctx, uint32_t addr, uint64_t data)
{
	Vattn *t = (Vattn *)ctx;

	t->load_we_i = 1;
	t->load_addr_i = addr;
	t->load_data_i = data;
	t->clk_i = 0;
	t->eval();
	t->clk_i = 1;
	t->eval();
	t->load_we_i = 0;
}

struct totals {
	uint64_t steps = 0, packets_out = 0, outputs = 0, refused = 0, stalls = 0, overflows = 0;
	uint64_t releases_in = 0, spikes_in = 0, configs = 0;
	uint32_t fifo_peak = 0, queue_peak = 0;	// the most over the configurations
};

struct harness {
	spk_rtl_params prm = SPK_NOC_PKG_INIT;
	spk_rtl_attn_params ap;
	Vattn *top;
	rng g;
	uint64_t cycle = 0, total_cycle = 0;
	std::deque<std::string> history;
	totals tot;
	bool verbose = true;	// a line per configuration

	// the configuration
	level lv;
	std::vector<spk_attn_op> ops;
	std::vector<spk_unit_in_route> in;
	std::vector<spk_unit_route> routes;
	spk_attn_config cfg;
	spk_attn *a = nullptr;
	std::vector<source> src;
	std::deque<pending_rel> rels;
	uint32_t credits;

	harness()
	{
		ap.max_ops = ATTN_MaxOps;
		ap.max_tokens = ATTN_MaxTokens;
		ap.max_channels = ATTN_MaxChannels;
		ap.lanes = ATTN_Lanes;
		ap.output_queue = ATTN_OutputQueue;
		ap.fifo_flits = ATTN_FifoFlits;
		ap.in_routes = ATTN_InRoutes;
		ap.max_routes = ATTN_MaxRoutes;
		ap.mesh_x = prm.mesh_x;
		ap.mesh_y = prm.mesh_y;
		ap.y_bits = prm.y_bits;
		ap.addr_bits = prm.addr_bits;
		ap.payload_bits = prm.payload_bits;
	}

	uint64_t addr_of(uint32_t tile) const
	{
		return spk_rtl_tile_addr(&prm, tile % prm.mesh_x, tile / prm.mesh_x);
	}

	int fail(const char *signal, uint64_t exp, uint64_t got)
	{
		std::fprintf(stderr,
			     "attn_lockstep: first divergence at cycle %" PRIu64 " (configuration %" PRIu64
			     ", %s), signal %s: expected (C model) 0x%" PRIx64 ", got (RTL) 0x%" PRIx64
			     "\n",
			     cycle, tot.configs, lv.name, signal, exp, got);
		std::fprintf(stderr, "stimulus of the cycles before (oldest first):\n");
		for (const std::string &h : history)
			std::fprintf(stderr, "  %s\n", h.c_str());
		return 1;
	}

	// ---- a random configuration within the RTL's parameters ----
	struct shape {
		uint32_t C, H, W;
	};

	void make_config(unsigned k)
	{
		std::vector<shape> pops;	// population -> shape
		uint32_t n_ops = 1 + g.below(ap.max_ops);

		lv = levels[k % 5];
		ops.clear();
		in.clear();
		routes.clear();
		for (uint32_t j = 0; j < n_ops; j++) {
			spk_attn_op o = {};
			shape s;

			o.phase = g.below(4);
			if (j > 0 && g.chance(35)) {	// share a population with an earlier op
				const spk_attn_op &e = ops[g.below(j)];
				uint32_t pick[3] = { e.q_pop, e.k_pop, e.v_pop };
				uint32_t shared = pick[g.below(3)];

				s = pops[shared];
				o.q_pop = (uint32_t)pops.size();
				pops.push_back(s);
				o.k_pop = (uint32_t)pops.size();
				pops.push_back(s);
				o.v_pop = (uint32_t)pops.size();
				pops.push_back(s);
				switch (g.below(3)) {
				case 0: o.q_pop = shared; break;
				case 1: o.k_pop = shared; break;
				default: o.v_pop = shared; break;
				}
			} else {
				// wide heads half the time: a K or V spike then adds up to d
				s.C = lv.wide ? ap.max_channels
					: g.chance(50) ? ap.max_channels - g.below(3) : 1 + g.below(ap.max_channels);
				s.W = 1 + g.below(std::min(ap.max_tokens, 8u));
				s.H = 1 + g.below(ap.max_tokens / s.W);
				o.q_pop = (uint32_t)pops.size();
				pops.push_back(s);
				o.k_pop = (uint32_t)pops.size();
				pops.push_back(s);
				o.v_pop = (uint32_t)pops.size();
				pops.push_back(s);
				if (g.chance(10))
					o.v_pop = o.k_pop;	// K and V of one population
				if (g.chance(5))
					o.q_pop = o.k_pop;
			}
			o.channels = s.C;
			o.height = s.H;
			o.width = s.W;
			std::vector<uint32_t> divs;
			for (uint32_t h = 1; h <= s.C; h++)
				if (s.C % h == 0)
					divs.push_back(h);
			o.heads = lv.wide || g.chance(50) ? 1 : divs[g.below((uint32_t)divs.size())];
			ops.push_back(o);
		}
		// incoming routes: each population read by an op, cut into blocks
		std::vector<bool> used(pops.size(), false);
		for (const spk_attn_op &o : ops)
			used[o.q_pop] = used[o.k_pop] = used[o.v_pop] = true;
		uint32_t n_used = 0;
		for (bool u : used)
			n_used += u;
		uint32_t axon = g.below(50), src_route = 0;
		for (uint32_t pop = 0; pop < pops.size(); pop++) {
			if (!used[pop])
				continue;
			const shape &s = pops[pop];
			bool room = in.size() + 4 + (n_used - 1) <= ap.in_routes;
			uint32_t cs = room && s.C > 1 && g.chance(50) ? 1 + g.below(s.C - 1) : s.C;
			uint32_t ys = room && s.H > 1 && g.chance(50) ? 1 + g.below(s.H - 1) : s.H;
			n_used--;
			for (uint32_t cb = 0; cb < 2; cb++)
				for (uint32_t yb = 0; yb < 2; yb++) {
					uint32_t c0 = cb ? cs : 0, c1 = cb ? s.C : cs;
					uint32_t y0 = yb ? ys : 0, y1 = yb ? s.H : ys;
					if (c0 >= c1 || y0 >= y1)
						continue;
					spk_unit_in_route r = {};
					r.kind = SPK_IN_SPIKE;
					r.src_tile = g.below(prm.mesh_x * prm.mesh_y);
					r.src_route = src_route++ * 3 + g.below(3);
					r.pop = pop;
					r.axon_base = axon;
					r.c0 = c0;
					r.channels = c1 - c0;
					r.y0 = y0;
					r.rows = y1 - y0;
					r.width = s.W;
					axon += r.channels * r.rows * r.width + g.below(4);
					in.push_back(r);
				}
		}
		for (size_t i = in.size(); i > 1; i--)
			std::swap(in[i - 1], in[g.below((uint32_t)i)]);
		// ATTN routes: each op's output (C x H) cut into blocks
		uint32_t dst_route = 0;
		for (uint32_t j = 0; j < ops.size(); j++) {
			const spk_attn_op &o = ops[j];
			bool room = routes.size() + 4 + 4 * (ops.size() - 1 - j) <= ap.max_routes;
			uint32_t cs = room && o.channels > 1 && g.chance(50) ? 1 + g.below(o.channels - 1)
									   : o.channels;
			uint32_t ys = room && o.height > 1 && g.chance(50) ? 1 + g.below(o.height - 1)
									 : o.height;
			for (uint32_t cb = 0; cb < 2; cb++)
				for (uint32_t yb = 0; yb < 2; yb++) {
					uint32_t c0 = cb ? cs : 0, c1 = cb ? o.channels : cs;
					uint32_t y0 = yb ? ys : 0, y1 = yb ? o.height : ys;
					if (c0 >= c1 || y0 >= y1)
						continue;
					spk_unit_route r = {};
					r.source = j;
					r.dst_tile = g.below(prm.mesh_x * prm.mesh_y);
					r.dst_route = dst_route++ * 2 + g.below(2);
					r.axon_base = g.below(5000);
					r.c0 = c0;
					r.c1 = c1;
					r.y0 = y0;
					r.y1 = y1;
					r.pc0 = c0 - g.below(c0 + 1);
					r.py0 = y0 - g.below(y0 + 1);
					r.prows = std::min(y1 - r.py0 + g.below(3), ap.max_tokens);
					routes.push_back(r);
				}
		}
		for (size_t i = routes.size(); i > 1; i--)
			std::swap(routes[i - 1], routes[g.below((uint32_t)i)]);
		cfg = {};
		cfg.tile = g.below(prm.mesh_x * prm.mesh_y);
		cfg.lanes = ap.lanes;
		cfg.input_fifo = ap.fifo_flits;
		cfg.output_queue = ap.output_queue;
		cfg.flit_bits = prm.flit_bits;
		cfg.counter_bits = lv.counter_bits;
		cfg.n_ops = (uint32_t)ops.size();
		cfg.ops = ops.data();
		cfg.n_in = (uint32_t)in.size();
		cfg.in = in.data();
		cfg.n_routes = (uint32_t)routes.size();
		cfg.routes = routes.data();
	}

	// ---- stimulus ----
	void start_step(uint32_t i)
	{
		const spk_unit_in_route &r = in[i];
		source &s = src[i];
		uint32_t n = r.channels * r.rows * r.width;

		s.spikes.clear();
		for (uint32_t e = 0; e < n; e++)
			if (g.chance(lv.density))
				s.spikes.push_back(r.axon_base + e);
		for (size_t k = s.spikes.size(); k > 1; k--)
			std::swap(s.spikes[k - 1], s.spikes[g.below((uint32_t)k)]);
		s.token_left = true;
		s.waiting = false;
	}

	// the packet the NI delivers in this cycle, if any
	bool pick_delivery(spk_packet *pk)
	{
		std::vector<int> cand;	// >= 0: source; -1 - k: release k

		if (credits == 0 || !g.chance(lv.p_in))
			return false;
		for (uint32_t i = 0; i < src.size(); i++)
			if (!src[i].waiting)
				cand.push_back((int)i);
		for (uint32_t k = 0; k < rels.size(); k++)
			if (rels[k].ready <= cycle)
				cand.push_back(-1 - (int)k);
		if (cand.empty())
			return false;
		int c = cand[g.below((uint32_t)cand.size())];
		*pk = {};
		pk->dst = cfg.tile;
		pk->flits = 1;
		if (c < 0) {
			pending_rel r = rels[-1 - c];

			rels.erase(rels.begin() + (-1 - c));
			pk->kind = SPK_PACKET_RELEASE;
			pk->axon = r.route;
			pk->tag = r.tag;
		} else {
			source &s = src[c];

			pk->tag = (uint8_t)(s.step & 1);
			if (!s.spikes.empty()) {
				pk->kind = SPK_PACKET_SPIKE;
				pk->axon = s.spikes.front();
				s.spikes.pop_front();
			} else {
				pk->kind = SPK_PACKET_TOKEN;
				pk->axon = (uint32_t)c;
				s.token_left = false;
				s.waiting = true;
				s.step++;
			}
		}
		credits--;
		return true;
	}

	// what the destinations and sources do with a packet the NI took from the unit
	int taken(const spk_packet &p)
	{
		if (p.kind == SPK_PACKET_RELEASE) {
			for (uint32_t i = 0; i < in.size(); i++)
				if (in[i].src_tile == p.dst && in[i].src_route == p.axon) {
					if (!src[i].waiting || ((src[i].step - 1) & 1) != p.tag)
						return fail("release of an incoming route (test model)", 1, 0);
					start_step(i);
					return 0;
				}
			return fail("release to an unknown route (test model)", p.axon, 0);
		}
		if (p.kind == SPK_PACKET_TOKEN) {
			for (uint32_t k = 0; k < routes.size(); k++)
				if (routes[k].dst_tile == p.dst && routes[k].dst_route == p.axon) {
					rels.push_back({ cycle + 1 + g.below(lv.rel_delay), k, p.tag });
					return 0;
				}
			return fail("token on an unknown route (test model)", p.axon, 0);
		}
		return 0;
	}

	int compare_stats()
	{
		spk_attn_stats st;

		spk_attn_get_stats(a, &st);
		const struct {
			const char *name;
			uint64_t exp, got;
		} f[] = {
			{ "packets_in_o (packets_in)", st.packets_in, top->packets_in_o },
			{ "spikes_in_o (spikes_in)", st.spikes_in, top->spikes_in_o },
			{ "tokens_in_o (tokens_in)", st.tokens_in, top->tokens_in_o },
			{ "releases_in_o (releases_in)", st.releases_in, top->releases_in_o },
			{ "receive_busy_o (receive_busy)", st.receive_busy, top->receive_busy_o },
			{ "attention_ops_o (ev.attention_ops)", st.ev.attention_ops, top->attention_ops_o },
			{ "packets_out_o (ev.packets_out)", st.ev.packets_out, top->packets_out_o },
			{ "steps_o (steps)", st.steps, top->steps_o },
			{ "compute_cycles_o (compute_cycles)", st.compute_cycles, top->compute_cycles_o },
			{ "emit_cycles_o (emit_cycles)", st.emit_cycles, top->emit_cycles_o },
			{ "emit_stalls_o (emit_stalls)", st.emit_stalls, top->emit_stalls_o },
			{ "outputs_o (outputs)", st.outputs, top->outputs_o },
			{ "send_refused_o (send_refused)", st.send_refused, top->send_refused_o },
			{ "counter_overflows_o (counter_overflows)", st.counter_overflows,
			  top->counter_overflows_o },
			{ "fifo_peak_o (fifo_peak)", st.fifo_peak, top->fifo_peak_o },
			{ "queue_peak_o (queue_peak)", st.queue_peak, top->queue_peak_o },
			{ "sops + graded_adds + neuron_updates + encoder_macs (0)",
			  st.ev.sops + st.ev.graded_adds + st.ev.neuron_updates + st.ev.encoder_macs, 0 },
		};
		for (const auto &x : f)
			if (x.exp != x.got)
				return fail(x.name, x.exp, x.got);
		return 0;
	}

	void clock()
	{
		top->clk_i = 0;
		top->eval();
		top->clk_i = 1;
		top->eval();
	}

	// one configuration for `cycles` cycles
	int run_config(unsigned k, uint64_t cycles)
	{
		char err[256];
		port_ctx pc = {};
		spk_unit_port port = { c_send, c_credit, nullptr, &pc, nullptr };

		make_config(k);
		a = spk_attn_create(&cfg, err, sizeof(err));
		if (a == nullptr) {
			std::fprintf(stderr, "attn_lockstep: configuration %u: %s\n", k, err);
			return 1;
		}
		// reset, then the loader through the load port
		top->clk_i = 0;
		top->rst_ni = 1;
		top->rx_valid_i = 0;
		top->tx_ready_i = 0;
		top->load_we_i = 0;
		top->eval();
		top->rst_ni = 0;
		top->eval();
		top->rst_ni = 1;
		top->eval();
		// from the model's own copy of its configuration, as the co-simulation loads it
		spk_attn_config own;
		spk_attn_get_config(a, &own);
		if (spk_rtl_attn_load(&own, &ap, load_write, top, err, sizeof(err)) < 0) {
			std::fprintf(stderr, "attn_lockstep: configuration %u: loader: %s\n", k, err);
			return 1;
		}
		src.assign(in.size(), source{});
		for (uint32_t i = 0; i < in.size(); i++)
			start_step(i);
		rels.clear();
		credits = ap.fifo_flits;
		history.clear();
		for (cycle = 0; cycle < cycles; cycle++) {
			spk_packet pk;
			bool dv = pick_delivery(&pk);
			char h[160];

			pc.off.valid = false;
			pc.credit = 0;
			pc.sends = 0;
			pc.ready = g.chance(lv.p_ready);
			if (dv)
				spk_attn_deliver(a, &pk, cycle);
			spk_attn_eval(a, cycle, &port);
			if (pc.sends > 1)
				return fail("offers by the C model in one cycle (at most 1)", 1, pc.sends);

			top->rx_valid_i = dv;
			top->rx_kind_i = dv ? pk.kind : 0;
			top->rx_tag_i = dv ? pk.tag : 0;
			top->rx_axon_i = dv ? pk.axon : 0;
			top->rx_value_i = 0;
			top->tx_ready_i = pc.ready;
			top->clk_i = 0;
			top->eval();

			std::snprintf(h, sizeof(h),
				      "cycle %" PRIu64 ": deliver %s axon %u tag %u; NI ready %d; C offers %s",
				      cycle,
				      !dv ? "-" : pk.kind == 0 ? "spike" : pk.kind == 2 ? "token" : "release",
				      dv ? pk.axon : 0, dv ? pk.tag : 0, pc.ready,
				      !pc.off.valid ? "-" : pc.off.pk.kind == 1 ? "graded" :
				      pc.off.pk.kind == 2 ? "token" : "release");
			history.emplace_back(h);
			if (history.size() > 8)
				history.pop_front();

			if (top->rx_credit_o != pc.credit)
				return fail("rx_credit_o (credits back)", pc.credit, top->rx_credit_o);
			if (top->tx_valid_o != (pc.off.valid ? 1 : 0))
				return fail("tx_valid_o", pc.off.valid, top->tx_valid_o);
			if (pc.off.valid) {
				const spk_packet &o = pc.off.pk;

				if (top->tx_kind_o != o.kind)
					return fail("tx_kind_o", o.kind, top->tx_kind_o);
				if (top->tx_addr_o != addr_of(o.dst))
					return fail("tx_addr_o", addr_of(o.dst), top->tx_addr_o);
				if (top->tx_tag_o != o.tag)
					return fail("tx_tag_o", o.tag, top->tx_tag_o);
				if (top->tx_payload_o != o.axon)
					return fail("tx_payload_o", o.axon, top->tx_payload_o);
				if (top->tx_value_o != (uint32_t)o.value)
					return fail("tx_value_o", (uint32_t)o.value, top->tx_value_o);
				if (top->tx_mc_o != 0)
					return fail("tx_mc_o", 0, top->tx_mc_o);
				if (pc.ready && taken(o) != 0)
					return 1;
			}
			top->clk_i = 1;
			top->eval();
			// busy_o low with nothing arriving: the C model has nothing to do either (the
			// co-simulation skips such cycles)
			top->rx_valid_i = 0;
			top->eval();
			if (!top->busy_o && (!spk_attn_quiet(a) || spk_attn_next_cycle(a) != UINT64_MAX))
				return fail("busy_o (low while the C model has work)", 1, 0);
			credits += pc.credit;
			if ((cycle & 1023) == 1023 && compare_stats() != 0)
				return 1;
		}
		if (compare_stats() != 0)
			return 1;
		spk_attn_stats st;
		spk_attn_get_stats(a, &st);
		if (verbose)
			std::printf("attn_lockstep: configuration %u (%s): %u ops, %u incoming routes, %u ATTN "
			    "routes; %" PRIu64 " steps, %" PRIu64 " packets in (%" PRIu64 " receive cycles), %" PRIu64
			    " packets out (%" PRIu64 " graded), %" PRIu64 " refused, %" PRIu64
			    " emit stalls, %" PRIu64 " overflows, queue peak %u, FIFO peak %u\n",
			    k, lv.name, cfg.n_ops, cfg.n_in, cfg.n_routes, st.steps, st.packets_in, st.receive_busy,
			    st.ev.packets_out, st.outputs, st.send_refused, st.emit_stalls,
			    st.counter_overflows, st.queue_peak, st.fifo_peak);
		tot.steps += st.steps;
		tot.packets_out += st.ev.packets_out;
		tot.outputs += st.outputs;
		tot.refused += st.send_refused;
		tot.stalls += st.emit_stalls;
		tot.overflows += st.counter_overflows;
		tot.releases_in += st.releases_in;
		tot.spikes_in += st.spikes_in;
		tot.configs++;
		tot.fifo_peak = std::max(tot.fifo_peak, st.fifo_peak);
		tot.queue_peak = std::max(tot.queue_peak, st.queue_peak);
		spk_attn_destroy(a);
		a = nullptr;
		return 0;
	}
};

int usage(FILE *f, int status)
{
	std::fprintf(f, "usage: attn_lockstep [--cycles N] [--seed S] [--configs K]\n"
			"  N cycles in all (default: SPK_RTL_UNIT_CYCLES, else 100000), split over K\n"
			"  random configurations (default: one per 25000 cycles, at least 5)\n");
	return status;
}

}  // namespace

int main(int argc, char **argv)
{
	const char *env = std::getenv("SPK_RTL_UNIT_CYCLES");
	spk_lockstep::opts o;

	o.cycles = env ? std::strtoull(env, nullptr, 10) : 100000;
	if (int rc = spk_lockstep::parse(argc, argv, o, false, true, usage); rc >= 0)
		return rc;
	const uint64_t cycles = o.cycles, seed = o.seed;
	unsigned configs = (unsigned)o.configs;
	if (configs == 0)
		configs = (unsigned)std::max<uint64_t>(5, cycles / 25000);
	if (configs < 5 || cycles < configs)
		return usage(stderr, 2);

	Verilated::randReset(0);
	harness h;
	h.top = new Vattn;
	h.g.s = seed * 0x9e3779b97f4a7c15ull + 7;
	h.verbose = configs <= 10;
	for (unsigned k = 0; k < configs; k++)
		if (h.run_config(k, cycles / configs) != 0) {
#ifdef SPK_MUTANT_ATTN_KWALK
			std::fprintf(stderr, "attn_lockstep: (the mutant SPK_MUTANT_ATTN_KWALK)\n");
#endif
			return 1;
		}
	delete h.top;
	const totals &t = h.tot;
	std::printf("attn_lockstep: %" PRIu64 " cycles in lock step (seed %" PRIu64 ", %u "
		    "configurations): %" PRIu64 " steps, %" PRIu64 " spikes in, %" PRIu64
		    " releases in, %" PRIu64 " packets out (%" PRIu64 " graded), %" PRIu64
		    " refused, %" PRIu64 " emit stalls, %" PRIu64 " counter overflows\n",
		    cycles / configs * configs, seed, configs, t.steps, t.spikes_in, t.releases_in,
		    t.packets_out, t.outputs, t.refused, t.stalls, t.overflows);
	// not vacuous: every kind of event happened, and enough of them
	uint64_t min_steps = cycles / 2000;
	if (t.steps < min_steps || t.outputs < min_steps || t.refused == 0 || t.stalls == 0 ||
	    t.overflows == 0 || t.releases_in < min_steps || t.fifo_peak < ATTN_FifoFlits ||
	    t.queue_peak < ATTN_OutputQueue) {
		std::fprintf(stderr,
			     "attn_lockstep: too little exercised (need %" PRIu64 " steps, outputs and "
			     "releases, some refusals, stalls and overflows, a full input FIFO and a "
			     "full output queue)\n", min_steps);
		return 1;
	}
	return 0;
}
