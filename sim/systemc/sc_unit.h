// sc_unit.h — the four unit blocks of a tile as SC_MODULEs of the SystemC engine: synapse core
// (core), attention unit (attn), encoder, readout. Each is a thin wrapper around its C model
// (sim/core.h, attn.h, encoder.h, readout.h: the single source of behaviour): one SC_METHOD,
// woken only in the cycles in which the model has work (its next_cycle, or a packet's arrival),
// that hands the model the packet on its rx ports and evaluates it. An idle unit is never
// evaluated.
//
// Ports (the NI's ends are in sc_noc.h):
//   rx_head, rx_body, rx_id  in  uint64_t   the delivered packet (fields as in sc_noc.h)
//   rx_value                 in  uint32_t
//   rx_valid                 in  uint32_t   packets delivered so far; a change = a packet,
//                                           arriving in the cycle the unit is woken for
//   credit                   out uint64_t   input-FIFO flits freed so far
//   tx                       sc_port<ni_if> packets offered to the NI
#ifndef SPK_SC_UNIT_H
#define SPK_SC_UNIT_H

#include "sim/systemc/sc_clock.h"
#include "sim/systemc/sc_noc.h"

extern "C" {
#include "sim/core.h"
}

#include <systemc>

#include <cstdint>

struct spk_chip;	// sim/chip.h

namespace spk_sc {

// What a unit tells the chip top after each evaluation.
class unit_observer {
public:
	virtual ~unit_observer() = default;
	virtual void evaluated(uint64_t x, bool feeds_control) = 0;
};

class unit : public sc_core::sc_module {
public:
	sc_core::sc_in<uint64_t> rx_head;
	sc_core::sc_in<uint64_t> rx_body;
	sc_core::sc_in<uint32_t> rx_value;
	sc_core::sc_in<uint64_t> rx_id;
	sc_core::sc_in<uint32_t> rx_valid;
	sc_core::sc_out<uint64_t> credit;
	sc_core::sc_port<ni_if> tx;

	sc_core::sc_event wake;		// the model's next_cycle (or, for the encoder, an image in)
	sc_core::sc_event rx_event;	// a packet arrives (notified by the NI)

	SC_HAS_PROCESS(unit);
	// The model `model` of the tile; spikes go to chip_port->spike (recording, counts).
	unit(sc_core::sc_module_name name, const clock &clk, unit_observer &obs, void *model,
	     const spk_unit_port *chip_port, bool feeds_control);

	virtual ~unit() = default;
	// A new run with the model `model` (same kind), from cycle 0. A unit in RTL loads the
	// model's configuration into its RTL here; failure() says if it could not.
	virtual void restart(void *model, const spk_unit_port *chip_port);
	virtual const char *failure() const { return nullptr; }
	// The run is over: nothing more is scheduled.
	void stop();
	// Before the run, after restart(): a unit in RTL may take over what the chip feeds it (the
	// encoder's images: pixels[0 .. n images) of the run). 0 or a negative error code.
	virtual int attach(struct spk_chip *c, uint32_t tile, const uint8_t *pixels, uint32_t n)
	{
		(void)c;
		(void)tile;
		(void)pixels;
		(void)n;
		return 0;
	}
	// After the run: a unit in RTL gives the chip its counts (spk_chip_engine_set_unit_stats).
	// 0 or a negative error code.
	virtual int finish(struct spk_chip *c, uint32_t tile)
	{
		(void)c;
		(void)tile;
		return 0;
	}
	// Evaluate in cycle y (≥ the next cycle).
	void wake_at(uint64_t y) { wake.notify(clk_.until(y, false)); }

protected:
	void *model_;

	virtual void deliver(const spk_packet &p, uint64_t x) = 0;
	virtual void eval(uint64_t x, const spk_unit_port *port) = 0;
	virtual uint64_t next_cycle() const = 0;

private:
	void process();
	static int port_send(void *ctx, const spk_packet *p);
	static void port_credit(void *ctx, uint32_t flits);
	static void port_spike(void *ctx, uint32_t pop, uint64_t step, uint32_t neuron);

	const clock &clk_;
	unit_observer &obs_;
	const spk_unit_port *chip_port_;
	spk_unit_port port_;
	bool feeds_control_;
	uint32_t rx_seen_ = 0;
	uint64_t credit_ = 0;
};

// The synapse core (sim/core.h).
class core : public unit {
public:
	using unit::unit;

protected:
	void deliver(const spk_packet &p, uint64_t x) override;
	void eval(uint64_t x, const spk_unit_port *port) override;
	uint64_t next_cycle() const override;
};

// The attention unit (sim/attn.h).
class attn : public unit {
public:
	using unit::unit;

protected:
	void deliver(const spk_packet &p, uint64_t x) override;
	void eval(uint64_t x, const spk_unit_port *port) override;
	uint64_t next_cycle() const override;
};

// The encoder (sim/encoder.h); images are put into the model by the chip top.
class encoder : public unit {
public:
	using unit::unit;

protected:
	void deliver(const spk_packet &p, uint64_t x) override;
	void eval(uint64_t x, const spk_unit_port *port) override;
	uint64_t next_cycle() const override;
};

// The readout (sim/readout.h); classes go out through the model's callback to the chip.
class readout : public unit {
public:
	using unit::unit;

protected:
	void deliver(const spk_packet &p, uint64_t x) override;
	void eval(uint64_t x, const spk_unit_port *port) override;
	uint64_t next_cycle() const override;
};

} // namespace spk_sc

#endif
