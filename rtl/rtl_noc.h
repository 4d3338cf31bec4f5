// rtl_noc.h — the RTL network: one Verilated router (rtl/router.sv) and one Verilated network
// interface (rtl/ni.sv) per tile, wired into a mesh in C++, behind the same interface as the C
// network (sim/systemc/sc_network.h), so that `spikechip sim --engine systemc --rtl noc` runs a
// chip on it and reports what the C network would (doc/rtl.md "Co-simulation").
//
// Why Verilated C++ models stepped by the SystemC engine's NoC module, and not `verilator --sc`
// modules: the NoC module already decides when the network has work (a cycle is evaluated only
// while a flit is anywhere); a --sc module costs 80-100 ns per evaluation and three evaluations a
// cycle (BUILD-NOTES), and one module per router would wake every router every cycle. Here a
// cycle evaluates only the tiles with something to do: a router or NI that holds a flit, a
// packet offered to an NI, credits given back, a flit or credit arriving from a neighbour. A
// tile with none of these would not change any state that can ever be read (its empty buffer
// slots' wait counters aside, which are rewritten before they are read), so skipping it is
// exact. A Verilated mesh in one SystemVerilog top was tried first: Verilator specialises every
// router instance, 71 MB of C++ for 12x12 that took 7 minutes to compile.
//
// Cycle x, for the active tiles (rtl_noc.cpp):
//   1. each NI gets the unit's offer (taken in x if tx_ready_o) and freed input credits, and
//      the flit on its router's local output link; its injected flit goes into the router's
//      local input; each router gets the flits on its neighbours' output links; all evaluate
//      with the clock low (combinational outputs of x: credits back upstream, stalls);
//   2. credits go to the upstream routers and NIs (a tile that receives one becomes active);
//   3. the clock rises for every active router and NI (the end of x);
//   4. each NI whose router now drives a flit on the local output link is evaluated again: a
//      tail flit there is a packet arriving in x + 1, delivered with that arrival cycle.
//
// The packets' identities travel with their flits (the verification id of SPK_SIM_ID builds):
// the network keeps each injected packet in a table under its id, and a delivery checks that
// the RTL delivered what was injected — kind, tag, payload (a multicast copy: translated),
// graded value, destination — and stops the run with a message if not. Statistics are counted
// as sim/noc.c counts them (doc/architecture.md §4 "Counts"), from the RTL's outputs: flits
// leaving each router output, stalled ready heads (stalls_o), buffer occupancy (count_o),
// deliveries, refusals.
//
// Only networks of the architecture the RTL was built for: create() compares the chip's NoC
// parameters with the built package (spk_noc_pkg.h) and names the first that differs. Tree
// multicast is not co-simulated yet (its group tables would be loaded through the routers' and
// NIs' load ports).
#ifndef SPK_RTL_NOC_H
#define SPK_RTL_NOC_H

#include "sim/systemc/sc_network.h"

extern "C" {
#include "arch/arch.h"
#include "rtl/rtl_params.h"
#include "sim/noc.h"
}

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace spk_rtl {

class rtl_noc : public spk_sc::network {
public:
	// The RTL network for a chip of architecture a, at cycle 0; nullptr with the reason in
	// err if the RTL was built for other NoC parameters. Optionally traces waveforms (FST)
	// of every router and NI between cycles [wave_from, wave_to) into wave (nullptr: none).
	static std::unique_ptr<rtl_noc> create(const spk_arch &a, const char *wave,
					       uint64_t wave_from, uint64_t wave_to,
					       std::string &err);
	// True if the RTL can run a chip of architecture a; else false with the parameter that
	// differs from what the RTL was built for in err.
	static bool check(const spk_arch &a, std::string &err);
	// The parameters the RTL was built with.
	static spk_rtl_params built_params();
	~rtl_noc() override;

	uint64_t now() const override;
	int inject(const spk_packet &p) override;
	void eject_credit(uint32_t tile, uint32_t flits) override;
	void run(uint64_t until, unsigned flags) override;
	const uint32_t *ni_ready(size_t *n) const override;
	size_t pending() const override;
	size_t collect(spk_noc_delivery *out, size_t max) override;
	uint64_t next_cycle() const override;

	// Statistics as spk_noc_get_stats() gives them; per-link flits and per-tile refusals as
	// spk_noc_link_counts() and spk_noc_ni_refused() (tiles·5 and tiles entries).
	void get_stats(spk_noc_stats *st) const;
	const uint64_t *link_counts() const;
	const uint64_t *ni_refused() const;
	const char *failure() const override;

	struct impl;

private:
	explicit rtl_noc(impl *p);
	std::unique_ptr<impl> p_;
};

} // namespace spk_rtl

#endif
