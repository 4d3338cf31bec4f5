// sc_network.h — what the SystemC engine's NoC module and network interfaces (sc_noc.h) ask of
// a network, so that the C network (sim/noc.h) and the RTL network (rtl/rtl_noc.h, Verilated
// routers and NIs: `--rtl noc`) plug in alike. The calls and their meaning are spk_noc_*'s
// (sim/noc.h); c_network forwards them to a struct spk_noc.
#ifndef SPK_SC_NETWORK_H
#define SPK_SC_NETWORK_H

extern "C" {
#include "sim/noc.h"
}

#include <cstddef>
#include <cstdint>

namespace spk_sc {

class network {
public:
	virtual ~network() = default;
	virtual uint64_t now() const = 0;				// spk_noc_now
	virtual int inject(const spk_packet &p) = 0;			// spk_noc_inject
	virtual void eject_credit(uint32_t tile, uint32_t flits) = 0;	// spk_noc_eject_credit
	virtual void run(uint64_t until, unsigned flags) = 0;		// spk_noc_run
	virtual const uint32_t *ni_ready(size_t *n) const = 0;		// spk_noc_ni_ready
	virtual size_t pending() const = 0;				// spk_noc_pending
	virtual size_t collect(spk_noc_delivery *out, size_t max) = 0;	// spk_noc_collect
	virtual uint64_t next_cycle() const = 0;			// spk_noc_next_cycle
	// nullptr, or why the network cannot go on (an RTL network that delivered something
	// other than what was injected): the run stops with this message
	virtual const char *failure() const { return nullptr; }
};

// The C network.
class c_network : public network {
public:
	explicit c_network(spk_noc *n) : n_(n) {}
	uint64_t now() const override { return spk_noc_now(n_); }
	int inject(const spk_packet &p) override { return spk_noc_inject(n_, &p); }
	void eject_credit(uint32_t tile, uint32_t flits) override
	{
		spk_noc_eject_credit(n_, tile, flits);
	}
	void run(uint64_t until, unsigned flags) override { spk_noc_run(n_, until, flags); }
	const uint32_t *ni_ready(size_t *n) const override { return spk_noc_ni_ready(n_, n); }
	size_t pending() const override { return spk_noc_pending(n_); }
	size_t collect(spk_noc_delivery *out, size_t max) override
	{
		return spk_noc_collect(n_, out, max);
	}
	uint64_t next_cycle() const override { return spk_noc_next_cycle(n_); }

private:
	spk_noc *n_;
};

} // namespace spk_sc

#endif
