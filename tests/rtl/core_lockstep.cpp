// core_lockstep.cpp — the Verilated synapse core (rtl/core.sv) and its C model (sim/core.c) in
// lock step (doc/rtl.md "core"): the same packets delivered in the same cycles, the same NI
// acceptances, every cycle; the packet offered to the NI (valid and every field), the credits
// returned and the spikes reported compared every cycle, every counter of struct spk_core_stats
// every 256 cycles and at the end.
//
// A run is several random configurations (valid for spk_core_create(), sized to the RTL's
// parameters, loaded into the RTL by spk_rtl_core_load()), each for a share of the cycles, with
// a reset in between. A configuration has 1-3 pieces, 0-2 projections per piece (kernels 1-3,
// 5 or 7, strides 1-3, padding) from populations shared between pieces, per-neuron and spatial-mean
// readers in phase order, SPIKE routes (a population split into source blocks), ATTN routes
// (graded adds), an ENCODER register with its routes, unicast routes and, in every other
// configuration, tree-multicast groups. Around the core, small models of the chip:
//   sources      one per incoming route. Step s goes (its spikes or graded events, then its
//                token) once the route is released for s − 1 and the readers of the pieces it
//                writes that come before it in phase order have fired s (phase causality); an
//                ENCODER route sends image m once released for m − 1;
//   destinations each token the core sends (a multicast token: each route of its group) comes
//                back as a release of that route after a random delay;
//   delivery     at most one packet per cycle, picked at random among the sources' next packets
//                and the due releases, only within the credits the core returned (the FIFO
//                never overflows), with a per-configuration delivery rate;
//   NI           takes an offered packet with a per-configuration probability (back-pressure).
// The C model gets spk_core_deliver(p, x) then spk_core_eval(x); the RTL the same packet on
// rx_* in cycle x. The first divergence is reported as the cycle, the signal, the expected (C
// model) and got (RTL) values and the stimulus of the cycles before; exit status 1. Exit 0 after
// the cycles with a summary of what was exercised, which must reach minimum counts.
//
// usage: core_lockstep [--cycles N] [--seed S] [--configs K]   (SPK_RTL_UNIT_CYCLES: cycles)
#include "Vcore.h"
#include "rtl/vl_bits.h"

extern "C" {
#include "util/rng.h"
#include "rtl/rtl_params.h"
#include "sim/core.h"
#include "sim/noc.h"
}
#include "rtl/core_load.h"
#include "spk_noc_pkg.h"

#include <verilated.h>

#include "tests/rtl/lockstep.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

// The RTL's parameters: the -G values of rtl/core.mk's builds (RTL_CORE_G_*). The engines' sizes
// come from the build (SPK_CORE_TEST_SIZES: fifo_flits, queue_entries, adders, neuron_updates,
// membrane_bits); by default a small FIFO and queue, so that the network sees back-pressure and
// the fire engine stalls, and narrow membranes, so that they saturate.
// The tables (SPK_CORE_TEST_TABLES: acc_words, mem_words, weight_words, chan_words) hold 3
// pieces of up to a third of the accumulators each.
#ifndef SPK_CORE_TEST_SIZES
#define SPK_CORE_TEST_SIZES 8, 6, 4, 4, 10
#endif
#ifndef SPK_CORE_TEST_TABLES
#define SPK_CORE_TEST_TABLES 48, 128, 256, 32
#endif
const spk_rtl_core_params kParams = {
	SPK_CORE_TEST_SIZES,
	3, 4, 6, 8, 12,		// pieces, projs, readers, in_routes, routes
	SPK_CORE_TEST_TABLES,
	0, 0, 0, 0,		// mesh_x, y_bits, addr_bits, payload_bits: from spk_noc_pkg
};

struct rng {
	spk_rng r;
	uint32_t below(uint32_t n) { return n == 0 ? 0 : spk_rng_below(&r, n); }
	bool chance(unsigned pct) { return below(100) < pct; }
	int32_t range(int32_t lo, int32_t hi) { return lo + (int32_t)below((uint32_t)(hi - lo + 1)); }
};

// A random configuration and what the models around the core need to know of it.
struct config {
	spk_core_config cfg{};
	std::vector<spk_core_piece> pieces;
	std::vector<spk_core_proj> projs;
	std::vector<std::vector<int16_t>> w;
	std::vector<std::vector<int32_t>> bias;
	std::vector<spk_core_reader> readers;
	std::vector<std::vector<int64_t>> theta;
	std::vector<spk_unit_in_route> in;
	std::vector<spk_unit_route> routes;
	std::vector<uint32_t> mc;
	std::vector<std::vector<int32_t>> before;	// per in-route: readers that must fire s first
	unsigned p_spike, p_deliver, p_ready;		// percentages
	bool tree;
};

struct pop_shape {
	uint32_t c, h, w;
};

// Builds a random valid configuration (spk_core_create() accepts it; checked by the caller).
void make_config(rng &g, config &k, uint32_t tile, const spk_rtl_params &np, bool tree)
{
	const spk_rtl_core_params &P = kParams;
	std::vector<pop_shape> pops(3);
	uint32_t acc = 0, spike_axon = g.below(50), graded_axon = g.below(50), weights = 0;

	// the larger build (core_p): wider populations and pieces, so that the spike decode and
	// the walk divide by more than a few channels, rows and columns
	const bool big = P.acc_words >= 96;
	for (auto &ps : pops)
		ps = { 1 + g.below(big ? 12 : 2), 1 + g.below(big ? 6 : 4), 1 + g.below(big ? 8 : 4) };
	k = config{};
	k.cfg.tile = tile;
	k.cfg.time_steps = 1 + g.below(4);
	k.cfg.adders = P.adders;
	k.cfg.neuron_updates = P.neuron_updates;
	k.cfg.input_fifo = P.fifo_flits;
	k.cfg.output_queue = P.queue_entries;
	k.cfg.flit_bits = np.flit_bits;
	k.cfg.membrane_bits = (int)P.membrane_bits;
	k.p_spike = 5 + g.below(40);
	k.p_deliver = 20 + g.below(81);
	static const unsigned ready[] = { 100, 90, 60, 25 };
	k.p_ready = ready[g.below(4)];
	k.tree = np.multicast || tree;

	uint32_t n_pieces = 1 + g.below(P.pieces);
	for (uint32_t i = 0; i < n_pieces; i++) {
		spk_core_piece pc{};

		// pieces up to a third of the accumulators: 16 elements in the small builds
		pc.channels = 1 + g.below(big ? 4 : 3);
		pc.rows = 1 + g.below(big ? 6 : 3);
		pc.width = 1 + g.below(big ? 8 : 4);
		while (pc.channels * pc.rows * pc.width > P.acc_words / 3)
			pc.width--;
		if (acc + pc.channels * pc.rows * pc.width > P.acc_words)
			break;
		acc += pc.channels * pc.rows * pc.width;
		pc.c0 = g.below(3);
		pc.y0 = g.below(2);
		pc.height = pc.y0 + pc.rows + g.below(2);
		pc.acc_axon = graded_axon;
		graded_axon += pc.channels * pc.rows * pc.width + g.below(3);
		pc.enc_axon = UINT32_MAX;
		k.pieces.push_back(pc);
	}

	// per piece: projections, readers, an ATTN route, an ENCODER register, in phase order, the
	// last a reader
	std::vector<uint32_t> attn_piece, attn_phase;
	for (uint32_t i = 0; i < k.pieces.size(); i++) {
		spk_core_piece &pc = k.pieces[i];
		std::vector<char> items;
		uint32_t n_proj = g.below(3);
		uint32_t g_ch = pc.channels, elems = pc.channels * pc.rows * pc.width;

		if (k.projs.size() + n_proj > P.projs)
			n_proj = P.projs - (uint32_t)k.projs.size();
		for (uint32_t j = 0; j < n_proj; j++)
			items.push_back('P');
		if (k.readers.size() + 2 <= P.readers && g.chance(50))
			items.push_back('R');
		if (g.chance(35))
			items.push_back('A');
		if (g.chance(35))
			items.push_back('E');
		for (size_t j = items.size(); j > 1; j--)
			std::swap(items[j - 1], items[g.below((uint32_t)j)]);
		if (k.readers.size() >= P.readers)
			break;
		items.push_back('R');

		uint32_t ph = g.below(3);
		std::vector<uint32_t> used_pops;
		for (char it : items) {
			ph += 1 + g.below(2);
			if (it == 'P') {
				uint32_t pop;

				do
					pop = g.below(3);
				while (std::find(used_pops.begin(), used_pops.end(), pop) != used_pops.end());
				used_pops.push_back(pop);
				spk_core_proj pj{};
				pj.piece = i;
				pj.phase = ph;
				pj.pop = pop;
				pj.c_in = pops[pop].c;
				pj.h_in = pops[pop].h;
				pj.w_in = pops[pop].w;
				// kernels 1-3, now and then 5 or 7 (the walk's quotients beyond 16),
				// within the weight words left; strides 1-2, now and then 3 (not a shift)
				pj.kernel = g.chance(big ? 30 : 15) ? 7 - 2 * g.below(2) : 1 + g.below(3);
				while (pj.kernel > 1 &&
				       pj.c_in * pj.kernel * pj.kernel * g_ch > P.weight_words - weights)
					pj.kernel--;
				if (pj.c_in * pj.kernel * pj.kernel * g_ch > P.weight_words - weights)
					continue;
				weights += pj.c_in * pj.kernel * pj.kernel * g_ch;
				pj.stride = 1 + g.below(g.chance(20) ? 3 : 2);
				pj.pad = g.below(pj.kernel);
				std::vector<int16_t> w(pj.c_in * pj.kernel * pj.kernel * g_ch);
				for (auto &x : w)
					x = (int16_t)(g.chance(3) ? g.range(-32768, 32767) : g.range(-90, 90));
				std::vector<int32_t> b(g_ch);
				for (auto &x : b)
					x = g.range(-150, 150);
				k.w.push_back(w);
				k.bias.push_back(b);
				k.projs.push_back(pj);
			} else if (it == 'R') {
				spk_core_reader rd{};
				rd.piece = i;
				rd.phase = ph;
				rd.pop = 10 + (uint32_t)k.readers.size();
				rd.mean = g.chance(25);
				std::vector<int64_t> th(g_ch);
				for (auto &x : th)
					x = g.chance(10) ? g.range(-5, 5) : g.range(1, 400);
				k.theta.push_back(th);
				k.readers.push_back(rd);
			} else if (it == 'A') {
				attn_piece.push_back(i);
				attn_phase.push_back(ph);
			} else {
				pc.enc_axon = graded_axon;
				pc.enc_phase = ph;
				graded_axon += elems + g.below(3);
			}
		}
	}
	for (size_t j = 0; j < k.projs.size(); j++) {
		k.projs[j].w = k.w[j].data();
		k.projs[j].bias = k.bias[j].data();
	}
	for (size_t r = 0; r < k.readers.size(); r++)
		k.readers[r].theta = k.readers[r].mean ? nullptr : k.theta[r].data();

	// incoming routes: SPIKE blocks of the populations read, ATTN, ENCODER
	for (uint32_t pop = 0; pop < 3; pop++) {
		bool read = false;

		for (auto &pj : k.projs)
			read |= pj.pop == pop;
		if (!read)
			continue;
		const pop_shape &ps = pops[pop];
		std::vector<spk_unit_in_route> blocks;
		spk_unit_in_route r{};

		r.kind = SPK_IN_SPIKE;
		r.pop = pop;
		r.width = ps.w;
		if (ps.c == 2 && g.chance(50)) {
			r.channels = 1;
			r.rows = ps.h;
			blocks.push_back(r);
			r.c0 = 1;
			blocks.push_back(r);
		} else if (ps.h >= 2 && g.chance(50)) {
			r.channels = ps.c;
			r.rows = 1 + g.below(ps.h - 1);
			blocks.push_back(r);
			r.y0 = r.rows;
			r.rows = ps.h - r.rows;
			blocks.push_back(r);
		} else {
			r.channels = ps.c;
			r.rows = ps.h;
			blocks.push_back(r);
		}
		for (auto &b : blocks) {
			b.axon_base = spike_axon;
			spike_axon += b.channels * b.rows * b.width + g.below(4);
			if (k.in.size() < P.in_routes)
				k.in.push_back(b);
		}
	}
	for (size_t j = 0; j < attn_piece.size() && k.in.size() < P.in_routes; j++) {
		spk_unit_in_route r{};

		r.kind = SPK_IN_ATTN;
		r.piece = attn_piece[j];
		r.phase = attn_phase[j];
		k.in.push_back(r);
	}
	for (uint32_t i = 0; i < k.pieces.size(); i++) {
		if (k.pieces[i].enc_axon == UINT32_MAX)
			continue;
		if (k.in.size() >= P.in_routes) {
			k.pieces[i].enc_axon = UINT32_MAX;
			continue;
		}
		spk_unit_in_route r{};

		r.kind = SPK_IN_ENCODER;
		r.piece = i;
		k.in.push_back(r);
	}
	for (uint32_t i = 0; i < k.in.size(); i++) {
		k.in[i].src_tile = g.below(np.mesh_x * np.mesh_y);
		k.in[i].src_route = i;	// unique: a release names its in-route
	}

	// outgoing routes; dst_route unique so that a token names its route
	for (uint32_t r = 0; r < k.readers.size(); r++) {
		uint32_t n = k.readers[r].mean ? 1 + g.below(2) : g.below(3);

		for (uint32_t j = 0; j < n && k.routes.size() < P.routes; j++) {
			spk_unit_route rt{};

			rt.source = r;
			rt.dst_tile = g.below(np.mesh_x * np.mesh_y);
			rt.dst_route = 100 + (uint32_t)k.routes.size();
			rt.axon_base = g.below(3000);
			k.routes.push_back(rt);
		}
	}
	for (uint32_t r = 0; r < k.readers.size(); r++) {	// a mean reader needs a route
		bool has = false;

		for (auto &rt : k.routes)
			has |= rt.source == r;
		if (k.readers[r].mean && !has) {
			k.readers[r].mean = false;
			k.readers[r].theta = k.theta[r].data();
		}
	}
	// tree multicast: a per-neuron reader's routes in groups, one member per tile
	k.mc.assign(k.routes.size(), 0);
	if (k.tree) {
		uint32_t next_group = 1;

		for (uint32_t r = 0; r < k.readers.size(); r++) {
			std::vector<uint32_t> groups;

			if (k.readers[r].mean)
				continue;
			for (uint32_t j = 0; j < k.routes.size(); j++) {
				if (k.routes[j].source != r || g.chance(20))
					continue;	// some stay unicast
				uint32_t gid = 0;

				for (uint32_t cand : groups) {
					bool clash = false;

					for (uint32_t o = 0; o < j; o++)
						clash |= k.mc[o] == cand &&
							 k.routes[o].dst_tile == k.routes[j].dst_tile;
					if (!clash) {
						gid = cand;
						break;
					}
				}
				if (gid == 0) {
					gid = next_group++;
					groups.push_back(gid);
				}
				k.mc[j] = gid;
			}
		}
	}

	k.cfg.n_pieces = (uint32_t)k.pieces.size();
	k.cfg.pieces = k.pieces.data();
	k.cfg.n_projs = (uint32_t)k.projs.size();
	k.cfg.projs = k.projs.data();
	k.cfg.n_readers = (uint32_t)k.readers.size();
	k.cfg.readers = k.readers.data();
	k.cfg.n_in = (uint32_t)k.in.size();
	k.cfg.in = k.in.data();
	k.cfg.n_routes = (uint32_t)k.routes.size();
	k.cfg.routes = k.routes.data();
	k.cfg.route_mc = k.tree ? k.mc.data() : nullptr;

	// phase causality: the readers of each written piece before the route's phase there
	k.before.assign(k.in.size(), {});
	for (uint32_t i = 0; i < k.in.size(); i++) {
		const spk_unit_in_route &r = k.in[i];

		for (uint32_t pi = 0; pi < k.pieces.size(); pi++) {
			uint32_t ph = UINT32_MAX;

			if (r.kind == SPK_IN_SPIKE) {
				for (auto &pj : k.projs)
					if (pj.pop == r.pop && pj.piece == pi && pj.phase < ph)
						ph = pj.phase;
			} else if (r.piece == pi) {
				ph = r.kind == SPK_IN_ATTN ? r.phase : k.pieces[pi].enc_phase;
			}
			if (ph == UINT32_MAX || r.kind == SPK_IN_ENCODER)
				continue;
			int32_t b = -1;
			for (uint32_t q = 0; q < k.readers.size(); q++)
				if (k.readers[q].piece == pi && k.readers[q].phase < ph &&
				    (b < 0 || k.readers[q].phase > k.readers[b].phase))
					b = (int32_t)q;
			if (b >= 0)
				k.before[i].push_back(b);
		}
	}
}

struct sent {
	bool offered = false;
	spk_packet pk{};
};

struct port_ctx {
	bool ready;
	sent out;
	uint32_t credits = 0;
	std::vector<uint32_t> spikes;	// pop, step, neuron triples
};

int c_send(void *ctx, const spk_packet *p)
{
	port_ctx *c = static_cast<port_ctx *>(ctx);

	c->out.offered = true;
	c->out.pk = *p;
	return c->ready ? 0 : -EAGAIN;
}

void c_credit(void *ctx, uint32_t flits)
{
	static_cast<port_ctx *>(ctx)->credits += flits;
}

void c_spike(void *ctx, uint32_t pop, uint64_t step, uint32_t neuron)
{
	port_ctx *c = static_cast<port_ctx *>(ctx);

	c->spikes.push_back(pop);
	c->spikes.push_back((uint32_t)step);
	c->spikes.push_back(neuron);
}

struct release_due {
	uint64_t at;
	spk_packet pk;
};

struct totals {
	uint64_t packets_out = 0, fires = 0, spikes_in = 0, graded_in = 0, tokens_in = 0;
	uint64_t releases_in = 0, spikes_out = 0, fire_stalls = 0, send_refused = 0, mean_sums = 0;
	uint64_t mc_packets = 0, enc_writes = 0, steps = 0, configs = 0, clamped = 0, sops = 0;
	uint64_t rejected = 0;	// random configurations spk_core_create() refused
};

struct harness {
	spk_rtl_params np;
	spk_rtl_core_params P;
	Vcore *top = nullptr;
	rng g;
	uint64_t cycle = 0, run_cycle = 0;
	std::deque<std::string> history;
	totals tot;

	void clock()
	{
		top->clk_i = 0;
		top->eval();
		top->clk_i = 1;
		top->eval();
	}

	int fail(const char *signal, uint64_t exp, uint64_t got)
	{
		std::fprintf(stderr,
			     "core_lockstep: first divergence at cycle %" PRIu64 " of configuration %"
			     PRIu64 ", signal %s: expected (C model) 0x%" PRIx64 ", got (RTL) 0x%"
			     PRIx64 "\n", run_cycle, tot.configs, signal, exp, got);
		std::fprintf(stderr, "stimulus of the cycles before (oldest first):\n");
		for (const std::string &h : history)
			std::fprintf(stderr, "  %s\n", h.c_str());
		return 1;
	}

	uint64_t addr_of(uint32_t tile) const
	{
		return spk_rtl_tile_addr(&np, tile % np.mesh_x, tile / np.mesh_x);
	}

	static void load_write(void *ctx, uint32_t addr, uint64_t data)
	{
		harness *h = static_cast<harness *>(ctx);

		h->top->load_we_i = 1;
		h->top->load_addr_i = addr;
		h->top->load_data_i = data;
		h->clock();
		h->top->load_we_i = 0;
	}

	int compare_stats(spk_core *c)
	{
		spk_core_stats st;

		spk_core_get_stats(c, &st);
#define CMP(field, port) \
	if ((uint64_t)(field) != (uint64_t)top->port) \
		return fail("counter " #port, (uint64_t)(field), (uint64_t)top->port)
		CMP(st.ev.sops, sops_o);
		CMP(st.ev.graded_adds, graded_adds_o);
		CMP(st.ev.neuron_updates, neuron_updates_o);
		CMP(st.ev.packets_out, packets_out_o);
		CMP(st.packets_in, packets_in_o);
		CMP(st.spikes_in, spikes_in_o);
		CMP(st.graded_in, graded_in_o);
		CMP(st.tokens_in, tokens_in_o);
		CMP(st.releases_in, releases_in_o);
		CMP(st.receive_busy, receive_busy_o);
		CMP(st.fires, fires_o);
		CMP(st.fire_cycles, fire_cycles_o);
		CMP(st.fire_stalls, fire_stalls_o);
		CMP(st.spikes_out, spikes_out_o);
		CMP(st.send_refused, send_refused_o);
		CMP(st.graded_clamped, graded_clamped_o);
		CMP(st.fifo_peak, fifo_peak_o);
		CMP(st.queue_peak, queue_peak_o);
		CMP(spk_core_quiet(c), quiet_o);
#undef CMP

		return 0;
	}

	void add_totals(spk_core *c)
	{
		spk_core_stats st;

		spk_core_get_stats(c, &st);
		tot.packets_out += st.ev.packets_out;
		tot.fires += st.fires;
		tot.spikes_in += st.spikes_in;
		tot.graded_in += st.graded_in;
		tot.tokens_in += st.tokens_in;
		tot.releases_in += st.releases_in;
		tot.spikes_out += st.spikes_out;
		tot.fire_stalls += st.fire_stalls;
		tot.send_refused += st.send_refused;
		tot.clamped += st.graded_clamped;
		tot.sops += st.ev.sops;
	}

	// The loader refuses, with a message naming it, what does not fit the RTL: other adders, more
	// pieces than the tables hold, a stride beyond 4 bits. 0, or 1 with a message.
	int loader_refuses()
	{
		config k;
		char err[256] = "";
		rng saved = g;
		static const char *const what[] = { "adders", "pieces", "stride" };

		for (int t = 0; t < 3; t++) {
			spk_rtl_core_params q = P;

			err[0] = '\0';
			do
				make_config(g, k, 0, np, false);
			while (t == 2 && k.projs.empty());
			if (t == 0)
				q.adders++;
			else if (t == 1)
				q.pieces = k.cfg.n_pieces - 1;
			else
				k.projs[0].stride = 16;
			if (spk_rtl_core_load(&k.cfg, &q, [](void *, uint32_t, uint64_t) {}, nullptr, err,
					      sizeof(err)) != -1 || std::strstr(err, what[t]) == nullptr) {
				std::fprintf(stderr, "core_lockstep: the loader took a configuration with "
					     "wrong %s (message: '%s')\n", what[t], err);
				return 1;
			}
		}
		g = saved;	// the run draws the same configurations as without this check
		return 0;
	}

	// One configuration for n cycles; 0, 1 at the first divergence, 2 on a generator bug.
	int run_config(uint64_t n)
	{
		config k;
		char err[256];
		spk_core *c = nullptr;

		for (int tries = 0; c == nullptr; tries++) {
			make_config(g, k, g.below(np.mesh_x * np.mesh_y), np, (tot.configs & 1) != 0);
			c = spk_core_create(&k.cfg, err, sizeof(err));
			if (c == nullptr && std::getenv("SPK_CORE_LOCKSTEP_DEBUG") != nullptr)
				std::fprintf(stderr, "core_lockstep: rejected: %s\n", err);
			if (c == nullptr)
				tot.rejected++;
			if (c == nullptr && tries > 100) {
				std::fprintf(stderr, "core_lockstep: no valid configuration: %s\n", err);
				return 2;
			}
		}
		// reset, then load
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
		spk_core_config own;
		spk_core_get_config(c, &own);
		if (spk_rtl_core_load(&own, &P, load_write, this, err, sizeof(err)) < 0) {
			std::fprintf(stderr, "core_lockstep: loader: %s\n", err);
			spk_core_destroy(c);
			return 2;
		}
		// the engines ran on a half-loaded configuration: reset them (not the tables)
		top->rst_ni = 0;
		top->eval();
		top->rst_ni = 1;
		top->eval();
		tot.configs++;

		const uint32_t n_in = k.cfg.n_in;
		const uint32_t graded_flits = spk_noc_packet_flits(np.flit_bits, SPK_PACKET_GRADED);
		std::vector<std::deque<spk_packet>> pend(n_in);
		std::vector<uint64_t> next_step(n_in, 0), released(n_in, 0);
		std::vector<release_due> rel;
		uint32_t credits = k.cfg.input_fifo;
		port_ctx pc;
		spk_unit_port port = { c_send, c_credit, c_spike, &pc, nullptr };
		uint64_t mean_sums = 0, mc_packets = 0, enc_writes = 0;
		int rc = 0;

		history.clear();
		for (run_cycle = 0; run_cycle < n && rc == 0; run_cycle++, cycle++) {
			const uint64_t x = run_cycle;

			// sources: the next step of a released route whose earlier readers fired it
			for (uint32_t i = 0; i < n_in; i++) {
				const spk_unit_in_route &r = k.in[i];
				const uint64_t s = next_step[i];
				bool go = pend[i].empty() && released[i] >= s;

				for (int32_t b : k.before[i])
					go = go && spk_core_reader_steps(c, (uint32_t)b) > s;
				if (!go)
					continue;
				spk_packet p{};
				p.src = r.src_tile;
				p.dst = k.cfg.tile;
				p.flits = 1;
				p.tag = (uint8_t)(s & 1);
				if (r.kind == SPK_IN_SPIKE) {
					uint32_t sz = r.channels * r.rows * r.width;
					std::vector<uint32_t> es;

					for (uint32_t e = 0; e < sz; e++)
						if (g.chance(k.p_spike))
							es.push_back(e);
					for (size_t j = es.size(); j > 1; j--)
						std::swap(es[j - 1], es[g.below((uint32_t)j)]);
					p.kind = SPK_PACKET_SPIKE;
					for (uint32_t e : es) {
						p.axon = r.axon_base + e;
						pend[i].push_back(p);
					}
				} else {
					const spk_core_piece &pc2 = k.pieces[r.piece];
					uint32_t elems = pc2.channels * pc2.rows * pc2.width;
					uint32_t m = g.below(r.kind == SPK_IN_ATTN ? 4 : elems + 1);

					p.kind = SPK_PACKET_GRADED;
					p.flits = (uint16_t)graded_flits;
					for (uint32_t j = 0; j < m; j++) {
						p.axon = (r.kind == SPK_IN_ATTN ? pc2.acc_axon : pc2.enc_axon) +
							 g.below(elems);
						p.value = g.chance(5) ? (int32_t)(uint32_t)g.below(UINT32_MAX)
								      : g.range(-300, 300);
						pend[i].push_back(p);
					}
				}
				p.kind = SPK_PACKET_TOKEN;
				p.flits = 1;
				p.axon = i;
				p.value = 0;
				pend[i].push_back(p);
				next_step[i]++;
			}

			// delivery: one packet among the sources' heads and the due releases
			std::vector<int> cand;	// in-route i, or -1 - index into rel
			for (uint32_t i = 0; i < n_in; i++)
				if (!pend[i].empty() && pend[i].front().flits <= credits)
					cand.push_back((int)i);
			for (size_t j = 0; j < rel.size(); j++)
				if (rel[j].at <= x && credits >= 1)
					cand.push_back(-1 - (int)j);
			bool dv = !cand.empty() && g.chance(k.p_deliver);
			spk_packet d{};
			if (dv) {
				int w = cand[g.below((uint32_t)cand.size())];

				if (w >= 0) {
					d = pend[w].front();
					pend[w].pop_front();
					if (d.kind == SPK_PACKET_GRADED && k.in[w].kind == SPK_IN_ENCODER)
						enc_writes++;
				} else {
					d = rel[-1 - w].pk;
					rel.erase(rel.begin() + (-1 - w));
				}
				credits -= d.flits;
				spk_core_deliver(c, &d, x);
			}
			pc.ready = g.chance(k.p_ready);
			pc.out = sent{};
			pc.credits = 0;
			pc.spikes.clear();
			spk_core_eval(c, x, &port);

			char hbuf[240];
			const spk_packet &o = pc.out.pk;
			if (dv)
				std::snprintf(hbuf, sizeof(hbuf),
					      "cycle %" PRIu64 ": delivered kind %u tag %u axon %u value %d; "
					      "NI ready %d; ", x, d.kind, d.tag, d.axon, d.value, pc.ready);
			else
				std::snprintf(hbuf, sizeof(hbuf),
					      "cycle %" PRIu64 ": nothing delivered; NI ready %d; ", x,
					      pc.ready);
			std::string hs = hbuf;
			if (pc.out.offered)
				std::snprintf(hbuf, sizeof(hbuf),
					      "C offers kind %u dst %u mc %u tag %u axon %u value %d", o.kind,
					      o.dst, o.mc, o.tag, o.axon, o.value);
			else
				std::snprintf(hbuf, sizeof(hbuf), "C offers nothing");
			hs += hbuf;
			history.push_back(hs);
			if (history.size() > 8)
				history.pop_front();

			// the RTL in the same cycle
			top->rx_valid_i = dv;
			top->rx_kind_i = d.kind;
			top->rx_tag_i = d.tag;
			top->rx_axon_i = d.axon;
			top->rx_value_i = (uint32_t)d.value;
			top->tx_ready_i = pc.ready;
			top->clk_i = 0;
			top->eval();
			if ((rc = compare_cycle(pc)) != 0)
				break;
			top->clk_i = 1;
			top->eval();
			top->rx_valid_i = 0;
			top->eval();
			// busy_o low: the C model has nothing to do either (the co-simulation skips the cycle)
			if (!top->busy_o && (!spk_core_quiet(c) || spk_core_next_cycle(c) != UINT64_MAX)) {
				rc = fail("busy_o (low while the C model has work)", 1, 0);
				break;
			}
			credits += pc.credits;

			// what the NI took
			if (pc.out.offered && pc.ready) {
				const spk_packet &o = pc.out.pk;

				if (o.kind == SPK_PACKET_RELEASE) {
					released[o.axon]++;
				} else if (o.kind == SPK_PACKET_TOKEN) {
					for (uint32_t j = 0; j < k.routes.size(); j++) {
						bool hit = o.mc != 0 ? k.tree && k.mc[j] == o.mc
								     : k.mc[j] == 0 && k.routes[j].dst_route == o.axon;

						if (!hit)
							continue;
						spk_packet r{};
						r.src = k.routes[j].dst_tile;
						r.dst = k.cfg.tile;
						r.flits = 1;
						r.kind = SPK_PACKET_RELEASE;
						r.tag = o.tag;
						r.axon = j;
						rel.push_back({ x + 1 + g.below(40), r });
					}
				} else if (o.kind == SPK_PACKET_GRADED) {
					mean_sums++;
				}
				if (o.mc != 0)
					mc_packets++;
			}
			if ((run_cycle & 255) == 255 || run_cycle + 1 == n)
				rc = compare_stats(c);
		}
		if (rc == 0) {
			add_totals(c);
			tot.mean_sums += mean_sums;
			tot.mc_packets += mc_packets;
			tot.enc_writes += enc_writes;
			for (uint32_t r = 0; r < k.cfg.n_readers; r++)
				tot.steps += spk_core_reader_steps(c, r);
		}
		spk_core_destroy(c);
		return rc;
	}

	int compare_cycle(const port_ctx &pc)
	{
		const spk_packet &o = pc.out.pk;

		if (pc.out.offered != (top->tx_valid_o != 0))
			return fail("tx_valid_o", pc.out.offered, top->tx_valid_o);
		if (pc.out.offered) {
			uint64_t addr = o.mc != 0 ? o.mc : addr_of(o.dst);

			if (o.kind != top->tx_kind_o)
				return fail("tx_kind_o", o.kind, top->tx_kind_o);
			if ((o.mc != 0) != (top->tx_mc_o != 0))
				return fail("tx_mc_o", o.mc != 0, top->tx_mc_o);
			if (addr != top->tx_addr_o)
				return fail("tx_addr_o", addr, top->tx_addr_o);
			if (o.tag != top->tx_tag_o)
				return fail("tx_tag_o", o.tag, top->tx_tag_o);
			if (o.axon != top->tx_payload_o)
				return fail("tx_payload_o", o.axon, top->tx_payload_o);
			if ((uint32_t)o.value != top->tx_value_o)
				return fail("tx_value_o", (uint32_t)o.value, top->tx_value_o);
		}
		if (pc.credits != top->rx_credit_o)
			return fail("rx_credit_o", pc.credits, top->rx_credit_o);
		size_t s = 0;
		for (uint32_t j = 0; j < P.neuron_updates; j++) {
			if (!((top->spike_o >> j) & 1))
				continue;
			if (s + 3 > pc.spikes.size())
				return fail("spike_o (spikes fired in this cycle, counted)",
					    pc.spikes.size() / 3,
					    (uint64_t)__builtin_popcountll((uint64_t)top->spike_o));
			if (pc.spikes[s] != top->spike_pop_o)
				return fail("spike_pop_o", pc.spikes[s], top->spike_pop_o);
			if (pc.spikes[s + 1] != top->spike_step_o)
				return fail("spike_step_o", pc.spikes[s + 1], top->spike_step_o);
			uint64_t neuron = spk_vl::get(top->spike_neuron_o, 32 * j, 32);

			if (pc.spikes[s + 2] != neuron)
				return fail("spike_neuron_o", pc.spikes[s + 2], neuron);
			s += 3;
		}
		if (s != pc.spikes.size())
			return fail("spike_o (spikes fired)", pc.spikes.size() / 3, s / 3);
		return 0;
	}
};

int usage(FILE *f, int status)
{
	std::fprintf(f, "usage: core_lockstep [--cycles N] [--seed S] [--configs K]\n"
			"  the Verilated synapse core against spk_core_eval(), K random configurations\n"
			"  sharing N cycles (default SPK_RTL_UNIT_CYCLES, else 100000; K: one per\n"
			"  20000 cycles, at least 8)\n");
	return status;
}

} // namespace

int main(int argc, char **argv)
{
	const char *env = std::getenv("SPK_RTL_UNIT_CYCLES");
	spk_lockstep::opts o;

	o.cycles = env != nullptr ? std::strtoull(env, nullptr, 10) : 100000;
	if (int rc = spk_lockstep::parse(argc, argv, o, false, true, usage); rc >= 0)
		return rc;
	const uint64_t cycles = o.cycles, seed = o.seed;
	uint64_t configs = o.configs;
	if (cycles == 0)
		return usage(stderr, 2);
	if (configs == 0)	// a fresh configuration every 2·10^4 cycles, at least 8
		configs = cycles / 20000 > 8 ? cycles / 20000 : 8;

	harness h;
	h.np = SPK_NOC_PKG_INIT;
	h.P = kParams;
	h.P.mesh_x = h.np.mesh_x;
	h.P.y_bits = h.np.y_bits;
	h.P.addr_bits = h.np.addr_bits;
	h.P.payload_bits = h.np.payload_bits;
	spk_rng_seed(&h.g.r, seed);
	Verilated::randReset(0);
	h.top = new Vcore;
	if (h.loader_refuses() != 0) {
		delete h.top;
		return 1;
	}
	for (uint64_t k = 0; k < configs; k++) {
		uint64_t n = cycles / configs + (k < cycles % configs);
		int rc = h.run_config(n);

		if (rc != 0) {
			delete h.top;
			return rc;
		}
	}
	h.top->final();
	delete h.top;

	const totals &t = h.tot;
	std::printf("core_lockstep: seed %" PRIu64 ": %" PRIu64 " cycles in lock step, %" PRIu64
		    " configurations (%" PRIu64 " drawn ones refused by spk_core_create())\n", seed,
		    h.cycle, t.configs, t.rejected);
	std::printf("  packets out %" PRIu64 " (multicast %" PRIu64 ", partial sums %" PRIu64
		    "), refused %" PRIu64 "; spikes in %" PRIu64 " (SOPs %" PRIu64 "), graded in %"
		    PRIu64 " (encoder writes %" PRIu64 "), tokens in %" PRIu64 ", releases in %"
		    PRIu64 "\n", t.packets_out, t.mc_packets, t.mean_sums, t.send_refused,
		    t.spikes_in, t.sops, t.graded_in, t.enc_writes, t.tokens_in, t.releases_in);
	std::printf("  fires %" PRIu64 " (reader steps %" PRIu64 "), spikes out %" PRIu64
		    ", fire stalls %" PRIu64 ", clamped partial sums %" PRIu64 "\n", t.fires, t.steps,
		    t.spikes_out, t.fire_stalls, t.clamped);
	// not vacuous: a long enough run exercised every feature (stalls: with a small queue; the
	// preset's 64 entries never fill behind these configurations' few routes)
	if (h.cycle >= 50000 &&
	    (t.packets_out < 1000 || t.fires < 200 || t.spikes_in < 500 || t.graded_in < 50 ||
	     t.tokens_in < 200 || t.releases_in < 200 || t.spikes_out < 200 ||
	     (h.P.queue_entries < 16 && t.fire_stalls < 1) ||
	     t.send_refused < 1 || t.mean_sums < 1 || t.mc_packets < 1 || t.enc_writes < 1)) {
		std::fprintf(stderr, "core_lockstep: the run did not exercise every feature\n");
		return 1;
	}
	return 0;
}
