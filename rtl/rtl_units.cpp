// rtl_units.cpp — the units in RTL inside the SystemC engine (see rtl_units.h): the synapse
// core (rtl/core.sv), the attention unit (rtl/attn.sv), the encoder (rtl/encoder.sv) and the
// readout (rtl/readout.sv).
#include "config.h"

// the Verilated models before SystemC (rtl_units.h): Verilator's time then stays its own
#include "Vattn.h"
#include "Vcore.h"
#include "Vencoder.h"
#include "Vreadout.h"
#include "spk_noc_pkg.h"

#include <verilated.h>

#include "rtl/rtl_units.h"
#include "rtl/attn_load.h"
#include "rtl/core_load.h"
#include "rtl/encoder_load.h"	// C++ (rtl/encoder_load.cpp)

extern "C" {
#include "rtl/readout_load.h"
#include "rtl/rtl_params.h"
#include "sim/chip_engine.h"
#include "sim/attn.h"
#include "sim/core.h"
#include "sim/encoder.h"
#include "sim/readout.h"
#include "sim/systemc/sc_chip.h"
}

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <memory>
#include <unordered_map>
#include <vector>

#ifndef RO_FIFO
#error "RO_*: the chip's readout parameters (rtl/readout.mk)"
#endif

namespace spk_rtl {

namespace {

// The parameters the chip's RTL readout was built with (rtl/readout.mk, ro_chip).
const spk_rtl_readout_params kReadout = { RO_FIFO, RO_ROUTES, RO_MEANS, RO_CHANNELS, RO_CLASSES,
					  RO_NU, RO_ADDERS, RO_MB };

// The parameters of the chip's RTL attention unit (rtl/attn.mk, attn_chip); the NoC fields are
// the package's.
const spk_rtl_attn_params kAttn = { ATTN_MaxOps, ATTN_MaxTokens, ATTN_MaxChannels, ATTN_Lanes,
				    ATTN_OutputQueue, ATTN_FifoFlits, ATTN_InRoutes,
				    ATTN_MaxRoutes, 0, 0, 0, 0, 0 };

// The parameters of the chip's RTL synapse core (rtl/core.mk, core_chip); the NoC fields are set
// from the package when it is loaded.
const spk_rtl_core_params kCore = { CORE_FifoFlits, CORE_QueueEntries, CORE_Adders,
				    CORE_NeuronUpdates, CORE_MembraneBits, CORE_Pieces, CORE_Projs,
				    CORE_Readers, CORE_InRoutes, CORE_Routes, CORE_AccWords,
				    CORE_MemWords, CORE_WeightWords, CORE_ChanWords, 0, 0, 0, 0 };

spk_rtl_params built_noc()
{
	spk_rtl_params p = SPK_NOC_PKG_INIT;

	return p;
}

// The NoC fields a unit's ports are built for (the package's widths) against the chip's.
bool noc_fits(const spk_arch &a, std::string &why)
{
	spk_rtl_params want, have = built_noc();
	char err[512];

	if (spk_rtl_params_from_arch(&want, &a, have.max_groups, err, sizeof(err)) < 0) {
		why = err;
		return false;
	}
	const spk_rtl_field cmp[] = {
		{ "[chip] mesh_x", want.mesh_x, have.mesh_x },
		{ "[chip] mesh_y", want.mesh_y, have.mesh_y },
		{ "[noc] flit_bits", want.flit_bits, have.flit_bits },
		{ "[noc] multicast (1: tree)", want.multicast, have.multicast },
		{ "[core] input_fifo", want.eject_flits, have.eject_flits },
	};
	if (spk_rtl_fields_check(cmp, sizeof(cmp) / sizeof(cmp[0]), "units were", err,
				 sizeof(err)) < 0) {
		why = err;
		return false;
	}
	return true;
}

// What every unit in RTL shares: the rx and tx sides, the clock, idle cycles skipped. V is the
// Verilated unit; D (the unit kind's class) gives load(), observe() (spikes, classes: what the
// unit reports in a cycle) and the statistics.
template <class V, class D>
class rtl_unit : public spk_sc::unit {
public:
	rtl_unit(const char *name, const spk_sc::clock &clk, spk_sc::unit_observer &obs,
		 void *model, const spk_unit_port *chip_port, bool feeds_control, uint32_t tile)
		: spk_sc::unit(name, clk, obs, model, chip_port, feeds_control), tile_(tile),
		  np_(built_noc())
	{
		ctx_.reset(new VerilatedContext);
		top_.reset(new V(ctx_.get(), (std::string(name) + "_rtl").c_str()));
	}

	void restart(void *model, const spk_unit_port *chip_port) override
	{
		spk_sc::unit::restart(model, chip_port);
		failure_.clear();
		top_->clk_i = 0;
		top_->rx_valid_i = 0;
		top_->tx_ready_i = 0;
		top_->load_we_i = 0;
		// an edge for the asynchronous reset: a new model's rst_ni starts low
		top_->rst_ni = 1;
		top_->eval();
		top_->rst_ni = 0;
		top_->eval();
		static_cast<D *>(this)->load(model);
		cyc_ = 0;
		has_rx_ = false;
	}

	const char *failure() const override { return failure_.empty() ? nullptr : failure_.c_str(); }

protected:
	// The shadow check (environment SPK_RTL_SHADOW set; a debugging aid, doc/rtl.md): the C
	// model runs beside the RTL, gets the same deliveries and the NI's answers to the RTL's
	// offers, and the first cycle in which the two offer or free differently stops the run with
	// both sides printed.
	struct cap {
		bool valid = false;
		spk_packet p{};
		bool ready = false;
		uint32_t credit = 0;
	};
	static int cap_send(void *ctx, const spk_packet *p)
	{
		cap *c = static_cast<cap *>(ctx);

		c->valid = true;
		c->p = *p;
		return c->ready ? 0 : -EAGAIN;
	}
	static void cap_credit(void *ctx, uint32_t f) { static_cast<cap *>(ctx)->credit += f; }

	void deliver(const spk_packet &p, uint64_t x) override
	{
		if (shadow_)
			static_cast<D *>(this)->c_deliver(p, x);
		assert(!has_rx_);
		rx_ = p;
		rx_x_ = x;
		has_rx_ = true;
	}

	void eval(uint64_t x, const spk_unit_port *port) override
	{
		V &v = *top_;

		assert(x >= cyc_);
		if (x > cyc_) {
			// the cycles in between: nothing arrived and the unit was not busy
			assert(!static_cast<D *>(this)->busy());
			cyc_ = x;
		}
		bool rx = has_rx_ && rx_x_ == x;

		// Two evaluations per cycle (each runs all the unit's input logic): the clock's fall
		// with cycle x's inputs, whose outputs are the cycle's; then the NI's answer with the
		// rising edge. (After the edge rx_valid_i is still up until the next cycle, so busy_o
		// may ask for one cycle more than needed: an evaluation that changes nothing.)
		v.clk_i = 0;
		static_cast<D *>(this)->drive(x);

		v.rx_valid_i = rx;
		v.rx_kind_i = rx ? rx_.kind : 0;
		v.rx_tag_i = rx ? rx_.tag : 0;
		v.rx_axon_i = rx ? rx_.axon : 0;
		v.rx_value_i = rx ? (uint32_t)rx_.value : 0;
		if (rx)
			has_rx_ = false;
		v.tx_ready_i = 0;
		v.eval();
		if (v.tx_valid_o) {
			spk_packet pk{};
			uint32_t ymask = (1u << np_.y_bits) - 1;

			pk.src = tile_;
			pk.dst = (v.tx_addr_o & ymask) * np_.mesh_x + (v.tx_addr_o >> np_.y_bits);
			if (static_cast<D *>(this)->multicast()) {
				pk.mc = v.tx_addr_o;
				pk.dst = static_cast<D *>(this)->group_dst(pk.mc);
			}
			pk.kind = v.tx_kind_o;
			pk.flits = pk.kind == SPK_PACKET_GRADED ? (uint16_t)np_.graded_flits : 1;
			pk.tag = v.tx_tag_o;
			pk.axon = v.tx_payload_o;
			pk.value = (int32_t)v.tx_value_o;
			v.tx_ready_i = port->send(port->ctx, &pk) == 0;
		}
		if (shadow_) {
			cap c;
			spk_unit_port cp = { cap_send, cap_credit, nullptr, &c, nullptr };

			c.ready = v.tx_ready_i;
			static_cast<D *>(this)->c_eval(x, &cp);
			if (c.valid != (bool)v.tx_valid_o || c.credit != v.rx_credit_o ||
			    (c.valid && (c.p.kind != v.tx_kind_o || c.p.axon != v.tx_payload_o ||
					 c.p.tag != v.tx_tag_o || (uint32_t)c.p.value != v.tx_value_o))) {
				fprintf(stderr,
					"spikechip: shadow check, tile %u, cycle %lu: the C model offers %d "
					"(kind %u axon %u tag %u value %d) and frees %u flits; the RTL offers %d "
					"(kind %u axon %u tag %u value %d) and frees %u\n",
					tile_, (unsigned long)x, c.valid, c.p.kind, c.p.axon, c.p.tag,
					c.p.value, c.credit, v.tx_valid_o, v.tx_kind_o, v.tx_payload_o,
					v.tx_tag_o, (int)v.tx_value_o, v.rx_credit_o);
				abort();	// a debugging aid: stop where it diverged
			}
		}
		if (v.rx_credit_o != 0 && port->credit != nullptr)
			port->credit(port->ctx, v.rx_credit_o);
		static_cast<D *>(this)->observe(x, port);
		v.clk_i = 1;
		v.eval();
		cyc_ = x + 1;
	}

	uint64_t next_cycle() const override
	{
		uint64_t n = static_cast<const D *>(this)->busy() ? cyc_ : UINT64_MAX;

		if (shadow_) {
			uint64_t c = static_cast<const D *>(this)->c_next();

			if (c < n)
				n = c < cyc_ ? cyc_ : c;
		}
		return n;
	}

	// defaults of the kinds' hooks: busy_o says whether the unit works in this cycle; nothing to
	// drive beyond the packets
	bool busy() const { return top_->busy_o; }
	void drive(uint64_t) {}
	bool multicast() const { return false; }	// only a core sends to groups
	uint32_t group_dst(uint32_t) const { return 0; }

	void clock()
	{
		top_->clk_i = 1;
		top_->eval();
		top_->clk_i = 0;
		top_->eval();
	}

	static void write(void *ctx, uint32_t addr, uint64_t data)
	{
		rtl_unit *u = static_cast<rtl_unit *>(ctx);

		u->top_->load_we_i = 1;
		u->top_->load_addr_i = addr;
		u->top_->load_data_i = data;
		u->clock();
		u->top_->load_we_i = 0;
	}

	uint32_t tile_;
	bool shadow_ = D::kShadow && getenv("SPK_RTL_SHADOW") != nullptr;
	spk_rtl_params np_;
	std::unique_ptr<VerilatedContext> ctx_;
	std::unique_ptr<V> top_;
	std::string failure_;
	uint64_t cyc_ = 0;
	spk_packet rx_{};
	uint64_t rx_x_ = 0;
	bool has_rx_ = false;
};

// The readout in RTL (rtl/readout.sv): loaded held in reset; reports spikes and classes.
class rtl_readout : public rtl_unit<Vreadout, rtl_readout> {
public:
	using rtl_unit::rtl_unit;

	void load(void *model)
	{
		Vreadout &v = *top_;
		spk_readout_config cfg;
		char err[256];

		spk_readout_get_config(static_cast<spk_readout *>(model), &cfg);
		if (spk_rtl_readout_load(&cfg, &kReadout, &np_, write, this, err, sizeof(err)) != 0)
			failure_ = std::string("--rtl readout: ") + err;
		v.rst_ni = 1;
		v.eval();
		pop_.clear();
		for (uint32_t m = 0; m < cfg.n_means; m++)
			pop_.push_back(cfg.means[m].pop);
		scores_.assign(cfg.head != nullptr ? cfg.head->classes : 0, 0);
		class_out_ = cfg.class_out;
		class_ctx_ = cfg.class_ctx;
	}

	void observe(uint64_t x, const spk_unit_port *port)
	{
		Vreadout &v = *top_;

		if (v.spike_valid_o && v.spike_mask_o != 0 && port->spike != nullptr)
			for (uint32_t l = 0; l < kReadout.neuron_updates; l++)
				if (v.spike_mask_o >> l & 1)
					port->spike(port->ctx, pop_[v.spike_mean_o], v.spike_step_o,
						    v.spike_c0_o + l);
		if (v.class_valid_o && class_out_ != nullptr) {
			for (uint32_t k = 0; k < scores_.size(); k++) {
				v.score_sel_i = k;
				v.eval();
				scores_[k] = (int64_t)v.score_o;
			}
			class_out_(class_ctx_, v.class_image_o, v.class_o, x, scores_.data());
		}
	}

	// no shadow check: the C readout would report the classes a second time
	static constexpr bool kShadow = false;
	void c_deliver(const spk_packet &, uint64_t) {}
	void c_eval(uint64_t, const spk_unit_port *) {}
	uint64_t c_next() const { return UINT64_MAX; }

	int finish(struct spk_chip *c, uint32_t tile) override
	{
		spk_readout_stats st{};

		st.packets_in = top_->packets_in_o;
		st.graded_in = top_->graded_in_o;
		st.tokens_in = top_->tokens_in_o;
		st.fires = top_->fires_o;
		st.fire_cycles = top_->fire_cycles_o;
		st.head_cycles = top_->head_cycles_o;
		st.images = top_->images_o;
		st.send_refused = top_->send_refused_o;
		st.fifo_peak = top_->fifo_peak_o;
		st.ev.sops = top_->sops_o;
		st.ev.graded_adds = top_->graded_in_o;
		st.ev.neuron_updates = top_->neuron_updates_o;
		st.ev.packets_out = top_->packets_out_o;
		return spk_chip_engine_set_unit_stats(c, tile, &st);
	}

private:
	std::vector<uint32_t> pop_;
	std::vector<int64_t> scores_;
	spk_readout_class_fn class_out_ = nullptr;
	void *class_ctx_ = nullptr;
};

// The synapse core in RTL (rtl/core.sv): loaded after reset, then reset once more (its reset
// clears the engines, not the tables); reports spikes. A tree-multicast packet names its group;
// its dst is the group's first route's tile, as the C model sets it.
class rtl_core : public rtl_unit<Vcore, rtl_core> {
public:
	using rtl_unit::rtl_unit;
	static constexpr bool kShadow = true;

	bool multicast() const { return top_->tx_mc_o; }

	void load(void *model)
	{
		Vcore &v = *top_;
		spk_core_config cfg;

		std::string why;

		spk_core_get_config(static_cast<spk_core *>(model), &cfg);
		v.rst_ni = 1;
		v.eval();
		if (load_writes(SPK_TILE_CORE, model, write, this, why) != 0)
			failure_ = std::string("--rtl core: tile ") + std::to_string(tile_) + ": " + why +
				   " (the RTL core this build links: doc/rtl.md \"Units in the chip\")";
		v.rst_ni = 0;
		v.eval();
		v.rst_ni = 1;
		v.eval();
		group_dst_.clear();
		for (uint32_t k = 0; cfg.route_mc != nullptr && k < cfg.n_routes; k++)
			if (cfg.route_mc[k] != 0 && group_dst_.count(cfg.route_mc[k]) == 0)
				group_dst_[cfg.route_mc[k]] = cfg.routes[k].dst_tile;
	}

	uint32_t group_dst(uint32_t mc) const
	{
		auto it = group_dst_.find(mc);

		return it != group_dst_.end() ? it->second : 0;
	}

	void observe(uint64_t, const spk_unit_port *port)
	{
		Vcore &v = *top_;

		if (v.spike_o == 0 || port->spike == nullptr)
			return;
		for (uint32_t j = 0; j < kCore.neuron_updates; j++)
			if (v.spike_o >> j & 1)
				port->spike(port->ctx, v.spike_pop_o, v.spike_step_o,
					    v.spike_neuron_o[j]);
	}

	void c_deliver(const spk_packet &p, uint64_t x) { spk_core_deliver(static_cast<spk_core *>(model_), &p, x); }
	void c_eval(uint64_t x, const spk_unit_port *p) { spk_core_eval(static_cast<spk_core *>(model_), x, p); }
	uint64_t c_next() const { return spk_core_next_cycle(static_cast<const spk_core *>(model_)); }

	int finish(struct spk_chip *c, uint32_t tile) override
	{
		spk_core_stats st{};

		st.packets_in = top_->packets_in_o;
		st.spikes_in = top_->spikes_in_o;
		st.graded_in = top_->graded_in_o;
		st.tokens_in = top_->tokens_in_o;
		st.releases_in = top_->releases_in_o;
		st.receive_busy = top_->receive_busy_o;
		st.fires = top_->fires_o;
		st.fire_cycles = top_->fire_cycles_o;
		st.fire_stalls = top_->fire_stalls_o;
		st.spikes_out = top_->spikes_out_o;
		st.send_refused = top_->send_refused_o;
		st.graded_clamped = top_->graded_clamped_o;
		st.fifo_peak = top_->fifo_peak_o;
		st.queue_peak = top_->queue_peak_o;
		st.ev.sops = top_->sops_o;
		st.ev.graded_adds = top_->graded_adds_o;
		st.ev.neuron_updates = top_->neuron_updates_o;
		st.ev.packets_out = top_->packets_out_o;
		return spk_chip_engine_set_unit_stats(c, tile, &st);
	}

private:
	std::unordered_map<uint32_t, uint32_t> group_dst_;
};

// The attention unit in RTL (rtl/attn.sv): loaded after reset, before traffic; it reports
// nothing but packets.
class rtl_attn : public rtl_unit<Vattn, rtl_attn> {
public:
	using rtl_unit::rtl_unit;

	void load(void *model)
	{
		Vattn &v = *top_;
		std::string why;

		v.rst_ni = 1;
		v.eval();
		if (load_writes(SPK_TILE_ATTENTION, model, write, this, why) != 0)
			failure_ = std::string("--rtl attn: ") + why +
				   " (the RTL attention unit this build links: doc/rtl.md \"Units in the chip\")";
	}

	static constexpr bool kShadow = true;
	void observe(uint64_t, const spk_unit_port *) {}
	void c_deliver(const spk_packet &p, uint64_t x) { spk_attn_deliver(static_cast<spk_attn *>(model_), &p, x); }
	void c_eval(uint64_t x, const spk_unit_port *p) { spk_attn_eval(static_cast<spk_attn *>(model_), x, p); }
	uint64_t c_next() const { return spk_attn_next_cycle(static_cast<const spk_attn *>(model_)); }

	int finish(struct spk_chip *c, uint32_t tile) override
	{
		spk_attn_stats st{};

		st.packets_in = top_->packets_in_o;
		st.spikes_in = top_->spikes_in_o;
		st.tokens_in = top_->tokens_in_o;
		st.releases_in = top_->releases_in_o;
		st.receive_busy = top_->receive_busy_o;
		st.steps = top_->steps_o;
		st.compute_cycles = top_->compute_cycles_o;
		st.emit_cycles = top_->emit_cycles_o;
		st.emit_stalls = top_->emit_stalls_o;
		st.outputs = top_->outputs_o;
		st.send_refused = top_->send_refused_o;
		st.counter_overflows = top_->counter_overflows_o;
		st.fifo_peak = top_->fifo_peak_o;
		st.queue_peak = top_->queue_peak_o;
		st.ev.attention_ops = top_->attention_ops_o;
		st.ev.packets_out = top_->packets_out_o;
		return spk_chip_engine_set_unit_stats(c, tile, &st);
	}
};

// The encoder in RTL (rtl/encoder.sv): loaded after reset; images through its image port,
// their pixels written ahead through the load port into bank n mod PixBanks (images 0 .. banks
// − 1 before cycle 0, image n in the cycles after image n − banks is done), put in with
// img_valid_i in the cycle the C model would be given the image. It has no busy output, so it
// is evaluated in every cycle of the run.
class rtl_encoder : public rtl_unit<Vencoder, rtl_encoder> {
public:
	using rtl_unit::rtl_unit;
	static constexpr bool kShadow = true;

	void load(void *model)
	{
		Vencoder &v = *top_;
		spk_encoder_config cfg;
		char err[256];

		spk_encoder_get_config(static_cast<spk_encoder *>(model), &cfg);
		spk_rtl_encoder_params_default(&p_, &np_);
		v.img_valid_i = 0;
		v.rst_ni = 1;
		v.eval();
		if (spk_rtl_encoder_load(&cfg, &p_, write, this, err, sizeof(err)) != 0)
			failure_ = std::string("--rtl encoder: ") + err;
		bytes_ = (size_t)cfg.c_in * cfg.h_in * cfg.w_in;
		fed_ = written_ = word_ = 0;
		pending_ = false;
	}

	int attach(struct spk_chip *c, uint32_t tile, const uint8_t *pixels, uint32_t n) override
	{
		spk_chip_encoder_port port = { can_take, image_in, this };

		pixels_ = pixels;
		n_ = n;
		// the first images before cycle 0 (the load phase)
		while (written_ < n_ && written_ < p_.pix_banks)
			write_word();
		return spk_chip_engine_set_encoder_port(c, tile, &port);
	}

	bool busy() const { return true; }

	void drive(uint64_t x)
	{
		Vencoder &v = *top_;

		v.img_valid_i = pending_ && x == img_x_;
		if (v.img_valid_i)
			pending_ = false;
		// a pixel word of the next image to write, once its bank is free
		v.load_we_i = 0;
		if (written_ < n_ && v.images_o + p_.pix_banks > written_) {
			uint64_t w = (uint64_t)(written_ % p_.pix_banks);

			v.load_we_i = 1;
			v.load_addr_i = SPK_RTL_ENC_PIXEL_ADDR(w, word_);
			v.load_data_i = spk_rtl_encoder_pixel_word(pixels_ + written_ * bytes_, bytes_,
								   word_);
			if (++word_ == (bytes_ + 7) / 8) {
				word_ = 0;
				written_++;
			}
		}
	}

	void observe(uint64_t, const spk_unit_port *) {}
	void c_deliver(const spk_packet &p, uint64_t x) { spk_encoder_deliver(static_cast<spk_encoder *>(model_), &p, x); }
	void c_eval(uint64_t x, const spk_unit_port *p) { spk_encoder_eval(static_cast<spk_encoder *>(model_), x, p); }
	uint64_t c_next() const { return spk_encoder_next_cycle(static_cast<const spk_encoder *>(model_)); }

	int finish(struct spk_chip *c, uint32_t tile) override
	{
		spk_encoder_stats st{};

		st.packets_in = top_->packets_in_o;
		st.send_refused = top_->send_refused_o;
		st.images = top_->images_o;
		st.outputs = top_->outputs_o;
		st.compute_cycles = top_->compute_cycles_o;
		st.stall_cycles = top_->stall_cycles_o;
		st.graded_clamped = top_->graded_clamped_o;
		st.fifo_peak = top_->fifo_peak_o;
		st.queue_peak = top_->queue_peak_o;
		st.ev.encoder_macs = top_->encoder_macs_o;
		st.ev.packets_out = top_->packets_out_o;
		return spk_chip_engine_set_unit_stats(c, tile, &st);
	}

private:
	// one pixel word through the load port, in its own clock (before cycle 0 only)
	void write_word()
	{
		uint64_t w = (uint64_t)(written_ % p_.pix_banks);

		write(this, SPK_RTL_ENC_PIXEL_ADDR(w, word_),
		      spk_rtl_encoder_pixel_word(pixels_ + written_ * bytes_, bytes_, word_));
		if (++word_ == (bytes_ + 7) / 8) {
			word_ = 0;
			written_++;
		}
	}

	static bool can_take(void *ctx)
	{
		rtl_encoder *e = static_cast<rtl_encoder *>(ctx);

		return !e->pending_ && e->top_->img_ready_o;
	}

	static int image_in(void *ctx, const uint8_t *px, uint64_t cycle)
	{
		rtl_encoder *e = static_cast<rtl_encoder *>(ctx);
		uint32_t k = e->fed_++;

		if (e->shadow_)
			spk_encoder_image_in(static_cast<spk_encoder *>(e->model_), px, cycle);
		if (px != e->pixels_ + k * e->bytes_ || k >= e->written_) {
			// the run goes on; the chip top reports the failure at its end
			if (e->failure_.empty())
				e->failure_ = "--rtl encoder: image " + std::to_string(k) +
					      " is put in before its pixels are all written (cycle " +
					      std::to_string(cycle) + ")";
		}
		e->pending_ = true;
		e->img_x_ = cycle;
		return 0;
	}

	spk_rtl_encoder_params p_{};
	const uint8_t *pixels_ = nullptr;
	uint32_t n_ = 0;
	size_t bytes_ = 0;
	uint32_t fed_ = 0, written_ = 0;
	size_t word_ = 0;
	bool pending_ = false;
	uint64_t img_x_ = 0;
};

} // namespace

int load_writes(enum spk_tile_kind k, void *model, void (*write)(void *, uint32_t, uint64_t),
		void *ctx, std::string &why)
{
	const spk_rtl_params np = built_noc();
	char err[256] = "";
	int rc = -1;

	if (k == SPK_TILE_CORE) {
		spk_core_config cfg;
		spk_rtl_core_params p = kCore;

		spk_core_get_config(static_cast<spk_core *>(model), &cfg);
		p.mesh_x = np.mesh_x;
		p.y_bits = np.y_bits;
		p.addr_bits = np.addr_bits;
		p.payload_bits = np.payload_bits;
		rc = spk_rtl_core_load(&cfg, &p, write, ctx, err, sizeof(err));
	} else if (k == SPK_TILE_ATTENTION) {
		spk_attn_config cfg;
		spk_rtl_attn_params p = kAttn;

		spk_attn_get_config(static_cast<spk_attn *>(model), &cfg);
		p.mesh_x = np.mesh_x;
		p.mesh_y = np.mesh_y;
		p.y_bits = np.y_bits;
		p.addr_bits = np.addr_bits;
		p.payload_bits = np.payload_bits;
		rc = spk_rtl_attn_load(&cfg, &p, write, ctx, err, sizeof(err));
	} else {
		snprintf(err, sizeof(err), "a %s has no load writes here",
			 spk_image_tile_kind_name(k));
	}
	if (rc != 0)
		why = err;
	return rc != 0 ? -1 : 0;
}

bool byo_core(uint32_t *crc)
{
#ifdef SPK_BYO_CORE_CRC
	*crc = SPK_BYO_CORE_CRC;
	return true;
#else
	*crc = 0;
	return false;
#endif
}

std::string build_id(enum spk_tile_kind k)
{
	const spk_rtl_params np = built_noc();
	std::string s;
	auto add = [&s](const char *name, uint64_t v) {
		s += (s.empty() ? "" : " ") + std::string(name) + "=" + std::to_string(v);
	};

	add("mesh_x", np.mesh_x);
	add("mesh_y", np.mesh_y);
	add("flit_bits", np.flit_bits);
	add("multicast", np.multicast);
	add("eject_flits", np.eject_flits);
	if (k == SPK_TILE_CORE) {
		const spk_rtl_core_params &p = kCore;

		add("FifoFlits", p.fifo_flits);
		add("QueueEntries", p.queue_entries);
		add("Adders", p.adders);
		add("NeuronUpdates", p.neuron_updates);
		add("MembraneBits", p.membrane_bits);
		add("Pieces", p.pieces);
		add("Projs", p.projs);
		add("Readers", p.readers);
		add("InRoutes", p.in_routes);
		add("Routes", p.routes);
		add("AccWords", p.acc_words);
		add("MemWords", p.mem_words);
		add("WeightWords", p.weight_words);
		add("ChanWords", p.chan_words);
	} else if (k == SPK_TILE_ATTENTION) {
		const spk_rtl_attn_params &p = kAttn;

		add("MaxOps", p.max_ops);
		add("MaxTokens", p.max_tokens);
		add("MaxChannels", p.max_channels);
		add("Lanes", p.lanes);
		add("OutputQueue", p.output_queue);
		add("FifoFlits", p.fifo_flits);
		add("InRoutes", p.in_routes);
		add("MaxRoutes", p.max_routes);
	}
	return s;
}

bool units_check(const spk_arch &a, unsigned blocks, std::string &why)
{
	if (!(blocks & ~SPK_RTL_NOC))
		return true;
	if (!noc_fits(a, why))
		return false;
	if (blocks & SPK_RTL_READOUT) {
		const spk_rtl_field cmp[] = {
			{ "[core] neuron_updates", a.core.neuron_updates, kReadout.neuron_updates },
			{ "[core] adders", a.core.adders, kReadout.adders },
			{ "[core] membrane_bits", a.core.membrane_bits, kReadout.membrane_bits },
		};
		char err[256];

		if (spk_rtl_fields_check(cmp, sizeof(cmp) / sizeof(cmp[0]), "readout was", err,
					 sizeof(err)) < 0) {
			why = err;
			return false;
		}
	}
	if (blocks & SPK_RTL_CORE) {
		const spk_rtl_field cmp[] = {
			{ "[core] input_fifo", a.core.input_fifo, kCore.fifo_flits },
			{ "[core] output_queue", a.core.output_queue, kCore.queue_entries },
			{ "[core] adders", a.core.adders, kCore.adders },
			{ "[core] neuron_updates", a.core.neuron_updates, kCore.neuron_updates },
			{ "[core] membrane_bits", a.core.membrane_bits, kCore.membrane_bits },
		};
		char err[256];

		if (spk_rtl_fields_check(cmp, sizeof(cmp) / sizeof(cmp[0]), "core was", err,
					 sizeof(err)) < 0) {
			why = err;
			return false;
		}
	}
	if (blocks & SPK_RTL_ENCODER) {
		spk_rtl_encoder_params p;
		spk_rtl_params np = built_noc();

		spk_rtl_encoder_params_default(&p, &np);
		if (a.encoder.macs > (long)p.macs || a.core.output_queue > (long)p.out_queue) {
			why = "[encoder] macs = " + std::to_string(a.encoder.macs) +
			      ", [core] output_queue = " + std::to_string(a.core.output_queue) +
			      ": the RTL encoder holds at most " + std::to_string(p.macs) + " and " +
			      std::to_string(p.out_queue);
			return false;
		}
	}
	if ((blocks & SPK_RTL_ATTN) && a.attention.lanes != (long)kAttn.lanes) {
		why = "[attention] lanes = " + std::to_string(a.attention.lanes) +
		      ": the RTL attention unit was built for " + std::to_string(kAttn.lanes);
		return false;
	}
	if ((blocks & SPK_RTL_ATTN) && a.core.output_queue > (long)kAttn.output_queue) {
		why = "[core] output_queue = " + std::to_string(a.core.output_queue) +
		      ": the RTL attention unit holds at most " + std::to_string(kAttn.output_queue);
		return false;
	}
	return true;
}

spk_sc::unit *make_unit(unsigned blocks, enum spk_tile_kind k, const char *name,
			const spk_sc::clock &clk, spk_sc::unit_observer &obs, void *model,
			const spk_unit_port *chip_port, bool feeds_control, uint32_t tile,
			const spk_arch &a)
{
	(void)a;
	spk_sc::unit *u = nullptr;

	if (k == SPK_TILE_CORE && (blocks & SPK_RTL_CORE))
		u = new rtl_core(name, clk, obs, model, chip_port, feeds_control, tile);
	else if (k == SPK_TILE_READOUT && (blocks & SPK_RTL_READOUT))
		u = new rtl_readout(name, clk, obs, model, chip_port, feeds_control, tile);
	else if (k == SPK_TILE_ATTENTION && (blocks & SPK_RTL_ATTN))
		u = new rtl_attn(name, clk, obs, model, chip_port, feeds_control, tile);
	else if (k == SPK_TILE_ENCODER && (blocks & SPK_RTL_ENCODER))
		u = new rtl_encoder(name, clk, obs, model, chip_port, feeds_control, tile);
	return u;	// loaded by restart(), before each run
}

} // namespace spk_rtl
