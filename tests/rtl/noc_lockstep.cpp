// noc_lockstep.cpp — the RTL network (rtl/rtl_noc.h: Verilated routers and NIs of the default
// preset, wired into a 12x12 mesh) against the C network (sim/noc.h), driven the same way
// through the interface the SystemC engine uses (sim/systemc/sc_network.h), every cycle (doc/
// rtl.md "Lock-step tests").
//
// Every tile's unit offers random packets (spikes, tokens and releases of one flit, graded
// packets of GradedFlits, to random tiles, random tags, payloads and values) and offers a refused
// packet again in the next cycle, as the chip's units do; it frees the input space of what it
// received a random number of cycles later (whole packets), so ejection back-pressures the
// network. Each cycle both networks evaluate that cycle; then must agree: every offer taken or
// refused alike, the same deliveries (packet, tile, injection and arrival cycle, and the payload
// the RTL decoded, which rtl_noc checks against what was injected), the same NIs ready again.
// After the traffic the networks drain and their statistics must be equal field by field, with
// the flits of every (tile, port) and the refusals of every tile. First difference: a message
// naming the cycle, tile and what differs; exit 1.
//
// usage: noc_lockstep --arch FILE [--cycles N] [--seed S] [--load PCT]
#include "rtl/rtl_noc.h"
#include "sim/systemc/sc_network.h"

extern "C" {
#include "arch/arch.h"
#include "util/rng.h"
#include "sim/noc.h"
}

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

namespace {

// the project's seeded generator (util/rng.h), with the two draws the traffic needs
struct rng {
	uint64_t s;
	uint64_t next() { return spk_rng_splitmix(&s); }
	uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }
	bool chance(unsigned pct) { return below(100) < pct; }
};

struct to_free {
	uint64_t at;
	uint32_t flits;
};

struct unit {
	bool has = false;		// a packet to offer
	spk_packet p{};
	std::deque<to_free> held;	// received packets, freed at `at`
};

int fail(uint64_t x, const char *what)
{
	std::fprintf(stderr, "noc_lockstep: cycle %" PRIu64 ": %s\n", x, what);
	return 1;
}

bool same_delivery(const spk_noc_delivery &a, const spk_noc_delivery &b)
{
	return a.pkt.id == b.pkt.id && a.pkt.src == b.pkt.src && a.pkt.dst == b.pkt.dst &&
	       a.pkt.kind == b.pkt.kind && a.pkt.axon == b.pkt.axon && a.pkt.tag == b.pkt.tag &&
	       a.pkt.value == b.pkt.value && a.pkt.flits == b.pkt.flits &&
	       a.inject_cycle == b.inject_cycle && a.arrival_cycle == b.arrival_cycle;
}

} // namespace

int main(int argc, char **argv)
{
	const char *arch = nullptr;
	uint64_t cycles = 20000, seed = 1, id = 0, delivered = 0, refused = 0;
	unsigned load = 6;
	spk_arch a;
	char err[1024];
	std::string why;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!std::strcmp(argv[i], "--arch"))
			arch = argv[i + 1];
		else if (!std::strcmp(argv[i], "--cycles"))
			cycles = std::strtoull(argv[i + 1], nullptr, 10);
		else if (!std::strcmp(argv[i], "--seed"))
			seed = std::strtoull(argv[i + 1], nullptr, 10);
		else if (!std::strcmp(argv[i], "--load"))
			load = (unsigned)std::strtoul(argv[i + 1], nullptr, 10);
	}
	if (arch == nullptr) {
		std::fprintf(stderr, "usage: noc_lockstep --arch FILE [--cycles N] [--seed S] "
				     "[--load PCT]\n");
		return 2;
	}
	if (spk_arch_load(&a, arch, err, sizeof(err)) < 0) {
		std::fprintf(stderr, "noc_lockstep: %s\n", err);
		return 2;
	}
	std::unique_ptr<spk_rtl::rtl_noc> rn = spk_rtl::rtl_noc::create(a, nullptr, 0, 0, why);
	if (!rn) {
		std::fprintf(stderr, "noc_lockstep: %s\n", why.c_str());
		return 2;
	}
	spk_rtl_params prm = spk_rtl::rtl_noc::built_params();
	spk_noc_config cfg;
	spk_noc_config_from_arch(&cfg, &a);
	spk_noc *cn = spk_noc_create(&cfg);
	spk_sc::c_network c(cn);
	spk_sc::network &r = *rn;
	const uint32_t n = cfg.mesh_x * cfg.mesh_y;
	std::vector<unit> u(n);
	std::vector<spk_noc_delivery> dc(n + 1), dr(n + 1);
	rng g{ seed };
	const unsigned flags = SPK_NOC_STOP_AT_DELIVERY | SPK_NOC_STOP_AT_NI_READY;
	char msg[512];
	uint64_t x = 0;

	for (;; x++) {
		bool traffic = x < cycles;

		// units, cycle x: offers, then freed input space
		for (uint32_t t = 0; t < n; t++) {
			unit &un = u[t];
			int rc, rr;

			if (!un.has && traffic && g.chance(load)) {
				spk_packet &p = un.p;

				p = spk_packet{};
				p.src = t;
				p.dst = g.below(n);
				p.kind = (uint8_t)g.below(4);
				p.flits = (uint16_t)spk_noc_packet_flits(cfg.flit_bits,
									 (spk_packet_kind)p.kind);
				p.tag = (uint8_t)g.below(2);
				p.axon = (uint32_t)(g.next() & ((UINT64_C(1) << prm.payload_bits) - 1));
				p.value = p.kind == SPK_PACKET_GRADED ? (int32_t)g.next() : 0;
				p.id = ++id;
				un.has = true;
			}
			if (un.has) {
				rc = c.inject(un.p);
				rr = r.inject(un.p);
				if (rc != rr) {
					std::snprintf(msg, sizeof(msg), "tile %u: packet %" PRIu64 " %s by "
						      "the C network, %s by the RTL", t, un.p.id,
						      rc == 0 ? "taken" : "refused",
						      rr == 0 ? "taken" : "refused");
					return fail(x, msg);
				}
				if (rc == 0)
					un.has = false;
				else
					refused++;
			}
			while (!un.held.empty() && un.held.front().at <= x) {
				c.eject_credit(t, un.held.front().flits);
				r.eject_credit(t, un.held.front().flits);
				un.held.pop_front();
			}
		}

		// the networks evaluate cycle x
		c.run(x + 1, flags);
		r.run(x + 1, flags);
		if (rn->failure() != nullptr)
			return fail(x, rn->failure());
		if (c.now() != x + 1 || r.now() != x + 1) {
			std::snprintf(msg, sizeof(msg), "networks at cycles %" PRIu64 " (C) and %" PRIu64
				      " (RTL), expected %" PRIu64, c.now(), r.now(), x + 1);
			return fail(x, msg);
		}
		size_t kc = c.collect(dc.data(), dc.size()), kr = r.collect(dr.data(), dr.size());
		if (kc != kr) {
			for (size_t k = 0; k < kc; k++)
				std::fprintf(stderr, "  C:   packet %" PRIu64 " %u -> %u kind %u, injected %"
					     PRIu64 ", arrives %" PRIu64 "\n", dc[k].pkt.id, dc[k].pkt.src,
					     dc[k].pkt.dst, dc[k].pkt.kind, dc[k].inject_cycle,
					     dc[k].arrival_cycle);
			for (size_t k = 0; k < kr; k++)
				std::fprintf(stderr, "  RTL: packet %" PRIu64 " %u -> %u kind %u, injected %"
					     PRIu64 ", arrives %" PRIu64 "\n", dr[k].pkt.id, dr[k].pkt.src,
					     dr[k].pkt.dst, dr[k].pkt.kind, dr[k].inject_cycle,
					     dr[k].arrival_cycle);
			std::snprintf(msg, sizeof(msg), "%zu deliveries by the C network, %zu by the RTL",
				      kc, kr);
			return fail(x, msg);
		}
		for (size_t k = 0; k < kc; k++) {
			if (!same_delivery(dc[k], dr[k])) {
				std::snprintf(msg, sizeof(msg), "delivery %zu: C packet %" PRIu64 " at tile "
					      "%u (injected %" PRIu64 ", arrives %" PRIu64 "), RTL packet %"
					      PRIu64 " at tile %u (injected %" PRIu64 ", arrives %" PRIu64 ")",
					      k, dc[k].pkt.id, dc[k].pkt.dst, dc[k].inject_cycle,
					      dc[k].arrival_cycle, dr[k].pkt.id, dr[k].pkt.dst,
					      dr[k].inject_cycle, dr[k].arrival_cycle);
				return fail(x, msg);
			}
			// freed 1..20 cycles after its arrival (cycle x + 1)
			u[dc[k].pkt.dst].held.push_back({ x + 1 + 1 + g.below(20), dc[k].pkt.flits });
			delivered++;
		}
		size_t nc, nr;
		const uint32_t *rc = c.ni_ready(&nc), *rr = r.ni_ready(&nr);
		if (nc != nr || (nc > 0 && std::memcmp(rc, rr, nc * sizeof(*rc)) != 0))
			return fail(x, "the NIs ready again differ");
		if (!traffic && c.next_cycle() == UINT64_MAX && r.next_cycle() == UINT64_MAX) {
			bool any = false;

			for (const unit &un : u)
				any = any || un.has || !un.held.empty();
			if (!any)
				break;
		}
		if (x > cycles + 1000000)
			return fail(x, "the networks did not drain");
	}

	spk_noc_stats sc, sr;
	spk_noc_get_stats(cn, &sc);
	rn->get_stats(&sr);
#define SAME(f)                                                                              \
	if (sc.f != sr.f) {                                                                  \
		std::snprintf(msg, sizeof(msg), "statistic " #f ": C %" PRIu64 ", RTL %" PRIu64, \
			      (uint64_t)sc.f, (uint64_t)sr.f);                               \
		return fail(x, msg);                                                         \
	}
	SAME(cycles) SAME(packets_injected) SAME(packets_delivered) SAME(flits_injected)
	SAME(flits_delivered) SAME(inject_refused) SAME(hops) SAME(router_flits) SAME(link_flits)
	SAME(latency_sum) SAME(latency_max) SAME(stall_cycles) SAME(buffer_peak)
	SAME(busiest_link) SAME(busiest_link_flits)
	if (std::memcmp(spk_noc_link_counts(cn), rn->link_counts(), (size_t)n * 5 * 8) != 0)
		return fail(x, "flits per (tile, port) differ");
	if (std::memcmp(spk_noc_ni_refused(cn), rn->ni_refused(), (size_t)n * 8) != 0)
		return fail(x, "refusals per tile differ");
	std::printf("noc_lockstep: %s: %" PRIu64 " cycles (traffic for %" PRIu64 ", load %u %%, seed "
		    "%" PRIu64 "): %" PRIu64 " packets delivered, %" PRIu64 " offers refused, %" PRIu64
		    " stall cycles, %" PRIu64 " link flits, buffer peak %u: C and RTL equal\n", arch,
		    x + 1, cycles, load, seed, delivered, refused, sc.stall_cycles, sc.link_flits,
		    sc.buffer_peak);
	if (delivered == 0 || refused == 0 || sc.stall_cycles == 0) {
		std::fprintf(stderr, "noc_lockstep: the traffic exercised no back-pressure\n");
		return 1;
	}
	spk_noc_destroy(cn);
	return 0;
}
