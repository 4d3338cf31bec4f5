// router_lockstep.cpp — the Verilated router (rtl/router.sv) and its C model (spk_router_eval(),
// sim/router.c) in lock step: the same flits on the same input links, the same credits from
// downstream, every cycle; every output link, every credit back upstream and the stall count
// compared every cycle (doc/rtl.md "Lock-step tests").
//
// The router sits at tile (1, 1) of the mesh of the architecture it was built for (--arch:
// the file whose spk_noc_pkg the Verilated model was compiled with), so that all five ports
// lead somewhere. Random traffic: each input link's sender starts packets of 1 to 4 flits to
// random tiles (and, on a tree-multicast network, one-flit multicast flits of random groups
// whose masks are random) whenever it holds a credit and a coin says so; each output's receiver
// gives credits back at random, so outputs run out of credit and the router stalls
// (back-pressure). The same seed gives the same run.
//
// The first divergence is reported as the cycle, the port, the field, the expected (C model) and
// the got (RTL) value, and the stimulus of the cycles before; exit status 1. Exit 0 after
// --cycles cycles without divergence, with a summary of what was exercised (flits per output,
// multicast copies, stall cycles) so that a run that exercised nothing is visible.
//
// usage: router_lockstep --arch FILE [--cycles N] [--seed S]
#include "Vrouter.h"
#include "rtl/vl_bits.h"

extern "C" {
#include "arch/arch.h"
#include "util/rng.h"
#include "rtl/rtl_params.h"
#include "sim/router.h"
}

#include <verilated.h>

#include "tests/rtl/lockstep.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

// the project's seeded generator (util/rng.h), with the two draws the traffic needs
struct rng {
	uint64_t s;
	uint64_t next() { return spk_rng_splitmix(&s); }
	uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }
	bool chance(unsigned pct) { return below(100) < pct; }
};

struct sender {			// upstream of an input link
	int credit;
	unsigned left;		// flits of the current packet still to send
};

const char *port_name[5] = { "local", "east", "west", "north", "south" };

struct harness {
	spk_rtl_params p;
	unsigned L, FB;		// link and flit bits
	uint32_t r, rx, ry;	// the router under test and its tile
	spk_router rt;
	Vrouter *top;
	rng g;
	std::vector<uint64_t> data;	// RTL data of flit serial k
	std::vector<uint8_t> mask;	// group g's mask at this router (tree networks)
	uint32_t groups = 0;
	sender up[5];
	unsigned held[5] = { 0 };	// flits received on each output, credit not yet returned
	std::deque<std::string> history;
	uint64_t flits_out[5] = { 0 }, mc_copies = 0, stalls = 0, packets = 0;
	uint64_t cycle = 0;

	void clock()
	{
		top->clk_i = 0;
		top->eval();
		top->clk_i = 1;
		top->eval();
	}

	int fail(const char *port, const char *field, uint64_t exp, uint64_t got)
	{
		std::fprintf(stderr,
			     "router_lockstep: first divergence at cycle %" PRIu64 ", port %s, field %s: "
			     "expected (C model) 0x%" PRIx64 ", got (RTL) 0x%" PRIx64 "\n",
			     cycle, port, field, exp, got);
		std::fprintf(stderr, "stimulus of the cycles before (oldest first):\n");
		for (const std::string &h : history)
			std::fprintf(stderr, "  %s\n", h.c_str());
		return 1;
	}

	// puts flit f (as the RTL sees it) on link q of the port vector `port`
	template <typename T> void put_flit(T &port, unsigned q, const spk_flit *f) const
	{
		spk_vl::put(port, q * L, FB, f ? data[f->pkt] : 0);
		spk_vl::put(port, q * L + FB, 1, f && (f->flags & SPK_FLIT_TAIL) ? 1 : 0);
		spk_vl::put(port, q * L + FB + 1, 1, f && (f->flags & SPK_FLIT_HEAD) ? 1 : 0);
		spk_vl::put(port, q * L + FB + 2, 32, f ? f->pkt : 0);
	}

	void start()
	{
		L = 32 + 2 + p.flit_bits;
		FB = p.flit_bits;
		rx = p.mesh_x > 2 ? 1 : 0;
		ry = p.mesh_y > 2 ? 1 : 0;
		r = ry * p.mesh_x + rx;
		if (spk_router_init(&rt, p.mesh_x, p.mesh_y, p.buffer_flits, p.router_stages) < 0)
			std::abort();
		spk_router_set_local_credit(&rt, r, p.eject_flits);
		for (auto &u : up)
			u = sender{ (int)p.buffer_flits, 0 };
		top->x_i = rx;
		top->y_i = ry;
		// an edge on rst_ni (Verilator starts every signal at 0: no edge without the 1)
		top->clk_i = 0;
		top->rst_ni = 1;
		top->eval();
		top->rst_ni = 0;
		top->eval();
		top->rst_ni = 1;
		top->eval();
		if (p.multicast) {
			// a few groups with random non-empty masks at this router, loaded through
			// the group table's port (the C model's table is written directly)
			groups = p.max_groups < 12 ? p.max_groups : 12;
			mask.assign(groups + 1, 0);
			for (uint32_t k = 1; k <= groups; k++) {
				uint16_t id;

				if (spk_router_add_group(&rt, &id) < 0 || id != k)
					std::abort();
				mask[k] = (uint8_t)(1 + g.below(31));
				rt.mc_mask[(size_t)(k - 1) * rt.n + r] = mask[k];
				top->cfg_we_i = 1;
				top->cfg_group_i = k;
				top->cfg_mask_i = mask[k];
				clock();
			}
			top->cfg_we_i = 0;
		}
		data.push_back(0);	// serial 0 unused
	}

	// One cycle; returns 0 or 1 at the first divergence.
	int step()
	{
		spk_router_in in;
		spk_router_out out;
		unsigned ret[5] = { 0 };
		char line[512];
		int n = 0;

		std::memset(&in, 0, sizeof(in));
		n += std::snprintf(line + n, sizeof(line) - n, "cycle %" PRIu64 ":", cycle);
		for (unsigned q = 0; q < 5; q++) {
			sender &u = up[q];
			spk_flit f = {};

			if (u.credit <= 0 || !g.chance(45))
				continue;
			f.pkt = (uint32_t)data.size();
			if (u.left == 0) {
				// a new packet
				uint64_t payload = g.next();
				unsigned tag = g.below(2), kind = g.below(4);

				packets++;
				if (p.multicast && groups > 0 && g.chance(25)) {
					uint32_t grp = 1 + g.below(groups);

					f.dst = (uint16_t)grp;
					f.flags = SPK_FLIT_HEAD | SPK_FLIT_TAIL | SPK_FLIT_MC;
					data.push_back(spk_rtl_head_data(&p, kind == 1 ? 0 : kind, 1, grp, tag,
									 payload));
				} else {
					uint32_t dx = g.below(p.mesh_x), dy = g.below(p.mesh_y);
					unsigned len = g.chance(55) ? 1 : 2 + g.below(3);

					f.dst = (uint16_t)(dy * p.mesh_x + dx);
					f.flags = SPK_FLIT_HEAD | (len == 1 ? SPK_FLIT_TAIL : 0);
					u.left = len - 1;
					data.push_back(spk_rtl_head_data(&p, kind, 0,
									 spk_rtl_tile_addr(&p, dx, dy),
									 tag, payload));
				}
			} else {
				f.flags = --u.left == 0 ? SPK_FLIT_TAIL : 0;
				data.push_back(g.next() & (FB >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << FB) - 1));
			}
			in.valid |= (uint8_t)(1u << q);
			in.flit[q] = f;
			u.credit--;
			n += std::snprintf(line + n, sizeof(line) - n, " in[%s]=#%u%s%s%s", port_name[q],
					   f.pkt, f.flags & SPK_FLIT_HEAD ? " head" : "",
					   f.flags & SPK_FLIT_TAIL ? " tail" : "",
					   f.flags & SPK_FLIT_MC ? " mc" : "");
		}
		for (unsigned o = 0; o < 5; o++) {
			if (held[o] == 0 || !g.chance(o == 0 ? 30 : 55))
				continue;
			ret[o] = o == 0 ? 1 + g.below(held[o]) : 1;
			held[o] -= ret[o];
			n += std::snprintf(line + n, sizeof(line) - n, " credit[%s]=%u", port_name[o],
					   ret[o]);
		}
		history.push_back(line);
		if (history.size() > 6)
			history.pop_front();

		// C model: cycle x, then the credits of x (usable from x + 1)
		spk_router_eval(&rt, r, cycle, &in, &out);
		for (unsigned o = 0; o < 5; o++)
			for (unsigned k = 0; k < ret[o]; k++)
				spk_router_credit(&rt, r, o);

		// RTL: the same inputs; combinational outputs of x, then the clock edge
		top->in_valid_i = in.valid;
		for (unsigned q = 0; q < 5; q++)
			put_flit(top->in_flit_i, q, in.valid >> q & 1u ? &in.flit[q] : nullptr);
		top->out_credit_i = (uint8_t)((ret[1] ? 1 : 0) | (ret[2] ? 2 : 0) | (ret[3] ? 4 : 0) |
					      (ret[4] ? 8 : 0));
		top->eject_credit_i = ret[0];
		top->clk_i = 0;
		top->eval();
		if (top->in_credit_o != out.credit)
			return fail("all inputs", "credit back upstream (bit per input)", out.credit,
				    top->in_credit_o);
		if (top->stalls_o != out.stalls)
			return fail("all inputs", "stalled ready heads", out.stalls, top->stalls_o);
		top->clk_i = 1;
		top->eval();
		if (top->out_valid_o != out.valid)
			return fail("all outputs", "flit on the output link (bit per output)", out.valid,
				    top->out_valid_o);
		for (unsigned o = 0; o < 5; o++) {
			uint64_t exp, got;

			if (!(out.valid >> o & 1u))
				continue;
			exp = data[out.flit[o].pkt];
			got = spk_vl::get(top->out_flit_o, o * L, FB);
			if (exp != got)
				return fail(port_name[o], "flit data", exp, got);
			exp = (out.flit[o].flags & SPK_FLIT_TAIL) != 0;
			got = spk_vl::get(top->out_flit_o, o * L + FB, 1);
			if (exp != got)
				return fail(port_name[o], "tail", exp, got);
			exp = (out.flit[o].flags & SPK_FLIT_HEAD) != 0;
			got = spk_vl::get(top->out_flit_o, o * L + FB + 1, 1);
			if (exp != got)
				return fail(port_name[o], "head", exp, got);
			got = spk_vl::get(top->out_flit_o, o * L + FB + 2, 32);
			if (got != out.flit[o].pkt)
				return fail(port_name[o], "flit id", out.flit[o].pkt, got);
			flits_out[o]++;
			held[o]++;
			if (out.flit[o].flags & SPK_FLIT_MC)
				mc_copies++;
		}
		for (unsigned q = 0; q < 5; q++)
			if (out.credit >> q & 1u)
				up[q].credit++;
		stalls += out.stalls;
		cycle++;
		return 0;
	}
};

int usage(FILE *f, int status)
{
	std::fprintf(f, "usage: router_lockstep --arch FILE [--cycles N] [--seed S]\n"
			"Runs the Verilated router and spk_router_eval() in lock step on random\n"
			"traffic; FILE is the architecture whose spk_noc_pkg the RTL was built with.\n");
	return status;
}

} // namespace

int main(int argc, char **argv)
{
	spk_lockstep::opts o;
	spk_arch a;
	char err[1024];
	harness h;
	int rc = spk_lockstep::parse(argc, argv, o, true, false, usage);

	if (rc >= 0)
		return rc;
	rc = 0;
	const char *arch = o.arch;
	const uint64_t cycles = o.cycles, seed = o.seed;
	if (spk_arch_load(&a, arch, err, sizeof(err)) < 0 ||
	    spk_rtl_params_from_arch(&h.p, &a, 0, err, sizeof(err)) < 0) {
		std::fprintf(stderr, "router_lockstep: %s\n", err);
		return 2;
	}
	Verilated::debug(0);
	h.top = new Vrouter;
	h.g.s = seed;
	h.start();
	while (h.cycle < cycles && rc == 0)
		rc = h.step();
	if (rc == 0) {
		std::printf("router_lockstep: %s: %" PRIu64 " cycles in lock step (seed %" PRIu64
			    "): %" PRIu64 " packets offered; flits out local/east/west/north/south "
			    "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 ", %" PRIu64
			    " multicast copies, %" PRIu64 " stall cycles\n",
			    arch, h.cycle, seed, h.packets, h.flits_out[0], h.flits_out[1],
			    h.flits_out[2], h.flits_out[3], h.flits_out[4], h.mc_copies, h.stalls);
		// a run that moved nothing, or never stalled, checked nothing worth the name
		if (h.flits_out[0] == 0 || h.flits_out[1] == 0 || h.stalls == 0 ||
		    (h.p.multicast && h.mc_copies == 0)) {
			std::fprintf(stderr, "router_lockstep: the traffic did not exercise every "
					     "output, stalls and multicast\n");
			rc = 1;
		}
	}
	h.top->final();
	delete h.top;
	spk_router_fini(&h.rt);
	return rc;
}
