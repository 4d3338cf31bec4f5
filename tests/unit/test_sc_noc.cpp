// test_sc_noc.cpp — the SystemC engine's network side and unit wrapper (sim/systemc/sc_noc.h,
// sc_unit.h) against the native way of driving the same models (sim/chip.c's loop): a 4x3 mesh
// whose every tile holds a small traffic unit (a C-style model behind spk_sc::unit, as the four
// chip units are) sending packets of 1 and 2 flits to other tiles on a schedule, retrying when
// its NI refuses, and freeing its bounded input FIFO some cycles after each arrival. Run once
// through the SystemC modules (unit, ni, noc, signals) and once through a native loop over the
// same models; every packet's send and arrival cycle, every unit evaluation and the NoC's
// statistics must be identical. A SystemC testbench: libsystemc's main() calls sc_main().
#include "sim/systemc/sc_clock.h"
#include "sim/systemc/sc_noc.h"
#include "sim/systemc/sc_unit.h"

extern "C" {
#include "sim/noc.h"
#include "sim/sched.h"
}

#include <systemc>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace {

const uint32_t MX = 4, MY = 3, N = MX * MY, PACKETS = 40, FIFO = 4;

struct event_rec {
	uint64_t cycle, id;
	bool operator==(const event_rec &o) const { return cycle == o.cycle && id == o.id; }
};

// One tile's traffic: sends PACKETS packets, the k-th no earlier than cycle k·gap, to tile
// (t·5 + 3k + 1) mod N (never itself); frees each arrival's flits `hold` cycles after it.
struct traffic {
	uint32_t tile = 0, gap = 1, hold = 1, next = 0;
	std::deque<std::pair<uint64_t, uint32_t>> to_free;	// (cycle, flits)
	std::vector<event_rec> sent, got;
	uint64_t evals = 0;

	uint64_t plan(uint32_t k) const { return (uint64_t)k * gap; }
	spk_packet packet(uint32_t k) const
	{
		spk_packet p;

		std::memset(&p, 0, sizeof(p));
		p.src = tile;
		p.dst = (tile * 5 + 3 * k + 1) % N;
		if (p.dst == tile)
			p.dst = (p.dst + 1) % N;
		p.kind = k % 3 == 0 ? SPK_PACKET_GRADED : SPK_PACKET_SPIKE;
		p.flits = (uint16_t)(p.kind == SPK_PACKET_GRADED ? 2 : 1);
		p.axon = k;
		p.value = -(int32_t)k;
		p.tag = (uint8_t)(k & 1);
		p.id = (uint64_t)tile << 32 | k;
		return p;
	}
	void deliver(const spk_packet &p, uint64_t x)
	{
		got.push_back({ x, p.id });
		to_free.push_back({ x + hold, p.flits });
	}
	void eval(uint64_t x, const spk_unit_port *port)
	{
		evals++;
		while (!to_free.empty() && to_free.front().first <= x) {
			port->credit(port->ctx, to_free.front().second);
			to_free.pop_front();
		}
		if (next < PACKETS && plan(next) <= x) {
			spk_packet p = packet(next);

			if (port->send(port->ctx, &p) == 0) {
				sent.push_back({ x, p.id });
				next++;
			}
		}
	}
	uint64_t next_cycle(uint64_t x) const
	{
		uint64_t y = UINT64_MAX;

		if (next < PACKETS)
			y = plan(next) > x ? plan(next) : x + 1;	// a refused packet: retry
		if (!to_free.empty() && to_free.front().first < y)
			y = to_free.front().first > x ? to_free.front().first : x + 1;
		return y;
	}
	bool done() const { return next == PACKETS && to_free.empty(); }
};

void setup(std::vector<traffic> &tr)
{
	tr.assign(N, traffic());
	for (uint32_t t = 0; t < N; t++) {
		tr[t].tile = t;
		tr[t].gap = 1 + t % 4;
		tr[t].hold = 1 + (t * 7) % 5;
	}
}

spk_noc *make_noc()
{
	spk_noc_config cfg;

	cfg.mesh_x = MX;
	cfg.mesh_y = MY;
	cfg.buffer_flits = 2;
	cfg.router_stages = 2;
	cfg.flit_bits = 64;
	cfg.eject_flits = FIFO;
	return spk_noc_create(&cfg);
}

// ---- native: the chip top's loop (sim/chip.c) over the traffic models ----------------------------

struct native_ctx {
	spk_noc *noc;
	uint32_t tile;
};

int n_send(void *ctx, const spk_packet *p)
{
	return spk_noc_inject(static_cast<native_ctx *>(ctx)->noc, p);
}

void n_credit(void *ctx, uint32_t flits)
{
	native_ctx *c = static_cast<native_ctx *>(ctx);

	spk_noc_eject_credit(c->noc, c->tile, flits);
}

uint64_t run_native(std::vector<traffic> &tr, spk_noc_stats *st)
{
	spk_noc *noc = make_noc();
	spk_sched s;
	std::vector<native_ctx> ctx(N);
	std::vector<spk_unit_port> port(N);
	std::vector<spk_noc_delivery> dl(N + 1);
	spk_sched_event ev;
	uint64_t x = 0;

	spk_sched_init(&s, N + 1, N);
	for (uint32_t t = 0; t < N; t++) {
		ctx[t] = { noc, t };
		port[t] = spk_unit_port();
		port[t].send = n_send;
		port[t].credit = n_credit;
		port[t].ctx = &ctx[t];
		spk_sched_wake(&s, t, 0, 0);
	}
	for (;;) {
		size_t k, nr;
		const uint32_t *rd;

		x = spk_noc_now(noc);
		while ((k = spk_noc_collect(noc, dl.data(), dl.size())) > 0)
			for (size_t j = 0; j < k; j++) {
				tr[dl[j].pkt.dst].deliver(dl[j].pkt, x);
				spk_sched_wake(&s, dl[j].pkt.dst, x, 0);
			}
		rd = spk_noc_ni_ready(noc, &nr);
		for (size_t j = 0; j < nr; j++)
			spk_sched_wake(&s, rd[j], x, 0);
		while (spk_sched_next_cycle(&s) == x) {
			uint64_t nc;

			spk_sched_pop(&s, &ev);
			tr[ev.target].eval(x, &port[ev.target]);
			nc = tr[ev.target].next_cycle(x);
			if (nc != UINT64_MAX)
				spk_sched_wake(&s, ev.target, nc, 0);
		}
		if (spk_sched_next_cycle(&s) == UINT64_MAX && spk_noc_next_cycle(noc) == UINT64_MAX)
			break;
		spk_noc_run(noc, spk_sched_next_cycle(&s),
			    SPK_NOC_STOP_AT_DELIVERY | SPK_NOC_STOP_AT_NI_READY);
	}
	spk_noc_get_stats(noc, st);
	spk_noc_destroy(noc);
	spk_sched_fini(&s);
	return x;
}

// ---- SystemC: the traffic model behind spk_sc::unit, wired as sc_chip.cpp wires a chip ---------

class traffic_unit : public spk_sc::unit {
public:
	traffic_unit(sc_core::sc_module_name name, const spk_sc::clock &clk,
		     spk_sc::unit_observer &obs, traffic *m)
		: spk_sc::unit(name, clk, obs, m, &no_spikes_, false), clk_(clk)
	{
	}

protected:
	void deliver(const spk_packet &p, uint64_t x) override { model()->deliver(p, x); }
	void eval(uint64_t x, const spk_unit_port *port) override { model()->eval(x, port); }
	uint64_t next_cycle() const override
	{
		return static_cast<const traffic *>(model_)->next_cycle(clk_.cycle());
	}

private:
	traffic *model() { return static_cast<traffic *>(model_); }
	static const spk_unit_port no_spikes_;
	const spk_sc::clock &clk_;
};

const spk_unit_port traffic_unit::no_spikes_ = spk_unit_port();

struct wires {
	sc_core::sc_signal<uint64_t> rx_head, rx_body, rx_id, credit;
	sc_core::sc_signal<uint32_t> rx_value, rx_valid;
};

class observer : public spk_sc::unit_observer {
public:
	uint64_t evals = 0, last = 0;
	void evaluated(uint64_t x, bool) override
	{
		evals++;
		last = x;
	}
};

int fails;

#define CHECK(cond, ...) do { if (!(cond)) { fails++; std::fprintf(stderr, "FAIL: " __VA_ARGS__); \
	std::fputc('\n', stderr); } } while (0)

} // namespace

int sc_main(int, char **)
{
	std::vector<traffic> a, b;
	spk_noc_stats sa, sb;
	spk_sc::clock clk;
	observer obs;

	setup(a);
	uint64_t last_native = run_native(a, &sa);

	setup(b);
	spk_noc *noc = make_noc();
	spk_sc::noc net("noc", clk, N);
	std::vector<std::unique_ptr<traffic_unit>> u(N);
	std::vector<std::unique_ptr<spk_sc::ni>> ni(N);
	std::vector<std::unique_ptr<wires>> w(N);

	clk.period = 2000;
	clk.origin = clk.period;
	for (uint32_t t = 0; t < N; t++) {
		u[t].reset(new traffic_unit(("t" + std::to_string(t)).c_str(), clk, obs, &b[t]));
		ni[t].reset(new spk_sc::ni(("t" + std::to_string(t) + "_ni").c_str(), net, t));
		w[t].reset(new wires());
		ni[t]->rx_head(w[t]->rx_head);
		ni[t]->rx_body(w[t]->rx_body);
		ni[t]->rx_value(w[t]->rx_value);
		ni[t]->rx_id(w[t]->rx_id);
		ni[t]->rx_valid(w[t]->rx_valid);
		ni[t]->credit(w[t]->credit);
		ni[t]->set_rx_event(&u[t]->rx_event);
		ni[t]->set_wake_event(&u[t]->wake);
		u[t]->rx_head(w[t]->rx_head);
		u[t]->rx_body(w[t]->rx_body);
		u[t]->rx_value(w[t]->rx_value);
		u[t]->rx_id(w[t]->rx_id);
		u[t]->rx_valid(w[t]->rx_valid);
		u[t]->credit(w[t]->credit);
		u[t]->tx(*ni[t]);
		net.attach(t, ni[t].get());
	}
	spk_sc::c_network cn(noc);

	net.start(&cn);
	for (uint32_t t = 0; t < N; t++)
		u[t]->wake_at(0);
	sc_core::sc_start();
	spk_noc_get_stats(noc, &sb);

	uint64_t packets = 0, evals_native = 0;

	for (uint32_t t = 0; t < N; t++) {
		CHECK(a[t].done() && b[t].done(), "tile %u did not finish", t);
		CHECK(a[t].sent == b[t].sent, "tile %u: send cycles differ", t);
		CHECK(a[t].got == b[t].got, "tile %u: arrivals differ (%zu vs %zu)", t,
		      a[t].got.size(), b[t].got.size());
		CHECK(a[t].evals == b[t].evals, "tile %u: %llu vs %llu evaluations", t,
		      (unsigned long long)a[t].evals, (unsigned long long)b[t].evals);
		packets += a[t].got.size();
		evals_native += a[t].evals;
	}
	CHECK(packets == N * PACKETS, "%llu packets delivered", (unsigned long long)packets);
	CHECK(obs.evals == evals_native, "observer counted %llu evaluations",
	      (unsigned long long)obs.evals);
	CHECK(obs.last == last_native, "last unit cycle %llu vs %llu", (unsigned long long)obs.last,
	      (unsigned long long)last_native);
	CHECK(sa.inject_refused > 0, "no back-pressure: the test does not test it");
	CHECK(std::memcmp(&sa, &sb, sizeof(sa)) == 0,
	      "NoC statistics differ: cycles %llu/%llu, refused %llu/%llu, stalls %llu/%llu",
	      (unsigned long long)sa.cycles, (unsigned long long)sb.cycles,
	      (unsigned long long)sa.inject_refused, (unsigned long long)sb.inject_refused,
	      (unsigned long long)sa.stall_cycles, (unsigned long long)sb.stall_cycles);
	spk_noc_destroy(noc);
	std::printf("%s: %llu packets, %llu evaluations, %llu refused injections, last cycle %llu\n",
		    fails ? "FAIL" : "ok", (unsigned long long)packets,
		    (unsigned long long)evals_native, (unsigned long long)sa.inject_refused,
		    (unsigned long long)last_native);
	return fails ? 1 : 0;
}
