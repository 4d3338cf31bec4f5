// rtl_noc.cpp — the RTL network of Verilated routers and NIs (see rtl_noc.h for the cycle and
// why it is built this way).
#include "config.h"

#include "rtl/rtl_noc.h"

#include "Vni.h"
#include "Vrouter.h"
#include "rtl/vl_bits.h"
#include "spk_noc_pkg.h"

#include <verilated.h>
#include <verilated_fst_c.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace spk_rtl {

namespace {

const unsigned PORTS = 5;
const uint32_t NONE = UINT32_MAX;

// bits [lsb, lsb + w) of one port into another, in 64-bit pieces
template <typename D, typename S>
void copy_bits(D &dst, unsigned dlsb, const S &src, unsigned slsb, unsigned w)
{
	for (unsigned k = 0; k < w; k += 64) {
		unsigned n = w - k < 64 ? w - k : 64;

		spk_vl::put(dst, dlsb + k, n, spk_vl::get(src, slsb + k, n));
	}
}

unsigned opposite(unsigned o)
{
	static const unsigned opp[PORTS] = { 0, 2, 1, 4, 3 };
	return opp[o];
}

struct entry {			// an injected packet not yet delivered (to every member)
	spk_packet p;
	uint64_t inject;
	bool used;
};

} // namespace

struct rtl_noc::impl {
	spk_rtl_params prm;
	uint32_t n, mx;
	unsigned L, FB;
	uint64_t now = 0;
	std::unique_ptr<VerilatedContext> ctx;
	std::vector<std::unique_ptr<Vrouter>> r;
	std::vector<std::unique_ptr<Vni>> ni;
	std::vector<int32_t> nb;		// [n·5] neighbour across port o, or -1

	// per tile
	std::vector<uint8_t> busy;		// router or NI holds something (after the last edge)
	std::vector<uint8_t> tx_pending;	// an offer taken in cycle now, applied when evaluated
	std::vector<uint32_t> rx_credit;	// input flits freed by the unit in cycle now
	std::vector<uint64_t> refused_at;	// last refused offer, or UINT64_MAX
	std::vector<uint8_t> waiting;		// refused, not yet reported ready
	std::vector<uint64_t> ni_refused;
	std::vector<uint8_t> active;		// evaluated in this cycle
	std::vector<uint32_t> act;		// the active tiles
	uint32_t n_busy = 0, n_tx = 0, n_credit = 0;
	bool gap_refusals = false;

	// packets in flight, by id
	std::vector<entry> pkt;
	std::vector<uint32_t> free_ids;

	std::vector<spk_noc_delivery> deliv;
	size_t deliv_read = 0;
	std::vector<uint32_t> ready;

	spk_noc_stats st{};
	std::vector<uint64_t> link;		// [n·5]
	std::string failure;

	std::unique_ptr<VerilatedFstC> fst;
	uint64_t wave_from = 0, wave_to = 0;

	bool has_work() const { return n_busy > 0 || n_tx > 0 || n_credit > 0; }
	void set_busy(uint32_t t, bool b)
	{
		if (busy[t] != b) {
			busy[t] = b;
			n_busy += b ? 1 : -1;
		}
	}
	void activate(uint32_t t)
	{
		if (!active[t]) {
			active[t] = 1;
			act.push_back(t);
		}
	}
	void eval_cycle();
	void deliver(uint32_t t);
	// the waveform of cycle x: at 10·x its combinational values (clock low), at 10·x + 5 the
	// registers after its edge (time unit: 1 ps, so 10 ps a cycle: read times as cycles · 10)
	void dump(uint64_t x, uint64_t time)
	{
		if (fst && x >= wave_from && x < wave_to)
			fst->dump(time);
	}
};

spk_rtl_params rtl_noc::built_params()
{
	spk_rtl_params p = SPK_NOC_PKG_INIT;

	return p;
}

bool rtl_noc::check(const spk_arch &a, std::string &err)
{
	spk_rtl_params want, have = built_params();
	char why[512];

	if (spk_rtl_params_from_arch(&want, &a, have.max_groups, why, sizeof(why)) < 0) {
		err = why;
		return false;
	}
	const spk_rtl_field cmp[] = {
		{ "[chip] mesh_x", want.mesh_x, have.mesh_x },
		{ "[chip] mesh_y", want.mesh_y, have.mesh_y },
		{ "[noc] flit_bits", want.flit_bits, have.flit_bits },
		{ "[noc] buffer_flits", want.buffer_flits, have.buffer_flits },
		{ "[noc] router_stages", want.router_stages, have.router_stages },
		{ "[core] input_fifo", want.eject_flits, have.eject_flits },
	};
	if (spk_rtl_fields_check(cmp, sizeof(cmp) / sizeof(cmp[0]), "network was", why,
				 sizeof(why)) < 0) {
		err = std::string(why) + " (the NoC of arch/" SPK_RTL_NOC_PRESET ".ini)";
		return false;
	}
	if (want.multicast) {
		err = "[noc] multicast = tree: not co-simulated yet (source replication is)";
		return false;
	}
	return true;
}

std::unique_ptr<rtl_noc> rtl_noc::create(const spk_arch &a, const char *wave, uint64_t wave_from,
					 uint64_t wave_to, std::string &err)
{
	spk_rtl_params have = built_params();
	impl *p;

	if (!check(a, err))
		return nullptr;
	p = new impl();
	p->prm = have;
	p->n = have.mesh_x * have.mesh_y;
	p->mx = have.mesh_x;
	p->FB = have.flit_bits;
	p->L = 32 + 2 + have.flit_bits;
	p->ctx.reset(new VerilatedContext);
	p->ctx->debug(0);
	if (wave != nullptr)
		p->ctx->traceEverOn(true);
	p->r.resize(p->n);
	p->ni.resize(p->n);
	p->nb.assign((size_t)p->n * PORTS, -1);
	for (uint32_t t = 0; t < p->n; t++) {
		uint32_t x = t % p->mx, y = t / p->mx;
		std::string tn = "t" + std::to_string(x) + "_" + std::to_string(y);

		p->r[t].reset(new Vrouter(p->ctx.get(), (tn + "_router").c_str()));
		p->ni[t].reset(new Vni(p->ctx.get(), (tn + "_ni").c_str()));
		p->r[t]->x_i = x;
		p->r[t]->y_i = y;
		if (x + 1 < p->mx)
			p->nb[(size_t)t * PORTS + 1] = (int32_t)(t + 1);
		if (x > 0)
			p->nb[(size_t)t * PORTS + 2] = (int32_t)(t - 1);
		if (y > 0)
			p->nb[(size_t)t * PORTS + 3] = (int32_t)(t - p->mx);
		if (y + 1 < have.mesh_y)
			p->nb[(size_t)t * PORTS + 4] = (int32_t)(t + p->mx);
	}
	// reset: an edge on rst_ni (every signal starts at 0)
	for (uint32_t t = 0; t < p->n; t++) {
		for (int v : { 1, 0, 1 }) {
			p->r[t]->rst_ni = v;
			p->ni[t]->rst_ni = v;
			p->r[t]->eval();
			p->ni[t]->eval();
		}
	}
	if (wave != nullptr) {
		p->fst.reset(new VerilatedFstC);
		for (uint32_t t = 0; t < p->n; t++) {
			p->r[t]->trace(p->fst.get(), 99);
			p->ni[t]->trace(p->fst.get(), 99);
		}
		p->fst->open(wave);
		if (!p->fst->isOpen()) {
			err = std::string(wave) + ": cannot create the waveform file";
			delete p;
			return nullptr;
		}
		p->wave_from = wave_from;
		p->wave_to = wave_to;
	}
	p->busy.assign(p->n, 0);
	p->tx_pending.assign(p->n, 0);
	p->rx_credit.assign(p->n, 0);
	p->refused_at.assign(p->n, UINT64_MAX);
	p->waiting.assign(p->n, 0);
	p->ni_refused.assign(p->n, 0);
	p->active.assign(p->n, 0);
	p->link.assign((size_t)p->n * PORTS, 0);
	return std::unique_ptr<rtl_noc>(new rtl_noc(p));
}

rtl_noc::rtl_noc(impl *p) : p_(p) {}

rtl_noc::~rtl_noc()
{
	if (p_->fst)
		p_->fst->close();
	for (auto &m : p_->r)
		m->final();
	for (auto &m : p_->ni)
		m->final();
}

uint64_t rtl_noc::now() const
{
	return p_->now;
}

int rtl_noc::inject(const spk_packet &pk)
{
	impl &s = *p_;
	uint32_t t = pk.src, id;
	Vni &ni = *s.ni[t];

	assert(t < s.n && pk.dst < s.n && pk.mc == 0);
	if (s.refused_at[t] != UINT64_MAX) {
		// offered again after a refusal: count the offers of the cycles slept through
		uint64_t since = s.refused_at[t];

		if (s.gap_refusals && s.now > since) {
			s.st.inject_refused += s.now - since - 1;
			s.ni_refused[t] += s.now - since - 1;
		}
		s.refused_at[t] = UINT64_MAX;
	}
	if (!ni.tx_ready_o || s.tx_pending[t]) {
		// a second offer in one cycle would be a second flit on one link: refused too
		s.st.inject_refused++;
		s.ni_refused[t]++;
		s.refused_at[t] = s.now;
		s.waiting[t] = 1;
		return -EAGAIN;
	}
	assert(pk.axon >> s.prm.payload_bits == 0 && "payload wider than the head flit's field");
	assert(pk.flits == (pk.kind == SPK_PACKET_GRADED ? s.prm.graded_flits : 1u));
	if (s.free_ids.empty()) {
		s.pkt.push_back(entry{});
		s.free_ids.push_back((uint32_t)s.pkt.size() - 1);
	}
	id = s.free_ids.back();
	s.free_ids.pop_back();
	s.pkt[id] = entry{ pk, s.now, true };
	ni.tx_valid_i = 1;
	ni.tx_kind_i = pk.kind;
	ni.tx_mc_i = 0;
	ni.tx_addr_i = (uint32_t)spk_rtl_tile_addr(&s.prm, pk.dst % s.mx, pk.dst / s.mx);
	ni.tx_tag_i = pk.tag;
	ni.tx_payload_i = pk.axon;
	ni.tx_value_i = (uint32_t)pk.value;
	ni.tx_id_i = id;
	s.tx_pending[t] = 1;
	s.n_tx++;
	s.st.packets_injected++;
	s.st.flits_injected += pk.flits;
	return 0;
}

void rtl_noc::eject_credit(uint32_t tile, uint32_t flits)
{
	impl &s = *p_;

	assert(tile < s.n);
	if (flits == 0)
		return;
	if (s.rx_credit[tile] == 0)
		s.n_credit++;
	s.rx_credit[tile] += flits;
}

// The packet arriving at tile t in cycle now (x + 1): the NI's outputs after the edge of x.
void rtl_noc::impl::deliver(uint32_t t)
{
	Vni &m = *ni[t];
	uint32_t id = m.rx_id_o;
	spk_noc_delivery d;
	char why[256] = "";

	if (id >= pkt.size() || !pkt[id].used) {
		snprintf(why, sizeof(why), "tile %u received a packet with id %u, which is not in flight",
			 t, id);
	} else {
		const spk_packet &p = pkt[id].p;
		uint32_t sx = p.src % mx, sy = p.src / mx, dx = t % mx, dy = t / mx;
		uint64_t lat;

		if (p.dst != t)
			snprintf(why, sizeof(why), "packet %u for tile %u arrived at tile %u", id, p.dst, t);
		else if (m.rx_kind_o != p.kind || m.rx_tag_o != p.tag || m.rx_axon_o != p.axon ||
			 m.rx_addr_o != spk_rtl_tile_addr(&prm, dx, dy) ||
			 (p.kind == SPK_PACKET_GRADED && (int32_t)m.rx_value_o != p.value))
			snprintf(why, sizeof(why),
				 "packet %u (tile %u to %u) arrived as kind %u tag %u axon %u value %d "
				 "address 0x%x; injected as kind %u tag %u axon %u value %d", id, p.src,
				 t, m.rx_kind_o, m.rx_tag_o, m.rx_axon_o, (int32_t)m.rx_value_o,
				 m.rx_addr_o, p.kind, p.tag, p.axon, p.value);
		d.pkt = p;
		d.inject_cycle = pkt[id].inject;
		d.arrival_cycle = now;	// now = x + 1 here (step 4 of eval_cycle)
		lat = d.arrival_cycle - d.inject_cycle;
		st.packets_delivered++;
		st.latency_sum += lat;
		st.latency_max = std::max(st.latency_max, lat);
		st.hops += (sx > dx ? sx - dx : dx - sx) + (sy > dy ? sy - dy : dy - sy);
		pkt[id].used = false;
		free_ids.push_back(id);
		deliv.push_back(d);
	}
	if (why[0] != '\0' && failure.empty())
		failure = std::string("RTL network, cycle ") + std::to_string(now) + ": " + why;
}

void rtl_noc::impl::eval_cycle()
{
	const uint64_t x = now;
	const size_t deliv0 = deliv.size();

	ready.clear();
	// who acts in x: tiles holding something, offered a packet, given credits, or receiving a
	// flit from a neighbour's output link
	act.clear();
	for (uint32_t t = 0; t < n; t++) {
		if (!busy[t] && !tx_pending[t] && rx_credit[t] == 0)
			continue;
		activate(t);
		if (busy[t])
			for (unsigned o = 1; o < PORTS; o++)
				if (r[t]->out_valid_o >> o & 1u)
					activate((uint32_t)nb[(size_t)t * PORTS + o]);
	}
	st.cycles_evaluated++;

	// 1. inputs of x, clock low: combinational outputs of x
	for (uint32_t t : act) {
		Vrouter &rt = *r[t];
		Vni &m = *ni[t];
		uint8_t valid = 0;

		if (!tx_pending[t])
			m.tx_valid_i = 0;
		m.rx_credit_i = rx_credit[t];
		m.ej_valid_i = rt.out_valid_o & 1u;
		copy_bits(m.ej_flit_i, 0, rt.out_flit_o, 0, L);
		m.inj_credit_i = 0;
		m.clk_i = 0;
		m.eval();
		valid = m.inj_valid_o;
		copy_bits(rt.in_flit_i, 0, m.inj_flit_o, 0, L);
		for (unsigned p = 1; p < PORTS; p++) {
			int32_t u = nb[(size_t)t * PORTS + p];
			unsigned o = opposite(p);

			if (u < 0 || !(r[u]->out_valid_o >> o & 1u))
				continue;
			valid |= (uint8_t)(1u << p);
			copy_bits(rt.in_flit_i, p * L, r[u]->out_flit_o, o * L, L);
		}
		rt.in_valid_i = valid;
		rt.eject_credit_i = m.ej_credit_o;
		rt.out_credit_i = 0;
		rt.clk_i = 0;
		rt.eval();
		st.stall_cycles += rt.stalls_o;
		st.router_evals++;
	}
	dump(x, 10 * x);

	// 2. credits back upstream; a tile receiving one acts in x too
	for (size_t i = 0; i < act.size(); i++) {
		uint32_t t = act[i];
		uint8_t c = r[t]->in_credit_o;

		if (c & 1u)
			ni[t]->inj_credit_i = 1;
		for (unsigned p = 1; p < PORTS; p++) {
			int32_t u = nb[(size_t)t * PORTS + p];

			if (!(c >> p & 1u))
				continue;
			assert(u >= 0);
			if (!active[u]) {
				// idle: nothing on its links, no offer, no credit
				Vrouter &ru = *r[u];

				activate((uint32_t)u);
				ni[u]->tx_valid_i = 0;
				ni[u]->rx_credit_i = 0;
				ni[u]->ej_valid_i = 0;
				ni[u]->inj_credit_i = 0;
				ni[u]->clk_i = 0;
				ni[u]->eval();
				ru.in_valid_i = 0;
				ru.eject_credit_i = 0;
				ru.out_credit_i = 0;
				ru.clk_i = 0;
				ru.eval();
			}
			// out_credit_i is [4:1]: output o is bit o - 1 of the Verilated port
			r[u]->out_credit_i |= (uint8_t)(1u << (opposite(p) - 1));
		}
	}

	// 3. the end of x
	for (uint32_t t : act) {
		r[t]->clk_i = 1;
		r[t]->eval();
		ni[t]->clk_i = 1;
		ni[t]->eval();
		if (tx_pending[t]) {
			tx_pending[t] = 0;
			n_tx--;
		}
		if (rx_credit[t] != 0) {
			rx_credit[t] = 0;
			n_credit--;
		}
	}
	now = x + 1;

	// 4. after the edge: flits granted in x, arrivals in x + 1, peaks, who is busy
	for (uint32_t t : act) {
		Vrouter &rt = *r[t];
		Vni &m = *ni[t];
		uint8_t v = rt.out_valid_o;

		for (unsigned o = 0; o < PORTS; o++)
			if (v >> o & 1u)
				link[(size_t)t * PORTS + o]++;
		for (unsigned p = 0; p < PORTS; p++) {
			uint32_t c = (uint32_t)spk_vl::get(rt.count_o, p * prm.count_bits, prm.count_bits);

			if (c > st.buffer_peak)
				st.buffer_peak = c;
		}
		m.tx_valid_i = 0;
		m.rx_credit_i = 0;
		if (v & 1u) {
			m.ej_valid_i = 1;
			copy_bits(m.ej_flit_i, 0, rt.out_flit_o, 0, L);
			m.eval();
			if (m.rx_valid_o)
				deliver(t);
		}
		if (waiting[t] && m.tx_ready_o) {
			waiting[t] = 0;
			ready.push_back(t);
		}
		set_busy(t, rt.busy_o || m.busy_o);
		active[t] = 0;
	}
	dump(x, 10 * x + 5);
	std::sort(ready.begin(), ready.end());
	// deliveries of one cycle in tile order, as the C network gives them
	std::sort(deliv.begin() + (long)deliv0, deliv.end(),
		  [](const spk_noc_delivery &a, const spk_noc_delivery &b) {
			  return a.pkt.dst < b.pkt.dst;
		  });
}

void rtl_noc::run(uint64_t until, unsigned flags)
{
	impl &s = *p_;

	if (flags & SPK_NOC_STOP_AT_NI_READY)
		s.gap_refusals = true;
	s.ready.clear();
	if (!s.failure.empty())
		return;
	while (s.now < until) {
		size_t before = s.deliv.size();

		if (!s.has_work()) {
			s.now = until;	// nothing changes while nothing is anywhere
			break;
		}
		s.eval_cycle();
		if (!s.failure.empty())
			break;
		if ((flags & SPK_NOC_STOP_AT_DELIVERY) && s.deliv.size() > before)
			break;
		if ((flags & SPK_NOC_STOP_AT_NI_READY) && !s.ready.empty())
			break;
	}
}

const uint32_t *rtl_noc::ni_ready(size_t *n) const
{
	*n = p_->ready.size();
	return p_->ready.data();
}

size_t rtl_noc::pending() const
{
	return p_->deliv.size() - p_->deliv_read;
}

size_t rtl_noc::collect(spk_noc_delivery *out, size_t max)
{
	impl &s = *p_;
	size_t k = std::min(max, s.deliv.size() - s.deliv_read);

	std::copy(s.deliv.begin() + (long)s.deliv_read, s.deliv.begin() + (long)(s.deliv_read + k),
		  out);
	s.deliv_read += k;
	if (s.deliv_read == s.deliv.size()) {
		s.deliv.clear();
		s.deliv_read = 0;
	}
	return k;
}

uint64_t rtl_noc::next_cycle() const
{
	return p_->has_work() ? p_->now : UINT64_MAX;
}

void rtl_noc::get_stats(spk_noc_stats *st) const
{
	const impl &s = *p_;

	*st = s.st;
	st->cycles = s.now;
	st->router_flits = st->link_flits = st->flits_delivered = 0;
	st->busiest_link = 0;
	st->busiest_link_flits = 0;
	for (size_t i = 0; i < s.link.size(); i++) {
		st->router_flits += s.link[i];
		if (i % PORTS == 0) {
			st->flits_delivered += s.link[i];
		} else {
			st->link_flits += s.link[i];
			if (s.link[i] > st->busiest_link_flits) {
				st->busiest_link_flits = s.link[i];
				st->busiest_link = (uint32_t)i;
			}
		}
	}
}

const uint64_t *rtl_noc::link_counts() const
{
	return p_->link.data();
}

const uint64_t *rtl_noc::ni_refused() const
{
	return p_->ni_refused.data();
}

const char *rtl_noc::failure() const
{
	return p_->failure.empty() ? nullptr : p_->failure.c_str();
}

} // namespace spk_rtl
