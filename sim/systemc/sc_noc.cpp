// sc_noc.cpp — the NoC and network-interface modules of the SystemC engine (see sc_noc.h).
#include "sim/systemc/sc_noc.h"

#include <cassert>
#include <cerrno>

namespace spk_sc {

ni::ni(sc_core::sc_module_name name, noc &net, uint32_t tile)
	: sc_core::sc_module(name), rx_head("rx_head"), rx_body("rx_body"), rx_value("rx_value"),
	  rx_id("rx_id"), rx_valid("rx_valid"), credit("credit"), net_(net), tile_(tile)
{
	SC_METHOD(take_credit);
	sensitive << credit.value_changed();
	dont_initialize();
}

int ni::send(const spk_packet &p)
{
	int rc;

	assert(p.src == tile_);
	net_.sync();
	rc = net_.net().inject(p);
	if (rc == 0)
		net_.kick();
	return rc;
}

// The unit wrote a new credit total in this cycle (delta after its evaluation).
void ni::take_credit()
{
	uint64_t v = credit.read();

	if (v == credit_seen_)
		return;
	net_.sync();
	net_.net().eject_credit(tile_, (uint32_t)(v - credit_seen_));
	credit_seen_ = v;
	net_.kick();
}

void ni::put(const spk_packet &p, uint64_t arrival)
{
	// one tail a cycle through the router's local port: one packet per tile and cycle
	assert(last_rx_ != arrival);
	last_rx_ = arrival;
	rx_head.write((uint64_t)p.src | (uint64_t)p.dst << 32);
	rx_body.write((uint64_t)p.flits | (uint64_t)p.kind << 16 | (uint64_t)p.tag << 24 |
		      (uint64_t)p.axon << 32);
	rx_value.write((uint32_t)p.value);
	rx_id.write(p.id);
	rx_valid.write(++rx_count_);
	rx_event_->notify(net_.clk().until(arrival, false));
}

void ni::ready(uint64_t y)
{
	wake_event_->notify(net_.clk().until(y, false));
}

noc::noc(sc_core::sc_module_name name, const clock &clk, uint32_t tiles)
	: sc_core::sc_module(name), clk_(clk), ni_(tiles, nullptr), dl_(tiles + 1)
{
	SC_METHOD(evaluate);
	sensitive << ev_;
	dont_initialize();
}

void noc::start(network *n)
{
	noc_ = n;
	running_ = true;
}

void noc::stop()
{
	running_ = false;
	ev_.cancel();
}

void noc::sync()
{
	uint64_t x = clk_.cycle();

	if (noc_->now() < x && noc_->failure() == nullptr) {
		size_t nr;

		noc_->run(x, SPK_NOC_STOP_AT_DELIVERY | SPK_NOC_STOP_AT_NI_READY);
		assert(noc_->now() == x && noc_->pending() == 0);
		(void)noc_->ni_ready(&nr);
		assert(nr == 0);
		(void)nr;
	}
}

void noc::kick()
{
	uint64_t y;

	if (!running_)
		return;
	y = noc_->next_cycle();
	if (y != UINT64_MAX)
		ev_.notify(clk_.until(y, true));	// an earlier pending one stays
}

// The middle of cycle x: every unit of x has been evaluated; the network evaluates x.
void noc::evaluate()
{
	uint64_t x = clk_.cycle();
	const uint32_t *rd;
	size_t k, nr;

	if (!running_)
		return;
	noc_->run(x + 1, SPK_NOC_STOP_AT_DELIVERY | SPK_NOC_STOP_AT_NI_READY);
	if (noc_->failure() != nullptr) {
		// nothing more arrives: the units run dry and the chip top reports the failure
		running_ = false;
		return;
	}
	assert(noc_->now() == x + 1);
	rd = noc_->ni_ready(&nr);
	for (size_t j = 0; j < nr; j++)
		if (ni_[rd[j]] != nullptr)
			ni_[rd[j]]->ready(x + 1);
	while ((k = noc_->collect(dl_.data(), dl_.size())) > 0)
		for (size_t j = 0; j < k; j++) {
			const spk_noc_delivery &d = dl_[j];

			assert(d.arrival_cycle == x + 1 && ni_[d.pkt.dst] != nullptr);
			ni_[d.pkt.dst]->put(d.pkt, x + 1);
		}
	kick();
}

} // namespace spk_sc
