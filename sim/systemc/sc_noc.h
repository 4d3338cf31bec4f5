// sc_noc.h — the network side of the SystemC engine: the NoC (sim/noc.h) as one SC_MODULE, and
// each tile's network interface (NI) as the SC_MODULE its unit is wired to.
//
// The NI's ports toward its unit (sc_unit.h has the other ends) are signals of uint32_t and
// uint64_t, plus one interface method for sending:
//   rx_head  out uint64_t  delivered packet: src | dst << 32
//   rx_body  out uint64_t  flits | kind << 16 | tag << 24 | axon << 32
//   rx_value out uint32_t  graded value (two's complement)
//   rx_id    out uint64_t  the packet's id
//   rx_valid out uint32_t  packets delivered so far: a new value means a new packet, for the
//                          unit in the cycle after it was written (its arrival cycle)
//   credit   in  uint64_t  input-FIFO flits the unit has freed so far: the increase in cycle x is
//                          given back to the network in x (usable from x + 1)
//   ni_if::send            the unit offers a packet in the current cycle and learns at once
//                          whether the NI took it (0) or refused it (-EAGAIN: back-pressure)
// send is a method call rather than a valid/ready pair because the C unit models decide within
// one evaluation whether to offer the next packet (doc/simulator.md says how an RTL block
// plugs in).
//
// The network behind the NoC module is the C model (c_network) or the RTL (rtl/rtl_noc.h); the
// module and the NIs see only sc_network.h's interface.
//
// The NoC module evaluates the network in the middle of the cycles in which it has work: only
// those (spk_noc_next_cycle() after every change), so an idle network costs nothing. Before a
// unit touches the network in cycle x, the NI brings the network's clock to x (nothing happened
// in between, or the NoC module would have run).
#ifndef SPK_SC_NOC_H
#define SPK_SC_NOC_H

#include "sim/systemc/sc_clock.h"
#include "sim/systemc/sc_network.h"

#include <systemc>

#include <cstdint>
#include <vector>

namespace spk_sc {

class noc;

// What a unit calls on its NI (sc_port<ni_if> in the unit).
class ni_if : public virtual sc_core::sc_interface {
public:
	// Offers packet p in the current cycle: 0 taken, -EAGAIN refused.
	virtual int send(const spk_packet &p) = 0;
};

class ni : public sc_core::sc_module, public ni_if {
public:
	sc_core::sc_out<uint64_t> rx_head;
	sc_core::sc_out<uint64_t> rx_body;
	sc_core::sc_out<uint32_t> rx_value;
	sc_core::sc_out<uint64_t> rx_id;
	sc_core::sc_out<uint32_t> rx_valid;
	sc_core::sc_in<uint64_t> credit;

	SC_HAS_PROCESS(ni);
	ni(sc_core::sc_module_name name, noc &net, uint32_t tile);

	int send(const spk_packet &p) override;
	// The NoC delivered p, usable by the unit in cycle arrival (the next one); the unit's
	// process is woken through rx_event.
	void put(const spk_packet &p, uint64_t arrival);
	void set_rx_event(sc_core::sc_event *e) { rx_event_ = e; }
	// The NI, which refused the unit, can take a packet again from cycle y: wake the unit then
	// (the unit sleeps meanwhile; SPK_NOC_STOP_AT_NI_READY).
	void ready(uint64_t y);
	void set_wake_event(sc_core::sc_event *e) { wake_event_ = e; }
	// A new run: the unit's counters go on from where they are.
	void restart() { credit_seen_ = credit.read(); last_rx_ = UINT64_MAX; }

private:
	void take_credit();

	noc &net_;
	uint32_t tile_;
	sc_core::sc_event *rx_event_ = nullptr;
	sc_core::sc_event *wake_event_ = nullptr;
	uint64_t credit_seen_ = 0;
	uint32_t rx_count_ = 0;
	uint64_t last_rx_ = UINT64_MAX;
};

class noc : public sc_core::sc_module {
public:
	SC_HAS_PROCESS(noc);
	noc(sc_core::sc_module_name name, const clock &clk, uint32_t tiles);

	// A new run on network n (the chip's C network, or the RTL one), from cycle 0.
	void start(network *n);
	// The run is over: nothing more is scheduled.
	void stop();
	void attach(uint32_t tile, ni *x) { ni_[tile] = x; }
	network &net() { return *noc_; }
	const clock &clk() const { return clk_; }
	// Brings the network's clock to the current cycle (see the header comment).
	void sync();
	// The network may have work from the current cycle on: schedule its next evaluation.
	void kick();

private:
	void evaluate();

	const clock &clk_;
	network *noc_ = nullptr;
	bool running_ = false;
	std::vector<ni *> ni_;
	std::vector<spk_noc_delivery> dl_;
	sc_core::sc_event ev_;
};

} // namespace spk_sc

#endif
