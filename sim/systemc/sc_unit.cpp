// sc_unit.cpp — the unit modules of the SystemC engine (see sc_unit.h).
#include "sim/systemc/sc_unit.h"

extern "C" {
#include "sim/attn.h"
#include "sim/encoder.h"
#include "sim/readout.h"
}

#include <cassert>

namespace spk_sc {

unit::unit(sc_core::sc_module_name name, const clock &clk, unit_observer &obs, void *model,
	   const spk_unit_port *chip_port, bool feeds_control)
	: sc_core::sc_module(name), rx_head("rx_head"), rx_body("rx_body"), rx_value("rx_value"),
	  rx_id("rx_id"), rx_valid("rx_valid"), credit("credit"), tx("tx"), model_(model), clk_(clk), obs_(obs), chip_port_(chip_port), feeds_control_(feeds_control)
{
	port_ = spk_unit_port();
	port_.send = port_send;
	port_.credit = port_credit;
	port_.spike = port_spike;
	port_.ctx = this;
	SC_METHOD(process);
	sensitive << wake << rx_event;
	dont_initialize();
}

void unit::restart(void *model, const spk_unit_port *chip_port)
{
	model_ = model;
	chip_port_ = chip_port;
	rx_seen_ = rx_valid.read();
}

void unit::stop()
{
	wake.cancel();
	rx_event.cancel();
}

int unit::port_send(void *ctx, const spk_packet *p)
{
	return static_cast<unit *>(ctx)->tx->send(*p);
}

void unit::port_credit(void *ctx, uint32_t flits)
{
	static_cast<unit *>(ctx)->credit_ += flits;
}

void unit::port_spike(void *ctx, uint32_t pop, uint64_t step, uint32_t neuron)
{
	const spk_unit_port *cp = static_cast<unit *>(ctx)->chip_port_;

	cp->spike(cp->ctx, pop, step, neuron);
}

// Cycle x of the unit: the packet that arrived in x, if any, then one evaluation.
void unit::process()
{
	uint64_t x = clk_.cycle(), nc;
	uint32_t seen = rx_valid.read();

	if (seen != rx_seen_) {
		uint64_t head = rx_head.read(), body = rx_body.read();
		spk_packet p;

		p.src = (uint32_t)head;
		p.dst = (uint32_t)(head >> 32);
		p.flits = (uint16_t)body;
		p.kind = (uint8_t)(body >> 16);
		p.tag = (uint8_t)(body >> 24);
		p.axon = (uint32_t)(body >> 32);
		p.value = (int32_t)rx_value.read();
		p.id = rx_id.read();
		assert(seen == rx_seen_ + 1);
		rx_seen_ = seen;
		deliver(p, x);
	}
	do {
		eval(x, &port_);
		obs_.evaluated(x, feeds_control_);
		nc = next_cycle();
	} while (nc <= x);	// as the native loop: a wake-up for x itself is served in x
	if (credit_ != credit.read())
		credit.write(credit_);
	wake.cancel();
	if (nc != UINT64_MAX)
		wake_at(nc);
}

void core::deliver(const spk_packet &p, uint64_t x)
{
	spk_core_deliver(static_cast<spk_core *>(model_), &p, x);
}

void core::eval(uint64_t x, const spk_unit_port *port)
{
	spk_core_eval(static_cast<spk_core *>(model_), x, port);
}

uint64_t core::next_cycle() const
{
	return spk_core_next_cycle(static_cast<const spk_core *>(model_));
}

void attn::deliver(const spk_packet &p, uint64_t x)
{
	spk_attn_deliver(static_cast<spk_attn *>(model_), &p, x);
}

void attn::eval(uint64_t x, const spk_unit_port *port)
{
	spk_attn_eval(static_cast<spk_attn *>(model_), x, port);
}

uint64_t attn::next_cycle() const
{
	return spk_attn_next_cycle(static_cast<const spk_attn *>(model_));
}

void encoder::deliver(const spk_packet &p, uint64_t x)
{
	spk_encoder_deliver(static_cast<spk_encoder *>(model_), &p, x);
}

void encoder::eval(uint64_t x, const spk_unit_port *port)
{
	spk_encoder_eval(static_cast<spk_encoder *>(model_), x, port);
}

uint64_t encoder::next_cycle() const
{
	return spk_encoder_next_cycle(static_cast<const spk_encoder *>(model_));
}

void readout::deliver(const spk_packet &p, uint64_t x)
{
	spk_readout_deliver(static_cast<spk_readout *>(model_), &p, x);
}

void readout::eval(uint64_t x, const spk_unit_port *port)
{
	spk_readout_eval(static_cast<spk_readout *>(model_), x, port);
}

uint64_t readout::next_cycle() const
{
	return spk_readout_next_cycle(static_cast<const spk_readout *>(model_));
}

} // namespace spk_sc
