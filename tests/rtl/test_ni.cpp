// test_ni.cpp — directed tests of the network interface (rtl/ni.sv) built for a tree-multicast
// network (tests/rtl/configs/c2.ini: 12x12, 32-bit flits, 4-flit buffers), the paths the
// RTL network's lock-step test does not reach on the default (unicast) network: multicast
// injection (the M bit and the group in the head flit) and the member's translation of a
// multicast copy through the group table loaded on the load port (doc/architecture.md §2 and §4:
// a spike's axon = the member's axon base + the element index; a token's axon = the member's
// route index), next to unicast delivery, a graded packet's value in and out, and the credit
// rule of injection (refused without a credit for the router's local input). Expected values
// are written from the contract, not taken from the RTL.
#include "Vni.h"
#include "rtl/vl_bits.h"

extern "C" {
#include "arch/arch.h"
#include "rtl/rtl_params.h"
}

#include <verilated.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace {

int fails = 0, checks = 0;

void expect(bool ok, const char *what, uint64_t want, uint64_t got)
{
	checks++;
	if (!ok) {
		std::fprintf(stderr, "test_ni: %s: expected 0x%" PRIx64 ", got 0x%" PRIx64 "\n", what,
			     want, got);
		fails++;
	}
}

#define EQ(what, want, got) expect((uint64_t)(want) == (uint64_t)(got), what, want, got)

struct bench {
	Vni m;
	spk_rtl_params p;
	unsigned FB;

	void edge()
	{
		m.clk_i = 0;
		m.eval();
		m.clk_i = 1;
		m.eval();
	}
	void idle_inputs()
	{
		m.tx_valid_i = 0;
		m.rx_credit_i = 0;
		m.inj_credit_i = 0;
		m.ej_valid_i = 0;
		m.cfg_we_i = 0;
	}
	// a flit on the router's local output link, then the NI's combinational outputs
	void eject(bool head, bool tail, uint64_t data, uint32_t id)
	{
		m.ej_valid_i = 1;
		spk_vl::put(m.ej_flit_i, 0, FB, data);
		spk_vl::put(m.ej_flit_i, FB, 1, tail);
		spk_vl::put(m.ej_flit_i, FB + 1, 1, head);
		spk_vl::put(m.ej_flit_i, FB + 2, 32, id);
		m.clk_i = 0;
		m.eval();
	}
	uint64_t inj_data() const { return spk_vl::get(m.inj_flit_o, 0, FB); }
	unsigned inj_tail() const { return (unsigned)spk_vl::get(m.inj_flit_o, FB, 1); }
	unsigned inj_head() const { return (unsigned)spk_vl::get(m.inj_flit_o, FB + 1, 1); }
};

} // namespace

int main(int argc, char **argv)
{
	spk_arch a;
	char err[512];
	bench b;

	if (argc != 2 || spk_arch_load(&a, argv[1], err, sizeof(err)) < 0 ||
	    spk_rtl_params_from_arch(&b.p, &a, 0, err, sizeof(err)) < 0 || !b.p.multicast) {
		std::fprintf(stderr, "usage: test_ni TREE-ARCH.ini (the arch Vni was built for)\n");
		return 2;
	}
	b.FB = b.p.flit_bits;
	const unsigned PB = b.p.payload_bits, FB = b.FB;

	// reset (an edge on rst_ni), then group 5: axon base 1000, route 7; group 9: 77, 3
	b.idle_inputs();
	b.m.rst_ni = 1;
	b.m.eval();
	b.m.rst_ni = 0;
	b.m.eval();
	b.m.rst_ni = 1;
	b.m.eval();
	const uint32_t grp[2][3] = { { 5, 1000, 7 }, { 9, 77, 3 } };
	for (const auto &g : grp) {
		b.m.cfg_we_i = 1;
		b.m.cfg_group_i = g[0];
		b.m.cfg_axon_base_i = g[1];
		b.m.cfg_route_i = g[2];
		b.edge();
	}
	b.idle_inputs();
	b.edge();

	// ---- ejection -----------------------------------------------------------------------
	// a multicast spike of group 5, element 23, tag 1: axon 1000 + 23
	uint64_t h = (uint64_t)0 << (FB - 2) | (uint64_t)1 << (FB - 3) | (uint64_t)5 << (PB + 1) |
		     (uint64_t)1 << PB | 23;
	b.eject(true, true, h, 41);
	EQ("multicast spike: rx_valid", 1, b.m.rx_valid_o);
	EQ("multicast spike: rx_mc", 1, b.m.rx_mc_o);
	EQ("multicast spike: kind", 0, b.m.rx_kind_o);
	EQ("multicast spike: tag", 1, b.m.rx_tag_o);
	EQ("multicast spike: group in the address", 5, b.m.rx_addr_o);
	EQ("multicast spike: axon = base + element", 1023, b.m.rx_axon_o);
	EQ("multicast spike: id", 41, b.m.rx_id_o);
	b.edge();
	// a multicast token of group 9: axon = route 3
	h = (uint64_t)2 << (FB - 2) | (uint64_t)1 << (FB - 3) | (uint64_t)9 << (PB + 1) | 0;
	b.eject(true, true, h, 42);
	EQ("multicast token: kind", 2, b.m.rx_kind_o);
	EQ("multicast token: axon = route", 3, b.m.rx_axon_o);
	b.edge();
	// a unicast spike to tile (3, 4): the payload untouched, no M bit
	uint64_t addr = (uint64_t)3 << b.p.y_bits | 4;
	h = (uint64_t)0 << (FB - 2) | addr << (PB + 1) | 555;
	b.eject(true, true, h, 43);
	EQ("unicast spike: rx_mc", 0, b.m.rx_mc_o);
	EQ("unicast spike: axon", 555, b.m.rx_axon_o);
	EQ("unicast spike: address", addr, b.m.rx_addr_o);
	b.edge();
	// a graded packet: head (no rx yet), then its value in GradedFlits - 1 body flits
	h = (uint64_t)1 << (FB - 2) | addr << (PB + 1) | (uint64_t)1 << PB | 99;
	const uint32_t value = 0xdeadbeef;
	b.eject(true, false, h, 44);
	EQ("graded head: not yet arrived", 0, b.m.rx_valid_o);
	b.edge();
	for (unsigned k = 1; k < b.p.graded_flits; k++) {
		bool last = k + 1 == b.p.graded_flits;
		uint64_t bits = (uint64_t)value >> (FB * (k - 1));

		b.eject(false, last, FB >= 64 ? bits : bits & ((UINT64_C(1) << FB) - 1), 44);
		EQ("graded body: arrives with its tail", last, b.m.rx_valid_o);
		if (last) {
			EQ("graded: kind", 1, b.m.rx_kind_o);
			EQ("graded: axon", 99, b.m.rx_axon_o);
			EQ("graded: tag", 1, b.m.rx_tag_o);
			EQ("graded: value", value, b.m.rx_value_o);
		}
		b.edge();
	}
	b.idle_inputs();

	// ---- injection --------------------------------------------------------------------------
	// a multicast spike of group 5, element 23: one flit, head and tail, M bit set
	b.m.clk_i = 0;
	b.m.eval();
	EQ("idle NI with credits: ready", 1, b.m.tx_ready_o);
	b.m.tx_valid_i = 1;
	b.m.tx_kind_i = 0;
	b.m.tx_mc_i = 1;
	b.m.tx_addr_i = 5;
	b.m.tx_tag_i = 0;
	b.m.tx_payload_i = 23;
	b.m.tx_id_i = 7;
	b.m.eval();
	EQ("multicast injection: a flit onto the local input", 1, b.m.inj_valid_o);
	EQ("multicast injection: head", 1, b.inj_head());
	EQ("multicast injection: tail", 1, b.inj_tail());
	EQ("multicast injection: head flit",
	   (uint64_t)1 << (FB - 3) | (uint64_t)5 << (PB + 1) | 23, b.inj_data());
	EQ("multicast injection: the same as spk_rtl_head_data()",
	   spk_rtl_head_data(&b.p, 0, 1, 5, 0, 23), b.inj_data());
	b.edge();
	// a graded packet: the head now, the value's flits in the next cycles
	b.m.tx_kind_i = 1;
	b.m.tx_mc_i = 0;
	b.m.tx_addr_i = addr;
	b.m.tx_payload_i = 12;
	b.m.tx_value_i = value;
	b.m.clk_i = 0;
	b.m.eval();
	EQ("graded injection: head", 1, b.inj_head());
	EQ("graded injection: not the tail", 0, b.inj_tail());
	b.edge();
	b.m.tx_valid_i = 0;
	for (unsigned k = 1; k < b.p.graded_flits; k++) {
		uint64_t bits = (uint64_t)value >> (FB * (k - 1));

		b.m.clk_i = 0;
		b.m.eval();
		EQ("graded injection: busy, refuses", 0, b.m.tx_ready_o);
		EQ("graded injection: body flit", 1, b.m.inj_valid_o);
		EQ("graded injection: body bits", FB >= 64 ? bits : bits & ((UINT64_C(1) << FB) - 1),
		   b.inj_data());
		EQ("graded injection: tail on the last", k + 1 == b.p.graded_flits, b.inj_tail());
		b.edge();
	}
	// credits: BufferFlits flits were sent (1 + graded_flits) without any coming back
	unsigned sent = 1 + b.p.graded_flits, left = b.p.buffer_flits - sent;
	b.m.tx_valid_i = 1;
	b.m.tx_kind_i = 0;
	for (unsigned k = 0; k < left; k++) {
		b.m.clk_i = 0;
		b.m.eval();
		EQ("credit left: taken", 1, b.m.tx_ready_o);
		b.edge();
	}
	b.m.clk_i = 0;
	b.m.eval();
	EQ("no credit: refused", 0, b.m.tx_ready_o);
	EQ("no credit: no flit", 0, b.m.inj_valid_o);
	b.m.tx_valid_i = 0;
	b.m.inj_credit_i = 1;
	b.edge();
	b.m.inj_credit_i = 0;
	b.m.clk_i = 0;
	b.m.eval();
	EQ("a credit back: ready from the next cycle", 1, b.m.tx_ready_o);
	b.m.final();
	std::printf("test_ni: %d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
