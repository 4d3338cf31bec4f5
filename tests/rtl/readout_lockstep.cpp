// readout_lockstep.cpp — the Verilated readout (rtl/readout.sv) and its C model (sim/readout.c)
// in lock step (doc/rtl.md "readout"). Random configurations, one after another in one run: 1 to
// MaxMeans mean populations with random phases, channels, thresholds and 1 to 4 incoming routes
// each, T of 1 to 4, a head (random classes, weights, biases; sometimes equal columns or zero
// biases, so that argmax ties happen) on one of them or none. Each is loaded into the C model
// (spk_readout_create) and, through rtl/readout_load.c and the load port, into the RTL.
//
// Stimulus: a source per incoming route sends, per step, partial sums for random channels of its
// population and then its token, and sends the next step only after the readout's release of
// this one went out (the flow control of doc/architecture.md §9). The NI delivers the sources'
// packets in random order (each source's in order) within the credits the readout gave back,
// and refuses the readout's releases at random (the load level changes every few thousand
// cycles).
//
// Compared every cycle: the packet offered to the NI (valid and every field), the credits, the
// spikes reported (population, step, channel), the class out (image, class, every score); after
// each clock edge, every counter. The first divergence is reported with the cycle, the signal,
// expected (C) and got (RTL), and the stimulus of the cycles before; exit 1.
//
// usage: readout_lockstep [--cycles N] [--seed S]
#include "Vreadout.h"

extern "C" {
#include "arch/arch.h"
#include "rtl/readout_load.h"
#include "rtl/rtl_params.h"
#include "sim/readout.h"
#include "util/rng.h"
}

#include <verilated.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#ifndef RO_FIFO
#error "RO_*: the model's parameters (rtl/readout.mk)"
#endif

namespace {

const spk_rtl_readout_params kRp = { RO_FIFO, RO_ROUTES, RO_MEANS, RO_CHANNELS, RO_CLASSES,
				     RO_NU, RO_ADDERS, RO_MB };

struct rng {
	uint64_t s;
	uint64_t next() { return spk_rng_splitmix(&s); }
	uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }
	int32_t range(int32_t lo, int32_t hi) { return lo + (int32_t)below((uint32_t)(hi - lo + 1)); }
	bool chance(unsigned pct) { return below(100) < pct; }
};

// one configuration's arrays (the C config points into them)
struct config {
	spk_readout_config cfg{};
	std::vector<spk_readout_mean> means;
	std::vector<std::vector<int64_t>> theta;
	std::vector<spk_unit_in_route> in;
	spk_readout_head head{};
	std::vector<int16_t> hw;
	std::vector<int64_t> hb;
	std::vector<uint32_t> route_mean;
};

struct source {			// upstream of one incoming route
	uint32_t mean;
	uint64_t step = 0;	// next step to send
	bool released = true;	// may send it
	std::deque<spk_packet> q;
};

struct offer {
	bool valid = false;
	uint32_t kind = 0, addr = 0, tag = 0, payload = 0;
};

struct spike {
	uint32_t pop;
	uint64_t step;
	uint32_t neuron;
	bool operator!=(const spike &o) const
	{
		return pop != o.pop || step != o.step || neuron != o.neuron;
	}
};

struct harness {
	spk_rtl_params np{};
	Vreadout *top = nullptr;
	rng g;
	uint64_t cycle = 0;
	config c;
	spk_readout *r = nullptr;
	std::vector<source> src;
	unsigned credits = 0;
	unsigned refuse_pct = 10, deliver_pct = 60;
	std::deque<std::string> history;
	// what the C model did in this cycle
	offer c_offer;
	bool ready = true;
	uint32_t c_credit = 0;
	std::vector<spike> c_spikes;
	bool c_class = false;
	uint64_t c_image = 0;
	uint32_t c_cls = 0;
	std::vector<int64_t> c_scores;
	// totals over the run
	uint64_t n_cfg = 0, n_fires = 0, n_images = 0, n_rel = 0, n_refused = 0, n_spikes = 0;
	uint64_t n_delivered = 0, n_idle = 0;

	static int c_send(void *ctx, const spk_packet *p)
	{
		harness *h = (harness *)ctx;

		h->c_offer.valid = true;
		h->c_offer.kind = p->kind;
		h->c_offer.addr = (uint32_t)spk_rtl_tile_addr(&h->np, p->dst % h->np.mesh_x,
							       p->dst / h->np.mesh_x);
		h->c_offer.tag = p->tag;
		h->c_offer.payload = p->axon;
		return h->ready ? 0 : -EAGAIN;
	}
	static void c_credit_fn(void *ctx, uint32_t flits) { ((harness *)ctx)->c_credit += flits; }
	static void c_spike(void *ctx, uint32_t pop, uint64_t step, uint32_t neuron)
	{
		((harness *)ctx)->c_spikes.push_back({ pop, step, neuron });
	}
	static void c_class_fn(void *ctx, uint64_t image, uint32_t cls, uint64_t cyc,
			       const int64_t *scores)
	{
		harness *h = (harness *)ctx;

		(void)cyc;
		h->c_class = true;
		h->c_image = image;
		h->c_cls = cls;
		h->c_scores.assign(scores, scores + h->c.head.classes);
	}
	static void load_write(void *ctx, uint32_t addr, uint64_t data)
	{
		harness *h = (harness *)ctx;

		h->top->load_we_i = 1;
		h->top->load_addr_i = addr;
		h->top->load_data_i = data;
		h->clock();
		h->top->load_we_i = 0;
	}

	[[noreturn]] void diverge(const char *sig, uint64_t want, uint64_t got)
	{
		fprintf(stderr,
			"readout_lockstep: first divergence at cycle %" PRIu64 " (configuration %" PRIu64
			"), signal %s: expected (C model) 0x%" PRIx64 ", got (RTL) 0x%" PRIx64 "\n",
			cycle, n_cfg, sig, want, got);
		for (const std::string &s : history)
			fprintf(stderr, "  %s\n", s.c_str());
		exit(1);
	}
	void check(const char *sig, uint64_t want, uint64_t got)
	{
		if (want != got)
			diverge(sig, want, got);
	}

	void clock()
	{
		top->clk_i = 1;
		top->eval();
		top->clk_i = 0;
		top->eval();
	}

	// a random configuration within the RTL's parameters
	void make_config()
	{
		c = config{};
		uint32_t n_means = 1 + g.below(kRp.max_means);
		uint32_t max_ch = kRp.max_channels < 40 ? kRp.max_channels : 40;

		c.cfg.tile = g.below(np.mesh_x * np.mesh_y);
		c.cfg.time_steps = 1 + g.below(4);
		c.cfg.adders = kRp.adders;
		c.cfg.neuron_updates = kRp.neuron_updates;
		c.cfg.input_fifo = kRp.fifo_flits;
		c.cfg.flit_bits = np.flit_bits;
		c.cfg.membrane_bits = (int)kRp.membrane_bits;
		c.means.resize(n_means);
		c.theta.resize(n_means);
		for (uint32_t m = 0; m < n_means; m++) {
			spk_readout_mean &mn = c.means[m];

			mn.pop = 10 + m;
			mn.phase = g.below(3);	// equal phases happen: then the lowest step
			mn.channels = 1 + g.below(max_ch);
			mn.axon_base = m * 1000 + g.below(100);
			c.theta[m].resize(mn.channels);
			for (uint32_t ch = 0; ch < mn.channels; ch++)
				c.theta[m][ch] = g.range(-20, 300);
		}
		for (uint32_t m = 0; m < n_means; m++) {
			uint32_t k = 1 + g.below(4);

			for (uint32_t j = 0; j < k && c.in.size() < kRp.in_routes; j++) {
				spk_unit_in_route ir{};
				ir.kind = SPK_IN_MEAN;
				ir.src_tile = g.below(np.mesh_x * np.mesh_y);
				ir.src_route = 7 * (uint32_t)c.in.size() + 3;	// unique: finds the route
				ir.pop = c.means[m].pop;
				c.in.push_back(ir);
				c.route_mean.push_back(m);
			}
		}
		for (uint32_t m = 0; m < n_means; m++)
			c.means[m].theta = c.theta[m].data();
		c.cfg.n_means = n_means;
		c.cfg.means = c.means.data();
		c.cfg.n_in = (uint32_t)c.in.size();
		c.cfg.in = c.in.data();
		if (g.chance(85)) {
			uint32_t hm = g.below(n_means), ch = c.means[hm].channels;

			c.head.mean = hm;
			c.head.classes = 1 + g.below(kRp.max_classes);
			c.hw.resize((size_t)ch * c.head.classes);
			for (auto &w : c.hw)
				w = (int16_t)g.range(-400, 400);
			bool equal = g.chance(40);
			if (equal)	// equal columns: ties
				for (uint32_t x = 0; x < ch; x++)
					for (uint32_t k = 1; k < c.head.classes; k++)
						c.hw[(size_t)x * c.head.classes + k] =
							c.hw[(size_t)x * c.head.classes];
			c.hb.resize(c.head.classes);
			bool zero = g.chance(equal ? 70 : 20);
			for (auto &b : c.hb)
				b = zero ? 0 : g.range(-3000, 3000);
			c.head.w = c.hw.data();
			c.head.bias = c.hb.data();
			c.cfg.head = &c.head;
		}
		c.cfg.class_out = c_class_fn;
		c.cfg.class_ctx = this;
	}

	// a new configuration: reset the RTL, load both
	void start()
	{
		char err[256];

		make_config();
		if (r != nullptr)
			spk_readout_destroy(r);
		r = spk_readout_create(&c.cfg, err, sizeof(err));
		if (r == nullptr) {
			fprintf(stderr, "readout_lockstep: the C model refused a configuration: %s\n", err);
			exit(2);
		}
		// loading happens with the readout held in reset
		top->rst_ni = 0;
		top->eval();
		// loaded from the model's own copy of its configuration, as the co-simulation does
		spk_readout_config own;
		spk_readout_get_config(r, &own);
		if (spk_rtl_readout_load(&own, &kRp, &np, load_write, this, err, sizeof(err)) != 0) {
			fprintf(stderr, "readout_lockstep: the loader refused a configuration: %s\n", err);
			exit(2);
		}
		top->rst_ni = 1;
		top->eval();
		src.assign(c.in.size(), source{});
		for (size_t i = 0; i < src.size(); i++)
			src[i].mean = c.route_mean[i];
		credits = kRp.fifo_flits;
		n_cfg++;
	}

	// the sources' next step, where released
	void produce()
	{
		for (size_t i = 0; i < src.size(); i++) {
			source &s = src[i];
			const spk_readout_mean &mn = c.means[s.mean];

			if (!s.released || !s.q.empty() || !g.chance(30))
				continue;
			uint32_t n = g.below(mn.channels + 1);
			for (uint32_t k = 0; k < n; k++) {
				spk_packet p{};
				p.kind = SPK_PACKET_GRADED;
				p.flits = (uint16_t)np.graded_flits;
				p.tag = (uint8_t)(s.step & 1);
				p.axon = mn.axon_base + g.below(mn.channels);
				p.value = g.range(-150, 400);
				s.q.push_back(p);
			}
			spk_packet t{};
			t.kind = SPK_PACKET_TOKEN;
			t.flits = 1;
			t.tag = (uint8_t)(s.step & 1);
			t.axon = (uint32_t)i;
			s.q.push_back(t);
			s.step++;
			s.released = false;
		}
	}

	void step()
	{
		char buf[200];
		spk_packet d{};
		bool deliver = false;

		if (cycle % 3000 == 0) {
			refuse_pct = g.below(70);
			deliver_pct = 20 + g.below(80);
		}
		produce();
		if (g.chance(deliver_pct)) {
			uint32_t i = g.below((uint32_t)src.size());

			for (uint32_t k = 0; k < src.size() && !deliver; k++, i = (i + 1) % src.size())
				if (!src[i].q.empty() && src[i].q.front().flits <= credits) {
					d = src[i].q.front();
					src[i].q.pop_front();
					deliver = true;
				}
		}
		ready = !g.chance(refuse_pct);
		snprintf(buf, sizeof(buf), "cycle %" PRIu64 ":%s kind %u tag %u axon %u value %d%s",
			 cycle, deliver ? " deliver" : "", d.kind, d.tag, d.axon, d.value,
			 ready ? "" : " refuse");
		history.push_back(buf);
		if (history.size() > 8)
			history.pop_front();

		// the C model: deliver, then evaluate the cycle
		spk_unit_port port = { c_send, c_credit_fn, c_spike, this, nullptr };
		c_offer = offer{};
		c_credit = 0;
		c_spikes.clear();
		c_class = false;
		if (deliver) {
			spk_readout_deliver(r, &d, cycle);
			credits -= d.flits;
			n_delivered++;
		}
		spk_readout_eval(r, cycle, &port);

		// the RTL
		top->rx_valid_i = deliver;
		top->rx_kind_i = d.kind;
		top->rx_tag_i = d.tag;
		top->rx_axon_i = d.axon;
		top->rx_value_i = (uint32_t)d.value;
		top->tx_ready_i = ready;
		top->eval();

		check("tx_valid_o", c_offer.valid, top->tx_valid_o);
		if (c_offer.valid) {
			check("tx_kind_o", c_offer.kind, top->tx_kind_o);
			check("tx_mc_o", 0, top->tx_mc_o);
			check("tx_addr_o", c_offer.addr, top->tx_addr_o);
			check("tx_tag_o", c_offer.tag, top->tx_tag_o);
			check("tx_payload_o", c_offer.payload, top->tx_payload_o);
		}
		check("rx_credit_o", c_credit, top->rx_credit_o);
		std::vector<spike> got;
		if (top->spike_valid_o)
			for (uint32_t l = 0; l < kRp.neuron_updates; l++)
				if (top->spike_mask_o >> l & 1)
					got.push_back({ c.means[top->spike_mean_o].pop,
							top->spike_step_o, top->spike_c0_o + l });
		check("spikes in the cycle", c_spikes.size(), got.size());
		for (size_t i = 0; i < got.size(); i++) {
			check("spike population", c_spikes[i].pop, got[i].pop);
			check("spike step", c_spikes[i].step, got[i].step);
			check("spike channel", c_spikes[i].neuron, got[i].neuron);
		}
		n_spikes += got.size();
		check("class_valid_o", c_class, top->class_valid_o);
		if (c_class) {
			check("class_image_o", c_image, top->class_image_o);
			for (uint32_t k = 0; k < c.head.classes; k++) {
				top->score_sel_i = k;
				top->eval();
				check("score_o", (uint64_t)c_scores[k], top->score_o);
			}
			check("class_o", c_cls, top->class_o);
			n_images++;
		}
		clock();

		spk_readout_stats st;
		spk_readout_get_stats(r, &st);
		check("packets_in_o", st.packets_in, top->packets_in_o);
		check("graded_in_o", st.graded_in, top->graded_in_o);
		check("graded_adds (graded_in_o)", st.ev.graded_adds, top->graded_in_o);
		check("tokens_in_o", st.tokens_in, top->tokens_in_o);
		check("fires_o", st.fires, top->fires_o);
		check("fire_cycles_o", st.fire_cycles, top->fire_cycles_o);
		check("head_cycles_o", st.head_cycles, top->head_cycles_o);
		check("images_o", st.images, top->images_o);
		check("sops_o", st.ev.sops, top->sops_o);
		check("neuron_updates_o", st.ev.neuron_updates, top->neuron_updates_o);
		check("packets_out_o", st.ev.packets_out, top->packets_out_o);
		check("send_refused_o", st.send_refused, top->send_refused_o);
		check("fifo_peak_o", st.fifo_peak, top->fifo_peak_o);

		// busy_o low (nothing arriving) means the C model has nothing to do either: the
		// co-simulation skips those cycles
		top->rx_valid_i = 0;
		top->eval();
		if (!top->busy_o && (!spk_readout_quiet(r) || spk_readout_next_cycle(r) != UINT64_MAX))
			diverge("busy_o (low while the C model has work)", 1, 0);
		n_idle += !top->busy_o;

		// the NI took a release: its source may send the next step
		if (c_offer.valid && ready && c_offer.kind == SPK_PACKET_RELEASE) {
			uint32_t i = (c_offer.payload - 3) / 7;

			if (i >= src.size() || src[i].released) {
				fprintf(stderr, "readout_lockstep: a release for no waiting route\n");
				exit(1);
			}
			src[i].released = true;
			n_rel++;
		}
		n_refused += c_offer.valid && !ready;
		credits += c_credit;
		cycle++;
	}
};

} // namespace

int main(int argc, char **argv)
{
	uint64_t cycles = 100000, seed = 1, per_cfg = 10000;
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cycles") && i + 1 < argc)
			cycles = strtoull(argv[++i], nullptr, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], nullptr, 10);
		else if (!strcmp(argv[i], "--help")) {
			printf("usage: readout_lockstep [--cycles N] [--seed S]\n");
			return 0;
		} else {
			fprintf(stderr, "readout_lockstep: unknown option '%s' (try --help)\n",
				argv[i]);
			return 2;
		}
	}

	Verilated::randReset(0);
	harness h;
	spk_arch a;
	err[0] = '\0';
	if (spk_arch_init_defaults(&a) != 0 ||
	    spk_rtl_params_from_arch(&h.np, &a, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "readout_lockstep: the default architecture: %s\n", err);
		return 2;
	}
	h.top = new Vreadout;
	h.g.s = seed;
	h.top->clk_i = 0;

	// the loader refuses what the RTL cannot hold, writing nothing
	{
		spk_readout_config bad{};
		bad.input_fifo = kRp.fifo_flits;
		bad.neuron_updates = kRp.neuron_updates;
		bad.adders = kRp.adders;
		bad.membrane_bits = (int)kRp.membrane_bits;
		bad.n_means = kRp.max_means + 1;
		int writes = 0;
		auto count = [](void *ctx, uint32_t, uint64_t) { ++*(int *)ctx; };
		if (spk_rtl_readout_load(&bad, &kRp, &h.np, count, &writes, err, sizeof(err)) !=
			    -EINVAL ||
		    writes != 0 || strstr(err, "mean populations") == nullptr) {
			fprintf(stderr, "readout_lockstep: the loader took a readout too large\n");
			return 1;
		}
	}

	uint64_t fires = 0;
	for (uint64_t x = 0; x < cycles; x++) {
		if (x % per_cfg == 0) {
			if (h.r != nullptr) {
				spk_readout_stats st;
				spk_readout_get_stats(h.r, &st);
				fires += st.fires;
			}
			h.start();
		}
		h.step();
	}
	spk_readout_stats st;
	spk_readout_get_stats(h.r, &st);
	fires += st.fires;
	printf("readout_lockstep (input_fifo %u, %u routes, %u means x %u channels, %u classes, "
	       "neuron_updates %u, adders %u, membrane_bits %u, seed %" PRIu64 "): %" PRIu64
	       " cycles in lock step over %" PRIu64 " configurations; %" PRIu64 " packets delivered, %"
	       PRIu64 " fires, %" PRIu64 " spikes, %" PRIu64 " classes out, %" PRIu64
	       " releases sent, %" PRIu64 " refused, %" PRIu64 " idle cycles\n",
	       kRp.fifo_flits, kRp.in_routes, kRp.max_means, kRp.max_channels, kRp.max_classes,
	       kRp.neuron_updates, kRp.adders, kRp.membrane_bits, seed, cycles, h.n_cfg,
	       h.n_delivered, fires, h.n_spikes, h.n_images, h.n_rel, h.n_refused, h.n_idle);
	if (fires < cycles / 1000 || h.n_images < cycles / 5000 || h.n_spikes == 0 ||
	    h.n_refused == 0 || h.n_idle == 0) {
		fprintf(stderr, "readout_lockstep: the stimulus exercised too little\n");
		return 1;
	}
	spk_readout_destroy(h.r);
	delete h.top;
	return 0;
}
