// unit_shell_lockstep.cpp — the Verilated shell of the units (rtl/unit_shell.sv) and the C code it
// mirrors (sim/unit.h: spk_unit_fifo_push/ready/pop, spk_unit_releases_push/send) in lock step,
// with a unit's send rule around them (a due release first, else the unit's own packet, as
// sim/core.c's send() does). Random stimulus, every cycle:
//   - the NI delivers a packet (spike, graded, token or release) when the credits the shell gave
//     back allow it; graded packets take GradedFlits;
//   - the unit takes the FIFO head with some probability;
//   - the unit makes up to two sets of its incoming routes due (routes with no release pending),
//     as a synapse core's fire does (SPIKE routes, then ENCODER routes);
//   - the unit offers a packet of its own now and then, keeping it until the NI takes it;
//   - the NI refuses with some probability (the load level changes every 5,000 cycles).
// Compared every cycle: the FIFO head (valid and fields), the credits, the packet offered to the
// NI (valid and every field), pkt_taken, rel_due, and the counters (packets out, refusals,
// FIFO peak). The first divergence is reported with the cycle, the signal, expected (C) and got
// (RTL), and the stimulus of the cycles before; exit 1.
//
// usage: unit_shell_lockstep [--cycles N] [--seed S]   (the parameters are the model's: the
// build makes one model per configuration, rtl/unit_shell.mk)
#include "Vunit_shell.h"
#include "rtl/vl_bits.h"

extern "C" {
#include "sim/unit.h"
#include "util/rng.h"
}

#include <verilated.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#ifndef SHELL_FIFO_FLITS
#error "SHELL_FIFO_FLITS and SHELL_IN_ROUTES: the model's parameters"
#endif

namespace {

constexpr unsigned kFifo = SHELL_FIFO_FLITS, kRoutes = SHELL_IN_ROUTES;
constexpr unsigned kGraded = 2;		// spk_noc_pkg::GradedFlits of the default package
constexpr unsigned kPayloadBits = 21, kAddrBits = 8;

struct rng {
	uint64_t s;
	uint64_t next() { return spk_rng_splitmix(&s); }
	uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }
	bool chance(unsigned pct) { return below(100) < pct; }
};

struct offer {
	bool valid = false;
	uint32_t kind = 0, mc = 0, addr = 0, tag = 0, payload = 0, value = 0;
};

struct harness {
	Vunit_shell *top;
	rng g;
	uint64_t cycle = 0;
	// the C side
	spk_unit_fifo fifo;
	spk_unit_releases rel;
	std::vector<spk_unit_in_route> in;
	spk_unit_events ev{};
	uint64_t refused = 0, own_out = 0;
	// stimulus state
	unsigned credits = kFifo;		// flits the NI may still deliver
	std::vector<bool> pending;		// routes with a release due or queued
	offer own;				// the unit's packet, kept until taken
	unsigned refuse_pct = 10;
	std::deque<std::string> history;
	uint64_t n_delivered = 0, n_popped = 0, n_rel = 0, n_own = 0, n_refused = 0, n_both = 0;

	// for the C send: what the NI does with an offer in this cycle
	bool ready = true;
	offer c_offer;

	static int c_send(void *ctx, const spk_packet *p)
	{
		harness *h = (harness *)ctx;

		h->c_offer.valid = true;
		h->c_offer.kind = p->kind;
		h->c_offer.mc = p->mc != 0;
		h->c_offer.addr = p->dst;
		h->c_offer.tag = p->tag;
		h->c_offer.payload = p->axon;
		h->c_offer.value = (uint32_t)p->value;
		return h->ready ? 0 : -EAGAIN;
	}
	static void c_credit(void *ctx, uint32_t flits)
	{
		((harness *)ctx)->c_credit_now += flits;
	}
	uint32_t c_credit_now = 0;

	[[noreturn]] void diverge(const char *sig, uint64_t want, uint64_t got)
	{
		fprintf(stderr,
			"unit_shell_lockstep: first divergence at cycle %" PRIu64 ", signal %s: "
			"expected (C model) 0x%" PRIx64 ", got (RTL) 0x%" PRIx64 "\n",
			cycle, sig, want, got);
		for (const std::string &s : history)
			fprintf(stderr, "  %s\n", s.c_str());
		exit(1);
	}
	void check(const char *sig, uint64_t want, uint64_t got)
	{
		if (want != got)
			diverge(sig, want, got);
	}

	void clock()
	{
		top->clk_i = 1;
		top->eval();
		top->clk_i = 0;
		top->eval();
	}

	void step()
	{
		char buf[256];
		int n;

		// ---- stimulus of this cycle ----
		spk_packet d{};
		bool deliver = false;
		if (g.chance(45)) {
			d.kind = (uint8_t)g.below(4);
			d.flits = d.kind == SPK_PACKET_GRADED ? kGraded : 1;
			d.tag = (uint8_t)g.below(2);
			d.axon = g.below(1u << kPayloadBits);
			d.value = (int32_t)(uint32_t)g.next();
			deliver = d.flits <= credits;
		}
		bool pop = g.chance(40);
		std::vector<uint32_t> set[2];
		uint32_t set_tag[2] = { g.below(2), g.below(2) };
		for (int k = 0; k < 2; k++) {
			if (!g.chance(k == 0 ? 12 : 5))
				continue;
			for (uint32_t r = 0; r < kRoutes; r++)
				if (!pending[r] && g.below(100 * kRoutes) < 150) {
					set[k].push_back(r);
					pending[r] = true;	/* one release pending per route */
				}
		}
		if (!own.valid && g.chance(30)) {
			own.valid = true;
			own.kind = g.below(3);
			own.mc = g.below(2);
			own.addr = g.below(1u << kAddrBits);
			own.tag = g.below(2);
			own.payload = g.below(1u << kPayloadBits);
			own.value = (uint32_t)g.next();
		}
		if (cycle % 5000 == 0)
			refuse_pct = g.below(60);
		ready = !g.chance(refuse_pct);

		n = snprintf(buf, sizeof(buf), "cycle %" PRIu64 ":", cycle);
		if (deliver)
			n += snprintf(buf + n, sizeof(buf) - n, " deliver kind %u tag %u axon %u", d.kind,
				      d.tag, d.axon);
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s%s", pop ? " pop" : "",
			      own.valid ? " offer" : "", ready ? "" : " refuse");
		for (int k = 0; k < 2; k++)
			if (!set[k].empty())
				n += snprintf(buf + n, sizeof(buf) - n, " set%d(%zu routes)", k + 1,
					      set[k].size());
		history.push_back(buf);
		if (history.size() > 8)
			history.pop_front();

		// ---- C side: deliver, send, take, make due ----
		if (deliver) {
			spk_unit_fifo_push(&fifo, &d, cycle);
			credits -= d.flits;
			n_delivered++;
		}
		spk_unit_port port = { c_send, c_credit, nullptr, this, nullptr };
		c_offer = offer{};
		bool rel_due = rel.len > 0, taken = false;
		if (rel_due) {
			uint32_t route = rel.r[rel.head].route;
			int rc = spk_unit_releases_send(&rel, in.data(), 0, &port, &ev, 0);

			if (rc < 0)
				refused++;
			else
				pending[route] = false;
		} else if (own.valid) {
			spk_packet p{};
			p.kind = (uint8_t)own.kind;
			p.mc = own.mc;
			p.dst = own.addr;
			p.tag = (uint8_t)own.tag;
			p.axon = own.payload;
			p.value = (int32_t)own.value;
			if (port.send(port.ctx, &p) == 0) {
				taken = true;
				ev.packets_out++;
				own_out++;
			} else {
				refused++;
			}
		}
		const spk_unit_fifo_slot *head = spk_unit_fifo_ready(&fifo, cycle);
		spk_packet hd = head != nullptr ? head->pkt : spk_packet{};
		c_credit_now = 0;
		bool popped = pop && head != nullptr;
		if (popped) {
			spk_unit_fifo_pop(&fifo, &port);
			n_popped++;
		}
		for (int k = 0; k < 2; k++)
			for (uint32_t r : set[k]) {
				spk_unit_releases_push(&rel, r, set_tag[k]);
			}

		// ---- RTL side ----
		top->rx_valid_i = deliver;
		top->rx_kind_i = d.kind;
		top->rx_tag_i = d.tag;
		top->rx_axon_i = d.axon;
		top->rx_value_i = (uint32_t)d.value;
		top->head_pop_i = pop;
		top->pkt_valid_i = own.valid;
		top->pkt_kind_i = own.kind;
		top->pkt_mc_i = own.mc;
		top->pkt_addr_i = own.addr;
		top->pkt_tag_i = own.tag;
		top->pkt_payload_i = own.payload;
		top->pkt_value_i = own.value;
		top->tx_ready_i = ready;
		for (int k = 0; k < 2; k++) {
			auto &m = k == 0 ? top->rel_mask_i : top->rel2_mask_i;
			for (uint32_t r = 0; r < kRoutes; r++)
				spk_vl::put(m, r, 1, 0);
			for (uint32_t r : set[k])
				spk_vl::put(m, r, 1, 1);
		}
		top->rel_push_i = !set[0].empty();
		top->rel_tag_i = set_tag[0];
		top->rel2_push_i = !set[1].empty();
		top->rel2_tag_i = set_tag[1];
		top->load_we_i = 0;
		top->eval();

		check("head_valid_o", head != nullptr, top->head_valid_o);
		if (head != nullptr) {
			check("head_kind_o", hd.kind, top->head_kind_o);
			check("head_tag_o", hd.tag, top->head_tag_o);
			check("head_axon_o", hd.axon, top->head_axon_o);
			check("head_value_o", (uint32_t)hd.value, top->head_value_o);
		}
		check("rx_credit_o", c_credit_now, top->rx_credit_o);
		check("rel_due_o", rel_due, top->rel_due_o);
		check("tx_valid_o", c_offer.valid, top->tx_valid_o);
		if (c_offer.valid) {
			check("tx_kind_o", c_offer.kind, top->tx_kind_o);
			check("tx_mc_o", c_offer.mc, top->tx_mc_o);
			check("tx_addr_o", c_offer.addr, top->tx_addr_o);
			check("tx_tag_o", c_offer.tag, top->tx_tag_o);
			check("tx_payload_o", c_offer.payload, top->tx_payload_o);
			check("tx_value_o", c_offer.value, top->tx_value_o);
		}
		check("pkt_taken_o", taken, top->pkt_taken_o);
		clock();
		// the counters are registers: after the clock edge they hold this cycle's counts
		check("packets_out_o", ev.packets_out, top->packets_out_o);
		check("send_refused_o", refused, top->send_refused_o);
		check("fifo_peak_o", fifo.peak, top->fifo_peak_o);

		credits += c_credit_now;
		if (rel_due)
			n_rel += ready;
		if (taken) {
			own.valid = false;
			n_own++;
		}
		n_refused += c_offer.valid && !ready;
		n_both += rel_due && own.valid;
		cycle++;
	}
};

} // namespace

int main(int argc, char **argv)
{
	uint64_t cycles = 100000, seed = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cycles") && i + 1 < argc)
			cycles = strtoull(argv[++i], nullptr, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], nullptr, 10);
		else if (!strcmp(argv[i], "--help")) {
			printf("usage: unit_shell_lockstep [--cycles N] [--seed S]\n");
			return 0;
		} else {
			fprintf(stderr, "unit_shell_lockstep: unknown option '%s' (try --help)\n",
				argv[i]);
			return 2;
		}
	}

	Verilated::randReset(0);
	harness h;
	h.top = new Vunit_shell;
	h.g.s = seed;
	if (spk_unit_fifo_init(&h.fifo, kFifo) < 0 || spk_unit_releases_init(&h.rel, kRoutes) < 0)
		return 2;
	h.pending.assign(kRoutes, false);
	h.in.resize(kRoutes);

	// reset, then load the release destinations through the load port
	h.top->clk_i = 0;
	h.top->rst_ni = 0;
	h.top->eval();
	h.top->rst_ni = 1;
	h.top->eval();
	for (uint32_t r = 0; r < kRoutes; r++) {
		h.in[r].src_tile = h.g.below(1u << kAddrBits);
		h.in[r].src_route = h.g.below(1u << kPayloadBits);
		h.top->load_we_i = 1;
		h.top->load_idx_i = r;
		h.top->load_src_addr_i = h.in[r].src_tile;
		h.top->load_src_route_i = h.in[r].src_route;
		h.clock();
	}
	h.top->load_we_i = 0;

	for (uint64_t x = 0; x < cycles; x++)
		h.step();

	printf("unit_shell_lockstep (input_fifo %u, %u routes, seed %" PRIu64 "): %" PRIu64
	       " cycles in lock step; %" PRIu64 " packets delivered, %" PRIu64 " taken, %" PRIu64
	       " releases and %" PRIu64 " own packets sent, %" PRIu64 " refusals, %" PRIu64
	       " cycles with a release ahead of an own packet, FIFO peak %u flits\n",
	       kFifo, kRoutes, seed, cycles, h.n_delivered, h.n_popped, h.n_rel, h.n_own,
	       h.n_refused, h.n_both, h.fifo.peak);
	if (h.n_rel < cycles / 100 || h.n_own < cycles / 100 || h.n_refused == 0 || h.n_both == 0 ||
	    h.fifo.peak < kFifo / 2) {
		fprintf(stderr, "unit_shell_lockstep: the stimulus exercised too little\n");
		return 1;
	}
	spk_unit_fifo_fini(&h.fifo);
	spk_unit_releases_fini(&h.rel);
	delete h.top;
	return 0;
}
