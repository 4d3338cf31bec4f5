// encoder_lockstep.cpp — the Verilated encoder (rtl/encoder.sv) and its C model
// (sim/encoder.c) in lock step: the same configuration (loaded into the RTL through its load
// port by spk_rtl_encoder_load(), rtl/encoder_load.h), the same images put in in the same
// cycles, the same releases arriving in the same cycles, the same NI acceptances; every cycle
// the packet offered to the NI (valid and every field), the input-FIFO credits returned and
// the image port's ready are compared, and every counter of struct spk_encoder_stats every
// 1024 cycles and at the end of each configuration (doc/rtl.md "encoder").
//
// A run is a series of random configurations (eight, or one per 50000 cycles from 400000 on;
// the first the default preset's stem: 28x28, 7x7 stride 2, 16 channels, 64 MACs per cycle;
// the second back-pressure: one queue entry, 64 lanes, a slow NI; then random sizes, MACs per
// cycle, queue sizes down to one entry, several ENCODER routes), each for an equal share of
// --cycles, the RTL reset between them. The stimulus keeps the protocol: an image's pixels are
// written through the load port into its bank (image n in bank n mod 3) once image n − 3 is
// done, up to three images ahead while earlier ones are computed or wait in the port; the
// image is put in (C: image_in) in a later cycle, when the port is free; the destinations are small models that take the encoder's packets when the NI does
// (a random ready per cycle, at a per-configuration load level) and, once a route's token of
// image i is taken, send its release (tag i mod 2) after a random delay; a release is delivered
// only within the credits the encoder returned. Weights, multipliers and biases are drawn so
// that zero elements (skipped), clamped values (graded_clamped) and stalls behind a full queue
// all happen.
//
// Before the first configuration runs, the loader must refuse, naming what, nine variants of it
// that do not fit the RTL (the default preset's NoC and the module's default sizes only). A
// build with other sizes (SPK_ENCODER_TEST_SIZES) draws configurations that fit them, the stem
// only where it fits.
//
// The first divergence is reported with the cycle, the signal, the expected (C model) and got
// (RTL) values and the stimulus of the cycles before; exit status 1. Exit 0 after --cycles
// cycles, with the counts of what was exercised, which must reach minimums (images, graded
// events, tokens, releases, stalls, refusals, clamps, several configurations).
//
// usage: encoder_lockstep --arch FILE [--cycles N] [--seed S]
#include "Vencoder.h"

#include "rtl/encoder_load.h"

extern "C" {
#include "arch/arch.h"
#include "rtl/rtl_params.h"
#include "sim/encoder.h"
#include "util/rng.h"
}

#include <verilated.h>

#include "tests/rtl/lockstep.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

struct rng {
	uint64_t s;
	uint64_t next() { return spk_rng_splitmix(&s); }
	uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }
	int64_t range(int64_t lo, int64_t hi) { return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1)); }
	bool chance(unsigned pct) { return below(100) < pct; }
};

// one configuration's data, owned here (the C config points into it)
struct setup {
	spk_encoder_config cfg{};
	std::vector<int16_t> w;
	std::vector<int32_t> zero;
	std::vector<int64_t> mult, bias;
	std::vector<spk_unit_route> routes;
	unsigned ready_pct = 100;	// NI load: chance the NI takes an offer
	unsigned rel_delay = 0;		// most cycles between a token and its release
	unsigned px_mode = 0;		// 0 random pixels, 1 mostly the zero point
	unsigned write_ahead = 1;	// images written before they are put in, 1..PixBanks
	unsigned put_pct = 100;		// chance an image ready to go is put in in a cycle
};

struct offer {			// what the C model offered in this cycle
	bool valid;
	spk_packet pk;
};

struct release {
	uint64_t due;
	uint32_t route;
	uint8_t tag;
};

struct totals {
	uint64_t cycles = 0, images = 0, outputs = 0, tokens = 0, releases = 0, stalls = 0,
		 refused = 0, clamped = 0, configs = 0, macs = 0, stat_checks = 0,
			 ahead_words = 0;
};

struct harness {
	spk_rtl_params noc;
	spk_rtl_encoder_params rp;
	bool sizes = false;		// rp is not rtl/encoder.sv's defaults (SPK_ENCODER_TEST_SIZES)
	Vencoder *top = nullptr;
	spk_encoder *enc = nullptr;
	rng g;
	setup su;
	uint64_t cycle = 0;		// global cycle (for reports)
	uint64_t x = 0;			// cycle of this configuration
	offer off;
	bool ready_now = false;
	bool evaluated = false;		// the C model was evaluated in the last cycle
	bool stats_due = false;
	bool big = false;		// this configuration is at the parameters' edges
	uint32_t credits_c = 0;		// credits the C model returned in this cycle
	uint32_t credits = 0;		// the harness's: flits the encoder can still take
	std::deque<release> rel;	// releases on their way to the encoder, in due order
	uint64_t tokens_taken = 0;	// tokens the NI took (the k-th is route k mod n_routes)
	// images written (or being written: the last) through the load port, not yet put in
	struct ahead_img {
		std::vector<uint8_t> px;
		uint64_t ready_at;	// may be put in from this cycle
	};
	std::deque<ahead_img> ahead;
	uint64_t written = 0;		// images whose pixels were begun
	size_t px_next = 0;
	bool px_writing = false;
	std::deque<std::string> history;
	totals tot;
	char err[512];

	static int c_send(void *ctx, const spk_packet *p)
	{
		harness *h = static_cast<harness *>(ctx);

		h->off.valid = true;
		h->off.pk = *p;
		return h->ready_now ? 0 : -EAGAIN;
	}

	static void c_credit(void *ctx, uint32_t flits)
	{
		static_cast<harness *>(ctx)->credits_c += flits;
	}

	static void rtl_write(void *ctx, uint32_t addr, uint64_t data)
	{
		harness *h = static_cast<harness *>(ctx);

		h->top->load_we_i = 1;
		h->top->load_addr_i = addr;
		h->top->load_data_i = data;
		h->clock();
		h->top->load_we_i = 0;
	}

	void clock()
	{
		top->clk_i = 0;
		top->eval();
		top->clk_i = 1;
		top->eval();
	}

	void reset()
	{
		top->rst_ni = 1;	// a falling edge: the reset is asynchronous
		top->eval();
		top->rst_ni = 0;
		top->clk_i = 0;
		top->rx_valid_i = 0;
		top->tx_ready_i = 0;
		top->img_valid_i = 0;
		top->load_we_i = 0;
		top->eval();
		top->rst_ni = 1;
		top->eval();
	}

	// ---- configurations -------------------------------------------------------------
	void draw_routes()
	{
		const spk_encoder_config &c = su.cfg;
		const uint32_t rmax = big ? 4 : 3;
		uint32_t cmax = big ? 8 : 3;

		if (cmax * rmax > rp.routes)	// a build with fewer route entries
			cmax = rp.routes / rmax;
		uint32_t ncg = 1 + g.below(c.channels < cmax ? c.channels : cmax);
		uint32_t nrg = 1 + g.below(c.h_out < rmax ? c.h_out : rmax);
		std::vector<uint32_t> cb{ c.c0 }, rb{ 0 };

		// split the channels and the rows into blocks at distinct random points
		for (uint32_t i = 1; i < ncg; i++)
			cb.push_back(c.c0 + i * c.channels / ncg);
		cb.push_back(c.c0 + c.channels);
		for (uint32_t i = 1; i < nrg; i++)
			rb.push_back(i * c.h_out / nrg);
		rb.push_back(c.h_out);
		su.routes.clear();
		for (uint32_t i = 0; i + 1 < cb.size(); i++)
			for (uint32_t j = 0; j + 1 < rb.size(); j++) {
				spk_unit_route r{};

				if (cb[i] == cb[i + 1] || rb[j] == rb[j + 1])
					continue;
				r.dst_tile = g.below(noc.mesh_x * noc.mesh_y);
				r.dst_route = g.below(1024);
				r.c0 = cb[i];
				r.c1 = cb[i + 1];
				r.y0 = rb[j];
				r.y1 = rb[j + 1];
				r.pc0 = r.c0 - g.below(r.c0 + 1 < 3 ? r.c0 + 1 : 3);
				r.py0 = r.y0 - g.below(r.y0 + 1 < 3 ? r.y0 + 1 : 3);
				r.prows = r.y1 - r.py0 + g.below(3);
				r.axon_base = g.below(1u << 14);
				// sometimes the piece ends at the top of the payload
				uint64_t size = (uint64_t)(r.c1 - r.pc0) * r.prows * c.w_out;
				if (g.chance(20) && size < (UINT64_C(1) << noc.payload_bits))
					r.axon_base = (uint32_t)((UINT64_C(1) << noc.payload_bits) - size);
				su.routes.push_back(r);
			}
		// table order need not follow the blocks
		for (size_t i = su.routes.size(); i > 1; i--)
			std::swap(su.routes[i - 1], su.routes[g.below((uint32_t)i)]);
	}

	void draw(unsigned k)
	{
		spk_encoder_config &c = su.cfg;

		big = false;
		c = spk_encoder_config{};
		c.tile = g.below(noc.mesh_x * noc.mesh_y);
		c.input_fifo = rp.fifo_flits;
		c.flit_bits = noc.flit_bits;
		// the stem where the build holds it (the default sizes), else a random one
		const bool stem_fits = rp.macs >= 64 && rp.out_queue >= 64 && rp.max_pixels >= 784 &&
				       rp.max_weights >= 784 && rp.max_channels >= 16;
		if (k == 0 && stem_fits) {
			// the default preset's stem
			c.macs = 64;
			c.output_queue = 64;
			c.c_in = 1;
			c.h_in = c.w_in = 28;
			c.kernel = 7;
			c.stride = 2;
			c.pad = 3;
			c.channels = 16;
			su.ready_pct = 90;
			su.rel_delay = 50;
		} else {
			static const uint32_t macs[] = { 1, 2, 3, 7, 16, 31, 64 };
			static const unsigned ready[] = { 100, 90, 60, 25, 5 };

			c.macs = std::min(macs[g.below(7)], rp.macs);
			c.output_queue = g.chance(50) ? 1 + g.below(3) : 1 + g.below(rp.out_queue);
			c.c_in = 1 + g.below(rp.max_cin);
			c.kernel = 1 + g.below(5);
			c.stride = 1 + g.below(3);
			c.pad = g.below(c.kernel);
			c.h_in = 1 + g.below(12);
			c.w_in = 1 + g.below(12);
			c.channels = std::min(1 + g.below(8), rp.max_channels);
			su.ready_pct = ready[g.below(5)];
			su.rel_delay = g.chance(30) ? 0 : g.below(400);
			if (k == 1) {		// back-pressure: one entry, a slow NI, many lanes
				c.output_queue = 1;
				c.macs = rp.macs;
				c.kernel = 1 + g.below(2);
				su.ready_pct = 30;
			} else if (g.chance(12)) {	// the parameters' edges: pixels, weights, routes
				big = true;
				c.macs = rp.macs;
				if (g.chance(50)) {	// a large image, large kernel, few outputs
					c.c_in = 1;
					c.h_in = 32 + g.below(33);
					c.w_in = rp.max_pixels / c.h_in;
					c.kernel = c.stride = 4 + g.below(5);
					c.pad = 0;
					c.channels = std::min(2 + g.below(15), rp.max_channels);
				} else {		// many channels and routes
					c.c_in = 1 + g.below(rp.max_cin);
					c.h_in = 2 + g.below(5);
					c.w_in = 2 + g.below(5);
					c.kernel = 1 + g.below(3);
					c.stride = 1;
					c.pad = g.below(c.kernel);
					c.channels = rp.max_channels * 3 / 4 + g.below(rp.max_channels / 4 + 1);
					while (c.c_in * c.kernel * c.kernel * c.channels > rp.max_weights)
						c.kernel--;
					if (c.pad >= c.kernel)
						c.pad = 0;
				}
			}
		}
		// what a smaller build holds (no change at the default sizes): pixels, weights
		while (c.c_in * c.h_in * c.w_in > rp.max_pixels)
			c.w_in > 1 ? c.w_in-- : c.h_in--;
		while (c.c_in * c.kernel * c.kernel * c.channels > rp.max_weights)
			c.kernel > 1 ? c.kernel-- : c.channels--;
		if (c.pad >= c.kernel)
			c.pad = 0;
		// outputs of the conv (at least one row and column: grow the padding if needed)
		while (c.h_in + 2 * c.pad < c.kernel || c.w_in + 2 * c.pad < c.kernel)
			c.pad++;
		c.h_out = (c.h_in + 2 * c.pad - c.kernel) / c.stride + 1;
		c.w_out = (c.w_in + 2 * c.pad - c.kernel) / c.stride + 1;
		if (k > 1 && g.chance(20)) {	// the C model takes any output size: pad beyond
			c.h_out += g.below(3);
			c.w_out += g.below(3);
		}
		c.c0 = g.below(20);
		su.px_mode = g.below(2);
		su.write_ahead = 1 + g.below(rp.pix_banks);
		su.put_pct = g.chance(50) ? 100 : g.chance(50) ? 50 : 10;
		// weights: some zero, some small, some full int16
		su.w.assign((size_t)c.c_in * c.kernel * c.kernel * c.channels, 0);
		unsigned wmode = g.below(3);
		for (int16_t &v : su.w)
			v = g.chance(30) ? 0 :
			    wmode == 0 ? (int16_t)g.range(-3, 3) :
			    wmode == 1 ? (int16_t)g.range(-127, 127) : (int16_t)g.range(-32768, 32767);
		su.zero.resize(c.c_in);
		for (int32_t &z : su.zero)
			z = g.chance(20) ? 0 : g.range(0, 255);
		su.mult.resize(c.channels);
		su.bias.resize(c.channels);
		for (uint32_t o = 0; o < c.channels; o++) {
			unsigned m = g.below(10);

			// mostly multipliers that leave many zeros (E of small |acc| rounds to 0)
			su.mult[o] = m < 5 ? g.range(0, 1 << 16) : m < 8 ? g.range(0, 1 << 24) :
				     m < 9 ? INT32_MAX - g.range(0, 1000) : -(int64_t)g.range(0, 1 << 20);
			unsigned b = g.below(10);
			su.bias[o] = b < 6 ? 0 : b < 8 ? g.range(-100, 100) :
				     b < 9 ? (int64_t)g.range(INT32_MIN, INT32_MAX) :
					     (int64_t)g.range(-(1 << 20), 1 << 20) * (INT64_C(1) << 20);
		}
		if (k == 0)		// every run sees clamps: channel 0's E is beyond int32
			su.bias[0] = g.chance(50) ? INT64_C(1) << 40 : -(INT64_C(1) << 40);
		draw_routes();
		c.w = su.w.data();
		c.zero = su.zero.data();
		c.mult = su.mult.data();
		c.bias = su.bias.data();
		c.routes = su.routes.data();
		c.n_routes = (uint32_t)su.routes.size();
	}

	static void no_write(void *, uint32_t, uint64_t) {}

	// The loader refuses what does not fit the RTL, naming it: each case a valid
	// configuration (the default stem) with one thing changed. Returns 0 or 1.
	int check_loader()
	{
		struct bad {
			const char *what;	// in the message
			void (*change)(spk_encoder_config *, std::vector<int32_t> *,
				       std::vector<int64_t> *, std::vector<spk_unit_route> *);
		};
		static const bad cases[] = {
			{ "input_fifo = 63", [](spk_encoder_config *c, std::vector<int32_t> *,
						std::vector<int64_t> *, std::vector<spk_unit_route> *) {
				  c->input_fifo = 63; } },
			{ "macs = 65", [](spk_encoder_config *c, std::vector<int32_t> *,
					  std::vector<int64_t> *, std::vector<spk_unit_route> *) {
				  c->macs = 65; } },
			{ "output_queue = 65", [](spk_encoder_config *c, std::vector<int32_t> *,
						  std::vector<int64_t> *, std::vector<spk_unit_route> *) {
				  c->output_queue = 65; } },
			{ "h_in = 256", [](spk_encoder_config *c, std::vector<int32_t> *,
					   std::vector<int64_t> *, std::vector<spk_unit_route> *) {
				  c->h_in = 256; } },
			{ "pixels: the RTL holds 4096", [](spk_encoder_config *c,
							   std::vector<int32_t> *,
							   std::vector<int64_t> *,
							   std::vector<spk_unit_route> *) {
				  c->h_in = c->w_in = 65; } },
			{ "zero point 40000", [](spk_encoder_config *, std::vector<int32_t> *z,
						 std::vector<int64_t> *, std::vector<spk_unit_route> *) {
				  (*z)[0] = 40000; } },
			{ "multiplier 2147483648", [](spk_encoder_config *, std::vector<int32_t> *,
						      std::vector<int64_t> *m,
						      std::vector<spk_unit_route> *) {
				  (*m)[0] = INT64_C(2147483648); } },
			{ "does not fit 21 payload bits", [](spk_encoder_config *,
							     std::vector<int32_t> *,
							     std::vector<int64_t> *,
							     std::vector<spk_unit_route> *r) {
				  (*r)[0].axon_base = (1u << 21) - 1; } },
			{ "outside the 12x12 mesh", [](spk_encoder_config *, std::vector<int32_t> *,
						       std::vector<int64_t> *,
						       std::vector<spk_unit_route> *r) {
				  (*r)[0].dst_tile = 144; } },
		};
		char msg[256];

		for (const bad &b : cases) {
			setup t = su;
			spk_encoder_config c = t.cfg;

			b.change(&c, &t.zero, &t.mult, &t.routes);
			c.w = t.w.data();
			c.zero = t.zero.data();
			c.mult = t.mult.data();
			c.bias = t.bias.data();
			c.routes = t.routes.data();
			msg[0] = 0;
			if (spk_rtl_encoder_load(&c, &rp, no_write, nullptr, msg, sizeof(msg)) != -1 ||
			    std::strstr(msg, b.what) == nullptr) {
				std::fprintf(stderr, "encoder_lockstep: the loader did not refuse \"%s\" "
						     "(said \"%s\")\n", b.what, msg);
				return 1;
			}
		}
		std::printf("encoder_lockstep: the loader refused all %zu misfits, naming them\n",
			    sizeof(cases) / sizeof(cases[0]));
		return 0;
	}

	int start(unsigned k)
	{
		draw(k);
		enc = spk_encoder_create(&su.cfg, err, sizeof(err));
		if (enc == nullptr) {
			std::fprintf(stderr, "encoder_lockstep: config %u: %s\n", k, err);
			return 2;
		}
		reset();
		if (spk_rtl_encoder_load(&su.cfg, &rp, rtl_write, this, err, sizeof(err)) < 0) {
			std::fprintf(stderr, "encoder_lockstep: config %u: the loader refused: %s\n", k,
				     err);
			return 2;
		}
		x = 0;
		credits = su.cfg.input_fifo;
		rel.clear();
		tokens_taken = 0;
		px_writing = false;
		ahead.clear();
		written = 0;
		history.clear();
		evaluated = false;
		stats_due = false;
		return 0;
	}

	// ---- one cycle ------------------------------------------------------------------
	int diverge(const char *sig, uint64_t want, uint64_t got)
	{
		std::fprintf(stderr,
			     "encoder_lockstep: first divergence at cycle %" PRIu64 ", signal %s: "
			     "expected (C model) 0x%" PRIx64 ", got (RTL) 0x%" PRIx64 "\n",
			     x, sig, want, got);
		std::fprintf(stderr, "stimulus of the cycles before (oldest first):\n");
		for (const std::string &h : history)
			std::fprintf(stderr, "  %s\n", h.c_str());
		return 1;
	}

	// The C model is event-driven: it accounts the MACs (encoder_macs, compute_cycles) of the
	// cycles it slept through when it next wakes, so those two are compared only after a
	// cycle in which it was evaluated (`current`); the others change only in such cycles.
	int compare_stats(bool current)
	{
		spk_encoder_stats s;

		spk_encoder_get_stats(enc, &s);
		if (current) {
			if (s.ev.encoder_macs != top->encoder_macs_o)
				return diverge("encoder_macs_o", s.ev.encoder_macs, top->encoder_macs_o);
			if (s.compute_cycles != top->compute_cycles_o)
				return diverge("compute_cycles_o", s.compute_cycles,
					       top->compute_cycles_o);
		}
		const struct {
			const char *name;
			uint64_t want, got;
		} f[] = {
			{ "packets_in_o", s.packets_in, top->packets_in_o },
			{ "packets_out_o", s.ev.packets_out, top->packets_out_o },
			{ "send_refused_o", s.send_refused, top->send_refused_o },
			{ "images_o", s.images, top->images_o },
			{ "outputs_o", s.outputs, top->outputs_o },
			{ "stall_cycles_o", s.stall_cycles, top->stall_cycles_o },
			{ "graded_clamped_o", s.graded_clamped, top->graded_clamped_o },
			{ "fifo_peak_o", s.fifo_peak, top->fifo_peak_o },
			{ "queue_peak_o", s.queue_peak, top->queue_peak_o },
		};
		for (const auto &v : f)
			if (v.want != v.got)
				return diverge(v.name, v.want, v.got);
		return 0;
	}

	int step()
	{
		const spk_encoder_config &c = su.cfg;
		const size_t npx = (size_t)c.c_in * c.h_in * c.w_in;
		spk_unit_port port = { c_send, c_credit, nullptr, this, nullptr };
		bool rx = false, img = false, ldw = false;
		release r{};
		char line[256];

		// stimulus: a release due and within the credits, the NI's answer, the image port
		if (!rel.empty() && rel.front().due <= x && credits >= 1) {
			rx = true;
			r = rel.front();
			rel.pop_front();
			credits--;
		}
		ready_now = g.below(100) < su.ready_pct;
		bool can_take = spk_encoder_can_take_image(enc);
		if (top->img_ready_o != can_take)
			return diverge("img_ready_o", can_take, top->img_ready_o);
		// the pixels: image n into bank n mod PixBanks once image n − PixBanks is done, at
		// most write_ahead images before they are put in
		spk_encoder_stats st;

		spk_encoder_get_stats(enc, &st);
		if (!px_writing && written < st.images + rp.pix_banks &&
		    ahead.size() < su.write_ahead && g.chance(30)) {
			ahead.push_back({ std::vector<uint8_t>(npx), UINT64_MAX });
			for (uint8_t &p : ahead.back().px)
				p = su.px_mode == 1 && g.chance(80) ? (uint8_t)su.zero[0] :
								      (uint8_t)g.below(256);
			px_next = 0;
			px_writing = true;
			written++;
		}
		if (px_writing) {
			const size_t words = (npx + 7) / 8;

			ldw = true;
			tot.ahead_words += !can_take;	// the port holds an image: written ahead
			top->load_addr_i = SPK_RTL_ENC_PIXEL_ADDR((written - 1) % rp.pix_banks, px_next);
			top->load_data_i = spk_rtl_encoder_pixel_word(ahead.back().px.data(), npx,
								      px_next);
			if (++px_next == words) {
				ahead.back().ready_at = x + 1 + (g.chance(50) ? 0 : g.below(30));
				px_writing = false;
			}
		}
		// the image port: the oldest written image, when the port is free
		if (!ahead.empty() && ahead.front().ready_at <= x && can_take &&
		    g.below(100) < su.put_pct)
			img = true;
		top->load_we_i = ldw;
		top->img_valid_i = img;
		top->rx_valid_i = rx;
		top->rx_kind_i = SPK_PACKET_RELEASE;
		top->rx_tag_i = r.tag;
		top->rx_axon_i = r.route;
		top->rx_value_i = 0;
		top->tx_ready_i = ready_now;
		std::snprintf(line, sizeof(line),
			      "cycle %" PRIu64 ": release %s route %u tag %u, ni ready %d, image in %d, "
			      "pixel write %d", x, rx ? "in" : "none", r.route, r.tag, ready_now, img,
			      ldw);
		history.push_back(line);
		if (history.size() > 8)
			history.pop_front();

		// the C model: deliver, image in, eval
		if (rx) {
			spk_packet pk{};

			pk.src = su.routes[r.route].dst_tile;
			pk.dst = c.tile;
			pk.flits = 1;
			pk.kind = SPK_PACKET_RELEASE;
			pk.tag = r.tag;
			pk.axon = r.route;
			spk_encoder_deliver(enc, &pk, x);
		}
		if (img) {
			if (spk_encoder_image_in(enc, ahead.front().px.data(), x) != 0)
				return diverge("image_in refused", 0, 1);
			ahead.pop_front();
		}
		off.valid = false;
		credits_c = 0;
		evaluated = spk_encoder_next_cycle(enc) == x;
		spk_encoder_eval(enc, x, &port);

		// the RTL, combinationally in this cycle
		top->clk_i = 0;
		top->eval();
		if (top->tx_valid_o != off.valid)
			return diverge("tx_valid_o", off.valid, top->tx_valid_o);
		if (off.valid) {
			const spk_packet &p = off.pk;
			uint64_t addr = spk_rtl_tile_addr(&noc, p.dst % noc.mesh_x, p.dst / noc.mesh_x);

			if (top->tx_kind_o != p.kind)
				return diverge("tx_kind_o", p.kind, top->tx_kind_o);
			if (top->tx_mc_o != 0)
				return diverge("tx_mc_o", 0, top->tx_mc_o);
			if (top->tx_addr_o != addr)
				return diverge("tx_addr_o", addr, top->tx_addr_o);
			if (top->tx_tag_o != p.tag)
				return diverge("tx_tag_o", p.tag, top->tx_tag_o);
			if (top->tx_payload_o != p.axon)
				return diverge("tx_payload_o", p.axon, top->tx_payload_o);
			if (top->tx_value_o != (uint32_t)p.value)
				return diverge("tx_value_o", (uint32_t)p.value, top->tx_value_o);
			if (p.flits != (p.kind == SPK_PACKET_GRADED ? noc.graded_flits : 1u))
				return diverge("packet flits", p.flits, 0);
			if (ready_now && p.kind == SPK_PACKET_TOKEN) {
				// the destination closes the route for this image: its release follows
				uint32_t route = (uint32_t)(tokens_taken % c.n_routes);
				uint64_t image = tokens_taken / c.n_routes;

				tokens_taken++;
				tot.tokens++;
				rel.push_back({ x + 1 + (su.rel_delay ? g.below(su.rel_delay) : 0), route,
						(uint8_t)(image & 1) });
				// keep them in due order (delivery is one per cycle, in order)
				for (size_t i = rel.size() - 1; i > 0 && rel[i].due < rel[i - 1].due; i--)
					std::swap(rel[i], rel[i - 1]);
			}
		}
		if (top->rx_credit_o != credits_c)
			return diverge("rx_credit_o", credits_c, top->rx_credit_o);
		credits += credits_c;
		top->clk_i = 1;
		top->eval();
		top->load_we_i = 0;
		x++;
		cycle++;
		if ((x & 1023) == 0)
			stats_due = true;
		if (stats_due && evaluated) {
			stats_due = false;
			tot.stat_checks++;
			return compare_stats(true);
		}
		return 0;
	}

	// the end of a configuration: on until the C model is current, then every counter
	int finish()
	{
		spk_encoder_stats s;
		int rc = 0;

		while (rc == 0 && !evaluated && spk_encoder_next_cycle(enc) != UINT64_MAX)
			rc = step();
		if (rc == 0)
			rc = compare_stats(evaluated || spk_encoder_next_cycle(enc) == UINT64_MAX);

		spk_encoder_get_stats(enc, &s);
		tot.images += s.images;
		tot.outputs += s.outputs;
		tot.releases += s.packets_in;
		tot.stalls += s.stall_cycles;
		tot.refused += s.send_refused;
		tot.clamped += s.graded_clamped;
		tot.macs += s.ev.encoder_macs;
		tot.configs++;
		std::printf("  config %" PRIu64 ": c_in %u %ux%u kernel %u stride %u pad %u -> %u x "
			    "%ux%u, %u MACs/cycle, queue %u, %zu routes, NI ready %u%%: %" PRIu64
			    " cycles, %" PRIu64 " images, %" PRIu64 " graded events, %" PRIu64
			    " stall cycles, %" PRIu64 " clamped\n",
			    tot.configs - 1, su.cfg.c_in, su.cfg.h_in, su.cfg.w_in, su.cfg.kernel,
			    su.cfg.stride, su.cfg.pad, su.cfg.channels, su.cfg.h_out, su.cfg.w_out,
			    su.cfg.macs, su.cfg.output_queue, su.routes.size(), su.ready_pct, x,
			    s.images, s.outputs, s.stall_cycles, s.graded_clamped);
		spk_encoder_destroy(enc);
		enc = nullptr;
		return rc;
	}
};

int usage(FILE *f, int rc)
{
	std::fprintf(f, "usage: encoder_lockstep --arch FILE [--cycles N] [--seed S]\n"
			"  the Verilated encoder against sim/encoder.c, cycle for cycle, over random\n"
			"  configurations (--arch: the file whose spk_noc_pkg the model was built with)\n");
	return rc;
}

} // namespace

int main(int argc, char **argv)
{
	spk_lockstep::opts o;
	spk_arch a;
	char err[1024];
	harness h;
	int rc = spk_lockstep::parse(argc, argv, o, true, false, usage);

	if (rc >= 0)
		return rc;
	rc = 0;
	const char *arch = o.arch;
	const uint64_t cycles = o.cycles, seed = o.seed;
	if (spk_arch_load(&a, arch, err, sizeof(err)) < 0 ||
	    spk_rtl_params_from_arch(&h.noc, &a, 0, err, sizeof(err)) < 0) {
		std::fprintf(stderr, "encoder_lockstep: %s\n", err);
		return 2;
	}
	// eight configurations, or one per 50000 cycles in long runs
	const uint64_t configs = cycles >= 400000 ? cycles / 50000 : 8;

	spk_rtl_encoder_params_default(&h.rp, &h.noc);
#ifdef SPK_ENCODER_TEST_SIZES
	// a build with other parameters (rtl/encoder.mk): Macs, MaxPixels, PixBanks, MaxWeights,
	// MaxCin, MaxChannels, Routes, OutQueue
	{
		const uint32_t v[] = { SPK_ENCODER_TEST_SIZES };

		h.rp.macs = v[0];
		h.rp.max_pixels = v[1];
		h.rp.pix_banks = v[2];
		h.rp.max_weights = v[3];
		h.rp.max_cin = v[4];
		h.rp.max_channels = v[5];
		h.rp.routes = v[6];
		h.rp.out_queue = v[7];
		h.sizes = true;
	}
#endif
	Verilated::debug(0);
	h.top = new Vencoder;
	h.g.s = seed;
	for (uint64_t k = 0; k < configs && rc == 0; k++) {
		uint64_t n = cycles / configs + (k < cycles % configs ? 1 : 0);

		rc = h.start((unsigned)k);
		if (rc == 0 && k == 0 && h.noc.mesh_x == 12 && h.noc.mesh_y == 12 &&
		    h.noc.payload_bits == 21 && !h.sizes)
			rc = h.check_loader();
		while (rc == 0 && h.x < n)
			rc = h.step();
		if (rc == 0)
			rc = h.finish();
	}
	if (rc == 0) {
		const totals &t = h.tot;

		std::printf("encoder_lockstep: %" PRIu64 " cycles in lock step (seed %" PRIu64 ", %"
			    PRIu64 " configurations, %" PRIu64 " more cycles to let the C model's "
			    "last MACs be accounted): %" PRIu64 " images, %" PRIu64 " MACs, %" PRIu64
			    " graded events, %" PRIu64 " tokens, %" PRIu64 " releases, %" PRIu64
			    " stall cycles, %" PRIu64 " refusals, %" PRIu64 " clamped, %" PRIu64
			    " pixel words written while the port held an image; counters compared %"
			    PRIu64 " times\n",
			    cycles, seed, t.configs, h.cycle - cycles, t.images, t.macs, t.outputs, t.tokens, t.releases,
			    t.stalls, t.refused, t.clamped, t.ahead_words, t.stat_checks + t.configs);
		// a run that completed little checked little
		if (t.configs < configs || t.images < 2 * configs || t.outputs < 1000 ||
		    t.tokens < 4 * configs || t.releases < 4 * configs || t.stalls == 0 ||
		    t.refused == 0 || t.clamped == 0 || t.ahead_words == 0) {
			std::fprintf(stderr, "encoder_lockstep: the stimulus did not exercise enough "
					     "(images, events, tokens, releases, stalls, refusals, "
					     "clamps, pixels written ahead)\n");
			rc = 1;
		}
	}
	if (h.enc != nullptr)
		spk_encoder_destroy(h.enc);
	h.top->final();
	delete h.top;
	return rc;
}
